//! The OCIS libregraph client against a local mock server: every operation,
//! error bodies, retries, pagination and the two-step removal. Every request
//! sent and every JSON fixture served is checked against the official
//! libregraph OpenAPI document.

// Test support: a broken expectation should panic with its message.
#![allow(clippy::expect_used)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dezky_clients::http::{Auth, HttpConfig, RetryPolicy};
use dezky_clients::ocis::{
    DriveType, NewProjectSpace, NewUser, OcisClient, QuotaState, RemovalStep, SpaceRemoval,
};
use dezky_clients::{Error, Secret, UpstreamKind};
use dezky_contract::Spec;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ID: &str = "a0ca6a90-a365-4782-871e-d44447bbc668$5b0d8c3a-7e1f-4a40-9f6b-2c0b9a1d4e55";
const DRIVE: &str =
    "/graph/v1.0/drives/a0ca6a90-a365-4782-871e-d44447bbc668$5b0d8c3a-7e1f-4a40-9f6b-2c0b9a1d4e55";
const DRIVES: &str = "/graph/v1.0/drives";
const PROJECT_FILTER: &str = "driveType eq 'project'";

fn spec() -> Arc<Spec> {
    static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| Arc::new(Spec::shared("libregraph-v1.0.openapi.yaml", "/graph")))
        .clone()
}

fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/ocis/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&file).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A response serving `body`, which must be what the document declares for
/// `method path` and `status`.
fn answer(method: &str, path: &str, status: u16, body: Value) -> ResponseTemplate {
    spec().assert_response(method, path, status, &body);
    ResponseTemplate::new(status).set_body_json(body)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    }
}

fn client(server: &MockServer) -> OcisClient {
    let config = HttpConfig::new(&server.uri())
        .expect("config")
        .with_retry(fast_retries())
        .with_timeout(Duration::from_millis(800));
    OcisClient::new(config, Auth::Bearer(Secret::new("tok-ocis-1"))).expect("client")
}

/// Every request the server received conforms to the document.
async fn check_requests(server: &MockServer) -> usize {
    let received = server.received_requests().await.expect("recording");
    spec().assert_wiremock_requests(&received);
    received.len()
}

fn upstream(error: &Error) -> &dezky_clients::UpstreamError {
    error.upstream().expect("an upstream error")
}

