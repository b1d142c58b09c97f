//! The Stripe client of the control plane: a customer per tenant, the
//! SetupIntent behind the portal's card form, the default card, the default
//! payment method, the invoice history, billing details and EU VAT ids, seat
//! subscriptions ([`billing`]) and signed webhooks ([`webhook`]) (Stripe API v1).
//!
//! Every request carries the pinned [`API_VERSION`] in `Stripe-Version`; POSTs
//! carry an `Idempotency-Key` derived from the operation, so that a retry (by
//! the HTTP layer or by the caller after a crash) cannot act twice. Request
//! bodies use Stripe's bracketed form encoding ([`form`]); amounts are
//! [`Money`] in minor units.

// `#[napi(object)]` (with the `napi` feature) expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

pub mod billing;
pub mod form;
pub mod money;
pub mod types;
pub mod webhook;

use futures_util::Stream;
use reqwest::header::HeaderMap;
use serde::Serialize;
use std::collections::BTreeMap;

pub use billing::{
    BillingAddress, BillingDetails, NewSubscription, Price, ProrationBehavior, Recurring,
    RecurringInterval, Subscription, SubscriptionItem, SubscriptionSnapshot, SubscriptionStatus,
    TaxId, TaxIdVerification, TaxIdVerificationStatus, normalize_eu_vat,
};
pub use money::{Currency, Money};
pub use types::{
    Address, AutomaticPaymentMethods, CardDetails, CardSummary, Customer, Expandable, HasId,
    Invoice, InvoiceLine, InvoiceSettings, InvoiceStatus, List, PaymentMethod, SearchResult,
    SetupIntent, SetupIntentStatus, StripeApiError, StripeErrorType,
};
pub use webhook::{
    DEFAULT_TOLERANCE, Event, EventObject, EventOrder, EventType, SignatureRefusal, is_newer,
    order_event, parse_event, verify_signature, verify_webhook,
};

use crate::error::{Error, FieldError, Result, UpstreamError, UpstreamKind};
use crate::http::{Auth, HttpClient, HttpConfig, Page, Response, Service, clip, paginate, segment};
use crate::secret::Secret;

/// The `Stripe-Version` sent with every request. Changing it is a reviewed
/// change: named releases break request and response shapes.
pub const API_VERSION: &str = "2026-06-24.dahlia";

/// The default base URL.
pub const DEFAULT_API_URL: &str = "https://api.stripe.com";

/// Page size for listings (Stripe's maximum).
const PAGE_LIMIT: &str = "100";

/// Stripe's metadata limits.
const METADATA_KEY_MAX: usize = 40;
const METADATA_VALUE_MAX: usize = 500;
const IDEMPOTENCY_KEY_MAX: usize = 255;

/// The [`Service`] description of Stripe: its error object and retry rule.
/// It knows the secret key only to cut it out of error messages (Stripe
/// masks keys it quotes; mocks may not).
#[derive(Debug, Clone, Default)]
pub struct StripeService {
    key: Option<Secret>,
}

impl StripeService {
    /// The service for a client using `key`.
    pub fn new(key: Secret) -> Self {
        StripeService { key: Some(key) }
    }
}

impl Service for StripeService {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn decode_error(&self, body: &[u8], error: &mut UpstreamError) {
        decode_stripe_error(body, error);
        if let Some(key) = self
            .key
            .as_ref()
            .map(Secret::expose)
            .filter(|k| !k.is_empty())
        {
            if let Some(message) = &mut error.message {
                *message = message.replace(key, "***");
            }
            for field in &mut error.fields {
                for message in &mut field.messages {
                    *message = message.replace(key, "***");
                }
            }
        }
    }

    /// Stripe's rule: `Stripe-Should-Retry` decides when present; otherwise
    /// 409, 429 and every 5xx are retried (only requests safe to repeat,
    /// which for POST means one with an idempotency key).
    fn is_retryable(&self, status: u16, headers: &HeaderMap) -> bool {
        match headers
            .get("stripe-should-retry")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
        {
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            _ => status == 409 || status == 429 || status >= 500,
        }
    }
}

#[derive(serde::Deserialize)]
struct ErrorEnvelope {
    error: StripeApiError,
}

