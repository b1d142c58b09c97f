//! The `stripe` provisioning port against a stateful Stripe stand-in on
//! 127.0.0.1 that keeps Stripe's rules the port depends on: a create with a
//! used Idempotency-Key returns the first customer, and search sees a
//! customer only once it is indexed (eventual consistency). Every request is
//! checked against the OpenAPI document of the pinned stripe-mock, and the
//! customers served are its fixtures.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod provisioning_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use dezky_clients::Secret;
use dezky_clients::provisioning::StripeCustomers;
use dezky_clients::stripe::{API_VERSION, StripeClient};
use dezky_contract::{Spec, stripe_mock_fixtures};
use dezky_core::lifecycle::{Step, StepState, TenantSlug, TenantStatus};
use dezky_core::provisioning::{Drift, Provisioner, Removal};
use provisioning_support::*;
use serde_json::{Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

fn spec() -> Spec {
    Spec::stripe_mock()
}

#[derive(Default)]
struct State {
    customers: BTreeMap<String, Value>,
    deleted: BTreeSet<String>,
    /// Customers search can see.
    indexed: BTreeSet<String>,
    keys: BTreeMap<String, String>,
    next: u64,
}

#[derive(Clone, Default)]
struct Stripe {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

fn missing(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"error": {
        "type": "invalid_request_error", "code": "resource_missing",
        "message": format!("No such customer: '{id}'"), "param": "id",
    }}))
}

impl Stripe {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    fn add(&self, metadata: Value) -> String {
        let mut state = self.lock();
        state.next += 1;
        let id = format!("cus_T{:04}", state.next);
        let mut customer = stripe_mock_fixtures()["resources"]["customer"].clone();
        customer["id"] = json!(id);
        customer["metadata"] = metadata;
        customer["created"] = json!(1_700_000_000 + state.next);
        state.customers.insert(id.clone(), customer);
        id
    }

    /// Search catches up.
    fn index_all(&self) {
        let mut state = self.lock();
        let ids: Vec<String> = state.customers.keys().cloned().collect();
        state.indexed.extend(ids);
    }

    /// The live customers marked for `tenant_id`.
    fn of(&self, tenant_id: &str) -> Vec<String> {
        let state = self.lock();
        state
            .customers
            .iter()
            .filter(|(id, c)| {
                !state.deleted.contains(*id) && c["metadata"]["tenant_id"] == json!(tenant_id)
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        assert_eq!(
            request
                .headers
                .get("stripe-version")
                .and_then(|v| v.to_str().ok()),
            Some(API_VERSION)
        );
        let m = request.method.as_str();
        let p = request.url.path();
        let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
        match (m, p.strip_prefix("/v1/customers")) {
            ("POST", Some("")) => {
                let key = request
                    .headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .expect("an idempotency key")
                    .to_owned();
                let known = self.lock().keys.get(&key).cloned();
                if let Some(id) = known {
                    // Stripe replays the first answer.
                    return ok(self.lock().customers[&id].clone());
                }
                let form: BTreeMap<String, String> =
                    form_urlencoded::parse(&request.body).into_owned().collect();
                let metadata: serde_json::Map<String, Value> = form
                    .iter()
                    .filter_map(|(k, v)| {
                        let k = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                        Some((k.to_owned(), json!(v)))
                    })
                    .collect();
                let id = self.add(Value::Object(metadata));
                let mut state = self.lock();
                let customer = state.customers.get_mut(&id).expect("made");
                customer["name"] = json!(form.get("name"));
                customer["email"] = json!(form.get("email"));
                let customer = customer.clone();
                state.keys.insert(key, id);
                ok(customer)
            }
            ("GET", Some("/search")) => {
                let query = request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "query")
                    .map(|(_, v)| v.into_owned())
                    .expect("query");
                let state = self.lock();
                let data: Vec<Value> = state
                    .customers
                    .iter()
                    .filter(|(id, c)| {
                        state.indexed.contains(*id)
                            && !state.deleted.contains(*id)
                            && c["metadata"]["tenant_id"]
                                .as_str()
                                .is_some_and(|t| query == format!("metadata['tenant_id']:'{t}'"))
                    })
                    .map(|(_, c)| c.clone())
                    .collect();
                ok(json!({
                    "object": "search_result", "url": "/v1/customers/search",
                    "has_more": false, "next_page": null, "data": data,
                }))
            }
            ("GET", Some(id)) => {
                let id = id.trim_start_matches('/');
                let state = self.lock();
                if state.deleted.contains(id) {
                    return ok(json!({"id": id, "object": "customer", "deleted": true}));
                }
                match state.customers.get(id) {
                    Some(c) => ok(c.clone()),
                    None => missing(id),
                }
            }
            ("DELETE", Some(id)) => {
                let id = id.trim_start_matches('/').to_owned();
                let mut state = self.lock();
                if !state.customers.contains_key(&id) || state.deleted.contains(&id) {
                    return missing(&id);
                }
                state.deleted.insert(id.clone());
                ok(json!({"id": id, "object": "customer", "deleted": true}))
            }
            _ => panic!("unexpected {m} {p}"),
        }
    }
}

fn op_of(request: &Request) -> &'static str {
    match (request.method.as_str(), request.url.path()) {
        ("POST", _) => "create",
        ("DELETE", _) => "remove",
        (_, p) if p.ends_with("/search") => "find",
        _ => "get",
    }
}

