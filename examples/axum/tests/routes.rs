//! The example's routes called through the router: tokens signed by the test
//! key and verified against its JWKS, allowed and refused callers, bad
//! bodies, and the statuses of the core's table.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use dezky_core::auth::{KeySource, TokenVerifier, VerifierConfig};
use dezky_core::provisioning::Provisioner;
use dezky_core::provisioning::memory::MemoryUpstream;
use dezky_example_axum::{Db, Portal, app};
use dezky_flags::FlagSet;
use futures_util::future::BoxFuture;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const PORTAL: &str = "https://id.dezky.local/application/o/dezky-portal/";
const OPERATOR: &str = "https://id.dezky.local/application/o/dezky-operator/";
const ACME: &str = "6650f1c2a9b4e3d2c1b0a998";
const PARTNER: &str = "6650f1c2a9b4e3d2c1b0a777";
const KEY: &str = include_str!("../../../tests/fixtures/auth/rsa_a.pem");

fn key() -> EncodingKey {
    EncodingKey::from_rsa_pem(KEY.as_bytes()).unwrap()
}

/// The JWKS of the test key, for every issuer.
struct Keys(String);

impl KeySource for Keys {
    fn fetch_jwks<'a>(&'a self, _issuer: &'a str) -> BoxFuture<'a, dezky_core::Result<String>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn portal() -> Arc<Portal> {
    let mut jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key(), Algorithm::RS256).unwrap()).unwrap();
    jwk["kid"] = json!("rsa-a");
    let config = VerifierConfig::from_env_values(
        &format!("{PORTAL},{OPERATOR}"),
        "dezky-portal,dezky-operator",
    )
    .unwrap();
    let verifier =
        TokenVerifier::new(config, Arc::new(Keys(json!({"keys": [jwk]}).to_string()))).unwrap();
    let flags = FlagSet::from_json(
        &json!([
            {"key": "jmap_native_v2", "state": "targeted", "scope": {"plans": ["business"]}},
            {"key": "partner_portal", "state": "targeted", "scope": {"partnerSlugs": ["nordic-it"]}},
            {"key": "always_on", "state": "on"},
        ])
        .to_string(),
    )
    .unwrap();
    let user = |id: &str, sub: &str, extra: Value| {
        let mut doc = object(json!({"_id": id, "authentikSubjectId": sub, "__v": 0}));
        doc.extend(object(extra));
        doc
    };
    let db = Db {
        tenants: vec![object(json!({
            "_id": ACME, "slug": "acme", "name": "Acme Co", "status": "active", "plan": "business",
            "partnerId": PARTNER, "domains": ["acme.test"], "__v": 3,
        }))],
        partners: vec![object(
            json!({"_id": PARTNER, "slug": "nordic-it", "status": "active"}),
        )],
        users: vec![
            user(
                "6650f1c2a9b4e3d2c1b0a001",
                "root",
                json!({"platformAdmin": true}),
            ),
            user(
                "6650f1c2a9b4e3d2c1b0a002",
                "ada",
                json!({"tenantIds": [ACME], "tenantRoles": {ACME: "admin"}}),
            ),
            user("6650f1c2a9b4e3d2c1b0a004", "eve", json!({})),
        ],
    };
    let provisioner = MemoryUpstream::all()
        .into_iter()
        .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u)));
    Arc::new(Portal {
        verifier,
        provisioner,
        flags,
        environment: "prod".into(),
        db: Mutex::new(db),
    })
}

fn token(subject: &str, operator: bool) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (iss, aud) = if operator {
        (OPERATOR, "dezky-operator")
    } else {
        (PORTAL, "dezky-portal")
    };
    let claims = json!({"iss": iss, "aud": aud, "sub": subject, "exp": now + 300, "iat": now - 5});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-a".into());
    jsonwebtoken::encode(&header, &claims, &key()).unwrap()
}

async fn call(
    portal: &Arc<Portal>,
    method: &str,
    uri: &str,
    auth: Option<String>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = app(portal.clone())
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn bearer(subject: &str) -> Option<String> {
    Some(format!("Bearer {}", token(subject, false)))
}

#[tokio::test]
async fn me_needs_a_valid_token_and_a_user_record() {
    let p = portal();
    let (status, body) = call(&p, "GET", "/api/me", bearer("ada"), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["subject"], "ada");
    assert_eq!(body["tenants"][0]["slug"], "acme");
    assert_eq!(body["tenants"][0]["role"], "admin");

    let (status, body) = call(&p, "GET", "/api/me", None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "DEZKY_TOKEN_MALFORMED");
    let (status, body) = call(&p, "GET", "/api/me", Some("Bearer a.b.c".into()), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "DEZKY_TOKEN_MALFORMED");
    let (status, body) = call(&p, "GET", "/api/me", bearer("nobody"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "DEZKY_FORBIDDEN");
}

#[tokio::test]
async fn flags_are_evaluated_on_the_tenant_record_never_the_body() {
    let p = portal();
    let (status, body) = call(&p, "POST", "/api/flags/evaluate", bearer("ada"), "{}").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"jmap_native_v2": true, "partner_portal": true, "always_on": true})
    );

    let (status, body) = call(
        &p,
        "POST",
        "/api/flags/evaluate",
        bearer("ada"),
        r#"{"plan": "starter"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "DEZKY_INVALID_ARGUMENT");
    assert_eq!(body["details"]["field"], "plan");
    let (status, body) = call(&p, "POST", "/api/flags/evaluate", bearer("ada"), "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "DEZKY_MALFORMED_JSON");
    let (status, body) = call(
        &p,
        "POST",
        "/api/flags/evaluate",
        bearer("eve"),
        r#"{"tenant": "acme"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "DEZKY_FORBIDDEN");
    let (status, body) = call(
        &p,
        "POST",
        "/api/flags/evaluate",
        bearer("ada"),
        r#"{"tenant": "nope"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "DEZKY_NOT_FOUND");
}

#[tokio::test]
async fn suspending_a_tenant_is_for_the_operator_app_and_follows_the_status_machine() {
    let p = portal();
    let uri = "/api/tenants/acme/suspend";
    let (status, body) = call(&p, "POST", uri, bearer("root"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a portal token: {body}");
    let operator = |sub: &str| Some(format!("Bearer {}", token(sub, true)));
    let (status, _) = call(&p, "POST", uri, operator("ada"), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not a platform admin");
    let (status, body) = call(&p, "POST", uri, operator("root"), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tenant"]["status"], "suspended");
    let (status, body) = call(&p, "POST", uri, operator("root"), "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "DEZKY_ILLEGAL_TRANSITION");
    assert_eq!(body["details"]["fromStatus"], "suspended");
    let (status, _) = call(
        &p,
        "POST",
        "/api/tenants/nope/suspend",
        operator("root"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
