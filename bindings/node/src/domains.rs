//! A tenant's mail domains: `Domains` over `dezky_core::domains` (on the
//! in-memory mail server, or Stalwart from the environment through
//! `dezky_clients::domains`), and `dmarcRecord`. Conversion only: every rule
//! is in the core (docs/domains.md).
//!
//! Documents arrive as plain objects and are read whole by the core
//! (`TenantDocument`, `DomainRecord`, `MemberDocument`; errors name the
//! field). The caller is `{actor, user, at?}`: the verified token's actor, the
//! caller's own user record and the time of the change (the same form serves
//! `SsoApps` and the partner functions). Results leave through serde in their
//! core form, and the expected records and DNS reports in the form of
//! `expectedRecords` and `verifyDomain`. A failed operation rejects with a
//! `DezkyError` of the failure's code; a mail-server failure part-way adds
//! `failure` (the step, what was undone, the audit events to record).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use dezky_clients::resolver::{DnsResolver, ResolverSettings};
use dezky_core::Error;
use dezky_core::audit::AuditEvent;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::dns::VerifyOptions;
use dezky_core::domains::memory::{MailOp, MemoryMail};
use dezky_core::domains::{
    DmarcPolicy, DomainChange, DomainError, DomainRecord, DomainUndo, Domains as CoreDomains,
    ManualPause,
};
use dezky_core::lifecycle::{TenantDocument, TenantPatch};
use dezky_core::members::{Caller, MemberDocument};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_core::sso_apps::{SsoAppStep, SsoError};
use dezky_flags::Change;
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, Unknown};
use napi_derive::napi;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::convert::Serde;
use crate::dns::{DomainReportInfo, ExpectedRecordsInfo};
use crate::error::{IntoJs, SdkError};

type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------
// Errors

/// The error of a domain, SSO-app or partner operation as it crosses into
/// JavaScript: a refusal is the core error itself; `Exists` and `InUse` add
/// the domain or address as `target` (and `holder`, `reason`, `linked`); an upstream failure has the original
/// error's code, its `retryAfterMs`, and `failure`.
pub(crate) enum OpError {
    Core(Error),
    Clients(dezky_clients::Error),
    Domain(DomainError),
    Sso(SsoError),
    Port(PortError),
}

impl From<Error> for OpError {
    fn from(e: Error) -> Self {
        OpError::Core(e)
    }
}

impl From<DomainError> for OpError {
    fn from(e: DomainError) -> Self {
        OpError::Domain(e)
    }
}

impl From<SsoError> for OpError {
    fn from(e: SsoError) -> Self {
        OpError::Sso(e)
    }
}

impl From<PortError> for OpError {
    fn from(e: PortError) -> Self {
        OpError::Port(e)
    }
}

impl From<dezky_clients::Error> for OpError {
    fn from(e: dezky_clients::Error) -> Self {
        OpError::Clients(e)
    }
}

/// The stable code of a port error as a `'static` string (every code is one
/// of the crates' `CODES`); an unknown one is `DEZKY_UPSTREAM`.
pub(crate) fn static_code(code: &str) -> &'static str {
    dezky_flags::Error::CODES
        .iter()
        .chain(Error::CODES)
        .chain(dezky_clients::Error::CODES)
        .find(|c| **c == code)
        .copied()
        .unwrap_or("DEZKY_UPSTREAM")
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Core(e) => e.fmt(f),
            OpError::Clients(e) => e.fmt(f),
            OpError::Domain(e) => e.fmt(f),
            OpError::Sso(e) => e.fmt(f),
            OpError::Port(e) => e.fmt(f),
        }
    }
}

/// The `failure` of a domain operation that failed on the mail server.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DomainFailureJs<'a> {
    action: &'a str,
    step: &'a str,
    undone: &'a [DomainUndo],
    left_behind: bool,
    events: &'a [AuditEvent],
}

/// The `failure` of an SSO-app operation that failed at the identity provider.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SsoFailureJs<'a> {
    action: &'a str,
    steps: &'a [SsoAppStep],
    events: &'a [AuditEvent],
}

