//! The `stalwart` provisioning port against a stateful Stalwart v0.16 JMAP
//! stand-in on 127.0.0.1. Every `x:` call it receives, and every object it
//! serves, is checked against the server's registry facts
//! (`support/contract/specs/stalwart-v0.16.18.registry-facts.json`) with the
//! same checks as `tests/stalwart.rs`. The stand-in keeps the rules the port
//! depends on: domain names are unique (`primaryKeyViolation`), a domain
//! with accounts cannot be destroyed and one with only its DKIM signatures
//! is destroyed after them (`objectIsLinked`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod provisioning_support;
mod stalwart_registry;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dezky_clients::Secret;
use dezky_clients::http::Auth;
use dezky_clients::provisioning::StalwartDomains;
use dezky_clients::stalwart::StalwartClient;
use dezky_core::lifecycle::{Step, StepState, TenantStatus};
use dezky_core::provisioning::{Drift, Provisioner, Removal};
use provisioning_support::*;
use serde_json::{Value, json};
use stalwart_registry::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Resolves `#name` result references against earlier answers of the
/// request; a reference to a failed call fails (`invalidResultReference`).
fn resolve(args: &Value, answers: &[(String, Value, String)]) -> Option<Value> {
    let mut out = serde_json::Map::new();
    for (key, value) in args.as_object().expect("arguments are an object") {
        match key.strip_prefix('#') {
            Some(target) => {
                let call = value["resultOf"].as_str().expect("resultOf");
                let (name, result, _) = answers
                    .iter()
                    .find(|(_, _, id)| id == call)
                    .unwrap_or_else(|| panic!("reference to unknown call {call}"));
                if name == "error" {
                    return None;
                }
                assert_eq!(value["name"], json!(name), "reference names the method");
                let pointer = value["path"].as_str().expect("path");
                let resolved = result.pointer(pointer).cloned().unwrap_or(Value::Null);
                out.insert(target.to_owned(), resolved);
            }
            None => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Some(Value::Object(out))
}

// ---------------------------------------------------------------------------
// The stand-in
// ---------------------------------------------------------------------------

#[derive(Default)]
struct State {
    domains: BTreeMap<String, Value>,
    accounts: BTreeMap<String, Value>,
    dkim: BTreeMap<String, String>,
    next: u64,
    creates: usize,
}

#[derive(Clone, Default)]
struct Stalwart {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

type Answer = Result<Value, Value>;

fn ids_of(args: &Value) -> Vec<String> {
    args["ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Stalwart {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    fn add_domain(&self, name: &str, description: Option<&str>) -> String {
        let mut state = self.lock();
        state.next += 1;
        let id = format!("d{}", state.next);
        state.domains.insert(
            id.clone(),
            json!({"id": id, "name": name, "aliases": {}, "isEnabled": true,
                   "description": description, "catchAllAddress": null, "allowRelaying": false,
                   "createdAt": "2026-11-23T02:00:00Z"}),
        );
        // Automatic DKIM: the server adds the domain's signatures.
        let key = format!("k{}", state.next);
        state.dkim.insert(key, id.clone());
        id
    }

    fn add_account(&self, domain: &str, name: &str, permissions: Value) -> String {
        let domain_id = self.domain_id(domain).expect("domain");
        let mut state = self.lock();
        state.next += 1;
        let id = format!("a{}", state.next);
        state.accounts.insert(
            id.clone(),
            json!({"id": id, "@type": "User", "name": name, "domainId": domain_id,
                   "emailAddress": format!("{name}@{domain}"), "permissions": permissions}),
        );
        id
    }

    fn domain_id(&self, name: &str) -> Option<String> {
        self.lock()
            .domains
            .values()
            .find(|d| d["name"] == json!(name))
            .map(|d| d["id"].as_str().expect("id").to_owned())
    }

    fn named(&self, name: &str) -> Vec<Value> {
        self.lock()
            .domains
            .values()
            .filter(|d| d["name"] == json!(name))
            .cloned()
            .collect()
    }

    fn permissions(&self, id: &str) -> Value {
        self.lock().accounts[id]["permissions"].clone()
    }

    fn call(&self, name: &str, args: &Value) -> Answer {
        let mut state = self.lock();
        let filter = &args["filter"];
        match name {
            "x:Domain/query" => Ok(json!({"ids": state.domains.values()
                .filter(|d| filter.get("name").is_none_or(|n| &d["name"] == n))
                .map(|d| d["id"].clone()).collect::<Vec<_>>(), "position": 0})),
            "x:Domain/get" => {
                let ids = ids_of(args);
                let list: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| state.domains.get(id).cloned())
                    .collect();
                Ok(json!({"list": list, "notFound": [], "state": "s1"}))
            }
            "x:Domain/set" => {
                let mut answer = serde_json::Map::new();
                if let Some(create) = args.get("create").and_then(Value::as_object) {
                    let mut created = serde_json::Map::new();
                    let mut refused = serde_json::Map::new();
                    for (cid, object) in create {
                        state.creates += 1;
                        let existing = state
                            .domains
                            .values()
                            .find(|d| d["name"] == object["name"])
                            .map(|d| d["id"].clone());
                        if let Some(existing) = existing {
                            refused.insert(
                                cid.clone(),
                                json!({"type": "primaryKeyViolation",
                                "properties": ["name"], "description": "Duplicate",
                                "objectId": {"object": "Domain", "id": existing}}),
                            );
                            continue;
                        }
                        drop(state);
                        let id = self.add_domain(
                            object["name"].as_str().expect("name"),
                            object["description"].as_str(),
                        );
                        state = self.lock();
                        created.insert(cid.clone(), json!({"id": id}));
                    }
                    answer.insert("created".into(), Value::Object(created));
                    answer.insert("notCreated".into(), Value::Object(refused));
                }
                if let Some(destroy) = args.get("destroy") {
                    let mut destroyed = Vec::new();
                    let mut refused = serde_json::Map::new();
                    for id in destroy
                        .as_array()
                        .expect("ids")
                        .iter()
                        .filter_map(Value::as_str)
                    {
                        if !state.domains.contains_key(id) {
                            refused.insert(id.into(), json!({"type": "notFound"}));
                            continue;
                        }
                        let mut links: Vec<Value> = state
                            .accounts
                            .values()
                            .filter(|a| a["domainId"] == json!(id))
                            .map(|a| json!({"object": "Account", "id": a["id"]}))
                            .collect();
                        links.extend(
                            state
                                .dkim
                                .iter()
                                .filter(|(_, d)| *d == id)
                                .map(|(k, _)| json!({"object": "DkimSignature", "id": k})),
                        );
                        if links.is_empty() {
                            state.domains.remove(id);
                            destroyed.push(json!(id));
                        } else {
                            refused.insert(id.into(), json!({"type": "objectIsLinked",
                                "description": "Object is linked",
                                "objectId": {"object": "Domain", "id": id}, "linkedObjects": links}));
                        }
                    }
                    answer.insert("destroyed".into(), json!(destroyed));
                    answer.insert("notDestroyed".into(), Value::Object(refused));
                }
                Ok(Value::Object(answer))
            }
            "x:DkimSignature/query" => Ok(json!({"ids": state.dkim.iter()
                .filter(|(_, d)| filter.get("domainId").is_none_or(|f| f == *d))
                .map(|(k, _)| k.clone()).collect::<Vec<_>>(), "position": 0})),
            "x:DkimSignature/set" => {
                let ids: Vec<String> = args["destroy"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                for id in &ids {
                    state.dkim.remove(id);
                }
                Ok(json!({"destroyed": ids}))
            }
            "x:Account/query" => Ok(json!({"ids": state.accounts.values()
                .filter(|a| filter.get("domainId").is_none_or(|f| &a["domainId"] == f))
                .map(|a| a["id"].clone()).collect::<Vec<_>>(), "position": 0})),
            "x:Account/get" => {
                let properties: Vec<String> = args["properties"]
                    .as_array()
                    .expect("properties")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                let list: Vec<Value> = ids_of(args)
                    .iter()
                    .filter_map(|id| state.accounts.get(id))
                    .map(|a| {
                        let mut out =
                            serde_json::Map::from_iter([("id".to_owned(), a["id"].clone())]);
                        for p in &properties {
                            out.insert(p.clone(), a[p.as_str()].clone());
                        }
                        Value::Object(out)
                    })
                    .collect();
                Ok(json!({"list": list, "notFound": [], "state": "s1"}))
            }
            "x:Account/set" => {
                let mut updated = serde_json::Map::new();
                let mut refused = serde_json::Map::new();
                for (id, patch) in args["update"].as_object().expect("update") {
                    match state.accounts.get_mut(id) {
                        Some(account) => {
                            account["permissions"] = patch["permissions"].clone();
                            updated.insert(id.clone(), Value::Null);
                        }
                        None => {
                            refused.insert(id.clone(), json!({"type": "notFound"}));
                        }
                    }
                }
                Ok(json!({"updated": updated, "notUpdated": refused}))
            }
            other => panic!("unexpected call {other}"),
        }
    }

    fn handle(&self, body: &Value) -> ResponseTemplate {
        let mut answers: Vec<(String, Value, String)> = Vec::new();
        for call in body["methodCalls"].as_array().expect("methodCalls") {
            let name = call[0].as_str().expect("method name");
            let id = call[2].as_str().expect("call id").to_owned();
            check_call(name, &call[1]);
            let answer = match resolve(&call[1], &answers) {
                Some(args) => self.call(name, &args),
                None => Err(json!({"type": "invalidResultReference"})),
            };
            match answer {
                Ok(result) => {
                    if let Some((object, "get")) = name.split_once('/') {
                        for item in result["list"].as_array().expect("list") {
                            check_object(object, item, &format!("{name} answer"), Direction::Read);
                        }
                    }
                    answers.push((name.to_owned(), result, id));
                }
                Err(error) => answers.push(("error".to_owned(), error, id)),
            }
        }
        let responses: Vec<Value> = answers
            .into_iter()
            .map(|(name, args, id)| json!([name, args, id]))
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"methodResponses": responses, "sessionState": "s1"}))
    }
}

