//! `flag_context`: the flag evaluation context of a tenant, built by
//! `dezky_core::tenant::flag_context` from the control plane's records.
//!
//! The records arrive as dicts with the control plane's camelCase names (the
//! id as `_id` or `id`), whole documents included: only the fields the core
//! reads are taken, so a pymongo document with datetimes in other fields is
//! fine, and a bson `ObjectId` is read as its hex string. Every rule (ObjectId
//! form, non-empty slug and plan, the partner being the tenant's own) lives in
//! the core.

use dezky_core::tenant::{self, Partner, Tenant};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::{Map, Value};

use crate::convert;
use crate::error::{self, IntoPyResult};

const TENANT_FIELDS: [&str; 5] = ["_id", "id", "slug", "plan", "partnerId"];
const PARTNER_FIELDS: [&str; 3] = ["_id", "id", "slug"];

/// A field's value as JSON; a bson `ObjectId` as its hex string.
fn field_value(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if !value.is_instance_of::<PyString>() && value.get_type().name()?.to_str()? == "ObjectId" {
        return Ok(Value::String(value.str()?.to_str()?.to_owned()));
    }
    convert::to_value(name, value)
}

/// Reads the fields the core uses from a record dict into `T`.
fn record<T>(
    name: &str,
    fields: &[&str],
    obj: &Bound<'_, PyAny>,
    read: impl FnOnce(Value) -> serde_json::Result<T>,
) -> PyResult<T> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Err(error::wrong_type(name, "a record dict", obj));
    };
    let mut map = Map::new();
    for field in fields {
        if let Some(value) = dict.get_item(field)? {
            map.insert(
                (*field).to_owned(),
                field_value(&format!("{name}.{field}"), &value)?,
            );
        }
    }
    read(Value::Object(map)).map_err(|e| {
        error::raise(dezky_core::Error::Invalid {
            field: name.to_owned(),
            reason: e.to_string(),
        })
    })
}

/// The evaluation context (`{tenantId, tenantSlug, plan, partnerSlug,
/// environment}`) of a tenant, given with its partner record when it has one.
#[pyfunction]
#[pyo3(signature = (tenant, partner, environment))]
pub(crate) fn flag_context<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    partner: Option<&Bound<'py, PyAny>>,
    environment: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant: Tenant = record("tenant", &TENANT_FIELDS, tenant, serde_json::from_value)?;
    let partner: Option<Partner> = partner
        .filter(|p| !p.is_none())
        .map(|p| record("partner", &PARTNER_FIELDS, p, serde_json::from_value))
        .transpose()?;
    let context = tenant::flag_context(&tenant, partner.as_ref(), environment).py()?;
    let value = serde_json::to_value(&context)
        .map_err(|e| error::invalid_argument("context", e.to_string()))?;
    convert::to_py(py, &value)
}
