//! The member ports over the real clients, against stateful stand-ins on
//! 127.0.0.1: Authentik and OCIS on wiremock (every request and answer
//! checked against their official OpenAPI documents), Stalwart's JMAP
//! management checked against its registry facts. A member is created across
//! the three, a fault at each upstream's create leaves nothing behind, and
//! removal takes everything down.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod provisioning_support;
mod stalwart_registry;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dezky_clients::Secret;
use dezky_clients::authentik::AuthentikClient;
use dezky_clients::http::Auth;
use dezky_clients::members::{AuthentikMembers, OcisUsers, StalwartMailboxes};
use dezky_clients::ocis::OcisClient;
use dezky_clients::stalwart::StalwartClient;
use dezky_contract::Spec;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::{
    Caller, MemberDocument, MemberError, MemberKind, Members, NewMember, Removed,
};
use provisioning_support::*;
use serde_json::{Map, Value, json};
use stalwart_registry::*;
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const GROUP: &str = "6a3c2e1f-0c4b-4a5e-9d62-1f0e2a3b4c5d";

fn fixture(dir: &str, name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/{dir}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("JSON")
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

fn reply(status: u16, body: Value) -> ResponseTemplate {
    let template = ResponseTemplate::new(status);
    if body.is_null() {
        template
    } else {
        template.set_body_json(body)
    }
}

// ---------------------------------------------------------------------------
// Authentik
// ---------------------------------------------------------------------------

#[derive(Default)]
struct AuthentikState {
    users: BTreeMap<i64, Value>,
    passwords: BTreeMap<i64, String>,
    next: i64,
    violations: Vec<String>,
}

#[derive(Clone)]
struct Authentik {
    state: Arc<Mutex<AuthentikState>>,
    faults: Faults,
    spec: Arc<Spec>,
}

impl Authentik {
    fn lock(&self) -> std::sync::MutexGuard<'_, AuthentikState> {
        self.state.lock().expect("state")
    }

    fn answer(&self, m: &str, p: &str, status: u16, body: Value) -> ResponseTemplate {
        if let Err(v) = self.spec.check_response(m, p, status, &body) {
            self.lock()
                .violations
                .extend(v.iter().map(|v| format!("{m} {p}: {v}")));
        }
        reply(status, body)
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        let m = request.method.as_str();
        let p = request.url.path().to_owned();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let tail = p.strip_prefix("/api/v3").unwrap_or(&p).to_owned();
        let parts: Vec<&str> = tail.trim_matches('/').split('/').collect();
        match (m, parts.as_slice()) {
            ("GET", ["core", "users"]) => {
                let users: Vec<Value> = self
                    .lock()
                    .users
                    .values()
                    .filter(|u| {
                        query
                            .get("username")
                            .is_none_or(|n| u["username"] == json!(n))
                    })
                    .cloned()
                    .collect();
                self.answer(m, &p, 200, page(users))
            }
            ("POST", ["core", "users"]) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let taken = self
                    .lock()
                    .users
                    .values()
                    .any(|u| u["username"] == body["username"]);
                if taken {
                    return self.answer(m, &p, 400, fixture("authentik", "error_unique_username"));
                }
                let mut state = self.lock();
                state.next += 1;
                let pk = 100 + state.next;
                let mut user = fixture("authentik", "user");
                user["pk"] = json!(pk);
                user["username"] = body["username"].clone();
                user["email"] = body["email"].clone();
                user["name"] = body["name"].clone();
                user["groups"] = body["groups"].clone();
                user["is_active"] = json!(true);
                user["uid"] = json!(format!("{pk:064x}"));
                state.users.insert(pk, user.clone());
                drop(state);
                self.answer(m, &p, 201, user)
            }
            ("POST", ["core", "users", pk, "set_password"]) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let pk: i64 = pk.parse().expect("pk");
                let mut state = self.lock();
                if !state.users.contains_key(&pk) {
                    drop(state);
                    return self.answer(m, &p, 404, fixture("authentik", "error_not_found"));
                }
                state
                    .passwords
                    .insert(pk, body["password"].as_str().expect("password").to_owned());
                drop(state);
                self.answer(m, &p, 204, Value::Null)
            }
            ("DELETE", ["core", "users", pk]) => {
                let pk: i64 = pk.parse().expect("pk");
                let removed = self.lock().users.remove(&pk);
                match removed {
                    Some(_) => self.answer(m, &p, 204, Value::Null),
                    None => self.answer(m, &p, 404, fixture("authentik", "error_not_found")),
                }
            }
            _ => panic!("unexpected {m} {p}"),
        }
    }
}

