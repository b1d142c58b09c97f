//! The rollout bucket: `u32_be(SHA-256(subject ":" key)[0..4]) mod 100`.

use sha2::{Digest, Sha256};

/// The first four bytes of `SHA-256(subject ":" key)`, big-endian.
///
/// The input is streamed into the hasher, so no string is formatted first.
pub fn bucket_prefix(subject: &str, key: &str) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(subject.as_bytes());
    hasher.update(b":");
    hasher.update(key.as_bytes());
    digest_prefix(hasher)
}

/// The rollout bucket (0..=99) of `subject` for the flag `key`.
///
/// Independent of `pct`: raising a rollout's percentage only adds subjects.
pub fn bucket(subject: &str, key: &str) -> u8 {
    (bucket_prefix(subject, key) % 100) as u8
}

/// A hasher already fed `subject ":"`, cloned once per rollout flag so the
/// subject is not re-fed for every flag of an evaluate-all.
#[derive(Clone)]
pub(crate) struct SubjectHasher(Sha256);

impl SubjectHasher {
    pub(crate) fn new(subject: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(subject.as_bytes());
        hasher.update(b":");
        SubjectHasher(hasher)
    }

    pub(crate) fn bucket(&self, key: &str) -> u8 {
        let mut hasher = self.0.clone();
        hasher.update(key.as_bytes());
        (digest_prefix(hasher) % 100) as u8
    }
}

fn digest_prefix(hasher: Sha256) -> u32 {
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of the flag contract.
    const VECTORS: [(&str, &str, u32, u8); 4] = [
        ("6650f1c2a9b4e3d2c1b0a998", "gdpr_export_v2", 0xa72400f4, 12),
        (
            "6650f1c2a9b4e3d2c1b0a998",
            "new_billing_engine",
            0x86327e1d,
            29,
        ),
        ("665a00000000000000000001", "jmap_native_v2", 0x79887b56, 6),
        ("tenant-1", "x", 0x8c46d305, 81),
    ];

    #[test]
    fn contract_vectors() {
        for (subject, key, prefix, expected) in VECTORS {
            assert_eq!(bucket_prefix(subject, key), prefix, "{subject}:{key}");
            assert_eq!(bucket(subject, key), expected, "{subject}:{key}");
            assert_eq!(SubjectHasher::new(subject).bucket(key), expected);
        }
    }

    #[test]
    fn hasher_matches_one_shot_digest_for_long_input() {
        let subject = "a".repeat(70);
        let direct = Sha256::digest(format!("{subject}:some_key").as_bytes());
        let expected = u32::from_be_bytes([direct[0], direct[1], direct[2], direct[3]]);
        assert_eq!(bucket_prefix(&subject, "some_key"), expected);
    }
}