/// The operation a request is: `create`, `remove`, `accounts` (suspend,
/// resume) or `read`.
fn op_of(body: &Value) -> &'static str {
    let calls = body["methodCalls"].as_array().expect("methodCalls");
    let has = |name: &str, key: &str| {
        calls
            .iter()
            .any(|c| c[0] == name && c[1].get(key).is_some())
    };
    if has("x:Domain/set", "create") {
        "create"
    } else if has("x:Domain/set", "destroy") {
        "remove"
    } else if has("x:Account/set", "update") {
        "accounts"
    } else {
        "read"
    }
}

impl Respond for Stalwart {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
        let using: Vec<&str> = body["using"]
            .as_array()
            .expect("using")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            using.contains(&"urn:ietf:params:jmap:core") && using.contains(&"urn:stalwart:jmap")
        );
        match self.faults.take(op_of(&body)) {
            Some(Fault::Timeout) => Fault::late(self.handle(&body)),
            Some(fault) => fault.refusal(json!({"type": "about:blank", "status": 500,
                "title": "Internal Server Error", "detail": "try again"})),
            None => self.handle(&body),
        }
    }
}

fn session() -> Value {
    json!({
        "capabilities": {"urn:ietf:params:jmap:core": {
            "maxCallsInRequest": 16, "maxObjectsInGet": 500, "maxObjectsInSet": 500,
            "maxConcurrentRequests": 4, "maxSizeUpload": 50000000}},
        "accounts": {"b": {"name": "admin", "isPersonal": true, "isReadOnly": false,
            "accountCapabilities": {"urn:stalwart:jmap": {}}}},
        "primaryAccounts": {"urn:stalwart:jmap": "b"},
        "username": "admin",
        "apiUrl": "https://mail.example.com/jmap/",
        "state": "s1"
    })
}

