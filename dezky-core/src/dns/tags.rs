//! The tag=value list shared by DKIM (RFC 6376 §3.2), DMARC, MTA-STS and TLS-RPT.

/// Parses `tag=value; tag=value;`. Whitespace around tags and values is
/// dropped, whitespace inside a value kept; a trailing `;` and empty specs
/// between `;;` are allowed. Tag names are kept as written (DKIM's are
/// case-sensitive); a duplicate name, a spec without `=` or a bad name is an error.
pub(crate) fn parse_tag_list(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for spec in text.split(';') {
        if spec.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = spec.split_once('=') else {
            return Err(format!("`{}` is not tag=value", spec.trim()));
        };
        let name = name.trim();
        let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(format!("bad tag name `{name}`"));
        }
        let value = value.trim();
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        {
            return Err(format!("control character in the value of `{name}`"));
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(format!("duplicate tag `{name}`"));
        }
        out.push((name.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Removes every whitespace character (for base64 values such as DKIM's `p=`).
pub(crate) fn strip_ws(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_with_whitespace_and_trailing_semicolon() -> Result<(), String> {
        let tags = parse_tag_list(" v=DKIM1 ;k = rsa; p=AB CD\t EF ;")?;
        assert_eq!(
            tags,
            vec![
                ("v".to_owned(), "DKIM1".to_owned()),
                ("k".to_owned(), "rsa".to_owned()),
                ("p".to_owned(), "AB CD\t EF".to_owned())
            ]
        );
        assert_eq!(strip_ws("AB CD\t EF"), "ABCDEF");
        Ok(())
    }

    #[test]
    fn rejects_duplicates_and_garbage() {
        assert!(parse_tag_list("p=a; p=b").is_err());
        assert!(parse_tag_list("v=DKIM1; nonsense").is_err());
        assert!(parse_tag_list("1x=a").is_err());
        assert!(parse_tag_list("=a").is_err());
    }
}
