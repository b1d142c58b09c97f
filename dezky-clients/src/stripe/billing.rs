//! Billing on Stripe: a customer's billing details and EU VAT ids, seat
//! subscriptions (create, change seats, cancel at the period's end,
//! retrieve) and their snapshot in the control plane's subscription fields
//! (`dezky_core::billing`).

// `open_enum!`'s napi conversion is `unsafe` glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use dezky_core::billing::{BillingCycle, MAX_AMOUNT, MAX_SEATS};

use super::money::Currency;
use super::types::{Address, Customer, Expandable, HasId, List};
use super::{PAGE_LIMIT, StripeClient, check_id, check_metadata};
use crate::error::{Error, Result};
use crate::http::{Page, collect_all, paginate, segment};
use crate::macros::open_enum;

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

open_enum!(
    /// `subscription.status`, with the names of
    /// `dezky_core::billing::SubscriptionStatus`.
    SubscriptionStatus {
        /// Paid and running.
        Active = "active",
        /// In its trial.
        Trialing = "trialing",
        /// A payment failed; Stripe is retrying.
        PastDue = "past_due",
        /// Payments failed past the retries.
        Unpaid = "unpaid",
        /// Ended.
        Canceled = "canceled",
        /// The first payment is not made yet.
        Incomplete = "incomplete",
        /// The first payment was never made.
        IncompleteExpired = "incomplete_expired",
        /// Paused at the end of a trial without a payment method.
        Paused = "paused",
    }
);

impl SubscriptionStatus {
    /// The control plane's status of the same name; `None` for a value this
    /// SDK does not know.
    pub fn to_core(&self) -> Option<dezky_core::billing::SubscriptionStatus> {
        use dezky_core::billing::SubscriptionStatus as Core;
        Some(match self {
            SubscriptionStatus::Active => Core::Active,
            SubscriptionStatus::Trialing => Core::Trialing,
            SubscriptionStatus::PastDue => Core::PastDue,
            SubscriptionStatus::Unpaid => Core::Unpaid,
            SubscriptionStatus::Canceled => Core::Canceled,
            SubscriptionStatus::Incomplete => Core::Incomplete,
            SubscriptionStatus::IncompleteExpired => Core::IncompleteExpired,
            SubscriptionStatus::Paused => Core::Paused,
            SubscriptionStatus::Other(_) => return None,
        })
    }
}

open_enum!(
    /// `price.recurring.interval`.
    RecurringInterval {
        /// Daily.
        Day = "day",
        /// Weekly.
        Week = "week",
        /// Monthly.
        Month = "month",
        /// Yearly.
        Year = "year",
    }
);

open_enum!(
    /// `tax_id.verification.status`. Stripe verifies EU VAT numbers
    /// asynchronously: a new id is `pending`, then `verified`, `unverified`
    /// or `unavailable` (the authority could not be asked).
    TaxIdVerificationStatus {
        /// Not checked yet.
        Pending = "pending",
        /// The authority confirmed it.
        Verified = "verified",
        /// The authority does not know it.
        Unverified = "unverified",
        /// The authority could not be asked.
        Unavailable = "unavailable",
    }
);

/// `price.recurring`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Recurring {
    /// `day`, `week`, `month` or `year`.
    pub interval: RecurringInterval,
    /// Intervals between charges (`month` with 3 is quarterly).
    pub interval_count: Option<u64>,
    /// `licensed` (charged by quantity) or `metered`.
    pub usage_type: Option<String>,
}

