//! The records a domain should publish: Stalwart's plus the ownership TXT.

// `#[napi]` records and enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use serde::Serialize;

use super::dkim::DkimKey;
use super::dmarc::is_dmarc;
use super::name::{is_within, normalize_name, without_dot};
use super::resolve::QueryType;
use super::spf::is_spf;
use super::zone::{RecordData, ZoneRecord, parse_zone_file};
use crate::{Error, Result};

/// The label of the control plane's ownership TXT: `_dezky-challenge.<domain>.`.
pub const OWNERSHIP_LABEL: &str = "_dezky-challenge";
/// The prefix of the ownership TXT's value: `dezky-domain-verification=<token>`.
pub const OWNERSHIP_PREFIX: &str = "dezky-domain-verification=";

/// What an expected record is for; decides how it is compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordKind {
    /// The domain's SPF policy (or an MX host's).
    Spf,
    /// The DMARC policy at `_dmarc`.
    Dmarc,
    /// A DKIM key at `<selector>._domainkey`.
    Dkim {
        /// The selector.
        selector: String,
    },
    /// The mail exchangers (compared as a set).
    Mx,
    /// The MTA-STS TXT at `_mta-sts`.
    MtaSts,
    /// The TLS-RPT TXT at `_smtp._tls`.
    TlsRpt,
    /// The control plane's ownership token.
    Ownership,
    /// Any other TXT (compared as joined text).
    Txt,
    /// An alias (compared by target).
    Cname,
    /// Anything else (SRV, TLSA, CAA, …: compared as a set of records).
    Other,
}

impl RecordKind {
    /// A short label for tables and messages.
    pub fn label(&self) -> &'static str {
        match self {
            RecordKind::Spf => "SPF",
            RecordKind::Dmarc => "DMARC",
            RecordKind::Dkim { .. } => "DKIM",
            RecordKind::Mx => "MX",
            RecordKind::MtaSts => "MTA-STS",
            RecordKind::TlsRpt => "TLS-RPT",
            RecordKind::Ownership => "ownership",
            RecordKind::Txt => "TXT",
            RecordKind::Cname => "CNAME",
            RecordKind::Other => "other",
        }
    }
}

/// One thing to check: a name, a type, and the record(s) expected there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedCheck {
    /// The owner, normalized.
    pub name: String,
    /// The type mnemonic.
    pub rtype: String,
    /// How it is compared.
    pub kind: RecordKind,
    /// The records: one for TXT and CNAME checks, the whole set for MX, SRV, TLSA, CAA.
    pub records: Vec<RecordData>,
}

impl ExpectedCheck {
    /// The query type to ask.
    pub fn query_type(&self) -> Option<QueryType> {
        QueryType::from_mnemonic(&self.rtype)
    }
}

/// One row of the portal's "records to publish" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "PublishRow")
)]
pub struct TableRow {
    /// The owner as an FQDN (`_dmarc.acme.test.`).
    pub name: String,
    /// The owner relative to the domain (`_dmarc`, `@` for the domain itself), for DNS hosts' forms.
    pub host: String,
    /// The type mnemonic.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "napi", napi(js_name = "type"))]
    pub rtype: String,
    /// The value to paste: TXT text joined and unquoted, other types in presentation format.
    pub value: String,
    /// What the record is for (`SPF`, `DKIM`, …).
    pub purpose: String,
}

/// The records a mail domain should publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedRecords {
    /// The domain, normalized.
    pub domain: String,
    /// The checks, in zone-file order, the ownership TXT last.
    pub checks: Vec<ExpectedCheck>,
}

fn classify(name: &str, data: &RecordData) -> RecordKind {
    match data {
        RecordData::Mx { .. } => RecordKind::Mx,
        RecordData::Cname { .. } => RecordKind::Cname,
        RecordData::Txt { .. } => {
            let text = data.txt_joined().unwrap_or_default();
            let first = name.split('.').next().unwrap_or("");
            if name.contains("._domainkey.") && DkimKey::looks_like(&text) {
                RecordKind::Dkim {
                    selector: name.split("._domainkey.").next().unwrap_or("").to_owned(),
                }
            } else if first == "_dmarc" && is_dmarc(&text) {
                RecordKind::Dmarc
            } else if first == "_mta-sts" && text.trim_start().starts_with("v=STSv1") {
                RecordKind::MtaSts
            } else if name.starts_with("_smtp._tls.") && text.trim_start().starts_with("v=TLSRPTv1")
            {
                RecordKind::TlsRpt
            } else if is_spf(&text) {
                RecordKind::Spf
            } else if first == OWNERSHIP_LABEL && text.starts_with(OWNERSHIP_PREFIX) {
                RecordKind::Ownership
            } else {
                RecordKind::Txt
            }
        }
        _ => RecordKind::Other,
    }
}

