//! The verifier against a fake resolver: every status, every record type.

use std::collections::HashMap;

use super::verify::organizational_domain;
use super::*;

const STALWART: &str = include_str!("../../../tests/fixtures/dns/stalwart-acme.zone");
const TOKEN: &str = "k3J9xQ2mP7vR4tW8yZ1aB5cD";

/// A resolver answering from zone text, like an authoritative server: records
/// of the asked type, CNAMEs followed, NODATA for a name with other records,
/// NXDOMAIN otherwise; plus injected failures.
struct Fake {
    records: Vec<ZoneRecord>,
    failures: HashMap<(String, QueryType), FailureKind>,
}

impl Fake {
    fn new(zone: &str) -> Fake {
        match parse_zone_file(zone, None) {
            Ok(records) => Fake {
                records,
                failures: HashMap::new(),
            },
            Err(e) => panic!("fake zone: {e}"),
        }
    }

    fn fail(mut self, name: &str, qtype: QueryType, kind: FailureKind) -> Fake {
        self.failures.insert((normalize_name(name), qtype), kind);
        self
    }

    fn answer(&self, name: &str, qtype: QueryType, chain: Vec<String>) -> Answer {
        if let Some(kind) = self.failures.get(&(name.to_owned(), qtype)) {
            return Answer::Failure {
                kind: *kind,
                message: "injected".to_owned(),
            };
        }
        let at: Vec<&ZoneRecord> = self.records.iter().filter(|r| r.name == name).collect();
        let of_type: Vec<RecordData> = at
            .iter()
            .filter(|r| QueryType::from_mnemonic(r.data.rtype()) == Some(qtype))
            .map(|r| r.data.clone())
            .collect();
        if !of_type.is_empty() {
            return Answer::Records {
                records: of_type,
                cname_chain: chain,
            };
        }
        if let Some(RecordData::Cname { target }) = at
            .iter()
            .map(|r| &r.data)
            .find(|d| matches!(d, RecordData::Cname { .. }))
            && chain.len() < 8
        {
            let mut chain = chain;
            chain.push(target.clone());
            return self.answer(target, qtype, chain);
        }
        if at.is_empty() {
            Answer::NxDomain
        } else {
            Answer::NoData
        }
    }
}

impl Resolver for Fake {
    fn lookup(
        &self,
        name: &str,
        qtype: QueryType,
    ) -> impl std::future::Future<Output = Answer> + Send {
        let answer = self.answer(&normalize_name(name), qtype, Vec::new());
        async move { answer }
    }
}

fn expected() -> ExpectedRecords {
    match ExpectedRecords::new("acme.test", STALWART, Some(TOKEN)) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

/// Everything published as expected, plus the hosts SPF and MX need.
fn good_zone() -> String {
    format!(
        "{STALWART}\n_dezky-challenge.acme.test. IN TXT \"dezky-domain-verification={TOKEN}\"\nmail.example.net. IN A 192.0.2.10\n"
    )
}

fn with(zone: &str, drop: &str, add: &str) -> String {
    let kept: Vec<&str> = zone
        .lines()
        .filter(|l| drop.is_empty() || !l.contains(drop))
        .collect();
    format!("{}\n{add}\n", kept.join("\n"))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("runtime: {e}"),
    }
}

fn report(zone: &str) -> DomainReport {
    block_on(verify_domain(
        &Fake::new(zone),
        &expected(),
        &VerifyOptions::default(),
    ))
}

fn check<'a>(r: &'a DomainReport, name: &str, rtype: &str) -> &'a RecordCheck {
    match r.checks.iter().find(|c| c.name == name && c.rtype == rtype) {
        Some(c) => c,
        None => panic!("no check {name} {rtype}"),
    }
}

const RSA: &str = "v1-rsa-20260822._domainkey.acme.test.";

#[test]
fn parses_stalwart_zone_with_split_txt() -> crate::Result<()> {
    let records = parse_zone_file(STALWART, None)?;
    assert_eq!(records.len(), 12);
    let dkim = &records[1];
    assert_eq!(dkim.name, RSA);
    let RecordData::Txt { strings } = &dkim.data else {
        panic!("not TXT")
    };
    assert_eq!(
        strings.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![255, 165]
    );
    assert!(
        dkim.data
            .txt_joined()
            .is_some_and(|t| t.starts_with("v=DKIM1; k=rsa; h=sha256; p=MIIB") && t.len() == 420)
    );
    assert_eq!(
        records[3].data,
        RecordData::Mx {
            preference: 10,
            exchange: "mail.example.net.".to_owned()
        }
    );
    Ok(())
}

