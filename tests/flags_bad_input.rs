//! Arbitrary JSON into every parser of the flag crate: an error or a value, never a panic.

use dezky::flags::{EvaluationContext, Flag, FlagSet, FlagUpdate};
use serde_json::{Map, Value, json};

/// A deterministic generator of JSON values biased towards the flag document's shape.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn string(&mut self) -> String {
        const POOL: [&str; 12] = [
            "key",
            "state",
            "pct",
            "scope",
            "plans",
            "on",
            "rollout",
            "targeted",
            "",
            "é\u{0}\u{202e}",
            "level",
            "user",
        ];
        POOL[self.next(POOL.len() as u64) as usize].to_owned()
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.next(if depth > 3 { 6 } else { 9 }) {
            0 => Value::Null,
            1 => Value::Bool(self.next(2) == 0),
            2 => json!(self.next(300) as i64 - 100),
            3 => json!(f64::from(self.next(1000) as u32) / 7.0),
            4 => json!(u64::MAX),
            5 => Value::String(self.string()),
            6 => Value::Array((0..self.next(4)).map(|_| self.value(depth + 1)).collect()),
            _ => {
                let mut map = Map::new();
                for _ in 0..self.next(6) {
                    let k = self.string();
                    let v = self.value(depth + 1);
                    map.insert(k, v);
                }
                if self.next(2) == 0 {
                    map.insert("key".into(), json!("fuzz_flag"));
                }
                Value::Object(map)
            }
        }
    }
}

#[test]
fn no_parser_panics_on_arbitrary_json() {
    let mut source = Gen(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let value = source.value(0);
        accepted += usize::from(Flag::from_value(value.clone()).is_ok());
        let _ = FlagSet::from_value(Value::Array(vec![value.clone()]));
        let _ = FlagUpdate::from_value("fuzz_flag", &value);
        let _ = EvaluationContext::from_value(&value);
        let _ = EvaluationContext::list_from_value(&value);
        let _ = FlagSet::from_json(&value.to_string());
    }
    // The generator does reach valid documents, so the parsers are exercised past the first check.
    assert!(accepted > 0);
}

#[test]
fn no_parser_panics_on_arbitrary_text() {
    let samples = [
        "",
        "[",
        "]",
        "[{",
        "{\"key\":",
        "[null]",
        "[[]]",
        "\u{feff}[]",
        "[{\"key\":\"a\",\"state\":\"on\"}]garbage",
        "[1e999]",
        "[-0]",
        "\"\\ud800\"",
        "[{\"key\":\"a\",\"state\":\"rollout\",\"pct\":1e2}]",
    ];
    for text in samples {
        let _ = FlagSet::from_json(text);
        let _ = Flag::from_json(text);
        let _ = EvaluationContext::from_json(text);
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        FlagSet::from_json(&deep).err().map(|e| e.code()),
        Some("DEZKY_MALFORMED_JSON")
    );
}
