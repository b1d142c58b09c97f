//! A JWKS document turned into the keys the verifier may use.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::error::{Error, Result};

/// A public key and the algorithms it may verify.
pub(crate) struct VerifyingKey {
    pub(crate) key: DecodingKey,
    pub(crate) algorithms: Vec<Algorithm>,
    /// The key parsed once per algorithm, so that a verification does not rebuild it from
    /// the JWK's components (which `jsonwebtoken::crypto::verify` does on every call).
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
}

impl VerifyingKey {
    fn new(key: DecodingKey, algorithms: Vec<Algorithm>, public: Option<Vec<u8>>) -> Self {
        let parsed = match &public {
            None => Vec::new(),
            Some(public) => algorithms
                .iter()
                .filter_map(|&alg| {
                    ParsedPublicKey::new(verification_algorithm(alg)?, public)
                        .ok()
                        .map(|p| (alg, p))
                })
                .collect(),
        };
        VerifyingKey {
            key,
            algorithms,
            parsed,
        }
    }

    /// Whether `signature` (base64url) is a valid `alg` signature of `message` by this key.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &str) -> bool {
        match self.parsed.iter().find(|(a, _)| *a == alg) {
            Some((_, parsed)) => URL_SAFE_NO_PAD
                .decode(signature)
                .is_ok_and(|bytes| parsed.verify_sig(message, &bytes).is_ok()),
            // A key aws-lc-rs would not parse up front: the same check, the slow way.
            None => {
                jsonwebtoken::crypto::verify(signature, message, &self.key, alg).unwrap_or(false)
            }
        }
    }
}

/// The aws-lc-rs algorithm `jsonwebtoken`'s aws-lc backend verifies `alg` with.
fn verification_algorithm(alg: Algorithm) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
        Algorithm::EdDSA => &sig::ED25519,
        _ => return None,
    })
}