#[test]
fn parses_escapes_comments_relative_names_and_reports_lines() -> crate::Result<()> {
    let zone = "; a comment\n$TTL 600\nAcme.Test. IN TXT \"a\\\"b\\\\c\\065\" ; trailing comment\nwww 300 CNAME Mail.Example.NET.\n";
    let records = parse_zone_file(zone, Some("acme.test"))?;
    assert_eq!(records[0].name, "acme.test.");
    assert_eq!(records[0].ttl, 600);
    assert_eq!(records[0].data.txt_joined().as_deref(), Some("a\"b\\cA"));
    assert_eq!(records[1].name, "www.acme.test.");
    assert_eq!(
        records[1].data,
        RecordData::Cname {
            target: "mail.example.net.".to_owned()
        }
    );
    let err = parse_zone_file(
        "acme.test. IN TXT \"ok\"\nacme.test. IN MX ten mail.\n",
        None,
    );
    match err {
        Err(e @ crate::Error::ZoneParse { line: 2, .. }) => {
            assert_eq!(e.code(), "DEZKY_ZONE_PARSE")
        }
        other => panic!("expected a parse error on line 2, got {other:?}"),
    }
    // domain 0.12.3 indexes past its buffer on this input; it must never reach it.
    match parse_zone_file("acme.test. IN TXT (\"unbalanced\"", None) {
        Err(crate::Error::ZoneParse { line: 1, message }) => {
            assert!(message.contains("never closed"))
        }
        other => panic!("{other:?}"),
    }
    assert!(parse_zone_file("acme.test. IN TXT \"open\n", None).is_err());
    assert!(parse_zone_file("$INCLUDE other.zone\n", None).is_err());
    Ok(())
}

#[test]
fn expected_records_snippet_and_table() -> crate::Result<()> {
    let e = expected();
    // 12 records at 12 (name, type) pairs, plus ownership.
    assert_eq!(e.checks.len(), 13);
    let last = e.checks.last().map(|c| (c.name.as_str(), c.kind.clone()));
    assert_eq!(
        last,
        Some(("_dezky-challenge.acme.test.", RecordKind::Ownership))
    );
    assert!(
        matches!(&e.checks[1].kind, RecordKind::Dkim { selector } if selector == "v1-rsa-20260822")
    );
    // The snippet is a zone file that parses back to the same records.
    let snippet = e.to_zone_snippet();
    assert!(snippet.contains("acme.test. IN TXT \"v=spf1 mx -all\"\n"));
    assert!(snippet.contains(&format!(
        "_dezky-challenge.acme.test. IN TXT \"dezky-domain-verification={TOKEN}\""
    )));
    let again = ExpectedRecords::from_records("acme.test", parse_zone_file(&snippet, None)?, None)?;
    assert_eq!(again.checks, e.checks);
    let table = e.table();
    let dmarc = table
        .iter()
        .find(|r| r.purpose == "DMARC")
        .map(|r| (r.host.as_str(), r.rtype.as_str(), r.value.as_str()));
    assert_eq!(
        dmarc,
        Some((
            "_dmarc",
            "TXT",
            "v=DMARC1; p=reject; rua=mailto:postmaster@acme.test"
        ))
    );
    let spf = table
        .iter()
        .find(|r| r.purpose == "SPF")
        .map(|r| r.host.as_str());
    assert_eq!(spf, Some("@"));
    let rsa = table.iter().find(|r| r.name == RSA).map(|r| r.value.len());
    assert_eq!(rsa, Some(420));
    // Bad tokens and domains are refused.
    assert!(matches!(
        ExpectedRecords::new("acme.test", STALWART, Some("short")),
        Err(crate::Error::Invalid { .. })
    ));
    assert!(ExpectedRecords::new("acme.test", STALWART, Some("has space in it 1234")).is_err());
    Ok(())
}

#[test]
fn all_ok_with_different_split_case_and_whitespace() {
    let mut zone = good_zone();
    // The RSA key re-split at another place and with spaces inside `p=`.
    let e = expected();
    let key = e.checks[1].records[0].txt_joined().unwrap_or_default();
    let (a, rest) = key.split_at(100);
    let (b, c) = rest.split_at(200);
    zone = with(&zone, "", "");
    let zone = zone
        .replace(
            "v1-rsa-20260822._domainkey.acme.test. IN TXT (",
            "; replaced\nremoved-rsa. IN TXT (",
        )
        .replace(
            "acme.test. IN TXT \"v=spf1 mx -all\"",
            "ACME.test. IN TXT \"V=SPF1   +MX -ALL\"",
        )
        .replace(
            "v=DMARC1; p=reject; rua=mailto:postmaster@acme.test",
            "v=DMARC1;p=REJECT; rua=mailto:postmaster@ACME.TEST; pct=100",
        );
    let zone = format!("{zone}\n{RSA} IN TXT ( \"{a} \"\n \"{b}\" ; comment\n \"{c}\" )\n");
    let r = report(&zone);
    for c in &r.checks {
        assert_eq!(
            c.status,
            CheckStatus::Ok,
            "{} {}: {:?}",
            c.name,
            c.rtype,
            c.message
        );
    }
    assert!(!r.needs_attention);
    assert!(r.complete);
    assert!(r.actions.is_empty(), "{:?}", r.actions);
}

