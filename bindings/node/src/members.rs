//! A tenant's members: `Members` over `dezky_core::members` (on the in-memory
//! upstreams, or the real ones from the environment through
//! `dezky_clients::members`), and `me`, the `/me` profile. Conversion only:
//! every rule is in the core (docs/members.md).
//!
//! Documents arrive as plain objects and are read whole by the core
//! (`TenantDocument::from_document`, `MemberDocument::from_document`; errors
//! name the field). The caller is `{actor, user, at?}`: the verified token's
//! actor, the caller's own user record and the time of the change.
//! Results leave through serde in their core form (TypeScript types in
//! `lib/index.d.ts`); a one-time password or recovery link is a
//! `OneTimeSecret`, whose value `reveal()` gives once and which shows
//! nothing of it in `util.inspect`, `JSON.stringify` or `String()`. A failed
//! operation rejects with a `DezkyError` of the failure's code; an upstream
//! failure part-way adds `failure` (what was undone or kept, and the audit
//! events to record).

use std::sync::{Arc, Mutex};

use dezky_core::Error;
use dezky_core::audit::AuditEvent;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::lifecycle::{TenantDocument, TenantPatch};
use dezky_core::members::memory::{MemberOp, MemoryMembers};
use dezky_core::members::{
    Caller, MemberDocument, MemberError, MemberKind, MemberPort, MemberRecord, NewMember, NewStaff,
};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_core::secret::Secret;
use dezky_flags::Change;
use napi::Env;
use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, Unknown};
use napi_derive::napi;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::convert::Serde;
use crate::error::{IntoJs, SdkError};

type Result<T> = std::result::Result<T, Error>;

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------
// Errors

/// A member operation's error as it crosses into JavaScript: a refusal is
/// the core error itself; an upstream failure has the original error's code
/// (`DEZKY_ALREADY_EXISTS`, `DEZKY_UPSTREAM_UNAVAILABLE`, ...), its
/// `retryAfterMs`, and `failure`.
struct MemberJsError(MemberError);

/// The stable code of a port error as a `'static` string (every code is one
/// of the crates' `CODES`); an unknown one is `DEZKY_UPSTREAM`.
fn static_code(code: &str) -> &'static str {
    dezky_flags::Error::CODES
        .iter()
        .chain(Error::CODES)
        .chain(dezky_clients::Error::CODES)
        .find(|c| **c == code)
        .copied()
        .unwrap_or("DEZKY_UPSTREAM")
}

impl std::fmt::Display for MemberJsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The `failure` property of an upstream failure.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureJs<'a> {
    action: &'a str,
    kind: Option<MemberKind>,
    kept: &'a [MemberKind],
    undone: &'a [dezky_core::members::Undo],
    left_behind: bool,
    events: &'a [AuditEvent],
}

impl SdkError for MemberJsError {
    fn code(&self) -> &'static str {
        match &self.0 {
            MemberError::Refused(e) => dezky_flags::contract::ErrorContract::code(e),
            MemberError::Failed(f) => static_code(&f.error.code),
        }
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        match &self.0 {
            MemberError::Refused(e) => e.set_details(object),
            MemberError::Failed(f) => {
                if let Some(ms) = f.error.retry_after_ms {
                    object.set_named_property("retryAfterMs", ms as f64)?;
                }
                let failure = FailureJs {
                    action: &f.action,
                    kind: f.kind,
                    kept: &f.kept,
                    undone: &f.undone,
                    left_behind: f.left_behind(),
                    events: &f.events,
                };
                object.set_named_property("failure", Serde(failure))
            }
        }
    }
}

impl From<Error> for MemberJsError {
    fn from(e: Error) -> Self {
        MemberJsError(MemberError::Refused(e))
    }
}

impl From<dezky_flags::Error> for MemberJsError {
    fn from(e: dezky_flags::Error) -> Self {
        // `Change` refuses a blank actor or a time it cannot write.
        let field = match &e {
            dezky_flags::Error::InvalidArgument { name, .. } => format!("caller.{name}"),
            _ => "caller".to_owned(),
        };
        MemberJsError(MemberError::Refused(invalid(&field, e.to_string())))
    }
}

// ---------------------------------------------------------------------------
// Secrets

/// A one-time password or recovery link. `reveal()` gives its value once (then
/// `null`); `util.inspect`, `JSON.stringify` and `String()` show nothing of it.
#[napi]
pub struct OneTimeSecret {
    secret: Mutex<Option<Secret>>,
}

