//! Billing maths over `dezky_core::billing` (docs/billing.md): monthly
//! amounts, MRR by tenant, plan and partner, partner margins, in integer minor
//! units. Conversion only: the documents (subscriptions, prices, tenants,
//! partners; dicts as the control plane stores them) are read by the core
//! (errors name the field, `subscriptions[2].seats`), and records cross as
//! their serde form, whose TypedDicts `dezky._billing_records` are generated
//! from (support/bindgen).

use dezky_core::audit::Outcome;
use dezky_core::billing::{self, BillingAction, BillingCycle, BillingFacts, Price, Subscription};
use dezky_core::lifecycle::{PartnerDocument, TenantDocument};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use crate::convert::{self, serde_py};
use crate::error::{self, IntoPyResult};

/// A whole number from 0 to 2^64 - 1.
fn unsigned(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::wrong_type(name, "an int", value));
    }
    value
        .extract::<u64>()
        .map_err(|_| error::invalid_argument(name, "must be from 0 to 2^64 - 1"))
}

/// An optional list argument of documents, read by `read`.
fn optional<T>(
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
    read: impl Fn(&str, &serde_json::Map<String, serde_json::Value>) -> dezky_core::Result<T>,
) -> PyResult<Vec<T>> {
    match value.filter(|v| !v.is_none()) {
        None => Ok(Vec::new()),
        Some(value) => convert::documents(name, value, read),
    }
}

/// The monthly amount of `seats` at `per_seat_amount` (minor units) per
/// `cycle`: a yearly amount divided by 12, rounded half up.
#[pyfunction]
#[pyo3(signature = (cycle: "_billing.BillingCycle", per_seat_amount: "int", seats: "int") -> "int")]
pub(crate) fn monthly_amount(
    cycle: &str,
    per_seat_amount: &Bound<'_, PyAny>,
    seats: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    let cycle = BillingCycle::parse("cycle", cycle).py()?;
    Ok(billing::monthly_amount(
        cycle,
        unsigned("per_seat_amount", per_seat_amount)?,
        unsigned("seats", seats)?,
    ))
}

/// A price of the catalogue (a `prices` document) as the core reads it;
/// errors name `price.<field>`.
#[pyfunction]
#[pyo3(signature = (document: "Mapping[str, Any]") -> "_billing.Price")]
pub(crate) fn read_price<'py>(
    py: Python<'py>,
    document: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let map = convert::object("price", "a dict (the price document)", document)?;
    serde_py(py, Price::from_document("price", &map).py()?)
}

/// A subscription (a `subscriptions` document) as the core reads it; errors
/// name `subscription.<field>`.
#[pyfunction]
#[pyo3(signature = (document: "Mapping[str, Any]") -> "_billing.Subscription")]
pub(crate) fn read_subscription<'py>(
    py: Python<'py>,
    document: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let map = convert::object(
        "subscription",
        "a dict (the subscription document)",
        document,
    )?;
    serde_py(py, Subscription::from_document("subscription", &map).py()?)
}

/// MRR of `subscriptions` (those whose status counts: `active`, `past_due`),
/// priced from their snapshots or else from `catalogue` (price documents),
/// by tenant, plan and partner (`tenants` map subscriptions to partners,
/// `partners` give the margins). Each argument is an iterable of documents;
/// errors name the document's field (`subscriptions[0].status`,
/// `partner.marginPct`).
#[pyfunction]
#[pyo3(signature = (subscriptions: "Iterable[Mapping[str, Any]]", catalogue: "Iterable[Mapping[str, Any]] | None" = None, tenants: "Iterable[Mapping[str, Any]] | None" = None, partners: "Iterable[Mapping[str, Any]] | None" = None) -> "_billing.MrrReport")]
pub(crate) fn mrr<'py>(
    py: Python<'py>,
    subscriptions: &Bound<'py, PyAny>,
    catalogue: Option<&Bound<'py, PyAny>>,
    tenants: Option<&Bound<'py, PyAny>>,
    partners: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let subscriptions =
        convert::documents("subscriptions", subscriptions, Subscription::from_document)?;
    let catalogue = optional("catalogue", catalogue, Price::from_document)?;
    let tenants = optional("tenants", tenants, TenantDocument::from_document)?;
    let partners = optional("partners", partners, PartnerDocument::from_document)?;
    serde_py(
        py,
        billing::mrr(&subscriptions, &catalogue, &tenants, &partners).py()?,
    )
}

/// A partner's margin in basis points (12.5 % is 1250), read exactly from the
/// partner document's `marginPct`; 0 without one. More than two decimals is
/// `InvalidArgumentError` on `partner.marginPct`.
#[pyfunction]
#[pyo3(signature = (partner: "Mapping[str, Any]") -> "int")]
pub(crate) fn margin_basis_points(partner: &Bound<'_, PyAny>) -> PyResult<u32> {
    let map = convert::object("partner", "a dict (the partner document)", partner)?;
    let partner = PartnerDocument::from_document("partner", &map).py()?;
    billing::margin_basis_points(&partner).py()
}

/// The audit event of a billing operation (`billing.subscription_create`,
/// `billing.seats_change`, `billing.cancel_at_period_end`,
/// `billing.details_update`) on the Stripe object `target_id` of
/// `tenant_id`, by `actor`: the core's `billing_event`. `seats` is required
/// for a create and a seat change, `seats_before` is for a seat change,
/// `fields` (names only: `name`, `email`, `address`) for a details update;
/// a missing or misplaced fact is `InvalidArgumentError` naming it
/// (`billing.seats`).
#[pyfunction]
#[pyo3(signature = (action: "_billing.BillingAction", tenant_id: "str", target_id: "str", actor: "str", *, outcome: "_provisioning.Outcome" = "success", request_id: "str | None" = None, seats: "int | None" = None, seats_before: "int | None" = None, fields: "Sequence[str] | None" = None, at: "datetime | None" = None) -> "_provisioning.AuditEvent")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn billing_audit_event<'py>(
    py: Python<'py>,
    action: &str,
    tenant_id: String,
    target_id: String,
    actor: &str,
    outcome: &str,
    request_id: Option<String>,
    seats: Option<&Bound<'py, PyAny>>,
    seats_before: Option<&Bound<'py, PyAny>>,
    fields: Option<Vec<String>>,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let action: BillingAction =
        serde_json::from_value(serde_json::Value::String(action.to_owned())).map_err(|_| {
            error::invalid_argument(
                "action",
                "must be subscription_create, seats_change, cancel_at_period_end or details_update",
            )
        })?;
    let outcome: Outcome = serde_json::from_value(serde_json::Value::String(outcome.to_owned()))
        .map_err(|_| error::invalid_argument("outcome", "must be success, failure or denied"))?;
    let count = |name: &str, value: Option<&Bound<'py, PyAny>>| {
        value
            .filter(|v| !v.is_none())
            .map(|v| unsigned(name, v))
            .transpose()
    };
    let facts = BillingFacts {
        tenant_id,
        target_id,
        request_id,
        seats: count("seats", seats)?,
        seats_before: count("seats_before", seats_before)?,
        fields: fields.unwrap_or_default(),
    };
    let change = crate::flags::change(actor, at)?;
    serde_py(
        py,
        billing::billing_event(action, outcome, &change, &facts).py()?,
    )
}
