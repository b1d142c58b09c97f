//! The domain operations: each one whole on the mail server, authorized,
//! audited, and returning the writes to the control plane's documents.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::dmarc::{DmarcPolicy, with_dmarc};
use super::ports::{MailDomain, MailPort, MailingList};
use super::record::{DomainRecord, DomainStatus, ownership_token};
use crate::audit::{AuditEvent, Outcome};
use crate::authz;
use crate::dns::{
    CheckStatus, DomainReport, ExpectedRecords, RecordKind, Resolver, VerifyOptions, verify_domain,
};
use crate::error::{Error, Result};
use crate::lifecycle::{TenantDocument, TenantPatch, TenantStatus};
use crate::members::{Caller, MemberDocument};
use crate::provisioning::{FailureKind, PortError};
use crate::secret::Secret;
use crate::tenant::Tenant;

/// The passing of time while waiting for the mail server: a monotonic
/// `now` and a `sleep`. [`TokioPause`] is the real one; [`ManualPause`]
/// moves on instantly, for tests.
pub trait Pause: Send + Sync {
    /// Time since some fixed start.
    fn now(&self) -> Duration;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// Real time, with tokio's timer.
#[derive(Debug, Clone, Copy)]
pub struct TokioPause {
    start: std::time::Instant,
}

impl Default for TokioPause {
    fn default() -> Self {
        TokioPause {
            start: std::time::Instant::now(),
        }
    }
}

impl Pause for TokioPause {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Time that passes only by sleeping, at once: a test's clock.
#[derive(Debug, Default)]
pub struct ManualPause {
    now: std::sync::Mutex<Duration>,
    sleeps: std::sync::Mutex<Vec<Duration>>,
}

impl ManualPause {
    /// A clock at zero.
    pub fn new() -> Self {
        ManualPause::default()
    }

    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Pause for ManualPause {
    fn now(&self) -> Duration {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        if let Ok(mut now) = self.now.lock() {
            *now += duration;
        }
        if let Ok(mut sleeps) = self.sleeps.lock() {
            sleeps.push(duration);
        }
        Box::pin(async {})
    }
}

/// How long to wait for a new domain's DKIM keys: looks `first` apart,
/// doubling up to `max`, with a last look at `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DkimWait {
    /// The whole wait.
    pub timeout: Duration,
    /// The first interval.
    pub first: Duration,
    /// The longest interval.
    pub max: Duration,
}

impl Default for DkimWait {
    fn default() -> Self {
        DkimWait {
            timeout: Duration::from_secs(30),
            first: Duration::from_millis(200),
            max: Duration::from_secs(2),
        }
    }
}

/// What undoing one made resource did, after a failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainUndo {
    /// What it was: `domain`, `mailing_list`.
    pub what: String,
    /// Its handle.
    pub handle: String,
    /// Why undoing it failed; `None`: undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PortError>,
}

/// An operation that failed on the mail server part-way.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainFailure {
    /// The audit action (`domain.add`, ...).
    pub action: String,
    /// The step whose call failed (`create_domain`, `dkim`, `zone_file`, ...).
    pub step: String,
    /// The original error.
    pub error: PortError,
    /// What was undone (newest first), with any failure of the undoing.
    pub undone: Vec<DomainUndo>,
    /// The audit events to record (the action with outcome `failure`).
    pub events: Vec<AuditEvent>,
}

/// Why a domain operation did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainError {
    /// Refused before any change: a rule ([`Error::Forbidden`],
    /// [`Error::TenantInactive`]), bad input ([`Error::Invalid`] naming the
    /// field) or the tenant's status ([`Error::IllegalTransition`]).
    Refused(Error),
    /// The name or address is taken (`DEZKY_ALREADY_EXISTS`).
    Exists {
        /// The domain name or address.
        name: String,
        /// Who has it, when known (a tenant's ObjectId, `Account/<id>`).
        holder: Option<String>,
    },
    /// The domain is still used (`DEZKY_IN_USE`): the tenant's primary
    /// domain, or one with mailboxes.
    InUse {
        /// The domain name.
        name: String,
        /// Why, in words.
        reason: String,
        /// What still uses it (`Account/<id>`), or empty for the primary domain.
        linked: Vec<String>,
    },
    /// The mail server failed part-way; what was made was undone.
    Failed(Box<DomainFailure>),
}

