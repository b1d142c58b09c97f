//! Billing maths: the price catalogue and subscription records as the
//! control plane stores them, and monthly recurring revenue (MRR) per
//! tenant, per plan and per partner, in integer minor units, never summed
//! across currencies (`docs/billing.md`).
//!
//! Rounding, the one rule: a yearly amount becomes monthly by dividing by 12
//! and rounding half up to a whole minor unit, once per subscription; a
//! partner's margin is the partner's MRR times its margin, rounded half up
//! once per partner and currency. Totals are sums of those rounded figures,
//! so every table adds up.

// `#[napi]` enums expand to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::lifecycle::{PartnerDocument, TenantDocument};

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// How often a price is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum BillingCycle {
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

impl BillingCycle {
    /// The cycle of a control-plane name (`monthly`, `yearly`); another name
    /// is `DEZKY_INVALID_ARGUMENT` naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<BillingCycle> {
        match text {
            "monthly" => Ok(BillingCycle::Monthly),
            "yearly" => Ok(BillingCycle::Yearly),
            _ => Err(invalid(field, "must be monthly or yearly")),
        }
    }
}

/// A subscription's state, as Stripe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum SubscriptionStatus {
    /// Paid and running.
    Active,
    /// In its trial: nothing is charged yet.
    Trialing,
    /// A payment failed; Stripe is retrying and the subscription still runs.
    PastDue,
    /// Payments failed past the retries; the subscription runs unpaid.
    Unpaid,
    /// Ended.
    Canceled,
    /// The first payment is not made yet.
    Incomplete,
    /// The first payment was never made.
    IncompleteExpired,
    /// Paused at the end of a trial without a payment method.
    Paused,
}

impl SubscriptionStatus {
    const NAMES: [(&'static str, SubscriptionStatus); 8] = [
        ("active", SubscriptionStatus::Active),
        ("trialing", SubscriptionStatus::Trialing),
        ("past_due", SubscriptionStatus::PastDue),
        ("unpaid", SubscriptionStatus::Unpaid),
        ("canceled", SubscriptionStatus::Canceled),
        ("incomplete", SubscriptionStatus::Incomplete),
        ("incomplete_expired", SubscriptionStatus::IncompleteExpired),
        ("paused", SubscriptionStatus::Paused),
    ];

    fn parse(field: &str, text: &str) -> Result<SubscriptionStatus> {
        SubscriptionStatus::NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, s)| *s)
            .ok_or_else(|| invalid(field, "is not a Stripe subscription status"))
    }

    /// Whether the subscription counts in MRR: it is charged (`active`), or
    /// still charged while Stripe retries (`past_due`). Trials, unpaid,
    /// paused, incomplete and ended subscriptions bring in nothing.
    pub fn counts_in_mrr(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Active | SubscriptionStatus::PastDue
        )
    }
}

/// A field reader over one document, naming fields as `name.key`.
struct Reader<'a> {
    name: &'a str,
    document: &'a Map<String, Value>,
}

impl<'a> Reader<'a> {
    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.document.get(key).filter(|v| !v.is_null())
    }

    fn id(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Object(o)) => match o.get("$oid").and_then(Value::as_str) {
                Some(s) => Ok(Some(s.to_owned())),
                None => Err(invalid(self.field(key), "must be an ObjectId")),
            },
            Some(_) => Err(invalid(self.field(key), "must be an ObjectId")),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(self.field(key), "must be a string")),
        }
    }

    fn required_text(&self, key: &str) -> Result<String> {
        self.text(key)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(self.field(key), "is required"))
    }

    fn whole(&self, key: &str, max: u64) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().filter(|n| *n <= max).map(Some).ok_or_else(|| {
                invalid(
                    self.field(key),
                    format!("must be a whole number from 0 to {max}"),
                )
            }),
        }
    }

    fn currency(&self, key: &str) -> Result<Option<String>> {
        self.text(key)?
            .map(|c| currency(&self.field(key), &c))
            .transpose()
    }
}

/// A current ISO 4217 currency code, lower case as Stripe writes it.
fn currency(field: &str, code: &str) -> Result<String> {
    let upper = code.to_ascii_uppercase();
    match iso_currency::Currency::from_code(&upper) {
        Some(_) if code.len() == 3 => Ok(code.to_ascii_lowercase()),
        _ => Err(invalid(
            field,
            format!("{code:?} is not an ISO 4217 currency code"),
        )),
    }
}

