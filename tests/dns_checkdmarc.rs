//! Cross-check with checkdmarc (PyPI, pinned in scripts/install-test-deps.sh):
//! on the same NSD zones, our SPF and DMARC verdicts (a usable record or not)
//! agree with checkdmarc's `valid`, case by case.

mod dns_support;

use std::path::PathBuf;
use std::process::Command;

use dezky::core::dns::{
    CheckStatus, ExpectedRecords, RecordData, VerifyOptions, ZoneRecord, verify_domains,
};
use dns_support::Nsd;

/// The checkdmarc virtualenv's python, or a panic saying how to create it.
pub fn checkdmarc_python() -> PathBuf {
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-deps/venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import checkdmarc"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "checkdmarc is not installed at {}: run `bash scripts/install-test-deps.sh`",
        py.display()
    );
    py
}

/// (case, SPF TXT lines, DMARC TXT lines, extra zone lines). Every case is its
/// own zone `<case>.test`, so checkdmarc's organizational-domain fallback never
/// reads another case's DMARC record.
fn cases() -> Vec<(
    &'static str,
    Vec<&'static str>,
    Vec<&'static str>,
    &'static str,
)> {
    let dmarc_ok = vec!["v=DMARC1; p=reject; rua=mailto:postmaster@{d}"];
    let spf_ok = vec!["v=spf1 mx -all"];
    vec![
        ("ok", spf_ok.clone(), dmarc_ok.clone(), ""),
        ("spf-softfail", vec!["v=spf1 mx ~all"], dmarc_ok.clone(), ""),
        (
            "spf-two",
            vec!["v=spf1 mx -all", "v=spf1 -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "spf-syntax",
            vec!["v=spf1 mx bogus -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "spf-bad-ip",
            vec!["v=spf1 ip4:192.0.2.400 -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "spf-glued-all",
            vec!["v=spf1 ip4:192.0.2.1~all"],
            dmarc_ok.clone(),
            "",
        ),
        ("spf-missing", vec![], dmarc_ok.clone(), ""),
        (
            "spf-include-missing",
            vec!["v=spf1 mx include:nospf.{d} -all"],
            dmarc_ok.clone(),
            "nospf IN TXT \"hello\"\n",
        ),
        (
            "spf-too-many",
            vec!["v=spf1 mx a include:i1.{d} include:i2.{d} -all"],
            dmarc_ok.clone(),
            "i1 IN TXT \"v=spf1 a:mail.{d} a:mail.{d} a:mail.{d} a:mail.{d} -all\"\ni2 IN TXT \"v=spf1 a:mail.{d} a:mail.{d} a:mail.{d} -all\"\n@ IN A 192.0.2.1\n",
        ),
        (
            "spf-near-limit",
            vec!["v=spf1 mx a include:i1.{d} -all"],
            dmarc_ok.clone(),
            "i1 IN TXT \"v=spf1 a:mail.{d} a:mail.{d} a:mail.{d} a:mail.{d} a:mail.{d} a:mail.{d} -all\"\n@ IN A 192.0.2.1\n",
        ),
        (
            "spf-void",
            vec!["v=spf1 mx a:v1.{d} a:v2.{d} a:v3.{d} -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "spf-two-voids",
            vec!["v=spf1 mx a:v1.{d} a:v2.{d} -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "spf-redirect",
            vec!["v=spf1 redirect=_spf.{d}"],
            dmarc_ok.clone(),
            "_spf IN TXT \"v=spf1 mx -all\"\n",
        ),
        ("spf-plus-all", vec!["v=spf1 mx +all"], dmarc_ok.clone(), ""),
        (
            "spf-split",
            vec!["v=spf1 mx \" \"ip4:192.0.2.0/24 -all"],
            dmarc_ok.clone(),
            "",
        ),
        (
            "dmarc-none",
            spf_ok.clone(),
            vec!["v=DMARC1; p=none; rua=mailto:postmaster@{d}"],
            "",
        ),
        (
            "dmarc-two",
            spf_ok.clone(),
            vec!["v=DMARC1; p=reject", "v=DMARC1; p=none"],
            "",
        ),
        ("dmarc-bad-p", spf_ok.clone(), vec!["v=DMARC1; p=block"], ""),
        (
            "dmarc-bad-adkim",
            spf_ok.clone(),
            vec!["v=DMARC1; p=reject; adkim=x"],
            "",
        ),
        ("dmarc-missing", spf_ok.clone(), vec![], ""),
        (
            "dmarc-v-not-first",
            spf_ok.clone(),
            vec!["p=reject; v=DMARC1"],
            "",
        ),
        (
            "dmarc-pct",
            spf_ok.clone(),
            vec!["v=DMARC1; p=quarantine; pct=50; rua=mailto:postmaster@{d}"],
            "",
        ),
        (
            "dmarc-strict",
            spf_ok.clone(),
            vec![
                "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=s; fo=1; rua=mailto:postmaster@{d}",
            ],
            "",
        ),
    ]
}

fn quote_txt(text: &str) -> String {
    // `spf-split` already holds a `" "` string break; others are one string.
    format!("\"{text}\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spf_and_dmarc_verdicts_agree_with_checkdmarc() {
    let python = checkdmarc_python();
    let mut zones = Vec::new();
    let mut expected = Vec::new();
    for (case, spf, dmarc, extra) in cases() {
        let d = format!("{case}.test");
        let mut body = format!("@ IN MX 10 mail.{d}.\nmail IN A 192.0.2.10\n");
        for s in &spf {
            body.push_str(&format!("@ IN TXT {}\n", quote_txt(&s.replace("{d}", &d))));
        }
        for m in &dmarc {
            body.push_str(&format!(
                "_dmarc IN TXT {}\n",
                quote_txt(&m.replace("{d}", &d))
            ));
        }
        body.push_str(&extra.replace("{d}", &d));
        zones.push((d.clone(), body));
        let records = vec![
            ZoneRecord {
                name: format!("{d}."),
                ttl: 300,
                data: RecordData::txt("v=spf1 mx -all"),
            },
            ZoneRecord {
                name: format!("_dmarc.{d}."),
                ttl: 300,
                data: RecordData::txt(&format!("v=DMARC1; p=reject; rua=mailto:postmaster@{d}")),
            },
        ];
        match ExpectedRecords::from_records(&d, records, None) {
            Ok(e) => expected.push(e),
            Err(e) => panic!("{e}"),
        }
    }
    let mut nsd = Nsd::start(&zones);
    nsd.wait_ready("ok.test").await;
    let reports = verify_domains(&nsd.resolver(), &expected, &VerifyOptions::default(), 8).await;

    let domains: Vec<String> = zones.iter().map(|(d, _)| d.clone()).collect();
    let out = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dns/checkdmarc_verdicts.py"
        ))
        .arg(nsd.port.to_string())
        .args(&domains)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => panic!("checkdmarc failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run {}: {e}", python.display()),
    };
    let theirs: serde_json::Value = match serde_json::from_slice(&out) {
        Ok(v) => v,
        Err(e) => panic!("checkdmarc output: {e}"),
    };

    let usable = |s: CheckStatus| matches!(s, CheckStatus::Ok | CheckStatus::Mismatch);
    let mut disagreements = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for report in &reports {
        let d = report.domain.trim_end_matches('.');
        let v = &theirs["verdicts"][d];
        for (kind, name) in [("spf", format!("{d}.")), ("dmarc", format!("_dmarc.{d}."))] {
            let Some(ours) = report.checks.iter().find(|c| c.name == name) else {
                panic!("no {kind} check for {d}");
            };
            let their_valid = v[format!("{kind}_valid")].as_bool();
            let our_valid = usable(ours.status);
            if our_valid {
                valid += 1
            } else {
                invalid += 1
            }
            if their_valid != Some(our_valid) {
                disagreements.push(format!(
                    "{d} {kind}: ours {:?} ({:?}), checkdmarc valid={their_valid:?} ({})",
                    ours.status,
                    ours.message,
                    v[format!("{kind}_error")]
                ));
            }
        }
    }
    assert_eq!(reports.len() * 2, valid + invalid);
    assert!(
        valid >= 10 && invalid >= 10,
        "{valid} usable and {invalid} unusable verdicts"
    );
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
}
