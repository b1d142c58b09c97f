//! The semantic diff: one [`RecordCheck`] per expected check, and the domain's report.

// `#[napi]` records and enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use futures_util::future::join_all;
use serde::Serialize;

use super::dkim::DkimKey;
use super::dmarc::{DmarcRecord, is_dmarc};
use super::expected::{ExpectedCheck, ExpectedRecords, OWNERSHIP_PREFIX, RecordKind};
use super::name::without_dot;
use super::resolve::{Answer, FailureKind, QueryType, Resolver};
use super::spf::{Mechanism, Qualifier, SpfRecord, is_spf};
use super::tags::parse_tag_list;
use super::zone::RecordData;

/// The verdict on one expected check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum CheckStatus {
    /// Present and semantically equal (possibly with warnings, or via CNAME).
    Ok,
    /// NXDOMAIN, NODATA, or no record of that kind at the name.
    Missing,
    /// The kind exists but differs; see the field-level diff.
    Mismatch,
    /// A syntax error, a duplicate tag, more than one policy record, an SPF limit exceeded.
    Invalid,
    /// The question could not be answered (timeout, SERVFAIL, REFUSED, network).
    Unknown,
}

impl CheckStatus {
    /// The wire name (`ok`, `missing`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Missing => "missing",
            CheckStatus::Mismatch => "mismatch",
            CheckStatus::Invalid => "invalid",
            CheckStatus::Unknown => "unknown",
        }
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "FieldDiffInfo")
)]
pub struct FieldDiff {
    /// The field (`all`, `p`, `mechanism`, `exchange`, …).
    pub field: String,
    /// The expected value, `None` when the field should be absent.
    pub expected: Option<String>,
    /// The published value, `None` when absent.
    pub found: Option<String>,
}

impl FieldDiff {
    fn new(field: &str, expected: Option<String>, found: Option<String>) -> FieldDiff {
        FieldDiff {
            field: field.to_owned(),
            expected,
            found,
        }
    }
}

/// The verdict on one expected check, with everything the portal shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordCheck {
    /// The owner, normalized.
    pub name: String,
    /// The type mnemonic.
    #[serde(rename = "type")]
    pub rtype: String,
    /// What the record is for.
    pub kind: RecordKind,
    /// The verdict.
    pub status: CheckStatus,
    /// The expected values (TXT joined).
    pub expected: Vec<String>,
    /// The values found at the name (of the asked type; TXT joined).
    pub found: Vec<String>,
    /// Field-level differences (for `mismatch`, and for `ok` with tolerated extras).
    pub diff: Vec<FieldDiff>,
    /// Legal but worth fixing.
    pub warnings: Vec<String>,
    /// Why the status is not `ok`, in one sentence.
    pub message: Option<String>,
    /// The CNAME target the answer came through, if any.
    pub via_cname: Option<String>,
}

/// The verdict on a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainReport {
    /// The domain, normalized.
    pub domain: String,
    /// One check per expected record (set).
    pub checks: Vec<RecordCheck>,
    /// Whether the sidebar badge counts this domain: some check is `missing`,
    /// `mismatch` or `invalid`. `unknown` alone does not set it.
    pub needs_attention: bool,
    /// Whether every check got an answer (no `unknown`).
    pub complete: bool,
    /// What to change, one sentence per check that is not `ok`, then warnings.
    pub actions: Vec<String>,
}

impl DomainReport {
    /// How many checks have `status`.
    pub fn count(&self, status: CheckStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Options of the verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Follow SPF `include`/`redirect` and count DNS lookups and void lookups (RFC 7208 §4.6.4).
    pub spf_limits: bool,
    /// Look up each MX exchange's A/AAAA and flag exchanges without address or behind a CNAME.
    pub mx_hosts: bool,
    /// An SPF record needing at least this many lookups gets a warning (the limit is 10).
    pub spf_lookup_warning: u32,
    /// Check DMARC report destinations (RFC 7489 §7.1): a destination outside the domain's
    /// organisational domain must authorise the reports, and every destination must be able
    /// to receive mail. Also looks up the organisational domain's policy when the domain has none.
    pub dmarc_reports: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            spf_limits: true,
            mx_hosts: true,
            spf_lookup_warning: 8,
            dmarc_reports: true,
        }
    }
}

fn joined(records: &[RecordData]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.txt_joined().unwrap_or_else(|| r.to_string()))
        .collect()
}

struct Check<'a> {
    exp: &'a ExpectedCheck,
    out: RecordCheck,
}

