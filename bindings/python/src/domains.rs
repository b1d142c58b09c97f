//! A tenant's mail domains over `dezky_core::domains` (docs/domains.md): add
//! (the DKIM wait, the records to publish, the ownership token), verify over
//! the DNS resolver options of `dezky.dns`, list, the tenant's own DMARC
//! policy, remove with the in-use guard, and aliases, mailing lists and
//! quotas. Conversion only: documents are read by the core (errors name the
//! field), and every rule (rights, rollback, the DMARC tags) is the core's.
//!
//! The ownership token crosses as a `Secret` (`Secret(***)`); the domain
//! document handed back leaves it out. A failure is raised as the exception
//! of its code with its facts as attributes.

// Each operation takes the documents, the caller (token, record, audit
// actor) and the time: eight arguments with `self` and `py`.
#![allow(clippy::too_many_arguments)]

use std::sync::Arc;
use std::time::Duration;

use dezky_clients::resolver::DnsResolver;
use dezky_core::dns::VerifyOptions;
use dezky_core::domains::memory::{MailOp, MemoryMail};
use dezky_core::domains::{
    AddedDomain, DmarcPolicy, DomainChange, DomainCheck, DomainError, DomainRecord, DomainRemoval,
    Domains, ManualPause,
};
use dezky_core::provisioning::PortError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use serde_json::{Map, Value, json};

use crate::convert::{self, serde_py, to_py};
use crate::dns::{expected_json, report_json, settings};
use crate::error::{self, IntoPyResult, SdkError};
use crate::members::{
    Acting, PySecret, failure_kind, fields, known_code, member_document, optional_text,
};
use crate::runtime::client_methods;

/// A domain operation's failure as a Python exception: a refusal is the core
/// error's; a name taken is `AlreadyExistsError` (`name`, `holder`); the
/// in-use guard `InUseError` (`name`, `reason`, `linked`); a mail-server
/// failure part-way has its port error's code and `action`, `step`,
/// `upstream_code`, `undone` (`[{what, handle, error?}]`) and `events`.
pub(crate) struct DomainFailed(pub(crate) DomainError);

impl std::fmt::Display for DomainFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl SdkError for DomainFailed {
    fn code(&self) -> &'static str {
        match &self.0 {
            DomainError::Refused(e) => SdkError::code(e),
            other => known_code(other.code()),
        }
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        let py = details.py();
        match &self.0 {
            DomainError::Refused(e) => SdkError::details(e, details),
            DomainError::Exists { name, holder } => {
                details.set_item("name", name)?;
                details.set_item("holder", holder)?;
                Ok(())
            }
            DomainError::InUse {
                name,
                reason,
                linked,
            } => {
                details.set_item("name", name)?;
                details.set_item("reason", reason)?;
                details.set_item("linked", linked)?;
                Ok(())
            }
            DomainError::Failed(f) => {
                details.set_item("action", &f.action)?;
                details.set_item("step", &f.step)?;
                details.set_item("upstream_code", &f.error.code)?;
                details.set_item("undone", serde_py(py, &f.undone)?)?;
                details.set_item("events", serde_py(py, &f.events)?)?;
                Ok(())
            }
        }
    }
}

/// A mail-server failure outside an operation (reading the zone file).
struct MailFailed(PortError);

impl std::fmt::Display for MailFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl SdkError for MailFailed {
    fn code(&self) -> &'static str {
        known_code(&self.0.code)
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        details.set_item("upstream_code", &self.0.code)
    }
}

fn mail_op(value: &str) -> PyResult<MailOp> {
    Ok(match value {
        "find_domain" => MailOp::FindDomain,
        "create_domain" => MailOp::CreateDomain,
        "dkim_selectors" => MailOp::DkimSelectors,
        "zone_file" => MailOp::ZoneFile,
        "mailboxes" => MailOp::Mailboxes,
        "remove_domain" => MailOp::RemoveDomain,
        "add_alias" => MailOp::AddAlias,
        "remove_alias" => MailOp::RemoveAlias,
        "find_list" => MailOp::FindList,
        "create_list" => MailOp::CreateList,
        "set_list_recipients" => MailOp::SetListRecipients,
        "remove_list" => MailOp::RemoveList,
        "set_quota" => MailOp::SetQuota,
        _ => {
            return Err(error::invalid_argument(
                "op",
                format!("{value:?} is not a mail port operation"),
            ));
        }
    })
}