impl OneTimeSecret {
    fn new(secret: Secret) -> Self {
        OneTimeSecret {
            secret: Mutex::new(Some(secret)),
        }
    }
}

#[napi]
impl OneTimeSecret {
    /// The value, the first time; `null` after that. Hand it to its owner
    /// once; never store or log it.
    #[napi]
    pub fn reveal(&self) -> Option<String> {
        self.secret
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .map(|s| s.expose().to_owned())
    }

    /// Whether `reveal()` gave the value already.
    #[napi(getter)]
    pub fn revealed(&self) -> bool {
        self.secret
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// `"[secret]"`: what `JSON.stringify` writes for it.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> String {
        "[secret]".to_owned()
    }

    /// `"[secret]"`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        "[secret]".to_owned()
    }
}

// ---------------------------------------------------------------------------
// Arguments

/// The actor as `verifyToken` gives it; only `subject` and `surface` are
/// required (the rules and the profile read the rest when present).
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
struct CallerArgs {
    actor: Actor,
    user: UserRecord,
    change: Change,
}

impl CallerArgs {
    fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.user,
            change: &self.change,
        }
    }
}

fn caller(value: &Unknown<'_>) -> std::result::Result<CallerArgs, MemberJsError> {
    let mut map = crate::auth::record_json(value, "caller")?;
    for key in map.keys() {
        if !matches!(key.as_str(), "actor" | "user" | "at") {
            return Err(
                invalid(&format!("caller.{key}"), "is not a field (actor, user, at)").into(),
            );
        }
    }
    let actor = actor(map.remove("actor").unwrap_or(Value::Null), "caller.actor")?;
    let user = match map.remove("user") {
        Some(Value::Object(user)) => dezky_core::records::user("caller.user", &user)?,
        _ => return Err(invalid("caller.user", "must be an object").into()),
    };
    let at = match map.remove("at") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => return Err(invalid("caller.at", "must be milliseconds since the epoch").into()),
    };
    let who = actor.email.clone().unwrap_or_else(|| actor.subject.clone());
    let change = crate::provisioning::change(who, at)?;
    Ok(CallerArgs {
        actor,
        user,
        change,
    })
}

fn tenant(value: &Unknown<'_>) -> Result<TenantDocument> {
    crate::provisioning::tenant(value)
}

fn member(value: &Unknown<'_>, name: &str) -> Result<MemberDocument> {
    MemberDocument::from_document(name, &crate::auth::record_json(value, name)?)
}

/// A record argument read by its core serde form (unknown fields refused,
/// errors naming `name.field`).
fn input<T: for<'de> Deserialize<'de>>(value: &Unknown<'_>, name: &str) -> Result<T> {
    let map = crate::auth::record_json(value, name)?;
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        let text = e.to_string();
        // serde names the field in its message (`unknown field `x``, `missing field `y``).
        let field = text
            .split('`')
            .nth(1)
            .map_or_else(|| name.to_owned(), |f| format!("{name}.{f}"));
        invalid(&field, text)
    })
}

fn kind(name: &str) -> Result<MemberKind> {
    MemberKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| invalid("kind", "must be identity, mailbox or files"))
}

fn op(name: &str) -> Result<MemberOp> {
    Ok(match name {
        "find" => MemberOp::Find,
        "create" => MemberOp::Create,
        "setPassword" => MemberOp::SetPassword,
        "suspend" => MemberOp::Suspend,
        "resume" => MemberOp::Resume,
        "join" => MemberOp::Join,
        "leave" => MemberOp::Leave,
        "endSessions" => MemberOp::EndSessions,
        "recoveryLink" => MemberOp::RecoveryLink,
        "remove" => MemberOp::Remove,
        _ => {
            return Err(invalid(
                "op",
                "must be find, create, setPassword, suspend, resume, join, leave, endSessions, recoveryLink or remove",
            ));
        }
    })
}

/// The port failure a fault stands for, by the upstream error's code (as
/// `dezky_clients::provisioning::port_error` classifies client errors).
fn fault(code: &str, retry_after_ms: Option<f64>) -> Result<PortError> {
    let code = static_code_known(code)?;
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

fn static_code_known(code: &str) -> Result<&'static str> {
    match static_code(code) {
        known if known == code => Ok(known),
        _ => Err(invalid("code", "is not an error code of the SDK")),
    }
}

