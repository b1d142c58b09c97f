//! The Stripe client (`StripeClient`) over `dezky_clients::stripe`.
//! Conversion only: every rule is in `dezky-clients` (docs/stripe-client.md).
//! Arguments are typed (napi refuses a wrong type; `lib/arguments.cjs` names
//! it). Amounts cross as numbers in minor units (exact up to 2^53); Unix times
//! as numbers of seconds.
//!
//! Billing details, tax ids and the proration behaviour are the client
//! crate's own napi types. A subscription, an invoice and a customer are
//! views here: Stripe's records hold expandable references, open enums and
//! `i64`s, which the views flatten (`customerId`) and give as numbers. A
//! subscription's view carries its control-plane snapshot (`snapshot`, in
//! the serde form of `SubscriptionSnapshot`, typed in `lib/index.d.ts`).
//! Webhooks are verified by `verifyStripeWebhook` over the body's bytes.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use dezky_clients::Secret;
use dezky_clients::http::collect_all;
use dezky_clients::stripe::{
    self, BillingDetails as StripeBillingDetails, CardSummary as StripeCard, CardSummary, Customer,
    EventObject, EventOrder, Invoice, Money, NewCustomer as StripeNewCustomer, NewSubscription,
    PaymentMethod, ProrationBehavior, SetupIntent, Subscription, SubscriptionItem,
    TaxId as StripeTaxId,
};
use napi::Env;
use napi::bindgen_prelude::{
    Either, Either4, FromNapiValue, JsObjectValue, JsValue, Object, Uint8Array, Unknown,
};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::convert::Serde;
use crate::error::{IntoJs, invalid_argument};
use crate::options::{
    MAX_SAFE_INTEGER, Result, client_options, invalid, list, new_client, promise_methods, whole,
};
use crate::policy::{Time, instant};

/// A Stripe customer.
#[napi(object, object_from_js = false)]
pub struct StripeCustomer {
    /// `cus_...`.
    pub id: String,
    /// Whether the customer was deleted.
    pub deleted: bool,
    /// Email address.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Metadata (`tenant_id`, `tenant_slug`).
    pub metadata: HashMap<String, String>,
    /// The default payment method's id (`invoice_settings.default_payment_method`).
    pub default_payment_method_id: Option<String>,
    /// Currency (lowercase ISO code), once the customer has one.
    pub currency: Option<String>,
    /// Balance in minor units.
    pub balance: Option<f64>,
    /// Whether a payment is overdue.
    pub delinquent: Option<bool>,
    /// Creation time, Unix seconds.
    pub created: Option<f64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
}

impl From<Customer> for StripeCustomer {
    fn from(c: Customer) -> Self {
        StripeCustomer {
            default_payment_method_id: c.default_payment_method_id().map(str::to_owned),
            id: c.id,
            deleted: c.deleted,
            email: c.email,
            name: c.name,
            metadata: c.metadata.into_iter().collect(),
            currency: c.currency.map(String::from),
            balance: c.balance.map(|v| v as f64),
            delinquent: c.delinquent,
            created: c.created.map(|v| v as f64),
            livemode: c.livemode,
        }
    }
}

/// A payment method.
#[napi(object, object_from_js = false)]
pub struct StripePaymentMethod {
    /// `pm_...`.
    pub id: String,
    /// `card`, `sepa_debit`, ...
    #[napi(js_name = "type")]
    pub kind: Option<String>,
    /// The customer it is attached to.
    pub customer_id: Option<String>,
    /// Card details when it is a card.
    pub card: Option<StripeCard>,
}

impl From<PaymentMethod> for StripePaymentMethod {
    fn from(m: PaymentMethod) -> Self {
        StripePaymentMethod {
            card: CardSummary::from_payment_method(&m),
            customer_id: m.customer.as_ref().map(|c| c.id().to_owned()),
            id: m.id,
            kind: m.kind,
        }
    }
}

