//! Bulk reconcile against in-memory upstreams that answer after a fixed
//! latency: one tenant at a time (the baseline) against `reconcile_all`,
//! with the ideal (total upstream latency / concurrency limit) and the peak
//! resident memory of a process that runs only that size.
//!
//! ```text
//! cargo bench --bench bulk_reconcile                 # 1,000 and 10,000 tenants
//! BULK_TENANTS=1000 BULK_BASELINE=100 cargo bench --bench bulk_reconcile
//! ```
//!
//! A plain binary (no criterion): each figure is one run of seconds, and
//! the one-at-a-time baseline alone would take minutes per criterion sample.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dezky::core::lifecycle::TenantDocument;
use dezky::core::provisioning::memory::{MemoryUpstream, Op};
use dezky::core::provisioning::{
    BulkEvent, BulkOptions, Provisioner, ReconcileOptions, UpstreamLimits,
};
use dezky::flags::Change;
use futures_util::StreamExt;

/// The process's peak resident set (`VmHWM`), in KiB: each size runs in a
/// process of its own so the figures do not include each other.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

const LATENCY: Duration = Duration::from_millis(20);
/// Tenants reconciled at once, and calls in flight per upstream.
const CONCURRENCY: usize = 64;

fn tenant(i: usize) -> Result<TenantDocument, dezky::core::Error> {
    TenantDocument::from_json(&format!(
        r#"{{"_id": "{i:024x}", "slug": "tenant-{i}", "name": "Tenant {i}", "status": "pending",
            "plan": "business", "domains": ["t{i}.test"], "billingInfo": {{"email": "b{i}@t.test"}}}}"#
    ))
}

fn world() -> (Vec<MemoryUpstream>, Provisioner) {
    let upstreams: Vec<MemoryUpstream> = MemoryUpstream::all()
        .into_iter()
        .map(|u| u.with_latency(LATENCY))
        .collect();
    let provisioner = upstreams
        .iter()
        .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u.clone())))
        .with_upstream_limits(UpstreamLimits {
            max_in_flight: CONCURRENCY,
            ..UpstreamLimits::default()
        });
    (upstreams, provisioner)
}

/// Sum of the latency of every upstream call made.
fn upstream_time(upstreams: &[MemoryUpstream]) -> Duration {
    let calls: u64 = upstreams
        .iter()
        .map(|u| {
            [Op::Get, Op::Find, Op::Create, Op::Remove]
                .iter()
                .map(|op| u.calls(*op))
                .sum::<u64>()
        })
        .sum();
    LATENCY * u32::try_from(calls).unwrap_or(u32::MAX)
}

async fn one_at_a_time(n: usize, change: &Change) -> Duration {
    let (_, provisioner) = world();
    let started = Instant::now();
    for i in 0..n {
        let Ok(t) = tenant(i) else { continue };
        let _ = provisioner
            .reconcile(&t, ReconcileOptions::default(), change)
            .await;
    }
    started.elapsed()
}

async fn bulk(n: usize, change: &Change) -> (Duration, Duration, u64) {
    let (upstreams, provisioner) = world();
    let started = Instant::now();
    let mut settled = 0;
    let mut events = std::pin::pin!(provisioner.reconcile_all(
        futures_util::stream::iter((0..n).map(tenant)),
        BulkOptions {
            concurrency: CONCURRENCY,
            dry_run: false,
        },
        change,
    ));
    while let Some(event) = events.next().await {
        // A caller would apply the patch and drop the result here.
        if let BulkEvent::Done { summary } = event {
            settled = summary.settled;
        }
    }
    let elapsed = started.elapsed();
    (elapsed, upstream_time(&upstreams), settled)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

/// One size, in this process: `seconds upstream_seconds settled peak_kib`.
fn child(n: usize) {
    let Ok(change) = Change::now("bench@dezky.example") else {
        return;
    };
    let (elapsed, upstream, settled) = runtime().block_on(bulk(n, &change));
    println!(
        "{} {} {settled} {}",
        elapsed.as_secs_f64(),
        upstream.as_secs_f64(),
        peak_rss_kib()
    );
}

fn main() {
    if let Some(n) = std::env::var("BULK_CHILD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return child(n);
    }
    let sizes: Vec<usize> = std::env::var("BULK_TENANTS")
        .ok()
        .and_then(|v| v.split(',').map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let baseline_n: usize = std::env::var("BULK_BASELINE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let Ok(change) = Change::now("bench@dezky.example") else {
        return;
    };
    let one = runtime().block_on(one_at_a_time(baseline_n, &change));
    let per_tenant = one.as_secs_f64() / baseline_n as f64;
    println!(
        "one at a time: {baseline_n} tenants in {:.2} s ({:.1} ms per tenant; upstream latency {} ms)",
        one.as_secs_f64(),
        per_tenant * 1e3,
        LATENCY.as_millis()
    );
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    for n in sizes {
        let out = std::process::Command::new(&exe)
            .env("BULK_CHILD", n.to_string())
            .output();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let f: Vec<f64> = text
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let [elapsed, upstream, settled, peak_kib] = f[..] else {
            println!("bulk {n}: the run failed: {text:?}");
            continue;
        };
        // The limit: CONCURRENCY calls in flight per upstream, five upstreams.
        let ideal = upstream / (CONCURRENCY * 5) as f64;
        println!(
            "bulk {n}: {elapsed:.2} s, {settled} settled; {:.1}x faster than one at a time; \
             ideal {ideal:.2} s (upstream time {upstream:.0} s / {} calls in flight), {:.2}x the ideal; \
             peak RSS {:.1} MiB",
            per_tenant * n as f64 / elapsed,
            CONCURRENCY * 5,
            elapsed / ideal,
            peak_kib / 1024.0
        );
    }
}
