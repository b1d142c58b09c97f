//! Health probes against real listeners on 127.0.0.1: an open port, a closed
//! one, HTTP servers that answer at once, after 700 ms or with a wrong
//! status, one that never answers, and a name that does not resolve.

#![allow(clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use dezky_clients::health::{
    ProbeStatus, ProbeTarget, StatusRange, Thresholds, probe_all, probe_all_with,
};

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// A minimal HTTP server on 127.0.0.1 answering every request with `status`
/// after `delay`; `None` never answers (keeps the connection open).
fn http_server(status: Option<u16>, delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 2048];
                let _ = stream.read(&mut buffer);
                match status {
                    Some(status) => {
                        std::thread::sleep(delay);
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        );
                    }
                    None => std::thread::sleep(Duration::from_secs(10)),
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn tcp_open_is_ok_and_closed_is_down() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = listener.local_addr().expect("addr").port();
    let closed = closed_port();
    let results = probe_all(&[
        ProbeTarget::tcp("open", "127.0.0.1", open),
        ProbeTarget::tcp("closed", "127.0.0.1", closed),
        ProbeTarget::tcp("localhost", "localhost", open),
    ])
    .await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].name, "open");
    assert_eq!(results[0].status, ProbeStatus::Ok, "{:?}", results[0]);
    assert_eq!(results[0].error, None);
    assert!(results[0].latency_ms <= 500);
    assert_eq!(results[1].name, "closed");
    assert_eq!(results[1].status, ProbeStatus::Down);
    let error = results[1].error.as_deref().expect("error text");
    assert!(error.contains("refused"), "{error}");
    // localhost may resolve to ::1 first; the IPv4 address is tried next.
    assert_eq!(results[2].status, ProbeStatus::Ok, "{:?}", results[2]);
    drop(listener);
}

#[tokio::test]
async fn configured_thresholds_classify_a_connect_as_warn() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let thresholds = Thresholds {
        ok: Duration::ZERO,
        warn: Duration::from_millis(1500),
    };
    let results = probe_all_with(&[ProbeTarget::tcp("db", "127.0.0.1", port)], thresholds).await;
    assert_eq!(results[0].status, ProbeStatus::Warn, "{:?}", results[0]);
    assert_eq!(results[0].error, None);
}

#[tokio::test]
async fn http_fast_slow_wrong_status_and_silent() {
    let fast = http_server(Some(200), Duration::ZERO);
    let slow = http_server(Some(204), Duration::from_millis(700));
    let wrong = http_server(Some(503), Duration::ZERO);
    let redirect = http_server(Some(302), Duration::ZERO);
    let silent = http_server(None, Duration::ZERO);
    let started = Instant::now();
    let results = probe_all(&[
        ProbeTarget::http("fast", format!("http://127.0.0.1:{fast}/health")),
        ProbeTarget::http("slow", format!("http://127.0.0.1:{slow}/health")),
        ProbeTarget::http("wrong", format!("http://127.0.0.1:{wrong}/")),
        ProbeTarget::http("redirect", format!("http://127.0.0.1:{redirect}/"))
            .expect_status(StatusRange { min: 200, max: 399 }),
        ProbeTarget::http("exact", format!("http://127.0.0.1:{wrong}/"))
            .expect_status(StatusRange::exact(503)),
        ProbeTarget::http("silent", format!("http://127.0.0.1:{silent}/"))
            .with_timeout(Duration::from_millis(300)),
    ])
    .await;
    let elapsed = started.elapsed();
    // In parallel: the slowest is the 700 ms answer, not the sum.
    assert!(elapsed < Duration::from_millis(1400), "took {elapsed:?}");

    assert_eq!(results[0].status, ProbeStatus::Ok, "{:?}", results[0]);
    assert_eq!(results[0].http_status, Some(200));

    assert_eq!(results[1].status, ProbeStatus::Warn, "{:?}", results[1]);
    assert!(results[1].latency_ms >= 700, "{:?}", results[1]);
    assert_eq!(results[1].http_status, Some(204));

    assert_eq!(results[2].status, ProbeStatus::Down);
    assert_eq!(results[2].http_status, Some(503));
    assert_eq!(
        results[2].error.as_deref(),
        Some("status 503, expected 200-299")
    );

    assert_eq!(results[3].status, ProbeStatus::Ok, "{:?}", results[3]);
    assert_eq!(results[3].http_status, Some(302));
    assert_eq!(results[4].status, ProbeStatus::Ok, "{:?}", results[4]);

    assert_eq!(results[5].status, ProbeStatus::Down);
    assert_eq!(results[5].error.as_deref(), Some("timed out after 300 ms"));
    assert!(results[5].latency_ms >= 300 && results[5].latency_ms < 1000);
}

#[tokio::test]
async fn slow_success_beyond_warn_is_still_warn() {
    let slow = http_server(Some(200), Duration::from_millis(700));
    let thresholds = Thresholds {
        ok: Duration::from_millis(100),
        warn: Duration::from_millis(300),
    };
    let results = probe_all_with(
        &[
            ProbeTarget::http("patient", format!("http://127.0.0.1:{slow}/"))
                .with_timeout(Duration::from_secs(3)),
            ProbeTarget::http("default", format!("http://127.0.0.1:{slow}/")),
        ],
        thresholds,
    )
    .await;
    assert_eq!(results[0].status, ProbeStatus::Warn, "{:?}", results[0]);
    // Without its own timeout, the warn threshold is the timeout.
    assert_eq!(results[1].status, ProbeStatus::Down, "{:?}", results[1]);
    assert_eq!(results[1].error.as_deref(), Some("timed out after 300 ms"));
}

#[tokio::test]
async fn unresolvable_names_closed_ports_and_bad_targets_are_down() {
    let closed = closed_port();
    let results = probe_all(&[
        ProbeTarget::tcp("dns", "nonexistent.invalid", 443),
        ProbeTarget::http("dns-http", "http://nonexistent.invalid/health"),
        ProbeTarget::http("refused", format!("http://127.0.0.1:{closed}/")),
        ProbeTarget::http("bad-url", "not a url"),
        ProbeTarget::http("ftp", "ftp://127.0.0.1/"),
        ProbeTarget::tcp("no-port", "127.0.0.1", 0),
        ProbeTarget::tcp("no-host", " ", 80),
    ])
    .await;
    for result in &results {
        assert_eq!(result.status, ProbeStatus::Down, "{result:?}");
        assert!(result.error.is_some(), "{result:?}");
    }
    let dns = results[0].error.as_deref().expect("error");
    assert!(
        dns.contains("nonexistent.invalid") || dns.contains("timed out"),
        "{dns}"
    );
    let refused = results[2].error.as_deref().expect("error");
    assert!(refused.contains("refused"), "{refused}");
    assert!(
        results[3]
            .error
            .as_deref()
            .expect("e")
            .starts_with("invalid target")
    );
    assert!(
        results[4]
            .error
            .as_deref()
            .expect("e")
            .starts_with("invalid target")
    );
    assert!(
        results[5]
            .error
            .as_deref()
            .expect("e")
            .starts_with("invalid target")
    );
    assert!(
        results[6]
            .error
            .as_deref()
            .expect("e")
            .starts_with("invalid target")
    );
}

#[tokio::test]
async fn no_targets_no_results() {
    assert!(probe_all(&[]).await.is_empty());
}
