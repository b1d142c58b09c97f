//! SPF records (RFC 7208): a strict parser and a normalized form for equivalence.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// What a matching term yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    /// `+` (the default).
    Pass,
    /// `-`.
    Fail,
    /// `~`.
    SoftFail,
    /// `?`.
    Neutral,
}

impl Qualifier {
    fn prefix(self) -> &'static str {
        match self {
            Qualifier::Pass => "",
            Qualifier::Fail => "-",
            Qualifier::SoftFail => "~",
            Qualifier::Neutral => "?",
        }
    }
}

/// A mechanism with its normalized argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Mechanism {
    /// `all`.
    All,
    /// `include:<domain-spec>`.
    Include {
        /// The domain-spec (literal parts lowercase, macros as written).
        domain: String,
    },
    /// `a[:domain][/cidr4][//cidr6]`.
    A {
        /// The domain-spec, `None` for the current domain.
        domain: Option<String>,
        /// IPv4 prefix (default 32).
        cidr4: u8,
        /// IPv6 prefix (default 128).
        cidr6: u8,
    },
    /// `mx[:domain][/cidr4][//cidr6]`.
    Mx {
        /// The domain-spec, `None` for the current domain.
        domain: Option<String>,
        /// IPv4 prefix (default 32).
        cidr4: u8,
        /// IPv6 prefix (default 128).
        cidr6: u8,
    },
    /// `ptr[:domain]` (RFC 7208 §5.5: SHOULD NOT be used).
    Ptr {
        /// The domain-spec, `None` for the current domain.
        domain: Option<String>,
    },
    /// `ip4:<addr>[/prefix]`.
    Ip4 {
        /// The network.
        addr: Ipv4Addr,
        /// The prefix (default 32).
        prefix: u8,
    },
    /// `ip6:<addr>[/prefix]`.
    Ip6 {
        /// The network.
        addr: Ipv6Addr,
        /// The prefix (default 128).
        prefix: u8,
    },
    /// `exists:<domain-spec>`.
    Exists {
        /// The domain-spec.
        domain: String,
    },
}

impl Mechanism {
    /// Whether evaluating it costs a DNS query (RFC 7208 §4.6.4).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include { .. }
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr { .. }
                | Mechanism::Exists { .. }
        )
    }
}

/// A directive: qualifier and mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SpfTerm {
    /// The qualifier.
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

fn write_dual_cidr(f: &mut fmt::Formatter<'_>, cidr4: u8, cidr6: u8) -> fmt::Result {
    if cidr4 != 32 {
        write!(f, "/{cidr4}")?;
    }
    if cidr6 != 128 {
        write!(f, "//{cidr6}")?;
    }
    Ok(())
}

impl fmt::Display for SpfTerm {
    /// The normalized form: no `+`, no default prefix lengths.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.qualifier.prefix())?;
        match &self.mechanism {
            Mechanism::All => f.write_str("all"),
            Mechanism::Include { domain } => write!(f, "include:{domain}"),
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            }
            | Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            } => {
                f.write_str(if matches!(self.mechanism, Mechanism::A { .. }) {
                    "a"
                } else {
                    "mx"
                })?;
                if let Some(d) = domain {
                    write!(f, ":{d}")?;
                }
                write_dual_cidr(f, *cidr4, *cidr6)
            }
            Mechanism::Ptr { domain } => match domain {
                Some(d) => write!(f, "ptr:{d}"),
                None => f.write_str("ptr"),
            },
            Mechanism::Ip4 { addr, prefix } if *prefix == 32 => write!(f, "ip4:{addr}"),
            Mechanism::Ip4 { addr, prefix } => write!(f, "ip4:{addr}/{prefix}"),
            Mechanism::Ip6 { addr, prefix } if *prefix == 128 => write!(f, "ip6:{addr}"),
            Mechanism::Ip6 { addr, prefix } => write!(f, "ip6:{addr}/{prefix}"),
            Mechanism::Exists { domain } => write!(f, "exists:{domain}"),
        }
    }
}

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfRecord {
    /// Every directive, in order (including any after `all`, which are never evaluated).
    pub terms: Vec<SpfTerm>,
    /// `redirect=`.
    pub redirect: Option<String>,
    /// `exp=`.
    pub exp: Option<String>,
    /// Things that are legal but worth a warning.
    pub warnings: Vec<String>,
}

