//! The `ocis` provisioning port against a stateful OCIS stand-in on
//! 127.0.0.1 that keeps the rules the port depends on: space names are not
//! unique (a repeated create makes a second space), a disabled space is
//! trashed until purged. Every request it receives and every answer it gives
//! are checked against the official libregraph OpenAPI document.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod provisioning_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::ocis::OcisClient;
use dezky_clients::provisioning::OcisSpaces;
use dezky_contract::Spec;
use dezky_core::lifecycle::{Step, StepState, TenantStatus};
use dezky_core::provisioning::{Drift, Provisioner, Removal};
use provisioning_support::*;
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

fn spec() -> Spec {
    Spec::shared("libregraph-v1.0.openapi.yaml", "/graph")
}

fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/ocis/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("JSON")
}

#[derive(Default)]
struct State {
    drives: BTreeMap<String, Value>,
    next: u64,
    violations: Vec<String>,
}

#[derive(Clone)]
struct Ocis {
    state: Arc<Mutex<State>>,
    faults: Faults,
    spec: Arc<Spec>,
}

impl Ocis {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    fn add(&self, name: &str, description: &str) -> String {
        let mut state = self.lock();
        state.next += 1;
        let id = format!(
            "a0ca6a90-a365-4782-871e-d44447bbc668${:08x}-7e1f-4a40-9f6b-2c0b9a1d4e55",
            state.next
        );
        let mut drive = fixture("drive_project");
        drive["id"] = json!(id);
        drive["root"]["id"] = json!(id);
        drive["name"] = json!(name);
        drive["driveAlias"] = json!(format!("project/{name}"));
        drive["description"] = json!(description);
        state.drives.insert(id.clone(), drive);
        id
    }

    fn trash(&self, id: &str) {
        let mut state = self.lock();
        let drive = state.drives.get_mut(id).expect("drive");
        drive["root"]["deleted"] = json!({"state": "trashed"});
        drive.as_object_mut().expect("object").remove("quota");
    }

    fn named(&self, name: &str) -> Vec<Value> {
        self.lock()
            .drives
            .values()
            .filter(|d| d["name"] == json!(name))
            .cloned()
            .collect()
    }

    fn reply(&self, m: &str, p: &str, status: u16, body: Value) -> ResponseTemplate {
        if let Err(violations) = self.spec.check_response(m, p, status, &body) {
            self.lock()
                .violations
                .extend(violations.iter().map(|v| format!("{m} {p}: {v}")));
        }
        let template = ResponseTemplate::new(status);
        if body.is_null() {
            template
        } else {
            template.set_body_json(body)
        }
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        let m = request.method.as_str();
        let p = request.url.path().replace("%24", "$");
        let id = p.strip_prefix("/graph/v1.0/drives/").map(str::to_owned);
        match (m, id) {
            ("GET", None) => {
                let value: Vec<Value> = self
                    .lock()
                    .drives
                    .values()
                    .filter(|d| d["driveType"] == "project")
                    .cloned()
                    .collect();
                self.reply(m, &p, 200, json!({ "value": value }))
            }
            ("POST", None) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let id = self.add(
                    body["name"].as_str().expect("name"),
                    body["description"].as_str().unwrap_or_default(),
                );
                let drive = self.lock().drives[&id].clone();
                self.reply(m, &p, 201, drive)
            }
            ("GET", Some(id)) => {
                let drive = self.lock().drives.get(&id).cloned();
                match drive {
                    Some(d) => self.reply(m, &p, 200, d),
                    None => self.reply(m, &p, 404, fixture("error_not_found")),
                }
            }
            ("DELETE", Some(id)) => {
                let purge = request.headers.get("purge").is_some();
                let drive = self.lock().drives.get(&id).cloned();
                let Some(drive) = drive else {
                    return self.reply(m, &p, 404, fixture("error_not_found"));
                };
                let trashed = drive["root"]["deleted"]["state"] == "trashed";
                match (purge, trashed) {
                    (true, true) => {
                        self.lock().drives.remove(&id);
                    }
                    (true, false) => panic!("purge of an enabled space"),
                    (false, _) => self.trash(&id),
                }
                self.reply(m, &p, 204, Value::Null)
            }
            _ => panic!("unexpected {m} {p}"),
        }
    }
}

fn op_of(request: &Request) -> &'static str {
    let one = request.url.path().starts_with("/graph/v1.0/drives/");
    match (request.method.as_str(), one) {
        ("GET", false) => "find",
        ("GET", true) => "get",
        ("POST", _) => "create",
        _ => "remove",
    }
}

impl Respond for Ocis {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.faults.take(op_of(request)) {
            Some(Fault::Timeout) => Fault::late(self.handle(request)),
            Some(fault) => fault.refusal(fixture("error_general")),
            None => self.handle(request),
        }
    }
}

struct Env {
    server: MockServer,
    upstream: Ocis,
}