struct Env {
    server: MockServer,
    upstream: Stalwart,
}

impl Env {
    async fn new() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/jmap/session"))
            .respond_with(ResponseTemplate::new(200).set_body_json(session()))
            .mount(&server)
            .await;
        let upstream = Stalwart::default();
        Mock::given(method("POST"))
            .and(path("/jmap/"))
            .respond_with(upstream.clone())
            .mount(&server)
            .await;
        Env { server, upstream }
    }

    fn provisioner_at(url: &str) -> Provisioner {
        let client = StalwartClient::new(
            config(url),
            Auth::Basic {
                username: "admin".into(),
                password: Secret::new("s3cret-admin"),
            },
        )
        .expect("client");
        provisioner(StalwartDomains::new(client))
    }

    fn provisioner(&self) -> Provisioner {
        Self::provisioner_at(&self.server.uri())
    }

    fn creates(&self) -> usize {
        self.upstream.lock().creates
    }
}

fn without_domain() -> dezky_core::lifecycle::TenantDocument {
    let Value::Object(map) = json!({
        "_id": TENANT_ID, "slug": "acme", "name": "Acme Co", "status": "pending",
        "plan": "business", "domains": [], "__v": 0,
    }) else {
        unreachable!()
    };
    dezky_core::lifecycle::TenantDocument::from_document("tenant", &map).expect("tenant")
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_new_tenant_gets_its_domain_once_kept_in_sync_and_adopted() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Stalwart);
    assert_eq!((s.state, s.drift), (StepState::Ok, Drift::Created), "{s:?}");
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.handles.stalwart_domain.as_deref(), Some("acme.test"));
    let domains = env.upstream.named("acme.test");
    assert_eq!(domains.len(), 1);
    assert_eq!(
        domains[0]["description"],
        json!(format!("dezky tenant {TENANT_ID}"))
    );

    let (tenant, again) = reconcile(&p, &tenant).await;
    assert_eq!(report(&again, Step::Stalwart).drift, Drift::InSync);
    assert!(again.patch.is_empty());

    let mut lost = tenant.clone();
    lost.handles.stalwart_domain = None;
    let (adopted, r) = reconcile(&p, &lost).await;
    assert_eq!(report(&r, Step::Stalwart).drift, Drift::Adopted);
    assert_eq!(
        adopted.handles.stalwart_domain.as_deref(),
        Some("acme.test")
    );
    assert_eq!(env.creates(), 1, "created once");

    // No mail domain: the step does not apply.
    let (_, r) = reconcile(&p, &without_domain()).await;
    assert_eq!(report(&r, Step::Stalwart).drift, Drift::Skipped);
    assert_eq!(env.creates(), 1);
}

