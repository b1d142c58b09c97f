//! A tenant's security policy over `dezky_core::policy` (docs/policy.md).
//! Conversion only: the policy is read and validated by the core (errors name
//! the field, `securityPolicy.ipAllowlist[2]`), the class holds the core's
//! value, and records cross as their serde form, whose TypedDicts
//! `dezky._policy_records` are generated from (support/bindgen).

use std::time::SystemTime;

use dezky_core::policy::{self, MemberMfa, MfaMode, POLICY_FIELD, SecurityPolicy};
use pyo3::prelude::*;
use serde_json::Value;

use crate::convert::{self, serde_py};
use crate::error::IntoPyResult;
use crate::flags::change;
use crate::provisioning;

/// The members of an MFA compliance check: dicts `{member, admin, factors}`.
fn members(members: &Bound<'_, PyAny>) -> PyResult<Vec<MemberMfa>> {
    convert::documents("members", members, |field, map| {
        serde_json::from_value(Value::Object(map.clone())).map_err(|e| dezky_core::Error::Invalid {
            field: field.to_owned(),
            reason: e.to_string(),
        })
    })
}

/// A tenant's security policy (`tenant.securityPolicy`), validated by the
/// core: who must have a second factor, the session limits, the allowed
/// countries and networks.
#[pyclass(name = "SecurityPolicy", frozen, eq, module = "dezky.policy")]
#[derive(PartialEq)]
pub(crate) struct PySecurityPolicy {
    inner: SecurityPolicy,
}

#[pymethods]
impl PySecurityPolicy {
    /// The policy of its object form (`{"mfaMode": "required", ...}`, the
    /// control plane's camelCase keys), missing fields at their defaults; the
    /// defaults without one. Errors name `securityPolicy.<field>`.
    #[new]
    #[pyo3(signature = (policy: "Mapping[str, Any] | None" = None))]
    fn new(policy: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match policy.filter(|p| !p.is_none()) {
            None => Ok(PySecurityPolicy {
                inner: SecurityPolicy::default(),
            }),
            Some(policy) => Self::from_value(policy, POLICY_FIELD),
        }
    }

    /// The policy of its object form; errors name `<name>.<field>`.
    #[staticmethod]
    #[pyo3(signature = (value: "Mapping[str, Any]", name = "securityPolicy") -> "SecurityPolicy")]
    fn from_value(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let value = serde_json::Value::Object(convert::object(
            name,
            "a dict (the security policy)",
            value,
        )?);
        Ok(PySecurityPolicy {
            inner: SecurityPolicy::from_value(name, &value).py()?,
        })
    }

    /// The policy stored in a tenant document (its `securityPolicy`), the
    /// defaults when it has none; errors name `tenant.securityPolicy.<field>`.
    #[staticmethod]
    #[pyo3(signature = (tenant: "Mapping[str, Any]") -> "SecurityPolicy")]
    fn of_tenant(tenant: &Bound<'_, PyAny>) -> PyResult<Self> {
        let tenant = provisioning::tenant(tenant)?;
        Ok(PySecurityPolicy {
            inner: SecurityPolicy::of_tenant(&tenant).py()?,
        })
    }

