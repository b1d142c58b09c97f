//! DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463).

use base64::Engine;
use serde::Serialize;

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

    /// Whether `text` looks like a DKIM key record (for picking records out of an RRset).
    pub(crate) fn looks_like(text: &str) -> bool {
        let t = text.trim_start();
        t.starts_with("v=DKIM1") || t.contains("p=")
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
}