// ---------------------------------------------------------------------------
// Results

/// A created member (`Members.createMember`). `password` is the one-time
/// password, set on the identity and the mailbox.
#[napi(object, object_from_js = false)]
pub struct CreatedMember {
    /// What was made: the handles per upstream.
    #[napi(ts_type = "MemberRecord")]
    pub member: Serde<MemberRecord>,
    /// The user document to insert (no `_id`; `__v` 0).
    #[napi(ts_type = "Record<string, unknown>")]
    pub document: Serde<Map<String, Value>>,
    /// The one-time password: `reveal()` it once, to show it to the admin.
    pub password: OneTimeSecret,
    /// The audit events to record.
    #[napi(ts_type = "AuditEvent[]")]
    pub events: Serde<Vec<AuditEvent>>,
}

/// An invited partner staff member (`Members.invitePartnerStaff`).
#[napi(object, object_from_js = false)]
pub struct InvitedStaff {
    /// What was made.
    #[napi(ts_type = "MemberRecord")]
    pub member: Serde<MemberRecord>,
    /// The user document to insert (no `_id`; `__v` 0).
    #[napi(ts_type = "Record<string, unknown>")]
    pub document: Serde<Map<String, Value>>,
    /// The one-time recovery link for the first sign-in: send it, never store it.
    pub recovery_link: OneTimeSecret,
    /// The audit events to record.
    #[napi(ts_type = "AuditEvent[]")]
    pub events: Serde<Vec<AuditEvent>>,
}

/// A reset password (`Members.resetPassword`).
#[napi(object, object_from_js = false)]
pub struct PasswordReset {
    /// What was done (`patch`, `events`).
    #[napi(ts_type = "MemberChange")]
    pub change: Serde<dezky_core::members::MemberChange>,
    /// The new one-time password, set on the identity and the mailbox.
    pub password: OneTimeSecret,
}

/// One resource of an in-memory member upstream (`Members.memoryResources`);
/// its password is never shown.
#[napi(object, object_from_js = false)]
pub struct MemoryMember {
    /// Its handle.
    pub handle: String,
    /// The username, address or login name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// Whether sign-ins are refused (an inactive identity, a frozen mailbox).
    pub suspended: bool,
    /// The groups of an identity.
    pub groups: Vec<String>,
    /// Whether a password is set.
    pub has_password: bool,
    /// Open sessions of an identity.
    pub sessions: u32,
}

// ---------------------------------------------------------------------------
// Members

/// A tenant's members as whole operations across the identity, mailbox and
/// files upstreams (docs/members.md). Build it with `Members.inMemory()` or
/// `Members.fromEnv()`. Operations take the documents as read and resolve
/// with the write to make (`patch`, or a `document` to insert), the audit
/// `events` to record, and any one-time secret.
#[napi]
pub struct Members {
    inner: dezky_core::members::Members,
    memory: Option<Vec<MemoryMembers>>,
}

#[napi]
impl Members {
    /// Members over three in-memory upstreams (their rules are in
    /// docs/members.md), for tests and local runs. Tenant groups must be
    /// added (`addMemoryGroup`) before members join them.
    #[napi(factory)]
    pub fn in_memory() -> Members {
        let memory: Vec<MemoryMembers> = MemberKind::ALL
            .into_iter()
            .map(MemoryMembers::new)
            .collect();
        let inner = memory
            .iter()
            .fold(dezky_core::members::Members::new(), |m, p| {
                m.with_port(Arc::new(p.clone()) as Arc<dyn MemberPort>)
            });
        Members {
            inner,
            memory: Some(memory),
        }
    }