#[tokio::test]
async fn create_sends_only_schema_fields_and_decodes_the_drive() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .and(header("authorization", "Bearer tok-ocis-1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "name": "acme", "driveType": "project", "description": "Acme Co",
            "quota": {"total": 10_737_418_240_i64}
        })))
        .respond_with(answer("POST", DRIVES, 201, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .and(body_json(
            json!({"name": "minimal", "driveType": "project"}),
        ))
        .respond_with(answer("POST", DRIVES, 201, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let drive = ocis
        .create_project_space(
            "  acme ",
            &NewProjectSpace {
                description: Some("Acme Co".into()),
                quota_bytes: Some(10 << 30),
            },
        )
        .await
        .expect("created");
    assert_eq!(drive.id.as_deref(), Some(ID));
    assert_eq!(drive.drive_type, Some(DriveType::Project));
    assert_eq!(drive.name.as_deref(), Some("acme"));
    assert!(!drive.is_trashed());
    let quota = drive.quota.expect("quota");
    assert_eq!(quota.total, Some(10_737_418_240));
    assert_eq!(quota.used, Some(52_428_800));
    assert_eq!(quota.state, Some(QuotaState::Normal));
    let owner = drive.owner.and_then(|o| o.user).expect("owner");
    assert_eq!(
        owner.id.as_deref(),
        Some("0e8a1bd6-5c8b-4e2a-9b35-7f0a6d0c1a11")
    );
    ocis.create_project_space("minimal", &NewProjectSpace::default())
        .await
        .expect("created");
    assert_eq!(check_requests(&server).await, 2);
}

#[tokio::test]
async fn invalid_space_names_are_refused_without_a_request() {
    let server = MockServer::start().await;
    let ocis = client(&server);
    let long = "x".repeat(256);
    for name in [
        "", "  ", "acme.io", "a/b", "a\\b", "a:b", "a?b", "a*b", "a\"b", "a>b", "a<b", "a|b", &long,
    ] {
        let error = ocis
            .create_project_space(name, &NewProjectSpace::default())
            .await
            .expect_err(name);
        assert!(
            matches!(&error, Error::InvalidInput { field, .. } if field == "name"),
            "{name}: {error:?}"
        );
        assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
        let error = ocis
            .ensure_project_space(name, &NewProjectSpace::default())
            .await
            .expect_err(name);
        assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    }
    let error = ocis
        .create_project_space(
            "acme",
            &NewProjectSpace {
                quota_bytes: Some(-1),
                ..Default::default()
            },
        )
        .await
        .expect_err("negative quota");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    assert_eq!(check_requests(&server).await, 0);
}

#[tokio::test]
async fn get_reads_the_quota_and_its_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_project")))
        .expect(2)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let drive = ocis.get_drive(ID).await.expect("drive");
    assert_eq!(drive.drive_alias.as_deref(), Some("project/acme"));
    assert_eq!(
        drive.last_modified_date_time.as_deref(),
        Some("2026-06-01T10:00:00Z")
    );
    let quota = ocis.space_quota(ID).await.expect("quota").expect("present");
    assert_eq!(quota.remaining, Some(10_684_989_440));
    assert_eq!(quota.deleted, Some(0));
    assert_eq!(quota.state, Some(QuotaState::Normal));
    assert_eq!(check_requests(&server).await, 2);
}

#[tokio::test]
async fn a_trashed_space_has_no_quota_rather_than_zero() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_trashed")))
        .mount(&server)
        .await;
    let ocis = client(&server);
    let drive = ocis.get_drive(ID).await.expect("drive");
    assert!(drive.is_trashed());
    assert_eq!(drive.quota, None);
    assert_eq!(ocis.space_quota(ID).await.expect("read"), None);
    check_requests(&server).await;
}

#[tokio::test]
async fn project_spaces_are_listed_with_the_filter_and_a_null_body_is_empty() {
    let server = MockServer::start().await;
    // OCIS answers `null` when nothing matches. This departs from the
    // document (an object is declared), so this body is not checked against it.
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(ResponseTemplate::new(200).set_body_string("null"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(answer("GET", DRIVES, 200, json!({})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let listed = json!({"value": [fixture("drive_project"), fixture("drive_nearing"), fixture("drive_trashed")]});
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(answer("GET", DRIVES, 200, listed))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    assert!(ocis.list_project_spaces().await.expect("null").is_empty());
    assert!(ocis.list_project_spaces().await.expect("{}").is_empty());
    let spaces = ocis.list_project_spaces().await.expect("list");
    assert_eq!(spaces.len(), 3);
    assert_eq!(
        spaces[1].quota.as_ref().and_then(|q| q.state.clone()),
        Some(QuotaState::Nearing)
    );
    assert!(spaces[2].is_trashed() && spaces[2].quota.is_none());
    let received = server.received_requests().await.expect("recording");
    assert!(
        received[0]
            .url
            .as_str()
            .ends_with("/graph/v1.0/drives?%24filter=driveType+eq+%27project%27"),
        "{}",
        received[0].url
    );
    assert_eq!(check_requests(&server).await, 3);
}

#[tokio::test]
async fn next_links_are_followed_across_pages() {
    let server = MockServer::start().await;
    // The document declares no paging for ListAllDrives; a link made of
    // declared parameters keeps the follow-up request checkable.
    let next = format!(
        "{}/graph/v1.0/drives?%24filter=driveType%20eq%20%27project%27&%24orderby=name",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$orderby", "name"))
        .respond_with(answer(
            "GET",
            DRIVES,
            200,
            json!({"value": [fixture("drive_nearing")]}),
        ))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(answer(
            "GET",
            DRIVES,
            200,
            json!({"value": [fixture("drive_project")], "@odata.nextLink": next}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let spaces = ocis.list_project_spaces().await.expect("two pages");
    let names: Vec<_> = spaces.iter().filter_map(|d| d.name.as_deref()).collect();
    assert_eq!(names, ["acme", "globex"]);
    assert_eq!(check_requests(&server).await, 2);
}

#[tokio::test]
async fn a_next_link_to_another_server_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .respond_with(answer(
            "GET",
            DRIVES,
            200,
            json!({"value": [], "@odata.nextLink": "https://elsewhere.example/graph/v1.0/drives"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .list_drives(None)
        .await
        .expect_err("foreign link");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_DECODE");
    assert!(error.to_string().contains("another server"), "{error}");
    check_requests(&server).await;
}

#[tokio::test]
async fn quota_update_disable_and_restore() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(DRIVE))
        .and(body_json(json!({"quota": {"total": 2_000_000_000_i64}})))
        .respond_with(answer("PATCH", DRIVE, 200, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(DRIVE))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(DRIVE))
        .and(header("restore", "T"))
        .and(body_json(json!({})))
        .respond_with(answer("PATCH", DRIVE, 200, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let drive = ocis
        .set_space_quota(ID, 2_000_000_000)
        .await
        .expect("quota set");
    assert_eq!(drive.id.as_deref(), Some(ID));
    ocis.disable_space(ID).await.expect("disabled");
    let restored = ocis.restore_space(ID).await.expect("restored");
    assert!(!restored.is_trashed());
    let received = server.received_requests().await.expect("recording");
    let delete = received
        .iter()
        .find(|r| r.method.as_str() == "DELETE")
        .expect("delete sent");
    assert!(
        delete.headers.get("purge").is_none(),
        "disable must not purge"
    );
    let error = ocis.set_space_quota(ID, -5).await.expect_err("negative");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    assert_eq!(check_requests(&server).await, 3);
}

#[tokio::test]
async fn purging_an_enabled_space_is_refused_locally() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let error = client(&server).purge_space(ID).await.expect_err("enabled");
    assert!(
        matches!(&error, Error::InvalidInput { reason, .. } if reason.contains("still enabled")),
        "{error:?}"
    );
    check_requests(&server).await;
}

#[tokio::test]
async fn purging_a_trashed_space_sends_purge_t() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_trashed")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(DRIVE))
        .and(header("purge", "T"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).purge_space(ID).await.expect("purged");
    assert_eq!(check_requests(&server).await, 2);
}

/// Mounts the removal flow: the space is enabled for the first `enabled_gets`
/// GETs and trashed afterwards; the purge answers `purge_status`.
async fn mount_removal(server: &MockServer, enabled_gets: u64, purge: ResponseTemplate) {
    if enabled_gets > 0 {
        Mock::given(method("GET"))
            .and(path(DRIVE))
            .respond_with(answer("GET", DRIVE, 200, fixture("drive_project")))
            .up_to_n_times(enabled_gets)
            .with_priority(1)
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_trashed")))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(DRIVE))
        .and(header("purge", "T"))
        .respond_with(purge)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(DRIVE))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

fn purge_count(received: &[wiremock::Request]) -> (usize, usize) {
    let deletes = received.iter().filter(|r| r.method.as_str() == "DELETE");
    let (purges, disables): (Vec<_>, Vec<_>) =
        deletes.partition(|r| r.headers.get("purge").is_some());
    (disables.len(), purges.len())
}

#[tokio::test]
async fn removal_disables_confirms_and_purges() {
    let server = MockServer::start().await;
    mount_removal(&server, 1, ResponseTemplate::new(204)).await;
    let removal = client(&server)
        .remove_project_space(ID)
        .await
        .expect("removed");
    assert_eq!(
        removal,
        SpaceRemoval {
            already_gone: false,
            disabled: true,
            purged: true
        }
    );
    let received = server.received_requests().await.expect("recording");
    let steps: Vec<_> = received
        .iter()
        .map(|r| {
            format!(
                "{}{}",
                r.method,
                if r.headers.get("purge").is_some() {
                    "+purge"
                } else {
                    ""
                }
            )
        })
        .collect();
    assert_eq!(steps, ["GET", "DELETE", "GET", "DELETE+purge"]);
    check_requests(&server).await;
}

#[tokio::test]
async fn removal_resumes_after_a_failed_purge() {
    let server = MockServer::start().await;
    let failure = answer("DELETE", DRIVE, 500, fixture("error_general"));
    mount_removal(&server, 1, failure.clone()).await;
    let ocis = client(&server);
    let error = ocis
        .remove_project_space(ID)
        .await
        .expect_err("purge fails");
    assert_eq!(error.step, RemovalStep::Purge);
    assert!(error.disabled);
    assert_eq!(error.error.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(
        upstream(&error.error).upstream_code.as_deref(),
        Some("generalException")
    );
    assert!(error.to_string().contains("step purge"), "{error}");
    // The failed purge was not retried (500 is not transient), and the next
    // call starts from the trashed state: no second disable.
    server.reset().await;
    mount_removal(&server, 0, ResponseTemplate::new(204)).await;
    let removal = ocis.remove_project_space(ID).await.expect("resumed");
    assert_eq!(
        removal,
        SpaceRemoval {
            already_gone: false,
            disabled: false,
            purged: true
        }
    );
    let received = server.received_requests().await.expect("recording");
    assert_eq!(purge_count(&received), (0, 1));
    check_requests(&server).await;

    // Once purged, the space is gone: a further call reports it.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 404, fixture("error_not_found")))
        .expect(1)
        .mount(&server)
        .await;
    let removal = ocis.remove_project_space(ID).await.expect("gone");
    assert!(removal.already_gone && !removal.purged);
    check_requests(&server).await;
}

#[tokio::test]
async fn odata_errors_keep_status_first_and_code_as_detail() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .and(body_json(json!({"name": "bad", "driveType": "project"})))
        .respond_with(answer(
            "POST",
            DRIVES,
            400,
            fixture("error_invalid_spacename"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .and(body_json(json!({"name": "denied", "driveType": "project"})))
        .respond_with(answer(
            "POST",
            DRIVES,
            403,
            fixture("error_not_allowed_403"),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(
            answer("GET", DRIVE, 404, fixture("error_not_found"))
                .insert_header("x-request-id", "from-header-1"),
        )
        .mount(&server)
        .await;
    let ocis = client(&server);

    let error = ocis
        .create_project_space("bad", &NewProjectSpace::default())
        .await
        .expect_err("400");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_REJECTED");
    let detail = upstream(&error);
    assert_eq!(detail.status, 400);
    assert_eq!(detail.upstream_code.as_deref(), Some("invalidRequest"));
    assert!(
        detail
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("invalid spacename"))
    );
    assert_eq!(detail.request_id.as_deref(), Some("cloud/7f3e2a1b-000001"));
    assert_eq!(detail.service, "ocis");

    let error = ocis
        .create_project_space("denied", &NewProjectSpace::default())
        .await
        .expect_err("403");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_FORBIDDEN");
    assert_eq!(
        upstream(&error).upstream_code.as_deref(),
        Some("notAllowed")
    );

    let error = ocis.get_drive(ID).await.expect_err("404");
    assert!(error.is_not_found());
    assert_eq!(error.code(), "DEZKY_NOT_FOUND");
    // A request id header wins over the body's.
    assert_eq!(
        upstream(&error).request_id.as_deref(),
        Some("from-header-1")
    );
    check_requests(&server).await;
}

#[tokio::test]
async fn an_unsupported_filter_is_a_501_not_supported() {
    let server = MockServer::start().await;
    let filter = "driveType eq 'project' and name eq 'acme'";
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", filter))
        .respond_with(answer(
            "GET",
            DRIVES,
            501,
            fixture("error_unsupported_filter"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .list_drives(Some(filter))
        .await
        .expect_err("501");
    let detail = upstream(&error);
    assert_eq!(detail.status, 501);
    assert_eq!(detail.upstream_code.as_deref(), Some("notSupported"));
    assert_eq!(detail.kind, UpstreamKind::from_status(501));
    check_requests(&server).await;
}

#[tokio::test]
async fn status_decides_the_kind_when_the_code_disagrees() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 401, fixture("error_not_allowed_401")))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(DRIVE))
        .respond_with(answer(
            "PATCH",
            DRIVE,
            400,
            json!({"error": {"code": "accessDenied", "message": "user is not allowed to set the space quota"}}),
        ))
        .mount(&server)
        .await;
    let ocis = client(&server);
    let error = ocis.get_drive(ID).await.expect_err("401");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAUTHORIZED");
    assert_eq!(
        upstream(&error).upstream_code.as_deref(),
        Some("notAllowed")
    );
    let error = ocis.set_space_quota(ID, 1).await.expect_err("400");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_REJECTED");
    assert_eq!(
        upstream(&error).upstream_code.as_deref(),
        Some("accessDenied")
    );
    assert_eq!(upstream(&error).request_id, None);
    check_requests(&server).await;
}

#[tokio::test]
async fn a_plain_401_without_body_is_unauthorized() {
    let server = MockServer::start().await;
    // The proxy refuses a bad token before the Graph service: no OData body.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).insert_header("www-authenticate", "Bearer"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).get_drive(ID).await.expect_err("401");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAUTHORIZED");
    let detail = upstream(&error);
    assert_eq!(
        (detail.upstream_code.as_deref(), detail.message.as_deref()),
        (None, None)
    );
    assert!(!error.to_string().contains("tok-ocis-1"));
    check_requests(&server).await;
}

#[tokio::test]
async fn a_get_is_retried_after_503_and_a_post_is_not() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(answer("GET", DRIVE, 200, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    ocis.get_drive(ID).await.expect("third attempt");
    let error = ocis
        .create_project_space("acme", &NewProjectSpace::default())
        .await
        .expect_err("not retried");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(check_requests(&server).await, 4);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DRIVE))
        .respond_with(
            answer("GET", DRIVE, 200, fixture("drive_project")).set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let config = HttpConfig::new(&format!("{}/graph", server.uri()))
        .expect("config")
        .with_retry(RetryPolicy::never())
        .with_timeout(Duration::from_millis(200));
    let ocis = OcisClient::new(config, Auth::Bearer(Secret::new("t"))).expect("client");
    let started = std::time::Instant::now();
    let error = ocis.get_drive(ID).await.expect_err("timeout");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(error.code(), "DEZKY_TIMEOUT");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn ensure_reuses_restores_or_creates() {
    let server = MockServer::start().await;
    let mut other = fixture("drive_nearing");
    other["name"] = json!("acme-archive");
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(answer(
            "GET",
            DRIVES,
            200,
            json!({"value": [other, fixture("drive_project")]}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .and(query_param("$filter", PROJECT_FILTER))
        .respond_with(answer(
            "GET",
            DRIVES,
            200,
            json!({"value": [fixture("drive_trashed")]}),
        ))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DRIVES))
        .respond_with(answer("GET", DRIVES, 200, json!({"value": []})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(DRIVE))
        .and(header("restore", "T"))
        .respond_with(answer("PATCH", DRIVE, 200, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DRIVES))
        .and(body_json(
            json!({"name": "acme", "driveType": "project", "quota": {"total": 5}}),
        ))
        .respond_with(answer("POST", DRIVES, 201, fixture("drive_project")))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let options = NewProjectSpace {
        description: None,
        quota_bytes: Some(5),
    };
    let found = ocis
        .ensure_project_space("acme", &options)
        .await
        .expect("found");
    assert!(!found.created && !found.restored);
    assert_eq!(found.drive.id.as_deref(), Some(ID));
    let restored = ocis
        .ensure_project_space("acme", &options)
        .await
        .expect("restored");
    assert!(!restored.created && restored.restored);
    let created = ocis
        .ensure_project_space("acme", &options)
        .await
        .expect("created");
    assert!(created.created && !created.restored);
    assert_eq!(check_requests(&server).await, 5);
}

#[tokio::test]
async fn users_are_read_created_without_id_and_deleted() {
    let server = MockServer::start().await;
    let user_path = "/graph/v1.0/users/4c510ada-c86b-4815-8820-42cdf82c3d51";
    Mock::given(method("GET"))
        .and(path("/graph/v1.0/users/alice"))
        .respond_with(answer(
            "GET",
            "/graph/v1.0/users/alice",
            200,
            fixture("user"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graph/v1.0/users"))
        .and(body_json(json!({
            "displayName": "Alice Martin", "onPremisesSamAccountName": "alice",
            "mail": "alice@acme.example", "passwordProfile": {"password": "pw-SECRET-1"}
        })))
        .respond_with(answer("POST", "/graph/v1.0/users", 201, fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graph/v1.0/users"))
        .and(body_json(
            json!({"displayName": "Bob", "onPremisesSamAccountName": "bob"}),
        ))
        .respond_with(answer("POST", "/graph/v1.0/users", 201, fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(user_path))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let ocis = client(&server);
    let user = ocis.get_user("alice").await.expect("user");
    assert_eq!(
        user.id.as_deref(),
        Some("4c510ada-c86b-4815-8820-42cdf82c3d51")
    );
    assert_eq!(user.on_premises_sam_account_name.as_deref(), Some("alice"));
    assert_eq!(user.account_enabled, Some(true));
    let new = NewUser {
        display_name: "Alice Martin".into(),
        on_premises_sam_account_name: "alice".into(),
        mail: Some("alice@acme.example".into()),
        password: Some(Secret::new("pw-SECRET-1")),
    };
    assert!(!format!("{new:?}").contains("pw-SECRET-1"));
    let created = ocis.create_user(&new).await.expect("created");
    assert_eq!(created.display_name.as_deref(), Some("Alice Martin"));
    ocis.create_user(&NewUser {
        display_name: "Bob".into(),
        on_premises_sam_account_name: "bob".into(),
        mail: None,
        password: None,
    })
    .await
    .expect("created without password");
    ocis.delete_user("4c510ada-c86b-4815-8820-42cdf82c3d51")
        .await
        .expect("deleted");
    let error = ocis
        .create_user(&NewUser {
            display_name: " ".into(),
            on_premises_sam_account_name: "x".into(),
            mail: None,
            password: None,
        })
        .await
        .expect_err("empty name");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    let error = ocis.delete_user("").await.expect_err("empty id");
    assert_eq!(error.code(), "DEZKY_INVALID_ARGUMENT");
    assert_eq!(check_requests(&server).await, 4);
}

#[tokio::test]
async fn the_base_url_is_accepted_with_or_without_graph() {
    for base in ["", "/", "/graph", "/graph/"] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(DRIVE))
            .respond_with(answer("GET", DRIVE, 200, fixture("drive_project")))
            .expect(1)
            .mount(&server)
            .await;
        let url = format!("{}{base}", server.uri());
        let ocis = OcisClient::from_lookup(|name| match name {
            "OCIS_API_URL" => Some(url.clone()),
            "OCIS_ACCESS_TOKEN" => Some("tok-static".into()),
            _ => None,
        })
        .expect("client");
        ocis.get_drive(ID).await.expect(base);
        assert!(!format!("{ocis:?}").contains("tok-static"));
    }
}

#[test]
fn from_env_needs_a_credential() {
    let error = OcisClient::from_lookup(|name| {
        (name == "OCIS_API_URL").then(|| "https://cloud.example".to_owned())
    })
    .expect_err("no credential");
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "OCIS_TOKEN_URL"),
        "{error:?}"
    );
    let error = OcisClient::from_lookup(|name| match name {
        "OCIS_API_URL" => Some("https://cloud.example".into()),
        "OCIS_TOKEN_URL" => Some("https://sso.example/application/o/token/".into()),
        _ => None,
    })
    .expect_err("no credentials file");
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "OCIS_CREDENTIALS_FILE"),
        "{error:?}"
    );
    let client = OcisClient::from_lookup(|name| match name {
        "OCIS_API_URL" => Some("https://cloud.example/graph".into()),
        "OCIS_TOKEN_URL" => Some("https://sso.example/application/o/token/".into()),
        "OCIS_CREDENTIALS_FILE" => Some("/nonexistent/ocis.json".into()),
        _ => None,
    })
    .expect("built without touching the file");
    assert_eq!(
        client.http().config().base_url.as_str(),
        "https://cloud.example/graph"
    );
}

#[test]
fn every_fixture_conforms_to_its_component() {
    let spec = spec();
    for name in ["drive_project", "drive_nearing", "drive_trashed"] {
        spec.assert_component("drive", &fixture(name));
    }
    spec.assert_component("user", &fixture("user"));
    for name in [
        "error_invalid_spacename",
        "error_not_allowed_403",
        "error_not_found",
        "error_unsupported_filter",
        "error_not_allowed_401",
        "error_general",
    ] {
        spec.assert_component("odata.error", &fixture(name));
    }
    // The checks are strict where the server is: a user body with an `id`
    // (which OCIS refuses) does not pass.
    let with_id = dezky_contract::Request::new("POST", "/graph/v1.0/users").json(&json!({
        "id": "x", "displayName": "a", "onPremisesSamAccountName": "a"
    }));
    assert!(spec.check_request(&with_id).is_err());
}