fn set_port(object: &mut Object<'_>, error: &PortError) -> napi::Result<()> {
    if let Some(ms) = error.retry_after_ms {
        object.set_named_property("retryAfterMs", ms as f64)?;
    }
    Ok(())
}

impl SdkError for OpError {
    fn code(&self) -> &'static str {
        match self {
            OpError::Core(e) | OpError::Domain(DomainError::Refused(e)) => {
                dezky_flags::contract::ErrorContract::code(e)
            }
            OpError::Sso(SsoError::Refused(e)) => dezky_flags::contract::ErrorContract::code(e),
            OpError::Clients(e) => dezky_flags::contract::ErrorContract::code(e),
            OpError::Domain(e) => static_code(e.code()),
            OpError::Sso(e) => static_code(e.code()),
            OpError::Port(e) => static_code(&e.code),
        }
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        match self {
            OpError::Core(e)
            | OpError::Domain(DomainError::Refused(e))
            | OpError::Sso(SsoError::Refused(e)) => e.set_details(object),
            OpError::Clients(e) => e.set_details(object),
            OpError::Port(e) => set_port(object, e),
            OpError::Domain(DomainError::Exists { name, holder }) => {
                object.set_named_property("target", name.as_str())?;
                if let Some(holder) = holder {
                    object.set_named_property("holder", holder.as_str())?;
                }
                Ok(())
            }
            OpError::Domain(DomainError::InUse {
                name,
                reason,
                linked,
            }) => {
                object.set_named_property("target", name.as_str())?;
                object.set_named_property("reason", reason.as_str())?;
                object.set_named_property("linked", linked.clone())
            }
            OpError::Domain(DomainError::Failed(f)) => {
                set_port(object, &f.error)?;
                let failure = DomainFailureJs {
                    action: &f.action,
                    step: &f.step,
                    undone: &f.undone,
                    left_behind: f.undone.iter().any(|u| u.error.is_some()),
                    events: &f.events,
                };
                object.set_named_property("failure", Serde(failure))
            }
            OpError::Sso(SsoError::Failed {
                error,
                steps,
                events,
            }) => {
                set_port(object, error)?;
                let failure = SsoFailureJs {
                    action: "sso_app.delete",
                    steps,
                    events,
                };
                object.set_named_property("failure", Serde(failure))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Arguments

/// The actor as `verifyToken` gives it; only `subject` and `surface` are
/// required (the rules read the rest when present).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActorArg {
    subject: String,
    surface: Surface,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    expires_at: u64,
}

fn actor(value: Value, field: &str) -> Result<Actor> {
    let a: ActorArg = serde_json::from_value(value).map_err(|e| invalid(field, e.to_string()))?;
    if a.subject.is_empty() {
        return Err(invalid(&format!("{field}.subject"), "must not be empty"));
    }
    Ok(Actor {
        subject: a.subject,
        email: a.email,
        name: a.name,
        groups: a.groups,
        surface: a.surface,
        issuer: a.issuer,
        audience: a.audience,
        expires_at: a.expires_at,
    })
}

/// Who acts: the actor, their user record, and the audit change (by the
/// actor's email, else their subject; at `at` milliseconds since the epoch,
/// default now).
pub(crate) struct CallerArgs {
    actor: Actor,
    user: UserRecord,
    change: Change,
}

impl CallerArgs {
    pub(crate) fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.user,
            change: &self.change,
        }
    }
}

/// The caller argument `{actor, user, at?}`; errors name `caller.<field>`.
pub(crate) fn caller(value: &Unknown<'_>) -> Result<CallerArgs> {
    let mut map = crate::auth::record_json(value, "caller")?;
    for key in map.keys() {
        if !matches!(key.as_str(), "actor" | "user" | "at") {
            return Err(invalid(
                &format!("caller.{key}"),
                "is not a field (actor, user, at)",
            ));
        }
    }
    let actor = actor(map.remove("actor").unwrap_or(Value::Null), "caller.actor")?;
    let user = match map.remove("user") {
        Some(Value::Object(user)) => dezky_core::records::user("caller.user", &user)?,
        _ => return Err(invalid("caller.user", "must be an object")),
    };
    let time = match map.remove("at") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                Some(UNIX_EPOCH.checked_add(Duration::from_millis(ms as u64)))
            }
            _ => Some(None),
        },
        Some(_) => Some(None),
    };
    let who = actor.email.clone().unwrap_or_else(|| actor.subject.clone());
    let change = match time {
        None => Change::now(who),
        Some(Some(time)) => Change::new(who, time),
        Some(None) => {
            return Err(invalid("caller.at", "must be milliseconds since the epoch"));
        }
    }
    .map_err(|e| invalid("caller.actor", e.to_string()))?;
    Ok(CallerArgs {
        actor,
        user,
        change,
    })
}

