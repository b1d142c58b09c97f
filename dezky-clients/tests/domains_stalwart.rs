//! Domain operations of `dezky_core::domains` through `StalwartMail` against
//! a stateful Stalwart v0.16 JMAP stand-in on 127.0.0.1. Every `x:` call it
//! receives, and every object it serves, is checked against the server's
//! registry facts (`support/contract/specs/stalwart-v0.16.18.registry-facts.json`)
//! with the checks of `tests/stalwart.rs`. The stand-in keeps the rules the
//! operations depend on: domain names are unique (`primaryKeyViolation`),
//! DKIM signatures appear a few looks after the domain is created, a domain
//! with accounts cannot be destroyed and one with only its DKIM signatures is
//! destroyed after them (`objectIsLinked`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod provisioning_support;
mod stalwart_registry;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::domains::StalwartMail;
use dezky_clients::http::Auth;
use dezky_clients::stalwart::StalwartClient;
use dezky_core::auth::{Actor, Surface};
use dezky_core::authz::UserRecord;
use dezky_core::dns::RecordKind;
use dezky_core::domains::{DkimWait, DomainError, DomainRecord, Domains, ManualPause};
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::{Caller, MemberDocument};
use provisioning_support::{FAULTS, Fault, Faults, TENANT_ID, change, config};
use serde_json::{Map, Value, json};
use stalwart_registry::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn resolve(args: &Value, answers: &[(String, Value, String)]) -> Option<Value> {
    let mut out = Map::new();
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
                out.insert(
                    target.to_owned(),
                    result.pointer(pointer).cloned().unwrap_or(Value::Null),
                );
            }
            None => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Some(Value::Object(out))
}

#[derive(Default)]
struct State {
    domains: BTreeMap<String, Value>,
    /// DKIM signature id -> (domain id, looks left before it shows).
    dkim: BTreeMap<String, (String, u32)>,
    accounts: BTreeMap<String, Value>,
    lists: BTreeMap<String, Value>,
    next: u64,
    dkim_delay: u32,
}

#[derive(Clone, Default)]
struct Stalwart {
    state: Arc<Mutex<State>>,
    faults: Faults,
}

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

