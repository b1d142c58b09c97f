//! Flag-engine benchmarks: evaluate-one per state, evaluate-all at 10/100/1,000
//! flags against the SHA-256 floor of their rollout flags and against the Unleash
//! engine on an equivalent set, the bucket function against a bare SHA-256, and
//! the memory held by a compiled 1,000-flag set.
//!
//! `cargo bench --bench flags`, then `python3 benches/report.py` for the ratios.

// The counting allocator below needs `unsafe impl GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dezky::flags::{EvaluationContext, Flag, FlagSet, FlagState, bucket};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use unleash_yggdrasil::state::EnrichedContext;
use unleash_yggdrasil::{Context as UnleashContext, EngineState, UpdateMessage};

/// Counts live heap bytes so the bench can report what a compiled set holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PLANS: [&str; 3] = ["starter", "business", "enterprise"];

/// `n` flags: every third a rollout (scoped on environments, which the benchmark
/// contexts match, so every rollout flag is hashed), a third targeted on plan,
/// the rest alternately on and off.
fn flag_docs(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let key = format!("feature_{i:04}");
            match i % 3 {
                0 => json!({"key": key, "state": "rollout", "pct": (i * 7) % 100,
                            "scope": {"environments": ["prod", "staging"]}}),
                1 => json!({"key": key, "state": "targeted",
                            "scope": {"plans": [PLANS[i % 3], "enterprise"], "environments": ["prod"]}}),
                _ => json!({"key": key, "state": if i % 2 == 0 { "on" } else { "off" }}),
            }
        })
        .collect()
}

fn flag_set(n: usize) -> FlagSet {
    FlagSet::from_value(Value::Array(flag_docs(n))).unwrap_or_else(|e| panic!("{e}"))
}

