//! The refreshing flag store: file and HTTP sources, atomic swaps, failure handling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dezky::clients::flags::HttpFlagSource;
use dezky::flags::{
    BoxFuture, EvaluationContext, Fetched, FileSource, FlagSet, FlagSource, FlagStore,
    RefreshOutcome, StoreOptions,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const V1: &str =
    r#"[{"key": "jmap_native_v2", "state": "on"}, {"key": "gdpr_export_v2", "state": "off"}]"#;
const V2: &str = r#"[{"key": "jmap_native_v2", "state": "on"}, {"key": "gdpr_export_v2", "state": "on"},
                     {"key": "new_billing_engine", "state": "on"}]"#;

fn ctx() -> EvaluationContext {
    EvaluationContext::for_tenant("6650f1c2a9b4e3d2c1b0a998", "acme")
}

fn options() -> StoreOptions {
    StoreOptions {
        interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        stale_after: Duration::from_secs(60),
    }
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn file_source_refreshes_and_keeps_the_last_good_set() {
    let dir = ok(tempfile::tempdir());
    let file = dir.path().join("flags.json");
    ok(std::fs::write(&file, V1));
    let store = ok(FlagStore::connect(FileSource::new(&file), options()).await);
    assert_eq!(
        store.evaluate_all(&ctx()).get("gdpr_export_v2"),
        Some(false)
    );
    assert_eq!(ok(store.refresh().await), RefreshOutcome::Unchanged);

    ok(std::fs::write(&file, V2));
    let outcome = ok(store.refresh().await);
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            changed: vec!["gdpr_export_v2".into(), "new_billing_engine".into()]
        }
    );
    assert_eq!(store.evaluate_all(&ctx()).get("gdpr_export_v2"), Some(true));

    // A broken file: the error is reported, the last good set keeps serving.
    ok(std::fs::write(&file, "[{\"key\": \"x\", \"state\": \"on\""));
    let err = store
        .refresh()
        .await
        .err()
        .unwrap_or_else(|| panic!("accepted a broken file"));
    assert_eq!(err.code(), "DEZKY_MALFORMED_JSON");
    let status = store.status();
    assert_eq!(status.consecutive_failures, 1);
    assert_eq!(
        status.last_error_code.as_deref(),
        Some("DEZKY_MALFORMED_JSON")
    );
    assert_eq!(status.flag_count, 3);
    assert_eq!(
        store.evaluate_all(&ctx()).get("new_billing_engine"),
        Some(true)
    );

    ok(std::fs::remove_file(&file));
    assert_eq!(
        store.refresh().await.err().map(|e| e.code()),
        Some("DEZKY_FLAG_SOURCE")
    );
    assert_eq!(store.status().consecutive_failures, 2);

    ok(std::fs::write(&file, V1));
    assert!(matches!(
        ok(store.refresh().await),
        RefreshOutcome::Updated { .. }
    ));
    let status = store.status();
    assert_eq!((status.consecutive_failures, status.last_error), (0, None));
    assert!(!status.stale);
}