/// Amounts per seat are at most this many minor units (10 billion in a
/// two-decimal currency), so that a subscription's amount always fits.
pub const MAX_AMOUNT: u64 = 1_000_000_000_000;
/// Seats are at most this.
pub const MAX_SEATS: u64 = 1_000_000;

/// A price of the catalogue (`prices` collection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Price {
    /// The ObjectId.
    pub id: String,
    /// The plan's key.
    pub plan: String,
    /// How often it is charged.
    pub cycle: BillingCycle,
    /// ISO 4217, lower case.
    pub currency: String,
    /// Per seat and cycle, in minor units.
    pub per_seat_amount: u64,
    /// Whether new subscriptions may use it (default true).
    pub active: bool,
    /// The Stripe price it mirrors.
    pub stripe_price_id: Option<String>,
}

impl Price {
    /// Reads a price document; errors name the field under `name` (`price.cycle`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Price> {
        let r = Reader { name, document };
        let id = match (r.id("_id")?, r.id("id")?) {
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) => return Err(invalid(r.field("_id"), "is required")),
        };
        let cycle = BillingCycle::parse(&r.field("cycle"), &r.required_text("cycle")?)?;
        let active = match r.get("active") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid(r.field("active"), "must be true or false")),
        };
        Ok(Price {
            id,
            plan: r.required_text("plan")?,
            cycle,
            currency: r
                .currency("currency")?
                .ok_or_else(|| invalid(r.field("currency"), "is required"))?,
            per_seat_amount: r
                .whole("perSeatAmount", MAX_AMOUNT)?
                .ok_or_else(|| invalid(r.field("perSeatAmount"), "is required"))?,
            active,
            stripe_price_id: r.text("stripePriceId")?,
        })
    }
}

/// A subscription (`subscriptions` collection). The price fields are
/// snapshots taken when it was made or changed, so MRR does not move when
/// the catalogue does; older documents lack them and are priced from the
/// catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Subscription {
    /// The ObjectId.
    pub id: String,
    /// The tenant's ObjectId.
    pub tenant_id: String,
    /// The plan's key.
    pub plan: String,
    /// Stripe's status.
    pub status: SubscriptionStatus,
    /// The Stripe customer.
    pub stripe_customer_id: Option<String>,
    /// The Stripe subscription.
    pub stripe_subscription_id: Option<String>,
    /// Snapshot: how often it is charged.
    pub cycle: Option<BillingCycle>,
    /// Snapshot: ISO 4217, lower case.
    pub currency: Option<String>,
    /// Snapshot: per seat and cycle, in minor units.
    pub per_seat_amount: Option<u64>,
    /// Snapshot: seats charged.
    pub seats: Option<u64>,
}

impl Subscription {
    /// Reads a subscription document; errors name the field (`subscription.seats`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Subscription> {
        let r = Reader { name, document };
        let id = match (r.id("_id")?, r.id("id")?) {
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) => return Err(invalid(r.field("_id"), "is required")),
        };
        let status = SubscriptionStatus::parse(&r.field("status"), &r.required_text("status")?)?;
        let cycle = r
            .text("cycle")?
            .map(|c| BillingCycle::parse(&r.field("cycle"), &c))
            .transpose()?;
        Ok(Subscription {
            id,
            tenant_id: r
                .id("tenantId")?
                .ok_or_else(|| invalid(r.field("tenantId"), "is required"))?,
            plan: r.required_text("plan")?,
            status,
            stripe_customer_id: r.text("stripeCustomerId")?,
            stripe_subscription_id: r.text("stripeSubscriptionId")?,
            cycle,
            currency: r.currency("currency")?,
            per_seat_amount: r.whole("perSeatAmount", MAX_AMOUNT)?,
            seats: r.whole("seats", MAX_SEATS)?,
        })
    }
}

/// `amount` divided by `by`, rounded half up (amounts are never negative).
fn div_half_up(amount: u128, by: u128) -> u128 {
    (amount + by / 2) / by
}

