//! Mail-domain DNS verification: `parseZoneFile`, `expectedRecords`,
//! `verifyDomain` and `verifyDomains` over `dezky_core::dns` and the hickory
//! resolver of `dezky_clients`. Conversion only: every rule is in the core
//! (docs/dns.md).

use std::net::IpAddr;
use std::time::Duration;

use dezky_clients::resolver::{DnsResolver, ResolverSettings};
use dezky_core::dns::{
    self, CheckStatus, DomainReport, ExpectedRecords, FieldDiff, RecordCheck, RecordKind, TableRow,
    VerifyOptions, ZoneRecord,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert;
use crate::error::{IntoJs, invalid_argument, to_js};

/// One record of a zone file.
#[napi(object, object_from_js = false)]
pub struct ZoneRecordInfo {
    /// The owner, lowercase with a trailing dot (`_dmarc.acme.test.`).
    pub name: String,
    /// The TTL (the zone's `$TTL`, or 3600).
    pub ttl: u32,
    /// The type mnemonic (`TXT`, `MX`, ...).
    #[napi(js_name = "type")]
    pub rtype: String,
    /// The value: TXT strings joined and unquoted, other types in presentation format.
    pub value: String,
    /// The data in zone-file presentation format (TXT quoted, one string per 255 bytes).
    pub rdata: String,
}

impl From<ZoneRecord> for ZoneRecordInfo {
    fn from(r: ZoneRecord) -> Self {
        ZoneRecordInfo {
            value: r.data.txt_joined().unwrap_or_else(|| r.data.to_string()),
            rdata: r.data.to_string(),
            rtype: r.data.rtype().to_owned(),
            name: r.name,
            ttl: r.ttl,
        }
    }
}

/// One expected check: a name, a type and the value(s) expected there.
#[napi(object, object_from_js = false)]
pub struct ExpectedCheckInfo {
    /// The owner.
    pub name: String,
    /// The type mnemonic.
    #[napi(js_name = "type")]
    pub rtype: String,
    /// How it is compared.
    #[napi(
        ts_type = "'spf' | 'dmarc' | 'dkim' | 'mx' | 'mta_sts' | 'tls_rpt' | 'ownership' | 'txt' | 'cname' | 'other'"
    )]
    pub kind: String,
    /// The DKIM selector, for `kind: 'dkim'`.
    pub selector: Option<String>,
    /// The expected values (TXT joined).
    pub values: Vec<String>,
}

/// The records a mail domain should publish.
#[napi(object, object_from_js = false)]
pub struct ExpectedRecordsInfo {
    /// The domain, lowercase with a trailing dot.
    pub domain: String,
    /// The checks, in zone-file order, the ownership TXT last.
    pub checks: Vec<ExpectedCheckInfo>,
    /// The records as a zone-file snippet, ready to paste.
    pub zone_snippet: String,
    /// The records as table rows for the add-domain wizard.
    #[napi(ts_type = "Array<PublishRow>")]
    pub table: Vec<TableRow>,
}

/// The verdict on one expected check.
#[napi(object, object_from_js = false)]
pub struct RecordCheckInfo {
    /// The owner.
    pub name: String,
    /// The type mnemonic.
    #[napi(js_name = "type")]
    pub rtype: String,
    /// How it was compared (as `ExpectedCheckInfo.kind`).
    #[napi(
        ts_type = "'spf' | 'dmarc' | 'dkim' | 'mx' | 'mta_sts' | 'tls_rpt' | 'ownership' | 'txt' | 'cname' | 'other'"
    )]
    pub kind: String,
    /// The DKIM selector, for `kind: 'dkim'`.
    pub selector: Option<String>,
    /// The verdict. `unknown` (timeout, SERVFAIL, REFUSED) is never `missing`.
    pub status: CheckStatus,
    /// The expected values.
    pub expected: Vec<String>,
    /// The values found at the name.
    pub found: Vec<String>,
    /// Field-level differences.
    #[napi(ts_type = "Array<FieldDiffInfo>")]
    pub diff: Vec<FieldDiff>,
    /// Legal but worth fixing (`+all`, `p=none`, SPF near its lookup limit, ...).
    pub warnings: Vec<String>,
    /// Why the status is not `ok`.
    pub message: Option<String>,
    /// The CNAME target the answer came through (DKIM delegated to a provider).
    pub via_cname: Option<String>,
}

/// The verdict on a domain.
#[napi(object, object_from_js = false)]
pub struct DomainReportInfo {
    /// The domain.
    pub domain: String,
    /// One verdict per expected check.
    pub checks: Vec<RecordCheckInfo>,
    /// Whether the sidebar badge counts it: some check is `missing`, `mismatch` or `invalid`.
    pub needs_attention: bool,
    /// Whether every check got an answer (no `unknown`).
    pub complete: bool,
    /// What to change, one sentence each.
    pub actions: Vec<String>,
}

