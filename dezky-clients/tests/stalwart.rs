//! The Stalwart v0.16 client against a JMAP server mocked on 127.0.0.1.
//!
//! The mock answers method calls by name, resolves result references the way
//! the server does, and checks every `x:` call against the server's registry
//! schema (the facts table `support/contract/specs/stalwart-v0.16.18.registry-facts.json`,
//! generated from `stalwart-v0.16.18.schema.json`): properties exist on the object,
//! values have the declared kinds (sets as objects, lists keyed by position,
//! tagged unions), server-set properties are never sent and the objects it
//! serves match the schema too. The facts file must be present: without it
//! every test fails.

// Test support: a broken expectation should panic with its message.
#![allow(clippy::expect_used)]

mod stalwart_registry;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dezky_clients::http::{Auth, HttpConfig, RetryPolicy};
use dezky_clients::stalwart::{
    DKIM_PROPERTIES, DOMAIN_PROPERTIES, DkimSignature, Domain, EmailAlias, Ids, JmapRequest,
    MAILBOX_PROPERTIES, Mailbox, NewDomain, NewMailbox, Permissions, PermissionsList, SetArgs,
    StalwartClient,
};
use dezky_clients::{Error, Secret, UpstreamError, UpstreamKind};
use serde_json::{Value, json};
use stalwart_registry::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// ---------------------------------------------------------------------------
// The mock server
// ---------------------------------------------------------------------------

enum Reply {
    Ok(Value),
    Error(Value),
}

type Handler = dyn Fn(&str, &Value) -> Reply + Send + Sync;

struct Jmap {
    handler: Arc<Handler>,
    bodies: Arc<Mutex<Vec<Value>>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    delay: Duration,
}

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

impl Respond for Jmap {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals.lock().expect("arrivals").push(Instant::now());
        assert_eq!(
            request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
        self.bodies.lock().expect("bodies").push(body.clone());
        let using: Vec<&str> = body["using"]
            .as_array()
            .expect("using")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(using.contains(&"urn:ietf:params:jmap:core"));
        assert!(using.contains(&"urn:stalwart:jmap"));
        let mut answers: Vec<(String, Value, String)> = Vec::new();
        for call in body["methodCalls"].as_array().expect("methodCalls") {
            let name = call[0].as_str().expect("method name");
            let id = call[2].as_str().expect("call id").to_owned();
            if name.starts_with("x:") {
                check_call(name, &call[1]);
            }
            if name.starts_with("AddressBook/") {
                assert!(using.contains(&"urn:ietf:params:jmap:contacts"));
            }
            let reply = match resolve(&call[1], &answers) {
                Some(args) => (self.handler)(name, &args),
                None => Reply::Error(json!({"type": "invalidResultReference"})),
            };
            match reply {
                Reply::Ok(result) => {
                    if let Some((object, "get")) = name.split_once('/')
                        && object.starts_with("x:")
                    {
                        for item in result["list"].as_array().expect("list") {
                            check_object(object, item, &format!("{name} answer"), Direction::Read);
                        }
                    }
                    answers.push((name.to_owned(), result, id));
                }
                Reply::Error(error) => answers.push(("error".to_owned(), error, id)),
            }
        }
        let responses: Vec<Value> = answers
            .into_iter()
            .map(|(name, args, id)| json!([name, args, id]))
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"methodResponses": responses, "sessionState": "s1"}))
            .set_delay(self.delay)
    }
}

fn session(max_concurrent: u64) -> Value {
    json!({
        "capabilities": {"urn:ietf:params:jmap:core": {
            "maxCallsInRequest": 16, "maxObjectsInGet": 500, "maxObjectsInSet": 500,
            "maxConcurrentRequests": max_concurrent, "maxSizeUpload": 50000000}},
        "accounts": {"b": {"name": "admin", "isPersonal": true, "isReadOnly": false,
            "accountCapabilities": {"urn:stalwart:jmap": {}}}},
        "primaryAccounts": {"urn:stalwart:jmap": "b"},
        "username": "admin",
        "apiUrl": "https://mail.example.com/jmap/",
        "state": "s1"
    })
}

struct Harness {
    server: MockServer,
    bodies: Arc<Mutex<Vec<Value>>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
    client: StalwartClient,
}

impl Harness {
    async fn start(handler: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static) -> Self {
        Self::with(session(4), Duration::ZERO, handler).await
    }

    async fn with(
        session: Value,
        delay: Duration,
        handler: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/jmap/session"))
            .and(wiremock::matchers::header(
                "authorization",
                "Basic YWRtaW46czNjcmV0LWFkbWlu",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(session))
            .mount(&server)
            .await;
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        Mock::given(method("POST"))
            .and(path("/jmap/"))
            .and(wiremock::matchers::header(
                "authorization",
                "Basic YWRtaW46czNjcmV0LWFkbWlu",
            ))
            .respond_with(Jmap {
                handler: Arc::new(handler),
                bodies: bodies.clone(),
                arrivals: arrivals.clone(),
                delay,
            })
            .mount(&server)
            .await;
        let client = client_for(&server);
        Harness {
            server,
            bodies,
            arrivals,
            client,
        }
    }

    /// The method calls of every request, in order: (name, arguments).
    fn requests(&self) -> Vec<Vec<(String, Value)>> {
        self.bodies
            .lock()
            .expect("bodies")
            .iter()
            .map(|body| {
                body["methodCalls"]
                    .as_array()
                    .expect("calls")
                    .iter()
                    .map(|c| (c[0].as_str().expect("name").to_owned(), c[1].clone()))
                    .collect()
            })
            .collect()
    }
}

fn client_for(server: &MockServer) -> StalwartClient {
    let config = HttpConfig::new(&server.uri())
        .expect("config")
        .with_timeout(Duration::from_secs(5))
        .with_retry(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(1),
        });
    StalwartClient::new(
        config,
        Auth::Basic {
            username: "admin".into(),
            password: Secret::new("s3cret-admin"),
        },
    )
    .expect("client")
}

fn created(cid: &str, id: &str) -> Reply {
    let mut created = serde_json::Map::new();
    created.insert(cid.to_owned(), json!({ "id": id }));
    Reply::Ok(json!({ "created": created }))
}

