//! Access-token verification (`TokenVerifier`) and the authorization rules
//! (`authorize`), over `dezky_core::auth`, `dezky_core::authz` and
//! `dezky_clients::oidc::OidcKeySource`.
//!
//! Records arrive as dicts with the control plane's camelCase names; only the
//! fields the rules read are taken (so whole pymongo documents are fine), and a
//! bson `ObjectId` anywhere in them reads as its hex string. The typed public
//! API (`Actor`, `require_*`) is `dezky/auth.py`.

use std::sync::Arc;
use std::time::Duration;

use dezky_clients::oidc::OidcKeySource;
use dezky_core::Error;
use dezky_core::auth::{Actor, Surface, TokenClient, TokenVerifier, VerifierConfig};
use dezky_core::authz::{self, UserRecord};
use dezky_core::records;
use dezky_core::tenant::{Partner, Tenant};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Value};

use crate::convert;
use crate::error::{self, IntoPyResult};
use crate::runtime;

fn invalid(field: &str, reason: impl Into<String>) -> PyErr {
    error::raise(Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    })
}

/// Verifies Authentik access tokens against the configured issuers and
/// audiences, with each issuer's keys read over HTTP and cached.
#[pyclass(name = "TokenVerifier", module = "dezky._dezky", frozen)]
pub(crate) struct PyTokenVerifier {
    inner: Arc<TokenVerifier>,
}

fn build(config: VerifierConfig) -> PyResult<PyTokenVerifier> {
    let source = OidcKeySource::new()
        .map_err(|e| Error::AuthConfig {
            reason: e.to_string(),
        })
        .py()?;
    Ok(PyTokenVerifier {
        inner: Arc::new(TokenVerifier::new(config, Arc::new(source)).py()?),
    })
}

/// A list of strings, or one comma-separated string.
fn list(name: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(vec![s.to_str()?.to_owned()]));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            let item = item?;
            let Ok(s) = item.cast::<PyString>() else {
                return Err(error::wrong_type(&format!("{name}[{i}]"), "a str", &item));
            };
            let s = s.to_str()?;
            if s.contains(',') {
                return Err(invalid(&format!("{name}[{i}]"), "contains a comma"));
            }
            out.push(s.to_owned());
        }
        return Ok(Some(out));
    }
    Err(error::wrong_type(name, "a str or a list of str", obj))
}

fn clients(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<TokenClient>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(error::wrong_type("clients", "a list of dicts", obj));
    }
    let mut out = Vec::new();
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        let field = format!("clients[{i}]");
        let Ok(dict) = item.cast::<PyDict>() else {
            return Err(error::wrong_type(&field, "a dict", &item));
        };
        let text = |name: &str| -> PyResult<String> {
            match dict.get_item(name)? {
                Some(v) if v.is_instance_of::<PyString>() => {
                    Ok(v.cast::<PyString>()?.to_str()?.to_owned())
                }
                _ => Err(invalid(&format!("{field}.{name}"), "must be a str")),
            }
        };
        let surface = Surface::parse_field(&text("surface")?, &format!("{field}.surface")).py()?;
        out.push(TokenClient::new(
            text("issuer")?,
            text("audience")?,
            surface,
        ));
    }
    Ok(Some(out))
}

fn seconds(name: &str, value: Option<f64>) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && (0.0..=1e9).contains(&s) => {
            Ok(Some(Duration::from_secs_f64(s)))
        }
        Some(_) => Err(invalid(name, "must be a number of seconds, 0 or more")),
    }
}

fn token_str(token: &Bound<'_, PyAny>) -> PyResult<String> {
    match token.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_owned()),
        Err(_) => Err(error::wrong_type("token", "a str", token)),
    }
}

fn actor_dict<'py>(py: Python<'py>, actor: Actor) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("subject", actor.subject)?;
    dict.set_item("email", actor.email)?;
    dict.set_item("name", actor.name)?;
    dict.set_item("groups", actor.groups)?;
    dict.set_item("surface", actor.surface.as_str())?;
    dict.set_item("issuer", actor.issuer)?;
    dict.set_item("audience", actor.audience)?;
    dict.set_item("expires_at", actor.expires_at)?;
    Ok(dict.into_any())
}

