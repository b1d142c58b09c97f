//! Requests and responses against the official Authentik 2025.10.4 document.

mod common;

use common::{accepts, rejects};
use dezky_contract::{Request, Spec};
use serde_json::{Value, json};

fn spec() -> Spec {
    Spec::shared("authentik-2025.10.4.openapi.yml", "/api/v3")
}

fn post(path: &str, body: Value) -> Request {
    Request::new("POST", path).json(&body)
}

#[test]
fn create_group() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &post(
            "/api/v3/core/groups/",
            json!({"name": "t-acme", "attributes": {"dezky_tenant_slug": "acme"}}),
        ),
    );
    assert_eq!(
        operation.operation_id.as_deref(),
        Some("core_groups_create")
    );
    assert_eq!(operation.method, "POST");
    assert_eq!(operation.path_template, "/core/groups/");
}

#[test]
fn create_group_rejects_unknown_field() {
    let violations = rejects(
        &spec(),
        &post("/api/v3/core/groups/", json!({"name": "x", "bogus": 1})),
        "body/bogus",
    );
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

#[test]
fn create_group_requires_name() {
    let violations = rejects(
        &spec(),
        &post("/api/v3/core/groups/", json!({"attributes": {}})),
        "body",
    );
    assert!(
        violations.iter().any(|v| v.message.contains("name")),
        "{violations:#?}"
    );
}

#[test]
fn create_group_checks_types_and_formats() {
    let spec = spec();
    rejects(
        &spec,
        &post("/api/v3/core/groups/", json!({"name": "x", "users": ["a"]})),
        "body/users/0",
    );
    rejects(
        &spec,
        &post(
            "/api/v3/core/groups/",
            json!({"name": "x", "parent": "not-a-uuid"}),
        ),
        "body/parent",
    );
    // `parent` is nullable.
    accepts(
        &spec,
        &post("/api/v3/core/groups/", json!({"name": "x", "parent": null})),
    );
}

#[test]
fn list_groups_query() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &Request::new(
            "GET",
            "/api/v3/core/groups/?name=x&include_users=false&page_size=100",
        ),
    );
    assert_eq!(operation.operation_id.as_deref(), Some("core_groups_list"));
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/?include_users=maybe"),
        "query.include_users",
    );
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/?nonexistent=1"),
        "query.nonexistent",
    );
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/?page_size=ten"),
        "query.page_size",
    );
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/?name=a&name=b"),
        "query.name",
    );
}

#[test]
fn repeated_array_query_parameter() {
    let spec = spec();
    accepts(
        &spec,
        &Request::new(
            "GET",
            "/api/v3/core/groups/?members_by_pk=1&members_by_pk=2",
        ),
    );
    rejects(
        &spec,
        &Request::new(
            "GET",
            "/api/v3/core/groups/?members_by_pk=1&members_by_pk=x",
        ),
        "query.members_by_pk/1",
    );
}

#[test]
fn path_parameters() {
    let spec = spec();
    let operation = accepts(&spec, &Request::new("GET", "/api/v3/core/users/42/"));
    assert_eq!(operation.path_template, "/core/users/{id}/");
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/users/abc/"),
        "path.id",
    );
    // A literal segment wins over a template segment.
    let operation = accepts(
        &spec,
        &post(
            "/api/v3/core/users/service_account/",
            json!({"name": "svc"}),
        ),
    );
    assert_eq!(operation.path_template, "/core/users/service_account/");
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/not-a-uuid/"),
        "path.group_uuid",
    );
    accepts(
        &spec,
        &Request::new(
            "GET",
            "/api/v3/core/groups/1e7a61d7-7d45-4e6d-9a3c-8f7c3f0d1b2a/",
        ),
    );
}

#[test]
fn unknown_path_method_and_base() {
    let spec = spec();
    rejects(&spec, &Request::new("GET", "/api/v3/core/nothing/"), "path");
    rejects(&spec, &Request::new("GET", "/core/groups/"), "path");
    rejects(
        &spec,
        &Request::new("PUT", "/api/v3/core/groups/"),
        "method",
    );
    // Authentik's paths end with a slash.
    rejects(&spec, &Request::new("GET", "/api/v3/core/groups"), "path");
}

#[test]
fn body_rules() {
    let spec = spec();
    rejects(&spec, &Request::new("POST", "/api/v3/core/groups/"), "body");
    rejects(
        &spec,
        &Request::new("POST", "/api/v3/core/groups/").body("application/json", b"{".to_vec()),
        "body",
    );
    rejects(
        &spec,
        &Request::new("POST", "/api/v3/core/groups/").form("name=x"),
        "content-type",
    );
    rejects(
        &spec,
        &Request::new("GET", "/api/v3/core/groups/").json(&json!({})),
        "body",
    );
}

fn oauth2_provider(redirect_uris: Value) -> Value {
    json!({
        "name": "acme-portal",
        "authorization_flow": "5f0c7a8e-1c1a-4a39-8bd4-2f4f5c6d7e8f",
        "invalidation_flow": "6a1d8b9f-2d2b-4b4a-9ce5-3a5a6d7e8f90",
        "client_type": "confidential",
        "redirect_uris": redirect_uris
    })
}

