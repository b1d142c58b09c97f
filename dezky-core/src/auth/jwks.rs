//! A JWKS document turned into the keys the verifier may use.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::error::{Error, Result};

/// A public key and the algorithms it may verify.
pub(crate) struct VerifyingKey {
    pub(crate) key: DecodingKey,
    pub(crate) algorithms: Vec<Algorithm>,
}

/// A JWKS entry by `kid`.
pub(crate) enum KeyEntry {
    Usable(Arc<VerifyingKey>),
    /// Present but unusable, with the reason (a configuration problem, reported as such).
    Unsupported(String),
}

const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Parses `body`, the JWKS of `issuer`, keeping only signature keys with a `kid`.
pub(crate) fn parse(
    issuer: &str,
    body: &str,
    allowed: &[Algorithm],
) -> Result<HashMap<String, KeyEntry>> {
    let doc: Value = serde_json::from_str(body).map_err(|e| Error::KeysUnavailable {
        issuer: issuer.to_owned(),
        reason: format!("the JWKS is not JSON: {e}"),
    })?;
    let Some(doc) = doc.as_object() else {
        return Err(Error::KeysUnavailable {
            issuer: issuer.to_owned(),
            reason: "the JWKS is not a JSON object".into(),
        });
    };
    let keys = match doc.get("keys") {
        None => &[][..],
        Some(Value::Array(keys)) => &keys[..],
        Some(_) => {
            return Err(Error::KeysUnavailable {
                issuer: issuer.to_owned(),
                reason: "the JWKS `keys` member is not an array".into(),
            });
        }
    };
    let mut out: HashMap<String, KeyEntry> = HashMap::new();
    for raw in keys {
        let Some(obj) = raw.as_object() else { continue };
        if obj.get("use").is_some_and(|u| u != "sig") {
            continue; // an encryption key
        }
        if let Some(ops) = obj.get("key_ops").and_then(Value::as_array)
            && !ops.iter().any(|op| op == "verify")
        {
            continue;
        }
        let Some(kid) = obj.get("kid").and_then(Value::as_str) else {
            continue;
        };
        let entry = entry(raw, allowed);
        if out.contains_key(kid) {
            out.insert(
                kid.to_owned(),
                KeyEntry::Unsupported(format!("kid {kid:?} appears more than once in the JWKS")),
            );
        } else {
            out.insert(kid.to_owned(), entry);
        }
    }
    if out.is_empty() {
        return Err(Error::AuthConfig {
            reason: format!(
                "the JWKS of issuer {issuer} has no signing keys: an Authentik provider without a \
                 signing key signs its tokens HS256 with the client secret, which a verifier must \
                 never accept. Set an RSA (or EC) signing key on the provider"
            ),
        });
    }
    Ok(out)
}

fn entry(raw: &Value, allowed: &[Algorithm]) -> KeyEntry {
    if raw.get("kty").is_some_and(|k| k == "oct") {
        return KeyEntry::Unsupported("the JWKS holds a symmetric (oct) key".into());
    }
    let jwk: Jwk = match serde_json::from_value(raw.clone()) {
        Ok(jwk) => jwk,
        Err(e) => return KeyEntry::Unsupported(format!("unreadable JWK: {e}")),
    };
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_ALGS.to_vec(),
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            EllipticCurve::P521 => {
                return KeyEntry::Unsupported(
                    "P-521 keys (ES512) are not supported; use an RSA or P-256/P-384 signing key"
                        .into(),
                );
            }
            _ => return KeyEntry::Unsupported("unsupported EC curve".into()),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        _ => return KeyEntry::Unsupported("unsupported key type".into()),
    };
    let stated = match jwk.common.key_algorithm {
        None => None,
        Some(alg) => match alg.to_string().parse::<Algorithm>() {
            Ok(alg) if family.contains(&alg) => Some(alg),
            _ => {
                return KeyEntry::Unsupported(format!(
                    "the key's alg {alg} does not fit its key type"
                ));
            }
        },
    };
    let algorithms: Vec<Algorithm> = family
        .into_iter()
        .filter(|a| stated.is_none_or(|s| s == *a) && allowed.contains(a))
        .collect();
    if algorithms.is_empty() {
        return KeyEntry::Unsupported("the key allows none of the configured algorithms".into());
    }
    match DecodingKey::from_jwk(&jwk) {
        Ok(key) => KeyEntry::Usable(Arc::new(VerifyingKey { key, algorithms })),
        Err(e) => KeyEntry::Unsupported(format!("unusable key: {e}")),
    }
}
