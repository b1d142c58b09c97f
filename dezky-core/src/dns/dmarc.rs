//! DMARC policy records (RFC 9989, which obsoletes RFC 7489).

use std::collections::BTreeMap;

use serde::Serialize;

use super::tags::parse_tag_list;

/// A DMARC record with RFC 9989 defaults applied; compare two with `==`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcRecord {
    /// `p`: `none`, `quarantine` or `reject` (`none` when absent, RFC 9989).
    pub p: String,
    /// `sp` (defaults to `p`).
    pub sp: String,
    /// `np` (defaults to `sp`).
    pub np: String,
    /// `adkim`: `r` or `s` (default `r`).
    pub adkim: String,
    /// `aspf`: `r` or `s` (default `r`).
    pub aspf: String,
    /// `fo`, its options sorted (default `0`).
    pub fo: String,
    /// `rua` URIs, scheme and domain lowercase, `!size` dropped, sorted.
    pub rua: Vec<String>,
    /// `ruf` URIs, normalized as `rua`.
    pub ruf: Vec<String>,
    /// `psd`: `y`, `n` or `u` (default `u`).
    pub psd: String,
    /// `t`: `y` or `n` (default `n`).
    pub t: String,
    /// Legal but worth a warning.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Whether a TXT string is a DMARC record: starts with `v=DMARC1` (tag and
/// value compared case-insensitively, spaces around `=` allowed).
pub(crate) fn is_dmarc(text: &str) -> bool {
    let Some((tag, rest)) = text.trim_start().split_once('=') else {
        return false;
    };
    let value = rest.split(';').next().unwrap_or("").trim();
    tag.trim().eq_ignore_ascii_case("v") && value.eq_ignore_ascii_case("DMARC1")
}

fn policy(name: &str, value: &str) -> Result<String, String> {
    let v = value.to_ascii_lowercase();
    match v.as_str() {
        "none" | "quarantine" | "reject" => Ok(v),
        _ => Err(format!(
            "`{name}={value}` is not none, quarantine or reject"
        )),
    }
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> Result<String, String> {
    let v = value.to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(format!(
            "`{name}={value}` is not one of {}",
            allowed.join(", ")
        ))
    }
}

fn uri_list(name: &str, value: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in value.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        // `!size` is obsolete in RFC 9989; it does not change the destination.
        let uri = raw.split('!').next().unwrap_or(raw);
        let Some((scheme, rest)) = uri.split_once(':') else {
            return Err(format!("`{name}` entry `{raw}` is not a URI"));
        };
        let scheme = scheme.to_ascii_lowercase();
        let rest = match rest.rsplit_once('@') {
            Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
            None => rest.to_owned(),
        };
        if !(scheme == "mailto" || scheme == "https" || scheme == "http") || rest.is_empty() {
            return Err(format!(
                "`{name}` entry `{raw}` is not a mailto: or https: URI"
            ));
        }
        out.push(format!("{scheme}:{rest}"));
    }
    out.sort();
    Ok(out)
}