#[test]
fn oauth2_provider_redirect_uris() {
    let spec = spec();
    rejects(
        &spec,
        &post(
            "/api/v3/providers/oauth2/",
            oauth2_provider(json!("https://x")),
        ),
        "body/redirect_uris",
    );
    accepts(
        &spec,
        &post(
            "/api/v3/providers/oauth2/",
            oauth2_provider(json!([{"matching_mode": "strict", "url": "https://x"}])),
        ),
    );
    rejects(
        &spec,
        &post(
            "/api/v3/providers/oauth2/",
            oauth2_provider(json!([{"matching_mode": "fuzzy", "url": "https://x"}])),
        ),
        "body/redirect_uris/0/matching_mode",
    );
    rejects(
        &spec,
        &post(
            "/api/v3/providers/oauth2/",
            oauth2_provider(json!([{"matching_mode": "strict", "url": "https://x", "x": 1}])),
        ),
        "body/redirect_uris/0/x",
    );
    // A field that is an `allOf` wrapper around an enum component.
    let mut body = oauth2_provider(json!([]));
    body["client_type"] = json!("secretive");
    rejects(
        &spec,
        &post("/api/v3/providers/oauth2/", body),
        "body/client_type",
    );
}

fn group(parent: Value) -> Value {
    json!({
        "pk": "1e7a61d7-7d45-4e6d-9a3c-8f7c3f0d1b2a",
        "num_pk": 12,
        "name": "t-acme",
        "is_superuser": false,
        "parent": parent,
        "parent_name": null,
        "users": [1, 2],
        "users_obj": null,
        "attributes": {"dezky_tenant_slug": "acme"},
        "roles": [],
        "roles_obj": [],
        "children": [],
        "children_obj": null
    })
}

fn group_list(results: Value) -> Value {
    json!({
        "pagination": {
            "next": 0, "previous": 0, "count": 1, "current": 1,
            "total_pages": 1, "start_index": 1, "end_index": 1
        },
        "results": results,
        "autocomplete": {}
    })
}

#[test]
fn group_list_response() {
    let spec = spec();
    let body = group_list(json!([group(Value::Null)]));
    spec.assert_response("GET", "/api/v3/core/groups/?page_size=100", 200, &body);
    spec.assert_component("PaginatedGroupList", &body);

    let mut missing = body.clone();
    if let Some(map) = missing.as_object_mut() {
        map.remove("results");
    }
    let violations = spec
        .check_response("GET", "/api/v3/core/groups/", 200, &missing)
        .err()
        .unwrap_or_default();
    assert!(
        violations.iter().any(|v| v.message.contains("results")),
        "{violations:#?}"
    );
    assert!(
        spec.check_component("PaginatedGroupList", &missing)
            .is_err()
    );

    // Nullable fields accept null; non-nullable ones do not.
    spec.assert_component("Group", &group(Value::Null));
    let mut not_nullable = group(Value::Null);
    not_nullable["name"] = Value::Null;
    assert!(spec.check_component("Group", &not_nullable).is_err());

    // Servers add fields: unknown response properties are allowed.
    let mut extra = group(Value::Null);
    extra["added_in_a_later_release"] = json!(true);
    spec.assert_component("Group", &extra);
}

#[test]
fn response_statuses() {
    let spec = spec();
    let created = group(Value::Null);
    spec.assert_response("POST", "/api/v3/core/groups/", 201, &created);
    // An undeclared success status is a violation.
    let violations = spec
        .check_response("POST", "/api/v3/core/groups/", 200, &created)
        .err()
        .unwrap_or_default();
    assert!(
        violations.iter().any(|v| v.location == "status"),
        "{violations:#?}"
    );
    // A declared error status is checked; an undeclared one is accepted.
    spec.assert_response(
        "POST",
        "/api/v3/core/groups/",
        400,
        &json!({"name": ["This field is required."]}),
    );
    spec.assert_response("POST", "/api/v3/core/groups/", 503, &json!("unavailable"));
    spec.assert_response(
        "POST",
        "/api/v3/core/groups/",
        403,
        &json!({"detail": "no"}),
    );
    assert!(
        spec.check_response("POST", "/api/v3/core/groups/", 403, &json!({"detail": 1}))
            .is_err()
    );
    // No content.
    spec.assert_response(
        "DELETE",
        "/api/v3/core/groups/1e7a61d7-7d45-4e6d-9a3c-8f7c3f0d1b2a/",
        204,
        &Value::Null,
    );
}

#[test]
fn unknown_component() {
    let violations = spec()
        .check_component("NoSuchThing", &json!({}))
        .err()
        .unwrap_or_default();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].location, "component");
}

#[test]
#[should_panic(expected = "query.nonexistent: not a parameter of GET /core/groups/")]
fn assert_request_lists_violations() {
    spec().assert_request(&Request::new(
        "GET",
        "/api/v3/core/groups/?nonexistent=1&include_users=maybe",
    ));
}
