//! Client overhead per request: `dezky_clients::http::HttpClient` against a
//! bare reqwest call to the same local server, in the same run.
//!
//!     cargo bench --bench http_client && python3 benches/http_report.py
//!
//! The server is a minimal HTTP/1.1 keep-alive responder on 127.0.0.1 that
//! answers every request with the same small JSON body, so that the time
//! measured is the clients' and the loopback's, not a mock framework's. Both
//! sides send the same Bearer header, read the whole body and decode the same
//! type; the SDK side also runs its span, retry bookkeeping and error mapping.

// A benchmark stops at the first broken expectation.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use dezky::clients::Secret;
use dezky::clients::http::{Auth, HttpClient, HttpConfig, Service};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BODY: &str = r#"{"pk":"5b1c8a52-2c55-4f3e-9d6b-0a0c2c7b3e11","num_pk":42,"name":"t-acme","is_superuser":false,"attributes":{"dezky_tenant_slug":"acme"}}"#;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Group {
    pk: String,
    num_pk: u64,
    name: String,
    is_superuser: bool,
    attributes: serde_json::Value,
}

#[derive(Debug)]
struct Bench;

impl Service for Bench {
    fn name(&self) -> &'static str {
        "bench"
    }
}

/// Serves every request on a connection with the same 200 answer.
async fn serve(listener: TcpListener) {
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        BODY.len(),
        BODY
    );
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut buffer = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            loop {
                // One request: headers up to the blank line, then the body by content-length.
                let head_end = loop {
                    if let Some(end) = find(&buffer, b"\r\n\r\n") {
                        break end + 4;
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                while buffer.len() < head_end + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                buffer.drain(..head_end + length);
                if socket.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn bench_requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let addr: SocketAddr = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(serve(listener));
        addr
    });
    let base = format!("http://{addr}/api/v3");
    let token = "bench-token-0123456789";

    let bare = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("reqwest");
    let sdk = HttpClient::new(
        HttpConfig::new(&base).expect("config"),
        Auth::Bearer(Secret::new(token)),
        Bench,
    )
    .expect("client");
    let url = format!("{base}/core/groups/5b1c8a52-2c55-4f3e-9d6b-0a0c2c7b3e11/");
    let post_url = format!("{base}/core/groups/");
    let new_group =
        serde_json::json!({"name": "t-acme", "attributes": {"dezky_tenant_slug": "acme"}});

    let get = paired(&runtime, &bare, &sdk, &url, token, None);
    let post = paired(&runtime, &bare, &sdk, &post_url, token, Some(&new_group));
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(
        out.join("http_paired.json"),
        serde_json::json!({"get": get, "post_json": post}).to_string(),
    );

    let mut group = c.benchmark_group("http_get");
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("bare_reqwest", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = bare
                    .get(&url)
                    .bearer_auth(token)
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("send");
                let body = response.bytes().await.expect("body");
                black_box(serde_json::from_slice::<Group>(&body).expect("json"))
            })
        })
    });
    group.bench_function("dezky_http_client", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    sdk.get("/core/groups/5b1c8a52-2c55-4f3e-9d6b-0a0c2c7b3e11/")
                        .send_json::<Group>()
                        .await
                        .expect("send"),
                )
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("http_post_json");
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("bare_reqwest", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = bare
                    .post(&post_url)
                    .bearer_auth(token)
                    .timeout(Duration::from_secs(30))
                    .json(&new_group)
                    .send()
                    .await
                    .expect("send");
                let body = response.bytes().await.expect("body");
                black_box(serde_json::from_slice::<Group>(&body).expect("json"))
            })
        })
    });
    group.bench_function("dezky_http_client", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    sdk.post("/core/groups/")
                        .json(&new_group)
                        .send_json::<Group>()
                        .await
                        .expect("send"),
                )
            })
        })
    });
    group.finish();
}

/// Alternates batches of both clients over many rounds, so that a change in
/// machine load (other processes) hits both sides alike, and reports the
/// median of the per-round ratios. Written to `target/criterion/http_paired.json`.
/// `body`: POST this JSON body instead of a GET.
fn paired(
    runtime: &tokio::runtime::Runtime,
    bare: &reqwest::Client,
    sdk: &HttpClient,
    url: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    const ROUNDS: usize = 41;
    const BATCH: u32 = 300;
    let mut ratios = Vec::with_capacity(ROUNDS);
    let mut bare_times = Vec::with_capacity(ROUNDS);
    let mut sdk_times = Vec::with_capacity(ROUNDS);
    let path = url
        .split("/api/v3")
        .nth(1)
        .expect("path under the base URL");
    for round in 0..ROUNDS {
        let time_bare = || {
            runtime.block_on(async {
                let start = std::time::Instant::now();
                for _ in 0..BATCH {
                    let request = match body {
                        Some(body) => bare.post(url).json(body),
                        None => bare.get(url),
                    };
                    let response = request
                        .bearer_auth(token)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .expect("send");
                    let body = response.bytes().await.expect("body");
                    black_box(serde_json::from_slice::<Group>(&body).expect("json"));
                }
                start.elapsed() / BATCH
            })
        };
        let time_sdk = || {
            runtime.block_on(async {
                let start = std::time::Instant::now();
                for _ in 0..BATCH {
                    let request = match body {
                        Some(body) => sdk.post(path).json(body),
                        None => sdk.get(path),
                    };
                    black_box(request.send_json::<Group>().await.expect("send"));
                }
                start.elapsed() / BATCH
            })
        };
        // Alternate which side goes first.
        let (b, s) = if round % 2 == 0 {
            let b = time_bare();
            (b, time_sdk())
        } else {
            let s = time_sdk();
            (time_bare(), s)
        };
        bare_times.push(b.as_nanos() as f64);
        sdk_times.push(s.as_nanos() as f64);
        ratios.push(s.as_secs_f64() / b.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ratio, bare_ns, sdk_ns) = (
        median(&mut ratios),
        median(&mut bare_times),
        median(&mut sdk_times),
    );
    println!(
        "paired {}, {ROUNDS} rounds of {BATCH}: bare {:.1} µs, dezky {:.1} µs, median ratio {ratio:.3}x",
        if body.is_some() { "POST" } else { "GET" },
        bare_ns / 1000.0,
        sdk_ns / 1000.0
    );
    serde_json::json!({"rounds": ROUNDS, "batch": BATCH, "bare_ns": bare_ns,
                       "dezky_ns": sdk_ns, "median_ratio": ratio})
}

criterion_group!(benches, bench_requests);
criterion_main!(benches);