/// A price (`price_...`), as items and subscriptions carry it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Price {
    /// The id.
    pub id: String,
    /// Whether new subscriptions may use it.
    pub active: Option<bool>,
    /// Its currency.
    pub currency: Currency,
    /// Per unit (seat), in minor units; `None` for tiered or custom prices.
    pub unit_amount: Option<i64>,
    /// `per_unit` or `tiered`.
    pub billing_scheme: Option<String>,
    /// The recurrence; `None` for a one-time price.
    pub recurring: Option<Recurring>,
    /// `recurring` or `one_time`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The product, as an id or expanded object.
    pub product: Option<Value>,
    /// The lookup key.
    pub lookup_key: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl HasId for Price {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A subscription item (`si_...`): one price and its quantity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubscriptionItem {
    /// The id.
    pub id: String,
    /// The price.
    pub price: Price,
    /// The quantity: the seats. `None` for metered prices.
    pub quantity: Option<u64>,
    /// Start of the item's current period, Unix seconds (on items since API 2025-03-31).
    pub current_period_start: Option<i64>,
    /// End of the item's current period, Unix seconds.
    pub current_period_end: Option<i64>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// The subscription's id.
    pub subscription: Option<String>,
}

/// A subscription (`sub_...`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subscription {
    /// The id.
    pub id: String,
    /// The customer, as an id or expanded object.
    pub customer: Expandable<Customer>,
    /// Where it stands (open set).
    pub status: SubscriptionStatus,
    /// Its items (a seat subscription has one).
    pub items: List<SubscriptionItem>,
    /// Whether it ends at the end of the current period.
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// When it will be canceled, Unix seconds.
    pub cancel_at: Option<i64>,
    /// When it was canceled, Unix seconds.
    pub canceled_at: Option<i64>,
    /// When it ended, Unix seconds.
    pub ended_at: Option<i64>,
    /// The currency.
    pub currency: Option<Currency>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Start date, Unix seconds.
    pub start_date: Option<i64>,
    /// End of the trial, Unix seconds.
    pub trial_end: Option<i64>,
    /// Start of the current period on API versions before 2025-03-31 (later
    /// ones carry it on the items).
    pub current_period_start: Option<i64>,
    /// End of the current period on API versions before 2025-03-31.
    pub current_period_end: Option<i64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl HasId for Subscription {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Subscription {
    /// The one item of a seat subscription; an error naming `items` when
    /// there is none or more than one.
    pub fn seat_item(&self) -> Result<&SubscriptionItem> {
        match self.items.data.as_slice() {
            [item] => Ok(item),
            items => Err(Error::invalid(
                "subscription.items",
                format!(
                    "{} has {} items; a seat subscription has exactly one",
                    self.id,
                    items.len()
                ),
            )),
        }
    }

    /// Start of the current period: the subscription's own field (older API
    /// versions), else its first item's.
    pub fn current_period_start(&self) -> Option<i64> {
        self.current_period_start
            .or_else(|| self.items.data.first()?.current_period_start)
    }

    /// End of the current period: the subscription's own field (older API
    /// versions), else its first item's.
    pub fn current_period_end(&self) -> Option<i64> {
        self.current_period_end
            .or_else(|| self.items.data.first()?.current_period_end)
    }

    /// The control plane's snapshot of this subscription: status, ids,
    /// cycle (`month` → `monthly`, `year` → `yearly`, one interval each),
    /// currency, per-seat amount (`unit_amount`) and seats (`quantity`) of
    /// its one item. Anything the control plane cannot hold (a daily or
    /// quarterly price, a tiered price without `unit_amount`, no quantity,
    /// an unknown status, amounts past the records' bounds) is an
    /// [`Error::InvalidInput`] naming the field.
    pub fn snapshot(&self) -> Result<SubscriptionSnapshot> {
        let status = self.status.to_core().ok_or_else(|| {
            Error::invalid(
                "subscription.status",
                format!(
                    "{:?} is not a subscription status the control plane knows",
                    self.status.as_str()
                ),
            )
        })?;
        let item = self.seat_item()?;
        let price = &item.price;
        let recurring = price.recurring.as_ref().ok_or_else(|| {
            Error::invalid(
                "subscription.items[0].price.recurring",
                format!("{} is a one-time price, not a recurring one", price.id),
            )
        })?;
        let cycle = match (&recurring.interval, recurring.interval_count.unwrap_or(1)) {
            (RecurringInterval::Month, 1) => BillingCycle::Monthly,
            (RecurringInterval::Year, 1) => BillingCycle::Yearly,
            (interval, count) => {
                return Err(Error::invalid(
                    "subscription.items[0].price.recurring.interval",
                    format!(
                        "every {count} {interval} is not a billing cycle of the control plane \
                         (one month or one year)"
                    ),
                ));
            }
        };
        let per_seat_amount = price
            .unit_amount
            .and_then(|a| u64::try_from(a).ok())
            .filter(|a| *a <= MAX_AMOUNT)
            .ok_or_else(|| {
                Error::invalid(
                    "subscription.items[0].price.unit_amount",
                    format!("must be a per-seat amount from 0 to {MAX_AMOUNT} minor units"),
                )
            })?;
        let seats = item.quantity.filter(|q| *q <= MAX_SEATS).ok_or_else(|| {
            Error::invalid(
                "subscription.items[0].quantity",
                format!("must be a number of seats from 0 to {MAX_SEATS}"),
            )
        })?;
        Ok(SubscriptionSnapshot {
            status,
            stripe_customer_id: self.customer.id().to_owned(),
            stripe_subscription_id: self.id.clone(),
            cycle,
            currency: price.currency.as_str().to_owned(),
            per_seat_amount,
            seats,
        })
    }
}

/// The fields of the control plane's subscription document that Stripe
/// decides, under their stored names (`stripeSubscriptionId`,
/// `perSeatAmount`, ...), as `dezky_core::billing::Subscription` reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSnapshot {
    /// Stripe's status.
    pub status: dezky_core::billing::SubscriptionStatus,
    /// The Stripe customer.
    pub stripe_customer_id: String,
    /// The Stripe subscription.
    pub stripe_subscription_id: String,
    /// How often it is charged.
    pub cycle: BillingCycle,
    /// ISO 4217, lower case.
    pub currency: String,
    /// Per seat and cycle, in minor units.
    pub per_seat_amount: u64,
    /// Seats charged.
    pub seats: u64,
}

impl SubscriptionSnapshot {
    /// The fields as a JSON object, to be merged into the stored document
    /// (`status`, `stripeCustomerId`, `stripeSubscriptionId`, `cycle`,
    /// `currency`, `perSeatAmount`, `seats`).
    pub fn to_document(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("status".into(), enum_text(&self.status));
        map.insert(
            "stripeCustomerId".into(),
            Value::from(self.stripe_customer_id.as_str()),
        );
        map.insert(
            "stripeSubscriptionId".into(),
            Value::from(self.stripe_subscription_id.as_str()),
        );
        map.insert("cycle".into(), enum_text(&self.cycle));
        map.insert("currency".into(), Value::from(self.currency.as_str()));
        map.insert("perSeatAmount".into(), Value::from(self.per_seat_amount));
        map.insert("seats".into(), Value::from(self.seats));
        map
    }
}

/// A unit enum's serde name (`past_due`, `monthly`).
fn enum_text(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `tax_id.verification`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StripeTaxIdVerification")
)]
pub struct TaxIdVerification {
    /// Where the verification stands: `pending`, `verified`, `unverified`,
    /// `unavailable` (open set).
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub status: TaxIdVerificationStatus,
    /// The name the authority holds, once verified.
    pub verified_name: Option<String>,
    /// The address the authority holds, once verified.
    pub verified_address: Option<String>,
}

