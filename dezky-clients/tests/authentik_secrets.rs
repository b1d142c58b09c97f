//! No secret of the Authentik client (API token, password, client secret,
//! token key, recovery link) appears in `Debug` output, error messages or
//! log records: every event and span field at TRACE level is captured and
//! searched.

// Test support: a broken expectation should panic with its message.
#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use dezky_clients::Secret;
use dezky_clients::authentik::{AuthentikClient, SsoAppSpec};
use dezky_clients::http::{HttpConfig, RetryPolicy};
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "AK-API-TOKEN-5f0c1d2e3a4b";
const PASSWORD: &str = "P4ssw0rd-never-logged";
const CLIENT_SECRET: &str = "CLIENT-SECRET-7d1f9a2b4c6e8f0a1b3c5d7e9f";
const TOKEN_KEY: &str = "TOKEN-KEY-9b8a7c6d5e4f3a2b1c0d";
const RECOVERY: &str = "RECOVERY-LINK-TOKEN-5a4b3c";

/// Writes every field of every span and event into one buffer.
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        let _ = write!(
            buffer,
            "\nspan {} {}",
            attrs.metadata().target(),
            attrs.metadata().name()
        );
        attrs.record(&mut Fields(&mut buffer));
    }
    fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        buffer.push_str("\nrecord");
        values.record(&mut Fields(&mut buffer));
    }
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut buffer = self.0.lock().expect("buffer");
        let _ = write!(
            buffer,
            "\nevent {} {}",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut buffer));
    }
}

fn captured() -> Arc<Mutex<String>> {
    static BUFFER: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(String::new()));
            let subscriber = Registry::default().with(Capture(buffer.clone()));
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
            buffer
        })
        .clone()
}

fn page(results: Vec<Value>) -> Value {
    json!({
        "pagination": {"next": 0, "previous": 0, "count": results.len(), "current": 1,
                       "total_pages": 1, "start_index": 1, "end_index": results.len()},
        "results": results,
        "autocomplete": {},
    })
}

fn fixture(name: &str) -> Value {
    let file = format!(
        "{}/tests/fixtures/authentik/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("JSON")
}

async fn on(server: &MockServer, m: &str, p: &str, template: ResponseTemplate) {
    Mock::given(method(m))
        .and(path(format!("/api/v3{p}")))
        .respond_with(template)
        .mount(server)
        .await;
}

fn json_answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_logs() {
    let buffer = captured();
    let server = MockServer::start().await;
    let mut provider = fixture("oauth2_provider");
    provider["client_secret"] = json!(CLIENT_SECRET);
    let flows = [
        ("authorization", "flow_authorization"),
        ("invalidation", "flow_invalidation"),
    ];
    for (designation, file) in flows {
        Mock::given(method("GET"))
            .and(path("/api/v3/flows/instances/"))
            .and(wiremock::matchers::query_param("designation", designation))
            .respond_with(json_answer(200, page(vec![fixture(file)])))
            .mount(&server)
            .await;
    }
    on(
        &server,
        "GET",
        "/crypto/certificatekeypairs/",
        json_answer(200, page(vec![fixture("keypair_jwt")])),
    )
    .await;
    on(
        &server,
        "GET",
        "/propertymappings/provider/scope/",
        json_answer(
            200,
            page(fixture("scope_mappings").as_array().expect("array").clone()),
        ),
    )
    .await;
    on(
        &server,
        "POST",
        "/providers/oauth2/",
        json_answer(201, provider),
    )
    .await;
    on(
        &server,
        "POST",
        "/core/applications/",
        json_answer(201, fixture("application")),
    )
    .await;
    on(
        &server,
        "POST",
        "/core/users/42/set_password/",
        ResponseTemplate::new(204),
    )
    .await;
    on(
        &server,
        "POST",
        "/core/users/43/set_password/",
        ResponseTemplate::new(400),
    )
    .await;
    on(
        &server,
        "GET",
        "/core/tokens/dezky-api/view_key/",
        json_answer(200, json!({"key": TOKEN_KEY})),
    )
    .await;
    on(
        &server,
        "POST",
        "/core/users/42/recovery/",
        json_answer(
            200,
            json!({"link": format!("https://sso.example/recovery/use-token/{RECOVERY}/")}),
        ),
    )
    .await;
    on(
        &server,
        "GET",
        "/core/users/42/",
        json_answer(403, json!({"detail": "Token invalid/expired"})),
    )
    .await;
    on(
        &server,
        "GET",
        "/core/users/44/",
        ResponseTemplate::new(503),
    )
    .await;
    on(
        &server,
        "GET",
        "/core/users/45/",
        json_answer(200, fixture("user")).set_delay(Duration::from_secs(2)),
    )
    .await;

    let config = HttpConfig::new(&server.uri())
        .expect("config")
        .with_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        });
    let client = AuthentikClient::new(config, Secret::new(TOKEN)).expect("client");
    let mut shown = format!("{client:?}");

    let app = client
        .create_sso_app(&SsoAppSpec::new(
            "acme-wiki",
            "acme-wiki",
            vec!["https://wiki.acme.example/cb".into()],
        ))
        .await
        .expect("sso app");
    assert_eq!(app.client_secret.expose(), CLIENT_SECRET);
    shown.push_str(&format!("{app:?}"));
    client
        .set_password(42, &Secret::new(PASSWORD))
        .await
        .expect("password set");
    let refused = client
        .set_password(43, &Secret::new(PASSWORD))
        .await
        .expect_err("refused");
    shown.push_str(&format!("{refused:?} {refused}"));
    let key = client.view_token_key("dezky-api").await.expect("key");
    assert_eq!(key.expose(), TOKEN_KEY);
    shown.push_str(&format!("{key:?}"));
    let link = client.recovery_link(42).await.expect("link");
    assert!(link.expose().contains(RECOVERY));
    shown.push_str(&format!("{link:?}"));
    for pk in [42, 44, 45] {
        let error = client.get_user(pk).await.expect_err("error");
        shown.push_str(&format!("{error:?} {error}"));
    }

    let logs = buffer.lock().expect("buffer").clone();
    // The capture works: the request spans and their fields are there.
    assert!(logs.contains("upstream.request"), "{logs}");
    assert!(logs.contains("service=authentik"), "{logs}");
    assert!(
        logs.contains("/api/v3/core/users/43/set_password/"),
        "{logs}"
    );
    for secret in [TOKEN, PASSWORD, CLIENT_SECRET, TOKEN_KEY, RECOVERY] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        assert!(
            !shown.contains(secret),
            "{secret} in Debug or an error: {shown}"
        );
    }
}

#[test]
fn records_serialize_without_the_client_secret() {
    use dezky_clients::authentik::{OAuth2Provider, ToJson};
    let mut provider = fixture("oauth2_provider");
    provider["client_secret"] = json!(CLIENT_SECRET);
    let provider: OAuth2Provider = serde_json::from_value(provider).expect("provider");
    assert_eq!(
        provider.client_secret.as_ref().expect("read").expose(),
        CLIENT_SECRET
    );
    let json = provider.to_json();
    assert_eq!(json["client_id"], "Xq3LrT9kP0aZ");
    assert!(json.get("client_secret").is_none());
    assert!(!json.to_string().contains(CLIENT_SECRET));
}
