//! A tenant's members over `dezky_core::members` (docs/members.md):
//! create, suspend and resume, force-logout, reset the password, remove,
//! invite partner staff, and the `/me` profile. Conversion only: the
//! documents are read by the core (errors name the field), results cross as
//! their serde form, and every rule (rights, rollback, what a suspension
//! does) is the core's.
//!
//! A one-time password or recovery link crosses as a [`PySecret`], whose
//! `repr` and `str` are `Secret(***)`: `reveal()` gives the text once it is
//! to be shown. An upstream failure part-way is raised as the exception of
//! its code, with what was undone and the audit events as attributes.

// Each operation takes the documents, the caller (token, record, audit
// actor) and the time: eight arguments with `self` and `py`.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;
use std::sync::Arc;

use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::members::memory::{MemberOp, MemoryMembers, StoredMember};
use dezky_core::members::{
    self, Caller, CreatedMember, InvitedStaff, MemberDocument, MemberError, MemberKind, Members,
    NewMember, NewStaff, PasswordReset,
};
use dezky_core::provisioning::{FailureKind, PortError};
use dezky_core::records;
use dezky_core::secret::Secret;
use dezky_core::tenant::Tenant;
use dezky_flags::Change;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use serde_json::{Map, Value, json};

use crate::convert::{self, serde_py, to_py};
use crate::error::{self, IntoPyResult, SdkError};
use crate::flags::change;
use crate::runtime::client_methods;

/// A one-time secret (a password, a recovery link): its `repr` and `str`
/// are `Secret(***)`; `reveal()` gives the text, to show once and never
/// store or log.
#[pyclass(name = "Secret", module = "dezky.members", frozen)]
pub(crate) struct PySecret(pub(crate) Secret);

#[pymethods]
impl PySecret {
    /// The secret's text.
    #[pyo3(signature = () -> "str")]
    fn reveal(&self) -> String {
        self.0.expose().to_owned()
    }

    fn __repr__(&self) -> &'static str {
        "Secret(***)"
    }

    fn __str__(&self) -> &'static str {
        "Secret(***)"
    }
}

/// A member operation's failure as a Python exception: a refusal is the
/// core error's; an upstream failure part-way has its port error's code and
/// `action`, `failed` (the resource whose call failed), `kept`, `undone`
/// (`[{kind, handle, error?}]`), `left_behind` and `events` (the audit
/// events to record, outcome `failure`).
struct MemberFailed(MemberError);

impl std::fmt::Display for MemberFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The stable code among the crates' codes that `code` is.
pub(crate) fn known_code(code: &str) -> &'static str {
    dezky_core::Error::CODES
        .iter()
        .chain(dezky_clients::Error::CODES)
        .chain(dezky_flags::Error::CODES)
        .find(|c| **c == code)
        .copied()
        .unwrap_or("DEZKY_UPSTREAM_UNAVAILABLE")
}

impl SdkError for MemberFailed {
    fn code(&self) -> &'static str {
        match &self.0 {
            MemberError::Refused(e) => SdkError::code(e),
            MemberError::Failed(f) => known_code(&f.error.code),
        }
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        match &self.0 {
            MemberError::Refused(e) => SdkError::details(e, details),
            MemberError::Failed(f) => {
                let py = details.py();
                details.set_item("action", &f.action)?;
                details.set_item("failed", f.kind.map(MemberKind::as_str))?;
                details.set_item("upstream_code", &f.error.code)?;
                details.set_item(
                    "kept",
                    f.kept.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                )?;
                details.set_item("undone", serde_py(py, &f.undone)?)?;
                details.set_item("left_behind", f.left_behind())?;
                details.set_item("events", serde_py(py, &f.events)?)?;
                Ok(())
            }
        }
    }
}

fn kind(name: &str, value: &str) -> PyResult<MemberKind> {
    MemberKind::ALL
        .into_iter()
        .find(|k| k.as_str() == value)
        .ok_or_else(|| {
            error::invalid_argument(name, format!("{value:?} is not identity, mailbox or files"))
        })
}