/// Parses the `{"error": {...}}` body of a Stripe error answer.
pub fn parse_error_body(body: &[u8]) -> Option<StripeApiError> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error)
}

/// Fills an [`UpstreamError`] from a Stripe error body:
/// - `upstream_code`: `code`, else the `type` (`card_declined`, `idempotency_error`);
/// - `message`: Stripe's message, followed by `[type: ..., decline_code: ...,
///   request_log_url: ...]` for the members that have no field of their own;
/// - `fields`: `param` with the message;
/// - `kind`: a `card_error` (or any 402) is `PaymentFailed`; an
///   `idempotency_error` is `Rejected`; `resource_already_exists` is
///   `AlreadyExists`; another 409 (a lock on the object) and a 424 are
///   `Unavailable`; the rest follows the status.
pub fn decode_stripe_error(body: &[u8], error: &mut UpstreamError) {
    if error.status == 409 || error.status == 424 {
        error.kind = UpstreamKind::Unavailable;
    }
    let Some(stripe) = parse_error_body(body) else {
        return;
    };
    error.upstream_code = stripe
        .code
        .clone()
        .or_else(|| Some(stripe.kind.as_str().to_owned()));
    error
        .details
        .insert("type".into(), stripe.kind.as_str().to_owned());
    for (name, value) in [
        ("decline_code", &stripe.decline_code),
        ("advice_code", &stripe.advice_code),
        ("request_log_url", &stripe.request_log_url),
    ] {
        if let Some(value) = value {
            error.details.insert(name.into(), clip(value));
        }
    }
    error.message = stripe.message.as_deref().map(clip);
    if let Some(param) = &stripe.param {
        error.fields = vec![FieldError {
            field: param.clone(),
            messages: stripe.message.iter().map(|m| clip(m)).collect(),
        }];
    }
    error.kind = match (&stripe.kind, stripe.code.as_deref()) {
        (StripeErrorType::CardError, _) => UpstreamKind::PaymentFailed,
        _ if error.status == 402 => UpstreamKind::PaymentFailed,
        (StripeErrorType::IdempotencyError, _) => UpstreamKind::Rejected,
        (_, Some("resource_already_exists")) => UpstreamKind::AlreadyExists,
        (_, Some("resource_missing")) if error.status == 404 => UpstreamKind::NotFound,
        _ => error.kind,
    };
}

/// What identifies a tenant's customer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, js_name = "StripeNewCustomer")
)]
pub struct NewCustomer {
    /// The control plane's tenant id (stored as `metadata[tenant_id]`, and
    /// the base of the idempotency key).
    pub tenant_id: String,
    /// The tenant's slug (`metadata[tenant_slug]`).
    pub tenant_slug: Option<String>,
    /// The billing name.
    pub name: Option<String>,
    /// The billing email.
    pub email: Option<String>,
}

#[derive(Serialize)]
struct CreateCustomerParams<'a> {
    name: Option<&'a str>,
    email: Option<&'a str>,
    metadata: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct UpdateDefaultPaymentMethod<'a> {
    invoice_settings: InvoiceSettingsParams<'a>,
}

#[derive(Serialize)]
struct InvoiceSettingsParams<'a> {
    default_payment_method: &'a str,
}

#[derive(Serialize)]
struct CreateSetupIntentParams<'a> {
    customer: &'a str,
    usage: &'a str,
    automatic_payment_methods: AutomaticPaymentMethodsParams,
    metadata: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct AutomaticPaymentMethodsParams {
    enabled: bool,
    allow_redirects: &'static str,
}

#[derive(Serialize)]
struct AttachParams<'a> {
    customer: &'a str,
}

/// The idempotency key of a tenant's customer creation.
pub fn create_customer_key(tenant_id: &str) -> String {
    format!("tenant:{tenant_id}:create-customer")
}

/// The idempotency key of setting `payment_method` as a customer's default.
pub fn default_payment_method_key(customer_id: &str, payment_method: &str) -> String {
    format!("customer:{customer_id}:default-payment-method:{payment_method}")
}

/// The idempotency key of a SetupIntent for one card-form session.
pub fn setup_intent_key(customer_id: &str, request_id: &str) -> String {
    format!("customer:{customer_id}:setup-intent:{request_id}")
}

