//! The Stripe objects the control plane reads. Every field the API may leave
//! out or set to `null` is an `Option`; enums whose set grows are open
//! (`Other(String)` keeps an unknown value). With the `napi` feature,
//! [`CardSummary`] is also `#[napi(object)]` for the Node binding.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::money::{Currency, Money};
use crate::macros::open_enum;
use crate::secret::Secret;

/// A field Stripe sends either as an id or, when expanded, as the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    /// Not expanded: the object's id.
    Id(String),
    /// Expanded: the object itself.
    Object(Box<T>),
}

impl<T: HasId> Expandable<T> {
    /// The object's id, expanded or not.
    pub fn id(&self) -> &str {
        match self {
            Expandable::Id(id) => id,
            Expandable::Object(object) => object.id(),
        }
    }

    /// The expanded object, if it was expanded.
    pub fn object(&self) -> Option<&T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Object(object) => Some(object),
        }
    }
}

/// Objects with a Stripe id.
pub trait HasId {
    /// The id (`cus_...`, `pm_...`).
    fn id(&self) -> &str;
}

open_enum!(
    /// The `type` of a Stripe error object.
    StripeErrorType {
        /// A problem on Stripe's side.
        ApiError = "api_error",
        /// The card cannot be charged (declined, expired, ...).
        CardError = "card_error",
        /// An idempotency key was reused with other parameters.
        IdempotencyError = "idempotency_error",
        /// The request has invalid parameters.
        InvalidRequestError = "invalid_request_error",
    }
);

open_enum!(
    /// `setup_intent.status`.
    SetupIntentStatus {
        /// Waiting for card details.
        RequiresPaymentMethod = "requires_payment_method",
        /// Waiting for confirmation.
        RequiresConfirmation = "requires_confirmation",
        /// Waiting for the customer (3-D Secure, ...).
        RequiresAction = "requires_action",
        /// Being processed.
        Processing = "processing",
        /// Done: the payment method is set up.
        Succeeded = "succeeded",
        /// Canceled.
        Canceled = "canceled",
    }
);

open_enum!(
    /// `invoice.status` (v127 also lists `deleted`).
    InvoiceStatus {
        /// Not finalized yet.
        Draft = "draft",
        /// Finalized, awaiting payment.
        Open = "open",
        /// Paid.
        Paid = "paid",
        /// Unlikely to be paid.
        Uncollectible = "uncollectible",
        /// Voided.
        Void = "void",
        /// Deleted (older API versions).
        Deleted = "deleted",
    }
);

/// Stripe's error object (`{"error": {...}}` in an error answer).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StripeApiError {
    /// The error's category.
    #[serde(rename = "type")]
    pub kind: StripeErrorType,
    /// A short code (`card_declined`, `resource_missing`, ...).
    pub code: Option<String>,
    /// For declines, the issuer's reason (`insufficient_funds`, ...).
    pub decline_code: Option<String>,
    /// A message for humans.
    pub message: Option<String>,
    /// The parameter the error is about.
    pub param: Option<String>,
    /// Documentation of the code.
    pub doc_url: Option<String>,
    /// The request's log entry in the Stripe dashboard.
    pub request_log_url: Option<String>,
    /// Advice for retrying a decline (`try_again_later`, ...).
    pub advice_code: Option<String>,
}

/// The address fields of a customer (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// City.
    pub city: Option<String>,
    /// Two-letter country code.
    pub country: Option<String>,
    /// First line.
    pub line1: Option<String>,
    /// Second line.
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// State or region.
    pub state: Option<String>,
}

/// `customer.invoice_settings`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct InvoiceSettings {
    /// The payment method invoices are charged to: `None`, its id, or the
    /// object when expanded.
    pub default_payment_method: Option<Expandable<PaymentMethod>>,
}

/// A Stripe customer (`cus_...`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Customer {
    /// The id.
    pub id: String,
    /// Set (and almost nothing else) when the customer was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// Email address.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Key/value metadata (`tenant_id`, `tenant_slug`).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Invoice settings, with the default payment method.
    pub invoice_settings: Option<InvoiceSettings>,
    /// Address.
    pub address: Option<Address>,
    /// The customer's currency, once it has one.
    pub currency: Option<Currency>,
    /// Balance in minor units of `currency`.
    pub balance: Option<i64>,
    /// Whether a payment is overdue.
    pub delinquent: Option<bool>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
}

impl HasId for Customer {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Customer {
    /// The default payment method's id, expanded or not.
    pub fn default_payment_method_id(&self) -> Option<&str> {
        self.invoice_settings
            .as_ref()?
            .default_payment_method
            .as_ref()
            .map(Expandable::id)
    }
}

/// `payment_method.card`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CardDetails {
    /// `visa`, `mastercard`, `amex`, ... (open set).
    pub brand: Option<String>,
    /// The brand to show (co-badged cards).
    pub display_brand: Option<String>,
    /// The last four digits.
    pub last4: Option<String>,
    /// Expiry month, 1–12.
    pub exp_month: Option<u32>,
    /// Expiry year, four digits.
    pub exp_year: Option<i32>,
    /// `credit`, `debit`, `prepaid`, `unknown`.
    pub funding: Option<String>,
    /// Issuing country, two letters.
    pub country: Option<String>,
}