/// The monthly amount of `seats` at `per_seat_amount` per `cycle`: yearly
/// amounts divided by 12, rounded half up.
pub fn monthly_amount(cycle: BillingCycle, per_seat_amount: u64, seats: u64) -> u64 {
    let cycle_amount = u128::from(per_seat_amount) * u128::from(seats);
    let monthly = match cycle {
        BillingCycle::Monthly => cycle_amount,
        BillingCycle::Yearly => div_half_up(cycle_amount, 12),
    };
    // At most MAX_AMOUNT * MAX_SEATS = 10^18 for the records' bounds; larger
    // arguments saturate (they cannot come from a record).
    u64::try_from(monthly).unwrap_or(u64::MAX)
}

/// A partner's margin in basis points (hundredths of a percent), read
/// exactly from its `marginPct` (at most two decimals: `12.5` is 1,250).
pub fn margin_basis_points(partner: &PartnerDocument) -> Result<u32> {
    let Some(pct) = partner.margin_pct else {
        return Ok(0);
    };
    // The shortest text that reads back as this number: the digits stored.
    let text = format!("{pct}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let field = || "partner.marginPct".to_owned();
    if fraction.len() > 2 || whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(field(), "must have at most two decimals"));
    }
    let whole: u32 = whole
        .parse()
        .map_err(|_| invalid(field(), "must be 0 to 100"))?;
    let fraction: u32 = format!("{fraction:0<2}")
        .parse()
        .map_err(|_| invalid(field(), "must have at most two decimals"))?;
    let bp = whole * 100 + fraction;
    if bp > 10_000 {
        return Err(invalid(field(), "must be 0 to 100"));
    }
    Ok(bp)
}

/// Amounts by currency.
pub type Totals = BTreeMap<String, u64>;

fn add(totals: &mut Totals, currency: &str, amount: u64) -> Result<()> {
    let slot = totals.entry(currency.to_owned()).or_default();
    *slot = slot.checked_add(amount).ok_or_else(|| {
        invalid(
            "subscriptions",
            "their amounts add up past 2^64 minor units",
        )
    })?;
    Ok(())
}

/// One subscription's contribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubscriptionMrr {
    /// The subscription.
    pub subscription_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Its plan.
    pub plan: String,
    /// ISO 4217, lower case.
    pub currency: String,
    /// Per month, in minor units.
    pub amount: u64,
    /// Whether its price came from the catalogue (no snapshot on the subscription).
    pub from_catalogue: bool,
}

/// A subscription left out of MRR, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Unpriced {
    /// The subscription.
    pub subscription_id: String,
    /// Why it could not be priced.
    pub reason: String,
}

/// A partner's MRR and margin in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PartnerMrr {
    /// The partner's ObjectId.
    pub partner_id: String,
    /// The partner's slug.
    pub partner_slug: String,
    /// ISO 4217, lower case.
    pub currency: String,
    /// Its tenants' MRR.
    pub mrr: u64,
    /// The margin in basis points.
    pub margin_basis_points: u32,
    /// The partner's share: `mrr` times the margin, rounded half up.
    pub margin: u64,
    /// What remains: `mrr - margin`.
    pub net: u64,
}

/// MRR, by every axis the dashboards show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MrrReport {
    /// Every counted subscription's monthly amount.
    pub subscriptions: Vec<SubscriptionMrr>,
    /// Totals by currency.
    pub total: Totals,
    /// By tenant (ObjectId), by currency.
    pub by_tenant: BTreeMap<String, Totals>,
    /// By plan, by currency.
    pub by_plan: BTreeMap<String, Totals>,
    /// By partner and currency, with the margin (tenants without a partner are in none).
    pub by_partner: Vec<PartnerMrr>,
    /// Subscriptions that count but could not be priced (no snapshot and no
    /// single matching catalogue price): left out of every figure, listed here.
    pub unpriced: Vec<Unpriced>,
}

/// The price of a subscription without snapshots: the catalogue's one active
/// price for its plan (and its cycle and currency, when the subscription has them).
fn catalogue_price<'a>(
    s: &Subscription,
    catalogue: &'a [Price],
) -> std::result::Result<&'a Price, String> {
    let matching: Vec<&Price> = catalogue
        .iter()
        .filter(|p| p.active && p.plan == s.plan)
        .filter(|p| s.cycle.is_none_or(|c| c == p.cycle))
        .filter(|p| s.currency.as_ref().is_none_or(|c| *c == p.currency))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no active catalogue price for plan {:?}", s.plan)),
        _ => Err(format!(
            "{} active catalogue prices for plan {:?}; the subscription's snapshot is needed",
            matching.len(),
            s.plan
        )),
    }
}

