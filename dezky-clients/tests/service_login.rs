//! The refresh-token service login against a local token endpoint: one grant
//! for many waiting callers, rotation stored before use, terminal
//! `invalid_grant`, the 401-refresh-retry with OCIS, and the file store.

// Test support: a broken expectation should panic with its message.
#![allow(clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dezky_clients::http::{AccessTokenSource, Auth, BoxFuture, HttpConfig, RetryPolicy};
use dezky_clients::ocis::OcisClient;
use dezky_clients::service_login::{
    CredentialStore, FileCredentialStore, MemoryCredentialStore, RefreshTokenSource, StoreOutcome,
    StoredCredential,
};
use dezky_clients::{Error, Result, Secret};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_PATH: &str = "/application/o/token/";

fn grant_body(refresh_token: &str) -> String {
    format!("grant_type=refresh_token&refresh_token={refresh_token}&client_id=ocis-web")
}

fn tokens(access: &str, refresh: Option<&str>, expires_in: u64) -> ResponseTemplate {
    let mut body = json!({
        "access_token": access, "token_type": "Bearer", "expires_in": expires_in,
        "scope": "openid profile email offline_access", "id_token": "id-token"
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn invalid_grant() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(
        json!({"error": "invalid_grant", "error_description": "The provided authorization grant or refresh token is invalid"}),
    )
}

fn source(server: &MockServer, store: Arc<dyn CredentialStore>) -> RefreshTokenSource {
    RefreshTokenSource::new(
        &format!("{}{TOKEN_PATH}", server.uri()),
        "ocis-web",
        store,
        None,
    )
    .expect("source")
}

fn memory(refresh: &str) -> Arc<MemoryCredentialStore> {
    Arc::new(MemoryCredentialStore::new(Some(StoredCredential::new(
        refresh,
    ))))
}

fn stored_token(store: &MemoryCredentialStore) -> Option<String> {
    store.current().map(|c| c.refresh_token.expose().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_callers_make_one_grant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(grant_body("refresh-1")))
        .respond_with(
            tokens("access-1", Some("refresh-2"), 3600).set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = memory("refresh-1");
    let source = Arc::new(source(&server, store.clone()));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let source = source.clone();
        tasks.push(tokio::spawn(async move { source.access_token().await }));
    }
    for task in tasks {
        let token = task.await.expect("task").expect("token");
        assert_eq!(token.expose(), "access-1");
    }
    assert_eq!(stored_token(&store).as_deref(), Some("refresh-2"));
    // Cached: no further grant while the token is fresh.
    assert_eq!(
        source.access_token().await.expect("cached").expose(),
        "access-1"
    );
}

#[tokio::test]
async fn a_token_is_replaced_shortly_before_it_expires() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(tokens("access-short", None, 2))
        .expect(2)
        .mount(&server)
        .await;
    let source = source(&server, memory("refresh-1"));
    source.access_token().await.expect("first");
    source.access_token().await.expect("cached");
    assert_eq!(server.received_requests().await.expect("rec").len(), 1);
    // Two seconds of life, replaced a second early.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    source.access_token().await.expect("renewed");
}

/// A store that records the order of events and can be told to fail.
#[derive(Debug)]
struct Recording {
    inner: MemoryCredentialStore,
    events: Arc<Mutex<Vec<String>>>,
    /// How many of the next writes fail.
    failures: AtomicUsize,
}

impl CredentialStore for Recording {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredCredential>>> {
        self.inner.load()
    }

    fn store<'a>(
        &'a self,
        new: &'a StoredCredential,
        previous: Option<&'a StoredCredential>,
    ) -> BoxFuture<'a, Result<StoreOutcome>> {
        Box::pin(async move {
            // A slow disk: the token must not be handed out meanwhile.
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(Error::CredentialStore {
                    location: "test".into(),
                    message: "disk full".into(),
                });
            }
            let outcome = self.inner.store(new, previous).await?;
            self.events
                .lock()
                .expect("lock")
                .push(format!("stored {}", new.refresh_token.expose()));
            Ok(outcome)
        })
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_before_the_access_token_is_used() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(tokens("access-1", Some("refresh-2"), 3600))
        .expect(1)
        .mount(&server)
        .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::new(Recording {
        inner: MemoryCredentialStore::new(Some(StoredCredential::new("refresh-1"))),
        events: events.clone(),
        failures: AtomicUsize::new(0),
    });
    let source = source(&server, store.clone());
    let token = source.access_token().await.expect("token");
    events
        .lock()
        .expect("lock")
        .push(format!("used {}", token.expose()));
    assert_eq!(
        events.lock().expect("lock").as_slice(),
        ["stored refresh-2", "used access-1"]
    );
    assert_eq!(stored_token(&store.inner).as_deref(), Some("refresh-2"));
}

