//! Runs the shared conformance vectors (tests/conformance/flags.json) through the Rust engine.
//! Every binding runs the same file.

use dezky::flags::{EvaluationContext, FlagSet, bucket, bucket_prefix};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/flags.json");
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("conformance file {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("conformance file {path}: {e}"))
}

fn array<'a>(value: &'a Value, field: &str) -> &'a Vec<Value> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("conformance file: `{field}` is not an array"))
}

#[test]
fn bucket_vectors() {
    let doc = vectors();
    let vectors = array(&doc, "bucketVectors");
    assert!(vectors.len() >= 4);
    for v in vectors {
        let (subject, key) = (
            v["subject"].as_str().unwrap_or_default(),
            v["key"].as_str().unwrap_or_default(),
        );
        assert_eq!(
            format!("{:08x}", bucket_prefix(subject, key)),
            v["prefix"],
            "{v}"
        );
        assert_eq!(
            u64::from(bucket(subject, key)),
            v["bucket"].as_u64().unwrap_or(999),
            "{v}"
        );
    }
}

#[test]
fn evaluation_cases() {
    let doc = vectors();
    let mut checked = 0;
    for case in array(&doc, "cases") {
        let name = case["name"].as_str().unwrap_or_default();
        let set =
            FlagSet::from_value(case["flags"].clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Round trip: the set written back reads the same.
        assert_eq!(
            FlagSet::from_json(&set.to_json()).ok(),
            Some(set.clone()),
            "{name}"
        );
        for run in array(case, "contexts") {
            let ctx = EvaluationContext::from_value(&run["context"])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let all = set.evaluate_all(&ctx);
            let expected = run["expected"]
                .as_object()
                .unwrap_or_else(|| panic!("{name}: expected"));
            for (key, want) in expected {
                let got = set.evaluate(key, &ctx);
                assert_eq!(
                    Value::Bool(got.value),
                    want["value"],
                    "{name}: {key} for {ctx:?}"
                );
                assert_eq!(
                    got.reason.as_str(),
                    want["reason"],
                    "{name}: {key} for {ctx:?}"
                );
                if want["reason"] != "flag_not_found" {
                    assert_eq!(
                        all.get(key),
                        Some(got.value),
                        "{name}: evaluate_all {key} for {ctx:?}"
                    );
                } else {
                    assert_eq!(all.get(key), None, "{name}: {key}");
                }
                checked += 1;
            }
            assert_eq!(all.len(), set.len(), "{name}");
        }
    }
    assert!(checked > 150, "only {checked} expectations checked");
}

#[test]
fn invalid_flag_sets() {
    let doc = vectors();
    for case in array(&doc, "invalid") {
        let name = case["name"].as_str().unwrap_or_default();
        let err = FlagSet::from_json(case["json"].as_str().unwrap_or_default())
            .err()
            .unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(err.code(), case["code"], "{name}: {err}");
        if let Some(field) = case.get("field") {
            match &err {
                dezky::flags::Error::InvalidFlag {
                    flag, field: got, ..
                } => {
                    assert_eq!(got, field, "{name}: {err}");
                    assert_eq!(flag, &case["flag"], "{name}: {err}");
                }
                other => panic!("{name}: {other}"),
            }
        }
    }
}