#[test]
fn missing_records_nxdomain_and_nodata() {
    let zone = with(&good_zone(), "_dmarc.acme.test.", "");
    let zone = with(&zone, "v=spf1", "");
    let r = report(&zone);
    let dmarc = check(&r, "_dmarc.acme.test.", "TXT");
    assert_eq!(dmarc.status, CheckStatus::Missing);
    assert!(
        dmarc
            .message
            .as_deref()
            .is_some_and(|m| m.contains("NXDOMAIN"))
    );
    // The apex still exists (MX), so SPF is NODATA.
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Missing);
    // An apex TXT that is not SPF still leaves SPF missing.
    let r = report(&with(
        &zone,
        "",
        "acme.test. IN TXT \"google-site-verification=x\"",
    ));
    assert_eq!(check(&r, "acme.test.", "TXT").status, CheckStatus::Missing);
    assert!(r.needs_attention);
    assert!(
        r.actions
            .iter()
            .any(|a| a.starts_with("Publish _dmarc.acme.test TXT (DMARC)"))
    );
    assert_eq!(r.count(CheckStatus::Missing), 2);
}

#[test]
fn spf_mismatch_carries_a_field_diff() {
    let r = report(&good_zone().replace("v=spf1 mx -all", "v=spf1 mx a ~all"));
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Mismatch);
    assert!(spf.diff.contains(&FieldDiff {
        field: "all".to_owned(),
        expected: Some("-all".to_owned()),
        found: Some("~all".to_owned())
    }));
    assert!(spf.diff.contains(&FieldDiff {
        field: "mechanism".to_owned(),
        expected: None,
        found: Some("a".to_owned())
    }));
    // Order matters.
    let r = report(&good_zone().replace("v=spf1 mx -all", "v=spf1 -all mx"));
    assert_eq!(check(&r, "acme.test.", "TXT").status, CheckStatus::Mismatch);
}

#[test]
fn spf_extra_includes_are_tolerated_with_a_warning() {
    let zone = good_zone().replace(
        "v=spf1 mx -all",
        "v=spf1 mx include:_spf.acme.test ip4:192.0.2.0/24 -all",
    );
    let zone = format!("{zone}\n_spf.acme.test. IN TXT \"v=spf1 ip4:198.51.100.1 -all\"\n");
    let r = report(&zone);
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Ok, "{:?}", spf.message);
    assert!(spf.warnings.iter().any(|w| w.contains("extra")));
    assert_eq!(spf.diff.len(), 2);
}

#[test]
fn spf_invalid_cases() {
    // Two SPF records: invalid even though one matches.
    let r = report(&format!(
        "{}\nacme.test. IN TXT \"v=spf1 -all\"\n",
        good_zone()
    ));
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Invalid);
    assert!(
        spf.message
            .as_deref()
            .is_some_and(|m| m.contains("2 SPF records"))
    );
    // Syntax error.
    let r = report(&good_zone().replace("v=spf1 mx -all", "v=spf1 mx bogus -all"));
    assert_eq!(check(&r, "acme.test.", "TXT").status, CheckStatus::Invalid);
    // More than 10 lookups through includes.
    let mut zone = good_zone().replace(
        "v=spf1 mx -all",
        "v=spf1 mx include:a.spf.acme.test include:b.spf.acme.test -all",
    );
    zone.push_str(
        "a.spf.acme.test. IN TXT \"v=spf1 a mx a:mail.example.net exists:x.test ptr -all\"\n",
    );
    zone.push_str("b.spf.acme.test. IN TXT \"v=spf1 a:mail.example.net a:mail.example.net a:mail.example.net a:mail.example.net -all\"\n");
    zone.push_str("a.spf.acme.test. IN A 192.0.2.1\na.spf.acme.test. IN MX 10 mail.example.net.\n");
    let r = report(&zone);
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Invalid, "{:?}", spf.message);
    assert!(
        spf.message
            .as_deref()
            .is_some_and(|m| m.contains("more than 10"))
    );
    // Three void lookups.
    let zone = good_zone().replace(
        "v=spf1 mx -all",
        "v=spf1 mx a:void1.acme.test a:void2.acme.test a:void3.acme.test -all",
    );
    let spf = check(&report(&zone), "acme.test.", "TXT").clone();
    assert_eq!(spf.status, CheckStatus::Invalid);
    assert!(spf.message.as_deref().is_some_and(|m| m.contains("void")));
    // An include without an SPF record is a permerror.
    let zone = good_zone().replace("v=spf1 mx -all", "v=spf1 mx include:nothing.acme.test -all");
    assert_eq!(
        check(&report(&zone), "acme.test.", "TXT").status,
        CheckStatus::Invalid
    );
}