#[tokio::test]
async fn an_access_token_whose_rotation_cannot_be_stored_is_not_handed_out() {
    let server = MockServer::start().await;
    // One grant only: refresh-1 is revoked once refresh-2 is issued.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(tokens("access-1", Some("refresh-2"), 3600))
        .expect(1)
        .mount(&server)
        .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::new(Recording {
        inner: MemoryCredentialStore::new(Some(StoredCredential::new("refresh-1"))),
        events: events.clone(),
        failures: AtomicUsize::new(2),
    });
    let source = source(&server, store.clone());
    for _ in 0..2 {
        let error = source.access_token().await.expect_err("store fails");
        assert_eq!(error.code(), "DEZKY_CREDENTIAL_STORE");
        assert!(!error.to_string().contains("access-1"));
        assert!(!error.to_string().contains("refresh-2"));
    }
    assert_eq!(stored_token(&store.inner).as_deref(), Some("refresh-1"));
    // The store works again: the rotated token is written, then the access
    // token obtained with it is handed out, without another grant.
    let token = source.access_token().await.expect("stored at last");
    assert_eq!(token.expose(), "access-1");
    assert_eq!(stored_token(&store.inner).as_deref(), Some("refresh-2"));
    assert_eq!(
        events.lock().expect("lock").as_slice(),
        ["stored refresh-2"]
    );
}

#[tokio::test]
async fn without_a_new_refresh_token_the_old_one_stays() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string(grant_body("refresh-1")))
        .respond_with(tokens("access-1", None, 1))
        .expect(2)
        .mount(&server)
        .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::new(Recording {
        inner: MemoryCredentialStore::new(Some(StoredCredential::new("refresh-1"))),
        events: events.clone(),
        failures: AtomicUsize::new(0),
    });
    let source = source(&server, store.clone());
    source.access_token().await.expect("first");
    // expires_in 1: replaced after half a second; the same refresh token is sent again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    source.access_token().await.expect("second");
    assert!(events.lock().expect("lock").is_empty(), "nothing written");
    assert_eq!(stored_token(&store.inner).as_deref(), Some("refresh-1"));
}

#[tokio::test]
async fn invalid_grant_is_terminal_until_a_new_login_is_stored() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string(grant_body("refresh-revoked")))
        .respond_with(invalid_grant())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string(grant_body("refresh-new")))
        .respond_with(tokens("access-new", None, 3600))
        .expect(1)
        .mount(&server)
        .await;
    let store = memory("refresh-revoked");
    let source = source(&server, store.clone());
    for _ in 0..3 {
        let error = source.access_token().await.expect_err("terminal");
        assert!(
            matches!(&error, Error::ServiceLoginRequired { message, .. } if message.contains("invalid_grant")),
            "{error:?}"
        );
        assert_eq!(error.code(), "DEZKY_SERVICE_LOGIN_REQUIRED");
        assert!(!error.to_string().contains("refresh-revoked"));
    }
    // A new service login: the source picks up the new token.
    store.replace(Some(StoredCredential::new("refresh-new")));
    assert_eq!(
        source.access_token().await.expect("new login").expose(),
        "access-new"
    );
}

#[tokio::test]
async fn nothing_stored_means_a_login_is_required() {
    let server = MockServer::start().await;
    let source = source(&server, Arc::new(MemoryCredentialStore::default()));
    let error = source.access_token().await.expect_err("empty store");
    assert_eq!(error.code(), "DEZKY_SERVICE_LOGIN_REQUIRED");
    assert!(server.received_requests().await.expect("rec").is_empty());
}

/// A store that another process updates: `load` shows `refresh-1` once,
/// then `refresh-2`; `store` always loses the race.
#[derive(Debug, Default)]
struct Contended {
    loads: AtomicUsize,
    stores: AtomicUsize,
}