fn op(value: &str) -> PyResult<MemberOp> {
    Ok(match value {
        "find" => MemberOp::Find,
        "create" => MemberOp::Create,
        "set_password" => MemberOp::SetPassword,
        "suspend" => MemberOp::Suspend,
        "resume" => MemberOp::Resume,
        "join" => MemberOp::Join,
        "leave" => MemberOp::Leave,
        "end_sessions" => MemberOp::EndSessions,
        "recovery_link" => MemberOp::RecoveryLink,
        "remove" => MemberOp::Remove,
        _ => {
            return Err(error::invalid_argument(
                "op",
                format!("{value:?} is not a member port operation"),
            ));
        }
    })
}

pub(crate) fn failure_kind(value: &str) -> PyResult<FailureKind> {
    [
        FailureKind::Unavailable,
        FailureKind::RateLimited,
        FailureKind::Rejected,
        FailureKind::InUse,
    ]
    .into_iter()
    .find(|k| {
        serde_json::to_value(k)
            .ok()
            .as_ref()
            .and_then(Value::as_str)
            == Some(value)
    })
    .ok_or_else(|| {
        error::invalid_argument(
            "failure",
            format!("{value:?} is not unavailable, rate_limited, rejected or in_use"),
        )
    })
}

fn stored(member: StoredMember) -> Value {
    json!({
        "name": member.name,
        "displayName": member.display_name,
        "suspended": member.suspended,
        "groups": member.groups,
        "hasPassword": member.password.is_some(),
        "quotaBytes": member.quota_bytes,
        "sessions": member.sessions,
        "inUse": member.in_use,
    })
}

/// A text attribute of a dict or an object (`dezky.auth.Actor`).
pub(crate) fn attribute<'py>(
    obj: &Bound<'py, PyAny>,
    key: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let value = match obj.cast::<PyDict>() {
        Ok(dict) => dict.get_item(key)?,
        Err(_) => obj.getattr(key).ok(),
    };
    Ok(value.filter(|v| !v.is_none()))
}

pub(crate) fn optional_text(
    field: &str,
    value: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    value
        .map(|v| match v.cast::<PyString>() {
            Ok(s) => Ok(s.to_str()?.to_owned()),
            Err(_) => Err(error::wrong_field_type(field, "a str or None", &v)),
        })
        .transpose()
}

/// The verified token's identity (`dezky.auth.Actor`, or a dict with
/// `subject`, `surface` and optionally `email`, `name`, `groups`); errors
/// name `caller.<field>`.
fn actor(obj: &Bound<'_, PyAny>) -> PyResult<Actor> {
    let readable = obj.is_instance_of::<PyDict>() || obj.hasattr("subject")?;
    if obj.is_instance_of::<PyString>() || !readable {
        return Err(error::wrong_type(
            "caller",
            "a dezky.auth.Actor or a dict",
            obj,
        ));
    }
    let subject = optional_text("caller.subject", attribute(obj, "subject")?)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error::invalid_field("caller.subject", "is required"))?;
    let surface = optional_text("caller.surface", attribute(obj, "surface")?)?.unwrap_or_default();
    let surface = Surface::parse_field(&surface, "caller.surface").py()?;
    let groups = match attribute(obj, "groups")? {
        None => Vec::new(),
        Some(g) => g
            .try_iter()
            .map_err(|_| error::wrong_field_type("caller.groups", "a sequence of str", &g))?
            .map(|item| optional_text("caller.groups", Some(item?)).map(Option::unwrap_or_default))
            .collect::<PyResult<Vec<String>>>()?,
    };
    Ok(Actor {
        subject,
        email: optional_text("caller.email", attribute(obj, "email")?)?,
        name: optional_text("caller.name", attribute(obj, "name")?)?,
        groups,
        surface,
        issuer: String::new(),
        audience: String::new(),
        expires_at: 0,
    })
}

/// Who acts, owned: the token's identity, the caller's user record and the change.
pub(crate) struct Acting {
    actor: Actor,
    user: UserRecord,
    change: Change,
}

impl Acting {
    pub(crate) fn read(
        caller: &Bound<'_, PyAny>,
        caller_user: &Bound<'_, PyAny>,
        actor: &str,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(Acting {
            actor: self::actor(caller)?,
            user: crate::auth::user("caller_user", caller_user)?,
            change: change(actor, at)?,
        })
    }