impl Env {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let upstream = Ocis {
            state: Arc::default(),
            faults: Faults::default(),
            spec: Arc::new(spec()),
        };
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(upstream.clone())
            .mount(&server)
            .await;
        Env { server, upstream }
    }

    fn provisioner_at(url: &str) -> Provisioner {
        let client = OcisClient::new(
            config(&format!("{url}/graph")),
            Auth::Bearer(Secret::new("tok-ocis-1")),
        )
        .expect("client");
        provisioner(OcisSpaces::new(client))
    }

    fn provisioner(&self) -> Provisioner {
        Self::provisioner_at(&self.server.uri())
    }

    async fn check(&self) -> Vec<Request> {
        let requests = self.server.received_requests().await.expect("recording");
        spec().assert_wiremock_requests(&requests);
        let violations = self.upstream.lock().violations.clone();
        assert!(violations.is_empty(), "{}", violations.join("\n"));
        requests
    }

    async fn count(&self, m: &str) -> usize {
        self.check()
            .await
            .iter()
            .filter(|r| r.method.as_str() == m)
            .count()
    }
}

#[tokio::test]
async fn a_new_tenant_gets_one_marked_space_kept_in_sync_and_adopted() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Ocis);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    assert_eq!(tenant.status, TenantStatus::Active);
    let spaces = env.upstream.named("acme");
    assert_eq!(spaces.len(), 1);
    assert_eq!(
        spaces[0]["description"],
        json!(format!("Acme Co · dezky tenant {TENANT_ID}"))
    );
    assert_eq!(
        tenant.handles.ocis_space_id.as_deref(),
        spaces[0]["id"].as_str()
    );

    let (tenant, again) = reconcile(&p, &tenant).await;
    assert_eq!(report(&again, Step::Ocis).drift, Drift::InSync);
    assert!(again.patch.is_empty());

    // A stranger's space of the same name does not hide the tenant's.
    env.upstream.add("acme", "somebody else's");
    let mut lost = tenant.clone();
    lost.handles.ocis_space_id = None;
    let (adopted, r) = reconcile(&p, &lost).await;
    assert_eq!(report(&r, Step::Ocis).drift, Drift::Adopted);
    assert_eq!(adopted.handles.ocis_space_id, tenant.handles.ocis_space_id);
    assert_eq!(env.count("POST").await, 1, "created once");

    // Deprovisioning disables and purges the tenant's space only.
    let (_, d) = deprovision(&p, &adopted).await;
    assert!(d.complete);
    assert_eq!(d.steps[2].removal, Removal::Removed);
    let left = env.upstream.named("acme");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["description"], "somebody else's");
}

#[tokio::test]
async fn a_space_without_the_marker_is_a_conflict_and_never_deleted() {
    let env = Env::new().await;
    env.upstream.add("acme", "Acme Co");
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Ocis);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Conflict,
            Some("DEZKY_ALREADY_EXISTS")
        )
    );
    let (_, d) = deprovision(&p, &tenant).await;
    assert_eq!(d.steps[2].removal, Removal::Foreign);
    assert_eq!(env.upstream.named("acme").len(), 1);
    assert_eq!(env.count("POST").await + env.count("DELETE").await, 0);
}

#[tokio::test]
async fn a_disabled_space_is_reported_as_it_is_and_purged_by_deprovisioning() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let id = tenant.handles.ocis_space_id.clone().unwrap();
    env.upstream.trash(&id);
    let (tenant, r) = reconcile(&p, &tenant).await;
    assert_eq!(report(&r, Step::Ocis).drift, Drift::InSync);
    assert_eq!(env.count("POST").await, 1, "no second space");

    let (_, d) = deprovision(&p, &tenant).await;
    assert_eq!(d.steps[2].removal, Removal::Removed);
    assert!(env.upstream.named("acme").is_empty());
    env.check().await;
}

#[tokio::test]
async fn faults_at_the_step_are_recorded_and_a_later_reconcile_converges() {
    for fault in FAULTS {
        let env = Env::new().await;
        env.upstream.faults.push("create", fault);
        let p = env.provisioner();
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        let (code, retry_after) = fault.expected();
        assert_failed(&r, &failed, Step::Ocis, code, retry_after);

        let (tenant, r) = reconcile(&p, &failed).await;
        let s = report(&r, Step::Ocis);
        // After a timeout the space was made: it is found, not made again
        // (OCIS would accept a second one of the same name).
        let drift = if fault == Fault::Timeout {
            Drift::Adopted
        } else {
            Drift::Created
        };
        assert_eq!((s.state, s.drift), (StepState::Ok, drift), "{fault:?}");
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(env.upstream.named("acme").len(), 1, "{fault:?}");
        env.check().await;
    }

    let env = Env::new().await;
    let (failed, r) = reconcile(&Env::provisioner_at(&resetting_server()), &new_tenant()).await;
    assert_failed(&r, &failed, Step::Ocis, "DEZKY_TRANSPORT", None);
    let (tenant, _) = reconcile(&env.provisioner(), &failed).await;
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(env.upstream.named("acme").len(), 1);
}

#[tokio::test]
async fn a_failed_purge_is_resumed_by_the_next_deprovisioning() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    // Disabled already (a run stopped after the disable); the purge fails.
    let id = tenant.handles.ocis_space_id.clone().unwrap();
    env.upstream.trash(&id);
    env.upstream.faults.push("remove", Fault::ServerError);
    let (partly, d) = deprovision(&p, &tenant).await;
    assert!(!d.complete);
    assert_eq!(d.steps[2].removal, Removal::Failed);
    assert_eq!(
        d.steps[2].code.as_deref(),
        Some("DEZKY_UPSTREAM_UNAVAILABLE")
    );
    let (_, d) = deprovision(&p, &partly).await;
    assert!(d.complete);
    assert_eq!(d.steps[2].removal, Removal::Removed);
    assert!(env.upstream.named("acme").is_empty());
}