/// Whether a TXT string is an SPF record: `v=spf1` followed by a space or the end (RFC 7208 §4.5).
pub(crate) fn is_spf(text: &str) -> bool {
    let t = text.trim_start().as_bytes();
    t.len() >= 6 && t[..6].eq_ignore_ascii_case(b"v=spf1") && (t.len() == 6 || t[6] == b' ')
}

/// Validates and normalizes a domain-spec: macros kept as written, literal
/// characters lowercased, a trailing dot dropped.
fn domain_spec(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("empty domain-spec".to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('%') => out.push_str("%%"),
                Some('_') => out.push_str("%_"),
                Some('-') => out.push_str("%-"),
                Some('{') => {
                    out.push_str("%{");
                    let mut closed = false;
                    let mut first = true;
                    for m in chars.by_ref() {
                        if m == '}' {
                            closed = true;
                            out.push('}');
                            break;
                        }
                        if first && !"slodiphcrtvSLODIPHCRTV".contains(m) {
                            return Err(format!("bad macro letter `{m}` in `{raw}`"));
                        }
                        first = false;
                        out.push(m);
                    }
                    if !closed || first {
                        return Err(format!("unterminated macro in `{raw}`"));
                    }
                }
                _ => return Err(format!("bad `%` in `{raw}`")),
            }
        } else if c.is_ascii_graphic() {
            out.push(c.to_ascii_lowercase());
        } else {
            return Err(format!("bad character in domain-spec `{raw}`"));
        }
    }
    let trimmed = out.strip_suffix('.').map(str::to_owned).unwrap_or(out);
    if trimmed.is_empty() {
        return Err(format!("empty domain-spec `{raw}`"));
    }
    Ok(trimmed)
}

fn prefix_len(raw: &str, max: u8) -> Result<u8, String> {
    if raw.is_empty()
        || (raw.len() > 1 && raw.starts_with('0'))
        || !raw.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("bad prefix length `/{raw}`"));
    }
    match raw.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("prefix length /{raw} above {max}")),
    }
}

/// Splits `domain/24//64` into domain and dual-cidr.
fn domain_and_cidr(rest: &str) -> Result<(Option<String>, u8, u8), String> {
    let (domain_part, cidr) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let domain = match domain_part.strip_prefix(':') {
        Some(d) => Some(domain_spec(d)?),
        None if domain_part.is_empty() => None,
        None => return Err(format!("unexpected `{domain_part}`")),
    };
    let (mut c4, mut c6) = (32, 128);
    if !cidr.is_empty() {
        if let Some(v6) = cidr.strip_prefix("//") {
            c6 = prefix_len(v6, 128)?;
        } else if let Some(rest) = cidr.strip_prefix('/') {
            match rest.split_once("//") {
                Some((v4, v6)) => {
                    c4 = prefix_len(v4, 32)?;
                    c6 = prefix_len(v6, 128)?;
                }
                None => c4 = prefix_len(rest, 32)?,
            }
        }
    }
    Ok((domain, c4, c6))
}