/// The same set as Unleash client features: flexibleRollout on userId (the
/// tenant id) with constraints for rollouts, default strategy with constraints
/// for targeted flags, enabled/disabled for on/off.
fn unleash_features(n: usize) -> UpdateMessage {
    let constraint = |name: &str, values: Vec<&str>| json!({"contextName": name, "operator": "IN", "values": values, "inverted": false, "caseInsensitive": false});
    let features: Vec<Value> = (0..n)
        .map(|i| {
            let name = format!("feature_{i:04}");
            match i % 3 {
                0 => json!({"name": name, "enabled": true, "strategies": [{
                    "name": "flexibleRollout",
                    "parameters": {"rollout": ((i * 7) % 100).to_string(), "stickiness": "userId", "groupId": name},
                    "constraints": [constraint("environment", vec!["prod", "staging"])]}]}),
                1 => json!({"name": name, "enabled": true, "strategies": [{
                    "name": "default", "parameters": {},
                    "constraints": [constraint("plan", vec![PLANS[i % 3], "enterprise"]),
                                    constraint("environment", vec!["prod"])]}]}),
                _ => json!({"name": name, "enabled": i % 2 == 0, "strategies": [{"name": "default", "parameters": {}}]}),
            }
        })
        .collect();
    serde_json::from_value(json!({"version": 2, "features": features}))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn tenant_id(t: usize) -> String {
    format!("6650f1c2a9b4{t:012x}")
}

fn contexts() -> Vec<EvaluationContext> {
    (0..64)
        .map(|t| {
            EvaluationContext::for_tenant(tenant_id(t), format!("tenant-{t}"))
                .with_plan(PLANS[t % 3])
                .with_environment("prod")
                .with_partner("nordic-it")
        })
        .collect()
}

fn unleash_contexts(ours: &[EvaluationContext]) -> Vec<UnleashContext> {
    ours.iter()
        .map(|c| UnleashContext {
            user_id: c.tenant_id.clone(),
            environment: c.environment.clone(),
            properties: Some(HashMap::from([
                ("plan".to_owned(), c.plan.clone().unwrap_or_default()),
                (
                    "tenantSlug".to_owned(),
                    c.tenant_slug.clone().unwrap_or_default(),
                ),
                (
                    "partnerSlug".to_owned(),
                    c.partner_slug.clone().unwrap_or_default(),
                ),
            ])),
            ..Default::default()
        })
        .collect()
}

fn engine(n: usize) -> EngineState {
    let engine = EngineState::default();
    if let Some(warnings) = engine.take_state(unleash_features(n))
        && !warnings.is_empty()
    {
        panic!("unleash warnings: {warnings:?}");
    }
    engine
}

fn evaluate_one(c: &mut Criterion) {
    let set = FlagSet::from_json(
        r#"[{"key": "state_off", "state": "off"}, {"key": "state_on", "state": "on"},
            {"key": "state_targeted", "state": "targeted", "scope": {"plans": ["business"], "environments": ["prod"]}},
            {"key": "state_rollout", "state": "rollout", "pct": 50, "scope": {"environments": ["prod"]}}]"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ctx = &contexts()[1];
    let mut group = c.benchmark_group("evaluate_one");
    for key in ["state_off", "state_on", "state_targeted", "state_rollout"] {
        group.bench_with_input(BenchmarkId::new("evaluate", key), key, |b, key| {
            b.iter(|| set.evaluate(black_box(key), black_box(ctx)))
        });
        group.bench_with_input(BenchmarkId::new("is_enabled", key), key, |b, key| {
            b.iter(|| set.is_enabled(black_box(key), black_box(ctx)))
        });
    }
    group.finish();
}

fn evaluate_all(c: &mut Criterion) {
    let ours = contexts();
    let theirs = unleash_contexts(&ours);
    let mut group = c.benchmark_group("evaluate_all");
    for n in [10usize, 100, 1000] {
        let set = flag_set(n);
        let unleash = engine(n);
        let names: Vec<String> = set.keys().map(str::to_owned).collect();
        // Sanity: both engines agree on rollout membership for these contexts (same
        // scope semantics; buckets differ by design, so only non-rollout flags are compared).
        for (o, t) in ours.iter().zip(&theirs) {
            let all = set.evaluate_all(o);
            for (i, name) in names.iter().enumerate() {
                if i % 3 != 0 {
                    assert_eq!(
                        all.get(name),
                        Some(unleash.is_enabled(name, t, &None)),
                        "{name}"
                    );
                }
            }
        }
        // The floor: one SHA-256 of `tenantId:key` per rollout flag, inputs prepared in advance.
        let inputs: Vec<Vec<Vec<u8>>> = ours
            .iter()
            .map(|ctx| {
                set.flags()
                    .iter()
                    .filter(|f| f.state == FlagState::Rollout)
                    .map(|f| {
                        format!("{}:{}", ctx.tenant_id.as_deref().unwrap_or_default(), f.key)
                            .into_bytes()
                    })
                    .collect()
            })
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("dezky", n), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % ours.len();
                set.evaluate_all(black_box(&ours[i]))
            })
        });
        group.bench_function(BenchmarkId::new("sha256_floor", n), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % inputs.len();
                let mut acc = 0u8;
                for input in &inputs[i] {
                    acc ^= Sha256::digest(black_box(input))[0];
                }
                acc
            })
        });
        group.bench_function(BenchmarkId::new("unleash_resolve_all", n), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % theirs.len();
                unleash.resolve_all(black_box(&theirs[i]), &None)
            })
        });
        group.bench_function(BenchmarkId::new("unleash_check_enabled_each", n), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % theirs.len();
                let mut on = 0usize;
                for name in &names {
                    let ctx = EnrichedContext::from(&theirs[i], name, None);
                    on += usize::from(unleash.check_enabled(&ctx).unwrap_or(false));
                }
                on
            })
        });
    }
    group.finish();
}

fn bucket_vs_sha256(c: &mut Criterion) {
    let mut group = c.benchmark_group("bucket");
    let (subject, key) = ("6650f1c2a9b4e3d2c1b0a998", "gdpr_export_v2");
    let joined = format!("{subject}:{key}").into_bytes();
    group.bench_function("bucket", |b| {
        b.iter(|| bucket(black_box(subject), black_box(key)))
    });
    group.bench_function("sha256_same_bytes", |b| {
        b.iter(|| Sha256::digest(black_box(&joined)))
    });
    group.finish();
}

/// Live heap bytes held by what `build` returns.
fn held_by<T>(build: impl FnOnce() -> T) -> (T, isize) {
    let before = LIVE.load(Ordering::SeqCst);
    let value = build();
    (value, LIVE.load(Ordering::SeqCst) - before)
}

fn memory(_: &mut Criterion) {
    let docs = Value::Array(flag_docs(1000));
    let (flags, documents) = held_by(|| {
        docs.as_array()
            .into_iter()
            .flatten()
            .map(|v| Flag::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}")))
            .collect::<Vec<Flag>>()
    });
    let (set, compiled) =
        held_by(move || FlagSet::from_flags(flags).unwrap_or_else(|e| panic!("{e}")));
    let (unleash, unleash_bytes) = held_by(|| engine(1000));
    let line = format!(
        "memory: 1000-flag set: documents {documents} B + compiled index {compiled} B = {} B; Unleash engine state {unleash_bytes} B",
        documents + compiled
    );
    println!("{line}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("memory.txt"), line + "\n");
    drop((set, unleash));
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = memory, bucket_vs_sha256, evaluate_one, evaluate_all
}
criterion_main!(benches);