/// Where and how to ask DNS. Without `nameservers`: 1.1.1.1 and 8.8.8.8.
// Declared for the TypeScript definitions only: read through `serde_json::Value`.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct ResolverOptions {
    /// Nameserver IP addresses (default `['1.1.1.1', '8.8.8.8']`).
    pub nameservers: Option<Vec<String>>,
    /// Their port (default 53).
    pub port: Option<u32>,
    /// Per-attempt timeout in milliseconds (default 2000).
    pub timeout_ms: Option<u32>,
    /// Attempts per question (default 2).
    pub attempts: Option<u32>,
    /// Ask the zone's own nameservers (found through the nameservers above), recursion off, no cache.
    pub authoritative: Option<bool>,
}

/// A domain to verify.
#[napi(object, object_to_js = false)]
pub struct DomainInput {
    /// The mail domain.
    pub domain: String,
    /// Stalwart's `dnsZoneFile` for it.
    pub zone_file: String,
    /// The control plane's ownership token, if it checks ownership.
    pub ownership_token: Option<String>,
}

fn kind_parts(kind: &RecordKind) -> (String, Option<String>) {
    let name = match kind {
        RecordKind::Spf => "spf",
        RecordKind::Dmarc => "dmarc",
        RecordKind::Dkim { selector } => return ("dkim".to_owned(), Some(selector.clone())),
        RecordKind::Mx => "mx",
        RecordKind::MtaSts => "mta_sts",
        RecordKind::TlsRpt => "tls_rpt",
        RecordKind::Ownership => "ownership",
        RecordKind::Txt => "txt",
        RecordKind::Cname => "cname",
        _ => "other",
    };
    (name.to_owned(), None)
}

impl From<ExpectedRecords> for ExpectedRecordsInfo {
    fn from(e: ExpectedRecords) -> Self {
        ExpectedRecordsInfo {
            zone_snippet: e.to_zone_snippet(),
            table: e.table(),
            checks: e
                .checks
                .iter()
                .map(|c| {
                    let (kind, selector) = kind_parts(&c.kind);
                    ExpectedCheckInfo {
                        name: c.name.clone(),
                        rtype: c.rtype.clone(),
                        kind,
                        selector,
                        values: c
                            .records
                            .iter()
                            .map(|r| r.txt_joined().unwrap_or_else(|| r.to_string()))
                            .collect(),
                    }
                })
                .collect(),
            domain: e.domain,
        }
    }
}

impl From<RecordCheck> for RecordCheckInfo {
    fn from(c: RecordCheck) -> Self {
        let (kind, selector) = kind_parts(&c.kind);
        RecordCheckInfo {
            name: c.name,
            rtype: c.rtype,
            kind,
            selector,
            status: c.status,
            expected: c.expected,
            found: c.found,
            diff: c.diff,
            warnings: c.warnings,
            message: c.message,
            via_cname: c.via_cname,
        }
    }
}

impl From<DomainReport> for DomainReportInfo {
    fn from(r: DomainReport) -> Self {
        DomainReportInfo {
            domain: r.domain,
            checks: r.checks.into_iter().map(RecordCheckInfo::from).collect(),
            needs_attention: r.needs_attention,
            complete: r.complete,
            actions: r.actions,
        }
    }
}

/// Parses a zone file (Stalwart's `dnsZoneFile`, or any master file without
/// `$INCLUDE`). Throws `DEZKY_ZONE_PARSE` with `line`.
#[napi]
pub fn parse_zone_file(
    env: Env,
    text: String,
    origin: Option<String>,
) -> napi::Result<Vec<ZoneRecordInfo>> {
    dns::parse_zone_file(&text, origin.as_deref())
        .map(|rs| rs.into_iter().map(ZoneRecordInfo::from).collect())
        .js(&env)
}

/// The records `domain` should publish: Stalwart's plus, with a token, the
/// ownership TXT `_dezky-challenge.<domain>.`; as checks, a zone snippet and a table.
#[napi]
pub fn expected_records(
    env: Env,
    domain: String,
    zone_file: String,
    ownership_token: Option<String>,
) -> napi::Result<ExpectedRecordsInfo> {
    ExpectedRecords::new(&domain, &zone_file, ownership_token.as_deref())
        .map(ExpectedRecordsInfo::from)
        .js(&env)
}

enum DnsError {
    Core(dezky_core::Error),
    Clients(dezky_clients::Error),
}

impl From<dezky_core::Error> for DnsError {
    fn from(e: dezky_core::Error) -> Self {
        DnsError::Core(e)
    }
}

impl From<dezky_clients::Error> for DnsError {
    fn from(e: dezky_clients::Error) -> Self {
        DnsError::Clients(e)
    }
}

impl DnsError {
    fn js(self, env: &Env) -> napi::Error {
        match self {
            DnsError::Core(e) => to_js(env, &e),
            DnsError::Clients(e) => to_js(env, &e),
        }
    }
}

struct Plan {
    settings: ResolverSettings,
    authoritative: bool,
}

fn number(name: &str, value: &Value, max: u64) -> Result<u64, dezky_flags::Error> {
    match value.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ => Err(invalid_argument(
            name,
            format!("must be an integer from 0 to {max}"),
        )),
    }
}