#[tokio::test]
async fn http_source_revalidates_with_etag_and_sends_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/flags"))
        .and(header("authorization", "Bearer s3cret-token"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flags"))
        .and(header("authorization", "Bearer s3cret-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_string(V1),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let source = ok(HttpFlagSource::new(
        &format!("{}/flags", server.uri()),
        Some("s3cret-token".into()),
    ));
    assert!(
        !format!("{source:?}").contains("s3cret"),
        "token leaked into Debug"
    );
    let store = ok(FlagStore::connect(source, options()).await);
    assert_eq!(store.status().version.as_deref(), Some("\"v1\""));
    assert_eq!(ok(store.refresh().await), RefreshOutcome::Unchanged);
    assert_eq!(store.evaluate_all(&ctx()).get("jmap_native_v2"), Some(true));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn http_errors_keep_the_last_set_and_never_show_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(V1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("x-request-id", "req-42"))
        .mount(&server)
        .await;
    let source = ok(HttpFlagSource::new(
        &format!("{}/flags", server.uri()),
        Some("s3cret-token".into()),
    ));
    let store = ok(FlagStore::connect(source, options()).await);
    let err = store
        .refresh()
        .await
        .err()
        .unwrap_or_else(|| panic!("503 accepted"));
    assert_eq!(err.code(), "DEZKY_FLAG_SOURCE");
    let text = format!("{err} {err:?} {:?}", store.status());
    assert!(text.contains("503") && text.contains("req-42"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    assert_eq!(store.evaluate_all(&ctx()).get("jmap_native_v2"), Some(true));
}

#[test]
fn bad_http_configuration_is_refused() {
    for url in [
        "not a url",
        "ftp://flags.example/flags",
        "https://user:pw@flags.example/flags",
    ] {
        let err = HttpFlagSource::new(url, None)
            .err()
            .unwrap_or_else(|| panic!("{url} accepted"));
        assert_eq!(err.code(), "DEZKY_CONFIG");
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
}

#[test]
fn a_token_that_cannot_be_a_header_is_refused_without_showing_it() {
    let err = HttpFlagSource::new("https://flags.example/flags", Some("s3cret\nx".into()))
        .err()
        .unwrap_or_else(|| panic!("a token with a newline accepted"));
    assert_eq!(err.code(), "DEZKY_CONFIG");
    let text = format!("{err} {err:?}");
    assert!(text.contains("token") && !text.contains("s3cret"), "{text}");
}

#[tokio::test]
async fn http_source_keeps_the_query_and_neither_retries_nor_follows_redirects() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/flags"))
        .and(wiremock::matchers::query_param("environment", "staging"))
        .respond_with(ResponseTemplate::new(200).set_body_string(V1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flags"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flags"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/elsewhere"))
        .mount(&server)
        .await;
    let source = ok(HttpFlagSource::new(
        &format!("{}/flags?environment=staging", server.uri()),
        None,
    ));
    let store = ok(FlagStore::connect(source, options()).await);
    let mut statuses = Vec::new();
    for _ in 0..2 {
        match store.refresh().await {
            Err(dezky::flags::Error::Source { status, .. }) => statuses.push(status),
            other => panic!("{other:?}"),
        }
    }
    // One request per refresh: the store's own backoff paces the next try.
    assert_eq!(statuses, [Some(503), Some(302)]);
    let requests = server.received_requests().await.unwrap_or_default();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/flags", "/flags", "/flags"]);
    assert_eq!(store.evaluate_all(&ctx()).get("jmap_native_v2"), Some(true));
}

#[test]
fn readers_never_see_a_half_updated_set() {
    let a = ok(FlagSet::from_json(V1));
    let b = ok(FlagSet::from_json(V2));
    let expect_a = a.evaluate_all(&ctx()).to_map();
    let expect_b = b.evaluate_all(&ctx()).to_map();
    let store = FlagStore::new(a.clone());
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..20_000 {
                        let got = store.evaluate_all(&ctx()).to_map();
                        assert!(
                            got == expect_a || got == expect_b,
                            "mixed snapshot: {got:?}"
                        );
                    }
                })
            })
            .collect();
        for i in 0..2_000 {
            store.replace(if i % 2 == 0 { b.clone() } else { a.clone() });
        }
        for reader in readers {
            assert!(reader.join().is_ok());
        }
    });
}

#[test]
fn subscribers_hear_changed_keys_until_they_unsubscribe() {
    let store = FlagStore::new(ok(FlagSet::from_json(V1)));
    let heard = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
    let sink = heard.clone();
    let subscription = store.subscribe(move |keys| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(keys.to_vec())
    });
    store.replace(ok(FlagSet::from_json(V2)));
    store.replace(ok(FlagSet::from_json(V2))); // no change, no call
    drop(subscription);
    store.replace(ok(FlagSet::from_json(V1)));
    let heard = heard.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        heard,
        vec![vec![
            "gdpr_export_v2".to_owned(),
            "new_billing_engine".to_owned()
        ]]
    );
}

#[test]
fn a_panicking_subscriber_does_not_break_the_store() {
    let store = FlagStore::new(ok(FlagSet::from_json(V1)));
    let _sub = store.subscribe(|_| panic!("listener bug"));
    store.replace(ok(FlagSet::from_json(V2)));
    assert_eq!(
        store.evaluate_all(&ctx()).get("new_billing_engine"),
        Some(true)
    );
}

/// A source that fails every time and counts the calls.
struct Failing(Arc<AtomicUsize>);