/// A SetupIntent for the card form.
#[napi(object, object_from_js = false)]
pub struct StripeSetupIntent {
    /// `seti_...`.
    pub id: String,
    /// The secret for the browser's card form; never log it.
    pub client_secret: Option<String>,
    /// `requires_payment_method`, ..., `succeeded`, `canceled`.
    pub status: String,
    /// `off_session` or `on_session`.
    pub usage: Option<String>,
    /// The customer.
    pub customer_id: Option<String>,
    /// The payment method, once confirmed.
    pub payment_method_id: Option<String>,
}

impl From<SetupIntent> for StripeSetupIntent {
    fn from(s: SetupIntent) -> Self {
        StripeSetupIntent {
            client_secret: s.client_secret.as_ref().map(|c| c.expose().to_owned()),
            status: s.status.as_str().to_owned(),
            customer_id: s.customer.as_ref().map(|c| c.id().to_owned()),
            payment_method_id: s.payment_method.as_ref().map(|p| p.id().to_owned()),
            id: s.id,
            usage: s.usage,
        }
    }
}

/// An invoice. Amounts are in minor units of `currency`.
#[napi(object, object_from_js = false)]
pub struct StripeInvoice {
    /// `in_...`.
    pub id: Option<String>,
    /// The number, once finalized.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    /// Lowercase ISO currency code.
    pub currency: String,
    /// Amount due.
    pub amount_due: f64,
    /// Amount paid.
    pub amount_paid: f64,
    /// Amount remaining.
    pub amount_remaining: f64,
    /// Total.
    pub total: Option<f64>,
    /// Subtotal.
    pub subtotal: Option<f64>,
    /// The total in major units as a decimal string (`"10.00"`); absent for
    /// currencies with special rules.
    pub total_major: Option<String>,
    /// The payment page (absent while draft).
    pub hosted_invoice_url: Option<String>,
    /// The PDF (absent while draft).
    pub invoice_pdf: Option<String>,
    /// Billing period start, Unix seconds.
    pub period_start: Option<f64>,
    /// Billing period end, Unix seconds.
    pub period_end: Option<f64>,
    /// Creation time, Unix seconds.
    pub created: Option<f64>,
    /// Due date, Unix seconds.
    pub due_date: Option<f64>,
    /// The customer.
    pub customer_id: Option<String>,
}

impl From<Invoice> for StripeInvoice {
    fn from(i: Invoice) -> Self {
        StripeInvoice {
            total_major: i.total_money().to_major().ok(),
            customer_id: i.customer.as_ref().map(|c| c.id().to_owned()),
            id: i.id,
            number: i.number,
            status: i.status.map(|s| s.as_str().to_owned()),
            currency: i.currency.as_str().to_owned(),
            amount_due: i.amount_due as f64,
            amount_paid: i.amount_paid as f64,
            amount_remaining: i.amount_remaining as f64,
            total: i.total.map(|v| v as f64),
            subtotal: i.subtotal.map(|v| v as f64),
            hosted_invoice_url: i.hosted_invoice_url,
            invoice_pdf: i.invoice_pdf,
            period_start: i.period_start.map(|v| v as f64),
            period_end: i.period_end.map(|v| v as f64),
            created: i.created.map(|v| v as f64),
            due_date: i.due_date.map(|v| v as f64),
        }
    }
}

/// An item of a subscription: one price and its quantity (the seats).
#[napi(object, object_from_js = false)]
pub struct StripeSubscriptionItem {
    /// `si_...` (what `changeSeats` takes).
    pub id: String,
    /// The price, `price_...`.
    pub price_id: String,
    /// The seats; absent for a metered price.
    pub quantity: Option<f64>,
    /// Per seat, in minor units of `currency`; absent for tiered prices.
    pub unit_amount: Option<f64>,
    /// Lowercase ISO currency code.
    pub currency: String,
    /// `day`, `week`, `month` or `year`; absent for a one-time price.
    pub interval: Option<String>,
    /// Intervals between charges.
    pub interval_count: Option<f64>,
    /// Start of the item's current period, Unix seconds.
    pub current_period_start: Option<f64>,
    /// End of the item's current period, Unix seconds.
    pub current_period_end: Option<f64>,
}