    pub(crate) fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.user,
            change: &self.change,
        }
    }
}

/// A member's user document (a dict), read by the core; errors name `member.<field>`.
pub(crate) fn member_document(obj: &Bound<'_, PyAny>) -> PyResult<MemberDocument> {
    let map = convert::object("member", "a dict (the member's user document)", obj)?;
    MemberDocument::from_document("member", &map).py()
}

/// The keys of a dict argument; an unknown one is refused naming it.
pub(crate) fn fields<'py>(
    name: &str,
    allowed: &[&str],
    obj: &Bound<'py, PyAny>,
) -> PyResult<BTreeMap<String, Bound<'py, PyAny>>> {
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| error::wrong_type(name, "a dict", obj))?;
    let mut out = BTreeMap::new();
    for (k, v) in dict.iter() {
        let key: String = k
            .extract()
            .map_err(|_| error::wrong_field_type(name, "a dict with str keys", &k))?;
        if !allowed.contains(&key.as_str()) {
            return Err(error::invalid_field(
                &format!("{name}.{key}"),
                format!("is not a field ({})", allowed.join(", ")),
            ));
        }
        if !v.is_none() {
            out.insert(key, v);
        }
    }
    Ok(out)
}

pub(crate) fn required_text(
    name: &str,
    key: &str,
    fields: &mut BTreeMap<String, Bound<'_, PyAny>>,
) -> PyResult<String> {
    let field = format!("{name}.{key}");
    optional_text(&field, fields.remove(key))?
        .ok_or_else(|| error::invalid_field(&field, "is required"))
}

/// `{"email", "name", "admin"?, "quotaBytes"?}` as the core's `NewMember`.
fn new_member(obj: &Bound<'_, PyAny>) -> PyResult<NewMember> {
    let mut f = fields("member", &["email", "name", "admin", "quotaBytes"], obj)?;
    let admin = match f.remove("admin") {
        None => false,
        Some(v) => v
            .cast::<PyBool>()
            .map_err(|_| error::wrong_field_type("member.admin", "a bool", &v))?
            .is_true(),
    };
    let quota_bytes = match f.remove("quotaBytes") {
        None => None,
        Some(v) if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() => {
            return Err(error::wrong_field_type("member.quotaBytes", "an int", &v));
        }
        Some(v) => Some(v.extract::<u64>().map_err(|_| {
            error::invalid_field(
                "member.quotaBytes",
                "must be a number of bytes from 0 to 2^64 - 1",
            )
        })?),
    };
    Ok(NewMember {
        email: required_text("member", "email", &mut f)?,
        name: required_text("member", "name", &mut f)?,
        admin,
        quota_bytes,
    })
}

/// `{"email", "name"}` as the core's `NewStaff`.
fn new_staff(obj: &Bound<'_, PyAny>) -> PyResult<NewStaff> {
    let mut f = fields("staff", &["email", "name"], obj)?;
    Ok(NewStaff {
        email: required_text("staff", "email", &mut f)?,
        name: required_text("staff", "name", &mut f)?,
    })
}

fn created_py(py: Python<'_>, created: CreatedMember) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("member", serde_py(py, &created.member)?)?;
    dict.set_item("document", to_py(py, &Value::Object(created.document))?)?;
    dict.set_item("password", PySecret(created.password))?;
    dict.set_item("events", serde_py(py, &created.events)?)?;
    Ok(dict.into_any())
}

fn invited_py(py: Python<'_>, invited: InvitedStaff) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("member", serde_py(py, &invited.member)?)?;
    dict.set_item("document", to_py(py, &Value::Object(invited.document))?)?;
    dict.set_item("recovery_link", PySecret(invited.recovery_link))?;
    dict.set_item("events", serde_py(py, &invited.events)?)?;
    Ok(dict.into_any())
}

fn reset_py(py: Python<'_>, reset: PasswordReset) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("change", serde_py(py, &reset.change)?)?;
    dict.set_item("password", PySecret(reset.password))?;
    Ok(dict.into_any())
}