impl CredentialStore for Contended {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredCredential>>> {
        Box::pin(async move {
            let n = self.loads.fetch_add(1, Ordering::SeqCst);
            let token = if n == 0 { "refresh-1" } else { "refresh-2" };
            Ok(Some(StoredCredential::new(token)))
        })
    }

    fn store<'a>(
        &'a self,
        _new: &'a StoredCredential,
        _previous: Option<&'a StoredCredential>,
    ) -> BoxFuture<'a, Result<StoreOutcome>> {
        Box::pin(async move {
            self.stores.fetch_add(1, Ordering::SeqCst);
            Ok(StoreOutcome::Conflict(Some(StoredCredential::new(
                "refresh-other",
            ))))
        })
    }
}

#[tokio::test]
async fn a_token_rotated_by_another_process_is_reread_not_refused() {
    let server = MockServer::start().await;
    // refresh-1 was already used by another process: invalid_grant. The
    // store now holds refresh-2, which is tried once.
    Mock::given(method("POST"))
        .and(body_string(grant_body("refresh-1")))
        .respond_with(invalid_grant())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string(grant_body("refresh-2")))
        .respond_with(tokens("access-2", Some("refresh-3"), 3600))
        .expect(1)
        .mount(&server)
        .await;
    let store = Arc::new(Contended::default());
    let source = source(&server, store.clone());
    let token = source.access_token().await.expect("second token works");
    assert_eq!(token.expose(), "access-2");
    // Storing refresh-3 lost the compare-and-swap: no further grant is made.
    assert_eq!(store.stores.load(Ordering::SeqCst), 1);
    assert_eq!(
        source.access_token().await.expect("cached").expose(),
        "access-2"
    );
}