    /// Members over the real upstreams configured in the environment
    /// (`AUTHENTIK_API_URL`, `STALWART_API_URL`, `OCIS_API_URL` and each
    /// client's settings); an upstream not configured is skipped. Throws
    /// `DEZKY_CONFIG` for a broken setting.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Members> {
        let inner = dezky_clients::members::members_from_env().js(&env)?;
        Ok(Members {
            inner,
            memory: None,
        })
    }

    fn memory(&self, kind: &str) -> Result<&MemoryMembers> {
        let kind = self::kind(kind)?;
        let memory = self
            .memory
            .as_ref()
            .ok_or_else(|| invalid("members", "is not an in-memory Members"))?;
        memory
            .iter()
            .find(|m| MemberPort::kind(*m) == kind)
            .ok_or_else(|| invalid("kind", "has no in-memory upstream"))
    }

    /// In memory only: makes `handle` (a tenant's `authentikGroupId`) a group
    /// identities can join.
    #[napi]
    pub fn add_memory_group(&self, env: Env, handle: String) -> napi::Result<()> {
        self.memory("identity").js(&env)?.add_group(&handle);
        Ok(())
    }

    /// In memory only: the resources of one upstream.
    #[napi(ts_args_type = "kind: MemberKind")]
    pub fn memory_resources(&self, env: Env, kind: String) -> napi::Result<Vec<MemoryMember>> {
        Ok(self
            .memory(&kind)
            .js(&env)?
            .resources()
            .into_iter()
            .map(|(handle, r)| MemoryMember {
                handle,
                name: r.name,
                display_name: r.display_name,
                suspended: r.suspended,
                groups: r.groups.into_iter().collect(),
                has_password: r.password.is_some(),
                sessions: u32::try_from(r.sessions).unwrap_or(u32::MAX),
            })
            .collect())
    }

    /// In memory only: opens a session of an identity (a sign-in).
    #[napi(ts_args_type = "kind: MemberKind, handle: string")]
    pub fn open_memory_session(&self, env: Env, kind: String, handle: String) -> napi::Result<()> {
        self.memory(&kind).js(&env)?.open_session(&handle);
        Ok(())
    }

    /// In memory only: how many times `op` was called on one upstream.
    #[napi(ts_args_type = "kind: MemberKind, op: MemberOp")]
    pub fn memory_calls(&self, env: Env, kind: String, op: String) -> napi::Result<u32> {
        let memory = self.memory(&kind).js(&env)?;
        let op = self::op(&op).js(&env)?;
        Ok(u32::try_from(memory.calls(op)).unwrap_or(u32::MAX))
    }

    /// In memory only: the next `op` on one upstream fails with the error
    /// `code` (`DEZKY_UPSTREAM_UNAVAILABLE`, `DEZKY_RATE_LIMITED`, ...)
    /// before it takes effect, or, with `afterEffect`, after it took effect
    /// (the answer was lost).
    #[napi(
        ts_args_type = "kind: MemberKind, op: MemberOp, code: string, options?: { afterEffect?: boolean; retryAfterMs?: number } | null"
    )]
    pub fn fail_next(
        &self,
        env: Env,
        kind: String,
        op: String,
        code: String,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        (|| {
            let memory = self.memory(&kind)?;
            let op = self::op(&op)?;
            let options = match options {
                None => Map::new(),
                Some(o) => match crate::auth::json(&o, "options")? {
                    Value::Null => Map::new(),
                    Value::Object(map) => map,
                    _ => return Err(invalid("options", "must be an object")),
                },
            };
            let mut after = false;
            let mut retry = None;
            for (key, value) in &options {
                match (key.as_str(), value) {
                    ("afterEffect", Value::Bool(b)) => after = *b,
                    ("retryAfterMs", Value::Number(n)) => retry = n.as_f64(),
                    ("afterEffect" | "retryAfterMs", Value::Null) => {}
                    ("afterEffect" | "retryAfterMs", _) => {
                        return Err(invalid(&format!("options.{key}"), "has the wrong type"));
                    }
                    _ => {
                        return Err(invalid(
                            &format!("options.{key}"),
                            "is not an option (afterEffect, retryAfterMs)",
                        ));
                    }
                }
            }
            let error = fault(&code, retry)?;
            if after {
                memory.lose_next_reply(op, error);
            } else {
                memory.fail_next(op, error);
            }
            Ok(())
        })()
        .js(&env)
    }

    /// Creates a member of `tenant` (identity in the tenant's group, mailbox
    /// on its primary domain, files account) with a one-time password. On a
    /// failure part-way what this call made is removed, newest first, and
    /// the original error rejects (`failure` says what was undone). Needs a
    /// tenant admin (or platform admin) and an active tenant.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: NewMember, caller: MemberCaller",
        ts_return_type = "Promise<CreatedMember>"
    )]
    pub fn create_member<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, CreatedMember>> {
        let args = (|| {
            let t = self::tenant(&tenant)?;
            let n: NewMember = input(&member, "member")?;
            Ok::<_, MemberJsError>((t, n, self::caller(&caller)?))
        })();
        let members = self.inner.clone();
        run(
            env,
            args,
            move |(t, n, c)| async move { members.create_member(&t, &n, c.caller()).await },
            |made| CreatedMember {
                member: Serde(made.member),
                document: Serde(made.document),
                password: OneTimeSecret::new(made.password),
                events: Serde(made.events),
            },
        )
    }

    /// Suspends `member` in `tenant` (SSO and mailbox; sessions end). Never
    /// oneself. All or nothing. Resolves with the change (`patch`, `events`).
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: MemberDocumentInput, caller: MemberCaller",
        ts_return_type = "Promise<MemberChange>"
    )]
    pub fn suspend_member<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::members::MemberChange>>> {
        let members = self.inner.clone();
        run(
            env,
            target_args(&tenant, &member, &caller),
            move |(t, m, c)| async move { members.suspend_member(&t, &m, c.caller()).await },
            Serde,
        )
    }

    /// Resumes `member` in `tenant`, restoring exactly what suspending changed.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: MemberDocumentInput, caller: MemberCaller",
        ts_return_type = "Promise<MemberChange>"
    )]
    pub fn resume_member<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::members::MemberChange>>> {
        let members = self.inner.clone();
        run(
            env,
            target_args(&tenant, &member, &caller),
            move |(t, m, c)| async move { members.resume_member(&t, &m, c.caller()).await },
            Serde,
        )
    }

    /// Ends every session of `member`, and only theirs. Never one's own.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: MemberDocumentInput, caller: MemberCaller",
        ts_return_type = "Promise<MemberChange>"
    )]
    pub fn force_logout<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::members::MemberChange>>> {
        let members = self.inner.clone();
        run(
            env,
            target_args(&tenant, &member, &caller),
            move |(t, m, c)| async move { members.force_logout(&t, &m, c.caller()).await },
            Serde,
        )
    }

    /// Sets a new one-time password on the member's identity and mailbox and
    /// ends their sessions.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: MemberDocumentInput, caller: MemberCaller",
        ts_return_type = "Promise<PasswordReset>"
    )]
    pub fn reset_password<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, PasswordReset>> {
        let members = self.inner.clone();
        run(
            env,
            target_args(&tenant, &member, &caller),
            move |(t, m, c)| async move { members.reset_password(&t, &m, c.caller()).await },
            |reset| PasswordReset {
                change: Serde(reset.change),
                password: OneTimeSecret::new(reset.password),
            },
        )
    }

    /// Removes `member` from `tenant` (files, mailbox, identity; what the
    /// user's other uses need is kept). Never oneself. Stops at the first
    /// failure (`complete: false`); running it again resumes. With
    /// `deleteDocument` delete the user document instead of applying `patch`.
    #[napi(
        ts_args_type = "tenant: TenantDocument, member: MemberDocumentInput, caller: MemberCaller",
        ts_return_type = "Promise<MemberRemoval>"
    )]
    pub fn remove_member<'e>(
        &self,
        env: &'e Env,
        tenant: Unknown<'_>,
        member: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Serde<dezky_core::members::MemberRemoval>>> {
        let members = self.inner.clone();
        run(
            env,
            target_args(&tenant, &member, &caller),
            move |(t, m, c)| async move { members.remove_member(&t, &m, c.caller()).await },
            Serde,
        )
    }

    /// Invites a partner staff member: an identity in the shared staff group
    /// and a one-time recovery link. Needs the partner's staff or a platform
    /// admin, and a partner not terminated.
    #[napi(
        ts_args_type = "partner: PartnerRecord, staff: NewStaff, caller: MemberCaller",
        ts_return_type = "Promise<InvitedStaff>"
    )]
    pub fn invite_partner_staff<'e>(
        &self,
        env: &'e Env,
        partner: Unknown<'_>,
        staff: Unknown<'_>,
        caller: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, InvitedStaff>> {
        let args = (|| {
            let p = crate::auth::partner(&partner)?;
            let s: NewStaff = input(&staff, "staff")?;
            Ok::<_, MemberJsError>((p, s, self::caller(&caller)?))
        })();
        let members = self.inner.clone();
        run(
            env,
            args,
            move |(p, s, c)| async move { members.invite_partner_staff(&p, &s, c.caller()).await },
            |made| InvitedStaff {
                member: Serde(made.member),
                document: Serde(made.document),
                recovery_link: OneTimeSecret::new(made.recovery_link),
                events: Serde(made.events),
            },
        )
    }
}