impl From<SubscriptionItem> for StripeSubscriptionItem {
    fn from(i: SubscriptionItem) -> Self {
        let recurring = i.price.recurring.as_ref();
        StripeSubscriptionItem {
            interval: recurring.map(|r| r.interval.as_str().to_owned()),
            interval_count: recurring.and_then(|r| r.interval_count).map(|n| n as f64),
            currency: i.price.currency.as_str().to_owned(),
            unit_amount: i.price.unit_amount.map(|v| v as f64),
            price_id: i.price.id,
            id: i.id,
            quantity: i.quantity.map(|v| v as f64),
            current_period_start: i.current_period_start.map(|v| v as f64),
            current_period_end: i.current_period_end.map(|v| v as f64),
        }
    }
}

/// A subscription (`sub_...`), with its control-plane snapshot.
#[napi(object, object_from_js = false)]
pub struct StripeSubscription {
    /// `sub_...`.
    pub id: String,
    /// The customer, `cus_...`.
    pub customer_id: String,
    /// `active`, `trialing`, `past_due`, `unpaid`, `canceled`, `incomplete`,
    /// `incomplete_expired`, `paused` (open set).
    pub status: String,
    /// Its items (a seat subscription has one).
    pub items: Vec<StripeSubscriptionItem>,
    /// Whether it ends at the end of the current period.
    pub cancel_at_period_end: bool,
    /// When it will be canceled, Unix seconds.
    pub cancel_at: Option<f64>,
    /// When it was canceled, Unix seconds.
    pub canceled_at: Option<f64>,
    /// When it ended, Unix seconds.
    pub ended_at: Option<f64>,
    /// Lowercase ISO currency code.
    pub currency: Option<String>,
    /// Creation time, Unix seconds.
    pub created: Option<f64>,
    /// End of the trial, Unix seconds.
    pub trial_end: Option<f64>,
    /// Start of the current period, Unix seconds (the subscription's, else its first item's).
    pub current_period_start: Option<f64>,
    /// End of the current period, Unix seconds.
    pub current_period_end: Option<f64>,
    /// Live or test mode.
    pub livemode: Option<bool>,
    /// Metadata (`tenant_id`).
    pub metadata: HashMap<String, String>,
    /// The fields of the control plane's subscription document Stripe decides
    /// (`status`, `stripeCustomerId`, `stripeSubscriptionId`, `cycle`,
    /// `currency`, `perSeatAmount`, `seats`), to `$set` on it; absent when
    /// the subscription is not one the record can hold (`snapshotError` says why).
    #[napi(ts_type = "SubscriptionSnapshot")]
    pub snapshot: Option<Serde<Map<String, Value>>>,
    /// Why there is no snapshot: the refusal, naming the field
    /// (`subscription.items[0].price.recurring.interval`); absent with one.
    pub snapshot_error: Option<String>,
}

impl From<Subscription> for StripeSubscription {
    fn from(s: Subscription) -> Self {
        let (snapshot, snapshot_error) = match s.snapshot() {
            Ok(snapshot) => (Some(Serde(snapshot.to_document())), None),
            Err(e) => (None, Some(e.to_string())),
        };
        StripeSubscription {
            customer_id: s.customer.id().to_owned(),
            status: s.status.as_str().to_owned(),
            current_period_start: s.current_period_start().map(|v| v as f64),
            current_period_end: s.current_period_end().map(|v| v as f64),
            items: list(s.items.data),
            id: s.id,
            cancel_at_period_end: s.cancel_at_period_end,
            cancel_at: s.cancel_at.map(|v| v as f64),
            canceled_at: s.canceled_at.map(|v| v as f64),
            ended_at: s.ended_at.map(|v| v as f64),
            currency: s.currency.map(String::from),
            created: s.created.map(|v| v as f64),
            trial_end: s.trial_end.map(|v| v as f64),
            livemode: s.livemode,
            metadata: s.metadata.into_iter().collect(),
            snapshot,
            snapshot_error,
        }
    }
}