/// Checks an ownership token: 16 to 128 characters of `A-Z a-z 0-9 - _`.
fn validate_token(token: &str) -> Result<()> {
    let ok = (16..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            field: "ownership_token".to_owned(),
            reason: "16 to 128 characters of A-Z, a-z, 0-9, `-` and `_`".to_owned(),
        })
    }
}

impl ExpectedRecords {
    /// The expected records of `domain`: those of `zone_file` (Stalwart's
    /// `dnsZoneFile`) plus, with a token, the ownership TXT
    /// `_dezky-challenge.<domain>. TXT "dezky-domain-verification=<token>"`.
    pub fn new(
        domain: &str,
        zone_file: &str,
        ownership_token: Option<&str>,
    ) -> Result<ExpectedRecords> {
        let domain = normalize_name(domain);
        if domain == "." || !domain.trim_end_matches('.').contains('.') && domain.len() < 3 {
            return Err(Error::Invalid {
                field: "domain".to_owned(),
                reason: format!("`{domain}` is not a domain"),
            });
        }
        let records = parse_zone_file(zone_file, Some(&domain))?;
        Self::from_records(&domain, records, ownership_token)
    }

    /// The same from already-parsed records.
    pub fn from_records(
        domain: &str,
        records: Vec<ZoneRecord>,
        ownership_token: Option<&str>,
    ) -> Result<ExpectedRecords> {
        let domain = normalize_name(domain);
        let mut checks: Vec<ExpectedCheck> = Vec::new();
        for record in records {
            let kind = classify(&record.name, &record.data);
            let rtype = record.data.rtype().to_owned();
            let grouped = !matches!(
                record.data,
                RecordData::Txt { .. } | RecordData::Cname { .. }
            );
            if grouped {
                if let Some(existing) = checks
                    .iter_mut()
                    .find(|c| c.name == record.name && c.rtype == rtype)
                {
                    if !existing.records.contains(&record.data) {
                        existing.records.push(record.data);
                    }
                    continue;
                }
            } else if checks
                .iter()
                .any(|c| c.name == record.name && c.records.contains(&record.data))
            {
                continue;
            }
            checks.push(ExpectedCheck {
                name: record.name,
                rtype,
                kind,
                records: vec![record.data],
            });
        }
        if let Some(token) = ownership_token {
            validate_token(token)?;
            checks.push(ExpectedCheck {
                name: format!("{OWNERSHIP_LABEL}.{domain}"),
                rtype: "TXT".to_owned(),
                kind: RecordKind::Ownership,
                records: vec![RecordData::txt(&format!("{OWNERSHIP_PREFIX}{token}"))],
            });
        }
        Ok(ExpectedRecords { domain, checks })
    }

    /// The records as a zone snippet, one record per line (multi-string TXT in
    /// parentheses), without TTL: ready to paste into a zone file.
    pub fn to_zone_snippet(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            for data in &check.records {
                let record = ZoneRecord {
                    name: check.name.clone(),
                    ttl: 0,
                    data: data.clone(),
                };
                out.push_str(&record.to_zone_line(false));
                out.push('\n');
            }
        }
        out
    }

    /// The records as table rows (name, host, type, value, purpose).
    pub fn table(&self) -> Vec<TableRow> {
        let mut rows = Vec::new();
        for check in &self.checks {
            let host = if check.name == self.domain {
                "@".to_owned()
            } else if is_within(&check.name, &self.domain) {
                check.name[..check.name.len() - self.domain.len() - 1].to_owned()
            } else {
                without_dot(&check.name).to_owned()
            };
            for data in &check.records {
                rows.push(TableRow {
                    name: check.name.clone(),
                    host: host.clone(),
                    rtype: check.rtype.clone(),
                    value: data.txt_joined().unwrap_or_else(|| data.to_string()),
                    purpose: check.kind.label().to_owned(),
                });
            }
        }
        rows
    }
}