type TargetArgs = (TenantDocument, MemberDocument, CallerArgs);

fn target_args(
    tenant: &Unknown<'_>,
    member: &Unknown<'_>,
    caller: &Unknown<'_>,
) -> std::result::Result<TargetArgs, MemberJsError> {
    Ok((
        self::tenant(tenant)?,
        self::member(member, "member")?,
        self::caller(caller)?,
    ))
}

/// Runs a member operation on the runtime: a bad argument rejects the
/// promise, the operation's error rejects with its JS form.
fn run<'e, A, F, Fut, T, U, M>(
    env: &'e Env,
    args: std::result::Result<A, MemberJsError>,
    operation: F,
    map: M,
) -> napi::Result<PromiseRaw<'e, U>>
where
    A: Send + 'static,
    F: FnOnce(A) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<T, MemberError>> + Send + 'static,
    T: Send + 'static,
    U: napi::bindgen_prelude::ToNapiValue,
    M: FnOnce(T) -> U + 'static,
{
    match args {
        Err(e) => PromiseRaw::reject(env, crate::error::to_js(env, &e)),
        Ok(args) => crate::task::spawn(
            env,
            async move { operation(args).await.map_err(MemberJsError) },
            map,
        ),
    }
}

/// The `/me` profile: `actor` (from `verifyToken`), the caller's user
/// document (which must be theirs and active), the tenants read for its
/// `tenantIds` and its partner. Throws `DEZKY_FORBIDDEN` for another's or an
/// inactive record.
#[napi(
    ts_args_type = "actor: Actor, user: MemberDocumentInput, tenants: TenantRecord[], partner?: PartnerRecord | null",
    ts_return_type = "MeProfile"
)]
pub fn me(
    env: Env,
    actor: Unknown<'_>,
    user: Unknown<'_>,
    tenants: Unknown<'_>,
    partner: Option<Unknown<'_>>,
) -> napi::Result<Serde<dezky_core::members::MeProfile>> {
    (|| {
        let actor = self::actor(crate::auth::json(&actor, "actor")?, "actor")?;
        let member = self::member(&user, "user")?;
        let tenants = match crate::auth::json(&tenants, "tenants")? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| match t {
                    Value::Object(map) => {
                        dezky_core::records::tenant(&format!("tenants[{i}]"), map)
                    }
                    _ => Err(invalid(&format!("tenants[{i}]"), "must be an object")),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => return Err(invalid("tenants", "must be an array")),
        };
        let partner = match partner {
            None => None,
            Some(p) => match crate::auth::json(&p, "partner")? {
                Value::Null => None,
                Value::Object(map) => Some(dezky_core::records::partner("partner", &map)?),
                _ => return Err(invalid("partner", "must be an object")),
            },
        };
        dezky_core::members::me(&actor, &member, &tenants, partner.as_ref())
    })()
    .map(Serde)
    .js(&env)
}