impl<'a> Check<'a> {
    fn new(exp: &'a ExpectedCheck) -> Check<'a> {
        Check {
            exp,
            out: RecordCheck {
                name: exp.name.clone(),
                rtype: exp.rtype.clone(),
                kind: exp.kind.clone(),
                status: CheckStatus::Ok,
                expected: joined(&exp.records),
                found: Vec::new(),
                diff: Vec::new(),
                warnings: Vec::new(),
                message: None,
                via_cname: None,
            },
        }
    }

    fn done(mut self, status: CheckStatus, message: Option<String>) -> RecordCheck {
        self.out.status = status;
        self.out.message = message;
        self.out
    }
}

type BoxedFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Verifies every check of `expected` against `resolver`.
pub async fn verify_domain<R: Resolver>(
    resolver: &R,
    expected: &ExpectedRecords,
    options: &VerifyOptions,
) -> DomainReport {
    // Boxed as `dyn Future + Send`: a closure over references in the future's
    // type trips rustc's higher-ranked `Send` check for callers that spawn it.
    let checks = join_all(
        expected
            .checks
            .iter()
            .map(|c| -> BoxedFuture<'_, RecordCheck> {
                Box::pin(verify_check(resolver, c, options))
            }),
    )
    .await;
    let needs_attention = checks.iter().any(|c| {
        matches!(
            c.status,
            CheckStatus::Missing | CheckStatus::Mismatch | CheckStatus::Invalid
        )
    });
    let complete = checks.iter().all(|c| c.status != CheckStatus::Unknown);
    let mut actions = Vec::new();
    for c in &checks {
        let what = format!("{} {} ({})", without_dot(&c.name), c.rtype, c.kind.label());
        match c.status {
            CheckStatus::Ok => {}
            CheckStatus::Missing => {
                actions.push(format!("Publish {what}: {}", c.expected.join(" | ")))
            }
            CheckStatus::Mismatch => actions.push(format!(
                "Change {what} to {}{}",
                c.expected.join(" | "),
                c.message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            )),
            CheckStatus::Invalid => actions.push(format!(
                "Fix {what}: {}",
                c.message.clone().unwrap_or_else(|| "invalid".to_owned())
            )),
            CheckStatus::Unknown => actions.push(format!(
                "Recheck {what} later: {}",
                c.message.clone().unwrap_or_else(|| "no answer".to_owned())
            )),
        }
    }
    for c in &checks {
        for w in &c.warnings {
            actions.push(format!(
                "Consider {} {}: {w}",
                without_dot(&c.name),
                c.kind.label()
            ));
        }
    }
    DomainReport {
        domain: expected.domain.clone(),
        checks,
        needs_attention,
        complete,
        actions,
    }
}