fn parse_term(term: &str) -> Result<SpfTerm, String> {
    let (qualifier, body) = match term.as_bytes().first() {
        Some(b'+') => (Qualifier::Pass, &term[1..]),
        Some(b'-') => (Qualifier::Fail, &term[1..]),
        Some(b'~') => (Qualifier::SoftFail, &term[1..]),
        Some(b'?') => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let name_end = body.find([':', '/']).unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    let rest = &body[name_end..];
    let required = |what: &str| -> Result<String, String> {
        match rest.strip_prefix(':') {
            Some(d) => domain_spec(d),
            None => Err(format!("`{what}` needs `:<domain>`")),
        }
    };
    let mechanism = match name.as_str() {
        "all" if rest.is_empty() => Mechanism::All,
        "include" => Mechanism::Include {
            domain: required("include")?,
        },
        "exists" => Mechanism::Exists {
            domain: required("exists")?,
        },
        "ptr" => Mechanism::Ptr {
            domain: if rest.is_empty() {
                None
            } else {
                Some(required("ptr")?)
            },
        },
        "a" | "mx" => {
            let (domain, cidr4, cidr6) = domain_and_cidr(rest)?;
            if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ip4" | "ip6" => {
            let Some(value) = rest.strip_prefix(':') else {
                return Err(format!("`{name}` needs `:<address>`"));
            };
            let (addr, prefix) = match value.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (value, None),
            };
            if name == "ip4" {
                let addr: Ipv4Addr = addr
                    .parse()
                    .map_err(|_| format!("bad IPv4 address in `{term}`"))?;
                Mechanism::Ip4 {
                    addr,
                    prefix: prefix.map(|p| prefix_len(p, 32)).transpose()?.unwrap_or(32),
                }
            } else {
                let addr: Ipv6Addr = addr
                    .parse()
                    .map_err(|_| format!("bad IPv6 address in `{term}`"))?;
                Mechanism::Ip6 {
                    addr,
                    prefix: prefix
                        .map(|p| prefix_len(p, 128))
                        .transpose()?
                        .unwrap_or(128),
                }
            }
        }
        _ => return Err(format!("unknown term `{term}`")),
    };
    Ok(SpfTerm {
        qualifier,
        mechanism,
    })
}

impl SpfRecord {
    /// Parses an SPF record (the TXT strings already joined). Strict: an
    /// unknown mechanism, a bad address or prefix, a bad macro, a second
    /// `redirect` or `exp` is an error (a permerror, RFC 7208 §4.6).
    pub fn parse(text: &str) -> Result<SpfRecord, String> {
        let mut warnings = Vec::new();
        if text.starts_with(char::is_whitespace) {
            warnings.push("leading whitespace before `v=spf1`".to_owned());
        }
        if !is_spf(text) {
            return Err("does not start with `v=spf1`".to_owned());
        }
        let body = &text.trim_start()[6..];
        let mut record = SpfRecord {
            terms: Vec::new(),
            redirect: None,
            exp: None,
            warnings,
        };
        let mut seen_all = false;
        for term in body.split_ascii_whitespace() {
            let eq = term.find('=');
            let first_sep = term.find([':', '/']);
            let is_modifier = match (eq, first_sep) {
                (Some(e), Some(s)) => e < s,
                (Some(_), None) => true,
                _ => false,
            };
            if is_modifier {
                let (name, value) = term.split_at(eq.unwrap_or(0));
                let value = &value[1..];
                let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !valid_name {
                    return Err(format!("bad modifier `{term}`"));
                }
                match name.to_ascii_lowercase().as_str() {
                    "redirect" => {
                        if record.redirect.is_some() {
                            return Err("more than one `redirect`".to_owned());
                        }
                        record.redirect = Some(domain_spec(value)?);
                    }
                    "exp" => {
                        if record.exp.is_some() {
                            return Err("more than one `exp`".to_owned());
                        }
                        record.exp = Some(domain_spec(value)?);
                    }
                    _ => {} // unknown modifiers are ignored (RFC 7208 §6)
                }
                continue;
            }
            let parsed = parse_term(term)?;
            if seen_all {
                record
                    .warnings
                    .push(format!("`{parsed}` after `all` is never evaluated"));
            }
            if parsed.mechanism == Mechanism::All {
                if parsed.qualifier == Qualifier::Pass {
                    record
                        .warnings
                        .push("`+all` lets anyone send as this domain".to_owned());
                }
                seen_all = true;
            }
            if matches!(parsed.mechanism, Mechanism::Ptr { .. }) {
                record
                    .warnings
                    .push("`ptr` should not be used (RFC 7208 §5.5)".to_owned());
            }
            record.terms.push(parsed);
        }
        if !seen_all && record.redirect.is_none() {
            record
                .warnings
                .push("no `all` or `redirect`: unmatched senders get neutral".to_owned());
        }
        if text.len() > 450 {
            record.warnings.push(format!(
                "the record is {} bytes, above the 450 RFC 7208 §3.4 advises",
                text.len()
            ));
        }
        Ok(record)
    }