impl DmarcRecord {
    /// Parses a DMARC record. Errors: `v` not first or not `DMARC1`, a
    /// duplicate tag, an unknown policy or alignment value, a bad URI.
    pub fn parse(text: &str) -> Result<DmarcRecord, String> {
        let mut warnings = Vec::new();
        if text.starts_with(char::is_whitespace) {
            warnings.push("leading whitespace before `v=DMARC1`".to_owned());
        }
        let tags = parse_tag_list(text)?;
        let mut map = BTreeMap::new();
        for (i, (name, value)) in tags.iter().enumerate() {
            let name = name.to_ascii_lowercase();
            if i == 0 && (name != "v" || !value.eq_ignore_ascii_case("DMARC1")) {
                return Err("the record must start with `v=DMARC1`".to_owned());
            }
            if i == 1 && name != "p" {
                warnings.push("`p` is not the second tag".to_owned());
            }
            map.insert(name, value.clone());
        }
        if tags.is_empty() {
            return Err("empty record".to_owned());
        }
        let p = match map.get("p") {
            Some(v) => policy("p", v)?,
            None => {
                warnings.push("no `p`: RFC 9989 reads it as `p=none`".to_owned());
                "none".to_owned()
            }
        };
        let sp = map
            .get("sp")
            .map(|v| policy("sp", v))
            .transpose()?
            .unwrap_or_else(|| p.clone());
        let np = map
            .get("np")
            .map(|v| policy("np", v))
            .transpose()?
            .unwrap_or_else(|| sp.clone());
        // RFC 9989 §4.8: an invalid value of these tags is discarded in favour
        // of the default, with a warning; the record stays usable.
        let mut discard = |name: &str, allowed: &[&str], default: &str| -> String {
            match map.get(name) {
                None => default.to_owned(),
                Some(v) => one_of(name, v, allowed).unwrap_or_else(|e| {
                    warnings.push(format!(
                        "{e}; RFC 9989 §4.8 uses the default `{name}={default}`"
                    ));
                    default.to_owned()
                }),
            }
        };
        let adkim = discard("adkim", &["r", "s"], "r");
        let aspf = discard("aspf", &["r", "s"], "r");
        let psd = discard("psd", &["y", "n", "u"], "u");
        let t = discard("t", &["y", "n"], "n");
        let fo = match map.get("fo") {
            Some(v) => {
                let mut opts = Vec::new();
                for o in v.split(':') {
                    opts.push(one_of("fo", o.trim(), &["0", "1", "d", "s"])?);
                }
                let mut unique = opts.clone();
                unique.sort();
                unique.dedup();
                let both = unique.contains(&"0".to_owned()) && unique.contains(&"1".to_owned());
                if both || unique.len() != opts.len() {
                    warnings.push(format!(
                        "`fo={v}` repeats a value or has both 0 and 1; RFC 9989 §4.8 uses `fo=0`"
                    ));
                    "0".to_owned()
                } else {
                    unique.join(":")
                }
            }
            None => "0".to_owned(),
        };
        if let Some(pct) = map.get("pct") {
            match pct.parse::<u8>() {
                Ok(n) if n <= 100 => {
                    if n != 100 {
                        warnings.push(format!("`pct={n}` is ignored by RFC 9989 receivers"));
                    }
                }
                _ => return Err(format!("`pct={pct}` is not 0 to 100")),
            }
        }
        let rua = map
            .get("rua")
            .map(|v| uri_list("rua", v))
            .transpose()?
            .unwrap_or_default();
        let ruf = map
            .get("ruf")
            .map(|v| uri_list("ruf", v))
            .transpose()?
            .unwrap_or_default();
        if p == "none" {
            warnings.push("`p=none` only monitors: nothing is quarantined or rejected".to_owned());
        }
        if map
            .get("sp")
            .is_some_and(|v| v.eq_ignore_ascii_case("none"))
            && p != "none"
        {
            warnings.push("`sp=none` leaves subdomains unprotected".to_owned());
        }
        if rua.is_empty() {
            warnings.push("no `rua`: no aggregate reports".to_owned());
        }
        if rua.len() > 2 {
            warnings.push(
                "more than two `rua` destinations; some receivers send to two only".to_owned(),
            );
        }
        Ok(DmarcRecord {
            p,
            sp,
            np,
            adkim,
            aspf,
            fo,
            rua,
            ruf,
            psd,
            t,
            warnings,
        })
    }

    /// The fields as (name, value) pairs, for field-level diffs.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("p", self.p.clone()),
            ("sp", self.sp.clone()),
            ("np", self.np.clone()),
            ("adkim", self.adkim.clone()),
            ("aspf", self.aspf.clone()),
            ("fo", self.fo.clone()),
            ("rua", self.rua.join(",")),
            ("ruf", self.ruf.join(",")),
            ("psd", self.psd.clone()),
            ("t", self.t.clone()),
        ]
    }

    /// Same policy, ignoring warnings.
    pub fn equivalent(&self, other: &DmarcRecord) -> bool {
        self.fields() == other.fields()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DmarcRecord {
        match DmarcRecord::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn defaults_case_and_pct() {
        let a = p("v=DMARC1; p=reject; rua=mailto:postmaster@acme.test");
        let b = p(
            "V=DMARC1; P=REJECT; RUA=MAILTO:postmaster@ACME.test!10m; pct=100; adkim=r; sp=reject",
        );
        assert!(a.equivalent(&b));
        assert_eq!(a.np, "reject");
        assert!(!a.equivalent(&p(
            "v=DMARC1; p=quarantine; rua=mailto:postmaster@acme.test"
        )));
        assert_eq!(p("v=DMARC1").p, "none");
        assert!(
            p("v=DMARC1; p=none")
                .warnings
                .iter()
                .any(|w| w.contains("p=none"))
        );
        assert!(
            p("v=DMARC1; rua=mailto:a@b.test; p=reject")
                .warnings
                .iter()
                .any(|w| w.contains("second"))
        );
    }

    #[test]
    fn errors() {
        for bad in [
            "p=reject; v=DMARC1",
            "v=DMARC2; p=reject",
            "v=DMARC1; p=block",
            "v=DMARC1; p=reject; p=none",
            "v=DMARC1; p=reject; pct=101",
            "v=DMARC1; p=reject; rua=postmaster@acme.test",
        ] {
            assert!(DmarcRecord::parse(bad).is_err(), "{bad}");
        }
        let discarded = p("v=DMARC1; p=reject; adkim=x; fo=0:1");
        assert_eq!(
            (discarded.adkim.as_str(), discarded.fo.as_str()),
            ("r", "0")
        );
        assert_eq!(
            discarded
                .warnings
                .iter()
                .filter(|w| w.contains("§4.8"))
                .count(),
            2
        );
        assert!(DmarcRecord::parse("v=DMARC1; p=reject; fo=x").is_err());
        assert!(is_dmarc("v=DMARC1; p=none"));
        assert!(is_dmarc("V = dmarc1;p=none"));
        assert!(!is_dmarc("v=spf1 -all"));
    }
}
