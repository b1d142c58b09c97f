//! Billing maths (`dezky_core::billing`, docs/billing.md): monthly amounts,
//! MRR by tenant, plan and partner, partner margins. Conversion only: every
//! rule (rounding, what counts, the bounds) is in the core.
//!
//! Documents arrive as plain objects, as the driver returns them (ids as
//! strings, `{$oid}` or `ObjectId`s), each list an array; errors name the
//! document by its place (`subscriptions[2].perSeatAmount`). The report
//! leaves through serde, typed in `lib/index.d.ts`.
//!
//! Amounts are JavaScript numbers in minor units. The records' bounds
//! (`MAX_AMOUNT` per seat, `MAX_SEATS`) keep one subscription under 10^18
//! minor units, past 2^53: a figure a number cannot hold exactly is refused
//! (`DEZKY_INVALID_ARGUMENT`) rather than rounded. No real price comes near
//! (2^53 cents is 90 trillion euros), so the figures stay plain numbers.

use dezky_core::Error;
use dezky_core::billing::{self, BillingCycle, MAX_AMOUNT, MAX_SEATS, Price, Subscription};
use dezky_core::lifecycle::{PartnerDocument, TenantDocument};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert::Serde;
use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

/// 2^53 - 1, the largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A whole number from 0 to `max` (an amount or a count), naming `field`.
fn whole(value: f64, field: &str, max: u64) -> Result<u64> {
    if value.fract() == 0.0 && (0.0..=max as f64).contains(&value) {
        Ok(value as u64)
    } else {
        Err(invalid(
            field,
            format!("must be a whole number from 0 to {max}"),
        ))
    }
}

/// An amount for JavaScript: refused past 2^53 - 1, naming `field`.
fn safe(amount: u64, field: &str) -> Result<f64> {
    if amount <= MAX_SAFE_INTEGER {
        Ok(amount as f64)
    } else {
        Err(invalid(
            field,
            format!(
                "comes to {amount} minor units, past 2^53 - 1: not exact as a JavaScript number"
            ),
        ))
    }
}

/// Every integer of a serialized report within a JS number's exact range.
fn check_safe(value: &Value, field: &str) -> Result<()> {
    match value {
        Value::Number(n) => match n.as_u64() {
            Some(amount) => safe(amount, field).map(drop),
            None => Ok(()),
        },
        Value::Array(items) => items.iter().try_for_each(|v| check_safe(v, field)),
        Value::Object(map) => map.values().try_for_each(|v| check_safe(v, field)),
        _ => Ok(()),
    }
}