#[tokio::test]
async fn a_domain_of_another_tenant_is_a_conflict_and_never_deleted() {
    let env = Env::new().await;
    env.upstream
        .add_domain("acme.test", Some(&format!("dezky tenant {OTHER_TENANT}")));
    let p = env.provisioner();
    let (tenant, r) = reconcile(&p, &new_tenant()).await;
    let s = report(&r, Step::Stalwart);
    assert_eq!(
        (s.state, s.drift, s.code.as_deref()),
        (
            StepState::Error,
            Drift::Conflict,
            Some("DEZKY_ALREADY_EXISTS")
        )
    );
    let (_, d) = deprovision(&p, &tenant).await;
    assert_eq!(d.steps[3].removal, Removal::Foreign);
    assert_eq!(env.upstream.named("acme.test").len(), 1);
    assert_eq!(env.creates(), 0);
}

#[tokio::test]
async fn suspend_withdraws_authenticate_and_resume_restores_each_account_exactly() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let inherit = json!({"@type": "Inherit"});
    let merge = json!({"@type": "Merge", "enabledPermissions": {"emailSend": true},
                       "disabledPermissions": {"emailReceive": true}});
    let frozen = json!({"@type": "Merge", "enabledPermissions": {},
                        "disabledPermissions": {"authenticate": true}});
    let replace = json!({"@type": "Replace", "enabledPermissions": {"authenticate": true, "emailReceive": true},
                         "disabledPermissions": {}});
    let before = [
        inherit.clone(),
        merge.clone(),
        frozen.clone(),
        replace.clone(),
    ];
    let ids: Vec<String> = ["alice", "bob", "carol", "dave"]
        .iter()
        .zip(&before)
        .map(|(name, p)| env.upstream.add_account("acme.test", name, p.clone()))
        .collect();

    let suspended = suspend(&p, &tenant).await;
    for id in &ids {
        let now = env.upstream.permissions(id);
        assert_eq!(
            now["disabledPermissions"]["authenticate"],
            json!(true),
            "{id}: {now}"
        );
    }
    assert_eq!(
        env.upstream.permissions(&ids[1]),
        json!({"@type": "Merge", "enabledPermissions": {"emailSend": true},
               "disabledPermissions": {"emailReceive": true, "authenticate": true}})
    );
    let saved = &suspended.suspension[&Step::Stalwart].saved["accounts"];
    assert_eq!(
        saved.as_object().unwrap().len(),
        3,
        "carol was frozen before: {saved}"
    );
    assert_eq!(saved[&ids[0]], inherit);

    let resumed = resume(&p, &suspended).await;
    for (id, was) in ids.iter().zip(&before) {
        assert_eq!(&env.upstream.permissions(id), was, "{id}");
    }

    // Mailboxes still on the domain: it stays, and the step can be retried.
    let (partly, d) = deprovision(&p, &resumed).await;
    assert_eq!(d.steps[3].removal, Removal::Failed);
    assert_eq!(d.steps[3].code.as_deref(), Some("DEZKY_IN_USE"));
    assert_eq!(env.upstream.named("acme.test").len(), 1);
    env.upstream.lock().accounts.clear();
    let (_, d) = deprovision(&p, &partly).await;
    assert!(d.complete);
    assert_eq!(d.steps[3].removal, Removal::Removed);
    assert!(env.upstream.named("acme.test").is_empty());
    assert!(
        env.upstream.lock().dkim.is_empty(),
        "its DKIM signatures went with it"
    );
}

