//! The verifier's key cache on a manual clock: TTL, the refresh rate limit on unknown `kid`s,
//! one fetch for concurrent requests, stale keys while the issuer is down.

mod auth_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_support::*;
use dezky::core::Error;
use dezky::core::auth::{
    BoxFuture, KeySource, ManualClock, Surface, TokenClient, TokenVerifier, VerifierConfig,
};
use jsonwebtoken::Algorithm;

const ISSUER: &str = "https://auth.dezky.local/application/o/dezky-portal/";

/// Serves a settable JWKS body (or a failure), counting fetches, after an optional delay.
struct FakeSource {
    body: Mutex<Option<String>>,
    fetches: AtomicUsize,
    delay: Duration,
}

impl KeySource for FakeSource {
    fn fetch_jwks<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, dezky::core::Result<String>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let body = self.body.lock().map(|b| b.clone()).unwrap_or(None);
            body.ok_or_else(|| Error::KeysUnavailable {
                issuer: issuer.to_owned(),
                reason: "connection refused".into(),
            })
        })
    }
}

fn setup(
    body: Option<String>,
    delay: Duration,
) -> (Arc<FakeSource>, Arc<ManualClock>, TokenVerifier) {
    let source = Arc::new(FakeSource {
        body: Mutex::new(body),
        fetches: AtomicUsize::new(0),
        delay,
    });
    let clock = Arc::new(ManualClock::new(Duration::from_secs(now())));
    let config = VerifierConfig::new(vec![TokenClient::new(
        ISSUER,
        "dezky-portal",
        Surface::Portal,
    )]);
    let verifier = TokenVerifier::with_clock(config, source.clone(), clock.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    (source, clock, verifier)
}

fn fetches(source: &FakeSource) -> usize {
    source.fetches.load(Ordering::SeqCst)
}

fn set_body(source: &FakeSource, body: Option<String>) {
    if let Ok(mut b) = source.body.lock() {
        *b = body;
    }
}

/// A long-lived token, so that moving the clock does not expire it.
fn token(key: &TestKey, kid: Option<&str>) -> String {
    let mut c = claims(ISSUER, "dezky-portal", now());
    c["exp"] = serde_json::json!(now() + 7 * 86_400);
    sign_as(key, Algorithm::RS256, kid, &c)
}

async fn code(verifier: &TokenVerifier, token: &str) -> Option<&'static str> {
    verifier.verify(token).await.err().map(|e| e.code())
}

#[tokio::test]
async fn keys_are_cached_for_their_ttl() {
    let (source, clock, verifier) = setup(Some(jwks(&[&rsa_a()])), Duration::ZERO);
    let t = token(&rsa_a(), Some("rsa-a"));
    for _ in 0..20 {
        assert_eq!(code(&verifier, &t).await, None);
    }
    assert_eq!(fetches(&source), 1);
    clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(code(&verifier, &t).await, None);
    assert_eq!(fetches(&source), 1);
    clock.advance(Duration::from_secs(61)); // past the 15-minute TTL
    assert_eq!(code(&verifier, &t).await, None);
    assert_eq!(fetches(&source), 2);
}

#[tokio::test]
async fn unknown_kids_cannot_make_it_fetch_on_every_request() {
    let (source, clock, verifier) = setup(Some(jwks(&[&rsa_a()])), Duration::ZERO);
    assert_eq!(code(&verifier, &token(&rsa_a(), Some("rsa-a"))).await, None);
    for i in 0..200 {
        let t = token(&rsa_a(), Some(&format!("attacker-{i}")));
        assert_eq!(code(&verifier, &t).await, Some("DEZKY_TOKEN_UNKNOWN_KEY"));
        clock.advance(Duration::from_millis(100)); // 20 s in all, under the 30 s interval
    }
    assert_eq!(fetches(&source), 1);
    clock.advance(Duration::from_secs(11));
    assert_eq!(
        code(&verifier, &token(&rsa_a(), Some("attacker-x"))).await,
        Some("DEZKY_TOKEN_UNKNOWN_KEY")
    );
    assert_eq!(fetches(&source), 2, "one re-read per interval");
    assert_eq!(
        code(&verifier, &token(&rsa_a(), Some("attacker-y"))).await,
        Some("DEZKY_TOKEN_UNKNOWN_KEY")
    );
    assert_eq!(fetches(&source), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_fetch() {
    let (source, _clock, verifier) = setup(Some(jwks(&[&rsa_a()])), Duration::from_millis(200));
    let verifier = Arc::new(verifier);
    let t = token(&rsa_a(), Some("rsa-a"));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (v, t) = (verifier.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            v.verify(&t).await.map(|a| a.subject)
        }));
    }
    for task in tasks {
        let result = task.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(result.ok().as_deref(), Some("b2d7c0ffee"));
    }
    assert_eq!(fetches(&source), 1);
}