/// A customer's tax id (`txi_...`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StripeTaxId")
)]
pub struct TaxId {
    /// The id.
    pub id: String,
    /// `eu_vat`, `gb_vat`, ... (open set).
    #[serde(rename = "type")]
    #[cfg_attr(feature = "napi", napi(js_name = "type"))]
    pub kind: String,
    /// The number, as stored by Stripe (`DE123456789`).
    pub value: String,
    /// Two-letter country of the number.
    pub country: Option<String>,
    /// The customer's id.
    pub customer: Option<String>,
    /// The authority's verification.
    #[cfg_attr(feature = "napi", napi(ts_type = "StripeTaxIdVerification"))]
    pub verification: Option<TaxIdVerification>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
}

impl HasId for TaxId {
    fn id(&self) -> &str {
        &self.id
    }
}

impl TaxId {
    /// The verification status; `None` when Stripe sent none.
    pub fn verification_status(&self) -> Option<&TaxIdVerificationStatus> {
        self.verification.as_ref().map(|v| &v.status)
    }
}

// ---------------------------------------------------------------------------
// Arguments and local checks
// ---------------------------------------------------------------------------

/// ISO 3166-1 alpha-2: the 249 officially assigned codes (Debian iso-codes
/// 4.15.0), and `XK`, the user-assigned code Stripe accepts for Kosovo.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH \
    BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW \
    CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI \
    GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO \
    JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH \
    MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA \
    PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL \
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US \
    UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// The prefixes of EU VAT numbers: the member states by their VAT prefix