#[pymethods]
impl PyTokenVerifier {
    #[new]
    #[pyo3(signature = (
        issuers: "str | Sequence[str] | None" = None,
        audiences: "str | Sequence[str] | None" = None,
        *,
        clients: "Sequence[Mapping[str, str]] | None" = None,
        leeway_seconds = None,
        key_ttl_seconds = None,
        min_refresh_interval_seconds = None,
        max_stale_seconds = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        issuers: Option<&Bound<'_, PyAny>>,
        audiences: Option<&Bound<'_, PyAny>>,
        clients: Option<&Bound<'_, PyAny>>,
        leeway_seconds: Option<f64>,
        key_ttl_seconds: Option<f64>,
        min_refresh_interval_seconds: Option<f64>,
        max_stale_seconds: Option<f64>,
    ) -> PyResult<Self> {
        let issuers = list("issuers", issuers)?;
        let audiences = list("audiences", audiences)?;
        let clients = self::clients(clients)?;
        let mut config = match (issuers, audiences, clients) {
            (None, None, Some(clients)) => VerifierConfig::new(clients),
            (Some(i), Some(a), None) => {
                VerifierConfig::from_env_values(&i.join(","), &a.join(",")).py()?
            }
            (_, _, Some(_)) => {
                return Err(invalid(
                    "clients",
                    "give either clients or issuers and audiences, not both",
                ));
            }
            (None, _, None) => return Err(invalid("issuers", "is required")),
            (_, None, None) => return Err(invalid("audiences", "is required")),
        };
        if let Some(d) = seconds("leeway_seconds", leeway_seconds)? {
            config.leeway = d;
        }
        if let Some(d) = seconds("key_ttl_seconds", key_ttl_seconds)? {
            config.key_ttl = d;
        }
        if let Some(d) = seconds("min_refresh_interval_seconds", min_refresh_interval_seconds)? {
            config.min_refresh_interval = d;
        }
        if let Some(d) = seconds("max_stale_seconds", max_stale_seconds)? {
            config.max_stale = d;
        }
        config.validate().py()?;
        build(config)
    }

    /// A verifier for `AUTHENTIK_ISSUER` and `AUTHENTIK_AUDIENCE`.
    #[staticmethod]
    fn from_env() -> PyResult<Self> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| Error::AuthConfig {
                reason: format!("{name} is not set"),
            })
        };
        let config = (|| {
            VerifierConfig::from_env_values(&var("AUTHENTIK_ISSUER")?, &var("AUTHENTIK_AUDIENCE")?)
        })()
        .py()?;
        build(config)
    }

    /// Verifies `token`; a coroutine of the actor dict.
    #[pyo3(signature = (token: "object") -> "Coroutine[Any, Any, dict[str, Any]]")]
    fn verify_token<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let token = token_str(token)?;
        let verifier = Arc::clone(&self.inner);
        runtime::coroutine(py, async move { verifier.verify(&token).await }, actor_dict)
    }

    /// Synchronous twin of `verify_token`.
    #[pyo3(signature = (token: "object") -> "dict[str, Any]")]
    fn verify_token_sync<'py>(
        &self,
        py: Python<'py>,
        token: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let token = token_str(token)?;
        let verifier = Arc::clone(&self.inner);
        let actor = runtime::block_on(py, "verify_token_sync", async move {
            verifier.verify(&token).await
        })?
        .py()?;
        actor_dict(py, actor)
    }

    /// The configured clients as `{issuer, audience, surface}` dicts.
    #[pyo3(signature = () -> "list[dict[str, str]]")]
    fn clients<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for c in &self.inner.config().clients {
            let dict = PyDict::new(py);
            dict.set_item("issuer", &c.issuer)?;
            dict.set_item("audience", &c.audience)?;
            dict.set_item("surface", c.surface.as_str())?;
            list.append(dict)?;
        }
        Ok(list)
    }
}