fn zone(name: &str) -> String {
    format!(
        "{name}. IN MX 10 mail.{name}.\n\
         {name}. IN TXT \"v=spf1 mx ra=postmaster -all\"\n\
         _dmarc.{name}. IN TXT \"v=DMARC1; p=reject; rua=mailto:postmaster@{name}\"\n\
         v1-ed25519-20261203._domainkey.{name}. IN TXT \"v=DKIM1; k=ed25519; h=sha256; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    )
}

fn pick(object: &Value, properties: &Value) -> Value {
    let mut out = Map::from_iter([("id".to_owned(), object["id"].clone())]);
    if let Some(tag) = object.get("@type") {
        out.insert("@type".into(), tag.clone());
    }
    for p in properties
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Some(v) = object.get(p) {
            out.insert(p.to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }
}

impl Stalwart {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    fn names(&self) -> Vec<String> {
        self.lock()
            .domains
            .values()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn add_account(&self, domain_id: &str, name: &str) -> String {
        let mut s = self.lock();
        let id = s.id("a");
        s.accounts.insert(
            id.clone(),
            json!({"id": id, "@type": "User", "name": name, "domainId": domain_id, "aliases": {}, "quotas": {}}),
        );
        id
    }

    fn call(&self, name: &str, args: &Value) -> Result<Value, Value> {
        let mut s = self.lock();
        let filter = &args["filter"];
        match name {
            "x:Domain/query" => Ok(json!({"ids": s.domains.values()
                .filter(|d| filter.get("name").is_none_or(|n| &d["name"] == n))
                .map(|d| d["id"].clone()).collect::<Vec<_>>(), "position": 0})),
            "x:Domain/get" => {
                let list: Vec<Value> = ids_of(args)
                    .iter()
                    .filter_map(|id| s.domains.get(id))
                    .map(|d| {
                        let mut full = d.clone();
                        full["dnsZoneFile"] = json!(zone(d["name"].as_str().unwrap()));
                        pick(&full, &args["properties"])
                    })
                    .collect();
                let not_found: Vec<String> = ids_of(args)
                    .into_iter()
                    .filter(|id| !s.domains.contains_key(id))
                    .collect();
                Ok(json!({"list": list, "notFound": not_found, "state": "s1"}))
            }
            "x:Domain/set" => {
                let mut answer = Map::new();
                if let Some(create) = args.get("create").and_then(Value::as_object) {
                    let mut created = Map::new();
                    let mut refused = Map::new();
                    for (cid, object) in create {
                        if let Some(existing) = s
                            .domains
                            .values()
                            .find(|d| d["name"] == object["name"])
                            .map(|d| d["id"].clone())
                        {
                            refused.insert(
                                cid.clone(),
                                json!({"type": "primaryKeyViolation",
                                "properties": ["name"], "description": "Duplicate",
                                "objectId": {"object": "Domain", "id": existing}}),
                            );
                            continue;
                        }
                        let id = s.id("d");
                        let mut domain = object.clone();
                        domain["id"] = json!(id);
                        s.domains.insert(id.clone(), domain);
                        let key = s.id("k");
                        let delay = s.dkim_delay;
                        s.dkim.insert(key, (id.clone(), delay));
                        created.insert(cid.clone(), json!({"id": id}));
                    }
                    answer.insert("created".into(), Value::Object(created));
                    answer.insert("notCreated".into(), Value::Object(refused));
                }
                if let Some(destroy) = args.get("destroy").and_then(Value::as_array) {
                    let mut destroyed = Vec::new();
                    let mut refused = Map::new();
                    for id in destroy.iter().filter_map(Value::as_str) {
                        if !s.domains.contains_key(id) {
                            refused.insert(id.into(), json!({"type": "notFound"}));
                            continue;
                        }
                        let mut links: Vec<Value> = s
                            .accounts
                            .values()
                            .filter(|a| {
                                a["domainId"] == json!(id)
                                    || a["aliases"].as_object().is_some_and(|l| {
                                        l.values().any(|e| e["domainId"] == json!(id))
                                    })
                            })
                            .map(|a| json!({"object": "Account", "id": a["id"]}))
                            .collect();
                        links.extend(
                            s.lists
                                .values()
                                .filter(|l| l["domainId"] == json!(id))
                                .map(|l| json!({"object": "MailingList", "id": l["id"]})),
                        );
                        links.extend(
                            s.dkim
                                .iter()
                                .filter(|(_, (d, _))| d == id)
                                .map(|(k, _)| json!({"object": "DkimSignature", "id": k})),
                        );
                        if links.is_empty() {
                            s.domains.remove(id);
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
            "x:DkimSignature/query" => {
                let mut ids = Vec::new();
                for (k, (d, left)) in s.dkim.iter_mut() {
                    if filter.get("domainId").is_none_or(|f| f == d) {
                        if *left > 0 {
                            *left -= 1;
                        } else {
                            ids.push(k.clone());
                        }
                    }
                }
                Ok(json!({"ids": ids, "position": 0}))
            }
            "x:DkimSignature/get" => {
                let list: Vec<Value> = ids_of(args)
                    .iter()
                    .filter_map(|id| s.dkim.get(id).map(|(d, _)| (id, d)))
                    .map(|(id, d)| {
                        json!({"id": id, "@type": "Dkim1Ed25519Sha256",
                        "domainId": d, "selector": "v1-ed25519-20261203", "stage": "active"})
                    })
                    .collect();
                Ok(json!({"list": list, "notFound": [], "state": "s1"}))
            }
            "x:DkimSignature/set" => {
                let ids: Vec<String> = args["destroy"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                for id in &ids {
                    s.dkim.remove(id);
                }
                Ok(json!({"destroyed": ids}))
            }
            "x:Account/query" => Ok(json!({"ids": s.accounts.values()
                .filter(|a| filter.get("domainId").is_none_or(|f| &a["domainId"] == f))
                .map(|a| a["id"].clone()).collect::<Vec<_>>(), "position": 0})),
            "x:Account/get" => {
                let list: Vec<Value> = ids_of(args)
                    .iter()
                    .filter_map(|id| s.accounts.get(id))
                    .map(|a| pick(a, &args["properties"]))
                    .collect();
                Ok(json!({"list": list, "notFound": [], "state": "s1"}))
            }
            "x:Account/set" => {
                let mut updated = Map::new();
                let mut refused = Map::new();
                for (id, patch) in args["update"].as_object().expect("update") {
                    let Some(account) = s.accounts.get_mut(id) else {
                        refused.insert(id.clone(), json!({"type": "notFound"}));
                        continue;
                    };
                    for (pointer, value) in patch.as_object().expect("patch") {
                        match pointer.split_once('/') {
                            Some((top, key)) => {
                                if value.is_null() {
                                    account[top].as_object_mut().unwrap().remove(key);
                                } else {
                                    account[top][key] = value.clone();
                                }
                            }
                            None => account[pointer.as_str()] = value.clone(),
                        }
                    }
                    updated.insert(id.clone(), Value::Null);
                }
                Ok(json!({"updated": updated, "notUpdated": refused}))
            }
            "x:MailingList/query" => {
                let text = filter["text"].as_str().unwrap_or("");
                Ok(json!({"ids": s.lists.values()
                    .filter(|l| l["name"].as_str().unwrap().contains(text))
                    .map(|l| l["id"].clone()).collect::<Vec<_>>(), "position": 0}))
            }
            "x:MailingList/get" => {
                let list: Vec<Value> = ids_of(args)
                    .iter()
                    .filter_map(|id| s.lists.get(id))
                    .map(|l| pick(l, &args["properties"]))
                    .collect();
                Ok(json!({"list": list, "notFound": [], "state": "s1"}))
            }
            "x:MailingList/set" => {
                let mut answer = Map::new();
                if let Some(create) = args.get("create").and_then(Value::as_object) {
                    let mut created = Map::new();
                    for (cid, object) in create {
                        let id = s.id("l");
                        let mut list = object.clone();
                        list["id"] = json!(id);
                        s.lists.insert(id.clone(), list);
                        created.insert(cid.clone(), json!({"id": id}));
                    }
                    answer.insert("created".into(), Value::Object(created));
                }
                if let Some(update) = args.get("update").and_then(Value::as_object) {
                    let mut updated = Map::new();
                    for (id, patch) in update {
                        let list = s.lists.get_mut(id).expect("list");
                        for (k, v) in patch.as_object().unwrap() {
                            list[k.as_str()] = v.clone();
                        }
                        updated.insert(id.clone(), Value::Null);
                    }
                    answer.insert("updated".into(), Value::Object(updated));
                }
                if let Some(destroy) = args.get("destroy").and_then(Value::as_array) {
                    let mut destroyed = Vec::new();
                    let mut refused = Map::new();
                    for id in destroy.iter().filter_map(Value::as_str) {
                        if s.lists.remove(id).is_some() {
                            destroyed.push(json!(id));
                        } else {
                            refused.insert(id.into(), json!({"type": "notFound"}));
                        }
                    }
                    answer.insert("destroyed".into(), json!(destroyed));
                    answer.insert("notDestroyed".into(), Value::Object(refused));
                }
                Ok(Value::Object(answer))
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

/// `create` (a domain create), `zone` (a read of the zone file) or `other`.
fn op_of(body: &Value) -> &'static str {
    let calls = body["methodCalls"].as_array().expect("methodCalls");
    if calls
        .iter()
        .any(|c| c[0] == "x:Domain/set" && c[1].get("create").is_some())
    {
        "create"
    } else if calls.iter().any(|c| {
        c[0] == "x:Domain/get"
            && c[1]["properties"]
                .as_array()
                .is_some_and(|p| p.contains(&json!("dnsZoneFile")))
    }) {
        "zone"
    } else {
        "other"
    }
}

impl Respond for Stalwart {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
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
    _server: MockServer,
    upstream: Stalwart,
    domains: Domains,
    actor: Actor,
    admin: UserRecord,
    change: dezky_flags::Change,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
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
        let client = StalwartClient::new(
            config(&server.uri()),
            Auth::Bearer(Secret::new("API_test-key")),
        )
        .unwrap();
        let domains = Domains::new(Arc::new(StalwartMail::new(client)))
            .with_pause(Arc::new(ManualPause::new()))
            .with_dkim_wait(DkimWait {
                timeout: Duration::from_secs(5),
                ..DkimWait::default()
            });
        let admin = MemberDocument::from_document(
            "user",
            &object(
                json!({"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-admin",
                "tenantIds": [TENANT_ID], "tenantRoles": {TENANT_ID: "admin"}}),
            ),
        )
        .unwrap()
        .user;
        Env {
            _server: server,
            upstream,
            domains,
            actor: Actor {
                subject: "sub-admin".into(),
                email: Some("admin@acme.test".into()),
                name: None,
                groups: vec![],
                surface: Surface::Portal,
                issuer: "https://id.test/application/o/dezky-portal/".into(),
                audience: "dezky-portal".into(),
                expires_at: 2_000_000_000,
            },
            admin,
            change: change(),
        }
    }

    fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.admin,
            change: &self.change,
        }
    }
}

fn tenant(domains: &[&str]) -> TenantDocument {
    TenantDocument::from_document(
        "tenant",
        &object(
            json!({"_id": TENANT_ID, "slug": "acme", "name": "Acme", "status": "active",
            "plan": "business", "domains": domains, "__v": 2}),
        ),
    )
    .unwrap()
}

fn stored(added: &dezky_core::domains::AddedDomain) -> DomainRecord {
    let mut doc = added.document.clone();
    doc.insert("_id".into(), json!({"$oid": "6650f1c2a9b4e3d2c1b0d001"}));
    DomainRecord::from_document("domain", &doc).unwrap()
}

#[tokio::test]
async fn add_domain_waits_for_dkim_and_marks_the_domain_for_the_tenant() {
    let env = Env::new().await;
    env.upstream.lock().dkim_delay = 2;
    let added = env
        .domains
        .add_domain(&tenant(&["acme.test"]), "shop.acme.test", env.caller())
        .await
        .unwrap();
    assert_eq!(env.upstream.names(), vec!["shop.acme.test"]);
    let domain = env.upstream.lock().domains.values().next().unwrap().clone();
    assert_eq!(
        domain["description"],
        json!(format!("dezky tenant {TENANT_ID}"))
    );
    assert_eq!(added.dkim_selectors, vec!["v1-ed25519-20261203"]);
    assert_eq!(
        added.record.stalwart_domain_id,
        domain["id"].as_str().unwrap()
    );
    assert!(
        added
            .expected
            .checks
            .iter()
            .any(|c| matches!(c.kind, RecordKind::Dkim { .. }))
    );
    assert_eq!(
        added.expected.checks.last().unwrap().kind,
        RecordKind::Ownership
    );

    // Added again: the domain is adopted, not made twice.
    let again = env
        .domains
        .add_domain(&tenant(&["acme.test"]), "shop.acme.test", env.caller())
        .await
        .unwrap();
    assert!(again.adopted);
    assert_eq!(env.upstream.names().len(), 1);
}

#[tokio::test]
async fn a_fault_at_the_create_or_the_zone_read_leaves_nothing_and_a_retry_one_domain() {
    let mut cases: Vec<(&'static str, Fault)> = FAULTS.iter().map(|f| ("create", *f)).collect();
    cases.push(("zone", Fault::ServerError));
    cases.push(("zone", Fault::RateLimited));
    for (op, fault) in cases {
        let env = Env::new().await;
        env.upstream.faults.push(op, fault);
        let error = env
            .domains
            .add_domain(&tenant(&["acme.test"]), "shop.acme.test", env.caller())
            .await
            .unwrap_err();
        assert_eq!(error.code(), fault.expected().0, "{op} {fault:?}");
        let DomainError::Failed(failure) = &error else {
            panic!("{error:?}")
        };
        assert!(
            failure.undone.iter().all(|u| u.error.is_none()),
            "{op} {fault:?}: {error}"
        );
        assert!(
            env.upstream.names().is_empty(),
            "{op} {fault:?}: left {:?}",
            env.upstream.names()
        );
        assert!(
            env.upstream.lock().dkim.is_empty(),
            "{op} {fault:?}: DKIM keys left"
        );
        env.domains
            .add_domain(&tenant(&["acme.test"]), "shop.acme.test", env.caller())
            .await
            .unwrap();
        assert_eq!(
            env.upstream.names(),
            vec!["shop.acme.test"],
            "{op} {fault:?}"
        );
    }
}

#[tokio::test]
async fn remove_aliases_lists_and_quotas_through_the_client() {
    let env = Env::new().await;
    let t = tenant(&["acme.test", "shop.acme.test"]);
    env.domains
        .add_domain(&t, "acme.test", env.caller())
        .await
        .unwrap();
    let shop = env
        .domains
        .add_domain(&t, "shop.acme.test", env.caller())
        .await
        .unwrap();
    let primary_id = env
        .upstream
        .lock()
        .domains
        .values()
        .find(|d| d["name"] == "acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shop_record = stored(&shop);

    // A mailbox on the domain: the core's guard refuses with the account linked.
    let sales = env
        .upstream
        .add_account(&shop_record.stalwart_domain_id, "sales");
    let e = env
        .domains
        .remove_domain(&t, &shop_record, env.caller())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::InUse { linked, .. } if linked == &vec![format!("Account/{sales}")]),
        "{e:?}"
    );
    env.upstream.lock().accounts.remove(&sales);

    // Aliases of a mailbox on the primary domain.
    let bob = env.upstream.add_account(&primary_id, "bob");
    let member = MemberDocument::from_document(
        "member",
        &object(
            json!({"_id": "6650f1c2a9b4e3d2c1b0a002", "authentikSubjectId": "sub-bob",
            "email": "bob@acme.test", "tenantIds": [TENANT_ID],
            "mailboxes": {TENANT_ID: {"id": bob, "address": "bob@acme.test"}}}),
        ),
    )
    .unwrap();
    env.domains
        .add_alias(&t, &member, "sales@shop.acme.test", env.caller())
        .await
        .unwrap();
    env.domains
        .add_alias(&t, &member, "info@acme.test", env.caller())
        .await
        .unwrap();
    env.domains
        .add_alias(&t, &member, "info@acme.test", env.caller())
        .await
        .unwrap();
    let aliases = env.upstream.lock().accounts[&bob]["aliases"].clone();
    assert_eq!(
        aliases,
        json!({"0": {"name": "sales", "domainId": shop_record.stalwart_domain_id, "enabled": true},
               "1": {"name": "info", "domainId": primary_id, "enabled": true}})
    );
    // The server refuses to remove a domain an alias uses.
    let e = env
        .domains
        .remove_domain(&t, &shop_record, env.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_IN_USE");
    env.domains
        .remove_alias(&t, &member, "sales@shop.acme.test", env.caller())
        .await
        .unwrap();
    assert_eq!(
        env.upstream.lock().accounts[&bob]["aliases"],
        json!({"0": {"name": "info", "domainId": primary_id, "enabled": true}})
    );

    // Quota.
    env.domains
        .set_quota(&t, &member, Some(2 << 30), env.caller())
        .await
        .unwrap();
    assert_eq!(
        env.upstream.lock().accounts[&bob]["quotas"],
        json!({"maxDiskQuota": 2u64 << 30})
    );
    env.domains
        .set_quota(&t, &member, None, env.caller())
        .await
        .unwrap();
    assert_eq!(env.upstream.lock().accounts[&bob]["quotas"], json!({}));

    // Mailing lists.
    let made = env
        .domains
        .create_list(
            &t,
            "team@acme.test",
            &["bob@acme.test".into()],
            env.caller(),
        )
        .await
        .unwrap();
    let handle = made.list.unwrap().handle;
    assert_eq!(
        env.upstream.lock().lists[&handle]["recipients"],
        json!({"bob@acme.test": true})
    );
    let e = env
        .domains
        .create_list(&t, "team@acme.test", &[], env.caller())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "DEZKY_ALREADY_EXISTS");
    env.domains
        .set_list_members(
            &t,
            "team@acme.test",
            &["ann@acme.test".into()],
            &["bob@acme.test".into()],
            env.caller(),
        )
        .await
        .unwrap();
    assert_eq!(
        env.upstream.lock().lists[&handle]["recipients"],
        json!({"ann@acme.test": true})
    );
    env.domains
        .delete_list(&t, "team@acme.test", env.caller())
        .await
        .unwrap();
    assert!(env.upstream.lock().lists.is_empty());

    // The domain itself: its DKIM keys go first, then the domain; again is a no-op.
    let removed = env
        .domains
        .remove_domain(&t, &shop_record, env.caller())
        .await
        .unwrap();
    assert_eq!(
        removed.tenant_patch.update()["$set"]["domains"],
        json!(["acme.test"])
    );
    assert_eq!(env.upstream.names(), vec!["acme.test"]);
    env.domains
        .remove_domain(&t, &shop_record, env.caller())
        .await
        .unwrap();
    let e = env
        .domains
        .remove_domain(&t, &stored(&shop), env.caller())
        .await;
    assert!(e.is_ok());
}