/// (`EL` for Greece, not `GR`), and `XI` for Northern Ireland, which Stripe
/// takes as `eu_vat`.
pub const EU_VAT_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// The country code in upper case, if `code` is an ISO 3166-1 alpha-2 code
/// (either case).
pub fn country_code(code: &str) -> Option<String> {
    let upper = code.trim().to_ascii_uppercase();
    (upper.len() == 2
        && upper.bytes().all(|b| b.is_ascii_uppercase())
        && COUNTRIES.split_ascii_whitespace().any(|c| c == upper))
    .then_some(upper)
}

/// An EU VAT number in the form Stripe stores (`DE123456789`): spaces, dots
/// and hyphens removed, upper case; its shape checked locally: a prefix of
/// [`EU_VAT_PREFIXES`] followed by 2 to 12 letters and digits, at least one
/// of them a digit. Whether the number exists is for Stripe to verify
/// ([`TaxId::verification`]).
pub fn normalize_eu_vat(value: &str) -> Result<String> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let refuse = |reason: &str| Error::invalid("tax_id.value", reason);
    if !compact.is_ascii() || compact.len() < 4 {
        return Err(refuse(
            "must be a country prefix followed by the number (DE123456789)",
        ));
    }
    let (prefix, number) = compact.split_at(2);
    if !EU_VAT_PREFIXES.contains(&prefix) {
        let hint = match prefix {
            "GR" => " (Greece's VAT prefix is EL)",
            "GB" => " (UK numbers are gb_vat; Northern Ireland's are XI)",
            _ => "",
        };
        return Err(Error::invalid(
            "tax_id.value",
            format!("{prefix:?} is not an EU VAT country prefix{hint}"),
        ));
    }
    if number.len() > 12
        || !number.bytes().all(|b| b.is_ascii_alphanumeric())
        || !number.bytes().any(|b| b.is_ascii_digit())
    {
        return Err(refuse(
            "after the country prefix, 2 to 12 letters and digits (at least one digit) are expected",
        ));
    }
    Ok(compact)
}

/// Billing details to set on a customer; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, js_name = "StripeBillingDetails")
)]
pub struct BillingDetails {
    /// The billing name (at most 256 characters).
    pub name: Option<String>,
    /// The billing email (at most 512 characters).
    pub email: Option<String>,
    /// The billing address; `country` is ISO 3166-1 alpha-2 (sent in upper case).
    #[cfg_attr(feature = "napi", napi(ts_type = "StripeBillingAddress"))]
    pub address: Option<BillingAddress>,
}

/// A billing address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, js_name = "StripeBillingAddress")
)]
pub struct BillingAddress {
    /// First line.
    pub line1: Option<String>,
    /// Second line.
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country code, either case.
    pub country: Option<String>,
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty (leave it out to keep it)",
        ));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} printable characters"),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct UpdateBillingParams<'a> {
    name: Option<&'a str>,
    email: Option<&'a str>,
    address: Option<Address>,
}

impl BillingDetails {
    fn params(&self) -> Result<UpdateBillingParams<'_>> {
        if let Some(name) = &self.name {
            check_text("name", name, 256)?;
        }
        if let Some(email) = &self.email {
            check_text("email", email, 512)?;
            let at = email.find('@');
            if email.chars().any(char::is_whitespace)
                || !at.is_some_and(|i| i > 0 && i + 1 < email.len())
            {
                return Err(Error::invalid("email", "is not an email address"));
            }
        }
        let address = match &self.address {
            None => None,
            Some(a) => {
                let fields = [
                    ("address.line1", &a.line1),
                    ("address.line2", &a.line2),
                    ("address.postal_code", &a.postal_code),
                    ("address.city", &a.city),
                    ("address.state", &a.state),
                ];
                for (field, value) in fields {
                    if let Some(value) = value {
                        check_text(field, value, 5000)?;
                    }
                }
                let country = a
                    .country
                    .as_deref()
                    .map(|c| {
                        country_code(c).ok_or_else(|| {
                            Error::invalid(
                                "address.country",
                                format!("{c:?} is not an ISO 3166-1 alpha-2 country code"),
                            )
                        })
                    })
                    .transpose()?;
                Some(Address {
                    city: a.city.clone(),
                    country,
                    line1: a.line1.clone(),
                    line2: a.line2.clone(),
                    postal_code: a.postal_code.clone(),
                    state: a.state.clone(),
                })
            }
        };
        if self.name.is_none() && self.email.is_none() && address.is_none() {
            return Err(Error::invalid("details", "nothing to update"));
        }
        Ok(UpdateBillingParams {
            name: self.name.as_deref(),
            email: self.email.as_deref(),
            address,
        })
    }
}

