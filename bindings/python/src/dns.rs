//! Mail-domain DNS verification over `dezky_core::dns` and the hickory
//! resolver of `dezky_clients`: conversions only (docs/dns.md has the rules).
//! Results are plain dicts and lists; `dezky.dns` types them.

use std::net::IpAddr;
use std::time::Duration;

use dezky_clients::resolver::{DnsResolver, ResolverSettings};
use dezky_core::dns::{self, DomainReport, ExpectedRecords, RecordKind, VerifyOptions};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::to_py;
use crate::error::{IntoPyResult, invalid_argument};
use crate::runtime;

fn kind_parts(kind: &RecordKind) -> (&'static str, Option<String>) {
    match kind {
        RecordKind::Spf => ("spf", None),
        RecordKind::Dmarc => ("dmarc", None),
        RecordKind::Dkim { selector } => ("dkim", Some(selector.clone())),
        RecordKind::Mx => ("mx", None),
        RecordKind::MtaSts => ("mta_sts", None),
        RecordKind::TlsRpt => ("tls_rpt", None),
        RecordKind::Ownership => ("ownership", None),
        RecordKind::Txt => ("txt", None),
        RecordKind::Cname => ("cname", None),
        _ => ("other", None),
    }
}

pub(crate) fn expected_json(e: &ExpectedRecords) -> Value {
    let checks: Vec<Value> = e
        .checks
        .iter()
        .map(|c| {
            let (kind, selector) = kind_parts(&c.kind);
            let values: Vec<String> = c
                .records
                .iter()
                .map(|r| r.txt_joined().unwrap_or_else(|| r.to_string()))
                .collect();
            json!({"name": c.name, "type": c.rtype, "kind": kind, "selector": selector, "values": values})
        })
        .collect();
    let table: Vec<Value> = e
        .table()
        .into_iter()
        .map(|r| {
            json!({"name": r.name, "host": r.host, "type": r.rtype, "value": r.value, "purpose": r.purpose})
        })
        .collect();
    json!({"domain": e.domain, "checks": checks, "zone_snippet": e.to_zone_snippet(), "table": table})
}

pub(crate) fn report_json(r: &DomainReport) -> Value {
    let checks: Vec<Value> = r
        .checks
        .iter()
        .map(|c| {
            let (kind, selector) = kind_parts(&c.kind);
            let diff: Vec<Value> = c
                .diff
                .iter()
                .map(|d| json!({"field": d.field, "expected": d.expected, "found": d.found}))
                .collect();
            json!({
                "name": c.name,
                "type": c.rtype,
                "kind": kind,
                "selector": selector,
                "status": c.status.as_str(),
                "expected": c.expected,
                "found": c.found,
                "diff": diff,
                "warnings": c.warnings,
                "message": c.message,
                "via_cname": c.via_cname,
            })
        })
        .collect();
    json!({
        "domain": r.domain,
        "checks": checks,
        "needs_attention": r.needs_attention,
        "complete": r.complete,
        "actions": r.actions,
    })
}

/// Parses a zone file (Stalwart's `dnsZoneFile`). Raises `ZoneParseError` (`line`).
#[pyfunction]
#[pyo3(signature = (text, origin = None) -> "list[_dns.ZoneRecord]")]
pub(crate) fn parse_zone_file<'py>(
    py: Python<'py>,
    text: &str,
    origin: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let records = dns::parse_zone_file(text, origin).py()?;
    let list: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "ttl": r.ttl,
                "type": r.data.rtype(),
                "value": r.data.txt_joined().unwrap_or_else(|| r.data.to_string()),
                "rdata": r.data.to_string(),
            })
        })
        .collect();
    to_py(py, &Value::Array(list))
}

/// The records `domain` should publish: Stalwart's plus, with a token, the ownership TXT at
/// `_dezky-challenge.<domain>.`; as checks, a zone snippet and a table.
#[pyfunction]
#[pyo3(signature = (domain, zone_file, ownership_token = None) -> "_dns.ExpectedRecords")]
pub(crate) fn expected_records<'py>(
    py: Python<'py>,
    domain: &str,
    zone_file: &str,
    ownership_token: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let expected = ExpectedRecords::new(domain, zone_file, ownership_token).py()?;
    to_py(py, &expected_json(&expected))
}

/// The resolver settings of the `nameservers`, `port`, `timeout`, `attempts` arguments.
pub(crate) fn settings(
    nameservers: Option<Vec<String>>,
    port: u16,
    timeout: f64,
    attempts: usize,
) -> PyResult<ResolverSettings> {
    let mut settings = ResolverSettings::default();
    if let Some(list) = nameservers {
        settings.nameservers = list
            .iter()
            .map(|s| {
                s.parse::<IpAddr>().map_err(|_| {
                    invalid_argument("nameservers", format!("`{s}` is not an IP address"))
                })
            })
            .collect::<PyResult<_>>()?;
    }
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 600.0) {
        return Err(invalid_argument(
            "timeout",
            "must be seconds, above 0 and at most 600",
        ));
    }
    settings.port = port;
    settings.timeout = Duration::from_secs_f64(timeout);
    settings.attempts = attempts;
    Ok(settings)
}