/// Verifies many domains, at most `concurrency` at a time, in input order.
pub async fn verify_domains<R: Resolver>(
    resolver: &R,
    domains: &[ExpectedRecords],
    options: &VerifyOptions,
    concurrency: usize,
) -> Vec<DomainReport> {
    // Collected first, so no closure type is held across the awaits (see above).
    let futures: Vec<BoxedFuture<'_, DomainReport>> = domains
        .iter()
        .map(|d| -> BoxedFuture<'_, DomainReport> { Box::pin(verify_domain(resolver, d, options)) })
        .collect();
    futures_util::stream::iter(futures)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

fn failure_message(kind: FailureKind, message: &str) -> String {
    format!("no answer ({kind:?}): {message}")
}

async fn verify_check<R: Resolver>(
    resolver: &R,
    exp: &ExpectedCheck,
    options: &VerifyOptions,
) -> RecordCheck {
    let mut check = Check::new(exp);
    let Some(qtype) = exp.query_type() else {
        return check.done(
            CheckStatus::Unknown,
            Some(format!("type {} is not checked", exp.rtype)),
        );
    };
    let answer = resolver.lookup(&exp.name, qtype).await;
    let (records, chain) = match answer {
        Answer::Failure { kind, message } => {
            return check.done(CheckStatus::Unknown, Some(failure_message(kind, &message)));
        }
        Answer::NxDomain => {
            let message = "the name does not exist (NXDOMAIN)".to_owned();
            return missing(resolver, check, message, options).await;
        }
        Answer::NoData => {
            let message = format!("no {} record at the name", exp.rtype);
            return missing(resolver, check, message, options).await;
        }
        Answer::Records {
            records,
            cname_chain,
        } => (records, cname_chain),
    };
    check.out.found = joined(&records);
    check.out.via_cname = chain.last().cloned();
    match &exp.kind {
        RecordKind::Spf => verify_spf(resolver, check, &records, options).await,
        RecordKind::Dmarc => verify_dmarc(resolver, check, &records, options).await,
        RecordKind::Dkim { .. } => verify_dkim(check, &records),
        RecordKind::MtaSts => verify_single_tagged(check, &records, "v=STSv1", "MTA-STS"),
        RecordKind::TlsRpt => verify_single_tagged(check, &records, "v=TLSRPTv1", "TLS-RPT"),
        RecordKind::Ownership => verify_ownership(check, &records),
        RecordKind::Txt => verify_txt(check, &records),
        RecordKind::Mx => verify_mx(resolver, check, &records, options).await,
        RecordKind::Cname => verify_cname(check, &records),
        RecordKind::Other => verify_set(check, &records),
    }
}

/// A check whose record is missing; for DMARC, the message also says when
/// the organisational domain's policy applies instead.
async fn missing<R: Resolver>(
    resolver: &R,
    check: Check<'_>,
    mut message: String,
    options: &VerifyOptions,
) -> RecordCheck {
    if check.exp.kind == RecordKind::Dmarc && options.dmarc_reports {
        let domain = dmarc_domain(&check.exp.name);
        if let Some(inherited) = inherited_policy(resolver, &domain).await {
            message.push_str("; ");
            message.push_str(&inherited);
        }
    }
    check.done(CheckStatus::Missing, Some(message))
}

fn texts(records: &[RecordData]) -> Vec<String> {
    records.iter().filter_map(RecordData::txt_joined).collect()
}

fn expected_text(check: &Check<'_>) -> String {
    check
        .exp
        .records
        .first()
        .and_then(RecordData::txt_joined)
        .unwrap_or_default()
}

async fn verify_spf<R: Resolver>(
    resolver: &R,
    mut check: Check<'_>,
    records: &[RecordData],
    options: &VerifyOptions,
) -> RecordCheck {
    let all = texts(records);
    let spf: Vec<&String> = all.iter().filter(|t| is_spf(t)).collect();
    if all.iter().any(|t| t.starts_with("spf2.0/")) {
        check
            .out
            .warnings
            .push("a Sender ID `spf2.0/` record is published; receivers ignore it".to_owned());
    }
    let found_text = match spf.as_slice() {
        [] => {
            return check.done(
                CheckStatus::Missing,
                Some("no `v=spf1` record at the name".to_owned()),
            );
        }
        [one] => (*one).clone(),
        many => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!(
                    "{} SPF records; exactly one is allowed (RFC 7208 §4.5)",
                    many.len()
                )),
            );
        }
    };
    let found = match SpfRecord::parse(&found_text) {
        Ok(r) => r,
        Err(e) => return check.done(CheckStatus::Invalid, Some(format!("SPF syntax error: {e}"))),
    };
    check.out.warnings.extend(found.warnings.iter().cloned());
    let expected_raw = expected_text(&check);
    let mut status = CheckStatus::Ok;
    let mut message = None;
    match SpfRecord::parse(&expected_raw) {
        Ok(expected) => {
            if !expected.equivalent(&found) {
                let (tolerated, diff) = spf_diff(&expected, &found);
                check.out.diff = diff;
                if tolerated {
                    check
                        .out
                        .warnings
                        .push("extra include/ip4/ip6 terms beyond the expected record".to_owned());
                } else {
                    status = CheckStatus::Mismatch;
                    message = Some(format!(
                        "expected `{}`, found `{}`",
                        expected.normalized(),
                        found.normalized()
                    ));
                }
            }
        }
        Err(_) if expected_raw == found_text => {}
        Err(_) => {
            status = CheckStatus::Mismatch;
            check.out.diff.push(FieldDiff::new(
                "value",
                Some(expected_raw),
                Some(found_text.clone()),
            ));
        }
    }
    if options.spf_limits {
        let domain = without_dot(&check.exp.name).to_owned();
        let mut budget = SpfBudget::default();
        let mut stack = vec![domain.to_ascii_lowercase()];
        count_spf(resolver, &domain, &found, &mut budget, &mut stack).await;
        if let Some(err) = budget.error {
            return check.done(CheckStatus::Invalid, Some(err));
        }
        if let Some(unknown) = budget.unknown {
            check
                .out
                .warnings
                .push(format!("the lookup limits could not be checked: {unknown}"));
        } else if budget.lookups >= options.spf_lookup_warning {
            check.out.warnings.push(format!(
                "SPF needs {} of at most 10 DNS lookups",
                budget.lookups
            ));
        }
        check.out.warnings.extend(budget.warnings);
    }
    check.done(status, message)
}

/// Compares directive lists; returns whether the difference is tolerated
/// (only extra `+include`/`+ip4`/`+ip6` before the same `all`) and the field diff.
fn spf_diff(expected: &SpfRecord, found: &SpfRecord) -> (bool, Vec<FieldDiff>) {
    let exp_terms = expected.effective_terms();
    let found_terms = found.effective_terms();
    let mut diff = Vec::new();
    // The `all` term with its qualifier always written out: a bare `all` (or `+all`) passes
    // every sender, and the report must show that `+`, not the normalized `all`.
    let all_of = |terms: &[super::spf::SpfTerm]| {
        terms
            .iter()
            .find(|t| t.mechanism == Mechanism::All)
            .map(|t| match t.qualifier {
                Qualifier::Pass => "+all".to_owned(),
                _ => t.to_string(),
            })
    };
    let (ea, fa) = (all_of(exp_terms), all_of(found_terms));
    if ea != fa {
        diff.push(FieldDiff::new("all", ea, fa));
    }
    for t in exp_terms.iter().filter(|t| t.mechanism != Mechanism::All) {
        if !found_terms.iter().any(|f| f == t) {
            diff.push(FieldDiff::new("mechanism", Some(t.to_string()), None));
        }
    }
    let mut extras_tolerated = true;
    for t in found_terms.iter().filter(|t| t.mechanism != Mechanism::All) {
        if !exp_terms.iter().any(|e| e == t) {
            let tolerable = t.qualifier == Qualifier::Pass
                && matches!(
                    t.mechanism,
                    Mechanism::Include { .. } | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. }
                );
            extras_tolerated &= tolerable;
            diff.push(FieldDiff::new("mechanism", None, Some(t.to_string())));
        }
    }
    if expected.effective_redirect() != found.effective_redirect() {
        diff.push(FieldDiff::new(
            "redirect",
            expected.effective_redirect().map(str::to_owned),
            found.effective_redirect().map(str::to_owned),
        ));
    }
    if expected.exp != found.exp {
        diff.push(FieldDiff::new(
            "exp",
            expected.exp.clone(),
            found.exp.clone(),
        ));
    }
    // Tolerated: removing the extras from `found` gives exactly the expected directives.
    let kept: Vec<_> = found_terms
        .iter()
        .filter(|t| exp_terms.contains(t))
        .cloned()
        .collect();
    let tolerated = extras_tolerated
        && kept.as_slice() == exp_terms
        && expected.effective_redirect() == found.effective_redirect()
        && expected.exp == found.exp;
    if !tolerated && diff.is_empty() {
        diff.push(FieldDiff::new(
            "order",
            Some(expected.normalized()),
            Some(found.normalized()),
        ));
    }
    (tolerated, diff)
}

