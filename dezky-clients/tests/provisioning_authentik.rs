//! The `authentik` provisioning port against a stateful Authentik stand-in
//! on 127.0.0.1: every request it receives and every answer it gives are
//! checked against the official OpenAPI document of Authentik 2025.10.4.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod provisioning_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dezky_clients::Secret;
use dezky_clients::authentik::AuthentikClient;
use dezky_clients::provisioning::AuthentikGroups;
use dezky_contract::Spec;
use dezky_core::lifecycle::{Step, StepState, TenantStatus};
use dezky_core::provisioning::{Drift, Provisioner, Removal};
use provisioning_support::*;
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "api-token-for-tests";

fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/authentik/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("JSON")
}

fn spec() -> Spec {
    Spec::shared("authentik-2025.10.4.openapi.yml", "/api/v3")
}

fn page(results: Vec<Value>) -> Value {
    json!({
        "pagination": {
            "next": 0, "previous": 0, "count": results.len(), "current": 1, "total_pages": 1,
            "start_index": 1, "end_index": results.len(),
        },
        "results": results,
        "autocomplete": {},
    })
}

#[derive(Default)]
struct State {
    groups: BTreeMap<String, Value>,
    users: BTreeMap<i64, Value>,
    next: u64,
    /// A racing create by another process: the group (marked for this
    /// tenant id) is made just before the next create arrives.
    race: Option<String>,
    violations: Vec<String>,
}

/// Authentik's groups and users, as far as the port uses them.
#[derive(Clone)]
struct Authentik {
    state: Arc<Mutex<State>>,
    faults: Faults,
    spec: Arc<Spec>,
}

impl Authentik {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    fn add_group(&self, name: &str, tenant_id: Option<&str>) -> String {
        let mut state = self.lock();
        state.next += 1;
        let pk = format!("6a3c2e1f-0c4b-4a5e-9d62-{:012x}", state.next);
        let mut group = fixture("group");
        group["pk"] = json!(pk);
        group["num_pk"] = json!(state.next);
        group["name"] = json!(name);
        group["attributes"] = match tenant_id {
            Some(id) => json!({"tenant_slug": name, "tenant_id": id}),
            None => json!({}),
        };
        state.groups.insert(pk.clone(), group);
        pk
    }

    fn add_user(&self, pk: i64, active: bool, groups: &[&str]) {
        let mut user = fixture("user");
        user["pk"] = json!(pk);
        user["username"] = json!(format!("user{pk}@acme.test"));
        user["email"] = user["username"].clone();
        user["is_active"] = json!(active);
        user["groups"] = json!(groups);
        self.lock().users.insert(pk, user);
    }

    fn active(&self, pk: i64) -> bool {
        self.lock().users[&pk]["is_active"] == json!(true)
    }

    fn named(&self, name: &str) -> Vec<Value> {
        let state = self.lock();
        state
            .groups
            .values()
            .filter(|g| g["name"] == json!(name))
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

    fn not_found(&self, m: &str, p: &str) -> ResponseTemplate {
        self.reply(m, p, 404, fixture("error_not_found"))
    }

    fn handle(&self, request: &Request) -> (&'static str, ResponseTemplate) {
        let m = request.method.as_str();
        let p = request.url.path().to_owned();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let tail = p.strip_prefix("/api/v3").unwrap_or(&p);
        let parts: Vec<&str> = tail.trim_matches('/').split('/').collect();
        match (m, parts.as_slice()) {
            ("GET", ["core", "groups"]) => {
                let found: Vec<Value> = self
                    .lock()
                    .groups
                    .values()
                    .filter(|g| query.get("name").is_none_or(|n| g["name"] == json!(n)))
                    .cloned()
                    .collect();
                ("find", self.reply(m, &p, 200, page(found)))
            }
            ("GET", ["core", "groups", pk]) => {
                let group = self.lock().groups.get(*pk).cloned();
                let reply = match group {
                    Some(g) => self.reply(m, &p, 200, g),
                    None => self.not_found(m, &p),
                };
                ("get", reply)
            }
            ("POST", ["core", "groups"]) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let name = body["name"].as_str().expect("name");
                let race = self.lock().race.take();
                if let Some(owner) = race {
                    self.add_group(name, Some(&owner));
                }
                if !self.named(name).is_empty() {
                    return (
                        "create",
                        self.reply(m, &p, 400, fixture("error_unique_name")),
                    );
                }
                let pk = self.add_group(name, None);
                let mut state = self.lock();
                let group = state.groups.get_mut(&pk).expect("made");
                group["attributes"] = body["attributes"].clone();
                let group = group.clone();
                drop(state);
                ("create", self.reply(m, &p, 201, group))
            }
            ("DELETE", ["core", "groups", pk]) => {
                let removed = self.lock().groups.remove(*pk);
                let reply = match removed {
                    Some(_) => self.reply(m, &p, 204, Value::Null),
                    None => self.not_found(m, &p),
                };
                ("remove", reply)
            }
            ("GET", ["core", "users"]) => {
                let users: Vec<Value> = self
                    .lock()
                    .users
                    .values()
                    .filter(|u| {
                        query.get("groups_by_pk").is_none_or(|g| {
                            u["groups"].as_array().expect("groups").contains(&json!(g))
                        }) && query
                            .get("is_active")
                            .is_none_or(|a| u["is_active"] == json!(a == "true"))
                    })
                    .cloned()
                    .collect();
                ("members", self.reply(m, &p, 200, page(users)))
            }
            ("PATCH", ["core", "users", pk]) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let pk: i64 = pk.parse().expect("integer pk");
                let mut state = self.lock();
                let user = state.users.get_mut(&pk).map(|user| {
                    user["is_active"] = body["is_active"].clone();
                    user.clone()
                });
                drop(state);
                let reply = match user {
                    Some(u) => self.reply(m, &p, 200, u),
                    None => self.not_found(m, &p),
                };
                ("user", reply)
            }
            _ => panic!("unexpected {m} {p}"),
        }
    }
}