impl Respond for Authentik {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let op = match (request.method.as_str(), request.url.path()) {
            ("POST", p) if p.ends_with("/set_password/") => "set_password",
            ("POST", _) => "create",
            ("DELETE", _) => "remove",
            _ => "read",
        };
        match self.faults.take(op) {
            Some(Fault::Timeout) => Fault::late(self.handle(request)),
            Some(fault) => fault.refusal(json!({"detail": "upstream trouble"})),
            None => self.handle(request),
        }
    }
}

fn authentik_spec() -> Spec {
    Spec::shared("authentik-2025.10.4.openapi.yml", "/api/v3")
}

// ---------------------------------------------------------------------------
// OCIS
// ---------------------------------------------------------------------------

#[derive(Default)]
struct OcisState {
    users: BTreeMap<String, Value>,
    next: u64,
    violations: Vec<String>,
}

#[derive(Clone)]
struct Ocis {
    state: Arc<Mutex<OcisState>>,
    faults: Faults,
    spec: Arc<Spec>,
}

impl Ocis {
    fn lock(&self) -> std::sync::MutexGuard<'_, OcisState> {
        self.state.lock().expect("state")
    }

    fn answer(&self, m: &str, p: &str, status: u16, body: Value) -> ResponseTemplate {
        if let Err(v) = self.spec.check_response(m, p, status, &body) {
            self.lock()
                .violations
                .extend(v.iter().map(|v| format!("{m} {p}: {v}")));
        }
        reply(status, body)
    }

    fn handle(&self, request: &Request) -> ResponseTemplate {
        let m = request.method.as_str();
        let p = request.url.path().to_owned();
        let key = p.strip_prefix("/graph/v1.0/users/").map(percent_decode);
        let not_found = || {
            let mut e = fixture("ocis", "error_not_found");
            e["error"]["message"] = json!("user not found");
            e
        };
        match (m, key) {
            ("POST", None) => {
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                let mut state = self.lock();
                state.next += 1;
                let id = format!("4c510ada-c86b-4815-8820-{:012x}", state.next);
                let user = json!({
                    "id": id, "displayName": body["displayName"],
                    "onPremisesSamAccountName": body["onPremisesSamAccountName"],
                    "mail": body["mail"], "userType": "Member", "accountEnabled": true,
                });
                state.users.insert(id, user.clone());
                drop(state);
                self.answer(m, &p, 201, user)
            }
            ("GET", Some(key)) => {
                let found = self
                    .lock()
                    .users
                    .values()
                    .find(|u| u["id"] == json!(key) || u["onPremisesSamAccountName"] == json!(key))
                    .cloned();
                match found {
                    Some(u) => self.answer(m, &p, 200, u),
                    None => self.answer(m, &p, 404, not_found()),
                }
            }
            ("DELETE", Some(key)) => {
                let removed = self.lock().users.remove(&key);
                match removed {
                    Some(_) => self.answer(m, &p, 204, Value::Null),
                    None => self.answer(m, &p, 404, not_found()),
                }
            }
            _ => panic!("unexpected {m} {p}"),
        }
    }
}

fn percent_decode(s: &str) -> String {
    s.replace("%40", "@")
}

impl Respond for Ocis {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let op = match request.method.as_str() {
            "POST" => "create",
            "DELETE" => "remove",
            _ => "read",
        };
        match self.faults.take(op) {
            Some(Fault::Timeout) => Fault::late(self.handle(request)),
            Some(fault) => fault.refusal(fixture("ocis", "error_general")),
            None => self.handle(request),
        }
    }
}

fn ocis_spec() -> Spec {
    Spec::shared("libregraph-v1.0.openapi.yaml", "/graph")
}

// ---------------------------------------------------------------------------
// Stalwart
// ---------------------------------------------------------------------------

#[derive(Default)]
struct StalwartState {
    accounts: BTreeMap<String, Value>,
    address_books: Vec<String>,
    next: u64,
}

#[derive(Clone, Default)]
struct Stalwart {
    state: Arc<Mutex<StalwartState>>,
    faults: Faults,
}

const DOMAIN_ID: &str = "d1";

