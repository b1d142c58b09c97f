//! Access-token verification end to end: a mock Authentik (discovery + JWKS) on 127.0.0.1, the
//! HTTP key source, and a corpus of bad tokens, each rejected with its own error.

mod auth_support;

use std::sync::Arc;

use auth_support::*;
use dezky::clients::oidc::OidcKeySource;
use dezky::core::auth::{Surface, TokenClient, TokenVerifier, VerifierConfig};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use wiremock::MockServer;

struct Env {
    _server: MockServer,
    portal: String,
    operator: String,
    stranger: String,
    verifier: TokenVerifier,
}

/// Portal issuer: RSA A, EC P-256, EC P-384, Ed25519 and an encryption key. Operator issuer:
/// RSA B. A third app (`other-app`, RSA C) is served but not configured.
async fn env() -> Env {
    let server = MockServer::start().await;
    let mut enc = rsa_c().jwk;
    enc["kid"] = json!("enc-1");
    enc["use"] = json!("enc");
    enc["alg"] = json!("RSA-OAEP-256");
    let mut portal_keys: Value =
        serde_json::from_str(&jwks(&[&rsa_a(), &ec_p256(), &ec_p384(), &ed25519()]))
            .unwrap_or_else(|e| panic!("{e}"));
    if let Some(keys) = portal_keys["keys"].as_array_mut() {
        keys.push(enc);
    }
    let portal = mount_issuer(&server, "dezky-portal", &portal_keys.to_string()).await;
    let operator = mount_issuer(&server, "dezky-operator", &jwks(&[&rsa_b()])).await;
    let stranger = mount_issuer(&server, "other-app", &jwks(&[&rsa_c()])).await;
    let config = VerifierConfig::from_env_values(
        &format!("{portal},{operator}"),
        "dezky-portal,dezky-operator",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let source = Arc::new(OidcKeySource::new().unwrap_or_else(|e| panic!("{e}")));
    let verifier = TokenVerifier::new(config, source).unwrap_or_else(|e| panic!("{e}"));
    Env {
        _server: server,
        portal,
        operator,
        stranger,
        verifier,
    }
}

fn parts(token: &str) -> (String, String, String) {
    let mut it = token.split('.').map(str::to_owned);
    (
        it.next().unwrap_or_default(),
        it.next().unwrap_or_default(),
        it.next().unwrap_or_default(),
    )
}

fn with(claims: &Value, edits: &[(&str, Value)]) -> Value {
    let mut c = claims.clone();
    for (k, v) in edits {
        if v.is_null() {
            c.as_object_mut().map(|o| o.remove(*k));
        } else {
            c[*k] = v.clone();
        }
    }
    c
}

/// The corpus: (description, token, expected error code).
fn corpus(env: &Env) -> Vec<(String, String, &'static str)> {
    let now = now();
    let a = rsa_a();
    let base = claims(&env.portal, "dezky-portal", now);
    let good = sign(&a, &base);
    let (gh, gp, gs) = parts(&good);
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-a"});
    let mut out: Vec<(String, String, &'static str)> = Vec::new();
    let mut push = |d: &str, t: String, code: &'static str| out.push((d.to_owned(), t, code));

    const SIG: &str = "DEZKY_TOKEN_BAD_SIGNATURE";
    const MAL: &str = "DEZKY_TOKEN_MALFORMED";
    const EXP: &str = "DEZKY_TOKEN_EXPIRED";
    const NYV: &str = "DEZKY_TOKEN_NOT_YET_VALID";
    const ISS: &str = "DEZKY_TOKEN_UNKNOWN_ISSUER";
    const AUD: &str = "DEZKY_TOKEN_WRONG_AUDIENCE";
    const KEY: &str = "DEZKY_TOKEN_UNKNOWN_KEY";

    // alg: none, in every spelling, with and without a signature.
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = json!({"alg": alg, "typ": "JWT"});
        push(
            &format!("alg {alg}, empty signature"),
            raw(&h, &base, ""),
            SIG,
        );
        push(
            &format!("alg {alg}, kept signature"),
            raw(&h, &base, &gs),
            SIG,
        );
        let h = json!({"alg": alg, "kid": "rsa-a"});
        push(&format!("alg {alg} with kid"), raw(&h, &base, ""), SIG);
    }
    // Algorithm confusion: HMAC keyed with public material.
    let public_secrets: Vec<(&str, Vec<u8>)> = vec![
        ("public JWK JSON", a.jwk.to_string().into_bytes()),
        (
            "modulus",
            a.jwk["n"].as_str().unwrap_or_default().as_bytes().to_vec(),
        ),
        ("private PEM text", a.pem.as_bytes().to_vec()),
    ];
    for (what, secret) in &public_secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut h = jsonwebtoken::Header::new(alg);
            h.kid = Some("rsa-a".into());
            let t =
                jsonwebtoken::encode(&h, &base, &jsonwebtoken::EncodingKey::from_secret(secret))
                    .unwrap_or_else(|e| panic!("{e}"));
            push(&format!("{alg:?} keyed with the {what}"), t, SIG);
        }
    }
    // Algorithm switches on a real signature.
    for alg in ["RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] {
        let h = json!({"alg": alg, "typ": "JWT", "kid": "rsa-a"});
        push(
            &format!("header alg {alg} over an RS256 signature"),
            format!("{}.{gp}.{gs}", b64(h.to_string().as_bytes())),
            SIG,
        );
    }
    push(
        "PS256 token signed by the RSA key but claims RS256",
        {
            let t = sign_as(&a, Algorithm::PS256, Some("rsa-a"), &base);
            let (_, p, s) = parts(&t);
            format!("{gh}.{p}.{s}")
        },
        SIG,
    );
    push(
        "ES384 header with the P-256 kid",
        sign_as(&ec_p384(), Algorithm::ES384, Some("ec-256"), &base),
        SIG,
    );
    push(
        "ES256 by the P-384 kid",
        sign_as(&ec_p256(), Algorithm::ES256, Some("ec-384"), &base),
        SIG,
    );
    push(
        "RS256 header naming the Ed25519 key",
        sign_as(&a, Algorithm::RS256, Some("ed-1"), &base),
        SIG,
    );
    push(
        "unknown algorithm RS1",
        raw(&json!({"alg": "RS1", "kid": "rsa-a"}), &base, &gs),
        SIG,
    );
    push(
        "algorithm ES512 (unsupported)",
        raw(&json!({"alg": "ES512", "kid": "ec-256"}), &base, &gs),
        SIG,
    );
    push(
        "header alg missing",
        raw(&json!({"kid": "rsa-a"}), &base, &gs),
        MAL,
    );
    push(
        "header alg is a number",
        raw(&json!({"alg": 256, "kid": "rsa-a"}), &base, &gs),
        MAL,
    );
    push(
        "header alg is a list",
        raw(&json!({"alg": ["RS256"], "kid": "rsa-a"}), &base, &gs),
        MAL,
    );
    // Tampered header (the signature covers it).
    for (what, h) in [
        (
            "kid switched to another real key",
            json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-b"}),
        ),
        (
            "extra header field",
            json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-a", "x": 1}),
        ),
        (
            "embedded jwk",
            json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-a", "jwk": rsa_c().jwk}),
        ),
        (
            "jku pointing elsewhere",
            json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-a", "jku": "https://evil.example/jwks"}),
        ),
        (
            "typ changed",
            json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa-a"}),
        ),
        (
            "header re-serialized without typ",
            json!({"alg": "RS256", "kid": "rsa-a"}),
        ),
    ] {
        let code = if what.starts_with("kid switched") {
            KEY
        } else {
            SIG
        };
        // rsa-b belongs to the operator issuer, not the portal's.
        push(
            &format!("tampered header: {what}"),
            format!("{}.{gp}.{gs}", b64(h.to_string().as_bytes())),
            code,
        );
    }
    push(
        "crit header",
        raw(
            &json!({"alg": "RS256", "kid": "rsa-a", "crit": ["exp"]}),
            &base,
            &gs,
        ),
        MAL,
    );
    // Tampered payload.
    for (what, edits) in [
        ("sub", vec![("sub", json!("someone-else"))]),
        ("email", vec![("email", json!("root@dezky.example"))]),
        ("groups", vec![("groups", json!(["dezky-platform-admins"]))]),
        ("exp pushed out", vec![("exp", json!(now + 86_400 * 365))]),
        ("exp in the past", vec![("exp", json!(now - 3600))]),
        ("extra claim", vec![("platformAdmin", json!(true))]),
        ("aud switched", vec![("aud", json!("dezky-operator"))]),
        (
            "iss switched to the operator issuer",
            vec![("iss", json!(env.operator))],
        ),
    ] {
        let p = b64(with(&base, &edits).to_string().as_bytes());
        let code = if what.starts_with("iss") { KEY } else { SIG };
        push(
            &format!("tampered payload: {what}"),
            format!("{gh}.{p}.{gs}"),
            code,
        );
    }
    push(
        "payload re-serialized with whitespace",
        {
            let p = b64(serde_json::to_string_pretty(&base)
                .unwrap_or_default()
                .as_bytes());
            format!("{gh}.{p}.{gs}")
        },
        SIG,
    );
    // Tampered signature.
    let sig = unb64(&gs);
    for pos in [0, 1, 17, 100, 128, 200, 254] {
        let mut s = sig.clone();
        s[pos] ^= 0x01;
        push(
            &format!("signature bit flipped at byte {pos}"),
            format!("{gh}.{gp}.{}", b64(&s)),
            SIG,
        );
    }
    push(
        "signature truncated",
        format!("{gh}.{gp}.{}", b64(&sig[..128])),
        SIG,
    );
    push(
        "signature extended",
        format!("{gh}.{gp}.{}", b64(&[&sig[..], &[0u8]].concat())),
        SIG,
    );
    push(
        "signature of another token",
        {
            let other = sign(&a, &with(&base, &[("sub", json!("x"))]));
            format!("{gh}.{gp}.{}", parts(&other).2)
        },
        SIG,
    );
    push(
        "signature by another key",
        format!("{gh}.{gp}.{}", parts(&sign(&rsa_b(), &base)).2),
        SIG,
    );
    push("signature with base64 padding", format!("{good}=="), MAL);
    push(
        "signature in standard base64",
        format!(
            "{gh}.{gp}.{}",
            gs.replace('-', "+").replace('_', "/") + "+/"
        ),
        MAL,
    );
    push("signature removed", format!("{gh}.{gp}."), SIG);
    push("signature is garbage", format!("{gh}.{gp}.!!!!"), MAL);
    // kid.
    push(
        "kid missing",
        sign_as(&a, Algorithm::RS256, None, &base),
        KEY,
    );
    push(
        "kid unknown",
        sign_as(&a, Algorithm::RS256, Some("rsa-z"), &base),
        KEY,
    );
    push(
        "kid empty",
        sign_as(&a, Algorithm::RS256, Some(""), &base),
        KEY,
    );
    push(
        "kid of the encryption key",
        sign_as(&a, Algorithm::RS256, Some("enc-1"), &base),
        KEY,
    );
    push(
        "kid very long",
        sign_as(&a, Algorithm::RS256, Some(&"k".repeat(2000)), &base),
        KEY,
    );
    push(
        "kid with a line break",
        sign_as(&a, Algorithm::RS256, Some("rsa-a\nrsa-a"), &base),
        KEY,
    );
    push(
        "kid of the unconfigured issuer's key",
        sign_as(&a, Algorithm::RS256, Some("rsa-c"), &base),
        KEY,
    );
    push(
        "kid is a number",
        raw(&json!({"alg": "RS256", "kid": 7}), &base, &gs),
        MAL,
    );
    // Time.
    for (what, exp) in [
        ("31 s ago", now - 31),
        ("an hour ago", now - 3600),
        ("epoch 0", 0),
        ("epoch 1", 1),
    ] {
        push(
            &format!("expired {what}"),
            sign(&a, &with(&base, &[("exp", json!(exp))])),
            EXP,
        );
    }
    for (what, nbf) in [
        ("in 45 s", now + 45),
        ("in an hour", now + 3600),
        ("in 2100", 4_102_444_800u64),
    ] {
        push(
            &format!("nbf {what}"),
            sign(&a, &with(&base, &[("nbf", json!(nbf))])),
            NYV,
        );
    }
    push(
        "iat in the future",
        sign(&a, &with(&base, &[("iat", json!(now + 120))])),
        NYV,
    );
    push(
        "exp missing",
        sign(&a, &with(&base, &[("exp", Value::Null)])),
        MAL,
    );
    push(
        "exp a string",
        sign(&a, &with(&base, &[("exp", json!((now + 600).to_string()))])),
        MAL,
    );
    push(
        "exp negative",
        sign(&a, &with(&base, &[("exp", json!(-1))])),
        MAL,
    );
    push(
        "nbf a string",
        sign(&a, &with(&base, &[("nbf", json!("now"))])),
        MAL,
    );
    // Numbers that cannot be a time (past 9999-12-31T23:59:59Z, negative, fractional
    // negative), signed by a real key: refused as malformed, never as valid or expired.
    for (claim, value) in [
        ("exp", json!(1e300)),
        ("exp", json!(253_402_300_800u64)),
        ("exp", json!(u64::MAX)),
        ("exp", json!(-0.5)),
        ("nbf", json!(1e300)),
        ("nbf", json!(-1)),
        ("iat", json!(1e20)),
        ("iat", json!(-1.5)),
    ] {
        push(
            &format!("{claim} {value}"),
            sign(&a, &with(&base, &[(claim, value.clone())])),
            MAL,
        );
    }
    // A member named twice, in the payload or the header, each token correctly signed:
    // refused whichever copy a parser would take.
    let payload_text = base.to_string();
    let claim_copies = [
        ("iss", json!("https://elsewhere.example/")),
        ("aud", json!("dezky-operator")),
        ("sub", json!("someone-else")),
        ("exp", json!(now + 86_400 * 365)),
        ("groups", json!(["dezky-platform-admins"])),
    ];
    for (claim, other) in claim_copies {
        let twice = format!(
            "{},{}:{}}}",
            payload_text.trim_end_matches('}'),
            json!(claim),
            other
        );
        push(
            &format!("payload names {claim} twice"),
            sign_raw(&a, &header.to_string(), &twice),
            MAL,
        );
    }
    for (member, copy) in [
        ("alg", r#""alg":"RS256""#),
        ("kid", r#""kid":"rsa-b""#),
        ("typ", r#""typ":"JWT""#),
    ] {
        let text = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"rsa-a",{copy}}}"#);
        push(
            &format!("header names {member} twice"),
            sign_raw(&a, &text, &payload_text),
            MAL,
        );
    }
    push(
        "a nested object names a member twice",
        sign_raw(
            &a,
            &header.to_string(),
            &format!(
                r#"{},"address":{{"country":"DE","country":"FR"}}}}"#,
                payload_text.trim_end_matches('}')
            ),
        ),
        MAL,
    );
    // Issuer.
    let portal_no_slash = env.portal.trim_end_matches('/').to_owned();
    for (what, iss) in [
        ("without its trailing slash", json!(portal_no_slash)),
        ("with a double slash", json!(format!("{}/", env.portal))),
        ("in upper case", json!(env.portal.to_uppercase())),
        (
            "over https",
            json!(env.portal.replace("http://", "https://")),
        ),
        ("of another app", json!(env.stranger)),
        ("empty", json!("")),
        ("with a trailing space", json!(format!("{} ", env.portal))),
    ] {
        push(
            &format!("issuer {what}"),
            sign(&a, &with(&base, &[("iss", iss)])),
            ISS,
        );
    }
    push(
        "issuer missing",
        sign(&a, &with(&base, &[("iss", Value::Null)])),
        MAL,
    );
    push(
        "issuer a number",
        sign(&a, &with(&base, &[("iss", json!(1))])),
        MAL,
    );
    push(
        "issuer a list",
        sign(&a, &with(&base, &[("iss", json!([env.portal]))])),
        MAL,
    );
    push(
        "valid token of an unconfigured issuer",
        sign(&rsa_c(), &claims(&env.stranger, "other-app", now)),
        ISS,
    );
    push(
        "valid token of an unconfigured issuer, our audience",
        sign(&rsa_c(), &claims(&env.stranger, "dezky-portal", now)),
        ISS,
    );
    push(
        "token of the global issuer",
        sign(
            &a,
            &with(&base, &[("iss", json!(format!("{}/", _server_uri(env))))]),
        ),
        ISS,
    );
    // Audience.
    for (what, aud) in [
        (
            "the operator's, on the portal issuer",
            json!("dezky-operator"),
        ),
        ("another client", json!("other-app")),
        ("in a list of strangers", json!(["other-app", "account"])),
        ("an empty list", json!([])),
        ("in upper case", json!("DEZKY-PORTAL")),
        ("with a trailing space", json!("dezky-portal ")),
        ("empty", json!("")),
    ] {
        push(
            &format!("audience {what}"),
            sign(&a, &with(&base, &[("aud", aud)])),
            AUD,
        );
    }
    push(
        "audience missing",
        sign(&a, &with(&base, &[("aud", Value::Null)])),
        AUD,
    );
    push(
        "audience a number",
        sign(&a, &with(&base, &[("aud", json!(42))])),
        MAL,
    );
    push(
        "audience list with a number",
        sign(&a, &with(&base, &[("aud", json!(["dezky-portal", 1]))])),
        MAL,
    );
    push(
        "operator token for the portal audience",
        sign(&rsa_b(), &claims(&env.operator, "dezky-portal", now)),
        AUD,
    );
    // Claims of the wrong shape.
    push(
        "sub missing",
        sign(&a, &with(&base, &[("sub", Value::Null)])),
        MAL,
    );
    push(
        "sub empty",
        sign(&a, &with(&base, &[("sub", json!(""))])),
        MAL,
    );
    push(
        "sub a number",
        sign(&a, &with(&base, &[("sub", json!(5))])),
        MAL,
    );
    push(
        "groups a string",
        sign(&a, &with(&base, &[("groups", json!("acme"))])),
        MAL,
    );
    push(
        "groups with a number",
        sign(&a, &with(&base, &[("groups", json!(["acme", 1]))])),
        MAL,
    );
    push(
        "email a number",
        sign(&a, &with(&base, &[("email", json!(1))])),
        MAL,
    );
    // Size.
    push(
        "one byte over 16 KiB",
        format!("{good}{}", "A".repeat(16 * 1024 + 1 - good.len())),
        MAL,
    );
    push("1 MiB", "A".repeat(1024 * 1024), MAL);
    push(
        "huge groups claim",
        sign(
            &a,
            &with(&base, &[("groups", json!(vec!["g".repeat(50); 400]))]),
        ),
        MAL,
    );
    // Not a JWT, not base64, not JSON.
    let hj = b64(header.to_string().as_bytes());
    for (what, t) in [
        ("empty", String::new()),
        ("one dot", ".".to_owned()),
        ("two dots", "..".to_owned()),
        ("two parts", format!("{gh}.{gp}")),
        ("four parts", format!("{good}.x")),
        ("five parts (JWE)", format!("{gh}.a.b.c.d")),
        ("Bearer prefix", format!("Bearer {good}")),
        ("leading space", format!(" {good}")),
        ("trailing newline", format!("{good}\n")),
        ("header not base64", format!("!!.{gp}.{gs}")),
        ("payload not base64", format!("{gh}.$$.{gs}")),
        ("header padded base64", format!("{}=.{gp}.{gs}", gh)),
        ("header not JSON", format!("{}.{gp}.{gs}", b64(b"not json"))),
        (
            "payload not JSON",
            format!("{gh}.{}.{gs}", b64(b"not json")),
        ),
        ("payload JSON array", format!("{gh}.{}.{gs}", b64(b"[1,2]"))),
        (
            "payload JSON string",
            format!("{gh}.{}.{gs}", b64(b"\"x\"")),
        ),
        ("header JSON array", format!("{}.{gp}.{gs}", b64(b"[]"))),
        (
            "payload truncated JSON",
            format!("{gh}.{}.{gs}", b64(&base.to_string().as_bytes()[..20])),
        ),
        (
            "payload invalid UTF-8",
            format!("{gh}.{}.{gs}", b64(&[0xff, 0xfe, 0x7b])),
        ),
        ("NUL bytes", "\0\0\0.\0.\0".to_owned()),
        ("unicode", "ä.ö.ü".to_owned()),
        ("random text", "this is not a token".to_owned()),
        ("header alone", hj.clone()),
        ("empty header", format!(".{gp}.{gs}")),
        ("empty payload", format!("{gh}..{gs}")),
    ] {
        push(&format!("not a JWT: {what}"), t, MAL);
    }
    out
}