/// What a new seat subscription is made of (`NewSubscription` of the client
/// crate, whose `seats` is a `u64`: a number here).
#[napi(object, object_to_js = false)]
pub struct StripeNewSubscription {
    /// The customer, `cus_...`.
    pub customer_id: String,
    /// The recurring price, `price_...`.
    pub price_id: String,
    /// The seats: the item's quantity (0 to 1000000).
    pub seats: f64,
    /// The control plane's tenant id, stored as `metadata[tenant_id]`.
    pub tenant_id: Option<String>,
}

client_options! {
    " How to reach Stripe."
    StripeClientOptions {
        " The secret key (`sk_...` or `rk_...`)."
        secret_key: String,
        " The API URL (default `https://api.stripe.com`)."
        base_url: Option<String>,
    }
}

/// A client of the Stripe API (v1, pinned `Stripe-Version`). Create one per
/// process and share it.
#[napi]
pub struct StripeClient {
    inner: stripe::StripeClient,
}

#[napi]
impl StripeClient {
    /// A client from `options`. Throws `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG`.
    #[napi(constructor)]
    pub fn new(env: Env, options: StripeClientOptions) -> napi::Result<Self> {
        let o = options;
        let base_url = o.base_url.as_deref().unwrap_or(stripe::DEFAULT_API_URL);
        let inner = new_client(&env, o.http_config(base_url), |config| {
            stripe::StripeClient::new(config, Secret::new(o.secret_key))
        })?;
        Ok(StripeClient { inner })
    }

    /// A client from `STRIPE_SECRET_KEY` and optional `STRIPE_API_URL`
    /// (default `https://api.stripe.com`), `STRIPE_TIMEOUT_MS`,
    /// `STRIPE_CONNECT_TIMEOUT_MS`, `STRIPE_MAX_RETRIES`.
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        let inner = stripe::StripeClient::from_env().js(&env)?;
        Ok(StripeClient { inner })
    }

    /// The pinned `Stripe-Version`.
    #[napi(getter)]
    pub fn api_version(&self) -> &'static str {
        stripe::API_VERSION
    }
}

