//! The shared HTTP layer against a local mock server: retries only where safe,
//! `Retry-After`, typed errors, timeouts, token refresh after a 401, and no
//! secret in any `Debug`, error or log line.

// Test support: a broken expectation should panic with its message.
#![allow(clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dezky_clients::http::{
    AccessTokenSource, Auth, BoxFuture, HttpClient, HttpConfig, RetryPolicy, Service,
};
use dezky_clients::{Error, Secret};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug)]
struct Test;

impl Service for Test {
    fn name(&self) -> &'static str {
        "test"
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(2),
    }
}

fn client(server: &MockServer, auth: Auth) -> HttpClient {
    let config = HttpConfig::new(&format!("{}/api/v3/", server.uri()))
        .expect("config")
        .with_retry(fast_retries())
        .with_timeout(Duration::from_millis(500));
    HttpClient::new(config, auth, Test).expect("client")
}

#[tokio::test]
async fn a_get_is_retried_after_503_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/core/groups/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/core/groups/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let body: serde_json::Value = client(&server, Auth::None)
        .get("/core/groups/")
        .query("name", "t-acme")
        .send_json()
        .await
        .expect("third attempt succeeds");
    assert_eq!(body["ok"], true);
}

#[tokio::test]
async fn retries_stop_at_the_policy_limit_with_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-request-id", "req-42")
                .set_body_json(serde_json::json!({"detail": "maintenance"})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .get("/core/users/")
        .send()
        .await
        .expect_err("always 503");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    let upstream = error.upstream().expect("upstream error");
    assert_eq!(upstream.status, 503);
    assert_eq!(upstream.request_id.as_deref(), Some("req-42"));
    assert_eq!(upstream.message.as_deref(), Some("maintenance"));
    assert_eq!(upstream.method, "GET");
    assert!(
        upstream.url.ends_with("/api/v3/core/users/"),
        "{}",
        upstream.url
    );
}

#[tokio::test]
async fn a_post_without_idempotency_key_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .post("/core/groups/")
        .json(&serde_json::json!({"name": "t-acme"}))
        .send()
        .await
        .expect_err("503");
    assert_eq!(error.status(), Some(503));
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried_with_the_same_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("idempotency-key", "tenant-acme-customer"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("idempotency-key", "tenant-acme-customer"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server, Auth::None)
        .post("/v1/customers")
        .form([("email", "a@acme.example")])
        .idempotency_key("tenant-acme-customer")
        .send()
        .await
        .expect("retried once");
}

#[tokio::test]
async fn retry_after_is_waited_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server, Auth::None)
        .get("/x")
        .send()
        .await
        .expect("after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once_and_says_how_long() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .get("/x")
        .send()
        .await
        .expect_err("no hour-long wait");
    assert_eq!(error.code(), "DEZKY_RATE_LIMITED");
    assert_eq!(
        error.upstream().and_then(|e| e.retry_after),
        Some(Duration::from_secs(3600))
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_keep_the_upstream_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "itemNotFound", "message": "drive not found",
                      "innererror": {"request-id": "r1"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .get("/v1.0/drives/x")
        .send()
        .await
        .expect_err("404");
    assert!(error.is_not_found());
    assert_eq!(error.code(), "DEZKY_NOT_FOUND");
    let upstream = error.upstream().expect("upstream");
    assert_eq!(upstream.upstream_code.as_deref(), Some("itemNotFound"));
    assert!(error.to_string().contains("drive not found"), "{error}");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .post("/slow")
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("timeout");
    assert_eq!(error.code(), "DEZKY_TIMEOUT");
    assert!(matches!(error, Error::Timeout { after, .. } if after == Duration::from_millis(100)));
}

#[tokio::test]
async fn a_slow_get_is_retried_then_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .expect(3)
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .get("/slow")
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("timeout");
    assert_eq!(error.code(), "DEZKY_TIMEOUT");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let config = HttpConfig::new(&format!("http://127.0.0.1:{port}/graph"))
        .expect("config")
        .with_retry(fast_retries());
    let client = HttpClient::new(config, Auth::None, Test).expect("client");
    let error = client
        .post("/v1.0/drives")
        .json(&serde_json::json!({"name": "acme"}))
        .send()
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "DEZKY_TRANSPORT");
    assert!(error.to_string().contains("127.0.0.1"), "{error}");
}