/// The idempotency key of attaching a payment method.
pub fn attach_key(customer_id: &str, payment_method: &str) -> String {
    format!("customer:{customer_id}:attach:{payment_method}")
}

fn check_id(field: &str, value: &str, prefix: &str) -> Result<()> {
    if value.is_empty() || value.len() > 255 {
        return Err(Error::invalid(field, "must be 1 to 255 characters"));
    }
    if !value.starts_with(prefix)
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(Error::invalid(
            field,
            format!("is not a Stripe id starting with {prefix:?}"),
        ));
    }
    Ok(())
}

fn check_key(field: &str, key: &str) -> Result<()> {
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || key.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("the idempotency key must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters"),
        ));
    }
    Ok(())
}

fn check_metadata(key: &str, value: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > METADATA_KEY_MAX || key.contains(['[', ']']) {
        return Err(Error::invalid(
            "metadata",
            format!("key {key:?} must be 1 to {METADATA_KEY_MAX} characters without brackets"),
        ));
    }
    if value.chars().count() > METADATA_VALUE_MAX {
        return Err(Error::invalid(
            format!("metadata.{key}"),
            format!("values are limited to {METADATA_VALUE_MAX} characters"),
        ));
    }
    Ok(())
}

/// Quotes a value for Stripe's search language: `'...'` with `\'` and `\\` escaped.
fn search_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The Stripe API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: HttpClient,
}

impl StripeClient {
    /// A client for `config.base_url` (`https://api.stripe.com`, or a mock)
    /// with the secret key `sk_...` / `rk_...`.
    pub fn new(config: HttpConfig, secret_key: Secret) -> Result<Self> {
        if secret_key.expose().trim().is_empty() {
            return Err(Error::Config {
                field: "STRIPE_SECRET_KEY".into(),
                reason: "is empty".into(),
            });
        }
        Ok(StripeClient {
            http: HttpClient::new(
                config,
                Auth::StripeKey(secret_key.clone()),
                StripeService::new(secret_key),
            )?,
        })
    }