#[tokio::test]
async fn faults_at_the_step_are_recorded_and_a_later_reconcile_converges() {
    for fault in FAULTS {
        let env = Env::new().await;
        env.upstream.faults.push("create", fault);
        let p = env.provisioner();
        let (failed, r) = reconcile(&p, &new_tenant()).await;
        let (code, retry_after) = fault.expected();
        assert_failed(&r, &failed, Step::Stalwart, code, retry_after);

        let (tenant, r) = reconcile(&p, &failed).await;
        let s = report(&r, Step::Stalwart);
        let drift = if fault == Fault::Timeout {
            Drift::Adopted
        } else {
            Drift::Created
        };
        assert_eq!((s.state, s.drift), (StepState::Ok, drift), "{fault:?}");
        assert_eq!(tenant.status, TenantStatus::Active);
        assert_eq!(env.upstream.named("acme.test").len(), 1, "{fault:?}");
    }

    let env = Env::new().await;
    let (failed, r) = reconcile(&Env::provisioner_at(&resetting_server()), &new_tenant()).await;
    assert_failed(&r, &failed, Step::Stalwart, "DEZKY_TRANSPORT", None);
    let (tenant, _) = reconcile(&env.provisioner(), &failed).await;
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(env.upstream.named("acme.test").len(), 1);
}

#[tokio::test]
async fn a_failed_suspension_leaves_the_accounts_as_they_were() {
    let env = Env::new().await;
    let p = env.provisioner();
    let (tenant, _) = reconcile(&p, &new_tenant()).await;
    let id = env
        .upstream
        .add_account("acme.test", "alice", json!({"@type": "Inherit"}));
    env.upstream.faults.push("accounts", Fault::ServerError);
    let s = p.suspend(&tenant, &change()).await.expect("suspend");
    let suspended = tenant.apply(&s.patch).expect("patch");
    assert_eq!(
        suspended.suspension[&Step::Stalwart].state,
        StepState::Error
    );
    assert_eq!(
        s.steps[0].code.as_deref(),
        Some("DEZKY_UPSTREAM_UNAVAILABLE")
    );
    assert_eq!(env.upstream.permissions(&id), json!({"@type": "Inherit"}));

    // The next reconcile suspends, and resuming restores.
    let (after, r) = reconcile(&p, &suspended).await;
    assert_eq!(r.suspension[0].state, StepState::Ok);
    assert_eq!(
        env.upstream.permissions(&id)["disabledPermissions"]["authenticate"],
        true
    );
    resume(&p, &after).await;
    assert_eq!(env.upstream.permissions(&id), json!({"@type": "Inherit"}));
}