impl Stalwart {
    fn lock(&self) -> std::sync::MutexGuard<'_, StalwartState> {
        self.state.lock().expect("state")
    }

    fn call(&self, name: &str, args: &Value) -> Value {
        let mut state = self.lock();
        let filter = &args["filter"];
        let ids: Vec<String> = args["ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        match name {
            "x:Domain/query" => {
                let ids: Vec<&str> = if filter["name"] == json!("acme.test") {
                    vec![DOMAIN_ID]
                } else {
                    vec![]
                };
                json!({"ids": ids, "position": 0})
            }
            "x:Domain/get" => {
                let list: Vec<Value> = ids
                    .iter()
                    .filter(|id| *id == DOMAIN_ID)
                    .map(|id| {
                        json!({"id": id, "name": "acme.test", "aliases": {}, "isEnabled": true,
                        "description": "dezky tenant 6650f1c2a9b4e3d2c1b0a998",
                        "catchAllAddress": null, "allowRelaying": false,
                        "createdAt": "2026-11-23T02:00:00Z"})
                    })
                    .collect();
                json!({"list": list, "notFound": [], "state": "s1"})
            }
            "x:Account/query" => json!({"ids": state.accounts.values()
                .filter(|a| filter.get("name").is_none_or(|n| &a["name"] == n)
                    && filter.get("domainId").is_none_or(|d| &a["domainId"] == d))
                .map(|a| a["id"].clone()).collect::<Vec<_>>(), "position": 0}),
            "x:Account/get" => {
                let properties: Vec<String> = args["properties"]
                    .as_array()
                    .expect("properties")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                let list: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| state.accounts.get(id))
                    .map(|a| {
                        let mut out = Map::from_iter([
                            ("id".to_owned(), a["id"].clone()),
                            ("@type".to_owned(), a["@type"].clone()),
                        ]);
                        for p in &properties {
                            if let Some(v) = a.get(p.as_str()) {
                                out.insert(p.clone(), v.clone());
                            }
                        }
                        Value::Object(out)
                    })
                    .collect();
                json!({"list": list, "notFound": [], "state": "s1"})
            }
            "x:Account/set" => {
                let mut answer = Map::new();
                if let Some(create) = args.get("create").and_then(Value::as_object) {
                    let mut created = Map::new();
                    let mut refused = Map::new();
                    for (cid, object) in create {
                        if state.accounts.values().any(|a| {
                            a["name"] == object["name"] && a["domainId"] == object["domainId"]
                        }) {
                            refused.insert(
                                cid.clone(),
                                json!({"type": "primaryKeyViolation",
                                "properties": ["name"], "description": "Duplicate"}),
                            );
                            continue;
                        }
                        state.next += 1;
                        let id = format!("a{}", state.next);
                        let mut account = object.clone();
                        account["id"] = json!(id);
                        account["emailAddress"] = json!(format!(
                            "{}@acme.test",
                            object["name"].as_str().expect("name")
                        ));
                        account["permissions"] = json!({"@type": "Inherit"});
                        state.accounts.insert(id.clone(), account);
                        created.insert(cid.clone(), json!({"id": id}));
                    }
                    answer.insert("created".into(), Value::Object(created));
                    answer.insert("notCreated".into(), Value::Object(refused));
                }
                if let Some(destroy) = args.get("destroy").and_then(Value::as_array) {
                    let mut destroyed = Vec::new();
                    let mut refused = Map::new();
                    for id in destroy.iter().filter_map(Value::as_str) {
                        if state.accounts.remove(id).is_some() {
                            destroyed.push(json!(id));
                        } else {
                            refused.insert(id.into(), json!({"type": "notFound"}));
                        }
                    }
                    answer.insert("destroyed".into(), json!(destroyed));
                    answer.insert("notDestroyed".into(), Value::Object(refused));
                }
                Value::Object(answer)
            }
            "AddressBook/get" => {
                let account = args["accountId"].as_str().expect("accountId").to_owned();
                assert!(state.accounts.contains_key(&account), "unknown account");
                state.address_books.push(account);
                json!({"accountId": args["accountId"], "list": [{"id": "b1", "name": "Default"}],
                    "notFound": [], "state": "s1"})
            }
            other => panic!("unexpected call {other}"),
        }
    }

    fn handle(&self, body: &Value) -> ResponseTemplate {
        let mut responses = Vec::new();
        let mut answers: BTreeMap<String, Value> = BTreeMap::new();
        for call in body["methodCalls"].as_array().expect("methodCalls") {
            let name = call[0].as_str().expect("method name");
            let id = call[2].as_str().expect("call id");
            let mut args = call[1].clone();
            // `#ids` result references to an earlier query.
            if let Some(reference) = args.get("#ids").cloned() {
                let of = reference["resultOf"].as_str().expect("resultOf");
                args["ids"] = answers[of]["ids"].clone();
                args.as_object_mut().expect("object").remove("#ids");
            }
            if name.starts_with("x:") {
                check_call(name, &args);
            }
            let result = self.call(name, &args);
            if let Some((object, "get")) = name.split_once('/')
                && object.starts_with("x:")
            {
                for item in result["list"].as_array().expect("list") {
                    check_object(object, item, &format!("{name} answer"), Direction::Read);
                }
            }
            answers.insert(id.to_owned(), result.clone());
            responses.push(json!([name, result, id]));
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"methodResponses": responses, "sessionState": "s1"}))
    }
}