#[test]
fn spf_warnings_plus_all_and_near_limit() {
    let r = report(&good_zone().replace("v=spf1 mx -all", "v=spf1 mx +all"));
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Mismatch);
    assert!(spf.warnings.iter().any(|w| w.contains("+all")));
    // The diff shows the `+` it found (and a bare `all` as the `+all` it means).
    for record in ["v=spf1 mx +all", "v=spf1 mx all"] {
        let r = report(&good_zone().replace("v=spf1 mx -all", record));
        let spf = check(&r, "acme.test.", "TXT");
        let all = spf.diff.iter().find(|d| d.field == "all");
        assert_eq!(
            all.map(|d| (d.expected.as_deref(), d.found.as_deref())),
            Some((Some("-all"), Some("+all"))),
            "{record}: {:?}",
            spf.diff
        );
    }
    let terms = "a:mail.example.net ".repeat(7);
    let r = report(&good_zone().replace("v=spf1 mx -all", &format!("v=spf1 mx {terms}-all")));
    let spf = check(&r, "acme.test.", "TXT");
    assert!(
        spf.warnings.iter().any(|w| w.contains("8 of at most 10")),
        "{:?}",
        spf.warnings
    );
}

#[test]
fn dmarc_statuses() {
    let r = report(&good_zone().replace("p=reject; rua=", "p=none; rua="));
    let d = check(&r, "_dmarc.acme.test.", "TXT");
    assert_eq!(d.status, CheckStatus::Mismatch);
    assert!(
        d.diff
            .iter()
            .any(|f| f.field == "p" && f.found.as_deref() == Some("none"))
    );
    assert!(d.diff.iter().any(|f| f.field == "sp"));
    assert!(d.warnings.iter().any(|w| w.contains("p=none")));
    let r = report(&format!(
        "{}\n_dmarc.acme.test. IN TXT \"v=DMARC1; p=none\"\n",
        good_zone()
    ));
    assert_eq!(
        check(&r, "_dmarc.acme.test.", "TXT").status,
        CheckStatus::Invalid
    );
    let r = report(&good_zone().replace("p=reject; rua=", "p=block; rua="));
    assert_eq!(
        check(&r, "_dmarc.acme.test.", "TXT").status,
        CheckStatus::Invalid
    );
    // Defaults: an explicit sp=reject, adkim=r equal the expected record.
    let r = report(&good_zone().replace("p=reject; rua=", "p=reject; sp=reject; adkim=r; rua="));
    assert_eq!(
        check(&r, "_dmarc.acme.test.", "TXT").status,
        CheckStatus::Ok
    );
}

#[test]
fn dkim_statuses_and_cname_delegation() {
    let e = expected();
    let key = e.checks[1].records[0].txt_joined().unwrap_or_default();
    let base = with(&good_zone(), "", "").replace(&format!("{RSA} IN TXT ("), "; x\nold. IN TXT (");
    // Delegated through a CNAME to a provider.
    let zone = format!(
        "{base}\n{RSA} IN CNAME rsa.dkim.provider.test.\nrsa.dkim.provider.test. IN TXT \"{}\" \"{}\"\n",
        &key[..200],
        &key[200..]
    );
    let r = report(&zone);
    let d = check(&r, RSA, "TXT");
    assert_eq!(d.status, CheckStatus::Ok, "{:?}", d.message);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.via_cname.as_deref(), Some("rsa.dkim.provider.test."));
    // Another key.
    let other = key.replace("AQEAyCCX", "AQEAyCCY");
    let r = report(&format!(
        "{base}\n{RSA} IN TXT \"{}\" \"{}\"\n",
        &other[..255],
        &other[255..]
    ));
    let d = check(&r, RSA, "TXT");
    assert_eq!(d.status, CheckStatus::Mismatch);
    assert!(d.diff.iter().any(|f| f.field == "p"));
    // Revoked.
    let r = report(&format!("{base}\n{RSA} IN TXT \"v=DKIM1; k=rsa; p=\"\n"));
    assert_eq!(check(&r, RSA, "TXT").status, CheckStatus::Mismatch);
    // Duplicate tag.
    let r = report(&format!(
        "{base}\n{RSA} IN TXT \"v=DKIM1; k=rsa; k=rsa; p=AAAA\"\n"
    ));
    assert_eq!(check(&r, RSA, "TXT").status, CheckStatus::Invalid);
    // Two keys at one selector.
    let r = report(&format!(
        "{base}\n{RSA} IN TXT \"v=DKIM1; p=AAAA\"\n{RSA} IN TXT \"v=DKIM1; p=BBBB\"\n"
    ));
    assert_eq!(check(&r, RSA, "TXT").status, CheckStatus::Invalid);
    // `h` differing is a warning only.
    let ed = "v1-ed25519-20260822._domainkey.acme.test.";
    let ed_key = e.checks[0].records[0]
        .txt_joined()
        .unwrap_or_default()
        .replace("h=sha256; ", "");
    let r = report(&format!(
        "{}\n{ed} IN TXT \"{ed_key}\"\n",
        with(&good_zone(), ed, "")
    ));
    let d = check(&r, ed, "TXT");
    assert_eq!(d.status, CheckStatus::Ok);
    assert!(d.warnings.iter().any(|w| w.contains("`h`")));
}