/// MRR of `subscriptions` (those whose status counts), priced from their
/// snapshots or else from `catalogue`, grouped by tenant, plan and partner
/// (`tenants` map subscriptions to partners; `partners` give the margins).
/// A partner whose margin cannot be read exactly is an error naming it.
pub fn mrr(
    subscriptions: &[Subscription],
    catalogue: &[Price],
    tenants: &[TenantDocument],
    partners: &[PartnerDocument],
) -> Result<MrrReport> {
    let mut report = MrrReport::default();
    for s in subscriptions.iter().filter(|s| s.status.counts_in_mrr()) {
        let priced = match (s.cycle, &s.currency, s.per_seat_amount) {
            (Some(cycle), Some(currency), Some(amount)) => {
                Ok((cycle, currency.clone(), amount, false))
            }
            _ => catalogue_price(s, catalogue)
                .map(|p| (p.cycle, p.currency.clone(), p.per_seat_amount, true)),
        };
        let (cycle, currency, per_seat, from_catalogue) = match priced {
            Ok(p) => p,
            Err(reason) => {
                report.unpriced.push(Unpriced {
                    subscription_id: s.id.clone(),
                    reason,
                });
                continue;
            }
        };
        // A subscription without a seat snapshot is charged for the tenant's seats, else one.
        let seats = s.seats.unwrap_or_else(|| {
            tenants
                .iter()
                .find(|t| t.id == s.tenant_id)
                .and_then(|t| t.seats)
                .map_or(1, u64::from)
        });
        let amount = monthly_amount(cycle, per_seat, seats);
        add(&mut report.total, &currency, amount)?;
        add(
            report.by_tenant.entry(s.tenant_id.clone()).or_default(),
            &currency,
            amount,
        )?;
        add(
            report.by_plan.entry(s.plan.clone()).or_default(),
            &currency,
            amount,
        )?;
        report.subscriptions.push(SubscriptionMrr {
            subscription_id: s.id.clone(),
            tenant_id: s.tenant_id.clone(),
            plan: s.plan.clone(),
            currency,
            amount,
            from_catalogue,
        });
    }
    let mut by_partner: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (tenant_id, totals) in &report.by_tenant {
        let Some(partner_id) = tenants
            .iter()
            .find(|t| &t.id == tenant_id)
            .and_then(|t| t.partner_id.clone())
        else {
            continue;
        };
        for (currency, amount) in totals {
            let slot = by_partner
                .entry((partner_id.clone(), currency.clone()))
                .or_default();
            *slot = slot.saturating_add(*amount);
        }
    }
    for ((partner_id, currency), mrr) in by_partner {
        let partner = partners.iter().find(|p| p.id == partner_id);
        let bp = partner.map(margin_basis_points).transpose()?.unwrap_or(0);
        let margin = u64::try_from(div_half_up(u128::from(mrr) * u128::from(bp), 10_000))
            .unwrap_or(u64::MAX);
        report.by_partner.push(PartnerMrr {
            partner_slug: partner.map(|p| p.slug.clone()).unwrap_or_default(),
            partner_id,
            currency,
            mrr,
            margin_basis_points: bp,
            margin,
            net: mrr - margin,
        });
    }
    Ok(report)
}

// ---------------------------------------------------------------------------
// Audit events of billing operations
// ---------------------------------------------------------------------------

/// A billing operation the audit log records (`docs/billing.md`, "Audit").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BillingAction {
    /// A seat subscription was created (`billing.subscription_create`).
    SubscriptionCreate,
    /// A subscription's seats were changed (`billing.seats_change`).
    SeatsChange,
    /// A subscription was set to end with its period (`billing.cancel_at_period_end`).
    CancelAtPeriodEnd,
    /// The customer's billing name, email or address were set (`billing.details_update`).
    DetailsUpdate,
}