impl Respond for Stalwart {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
        let creates = body["methodCalls"]
            .as_array()
            .expect("calls")
            .iter()
            .any(|c| c[0] == "x:Account/set" && c[1].get("create").is_some());
        let op = if creates { "create" } else { "other" };
        match self.faults.take(op) {
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

// ---------------------------------------------------------------------------
// The three together
// ---------------------------------------------------------------------------

struct Env {
    authentik_server: MockServer,
    ocis_server: MockServer,
    authentik: Authentik,
    ocis: Ocis,
    stalwart: Stalwart,
    members: Members,
}

impl Env {
    async fn new() -> Self {
        let authentik_server = MockServer::start().await;
        let authentik = Authentik {
            state: Arc::default(),
            faults: Faults::default(),
            spec: Arc::new(authentik_spec()),
        };
        Mock::given(any())
            .respond_with(authentik.clone())
            .mount(&authentik_server)
            .await;
        let ocis_server = MockServer::start().await;
        let ocis = Ocis {
            state: Arc::default(),
            faults: Faults::default(),
            spec: Arc::new(ocis_spec()),
        };
        Mock::given(path_regex("^/graph/"))
            .respond_with(ocis.clone())
            .mount(&ocis_server)
            .await;
        let stalwart_server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/jmap/session"))
            .respond_with(ResponseTemplate::new(200).set_body_json(session()))
            .mount(&stalwart_server)
            .await;
        let stalwart = Stalwart::default();
        Mock::given(method("POST"))
            .and(path("/jmap/"))
            .respond_with(stalwart.clone())
            .mount(&stalwart_server)
            .await;
        let identity = AuthentikClient::new(
            config(&format!("{}/api/v3", authentik_server.uri())),
            Secret::new("api-token-for-tests"),
        )
        .expect("authentik");
        let mail = StalwartClient::new(
            config(&stalwart_server.uri()),
            Auth::Basic {
                username: "admin".into(),
                password: Secret::new("s3cret-admin"),
            },
        )
        .expect("stalwart");
        let files = OcisClient::new(
            config(&format!("{}/graph", ocis_server.uri())),
            Auth::Bearer(Secret::new("tok-ocis-1")),
        )
        .expect("ocis");
        let members = Members::new()
            .with_port(Arc::new(AuthentikMembers::new(identity)))
            .with_port(Arc::new(StalwartMailboxes::new(mail)))
            .with_port(Arc::new(OcisUsers::new(files)));
        // Keep the Stalwart server alive with the environment.
        std::mem::forget(stalwart_server);
        Env {
            authentik_server,
            ocis_server,
            authentik,
            ocis,
            stalwart,
            members,
        }
    }

    fn empty(&self) -> bool {
        self.authentik.lock().users.is_empty()
            && self.stalwart.lock().accounts.is_empty()
            && self.ocis.lock().users.is_empty()
    }

    /// Checks every request and answer against the official documents.
    async fn check(&self) {
        let requests = self
            .authentik_server
            .received_requests()
            .await
            .expect("recording");
        authentik_spec().assert_wiremock_requests(&requests);
        let v = self.authentik.lock().violations.clone();
        assert!(v.is_empty(), "{}", v.join("\n"));
        let requests = self
            .ocis_server
            .received_requests()
            .await
            .expect("recording");
        ocis_spec().assert_wiremock_requests(&requests);
        let v = self.ocis.lock().violations.clone();
        assert!(v.is_empty(), "{}", v.join("\n"));
    }
}

fn tenant() -> TenantDocument {
    let Value::Object(map) = json!({
        "_id": TENANT_ID, "slug": "acme", "name": "Acme Co", "status": "active",
        "plan": "business", "domains": ["acme.test"], "authentikGroupId": GROUP,
        "stalwartDomain": "acme.test", "__v": 3,
    }) else {
        unreachable!()
    };
    TenantDocument::from_document("tenant", &map).expect("tenant")
}

fn admin() -> (Actor, UserRecord) {
    let actor = Actor {
        subject: "sub-admin".into(),
        email: Some("admin@acme.test".into()),
        name: None,
        groups: vec![],
        surface: Surface::Portal,
        issuer: "https://id.example/".into(),
        audience: "dezky-portal".into(),
        expires_at: 2_000_000_000,
    };
    let Value::Object(map) = json!({
        "_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-admin",
        "tenantIds": [TENANT_ID], "tenantRoles": {TENANT_ID: "admin"},
    }) else {
        unreachable!()
    };
    (
        actor,
        dezky_core::records::user("user", &map).expect("user"),
    )
}

fn alice() -> NewMember {
    NewMember {
        email: "alice@acme.test".into(),
        name: "Alice Liddell".into(),
        admin: false,
        quota_bytes: Some(1 << 30),
    }
}

#[tokio::test]
async fn a_member_is_made_on_every_upstream_and_removed_from_every_one() {
    let env = Env::new().await;
    let (actor, user) = admin();
    let change = change();
    let caller = Caller {
        actor: &actor,
        user: &user,
        change: &change,
    };
    let created = env
        .members
        .create_member(&tenant(), &alice(), caller)
        .await
        .expect("created");
    let password = created.password.expose().to_owned();
    {
        let a = env.authentik.lock();
        let (pk, u) = a.users.iter().next().expect("a user");
        assert_eq!(u["username"], "alice@acme.test");
        assert_eq!(u["groups"], json!([GROUP]));
        assert_eq!(a.passwords[pk], password);
        assert_eq!(created.document["authentikSubjectId"], u["uid"]);
    }
    {
        let s = env.stalwart.lock();
        let (id, account) = s.accounts.iter().next().expect("an account");
        assert_eq!(account["name"], "alice");
        assert_eq!(account["quotas"], json!({"maxDiskQuota": 1u64 << 30}));
        assert_eq!(account["credentials"]["0"]["secret"], json!(password));
        assert_eq!(s.address_books, std::slice::from_ref(id));
    }
    assert_eq!(env.ocis.lock().users.len(), 1);
    env.check().await;

    let mut doc = created.document.clone();
    doc.insert("_id".into(), json!("6650f1c2a9b4e3d2c1b0a111"));
    let member = MemberDocument::from_document("member", &doc).expect("member");
    let removal = env
        .members
        .remove_member(&tenant(), &member, caller)
        .await
        .expect("removal");
    let outcomes: Vec<(MemberKind, Removed)> =
        removal.steps.iter().map(|s| (s.kind, s.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (MemberKind::Files, Removed::Removed),
            (MemberKind::Mailbox, Removed::Removed),
            (MemberKind::Identity, Removed::Removed),
        ]
    );
    assert!(removal.delete_document);
    assert!(env.empty());
    env.check().await;
}

#[tokio::test]
async fn a_fault_at_each_upstream_leaves_nothing_behind() {
    for (upstream, op) in [
        ("authentik", "create"),
        ("authentik", "set_password"),
        ("stalwart", "create"),
        ("ocis", "create"),
    ] {
        for fault in FAULTS {
            let env = Env::new().await;
            match upstream {
                "authentik" => env.authentik.faults.push(op, fault),
                "stalwart" => env.stalwart.faults.push(op, fault),
                _ => env.ocis.faults.push(op, fault),
            }
            let (actor, user) = admin();
            let change = change();
            let caller = Caller {
                actor: &actor,
                user: &user,
                change: &change,
            };
            let result = env.members.create_member(&tenant(), &alice(), caller).await;
            let case = format!("{upstream} {op} {fault:?}");
            let Err(MemberError::Failed(f)) = result else {
                panic!("{case}: expected a failure, got {result:?}");
            };
            let expected_kind = match upstream {
                "authentik" => MemberKind::Identity,
                "stalwart" => MemberKind::Mailbox,
                _ => MemberKind::Files,
            };
            assert_eq!(f.kind, Some(expected_kind), "{case}");
            assert_eq!(f.error.code, fault.expected().0, "{case}");
            assert!(!f.left_behind(), "{case}: {:?}", f.undone);
            assert!(env.empty(), "{case}: something was left behind");
            env.check().await;
        }
    }
}