    /// The object form, as stored (countries upper-case and sorted, networks
    /// in CIDR form).
    #[pyo3(signature = () -> "_policy.SecurityPolicyValue")]
    fn to_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.inner.to_value())
    }

    /// Who must have a second factor.
    #[getter]
    fn mfa_mode(&self) -> &'static str {
        self.inner.mfa_mode.as_str()
    }

    /// Minutes without activity after which a session ends.
    #[getter]
    fn session_idle_minutes(&self) -> u32 {
        self.inner.session_idle_minutes
    }

    /// Hours after sign-in after which a session ends.
    #[getter]
    fn session_absolute_hours(&self) -> u32 {
        self.inner.session_absolute_hours
    }

    /// The allowed countries (ISO 3166-1 alpha-2); empty: any country.
    #[getter]
    fn allowed_countries(&self) -> Vec<String> {
        self.inner.allowed_countries.clone()
    }

    /// The allowed networks in CIDR form; empty: any address.
    #[getter]
    fn ip_allowlist(&self) -> Vec<String> {
        self.inner
            .ip_allowlist
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Whether a sign-in from the address `ip` (IPv4 or IPv6 text; an IPv4
    /// address written as IPv6 is matched as IPv4) is allowed;
    /// `InvalidArgumentError` naming `ip` for text that is no address.
    #[pyo3(signature = (ip: "str") -> "bool")]
    fn ip_allowed(&self, ip: &str) -> PyResult<bool> {
        self.inner.ip_text_allowed(ip).py()
    }

    /// Whether a sign-in from `country` (ISO 3166-1 alpha-2, any case) is
    /// allowed; `None` (origin unknown) only when every country is.
    /// `InvalidArgumentError` naming `country` for a code that is no country.
    #[pyo3(signature = (country: "str | None") -> "bool")]
    fn country_allowed(&self, country: Option<&str>) -> PyResult<bool> {
        self.inner.country_allowed(country).py()
    }

    /// When a session that began at `started` and was last active at
    /// `last_active` ends: the earlier of the idle and the absolute limit, in
    /// UTC. A naive datetime is local time.
    #[pyo3(signature = (started: "datetime", last_active: "datetime") -> "datetime")]
    fn session_ends<'py>(
        &self,
        py: Python<'py>,
        started: &Bound<'py, PyAny>,
        last_active: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let started = convert::instant("started", started)?;
        let last_active = convert::instant("last_active", last_active)?;
        let ends = self.inner.session_ends(started, last_active).py()?;
        convert::datetime(py, "started", ends)
    }

    /// Whether such a session has ended at `now` (default: now): `None`
    /// while it lives, else the limit that ended it (`absolute` when both
    /// are reached). Activity before the sign-in is `InvalidArgumentError`
    /// on `lastActive`.
    #[pyo3(signature = (started: "datetime", last_active: "datetime", now: "datetime | None" = None) -> "_policy.SessionLimit | None")]
    fn session_expired<'py>(
        &self,
        py: Python<'py>,
        started: &Bound<'py, PyAny>,
        last_active: &Bound<'py, PyAny>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let started = convert::instant("started", started)?;
        let last_active = convert::instant("last_active", last_active)?;
        let now = match now.filter(|n| !n.is_none()) {
            Some(now) => convert::instant("now", now)?,
            None => SystemTime::now(),
        };
        serde_py(
            py,
            self.inner.session_expired(started, last_active, now).py()?,
        )
    }

    /// The MFA compliance of `members` (dicts `{member, admin, factors}`)
    /// under this policy's mode.
    #[pyo3(signature = (members: "Iterable[_policy.MemberMfa]") -> "_policy.MfaCompliance")]
    fn mfa_compliance<'py>(
        &self,
        py: Python<'py>,
        members: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let members = self::members(members)?;
        serde_py(py, policy::mfa_compliance(self.inner.mfa_mode, &members))
    }

    fn __repr__(&self) -> String {
        format!("SecurityPolicy({})", self.inner.to_value())
    }
}

/// `PATCH /tenants/:slug/security-policy`: the policy of the tenant document
/// `tenant` with `changes` (some of the policy's fields) applied by `actor`
/// at `at` (default: now): `{policy, changed, patch, event}`. Refused
/// changes name the field (`securityPolicy.mfaMode`); a change that changes
/// nothing has an empty patch (`update` None) and still an event.
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", changes: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_policy.PolicyUpdate")]
pub(crate) fn update_security_policy<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    changes: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant = provisioning::tenant(tenant)?;
    let changes = convert::to_value(POLICY_FIELD, changes)?;
    let update = policy::update_security_policy(&tenant, &changes, &change(actor, at)?).py()?;
    serde_py(py, update)
}

/// The MFA compliance of `members` (dicts `{member, admin, factors}`) under
/// `mode`: how many there are, are enrolled, are required to enrol, and who
/// of those is missing.
#[pyfunction]
#[pyo3(signature = (mode: "_policy.MfaMode", members: "Iterable[_policy.MemberMfa]") -> "_policy.MfaCompliance")]
pub(crate) fn mfa_compliance<'py>(
    py: Python<'py>,
    mode: &str,
    members: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = MfaMode::parse("mode", mode).py()?;
    serde_py(py, policy::mfa_compliance(mode, &self::members(members)?))
}
