//! The Stripe client (`StripeClient`) over `dezky_clients::stripe`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/stripe-client.md). Amounts cross as numbers in minor units (exact up
//! to 2^53); Unix times as numbers of seconds.

use std::collections::HashMap;

use dezky_clients::Secret;
use dezky_clients::http::collect_all;
use dezky_clients::stripe::{
    self, CardSummary, Customer, Invoice, Money, NewCustomer, PaymentMethod, SetupIntent,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use serde_json::Value;

use crate::convert;
use crate::error::IntoJs;
use crate::options::{self, Result, invalid, required, text};
use crate::task::call;

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

/// A card for display.
#[napi(object, object_from_js = false)]
pub struct StripeCard {
    /// `pm_...`.
    pub payment_method_id: String,
    /// `visa`, `mastercard`, ...
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// Expiry month, 1–12.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
}

impl From<CardSummary> for StripeCard {
    fn from(c: CardSummary) -> Self {
        StripeCard {
            payment_method_id: c.payment_method_id,
            brand: c.brand,
            last4: c.last4,
            exp_month: c.exp_month,
            exp_year: c.exp_year,
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
            card: CardSummary::from_payment_method(&m).map(StripeCard::from),
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

/// How to reach Stripe.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct StripeClientOptions {
    /// The secret key (`sk_...` or `rk_...`).
    pub secret_key: String,
    /// The API URL (default `https://api.stripe.com`).
    pub base_url: Option<String>,
    /// Time for one attempt (default 30000).
    pub timeout_ms: Option<u32>,
    /// Time to connect (default 5000).
    pub connect_timeout_ms: Option<u32>,
    /// Retries of safe requests (default 2, at most 10).
    pub max_retries: Option<u32>,
}

/// The tenant a customer is created for.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct StripeNewCustomer {
    /// The control plane's tenant id (metadata and idempotency key).
    pub tenant_id: String,
    /// The tenant's slug.
    pub tenant_slug: Option<String>,
    /// The billing name.
    pub name: Option<String>,
    /// The billing email.
    pub email: Option<String>,
}

fn build(options: &Value) -> Result<stripe::StripeClient> {
    let Value::Object(map) = options else {
        return Err(invalid("options", "must be an object"));
    };
    let key = required(map, "secretKey", "options")?;
    let config = options::http_config(map, "options", Some(stripe::DEFAULT_API_URL))?;
    stripe::StripeClient::new(config, Secret::new(key))
}

fn new_customer(value: &Value) -> Result<NewCustomer> {
    let Value::Object(map) = value else {
        return Err(invalid("customer", "must be an object"));
    };
    Ok(NewCustomer {
        tenant_id: required(map, "tenantId", "customer")?,
        tenant_slug: text(map, "tenantSlug", "customer")?,
        name: text(map, "name", "customer")?,
        email: text(map, "email", "customer")?,
    })
}

fn string_arg(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<String> {
    convert::string(value, name).js(env)
}

fn optional_string(
    env: &Env,
    value: Option<&Unknown<'_>>,
    name: &str,
) -> napi::Result<Option<String>> {
    match value {
        Some(v)
            if !convert::is_missing(v) && !matches!(v.get_type(), Ok(napi::ValueType::Null)) =>
        {
            string_arg(env, v, name).map(Some)
        }
        _ => Ok(None),
    }
}

macro_rules! args {
    ($env:expr, $body:block) => {
        match (|| -> napi::Result<_> { $body })() {
            Ok(args) => args,
            Err(e) => return PromiseRaw::reject($env, e),
        }
    };
    ($env:expr, $result:expr) => {
        match $result {
            Ok(args) => args,
            Err(e) => return PromiseRaw::reject($env, e),
        }
    };
}

/// A client of the Stripe API (v1, pinned `Stripe-Version`). Create one per
/// process and share it.
#[napi]
pub struct StripeClient {
    inner: stripe::StripeClient,
}

#[napi]
impl StripeClient {
    /// A client from `options` (`secretKey`, optional `baseUrl`, timeouts,
    /// `maxRetries`). Throws `DEZKY_INVALID_ARGUMENT` or `DEZKY_CONFIG`.
    #[napi(constructor, ts_args_type = "options: StripeClientOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> napi::Result<Self> {
        let value = convert::json(&env, &options, "options").js(&env)?;
        let inner = build(&value).js(&env)?;
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

    /// Creates the tenant's customer under the idempotency key
    /// `tenant:<tenantId>:create-customer`.
    #[napi(
        ts_args_type = "customer: StripeNewCustomer",
        ts_return_type = "Promise<StripeCustomer>"
    )]
    pub fn create_customer<'e>(
        &self,
        env: &'e Env,
        customer: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StripeCustomer>> {
        let new = args!(env, {
            let value = convert::json(env, &customer, "customer").js(env)?;
            new_customer(&value).js(env)
        });
        call!(
            env,
            self.inner,
            |c| async move { c.create_customer(&new).await },
            StripeCustomer::from
        )
    }

    /// The customer `id` (`deleted: true` if it was deleted).
    #[napi(
        ts_args_type = "id: string",
        ts_return_type = "Promise<StripeCustomer>"
    )]
    pub fn retrieve_customer<'e>(
        &self,
        env: &'e Env,
        id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StripeCustomer>> {
        let id = args!(env, string_arg(env, &id, "id"));
        call!(
            env,
            self.inner,
            |c| async move { c.retrieve_customer(&id).await },
            StripeCustomer::from
        )
    }

    /// The stored customer if it still exists, else a new one (idempotent per tenant).
    #[napi(
        ts_args_type = "storedId: string | null | undefined, customer: StripeNewCustomer",
        ts_return_type = "Promise<StripeCustomer>"
    )]
    pub fn ensure_customer<'e>(
        &self,
        env: &'e Env,
        stored_id: Option<Unknown<'_>>,
        customer: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StripeCustomer>> {
        let (stored, new) = args!(env, {
            let stored = optional_string(env, stored_id.as_ref(), "storedId")?;
            let value = convert::json(env, &customer, "customer").js(env)?;
            Ok((stored, new_customer(&value).js(env)?))
        });
        call!(
            env,
            self.inner,
            |c| async move { c.ensure_customer(stored.as_deref(), &new).await },
            StripeCustomer::from
        )
    }

    /// Customers whose `metadata[key]` is `value` (Search API; lags behind writes).
    #[napi(
        ts_args_type = "key: string, value: string",
        ts_return_type = "Promise<StripeCustomer[]>"
    )]
    pub fn search_customers_by_metadata<'e>(
        &self,
        env: &'e Env,
        key: Unknown<'_>,
        value: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<StripeCustomer>>> {
        let (key, value) = args!(env, {
            Ok((
                string_arg(env, &key, "key")?,
                string_arg(env, &value, "value")?,
            ))
        });
        call!(
            env,
            self.inner,
            |c| async move { c.search_customers_by_metadata(&key, &value).await },
            |list: Vec<Customer>| list
                .into_iter()
                .map(StripeCustomer::from)
                .collect::<Vec<_>>()
        )
    }

    /// The tenant's customer by `metadata[tenant_id]` (oldest first), or `null`.
    #[napi(
        ts_args_type = "tenantId: string",
        ts_return_type = "Promise<StripeCustomer | null>"
    )]
    pub fn find_customer_by_tenant<'e>(
        &self,
        env: &'e Env,
        tenant_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<StripeCustomer>>> {
        let tenant = args!(env, string_arg(env, &tenant_id, "tenantId"));
        call!(
            env,
            self.inner,
            |c| async move { c.find_customer_by_tenant(&tenant).await },
            |found: Option<Customer>| found.map(StripeCustomer::from)
        )
    }

    /// Attaches a payment method to a customer.
    #[napi(
        ts_args_type = "customerId: string, paymentMethodId: string",
        ts_return_type = "Promise<StripePaymentMethod>"
    )]
    pub fn attach_payment_method<'e>(
        &self,
        env: &'e Env,
        customer_id: Unknown<'_>,
        payment_method_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StripePaymentMethod>> {
        let (customer, method) = args!(env, {
            Ok((
                string_arg(env, &customer_id, "customerId")?,
                string_arg(env, &payment_method_id, "paymentMethodId")?,
            ))
        });
        call!(
            env,
            self.inner,
            |c| async move { c.attach_payment_method(&customer, &method).await },
            StripePaymentMethod::from
        )
    }

    /// Makes a payment method the customer's default for invoices.
    #[napi(
        ts_args_type = "customerId: string, paymentMethodId: string",
        ts_return_type = "Promise<StripeCustomer>"
    )]
    pub fn set_default_payment_method<'e>(
        &self,
        env: &'e Env,
        customer_id: Unknown<'_>,
        payment_method_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, StripeCustomer>> {
        let (customer, method) = args!(env, {
            Ok((
                string_arg(env, &customer_id, "customerId")?,
                string_arg(env, &payment_method_id, "paymentMethodId")?,
            ))
        });
        call!(
            env,
            self.inner,
            |c| async move { c.set_default_payment_method(&customer, &method).await },
            StripeCustomer::from
        )
    }

    /// A SetupIntent for the card form; `requestId` names the form session
    /// (part of the idempotency key).
    #[napi(
        ts_args_type = "customerId: string, requestId: string, tenantId?: string | null | undefined",
        ts_return_type = "Promise<StripeSetupIntent>"
    )]
    pub fn create_setup_intent<'e>(
        &self,
        env: &'e Env,
        customer_id: Unknown<'_>,
        request_id: Unknown<'_>,
        tenant_id: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'e, StripeSetupIntent>> {
        let (customer, request, tenant) = args!(env, {
            Ok((
                string_arg(env, &customer_id, "customerId")?,
                string_arg(env, &request_id, "requestId")?,
                optional_string(env, tenant_id.as_ref(), "tenantId")?,
            ))
        });
        call!(
            env,
            self.inner,
            |c| async move {
                c.create_setup_intent(&customer, &request, tenant.as_deref())
                    .await
            },
            StripeSetupIntent::from
        )
    }

    /// The customer's default card, or `null`.
    #[napi(
        ts_args_type = "customerId: string",
        ts_return_type = "Promise<StripeCard | null>"
    )]
    pub fn default_card<'e>(
        &self,
        env: &'e Env,
        customer_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Option<StripeCard>>> {
        let customer = args!(env, string_arg(env, &customer_id, "customerId"));
        call!(
            env,
            self.inner,
            |c| async move { c.default_card(&customer).await },
            |card: Option<CardSummary>| card.map(StripeCard::from)
        )
    }

    /// Every invoice of the customer, newest first (all pages).
    #[napi(
        ts_args_type = "customerId: string",
        ts_return_type = "Promise<StripeInvoice[]>"
    )]
    pub fn list_invoices<'e>(
        &self,
        env: &'e Env,
        customer_id: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'e, Vec<StripeInvoice>>> {
        let customer = args!(env, string_arg(env, &customer_id, "customerId"));
        call!(
            env,
            self.inner,
            |c| async move { collect_all(c.invoices(&customer)).await },
            |list: Vec<Invoice>| list
                .into_iter()
                .map(StripeInvoice::from)
                .collect::<Vec<_>>()
        )
    }
}