/// A domain document (a dict), read by the core; errors name `domain.<field>`.
fn domain_record(obj: &Bound<'_, PyAny>) -> PyResult<DomainRecord> {
    let map = convert::object("domain", "a dict (the domain document)", obj)?;
    DomainRecord::from_document("domain", &map).py()
}

/// The domain document without its ownership token (which crosses as a `Secret`).
fn document_without_token(record: &DomainRecord) -> Value {
    let mut document = record.to_document();
    document.remove("ownershipToken");
    Value::Object(document)
}

/// A list of addresses (`list.recipients`); errors name `name[i]`.
fn addresses(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    if obj.is_instance_of::<PyString>() {
        return Err(error::wrong_field_type(name, "a sequence of str", obj));
    }
    obj.try_iter()
        .map_err(|_| error::wrong_field_type(name, "a sequence of str", obj))?
        .enumerate()
        .map(|(i, item)| {
            let item = item?;
            optional_text(&format!("{name}[{i}]"), Some(item.clone()))?
                .ok_or_else(|| error::wrong_field_type(&format!("{name}[{i}]"), "a str", &item))
        })
        .collect()
}

/// A DMARC policy dict (`{"p", "sp"?, "pct"?, "rua"?, "ruf"?, "adkim"?, "aspf"?}`) as the
/// core's `DmarcPolicy`; unknown keys are refused, types checked here, every tag's rule by
/// the core (`to_record`). Errors name `dmarc.<field>`.
pub(crate) fn dmarc_policy(obj: &Bound<'_, PyAny>) -> PyResult<DmarcPolicy> {
    let mut f = fields(
        "dmarc",
        &["p", "sp", "pct", "rua", "ruf", "adkim", "aspf"],
        obj,
    )?;
    let mut text = |key: &str| optional_text(&format!("dmarc.{key}"), f.remove(key));
    let p = text("p")?.ok_or_else(|| error::invalid_field("dmarc.p", "is required"))?;
    let (sp, adkim, aspf) = (text("sp")?, text("adkim")?, text("aspf")?);
    let pct = match f.remove("pct") {
        None => None,
        Some(v) if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() => {
            return Err(error::wrong_field_type("dmarc.pct", "an int", &v));
        }
        Some(v) => Some(
            v.extract::<u8>()
                .map_err(|_| error::invalid_field("dmarc.pct", "must be 0 to 100"))?,
        ),
    };
    let rua = addresses("dmarc.rua", f.remove("rua").as_ref())?;
    let ruf = addresses("dmarc.ruf", f.remove("ruf").as_ref())?;
    let policy = DmarcPolicy {
        p,
        sp,
        pct,
        rua,
        ruf,
        adkim,
        aspf,
    };
    policy.validate().py()?;
    Ok(policy)
}

fn added_py(py: Python<'_>, added: AddedDomain) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item(
        "document",
        to_py(py, &document_without_token(&added.record))?,
    )?;
    dict.set_item(
        "ownership_token",
        PySecret(added.record.ownership_token.clone()),
    )?;
    dict.set_item("tenant_patch", serde_py(py, &added.tenant_patch)?)?;
    dict.set_item("expected", to_py(py, &expected_json(&added.expected))?)?;
    dict.set_item("dkim_selectors", &added.dkim_selectors)?;
    dict.set_item("adopted", added.adopted)?;
    dict.set_item("events", serde_py(py, &added.events)?)?;
    Ok(dict.into_any())
}

fn check_py(py: Python<'_>, check: DomainCheck) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("report", to_py(py, &report_json(&check.report))?)?;
    dict.set_item("status", check.status.as_str())?;
    dict.set_item("patch", serde_py(py, &check.patch)?)?;
    dict.set_item("events", serde_py(py, &check.events)?)?;
    Ok(dict.into_any())
}

pub(crate) fn change_py(py: Python<'_>, change: DomainChange) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("action", &change.action)?;
    dict.set_item("patch", serde_py(py, &change.patch)?)?;
    dict.set_item("list", serde_py(py, &change.list)?)?;
    dict.set_item("events", serde_py(py, &change.events)?)?;
    Ok(dict.into_any())
}

