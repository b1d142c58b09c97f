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
use pyo3::types::{PyDict, PyList};

use crate::error::IntoPyResult;
use crate::options::{self};
use crate::runtime::client_methods;

fn customer_dict(py: Python<'_>, c: Customer) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(
        "default_payment_method_id",
        c.default_payment_method_id().map(str::to_owned),
    )?;
    d.set_item("id", c.id)?;
    d.set_item("deleted", c.deleted)?;
    d.set_item("email", c.email)?;
    d.set_item("name", c.name)?;
    d.set_item("metadata", c.metadata)?;
    d.set_item("currency", c.currency.map(String::from))?;
    d.set_item("balance", c.balance)?;
    d.set_item("delinquent", c.delinquent)?;
    d.set_item("created", c.created)?;
    d.set_item("livemode", c.livemode)?;
    Ok(d)
}

fn customer_any(py: Python<'_>, c: Customer) -> PyResult<Bound<'_, PyAny>> {
    Ok(customer_dict(py, c)?.into_any())
}

fn customers_any(py: Python<'_>, list: Vec<Customer>) -> PyResult<Bound<'_, PyAny>> {
    let out = PyList::empty(py);
    for c in list {
        out.append(customer_dict(py, c)?)?;
    }
    Ok(out.into_any())
}

fn maybe_customer_any(py: Python<'_>, c: Option<Customer>) -> PyResult<Bound<'_, PyAny>> {
    match c {
        Some(c) => customer_any(py, c),
        None => Ok(py.None().into_bound(py)),
    }
}

fn card_dict(py: Python<'_>, c: CardSummary) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("payment_method_id", c.payment_method_id)?;
    d.set_item("brand", c.brand)?;
    d.set_item("last4", c.last4)?;
    d.set_item("exp_month", c.exp_month)?;
    d.set_item("exp_year", c.exp_year)?;
    Ok(d)
}

fn maybe_card_any(py: Python<'_>, c: Option<CardSummary>) -> PyResult<Bound<'_, PyAny>> {
    match c {
        Some(c) => Ok(card_dict(py, c)?.into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

fn payment_method_any(py: Python<'_>, m: PaymentMethod) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    match CardSummary::from_payment_method(&m) {
        Some(card) => d.set_item("card", card_dict(py, card)?)?,
        None => d.set_item("card", py.None())?,
    }
    d.set_item(
        "customer_id",
        m.customer.as_ref().map(|c| c.id().to_owned()),
    )?;
    d.set_item("id", m.id)?;
    d.set_item("type", m.kind)?;
    Ok(d.into_any())
}

fn setup_intent_any(py: Python<'_>, s: SetupIntent) -> PyResult<Bound<'_, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("id", &s.id)?;
    d.set_item(
        "client_secret",
        s.client_secret.as_ref().map(|c| c.expose().to_owned()),
    )?;
    d.set_item("status", s.status.as_str())?;
    d.set_item("usage", s.usage.as_deref())?;
    d.set_item(
        "customer_id",
        s.customer.as_ref().map(|c| c.id().to_owned()),
    )?;
    d.set_item(
        "payment_method_id",
        s.payment_method.as_ref().map(|p| p.id().to_owned()),
    )?;
    Ok(d.into_any())
}

fn invoices_any(py: Python<'_>, list: Vec<Invoice>) -> PyResult<Bound<'_, PyAny>> {
    let out = PyList::empty(py);
    for i in list {
        let d = PyDict::new(py);
        d.set_item("total_major", i.total_money().to_major().ok())?;
        d.set_item(
            "customer_id",
            i.customer.as_ref().map(|c| c.id().to_owned()),
        )?;
        d.set_item("id", i.id)?;
        d.set_item("number", i.number)?;
        d.set_item("status", i.status.map(|s| s.as_str().to_owned()))?;
        d.set_item("currency", i.currency.as_str())?;
        d.set_item("amount_due", i.amount_due)?;
        d.set_item("amount_paid", i.amount_paid)?;
        d.set_item("amount_remaining", i.amount_remaining)?;
        d.set_item("total", i.total)?;
        d.set_item("subtotal", i.subtotal)?;
        d.set_item("hosted_invoice_url", i.hosted_invoice_url)?;
        d.set_item("invoice_pdf", i.invoice_pdf)?;
        d.set_item("period_start", i.period_start)?;
        d.set_item("period_end", i.period_end)?;
        d.set_item("created", i.created)?;
        d.set_item("due_date", i.due_date)?;
        out.append(d)?;
    }
    Ok(out.into_any())
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
        #[pyo3(signature = (tenant_id, *, tenant_slug = None, name = None, email = None))]
        fn create_customer / create_customer_sync(
            tenant_id: String,
            tenant_slug: Option<String>,
            name: Option<String>,
            email: Option<String>,
        ) => customer_any {
            let new = new_customer(tenant_id, tenant_slug, name, email);
            async move { c.create_customer(&new).await }
        }

        /// The customer `id` (`deleted` is true if it was deleted).
        fn retrieve_customer / retrieve_customer_sync(id: String) => customer_any {
            async move { c.retrieve_customer(&id).await }
        }

        /// The stored customer if it still exists, else a new one (idempotent per tenant).
        #[pyo3(signature = (stored_id, tenant_id, *, tenant_slug = None, name = None, email = None))]
        fn ensure_customer / ensure_customer_sync(
            stored_id: Option<String>,
            tenant_id: String,
            tenant_slug: Option<String>,
            name: Option<String>,
            email: Option<String>,
        ) => customer_any {
            let new = new_customer(tenant_id, tenant_slug, name, email);
            async move { c.ensure_customer(stored_id.as_deref(), &new).await }
        }

        /// Customers whose `metadata[key]` is `value` (Search API: lags behind writes).
        fn search_customers_by_metadata / search_customers_by_metadata_sync(
            key: String,
            value: String,
        ) => customers_any {
            async move { c.search_customers_by_metadata(&key, &value).await }
        }

        /// The tenant's customer by `metadata[tenant_id]` (the oldest), or `None`.
        fn find_customer_by_tenant / find_customer_by_tenant_sync(
            tenant_id: String,
        ) => maybe_customer_any {
            async move { c.find_customer_by_tenant(&tenant_id).await }
        }

        /// Attaches a payment method to a customer.
        fn attach_payment_method / attach_payment_method_sync(
            customer_id: String,
            payment_method_id: String,
        ) => payment_method_any {
            async move { c.attach_payment_method(&customer_id, &payment_method_id).await }
        }

        /// Makes a payment method the customer's default for invoices.
        fn set_default_payment_method / set_default_payment_method_sync(
            customer_id: String,
            payment_method_id: String,
        ) => customer_any {
            async move { c.set_default_payment_method(&customer_id, &payment_method_id).await }
        }

        /// A SetupIntent for the card form; `request_id` names the form session (part of the
        /// idempotency key).
        #[pyo3(signature = (customer_id, request_id, tenant_id = None))]
        fn create_setup_intent / create_setup_intent_sync(
            customer_id: String,
            request_id: String,
            tenant_id: Option<String>,
        ) => setup_intent_any {
            async move {
                c.create_setup_intent(&customer_id, &request_id, tenant_id.as_deref()).await
            }
        }

        /// The customer's default card, or `None`.
        fn default_card / default_card_sync(customer_id: String) => maybe_card_any {
            async move { c.default_card(&customer_id).await }
        }

        /// Every invoice of the customer, newest first (all pages).
        fn list_invoices / list_invoices_sync(customer_id: String) => invoices_any {
            async move { collect_all(c.invoices(&customer_id)).await }
        }
    }
}
