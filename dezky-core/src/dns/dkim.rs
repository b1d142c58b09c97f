//! DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463).

use base64::Engine;
use serde::Serialize;
use simple_asn1::{ASN1Block, BigInt, from_der, oid};

use super::tags::{parse_tag_list, strip_ws};

/// A DKIM key record, parsed and normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimKey {
    /// `k`, lowercase; `rsa` when absent.
    pub key_type: String,
    /// `p` with whitespace removed, base64; empty when the key is revoked.
    pub public_key: String,
    /// The decoded key bytes.
    #[serde(skip)]
    pub key_bytes: Vec<u8>,
    /// `h` (acceptable hashes), as written.
    pub hashes: Option<String>,
    /// `s` (service types), as written.
    pub services: Option<String>,
    /// `t` (flags), as written.
    pub flags: Option<String>,
    /// `n` (notes), as written.
    pub notes: Option<String>,
}

impl DkimKey {
    /// Parses a key record (the TXT strings already joined). Errors name the
    /// problem: a duplicate tag, `v` not first or not `DKIM1`, no `p`, bad base64.
    pub fn parse(text: &str) -> Result<DkimKey, String> {
        let tags = parse_tag_list(text)?;
        let mut key = DkimKey {
            key_type: "rsa".to_owned(),
            public_key: String::new(),
            key_bytes: Vec::new(),
            hashes: None,
            services: None,
            flags: None,
            notes: None,
        };
        let mut have_p = false;
        for (i, (name, value)) in tags.iter().enumerate() {
            match name.as_str() {
                "v" => {
                    if i != 0 {
                        return Err("`v` must be the first tag".to_owned());
                    }
                    if value != "DKIM1" {
                        return Err(format!("`v={value}` is not `DKIM1`"));
                    }
                }
                "k" => key.key_type = value.to_ascii_lowercase(),
                "p" => {
                    have_p = true;
                    key.public_key = strip_ws(value);
                    key.key_bytes = base64::engine::general_purpose::STANDARD
                        .decode(&key.public_key)
                        .map_err(|e| format!("`p` is not base64: {e}"))?;
                }
                "h" => key.hashes = Some(value.clone()),
                "s" => key.services = Some(value.clone()),
                "t" => key.flags = Some(value.clone()),
                "n" => key.notes = Some(value.clone()),
                _ => {}
            }
        }
        if !have_p {
            return Err("no `p` tag".to_owned());
        }
        Ok(key)
    }

    /// An empty `p=`: the key was revoked.
    pub fn is_revoked(&self) -> bool {
        self.key_bytes.is_empty()
    }

    /// The size in bits of an RSA key's modulus, read from `p`: a
    /// SubjectPublicKeyInfo as RFC 6376 §3.6.1 asks, or a bare PKCS#1
    /// RSAPublicKey as some signers publish. `None` when `p` is neither.
    pub fn rsa_modulus_bits(&self) -> Option<u64> {
        let outer = from_der(&self.key_bytes).ok()?;
        let [ASN1Block::Sequence(_, items)] = outer.as_slice() else {
            return None;
        };
        match items.as_slice() {
            [
                ASN1Block::Sequence(_, algorithm),
                ASN1Block::BitString(_, _, key),
            ] => {
                let rsa_encryption = oid!(1, 2, 840, 113549, 1, 1, 1);
                match algorithm.first() {
                    Some(ASN1Block::ObjectIdentifier(_, id)) if *id == rsa_encryption => {}
                    _ => return None,
                }
                let inner = from_der(key).ok()?;
                match inner.as_slice() {
                    [ASN1Block::Sequence(_, key)] => modulus_bits(key),
                    _ => None,
                }
            }
            key => modulus_bits(key),
        }
    }

    /// Whether `text` looks like a DKIM key record (for picking records out of an RRset).
    pub(crate) fn looks_like(text: &str) -> bool {
        let t = text.trim_start();
        t.starts_with("v=DKIM1") || t.contains("p=")
    }
}