#[tokio::test]
async fn stale_keys_serve_while_the_issuer_is_down_then_stop() {
    let (source, clock, verifier) = setup(Some(jwks(&[&rsa_a()])), Duration::ZERO);
    let t = token(&rsa_a(), Some("rsa-a"));
    assert_eq!(code(&verifier, &t).await, None);
    set_body(&source, None);
    clock.advance(Duration::from_secs(16 * 60)); // stale, within max_stale
    assert_eq!(code(&verifier, &t).await, None);
    assert_eq!(fetches(&source), 2);
    // A kid the stale set does not know cannot be judged while the issuer is down.
    assert_eq!(
        code(&verifier, &token(&rsa_a(), Some("new"))).await,
        Some("DEZKY_AUTH_KEYS_UNAVAILABLE")
    );
    clock.advance(Duration::from_secs(15 * 60)); // past TTL + max_stale
    assert_eq!(
        code(&verifier, &t).await,
        Some("DEZKY_AUTH_KEYS_UNAVAILABLE")
    );
    // The issuer comes back: the next attempt (after the interval) recovers.
    set_body(&source, Some(jwks(&[&rsa_a()])));
    clock.advance(Duration::from_secs(31));
    assert_eq!(code(&verifier, &t).await, None);
}

#[tokio::test]
async fn a_first_fetch_failure_is_keys_unavailable_and_rate_limited() {
    let (source, clock, verifier) = setup(None, Duration::ZERO);
    let t = token(&rsa_a(), Some("rsa-a"));
    for _ in 0..10 {
        assert_eq!(
            code(&verifier, &t).await,
            Some("DEZKY_AUTH_KEYS_UNAVAILABLE")
        );
    }
    assert_eq!(fetches(&source), 1);
    set_body(&source, Some(jwks(&[&rsa_a()])));
    clock.advance(Duration::from_secs(30));
    assert_eq!(code(&verifier, &t).await, None);
    assert_eq!(fetches(&source), 2);
}

#[tokio::test]
async fn unusable_jwks_entries_are_configuration_errors() {
    let mut p521 = rsa_a().jwk;
    p521 = serde_json::json!({"kty": "EC", "crv": "P-521", "kid": "p521", "use": "sig",
        "x": "AQ", "y": "AQ", "n": p521["n"]});
    let oct = serde_json::json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0"});
    let body = serde_json::json!({"keys": [rsa_a().jwk, p521, oct]}).to_string();
    let (_source, _clock, verifier) = setup(Some(body), Duration::ZERO);
    assert_eq!(code(&verifier, &token(&rsa_a(), Some("rsa-a"))).await, None);
    for kid in ["p521", "oct"] {
        let err = verifier.verify(&token(&rsa_a(), Some(kid))).await.err();
        assert_eq!(
            err.as_ref().map(Error::code),
            Some("DEZKY_AUTH_CONFIG"),
            "{kid}: {err:?}"
        );
    }
    // A validly signed token whose key is RSA under 2048 bits: refused, saying why, not
    // as a signature that does not match.
    let weak: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/auth/rsa_weak_1024.jwk.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let body = serde_json::json!({"keys": [rsa_a().jwk, weak]}).to_string();
    let (_source, _clock, verifier) = setup(Some(body), Duration::ZERO);
    let weak_token = include_str!("fixtures/auth/rsa_weak_1024.token").trim();
    match verifier.verify(weak_token).await {
        Err(Error::AuthConfig { reason }) => assert!(
            reason.contains("1024-bit RSA key, too weak") && reason.contains("rsa-weak"),
            "{reason}"
        ),
        other => panic!("expected DEZKY_AUTH_CONFIG for a weak key, got {other:?}"),
    }
    assert_eq!(code(&verifier, &token(&rsa_a(), Some("rsa-a"))).await, None);
    // A JWKS that is not JSON is an upstream failure, not a configuration error.
    let (_s, _c, verifier) = setup(Some("<html>bad gateway</html>".into()), Duration::ZERO);
    assert_eq!(
        code(&verifier, &token(&rsa_a(), Some("rsa-a"))).await,
        Some("DEZKY_AUTH_KEYS_UNAVAILABLE")
    );
}