impl Respond for Stripe {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.faults.take(op_of(request)) {
            Some(Fault::Timeout) => Fault::late(self.handle(request)),
            Some(fault) => fault.refusal(json!({"error": {
                "type": "api_error", "message": "Something went wrong on Stripe's end."
            }})),
            None => self.handle(request),
        }
    }
}

struct Env {
    server: MockServer,
    upstream: Stripe,
}

impl Env {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let upstream = Stripe::default();
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(upstream.clone())
            .mount(&server)
            .await;
        Env { server, upstream }
    }

    fn provisioner_at(url: &str) -> Provisioner {
        let client = StripeClient::new(config(url), Secret::new(KEY)).expect("client");
        provisioner(StripeCustomers::new(client))
    }

    fn provisioner(&self) -> Provisioner {
        Self::provisioner_at(&self.server.uri())
    }

    /// Checks every request received against the document; returns them.
    async fn check(&self) -> Vec<Request> {
        let requests = self.server.received_requests().await.expect("recording");
        spec().assert_wiremock_requests(&requests);
        requests
    }

    async fn posts(&self) -> Vec<Request> {
        self.check()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == "POST")
            .collect()
    }
}

#[tokio::test]
async fn a_new_tenant_gets_one_customer_under_the_control_planes_key() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Stripe);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    assert_eq!(tenant.status, TenantStatus::Active);
    let ids = env.upstream.of(TENANT_ID);
    assert_eq!(
        tenant.handles.stripe_customer_id.as_deref(),
        Some(ids[0].as_str())
    );
    let posts = env.posts().await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0]
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap(),
        TenantSlug::stripe_customer_idempotency_key(TENANT_ID)
    );
    let form: BTreeMap<String, String> = form_urlencoded::parse(&posts[0].body)
        .into_owned()
        .collect();
    assert_eq!(form["metadata[tenant_id]"], TENANT_ID);
    assert_eq!(form["metadata[tenant_slug]"], "acme");
    assert_eq!(form["email"], "billing@acme.test");

    let (tenant, again) = reconcile(&p, &tenant).await;
    assert_eq!(report(&again, Step::Stripe).drift, Drift::InSync);
    assert!(again.patch.is_empty());

    // The handle is lost and search has caught up: adopted, no create.
    env.upstream.index_all();
    let mut lost = tenant.clone();
    lost.handles.stripe_customer_id = None;
    let (adopted, r) = reconcile(&p, &lost).await;
    assert_eq!(report(&r, Step::Stripe).drift, Drift::Adopted);
    assert_eq!(
        adopted.handles.stripe_customer_id,
        tenant.handles.stripe_customer_id
    );
    assert_eq!(env.posts().await.len(), 1, "created once");
    assert_eq!(env.upstream.of(TENANT_ID).len(), 1);

    let (_, d) = deprovision(&p, &adopted).await;
    assert!(d.complete);
    assert_eq!(d.steps[1].removal, Removal::Removed);
    assert!(env.upstream.of(TENANT_ID).is_empty());
    // Deleted customers are gone: a second run finds nothing.
    let (_, d) = deprovision(&p, &adopted).await;
    assert_eq!(d.steps[1].removal, Removal::Absent);
}