impl Respond for Authentik {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let op = op_of(request);
        match self.faults.take(op) {
            Some(Fault::Timeout) => Fault::late(self.handle(request).1),
            Some(fault) => fault.refusal(json!({"detail": "upstream trouble"})),
            None => self.handle(request).1,
        }
    }
}

/// The operation a request is, without acting on it.
fn op_of(request: &Request) -> &'static str {
    let segments = request.url.path().trim_matches('/').split('/').count();
    match (request.method.as_str(), request.url.path()) {
        ("GET", p) if p.contains("/core/groups/") && segments == 4 => "find",
        ("GET", p) if p.contains("/core/groups/") => "get",
        ("POST", p) if p.contains("/core/groups/") => "create",
        ("DELETE", _) => "remove",
        ("GET", _) => "members",
        _ => "user",
    }
}

struct Env {
    server: MockServer,
    upstream: Authentik,
}

impl Env {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let upstream = Authentik {
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
        let client = AuthentikClient::new(config(url), Secret::new(TOKEN)).expect("client");
        provisioner(AuthentikGroups::new(client))
    }

    fn provisioner(&self) -> Provisioner {
        Self::provisioner_at(&self.server.uri())
    }

    /// Checks every request received against the document (and every
    /// answer given); returns the requests.
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
            .filter(|r| r.method.as_str() == m && r.url.path().contains("/core/groups/"))
            .count()
    }
}

#[tokio::test]
async fn a_new_tenant_gets_one_group_kept_in_sync_and_adopted_when_the_handle_is_lost() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Authentik);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    assert!(r.activated);
    assert_eq!(tenant.status, TenantStatus::Active);
    let groups = env.upstream.named("acme");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["attributes"],
        json!({"tenant_slug": "acme", "tenant_id": TENANT_ID})
    );
    assert_eq!(
        tenant.handles.authentik_group_id.as_deref(),
        groups[0]["pk"].as_str()
    );

    let (tenant, again) = reconcile(&p, &tenant).await;
    assert_eq!(report(&again, Step::Authentik).drift, Drift::InSync);
    assert!(again.patch.is_empty());

    let mut lost = tenant.clone();
    lost.handles.authentik_group_id = None;
    let (adopted, r) = reconcile(&p, &lost).await;
    assert_eq!(report(&r, Step::Authentik).drift, Drift::Adopted);
    assert_eq!(
        adopted.handles.authentik_group_id,
        tenant.handles.authentik_group_id
    );
    assert_eq!(env.count("POST").await, 1, "created once");
}

#[tokio::test]
async fn a_group_of_another_tenant_is_a_conflict_and_never_deleted() {
    let env = Env::new().await;
    let theirs = env.upstream.add_group("acme", Some(OTHER_TENANT));
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Authentik);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Conflict,
            Some("DEZKY_ALREADY_EXISTS")
        )
    );
    assert!(
        s.message.as_deref().unwrap().contains(OTHER_TENANT),
        "{s:?}"
    );
    assert_eq!(tenant.handles.authentik_group_id, None);

    let (_, d) = deprovision(&p, &tenant).await;
    assert_eq!(d.steps.last().unwrap().removal, Removal::Foreign);
    assert!(d.complete);
    assert!(env.upstream.lock().groups.contains_key(&theirs));
    assert_eq!(env.count("POST").await + env.count("DELETE").await, 0);
}