#[test]
fn mx_as_a_set() {
    let zone = with(
        &good_zone(),
        "IN MX",
        "acme.test. IN MX 20 mail.example.net.",
    );
    let r = report(&zone);
    let mx = check(&r, "acme.test.", "MX");
    assert_eq!(mx.status, CheckStatus::Ok);
    assert!(mx.warnings.iter().any(|w| w.contains("preferences differ")));
    let zone = with(&good_zone(), "", "acme.test. IN MX 5 backup.example.net.");
    let mx = check(&report(&zone), "acme.test.", "MX").clone();
    assert_eq!(mx.status, CheckStatus::Mismatch);
    assert_eq!(
        mx.diff,
        vec![FieldDiff {
            field: "exchange".to_owned(),
            expected: None,
            found: Some("5 backup.example.net.".to_owned())
        }]
    );
    assert!(
        mx.warnings
            .iter()
            .any(|w| w.contains("backup.example.net has no A/AAAA"))
    );
    let zone = with(
        &good_zone(),
        "mail.example.net. IN A",
        "mail.example.net. IN CNAME host.example.net.\nhost.example.net. IN A 192.0.2.1",
    );
    let mx = check(&report(&zone), "acme.test.", "MX").clone();
    assert!(
        mx.warnings.iter().any(|w| w.contains("CNAME")),
        "{:?}",
        mx.warnings
    );
}

#[test]
fn ownership_cname_srv_sts_tlsrpt() {
    let own = "_dezky-challenge.acme.test.";
    let r = report(&good_zone().replace(TOKEN, "another-token-0123456789"));
    assert_eq!(check(&r, own, "TXT").status, CheckStatus::Mismatch);
    let r = report(&with(&good_zone(), "_dezky-challenge", ""));
    assert_eq!(check(&r, own, "TXT").status, CheckStatus::Missing);
    let r = report(&with(
        &good_zone(),
        "autoconfig",
        "autoconfig.acme.test. IN CNAME other.example.net.",
    ));
    let c = check(&r, "autoconfig.acme.test.", "CNAME");
    assert_eq!(c.status, CheckStatus::Mismatch);
    assert_eq!(c.diff[0].found.as_deref(), Some("other.example.net."));
    let r = report(&good_zone().replace("0 1 993", "0 1 143"));
    assert_eq!(
        check(&r, "_imaps._tcp.acme.test.", "SRV").status,
        CheckStatus::Mismatch
    );
    let r = report(&good_zone().replace("id=20260822T000000", "id=not-alnum!"));
    assert_eq!(
        check(&r, "_mta-sts.acme.test.", "TXT").status,
        CheckStatus::Invalid
    );
    let r = report(&good_zone().replace("id=20260822T000000", "id=20260901"));
    let sts = check(&r, "_mta-sts.acme.test.", "TXT");
    assert_eq!(sts.status, CheckStatus::Mismatch);
    assert_eq!(sts.diff[0].field, "id");
    let r = report(&good_zone().replace(
        "TLSRPTv1; rua=mailto:postmaster@acme.test",
        "TLSRPTv1; rua=mailto:tls@acme.test",
    ));
    assert_eq!(
        check(&r, "_smtp._tls.acme.test.", "TXT").status,
        CheckStatus::Mismatch
    );
}