impl BillingAction {
    /// The audit action: `billing.subscription_create`, `billing.seats_change`,
    /// `billing.cancel_at_period_end`, `billing.details_update`.
    pub fn action(self) -> &'static str {
        match self {
            BillingAction::SubscriptionCreate => "billing.subscription_create",
            BillingAction::SeatsChange => "billing.seats_change",
            BillingAction::CancelAtPeriodEnd => "billing.cancel_at_period_end",
            BillingAction::DetailsUpdate => "billing.details_update",
        }
    }

    /// What the event's target is: `subscription` (a `sub_...`), or
    /// `customer` (a `cus_...`) for a details update.
    pub fn target_type(self) -> &'static str {
        match self {
            BillingAction::DetailsUpdate => "customer",
            _ => "subscription",
        }
    }
}

/// The facts of one billing operation, for its audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BillingFacts {
    /// The tenant (its ObjectId).
    pub tenant_id: String,
    /// The Stripe object acted on: the subscription (`sub_...`), or the
    /// customer (`cus_...`) for a details update; for a create that failed
    /// before Stripe answered, the customer.
    pub target_id: String,
    /// The request id the operation's idempotency key was made from.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The seats after the operation: required for a create and a seat change.
    #[serde(default)]
    pub seats: Option<u64>,
    /// The seats before a seat change, when known.
    #[serde(default)]
    pub seats_before: Option<u64>,
    /// The billing details fields a details update set (`name`, `email`,
    /// `address`): their names only, never their values.
    #[serde(default)]
    pub fields: Vec<String>,
}

const DETAIL_FIELDS: [&str; 3] = ["name", "email", "address"];

/// The audit event of a billing operation: action `billing.<operation>`
/// ([`BillingAction::action`]), target the Stripe subscription or customer,
/// `tenantId` set, and in `metadata` the `requestId`, the seats (`seats`,
/// and `seatsBefore` for a change) and, for a details update, the names of
/// the fields set (`fields`; no value of a billing name, email or address
/// goes into the log). Pure: the caller records it with the operation's
/// outcome. Missing or out-of-range facts are `DEZKY_INVALID_ARGUMENT`
/// naming them (`billing.seats`).
pub fn billing_event(
    action: BillingAction,
    outcome: crate::audit::Outcome,
    change: &dezky_flags::Change,
    facts: &BillingFacts,
) -> Result<crate::audit::AuditEvent> {
    let non_empty = |field: &str, value: &str| {
        if value.trim().is_empty() {
            Err(invalid(format!("billing.{field}"), "must not be empty"))
        } else {
            Ok(())
        }
    };
    non_empty("tenantId", &facts.tenant_id)?;
    non_empty("targetId", &facts.target_id)?;
    if let Some(request_id) = &facts.request_id {
        non_empty("requestId", request_id)?;
    }
    let seats_field = |field: &str, value: Option<u64>| match value {
        Some(n) if n > MAX_SEATS => Err(invalid(
            format!("billing.{field}"),
            format!("must be 0 to {MAX_SEATS}"),
        )),
        other => Ok(other),
    };
    let seats = seats_field("seats", facts.seats)?;
    let seats_before = seats_field("seatsBefore", facts.seats_before)?;
    let mut event = crate::audit::AuditEvent::new(
        action.action(),
        outcome,
        change,
        action.target_type(),
        facts.target_id.trim(),
    )
    .for_tenant(facts.tenant_id.trim());
    if let Some(request_id) = &facts.request_id {
        event = event.with("requestId", request_id.as_str());
    }
    match action {
        BillingAction::SubscriptionCreate | BillingAction::SeatsChange => {
            let seats = seats.ok_or_else(|| invalid("billing.seats", "is required"))?;
            event = event.with("seats", seats);
            if action == BillingAction::SeatsChange
                && let Some(before) = seats_before
            {
                event = event.with("seatsBefore", before);
            }
        }
        BillingAction::CancelAtPeriodEnd | BillingAction::DetailsUpdate => {}
    }
    if action != BillingAction::SeatsChange && seats_before.is_some() {
        return Err(invalid("billing.seatsBefore", "is for a seat change only"));
    }
    if action == BillingAction::DetailsUpdate {
        if facts.fields.is_empty() {
            return Err(invalid("billing.fields", "must name the fields set"));
        }
        let mut fields: Vec<&str> = Vec::new();
        for (i, field) in facts.fields.iter().enumerate() {
            let known = DETAIL_FIELDS
                .iter()
                .find(|f| **f == field.as_str())
                .ok_or_else(|| {
                    invalid(
                        format!("billing.fields[{i}]"),
                        "must be name, email or address",
                    )
                })?;
            if !fields.contains(known) {
                fields.push(known);
            }
        }
        event = event.with("fields", serde_json::json!(fields));
    } else if !facts.fields.is_empty() {
        return Err(invalid("billing.fields", "is for a details update only"));
    }
    Ok(event)
}

