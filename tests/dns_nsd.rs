//! The verifier against a real authoritative server: NSD on 127.0.0.1.

mod dns_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use dezky::clients::resolver::{DnsResolver, ResolverSettings};
use dezky::core::dns::{
    Answer, CheckStatus, DomainReport, ExpectedRecords, FailureKind, QueryType, RecordCheck,
    RecordData, Resolver, VerifyOptions, verify_domain,
};
use dns_support::{CountingProxy, Nsd, TOKEN, free_port, ownership_line, stalwart_zone};

const HOST_ZONE: &str = "mail IN A 192.0.2.10\n";

fn expected(domain: &str) -> ExpectedRecords {
    match ExpectedRecords::new(domain, &stalwart_zone(domain), Some(TOKEN)) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

fn drop_lines(text: &str, needle: &str) -> String {
    // Also drops the continuation lines of a parenthesised record.
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if skipping {
            if line.trim() == ")" {
                skipping = false;
            }
            continue;
        }
        if line.contains(needle) {
            skipping = line.trim_end().ends_with('(');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The zones: one domain per case, the mail host's zone and a DKIM provider's.
fn zones() -> Vec<(String, String)> {
    let good = |d: &str| format!("{}{}", stalwart_zone(d), ownership_line(d));
    let rsa_key = |d: &str| {
        expected(d).checks[1].records[0]
            .txt_joined()
            .unwrap_or_default()
    };
    let mut zones = vec![
        ("example.net".to_owned(), HOST_ZONE.to_owned()),
        ("correct.test".to_owned(), good("correct.test")),
    ];
    // Missing: no DMARC (NXDOMAIN), no SPF (NODATA at the apex), no RSA DKIM.
    let m = "missing.test";
    let missing = drop_lines(
        &drop_lines(&drop_lines(&good(m), "_dmarc."), "v=spf1"),
        "v1-rsa-",
    );
    zones.push((m.to_owned(), missing));
    // Mismatched: ~all, p=none, another MX host, another token.
    let mm = "mismatch.test";
    let mismatch = good(mm)
        .replace("v=spf1 mx -all", "v=spf1 mx ~all")
        .replace("p=reject;", "p=none;")
        .replace(
            "IN MX 10 mail.example.net.",
            "IN MX 10 mx.elsewhere.example.net.",
        )
        .replace(TOKEN, "someone-elses-token-0123");
    zones.push((mm.to_owned(), mismatch));
    // Split: the RSA key published in 100-byte strings, with spaces inside p=.
    let s = "split.test";
    let key = rsa_key(s);
    let chunks: Vec<String> = key
        .as_bytes()
        .chunks(100)
        .map(|c| format!("\"{} \"", String::from_utf8_lossy(c)))
        .collect();
    let split = format!(
        "{}v1-rsa-20260822._domainkey.{s}. IN TXT ( {} )\n",
        drop_lines(&good(s), "v1-rsa-"),
        chunks.join("\n    ")
    );
    zones.push((s.to_owned(), split));
    // CNAME-delegated DKIM: the selector is an alias into the provider's zone.
    let c = "cname.test";
    let key = rsa_key(c);
    let cname = format!(
        "{}v1-rsa-20260822._domainkey.{c}. IN CNAME rsa.cname-test.keys.provider.test.\n",
        drop_lines(&good(c), "v1-rsa-")
    );
    zones.push((c.to_owned(), cname));
    zones.push((
        "provider.test".to_owned(),
        format!(
            "rsa.cname-test.keys IN TXT \"{}\" \"{}\"\n",
            &key[..255],
            &key[255..]
        ),
    ));
    // Duplicated: a second SPF and a second DMARC record.
    let d = "dup.test";
    let dup = format!(
        "{}{d}. IN TXT \"v=spf1 -all\"\n_dmarc.{d}. IN TXT \"v=DMARC1; p=none\"\n",
        good(d)
    );
    zones.push((d.to_owned(), dup));
    zones
}

async fn started() -> Nsd {
    let mut nsd = Nsd::start(&zones());
    nsd.wait_ready("correct.test").await;
    nsd
}

async fn report(nsd: &Nsd, domain: &str) -> DomainReport {
    verify_domain(
        &nsd.resolver(),
        &expected(domain),
        &VerifyOptions::default(),
    )
    .await
}

fn check<'a>(r: &'a DomainReport, name: &str, rtype: &str) -> &'a RecordCheck {
    match r.checks.iter().find(|c| c.name == name && c.rtype == rtype) {
        Some(c) => c,
        None => panic!("no check {name} {rtype} in {:?}", r.checks),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_domain_is_all_ok() {
    let nsd = started().await;
    let r = report(&nsd, "correct.test").await;
    for c in &r.checks {
        assert_eq!(
            c.status,
            CheckStatus::Ok,
            "{} {}: {:?} {:?}",
            c.name,
            c.rtype,
            c.message,
            c.found
        );
    }
    assert!(!r.needs_attention);
    assert!(r.complete);
    // The 255 + 165 split came back as published and joined to 420 bytes.
    let dkim = check(&r, "v1-rsa-20260822._domainkey.correct.test.", "TXT");
    assert_eq!(dkim.found.first().map(String::len), Some(420));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_records() {
    let nsd = started().await;
    let r = report(&nsd, "missing.test").await;
    assert_eq!(
        check(&r, "_dmarc.missing.test.", "TXT").status,
        CheckStatus::Missing
    );
    assert_eq!(
        check(&r, "missing.test.", "TXT").status,
        CheckStatus::Missing
    );
    assert_eq!(
        check(&r, "v1-rsa-20260822._domainkey.missing.test.", "TXT").status,
        CheckStatus::Missing
    );
    assert_eq!(check(&r, "missing.test.", "MX").status, CheckStatus::Ok);
    assert!(r.needs_attention);
    assert_eq!(r.count(CheckStatus::Missing), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatched_records() {
    let nsd = started().await;
    let r = report(&nsd, "mismatch.test").await;
    let spf = check(&r, "mismatch.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Mismatch);
    assert_eq!(spf.diff[0].field, "all");
    let dmarc = check(&r, "_dmarc.mismatch.test.", "TXT");
    assert_eq!(dmarc.status, CheckStatus::Mismatch);
    assert!(dmarc.warnings.iter().any(|w| w.contains("p=none")));
    assert_eq!(
        check(&r, "mismatch.test.", "MX").status,
        CheckStatus::Mismatch
    );
    assert_eq!(
        check(&r, "_dezky-challenge.mismatch.test.", "TXT").status,
        CheckStatus::Mismatch
    );
    assert!(r.needs_attention);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_txt_and_cname_delegated_dkim_are_ok() {
    let nsd = started().await;
    let r = report(&nsd, "split.test").await;
    let dkim = check(&r, "v1-rsa-20260822._domainkey.split.test.", "TXT");
    assert_eq!(dkim.status, CheckStatus::Ok, "{:?}", dkim.message);
    let r = report(&nsd, "cname.test").await;
    let dkim = check(&r, "v1-rsa-20260822._domainkey.cname.test.", "TXT");
    assert_eq!(
        dkim.status,
        CheckStatus::Ok,
        "{:?} {:?}",
        dkim.message,
        dkim.found
    );
    assert_eq!(
        dkim.via_cname.as_deref(),
        Some("rsa.cname-test.keys.provider.test.")
    );
    assert!(!r.needs_attention);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_policy_records_are_invalid() {
    let nsd = started().await;
    let r = report(&nsd, "dup.test").await;
    assert_eq!(check(&r, "dup.test.", "TXT").status, CheckStatus::Invalid);
    assert_eq!(
        check(&r, "_dmarc.dup.test.", "TXT").status,
        CheckStatus::Invalid
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_answers_nxdomain_nodata_refused_and_dead_server() {
    let nsd = started().await;
    let r = nsd.resolver();
    assert_eq!(
        r.lookup("nothing-here.correct.test.", QueryType::Txt).await,
        Answer::NxDomain
    );
    assert_eq!(
        r.lookup("correct.test.", QueryType::Srv).await,
        Answer::NoData
    );
    match r.lookup("correct.test.", QueryType::Mx).await {
        Answer::Records { records, .. } => assert_eq!(
            records,
            vec![RecordData::Mx {
                preference: 10,
                exchange: "mail.example.net.".to_owned()
            }]
        ),
        other => panic!("{other:?}"),
    }
    // A zone NSD does not serve: REFUSED, which is a failure, never "missing".
    let refused = r.lookup("refused.example.org.", QueryType::Txt).await;
    assert!(
        matches!(
            refused,
            Answer::Failure {
                kind: FailureKind::Refused,
                ..
            }
        ),
        "{refused:?}"
    );
    // A dead server (nothing listens on this port): unknown, not missing.
    let dead_port = {
        let nsd2_port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port());
        match nsd2_port {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    };
    let dead = match DnsResolver::new(ResolverSettings {
        port: dead_port,
        timeout: Duration::from_millis(300),
        attempts: 1,
        ..nsd.settings()
    }) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let report = verify_domain(&dead, &expected("correct.test"), &VerifyOptions::default()).await;
    assert!(
        report
            .checks
            .iter()
            .all(|c| c.status == CheckStatus::Unknown),
        "{:?}",
        report.checks
    );
    assert!(!report.needs_attention);
    assert!(!report.complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoritative_recheck_asks_the_zones_nameservers() {
    let nsd = started().await;
    let bootstrap = nsd.resolver();
    let auth = match bootstrap.authoritative("correct.test").await {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(auth.zone(), "correct.test.");
    assert_eq!(auth.nameservers(), [IpAddr::V4(nsd.address)]);
    let r = verify_domain(&auth, &expected("correct.test"), &VerifyOptions::default()).await;
    assert!(!r.needs_attention && r.complete, "{:?}", r.actions);
    // A zone without NS records anywhere: a clear error with its code.
    match bootstrap.authoritative("refused.example.org").await {
        Err(e) => assert_eq!(e.code(), "DEZKY_DNS_RESOLVER"),
        Ok(_) => panic!("expected an error"),
    }
}

/// Two zones, each with its own nameserver: `one.test` at 127.0.0.1 and
/// `two.test` at 127.0.0.2, on the same port. Each server also serves a stale
/// copy of the other's zone (DMARC `p=none`), so a domain asked at the wrong
/// server needs attention. A batch in authoritative mode must find every
/// domain correct, whatever its position in the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoritative_batch_asks_each_domains_own_nameservers() {
    let (a, b) = (Ipv4Addr::LOCALHOST, Ipv4Addr::new(127, 0, 0, 2));
    let good = |d: &str| format!("{}{}", stalwart_zone(d), ownership_line(d));
    let stale = |d: &str| good(d).replace("p=reject;", "p=none;");
    let port = free_port(&[a, b]);
    let mut nsd_a = Nsd::start_on(
        a,
        port,
        &[
            ("one.test".to_owned(), good("one.test"), a),
            ("two.test".to_owned(), stale("two.test"), b),
        ],
    );
    let mut nsd_b = Nsd::start_on(
        b,
        port,
        &[
            ("two.test".to_owned(), good("two.test"), b),
            ("one.test".to_owned(), stale("one.test"), a),
        ],
    );
    nsd_a.wait_ready("one.test").await;
    nsd_b.wait_ready("two.test").await;
    let options = VerifyOptions::default();
    let (one, two) = (expected("one.test"), expected("two.test"));

    // The servers disagree: each one's copy of the other zone is stale.
    let at_a = nsd_a.resolver();
    let at_b = nsd_b.resolver();
    assert!(verify_domain(&at_a, &two, &options).await.needs_attention);
    assert!(verify_domain(&at_b, &one, &options).await.needs_attention);
    let plain = at_a
        .verify_domains(&[one.clone(), two.clone()], &options, 4, false)
        .await;
    assert!(!plain[0].needs_attention && plain[1].needs_attention);

    // Authoritative: the bootstrap (server A) finds each zone's NS and its
    // address; each domain is then asked at its own server, in either order.
    for batch in [
        vec![one.clone(), two.clone()],
        vec![two.clone(), one.clone()],
    ] {
        for bootstrap in [&at_a, &at_b] {
            let reports = bootstrap.verify_domains(&batch, &options, 4, true).await;
            assert_eq!(reports.len(), 2);
            for (r, e) in reports.iter().zip(&batch) {
                assert_eq!(r.domain, e.domain);
                assert!(
                    !r.needs_attention && r.complete,
                    "{}: {:?}",
                    r.domain,
                    r.actions
                );
            }
        }
    }

    // A domain whose nameservers cannot be found: every check unknown, the
    // others still verified.
    let batch = [one.clone(), expected("nowhere.test"), two.clone()];
    let reports = at_a.verify_domains(&batch, &options, 1, true).await;
    assert!(!reports[0].needs_attention && reports[0].complete);
    assert!(!reports[2].needs_attention && reports[2].complete);
    let lost = &reports[1];
    assert!(!lost.needs_attention && !lost.complete);
    assert!(
        lost.checks.iter().all(|c| c.status == CheckStatus::Unknown
            && c.message
                .as_deref()
                .is_some_and(|m| m.contains("nowhere.test"))),
        "{:?}",
        lost.checks
    );
}

/// The SPF record of `spf.provider.test`: twelve lookups with the domain's
/// own `mx` and the `include` of it, over RFC 7208's limit of ten.
fn provider_zone() -> String {
    let includes: Vec<String> = (1..=10)
        .map(|i| format!("include:s{i}.provider.test"))
        .collect();
    // Two character-strings: one would exceed 255 bytes.
    let mut zone = format!(
        "spf IN TXT \"v=spf1 {} \" \"{} -all\"\n",
        includes[..5].join(" "),
        includes[5..].join(" ")
    );
    for i in 1..=10 {
        zone.push_str(&format!("s{i} IN TXT \"v=spf1 -all\"\n"));
    }
    zone
}

/// Authoritative mode asks a zone's own nameservers only for names inside the
/// zone. `routed.test` is served at 127.0.0.11 alone; `provider.test` (the
/// SPF include target, the DKIM key behind the selector's CNAME, the DMARC
/// report destination) and `example.net` (the MX host) at 127.0.0.12, which
/// also plays the recursive resolver and holds a stale copy of `routed.test`
/// (DMARC `p=none`) so that a name of the zone asked there would show.
/// `eu.routed.test` is verified below the zone apex: its records are in the
/// `routed.test` zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoritative_mode_resolves_names_outside_the_zone_recursively() {
    let (own, rec) = (Ipv4Addr::new(127, 0, 0, 11), Ipv4Addr::new(127, 0, 0, 12));
    let port = free_port(&[own, rec]);
    let d = "routed.test";
    let key = expected(d).checks[1].records[0]
        .txt_joined()
        .unwrap_or_default();
    let routed = format!(
        "{}v1-rsa-20260822._domainkey.{d}. IN CNAME rsa.keys.provider.test.\n{}{}",
        drop_lines(
            &format!("{}{}", stalwart_zone(d), ownership_line(d)),
            "v1-rsa-"
        )
        .replace("v=spf1 mx -all", "v=spf1 mx include:spf.provider.test -all")
        .replace(
            "rua=mailto:postmaster@routed.test",
            "rua=mailto:reports@provider.test"
        ),
        stalwart_zone("eu.routed.test"),
        ownership_line("eu.routed.test")
    );
    let provider = format!(
        "{}rsa.keys IN TXT \"{}\" \"{}\"\n{d}._report._dmarc IN TXT \"v=DMARC1\"\n@ IN MX 10 mail.example.net.\n",
        provider_zone(),
        &key[..255],
        &key[255..]
    );
    let mut own_nsd = Nsd::start_on(own, port, &[(d.to_owned(), routed.clone(), own)]);
    let mut rec_nsd = Nsd::start_on(
        rec,
        port,
        &[
            ("provider.test".to_owned(), provider, rec),
            ("example.net".to_owned(), HOST_ZONE.to_owned(), rec),
            (d.to_owned(), routed.replace("p=reject;", "p=none;"), own),
        ],
    );
    own_nsd.wait_ready(d).await;
    rec_nsd.wait_ready("provider.test").await;
    // The zone's own server serves nothing else.
    let at_own = own_nsd.resolver();
    let refused = at_own
        .lookup("rsa.keys.provider.test.", QueryType::Txt)
        .await;
    assert!(
        matches!(
            &refused,
            Answer::Failure {
                kind: FailureKind::Refused,
                ..
            }
        ),
        "{refused:?}"
    );

    let recursive = rec_nsd.resolver();
    let options = VerifyOptions::default();
    // Stalwart's zone for the domain, with DMARC reports sent to the provider.
    let routed_expected = match ExpectedRecords::new(
        d,
        &stalwart_zone(d).replace(
            "rua=mailto:postmaster@routed.test",
            "rua=mailto:reports@provider.test",
        ),
        Some(TOKEN),
    ) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let batch = [routed_expected, expected("eu.routed.test")];
    let reports = recursive.verify_domains(&batch, &options, 2, true).await;
    let single = match recursive.verify_domain(&batch[0], &options, true).await {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    for r in [&reports[0], &single] {
        let dkim = check(r, "v1-rsa-20260822._domainkey.routed.test.", "TXT");
        assert_eq!(
            dkim.status,
            CheckStatus::Ok,
            "{:?} {:?}",
            dkim.message,
            dkim.found
        );
        assert_eq!(dkim.via_cname.as_deref(), Some("rsa.keys.provider.test."));
        let spf = check(r, "routed.test.", "TXT");
        assert_eq!(
            spf.status,
            CheckStatus::Invalid,
            "{:?} {:?}",
            spf.message,
            spf.warnings
        );
        let dmarc = check(r, "_dmarc.routed.test.", "TXT");
        assert_eq!(dmarc.status, CheckStatus::Ok, "{:?}", dmarc.warnings);
        assert!(
            dmarc.warnings.iter().all(|w| !w.contains("provider.test")),
            "{:?}",
            dmarc.warnings
        );
        let mx = check(r, "routed.test.", "MX");
        assert!(
            mx.status == CheckStatus::Ok && mx.warnings.is_empty(),
            "{:?} {:?}",
            mx.status,
            mx.warnings
        );
        assert!(r.complete, "{:?}", r.actions);
        assert_eq!(r.count(CheckStatus::Unknown), 0);
    }
    // Below the zone apex: the zone cut comes from the SOA.
    let eu = &reports[1];
    assert!(eu.complete && !eu.needs_attention, "{:?}", eu.actions);
}

/// Response-rate limiting as NSD does it by default, but at 5 identical
/// answers a second per client network, and every answer over the limit
/// dropped (no truncated "slip" answers that would send the client to TCP).
const RRL: &str = "    rrl-ratelimit: 5\n    rrl-whitelist-ratelimit: 5\n    rrl-slip: 0\n";

/// Twelve domains on one platform nameserver (127.0.0.21), all with the MX
/// host `mail.example.net`, verified in one authoritative batch with every
/// domain in flight at once. The recursive stand-in (NSD at 127.0.0.23, with
/// copies of the zones for the NS lookups and `example.net`) is reached
/// through a counting forwarder at 127.0.0.22. Both servers rate-limit
/// identical answers. The batch completes with no `unknown` check and the MX
/// host is asked once per type, not once per domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authoritative_batch_asks_shared_names_once_under_rate_limiting() {
    let platform = Ipv4Addr::new(127, 0, 0, 21);
    let proxy_ip = Ipv4Addr::new(127, 0, 0, 22);
    let rec = Ipv4Addr::new(127, 0, 0, 23);
    let port = free_port(&[platform, proxy_ip, rec]);
    let domains: Vec<String> = (0..12).map(|i| format!("d{i:02}.test")).collect();
    let good = |d: &str| format!("{}{}", stalwart_zone(d), ownership_line(d));
    let own_zones: Vec<_> = domains
        .iter()
        .map(|d| (d.clone(), good(d), platform))
        .collect();
    let mut rec_zones = own_zones.clone();
    rec_zones.push(("example.net".to_owned(), HOST_ZONE.to_owned(), rec));
    let mut platform_nsd = Nsd::start_with(platform, port, &own_zones, RRL);
    let mut rec_nsd = Nsd::start_with(rec, port, &rec_zones, RRL);
    platform_nsd.wait_ready("d00.test").await;
    rec_nsd.wait_ready("example.net").await;
    let proxy = CountingProxy::start((proxy_ip, port).into(), (rec, port).into());
    let recursive = match DnsResolver::new(ResolverSettings {
        nameservers: vec![IpAddr::V4(proxy_ip)],
        port,
        timeout: Duration::from_millis(500),
        attempts: 1,
        cache_size: 0,
        recursion_desired: true,
    }) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let batch: Vec<ExpectedRecords> = domains.iter().map(|d| expected(d)).collect();
    let started = std::time::Instant::now();
    let reports = recursive
        .verify_domains(&batch, &VerifyOptions::default(), batch.len(), true)
        .await;
    let elapsed = started.elapsed();
    for r in &reports {
        assert!(
            r.complete && !r.needs_attention,
            "{}: {:?}",
            r.domain,
            r.actions
        );
        assert_eq!(r.count(CheckStatus::Unknown), 0, "{}", r.domain);
        let mx = check(r, &format!("{}.", r.domain.trim_end_matches('.')), "MX");
        assert!(mx.warnings.is_empty(), "{:?}", mx.warnings);
    }
    // A and AAAA of the MX host, each once (one retry allowed for a dropped answer).
    let asked = proxy.count("mail.example.net.");
    assert!(
        (2..=4).contains(&asked),
        "mail.example.net asked {asked} times"
    );
    // Each domain's NS record is asked once, not once per question.
    for d in &domains {
        assert!(
            proxy.count(&format!("{d}.")) <= 4,
            "{d}: {}",
            proxy.count(&format!("{d}."))
        );
    }
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn public_defaults_are_configuration_only() {
    // Building the default resolver touches no network; it is never queried here.
    let s = ResolverSettings::default();
    assert_eq!(s.nameservers.len(), 2);
    assert_eq!(s.port, 53);
    assert!(
        DnsResolver::new(ResolverSettings {
            nameservers: vec![],
            ..s
        })
        .is_err()
    );
}
