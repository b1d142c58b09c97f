//! Requests and responses against the official libregraph v1.0 document.

mod common;

use common::{accepts, rejects};
use dezky_contract::{Request, Spec};
use serde_json::json;

fn spec() -> Spec {
    Spec::shared("libregraph-v1.0.openapi.yaml", "/graph")
}

#[test]
fn list_drives_with_odata_filter() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &Request::new(
            "GET",
            "/graph/v1.0/drives?%24filter=driveType%20eq%20%27project%27",
        ),
    );
    assert_eq!(operation.operation_id.as_deref(), Some("ListAllDrives"));
    accepts(
        &spec,
        &Request::new("GET", "/graph/v1.0/drives?$orderby=name%20asc"),
    );
    // `$top` is declared for other collections, not for drives.
    rejects(
        &spec,
        &Request::new("GET", "/graph/v1.0/drives?$top=5"),
        "query.$top",
    );
    rejects(
        &spec,
        &Request::new("GET", "/graph/v1.0/drives?filter=x"),
        "query.filter",
    );
    rejects(
        &spec,
        &Request::new("GET", "/graph/v1.0/drives?$filter=a&$filter=b"),
        "query.$filter",
    );
}

#[test]
fn create_drive() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &Request::new("POST", "/graph/v1.0/drives").json(&json!({
            "name": "acme", "driveType": "project", "quota": {"total": 10}
        })),
    );
    assert_eq!(operation.operation_id.as_deref(), Some("CreateDrive"));
    rejects(
        &spec,
        &Request::new("POST", "/graph/v1.0/drives").json(&json!({
            "name": "acme", "driveType": "project", "quota": {"total": 10}, "bogus": true
        })),
        "body/bogus",
    );
    // `drive` requires `name` on top of `driveUpdate` (an `allOf` composition).
    rejects(
        &spec,
        &Request::new("POST", "/graph/v1.0/drives").json(&json!({"driveType": "project"})),
        "body",
    );
    rejects(
        &spec,
        &Request::new("POST", "/graph/v1.0/drives")
            .json(&json!({"name": "acme", "quota": {"total": "ten"}})),
        "body/quota/total",
    );
}

#[test]
fn read_only_properties_are_not_sent() {
    let violations = rejects(
        &spec(),
        &Request::new("POST", "/graph/v1.0/drives").json(&json!({
            "name": "acme", "id": "x", "quota": {"total": 10, "used": 1}
        })),
        "body/id",
    );
    assert!(
        violations.iter().any(|v| v.location == "body/quota/used"),
        "{violations:#?}"
    );
    // A failing `allOf` member does not make its declared properties "unknown".
    assert!(
        !violations.iter().any(|v| v.location == "body/name"),
        "{violations:#?}"
    );
}

#[test]
fn drive_paths() {
    let spec = spec();
    let operation = accepts(
        &spec,
        &Request::new(
            "GET",
            "/graph/v1.0/drives/1284d238-aa92-42ce-bdc4-0b0000009157$1",
        ),
    );
    assert_eq!(operation.path_template, "/v1.0/drives/{drive-id}");
    accepts(
        &spec,
        &Request::new("PATCH", "/graph/v1.0/drives/d1").json(&json!({"name": "renamed"})),
    );
    rejects(&spec, &Request::new("GET", "/v1.0/drives"), "path");
}

#[test]
fn drive_response() {
    let spec = spec();
    let drive = json!({
        "id": "d1",
        "name": "acme",
        "driveType": "project",
        "quota": {"total": 10, "used": 0, "remaining": 10, "state": "normal"},
        "root": {"id": "d1", "webDavUrl": "https://cloud.example/dav/spaces/d1"}
    });
    spec.assert_response("POST", "/graph/v1.0/drives", 201, &drive);
    spec.assert_response("GET", "/graph/v1.0/drives", 200, &json!({"value": [drive]}));
    assert!(
        spec.check_response(
            "GET",
            "/graph/v1.0/drives",
            200,
            &json!({"value": [{"quota": {"total": "x"}}]})
        )
        .is_err()
    );
    // Errors fall back to the `default` response (odata error).
    spec.assert_response(
        "POST",
        "/graph/v1.0/drives",
        409,
        &json!({"error": {"code": "nameAlreadyExists", "message": "exists"}}),
    );
    assert!(
        spec.check_response(
            "POST",
            "/graph/v1.0/drives",
            409,
            &json!({"error": "exists"})
        )
        .is_err()
    );
}