pub(crate) fn tenant(value: &Unknown<'_>) -> Result<TenantDocument> {
    crate::provisioning::tenant(value)
}

fn record(value: &Unknown<'_>) -> Result<DomainRecord> {
    DomainRecord::from_document("domain", &crate::auth::record_json(value, "domain")?)
}

fn member(value: &Unknown<'_>) -> Result<MemberDocument> {
    MemberDocument::from_document("member", &crate::auth::record_json(value, "member")?)
}

/// A record argument read by its core serde form (unknown fields refused,
/// errors naming `name.field`).
pub(crate) fn input<T: for<'de> Deserialize<'de>>(value: &Unknown<'_>, name: &str) -> Result<T> {
    let map = crate::auth::record_json(value, name)?;
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        let text = e.to_string();
        // serde names the field of an unknown or missing key (`unknown field `x``,
        // `missing field `y``); other messages quote the value, not the field.
        let field = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|prefix| text.strip_prefix(prefix))
            .and_then(|rest| rest.split('`').next())
            .map_or_else(|| name.to_owned(), |f| format!("{name}.{f}"));
        invalid(&field, text)
    })
}

/// The port failure a fault stands for, by the upstream error's code (as
/// `dezky_clients::provisioning::port_error` classifies client errors).
pub(crate) fn fault(code: &str, retry_after_ms: Option<f64>) -> Result<PortError> {
    let code = match static_code(code) {
        known if known == code => known,
        _ => return Err(invalid("code", "is not an error code of the SDK")),
    };
    let kind = match code {
        "DEZKY_RATE_LIMITED" => FailureKind::RateLimited,
        "DEZKY_IN_USE" => FailureKind::InUse,
        "DEZKY_UPSTREAM_UNAVAILABLE" | "DEZKY_TIMEOUT" | "DEZKY_TRANSPORT" => {
            FailureKind::Unavailable
        }
        _ => FailureKind::Rejected,
    };
    let mut error = PortError::new(kind, code, format!("injected fault ({code})"));
    error.retry_after_ms = match retry_after_ms {
        None => None,
        Some(ms) if ms.is_finite() && ms >= 0.0 => Some(ms as u64),
        Some(_) => return Err(invalid("retryAfterMs", "must be milliseconds")),
    };
    Ok(error)
}

fn op(name: &str) -> Result<MailOp> {
    Ok(match name {
        "findDomain" => MailOp::FindDomain,
        "createDomain" => MailOp::CreateDomain,
        "dkimSelectors" => MailOp::DkimSelectors,
        "zoneFile" => MailOp::ZoneFile,
        "mailboxes" => MailOp::Mailboxes,
        "removeDomain" => MailOp::RemoveDomain,
        "addAlias" => MailOp::AddAlias,
        "removeAlias" => MailOp::RemoveAlias,
        "findList" => MailOp::FindList,
        "createList" => MailOp::CreateList,
        "setListRecipients" => MailOp::SetListRecipients,
        "removeList" => MailOp::RemoveList,
        "setQuota" => MailOp::SetQuota,
        _ => {
            return Err(invalid(
                "op",
                "must be findDomain, createDomain, dkimSelectors, zoneFile, mailboxes, removeDomain, addAlias, removeAlias, findList, createList, setListRecipients, removeList or setQuota",
            ));
        }
    })
}

/// `Domains.verifyDomain`'s resolver options: those of `verifyDomain`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResolverArg {
    #[serde(default)]
    nameservers: Option<Vec<String>>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    timeout_ms: Option<u32>,
    #[serde(default)]
    attempts: Option<u8>,
    #[serde(default)]
    authoritative: Option<bool>,
}