#[derive(Default)]
struct SpfBudget {
    lookups: u32,
    voids: u32,
    error: Option<String>,
    unknown: Option<String>,
    warnings: Vec<String>,
}

impl SpfBudget {
    fn lookup(&mut self) -> bool {
        self.lookups += 1;
        if self.lookups > 10 {
            self.error = Some(format!(
                "SPF needs more than 10 DNS lookups (RFC 7208 §4.6.4), at least {}",
                self.lookups
            ));
        }
        self.error.is_none()
    }

    fn void(&mut self) -> bool {
        self.voids += 1;
        if self.voids > 2 {
            self.error = Some(format!(
                "SPF has {} void lookups, more than 2 (RFC 7208 §4.6.4)",
                self.voids
            ));
        }
        self.error.is_none()
    }

    fn stop(&self) -> bool {
        self.error.is_some() || self.unknown.is_some()
    }
}

/// The one SPF record at `domain`, for include/redirect targets.
async fn spf_at<R: Resolver>(
    resolver: &R,
    domain: &str,
    budget: &mut SpfBudget,
    what: &str,
) -> Option<SpfRecord> {
    let name = super::name::normalize_name(domain);
    match resolver.lookup(&name, QueryType::Txt).await {
        Answer::Failure { kind, message } => {
            budget.unknown = Some(format!(
                "{what} {domain}: {}",
                failure_message(kind, &message)
            ));
            None
        }
        answer => {
            let found: Vec<String> = match answer {
                Answer::Records { records, .. } => {
                    texts(&records).into_iter().filter(|t| is_spf(t)).collect()
                }
                _ => Vec::new(),
            };
            match found.as_slice() {
                [] => {
                    if budget.void() {
                        budget.error = Some(format!(
                            "{what} {domain} has no SPF record (a permerror, RFC 7208 §5.2)"
                        ));
                    }
                    None
                }
                [one] => match SpfRecord::parse(one) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        budget.error = Some(format!("{what} {domain}: SPF syntax error: {e}"));
                        None
                    }
                },
                _ => {
                    budget.error = Some(format!("{what} {domain} has more than one SPF record"));
                    None
                }
            }
        }
    }
}

/// Counts a query that may be void (NXDOMAIN or no records).
async fn void_check<R: Resolver>(
    resolver: &R,
    name: &str,
    qtypes: &[QueryType],
    budget: &mut SpfBudget,
) {
    let name = super::name::normalize_name(name);
    let mut any = false;
    for q in qtypes {
        match resolver.lookup(&name, *q).await {
            Answer::Records { .. } => any = true,
            Answer::Failure { kind, message } => {
                budget.unknown = Some(format!("{name}: {}", failure_message(kind, &message)));
                return;
            }
            Answer::NxDomain | Answer::NoData => {}
        }
    }
    if !any {
        budget.warnings.push(format!(
            "{} has no {:?} record (a void lookup)",
            without_dot(&name),
            qtypes
        ));
        budget.void();
    }
}

fn count_spf<'a, R: Resolver>(
    resolver: &'a R,
    domain: &'a str,
    record: &'a SpfRecord,
    budget: &'a mut SpfBudget,
    stack: &'a mut Vec<String>,
) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        for term in record.effective_terms() {
            if budget.stop() {
                return;
            }
            if !term.mechanism.queries_dns() {
                continue;
            }
            if !budget.lookup() {
                return;
            }
            match &term.mechanism {
                Mechanism::Include { domain: target } if !target.contains('%') => {
                    if stack.contains(target) {
                        budget.error = Some(format!("include loop through {target}"));
                        return;
                    }
                    if let Some(inner) = spf_at(resolver, target, budget, "include target").await {
                        stack.push(target.clone());
                        count_spf(resolver, target, &inner, budget, stack).await;
                        stack.pop();
                    }
                }
                Mechanism::A { domain: target, .. } => {
                    let t = target.clone().unwrap_or_else(|| domain.to_owned());
                    if !t.contains('%') {
                        void_check(resolver, &t, &[QueryType::A, QueryType::Aaaa], budget).await;
                    }
                }
                Mechanism::Mx { domain: target, .. } => {
                    let t = target.clone().unwrap_or_else(|| domain.to_owned());
                    if !t.contains('%') {
                        void_check(resolver, &t, &[QueryType::Mx], budget).await;
                    }
                }
                _ => {} // ptr, exists and macro targets count without a query here
            }
        }
        if let Some(target) = record.effective_redirect() {
            if budget.stop() || !budget.lookup() || target.contains('%') {
                return;
            }
            if stack.iter().any(|s| s == target) {
                budget.error = Some(format!("redirect loop through {target}"));
                return;
            }
            if let Some(inner) = spf_at(resolver, target, budget, "redirect target").await {
                stack.push(target.to_owned());
                count_spf(resolver, target, &inner, budget, stack).await;
                stack.pop();
            }
        }
    })
}