promise_methods!(StripeClient(stripe::StripeClient) {
    " Creates the tenant's customer under the idempotency key"
    " `tenant:<tenantId>:create-customer`."
    fn create_customer(customer: StripeNewCustomer) -> StripeCustomer
        |c| c.create_customer(&customer).await;

    " The customer `id` (`deleted: true` if it was deleted)."
    fn retrieve_customer(id: String) -> StripeCustomer |c| c.retrieve_customer(&id).await;

    " The stored customer if it still exists, else a new one (idempotent per tenant)."
    fn ensure_customer(stored_id: Option<String>, customer: StripeNewCustomer) -> StripeCustomer
        |c| c.ensure_customer(stored_id.as_deref(), &customer).await;

    " Customers whose `metadata[key]` is `value` (Search API; lags behind writes)."
    fn search_customers_by_metadata(key: String, value: String) -> Vec<StripeCustomer>
        |c| c.search_customers_by_metadata(&key, &value).await.map(list);

    " The tenant's customer by `metadata[tenant_id]` (oldest first), or `null`."
    fn find_customer_by_tenant(tenant_id: String) -> Option<StripeCustomer>
        |c| c.find_customer_by_tenant(&tenant_id).await.map(|c| c.map(Into::into));

    " Attaches a payment method to a customer."
    fn attach_payment_method(customer_id: String, payment_method_id: String) -> StripePaymentMethod
        |c| c.attach_payment_method(&customer_id, &payment_method_id).await;

    " Makes a payment method the customer's default for invoices."
    fn set_default_payment_method(customer_id: String, payment_method_id: String) -> StripeCustomer
        |c| c.set_default_payment_method(&customer_id, &payment_method_id).await;

    " A SetupIntent for the card form; `requestId` names the form session"
    " (part of the idempotency key)."
    fn create_setup_intent(
        customer_id: String,
        request_id: String,
        tenant_id: Option<String>,
    ) -> StripeSetupIntent
        |c| c.create_setup_intent(&customer_id, &request_id, tenant_id.as_deref()).await;

    " The customer's default card, or `null`."
    fn default_card(customer_id: String) -> Option<StripeCard>
        |c| c.default_card(&customer_id).await;

    " Every invoice of the customer, newest first (all pages)."
    fn list_invoices(customer_id: String) -> Vec<StripeInvoice>
        |c| collect_all(c.invoices(&customer_id)).await.map(list);

    " Sets the customer's billing name, email and address (fields left out"
    " stay as they are), under the idempotency key"
    " `customer:<customerId>:billing-details:<requestId>`."
    fn update_billing_details(
        customer_id: String,
        details: StripeBillingDetails,
        request_id: String,
    ) -> StripeCustomer
        |c| c.update_billing_details(&customer_id, &details, &request_id).await;

    " Adds an EU VAT number (normalised: `de 123.456-789` is `DE123456789`;"
    " Greece's prefix is `EL`) under the idempotency key"
    " `customer:<customerId>:tax-id:<requestId>`; Stripe verifies it later"
    " (`verification.status` is usually `pending`)."
    fn add_eu_vat_id(customer_id: String, value: String, request_id: String) -> StripeTaxId
        |c| c.add_eu_vat_id(&customer_id, &value, &request_id).await;

    " Every tax id of the customer, with its verification (all pages)."
    fn tax_ids(customer_id: String) -> Vec<StripeTaxId> |c| c.tax_ids(&customer_id).await;

    " Removes a tax id from the customer; one already gone is not an error."
    fn delete_tax_id(customer_id: String, tax_id: String) -> ()
        |c| c.delete_tax_id(&customer_id, &tax_id).await;

    " Creates a seat subscription (one item: the price, the seats as its"
    " quantity, `metadata[tenant_id]`) under the idempotency key"
    " `customer:<customerId>:create-subscription:<requestId>`."
    fn create_subscription(
        subscription: StripeNewSubscription,
        request_id: String,
    ) -> StripeSubscription
        {
            let new = NewSubscription {
                seats: whole(subscription.seats, "subscription.seats", MAX_SAFE_INTEGER)?,
                customer_id: subscription.customer_id,
                price_id: subscription.price_id,
                tenant_id: subscription.tenant_id,
            };
        }
        |c| c.create_subscription(&new, &request_id).await;

    " The subscription `id`, with its items and their prices."
    fn retrieve_subscription(id: String) -> StripeSubscription
        |c| c.retrieve_subscription(&id).await;

    " Sets the seats of the subscription's item `itemId` under the idempotency"
    " key `subscription:<subscriptionId>:change-seats:<requestId>`;"
    " `proration` defaults to `create_prorations` (Stripe's default)."
    fn change_seats(
        subscription_id: String,
        item_id: String,
        seats: f64,
        request_id: String,
        proration: Option<ProrationBehavior>,
    ) -> StripeSubscription
        { let seats = whole(seats, "seats", MAX_SAFE_INTEGER)?; }
        |c| c.change_seats(
            &subscription_id,
            &item_id,
            seats,
            proration.unwrap_or_default(),
            &request_id,
        ).await;

    " Cancels the subscription at the end of its current period (it runs, and"
    " is charged, until then) under the idempotency key"
    " `subscription:<subscriptionId>:cancel-at-period-end:<requestId>`."
    fn cancel_at_period_end(subscription_id: String, request_id: String) -> StripeSubscription
        |c| c.cancel_at_period_end(&subscription_id, &request_id).await;
});

/// An amount in minor units as a decimal string in major units
/// (`formatMinorUnits(1000, 'eur') === '10.00'`, `(500, 'jpy') === '500'`).
#[napi]
pub fn format_minor_units(env: Env, amount: f64, currency: String) -> napi::Result<String> {
    let result = (|| -> Result<String> {
        if amount.fract() != 0.0 || amount.abs() > MAX_SAFE_INTEGER as f64 {
            let reason = "must be a whole number of minor units (at most 2^53-1)";
            return Err(invalid("amount", reason));
        }
        Money::from_minor(amount as i64, stripe::Currency::new(&currency)?).to_major()
    })();
    result.js(&env)
}