/// An amount in minor units as a decimal string in major units
/// (`formatMinorUnits(1000, 'eur') === '10.00'`, `(500, 'jpy') === '500'`).
#[napi(ts_args_type = "amount: number, currency: string")]
pub fn format_minor_units(
    env: Env,
    amount: Unknown<'_>,
    currency: Unknown<'_>,
) -> napi::Result<String> {
    let amount = convert::json(&env, &amount, "amount").js(&env)?;
    let currency = string_arg(&env, &currency, "currency")?;
    let result = (|| -> Result<String> {
        let amount = amount
            .as_i64()
            .filter(|v| v.unsigned_abs() <= 9_007_199_254_740_991)
            .ok_or_else(|| {
                invalid(
                    "amount",
                    "must be a whole number of minor units (at most 2^53-1)",
                )
            })?;
        Money::from_minor(amount, stripe::Currency::new(&currency)?).to_major()
    })();
    result.js(&env)
}

/// A decimal string in major units as minor units
/// (`parseMajorUnits('10.5', 'eur') === 1050`); more decimals than the currency has are refused.
#[napi(ts_args_type = "major: string, currency: string")]
pub fn parse_major_units(env: Env, major: Unknown<'_>, currency: Unknown<'_>) -> napi::Result<f64> {
    let major = string_arg(&env, &major, "major")?;
    let currency = string_arg(&env, &currency, "currency")?;
    let result = (|| -> Result<f64> {
        let money = Money::from_major(&major, stripe::Currency::new(&currency)?)?;
        if money.amount.unsigned_abs() > 9_007_199_254_740_991 {
            return Err(invalid("major", "is beyond 2^53-1 minor units"));
        }
        Ok(money.amount as f64)
    })();
    result.js(&env)
}