/// Unknown options are refused, naming the option, so that a misspelt one
/// cannot silently keep its default.
fn resolver_plan(env: &Env, value: Option<Unknown<'_>>) -> Result<Plan, dezky_flags::Error> {
    let mut plan = Plan {
        settings: ResolverSettings::default(),
        authoritative: false,
    };
    let map = match value {
        Some(value) => convert::options(env, &value, "resolver")?,
        None => None,
    };
    for (name, value) in map.unwrap_or_default() {
        if value.is_null() {
            continue;
        }
        match name.as_str() {
            "nameservers" => {
                let Value::Array(items) = value else {
                    return Err(invalid_argument(
                        "nameservers",
                        "must be an array of IP addresses",
                    ));
                };
                plan.settings.nameservers = items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .and_then(|s| s.parse::<IpAddr>().ok())
                            .ok_or_else(|| {
                                invalid_argument(
                                    "nameservers",
                                    format!("`{v}` is not an IP address"),
                                )
                            })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "port" => plan.settings.port = number("port", &value, 65535)? as u16,
            "timeoutMs" => {
                plan.settings.timeout = Duration::from_millis(number("timeoutMs", &value, 600_000)?)
            }
            "attempts" => plan.settings.attempts = number("attempts", &value, 10)? as usize,
            "authoritative" => {
                plan.authoritative = value
                    .as_bool()
                    .ok_or_else(|| invalid_argument("authoritative", "must be a boolean"))?
            }
            _ => {
                return Err(invalid_argument(
                    &name,
                    "unknown option (expected nameservers, port, timeoutMs, attempts or authoritative)",
                ));
            }
        }
    }
    Ok(plan)
}

fn expected(input: &DomainInput) -> Result<ExpectedRecords, dezky_core::Error> {
    let token = input.ownership_token.as_deref();
    ExpectedRecords::new(&input.domain, &input.zone_file, token)
}

async fn run_one(plan: Plan, domain: ExpectedRecords) -> Result<DomainReport, DnsError> {
    let resolver = DnsResolver::new(plan.settings)?;
    Ok(resolver
        .verify_domain(&domain, &VerifyOptions::default(), plan.authoritative)
        .await?)
}

async fn run(
    plan: Plan,
    domains: Vec<ExpectedRecords>,
    concurrency: usize,
) -> Result<Vec<DomainReport>, DnsError> {
    let resolver = DnsResolver::new(plan.settings)?;
    Ok(resolver
        .verify_domains(
            &domains,
            &VerifyOptions::default(),
            concurrency,
            plan.authoritative,
        )
        .await)
}

/// Verifies one domain: looks up every expected record and diffs it. Rejects
/// only on bad input (`DEZKY_INVALID_ARGUMENT`, `DEZKY_ZONE_PARSE`) or a
/// resolver that cannot be set up (`DEZKY_CONFIG`, `DEZKY_DNS_RESOLVER`);
/// DNS failures are `unknown` checks in the report.
#[napi]
pub fn verify_domain<'e>(
    env: &'e Env,
    input: DomainInput,
    #[napi(ts_arg_type = "ResolverOptions | undefined | null")] resolver: Option<Unknown<'_>>,
) -> napi::Result<PromiseRaw<'e, DomainReportInfo>> {
    let expected = expected(&input).js(env)?;
    let plan = resolver_plan(env, resolver).js(env)?;
    env.spawn_future_with_callback(
        async move { Ok(run_one(plan, expected).await) },
        |env: &Env, result: Result<DomainReport, DnsError>| match result {
            Ok(report) => Ok(DomainReportInfo::from(report)),
            Err(e) => Err(e.js(env)),
        },
    )
}

/// Verifies many domains, at most `concurrency` (default 16) at a time; the
/// reports come back in input order. With `authoritative`, each domain is
/// asked at its own zone's nameservers; a domain whose nameservers cannot be
/// found gets every check `unknown`, and the others are still verified.
#[napi]
pub fn verify_domains<'e>(
    env: &'e Env,
    inputs: Vec<DomainInput>,
    #[napi(ts_arg_type = "ResolverOptions | undefined | null")] resolver: Option<Unknown<'_>>,
    concurrency: Option<u32>,
) -> napi::Result<PromiseRaw<'e, Vec<DomainReportInfo>>> {
    let expected = inputs
        .iter()
        .map(expected)
        .collect::<Result<Vec<_>, _>>()
        .js(env)?;
    let plan = resolver_plan(env, resolver).js(env)?;
    let concurrency = concurrency.unwrap_or(16).max(1) as usize;
    env.spawn_future_with_callback(
        async move { Ok(run(plan, expected, concurrency).await) },
        |env: &Env, result: Result<Vec<DomainReport>, DnsError>| match result {
            Ok(reports) => Ok(reports.into_iter().map(DomainReportInfo::from).collect()),
            Err(e) => Err(e.js(env)),
        },
    )
}