/// A decimal string in major units as minor units
/// (`parseMajorUnits('10.5', 'eur') === 1050`); more decimals than the currency has are refused.
#[napi]
pub fn parse_major_units(env: Env, major: String, currency: String) -> napi::Result<f64> {
    let result = (|| -> Result<f64> {
        let money = Money::from_major(&major, stripe::Currency::new(&currency)?)?;
        if money.amount.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(invalid("major", "is beyond 2^53-1 minor units"));
        }
        Ok(money.amount as f64)
    })();
    result.js(&env)
}

/// A verified Stripe webhook event. `object` is typed by `objectType`:
/// `subscription` for `customer.subscription.created` / `updated` /
/// `deleted`, `invoice` for `invoice.paid` / `invoice.payment_failed`,
/// `customer` for `customer.updated`, and for any other type (`other`) the
/// object as Stripe sent it.
#[napi(object, object_from_js = false)]
pub struct StripeEvent {
    /// `evt_...`: the key to de-duplicate deliveries by.
    pub id: String,
    /// The event type (`customer.subscription.updated`, ...; open set).
    #[napi(js_name = "type")]
    pub kind: String,
    /// When it happened, Unix seconds: the order of one object's events
    /// (`orderStripeEvent`).
    pub created: f64,
    /// Live or test mode.
    pub livemode: bool,
    /// The API version the object is rendered in.
    pub api_version: Option<String>,
    /// What `object` is.
    #[napi(ts_type = "'subscription' | 'invoice' | 'customer' | 'other'")]
    pub object_type: String,
    /// The object: a subscription with its snapshot, an invoice, a customer,
    /// or the object as sent.
    #[napi(
        ts_type = "StripeSubscription | StripeInvoice | StripeCustomer | Record<string, unknown>"
    )]
    pub object: Either4<StripeSubscription, StripeInvoice, StripeCustomer, Serde<Value>>,
    /// For `*.updated`, the changed fields' previous values.
    #[napi(ts_type = "Record<string, unknown>")]
    pub previous_attributes: Option<Serde<Value>>,
}

impl From<stripe::Event> for StripeEvent {
    fn from(e: stripe::Event) -> Self {
        let (object_type, object) = match e.object {
            EventObject::Subscription(s) => ("subscription", Either4::A((*s).into())),
            EventObject::Invoice(i) => ("invoice", Either4::B((*i).into())),
            EventObject::Customer(c) => ("customer", Either4::C((*c).into())),
            EventObject::Other(value) => ("other", Either4::D(Serde(value))),
        };
        StripeEvent {
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            created: e.created as f64,
            livemode: e.livemode,
            api_version: e.api_version,
            object_type: object_type.to_owned(),
            object,
            previous_attributes: e.previous_attributes.map(Serde),
        }
    }
}