fn set_error(kind: UpstreamKind, error: &Error) -> &UpstreamError {
    let upstream = error
        .upstream()
        .unwrap_or_else(|| panic!("expected an upstream error, got {error:?}"));
    assert_eq!(upstream.kind, kind, "{error}");
    assert_eq!(upstream.status, 200);
    assert_eq!(upstream.service, "stalwart");
    upstream
}

fn domain_json(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "aliases": {}, "isEnabled": true, "description": null,
           "catchAllAddress": null, "allowRelaying": false,
           "createdAt": "2026-11-23T02:00:00Z"})
}

fn account_json(id: &str, permissions: Value) -> Value {
    json!({"id": id, "@type": "User", "name": "alice", "domainId": "c",
           "emailAddress": "alice@acme.test", "description": null,
           "quotas": {"maxDiskQuota": 1073741824u64}, "permissions": permissions,
           "credentials": {
               "0": {"@type": "ApiKey", "secret": "****", "credentialId": "k1",
                     "description": "ci", "expiresAt": null},
               "1": {"@type": "Password", "secret": "****", "credentialId": "p1",
                     "expiresAt": null}},
           "aliases": {"0": {"name": "ali", "domainId": "c", "enabled": true,
                             "description": null}},
           "memberGroupIds": {}, "locale": "en_US",
           "createdAt": "2026-11-23T02:00:00Z", "usedDiskQuota": 2048})
}

// ---------------------------------------------------------------------------
// Session, request builder, limits
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_schema_file_is_the_official_registry() {
    let objects = schema()["objects"].as_object().expect("objects");
    for object in ["x:Domain", "x:Account", "x:DkimSignature", "x:MailingList"] {
        assert_eq!(objects[object]["type"], "object", "{object}");
    }
    assert!(enum_has("Permission", "authenticate"));
    assert!(enum_has("StorageQuota", "maxDiskQuota"));
}

#[tokio::test]
async fn the_session_is_read_once_and_calls_stay_on_the_configured_host() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/set" => {
            assert_eq!(args["accountId"], "b", "the primary account is explicit");
            created("d", "c")
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let session = h.client.session().await.expect("session");
    assert_eq!(session.account_id.as_deref(), Some("b"));
    assert_eq!(session.api_path, "/jmap/");
    assert_eq!(session.max_concurrent_requests, 4);
    assert_eq!(session.max_objects_in_get, 500);
    for name in ["a.test", "b.test"] {
        h.client
            .create_domain(&NewDomain::named(name))
            .await
            .expect("created on 127.0.0.1, not on the public apiUrl");
    }
    let received = h.server.received_requests().await.expect("recorded");
    let session_reads = received
        .iter()
        .filter(|r| r.url.path() == "/jmap/session")
        .count();
    assert_eq!(session_reads, 1);
    assert_eq!(received.len(), 3);
}

#[tokio::test]
async fn one_request_creates_a_domain_and_a_mailbox_through_a_creation_reference() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/set" => created("d", "c"),
        "x:Account/set" => {
            assert_eq!(args["create"]["u"]["domainId"], "#d");
            created("u", "d")
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let mut request = JmapRequest::new();
    let domain = request.set(
        "x:Domain",
        SetArgs {
            create: BTreeMap::from([("d".to_owned(), json!({"name": "acme.test"}))]),
            ..SetArgs::default()
        },
    );
    let account = request.set(
        "x:Account",
        SetArgs {
            create: BTreeMap::from([(
                "u".to_owned(),
                json!({"@type": "User", "name": "alice", "domainId": "#d",
                       "credentials": {"0": {"@type": "Password", "secret": "Correct-Horse-42"}}}),
            )]),
            ..SetArgs::default()
        },
    );
    assert!(!request.is_read_only());
    let response = h.client.send(request).await.expect("sent");
    assert_eq!(
        response
            .set(&domain)
            .expect("set")
            .created_id("d")
            .expect("d"),
        "c"
    );
    assert_eq!(
        response
            .set(&account)
            .expect("set")
            .created_id("u")
            .expect("u"),
        "d"
    );
    let requests = h.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].len(), 2);
}

#[tokio::test]
async fn result_references_name_the_call_its_method_and_the_path() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/query" => Reply::Ok(json!({"ids": ["c", "e"], "position": 0})),
        "x:Domain/get" => {
            assert_eq!(args["ids"], json!(["c", "e"]), "the mock resolved #ids");
            Reply::Ok(
                json!({"list": [domain_json("c", "a.test"), domain_json("e", "b.test")],
                             "notFound": []}),
            )
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let mut request = JmapRequest::new();
    let query = request.query("x:Domain", json!({"text": "test"}));
    let get = request.get("x:Domain", query.ids(), Some(DOMAIN_PROPERTIES));
    assert!(request.is_read_only());
    let response = h.client.send(request).await.expect("sent");
    let domains = response.get::<Domain>(&get).expect("get").list;
    assert_eq!(domains.len(), 2);
    assert_eq!(domains[1].name, "b.test");
    let calls = &h.requests()[0];
    assert_eq!(
        calls[1].1["#ids"],
        json!({"resultOf": "c0", "name": "x:Domain/query", "path": "/ids"})
    );
    assert!(calls[1].1.get("ids").is_none());
}