    /// The directives that are evaluated: up to and including the first `all`.
    pub fn effective_terms(&self) -> &[SpfTerm] {
        match self
            .terms
            .iter()
            .position(|t| t.mechanism == Mechanism::All)
        {
            Some(i) => &self.terms[..=i],
            None => &self.terms,
        }
    }

    /// `redirect`, unless an `all` makes it ignored (RFC 7208 §6.1).
    pub fn effective_redirect(&self) -> Option<&str> {
        if self.terms.iter().any(|t| t.mechanism == Mechanism::All) {
            None
        } else {
            self.redirect.as_deref()
        }
    }

    /// Semantic equality: same effective directives in the same order, same
    /// effective redirect and exp (unknown modifiers ignored).
    pub fn equivalent(&self, other: &SpfRecord) -> bool {
        self.effective_terms() == other.effective_terms()
            && self.effective_redirect() == other.effective_redirect()
            && self.exp == other.exp
    }

    /// The normalized text (`v=spf1 mx -all`).
    pub fn normalized(&self) -> String {
        let mut out = "v=spf1".to_owned();
        for t in &self.terms {
            out.push(' ');
            out.push_str(&t.to_string());
        }
        if let Some(r) = &self.redirect {
            out.push_str(" redirect=");
            out.push_str(r);
        }
        if let Some(e) = &self.exp {
            out.push_str(" exp=");
            out.push_str(e);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SpfRecord {
        match SpfRecord::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn equivalences_from_the_doc() {
        assert!(p("v=spf1 mx -all").equivalent(&p("V=SPF1   MX   -ALL")));
        assert!(p("v=spf1 mx -all").equivalent(&p("v=spf1 +mx -all")));
        assert!(p("v=spf1 ip4:1.2.3.4 -all").equivalent(&p("v=spf1 ip4:1.2.3.4/32 -all")));
        assert!(p("v=spf1 a -all").equivalent(&p("v=spf1 a/32//128 -all")));
        assert!(
            p("v=spf1 include:_spf.Example.com. -all")
                .equivalent(&p("v=spf1 include:_spf.example.com -all"))
        );
        assert!(!p("v=spf1 mx -all").equivalent(&p("v=spf1 mx ~all")));
        assert!(!p("v=spf1 mx -all").equivalent(&p("v=spf1 -all mx")));
        assert!(
            !p("v=spf1 exists:%{D}.x.test -all").equivalent(&p("v=spf1 exists:%{d}.x.test -all"))
        );
        // Terms after `all` are not evaluated; redirect is ignored next to `all`.
        assert!(p("v=spf1 mx -all").equivalent(&p("v=spf1 mx -all a")));
        assert!(p("v=spf1 mx -all").equivalent(&p("v=spf1 mx -all redirect=x.test")));
        assert!(p("v=spf1 mx -all").equivalent(&p("v=spf1 mx -all foo=bar")));
    }

    #[test]
    fn strict_syntax() {
        for bad in [
            "v=spf1 mx bogus -all",
            "v=spf1 ip4:1.2.3.4~all",
            "v=spf1 ip4:1.2.3.400 -all",
            "v=spf1 ip4:1.2.3.4/33 -all",
            "v=spf1 ip6:::1/129 -all",
            "v=spf1 include -all",
            "v=spf1 redirect=a.test redirect=b.test",
            "v=spf1 a:%{x}.test -all",
            "v=spf10 -all",
            "spf1 -all",
            "v=spf1 a/024 -all",
        ] {
            assert!(SpfRecord::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn warnings() {
        assert!(p("v=spf1 +all").warnings.iter().any(|w| w.contains("+all")));
        assert!(
            p("v=spf1 mx")
                .warnings
                .iter()
                .any(|w| w.contains("no `all`"))
        );
        assert!(
            p("v=spf1 ptr -all")
                .warnings
                .iter()
                .any(|w| w.contains("ptr"))
        );
        assert!(
            p(" v=spf1 -all")
                .warnings
                .iter()
                .any(|w| w.contains("leading"))
        );
        assert_eq!(
            p("v=spf1 +mx ip6:2001:db8::/32 a:Mail.Acme.test/24 -all").normalized(),
            "v=spf1 mx ip6:2001:db8::/32 a:mail.acme.test/24 -all"
        );
    }
}