#[derive(Debug, Default)]
struct CountingTokens {
    minted: AtomicUsize,
    rejected: Mutex<Vec<String>>,
}

impl AccessTokenSource for CountingTokens {
    fn access_token(&self) -> BoxFuture<'_, dezky_clients::Result<Secret>> {
        Box::pin(async move {
            let rejected = self.rejected.lock().expect("lock").len();
            Ok(Secret::new(format!("access-{rejected}")))
        })
    }

    fn token_rejected(&self, token: &Secret) {
        self.minted.fetch_add(1, Ordering::SeqCst);
        self.rejected
            .lock()
            .expect("lock")
            .push(token.expose().to_owned());
    }
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries_once() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer access-0"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let tokens = Arc::new(CountingTokens::default());
    let client = client(&server, Auth::Tokens(tokens.clone()));
    client
        .get("/v1.0/drives")
        .send()
        .await
        .expect("second token works");
    assert_eq!(
        tokens.rejected.lock().expect("lock").as_slice(),
        ["access-0"]
    );

    // A second 401 in a row is the answer, not a loop.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let tokens = Arc::new(CountingTokens::default());
    let error = self::client(&server, Auth::Tokens(tokens.clone()))
        .get("/v1.0/drives")
        .send()
        .await
        .expect_err("401 twice");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAUTHORIZED");
    assert_eq!(tokens.minted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn credentials_are_sent_but_never_shown() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(serde_json::json!({"detail": "nope"})),
        )
        .mount(&server)
        .await;
    Mock::given(header(
        "authorization",
        "Basic YWRtaW46cHctU0VDUkVULTQ1Ng==",
    ))
    .respond_with(ResponseTemplate::new(500))
    .mount(&server)
    .await;
    let bearer = client(&server, Auth::Bearer(Secret::new("tok-SECRET-123")));
    let basic = client(
        &server,
        Auth::Basic {
            username: "admin".into(),
            password: Secret::new("pw-SECRET-456"),
        },
    );
    let e1 = bearer
        .get("/x")
        .query("token", "q-SECRET-789")
        .send()
        .await
        .expect_err("403");
    assert_eq!(e1.code(), "DEZKY_UPSTREAM_FORBIDDEN");
    let e2 = basic.get("/x").send().await.expect_err("500");
    for shown in [
        format!("{bearer:?}"),
        format!("{basic:?}"),
        format!("{e1:?}"),
        e1.to_string(),
        format!("{e2:?}"),
        e2.to_string(),
    ] {
        assert!(!shown.contains("SECRET"), "secret shown: {shown}");
    }
}

#[tokio::test]
async fn an_undecodable_answer_names_the_field() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Group {
        pk: String,
        num_pk: u64,
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"pk": "x", "num_pk": "seven"})),
        )
        .mount(&server)
        .await;
    let error = client(&server, Auth::None)
        .get("/core/groups/x/")
        .send_json::<Group>()
        .await
        .expect_err("bad shape");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    assert!(error.to_string().contains("num_pk"), "{error}");
}

#[tokio::test]
async fn a_304_is_an_answer_only_to_a_conditional_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/flags"))
        .and(header("if-none-match", "\"v7\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v7\""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/flags"))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server, Auth::None);
    let answer = http
        .get("/flags")
        .if_none_match("\"v7\"")
        .send()
        .await
        .expect("304 to a conditional request");
    assert_eq!(answer.status, 304);
    assert_eq!(answer.header("etag"), Some("\"v7\""));
    assert!(answer.body.is_empty());
    // Unasked for, a 304 is an upstream error like any other non-2xx.
    match http.get("/flags").send().await {
        Err(Error::Upstream(e)) => assert_eq!(e.status, 304),
        other => panic!("{other:?}"),
    }
}
