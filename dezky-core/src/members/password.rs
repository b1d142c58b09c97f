//! One-time passwords: drawn from the operating system's CSPRNG and checked
//! with zxcvbn (the estimator Stalwart applies to mailbox passwords) before
//! they are sent anywhere.

use crate::provisioning::{FailureKind, PortError};
use crate::secret::Secret;

/// The letters and digits a password is drawn from: no `0 O 1 l I`, which
/// are easily misread when the password is read out or typed from paper.
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Characters per group; groups are joined by `-`.
const GROUP: usize = 5;
/// Groups per password: 20 characters drawn, about 116 bits.
const GROUPS: usize = 4;

/// The lowest zxcvbn score a password is sent with.
pub const MIN_SCORE: u8 = 3;

/// How many candidates are drawn before giving up (a candidate of 116 random
/// bits scores 4 in practice; the bound only keeps the loop finite).
const ATTEMPTS: usize = 16;

/// The zxcvbn score (0 to 4) of `password`, with `user_inputs` (the member's
/// email and name) counted as guessable.
pub fn strength(password: &str, user_inputs: &[&str]) -> u8 {
    u8::from(zxcvbn::zxcvbn(password, user_inputs).score())
}

/// A new one-time password such as `Kp7wq-Mz3Rt-ha9Xe-2bTnc`: 20 characters
/// from a 57-character alphabet drawn uniformly from the OS CSPRNG
/// (`getrandom`), regenerated until zxcvbn scores it at least
/// [`MIN_SCORE`] against `user_inputs`. A failing random source is an
/// `unavailable` error (`DEZKY_UPSTREAM_UNAVAILABLE`): no weaker source is
/// used instead.
pub fn one_time_password(user_inputs: &[&str]) -> Result<Secret, PortError> {
    for _ in 0..ATTEMPTS {
        let candidate = draw()?;
        if strength(&candidate, user_inputs) >= MIN_SCORE {
            return Ok(Secret::new(candidate));
        }
    }
    Err(PortError::new(
        FailureKind::Unavailable,
        "DEZKY_UPSTREAM_UNAVAILABLE",
        "no generated password reached the required strength",
    ))
}

fn draw() -> Result<String, PortError> {
    let mut out = String::with_capacity(GROUP * GROUPS + GROUPS - 1);
    let mut drawn = 0;
    // Rejection sampling: bytes at or above the largest multiple of the
    // alphabet's size are dropped, so every character is equally likely.
    let limit = 256 - (256 % ALPHABET.len());
    while drawn < GROUP * GROUPS {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            PortError::new(
                FailureKind::Unavailable,
                "DEZKY_UPSTREAM_UNAVAILABLE",
                format!("the operating system's random source failed: {e}"),
            )
        })?;
        for b in bytes {
            if usize::from(b) >= limit || drawn == GROUP * GROUPS {
                continue;
            }
            if drawn > 0 && drawn % GROUP == 0 {
                out.push('-');
            }
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            drawn += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn passwords_are_long_strong_and_distinct() {
        let mut seen = BTreeSet::new();
        for _ in 0..50 {
            let p = one_time_password(&["alice@acme.test", "Alice"]).unwrap();
            let text = p.expose();
            assert_eq!(text.len(), 23, "{}", text.len());
            assert_eq!(text.matches('-').count(), 3);
            assert!(
                text.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)),
                "unexpected character"
            );
            assert!(strength(text, &[]) >= MIN_SCORE);
            assert!(seen.insert(text.to_owned()), "a password repeated");
        }
    }

    #[test]
    fn weak_passwords_score_below_the_minimum() {
        assert!(strength("password1", &[]) < MIN_SCORE);
        assert!(strength("alice2024", &["alice"]) < MIN_SCORE);
    }
}