fn resolver(value: Option<&Unknown<'_>>) -> Result<(ResolverSettings, bool)> {
    let arg: ResolverArg = match value {
        None => ResolverArg::default(),
        Some(v)
            if matches!(
                v.get_type(),
                Ok(napi::ValueType::Undefined | napi::ValueType::Null)
            ) =>
        {
            ResolverArg::default()
        }
        Some(v) => input(v, "resolver")?,
    };
    let mut settings = ResolverSettings::default();
    if let Some(servers) = arg.nameservers {
        settings.nameservers = servers
            .iter()
            .map(|s| {
                s.parse::<IpAddr>().map_err(|_| {
                    invalid(
                        "resolver.nameservers",
                        format!("`{s}` is not an IP address"),
                    )
                })
            })
            .collect::<Result<_>>()?;
    }
    if let Some(port) = arg.port {
        settings.port = port;
    }
    if let Some(ms) = arg.timeout_ms {
        if ms > 600_000 {
            return Err(invalid("resolver.timeoutMs", "must be at most 600000"));
        }
        settings.timeout = Duration::from_millis(ms.into());
    }
    if let Some(attempts) = arg.attempts {
        if attempts > 10 {
            return Err(invalid("resolver.attempts", "must be at most 10"));
        }
        settings.attempts = attempts.into();
    }
    // A check must not read its own earlier answers.
    settings.cache_size = 0;
    Ok((settings, arg.authoritative.unwrap_or(false)))
}

// ---------------------------------------------------------------------------
// Results

/// An added domain (`Domains.addDomain`).
#[napi(object, object_from_js = false)]
pub struct AddedDomain {
    /// The domain document to insert (`insertOne`); it holds the ownership token.
    #[napi(ts_type = "DomainDocument")]
    pub document: Serde<Map<String, Value>>,
    /// The write to the tenant document (`domains` gains the name); `update`
    /// is null when the tenant lists it already.
    #[napi(ts_type = "TenantPatch")]
    pub tenant_patch: Serde<TenantPatch>,
    /// The records to publish, the ownership TXT last.
    pub expected: ExpectedRecordsInfo,
    /// The selectors of the domain's DKIM keys.
    pub dkim_selectors: Vec<String>,
    /// Whether the mail server had the domain already, marked for this tenant.
    pub adopted: bool,
    /// The ownership token (`_dezky-challenge.<domain>. TXT
    /// "dezky-domain-verification=<token>"`), as in `document`. Publish it;
    /// never log it.
    pub ownership_token: String,
    /// The audit events to record.
    #[napi(ts_type = "AuditEvent[]")]
    pub events: Serde<Vec<AuditEvent>>,
}

/// A verified (or re-checked) domain (`Domains.verifyDomain`).
#[napi(object, object_from_js = false)]
pub struct DomainCheck {
    /// The report, one check per expected record.
    pub report: DomainReportInfo,
    /// The status after this check.
    #[napi(ts_type = "'pending' | 'verified' | 'failing'")]
    pub status: String,
    /// The write to the domain document (`status`, `lastCheckedAt`, `verifiedAt`).
    #[napi(ts_type = "TenantPatch")]
    pub patch: Serde<TenantPatch>,
    /// The audit events to record.
    #[napi(ts_type = "AuditEvent[]")]
    pub events: Serde<Vec<AuditEvent>>,
}

/// A removed domain (`Domains.removeDomain`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct DomainRemoval {
    /// The write to the tenant document (`domains` without the name).
    #[napi(ts_type = "TenantPatch")]
    pub tenant_patch: Serde<TenantPatch>,
    /// The filter of the domain document to delete (`deleteOne`); null for a
    /// record without an id.
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub delete_filter: Option<Serde<Value>>,
    /// The audit events to record.
    #[napi(ts_type = "AuditEvent[]")]
    pub events: Serde<Vec<AuditEvent>>,
}