async fn verify_dmarc<R: Resolver>(
    resolver: &R,
    mut check: Check<'_>,
    records: &[RecordData],
    options: &VerifyOptions,
) -> RecordCheck {
    let domain = dmarc_domain(&check.exp.name);
    let all = texts(records);
    let dmarc: Vec<&String> = all.iter().filter(|t| is_dmarc(t)).collect();
    let others = all.len() - dmarc.len();
    if others > 0 {
        check
            .out
            .warnings
            .push(format!("{others} unrelated TXT record(s) at _dmarc"));
    }
    let found_text = match dmarc.as_slice() {
        [] => {
            let message = "no `v=DMARC1` record at the name".to_owned();
            return missing(resolver, check, message, options).await;
        }
        [one] => (*one).clone(),
        many => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!(
                    "{} DMARC records; exactly one is allowed",
                    many.len()
                )),
            );
        }
    };
    let found = match DmarcRecord::parse(&found_text) {
        Ok(r) => r,
        Err(e) => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!("DMARC syntax error: {e}")),
            );
        }
    };
    check.out.warnings.extend(found.warnings.iter().cloned());
    if options.dmarc_reports {
        let warnings = report_destination_warnings(resolver, &domain, &found).await;
        check.out.warnings.extend(warnings);
    }
    let expected_raw = expected_text(&check);
    match DmarcRecord::parse(&expected_raw) {
        Ok(expected) if expected.equivalent(&found) => check.done(CheckStatus::Ok, None),
        Ok(expected) => {
            for ((field, e), (_, f)) in expected.fields().into_iter().zip(found.fields()) {
                if e != f {
                    check.out.diff.push(FieldDiff::new(field, Some(e), Some(f)));
                }
            }
            let fields: Vec<&str> = check.out.diff.iter().map(|d| d.field.as_str()).collect();
            let msg = format!("differs in {}", fields.join(", "));
            check.done(CheckStatus::Mismatch, Some(msg))
        }
        Err(_) if expected_raw == found_text => check.done(CheckStatus::Ok, None),
        Err(_) => {
            check.out.diff.push(FieldDiff::new(
                "value",
                Some(expected_raw),
                Some(found_text),
            ));
            check.done(CheckStatus::Mismatch, None)
        }
    }
}

/// The domain a `_dmarc` check is about (`_dmarc.acme.test.` → `acme.test`).
fn dmarc_domain(name: &str) -> String {
    let name = without_dot(name);
    name.strip_prefix("_dmarc.")
        .unwrap_or(name)
        .to_ascii_lowercase()
}

/// The organisational domain of `domain` by the Public Suffix List
/// (`mail.acme.co.uk` → `acme.co.uk`); the domain itself when the list gives
/// no registrable part (a public suffix, a single label).
pub(crate) fn organizational_domain(domain: &str) -> String {
    let domain = without_dot(domain).to_ascii_lowercase();
    match psl::domain_str(&domain) {
        Some(org) => org.to_owned(),
        None => domain,
    }
}

/// A single DMARC record in `answer`, parsed.
fn single_dmarc(answer: Answer) -> Option<DmarcRecord> {
    let Answer::Records { records, .. } = answer else {
        return None;
    };
    let texts = texts(&records);
    match texts
        .iter()
        .filter(|t| is_dmarc(t))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] => DmarcRecord::parse(one).ok(),
        _ => None,
    }
}

/// When a subdomain publishes no policy, receivers apply its organisational
/// domain's (RFC 7489 §6.6.3): which one, and with what subdomain policy.
async fn inherited_policy<R: Resolver>(resolver: &R, domain: &str) -> Option<String> {
    let org = organizational_domain(domain);
    if org == domain {
        return None;
    }
    let name = format!("_dmarc.{org}.");
    let record = single_dmarc(resolver.lookup(&name, QueryType::Txt).await)?;
    Some(format!(
        "receivers apply the organisational domain's policy at `_dmarc.{org}` instead (sp={})",
        record.sp
    ))
}

