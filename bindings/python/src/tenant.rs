//! `flag_context`: the flag evaluation context of a tenant, built by
//! `dezky_core::tenant::flag_context` from the control plane's records.
//!
//! The records arrive as dicts with the control plane's camelCase names (the
//! id as `_id` or `id`), whole documents included: only the fields the core
//! reads are taken (`dezky_core::records`), so a pymongo document with
//! datetimes in other fields is fine, and a bson `ObjectId` is read as its hex
//! string. Every rule (ObjectId form, non-empty slug and plan, the partner
//! being the tenant's own) lives in the core.

use dezky_core::tenant;
use pyo3::prelude::*;

use crate::auth;
use crate::convert;
use crate::error::{self, IntoPyResult};

/// The evaluation context (`{tenantId, tenantSlug, plan, partnerSlug,
/// environment}`) of a tenant, given with its partner record when it has one.
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", partner: "Mapping[str, Any] | None", environment) -> "dict[str, str]")]
pub(crate) fn flag_context<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    partner: Option<&Bound<'py, PyAny>>,
    environment: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant = auth::tenant(tenant)?;
    let partner = partner
        .filter(|p| !p.is_none())
        .map(auth::partner)
        .transpose()?;
    let context = tenant::flag_context(&tenant, partner.as_ref(), environment).py()?;
    let value = serde_json::to_value(&context)
        .map_err(|e| error::invalid_argument("context", e.to_string()))?;
    convert::to_py(py, &value)
}