#[test]
fn failures_are_unknown_never_missing() {
    for kind in [
        FailureKind::Timeout,
        FailureKind::ServFail,
        FailureKind::Refused,
        FailureKind::Network,
    ] {
        let fake = Fake::new(&good_zone())
            .fail("_dmarc.acme.test", QueryType::Txt, kind)
            .fail("acme.test", QueryType::Mx, kind);
        let r = block_on(verify_domain(&fake, &expected(), &VerifyOptions::default()));
        assert_eq!(
            check(&r, "_dmarc.acme.test.", "TXT").status,
            CheckStatus::Unknown
        );
        assert_eq!(check(&r, "acme.test.", "MX").status, CheckStatus::Unknown);
        assert!(!r.complete);
        assert!(!r.needs_attention, "unknown alone does not raise the badge");
        assert!(r.actions.iter().any(|a| a.starts_with("Recheck")));
    }
    // A failure while following an include is a warning, not a verdict.
    let zone = good_zone().replace("v=spf1 mx -all", "v=spf1 mx include:_spf.acme.test -all");
    let fake = Fake::new(&zone).fail("_spf.acme.test", QueryType::Txt, FailureKind::Timeout);
    let r = block_on(verify_domain(&fake, &expected(), &VerifyOptions::default()));
    let spf = check(&r, "acme.test.", "TXT");
    assert_eq!(spf.status, CheckStatus::Ok);
    assert!(
        spf.warnings
            .iter()
            .any(|w| w.contains("could not be checked"))
    );
}

#[test]
fn verify_domains_keeps_order_and_bounds_concurrency() {
    let fake = Fake::new(&good_zone());
    let list = vec![expected(), expected(), expected()];
    let reports = block_on(verify_domains(&fake, &list, &VerifyOptions::default(), 2));
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| !r.needs_attention && r.complete));
}

#[test]
fn report_serializes_with_wire_names() -> Result<(), serde_json::Error> {
    let r = report(&good_zone().replace("v=spf1 mx -all", "v=spf1 mx ~all"));
    let json = serde_json::to_value(&r)?;
    assert_eq!(json["needs_attention"], true);
    let spf = json["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"]["kind"] == "spf").cloned())
        .unwrap_or_default();
    assert_eq!(spf["status"], "mismatch");
    assert_eq!(spf["type"], "TXT");
    Ok(())
}

#[test]
fn tlsa_and_caa_are_compared_as_sets() -> crate::Result<()> {
    let tlsa = "_25._tcp.mail.acme.test. IN TLSA 3 1 1 ABCDEF0123456789\n";
    let caa = "acme.test. IN CAA 0 issue \"letsencrypt.org\"\nacme.test. IN CAA 0 iodef \"mailto:sec@acme.test\"\n";
    let expected = ExpectedRecords::new("acme.test", &format!("{tlsa}{caa}"), None)?;
    assert_eq!(expected.checks.len(), 2);
    assert_eq!(expected.checks[1].records.len(), 2);
    let run = |zone: &str| {
        block_on(verify_domain(
            &Fake::new(zone),
            &expected,
            &VerifyOptions::default(),
        ))
    };
    // Same records, hex in another case: ok.
    let r = run(&format!("{}{caa}", tlsa.replace("ABCDEF", "abcdef")));
    assert!(
        r.checks.iter().all(|c| c.status == CheckStatus::Ok),
        "{:?}",
        r.checks
    );
    // One CAA record missing: mismatch naming it; an extra one: ok with a warning.
    let r = run(&format!(
        "{tlsa}acme.test. IN CAA 0 issue \"letsencrypt.org\"\n"
    ));
    let c = check(&r, "acme.test.", "CAA");
    assert_eq!(c.status, CheckStatus::Mismatch);
    assert_eq!(
        c.diff[0].expected.as_deref(),
        Some("0 iodef \"mailto:sec@acme.test\"")
    );
    let r = run(&format!(
        "{tlsa}{caa}acme.test. IN CAA 0 issue \"other-ca.test\"\n"
    ));
    let c = check(&r, "acme.test.", "CAA");
    assert_eq!(c.status, CheckStatus::Ok);
    assert!(c.warnings.iter().any(|w| w.contains("extra")));
    // Another TLSA digest: mismatch; no TLSA: missing.
    assert_eq!(
        check(
            &run(&format!("{}{caa}", tlsa.replace("ABCDEF", "000000"))),
            "_25._tcp.mail.acme.test.",
            "TLSA"
        )
        .status,
        CheckStatus::Mismatch
    );
    assert_eq!(
        check(&run(caa), "_25._tcp.mail.acme.test.", "TLSA").status,
        CheckStatus::Missing
    );
    Ok(())
}

