//! The Stripe client against wiremock: request shapes (form encoding,
//! Stripe-Version, idempotency keys), error decoding, Stripe's retry rule,
//! pagination, expansion, and the current fixtures as answers. Every request
//! sent is checked against Stripe's 2020-08-27 OpenAPI document.

#![allow(clippy::expect_used)]

use std::time::Duration;

use dezky_clients::http::{HttpConfig, RetryPolicy, collect_all};
use dezky_clients::stripe::{
    API_VERSION, BillingAddress, BillingDetails, Customer, Expandable, Invoice, InvoiceStatus,
    NewCustomer, NewSubscription, PaymentMethod, ProrationBehavior, RecurringInterval, SetupIntent,
    SetupIntentStatus, StripeClient, Subscription, SubscriptionStatus, TaxId,
    TaxIdVerificationStatus,
};
use dezky_clients::{Error, Secret, UpstreamKind};
use dezky_contract::{Spec, stripe_mock_fixtures};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

/// A fixture of the pinned stripe-mock (`fixtures3.json`): the answers of the
/// same release as the OpenAPI document the requests are checked against.
fn fixture(name: &str) -> Value {
    let value = stripe_mock_fixtures()["resources"][name].clone();
    assert!(value.is_object(), "stripe-mock has no {name} fixture");
    value
}

fn spec() -> Spec {
    Spec::stripe_mock()
}

fn client(server: &MockServer) -> StripeClient {
    let config = HttpConfig::new(&server.uri())
        .expect("config")
        .with_timeout(Duration::from_secs(2))
        .with_retry(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        });
    StripeClient::new(config, Secret::new(KEY)).expect("client")
}

fn customer_with(id: &str, metadata: Value) -> Value {
    let mut customer = fixture("customer");
    customer["id"] = json!(id);
    customer["metadata"] = metadata;
    customer
}

fn upstream(error: Error) -> Box<dezky_clients::UpstreamError> {
    match error {
        Error::Upstream(e) => e,
        other => panic!("expected an upstream error, got {other:?}"),
    }
}

fn form_of(request: &wiremock::Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&request.body).into_owned().collect()
}

/// Every request is valid for the 2020 document.
async fn check_contract(server: &MockServer) {
    let requests = server.received_requests().await.expect("recorded");
    spec().assert_wiremock_requests(&requests);
}

#[tokio::test]
async fn create_customer_sends_tenant_metadata_version_and_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("stripe-version", API_VERSION))
        .and(header("idempotency-key", "tenant:t-42:create-customer"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_with(
            "cus_T42",
            json!({"tenant_id": "t-42", "tenant_slug": "acme"}),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let customer = client(&server)
        .create_customer(&NewCustomer {
            tenant_id: "t-42".into(),
            tenant_slug: Some("acme".into()),
            name: Some("ACME GmbH".into()),
            email: Some("billing+eu@acme.example".into()),
        })
        .await
        .expect("created");
    assert_eq!(customer.id, "cus_T42");
    assert_eq!(customer.metadata["tenant_id"], "t-42");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        form_of(&requests[0]),
        vec![
            ("name".to_owned(), "ACME GmbH".to_owned()),
            ("email".to_owned(), "billing+eu@acme.example".to_owned()),
            ("metadata[tenant_id]".to_owned(), "t-42".to_owned()),
            ("metadata[tenant_slug]".to_owned(), "acme".to_owned()),
        ]
    );
    check_contract(&server).await;
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"type": "api_error", "message": "Something went wrong"}}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("customer")))
        .expect(1)
        .mount(&server)
        .await;
    let new = NewCustomer {
        tenant_id: "t-1".into(),
        tenant_slug: None,
        name: None,
        email: None,
    };
    client(&server)
        .create_customer(&new)
        .await
        .expect("retried");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 2);
    let keys: Vec<_> = requests
        .iter()
        .map(|r| r.headers.get("idempotency-key").expect("key").clone())
        .collect();
    assert_eq!(keys[0], "tenant:t-1:create-customer");
    assert_eq!(keys[0], keys[1]);
    assert_eq!(requests[0].body, requests[1].body);
    check_contract(&server).await;
}

