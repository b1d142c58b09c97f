//! Verifies 500 mail domains against a local NSD with bounded concurrency, and
//! times checkdmarc checking SPF and DMARC for the same domains in the same run.
//!
//!     bash scripts/install-test-deps.sh      # NSD and checkdmarc
//!     cargo bench --bench dns_verify          # prints a Markdown table
//!
//! Environment: `DNS_BENCH_DOMAINS` (500), `DNS_BENCH_CONCURRENCY` (32),
//! `DNS_BENCH_ROUNDS` (3: the best round of ours is reported; checkdmarc runs once).

#[path = "../tests/dns_support/mod.rs"]
mod dns_support;

use std::process::Command;
use std::time::{Duration, Instant};

use dezky::core::dns::{
    CheckStatus, DomainReport, ExpectedRecords, RecordKind, VerifyOptions, verify_domains,
};
use dns_support::{Nsd, TOKEN, ownership_line, stalwart_zone};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Domain `i`: mostly correct, every 5th with `~all`, every 7th without DMARC.
fn zone_body(domain: &str, i: usize) -> String {
    let mut body = format!("{}{}", stalwart_zone(domain), ownership_line(domain));
    if i.is_multiple_of(5) {
        body = body.replace("v=spf1 mx -all", "v=spf1 mx ~all");
    }
    if i.is_multiple_of(7) {
        body = body
            .lines()
            .filter(|l| !l.starts_with("_dmarc."))
            .collect::<Vec<_>>()
            .join("\n");
    }
    body
}

async fn timed(
    resolver: &dezky::clients::resolver::DnsResolver,
    expected: &[ExpectedRecords],
    concurrency: usize,
    rounds: usize,
) -> (Duration, Vec<DomainReport>) {
    let mut best = Duration::MAX;
    let mut last = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        last = verify_domains(resolver, expected, &VerifyOptions::default(), concurrency).await;
        best = best.min(start.elapsed());
    }
    (best, last)
}

fn main() {
    let n = env_usize("DNS_BENCH_DOMAINS", 500);
    let concurrency = env_usize("DNS_BENCH_CONCURRENCY", 32);
    let rounds = env_usize("DNS_BENCH_ROUNDS", 3).max(1);
    let python = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-deps/venv/bin/python");
    assert!(
        python.exists(),
        "checkdmarc is missing: run `bash scripts/install-test-deps.sh`"
    );

    let domains: Vec<String> = (0..n).map(|i| format!("d{i:04}.bench.test")).collect();
    let mut zones: Vec<(String, String)> = domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.clone(), zone_body(d, i)))
        .collect();
    zones.push((
        "example.net".to_owned(),
        "mail IN A 192.0.2.10\n".to_owned(),
    ));
    let expected: Vec<ExpectedRecords> = domains
        .iter()
        .map(
            |d| match ExpectedRecords::new(d, &stalwart_zone(d), Some(TOKEN)) {
                Ok(e) => e,
                Err(e) => panic!("{e}"),
            },
        )
        .collect();
    // The same domains, SPF and DMARC only: what checkdmarc is asked.
    let spf_dmarc: Vec<ExpectedRecords> = expected
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.checks
                .retain(|c| matches!(c.kind, RecordKind::Spf | RecordKind::Dmarc));
            e
        })
        .collect();
    let checks_per_domain = expected[0].checks.len();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let mut nsd = Nsd::start(&zones);
    runtime.block_on(nsd.wait_ready(&domains[0]));
    // No cache: every round asks NSD, as a recheck does.
    let resolver = nsd.resolver();

    let (all_time, reports) = runtime.block_on(timed(&resolver, &expected, concurrency, rounds));
    let (sd_time, sd_reports) = runtime.block_on(timed(&resolver, &spf_dmarc, concurrency, rounds));
    let (seq_time, _) = runtime.block_on(timed(&resolver, &spf_dmarc, 1, 1));

    // Sanity: the verdicts are what the zones hold.
    let unknown = reports
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| c.status == CheckStatus::Unknown)
        .count();
    let attention = reports.iter().filter(|r| r.needs_attention).count();
    let expected_attention = (0..n)
        .filter(|i| i.is_multiple_of(5) || i.is_multiple_of(7))
        .count();
    assert_eq!(unknown, 0, "some lookups failed against NSD");
    assert_eq!(attention, expected_attention);
    assert_eq!(
        sd_reports.iter().filter(|r| r.needs_attention).count(),
        expected_attention
    );

    let start = Instant::now();
    let out = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dns/checkdmarc_verdicts.py"
        ))
        .arg(nsd.port.to_string())
        .args(&domains)
        .output();
    let wall = start.elapsed();
    let out = match out {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => panic!("checkdmarc failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("{e}"),
    };
    let theirs: serde_json::Value = match serde_json::from_slice(&out) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let cd_secs = theirs["seconds"].as_f64().unwrap_or(f64::NAN);
    let cd_dmarc_invalid = domains
        .iter()
        .filter(|d| theirs["verdicts"][d.as_str()]["dmarc_valid"] == false)
        .count();
    assert_eq!(
        cd_dmarc_invalid,
        (0..n).filter(|i| i.is_multiple_of(7)).count(),
        "checkdmarc saw other zones"
    );

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cd_ms = cd_secs * 1000.0;
    println!("| run ({n} domains, NSD on 127.0.0.1) | time | per domain | vs checkdmarc |");
    println!("|---|---|---|---|");
    println!(
        "| dezky, all {checks_per_domain} checks per domain, concurrency {concurrency} (best of {rounds}) | {:.0} ms | {:.2} ms | {:.1}x faster |",
        ms(all_time),
        ms(all_time) / n as f64,
        cd_ms / ms(all_time)
    );
    println!(
        "| dezky, SPF + DMARC only, concurrency {concurrency} (best of {rounds}) | {:.0} ms | {:.2} ms | {:.1}x faster |",
        ms(sd_time),
        ms(sd_time) / n as f64,
        cd_ms / ms(sd_time)
    );
    println!(
        "| dezky, SPF + DMARC only, one domain at a time | {:.0} ms | {:.2} ms | {:.1}x faster |",
        ms(seq_time),
        ms(seq_time) / n as f64,
        cd_ms / ms(seq_time)
    );
    println!(
        "| checkdmarc 6.0.4 `check_spf` + `check_dmarc`, sequential (in-process time; {:.0} ms with interpreter start) | {:.0} ms | {:.2} ms | 1x |",
        ms(wall),
        cd_ms,
        cd_ms / n as f64
    );
}