/// The domains of a record's `mailto:` report destinations, each once.
fn report_domains(record: &DmarcRecord) -> Vec<String> {
    let mut domains: Vec<String> = record
        .rua
        .iter()
        .chain(&record.ruf)
        .filter_map(|uri| uri.strip_prefix("mailto:"))
        .filter_map(|address| address.rsplit_once('@'))
        .map(|(_, domain)| without_dot(domain).to_owned())
        .filter(|domain| !domain.is_empty())
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

/// Warnings about where `domain`'s reports go: a destination outside its
/// organisational domain that has not authorised them (no `v=DMARC1` TXT at
/// `<domain>._report._dmarc.<destination>`, RFC 7489 §7.1: receivers then
/// send nothing there), and a destination that cannot receive mail (no such
/// domain, a null MX, neither MX nor address).
async fn report_destination_warnings<R: Resolver>(
    resolver: &R,
    domain: &str,
    record: &DmarcRecord,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let own = organizational_domain(domain);
    for destination in report_domains(record) {
        if organizational_domain(&destination) != own {
            let name = format!("{domain}._report._dmarc.{destination}.");
            match resolver.lookup(&name, QueryType::Txt).await {
                Answer::Failure { kind, message } => warnings.push(format!(
                    "could not check that {destination} accepts reports for {domain}: {}",
                    failure_message(kind, &message)
                )),
                answer => {
                    let authorised = matches!(&answer, Answer::Records { records, .. }
                        if texts(records).iter().any(|t| is_dmarc(t)));
                    if !authorised {
                        warnings.push(format!(
                            "{destination} has not authorised reports for {domain} (no `v=DMARC1` TXT record at `{}`): receivers will not send them there",
                            without_dot(&name)
                        ));
                    }
                }
            }
        }
        if let Some(problem) = mail_problem(resolver, &destination).await {
            warnings.push(format!("report destination {destination} {problem}"));
        }
    }
    warnings
}

/// Why `domain` cannot receive mail, if it cannot: it does not exist, it has
/// a null MX (RFC 7505), or it has neither MX nor address (RFC 5321 §5.1).
/// A lookup that fails says so.
async fn mail_problem<R: Resolver>(resolver: &R, domain: &str) -> Option<String> {
    let name = format!("{domain}.");
    match resolver.lookup(&name, QueryType::Mx).await {
        Answer::Records { records, .. } => {
            let null = records
                .iter()
                .all(|r| matches!(r, RecordData::Mx { exchange, .. } if exchange == "."));
            null.then(|| "accepts no mail (a null MX): reports sent there are lost".to_owned())
        }
        Answer::NxDomain => Some("does not exist: reports sent there are lost".to_owned()),
        Answer::Failure { kind, message } => Some(format!(
            "could not be checked for mail: {}",
            failure_message(kind, &message)
        )),
        Answer::NoData => {
            for qtype in [QueryType::A, QueryType::Aaaa] {
                match resolver.lookup(&name, qtype).await {
                    Answer::Records { .. } => return None,
                    Answer::Failure { kind, message } => {
                        return Some(format!(
                            "could not be checked for mail: {}",
                            failure_message(kind, &message)
                        ));
                    }
                    Answer::NxDomain | Answer::NoData => {}
                }
            }
            Some("has neither an MX nor an address record: it cannot receive reports".to_owned())
        }
    }
}

/// RFC 8301 §3.2: verifiers must not accept signatures by RSA keys under 1024 bits.
const DKIM_RSA_MIN_BITS: u64 = 1024;
/// RFC 8301 §3.2: signers should use at least 2048 bits.
const DKIM_RSA_RECOMMENDED_BITS: u64 = 2048;

fn verify_dkim(mut check: Check<'_>, records: &[RecordData]) -> RecordCheck {
    let all = texts(records);
    let found_text = match all.as_slice() {
        [] => {
            return check.done(
                CheckStatus::Missing,
                Some("no TXT record at the selector".to_owned()),
            );
        }
        [one] => one.clone(),
        many => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!(
                    "{} TXT records at one selector; publish exactly one key",
                    many.len()
                )),
            );
        }
    };
    let found = match DkimKey::parse(&found_text) {
        Ok(k) => k,
        Err(e) => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!("DKIM syntax error: {e}")),
            );
        }
    };
    let expected_raw = expected_text(&check);
    let expected = match DkimKey::parse(&expected_raw) {
        Ok(k) => k,
        Err(_) if expected_raw == found_text => return check.done(CheckStatus::Ok, None),
        Err(_) => {
            check.out.diff.push(FieldDiff::new(
                "value",
                Some(expected_raw),
                Some(found_text),
            ));
            return check.done(CheckStatus::Mismatch, None);
        }
    };
    if found.is_revoked() {
        check.out.diff.push(FieldDiff::new(
            "p",
            Some(expected.public_key.clone()),
            Some(String::new()),
        ));
        return check.done(
            CheckStatus::Mismatch,
            Some("the published key is revoked (empty `p=`)".to_owned()),
        );
    }
    if found.key_type == "rsa" {
        match found.rsa_modulus_bits() {
            None => {
                return check.done(
                    CheckStatus::Invalid,
                    Some("`p` is not an RSA public key".to_owned()),
                );
            }
            Some(bits) if bits < DKIM_RSA_MIN_BITS => {
                return check.done(
                    CheckStatus::Invalid,
                    Some(format!(
                        "the RSA key has {bits} bits; receivers ignore signatures by keys under {DKIM_RSA_MIN_BITS} bits (RFC 8301)"
                    )),
                );
            }
            Some(bits) if bits < DKIM_RSA_RECOMMENDED_BITS => check.out.warnings.push(format!(
                "the RSA key has {bits} bits; RFC 8301 asks for at least {DKIM_RSA_RECOMMENDED_BITS}"
            )),
            Some(_) => {}
        }
    }
    if expected.key_type != found.key_type {
        check.out.diff.push(FieldDiff::new(
            "k",
            Some(expected.key_type.clone()),
            Some(found.key_type.clone()),
        ));
    }
    if expected.key_bytes != found.key_bytes {
        check.out.diff.push(FieldDiff::new(
            "p",
            Some(expected.public_key.clone()),
            Some(found.public_key.clone()),
        ));
    }
    for (field, e, f) in [
        ("h", &expected.hashes, &found.hashes),
        ("s", &expected.services, &found.services),
        ("t", &expected.flags, &found.flags),
        ("n", &expected.notes, &found.notes),
    ] {
        if e != f {
            check.out.warnings.push(format!(
                "`{field}` differs: expected {}, found {}",
                e.as_deref().unwrap_or("(none)"),
                f.as_deref().unwrap_or("(none)")
            ));
        }
    }
    if check.out.diff.is_empty() {
        check.done(CheckStatus::Ok, None)
    } else {
        check.done(
            CheckStatus::Mismatch,
            Some("a different key is published".to_owned()),
        )
    }
}