impl DomainError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            DomainError::Refused(e) => e.code(),
            DomainError::Exists { .. } => "DEZKY_ALREADY_EXISTS",
            DomainError::InUse { .. } => "DEZKY_IN_USE",
            DomainError::Failed(f) => &f.error.code,
        }
    }
}

impl From<Error> for DomainError {
    fn from(e: Error) -> Self {
        DomainError::Refused(e)
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::Refused(e) => write!(f, "{e}"),
            DomainError::Exists { name, holder } => match holder {
                Some(h) => write!(f, "{name} is taken ({h})"),
                None => write!(f, "{name} is taken"),
            },
            DomainError::InUse {
                name,
                reason,
                linked,
            } => {
                write!(f, "the domain {name} is in use: {reason}")?;
                if !linked.is_empty() {
                    write!(f, " ({})", linked.join(", "))?;
                }
                Ok(())
            }
            DomainError::Failed(failure) => {
                write!(f, "{}: {}: {}", failure.action, failure.step, failure.error)?;
                for undo in &failure.undone {
                    if let Some(e) = &undo.error {
                        write!(f, "; undoing {} {} failed: {e}", undo.what, undo.handle)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DomainError {}

/// The result type of domain operations.
pub type DomainResult<T> = std::result::Result<T, DomainError>;

/// An added domain. Its `Debug` leaves the ownership token and the expected
/// records (which hold it) out.
#[derive(Clone)]
pub struct AddedDomain {
    /// The domain record (`record.to_document()` is `document`).
    pub record: DomainRecord,
    /// The domain document to insert.
    pub document: Map<String, Value>,
    /// The write to the tenant document (`domains` gains the name), empty when
    /// the tenant lists it already.
    pub tenant_patch: TenantPatch,
    /// The records to publish, the ownership TXT last.
    pub expected: ExpectedRecords,
    /// The selectors of the domain's DKIM keys.
    pub dkim_selectors: Vec<String>,
    /// Whether the mail server had the domain already, marked for this tenant
    /// (an earlier add whose answer was lost, or provisioning's primary domain).
    pub adopted: bool,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

impl fmt::Debug for AddedDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddedDomain")
            .field("record", &self.record)
            .field("tenant_patch", &self.tenant_patch.tenant_id())
            .field(
                "expected",
                &format_args!("{} checks", self.expected.checks.len()),
            )
            .field("dkim_selectors", &self.dkim_selectors)
            .field("adopted", &self.adopted)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// A domain as listed for its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DomainSummary {
    /// The domain name.
    pub name: String,
    /// The verification status.
    pub status: DomainStatus,
    /// Whether it is the tenant's primary domain (the first of `domains`).
    pub primary: bool,
    /// Whether the tenant set its own DMARC record.
    pub custom_dmarc: bool,
    /// When it was first verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// When it was last checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked_at: Option<String>,
}

/// A verified (or re-checked) domain.
#[derive(Debug, Clone)]
pub struct DomainCheck {
    /// The report, one check per expected record.
    pub report: DomainReport,
    /// The status after this check.
    pub status: DomainStatus,
    /// The write to the domain document (`status`, `lastCheckedAt`, `verifiedAt`).
    pub patch: TenantPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// A change that writes one document (or none) and is audited.
#[derive(Debug, Clone)]
pub struct DomainChange {
    /// The audit action.
    pub action: String,
    /// The write to the domain (or tenant) document; `None` when nothing is recorded.
    pub patch: Option<TenantPatch>,
    /// The mailing list concerned, for list operations.
    pub list: Option<MailingList>,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// A removed domain.
#[derive(Debug, Clone)]
pub struct DomainRemoval {
    /// The write to the tenant document (`domains` without the name).
    pub tenant_patch: TenantPatch,
    /// The domain document to delete (`deleteOne(filter)`), when it has an id.
    pub delete_filter: Option<Value>,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// Drives the mail port.
#[derive(Clone)]
pub struct Domains {
    mail: Arc<dyn MailPort>,
    pause: Arc<dyn Pause>,
    wait: DkimWait,
}

impl fmt::Debug for Domains {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Domains")
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn authz_tenant(tenant: &TenantDocument) -> Tenant {
    Tenant {
        id: tenant.id.clone(),
        slug: tenant.slug.clone(),
        plan: tenant.plan.clone(),
        partner_id: tenant.partner_id.clone(),
        status: Some(tenant.status),
    }
}

/// A checked domain name, lowercase, without a final dot.
pub fn check_domain_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && name
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    if ok {
        Ok(name)
    } else {
        Err(invalid(
            field,
            "must be a domain name (labels of letters, digits and -, at least two)",
        ))
    }
}

/// A checked address on one of the tenant's domains, lowercase.
fn check_address(field: &str, tenant: &TenantDocument, address: &str) -> Result<String> {
    let address = address.trim().to_ascii_lowercase();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(invalid(field, "must be an email address"));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.');
    if !local_ok {
        return Err(invalid(
            field,
            "must be an email address (letters, digits and . _ + - before the @)",
        ));
    }
    if !tenant
        .domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
    {
        return Err(invalid(field, "must be on one of the tenant's domains"));
    }
    Ok(address)
}

fn require_active(tenant: &TenantDocument, action: &str) -> Result<()> {
    tenant.check_for_upstreams()?;
    if tenant.status != TenantStatus::Active {
        return Err(Error::IllegalTransition {
            from_status: tenant.status.as_str().into(),
            action: action.into(),
        });
    }
    Ok(())
}

fn require_own(tenant: &TenantDocument, record: &DomainRecord) -> Result<()> {
    if record.tenant_id != tenant.id {
        return Err(invalid("domain.tenantId", "is not this tenant's domain"));
    }
    if record.id.is_none() {
        return Err(invalid("domain._id", "is required: the record as stored"));
    }
    Ok(())
}

fn maybe_applied(error: &PortError) -> bool {
    matches!(
        error.kind,
        FailureKind::Unavailable | FailureKind::RateLimited
    )
}

fn failed(
    action: &str,
    step: &str,
    error: PortError,
    undone: Vec<DomainUndo>,
    event: AuditEvent,
) -> DomainError {
    let mut event = event.with("failed", step).with("code", error.code.as_str());
    event.outcome = Outcome::Failure;
    if !undone.is_empty() {
        event = event.with(
            "undone",
            json!(
                undone
                    .iter()
                    .map(|u| json!({"what": u.what, "handle": u.handle, "ok": u.error.is_none()}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    DomainError::Failed(Box::new(DomainFailure {
        action: action.to_owned(),
        step: step.to_owned(),
        error,
        undone,
        events: vec![event],
    }))
}

fn timeout(wait: &DkimWait) -> PortError {
    PortError::new(
        FailureKind::Unavailable,
        "DEZKY_TIMEOUT",
        format!(
            "the mail server generated no DKIM key within {} ms",
            wait.timeout.as_millis()
        ),
    )
}

impl Domains {
    /// Operations on `mail`, waiting in real time with [`DkimWait::default`].
    pub fn new(mail: Arc<dyn MailPort>) -> Self {
        Domains {
            mail,
            pause: Arc::new(TokioPause::default()),
            wait: DkimWait::default(),
        }
    }

    /// With another clock (a [`ManualPause`] in tests).
    pub fn with_pause(mut self, pause: Arc<dyn Pause>) -> Self {
        self.pause = pause;
        self
    }

    /// With another DKIM wait.
    pub fn with_dkim_wait(mut self, wait: DkimWait) -> Self {
        self.wait = wait;
        self
    }

    /// Polls for the DKIM keys of `handle`, bounded by the wait's timeout.
    async fn wait_for_dkim(&self, handle: &str) -> std::result::Result<Vec<String>, PortError> {
        let deadline = self.pause.now() + self.wait.timeout;
        let mut interval = self.wait.first;
        loop {
            let selectors = self.mail.dkim_selectors(handle).await?;
            if !selectors.is_empty() {
                return Ok(selectors);
            }
            let now = self.pause.now();
            if now >= deadline {
                return Err(timeout(&self.wait));
            }
            self.pause.sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(self.wait.max);
        }
    }

    /// Adds the mail domain `name` to `tenant`: the domain on the mail
    /// server (marked for the tenant, automatic DKIM), a wait for its DKIM
    /// keys, the records to publish with a new ownership token. A domain the
    /// server has already, marked for this tenant, is adopted; one marked for
    /// another (or unmarked) is `DEZKY_ALREADY_EXISTS`. On a failure
    /// part-way, the domain this call made is removed and the original error
    /// returned. Needs a tenant admin and an active tenant.
    pub async fn add_domain(
        &self,
        tenant: &TenantDocument,
        name: &str,
        caller: Caller<'_>,
    ) -> DomainResult<AddedDomain> {
        const ACTION: &str = "domain.add";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let name = check_domain_name("domain.name", name)?;
        require_active(tenant, ACTION)?;
        let event = AuditEvent::new(ACTION, Outcome::Success, caller.change, "domain", &name)
            .for_tenant(&tenant.id);
        let token = ownership_token()
            .map_err(|e| failed(ACTION, "ownership_token", e, Vec::new(), event.clone()))?;

        // The domain: found (ours: adopted) or made.
        let (domain, adopted) = match self.mail.find_domain(&name).await {
            Err(e) => return Err(failed(ACTION, "find_domain", e, Vec::new(), event)),
            Ok(Some(found)) if found.owner.as_deref() == Some(tenant.id.as_str()) => (found, true),
            Ok(Some(found)) => {
                return Err(DomainError::Exists {
                    name,
                    holder: found.owner,
                });
            }
            Ok(None) => match self.mail.create_domain(&name, &tenant.id).await {
                Ok(made) => (made, false),
                Err(e) => {
                    let mut undone = Vec::new();
                    if maybe_applied(&e) {
                        // Nothing was there before: what is there now is this call's.
                        if let Ok(Some(made)) = self.mail.find_domain(&name).await {
                            undone.push(self.undo_domain(&made).await);
                        }
                    }
                    return Err(failed(ACTION, "create_domain", e, undone, event));
                }
            },
        };

        let result = self.finish_add(&domain, &token).await;
        let (selectors, expected) = match result {
            Ok(done) => done,
            Err((step, error)) => {
                let undone = if adopted {
                    Vec::new()
                } else {
                    vec![self.undo_domain(&domain).await]
                };
                return Err(failed(ACTION, step, error, undone, event));
            }
        };

        let record = DomainRecord {
            id: None,
            tenant_id: tenant.id.clone(),
            name: name.clone(),
            stalwart_domain_id: domain.handle.clone(),
            ownership_token: token,
            status: DomainStatus::Pending,
            dmarc: None,
            verified_at: None,
            last_checked_at: None,
            version: Some(0),
        };
        let mut tenant_patch = TenantPatch::new(tenant);
        if !tenant.domains.iter().any(|d| d.eq_ignore_ascii_case(&name)) {
            let mut domains = tenant.domains.clone();
            domains.push(name.clone());
            tenant_patch.set("domains", json!(domains));
        }
        let event = event
            .with("stalwartDomainId", domain.handle.as_str())
            .with("adopted", adopted)
            .with("dkimSelectors", json!(selectors));
        Ok(AddedDomain {
            document: record.to_document(),
            record,
            tenant_patch,
            expected,
            dkim_selectors: selectors,
            adopted,
            events: vec![event],
        })
    }

    async fn finish_add(
        &self,
        domain: &MailDomain,
        token: &Secret,
    ) -> std::result::Result<(Vec<String>, ExpectedRecords), (&'static str, PortError)> {
        let selectors = self
            .wait_for_dkim(&domain.handle)
            .await
            .map_err(|e| ("dkim", e))?;
        let zone = self
            .mail
            .zone_file(&domain.handle)
            .await
            .map_err(|e| ("zone_file", e))?;
        let expected =
            ExpectedRecords::new(&domain.name, &zone, Some(token.expose())).map_err(|e| {
                (
                    "zone_file",
                    PortError::new(FailureKind::Rejected, e.code(), e.to_string()),
                )
            })?;
        Ok((selectors, expected))
    }

    async fn undo_domain(&self, domain: &MailDomain) -> DomainUndo {
        DomainUndo {
            what: "domain".into(),
            handle: domain.handle.clone(),
            error: self.mail.remove_domain(&domain.handle).await.err(),
        }
    }

    /// The records `record` should publish: the mail server's, the tenant's
    /// own DMARC record in place of the server's, the ownership TXT.
    pub async fn expected_records(
        &self,
        record: &DomainRecord,
    ) -> std::result::Result<ExpectedRecords, PortError> {
        let zone = self.mail.zone_file(&record.stalwart_domain_id).await?;
        let expected =
            ExpectedRecords::new(&record.name, &zone, Some(record.ownership_token.expose()))
                .map_err(|e| PortError::new(FailureKind::Rejected, e.code(), e.to_string()))?;
        Ok(match &record.dmarc {
            Some(dmarc) => with_dmarc(expected, dmarc),
            None => expected,
        })
    }

    /// Checks `record`'s DNS with `resolver` (`docs/dns.md`). `verified`
    /// needs every check answered and none missing, wrong or invalid,
    /// ownership included; a verified domain that stops passing is `failing`.
    /// `now` is the check's time (RFC 3339). Needs a member of the tenant.
    pub async fn verify_domain<R: Resolver>(
        &self,
        tenant: &TenantDocument,
        record: &DomainRecord,
        resolver: &R,
        options: &VerifyOptions,
        caller: Caller<'_>,
    ) -> DomainResult<DomainCheck> {
        const ACTION: &str = "domain.verify";
        authz::require_tenant_member(caller.actor, caller.user, &authz_tenant(tenant))?;
        require_own(tenant, record)?;
        let event = AuditEvent::new(
            ACTION,
            Outcome::Success,
            caller.change,
            "domain",
            &record.name,
        )
        .for_tenant(&tenant.id);
        let expected = self
            .expected_records(record)
            .await
            .map_err(|e| failed(ACTION, "zone_file", e, Vec::new(), event.clone()))?;
        let report = verify_domain(resolver, &expected, options).await;
        let ownership_ok = report
            .checks
            .iter()
            .any(|c| c.kind == RecordKind::Ownership && c.status == CheckStatus::Ok);
        let passes = report.complete && !report.needs_attention && ownership_ok;
        let status = match (passes, record.status) {
            (true, _) => DomainStatus::Verified,
            (false, DomainStatus::Pending) => DomainStatus::Pending,
            (false, _) => DomainStatus::Failing,
        };
        let now = caller.change.timestamp();
        let mut patch =
            TenantPatch::for_document(record.id.as_deref().unwrap_or(""), record.version);
        patch.set("status", status.as_str());
        patch.set("lastCheckedAt", now.clone());
        if passes && record.verified_at.is_none() {
            patch.set("verifiedAt", now);
        }
        let event = event
            .with("status", status.as_str())
            .with("needsAttention", report.needs_attention);
        Ok(DomainCheck {
            report,
            status,
            patch,
            events: vec![event],
        })
    }

    /// The tenant's domains among `records`, the primary first, then by name.
    /// Needs a member of the tenant.
    pub fn list_domains(
        tenant: &TenantDocument,
        records: &[DomainRecord],
        caller: Caller<'_>,
    ) -> Result<Vec<DomainSummary>> {
        authz::require_tenant_member(caller.actor, caller.user, &authz_tenant(tenant))?;
        let primary = tenant.primary_domain().map(str::to_ascii_lowercase);
        let mut out: Vec<DomainSummary> = records
            .iter()
            .filter(|r| r.tenant_id == tenant.id)
            .map(|r| DomainSummary {
                name: r.name.clone(),
                status: r.status,
                primary: primary.as_deref() == Some(r.name.as_str()),
                custom_dmarc: r.dmarc.is_some(),
                verified_at: r.verified_at.clone(),
                last_checked_at: r.last_checked_at.clone(),
            })
            .collect();
        out.sort_by(|a, b| b.primary.cmp(&a.primary).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Sets the tenant's own DMARC policy of `record` (`None`: back to the
    /// server's record). The record replaces the expected `_dmarc` record at
    /// the next verification. Needs a tenant admin.
    pub fn set_dmarc(
        tenant: &TenantDocument,
        record: &DomainRecord,
        policy: Option<&DmarcPolicy>,
        caller: Caller<'_>,
    ) -> Result<DomainChange> {
        const ACTION: &str = "domain.set_dmarc";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        require_own(tenant, record)?;
        let mut patch =
            TenantPatch::for_document(record.id.as_deref().unwrap_or(""), record.version);
        let mut event = AuditEvent::new(
            ACTION,
            Outcome::Success,
            caller.change,
            "domain",
            &record.name,
        )
        .for_tenant(&tenant.id)
        .with("before", json!(record.dmarc));
        match policy {
            Some(policy) => {
                let text = policy.to_record()?;
                event = event.with("after", text.as_str());
                patch.set("dmarc", text);
            }
            None => {
                event = event.with("after", Value::Null);
                patch.unset("dmarc");
            }
        }
        Ok(DomainChange {
            action: ACTION.into(),
            patch: Some(patch),
            list: None,
            events: vec![event],
        })
    }

    /// Removes `record` from the mail server and the tenant. Refused with
    /// `DEZKY_IN_USE` while it is the tenant's primary domain or has
    /// mailboxes (aliases and mailing lists are refused by the mail server
    /// itself, also `DEZKY_IN_USE`). A domain gone from the server already
    /// is removed from the tenant. Needs a tenant admin.
    pub async fn remove_domain(
        &self,
        tenant: &TenantDocument,
        record: &DomainRecord,
        caller: Caller<'_>,
    ) -> DomainResult<DomainRemoval> {
        const ACTION: &str = "domain.remove";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        require_own(tenant, record)?;
        if tenant
            .primary_domain()
            .is_some_and(|p| p.eq_ignore_ascii_case(&record.name))
        {
            return Err(DomainError::InUse {
                name: record.name.clone(),
                reason: "it is the tenant's primary domain (its members' mailboxes are on it)"
                    .into(),
                linked: Vec::new(),
            });
        }
        let event = AuditEvent::new(
            ACTION,
            Outcome::Success,
            caller.change,
            "domain",
            &record.name,
        )
        .for_tenant(&tenant.id);
        let handle = &record.stalwart_domain_id;
        match self.mail.mailboxes(handle).await {
            Ok(linked) if !linked.is_empty() => {
                return Err(DomainError::InUse {
                    name: record.name.clone(),
                    reason: "mailboxes are on it".into(),
                    linked,
                });
            }
            Ok(_) => {}
            Err(e) if e.code == "DEZKY_NOT_FOUND" => {}
            Err(e) => return Err(failed(ACTION, "mailboxes", e, Vec::new(), event)),
        }
        if let Err(e) = self.mail.remove_domain(handle).await {
            return Err(failed(ACTION, "remove_domain", e, Vec::new(), event));
        }
        let mut tenant_patch = TenantPatch::new(tenant);
        if tenant
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&record.name))
        {
            let domains: Vec<&String> = tenant
                .domains
                .iter()
                .filter(|d| !d.eq_ignore_ascii_case(&record.name))
                .collect();
            tenant_patch.set("domains", json!(domains));
        }
        Ok(DomainRemoval {
            tenant_patch,
            delete_filter: record.id.as_ref().map(|id| json!({"_id": {"$oid": id}})),
            events: vec![event.with("stalwartDomainId", handle.as_str())],
        })
    }

    fn mailbox_of<'m>(tenant: &TenantDocument, member: &'m MemberDocument) -> Result<&'m str> {
        member
            .mailboxes
            .get(&tenant.id)
            .map(|m| m.id.as_str())
            .ok_or_else(|| {
                invalid(
                    "member.mailboxes",
                    "the member has no mailbox in this tenant",
                )
            })
    }

    fn member_event(
        action: &str,
        caller: Caller<'_>,
        tenant: &TenantDocument,
        member: &MemberDocument,
    ) -> AuditEvent {
        let target = member
            .user
            .email
            .clone()
            .unwrap_or_else(|| member.user.id.clone());
        AuditEvent::new(action, Outcome::Success, caller.change, "member", target)
            .for_tenant(&tenant.id)
    }

    fn require_member_of(tenant: &TenantDocument, member: &MemberDocument) -> Result<()> {
        if member.user.tenant_ids.iter().any(|t| t == &tenant.id) {
            Ok(())
        } else {
            Err(invalid(
                "member.tenantIds",
                "is not a member of this tenant",
            ))
        }
    }

    /// Adds `address` (on one of the tenant's domains) as an alias of the
    /// member's mailbox in `tenant`. An address another mailbox, alias or
    /// list holds is `DEZKY_ALREADY_EXISTS`. Needs a tenant admin.
    pub async fn add_alias(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        address: &str,
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailbox.alias_add";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let address = check_address("alias.address", tenant, address)?;
        Self::require_member_of(tenant, member)?;
        let mailbox = Self::mailbox_of(tenant, member)?;
        require_active(tenant, ACTION)?;
        let event =
            Self::member_event(ACTION, caller, tenant, member).with("alias", address.as_str());
        match self.mail.add_alias(mailbox, &address).await {
            Ok(()) => {}
            Err(e) if e.code == "DEZKY_ALREADY_EXISTS" => {
                return Err(DomainError::Exists {
                    name: address,
                    holder: None,
                });
            }
            Err(e) => {
                let mut undone = Vec::new();
                if maybe_applied(&e) {
                    // The alias may be set: take it off again, so nothing is left behind.
                    undone.push(DomainUndo {
                        what: "alias".into(),
                        handle: address.clone(),
                        error: self.mail.remove_alias(mailbox, &address).await.err(),
                    });
                }
                return Err(failed(ACTION, "add_alias", e, undone, event));
            }
        }
        Ok(DomainChange {
            action: ACTION.into(),
            patch: None,
            list: None,
            events: vec![event],
        })
    }

    /// Removes the alias `address` of the member's mailbox (no change when it
    /// has none). Needs a tenant admin.
    pub async fn remove_alias(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        address: &str,
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailbox.alias_remove";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let address = check_address("alias.address", tenant, address)?;
        Self::require_member_of(tenant, member)?;
        let mailbox = Self::mailbox_of(tenant, member)?;
        let event =
            Self::member_event(ACTION, caller, tenant, member).with("alias", address.as_str());
        self.mail
            .remove_alias(mailbox, &address)
            .await
            .map_err(|e| failed(ACTION, "remove_alias", e, Vec::new(), event.clone()))?;
        Ok(DomainChange {
            action: ACTION.into(),
            patch: None,
            list: None,
            events: vec![event],
        })
    }

    /// Sets the disk quota of the member's mailbox in `tenant` (`None`: the
    /// server's default; 0 is refused). Needs a tenant admin.
    pub async fn set_quota(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        bytes: Option<u64>,
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailbox.quota";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        if bytes == Some(0) {
            return Err(invalid("mailbox.quotaBytes", "must be more than 0").into());
        }
        Self::require_member_of(tenant, member)?;
        let mailbox = Self::mailbox_of(tenant, member)?;
        let event =
            Self::member_event(ACTION, caller, tenant, member).with("quotaBytes", json!(bytes));
        self.mail
            .set_quota(mailbox, bytes)
            .await
            .map_err(|e| failed(ACTION, "set_quota", e, Vec::new(), event.clone()))?;
        Ok(DomainChange {
            action: ACTION.into(),
            patch: None,
            list: None,
            events: vec![event],
        })
    }

    fn check_recipients(field: &str, recipients: &[String]) -> Result<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for (i, r) in recipients.iter().enumerate() {
            let r = r.trim().to_ascii_lowercase();
            let ok = r
                .rsplit_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && check_domain_name(field, d).is_ok())
                && !r
                    .bytes()
                    .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b',');
            if !ok {
                return Err(invalid(
                    &format!("{field}[{i}]"),
                    "must be an email address",
                ));
            }
            out.insert(r);
        }
        Ok(out)
    }

    fn list_event(
        action: &str,
        caller: Caller<'_>,
        tenant: &TenantDocument,
        address: &str,
    ) -> AuditEvent {
        AuditEvent::new(
            action,
            Outcome::Success,
            caller.change,
            "mailing_list",
            address,
        )
        .for_tenant(&tenant.id)
    }

    /// Creates a mailing list at `address` (on one of the tenant's domains)
    /// with `recipients`. An address taken is `DEZKY_ALREADY_EXISTS`. On a
    /// lost answer the list made is removed again. Needs a tenant admin.
    pub async fn create_list(
        &self,
        tenant: &TenantDocument,
        address: &str,
        recipients: &[String],
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailing_list.create";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let address = check_address("list.address", tenant, address)?;
        let recipients = Self::check_recipients("list.recipients", recipients)?;
        require_active(tenant, ACTION)?;
        let event =
            Self::list_event(ACTION, caller, tenant, &address).with("recipients", recipients.len());
        match self.mail.find_list(&address).await {
            Ok(Some(found)) => {
                return Err(DomainError::Exists {
                    name: address,
                    holder: Some(format!("MailingList/{}", found.handle)),
                });
            }
            Ok(None) => {}
            Err(e) => return Err(failed(ACTION, "find_list", e, Vec::new(), event)),
        }
        match self.mail.create_list(&address, &recipients).await {
            Ok(list) => Ok(DomainChange {
                action: ACTION.into(),
                patch: None,
                events: vec![event.with("handle", list.handle.as_str())],
                list: Some(list),
            }),
            Err(e) if e.code == "DEZKY_ALREADY_EXISTS" => Err(DomainError::Exists {
                name: address,
                holder: None,
            }),
            Err(e) => {
                let mut undone = Vec::new();
                if maybe_applied(&e)
                    && let Ok(Some(made)) = self.mail.find_list(&address).await
                {
                    undone.push(DomainUndo {
                        what: "mailing_list".into(),
                        handle: made.handle.clone(),
                        error: self.mail.remove_list(&made.handle).await.err(),
                    });
                }
                Err(failed(ACTION, "create_list", e, undone, event))
            }
        }
    }

    /// Adds and removes recipients of the list at `address` (a recipient in
    /// both is added). Needs a tenant admin.
    pub async fn set_list_members(
        &self,
        tenant: &TenantDocument,
        address: &str,
        add: &[String],
        remove: &[String],
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailing_list.members";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let address = check_address("list.address", tenant, address)?;
        let add = Self::check_recipients("list.add", add)?;
        let remove = Self::check_recipients("list.remove", remove)?;
        let event = Self::list_event(ACTION, caller, tenant, &address)
            .with("added", json!(add))
            .with("removed", json!(remove));
        let list = match self.mail.find_list(&address).await {
            Ok(Some(list)) => list,
            Ok(None) => {
                return Err(failed(
                    ACTION,
                    "find_list",
                    PortError::new(
                        FailureKind::Rejected,
                        "DEZKY_NOT_FOUND",
                        format!("no mailing list at {address}"),
                    ),
                    Vec::new(),
                    event,
                ));
            }
            Err(e) => return Err(failed(ACTION, "find_list", e, Vec::new(), event)),
        };
        let mut recipients: BTreeSet<String> = list
            .recipients
            .iter()
            .filter(|r| !remove.contains(*r))
            .cloned()
            .collect();
        recipients.extend(add);
        self.mail
            .set_list_recipients(&list.handle, &recipients)
            .await
            .map_err(|e| failed(ACTION, "set_list_recipients", e, Vec::new(), event.clone()))?;
        Ok(DomainChange {
            action: ACTION.into(),
            patch: None,
            list: Some(MailingList { recipients, ..list }),
            events: vec![event],
        })
    }

    /// Deletes the list at `address`; one that is gone succeeds. Needs a
    /// tenant admin.
    pub async fn delete_list(
        &self,
        tenant: &TenantDocument,
        address: &str,
        caller: Caller<'_>,
    ) -> DomainResult<DomainChange> {
        const ACTION: &str = "mailing_list.delete";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let address = check_address("list.address", tenant, address)?;
        let event = Self::list_event(ACTION, caller, tenant, &address);
        let found = self
            .mail
            .find_list(&address)
            .await
            .map_err(|e| failed(ACTION, "find_list", e, Vec::new(), event.clone()))?;
        if let Some(list) = &found {
            self.mail
                .remove_list(&list.handle)
                .await
                .map_err(|e| failed(ACTION, "remove_list", e, Vec::new(), event.clone()))?;
        }
        Ok(DomainChange {
            action: ACTION.into(),
            patch: None,
            events: vec![event.with("existed", found.is_some())],
            list: found,
        })
    }
}
