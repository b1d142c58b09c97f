//! The Stripe client (`StripeClient`) over `dezky_clients::stripe`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/stripe-client.md). Each operation is a coroutine with a blocking
//! `_sync` twin; records are dicts with snake_case keys; amounts are ints in
//! minor units.

use dezky_clients::Secret;
use dezky_clients::http::collect_all;
use dezky_clients::stripe::{
    self, CardSummary, Currency, Customer, Invoice, Money, NewCustomer, PaymentMethod, SetupIntent,
};
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::{Data, data};
use crate::error::IntoPyResult;
use crate::options::{self};
use crate::runtime::client_methods;

impl Data for Customer {
    fn into_value(self) -> Value {
        let c = self;
        json!({
            "default_payment_method_id": c.default_payment_method_id().map(str::to_owned),
            "id": c.id,
            "deleted": c.deleted,
            "email": c.email,
            "name": c.name,
            "metadata": c.metadata,
            "currency": c.currency.map(String::from),
            "balance": c.balance,
            "delinquent": c.delinquent,
            "created": c.created,
            "livemode": c.livemode,
        })
    }
}

impl Data for CardSummary {
    fn into_value(self) -> Value {
        json!({
            "payment_method_id": self.payment_method_id,
            "brand": self.brand,
            "last4": self.last4,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
        })
    }
}

impl Data for PaymentMethod {
    fn into_value(self) -> Value {
        json!({
            "card": CardSummary::from_payment_method(&self).into_value(),
            "customer_id": self.customer.as_ref().map(|c| c.id().to_owned()),
            "id": self.id,
            "type": self.kind,
        })
    }
}

impl Data for SetupIntent {
    fn into_value(self) -> Value {
        let s = self;
        json!({
            "id": s.id,
            "client_secret": s.client_secret.as_ref().map(|c| c.expose().to_owned()),
            "status": s.status.as_str(),
            "usage": s.usage,
            "customer_id": s.customer.as_ref().map(|c| c.id().to_owned()),
            "payment_method_id": s.payment_method.as_ref().map(|p| p.id().to_owned()),
        })
    }
}

impl Data for Invoice {
    fn into_value(self) -> Value {
        let i = self;
        json!({
            "total_major": i.total_money().to_major().ok(),
            "customer_id": i.customer.as_ref().map(|c| c.id().to_owned()),
            "id": i.id,
            "number": i.number,
            "status": i.status.map(|s| s.as_str().to_owned()),
            "currency": i.currency.as_str(),
            "amount_due": i.amount_due,
            "amount_paid": i.amount_paid,
            "amount_remaining": i.amount_remaining,
            "total": i.total,
            "subtotal": i.subtotal,
            "hosted_invoice_url": i.hosted_invoice_url,
            "invoice_pdf": i.invoice_pdf,
            "period_start": i.period_start,
            "period_end": i.period_end,
            "created": i.created,
            "due_date": i.due_date,
        })
    }
}

/// An amount in minor units as a decimal string in major units. Raises `InvalidArgumentError`
/// for currencies with special rules (ISK, HUF, TWD, UGX).
#[pyfunction]
pub(crate) fn format_minor_units(amount: i64, currency: &str) -> PyResult<String> {
    Money::from_minor(amount, Currency::new(currency).py()?)
        .to_major()
        .py()
}

/// A decimal string in major units as minor units; more decimals than the currency has raise
/// `InvalidArgumentError`.
#[pyfunction]
pub(crate) fn parse_major_units(major: &str, currency: &str) -> PyResult<i64> {
    Ok(Money::from_major(major, Currency::new(currency).py()?)
        .py()?
        .amount)
}

/// A client of the Stripe API (v1). Create one per process and share it.
///
/// `base_url` defaults to `https://api.stripe.com`; `timeout` and `connect_timeout` are in
/// seconds.
#[pyclass(name = "StripeClient", module = "dezky._dezky", frozen)]
pub(crate) struct PyStripeClient {
    inner: stripe::StripeClient,
}

fn new_customer(
    tenant_id: String,
    tenant_slug: Option<String>,
    name: Option<String>,
    email: Option<String>,
) -> NewCustomer {
    NewCustomer {
        tenant_id,
        tenant_slug,
        name,
        email,
    }
}