fn removal_py(py: Python<'_>, removal: DomainRemoval) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("tenant_patch", serde_py(py, &removal.tenant_patch)?)?;
    dict.set_item("delete_filter", serde_py(py, &removal.delete_filter)?)?;
    dict.set_item("events", serde_py(py, &removal.events)?)?;
    Ok(dict.into_any())
}

fn expected_py(
    py: Python<'_>,
    expected: dezky_core::dns::ExpectedRecords,
) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &expected_json(&expected))
}

/// The in-memory mail server and its clock, for `Domains.in_memory()`.
struct Memory {
    mail: MemoryMail,
    pause: Arc<ManualPause>,
}

/// Runs a tenant's mail-domain operations (`docs/domains.md`) on the mail
/// server the environment configures, or on an in-memory one.
#[pyclass(name = "Domains", frozen, module = "dezky.domains")]
pub(crate) struct PyDomains {
    inner: Domains,
    memory: Option<Memory>,
}

impl PyDomains {
    fn memory(&self) -> PyResult<&Memory> {
        self.memory.as_ref().ok_or_else(|| {
            error::invalid_field(
                "domains",
                "has no in-memory mail server (made by Domains.in_memory())",
            )
        })
    }
}

client_methods! {
    impl PyDomains {
        /// Domains over an in-memory mail server (`dezky_core::domains::memory`), for tests
        /// and demos, whose DKIM wait passes at once (the sleeps are recorded, see
        /// `memory_sleeps`). New domains' DKIM keys appear after `dkim_after` looks.
        #[staticmethod]
        #[pyo3(signature = (*, dkim_after: "int" = 0) -> "_domains.Domains")]
        fn in_memory(dkim_after: u32) -> Self {
            let mail = MemoryMail::new();
            mail.dkim_after(dkim_after);
            let pause = Arc::new(ManualPause::new());
            let inner = Domains::new(Arc::new(mail.clone())).with_pause(pause.clone());
            PyDomains { inner, memory: Some(Memory { mail, pause }) }
        }

        /// Domains over the Stalwart server the environment configures (`STALWART_API_URL`
        /// and the client's other settings). `ConfigError` for a missing or broken setting.
        #[staticmethod]
        #[pyo3(signature = () -> "_domains.Domains")]
        fn from_env() -> PyResult<Self> {
            let inner = dezky_clients::domains::domains_from_env().py()?;
            Ok(PyDomains { inner, memory: None })
        }

        /// Makes the next call of `op` on the in-memory mail server fail with `code`
        /// (`failure`: `unavailable`, `rate_limited`, `rejected` or `in_use`) before it takes
        /// effect, or, with `lose_reply`, after it took effect (the answer lost).
        #[pyo3(signature = (op: "_domains.MailOp", *, failure: "_members.FailureKind" = "unavailable", code = "DEZKY_UPSTREAM_UNAVAILABLE", lose_reply = false) -> "None")]
        fn fail_next(&self, op: &str, failure: &str, code: &str, lose_reply: bool) -> PyResult<()> {
            let mail = &self.memory()?.mail;
            let error = PortError::new(failure_kind(failure)?, code, format!("injected {op} fault"));
            let op = mail_op(op)?;
            if lose_reply {
                mail.lose_next_reply(op, error);
            } else {
                mail.fail_next(op, error);
            }
            Ok(())
        }

        /// How many times `op` was called on the in-memory mail server.
        #[pyo3(signature = (op: "_domains.MailOp") -> "int")]
        fn memory_calls(&self, op: &str) -> PyResult<u64> {
            Ok(self.memory()?.mail.calls(mail_op(op)?))
        }

        /// The sleeps of the DKIM wait so far, in seconds (the in-memory clock's).
        #[pyo3(signature = () -> "list[float]")]
        fn memory_sleeps(&self) -> PyResult<Vec<f64>> {
            Ok(self.memory()?.pause.sleeps().iter().map(Duration::as_secs_f64).collect())
        }

        /// Adds a domain to the in-memory mail server as someone outside the SDK would
        /// (`owner`: the tenant its marker names); returns its handle.
        #[pyo3(signature = (name: "str", owner: "str | None" = None) -> "str")]
        fn insert_memory_domain(&self, name: &str, owner: Option<&str>) -> PyResult<String> {
            Ok(self.memory()?.mail.insert_domain(name, owner))
        }

        /// Adds a mailbox at `address` to the in-memory mail server; returns its handle.
        #[pyo3(signature = (address: "str") -> "str")]
        fn insert_memory_mailbox(&self, address: &str) -> PyResult<String> {
            Ok(self.memory()?.mail.insert_mailbox(address))
        }

        /// The in-memory mail server's domains, mailboxes and mailing lists, by handle.
        #[pyo3(signature = () -> "_domains.MemoryMail")]
        fn memory_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
            let mail = &self.memory()?.mail;
            let domains: Map<String, Value> = mail
                .domains()
                .into_iter()
                .map(|(h, d)| (h, json!({"name": d.name, "owner": d.owner})))
                .collect();
            let mailboxes: Map<String, Value> = mail
                .mailboxes()
                .into_iter()
                .map(|(h, m)| {
                    (h, json!({"address": m.address, "aliases": m.aliases, "quotaBytes": m.quota_bytes}))
                })
                .collect();
            let lists: Map<String, Value> = mail
                .lists()
                .into_iter()
                .map(|(h, l)| (h, json!({"address": l.address, "recipients": l.recipients})))
                .collect();
            to_py(py, &json!({"domains": domains, "mailboxes": mailboxes, "lists": lists}))
        }
    }
    operations(d = self.inner.clone()) {
        /// Adds the domain `name` to `tenant`: the domain on the mail server (or the one an
        /// earlier add left, marked for this tenant), its DKIM keys and the records to
        /// publish; on a failure part-way what this call made is removed. The result's
        /// `ownership_token` is a `Secret`; `document` leaves it out (insert
        /// `{**document, "ownershipToken": ownership_token.reveal()}`); `expected` holds it in
        /// the ownership TXT record to publish.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", name: "str", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.AddedDomain")]
        fn add_domain / add_domain_sync(
            tenant: &Bound<'py, PyAny>,
            name: String,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => added_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.add_domain(&tenant, &name, acting.caller()).await.map_err(DomainFailed) }
        }

        /// The records the domain document `domain` should publish, rebuilt from the mail
        /// server's zone file, its token and its own DMARC record.
        #[pyo3(signature = (domain: "Mapping[str, Any]") -> "_dns.ExpectedRecords")]
        fn expected_records / expected_records_sync(domain: &Bound<'py, PyAny>) => expected_py {
            let record = domain_record(domain)?;
            async move { d.expected_records(&record).await.map_err(MailFailed) }
        }

        /// Checks the domain's published records (`dezky.dns.verify_domain`'s resolver
        /// options) and returns its new status with the write to its document.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", domain: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None, nameservers: "Sequence[str] | None" = None, port: "int" = 53, timeout: "float" = 2.0, attempts: "int" = 2) -> "_domains.DomainCheck")]
        fn verify_domain / verify_domain_sync(
            tenant: &Bound<'py, PyAny>,
            domain: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
            nameservers: Option<Vec<String>>,
            port: u16,
            timeout: f64,
            attempts: usize,
        ) => check_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let record = domain_record(domain)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            let resolver = DnsResolver::new(settings(nameservers, port, timeout, attempts)?).py()?;
            async move {
                d.verify_domain(&tenant, &record, &resolver, &VerifyOptions::default(), acting.caller())
                    .await
                    .map_err(DomainFailed)
            }
        }

        /// Removes the domain from the mail server and `tenant`: the primary domain and a
        /// domain with mailboxes are refused (`InUseError`, `linked`); running it again after
        /// a failure is safe.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", domain: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainRemoval")]
        fn remove_domain / remove_domain_sync(
            tenant: &Bound<'py, PyAny>,
            domain: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => removal_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let record = domain_record(domain)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.remove_domain(&tenant, &record, acting.caller()).await.map_err(DomainFailed) }
        }

        /// Adds the alias `address` to the member's mailbox in `tenant`.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", address: "str", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn add_alias / add_alias_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            address: String,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.add_alias(&tenant, &member, &address, acting.caller()).await.map_err(DomainFailed) }
        }

        /// Takes the alias `address` off the member's mailbox in `tenant`.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", address: "str", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn remove_alias / remove_alias_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            address: String,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.remove_alias(&tenant, &member, &address, acting.caller()).await.map_err(DomainFailed) }
        }

        /// Sets the member's mailbox quota in bytes (`None`: the server's default).
        #[pyo3(signature = (tenant: "Mapping[str, Any]", member: "Mapping[str, Any]", quota_bytes: "int | None", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn set_quota / set_quota_sync(
            tenant: &Bound<'py, PyAny>,
            member: &Bound<'py, PyAny>,
            quota_bytes: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let bytes = quota(quota_bytes)?;
            let (tenant, member) = (crate::provisioning::tenant(tenant)?, member_document(member)?);
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.set_quota(&tenant, &member, bytes, acting.caller()).await.map_err(DomainFailed) }
        }

        /// Creates the mailing list `address` on one of the tenant's domains.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", address: "str", recipients: "Sequence[str]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn create_list / create_list_sync(
            tenant: &Bound<'py, PyAny>,
            address: String,
            recipients: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let recipients = addresses("list.recipients", Some(recipients))?;
            let tenant = crate::provisioning::tenant(tenant)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.create_list(&tenant, &address, &recipients, acting.caller()).await.map_err(DomainFailed) }
        }

        /// Adds and removes recipients of the mailing list `address` (one in both is added).
        #[pyo3(signature = (tenant: "Mapping[str, Any]", address: "str", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, add: "Sequence[str] | None" = None, remove: "Sequence[str] | None" = None, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn set_list_members / set_list_members_sync(
            tenant: &Bound<'py, PyAny>,
            address: String,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            add: Option<&Bound<'py, PyAny>>,
            remove: Option<&Bound<'py, PyAny>>,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let add = addresses("add", add)?;
            let remove = addresses("remove", remove)?;
            let tenant = crate::provisioning::tenant(tenant)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move {
                d.set_list_members(&tenant, &address, &add, &remove, acting.caller())
                    .await
                    .map_err(DomainFailed)
            }
        }

        /// Deletes the mailing list `address`.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", address: "str", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
        fn delete_list / delete_list_sync(
            tenant: &Bound<'py, PyAny>,
            address: String,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => change_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { d.delete_list(&tenant, &address, acting.caller()).await.map_err(DomainFailed) }
        }
    }
}