/// A change of one document (or none), audited: DMARC, aliases, quotas, lists.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainChangeJs {
    action: String,
    patch: Option<TenantPatch>,
    list: Option<dezky_core::domains::MailingList>,
    events: Vec<AuditEvent>,
}

fn domain_change(c: DomainChange) -> Serde<DomainChangeJs> {
    Serde(DomainChangeJs {
        action: c.action,
        patch: c.patch,
        list: c.list,
        events: c.events,
    })
}

/// A domain of the in-memory mail server (`Domains.memoryDomains`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct MemoryDomain {
    /// Its id on the server.
    pub handle: String,
    /// Its name.
    pub name: String,
    /// The tenant its marker names; null for an unmarked domain.
    pub owner: Option<String>,
}

// ---------------------------------------------------------------------------
// Domains

/// A tenant's mail domains, and aliases, mailing lists and quotas on them.
/// Build it with `Domains.inMemory()` or `Domains.fromEnv()`. Operations take
/// the documents as read and return the writes to make and the audit events.
#[napi]
pub struct Domains {
    inner: CoreDomains,
    /// The in-memory mail server and its clock, for `inMemory`.
    memory: Option<(MemoryMail, Arc<ManualPause>)>,
}

#[napi]
impl Domains {
    /// Domains on an in-memory mail server (docs/domains.md) whose waits pass
    /// at once (`sleeps()` lists them): for tests and local runs.
    #[napi(factory)]
    pub fn in_memory() -> Domains {
        let mail = MemoryMail::new();
        let pause = Arc::new(ManualPause::new());
        let inner = CoreDomains::new(Arc::new(mail.clone())).with_pause(pause.clone());
        Domains {
            inner,
            memory: Some((mail, pause)),
        }
    }

