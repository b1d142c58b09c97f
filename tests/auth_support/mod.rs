//! Shared by the `auth_*` tests: checked-in test keys, token signing, a JWKS, a mock Authentik.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A test signing key with its public JWK.
pub struct TestKey {
    pub kid: &'static str,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub jwk: Value,
    pub pem: &'static str,
}

fn key(kid: &'static str, alg: Algorithm, pem: &'static str) -> TestKey {
    let encoding = match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .unwrap_or_else(|e| panic!("{kid}: {e}"));
    let jwk = Jwk::from_encoding_key(&encoding, alg).unwrap_or_else(|e| panic!("{kid}: {e}"));
    let mut jwk = serde_json::to_value(jwk).unwrap_or_else(|e| panic!("{e}"));
    jwk["kid"] = json!(kid);
    jwk["use"] = json!("sig");
    TestKey {
        kid,
        alg,
        encoding,
        jwk,
        pem,
    }
}

pub fn rsa_a() -> TestKey {
    key(
        "rsa-a",
        Algorithm::RS256,
        include_str!("../fixtures/auth/rsa_a.pem"),
    )
}
pub fn rsa_b() -> TestKey {
    key(
        "rsa-b",
        Algorithm::RS256,
        include_str!("../fixtures/auth/rsa_b.pem"),
    )
}
pub fn rsa_c() -> TestKey {
    key(
        "rsa-c",
        Algorithm::RS256,
        include_str!("../fixtures/auth/rsa_c.pem"),
    )
}
pub fn ec_p256() -> TestKey {
    key(
        "ec-256",
        Algorithm::ES256,
        include_str!("../fixtures/auth/ec_p256.pem"),
    )
}
pub fn ec_p384() -> TestKey {
    key(
        "ec-384",
        Algorithm::ES384,
        include_str!("../fixtures/auth/ec_p384.pem"),
    )
}
pub fn ed25519() -> TestKey {
    key(
        "ed-1",
        Algorithm::EdDSA,
        include_str!("../fixtures/auth/ed25519.pem"),
    )
}

pub fn jwks(keys: &[&TestKey]) -> String {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}).to_string()
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Claims of a valid portal token for `issuer`, issued at `now`.
pub fn claims(issuer: &str, audience: &str, now: u64) -> Value {
    json!({
        "iss": issuer, "aud": audience, "sub": "b2d7c0ffee", "exp": now + 600, "iat": now - 5,
        "auth_time": now - 5, "email": "ada@acme.example", "name": "Ada Admin",
        "groups": ["acme", "dezky-partner-staff"], "azp": audience, "uid": "x1"
    })
}

/// Signs `claims` with `key` under its own algorithm.
pub fn sign(key: &TestKey, claims: &Value) -> String {
    sign_as(key, key.alg, Some(key.kid), claims)
}

pub fn sign_as(key: &TestKey, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap_or_else(|e| panic!("{e}"))
}

/// A token over header and payload JSON given as text (so that it may be JSON no serializer
/// would write, such as a member named twice), correctly signed by `key`.
pub fn sign_raw(key: &TestKey, header: &str, payload: &str) -> String {
    let signing_input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key.encoding, key.alg)
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{signing_input}.{signature}")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A token assembled from raw header and payload JSON and a signature part, unsigned.
pub fn raw(header: &Value, payload: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

/// Mounts Authentik's discovery document and JWKS for the app `slug`; returns the issuer.
pub async fn mount_issuer(server: &MockServer, slug: &str, jwks_body: &str) -> String {
    let issuer = format!("{}/application/o/{slug}/", server.uri());
    mount_issuer_docs(server, slug, &issuer, &["RS256"], jwks_body).await;
    issuer
}

pub async fn mount_issuer_docs(
    server: &MockServer,
    slug: &str,
    named_issuer: &str,
    algs: &[&str],
    jwks_body: &str,
) {
    let base = format!("/application/o/{slug}/");
    Mock::given(method("GET"))
        .and(path(format!("{base}.well-known/openid-configuration")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": named_issuer,
            "jwks_uri": format!("{}{base}jwks/", server.uri()),
            "id_token_signing_alg_values_supported": algs,
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}jwks/")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(jwks_body.to_owned()),
        )
        .mount(server)
        .await;
}