/// The JWK's public key in the form aws-lc-rs parses: a DER `RSAPublicKey` for RSA, the
/// uncompressed point for EC, the raw key for Ed25519 (what `jsonwebtoken` hands to aws-lc-rs).
fn public_key_bytes(params: &AlgorithmParameters) -> Option<Vec<u8>> {
    let b64 = |v: &str| URL_SAFE_NO_PAD.decode(v).ok();
    match params {
        AlgorithmParameters::RSA(p) => {
            let mut body = der_integer(&b64(&p.n)?);
            body.extend(der_integer(&b64(&p.e)?));
            Some(der(0x30, &body))
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let mut point = vec![0x04];
            point.extend(b64(&p.x)?);
            point.extend(b64(&p.y)?);
            Some(point)
        }
        AlgorithmParameters::OctetKeyPair(p) => b64(&p.x),
        _ => None,
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative big-endian integer as a DER INTEGER.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match value.iter().position(|b| *b != 0) {
        Some(i) => &value[i..],
        None => &[0],
    };
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    der(0x02, &content)
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

/// The smallest RSA modulus accepted. Smaller keys are refused when the JWKS is read, so that
/// a token they signed says why it is refused instead of failing as a bad signature.
const MIN_RSA_BITS: usize = 2048;

/// The length in bits of a big-endian unsigned integer.
fn modulus_bits(n: &[u8]) -> usize {
    match n.iter().position(|b| *b != 0) {
        Some(i) => (n.len() - i) * 8 - n[i].leading_zeros() as usize,
        None => 0,
    }
}

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
    if let AlgorithmParameters::RSA(p) = &jwk.algorithm {
        let bits = URL_SAFE_NO_PAD.decode(&p.n).map(|n| modulus_bits(&n));
        match bits {
            Ok(bits) if bits < MIN_RSA_BITS => {
                return KeyEntry::Unsupported(format!(
                    "the key is a {bits}-bit RSA key, too weak: at least {MIN_RSA_BITS} bits are \
                     required (RFC 7518 section 3.3); give the provider a stronger signing key"
                ));
            }
            Ok(_) => {}
            Err(_) => return KeyEntry::Unsupported("the RSA modulus is not base64url".into()),
        }
    }
    let algorithms: Vec<Algorithm> = family
        .into_iter()
        .filter(|a| stated.is_none_or(|s| s == *a) && allowed.contains(a))
        .collect();
    if algorithms.is_empty() {
        return KeyEntry::Unsupported("the key allows none of the configured algorithms".into());
    }
    match DecodingKey::from_jwk(&jwk) {
        Ok(key) => KeyEntry::Usable(Arc::new(VerifyingKey::new(
            key,
            algorithms,
            public_key_bytes(&jwk.algorithm),
        ))),
        Err(e) => KeyEntry::Unsupported(format!("unusable key: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public JWKs of the fixture keys (`tests/fixtures/auth`) and their signatures of
    /// `header.payload`.
    const VECTORS: [(Algorithm, &str, &str); 3] = [
        (
            Algorithm::RS256,
            r#"{"kty":"RSA","n":"u0GSFRMoaOHKJ0pX2NLYiIDYsXO0iBsbOms4nDUlGsaWaUqowd0OKupJDa01FURP_4y8NjYLnWhrbwcG8l35zLNTFxpCTRCtKP1Lp5WwM4EpLLPPl8eWrpjIufaq8O41FCjSD29GB6uTAiKOC4VBFq0RYSnqcykU46ycKDwCA1e_J9HXpG-I95t14g5PSlUSTa6va0xnFMXYI6rGKcz7-idNfWQRKi7ZW8QgLLH5TC3wG7n-EeSUpSBpe20oAX9GnVm7uUP74bZqqWoS0qSKK--VF9tW5oPmS5HQn9JT8lhlV_DPG_l0MFtNfuQ51q4EQEL5oyeR64wkZWDDhnqDFw","e":"AQAB","kid":"rsa-a","use":"sig"}"#,
            "im4ebvcrh7YMVxoFNIClLFEJR4lINI744c0Y8WSP_WR0iQmvf70uGbjNJcv0tk6wSPzxnEyStA7OeokoXJ7TmjY6CGdbaxARyLfQsICSNf-32UZQyIh7EBlQUhV8Xkul5ANOFxlcFfZGA0P7_tLG4ol8HkioKbO3ZgVBTCTp-7ERD2-Eo_Ouy4uQlY-HQ1IA_i9IuVThUhMzEgQ6b1gy_j5G0u_mhiM6lZH2FDxRigGxSeg2epPEA_GS3sSwW5H2KnAKKTSX67Gmvi3Z7P4nAi_NUVa8qXws_68-l9Uw1BP0x2ZBadXRy_i7W6IDah73ML64rcAEGQgWeDhTYU8YdQ",
        ),
        (
            Algorithm::ES256,
            r#"{"kty":"EC","x":"XBaNnqUpr2FVkYdrsQwRd7XTyh20yUvcm0DAqxgUXRI","y":"MkQvrELuPchWZQ5F_YIaFiXTkKD9YhHSc-ANiP5Gxgk","crv":"P-256","kid":"ec-256","use":"sig"}"#,
            "1x-wCMX3cbfUB4OLyiRrbHMvnbhBgSaw6JAjinOdYk3Kbxf7hqpad9s-FYkT6JmMA8vlKMasuGrPRq97IaT4Gg",
        ),
        (
            Algorithm::EdDSA,
            r#"{"crv":"Ed25519","x":"Fez8Q29odW0DOSVVnAWU2d-sExr7ZcS3s3MdSdsGavE","kty":"OKP","kid":"ed-1","use":"sig"}"#,
            "hsGKCu93VeI_vjrpprd39woHgnN2rzOjbYAq8TG0BRCRZi3zLxkmr34TdTq1FlcS3-MKCraesn2VU4Z7tmdNAw",
        ),
    ];

    #[test]
    fn keys_are_parsed_once_and_verify_like_jsonwebtoken() {
        for (alg, jwk, signature) in VECTORS {
            let keys = parse("https://i/", &format!(r#"{{"keys": [{jwk}]}}"#), &[alg])
                .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            let Some(KeyEntry::Usable(key)) = keys.values().next() else {
                panic!("{alg:?}: no usable key");
            };
            assert_eq!(
                key.parsed.len(),
                1,
                "{alg:?}: the key was not parsed up front"
            );
            for (message, expected) in [
                (&b"header.payload"[..], true),
                (&b"header.payloaD"[..], false),
            ] {
                assert_eq!(key.verify(alg, message, signature), expected, "{alg:?}");
                let slow = jsonwebtoken::crypto::verify(signature, message, &key.key, alg)
                    .unwrap_or(false);
                assert_eq!(slow, expected, "{alg:?}: jsonwebtoken disagrees");
            }
            assert!(!key.verify(alg, b"header.payload", "not*base64"), "{alg:?}");
        }
    }

    #[test]
    fn modulus_bits_ignore_leading_zeros() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[1]), 1);
        assert_eq!(modulus_bits(&[0, 0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x7f; 256]), 2047);
        assert_eq!(modulus_bits(&[0x80; 256]), 2048);
    }

    #[test]
    fn der_integers_are_minimal_and_positive() {
        assert_eq!(der_integer(&[0, 0, 1]), vec![2, 1, 1]);
        assert_eq!(der_integer(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(der_integer(&[]), vec![2, 1, 0]);
        assert_eq!(der(0x30, &[0; 200])[..3], [0x30, 0x81, 200]);
        assert_eq!(der(0x30, &[0; 300])[..4], [0x30, 0x82, 1, 44]);
    }
}