fn record_py<T: serde::Serialize>(py: Python<'_>, value: T) -> PyResult<Bound<'_, PyAny>> {
    serde_py(py, value)
}

/// Runs a tenant's member operations across the upstreams
/// (`docs/members.md`): the ports from the environment, or three in-memory
/// upstreams (identity, mailbox, files).
#[pyclass(name = "Members", frozen, module = "dezky.members")]
pub(crate) struct PyMembers {
    inner: Members,
    /// The in-memory upstreams, for one made by `in_memory()`.
    memory: Option<Arc<BTreeMap<MemberKind, MemoryMembers>>>,
}

impl PyMembers {
    fn memory(&self, name: &str) -> PyResult<&MemoryMembers> {
        let kind = kind("kind", name)?;
        self.memory
            .as_ref()
            .and_then(|m| m.get(&kind))
            .ok_or_else(|| {
                error::invalid_field(
                    "members",
                    format!("has no in-memory {kind} upstream (made by Members.in_memory())"),
                )
            })
    }
}

client_methods! {
    impl PyMembers {
        /// Members over three in-memory upstreams (`dezky_core::members::memory`), for tests
        /// and demos. Tenant groups exist once added (`add_memory_group`).
        #[staticmethod]
        #[pyo3(signature = () -> "_members.Members")]
        fn in_memory() -> Self {
            let upstreams: BTreeMap<MemberKind, MemoryMembers> = MemberKind::ALL
                .into_iter()
                .map(|k| (k, MemoryMembers::new(k)))
                .collect();
            let inner = upstreams
                .values()
                .fold(Members::new(), |m, u| m.with_port(Arc::new(u.clone())));
            PyMembers {
                inner,
                memory: Some(Arc::new(upstreams)),
            }
        }

        /// Members over the upstreams the environment configures: Authentik
        /// (`AUTHENTIK_API_URL`), Stalwart (`STALWART_API_URL`) and OCIS
        /// (`OCIS_API_URL`), each client reading the rest of its settings; an upstream that is
        /// not configured has no port (its resource is skipped). `ConfigError` for a broken
        /// setting.
        #[staticmethod]
        #[pyo3(signature = () -> "_members.Members")]
        fn from_env() -> PyResult<Self> {
            let inner = dezky_clients::members::members_from_env().py()?;
            Ok(PyMembers { inner, memory: None })
        }

        /// Makes `handle` (a tenant's `authentikGroupId`) a group of the in-memory identity
        /// upstream.
        #[pyo3(signature = (handle: "str") -> "None")]
        fn add_memory_group(&self, handle: &str) -> PyResult<()> {
            self.memory("identity")?.add_group(handle);
            Ok(())
        }

        /// The resources of an in-memory upstream by handle (a password shows only as
        /// `hasPassword`).
        #[pyo3(signature = (kind: "_members.MemberKind") -> "dict[str, _members.MemoryMember]")]
        fn memory_resources<'py>(&self, py: Python<'py>, kind: &str) -> PyResult<Bound<'py, PyAny>> {
            let resources: Map<String, Value> = self
                .memory(kind)?
                .resources()
                .into_iter()
                .map(|(handle, member)| (handle, stored(member)))
                .collect();
            to_py(py, &Value::Object(resources))
        }

        /// Makes the next call of `op` on the in-memory `kind` upstream fail with `code`
        /// (`failure`: `unavailable`, `rate_limited`, `rejected` or `in_use`) before it takes
        /// effect, or, with `lose_reply`, after it took effect (the answer lost).
        #[pyo3(signature = (kind: "_members.MemberKind", op: "_members.MemberOp", *, failure: "_members.FailureKind" = "unavailable", code = "DEZKY_UPSTREAM_UNAVAILABLE", lose_reply = false) -> "None")]
        fn fail_next(&self, kind: &str, op: &str, failure: &str, code: &str, lose_reply: bool) -> PyResult<()> {
            let upstream = self.memory(kind)?;
            let error = PortError::new(failure_kind(failure)?, code, format!("injected {op} fault"));
            let op = self::op(op)?;
            if lose_reply {
                upstream.lose_next_reply(op, error);
            } else {
                upstream.fail_next(op, error);
            }
            Ok(())
        }

        /// How many times `op` was called on the in-memory `kind` upstream.
        #[pyo3(signature = (kind: "_members.MemberKind", op: "_members.MemberOp") -> "int")]
        fn memory_calls(&self, kind: &str, op: &str) -> PyResult<u64> {
            Ok(self.memory(kind)?.calls(self::op(op)?))
        }

        /// Opens a session of the in-memory identity `handle` (a sign-in).
        #[pyo3(signature = (handle: "str") -> "None")]
        fn open_memory_session(&self, handle: &str) -> PyResult<()> {
            self.memory("identity")?.open_session(handle);
            Ok(())
        }
    }
    operations(m = self.inner.clone()) {
        /// Creates a member of `tenant` (`{"email", "name", "admin"?, "quotaBytes"?}`): the
        /// identity, the mailbox, the files account; on a failure part-way what was made is
        /// removed. `caller` is the verified token's Actor, `caller_user` the caller's user
        /// document, `actor` the audit actor. The result's `password` is a `Secret`.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "_members.NewMember", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.CreatedMember")]
        fn create_member / create_member_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => created_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let new = new_member(member)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.create_member(&tenant, &new, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Suspends the member (their user document) in `tenant`: all or nothing.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.MemberChange")]
        fn suspend_member / suspend_member_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.suspend_member(&tenant, &member, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Resumes the member in `tenant`, restoring exactly what suspending did.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.MemberChange")]
        fn resume_member / resume_member_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.resume_member(&tenant, &member, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Ends the sessions of that member only.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.MemberChange")]
        fn force_logout / force_logout_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.force_logout(&tenant, &member, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Sets a new one-time password on the identity and the tenant's mailbox and ends the
        /// sessions; the result's `password` is a `Secret`.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.PasswordReset")]
        fn reset_password / reset_password_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => reset_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.reset_password(&tenant, &member, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Removes the member from `tenant` (files, mailbox, identity; stops at the first
        /// failure, and running it again resumes).
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.MemberRemoval")]
        fn remove_member / remove_member_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.remove_member(&tenant, &member, acting.caller()).await.map_err(MemberFailed) }
        }

        /// Invites a partner's staff member (`{"email", "name"}`): an identity in the shared
        /// staff group and a one-time `recovery_link` (a `Secret`).
        #[pyo3(signature = (partner: "Mapping[str, Any]", staff: "_members.NewStaff", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_members.InvitedStaff")]
        fn invite_partner_staff / invite_partner_staff_sync(
            partner: &Bound<'py, PyAny>,
            staff: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => invited_py {
            let partner = crate::auth::partner(partner)?;
            let new = new_staff(staff)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { m.invite_partner_staff(&partner, &new, acting.caller()).await.map_err(MemberFailed) }
        }
    }
}

/// The `/me` profile: `caller` (the verified token's Actor), `member` (the
/// caller's own user document, which must be active), the tenants read for
/// its `tenantIds` and its partner. `ForbiddenError` for another user's
/// record; errors name the field.
#[pyfunction]
#[pyo3(signature = (caller: "_auth.Actor | Mapping[str, Any]", member: "Mapping[str, Any]", tenants: "Iterable[Mapping[str, Any]] | None" = None, partner: "Mapping[str, Any] | None" = None) -> "_members.MeProfile")]
pub(crate) fn me<'py>(
    py: Python<'py>,
    caller: &Bound<'py, PyAny>,
    member: &Bound<'py, PyAny>,
    tenants: Option<&Bound<'py, PyAny>>,
    partner: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let actor = actor(caller)?;
    let member = member_document(member)?;
    let tenants: Vec<Tenant> = match tenants.filter(|t| !t.is_none()) {
        None => Vec::new(),
        Some(t) => convert::documents("tenants", t, |name, map| {
            let fields: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| records::TENANT_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            records::tenant(name, &fields)
        })?,
    };
    let partner = partner
        .filter(|p| !p.is_none())
        .map(crate::auth::partner)
        .transpose()?;
    serde_py(
        py,
        members::me(&actor, &member, &tenants, partner.as_ref()).py()?,
    )
}