/// MTA-STS and TLS-RPT: exactly one record with `prefix`; tags compared as a
/// map (names lowercase, `rua` URIs split on commas).
fn verify_single_tagged(
    mut check: Check<'_>,
    records: &[RecordData],
    prefix: &str,
    label: &str,
) -> RecordCheck {
    let all = texts(records);
    let mine: Vec<&String> = all
        .iter()
        .filter(|t| t.trim_start().starts_with(prefix))
        .collect();
    let found_text = match mine.as_slice() {
        [] => {
            return check.done(
                CheckStatus::Missing,
                Some(format!("no `{prefix}` record at the name")),
            );
        }
        [one] => (*one).clone(),
        many => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!(
                    "{} {label} records; exactly one is allowed",
                    many.len()
                )),
            );
        }
    };
    let normalize = |text: &str| -> Result<Vec<(String, String)>, String> {
        let mut tags: Vec<(String, String)> = parse_tag_list(text)?
            .into_iter()
            .map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let v = if k == "rua" {
                    let mut uris: Vec<String> = v.split(',').map(|u| u.trim().to_owned()).collect();
                    uris.sort();
                    uris.join(",")
                } else {
                    v
                };
                (k, v)
            })
            .collect();
        if prefix == "v=STSv1" {
            let id = tags
                .iter()
                .find(|(k, _)| k == "id")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err("`id` must be 1 to 32 letters and digits (RFC 8461 §3.1)".to_owned());
            }
        } else if !tags.iter().any(|(k, _)| k == "rua") {
            return Err("no `rua` (RFC 8460 §3)".to_owned());
        }
        tags.sort();
        Ok(tags)
    };
    let found = match normalize(&found_text) {
        Ok(t) => t,
        Err(e) => {
            return check.done(
                CheckStatus::Invalid,
                Some(format!("{label} syntax error: {e}")),
            );
        }
    };
    let expected_raw = expected_text(&check);
    let expected = normalize(&expected_raw).unwrap_or_default();
    if expected == found {
        return check.done(CheckStatus::Ok, None);
    }
    for (k, v) in &expected {
        let f = found
            .iter()
            .find(|(fk, _)| fk == k)
            .map(|(_, fv)| fv.clone());
        if f.as_ref() != Some(v) {
            check.out.diff.push(FieldDiff::new(k, Some(v.clone()), f));
        }
    }
    for (k, v) in &found {
        if !expected.iter().any(|(ek, _)| ek == k) {
            check
                .out
                .diff
                .push(FieldDiff::new(k, None, Some(v.clone())));
        }
    }
    check.done(CheckStatus::Mismatch, None)
}

fn verify_ownership(mut check: Check<'_>, records: &[RecordData]) -> RecordCheck {
    let all = texts(records);
    let expected = expected_text(&check);
    if all.iter().any(|t| t.trim() == expected) {
        return check.done(CheckStatus::Ok, None);
    }
    let tokens: Vec<&String> = all
        .iter()
        .filter(|t| t.trim().starts_with(OWNERSHIP_PREFIX))
        .collect();
    match tokens.first() {
        None => check.done(
            CheckStatus::Missing,
            Some("no ownership token at the name".to_owned()),
        ),
        Some(found) => {
            check.out.diff.push(FieldDiff::new(
                "token",
                Some(expected),
                Some((*found).clone()),
            ));
            check.done(
                CheckStatus::Mismatch,
                Some("a different ownership token is published".to_owned()),
            )
        }
    }
}