    /// Domains on the Stalwart server configured in the environment
    /// (`STALWART_API_URL`, ...). Throws `DEZKY_CONFIG` for a broken setting.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Domains> {
        let inner = dezky_clients::domains::domains_from_env().js(&env)?;
        Ok(Domains {
            inner,
            memory: None,
        })
    }

    fn memory(&self) -> Result<&(MemoryMail, Arc<ManualPause>)> {
        self.memory
            .as_ref()
            .ok_or_else(|| invalid("domains", "is not an in-memory mail server"))
    }

    /// In memory only (otherwise `DEZKY_INVALID_ARGUMENT` naming `domains`):
    /// the next call of `op` fails with `code` before it takes effect.
    #[napi(ts_args_type = "op: MailOp, code: string, retryAfterMs?: number")]
    pub fn fail_next(
        &self,
        env: Env,
        op: String,
        code: String,
        retry_after_ms: Option<f64>,
    ) -> napi::Result<()> {
        (|| {
            let (mail, _) = self.memory()?;
            mail.fail_next(self::op(&op)?, fault(&code, retry_after_ms)?);
            Ok::<_, Error>(())
        })()
        .js(&env)
    }

    /// In memory only: the next call of `op` takes effect, then fails with
    /// `code` (its answer is lost).
    #[napi(ts_args_type = "op: MailOp, code: string, retryAfterMs?: number")]
    pub fn lose_next_reply(
        &self,
        env: Env,
        op: String,
        code: String,
        retry_after_ms: Option<f64>,
    ) -> napi::Result<()> {
        (|| {
            let (mail, _) = self.memory()?;
            mail.lose_next_reply(self::op(&op)?, fault(&code, retry_after_ms)?);
            Ok::<_, Error>(())
        })()
        .js(&env)
    }

    /// In memory only: how many times `op` was called.
    #[napi(ts_args_type = "op: MailOp")]
    pub fn calls(&self, env: Env, op: String) -> napi::Result<u32> {
        (|| Ok::<_, Error>(self.memory()?.0.calls(self::op(&op)?) as u32))().js(&env)
    }

    /// In memory only: the next new domain's DKIM keys appear after `looks` looks.
    #[napi]
    pub fn dkim_after(&self, env: Env, looks: u32) -> napi::Result<()> {
        (|| {
            self.memory()?.0.dkim_after(looks);
            Ok::<_, Error>(())
        })()
        .js(&env)
    }

    /// In memory only: every wait asked for so far, in milliseconds.
    #[napi]
    pub fn sleeps(&self, env: Env) -> napi::Result<Vec<f64>> {
        (|| {
            Ok::<_, Error>(
                self.memory()?
                    .1
                    .sleeps()
                    .into_iter()
                    .map(|d| d.as_millis() as f64)
                    .collect(),
            )
        })()
        .js(&env)
    }

    /// In memory only: the domains on the server.
    #[napi]
    pub fn memory_domains(&self, env: Env) -> napi::Result<Vec<MemoryDomain>> {
        (|| {
            Ok::<_, Error>(
                self.memory()?
                    .0
                    .domains()
                    .into_iter()
                    .map(|(handle, d)| MemoryDomain {
                        handle,
                        name: d.name,
                        owner: d.owner,
                    })
                    .collect(),
            )
        })()
        .js(&env)
    }

    /// In memory only: adds a domain out of band (marked for `owner`, or
    /// unmarked); returns its id.
    #[napi]
    pub fn insert_memory_domain(
        &self,
        env: Env,
        name: String,
        owner: Option<String>,
    ) -> napi::Result<String> {
        (|| Ok::<_, Error>(self.memory()?.0.insert_domain(&name, owner.as_deref())))().js(&env)
    }

    /// In memory only: adds a mailbox for `address`; returns its id (the
    /// member document's `mailboxes.<tenantId>.id`).
    #[napi]
    pub fn insert_memory_mailbox(&self, env: Env, address: String) -> napi::Result<String> {
        (|| Ok::<_, Error>(self.memory()?.0.insert_mailbox(&address)))().js(&env)
    }

    /// In memory only: the mailing lists on the server.
    #[napi(ts_return_type = "MailingList[]")]
    pub fn memory_lists(
        &self,
        env: Env,
    ) -> napi::Result<Serde<Vec<dezky_core::domains::MailingList>>> {
        (|| Ok::<_, Error>(Serde(self.memory()?.0.lists().into_values().collect())))().js(&env)
    }

    /// Adds `name` to the tenant (a tenant admin; the tenant `active`): the
    /// domain on the mail server, its DKIM keys awaited, the records to
    /// publish. A step failing after the create removes what this call made.
    #[napi(
        ts_args_type = "tenant: TenantDocument, name: string, caller: Caller",
        ts_return_type = "Promise<AddedDomain>"
    )]
    pub fn add_domain<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        name: String,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, AddedDomain>> {
        let args = (|| Ok::<_, Error>((self::tenant(&tenant)?, self::caller(&caller)?)))();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, caller) = args?;
                Ok::<_, OpError>(domains.add_domain(&tenant, &name, caller.caller()).await?)
            },
            |added| AddedDomain {
                ownership_token: added.record.ownership_token.expose().to_owned(),
                document: Serde(added.document),
                tenant_patch: Serde(added.tenant_patch),
                expected: ExpectedRecordsInfo::from(added.expected),
                dkim_selectors: added.dkim_selectors,
                adopted: added.adopted,
                events: Serde(added.events),
            },
        )
    }

    /// The records to publish for a domain document, rebuilt from the mail
    /// server's zone file, its token and its own DMARC record.
    #[napi(
        ts_args_type = "domain: DomainDocument",
        ts_return_type = "Promise<ExpectedRecordsInfo>"
    )]
    pub fn expected_records<'e>(
        &self,
        env: &'e Env,
        domain: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, ExpectedRecordsInfo>> {
        let record = self::record(&domain);
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let record = record?;
                Ok::<_, OpError>(domains.expected_records(&record).await?)
            },
            ExpectedRecordsInfo::from,
        )
    }

    /// Checks a domain's records in DNS (a tenant member): `verified` when
    /// every expected record is found, the ownership TXT included. `resolver`:
    /// the options of `verifyDomain`.
    #[napi(
        ts_args_type = "tenant: TenantDocument, domain: DomainDocument, caller: Caller, resolver?: ResolverOptions | null",
        ts_return_type = "Promise<DomainCheck>"
    )]
    pub fn verify_domain<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        domain: Unknown<'_>,
        caller: Unknown<'_>,
        resolver: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, DomainCheck>> {
        let args = (|| {
            Ok::<_, Error>((
                self::tenant(&tenant)?,
                self::record(&domain)?,
                self::caller(&caller)?,
                self::resolver(resolver.as_ref())?,
            ))
        })();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, record, caller, (settings, authoritative)) = args?;
                let dns = DnsResolver::new(settings)?;
                let options = VerifyOptions::default();
                let check = if authoritative {
                    let zone = dns.authoritative(&record.name).await?;
                    domains
                        .verify_domain(&tenant, &record, &zone, &options, caller.caller())
                        .await?
                } else {
                    domains
                        .verify_domain(&tenant, &record, &dns, &options, caller.caller())
                        .await?
                };
                Ok::<_, OpError>(check)
            },
            |check| DomainCheck {
                report: DomainReportInfo::from(check.report),
                status: check.status.as_str().to_owned(),
                patch: Serde(check.patch),
                events: Serde(check.events),
            },
        )
    }

    /// The tenant's domains (a tenant member), from its domain documents.
    #[napi(
        ts_args_type = "tenant: TenantDocument, domains: DomainDocument[], caller: Caller",
        ts_return_type = "DomainSummary[]"
    )]
    pub fn list_domains(
        &self,
        env: Env,
        tenant: Unknown<'_>,
        domains: Vec<Unknown<'_>>,
        caller: Unknown<'_>,
    ) -> napi::Result<Serde<Vec<dezky_core::domains::DomainSummary>>> {
        (|| {
            let tenant = self::tenant(&tenant)?;
            let records = domains
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    DomainRecord::from_document(
                        &format!("domains[{i}]"),
                        &crate::auth::record_json(d, &format!("domains[{i}]"))?,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            let caller = self::caller(&caller)?;
            CoreDomains::list_domains(&tenant, &records, caller.caller()).map(Serde)
        })()
        .js(&env)
    }

    /// Sets the tenant's own DMARC policy on a domain (a tenant admin), or
    /// with `null` returns to the server's record. The policy is checked field
    /// by field (`dmarc.p`, `dmarc.pct`, `dmarc.rua[0]`, ...).
    #[napi(
        ts_args_type = "tenant: TenantDocument, domain: DomainDocument, policy: DmarcPolicy | null, caller: Caller",
        ts_return_type = "DomainChange"
    )]
    pub fn set_dmarc(
        &self,
        env: Env,
        tenant: Unknown<'_>,
        domain: Unknown<'_>,
        policy: Option<Unknown<'_>>,
        caller: Unknown<'_>,
    ) -> napi::Result<Serde<DomainChangeJs>> {
        (|| {
            let tenant = self::tenant(&tenant)?;
            let record = self::record(&domain)?;
            let policy = dmarc_policy(policy.as_ref())?;
            let caller = self::caller(&caller)?;
            CoreDomains::set_dmarc(&tenant, &record, policy.as_ref(), caller.caller())
                .map(domain_change)
        })()
        .js(&env)
    }

    /// Removes a domain from the tenant (a tenant admin). The primary domain
    /// and a domain with mailboxes, aliases or lists are refused
    /// (`DEZKY_IN_USE`, `linked`). Running it again after a failure is safe.
    #[napi(
        ts_args_type = "tenant: TenantDocument, domain: DomainDocument, caller: Caller",
        ts_return_type = "Promise<DomainRemoval>"
    )]
    pub fn remove_domain<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        domain: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, DomainRemoval>> {
        let args = (|| {
            Ok::<_, Error>((
                self::tenant(&tenant)?,
                self::record(&domain)?,
                self::caller(&caller)?,
            ))
        })();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, record, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .remove_domain(&tenant, &record, caller.caller())
                        .await?,
                )
            },
            |removal| DomainRemoval {
                tenant_patch: Serde(removal.tenant_patch),
                delete_filter: removal.delete_filter.map(Serde),
                events: Serde(removal.events),
            },
        )
    }

    /// Adds an alias address (on one of the tenant's domains) to a member's
    /// mailbox. The same alias again changes nothing.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: Record<string, unknown>, address: string, caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn add_alias<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        address: String,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = member_args(&tenant, &member, &caller);
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, member, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .add_alias(&tenant, &member, &address, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }

    /// Takes an alias off a member's mailbox (gone already: nothing to do).
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: Record<string, unknown>, address: string, caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn remove_alias<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        address: String,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = member_args(&tenant, &member, &caller);
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, member, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .remove_alias(&tenant, &member, &address, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }

    /// Sets a member's mailbox quota in bytes (`null`: the server's default).
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: Record<string, unknown>, bytes: number | null, caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn set_quota<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        bytes: Option<f64>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = member_args(&tenant, &member, &caller).and_then(|a| {
            let bytes = match bytes {
                None => None,
                Some(b) if b.is_finite() && b >= 0.0 && b.fract() == 0.0 && b <= 2f64.powi(53) => {
                    Some(b as u64)
                }
                Some(_) => {
                    return Err(invalid(
                        "mailbox.quotaBytes",
                        "must be a whole number of bytes",
                    ));
                }
            };
            Ok((a, bytes))
        });
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let ((tenant, member, caller), bytes) = args?;
                Ok::<_, OpError>(
                    domains
                        .set_quota(&tenant, &member, bytes, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }

    /// Creates a mailing list at `address` (on one of the tenant's domains).
    #[napi(
        ts_args_type = "tenant: TenantDocument, address: string, recipients: string[], caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn create_list<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        address: String,
        recipients: Vec<String>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = (|| Ok::<_, Error>((self::tenant(&tenant)?, self::caller(&caller)?)))();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .create_list(&tenant, &address, &recipients, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }

    /// Adds and removes recipients of a mailing list (one in both is added).
    #[napi(
        ts_args_type = "tenant: TenantDocument, address: string, add: string[], remove: string[], caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn set_list_members<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        address: String,
        add: Vec<String>,
        remove: Vec<String>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = (|| Ok::<_, Error>((self::tenant(&tenant)?, self::caller(&caller)?)))();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .set_list_members(&tenant, &address, &add, &remove, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }

    /// Deletes a mailing list (gone already: nothing to do).
    #[napi(
        ts_args_type = "tenant: TenantDocument, address: string, caller: Caller",
        ts_return_type = "Promise<DomainChange>"
    )]
    pub fn delete_list<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        address: String,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<DomainChangeJs>>> {
        let args = (|| Ok::<_, Error>((self::tenant(&tenant)?, self::caller(&caller)?)))();
        let domains = self.inner.clone();
        crate::task::spawn(
            env,
            async move {
                let (tenant, caller) = args?;
                Ok::<_, OpError>(
                    domains
                        .delete_list(&tenant, &address, caller.caller())
                        .await?,
                )
            },
            domain_change,
        )
    }
}