impl FlagSource for Failing {
    fn describe(&self) -> String {
        "failing".into()
    }
    fn fetch<'a>(&'a self, _: Option<&'a str>) -> BoxFuture<'a, dezky::flags::Result<Fetched>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(dezky::flags::Error::Source {
                source_name: "failing".into(),
                message: "down".into(),
                cause: None,
                status: None,
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_refresher_backs_off_while_the_source_fails() {
    let calls = Arc::new(AtomicUsize::new(0));
    let options = StoreOptions {
        interval: Duration::from_secs(1),
        max_backoff: Duration::from_secs(16),
        stale_after: Duration::from_secs(30),
    };
    let store = ok(FlagStore::with_source(
        Failing(calls.clone()),
        ok(FlagSet::from_json(V1)),
        options,
    ));
    let handle = ok(store.spawn_refresher());
    tokio::time::sleep(Duration::from_secs(120)).await;
    let made = calls.load(Ordering::SeqCst);
    // Healthy it would have fetched ~120 times; backing off 2, 4, 8, 16, 16, ... s it fetches about 10 times.
    assert!((6..=16).contains(&made), "{made} fetches in 120 s");
    let status = store.status();
    assert!(status.stale, "{status:?}");
    assert_eq!(status.consecutive_failures as usize, made);
    assert_eq!(store.evaluate_all(&ctx()).get("jmap_native_v2"), Some(true));
    drop(handle);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stopped_at = calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        stopped_at,
        "refresher kept running after its handle was dropped"
    );
}

#[tokio::test]
async fn the_refresher_picks_up_file_changes() {
    let dir = ok(tempfile::tempdir());
    let file = dir.path().join("flags.json");
    ok(std::fs::write(&file, V1));
    let store = ok(FlagStore::connect(FileSource::new(&file), options()).await);
    let _handle = ok(store.spawn_refresher());
    ok(std::fs::write(&file, V2));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.evaluate_all(&ctx()).get("new_billing_engine") != Some(true) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "change not picked up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_store_without_source_cannot_refresh() {
    let store = FlagStore::new(FlagSet::default());
    assert_eq!(
        store.spawn_refresher().err().map(|e| e.code()),
        Some("DEZKY_INVALID_ARGUMENT")
    );
    let bad = StoreOptions {
        interval: Duration::ZERO,
        ..StoreOptions::default()
    };
    let err = FlagStore::with_source(Failing(Arc::default()), FlagSet::default(), bad).err();
    assert_eq!(err.map(|e| e.code()), Some("DEZKY_INVALID_ARGUMENT"));
}

/// Answers each fetch with the next (delay, flags) pair.
struct Scripted(Mutex<Vec<(Duration, &'static str)>>);

impl FlagSource for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn fetch<'a>(&'a self, _: Option<&'a str>) -> BoxFuture<'a, dezky::flags::Result<Fetched>> {
        let (delay, text) = self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(0);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Ok(Fetched::Updated {
                flags: FlagSet::from_json(text)?,
                version: Some(text.len().to_string()),
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn an_overtaken_refresh_does_not_swap_in_older_flags() {
    let source = Scripted(Mutex::new(vec![
        (Duration::from_secs(5), V1),
        (Duration::from_secs(1), V2),
    ]));
    let store = ok(FlagStore::with_source(
        source,
        FlagSet::default(),
        options(),
    ));
    let (slow, fast) = tokio::join!(store.refresh(), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        store.refresh().await
    });
    assert!(matches!(ok(fast), RefreshOutcome::Updated { .. }));
    assert_eq!(ok(slow), RefreshOutcome::Unchanged);
    assert_eq!(
        store.flags().len(),
        3,
        "the older, slower answer replaced the newer one"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refresh_under_way_does_not_undo_a_replace() {
    let source = Scripted(Mutex::new(vec![(Duration::from_secs(5), V1)]));
    let store = ok(FlagStore::with_source(
        source,
        FlagSet::default(),
        options(),
    ));
    let (refreshed, ()) = tokio::join!(store.refresh(), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        store.replace(ok(FlagSet::from_json(V2)));
    });
    assert_eq!(ok(refreshed), RefreshOutcome::Unchanged);
    assert_eq!(store.flags().len(), 3);
}

#[tokio::test]
async fn http_failures_keep_their_cause_and_status_and_hide_the_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(V1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let source = ok(HttpFlagSource::new(
        &format!("{}/flags?key=query-secret", server.uri()),
        None,
    ));
    let store = ok(FlagStore::connect(source, options()).await);
    match store.refresh().await {
        Err(dezky::flags::Error::Source {
            cause,
            status,
            source_name,
            message,
        }) => {
            assert_eq!(
                (cause.as_deref(), status),
                (Some("DEZKY_UPSTREAM_UNAVAILABLE"), Some(502))
            );
            assert!(!format!("{source_name} {message}").contains("query-secret"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{:?}", store.status()).contains("query-secret"));
    // A port nobody listens on: a transport failure, no status.
    let closed = ok(std::net::TcpListener::bind("127.0.0.1:0"));
    let port = ok(closed.local_addr()).port();
    drop(closed);
    let source = ok(HttpFlagSource::new(
        &format!("http://127.0.0.1:{port}/flags"),
        None,
    ));
    let store = ok(FlagStore::with_source(
        source,
        FlagSet::default(),
        options(),
    ));
    match store.refresh().await {
        Err(dezky::flags::Error::Source { cause, status, .. }) => {
            assert_eq!((cause.as_deref(), status), (Some("DEZKY_TRANSPORT"), None));
        }
        other => panic!("{other:?}"),
    }
}