/// A DKIM RSA key record whose modulus has `bits` bits, as a SubjectPublicKeyInfo.
fn rsa_key_record(bits: usize) -> String {
    use base64::Engine;
    use simple_asn1::{ASN1Block, BigInt, BigUint, oid, to_der};
    let mut modulus = vec![0xc5; bits.div_ceil(8)];
    modulus[0] = 0xff >> (modulus.len() * 8 - bits);
    let key = ASN1Block::Sequence(
        0,
        vec![
            ASN1Block::Integer(0, BigInt::from(BigUint::from_bytes_be(&modulus))),
            ASN1Block::Integer(0, BigInt::from(65537)),
        ],
    );
    let key = to_der(&key).unwrap_or_default();
    let spki = ASN1Block::Sequence(
        0,
        vec![
            ASN1Block::Sequence(
                0,
                vec![
                    ASN1Block::ObjectIdentifier(0, oid!(1, 2, 840, 113549, 1, 1, 1)),
                    ASN1Block::Null(0),
                ],
            ),
            ASN1Block::BitString(0, key.len() * 8, key),
        ],
    );
    let der = to_der(&spki).unwrap_or_default();
    format!(
        "v=DKIM1; k=rsa; h=sha256; p={}",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

#[test]
fn dkim_rsa_key_sizes() {
    let published = |record: &str| {
        // Character strings of at most 255 bytes (the record is ASCII).
        let strings: Vec<String> = record
            .as_bytes()
            .chunks(255)
            .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
            .collect();
        let zone =
            with(&good_zone(), "", "").replace(&format!("{RSA} IN TXT ("), "; x\nold. IN TXT (");
        report(&format!("{zone}\n{RSA} IN TXT {}\n", strings.join(" ")))
    };
    // Under 1024 bits: receivers ignore its signatures.
    for bits in [512, 1023] {
        let r = published(&rsa_key_record(bits));
        let d = check(&r, RSA, "TXT");
        assert_eq!(d.status, CheckStatus::Invalid, "{bits} bits");
        let message = d.message.clone().unwrap_or_default();
        assert!(message.contains(&format!("{bits} bits")), "{message}");
    }
    // 1024 to 2047 bits: usable, with a warning (and here another key than expected).
    for bits in [1024, 1536, 2047] {
        let r = published(&rsa_key_record(bits));
        let d = check(&r, RSA, "TXT");
        assert_eq!(d.status, CheckStatus::Mismatch, "{bits} bits");
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains(&format!("{bits} bits"))),
            "{:?}",
            d.warnings
        );
    }
    // 2048 bits and more: no warning about the size.
    let r = published(&rsa_key_record(4096));
    let d = check(&r, RSA, "TXT");
    assert_eq!(d.status, CheckStatus::Mismatch);
    assert!(
        !d.warnings.iter().any(|w| w.contains("bits")),
        "{:?}",
        d.warnings
    );
    // `k=rsa` with a key that is no RSA key (an Ed25519 one, or bytes that are no DER).
    for p in [
        "MCowBQYDK2VwAyEASeOJ9s9l2bYHuvnXs2z4ne2Q1uBhLQ4V6fwLQvT6qW4=",
        "AAAA",
    ] {
        let r = published(&format!("v=DKIM1; k=rsa; p={p}"));
        let d = check(&r, RSA, "TXT");
        assert_eq!(d.status, CheckStatus::Invalid, "{p}");
    }
}

fn dmarc_check(zone: &str) -> RecordCheck {
    check(&report(zone), "_dmarc.acme.test.", "TXT").clone()
}

/// The expected records with `rua` pointing at `destination`, and a zone publishing exactly them.
fn zone_with_rua(destination: &str, extra: &str) -> String {
    with(
        &good_zone().replace(
            "mailto:postmaster@acme.test",
            &format!("mailto:{destination}"),
        ),
        "",
        extra,
    )
}