fn _server_uri(env: &Env) -> String {
    env.portal
        .split("/application/")
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_token_is_rejected_with_its_error() {
    let env = env().await;
    let corpus = corpus(&env);
    assert!(
        corpus.len() >= 100,
        "the corpus has {} tokens",
        corpus.len()
    );
    let mut wrong = Vec::new();
    for (what, token, code) in &corpus {
        match env.verifier.verify(token).await {
            Ok(actor) => wrong.push(format!("{what}: accepted as {}", actor.subject)),
            Err(e) if e.code() != *code => {
                wrong.push(format!("{what}: {} ({e}), expected {code}", e.code()))
            }
            Err(e) => {
                // No error repeats the token or any of its parts.
                let shown = format!("{e} {e:?}");
                for part in token.split('.').filter(|p| p.len() >= 16) {
                    assert!(
                        !shown.contains(part),
                        "{what}: the error shows the token: {shown}"
                    );
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn valid_tokens_of_every_key_type_verify() {
    let env = env().await;
    let now = now();
    for key in [rsa_a(), ec_p256(), ec_p384(), ed25519()] {
        let token = sign(&key, &claims(&env.portal, "dezky-portal", now));
        let actor = env
            .verifier
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", key.kid));
        assert_eq!(actor.subject, "b2d7c0ffee");
        assert_eq!(actor.surface, Surface::Portal);
        assert_eq!(actor.email.as_deref(), Some("ada@acme.example"));
        assert_eq!(actor.name.as_deref(), Some("Ada Admin"));
        assert_eq!(actor.groups, vec!["acme", "dezky-partner-staff"]);
        assert_eq!(actor.issuer, env.portal);
        assert_eq!(actor.audience, "dezky-portal");
        assert_eq!(actor.expires_at, now + 600);
    }
    let ps = sign_as(
        &rsa_a(),
        Algorithm::PS256,
        Some("rsa-a"),
        &claims(&env.portal, "dezky-portal", now),
    );
    // Authentik's JWK names `alg: RS256`, which pins the key to it.
    let pinned = env.verifier.verify(&ps).await.err().map(|e| e.code());
    assert_eq!(pinned, Some("DEZKY_TOKEN_BAD_SIGNATURE"));
    let op = sign(&rsa_b(), &claims(&env.operator, "dezky-operator", now));
    let actor = env
        .verifier
        .verify(&op)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(actor.surface, Surface::Operator);
    // Within the 30 s leeway; `aud` as a list; `preferred_username` when there is no `name`.
    let mut c = claims(&env.portal, "dezky-portal", now);
    c["exp"] = json!(now - 10);
    c["nbf"] = json!(now + 10);
    c["aud"] = json!(["account", "dezky-portal"]);
    c.as_object_mut().map(|o| o.remove("name"));
    c["preferred_username"] = json!("ada");
    let actor = env
        .verifier
        .verify(&sign(&rsa_a(), &c))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(actor.name.as_deref(), Some("ada"));
    // RFC 7519 NumericDates may be fractional: the fraction is dropped.
    let mut c = claims(&env.portal, "dezky-portal", now);
    c["exp"] = json!(now as f64 + 600.75);
    c["iat"] = json!(now as f64 - 4.5);
    let actor = env
        .verifier
        .verify(&sign(&rsa_a(), &c))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(actor.expires_at, now + 600);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_without_a_restart() {
    let server = MockServer::start().await;
    let issuer = mount_issuer(&server, "dezky-portal", &jwks(&[&rsa_a()])).await;
    let config = VerifierConfig::new(vec![TokenClient::new(
        &issuer,
        "dezky-portal",
        Surface::Portal,
    )]);
    let clock = Arc::new(dezky::core::auth::ManualClock::new(
        std::time::Duration::from_secs(now()),
    ));
    let source = Arc::new(OidcKeySource::new().unwrap_or_else(|e| panic!("{e}")));
    let verifier =
        TokenVerifier::with_clock(config, source, clock.clone()).unwrap_or_else(|e| panic!("{e}"));
    let c = claims(&issuer, "dezky-portal", now());
    assert!(verifier.verify(&sign(&rsa_a(), &c)).await.is_ok());
    // Authentik rotates: the JWKS now holds B (and still A).
    server.reset().await;
    mount_issuer(&server, "dezky-portal", &jwks(&[&rsa_b(), &rsa_a()])).await;
    let rotated = sign(&rsa_b(), &c);
    // Right after the first fetch the refresh is rate-limited...
    clock.advance(std::time::Duration::from_secs(5));
    let err = verifier.verify(&rotated).await.err();
    assert_eq!(err.map(|e| e.code()), Some("DEZKY_TOKEN_UNKNOWN_KEY"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // ...and once the interval has passed, the unknown kid triggers one re-read.
    clock.advance(std::time::Duration::from_secs(30));
    let actor = verifier
        .verify(&rotated)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(actor.subject, "b2d7c0ffee");
    assert!(verifier.verify(&sign(&rsa_a(), &c)).await.is_ok());
    let requests = server.received_requests().await.unwrap_or_default();
    // One JWKS read; the jwks_uri from discovery is remembered.
    assert_eq!(requests.len(), 1);
}

async fn config_error(server: &MockServer, issuer: &str) -> dezky::core::Error {
    let config = VerifierConfig::new(vec![TokenClient::new(
        issuer,
        "dezky-portal",
        Surface::Portal,
    )]);
    let source = Arc::new(OidcKeySource::new().unwrap_or_else(|e| panic!("{e}")));
    let verifier = TokenVerifier::new(config, source).unwrap_or_else(|e| panic!("{e}"));
    let _ = server;
    match verifier
        .verify(&sign(&rsa_a(), &claims(issuer, "dezky-portal", now())))
        .await
    {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn an_issuer_without_signing_keys_is_a_configuration_error() {
    let server = MockServer::start().await;
    // Authentik without a signing key: discovery lists HS256, the JWKS is `{}`.
    let issuer = format!("{}/application/o/hs-app/", server.uri());
    mount_issuer_docs(&server, "hs-app", &issuer, &["HS256"], "{}").await;
    let e = config_error(&server, &issuer).await;
    assert_eq!(e.code(), "DEZKY_AUTH_CONFIG");
    assert!(e.to_string().contains("HS256"), "{e}");
    // The same with discovery listing RS256 but an empty key list.
    for body in ["{}", r#"{"keys": []}"#] {
        let issuer = format!("{}/application/o/empty-{}/", server.uri(), body.len());
        mount_issuer_docs(
            &server,
            &format!("empty-{}", body.len()),
            &issuer,
            &["RS256"],
            body,
        )
        .await;
        let e = config_error(&server, &issuer).await;
        assert_eq!(e.code(), "DEZKY_AUTH_CONFIG", "{body}");
        assert!(
            e.to_string().contains("HS256") && e.to_string().contains("signing key"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_a_configuration_error() {
    let server = MockServer::start().await;
    let real = format!("{}/application/o/dezky-portal/", server.uri());
    mount_issuer_docs(
        &server,
        "dezky-portal",
        &real,
        &["RS256"],
        &jwks(&[&rsa_a()]),
    )
    .await;
    // Configured without the trailing slash: discovery still answers, but names `real`.
    let e = config_error(&server, real.trim_end_matches('/')).await;
    assert_eq!(e.code(), "DEZKY_AUTH_CONFIG");
    assert!(e.to_string().contains("trailing slash"), "{e}");
}

#[tokio::test]
async fn an_unreachable_issuer_is_keys_unavailable() {
    let server = MockServer::start().await;
    let issuer = format!("{}/application/o/nothing-here/", server.uri());
    let e = config_error(&server, &issuer).await;
    assert_eq!(e.code(), "DEZKY_AUTH_KEYS_UNAVAILABLE", "{e}");
}

#[tokio::test]
async fn debug_output_and_errors_never_show_the_token() {
    let env = env().await;
    let token = sign(&rsa_a(), &claims(&env.portal, "dezky-portal", now()));
    let actor = env
        .verifier
        .verify(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (h, p, s) = parts(&token);
    for shown in [format!("{actor:?}"), format!("{:?}", env.verifier)] {
        for part in [&h, &p, &s] {
            assert!(!shown.contains(part.as_str()), "{shown}");
        }
    }
    let expired = sign(
        &rsa_a(),
        &with(
            &claims(&env.portal, "dezky-portal", now()),
            &[("exp", json!(1))],
        ),
    );
    let e = env
        .verifier
        .verify(&expired)
        .await
        .err()
        .map(|e| format!("{e} {e:?}"))
        .unwrap_or_default();
    assert!(!e.is_empty() && !e.contains(&parts(&expired).2), "{e}");
}