#[tokio::test]
async fn gets_are_cut_at_500_ids_and_sets_at_500_objects() {
    let h = Harness::start(|name, args| match name {
        "x:Account/get" => {
            let ids = args["ids"].as_array().expect("ids");
            assert!(ids.len() <= 500);
            let list: Vec<Value> = ids
                .iter()
                .map(|id| json!({"id": id, "@type": "User", "name": "u"}))
                .collect();
            Reply::Ok(json!({"list": list, "notFound": []}))
        }
        "x:Account/set" => {
            let mut answer = serde_json::Map::new();
            if let Some(destroy) = args.get("destroy") {
                assert!(destroy.as_array().expect("ids").len() <= 500);
                answer.insert("destroyed".into(), destroy.clone());
            }
            if let Some(create) = args.get("create").and_then(Value::as_object) {
                assert!(create.len() <= 500);
                let created: serde_json::Map<String, Value> = create
                    .keys()
                    .map(|cid| (cid.clone(), json!({"id": format!("x{cid}")})))
                    .collect();
                answer.insert("created".into(), Value::Object(created));
            }
            if let Some(update) = args.get("update").and_then(Value::as_object) {
                assert!(update.len() <= 500);
                let updated: serde_json::Map<String, Value> =
                    update.keys().map(|id| (id.clone(), Value::Null)).collect();
                answer.insert("updated".into(), Value::Object(updated));
            }
            Reply::Ok(Value::Object(answer))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let ids: Vec<String> = (0..1201).map(|i| format!("a{i}")).collect();
    let accounts: Vec<Mailbox> = h
        .client
        .get_objects("x:Account", &ids, Some(&["name"]))
        .await
        .expect("got");
    assert_eq!(accounts.len(), 1201);
    let mut sizes: Vec<usize> = h
        .requests()
        .iter()
        .map(|r| r[0].1["ids"].as_array().expect("ids").len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![201, 500, 500]);

    h.client
        .destroy_objects("x:Account", &ids[..1001])
        .await
        .expect("destroyed");
    let new: Vec<Value> = (0..501)
        .map(|i| json!({"@type": "User", "name": format!("u{i}"), "domainId": "c"}))
        .collect();
    let created = h
        .client
        .create_objects("x:Account", new)
        .await
        .expect("created");
    assert_eq!(created.len(), 501);
    let patches: Vec<(String, Value)> = ids[..700]
        .iter()
        .map(|id| (id.clone(), json!({"description": "x"})))
        .collect();
    h.client
        .update_objects("x:Account", patches)
        .await
        .expect("updated");
    let sets: Vec<(usize, usize, usize)> = h.requests()[3..]
        .iter()
        .map(|r| {
            let args = &r[0].1;
            let count = |key: &str| {
                args.get(key).map_or(0, |v| {
                    v.as_array()
                        .map(Vec::len)
                        .or(v.as_object().map(serde_json::Map::len))
                        .unwrap_or(0)
                })
            };
            (count("destroy"), count("create"), count("update"))
        })
        .collect();
    assert_eq!(
        sets,
        vec![
            (500, 0, 0),
            (500, 0, 0),
            (1, 0, 0),
            (0, 500, 0),
            (0, 1, 0),
            (0, 0, 500),
            (0, 0, 200)
        ]
    );
}

/// The most requests that arrived within one window shorter than the answer
/// delay: every request arriving in such a window is still unanswered at its
/// end, so the count is a number of requests in flight at one moment.
fn max_in_flight(arrivals: &[Instant], window: Duration) -> usize {
    arrivals
        .iter()
        .map(|start| {
            arrivals
                .iter()
                .filter(|a| **a >= *start && **a < *start + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn concurrency_run(session_limit: u64) -> usize {
    let h = Harness::with(session(session_limit), Duration::from_millis(300), |name, args| {
        assert_eq!(name, "x:Account/get");
        let id = args["ids"][0].clone();
        Reply::Ok(json!({"list": [account_json(id.as_str().expect("id"), json!({"@type": "Inherit"}))]}))
    })
    .await;
    h.client.session().await.expect("session");
    let calls = (0..12).map(|i| {
        let client = h.client.clone();
        tokio::spawn(async move { client.get_mailbox(&format!("m{i}")).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.expect("task").expect("mailbox");
    }
    let arrivals = h.arrivals.lock().expect("arrivals").clone();
    assert_eq!(arrivals.len(), 12);
    max_in_flight(&arrivals, Duration::from_millis(290))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_four_requests_are_in_flight() {
    assert_eq!(concurrency_run(4).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sessions_concurrency_limit_is_used() {
    assert_eq!(concurrency_run(2).await, 2);
}

#[tokio::test]
async fn reads_are_retried_and_writes_are_not() {
    let h = Harness::start(|name, _| match name {
        "x:Domain/get" => Reply::Ok(json!({"list": [domain_json("c", "acme.test")]})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/jmap/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    let domain = h.client.get_domain("c").await.expect("retried");
    assert_eq!(domain.name, "acme.test");

    Mock::given(method("POST"))
        .and(path("/jmap/"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    let error = h
        .client
        .delete_mailbox("d")
        .await
        .expect_err("a write is not retried");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAVAILABLE");
    assert_eq!(error.status(), Some(503));
    let posts = h
        .server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.url.path() == "/jmap/")
        .count();
    assert_eq!(posts, 3, "503 + retry for the read, one 503 for the write");
}

// ---------------------------------------------------------------------------
// Domains
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_domain_is_created_with_only_what_is_set() {
    let h = Harness::start(|name, _| match name {
        "x:Domain/set" => created("d", "c"),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let id = h
        .client
        .create_domain(&NewDomain {
            description: Some(String::new()),
            ..NewDomain::named("acme.test")
        })
        .await
        .expect("created");
    assert_eq!(id, "c");
    let full = NewDomain {
        name: "full.test".into(),
        description: Some("tenant 42".into()),
        aliases: BTreeSet::from(["alias.test".to_owned()]),
        is_enabled: Some(true),
        catch_all_address: Some("catch@full.test".into()),
        allow_relaying: Some(false),
    };
    h.client.create_domain(&full).await.expect("created");
    let requests = h.requests();
    assert_eq!(
        requests[0][0].1["create"]["d"],
        json!({"name": "acme.test"}),
        "an empty description is not sent"
    );
    let sent = requests[1][0].1["create"]["d"]
        .as_object()
        .expect("object")
        .clone();
    // Every property the type models is sent, and the schema check in the
    // mock found each of them mutable.
    let keys: BTreeSet<&str> = sent.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "name",
            "description",
            "aliases",
            "isEnabled",
            "catchAllAddress",
            "allowRelaying"
        ])
    );
    assert_eq!(sent["aliases"], json!({"alias.test": true}));
}

#[tokio::test]
async fn a_domain_is_found_by_name_in_one_request() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/query" => {
            let found = if args["filter"]["name"] == "acme.test" {
                json!(["c"])
            } else {
                json!([])
            };
            Reply::Ok(json!({ "ids": found }))
        }
        "x:Domain/get" => {
            let list: Vec<Value> = args["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|_| domain_json("c", "acme.test"))
                .collect();
            assert!(
                !args["properties"]
                    .as_array()
                    .expect("properties")
                    .contains(&json!("dnsZoneFile")),
                "the zone file is computed on each read: not for a lookup"
            );
            Reply::Ok(json!({ "list": list }))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let found = h
        .client
        .find_domain("ACME.test")
        .await
        .expect("found")
        .expect("exists");
    assert_eq!(found.id, "c");
    assert_eq!(found.is_enabled, Some(true));
    assert!(
        h.client
            .find_domain("none.test")
            .await
            .expect("ok")
            .is_none()
    );
    assert_eq!(h.requests().len(), 2);
    assert_eq!(
        h.client.find_domain(" ").await.expect_err("empty").code(),
        "DEZKY_INVALID_ARGUMENT"
    );
}

#[tokio::test]
async fn domains_are_listed_by_name_for_the_server_or_one_tenant() {
    // Domain "e" belongs to tenant "t1"; the query answers by id, descending.
    let h = Harness::start(|name, args| match name {
        "x:Domain/query" => {
            let ids = match args["filter"].get("memberTenantId") {
                None => json!(["e", "d", "c"]),
                Some(tenant) if tenant == "t1" => json!(["e"]),
                Some(_) => json!([]),
            };
            Reply::Ok(json!({ "ids": ids, "position": 0 }))
        }
        "x:Domain/get" => {
            assert!(
                !args["properties"]
                    .as_array()
                    .expect("properties")
                    .contains(&json!("dnsZoneFile")),
                "the zone file is computed on each read: not for a listing"
            );
            let list: Vec<Value> = args["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|id| {
                    let name = match id.as_str().expect("id") {
                        "c" => "zeta.test",
                        "d" => "acme.test",
                        _ => "mid.test",
                    };
                    domain_json(id.as_str().expect("id"), name)
                })
                .collect();
            Reply::Ok(json!({ "list": list }))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let all = h.client.list_domains(None).await.expect("all");
    let names: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["acme.test", "mid.test", "zeta.test"]);
    assert!(all.iter().all(|d| d.dns_zone_file.is_none()));
    let tenant = h.client.list_domains(Some("t1")).await.expect("tenant");
    assert_eq!(tenant.len(), 1);
    assert_eq!(tenant[0].id, "e");
    assert!(
        h.client
            .list_domains(Some("t9"))
            .await
            .expect("none")
            .is_empty()
    );
    let requests = h.requests();
    assert_eq!(requests[0][0].0, "x:Domain/query");
    assert_eq!(requests[0][0].1["filter"], json!({}));
    assert_eq!(requests[2][0].1["filter"], json!({"memberTenantId": "t1"}));
    // No ids found: no /get is sent.
    assert_eq!(requests.len(), 5);
    assert_eq!(
        h.client
            .list_domains(Some("a/b"))
            .await
            .expect_err("bad id")
            .code(),
        "DEZKY_INVALID_ARGUMENT"
    );
    assert_eq!(h.requests().len(), 5);
}

#[tokio::test]
async fn a_domain_is_read_with_its_zone_file() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/get" => {
            assert!(
                args["properties"]
                    .as_array()
                    .expect("properties")
                    .contains(&json!("dnsZoneFile"))
            );
            if args["ids"] == json!(["c"]) {
                let mut domain = domain_json("c", "acme.test");
                domain["dnsZoneFile"] = json!("acme.test. 3600 IN MX 10 mail.acme.test.\n");
                Reply::Ok(json!({"list": [domain], "notFound": []}))
            } else {
                Reply::Ok(json!({"list": [], "notFound": args["ids"]}))
            }
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let domain = h.client.get_domain("c").await.expect("read");
    assert!(
        domain
            .dns_zone_file
            .as_deref()
            .is_some_and(|z| z.contains("IN MX"))
    );
    let missing = h.client.get_domain("zz").await.expect_err("missing");
    assert_eq!(missing.code(), "DEZKY_NOT_FOUND");
    assert_eq!(
        h.client.get_domain("a/b").await.expect_err("bad id").code(),
        "DEZKY_INVALID_ARGUMENT"
    );
}

fn dkim_json(id: &str, algorithm: &str) -> Value {
    json!({"id": id, "@type": algorithm, "domainId": "c", "selector": "v1-ed25519-20261123",
           "stage": "active", "publicKey": "-----BEGIN PUBLIC KEY-----\n...",
           "createdAt": "2026-11-23T02:00:00Z", "nextTransitionAt": "2027-02-21T02:00:00Z"})
}

#[tokio::test]
async fn waiting_for_dkim_polls_until_the_signatures_exist() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let h = Harness::start(move |name, args| match name {
        "x:DkimSignature/query" => {
            assert_eq!(args["filter"], json!({"domainId": "c"}));
            if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::Ok(json!({"ids": []}))
            } else {
                Reply::Ok(json!({"ids": ["f", "g"]}))
            }
        }
        "x:DkimSignature/get" => {
            let list: Vec<Value> = args["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .zip(["Dkim1Ed25519Sha256", "Dkim1RsaSha256"])
                .map(|(id, alg)| dkim_json(id.as_str().expect("id"), alg))
                .collect();
            Reply::Ok(json!({ "list": list }))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let signatures = h
        .client
        .wait_for_dkim("c", Duration::from_secs(5))
        .await
        .expect("appeared");
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    let algorithms: Vec<&str> = signatures.iter().map(|s| s.algorithm.as_str()).collect();
    assert_eq!(algorithms, vec!["Dkim1Ed25519Sha256", "Dkim1RsaSha256"]);
    assert!(signatures[0].public_key.is_some());
}

#[tokio::test]
async fn waiting_for_dkim_times_out_with_a_typed_error() {
    let h = Harness::start(|name, _| match name {
        "x:DkimSignature/query" => Reply::Ok(json!({"ids": []})),
        "x:DkimSignature/get" => Reply::Ok(json!({"list": []})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let started = Instant::now();
    let error = h
        .client
        .wait_for_dkim("c", Duration::from_millis(500))
        .await
        .expect_err("never appears");
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(started.elapsed() < Duration::from_secs(3));
    match &error {
        Error::Timeout {
            service,
            method,
            after,
            ..
        } => {
            assert_eq!(service, "stalwart");
            assert_eq!(method, "WAIT");
            assert_eq!(*after, Duration::from_millis(500));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(error.code(), "DEZKY_TIMEOUT");
    assert!(h.requests().len() >= 3, "it polled");
}

fn linked(links: &[(&str, &str)]) -> Value {
    let links: Vec<Value> = links
        .iter()
        .map(|(object, id)| json!({"object": object, "id": id}))
        .collect();
    json!({"notDestroyed": {"c": {
        "type": "objectIsLinked", "description": "Object is linked",
        "objectId": {"object": "Domain", "id": "c"}, "linkedObjects": links}}})
}

#[tokio::test]
async fn a_domain_linked_only_to_its_dkim_signatures_is_deleted_with_them() {
    let keys = Arc::new(Mutex::new(vec!["f".to_owned(), "g".to_owned()]));
    let state = keys.clone();
    let h = Harness::start(move |name, args| {
        let mut keys = state.lock().expect("keys");
        match name {
            "x:Domain/set" => {
                assert_eq!(args["destroy"], json!(["c"]));
                if keys.is_empty() {
                    Reply::Ok(json!({"destroyed": ["c"]}))
                } else {
                    let links: Vec<(&str, &str)> =
                        keys.iter().map(|k| ("DkimSignature", k.as_str())).collect();
                    Reply::Ok(linked(&links))
                }
            }
            "x:DkimSignature/query" => {
                assert_eq!(args["filter"], json!({"domainId": "c"}));
                Reply::Ok(json!({ "ids": *keys }))
            }
            "x:DkimSignature/set" => {
                let destroyed = args["destroy"].clone();
                assert_eq!(destroyed, json!(["f", "g"]));
                keys.clear();
                Reply::Ok(json!({ "destroyed": destroyed }))
            }
            _ => panic!("unexpected {name}"),
        }
    })
    .await;
    h.client.delete_domain("c").await.expect("deleted");
    assert!(keys.lock().expect("keys").is_empty());
    let requests = h.requests();
    assert_eq!(requests.len(), 2);
    let second: Vec<&str> = requests[1].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        second,
        vec![
            "x:DkimSignature/query",
            "x:DkimSignature/set",
            "x:Domain/set"
        ]
    );
    assert_eq!(
        requests[1][1].1["#destroy"],
        json!({"resultOf": "c0", "name": "x:DkimSignature/query", "path": "/ids"})
    );
}

#[tokio::test]
async fn a_domain_with_accounts_or_lists_is_refused_as_in_use() {
    let h = Harness::start(|name, _| match name {
        "x:Domain/set" => Reply::Ok(linked(&[
            ("Account", "d"),
            ("MailingList", "h"),
            ("DkimSignature", "f"),
        ])),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let error = h.client.delete_domain("c").await.expect_err("in use");
    assert_eq!(error.code(), "DEZKY_IN_USE");
    let upstream = set_error(UpstreamKind::InUse, &error);
    assert_eq!(upstream.upstream_code.as_deref(), Some("objectIsLinked"));
    assert_eq!(
        upstream.linked,
        vec!["Account/d", "MailingList/h", "DkimSignature/f"]
    );
    assert_eq!(h.requests().len(), 1, "nothing is destroyed");
}

#[tokio::test]
async fn a_domain_is_deleted_at_once_when_nothing_links_to_it() {
    let h = Harness::start(|name, _| match name {
        "x:Domain/set" => Reply::Ok(json!({"destroyed": ["c"]})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    h.client.delete_domain("c").await.expect("deleted");
    assert_eq!(h.requests().len(), 1);
}

// ---------------------------------------------------------------------------
// Mailboxes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_mailbox_is_created_with_its_password_and_quota_and_its_address_book() {
    let h = Harness::start(|name, args| match name {
        "x:Account/set" => created("u", "d"),
        "AddressBook/get" => {
            assert_eq!(args["accountId"], "d", "the new account's books");
            Reply::Ok(
                json!({"accountId": "d", "list": [{"id": "a", "name": "default"}],
                             "notFound": [], "state": "1"}),
            )
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let mut new = NewMailbox::new("c", "alice", Secret::new("Correct-Horse-Battery-42"));
    new.quota_bytes = Some(1 << 30);
    new.description = Some("Alice".into());
    new.locale = Some("de_DE".into());
    assert!(!format!("{new:?}").contains("Correct-Horse"));
    let id = h.client.create_mailbox(&new).await.expect("created");
    assert_eq!(id, "d");
    let requests = h.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0][0].1["create"]["u"],
        json!({"@type": "User", "name": "alice", "domainId": "c",
               "credentials": {"0": {"@type": "Password", "secret": "Correct-Horse-Battery-42"}},
               "quotas": {"maxDiskQuota": 1073741824u64}, "description": "Alice",
               "locale": "de_DE"})
    );
    let bodies = h.bodies.lock().expect("bodies");
    assert!(
        bodies[1]["using"]
            .as_array()
            .expect("using")
            .contains(&json!("urn:ietf:params:jmap:contacts"))
    );
}

#[tokio::test]
async fn a_mailbox_is_found_by_address_and_read_by_id() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/query" => Reply::Ok(json!({"ids": ["c"]})),
        "x:Domain/get" => Reply::Ok(json!({"list": [domain_json("c", "acme.test")]})),
        "x:Account/query" => {
            assert_eq!(args["filter"], json!({"name": "alice", "domainId": "c"}));
            Reply::Ok(json!({"ids": ["d"]}))
        }
        "x:Account/get" => {
            let list: Vec<Value> = args["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .filter(|id| *id == "d")
                .map(|_| account_json("d", json!({"@type": "Inherit"})))
                .collect();
            Reply::Ok(json!({"list": list}))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let found = h
        .client
        .find_mailbox("alice@acme.test")
        .await
        .expect("ok")
        .expect("found");
    assert_eq!(found.id, "d");
    assert_eq!(found.email_address.as_deref(), Some("alice@acme.test"));
    assert_eq!(found.quota_bytes(), Some(1 << 30));
    assert_eq!(found.credentials.len(), 2);
    assert_eq!(found.credentials[1].kind, "Password");
    assert_eq!(found.aliases[0].name, "ali");
    assert!(!found.is_suspended());
    let by_id = h.client.get_mailbox("d").await.expect("read");
    assert_eq!(by_id, found);
    assert_eq!(
        h.client
            .find_mailbox("alice")
            .await
            .expect_err("no @")
            .code(),
        "DEZKY_INVALID_ARGUMENT"
    );
}

/// An account whose permissions the mock keeps, as the server would.
fn stateful_account(permissions: Value) -> (Arc<Mutex<Value>>, impl Fn(&str, &Value) -> Reply) {
    let state = Arc::new(Mutex::new(account_json("d", permissions)));
    let shared = state.clone();
    let handler = move |name: &str, args: &Value| {
        let mut account = shared.lock().expect("account");
        match name {
            "x:Account/get" => {
                let mut answer = serde_json::Map::new();
                answer.insert("id".into(), json!("d"));
                for p in args["properties"].as_array().expect("properties") {
                    let p = p.as_str().expect("name");
                    answer.insert(p.to_owned(), account[p].clone());
                }
                Reply::Ok(json!({"list": [answer]}))
            }
            "x:Account/set" => {
                let patch = args["update"]["d"].as_object().expect("patch");
                let keys: Vec<&String> = patch.keys().collect();
                assert_eq!(
                    keys,
                    vec!["permissions"],
                    "only the permissions are written"
                );
                account["permissions"] = patch["permissions"].clone();
                Reply::Ok(json!({"updated": {"d": null}}))
            }
            _ => panic!("unexpected {name}"),
        }
    };
    (state, handler)
}

async fn suspend_resume_round_trip(before: Value, suspended: Value) {
    let (state, handler) = stateful_account(before.clone());
    let h = Harness::start(handler).await;
    h.client.suspend_mailbox("d").await.expect("suspended");
    assert_eq!(state.lock().expect("state")["permissions"], suspended);
    let mailbox = h.client.get_mailbox("d").await.expect("read");
    assert!(mailbox.is_suspended());
    assert_eq!(mailbox.credentials.len(), 2, "credentials untouched");
    h.client
        .suspend_mailbox("d")
        .await
        .expect("again: no write");
    h.client.resume_mailbox("d").await.expect("resumed");
    assert_eq!(state.lock().expect("state")["permissions"], before);
    h.client.resume_mailbox("d").await.expect("again: no write");
    let writes = h
        .requests()
        .iter()
        .filter(|r| r[0].0 == "x:Account/set")
        .count();
    assert_eq!(writes, 2);
}

#[tokio::test]
async fn suspend_and_resume_keep_other_merge_rules() {
    suspend_resume_round_trip(
        json!({"@type": "Merge", "enabledPermissions": {"impersonate": true},
               "disabledPermissions": {"emailSend": true}}),
        json!({"@type": "Merge", "enabledPermissions": {"impersonate": true},
               "disabledPermissions": {"authenticate": true, "emailSend": true}}),
    )
    .await;
}

#[tokio::test]
async fn suspend_and_resume_keep_replace_rules() {
    suspend_resume_round_trip(
        json!({"@type": "Replace", "enabledPermissions": {"authenticate": true, "emailReceive": true},
               "disabledPermissions": {}}),
        json!({"@type": "Replace", "enabledPermissions": {"authenticate": true, "emailReceive": true},
               "disabledPermissions": {"authenticate": true}}),
    )
    .await;
}

#[tokio::test]
async fn suspend_and_resume_restore_inherited_permissions() {
    suspend_resume_round_trip(
        json!({"@type": "Inherit"}),
        json!({"@type": "Merge", "enabledPermissions": {},
               "disabledPermissions": {"authenticate": true}}),
    )
    .await;
}

#[tokio::test]
async fn a_password_reset_patches_only_the_password_credential() {
    let h = Harness::start(|name, args| match name {
        "x:Account/get" => {
            assert_eq!(args["properties"], json!(["credentials"]));
            let account = account_json("d", json!({"@type": "Inherit"}));
            Reply::Ok(json!({"list": [{"id": "d", "credentials": account["credentials"]}]}))
        }
        "x:Account/set" => {
            assert_eq!(
                args["update"],
                json!({"d": {"credentials/1/secret": "New-Strong-Passphrase-2026"}})
            );
            Reply::Ok(json!({"updated": {"d": null}}))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    h.client
        .reset_password("d", &Secret::new("New-Strong-Passphrase-2026"))
        .await
        .expect("reset");
    assert_eq!(h.requests().len(), 2);
}

#[tokio::test]
async fn a_mailbox_is_deleted() {
    let h = Harness::start(|name, args| match name {
        "x:Account/set" => {
            assert_eq!(args["destroy"], json!(["d"]));
            Reply::Ok(json!({"destroyed": ["d"]}))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    h.client.delete_mailbox("d").await.expect("deleted");
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

async fn create_refused(error: Value) -> Error {
    let h = Harness::start(move |name, _| match name {
        "x:Account/set" => Reply::Ok(json!({"notCreated": {"u": error.clone()}})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let new = NewMailbox::new("c", "alice", Secret::new("Correct-Horse-Battery-42"));
    let error = h.client.create_mailbox(&new).await.expect_err("refused");
    assert!(
        !format!("{error} {error:?}").contains("Correct-Horse"),
        "no password in errors"
    );
    error
}

#[tokio::test]
async fn a_primary_key_violation_is_already_exists_with_the_existing_object() {
    let error = create_refused(
        json!({"type": "primaryKeyViolation", "properties": ["email"],
        "description": "Duplicate", "objectId": {"object": "Account", "id": "e"}}),
    )
    .await;
    assert_eq!(error.code(), "DEZKY_ALREADY_EXISTS");
    let upstream = set_error(UpstreamKind::AlreadyExists, &error);
    assert_eq!(upstream.linked, vec!["Account/e"]);
    assert_eq!(upstream.fields[0].field, "email");
}

#[tokio::test]
async fn an_invalid_foreign_key_is_rejected_naming_the_property() {
    let error = create_refused(json!({"type": "invalidForeignKey",
        "objectId": {"object": "Domain", "id": "zz"}}))
    .await;
    assert_eq!(error.code(), "DEZKY_UPSTREAM_REJECTED");
    let upstream = set_error(UpstreamKind::Rejected, &error);
    assert_eq!(upstream.upstream_code.as_deref(), Some("invalidForeignKey"));
    assert_eq!(upstream.fields[0].field, "domainId");
    assert!(upstream.fields[0].messages[0].contains("zz"));
}

#[tokio::test]
async fn validation_failures_are_rejected_with_their_fields() {
    let error = create_refused(json!({"type": "validationFailed",
        "validationErrors": [{"type": "Required", "property": "description"},
                             {"type": "MaxLength", "property": "name", "required": 64}]}))
    .await;
    let upstream = set_error(UpstreamKind::Rejected, &error);
    assert_eq!(upstream.upstream_code.as_deref(), Some("validationFailed"));
    let fields: Vec<(&str, &str)> = upstream
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.messages[0].as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("description", "Required"),
            ("name", "MaxLength required=64")
        ]
    );
}

#[tokio::test]
async fn invalid_properties_are_rejected_with_the_property() {
    let error = create_refused(
        json!({"type": "invalidProperties", "properties": ["secret"],
        "description": "Password is too weak"}),
    )
    .await;
    let upstream = set_error(UpstreamKind::Rejected, &error);
    assert_eq!(upstream.fields[0].field, "secret");
    assert_eq!(upstream.fields[0].messages, vec!["Password is too weak"]);
    assert_eq!(upstream.message.as_deref(), Some("Password is too weak"));
}

#[tokio::test]
async fn other_set_errors_have_their_kinds() {
    for (kind, expected) in [
        ("invalidPatch", "DEZKY_UPSTREAM_REJECTED"),
        ("forbidden", "DEZKY_UPSTREAM_FORBIDDEN"),
        ("overQuota", "DEZKY_UPSTREAM_REJECTED"),
        ("notFound", "DEZKY_NOT_FOUND"),
        ("objectIsLinked", "DEZKY_IN_USE"),
    ] {
        let error = create_refused(json!({ "type": kind })).await;
        assert_eq!(error.code(), expected, "{kind}");
        assert_eq!(
            error.upstream().and_then(|u| u.upstream_code.as_deref()),
            Some(kind)
        );
    }
}

#[tokio::test]
async fn update_and_destroy_refusals_are_typed() {
    let h = Harness::start(|name, args| match name {
        "x:Account/get" => Reply::Ok(json!({"list": [
            {"id": "d", "credentials": {"0": {"@type": "Password", "secret": "****"}}}]})),
        "x:Account/set" if args.get("update").is_some() => Reply::Ok(json!({"notUpdated": {"d": {
            "type": "invalidProperties", "properties": ["secret"],
            "description": "Password too short"}}})),
        "x:Account/set" => Reply::Ok(json!({"notDestroyed": {"d": {"type": "notFound"}}})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let error = h
        .client
        .reset_password("d", &Secret::new("xyzzy-42"))
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_REJECTED");
    assert!(!format!("{error} {error:?}").contains("xyzzy"));
    let error = h.client.delete_mailbox("d").await.expect_err("missing");
    assert_eq!(error.code(), "DEZKY_NOT_FOUND");
}

#[tokio::test]
async fn method_errors_are_typed_with_status_200() {
    let h = Harness::start(|name, _| match name {
        "x:Domain/query" => Reply::Error(json!({"type": "forbidden",
            "description": "You do not have permission to access this resource."})),
        "x:Domain/get" => Reply::Error(json!({"type": "invalidResultReference"})),
        "x:Account/query" => Reply::Error(json!({"type": "unsupportedFilter"})),
        _ => panic!("unexpected {name}"),
    })
    .await;
    let error = h
        .client
        .find_domain("acme.test")
        .await
        .expect_err("forbidden");
    let upstream = set_error(UpstreamKind::Forbidden, &error);
    assert_eq!(upstream.upstream_code.as_deref(), Some("forbidden"));
    assert!(
        upstream
            .message
            .as_deref()
            .is_some_and(|m| m.contains("permission"))
    );
    let error = h
        .client
        .query_ids("x:Account", json!({"text": "a"}))
        .await
        .expect_err("unsupported");
    set_error(UpstreamKind::Rejected, &error);
}

#[tokio::test]
async fn problem_details_and_http_errors_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jmap/session"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session(4)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/jmap/"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "urn:ietf:params:jmap:error:notRequest", "status": 400,
            "detail": "The request did not parse as a JMAP Request object."})))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let error = client.delete_domain("c").await.expect_err("refused");
    let upstream = error.upstream().expect("upstream");
    assert_eq!(upstream.kind, UpstreamKind::Rejected);
    assert_eq!(upstream.status, 400);
    assert_eq!(upstream.upstream_code.as_deref(), Some("notRequest"));
    assert!(
        upstream
            .message
            .as_deref()
            .is_some_and(|m| m.contains("did not parse"))
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jmap/session"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "about:blank", "status": 401, "title": "Unauthorized",
            "detail": "You have to authenticate first."})))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let error = client.session().await.expect_err("unauthorized");
    assert_eq!(error.code(), "DEZKY_UPSTREAM_UNAUTHORIZED");
    assert!(!format!("{error} {error:?} {client:?}").contains("s3cret-admin"));
    // A failed session read is not kept: the next call asks again.
    client.session().await.expect_err("again");
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

// ---------------------------------------------------------------------------
// Configuration and the types against the schema
// ---------------------------------------------------------------------------

#[test]
fn the_environment_names_the_url_and_the_credential() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let client = StalwartClient::from_lookup(env(&[
        ("STALWART_API_URL", "http://stalwart:8080"),
        ("STALWART_API_KEY", "API_c2VjcmV0"),
        ("STALWART_USERNAME", "admin"),
        ("STALWART_PASSWORD", "pw"),
    ]))
    .expect("configured");
    let shown = format!("{client:?}");
    assert!(shown.contains("Bearer(***)"), "{shown}");
    assert!(!shown.contains("API_c2VjcmV0"));
    let client = StalwartClient::from_lookup(env(&[
        ("STALWART_API_URL", "http://stalwart:8080"),
        ("STALWART_USERNAME", "admin"),
        ("STALWART_PASSWORD", "pw-secret"),
    ]))
    .expect("configured");
    let shown = format!("{client:?}");
    assert!(shown.contains("Basic(admin:***)"), "{shown}");
    assert!(!shown.contains("pw-secret"));
    for (vars, field) in [
        (
            &[("STALWART_API_URL", "http://stalwart:8080")][..],
            "STALWART_API_KEY",
        ),
        (
            &[
                ("STALWART_API_URL", "http://stalwart:8080"),
                ("STALWART_USERNAME", "admin"),
            ][..],
            "STALWART_PASSWORD",
        ),
        (&[("STALWART_API_KEY", "k")][..], "STALWART_API_URL"),
    ] {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let error = StalwartClient::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .expect_err("incomplete");
        match error {
            Error::Config { field: f, .. } => assert_eq!(f, field),
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}

#[test]
fn the_read_types_match_the_schema() {
    let mut served = account_json(
        "d",
        json!({"@type": "Merge", "enabledPermissions": {"impersonate": true},
               "disabledPermissions": {}}),
    );
    served["description"] = json!("Alice");
    let mailbox: Mailbox = serde_json::from_value(served).expect("decoded");
    assert!(matches!(mailbox.permissions, Permissions::Merge(_)));
    let mut value = serde_json::to_value(&mailbox).expect("encoded");
    // The read type drops secrets; put every property back for the check.
    value["credentials"] = json!({"0": {"@type": "Password", "secret": "****",
                                        "credentialId": "p1", "expiresAt": null}});
    check_object("x:Account", &value, "Mailbox", Direction::Read);
    for p in MAILBOX_PROPERTIES {
        assert!(any_property("x:Account", p).is_some(), "Mailbox reads {p}");
        assert!(value.get(*p).is_some(), "Mailbox models {p}");
    }

    let domain = Domain {
        id: "c".into(),
        name: "acme.test".into(),
        aliases: BTreeSet::from(["alias.test".to_owned()]),
        is_enabled: Some(true),
        description: Some("d".into()),
        catch_all_address: Some("a@acme.test".into()),
        allow_relaying: Some(false),
        created_at: Some("2026-11-23T02:00:00Z".into()),
        dns_zone_file: Some("zone".into()),
    };
    let value = serde_json::to_value(&domain).expect("encoded");
    check_object("x:Domain", &value, "Domain", Direction::Read);
    for p in DOMAIN_PROPERTIES.iter().chain(["dnsZoneFile"].iter()) {
        assert!(value.get(*p).is_some(), "Domain models {p}");
    }
    assert_eq!(
        properties("x:Domain")["dnsZoneFile"]["update"],
        "serverSet",
        "the zone file is computed by the server"
    );

    let dkim: DkimSignature =
        serde_json::from_value(dkim_json("f", "Dkim1RsaSha256")).expect("decoded");
    let value = serde_json::to_value(&dkim).expect("encoded");
    check_object("x:DkimSignature", &value, "DkimSignature", Direction::Read);
    for p in DKIM_PROPERTIES {
        assert!(value.get(*p).is_some(), "DkimSignature models {p}");
        assert!(any_property("x:DkimSignature", p).is_some());
    }

    let alias = EmailAlias {
        name: "ali".into(),
        domain_id: "c".into(),
        enabled: Some(true),
        description: None,
    };
    check_object(
        "x:EmailAlias",
        &serde_json::to_value(&alias).expect("encoded"),
        "EmailAlias",
        Direction::Write,
    );
}

#[test]
fn suspended_permissions_are_writable_values() {
    let merge = Permissions::Merge(PermissionsList {
        enabled_permissions: BTreeSet::from(["impersonate".to_owned()]),
        disabled_permissions: BTreeSet::new(),
    });
    for permissions in [Permissions::Inherit, merge.clone()] {
        let suspended = permissions.suspended();
        assert!(suspended.is_suspended());
        check_value(
            &properties("x:UserAccount")["permissions"]["type"],
            &serde_json::to_value(&suspended).expect("encoded"),
            "permissions",
        );
        assert_eq!(suspended.resumed(), permissions);
    }
}

#[test]
fn a_missing_schema_fails_loudly() {
    // The location is fixed: the test does not silently pass without the file.
    assert!(
        schema_path().exists(),
        "{} is missing: the schema checks cannot run",
        schema_path().display()
    );
}

#[tokio::test]
async fn ids_can_be_given_in_every_form() {
    let h = Harness::start(|name, args| match name {
        "x:Domain/get" => {
            assert!(args["ids"].is_null(), "All is ids: null");
            Reply::Ok(json!({"list": []}))
        }
        _ => panic!("unexpected {name}"),
    })
    .await;
    let mut request = JmapRequest::new();
    let get = request.get("x:Domain", Ids::All, Some(&["name"]));
    let response = h.client.send(request).await.expect("sent");
    assert!(response.get::<Domain>(&get).expect("get").list.is_empty());
    assert_eq!(response.session_state(), Some("s1"));
    assert_eq!(
        h.client
            .send(JmapRequest::new())
            .await
            .expect_err("empty")
            .code(),
        "DEZKY_INVALID_ARGUMENT"
    );
}

// The schema check itself refuses what the server would refuse.

#[test]
#[should_panic(expected = "must not be sent")]
fn the_check_refuses_a_server_set_property_in_a_create() {
    check_call(
        "x:Domain/set",
        &json!({"create": {"d": {"name": "a.test", "dnsZoneFile": "x"}}}),
    );
}

#[test]
#[should_panic(expected = "a set must be an object")]
fn the_check_refuses_a_set_sent_as_an_array() {
    check_call(
        "x:Domain/set",
        &json!({"create": {"d": {"name": "a.test", "aliases": ["b.test"]}}}),
    );
}

#[test]
#[should_panic(expected = "has no property")]
fn the_check_refuses_an_unknown_property() {
    check_call(
        "x:Account/set",
        &json!({"create": {"u": {"@type": "User", "name": "a", "domainId": "c", "email": "a@b"}}}),
    );
}

#[test]
#[should_panic(expected = "not mutable")]
fn the_check_refuses_a_patch_of_a_server_set_property() {
    check_call(
        "x:Account/set",
        &json!({"update": {"d": {"emailAddress": "x@acme.test"}}}),
    );
}

#[test]
#[should_panic(expected = "is not a Permission")]
fn the_check_refuses_an_unknown_permission() {
    check_call(
        "x:Account/set",
        &json!({"update": {"d": {"permissions": {"@type": "Merge",
            "enabledPermissions": {}, "disabledPermissions": {"login": true}}}}}),
    );
}