#[tokio::test]
async fn a_401_from_ocis_refreshes_once_and_retries_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string(grant_body("refresh-1")))
        .respond_with(tokens("access-1", Some("refresh-2"), 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string(grant_body("refresh-2")))
        .respond_with(tokens("access-2", None, 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/graph/v1.0/users/alice"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/graph/v1.0/users/alice"))
        .and(header("authorization", "Bearer access-2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"displayName": "Alice", "onPremisesSamAccountName": "alice"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let store = memory("refresh-1");
    let tokens = Arc::new(source(&server, store.clone()));
    let config = HttpConfig::new(&server.uri())
        .expect("config")
        .with_retry(RetryPolicy::never());
    let ocis = OcisClient::new(config, Auth::Tokens(tokens.clone())).expect("client");
    let user = ocis
        .get_user("alice")
        .await
        .expect("retried with a new token");
    assert_eq!(user.display_name.as_deref(), Some("Alice"));
    assert_eq!(stored_token(&store).as_deref(), Some("refresh-2"));
    // The OCIS side of the exchange conforms to the libregraph document (the
    // token endpoint has no official OpenAPI document).
    let spec = dezky_contract::Spec::shared("libregraph-v1.0.openapi.yaml", "/graph");
    let received = server.received_requests().await.expect("recording");
    let graph: Vec<_> = received
        .into_iter()
        .filter(|r| r.url.path().starts_with("/graph/"))
        .collect();
    assert_eq!(graph.len(), 2);
    spec.assert_wiremock_requests(&graph);
    spec.assert_response(
        "GET",
        "/graph/v1.0/users/alice",
        200,
        &json!({"displayName": "Alice", "onPremisesSamAccountName": "alice"}),
    );
    let debug = format!("{ocis:?} {tokens:?} {:?}", store.current());
    for secret in ["access-1", "access-2", "refresh-1", "refresh-2"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[test]
fn token_rejected_drops_only_the_rejected_token() {
    // A stale rejection (of a token already replaced) keeps the current one.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(tokens("access-1", None, 3600))
            .expect(2)
            .mount(&server)
            .await;
        let source = source(&server, memory("refresh-1"));
        let token = source.access_token().await.expect("token");
        source.token_rejected(&Secret::new("access-old"));
        source.access_token().await.expect("still cached");
        source.token_rejected(&token);
        source.access_token().await.expect("fresh grant");
    });
}

#[tokio::test]
async fn the_file_store_writes_atomically_with_mode_0600() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("ocis-credential.json");
    let store = FileCredentialStore::new(&file);
    assert_eq!(store.load().await.expect("empty"), None);
    let first = StoredCredential::new("refresh-1");
    assert_eq!(
        store.store(&first, None).await.expect("stored"),
        StoreOutcome::Stored
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A reader holding the old file keeps seeing the old content: the new
    // credential is renamed into place, never written over the old one.
    let old = std::fs::File::open(&file).expect("open");
    let second = StoredCredential::new("refresh-2");
    assert_eq!(
        store.store(&second, Some(&first)).await.expect("stored"),
        StoreOutcome::Stored
    );
    let mut before = String::new();
    std::io::Read::read_to_string(&mut &old, &mut before).expect("read old");
    assert!(before.contains("refresh-1"), "{before}");
    let loaded = store.load().await.expect("load").expect("present");
    assert_eq!(loaded.refresh_token.expose(), "refresh-2");
    let obtained = loaded
        .obtained_at
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs();
    assert!(now - obtained < 60);
    // Compare-and-swap: a stale previous value writes nothing.
    let outcome = store
        .store(&StoredCredential::new("refresh-3"), Some(&first))
        .await
        .expect("conflict");
    assert!(
        matches!(&outcome, StoreOutcome::Conflict(Some(c)) if c.refresh_token.expose() == "refresh-2")
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ocis-credential.json"], "no temp or lock file left");
    assert!(!format!("{loaded:?} {store:?}").contains("refresh-2"));

    // A file written by a bootstrap script may hold the token alone.
    std::fs::write(&file, r#"{"refresh_token": "refresh-boot"}"#).expect("write");
    let loaded = store.load().await.expect("load").expect("present");
    assert_eq!(loaded.refresh_token.expose(), "refresh-boot");
    assert_eq!(loaded.obtained_at, std::time::UNIX_EPOCH);
}

#[tokio::test]
async fn a_corrupt_credential_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("cred.json");
    for content in [
        "{\"refresh_token\": \"tok-SECRET-9\"",
        "{\"refresh_token\": 5, \"obtained_at\": \"tok-SECRET-9\"}",
        "{\"refresh_token\": \"\", \"obtained_at\": 1}",
        "\u{0}\u{1}garbage",
    ] {
        std::fs::write(&file, content).expect("write");
        let store = FileCredentialStore::new(&file);
        let error = store.load().await.expect_err(content);
        assert_eq!(error.code(), "DEZKY_CREDENTIAL_STORE");
        assert!(!error.to_string().contains("tok-SECRET-9"), "{error}");
        // Neither is the corrupt file overwritten by a compare-and-swap.
        let error = store
            .store(&StoredCredential::new("x"), None)
            .await
            .expect_err("cannot compare");
        assert_eq!(error.code(), "DEZKY_CREDENTIAL_STORE");
        // The token source reports it too.
        let server = MockServer::start().await;
        let error = source(&server, Arc::new(store))
            .access_token()
            .await
            .expect_err("corrupt");
        assert_eq!(error.code(), "DEZKY_CREDENTIAL_STORE");
    }
}

#[test]
fn configuration_comes_from_the_ocis_variables() {
    let source = RefreshTokenSource::from_lookup(
        |name| match name {
            "OCIS_TOKEN_URL" => Some("https://sso.example/application/o/token/".into()),
            "OCIS_CREDENTIALS_FILE" => Some("/var/lib/dezky/ocis.json".into()),
            _ => None,
        },
        None,
    )
    .expect("source");
    assert_eq!(source.client_id(), "ocis-web");
    assert_eq!(
        source.token_url(),
        "https://sso.example/application/o/token/"
    );
    let source = RefreshTokenSource::from_lookup(
        |name| match name {
            "OCIS_TOKEN_URL" => Some("https://sso.example/application/o/token/".into()),
            "OCIS_CREDENTIALS_FILE" => Some("/var/lib/dezky/ocis.json".into()),
            "OCIS_CLIENT_ID" => Some("dezky-platform".into()),
            _ => None,
        },
        None,
    )
    .expect("source");
    assert_eq!(source.client_id(), "dezky-platform");
    let error = RefreshTokenSource::from_lookup(
        |name| match name {
            "OCIS_TOKEN_URL" => Some("ftp://sso.example/token".into()),
            "OCIS_CREDENTIALS_FILE" => Some("/x".into()),
            _ => None,
        },
        None,
    )
    .expect_err("bad scheme");
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "OCIS_TOKEN_URL"),
        "{error:?}"
    );
}