/// The fields a rule reads from a record dict; `None` values are left out.
fn record(name: &str, fields: &[&str], obj: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Err(error::wrong_type(name, "a record dict", obj));
    };
    let mut map = Map::new();
    for field in fields {
        if let Some(value) = dict.get_item(field)?
            && !value.is_none()
        {
            map.insert(
                (*field).to_owned(),
                convert::to_value(&format!("{name}.{field}"), &value)?,
            );
        }
    }
    Ok(map)
}

// The control plane's records: converted to JSON here, read by the core.

pub(crate) fn user(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<UserRecord> {
    let map = record(name, &records::USER_FIELDS, obj)?;
    records::user(name, &map).py()
}

pub(crate) fn tenant(obj: &Bound<'_, PyAny>) -> PyResult<Tenant> {
    let map = record("tenant", &records::TENANT_FIELDS, obj)?;
    records::tenant("tenant", &map).py()
}

pub(crate) fn partner(obj: &Bound<'_, PyAny>) -> PyResult<Partner> {
    let map = record("partner", &records::PARTNER_FIELDS, obj)?;
    records::partner("partner", &map).py()
}

fn required<'a, 'py>(
    name: &str,
    value: Option<&'a Bound<'py, PyAny>>,
) -> PyResult<&'a Bound<'py, PyAny>> {
    value
        .filter(|v| !v.is_none())
        .ok_or_else(|| invalid(name, "is required for this rule"))
}

/// Applies the authorization rule `rule` (`operator`, `platform_admin`,
/// `tenant_member`, `tenant_admin`, `partner_staff`, `partner_tenant`,
/// `can_suspend`, `can_force_logout`, `own_active_record`): returns `None`,
/// or raises `ForbiddenError`.
#[pyfunction]
#[pyo3(signature = (
    rule,
    subject: "object",
    surface: "object",
    user: "object",
    tenant: "object" = None,
    partner: "object" = None,
    target: "object" = None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize(
    rule: &str,
    subject: &Bound<'_, PyAny>,
    surface: &Bound<'_, PyAny>,
    user: &Bound<'_, PyAny>,
    tenant: Option<&Bound<'_, PyAny>>,
    partner: Option<&Bound<'_, PyAny>>,
    target: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let Ok(subject) = subject.cast::<PyString>() else {
        return Err(error::wrong_type("actor.subject", "a str", subject));
    };
    let subject = subject.to_str()?.to_owned();
    if subject.is_empty() {
        return Err(invalid("actor.subject", "must not be empty"));
    }
    let surface = surface.extract::<String>().unwrap_or_default();
    let surface = Surface::parse_field(&surface, "actor.surface").py()?;
    let actor = Actor {
        subject,
        email: None,
        name: None,
        groups: Vec::new(),
        surface,
        issuer: String::new(),
        audience: String::new(),
        expires_at: 0,
    };
    let user = self::user("user", user)?;
    let read_tenant = || required("tenant", tenant).and_then(self::tenant);
    let result = match rule {
        "own_active_record" => authz::require_own_active_record(&actor, &user),
        "operator" => authz::require_operator(&actor, &user),
        "platform_admin" => authz::require_platform_admin(&actor, &user),
        "tenant_member" => authz::require_tenant_member(&actor, &user, &read_tenant()?),
        "tenant_admin" => authz::require_tenant_admin(&actor, &user, &read_tenant()?),
        "partner_staff" => authz::require_partner_staff(
            &actor,
            &user,
            &self::partner(required("partner", partner)?)?,
        ),
        "partner_tenant" => authz::require_partner_tenant(
            &actor,
            &user,
            &self::partner(required("partner", partner)?)?,
            &read_tenant()?,
        ),
        "can_suspend" | "can_force_logout" => {
            let tenant = read_tenant()?;
            let target = self::user("target", required("target", target)?)?;
            if rule == "can_suspend" {
                authz::require_can_suspend(&actor, &user, &tenant, &target)
            } else {
                authz::require_can_force_logout(&actor, &user, &tenant, &target)
            }
        }
        other => return Err(invalid("rule", format!("unknown rule {other:?}"))),
    };
    result.py()
}
