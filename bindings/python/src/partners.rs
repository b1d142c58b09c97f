//! Partners (resellers) over `dezky_core::partners` (docs/partners.md): pure
//! functions that take the documents as read and return the write and the
//! audit events. Conversion only: the documents are read by the core (errors
//! name the field); every rule (the operator, terminate as a status, attach
//! refused for a terminated partner) is the core's.

use dezky_core::lifecycle::PartnerDocument;
use dezky_core::partners::{self, CreatedPartner, NewPartner, PartnerChange};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt};
use serde_json::Value;

use crate::convert::{self, serde_py, to_py};
use crate::error::{self, IntoPyResult};
use crate::members::{Acting, fields, optional_text, required_text};

/// `{"slug", "name", "domain"?, "marginPct"?}` as the core's `NewPartner`.
fn new_partner(obj: &Bound<'_, PyAny>) -> PyResult<NewPartner> {
    let mut f = fields("partner", &["slug", "name", "domain", "marginPct"], obj)?;
    let margin_pct = match f.remove("marginPct") {
        None => None,
        Some(v)
            if v.is_instance_of::<PyBool>()
                || !(v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>()) =>
        {
            return Err(error::wrong_field_type(
                "partner.marginPct",
                "an int or a float",
                &v,
            ));
        }
        Some(v) => Some(v.extract::<f64>()?),
    };
    Ok(NewPartner {
        slug: required_text("partner", "slug", &mut f)?,
        name: required_text("partner", "name", &mut f)?,
        domain: optional_text("partner.domain", f.remove("domain"))?,
        margin_pct,
    })
}

/// A partner document (a dict), read by the core; errors name `partner.<field>`.
fn partner_document(obj: &Bound<'_, PyAny>) -> PyResult<PartnerDocument> {
    let map = convert::object("partner", "a dict (the partner document)", obj)?;
    PartnerDocument::from_document("partner", &map).py()
}

fn change_py(py: Python<'_>, change: PartnerChange) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("action", &change.action)?;
    dict.set_item("patch", serde_py(py, &change.patch)?)?;
    dict.set_item("events", serde_py(py, &change.events)?)?;
    Ok(dict.into_any())
}

fn created_py(py: Python<'_>, created: CreatedPartner) -> PyResult<Bound<'_, PyAny>> {
    let dict = PyDict::new(py);
    dict.set_item("document", to_py(py, &Value::Object(created.document))?)?;
    dict.set_item("events", serde_py(py, &created.events)?)?;
    Ok(dict.into_any())
}

/// Checks a new partner (`{"slug", "name", "domain"?, "marginPct"?}`) and returns the
/// partner document to insert (`status` `active`). Needs an operator; errors name the field
/// (`partner.slug`).
#[pyfunction]
#[pyo3(signature = (partner: "_partners.NewPartner", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_partners.CreatedPartner")]
pub(crate) fn create_partner<'py>(
    py: Python<'py>,
    partner: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let new = new_partner(partner)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    created_py(py, partners::create_partner(&new, acting.caller()).py()?)
}

/// Terminates the partner (its document): `status` `terminated` and `terminatedAt`, never a
/// delete; a terminated partner again changes nothing. Needs an operator.
#[pyfunction]
#[pyo3(signature = (partner: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_partners.PartnerChange")]
pub(crate) fn terminate_partner<'py>(
    py: Python<'py>,
    partner: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let partner = partner_document(partner)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    change_py(
        py,
        partners::terminate_partner(&partner, acting.caller()).py()?,
    )
}

/// Attaches the tenant to the partner (`partnerId`); refused for a terminated partner
/// (`partner.status`). Needs an operator.
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", partner: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_partners.PartnerChange")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn attach_tenant<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    partner: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant = crate::provisioning::tenant(tenant)?;
    let partner = partner_document(partner)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    change_py(
        py,
        partners::attach_tenant(&tenant, &partner, acting.caller()).py()?,
    )
}

/// Detaches the tenant from its partner: `partnerId` removed from the document. Needs an
/// operator.
#[pyfunction]
#[pyo3(signature = (tenant: "Mapping[str, Any]", caller: "_auth.Actor | Mapping[str, Any]", caller_user: "Mapping[str, Any]", actor: "str", *, at: "datetime | None" = None) -> "_partners.PartnerChange")]
pub(crate) fn detach_tenant<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyAny>,
    caller: &Bound<'py, PyAny>,
    caller_user: &Bound<'py, PyAny>,
    actor: &str,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let tenant = crate::provisioning::tenant(tenant)?;
    let acting = Acting::read(caller, caller_user, actor, at)?;
    change_py(py, partners::detach_tenant(&tenant, acting.caller()).py()?)
}
