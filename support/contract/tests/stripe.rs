//! Requests and responses against Stripe's OpenAPI document as the pinned
//! stripe-mock serves it, with its fixtures.

mod common;

use common::{accepts, rejects};
use dezky_contract::{Request, Spec, stripe_mock_fixtures};
use serde_json::{Value, json};

fn spec() -> Spec {
    Spec::stripe_mock()
}

fn post(path: &str, form: &str) -> Request {
    Request::new("POST", path).form(form)
}

#[test]
fn create_customer_form_body() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &post(
            "/v1/customers",
            "email=a%40b.c&metadata[tenant_id]=t1&expand[]=invoice_settings.default_payment_method",
        ),
    );
    assert_eq!(operation.operation_id.as_deref(), Some("PostCustomers"));
    // Percent-encoded brackets decode the same.
    accepts(
        &spec,
        &post("/v1/customers", "metadata%5Btenant_id%5D=t1&expand%5B%5D=x"),
    );
    rejects(&spec, &post("/v1/customers", "bogus=1"), "body/bogus");
    rejects(
        &spec,
        &post(
            "/v1/customers",
            "address[city]=Berlin&address[planet]=earth",
        ),
        "body/address/planet",
    );
    rejects(
        &spec,
        &post("/v1/customers", "balance=lots"),
        "body/balance",
    );
    accepts(&spec, &post("/v1/customers", "balance=-250"));
    // The same key twice is not bracket notation Stripe understands.
    rejects(&spec, &post("/v1/customers", "email=a&email=b"), "body");
}

#[test]
fn empty_string_unsets_where_the_schema_allows_it() {
    let spec = spec();
    accepts(&spec, &post("/v1/customers", "metadata=&address="));
    accepts(
        &spec,
        &post(
            "/v1/customers/cus_1",
            "metadata[tenant_id]=&invoice_settings[custom_fields]=",
        ),
    );
    // `balance` is a plain integer: "" does not unset it.
    rejects(&spec, &post("/v1/customers", "balance="), "body/balance");
}

#[test]
fn indexed_arrays_and_booleans() {
    let spec = spec();
    accepts(
        &spec,
        &post(
            "/v1/subscriptions",
            "customer=cus_1&items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2\
             &cancel_at_period_end=true&metadata[tenant_id]=t1",
        ),
    );
    rejects(
        &spec,
        &post("/v1/subscriptions", "customer=cus_1&items[0][quantity]=two"),
        "body/items/0/quantity",
    );
    rejects(
        &spec,
        &post(
            "/v1/subscriptions",
            "customer=cus_1&cancel_at_period_end=maybe",
        ),
        "body/cancel_at_period_end",
    );
    // `items` entries are closed objects: an unknown key inside one is refused.
    // (Since API 2025, `customer` is optional: `customer_account` may stand for it.)
    rejects(
        &spec,
        &post("/v1/subscriptions", "customer=cus_1&items[0][prise]=p"),
        "body/items/0/prise",
    );
}

#[test]
fn list_invoices_query() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &Request::new(
            "GET",
            "/v1/invoices?customer=cus_1&limit=100&starting_after=in_1",
        ),
    );
    assert_eq!(operation.operation_id.as_deref(), Some("GetInvoices"));
    rejects(
        &spec,
        &Request::new("GET", "/v1/invoices?limit=abc"),
        "query.limit",
    );
    rejects(
        &spec,
        &Request::new("GET", "/v1/invoices?status=lost"),
        "query.status",
    );
    // deepObject parameters.
    accepts(
        &spec,
        &Request::new(
            "GET",
            "/v1/invoices?created[gte]=1600000000&created[lt]=1700000000&expand[]=data.customer",
        ),
    );
    accepts(
        &spec,
        &Request::new("GET", "/v1/invoices?created=1600000000"),
    );
    rejects(
        &spec,
        &Request::new("GET", "/v1/invoices?created[since]=1"),
        "query.created/since",
    );
    rejects(
        &spec,
        &Request::new("GET", "/v1/invoices?created[gte]=yesterday"),
        "query.created/gte",
    );
    rejects(
        &spec,
        &Request::new("GET", "/v1/invoices?customer[id]=cus_1"),
        "query.customer[id]",
    );
}

#[test]
fn path_parameters_and_methods() {
    let spec = spec();
    let operation = accepts(&spec, &Request::new("GET", "/v1/customers/cus_123"));
    assert_eq!(operation.path_template, "/v1/customers/{customer}");
    rejects(
        &spec,
        &Request::new("PUT", "/v1/customers/cus_123"),
        "method",
    );
    rejects(&spec, &Request::new("GET", "/v2/customers"), "path");
}

fn fixture(name: &str) -> Value {
    stripe_mock_fixtures()["resources"][name].clone()
}

#[test]
fn responses() {
    let spec = spec();
    let price = fixture("price");
    assert_eq!(price["object"], "price");
    spec.assert_component("price", &price);
    spec.assert_response("GET", "/v1/prices/price_1", 200, &price);

    let mut wrong = price.clone();
    wrong["unit_amount"] = json!("ten");
    let violations = spec
        .check_response("GET", "/v1/prices/price_1", 200, &wrong)
        .err()
        .unwrap_or_default();
    assert!(
        violations.iter().any(|v| v.location == "body/unit_amount"),
        "{violations:#?}"
    );

    spec.assert_response(
        "GET",
        "/v1/invoices",
        200,
        &json!({"object": "list", "data": [], "has_more": false, "url": "/v1/invoices"}),
    );
    assert!(
        spec.check_response(
            "GET",
            "/v1/invoices",
            200,
            &json!({"object": "list", "data": []})
        )
        .is_err()
    );
    spec.assert_response(
        "POST",
        "/v1/customers",
        402,
        &json!({"error": {"type": "card_error", "message": "declined"}}),
    );
}
