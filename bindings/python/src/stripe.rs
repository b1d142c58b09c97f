//! The Stripe client (`StripeClient`) over `dezky_clients::stripe`.
//! Conversion and error mapping only: every rule is in `dezky-clients`
//! (docs/stripe-client.md). Each operation is a coroutine with a blocking
//! `_sync` twin; records are dicts with snake_case keys; amounts are ints in
//! minor units.
//!
//! Stripe's records hold expandable references, open enums and `i64`s; the
//! dicts here flatten them (`customer_id`) as Node's views do. A
//! subscription's dict carries its control-plane snapshot
//! (`Subscription::snapshot().to_document()`) or the refusal naming the
//! field. Webhooks are verified by `verify_stripe_webhook` over the body's
//! bytes.

use std::time::{Duration, SystemTime};

use dezky_clients::Secret;
use dezky_clients::http::collect_all;
use dezky_clients::stripe::{
    self, BillingAddress, BillingDetails, CardSummary, Currency, Customer, Event, EventObject,
    EventOrder, Invoice, Money, NewCustomer, NewSubscription, PaymentMethod, ProrationBehavior,
    SetupIntent, Subscription, SubscriptionItem, TaxId,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyString};
use serde_json::{Value, json};

use crate::convert::{self, Data, data};
use crate::error::{self, IntoPyResult};
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

impl Data for TaxId {
    fn into_value(self) -> Value {
        let t = self;
        json!({
            "id": t.id,
            "type": t.kind,
            "value": t.value,
            "country": t.country,
            "customer": t.customer,
            "verification": t.verification.map(|v| json!({
                "status": v.status.as_str(),
                "verified_name": v.verified_name,
                "verified_address": v.verified_address,
            })),
            "created": t.created,
            "livemode": t.livemode,
        })
    }
}

impl Data for SubscriptionItem {
    fn into_value(self) -> Value {
        let i = self;
        let recurring = i.price.recurring.as_ref();
        json!({
            "interval": recurring.map(|r| r.interval.as_str().to_owned()),
            "interval_count": recurring.and_then(|r| r.interval_count),
            "currency": i.price.currency.as_str(),
            "unit_amount": i.price.unit_amount,
            "price_id": i.price.id,
            "id": i.id,
            "quantity": i.quantity,
            "current_period_start": i.current_period_start,
            "current_period_end": i.current_period_end,
        })
    }
}

impl Data for Subscription {
    fn into_value(self) -> Value {
        let s = self;
        let (snapshot, snapshot_error) = match s.snapshot() {
            Ok(snapshot) => (Value::Object(snapshot.to_document()), None),
            Err(e) => (Value::Null, Some(e.to_string())),
        };
        json!({
            "customer_id": s.customer.id(),
            "status": s.status.as_str(),
            "current_period_start": s.current_period_start(),
            "current_period_end": s.current_period_end(),
            "items": s.items.data.into_value(),
            "id": s.id,
            "cancel_at_period_end": s.cancel_at_period_end,
            "cancel_at": s.cancel_at,
            "canceled_at": s.canceled_at,
            "ended_at": s.ended_at,
            "currency": s.currency.map(String::from),
            "created": s.created,
            "trial_end": s.trial_end,
            "livemode": s.livemode,
            "metadata": s.metadata,
            "snapshot": snapshot,
            "snapshot_error": snapshot_error,
        })
    }
}

impl Data for Event {
    fn into_value(self) -> Value {
        let e = self;
        let (object_type, object) = match e.object {
            EventObject::Subscription(s) => ("subscription", s.into_value()),
            EventObject::Invoice(i) => ("invoice", i.into_value()),
            EventObject::Customer(c) => ("customer", c.into_value()),
            EventObject::Other(value) => ("other", value),
        };
        json!({
            "id": e.id,
            "type": e.kind.as_str(),
            "created": e.created,
            "livemode": e.livemode,
            "api_version": e.api_version,
            "object_type": object_type,
            "object": object,
            "previous_attributes": e.previous_attributes,
        })
    }
}

impl<T: Data> Data for Box<T> {
    fn into_value(self) -> Value {
        (*self).into_value()
    }
}

/// A str or `None` of a dict argument, named `field` in errors.
fn text(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    match value.cast::<PyString>() {
        Ok(s) => Ok(Some(s.to_str()?.to_owned())),
        Err(_) => Err(error::wrong_field_type(field, "a str or None", value)),
    }
}

/// The keys of a dict argument, each with its value; an unknown key is
/// refused naming it (`address.zip`).
fn entries<'py>(
    name: &str,
    prefix: &str,
    allowed: &[&str],
    obj: &Bound<'py, PyAny>,
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| error::wrong_field_type(name, "a dict or None", obj))?;
    let mut out = Vec::new();
    for (k, v) in dict.iter() {
        let Ok(key) = k.cast::<PyString>() else {
            return Err(error::wrong_field_type(name, "a dict with str keys", &k));
        };
        let key = key.to_str()?.to_owned();
        if !allowed.contains(&key.as_str()) {
            return Err(error::invalid_field(
                &format!("{prefix}{key}"),
                format!("is not a field here ({})", allowed.join(", ")),
            ));
        }
        out.push((key, v));
    }
    Ok(out)
}

