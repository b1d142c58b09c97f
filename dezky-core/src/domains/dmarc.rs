//! A tenant's own DMARC policy: a validated builder whose record replaces
//! the `_dmarc` record the mail server proposes.

use serde::{Deserialize, Serialize};

use crate::dns::{DmarcRecord, ExpectedCheck, ExpectedRecords, RecordData, RecordKind};
use crate::error::{Error, Result};

/// A DMARC policy (RFC 9989 tags `p`, `sp`, `pct`, `rua`, `ruf`, `adkim`,
/// `aspf`). Build it with [`DmarcPolicy::new`] and the setters, or read it
/// from JSON; [`DmarcPolicy::to_record`] checks it and writes the TXT text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DmarcPolicy {
    /// `p`: `none`, `quarantine` or `reject`.
    pub p: String,
    /// `sp`, the subdomains' policy (defaults to `p`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp: Option<String>,
    /// `pct`, 0 to 100 (defaults to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct: Option<u8>,
    /// `rua`: where aggregate reports go, `mailto:` URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rua: Vec<String>,
    /// `ruf`: where failure reports go, `mailto:` URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ruf: Vec<String>,
    /// `adkim`: `r` (relaxed) or `s` (strict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adkim: Option<String>,
    /// `aspf`: `r` or `s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspf: Option<String>,
}

fn invalid(field: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

fn policy(field: &str, value: &str) -> Result<()> {
    match value {
        "none" | "quarantine" | "reject" => Ok(()),
        _ => Err(invalid(
            field.to_owned(),
            "must be none, quarantine or reject",
        )),
    }
}

fn alignment(field: &str, value: &str) -> Result<()> {
    match value {
        "r" | "s" => Ok(()),
        _ => Err(invalid(
            field.to_owned(),
            "must be r (relaxed) or s (strict)",
        )),
    }
}

/// A `mailto:` URI with one plain address (no `,`, `;`, `!` or spaces, which
/// the record's syntax gives a meaning).
fn mailto(field: String, uri: &str) -> Result<String> {
    let reason = "must be a mailto: URI with one address (mailto:dmarc@example.com)";
    let Some((scheme, address)) = uri.split_once(':') else {
        return Err(invalid(field, reason));
    };
    if !scheme.eq_ignore_ascii_case("mailto") {
        return Err(invalid(field, reason));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(invalid(field, reason));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-=".contains(&b));
    let domain_ok = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !local_ok || !domain_ok {
        return Err(invalid(field, reason));
    }
    Ok(format!("mailto:{local}@{}", domain.to_ascii_lowercase()))
}

impl DmarcPolicy {
    /// A policy `p` with every other tag at its default.
    pub fn new(p: impl Into<String>) -> Self {
        DmarcPolicy {
            p: p.into(),
            sp: None,
            pct: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            adkim: None,
            aspf: None,
        }
    }

    /// With `sp`.
    pub fn sp(mut self, sp: impl Into<String>) -> Self {
        self.sp = Some(sp.into());
        self
    }

    /// With `pct`.
    pub fn pct(mut self, pct: u8) -> Self {
        self.pct = Some(pct);
        self
    }

    /// With one more `rua` destination.
    pub fn rua(mut self, uri: impl Into<String>) -> Self {
        self.rua.push(uri.into());
        self
    }

    /// With one more `ruf` destination.
    pub fn ruf(mut self, uri: impl Into<String>) -> Self {
        self.ruf.push(uri.into());
        self
    }

    /// With `adkim`.
    pub fn adkim(mut self, adkim: impl Into<String>) -> Self {
        self.adkim = Some(adkim.into());
        self
    }

    /// With `aspf`.
    pub fn aspf(mut self, aspf: impl Into<String>) -> Self {
        self.aspf = Some(aspf.into());
        self
    }

    /// Checks every tag; an error names the field (`dmarc.p`, `dmarc.rua[1]`).
    pub fn validate(&self) -> Result<()> {
        self.to_record().map(|_| ())
    }

    /// The TXT text (`v=DMARC1; p=reject; ...`), tags in the RFC's order.
    /// Checks every tag first, and that the text reads back as the same policy.
    pub fn to_record(&self) -> Result<String> {
        policy("dmarc.p", &self.p)?;
        let mut text = format!("v=DMARC1; p={}", self.p);
        if let Some(sp) = &self.sp {
            policy("dmarc.sp", sp)?;
            text.push_str(&format!("; sp={sp}"));
        }
        if let Some(pct) = self.pct {
            if pct > 100 {
                return Err(invalid("dmarc.pct".into(), "must be 0 to 100"));
            }
            text.push_str(&format!("; pct={pct}"));
        }
        for (tag, uris) in [("rua", &self.rua), ("ruf", &self.ruf)] {
            if uris.is_empty() {
                continue;
            }
            if uris.len() > 10 {
                return Err(invalid(format!("dmarc.{tag}"), "at most 10 destinations"));
            }
            let checked = uris
                .iter()
                .enumerate()
                .map(|(i, uri)| mailto(format!("dmarc.{tag}[{i}]"), uri.trim()))
                .collect::<Result<Vec<_>>>()?;
            text.push_str(&format!("; {tag}={}", checked.join(",")));
        }
        if let Some(adkim) = &self.adkim {
            alignment("dmarc.adkim", adkim)?;
            text.push_str(&format!("; adkim={adkim}"));
        }
        if let Some(aspf) = &self.aspf {
            alignment("dmarc.aspf", aspf)?;
            text.push_str(&format!("; aspf={aspf}"));
        }
        DmarcRecord::parse(&text).map_err(|reason| invalid("dmarc".into(), reason))?;
        Ok(text)
    }
}

/// `expected` with its `_dmarc` record replaced by `record` (added when the
/// mail server proposed none).
pub fn with_dmarc(mut expected: ExpectedRecords, record: &str) -> ExpectedRecords {
    let data = RecordData::txt(record);
    let name = format!("_dmarc.{}", expected.domain);
    match expected
        .checks
        .iter_mut()
        .find(|c| c.kind == RecordKind::Dmarc)
    {
        Some(check) => check.records = vec![data],
        None => {
            let at = expected
                .checks
                .iter()
                .position(|c| c.kind == RecordKind::Ownership)
                .unwrap_or(expected.checks.len());
            expected.checks.insert(
                at,
                ExpectedCheck {
                    name,
                    rtype: "TXT".into(),
                    kind: RecordKind::Dmarc,
                    records: vec![data],
                },
            );
        }
    }
    expected
}