    /// Reads `STRIPE_SECRET_KEY` (required), `STRIPE_API_URL` (default
    /// `https://api.stripe.com`), and the optional `STRIPE_TIMEOUT_MS`,
    /// `STRIPE_CONNECT_TIMEOUT_MS` and `STRIPE_MAX_RETRIES`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`StripeClient::from_env`] over any lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let key = lookup("STRIPE_SECRET_KEY")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::Config {
                field: "STRIPE_SECRET_KEY".into(),
                reason: "is not set".into(),
            })?;
        let config = HttpConfig::from_lookup("STRIPE", |name| {
            let value = lookup(name);
            if name == "STRIPE_API_URL" {
                value
                    .filter(|v| !v.trim().is_empty())
                    .or_else(|| Some(DEFAULT_API_URL.to_owned()))
            } else {
                value
            }
        })?;
        Self::new(config, Secret::new(key.trim()))
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T> {
        self.http
            .get(path)
            .header("Stripe-Version", API_VERSION)
            .query_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .send_json()
            .await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &impl Serialize,
        idempotency_key: &str,
    ) -> Result<T> {
        check_key("idempotency_key", idempotency_key)?;
        let pairs = form::encode(params)?;
        let response: Response = self
            .http
            .post(path)
            .header("Stripe-Version", API_VERSION)
            .idempotency_key(idempotency_key)
            .form(pairs)
            .send()
            .await?;
        response.json()
    }

    /// Creates the tenant's customer with `metadata[tenant_id]` (and
    /// `metadata[tenant_slug]`), under the idempotency key
    /// `tenant:<tenant_id>:create-customer`: calling it again for the same
    /// tenant within 24 hours returns the same customer instead of a second.
    pub async fn create_customer(&self, new: &NewCustomer) -> Result<Customer> {
        self.create_customer_with_key(new, &create_customer_key(new.tenant_id.trim()))
            .await
    }

    /// [`StripeClient::create_customer`] under the idempotency key
    /// `idempotency_key` instead of `tenant:<tenant_id>:create-customer` (the
    /// provisioning adapter uses the control plane's key, so that its creates
    /// and the control plane's are one). A second call with the same key
    /// within 24 hours returns the first customer.
    pub async fn create_customer_with_key(
        &self,
        new: &NewCustomer,
        idempotency_key: &str,
    ) -> Result<Customer> {
        let tenant_id = new.tenant_id.trim();
        if tenant_id.is_empty() {
            return Err(Error::invalid("tenant_id", "must not be empty"));
        }
        let mut metadata = BTreeMap::from([("tenant_id", tenant_id)]);
        if let Some(slug) = new.tenant_slug.as_deref() {
            metadata.insert("tenant_slug", slug);
        }
        for (key, value) in &metadata {
            check_metadata(key, value)?;
        }
        let params = CreateCustomerParams {
            name: new.name.as_deref(),
            email: new.email.as_deref(),
            metadata,
        };
        self.post("/v1/customers", &params, idempotency_key).await
    }

    /// Deletes the customer `id` (Stripe cancels its subscriptions at once).
    /// A customer that no longer exists, or was deleted before, is not an
    /// error: the result is the same.
    pub async fn delete_customer(&self, id: &str) -> Result<()> {
        check_id("customer_id", id, "cus_")?;
        let result = self
            .http
            .delete(&format!("/v1/customers/{}", segment(id)))
            .header("Stripe-Version", API_VERSION)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The customer `id`. A deleted customer is returned with `deleted: true`.
    pub async fn retrieve_customer(&self, id: &str) -> Result<Customer> {
        check_id("customer_id", id, "cus_")?;
        self.get(&format!("/v1/customers/{}", segment(id)), &[])
            .await
    }

    /// The tenant's customer: the stored id when there is one (and the
    /// customer still exists), else a new one created with the tenant's
    /// idempotency key. The caller stores the returned id; Stripe's id is
    /// the source of truth, search is not used here (it lags behind writes).
    pub async fn ensure_customer(
        &self,
        stored_id: Option<&str>,
        new: &NewCustomer,
    ) -> Result<Customer> {
        if let Some(id) = stored_id {
            match self.retrieve_customer(id).await {
                Ok(customer) if !customer.deleted => return Ok(customer),
                Ok(_) => {}
                Err(Error::Upstream(e)) if e.kind == UpstreamKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        self.create_customer(new).await
    }

    /// Customers whose `metadata[key]` is `value`, through the Search API
    /// (all pages). Search is eventually consistent (usually within a
    /// minute): use it to reconcile, not to read back a customer just created.
    pub async fn search_customers_by_metadata(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<Customer>> {
        check_metadata(key, value)?;
        if key.contains(['\'', '\\']) {
            return Err(Error::invalid("metadata", "keys cannot hold quotes"));
        }
        let query = format!("metadata['{key}']:{}", search_literal(value));
        let stream = paginate(None::<String>, |page: Option<String>| {
            let query = query.clone();
            async move {
                let mut params = vec![
                    ("query".to_owned(), query),
                    ("limit".to_owned(), PAGE_LIMIT.to_owned()),
                ];
                if let Some(page) = page {
                    params.push(("page".to_owned(), page));
                }
                let result: SearchResult<Customer> =
                    self.get("/v1/customers/search", &params).await?;
                let next = if result.has_more {
                    result.next_page.map(Some)
                } else {
                    None
                };
                Ok(Page {
                    items: result.data,
                    next,
                })
            }
        });
        crate::http::collect_all(stream).await
    }

    /// The tenant's customer found by `metadata[tenant_id]` through search
    /// (the oldest when there are several), for recovery when the stored id is lost.
    pub async fn find_customer_by_tenant(&self, tenant_id: &str) -> Result<Option<Customer>> {
        let mut found = self
            .search_customers_by_metadata("tenant_id", tenant_id)
            .await?;
        found.retain(|c| !c.deleted);
        found.sort_by_key(|c| (c.created.unwrap_or(i64::MAX), c.id.clone()));
        Ok(found.into_iter().next())
    }

    /// Attaches a payment method to a customer (not needed after a
    /// SetupIntent with that customer succeeded).
    pub async fn attach_payment_method(
        &self,
        customer_id: &str,
        payment_method_id: &str,
    ) -> Result<PaymentMethod> {
        check_id("customer_id", customer_id, "cus_")?;
        check_id("payment_method_id", payment_method_id, "pm_")?;
        self.post(
            &format!("/v1/payment_methods/{}/attach", segment(payment_method_id)),
            &AttachParams {
                customer: customer_id,
            },
            &attach_key(customer_id, payment_method_id),
        )
        .await
    }

    /// Makes `payment_method_id` the customer's default for invoices
    /// (`invoice_settings[default_payment_method]`), under the idempotency key
    /// `customer:<id>:default-payment-method:<pm>`.
    pub async fn set_default_payment_method(
        &self,
        customer_id: &str,
        payment_method_id: &str,
    ) -> Result<Customer> {
        check_id("customer_id", customer_id, "cus_")?;
        check_id("payment_method_id", payment_method_id, "pm_")?;
        self.post(
            &format!("/v1/customers/{}", segment(customer_id)),
            &UpdateDefaultPaymentMethod {
                invoice_settings: InvoiceSettingsParams {
                    default_payment_method: payment_method_id,
                },
            },
            &default_payment_method_key(customer_id, payment_method_id),
        )
        .await
    }

    /// A SetupIntent for the card form: `usage=off_session`, automatic payment
    /// methods enabled without redirects, `metadata[tenant_id]` when given.
    /// `request_id` names this card-form session (one per opened form): the
    /// idempotency key is `customer:<id>:setup-intent:<request_id>`. The
    /// answer's `client_secret` is a [`Secret`] for the browser.
    pub async fn create_setup_intent(
        &self,
        customer_id: &str,
        request_id: &str,
        tenant_id: Option<&str>,
    ) -> Result<SetupIntent> {
        check_id("customer_id", customer_id, "cus_")?;
        if request_id.trim().is_empty() {
            return Err(Error::invalid("request_id", "must not be empty"));
        }
        let mut metadata = BTreeMap::new();
        if let Some(tenant) = tenant_id {
            check_metadata("tenant_id", tenant)?;
            metadata.insert("tenant_id", tenant);
        }
        let params = CreateSetupIntentParams {
            customer: customer_id,
            usage: "off_session",
            automatic_payment_methods: AutomaticPaymentMethodsParams {
                enabled: true,
                allow_redirects: "never",
            },
            metadata,
        };
        self.post(
            "/v1/setup_intents",
            &params,
            &setup_intent_key(customer_id, request_id),
        )
        .await
    }

    /// The customer's default card (brand, last four digits, expiry), read
    /// with `expand[]=invoice_settings.default_payment_method`; `None` when
    /// there is no default or it is not a card.
    pub async fn default_card(&self, customer_id: &str) -> Result<Option<CardSummary>> {
        check_id("customer_id", customer_id, "cus_")?;
        let customer: Customer = self
            .get(
                &format!("/v1/customers/{}", segment(customer_id)),
                &[(
                    "expand[]".to_owned(),
                    "invoice_settings.default_payment_method".to_owned(),
                )],
            )
            .await?;
        let method = customer
            .invoice_settings
            .and_then(|s| s.default_payment_method);
        Ok(match method {
            Some(Expandable::Object(method)) => CardSummary::from_payment_method(&method),
            Some(Expandable::Id(id)) => {
                return Err(Error::Decode {
                    service: "stripe".into(),
                    url: format!("GET /v1/customers/{customer_id}"),
                    message: format!("default_payment_method {id} was not expanded"),
                });
            }
            None => None,
        })
    }

    /// Every invoice of the customer, newest first, fetched 100 per page
    /// (`starting_after=<last id>` while `has_more`) as the stream is read.
    pub fn invoices(&self, customer_id: &str) -> impl Stream<Item = Result<Invoice>> + '_ {
        let customer = customer_id.to_owned();
        let valid = check_id("customer_id", customer_id, "cus_");
        paginate(None::<String>, move |after: Option<String>| {
            let customer = customer.clone();
            let valid = valid.clone();
            async move {
                valid?;
                let mut params = vec![
                    ("customer".to_owned(), customer),
                    ("limit".to_owned(), PAGE_LIMIT.to_owned()),
                ];
                if let Some(after) = after {
                    params.push(("starting_after".to_owned(), after));
                }
                let list: List<Invoice> = self.get("/v1/invoices", &params).await?;
                let next = if list.has_more {
                    match list.data.last().and_then(|i| i.id.clone()) {
                        Some(id) => Some(Some(id)),
                        None => {
                            return Err(Error::Decode {
                                service: "stripe".into(),
                                url: "GET /v1/invoices".into(),
                                message: "has_more is set but the page has no invoice id".into(),
                            });
                        }
                    }
                } else {
                    None
                };
                Ok(Page {
                    items: list.data,
                    next,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn error(status: u16, body: &str) -> UpstreamError {
        let mut e = UpstreamError::new(
            UpstreamKind::from_status(status),
            "stripe",
            "POST",
            "u",
            status,
        );
        decode_stripe_error(body.as_bytes(), &mut e);
        e
    }

    #[test]
    fn decline_is_payment_failed_with_details() {
        let e = error(
            402,
            r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds",
               "message":"Your card has insufficient funds.","param":"payment_method",
               "request_log_url":"https://dashboard.stripe.com/logs/req_1"}}"#,
        );
        assert_eq!(e.kind, UpstreamKind::PaymentFailed);
        assert_eq!(e.upstream_code.as_deref(), Some("card_declined"));
        assert_eq!(
            e.message.as_deref(),
            Some("Your card has insufficient funds.")
        );
        let detail = |name: &str| e.details.get(name).map(String::as_str);
        assert_eq!(detail("type"), Some("card_error"));
        assert_eq!(detail("decline_code"), Some("insufficient_funds"));
        assert_eq!(
            detail("request_log_url"),
            Some("https://dashboard.stripe.com/logs/req_1")
        );
        assert_eq!(detail("advice_code"), None);
        let shown = e.to_string();
        assert!(
            shown.contains("Your card has insufficient funds. [decline_code: insufficient_funds;"),
            "{shown}"
        );
        assert_eq!(e.fields[0].field, "payment_method");
    }

    #[test]
    fn kinds_follow_type_and_status() {
        let e = error(
            400,
            r#"{"error":{"type":"idempotency_error","message":"Keys"}}"#,
        );
        assert_eq!(e.kind, UpstreamKind::Rejected);
        assert_eq!(e.upstream_code.as_deref(), Some("idempotency_error"));
        let e = error(
            409,
            r#"{"error":{"type":"invalid_request_error","code":"lock_timeout"}}"#,
        );
        assert_eq!(e.kind, UpstreamKind::Unavailable);
        let e = error(
            404,
            r#"{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id"}}"#,
        );
        assert_eq!(e.kind, UpstreamKind::NotFound);
        let e = error(400, r#"{"error":{"type":"something_new"}}"#);
        assert_eq!(e.kind, UpstreamKind::Rejected);
        assert_eq!(e.upstream_code.as_deref(), Some("something_new"));
        let e = error(500, "<html>");
        assert_eq!(e.kind, UpstreamKind::Unavailable);
        assert_eq!(e.message, None);
    }

    #[test]
    fn should_retry_header_wins() {
        let service = StripeService::default();
        let mut headers = HeaderMap::new();
        assert!(service.is_retryable(409, &headers));
        assert!(service.is_retryable(429, &headers));
        assert!(service.is_retryable(500, &headers));
        assert!(!service.is_retryable(400, &headers));
        assert!(!service.is_retryable(402, &headers));
        headers.insert("stripe-should-retry", HeaderValue::from_static("false"));
        assert!(!service.is_retryable(503, &headers));
        headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
        assert!(service.is_retryable(400, &headers));
    }

    #[test]
    fn search_values_are_quoted() {
        assert_eq!(search_literal("acme"), "'acme'");
        assert_eq!(search_literal(r"o'brien\x"), r"'o\'brien\\x'");
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("c", "cus_123", "cus_").is_ok());
        assert!(check_id("c", "cus_1/../x", "cus_").is_err());
        assert!(check_id("c", "pm_1", "cus_").is_err());
        assert!(check_id("c", "", "cus_").is_err());
        assert!(check_metadata("a[b]", "x").is_err());
        assert!(check_metadata(&"k".repeat(41), "x").is_err());
        assert!(check_metadata("k", &"v".repeat(501)).is_err());
    }
}