/// The user document after `patch` (a result's `patch`), as the control
/// plane would store it (version incremented). Throws
/// `DEZKY_VERSION_CONFLICT` for a patch made from another version.
#[napi(
    ts_args_type = "member: MemberDocumentInput, patch: MemberPatch",
    ts_return_type = "Record<string, unknown>"
)]
pub fn apply_member_patch(
    env: Env,
    member: Unknown<'_>,
    patch: Unknown<'_>,
) -> napi::Result<Serde<Map<String, Value>>> {
    (|| {
        let mut document = crate::auth::record_json(&member, "member")?;
        // A member's patch is a tenant patch of the user's id, serialized as `userId`.
        let mut patch = crate::auth::record_json(&patch, "patch")?;
        let user_id = patch
            .remove("userId")
            .ok_or_else(|| invalid("patch.userId", "must be a string"))?;
        let read = MemberDocument::from_document("member", &document)?;
        if user_id.as_str() != Some(read.user.id.as_str()) {
            return Err(invalid("patch.userId", "is not this member's id"));
        }
        patch.insert("tenantId".into(), user_id);
        let patch = TenantPatch::from_value(&Value::Object(patch))?;
        patch.apply(&mut document)?;
        Ok(document)
    })()
    .map(Serde)
    .js(&env)
}