/// A quota in bytes or `None`; errors name `mailbox.quotaBytes`.
fn quota(obj: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if obj.is_none() {
        return Ok(None);
    }
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(error::wrong_field_type(
            "mailbox.quotaBytes",
            "an int or None",
            obj,
        ));
    }
    obj.extract::<u64>().map(Some).map_err(|_| {
        error::invalid_field(
            "mailbox.quotaBytes",
            "must be a number of bytes from 0 to 2^64 - 1",
        )
    })
}

/// The tenant's domains (`domains`: its domain documents) as listed for it, the primary
/// first; needs a member of the tenant. Errors name the field (`domains[1].status`).
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", domains: "Iterable[Mapping[str, Any]]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "list[_domains.DomainSummary]")]
pub(crate) fn list_domains<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    domains: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant = crate::provisioning::tenant(tenant)?;
    let records = convert::documents("domains", domains, DomainRecord::from_document)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    serde_py(
        py,
        Domains::list_domains(&tenant, &records, acting.caller()).py()?,
    )
}

/// Sets the tenant's own DMARC policy of the domain (a `DmarcPolicy` dict), or with `None`
/// returns to the mail server's; every tag is checked by the core, errors naming the field
/// (`dmarc.pct`). Needs a tenant admin.
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", domain: "Mapping[str, Any]", policy: "_domains.DmarcPolicy | None", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_domains.DomainChange")]
pub(crate) fn set_dmarc<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    domain: &Bound<'py, PyAny>,
    policy: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let policy = if policy.is_none() {
        None
    } else {
        Some(dmarc_policy(policy)?)
    };
    let tenant = crate::provisioning::tenant(tenant)?;
    let record = domain_record(domain)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    let change = Domains::set_dmarc(&tenant, &record, policy.as_ref(), acting.caller()).py()?;
    change_py(py, change)
}

/// The TXT text of a DMARC policy (`v=DMARC1; p=...`), every tag checked; errors name
/// the field (`dmarc.rua[0]`).
#[pyfunction]
#[pyo3(signature = (policy: "_domains.DmarcPolicy") -> "str")]
pub(crate) fn dmarc_record(policy: &Bound<'_, PyAny>) -> PyResult<String> {
    dmarc_policy(policy)?.to_record().py()
}
