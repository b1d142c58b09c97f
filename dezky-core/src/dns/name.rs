//! Domain names as the diff compares them: lowercase, absolute, trailing dot.

/// Normalizes a domain name for comparison (RFC 4343): ASCII lowercase, one
/// trailing dot, no surrounding whitespace. `"Acme.TEST"` → `"acme.test."`.
/// The root is `"."`.
pub fn normalize_name(name: &str) -> String {
    let trimmed = name.trim().trim_end_matches('.');
    let mut out = trimmed.to_ascii_lowercase();
    out.push('.');
    out
}

/// The name without its trailing dot, for messages and tables' relative forms.
pub(crate) fn without_dot(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// Whether `name` is `domain` or below it (both normalized).
pub(crate) fn is_within(name: &str, domain: &str) -> bool {
    name == domain || name.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_dot() {
        assert_eq!(normalize_name("Acme.TEST"), "acme.test.");
        assert_eq!(normalize_name("acme.test."), "acme.test.");
        assert_eq!(normalize_name(" acme.test.. "), "acme.test.");
        assert_eq!(normalize_name("."), ".");
        assert!(is_within("_dmarc.acme.test.", "acme.test."));
        assert!(is_within("acme.test.", "acme.test."));
        assert!(!is_within("notacme.test.", "acme.test."));
        assert_eq!(without_dot("acme.test."), "acme.test");
    }
}