/// The list argument `name` (an array of documents), each read by `read`
/// under its name `name[i]`.
fn documents<T>(
    value: &Unknown<'_>,
    name: &str,
    read: impl Fn(&str, &Map<String, Value>) -> Result<T>,
) -> Result<Vec<T>> {
    let Value::Array(items) = crate::auth::json(value, name)? else {
        return Err(invalid(name, "must be an array of documents"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{name}[{i}]");
            match item {
                Value::Object(map) => read(&field, &map),
                _ => Err(invalid(field, "must be an object")),
            }
        })
        .collect()
}

/// The monthly amount of `seats` at `perSeatAmount` (minor units) per
/// `cycle`: a yearly amount divided by 12, rounded half up. `perSeatAmount`
/// is 0 to 10^12, `seats` 0 to 10^6 (the records' bounds); a product past
/// 2^53 - 1 is refused naming `seats`.
#[napi]
pub fn monthly_amount(
    env: Env,
    cycle: BillingCycle,
    per_seat_amount: f64,
    seats: f64,
) -> napi::Result<f64> {
    (|| {
        let amount = whole(per_seat_amount, "perSeatAmount", MAX_AMOUNT)?;
        let seats = whole(seats, "seats", MAX_SEATS)?;
        safe(billing::monthly_amount(cycle, amount, seats), "seats")
    })()
    .js(&env)
}

/// MRR of `subscriptions` (subscription documents; `active` and `past_due`
/// count), priced from their snapshots or else from `catalogue` (price
/// documents), grouped by tenant, plan and partner (`tenants` and `partners`:
/// their documents). Every figure is by currency. A figure past 2^53 - 1 is
/// refused naming `subscriptions`.
#[napi(
    ts_args_type = "subscriptions: SubscriptionDocument[], catalogue: PriceDocument[], tenants: TenantDocument[], partners: PartnerDocument[]",
    ts_return_type = "MrrReport"
)]
pub fn mrr(
    env: Env,
    subscriptions: Unknown<'_>,
    catalogue: Unknown<'_>,
    tenants: Unknown<'_>,
    partners: Unknown<'_>,
) -> napi::Result<Serde<Value>> {
    (|| -> Result<Serde<Value>> {
        let subscriptions =
            documents(&subscriptions, "subscriptions", Subscription::from_document)?;
        let catalogue = documents(&catalogue, "catalogue", Price::from_document)?;
        let tenants = documents(&tenants, "tenants", TenantDocument::from_document)?;
        let partners = documents(&partners, "partners", PartnerDocument::from_document)?;
        let report = billing::mrr(&subscriptions, &catalogue, &tenants, &partners)?;
        let report =
            serde_json::to_value(&report).map_err(|e| invalid("subscriptions", e.to_string()))?;
        check_safe(&report, "subscriptions")?;
        Ok(Serde(report))
    })()
    .js(&env)
}

/// A partner's margin in basis points (12.5 % is 1250), read exactly from
/// the partner document's `marginPct`; 0 without one. More than two decimals
/// is refused naming `partner.marginPct`.
#[napi(ts_args_type = "partner: PartnerDocument")]
pub fn margin_basis_points(env: Env, partner: Unknown<'_>) -> napi::Result<u32> {
    crate::auth::record_json(&partner, "partner")
        .and_then(|map| PartnerDocument::from_document("partner", &map))
        .and_then(|p| billing::margin_basis_points(&p))
        .js(&env)
}

/// The audit event of a billing operation (`billing_event`, docs/billing.md
/// "Audit"): `billing.<action>` on the Stripe subscription or customer, with
/// the seats, the request id and, for a details update, only the names of
/// the fields set. Pure: the caller records it. Bad facts are refused naming
/// them (`billing.seats`; `facts`, with serde's reason, for a field it does not
/// know or a value of the wrong type).
#[napi(
    ts_args_type = "action: 'subscription_create' | 'seats_change' | 'cancel_at_period_end' | 'details_update', outcome: 'success' | 'failure' | 'denied', facts: BillingFacts, actor: string, at?: number | Date | undefined | null",
    ts_return_type = "AuditEvent"
)]
pub fn billing_audit_event(
    env: Env,
    action: String,
    outcome: String,
    facts: Unknown<'_>,
    actor: String,
    at: Option<crate::policy::Time<'_>>,
) -> napi::Result<Serde<dezky_core::audit::AuditEvent>> {
    let change = crate::policy::change(actor, at.as_ref()).js(&env)?;
    (|| {
        let action: billing::BillingAction = serde_json::from_value(Value::String(action))
            .map_err(|_| {
                invalid(
                    "action",
                    "must be subscription_create, seats_change, cancel_at_period_end or details_update",
                )
            })?;
        let outcome: dezky_core::audit::Outcome = serde_json::from_value(Value::String(outcome))
            .map_err(|_| invalid("outcome", "must be success, failure or denied"))?;
        let facts = crate::auth::json(&facts, "facts")?;
        let facts: billing::BillingFacts =
            serde_json::from_value(facts).map_err(|e| invalid("facts", e.to_string()))?;
        billing::billing_event(action, outcome, &change, &facts)
    })()
    .map(Serde)
    .js(&env)
}