fn verify_txt(mut check: Check<'_>, records: &[RecordData]) -> RecordCheck {
    let all = texts(records);
    let expected = expected_text(&check);
    if all.contains(&expected) {
        check.done(CheckStatus::Ok, None)
    } else {
        check.out.diff.push(FieldDiff::new(
            "value",
            Some(expected),
            all.first().cloned(),
        ));
        check.done(
            CheckStatus::Mismatch,
            Some("no TXT record with the expected text".to_owned()),
        )
    }
}

async fn verify_mx<R: Resolver>(
    resolver: &R,
    mut check: Check<'_>,
    records: &[RecordData],
    options: &VerifyOptions,
) -> RecordCheck {
    let pairs = |rs: &[RecordData]| -> Vec<(u16, String)> {
        let mut v: Vec<(u16, String)> = rs
            .iter()
            .filter_map(|r| match r {
                RecordData::Mx {
                    preference,
                    exchange,
                } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let expected = pairs(&check.exp.records);
    let found = pairs(records);
    let mut status = CheckStatus::Ok;
    let mut message = None;
    if expected != found {
        for (p, h) in &expected {
            match found.iter().find(|(_, fh)| fh == h) {
                None => {
                    check
                        .out
                        .diff
                        .push(FieldDiff::new("exchange", Some(format!("{p} {h}")), None))
                }
                Some((fp, _)) if fp != p => check.out.diff.push(FieldDiff::new(
                    &format!("preference of {}", without_dot(h)),
                    Some(p.to_string()),
                    Some(fp.to_string()),
                )),
                Some(_) => {}
            }
        }
        for (p, h) in &found {
            if !expected.iter().any(|(_, eh)| eh == h) {
                check
                    .out
                    .diff
                    .push(FieldDiff::new("exchange", None, Some(format!("{p} {h}"))));
            }
        }
        let hosts =
            |v: &[(u16, String)]| -> Vec<String> { v.iter().map(|(_, h)| h.clone()).collect() };
        let same_order = hosts(&expected) == hosts(&found)
            && expected
                .windows(2)
                .zip(found.windows(2))
                .all(|(e, f)| (e[0].0 < e[1].0) == (f[0].0 < f[1].0));
        if same_order {
            check
                .out
                .warnings
                .push("MX preferences differ but the order of hosts is the same".to_owned());
        } else {
            status = CheckStatus::Mismatch;
            message = Some("the set of (preference, exchange) differs".to_owned());
        }
    }
    if options.mx_hosts {
        for (_, host) in &found {
            if host == "." {
                continue;
            }
            let a = resolver.lookup(host, QueryType::A).await;
            let aaaa = resolver.lookup(host, QueryType::Aaaa).await;
            let behind_cname = [&a, &aaaa].iter().any(
                |ans| matches!(ans, Answer::Records { cname_chain, .. } if !cname_chain.is_empty()),
            );
            if behind_cname {
                check.out.warnings.push(format!(
                    "MX host {} is a CNAME (RFC 2181 §10.3)",
                    without_dot(host)
                ));
            }
            if a.is_negative() && aaaa.is_negative() {
                check.out.warnings.push(format!(
                    "MX host {} has no A/AAAA record",
                    without_dot(host)
                ));
            }
        }
    }
    check.done(status, message)
}

fn verify_cname(mut check: Check<'_>, records: &[RecordData]) -> RecordCheck {
    let expected = check.exp.records.first().cloned();
    let found = records
        .iter()
        .find(|r| matches!(r, RecordData::Cname { .. }))
        .cloned();
    if expected == found {
        return check.done(CheckStatus::Ok, None);
    }
    check.out.diff.push(FieldDiff::new(
        "target",
        expected.map(|e| e.to_string()),
        found.map(|f| f.to_string()),
    ));
    check.done(
        CheckStatus::Mismatch,
        Some("the alias points elsewhere".to_owned()),
    )
}

fn verify_set(mut check: Check<'_>, records: &[RecordData]) -> RecordCheck {
    let missing: Vec<&RecordData> = check
        .exp
        .records
        .iter()
        .filter(|e| !records.contains(e))
        .collect();
    let extra: Vec<&RecordData> = records
        .iter()
        .filter(|r| !check.exp.records.contains(r))
        .collect();
    let diffs: Vec<FieldDiff> = missing
        .iter()
        .map(|m| FieldDiff::new("record", Some(m.to_string()), None))
        .chain(
            extra
                .iter()
                .map(|x| FieldDiff::new("record", None, Some(x.to_string()))),
        )
        .collect();
    check.out.diff = diffs;
    if missing.is_empty() {
        if !extra.is_empty() {
            check.out.warnings.push(format!(
                "{} extra {} record(s) at the name",
                extra.len(),
                check.exp.rtype
            ));
        }
        check.done(CheckStatus::Ok, None)
    } else {
        check.done(
            CheckStatus::Mismatch,
            Some(format!(
                "{} expected record(s) not published",
                missing.len()
            )),
        )
    }
}