/// How Stripe charges or credits a change of seats within a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum ProrationBehavior {
    /// Prorations go on the next invoice (Stripe's default).
    #[default]
    CreateProrations,
    /// Prorations are invoiced at once.
    AlwaysInvoice,
    /// No proration: the new quantity applies from the next period.
    None,
}

/// What a new seat subscription is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The customer (`cus_...`).
    pub customer_id: String,
    /// The recurring price (`price_...`).
    pub price_id: String,
    /// The seats: the item's quantity (0 to `dezky_core::billing::MAX_SEATS`).
    pub seats: u64,
    /// The control plane's tenant id, stored as `metadata[tenant_id]`.
    pub tenant_id: Option<String>,
}

#[derive(Serialize)]
struct ItemParams<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<&'a str>,
    quantity: u64,
}

#[derive(Serialize)]
struct CreateSubscriptionParams<'a> {
    customer: &'a str,
    items: Vec<ItemParams<'a>>,
    metadata: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct ChangeSeatsParams<'a> {
    items: Vec<ItemParams<'a>>,
    proration_behavior: ProrationBehavior,
}

#[derive(Serialize)]
struct CancelParams {
    cancel_at_period_end: bool,
}

#[derive(Serialize)]
struct TaxIdParams<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    value: &'a str,
}

fn check_request_id(request_id: &str) -> Result<()> {
    if request_id.trim().is_empty() {
        return Err(Error::invalid("request_id", "must not be empty"));
    }
    Ok(())
}

fn check_seats(seats: u64) -> Result<()> {
    if seats > MAX_SEATS {
        return Err(Error::invalid("seats", format!("must be 0 to {MAX_SEATS}")));
    }
    Ok(())
}

/// The idempotency key of a billing-details update.
pub fn billing_details_key(customer_id: &str, request_id: &str) -> String {
    format!("customer:{customer_id}:billing-details:{request_id}")
}

/// The idempotency key of adding a tax id.
pub fn tax_id_key(customer_id: &str, request_id: &str) -> String {
    format!("customer:{customer_id}:tax-id:{request_id}")
}

/// The idempotency key of creating a subscription.
pub fn create_subscription_key(customer_id: &str, request_id: &str) -> String {
    format!("customer:{customer_id}:create-subscription:{request_id}")
}

/// The idempotency key of changing a subscription's seats.
pub fn change_seats_key(subscription_id: &str, request_id: &str) -> String {
    format!("subscription:{subscription_id}:change-seats:{request_id}")
}