/// The modulus size of an RSAPublicKey's fields (modulus, exponent), both positive.
fn modulus_bits(key: &[ASN1Block]) -> Option<u64> {
    let zero = BigInt::from(0u8);
    match key {
        [ASN1Block::Integer(_, n), ASN1Block::Integer(_, e)] if *n > zero && *e > zero => {
            Some(n.bits())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_inside_p_is_ignored() -> Result<(), String> {
        let a = DkimKey::parse("v=DKIM1; k=rsa; h=sha256; p=MIIBIjAN BgkqhkiG")?;
        let b = DkimKey::parse("v=DKIM1;k=rsa;h=sha256;p=MIIBIjANBgkq hkiG;")?;
        assert_eq!(a, b);
        assert_eq!(a.key_type, "rsa");
        Ok(())
    }

    #[test]
    fn defaults_and_errors() -> Result<(), String> {
        assert_eq!(DkimKey::parse("p=AAAA")?.key_type, "rsa");
        assert!(DkimKey::parse("p=")?.is_revoked());
        assert!(DkimKey::parse("k=rsa; v=DKIM1; p=AAAA").is_err());
        assert!(DkimKey::parse("v=DKIM2; p=AAAA").is_err());
        assert!(DkimKey::parse("v=DKIM1; k=rsa").is_err());
        assert!(DkimKey::parse("v=DKIM1; p=AAAA; p=AAAA").is_err());
        assert!(DkimKey::parse("v=DKIM1; p=!!!").is_err());
        Ok(())
    }

    #[test]
    fn rsa_modulus_bits_of_spki_and_pkcs1() -> Result<(), String> {
        use simple_asn1::{BigUint, to_der};
        let n = BigInt::from(BigUint::from_bytes_be(&[0x80; 128]));
        let e = BigInt::from(65537);
        let pkcs1 = ASN1Block::Sequence(
            0,
            vec![
                ASN1Block::Integer(0, n.clone()),
                ASN1Block::Integer(0, e.clone()),
            ],
        );
        let pkcs1 = to_der(&pkcs1).map_err(|e| e.to_string())?;
        let spki = |algorithm: simple_asn1::OID, key: &[u8]| {
            let block = ASN1Block::Sequence(
                0,
                vec![
                    ASN1Block::Sequence(
                        0,
                        vec![
                            ASN1Block::ObjectIdentifier(0, algorithm),
                            ASN1Block::Null(0),
                        ],
                    ),
                    ASN1Block::BitString(0, key.len() * 8, key.to_vec()),
                ],
            );
            to_der(&block).map_err(|e| e.to_string())
        };
        let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
        let bits = |der: &[u8]| DkimKey::parse(&format!("v=DKIM1; p={}", b64(der)));
        let rsa = oid!(1, 2, 840, 113549, 1, 1, 1);
        assert_eq!(
            bits(&spki(rsa.clone(), &pkcs1)?)?.rsa_modulus_bits(),
            Some(1024)
        );
        assert_eq!(bits(&pkcs1)?.rsa_modulus_bits(), Some(1024));
        // Another algorithm's identifier, a negative modulus, no DER at all.
        let ec = oid!(1, 2, 840, 10045, 2, 1);
        assert_eq!(bits(&spki(ec, &pkcs1)?)?.rsa_modulus_bits(), None);
        let negative =
            ASN1Block::Sequence(0, vec![ASN1Block::Integer(0, -n), ASN1Block::Integer(0, e)]);
        let negative = to_der(&negative).map_err(|e| e.to_string())?;
        assert_eq!(bits(&spki(rsa, &negative)?)?.rsa_modulus_bits(), None);
        assert_eq!(bits(&[1, 2, 3])?.rsa_modulus_bits(), None);
        assert_eq!(bits(&[])?.rsa_modulus_bits(), None);
        Ok(())
    }

    proptest::proptest! {
        /// Whatever bytes `p` holds, reading the modulus answers without panicking.
        #[test]
        fn rsa_modulus_bits_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let key = DkimKey::parse(&format!(
                "v=DKIM1; p={}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            ));
            if let Ok(key) = key {
                let _ = key.rsa_modulus_bits();
            }
        }
    }
}
