//! Audit CSV export: time and peak memory of exporting N events with the
//! streaming `CsvWriter` against building the whole file in memory first
//! (what a client-side export does), each size and mode in a process of its
//! own so that peak memory (`VmHWM`) is its own.
//!
//! ```text
//! cargo bench --bench audit_csv                     # 100,000 and 1,000,000 events
//! AUDIT_EVENTS=1000000 cargo bench --bench audit_csv
//! ```

use std::io::Write;
use std::time::{Duration, Instant, UNIX_EPOCH};

use dezky::core::audit::{AuditEvent, CsvWriter, Outcome};
use dezky::flags::Change;

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

/// The i-th event, made on the fly as a cursor over the collection would hand it over.
fn event(i: u64) -> Option<AuditEvent> {
    let change = Change::new(
        format!("member{}@tenant{}.test", i % 1000, i % 97),
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + i),
    )
    .ok()?;
    Some(
        AuditEvent::new(
            "member.suspend",
            Outcome::Success,
            &change,
            "member",
            format!("m{i}"),
        )
        .for_tenant(format!("{:024x}", i % 5000))
        .with("reason", "unpaid, \"final\" notice"),
    )
}

/// Exports `n` events; returns the bytes written.
fn run(n: u64, streaming: bool) -> std::io::Result<u64> {
    let mut sink = std::io::sink();
    if streaming {
        let mut writer = CsvWriter::new(std::io::BufWriter::new(&mut sink))?;
        for i in 0..n {
            if let Some(e) = event(i) {
                writer.write(&e)?;
            }
        }
        writer.finish()?;
        Ok(n)
    } else {
        // The whole export held before it is sent.
        let events: Vec<AuditEvent> = (0..n).filter_map(event).collect();
        let mut writer = CsvWriter::new(Vec::new())?;
        for e in &events {
            writer.write(e)?;
        }
        let bytes = writer.finish()?;
        sink.write_all(&bytes)?;
        Ok(bytes.len() as u64)
    }
}

fn main() {
    if let Ok(spec) = std::env::var("AUDIT_CSV_CHILD") {
        let (n, mode) = spec.split_once(':').unwrap_or(("0", "stream"));
        let n: u64 = n.parse().unwrap_or(0);
        let start = Instant::now();
        if let Err(e) = run(n, mode == "stream") {
            eprintln!("export failed: {e}");
            std::process::exit(1);
        }
        println!("{:.3} {}", start.elapsed().as_secs_f64(), peak_rss_kib());
        return;
    }
    let sizes: Vec<u64> = std::env::var("AUDIT_EVENTS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cannot find this benchmark's executable");
        std::process::exit(1);
    };
    println!("events      mode          seconds   peak RSS (MiB)");
    for n in sizes {
        for mode in ["stream", "in-memory"] {
            let out = std::process::Command::new(&exe)
                .env("AUDIT_CSV_CHILD", format!("{n}:{mode}"))
                .output();
            match out {
                Ok(out) if out.status.success() => {
                    let text = String::from_utf8_lossy(&out.stdout);
                    let mut parts = text.split_whitespace();
                    let secs = parts.next().unwrap_or("?");
                    let kib: f64 = parts.next().and_then(|k| k.parse().ok()).unwrap_or(0.0);
                    println!("{n:<11} {mode:<13} {secs:>7}   {:>10.1}", kib / 1024.0);
                }
                Ok(out) => eprintln!("{n} {mode}: {}", String::from_utf8_lossy(&out.stderr)),
                Err(e) => eprintln!("{n} {mode}: {e}"),
            }
        }
    }
}