#[tokio::test]
async fn should_retry_false_stops_and_true_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_A"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Stripe-Should-Retry", "false")
                .insert_header("Request-Id", "req_stop")
                .set_body_json(json!({"error": {"type": "api_error", "message": "down"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_B"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("Stripe-Should-Retry", "true")
                .set_body_json(json!({"error": {"type": "invalid_request_error"}})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_B"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_with("cus_B", json!({}))))
        .expect(1)
        .mount(&server)
        .await;
    let stripe = client(&server);
    let error = upstream(
        stripe
            .retrieve_customer("cus_A")
            .await
            .expect_err("stopped"),
    );
    assert_eq!(error.kind, UpstreamKind::Unavailable);
    assert_eq!(error.request_id.as_deref(), Some("req_stop"));
    assert_eq!(error.status, 503);
    let customer = stripe.retrieve_customer("cus_B").await.expect("retried");
    assert_eq!(customer.id, "cus_B");
    check_contract(&server).await;
}

#[tokio::test]
async fn a_409_and_a_429_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_C"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({"error": {"type": "invalid_request_error", "code": "lock_timeout"}}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_C"))
        .respond_with(ResponseTemplate::new(429).set_body_json(
            json!({"error": {"type": "invalid_request_error", "code": "rate_limit"}}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_C"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_with("cus_C", json!({}))))
        .mount(&server)
        .await;
    client(&server)
        .retrieve_customer("cus_C")
        .await
        .expect("third attempt succeeds");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 3);
    check_contract(&server).await;
}

#[tokio::test]
async fn a_decline_is_payment_failed_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_methods/pm_card_declined/attach"))
        .and(header(
            "idempotency-key",
            "customer:cus_D:attach:pm_card_declined",
        ))
        .respond_with(
            ResponseTemplate::new(402)
                .insert_header("Request-Id", "req_decline")
                .set_body_json(json!({"error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Your card has insufficient funds.",
                    "param": "payment_method",
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                    "request_log_url": "https://dashboard.stripe.com/test/logs/req_decline"
                }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .attach_payment_method("cus_D", "pm_card_declined")
        .await
        .expect_err("declined");
    assert_eq!(error.code(), "DEZKY_PAYMENT_FAILED");
    let error = upstream(error);
    assert_eq!(error.kind, UpstreamKind::PaymentFailed);
    assert_eq!(error.status, 402);
    assert_eq!(error.upstream_code.as_deref(), Some("card_declined"));
    assert_eq!(error.request_id.as_deref(), Some("req_decline"));
    let message = error.message.as_deref().expect("message");
    assert!(message.contains("insufficient funds"), "{message}");
    assert_eq!(
        error.details.get("decline_code").map(String::as_str),
        Some("insufficient_funds")
    );
    assert_eq!(
        error.details.get("type").map(String::as_str),
        Some("card_error")
    );
    assert!(
        error
            .to_string()
            .contains("decline_code: insufficient_funds"),
        "{error}"
    );
    assert_eq!(error.fields[0].field, "payment_method");
    assert!(!format!("{error:?}").contains(KEY));
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        form_of(&requests[0]),
        vec![("customer".to_owned(), "cus_D".to_owned())]
    );
    check_contract(&server).await;
}

#[tokio::test]
async fn an_idempotency_error_is_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers/cus_E"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "type": "idempotency_error",
            "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let error = upstream(
        client(&server)
            .set_default_payment_method("cus_E", "pm_1")
            .await
            .expect_err("refused"),
    );
    assert_eq!(error.kind, UpstreamKind::Rejected);
    assert_eq!(error.upstream_code.as_deref(), Some("idempotency_error"));
    check_contract(&server).await;
}

#[tokio::test]
async fn set_default_payment_method_uses_invoice_settings() {
    let server = MockServer::start().await;
    let mut customer = customer_with("cus_F", json!({}));
    customer["invoice_settings"]["default_payment_method"] = json!("pm_F");
    Mock::given(method("POST"))
        .and(path("/v1/customers/cus_F"))
        .and(header(
            "idempotency-key",
            "customer:cus_F:default-payment-method:pm_F",
        ))
        .and(body_string_contains(
            "invoice_settings%5Bdefault_payment_method%5D=pm_F",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer))
        .expect(1)
        .mount(&server)
        .await;
    let customer = client(&server)
        .set_default_payment_method("cus_F", "pm_F")
        .await
        .expect("updated");
    assert_eq!(customer.default_payment_method_id(), Some("pm_F"));
    check_contract(&server).await;
}

#[tokio::test]
async fn setup_intent_enables_automatic_payment_methods_and_hides_the_secret() {
    let server = MockServer::start().await;
    let mut intent = fixture("setup_intent");
    intent["customer"] = json!("cus_G");
    Mock::given(method("POST"))
        .and(path("/v1/setup_intents"))
        .and(header(
            "idempotency-key",
            "customer:cus_G:setup-intent:form-1",
        ))
        .and(header("stripe-version", API_VERSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(intent))
        .expect(1)
        .mount(&server)
        .await;
    let intent = client(&server)
        .create_setup_intent("cus_G", "form-1", Some("t-7"))
        .await
        .expect("created");
    assert_eq!(intent.status, SetupIntentStatus::RequiresPaymentMethod);
    let secret = intent.client_secret.as_ref().expect("client secret");
    assert!(
        secret
            .expose()
            .starts_with("seti_1Pgag7B7WZ01zgkWSgwGdb8Z_secret_")
    );
    assert!(!format!("{intent:?}").contains("_secret_"));
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        form_of(&requests[0]),
        vec![
            ("customer".to_owned(), "cus_G".to_owned()),
            ("usage".to_owned(), "off_session".to_owned()),
            (
                "automatic_payment_methods[enabled]".to_owned(),
                "true".to_owned()
            ),
            (
                "automatic_payment_methods[allow_redirects]".to_owned(),
                "never".to_owned()
            ),
            ("metadata[tenant_id]".to_owned(), "t-7".to_owned()),
        ]
    );
    spec().assert_wiremock_requests(&requests);
}

#[tokio::test]
async fn default_card_is_read_through_expand() {
    let server = MockServer::start().await;
    let mut with_card = customer_with("cus_H", json!({}));
    with_card["invoice_settings"]["default_payment_method"] = fixture("payment_method");
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_H"))
        .and(query_param(
            "expand[]",
            "invoice_settings.default_payment_method",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(with_card))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_I"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_with("cus_I", json!({}))))
        .expect(1)
        .mount(&server)
        .await;
    let stripe = client(&server);
    let card = stripe
        .default_card("cus_H")
        .await
        .expect("read")
        .expect("a card");
    assert_eq!(card.payment_method_id, "pm_1Pgc75B7WZ01zgkWlHVgdEGJ");
    assert_eq!(card.brand, "visa");
    assert_eq!(card.last4, "4242");
    assert_eq!((card.exp_month, card.exp_year), (8, 2030));
    assert_eq!(stripe.default_card("cus_I").await.expect("read"), None);
    check_contract(&server).await;
}

fn invoice(id: &str) -> Value {
    let mut invoice = fixture("invoice");
    invoice["id"] = json!(id);
    invoice
}

#[tokio::test]
async fn invoices_are_streamed_across_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/invoices"))
        .and(query_param("customer", "cus_J"))
        .and(query_param("limit", "100"))
        .and(query_param("starting_after", "in_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "url": "/v1/invoices", "has_more": false,
            "data": [invoice("in_1")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/invoices"))
        .and(query_param("customer", "cus_J"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "url": "/v1/invoices", "has_more": true,
            "data": [invoice("in_3"), invoice("in_2")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    spec().assert_response(
        "GET",
        "/v1/invoices",
        200,
        &json!({"object": "list", "url": "/v1/invoices", "has_more": true,
                "data": [invoice("in_3"), invoice("in_2")]}),
    );
    let stripe = client(&server);
    let invoices = collect_all(stripe.invoices("cus_J")).await.expect("listed");
    let ids: Vec<_> = invoices.iter().map(|i| i.id.as_deref()).collect();
    assert_eq!(ids, vec![Some("in_3"), Some("in_2"), Some("in_1")]);
    let first = &invoices[0];
    assert_eq!(first.amount_due_money().to_major().expect("usd"), "10.00");
    assert_eq!(first.status, Some(InvoiceStatus::Draft));
    check_contract(&server).await;
    // A bad id is refused before any request.
    let error = collect_all(stripe.invoices("cus_J/../x"))
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
}

#[tokio::test]
async fn search_follows_next_page_and_quotes_values() {
    let server = MockServer::start().await;
    let query = r"metadata['tenant_id']:'t-\'9'";
    Mock::given(method("GET"))
        .and(path("/v1/customers/search"))
        .and(query_param("query", query))
        .and(query_param("page", "page_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result", "url": "/v1/customers/search", "has_more": false,
            "next_page": null,
            "data": [customer_with("cus_old", json!({"tenant_id": "t-'9"}))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut newer = customer_with("cus_new", json!({"tenant_id": "t-'9"}));
    newer["created"] = json!(1_234_567_999);
    Mock::given(method("GET"))
        .and(path("/v1/customers/search"))
        .and(query_param("query", query))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result", "url": "/v1/customers/search", "has_more": true,
            "next_page": "page_2",
            "data": [newer]
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let stripe = client(&server);
    let found = stripe
        .search_customers_by_metadata("tenant_id", "t-'9")
        .await
        .expect("searched");
    assert_eq!(found.len(), 2);
    let ids: Vec<_> = found.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["cus_new", "cus_old"]);
    check_contract(&server).await;
}

#[tokio::test]
async fn ensure_customer_uses_the_stored_id_or_creates() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_stored"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(customer_with("cus_stored", json!({"tenant_id": "t-5"}))),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "type": "invalid_request_error", "code": "resource_missing",
            "message": "No such customer: 'cus_gone'", "param": "id"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_deleted"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "cus_deleted", "object": "customer", "deleted": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header("idempotency-key", "tenant:t-5:create-customer"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(customer_with("cus_new", json!({"tenant_id": "t-5"}))),
        )
        .expect(2)
        .mount(&server)
        .await;
    let stripe = client(&server);
    let new = NewCustomer {
        tenant_id: "t-5".into(),
        tenant_slug: None,
        name: None,
        email: None,
    };
    let stored = stripe
        .ensure_customer(Some("cus_stored"), &new)
        .await
        .expect("found");
    assert_eq!(stored.id, "cus_stored");
    let created = stripe
        .ensure_customer(Some("cus_gone"), &new)
        .await
        .expect("created");
    assert_eq!(created.id, "cus_new");
    let created = stripe
        .ensure_customer(Some("cus_deleted"), &new)
        .await
        .expect("created");
    assert_eq!(created.id, "cus_new");
    check_contract(&server).await;
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let server = MockServer::start().await;
    let stripe = client(&server);
    let blank = NewCustomer {
        tenant_id: " ".into(),
        tenant_slug: None,
        name: None,
        email: None,
    };
    let error = stripe.create_customer(&blank).await.expect_err("refused");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    let long = NewCustomer {
        tenant_id: "t".into(),
        tenant_slug: Some("s".repeat(501)),
        name: None,
        email: None,
    };
    assert!(stripe.create_customer(&long).await.is_err());
    assert!(stripe.retrieve_customer("cus_a/b").await.is_err());
    assert!(
        stripe
            .set_default_payment_method("cus_a", "card_1")
            .await
            .is_err()
    );
    assert!(stripe.create_setup_intent("cus_a", "", None).await.is_err());
    assert!(
        stripe
            .search_customers_by_metadata("a'b", "x")
            .await
            .is_err()
    );
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
    assert!(!format!("{stripe:?}").contains(KEY));
}

#[test]
fn configuration_from_the_environment() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let stripe =
        StripeClient::from_lookup(lookup(&[("STRIPE_SECRET_KEY", KEY)])).expect("default URL");
    assert_eq!(
        stripe.http().config().base_url.as_str(),
        "https://api.stripe.com/"
    );
    let stripe = StripeClient::from_lookup(lookup(&[
        ("STRIPE_SECRET_KEY", KEY),
        ("STRIPE_API_URL", "http://127.0.0.1:12111"),
        ("STRIPE_MAX_RETRIES", "4"),
    ]))
    .expect("mock URL");
    assert_eq!(
        stripe.http().config().base_url.as_str(),
        "http://127.0.0.1:12111/"
    );
    assert_eq!(stripe.http().config().retry.max_retries, 4);
    let error = StripeClient::from_lookup(lookup(&[])).expect_err("no key");
    assert!(error.to_string().contains("STRIPE_SECRET_KEY"));
}

#[test]
fn current_fixtures_decode() {
    let customer: Customer = serde_json::from_value(fixture("customer")).expect("customer");
    assert_eq!(customer.id, "cus_QXg1o8vcGmoR32");
    assert!(
        customer
            .invoice_settings
            .expect("settings")
            .default_payment_method
            .is_none()
    );
    let method: PaymentMethod =
        serde_json::from_value(fixture("payment_method")).expect("payment_method");
    assert_eq!(method.card.expect("card").last4.as_deref(), Some("4242"));
    let intent: SetupIntent =
        serde_json::from_value(fixture("setup_intent")).expect("setup_intent");
    assert_eq!(intent.usage.as_deref(), Some("off_session"));
    assert_eq!(intent.payment_method_types, vec!["card".to_owned()]);
    let invoice: Invoice = serde_json::from_value(fixture("invoice")).expect("invoice");
    assert_eq!(invoice.amount_due, 1000);
    assert!(invoice.lines.expect("lines").data.len() == 1);
    // Expandable: id, object, null.
    let id: Expandable<PaymentMethod> = serde_json::from_value(json!("pm_1")).expect("id");
    assert_eq!(id.id(), "pm_1");
    let object: Expandable<PaymentMethod> =
        serde_json::from_value(fixture("payment_method")).expect("object");
    assert!(object.object().is_some());
    // Open enums keep unknown values.
    let mut draft = fixture("invoice");
    draft["status"] = json!("some_future_state");
    let invoice: Invoice = serde_json::from_value(draft).expect("open enum");
    assert_eq!(
        invoice.status,
        Some(InvoiceStatus::Other("some_future_state".into()))
    );
}

#[test]
fn served_fixtures_match_their_document() {
    let spec = spec();
    for name in ["customer", "payment_method", "setup_intent", "invoice"] {
        spec.assert_component(name, &fixture(name));
    }
}

/// A server that drops the first connection after reading the request and
/// answers the second with a customer; returns the requests' raw heads.
fn dropping_server() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = vec![0u8; 8192];
            let read = stream.read(&mut buffer).unwrap_or(0);
            let _ = sender.send(String::from_utf8_lossy(&buffer[..read]).into_owned());
            if index == 0 {
                drop(stream);
                continue;
            }
            let body = fixture("customer").to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, receiver)
}

#[tokio::test]
async fn a_dropped_connection_is_retried_with_the_same_idempotency_key() {
    let (url, requests) = dropping_server();
    let config = HttpConfig::new(&url)
        .expect("config")
        .with_retry(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
        });
    let stripe = StripeClient::new(config, Secret::new(KEY)).expect("client");
    let new = NewCustomer {
        tenant_id: "t-3".into(),
        tenant_slug: None,
        name: None,
        email: None,
    };
    stripe.create_customer(&new).await.expect("second attempt");
    let heads: Vec<String> = requests.try_iter().collect();
    assert_eq!(heads.len(), 2, "{heads:#?}");
    for head in &heads {
        assert!(
            head.to_ascii_lowercase()
                .contains("idempotency-key: tenant:t-3:create-customer"),
            "{head}"
        );
    }
}

// --- Billing: billing details, EU VAT ids, subscriptions -------------------

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn tax_id(id: &str, value: &str, status: &str) -> Value {
    let mut tax_id = fixture("tax_id");
    tax_id["id"] = json!(id);
    tax_id["value"] = json!(value);
    tax_id["verification"]["status"] = json!(status);
    tax_id
}

fn subscription_with(id: &str, interval: &str, quantity: u64) -> Value {
    let mut subscription = fixture("subscription");
    subscription["id"] = json!(id);
    subscription["status"] = json!("active");
    subscription["customer"] = json!("cus_S");
    let item = &mut subscription["items"]["data"][0];
    item["quantity"] = json!(quantity);
    item["price"]["recurring"]["interval"] = json!(interval);
    item["price"]["currency"] = json!("eur");
    item["price"]["unit_amount"] = json!(1200);
    subscription
}

#[tokio::test]
async fn billing_details_are_sent_with_the_request_key() {
    let server = MockServer::start().await;
    let mut customer = customer_with("cus_K", json!({}));
    customer["address"] = json!({"city": "Berlin", "country": "DE", "line1": "Hauptstr. 1",
        "line2": null, "postal_code": "10115", "state": null});
    Mock::given(method("POST"))
        .and(path("/v1/customers/cus_K"))
        .and(header(
            "idempotency-key",
            "customer:cus_K:billing-details:req-1",
        ))
        .and(header("stripe-version", API_VERSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer))
        .expect(1)
        .mount(&server)
        .await;
    let details = BillingDetails {
        name: Some("ACME GmbH".into()),
        email: Some("billing@acme.example".into()),
        address: Some(BillingAddress {
            line1: Some("Hauptstr. 1".into()),
            line2: None,
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            state: None,
            country: Some("de".into()),
        }),
    };
    let customer = client(&server)
        .update_billing_details("cus_K", &details, "req-1")
        .await
        .expect("updated");
    let address = customer.address.expect("address");
    assert_eq!(address.country.as_deref(), Some("DE"));
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        form_of(&requests[0]),
        pairs(&[
            ("name", "ACME GmbH"),
            ("email", "billing@acme.example"),
            ("address[city]", "Berlin"),
            ("address[country]", "DE"),
            ("address[line1]", "Hauptstr. 1"),
            ("address[postal_code]", "10115"),
        ])
    );
    check_contract(&server).await;
}

#[tokio::test]
async fn eu_vat_ids_are_added_listed_and_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers/cus_V/tax_ids"))
        .and(header("idempotency-key", "customer:cus_V:tax-id:req-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tax_id(
            "txi_new",
            "EL123456789",
            "pending",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let first_page = json!({"object": "list", "url": "/v1/customers/cus_V/tax_ids", "has_more": true,
        "data": [tax_id("txi_1", "DE123456789", "verified"), tax_id("txi_2", "XI123456789", "unavailable")]});
    let last_page = json!({"object": "list", "url": "/v1/customers/cus_V/tax_ids", "has_more": false,
        "data": [tax_id("txi_3", "FR12345678901", "a_future_status")]});
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_V/tax_ids"))
        .and(query_param("starting_after", "txi_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(last_page))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/cus_V/tax_ids"))
        .and(query_param("limit", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first_page.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/customers/cus_V/tax_ids/txi_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "txi_1", "object": "tax_id", "deleted": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/customers/cus_V/tax_ids/txi_gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "type": "invalid_request_error", "code": "resource_missing", "param": "id",
            "message": "No such tax id: 'txi_gone'"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    spec().assert_response("GET", "/v1/customers/cus_V/tax_ids", 200, &first_page);
    let stripe = client(&server);
    let added = stripe
        .add_eu_vat_id("cus_V", "el 123 456 789", "req-2")
        .await
        .expect("added");
    assert_eq!(added.id, "txi_new");
    assert_eq!(added.kind, "eu_vat");
    assert_eq!(
        added.verification_status(),
        Some(&TaxIdVerificationStatus::Pending)
    );
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        form_of(&requests[0]),
        pairs(&[("type", "eu_vat"), ("value", "EL123456789")])
    );
    let listed = stripe.tax_ids("cus_V").await.expect("listed");
    let statuses: Vec<_> = listed
        .iter()
        .map(|t| (t.id.as_str(), t.verification_status().cloned()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("txi_1", Some(TaxIdVerificationStatus::Verified)),
            ("txi_2", Some(TaxIdVerificationStatus::Unavailable)),
            (
                "txi_3",
                Some(TaxIdVerificationStatus::Other("a_future_status".into()))
            ),
        ]
    );
    stripe
        .delete_tax_id("cus_V", "txi_1")
        .await
        .expect("deleted");
    stripe
        .delete_tax_id("cus_V", "txi_gone")
        .await
        .expect("already gone is done");
    check_contract(&server).await;
}

#[tokio::test]
async fn subscriptions_are_created_changed_canceled_and_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(header(
            "idempotency-key",
            "customer:cus_S:create-subscription:req-3",
        ))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": {"type": "api_error", "message": "Something went wrong"}}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(header(
            "idempotency-key",
            "customer:cus_S:create-subscription:req-3",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(subscription_with("sub_S", "month", 5)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_S"))
        .and(header(
            "idempotency-key",
            "subscription:sub_S:change-seats:req-4",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(subscription_with("sub_S", "month", 8)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut canceling = subscription_with("sub_S", "month", 8);
    canceling["cancel_at_period_end"] = json!(true);
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_S"))
        .and(header(
            "idempotency-key",
            "subscription:sub_S:cancel-at-period-end:req-5",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(canceling))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_Y"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(subscription_with("sub_Y", "year", 3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let stripe = client(&server);
    let created = stripe
        .create_subscription(
            &NewSubscription {
                customer_id: "cus_S".into(),
                price_id: "price_seat".into(),
                seats: 5,
                tenant_id: Some("t-9".into()),
            },
            "req-3",
        )
        .await
        .expect("created after a retry");
    assert_eq!(created.id, "sub_S");
    assert_eq!(created.status, SubscriptionStatus::Active);
    let item = created.seat_item().expect("one item");
    assert_eq!(item.quantity, Some(5));
    assert_eq!(
        item.price.recurring.as_ref().map(|r| &r.interval),
        Some(&RecurringInterval::Month)
    );
    assert_eq!(created.current_period_end(), item.current_period_end);
    assert!(created.current_period_start().is_some());
    let item_id = item.id.clone();
    let changed = stripe
        .change_seats(
            "sub_S",
            &item_id,
            8,
            ProrationBehavior::AlwaysInvoice,
            "req-4",
        )
        .await
        .expect("changed");
    assert_eq!(changed.seat_item().expect("item").quantity, Some(8));
    let canceled = stripe
        .cancel_at_period_end("sub_S", "req-5")
        .await
        .expect("canceled");
    assert!(canceled.cancel_at_period_end);
    let yearly = stripe.retrieve_subscription("sub_Y").await.expect("read");
    let snapshot = yearly.snapshot().expect("snapshot");
    assert_eq!(snapshot.cycle, dezky_core::billing::BillingCycle::Yearly);
    assert_eq!(snapshot.seats, 3);

    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        form_of(&requests[1]),
        pairs(&[
            ("customer", "cus_S"),
            ("items[0][price]", "price_seat"),
            ("items[0][quantity]", "5"),
            ("metadata[tenant_id]", "t-9"),
        ])
    );
    assert_eq!(
        form_of(&requests[2]),
        pairs(&[
            ("items[0][id]", item_id.as_str()),
            ("items[0][quantity]", "8"),
            ("proration_behavior", "always_invoice"),
        ])
    );
    assert_eq!(
        form_of(&requests[3]),
        pairs(&[("cancel_at_period_end", "true")])
    );
    check_contract(&server).await;
}

#[test]
fn a_subscription_becomes_the_control_plane_snapshot() {
    let subscription: Subscription =
        serde_json::from_value(subscription_with("sub_M", "month", 7)).expect("decodes");
    let snapshot = subscription.snapshot().expect("snapshot");
    let document = snapshot.to_document();
    assert_eq!(
        Value::Object(document.clone()),
        json!({
            "status": "active",
            "stripeCustomerId": "cus_S",
            "stripeSubscriptionId": "sub_M",
            "cycle": "monthly",
            "currency": "eur",
            "perSeatAmount": 1200,
            "seats": 7
        })
    );
    // Merged into the stored document, the core reads it back.
    let mut stored = json!({"_id": {"$oid": "65f000000000000000000001"},
        "tenantId": {"$oid": "65f000000000000000000002"}, "plan": "business",
        "status": "trialing", "seats": 2})
    .as_object()
    .cloned()
    .expect("object");
    stored.extend(document);
    let core = dezky_core::billing::Subscription::from_document("subscription", &stored)
        .expect("the core reads the snapshot");
    assert_eq!(core.status, dezky_core::billing::SubscriptionStatus::Active);
    assert_eq!(core.cycle, Some(dezky_core::billing::BillingCycle::Monthly));
    assert_eq!(core.currency.as_deref(), Some("eur"));
    assert_eq!(core.per_seat_amount, Some(1200));
    assert_eq!(core.seats, Some(7));
    assert_eq!(core.stripe_subscription_id.as_deref(), Some("sub_M"));
    assert_eq!(
        dezky_core::billing::monthly_amount(
            core.cycle.expect("cycle"),
            core.per_seat_amount.expect("amount"),
            core.seats.expect("seats")
        ),
        8400
    );
    // Every status name is the core's.
    let mut past_due = subscription_with("sub_M", "month", 7);
    past_due["status"] = json!("past_due");
    let past_due: Subscription = serde_json::from_value(past_due).expect("decodes");
    assert_eq!(
        past_due.snapshot().expect("snapshot").to_document()["status"],
        json!("past_due")
    );
}

#[test]
fn what_the_control_plane_cannot_hold_is_refused_by_field() {
    let refused = |change: &dyn Fn(&mut Value), field: &str| {
        let mut value = subscription_with("sub_X", "month", 2);
        change(&mut value);
        // A status from a later API version is not in the document, by definition.
        if value["status"] != json!("frozen") {
            spec().assert_component("subscription", &value);
        }
        let subscription: Subscription = serde_json::from_value(value).expect("decodes");
        match subscription.snapshot() {
            Err(Error::InvalidInput { field: f, reason }) => {
                assert_eq!(f, field, "{reason}");
            }
            other => panic!("expected {field} to be refused, got {other:?}"),
        }
    };
    let price = "/items/data/0/price";
    let set = |pointer: String, to: Value| {
        move |v: &mut Value| *v.pointer_mut(&pointer).expect("pointer") = to.clone()
    };
    let interval = "subscription.items[0].price.recurring.interval";
    refused(
        &set(format!("{price}/recurring/interval"), json!("week")),
        interval,
    );
    refused(
        &set(format!("{price}/recurring/interval"), json!("day")),
        interval,
    );
    refused(
        &set(format!("{price}/recurring/interval_count"), json!(3)),
        interval,
    );
    refused(
        &set(format!("{price}/recurring"), Value::Null),
        "subscription.items[0].price.recurring",
    );
    refused(
        &set(format!("{price}/unit_amount"), Value::Null),
        "subscription.items[0].price.unit_amount",
    );
    refused(
        &set("/items/data/0/quantity".into(), json!(1_000_001)),
        "subscription.items[0].quantity",
    );
    refused(
        &set("/status".into(), json!("frozen")),
        "subscription.status",
    );
    refused(
        &|v: &mut Value| {
            let item = v["items"]["data"][0].clone();
            v["items"]["data"] = json!([item.clone(), item]);
        },
        "subscription.items",
    );
    refused(
        &|v: &mut Value| v["items"]["data"] = json!([]),
        "subscription.items",
    );
    // An unknown interval is kept, and refused the same way.
    let mut value = subscription_with("sub_X", "month", 2);
    value["items"]["data"][0]["price"]["recurring"]["interval"] = json!("fortnight");
    let subscription: Subscription = serde_json::from_value(value).expect("open enum");
    assert!(subscription.snapshot().is_err());
}

#[tokio::test]
async fn billing_arguments_are_refused_before_sending() {
    let server = MockServer::start().await;
    let stripe = client(&server);
    let new = |customer: &str, price: &str, seats: u64| NewSubscription {
        customer_id: customer.into(),
        price_id: price.into(),
        seats,
        tenant_id: None,
    };
    let errors = vec![
        stripe
            .create_subscription(&new("cus_1", "price_1", 1_000_001), "r")
            .await
            .expect_err("seats"),
        stripe
            .create_subscription(&new("cus_1", "plan_1", 1), "r")
            .await
            .expect_err("price id"),
        stripe
            .create_subscription(&new("cus_1", "price_1", 1), " ")
            .await
            .expect_err("request id"),
        stripe
            .change_seats("sub_1", "sub_1", 2, ProrationBehavior::None, "r")
            .await
            .expect_err("item id"),
        stripe
            .cancel_at_period_end("sub_1/../x", "r")
            .await
            .expect_err("subscription id"),
        stripe
            .retrieve_subscription("cus_1")
            .await
            .expect_err("subscription id"),
        stripe
            .add_eu_vat_id("cus_1", "GR123456789", "r")
            .await
            .expect_err("Greece is EL"),
        stripe
            .add_eu_vat_id("cus_1", "DE123456789", "")
            .await
            .expect_err("request id"),
        stripe
            .delete_tax_id("cus_1", "cus_1")
            .await
            .expect_err("tax id"),
        stripe.tax_ids("cus 1").await.expect_err("customer id"),
        stripe
            .update_billing_details("cus_1", &BillingDetails::default(), "r")
            .await
            .expect_err("nothing to update"),
        stripe
            .update_billing_details(
                "cus_1",
                &BillingDetails {
                    address: Some(BillingAddress {
                        country: Some("UK".into()),
                        ..BillingAddress::default()
                    }),
                    ..BillingDetails::default()
                },
                "r",
            )
            .await
            .expect_err("UK is not ISO 3166-1"),
    ];
    for error in errors {
        assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT", "{error}");
    }
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[test]
fn served_billing_fixtures_match_their_document() {
    let spec = spec();
    spec.assert_component("subscription", &subscription_with("sub_1", "year", 4));
    spec.assert_component("tax_id", &tax_id("txi_1", "XI123456789", "verified"));
    let _: TaxId = serde_json::from_value(fixture("tax_id")).expect("tax_id");
    let subscription: Subscription =
        serde_json::from_value(fixture("subscription")).expect("subscription");
    assert_eq!(subscription.id, "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
}
