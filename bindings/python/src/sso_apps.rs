//! A tenant's SSO apps over `dezky_core::sso_apps` (docs/sso-apps.md): the
//! apps bound to the tenant's group and the composite delete that resumes
//! when run again. Conversion only: the SSO-app document is read by the core
//! (a `clientSecret` in it is refused), results cross as their serde form.

// The delete takes the documents, the caller (token, record, audit actor)
// and the time: eight arguments with `self` and `py`.
#![allow(clippy::too_many_arguments)]

use std::sync::Arc;

use dezky_core::provisioning::PortError;
use dezky_core::sso_apps::memory::{MemorySso, SsoOp};
use dezky_core::sso_apps::{SsoAppRecord, SsoApps, SsoError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{self, serde_py};
use crate::error::{self, IntoPyResult, SdkError};
use crate::members::{Acting, failure_kind, known_code};
use crate::runtime::client_methods;

/// An SSO-app operation's failure as a Python exception: a refusal is the
/// core error's; an identity-provider failure has its port error's code and
/// `upstream_code`, `steps` (the failed one marked) and `events`.
struct SsoFailed(SsoError);

impl std::fmt::Display for SsoFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl SdkError for SsoFailed {
    fn code(&self) -> &'static str {
        match &self.0 {
            SsoError::Refused(e) => SdkError::code(e),
            other => known_code(other.code()),
        }
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        match &self.0 {
            SsoError::Refused(e) => SdkError::details(e, details),
            SsoError::Failed {
                error,
                steps,
                events,
            } => {
                let py = details.py();
                details.set_item("upstream_code", &error.code)?;
                details.set_item("steps", serde_py(py, steps)?)?;
                details.set_item("events", serde_py(py, events)?)?;
                Ok(())
            }
        }
    }
}

fn sso_op(value: &str) -> PyResult<SsoOp> {
    Ok(match value {
        "applications" => SsoOp::Applications,
        "application" => SsoOp::Application,
        "bindings" => SsoOp::Bindings,
        "delete_binding" => SsoOp::DeleteBinding,
        "delete_application" => SsoOp::DeleteApplication,
        "delete_provider" => SsoOp::DeleteProvider,
        _ => {
            return Err(error::invalid_argument(
                "op",
                format!("{value:?} is not an SSO port operation"),
            ));
        }
    })
}

/// An SSO-app document (a dict), read by the core; errors name `ssoApp.<field>`.
fn sso_app_record(obj: &Bound<'_, PyAny>) -> PyResult<SsoAppRecord> {
    let map = convert::object("ssoApp", "a dict (the SSO-app document)", obj)?;
    SsoAppRecord::from_document("ssoApp", &map).py()
}

fn record_py<T: serde::Serialize>(py: Python<'_>, value: T) -> PyResult<Bound<'_, PyAny>> {
    serde_py(py, value)
}

/// Runs a tenant's SSO-app operations (`docs/sso-apps.md`) on the Authentik
/// server the environment configures, or on an in-memory one.
#[pyclass(name = "SsoApps", frozen, module = "dezky.sso_apps")]
pub(crate) struct PySsoApps {
    inner: SsoApps,
    memory: Option<MemorySso>,
}

impl PySsoApps {
    fn memory(&self) -> PyResult<&MemorySso> {
        self.memory.as_ref().ok_or_else(|| {
            error::invalid_field(
                "sso_apps",
                "has no in-memory identity provider (made by SsoApps.in_memory())",
            )
        })
    }
}

client_methods! {
    impl PySsoApps {
        /// SSO apps over an in-memory identity provider (`dezky_core::sso_apps::memory`),
        /// for tests and demos.
        #[staticmethod]
        #[pyo3(signature = () -> "_sso_apps.SsoApps")]
        fn in_memory() -> Self {
            let memory = MemorySso::new();
            PySsoApps { inner: SsoApps::new(Arc::new(memory.clone())), memory: Some(memory) }
        }

        /// SSO apps over the Authentik server the environment configures
        /// (`AUTHENTIK_API_URL` and the client's other settings). `ConfigError` for a missing
        /// or broken setting.
        #[staticmethod]
        #[pyo3(signature = () -> "_sso_apps.SsoApps")]
        fn from_env() -> PyResult<Self> {
            let inner = dezky_clients::sso_apps::sso_apps_from_env().py()?;
            Ok(PySsoApps { inner, memory: None })
        }

        /// Adds an application `slug` with its OAuth2 provider to the in-memory identity
        /// provider and, with `group`, a binding of that group; returns the application.
        #[pyo3(signature = (slug: "str", group: "str | None" = None) -> "_sso_apps.SsoApplication")]
        fn insert_memory_app<'py>(&self, py: Python<'py>, slug: &str, group: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
            serde_py(py, self.memory()?.insert_app(slug, group))
        }

        /// Makes the next call of `op` on the in-memory identity provider fail with `code`
        /// (`failure`: `unavailable`, `rate_limited`, `rejected` or `in_use`) before it takes
        /// effect, or, with `lose_reply`, after it took effect (the answer lost).
        #[pyo3(signature = (op: "_sso_apps.SsoOp", *, failure: "_members.FailureKind" = "unavailable", code = "DEZKY_UPSTREAM_UNAVAILABLE", lose_reply = false) -> "None")]
        fn fail_next(&self, op: &str, failure: &str, code: &str, lose_reply: bool) -> PyResult<()> {
            let memory = self.memory()?;
            let error = PortError::new(failure_kind(failure)?, code, format!("injected {op} fault"));
            let op = sso_op(op)?;
            if lose_reply {
                memory.lose_next_reply(op, error);
            } else {
                memory.fail_next(op, error);
            }
            Ok(())
        }

        /// How many times `op` was called on the in-memory identity provider.
        #[pyo3(signature = (op: "_sso_apps.SsoOp") -> "int")]
        fn memory_calls(&self, op: &str) -> PyResult<u64> {
            Ok(self.memory()?.calls(sso_op(op)?))
        }

        /// How many applications, OAuth2 providers and policy bindings the in-memory
        /// identity provider holds.
        #[pyo3(signature = () -> "tuple[int, int, int]")]
        fn memory_counts(&self) -> PyResult<(usize, usize, usize)> {
            Ok(self.memory()?.counts())
        }
    }
    operations(s = self.inner.clone()) {
        /// The applications bound to the tenant's group (`authentikGroupId`), by slug, each
        /// with that binding's uuid. Needs a tenant admin.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "list[_sso_apps.BoundApp]")]
        fn list_apps / list_apps_sync(
            tenant: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { s.list_apps(&tenant, acting.caller()).await.map_err(SsoFailed) }
        }

        /// Deletes the SSO app (its document, `ssoApp`): the policy bindings, the application,
        /// the OAuth2 provider; what is gone counts as done, so running it again after a
        /// failure resumes and ends with nothing left. Needs a tenant admin.
        #[pyo3(signature = (tenant: "Mapping[str, Any]", sso_app: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_sso_apps.SsoDeletion")]
        fn delete_app / delete_app_sync(
            tenant: &Bound<'py, PyAny>,
            sso_app: &Bound<'py, PyAny>,
            caller: &Bound<'py, PyAny>,
            caller_user: &Bound<'py, PyAny>,
            actor: &str,
            at: Option<&Bound<'py, PyAny>>,
        ) => record_py {
            let tenant = crate::provisioning::tenant(tenant)?;
            let record = sso_app_record(sso_app)?;
            let acting = Acting::read(caller, caller_user, actor, at)?;
            async move { s.delete_app(&tenant, &record, acting.caller()).await.map_err(SsoFailed) }
        }
    }
}