/// A payment method (`pm_...`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentMethod {
    /// The id.
    pub id: String,
    /// `card`, `sepa_debit`, ... (open set).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Card details when `type` is `card`.
    pub card: Option<CardDetails>,
    /// The customer it is attached to.
    pub customer: Option<Expandable<Customer>>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
}

impl HasId for PaymentMethod {
    fn id(&self) -> &str {
        &self.id
    }
}

/// What the portal shows of a card: brand, last four digits and expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StripeCard")
)]
pub struct CardSummary {
    /// The payment method's id.
    pub payment_method_id: String,
    /// The brand to show (`display_brand`, else `brand`).
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// Expiry month, 1–12.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
}

impl CardSummary {
    /// The summary of a card payment method; `None` for other types or a
    /// card without brand, digits or expiry.
    pub fn from_payment_method(method: &PaymentMethod) -> Option<Self> {
        let card = method.card.as_ref()?;
        Some(CardSummary {
            payment_method_id: method.id.clone(),
            brand: card.display_brand.clone().or_else(|| card.brand.clone())?,
            last4: card.last4.clone()?,
            exp_month: card.exp_month?,
            exp_year: card.exp_year?,
        })
    }
}

fn secret_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(Secret::new))
}

/// `setup_intent.automatic_payment_methods`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AutomaticPaymentMethods {
    /// Whether they are enabled.
    pub enabled: Option<bool>,
    /// `always` or `never`.
    pub allow_redirects: Option<String>,
}

/// A SetupIntent (`seti_...`), the server side of the portal's card form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SetupIntent {
    /// The id.
    pub id: String,
    /// The secret the browser's card form needs; never logged.
    #[serde(default, deserialize_with = "secret_opt")]
    pub client_secret: Option<Secret>,
    /// Where it stands.
    pub status: SetupIntentStatus,
    /// `off_session` or `on_session`.
    pub usage: Option<String>,
    /// The customer the payment method will be attached to.
    pub customer: Option<Expandable<Customer>>,
    /// The payment method, once confirmed.
    pub payment_method: Option<Expandable<PaymentMethod>>,
    /// Read-only list of the types it accepts.
    #[serde(default)]
    pub payment_method_types: Vec<String>,
    /// Whether automatic payment methods are on.
    pub automatic_payment_methods: Option<AutomaticPaymentMethods>,
    /// The last error, as Stripe reported it.
    pub last_setup_error: Option<serde_json::Value>,
    /// Metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
}

/// An invoice line (the fields that are shown).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InvoiceLine {
    /// The id.
    pub id: Option<String>,
    /// Amount in minor units.
    pub amount: Option<i64>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Description.
    pub description: Option<String>,
    /// Quantity.
    pub quantity: Option<i64>,
}

/// An invoice (`in_...`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Invoice {
    /// The id (absent only on upcoming-invoice previews).
    pub id: Option<String>,
    /// The number, once finalized.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void` (open set).
    pub status: Option<InvoiceStatus>,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Amount due, minor units.
    pub amount_due: i64,
    /// Amount paid, minor units.
    pub amount_paid: i64,
    /// Amount remaining, minor units.
    pub amount_remaining: i64,
    /// Total, minor units.
    pub total: Option<i64>,
    /// Subtotal, minor units.
    pub subtotal: Option<i64>,
    /// The payment page; `None` while draft.
    pub hosted_invoice_url: Option<String>,
    /// The PDF; `None` while draft.
    pub invoice_pdf: Option<String>,
    /// Billing period start, Unix seconds.
    pub period_start: Option<i64>,
    /// Billing period end, Unix seconds.
    pub period_end: Option<i64>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Due date, Unix seconds.
    pub due_date: Option<i64>,
    /// The customer.
    pub customer: Option<Expandable<Customer>>,
    /// The subscription, as an id or expanded object.
    pub subscription: Option<serde_json::Value>,
    /// The first page of lines.
    pub lines: Option<List<InvoiceLine>>,
}

impl Invoice {
    /// The total as [`Money`] (`total`, else `amount_due`).
    pub fn total_money(&self) -> Money {
        Money::from_minor(self.total.unwrap_or(self.amount_due), self.currency.clone())
    }

    /// The amount due as [`Money`].
    pub fn amount_due_money(&self) -> Money {
        Money::from_minor(self.amount_due, self.currency.clone())
    }
}

/// A list answer: `{"object": "list", "data": [...], "has_more": ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct List<T> {
    /// This page's objects.
    pub data: Vec<T>,
    /// Whether more follow (ask with `starting_after=<last id>`).
    #[serde(default)]
    pub has_more: bool,
    /// The list's URL.
    pub url: Option<String>,
}

/// A search answer: `{"object": "search_result", "data", "has_more", "next_page"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SearchResult<T> {
    /// This page's objects.
    pub data: Vec<T>,
    /// Whether more follow (ask with `page=<next_page>`).
    #[serde(default)]
    pub has_more: bool,
    /// The next page's token.
    pub next_page: Option<String>,
    /// The total, when requested.
    pub total_count: Option<u64>,
}