#[tokio::test]
async fn suspend_deactivates_the_members_and_resume_restores_exactly() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let group = tenant.handles.authentik_group_id.clone().unwrap();
    let other = env.upstream.add_group("globex", Some(OTHER_TENANT));
    let staff = env.upstream.add_group("staff", None);
    env.upstream.add_user(1, true, &[&group]);
    env.upstream.add_user(2, false, &[&group]); // suspended by hand before
    env.upstream.add_user(3, true, &[&group, &other]); // also another tenant's
    env.upstream.add_user(4, true, &[&staff, &group]); // also in an unmarked group
    env.upstream.add_user(5, true, &[&other]); // not a member

    let suspended = suspend(&p, &tenant).await;
    assert_eq!(
        suspended.suspension[&Step::Authentik].saved,
        json!({"deactivated": [1, 4], "skipped": [{"pk": 3, "tenantId": OTHER_TENANT}]})
    );
    let states: Vec<bool> = (1..=5).map(|pk| env.upstream.active(pk)).collect();
    assert_eq!(states, [false, false, true, false, true]);

    let resumed = resume(&p, &suspended).await;
    let states: Vec<bool> = (1..=5).map(|pk| env.upstream.active(pk)).collect();
    assert_eq!(states, [true, false, true, true, true], "exactly as before");

    let (_, d) = deprovision(&p, &resumed).await;
    assert!(d.complete);
    assert_eq!(d.steps.last().unwrap().removal, Removal::Removed);
    assert!(env.upstream.named("acme").is_empty());
    assert_eq!(env.upstream.named("globex").len(), 1);
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
        assert_failed(&r, &failed, Step::Authentik, code, retry_after);

        let (tenant, r) = reconcile(&p, &failed).await;
        let s = report(&r, Step::Authentik);
        // After a timeout the group was made: it is found, not made again.
        let drift = if fault == Fault::Timeout {
            Drift::Adopted
        } else {
            Drift::Created
        };
        assert_eq!((s.state, s.drift), (StepState::Ok, drift), "{fault:?}");
        assert!(tenant.provisioning_errors.is_empty());
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(env.upstream.named("acme").len(), 1, "{fault:?}");
        env.check().await;
    }

    // A connection reset by the peer.
    let env = Env::new().await;
    let (failed, r) = reconcile(&Env::provisioner_at(&resetting_server()), &new_tenant()).await;
    assert_failed(&r, &failed, Step::Authentik, "DEZKY_TRANSPORT", None);
    let (tenant, r) = reconcile(&env.provisioner(), &failed).await;
    assert_eq!(report(&r, Step::Authentik).drift, Drift::Created);
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(env.upstream.named("acme").len(), 1);
}

#[tokio::test]
async fn a_suspension_whose_answer_is_lost_is_undone_and_retried_by_reconcile() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let group = tenant.handles.authentik_group_id.clone().unwrap();
    env.upstream.add_user(1, true, &[&group]);
    env.upstream.add_user(2, true, &[&group]);
    // The first deactivation is made, but its answer comes too late.
    env.upstream.faults.push("user", Fault::Timeout);
    let s = p
        .suspend(&tenant, &provisioning_support::change())
        .await
        .unwrap();
    assert_eq!(s.steps[0].code.as_deref(), Some("DEZKY_TIMEOUT"));
    let suspended = tenant.apply(&s.patch).unwrap();
    assert_eq!(
        suspended.suspension[&Step::Authentik].state,
        StepState::Error
    );
    assert!(env.upstream.active(1) && env.upstream.active(2), "undone");

    let (after, r) = reconcile(&p, &suspended).await;
    assert_eq!(r.suspension[0].state, StepState::Ok);
    assert_eq!(
        after.suspension[&Step::Authentik].saved["deactivated"],
        json!([1, 2])
    );
    assert!(!env.upstream.active(1) && !env.upstream.active(2));
    resume(&p, &after).await;
    assert!(env.upstream.active(1) && env.upstream.active(2));
    env.check().await;
}

#[tokio::test]
async fn a_create_that_loses_a_race_returns_the_winner_only_when_it_is_the_tenants() {
    // Another worker made the tenant's group between the find and the create.
    let env = Env::new().await;
    env.upstream.lock().race = Some(TENANT_ID.into());
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Authentik);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    let groups = env.upstream.named("acme");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        tenant.handles.authentik_group_id.as_deref(),
        groups[0]["pk"].as_str()
    );

    // Another tenant's group took the name meanwhile: not recorded.
    let env = Env::new().await;
    env.upstream.lock().race = Some(OTHER_TENANT.into());
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Authentik);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Failed,
            Some("DEZKY_ALREADY_EXISTS")
        )
    );
    assert!(
        s.message.as_deref().unwrap().contains(OTHER_TENANT),
        "{s:?}"
    );
    assert_eq!(tenant.handles.authentik_group_id, None);
    // The next reconcile sees it as the conflict it is.
    let (_, r) = reconcile(&p, &tenant).await;
    assert_eq!(report(&r, Step::Authentik).drift, Drift::Conflict);
    env.check().await;
}