client_methods! {
    impl PyStripeClient {
        #[new]
        #[pyo3(signature = (secret_key, *, base_url = None, timeout = None, connect_timeout = None, max_retries = None))]
        fn new(
            secret_key: &str,
            base_url: Option<&str>,
            timeout: Option<f64>,
            connect_timeout: Option<f64>,
            max_retries: Option<u32>,
        ) -> PyResult<Self> {
            let config = options::http_config(
                base_url.unwrap_or(stripe::DEFAULT_API_URL),
                timeout,
                connect_timeout,
                max_retries,
            )?;
            Ok(PyStripeClient {
                inner: stripe::StripeClient::new(config, Secret::new(secret_key)).py()?,
            })
        }

        /// A client from `STRIPE_SECRET_KEY` and optional `STRIPE_API_URL`,
        /// `STRIPE_TIMEOUT_MS`, `STRIPE_CONNECT_TIMEOUT_MS`, `STRIPE_MAX_RETRIES`;
        /// `ConfigError` without a key.
        #[staticmethod]
        fn from_env() -> PyResult<Self> {
            Ok(PyStripeClient {
                inner: stripe::StripeClient::from_env().py()?,
            })
        }

        /// The pinned `Stripe-Version`.
        #[getter]
        fn api_version(&self) -> &'static str {
            stripe::API_VERSION
        }
    }

    operations(c = self.inner.clone()) {
        /// Creates the tenant's customer (idempotency key
        /// `tenant:<tenant_id>:create-customer`).
        #[pyo3(signature = (tenant_id, *, tenant_slug = None, name = None, email = None) -> "_stripe.Customer")]
        fn create_customer / create_customer_sync(
            tenant_id: String,
            tenant_slug: Option<String>,
            name: Option<String>,
            email: Option<String>,
        ) => data {
            let new = new_customer(tenant_id, tenant_slug, name, email);
            async move { c.create_customer(&new).await }
        }

        /// The customer `id` (`deleted` is true if it was deleted).
        #[pyo3(signature = (id) -> "_stripe.Customer")]
        fn retrieve_customer / retrieve_customer_sync(id: String) => data {
            async move { c.retrieve_customer(&id).await }
        }

        /// The stored customer if it still exists, else a new one (idempotent per tenant).
        #[pyo3(signature = (
            stored_id,
            tenant_id,
            *,
            tenant_slug = None,
            name = None,
            email = None,
        ) -> "_stripe.Customer")]
        fn ensure_customer / ensure_customer_sync(
            stored_id: Option<String>,
            tenant_id: String,
            tenant_slug: Option<String>,
            name: Option<String>,
            email: Option<String>,
        ) => data {
            let new = new_customer(tenant_id, tenant_slug, name, email);
            async move { c.ensure_customer(stored_id.as_deref(), &new).await }
        }

        /// Customers whose `metadata[key]` is `value` (Search API: lags behind writes).
        #[pyo3(signature = (key, value) -> "list[_stripe.Customer]")]
        fn search_customers_by_metadata / search_customers_by_metadata_sync(
            key: String,
            value: String,
        ) => data {
            async move { c.search_customers_by_metadata(&key, &value).await }
        }

        /// The tenant's customer by `metadata[tenant_id]` (the oldest), or `None`.
        #[pyo3(signature = (tenant_id) -> "_stripe.Customer | None")]
        fn find_customer_by_tenant / find_customer_by_tenant_sync(
            tenant_id: String,
        ) => data {
            async move { c.find_customer_by_tenant(&tenant_id).await }
        }

        /// Attaches a payment method to a customer.
        #[pyo3(signature = (customer_id, payment_method_id) -> "_stripe.PaymentMethod")]
        fn attach_payment_method / attach_payment_method_sync(
            customer_id: String,
            payment_method_id: String,
        ) => data {
            async move { c.attach_payment_method(&customer_id, &payment_method_id).await }
        }

        /// Makes a payment method the customer's default for invoices.
        #[pyo3(signature = (customer_id, payment_method_id) -> "_stripe.Customer")]
        fn set_default_payment_method / set_default_payment_method_sync(
            customer_id: String,
            payment_method_id: String,
        ) => data {
            async move { c.set_default_payment_method(&customer_id, &payment_method_id).await }
        }

        /// A SetupIntent for the card form; `request_id` names the form session (part of the
        /// idempotency key).
        #[pyo3(signature = (customer_id, request_id, tenant_id = None) -> "_stripe.SetupIntent")]
        fn create_setup_intent / create_setup_intent_sync(
            customer_id: String,
            request_id: String,
            tenant_id: Option<String>,
        ) => data {
            async move {
                c.create_setup_intent(&customer_id, &request_id, tenant_id.as_deref()).await
            }
        }

        /// The customer's default card, or `None`.
        #[pyo3(signature = (customer_id) -> "_stripe.Card | None")]
        fn default_card / default_card_sync(customer_id: String) => data {
            async move { c.default_card(&customer_id).await }
        }

        /// Every invoice of the customer, newest first (all pages).
        #[pyo3(signature = (customer_id) -> "list[_stripe.Invoice]")]
        fn list_invoices / list_invoices_sync(customer_id: String) => data {
            async move { collect_all(c.invoices(&customer_id)).await }
        }
    }
}