#[test]
fn dmarc_report_destinations() {
    // A destination in the domain's own organisational domain needs no authorisation.
    let d = dmarc_check(&good_zone());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let d = dmarc_check(&zone_with_rua(
        "dmarc@reports.acme.test",
        "reports.acme.test. IN MX 10 mail.example.net.",
    ));
    assert!(
        d.warnings.iter().all(|w| !w.contains("authorised")),
        "{:?}",
        d.warnings
    );

    // Another organisational domain: reports need `<domain>._report._dmarc.<destination>`.
    let mx = "reports.example. IN MX 10 mx.reports.example.";
    let d = dmarc_check(&zone_with_rua("agg@reports.example", mx));
    assert!(
        d.warnings.iter().any(|w| w.contains(
            "reports.example has not authorised reports for acme.test (no `v=DMARC1` TXT record at `acme.test._report._dmarc.reports.example`)"
        )),
        "{:?}",
        d.warnings
    );
    let authorised = format!("{mx}\nacme.test._report._dmarc.reports.example. IN TXT \"v=DMARC1\"");
    let d = dmarc_check(&zone_with_rua("agg@reports.example", &authorised));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // A wildcard authorisation is answered like any other name.
    let wildcard = format!("{mx}\n*._report._dmarc.reports.example. IN TXT \"v=DMARC1\"");
    let r = block_on(verify_domain(
        &Fake::new(&zone_with_rua("agg@reports.example", &wildcard)).fail(
            "acme.test._report._dmarc.reports.example.",
            QueryType::Txt,
            FailureKind::Timeout,
        ),
        &expected(),
        &VerifyOptions::default(),
    ));
    let d = check(&r, "_dmarc.acme.test.", "TXT");
    assert!(
        d.warnings
            .iter()
            .any(|w| w.starts_with("could not check that reports.example accepts reports")),
        "{:?}",
        d.warnings
    );

    // Destinations that cannot receive mail.
    for (extra, problem) in [
        ("", "does not exist"),
        (
            "reports.acme.test. IN TXT \"x\"",
            "has neither an MX nor an address record",
        ),
        (
            "reports.acme.test. IN MX 0 .",
            "accepts no mail (a null MX)",
        ),
    ] {
        let d = dmarc_check(&zone_with_rua("dmarc@reports.acme.test", extra));
        assert!(
            d.warnings
                .iter()
                .any(|w| w.starts_with("report destination reports.acme.test")
                    && w.contains(problem)),
            "{problem}: {:?}",
            d.warnings
        );
        assert_eq!(
            d.status,
            CheckStatus::Mismatch,
            "rua differs from the expected one"
        );
    }
    // An address without MX is enough (the implicit MX of RFC 5321 §5.1).
    let d = dmarc_check(&zone_with_rua(
        "dmarc@reports.acme.test",
        "reports.acme.test. IN A 192.0.2.7",
    ));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    // Switched off: none of these lookups.
    let r = block_on(verify_domain(
        &Fake::new(&zone_with_rua("agg@reports.example", "")),
        &expected(),
        &VerifyOptions {
            dmarc_reports: false,
            ..VerifyOptions::default()
        },
    ));
    assert!(check(&r, "_dmarc.acme.test.", "TXT").warnings.is_empty());
}

#[test]
fn dmarc_falls_back_to_the_organisational_domain() {
    assert_eq!(organizational_domain("mail.acme.co.uk."), "acme.co.uk");
    assert_eq!(organizational_domain("Sub.Acme.Test"), "acme.test");
    assert_eq!(organizational_domain("acme.test"), "acme.test");
    assert_eq!(organizational_domain("co.uk"), "co.uk");

    let sub_zone = STALWART.replace("acme.test", "sub.acme.test");
    let expected = match ExpectedRecords::new("sub.acme.test", &sub_zone, None) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let published = with(
        &sub_zone,
        "_dmarc.sub.acme.test.",
        "mail.example.net. IN A 192.0.2.10",
    );
    let verify = |zone: &str| {
        let r = block_on(verify_domain(
            &Fake::new(zone),
            &expected,
            &VerifyOptions::default(),
        ));
        check(&r, "_dmarc.sub.acme.test.", "TXT").clone()
    };
    // No policy at the subdomain nor at the organisational domain.
    let d = verify(&published);
    assert_eq!(d.status, CheckStatus::Missing);
    assert_eq!(
        d.message.as_deref(),
        Some("the name does not exist (NXDOMAIN)")
    );
    // The organisational domain's policy applies: still missing, and the message says which applies.
    let d = verify(&format!(
        "{published}\n_dmarc.acme.test. IN TXT \"v=DMARC1; p=reject; sp=quarantine\""
    ));
    assert_eq!(d.status, CheckStatus::Missing);
    let message = d.message.unwrap_or_default();
    assert!(
        message.contains(
            "organisational domain's policy at `_dmarc.acme.test` instead (sp=quarantine)"
        ),
        "{message}"
    );
    // A DMARC domain that is its own organisational domain looks no further.
    let d = dmarc_check(&with(&good_zone(), "_dmarc", ""));
    assert_eq!(
        d.message.as_deref(),
        Some("the name does not exist (NXDOMAIN)")
    );
    // A TXT record that is no DMARC record, and the organisational domain's policy.
    let d = verify(&format!(
        "{published}\n_dmarc.sub.acme.test. IN TXT \"hello\"\n_dmarc.acme.test. IN TXT \"v=DMARC1; p=none\""
    ));
    assert_eq!(d.status, CheckStatus::Missing);
    let message = d.message.unwrap_or_default();
    assert!(
        message.starts_with("no `v=DMARC1` record at the name; ") && message.contains("(sp=none)"),
        "{message}"
    );
}