/// One domain; fails only when the resolver cannot be built or, with
/// `authoritative`, the zone's nameservers cannot be found.
async fn verify_one(
    settings: ResolverSettings,
    expected: ExpectedRecords,
    authoritative: bool,
) -> Result<DomainReport, dezky_clients::Error> {
    DnsResolver::new(settings)?
        .verify_domain(&expected, &VerifyOptions::default(), authoritative)
        .await
}

/// A batch; with `authoritative`, each domain at its own zone's nameservers.
async fn verify_many(
    settings: ResolverSettings,
    expected: Vec<ExpectedRecords>,
    authoritative: bool,
    concurrency: usize,
) -> Result<Vec<DomainReport>, dezky_clients::Error> {
    Ok(DnsResolver::new(settings)?
        .verify_domains(
            &expected,
            &VerifyOptions::default(),
            concurrency.max(1),
            authoritative,
        )
        .await)
}

fn batch(domains: &[(String, String, Option<String>)]) -> PyResult<Vec<ExpectedRecords>> {
    domains
        .iter()
        .map(|(d, z, t)| ExpectedRecords::new(d, z, t.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .py()
}

fn reports_py<'py>(py: Python<'py>, reports: &[DomainReport]) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &Value::Array(reports.iter().map(report_json).collect()))
}

/// Verifies one domain (see :func:`verify_domains`). With `authoritative`, raises
/// `DnsResolverError` when the zone's nameservers cannot be found.
#[pyfunction]
#[pyo3(signature = (
    domain,
    zone_file,
    ownership_token = None,
    nameservers = None,
    port = 53,
    timeout = 2.0,
    attempts = 2,
    authoritative = false,
) -> "Coroutine[Any, Any, _dns.DomainReport]")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_domain<'py>(
    py: Python<'py>,
    domain: &str,
    zone_file: &str,
    ownership_token: Option<&str>,
    nameservers: Option<Vec<String>>,
    port: u16,
    timeout: f64,
    attempts: usize,
    authoritative: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let settings = settings(nameservers, port, timeout, attempts)?;
    let expected = ExpectedRecords::new(domain, zone_file, ownership_token).py()?;
    runtime::coroutine(
        py,
        verify_one(settings, expected, authoritative),
        |py, report| to_py(py, &report_json(&report)),
    )
}

/// Synchronous twin of :func:`verify_domain`: blocks without the GIL.
#[pyfunction]
#[pyo3(signature = (
    domain,
    zone_file,
    ownership_token = None,
    nameservers = None,
    port = 53,
    timeout = 2.0,
    attempts = 2,
    authoritative = false,
) -> "_dns.DomainReport")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_domain_sync<'py>(
    py: Python<'py>,
    domain: &str,
    zone_file: &str,
    ownership_token: Option<&str>,
    nameservers: Option<Vec<String>>,
    port: u16,
    timeout: f64,
    attempts: usize,
    authoritative: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let settings = settings(nameservers, port, timeout, attempts)?;
    let expected = ExpectedRecords::new(domain, zone_file, ownership_token).py()?;
    let run = verify_one(settings, expected, authoritative);
    let report = runtime::block_on(py, "verify_domain_sync", run)?.py()?;
    to_py(py, &report_json(&report))
}

/// Verifies `(domain, zone_file, ownership_token)` triples, at most `concurrency` at a time, on
/// the module's runtime; the reports come back in input order. Without `nameservers`: 1.1.1.1
/// and 8.8.8.8. With `authoritative`, each domain is asked at its own zone's nameservers (found
/// through `nameservers`), recursion off, no cache; a domain whose nameservers cannot be found
/// gets every check `unknown`.
#[pyfunction]
#[pyo3(signature = (
    domains: "Sequence[tuple[str, str, str | None]]",
    nameservers = None,
    port = 53,
    timeout = 2.0,
    attempts = 2,
    authoritative = false,
    concurrency = 16,
) -> "Coroutine[Any, Any, list[_dns.DomainReport]]")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_domains<'py>(
    py: Python<'py>,
    domains: Vec<(String, String, Option<String>)>,
    nameservers: Option<Vec<String>>,
    port: u16,
    timeout: f64,
    attempts: usize,
    authoritative: bool,
    concurrency: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let settings = settings(nameservers, port, timeout, attempts)?;
    let expected = batch(&domains)?;
    runtime::coroutine(
        py,
        verify_many(settings, expected, authoritative, concurrency),
        |py, reports| reports_py(py, &reports),
    )
}

/// Synchronous twin of :func:`verify_domains`: blocks without the GIL.
#[pyfunction]
#[pyo3(signature = (
    domains: "Sequence[tuple[str, str, str | None]]",
    nameservers = None,
    port = 53,
    timeout = 2.0,
    attempts = 2,
    authoritative = false,
    concurrency = 16,
) -> "list[_dns.DomainReport]")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_domains_sync<'py>(
    py: Python<'py>,
    domains: Vec<(String, String, Option<String>)>,
    nameservers: Option<Vec<String>>,
    port: u16,
    timeout: f64,
    attempts: usize,
    authoritative: bool,
    concurrency: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let settings = settings(nameservers, port, timeout, attempts)?;
    let expected = batch(&domains)?;
    let run = verify_many(settings, expected, authoritative, concurrency);
    let reports = runtime::block_on(py, "verify_domains_sync", run)?.py()?;
    reports_py(py, &reports)
}
