//! Evaluates every flag of a flag set for each of a list of contexts.
//!
//! ```text
//! cargo run --example flags_eval -- FLAGS.json CONTEXTS.json
//! ```
//!
//! `FLAGS.json` is a JSON array of flags (the control plane's `GET /flags`),
//! `CONTEXTS.json` a JSON array of evaluation contexts. Prints one JSON line per
//! context: its evaluate-all map. Errors go to stderr with their stable code,
//! and the exit status is 2.

use std::process::ExitCode;

use dezky::flags::{EvaluationContext, FlagSet};
use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [flags_path, contexts_path] = args.as_slice() else {
        eprintln!("usage: flags_eval FLAGS.json CONTEXTS.json");
        return ExitCode::from(2);
    };
    match run(flags_path, contexts_path) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn run(flags_path: &str, contexts_path: &str) -> Result<Vec<String>, String> {
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let set = FlagSet::from_json(&read(flags_path)?)
        .map_err(|e| format!("{flags_path}: {}: {e}", e.code()))?;
    let contexts: Value = serde_json::from_str(&read(contexts_path)?)
        .map_err(|e| format!("{contexts_path}: DEZKY_MALFORMED_JSON: {e}"))?;
    let Value::Array(contexts) = contexts else {
        return Err(format!(
            "{contexts_path}: DEZKY_MALFORMED_JSON: expected a JSON array of contexts"
        ));
    };
    contexts
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let ctx = EvaluationContext::from_value(value)
                .map_err(|e| format!("{contexts_path}: context #{i}: {}: {e}", e.code()))?;
            serde_json::to_string(&set.evaluate_all(&ctx)).map_err(|e| e.to_string())
        })
        .collect()
}