/// The options of `verifyStripeWebhook`: the tolerance in seconds (default
/// 300) and the time to check against (default now). Refusals name the
/// option (`options.tolerance`), as the records' fields are named.
fn webhook_options(
    options: Option<Unknown<'_>>,
) -> std::result::Result<(SystemTime, Duration), dezky_core::Error> {
    let mut now = SystemTime::now();
    let mut tolerance = stripe::DEFAULT_TOLERANCE;
    let refuse = |field: &str, reason: &str| dezky_core::Error::Invalid {
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    let options = match options.as_ref().map(|o| (o, o.get_type())) {
        None | Some((_, Ok(napi::ValueType::Undefined | napi::ValueType::Null))) => {
            return Ok((now, tolerance));
        }
        Some((o, Ok(napi::ValueType::Object))) if !o.is_array().unwrap_or(false) => {
            Object::from_unknown(*o).map_err(|e| refuse("options", &e.reason))?
        }
        Some(_) => return Err(refuse("options", "must be an object")),
    };
    let fail = |name: &str, e: napi::Error| refuse(name, &e.reason);
    let names = options
        .get_property_names()
        .map_err(|e| fail("options", e))?;
    let count = names.get_array_length().map_err(|e| fail("options", e))?;
    for i in 0..count {
        let name: String = names.get_element(i).map_err(|e| fail("options", e))?;
        let field = format!("options.{name}");
        let value: Unknown<'_> = options
            .get_named_property(&name)
            .map_err(|e| fail(&field, e))?;
        if matches!(
            value.get_type(),
            Ok(napi::ValueType::Undefined | napi::ValueType::Null)
        ) {
            continue;
        }
        match name.as_str() {
            "tolerance" => {
                let seconds = Some(value)
                    .filter(|v| v.get_type().ok() == Some(napi::ValueType::Number))
                    .and_then(|v| f64::from_unknown(v).ok())
                    .filter(|s| s.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(s))
                    .ok_or_else(|| refuse(&field, "must be a whole number of seconds"))?;
                tolerance = Duration::from_secs(seconds as u64);
            }
            "now" => {
                let reason = "must be a time from 1970 to 9999: milliseconds since the epoch or a valid Date";
                let time = Time::from_unknown(value).map_err(|_| refuse(&field, reason))?;
                now = instant(&time, &field).map_err(|_| refuse(&field, reason))?;
            }
            _ => {
                return Err(refuse(&field, "is not an option (tolerance, now)"));
            }
        }
    }
    Ok((now, tolerance))
}

/// Verifies a Stripe webhook and returns its event. `rawBody` is the body
/// exactly as received (a `Buffer`, or its text if nothing re-encoded it;
/// never JSON parsed and serialised again), `signatureHeader` the
/// `Stripe-Signature` header, `secret` the endpoint's signing secret
/// (`whsec_...`). Every `v1` signature is compared in constant time; the
/// timestamp must be within `options.tolerance` seconds of `options.now`
/// (default 300 s of now, both ways). A refusal is `DEZKY_WEBHOOK_SIGNATURE`
/// with `reason` (answer 400, do not act); a body that is not an event is
/// `DEZKY_UPSTREAM_DECODE`; an empty secret `DEZKY_INVALID_ARGUMENT`.
#[napi(
    ts_args_type = "rawBody: Uint8Array | string, signatureHeader: string, secret: string, options?: { tolerance?: number; now?: number | Date } | null"
)]
pub fn verify_stripe_webhook(
    env: Env,
    raw_body: Either<Uint8Array, String>,
    signature_header: String,
    secret: String,
    options: Option<Unknown<'_>>,
) -> napi::Result<StripeEvent> {
    let (now, tolerance) = webhook_options(options).js(&env)?;
    let body: &[u8] = match &raw_body {
        Either::A(bytes) => bytes,
        Either::B(text) => text.as_bytes(),
    };
    stripe::verify_webhook(
        body,
        &signature_header,
        &Secret::new(secret),
        now,
        tolerance,
    )
    .map(StripeEvent::from)
    .js(&env)
}

/// What to do with a subscription event, given the `created` of the last
/// event applied to the stored snapshot (`null`: nothing stored): `apply`
/// (newer: apply it and store its `created`), `stale` (older: a late
/// delivery, ignore it) or `refetch` (the same second: retrieve the
/// subscription and store that).
#[napi]
pub fn order_stripe_event(
    env: Env,
    stored_created: Option<f64>,
    incoming_created: f64,
) -> napi::Result<EventOrder> {
    let seconds = |value: f64, name: &str| {
        if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER as f64 {
            Ok(value as i64)
        } else {
            Err(invalid_argument(name, "must be whole Unix seconds"))
        }
    };
    let stored = stored_created
        .map(|v| seconds(v, "storedCreated"))
        .transpose()
        .js(&env)?;
    let incoming = seconds(incoming_created, "incomingCreated").js(&env)?;
    Ok(stripe::order_event(stored, incoming))
}