/// `details` (`{"name", "email", "address": {"line1", "line2",
/// "postal_code", "city", "state", "country"}}`, each optional) as the
/// client's `BillingDetails`; the client checks the values.
fn billing_details(details: &Bound<'_, PyAny>) -> PyResult<BillingDetails> {
    let mut out = BillingDetails::default();
    for (key, value) in entries("details", "", &["name", "email", "address"], details)? {
        match key.as_str() {
            "name" => out.name = text("name", &value)?,
            "email" => out.email = text("email", &value)?,
            _ if value.is_none() => out.address = None,
            _ => {
                let fields = ["line1", "line2", "postal_code", "city", "state", "country"];
                let mut address = BillingAddress::default();
                for (key, value) in entries("address", "address.", &fields, &value)? {
                    let v = text(&format!("address.{key}"), &value)?;
                    match key.as_str() {
                        "line1" => address.line1 = v,
                        "line2" => address.line2 = v,
                        "postal_code" => address.postal_code = v,
                        "city" => address.city = v,
                        "state" => address.state = v,
                        _ => address.country = v,
                    }
                }
                out.address = Some(address);
            }
        }
    }
    Ok(out)
}

/// A whole number of seats (the client checks the maximum).
fn seats(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::wrong_type(name, "an int", value));
    }
    value
        .extract::<u64>()
        .map_err(|_| error::invalid_argument(name, "must be a number of seats from 0"))
}

/// Whole Unix seconds (an int, not a bool).
fn unix_seconds(name: &str, value: &Bound<'_, PyAny>) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::wrong_type(name, "an int (Unix seconds)", value));
    }
    value
        .extract::<i64>()
        .map_err(|_| error::invalid_argument(name, "must be Unix seconds within 64 bits"))
}

fn proration(value: Option<&str>) -> PyResult<ProrationBehavior> {
    match value {
        None | Some("create_prorations") => Ok(ProrationBehavior::CreateProrations),
        Some("always_invoice") => Ok(ProrationBehavior::AlwaysInvoice),
        Some("none") => Ok(ProrationBehavior::None),
        Some(other) => Err(error::invalid_argument(
            "proration",
            format!("{other:?} is not one of create_prorations, always_invoice, none"),
        )),
    }
}

/// Verifies a Stripe webhook and returns its event. `raw_body` is the body's
/// bytes exactly as received (never decoded, parsed and serialised again),
/// `signature_header` the `Stripe-Signature` header, `secret` the endpoint's
/// signing secret (`whsec_...`). Every `v1` is compared in constant time;
/// the timestamp must be within `tolerance` seconds (default 300) of `now`
/// (default the current time). A refusal raises `WebhookSignatureError`
/// (`reason`); a body that is not an event `UpstreamDecodeError`.
#[pyfunction]
#[pyo3(signature = (raw_body: "bytes | bytearray | memoryview", signature_header, secret, *, tolerance: "int | None" = None, now: "datetime | None" = None) -> "_stripe.Event")]
pub(crate) fn verify_stripe_webhook<'py>(
    py: Python<'py>,
    raw_body: &Bound<'py, PyAny>,
    signature_header: &str,
    secret: &str,
    tolerance: Option<&Bound<'py, PyAny>>,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let expected = "bytes (the body as received; not a str)";
    let body: Vec<u8> = if let Ok(bytes) = raw_body.cast::<PyBytes>() {
        bytes.as_bytes().to_vec()
    } else if let Ok(array) = raw_body.cast::<PyByteArray>() {
        array.to_vec()
    } else if raw_body.get_type().name()?.to_str()? == "memoryview" {
        raw_body
            .call_method0("tobytes")?
            .cast::<PyBytes>()?
            .as_bytes()
            .to_vec()
    } else {
        return Err(error::wrong_type("raw_body", expected, raw_body));
    };
    let tolerance = match tolerance.filter(|t| !t.is_none()) {
        None => stripe::DEFAULT_TOLERANCE,
        Some(t) => {
            if t.is_instance_of::<PyBool>() || !t.is_instance_of::<PyInt>() {
                return Err(error::wrong_type("tolerance", "an int (seconds)", t));
            }
            Duration::from_secs(t.extract::<u64>().map_err(|_| {
                error::invalid_argument("tolerance", "must be a whole number of seconds from 0")
            })?)
        }
    };
    let now = match now.filter(|n| !n.is_none()) {
        None => SystemTime::now(),
        Some(n) => convert::instant("now", n)?,
    };
    let event = stripe::verify_webhook(
        &body,
        signature_header,
        &Secret::new(secret),
        now,
        tolerance,
    )
    .py()?;
    data(py, event)
}