fn member_args(
    tenant: &Unknown<'_>,
    member: &Unknown<'_>,
    caller: &Unknown<'_>,
) -> Result<(TenantDocument, MemberDocument, CallerArgs)> {
    Ok((
        self::tenant(tenant)?,
        self::member(member)?,
        self::caller(caller)?,
    ))
}

fn dmarc_policy(value: Option<&Unknown<'_>>) -> Result<Option<DmarcPolicy>> {
    match value {
        None => Ok(None),
        Some(v)
            if matches!(
                v.get_type(),
                Ok(napi::ValueType::Undefined | napi::ValueType::Null)
            ) =>
        {
            Ok(None)
        }
        Some(v) => input::<DmarcPolicy>(v, "dmarc").map(Some),
    }
}

/// The `_dmarc` TXT text of a DMARC policy (`v=DMARC1; p=...`), checked field
/// by field: throws `DEZKY_INVALID_ARGUMENT` naming `dmarc.p`, `dmarc.pct`,
/// `dmarc.rua[0]`, ...
#[napi(ts_args_type = "policy: DmarcPolicy")]
pub fn dmarc_record(env: Env, policy: Unknown<'_>) -> napi::Result<String> {
    input::<DmarcPolicy>(&policy, "dmarc")
        .and_then(|p| p.to_record())
        .js(&env)
}