#[cfg(test)]
mod audit_tests {
    use super::*;
    use crate::audit::Outcome;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    fn change() -> dezky_flags::Change {
        dezky_flags::Change::new(
            "admin@acme.test",
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .expect("a valid change")
    }

    fn facts(target: &str) -> BillingFacts {
        BillingFacts {
            tenant_id: "6650f1c2a9b4e3d2c1b0a998".into(),
            target_id: target.into(),
            request_id: Some("req-4".into()),
            ..BillingFacts::default()
        }
    }

    #[test]
    fn a_seat_change_records_both_counts() {
        let f = BillingFacts {
            seats: Some(7),
            seats_before: Some(5),
            ..facts("sub_1")
        };
        let e = billing_event(BillingAction::SeatsChange, Outcome::Success, &change(), &f)
            .expect("an event");
        assert_eq!(e.action, "billing.seats_change");
        assert_eq!(
            (e.target_type.as_str(), e.target_id.as_str()),
            ("subscription", "sub_1")
        );
        assert_eq!(e.tenant_id.as_deref(), Some("6650f1c2a9b4e3d2c1b0a998"));
        assert_eq!(e.actor_email, "admin@acme.test");
        assert_eq!(
            Value::Object(e.metadata),
            json!({"requestId": "req-4", "seats": 7, "seatsBefore": 5})
        );
    }

    #[test]
    fn a_details_update_names_fields_not_values() {
        let f = BillingFacts {
            fields: vec!["email".into(), "address".into(), "email".into()],
            ..facts("cus_1")
        };
        let e = billing_event(
            BillingAction::DetailsUpdate,
            Outcome::Failure,
            &change(),
            &f,
        )
        .expect("an event");
        assert_eq!(
            (e.action.as_str(), e.target_type.as_str()),
            ("billing.details_update", "customer")
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.metadata["fields"], json!(["email", "address"]));
    }

    #[test]
    fn missing_or_misplaced_facts_are_refused_by_name() {
        let refused = |action, f: BillingFacts| match billing_event(
            action,
            Outcome::Success,
            &change(),
            &f,
        ) {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        };
        use BillingAction::*;
        assert_eq!(refused(SubscriptionCreate, facts("sub_1")), "billing.seats");
        assert_eq!(
            refused(
                SeatsChange,
                BillingFacts {
                    seats: Some(MAX_SEATS + 1),
                    ..facts("sub_1")
                }
            ),
            "billing.seats"
        );
        assert_eq!(
            refused(
                CancelAtPeriodEnd,
                BillingFacts {
                    seats_before: Some(1),
                    ..facts("sub_1")
                }
            ),
            "billing.seatsBefore"
        );
        assert_eq!(refused(DetailsUpdate, facts("cus_1")), "billing.fields");
        assert_eq!(
            refused(
                DetailsUpdate,
                BillingFacts {
                    fields: vec!["vat".into()],
                    ..facts("cus_1")
                }
            ),
            "billing.fields[0]"
        );
        assert_eq!(
            refused(
                CancelAtPeriodEnd,
                BillingFacts {
                    fields: vec!["name".into()],
                    ..facts("sub_1")
                }
            ),
            "billing.fields"
        );
        assert_eq!(refused(CancelAtPeriodEnd, facts(" ")), "billing.targetId");
        assert_eq!(
            refused(
                CancelAtPeriodEnd,
                BillingFacts {
                    tenant_id: String::new(),
                    ..facts("sub_1")
                }
            ),
            "billing.tenantId"
        );
        assert_eq!(
            refused(
                CancelAtPeriodEnd,
                BillingFacts {
                    request_id: Some(" ".into()),
                    ..facts("sub_1")
                }
            ),
            "billing.requestId"
        );
    }
}