/// What to do with a subscription event, given the `created` of the last
/// event applied to the stored snapshot (`None`: nothing stored): `"apply"`
/// (newer: apply it and store its `created`), `"stale"` (older: a late
/// delivery, ignore it) or `"refetch"` (the same second: retrieve the
/// subscription and store that).
#[pyfunction]
#[pyo3(signature = (stored_created: "int | None", incoming_created: "int") -> "_stripe.EventOrder")]
pub(crate) fn order_stripe_event(
    stored_created: Option<&Bound<'_, PyAny>>,
    incoming_created: &Bound<'_, PyAny>,
) -> PyResult<&'static str> {
    let stored = stored_created
        .filter(|v| !v.is_none())
        .map(|v| unix_seconds("stored_created", v))
        .transpose()?;
    let incoming = unix_seconds("incoming_created", incoming_created)?;
    Ok(match stripe::order_event(stored, incoming) {
        EventOrder::Apply => "apply",
        EventOrder::Stale => "stale",
        EventOrder::Refetch => "refetch",
    })
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

        /// Sets the customer's billing name, email and address (keys left out stay as they
        /// are) under the idempotency key `customer:<customer_id>:billing-details:<request_id>`.
        #[pyo3(signature = (customer_id, details: "_stripe.BillingDetails", request_id) -> "_stripe.Customer")]
        fn update_billing_details / update_billing_details_sync(
            customer_id: String,
            details: &Bound<'py, PyAny>,
            request_id: String,
        ) => data {
            let details = billing_details(details)?;
            async move { c.update_billing_details(&customer_id, &details, &request_id).await }
        }

        /// Adds an EU VAT number (normalised: `de 123.456-789` is `DE123456789`; Greece's
        /// prefix is `EL`) under the idempotency key `customer:<customer_id>:tax-id:<request_id>`;
        /// Stripe verifies it later (`verification["status"]` is usually `pending`).
        #[pyo3(signature = (customer_id, value, request_id) -> "_stripe.TaxId")]
        fn add_eu_vat_id / add_eu_vat_id_sync(
            customer_id: String,
            value: String,
            request_id: String,
        ) => data {
            async move { c.add_eu_vat_id(&customer_id, &value, &request_id).await }
        }

        /// Every tax id of the customer, with its verification (all pages).
        #[pyo3(signature = (customer_id) -> "list[_stripe.TaxId]")]
        fn tax_ids / tax_ids_sync(customer_id: String) => data {
            async move { c.tax_ids(&customer_id).await }
        }

        /// Removes a tax id from the customer; one already gone is not an error.
        #[pyo3(signature = (customer_id, tax_id) -> "None")]
        fn delete_tax_id / delete_tax_id_sync(customer_id: String, tax_id: String) => data {
            async move { c.delete_tax_id(&customer_id, &tax_id).await }
        }

        /// Creates a seat subscription (one item: the price, the seats as its quantity,
        /// `metadata[tenant_id]`) under the idempotency key
        /// `customer:<customer_id>:create-subscription:<request_id>`.
        #[pyo3(signature = (customer_id, price_id, seats: "int", request_id, *, tenant_id = None) -> "_stripe.Subscription")]
        fn create_subscription / create_subscription_sync(
            customer_id: String,
            price_id: String,
            seats: &Bound<'py, PyAny>,
            request_id: String,
            tenant_id: Option<String>,
        ) => data {
            let new = NewSubscription {
                seats: self::seats("seats", seats)?,
                customer_id,
                price_id,
                tenant_id,
            };
            async move { c.create_subscription(&new, &request_id).await }
        }

        /// The subscription `id`, with its items and their prices.
        #[pyo3(signature = (id) -> "_stripe.Subscription")]
        fn retrieve_subscription / retrieve_subscription_sync(id: String) => data {
            async move { c.retrieve_subscription(&id).await }
        }

        /// Sets the seats of the subscription's item `item_id` under the idempotency key
        /// `subscription:<subscription_id>:change-seats:<request_id>`; `proration` is
        /// `"create_prorations"` (Stripe's default), `"always_invoice"` or `"none"`.
        #[pyo3(signature = (subscription_id, item_id, seats: "int", request_id, *, proration: "_stripe.ProrationBehavior | None" = None) -> "_stripe.Subscription")]
        fn change_seats / change_seats_sync(
            subscription_id: String,
            item_id: String,
            seats: &Bound<'py, PyAny>,
            request_id: String,
            proration: Option<&str>,
        ) => data {
            let seats = self::seats("seats", seats)?;
            let proration = self::proration(proration)?;
            async move {
                c.change_seats(&subscription_id, &item_id, seats, proration, &request_id).await
            }
        }

        /// Cancels the subscription at the end of its current period (it runs, and is charged,
        /// until then) under the idempotency key
        /// `subscription:<subscription_id>:cancel-at-period-end:<request_id>`.
        #[pyo3(signature = (subscription_id, request_id) -> "_stripe.Subscription")]
        fn cancel_at_period_end / cancel_at_period_end_sync(
            subscription_id: String,
            request_id: String,
        ) => data {
            async move { c.cancel_at_period_end(&subscription_id, &request_id).await }
        }
    }
}