#[tokio::test]
async fn before_search_catches_up_the_idempotency_key_prevents_a_second_customer() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let mut lost = tenant.clone();
    lost.handles.stripe_customer_id = None;
    let (again, r) = reconcile(&p, &lost).await;
    // Search does not see it yet, so it is created again, and Stripe
    // answers with the first customer.
    assert_eq!(report(&r, Step::Stripe).drift, Drift::Created);
    assert_eq!(
        again.handles.stripe_customer_id,
        tenant.handles.stripe_customer_id
    );
    assert_eq!(env.upstream.of(TENANT_ID).len(), 1);
}

#[tokio::test]
async fn a_customer_of_another_tenant_is_a_conflict_and_never_deleted() {
    let env = Env::new().await;
    let theirs = env.upstream.add(json!({"tenant_id": OTHER_TENANT}));
    env.upstream.index_all();
    let mut tenant = new_tenant();
    tenant.handles.stripe_customer_id = Some(theirs.clone());
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &tenant).await;
    let s = report(&r, Step::Stripe);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Conflict,
            Some("DEZKY_ALREADY_EXISTS")
        )
    );
    let (_, d) = deprovision(&p, &tenant).await;
    assert_eq!(d.steps[1].removal, Removal::Foreign);
    assert_eq!(env.upstream.of(OTHER_TENANT), [theirs]);
    assert!(env.check().await.iter().all(|r| r.method.as_str() == "GET"));
}

#[tokio::test]
async fn faults_at_the_step_are_recorded_and_a_later_reconcile_converges() {
    for fault in FAULTS {
        let env = Env::new().await;
        env.upstream.faults.push("create", fault);
        let p = env.provisioner();
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        let (code, retry_after) = fault.expected();
        assert_failed(&r, &failed, Step::Stripe, code, retry_after);

        let (tenant, r) = reconcile(&p, &failed).await;
        let s = report(&r, Step::Stripe);
        assert_eq!(
            (s.state, s.drift),
            (StepState::Ok, Drift::Created),
            "{fault:?}"
        );
        assert_eq!(tenant.status, TenantStatus::Active);
        // After a timeout the customer was made; the key returns it again.
        assert_eq!(env.upstream.of(TENANT_ID).len(), 1, "{fault:?}");
        env.check().await;
    }

    let env = Env::new().await;
    let (failed, r) = reconcile(&Env::provisioner_at(&resetting_server()), &new_tenant()).await;
    assert_failed(&r, &failed, Step::Stripe, "DEZKY_TRANSPORT", None);
    let (tenant, _) = reconcile(&env.provisioner(), &failed).await;
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(env.upstream.of(TENANT_ID).len(), 1);
}

#[tokio::test]
async fn a_customer_deleted_while_the_key_still_answers_is_not_recorded() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let id = tenant.handles.stripe_customer_id.clone().unwrap();
    env.upstream.lock().deleted.insert(id.clone());
    let (after, r) = reconcile(&p, &tenant).await;
    let s = report(&r, Step::Stripe);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Failed,
            Some("DEZKY_UPSTREAM_REJECTED")
        )
    );
    assert!(s.message.as_deref().unwrap().contains(&id), "{s:?}");
    // The recorded handle stays until a reconcile makes a new one.
    assert_eq!(
        after.handles.stripe_customer_id.as_deref(),
        Some(id.as_str())
    );

    // Once the key has expired, a new customer is made.
    env.upstream.lock().keys.clear();
    let (repaired, r) = reconcile(&p, &after).await;
    assert_eq!(report(&r, Step::Stripe).drift, Drift::Repaired);
    assert_ne!(
        repaired.handles.stripe_customer_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(env.upstream.of(TENANT_ID).len(), 1);
    env.check().await;
}
