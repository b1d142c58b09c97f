//! The Stripe client (`StripeClient`) over `dezky_clients::stripe`.
//! Conversion only: every rule is in `dezky-clients` (docs/stripe-client.md).
//! Arguments are typed (napi refuses a wrong type; `lib/arguments.cjs` names
//! it). Amounts cross as numbers in minor units (exact up to 2^53); Unix times
//! as numbers of seconds.

use std::collections::HashMap;

use dezky_clients::Secret;
use dezky_clients::http::collect_all;
use dezky_clients::stripe::{
    self, CardSummary as StripeCard, CardSummary, Customer, Invoice, Money,
    NewCustomer as StripeNewCustomer, PaymentMethod, SetupIntent,
};
use napi::Env;
use napi_derive::napi;

use crate::error::IntoJs;
use crate::options::{
    MAX_SAFE_INTEGER, Result, client_options, invalid, list, new_client, promise_methods,
};

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