/// The idempotency key of canceling a subscription at its period's end.
pub fn cancel_at_period_end_key(subscription_id: &str, request_id: &str) -> String {
    format!("subscription:{subscription_id}:cancel-at-period-end:{request_id}")
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

impl StripeClient {
    /// Sets the customer's billing name, email and address (`POST
    /// /v1/customers/{id}`), under the idempotency key
    /// `customer:<id>:billing-details:<request_id>`. Fields left `None` are
    /// not sent and stay as they are.
    pub async fn update_billing_details(
        &self,
        customer_id: &str,
        details: &BillingDetails,
        request_id: &str,
    ) -> Result<Customer> {
        check_id("customer_id", customer_id, "cus_")?;
        check_request_id(request_id)?;
        let params = details.params()?;
        self.post(
            &format!("/v1/customers/{}", segment(customer_id)),
            &params,
            &billing_details_key(customer_id, request_id),
        )
        .await
    }

    /// Adds an EU VAT number to the customer (`POST
    /// /v1/customers/{id}/tax_ids`, `type=eu_vat`), normalised and checked
    /// by [`normalize_eu_vat`] first, under the idempotency key
    /// `customer:<id>:tax-id:<request_id>`. Stripe then verifies it
    /// asynchronously: the answer is usually `pending`.
    pub async fn add_eu_vat_id(
        &self,
        customer_id: &str,
        value: &str,
        request_id: &str,
    ) -> Result<TaxId> {
        check_id("customer_id", customer_id, "cus_")?;
        check_request_id(request_id)?;
        let value = normalize_eu_vat(value)?;
        self.post(
            &format!("/v1/customers/{}/tax_ids", segment(customer_id)),
            &TaxIdParams {
                kind: "eu_vat",
                value: &value,
            },
            &tax_id_key(customer_id, request_id),
        )
        .await
    }

    /// Every tax id of the customer (`GET /v1/customers/{id}/tax_ids`, 100
    /// per page, `starting_after` while `has_more`), with their verification.
    pub async fn tax_ids(&self, customer_id: &str) -> Result<Vec<TaxId>> {
        check_id("customer_id", customer_id, "cus_")?;
        let path = format!("/v1/customers/{}/tax_ids", segment(customer_id));
        let stream = paginate(None::<String>, |after: Option<String>| {
            let path = path.clone();
            async move {
                let mut params = vec![("limit".to_owned(), PAGE_LIMIT.to_owned())];
                if let Some(after) = after {
                    params.push(("starting_after".to_owned(), after));
                }
                let list: List<TaxId> = self.get(&path, &params).await?;
                let next = match (list.has_more, list.data.last()) {
                    (false, _) => None,
                    (true, Some(last)) => Some(Some(last.id.clone())),
                    (true, None) => {
                        return Err(Error::Decode {
                            service: "stripe".into(),
                            url: format!("GET {path}"),
                            message: "has_more is set but the page is empty".into(),
                        });
                    }
                };
                Ok(Page {
                    items: list.data,
                    next,
                })
            }
        });
        collect_all(stream).await
    }

    /// Removes a tax id from the customer (`DELETE
    /// /v1/customers/{id}/tax_ids/{tax_id}`). One that is already gone is
    /// not an error: the result is the same.
    pub async fn delete_tax_id(&self, customer_id: &str, tax_id: &str) -> Result<()> {
        check_id("customer_id", customer_id, "cus_")?;
        check_id("tax_id", tax_id, "txi_")?;
        let result = self
            .http
            .delete(&format!(
                "/v1/customers/{}/tax_ids/{}",
                segment(customer_id),
                segment(tax_id)
            ))
            .header("Stripe-Version", super::API_VERSION)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Creates a seat subscription (`POST /v1/subscriptions` with
    /// `customer`, `items[0][price]`, `items[0][quantity]` = seats and
    /// `metadata[tenant_id]`), under the idempotency key
    /// `customer:<id>:create-subscription:<request_id>`: `request_id` names
    /// the caller's request, so its retries create one subscription.
    pub async fn create_subscription(
        &self,
        new: &NewSubscription,
        request_id: &str,
    ) -> Result<Subscription> {
        check_id("customer_id", &new.customer_id, "cus_")?;
        check_id("price_id", &new.price_id, "price_")?;
        check_seats(new.seats)?;
        check_request_id(request_id)?;
        let mut metadata = BTreeMap::new();
        if let Some(tenant) = new.tenant_id.as_deref() {
            check_metadata("tenant_id", tenant)?;
            metadata.insert("tenant_id", tenant);
        }
        let params = CreateSubscriptionParams {
            customer: &new.customer_id,
            items: vec![ItemParams {
                id: None,
                price: Some(&new.price_id),
                quantity: new.seats,
            }],
            metadata,
        };
        self.post(
            "/v1/subscriptions",
            &params,
            &create_subscription_key(&new.customer_id, request_id),
        )
        .await
    }

    /// The subscription `id` (`GET /v1/subscriptions/{id}`), with its items
    /// and their prices.
    pub async fn retrieve_subscription(&self, id: &str) -> Result<Subscription> {
        check_id("subscription_id", id, "sub_")?;
        self.get(&format!("/v1/subscriptions/{}", segment(id)), &[])
            .await
    }

    /// Sets the seats of the subscription's item `item_id` (`POST
    /// /v1/subscriptions/{id}` with `items[0][id]`, `items[0][quantity]` and
    /// `proration_behavior`), under the idempotency key
    /// `subscription:<id>:change-seats:<request_id>`.
    pub async fn change_seats(
        &self,
        subscription_id: &str,
        item_id: &str,
        seats: u64,
        proration: ProrationBehavior,
        request_id: &str,
    ) -> Result<Subscription> {
        check_id("subscription_id", subscription_id, "sub_")?;
        check_id("item_id", item_id, "si_")?;
        check_seats(seats)?;
        check_request_id(request_id)?;
        let params = ChangeSeatsParams {
            items: vec![ItemParams {
                id: Some(item_id),
                price: None,
                quantity: seats,
            }],
            proration_behavior: proration,
        };
        self.post(
            &format!("/v1/subscriptions/{}", segment(subscription_id)),
            &params,
            &change_seats_key(subscription_id, request_id),
        )
        .await
    }

    /// Cancels the subscription at the end of its current period (`POST
    /// /v1/subscriptions/{id}` with `cancel_at_period_end=true`; it runs,
    /// and is charged, until then), under the idempotency key
    /// `subscription:<id>:cancel-at-period-end:<request_id>`.
    pub async fn cancel_at_period_end(
        &self,
        subscription_id: &str,
        request_id: &str,
    ) -> Result<Subscription> {
        check_id("subscription_id", subscription_id, "sub_")?;
        check_request_id(request_id)?;
        self.post(
            &format!("/v1/subscriptions/{}", segment(subscription_id)),
            &CancelParams {
                cancel_at_period_end: true,
            },
            &cancel_at_period_end_key(subscription_id, request_id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_vat_numbers_are_normalised_and_shaped() {
        assert_eq!(
            normalize_eu_vat("de 123.456-789").ok().as_deref(),
            Some("DE123456789")
        );
        assert_eq!(
            normalize_eu_vat("EL123456789").ok().as_deref(),
            Some("EL123456789")
        );
        assert_eq!(
            normalize_eu_vat("XI123456789").ok().as_deref(),
            Some("XI123456789")
        );
        assert_eq!(
            normalize_eu_vat("NL123456789B01").ok().as_deref(),
            Some("NL123456789B01")
        );
        assert_eq!(
            normalize_eu_vat("ATU12345678").ok().as_deref(),
            Some("ATU12345678")
        );
        for bad in [
            "GR123456789",
            "GB123456789",
            "US123",
            "DE",
            "DE12345678901234",
            "DEABCDEFG",
            "DE12345678é",
            "",
            "DE 12/34",
        ] {
            let error = normalize_eu_vat(bad).expect_err(bad);
            assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT", "{bad}");
        }
        let greek = normalize_eu_vat("GR123456789").expect_err("GR");
        assert!(greek.to_string().contains("EL"), "{greek}");
    }

    #[test]
    fn countries_are_iso_alpha_2() {
        assert_eq!(country_code("de").as_deref(), Some("DE"));
        assert_eq!(country_code("GB").as_deref(), Some("GB"));
        assert_eq!(country_code("XK").as_deref(), Some("XK"));
        assert_eq!(COUNTRIES.split_ascii_whitespace().count(), 250);
        for bad in ["EL", "UK", "XI", "DEU", "D", "", "1A", "ÄÖ"] {
            assert_eq!(country_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn billing_details_are_checked() {
        let ok = BillingDetails {
            name: Some("ACME GmbH".into()),
            email: Some("billing@acme.example".into()),
            address: Some(BillingAddress {
                country: Some("de".into()),
                ..BillingAddress::default()
            }),
        };
        let params = ok.params().expect("valid");
        assert_eq!(
            params.address.and_then(|a| a.country).as_deref(),
            Some("DE")
        );
        let bad = |details: BillingDetails, field: &str| match details.params().map(|_| ()) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected a refusal of {field}, got {other:?}"),
        };
        bad(BillingDetails::default(), "details");
        bad(
            BillingDetails {
                email: Some("no-at-sign".into()),
                ..BillingDetails::default()
            },
            "email",
        );
        bad(
            BillingDetails {
                name: Some("a\nb".into()),
                ..BillingDetails::default()
            },
            "name",
        );
        bad(
            BillingDetails {
                address: Some(BillingAddress {
                    country: Some("Germany".into()),
                    ..BillingAddress::default()
                }),
                ..BillingDetails::default()
            },
            "address.country",
        );
        bad(
            BillingDetails {
                address: Some(BillingAddress {
                    line1: Some(" ".into()),
                    ..BillingAddress::default()
                }),
                ..BillingDetails::default()
            },
            "address.line1",
        );
    }

    #[test]
    fn statuses_match_the_core_names() {
        for name in [
            "active",
            "trialing",
            "past_due",
            "unpaid",
            "canceled",
            "incomplete",
            "incomplete_expired",
            "paused",
        ] {
            let core = SubscriptionStatus::parse(name).to_core().expect(name);
            assert_eq!(serde_json::to_value(core).ok(), Some(Value::from(name)));
        }
        assert_eq!(SubscriptionStatus::parse("frozen").to_core(), None);
    }
}
