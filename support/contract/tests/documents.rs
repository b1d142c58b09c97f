//! Every operation of every document can be reached and every schema compiles:
//! a translation that `jsonschema` refused, or a path template that cannot match,
//! would show up here as a `schema`, `path` or `method` violation.

use std::time::Instant;

use dezky_contract::{Request, Spec, Violation};
use serde_json::{Value, json};

const STRUCTURAL: [&str; 3] = ["schema", "path", "method"];

fn read_document(spec: &Spec) -> Value {
    let path = spec.source();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    } else {
        serde_norway::from_slice(&bytes).map_err(|e| e.to_string())
    };
    parsed.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks a request to every operation (path parameters filled with `1`, an
/// empty body where one is declared) and, with `responses`, an empty object
/// against every declared response; fails on structural violations only.
fn every_operation(file: &str, base: &str, form: bool, responses: bool) {
    every_operation_of(Spec::shared(file, base), form, responses);
}

fn every_operation_of(spec: Spec, form: bool, responses: bool) {
    let file = spec.source().display().to_string();
    let base = spec.base_path().to_owned();
    let doc = read_document(&spec);
    let start = Instant::now();
    let mut problems: Vec<String> = Vec::new();
    let mut operations = 0;
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    assert!(!paths.is_empty(), "{file} has no paths");
    for (template, item) in &paths {
        let concrete: Vec<&str> = template
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect();
        let url = format!("{base}{}", concrete.join("/"));
        for (method, operation) in item.as_object().into_iter().flatten() {
            if method == "parameters" || !operation.is_object() {
                continue;
            }
            operations += 1;
            let mut request = Request::new(method, &url);
            if operation.get("requestBody").is_some() {
                request = if form {
                    request.form("x=1")
                } else {
                    request.json(&json!({}))
                };
            }
            let mut report = |what: String, violations: Vec<Violation>| {
                problems.extend(
                    violations
                        .iter()
                        .filter(|v| STRUCTURAL.contains(&v.location.as_str()))
                        .map(|v| format!("{what}: {v}")),
                );
            };
            if let Err(violations) = spec.check_request(&request) {
                report(format!("{method} {template}"), violations);
            }
            if !responses {
                continue;
            }
            let statuses = operation["responses"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for status in statuses.keys() {
                let code = status.parse().unwrap_or(599);
                if let Err(violations) = spec.check_response(method, &url, code, &json!({})) {
                    report(format!("{method} {template} {status}"), violations);
                }
            }
        }
    }
    eprintln!(
        "{file}: {operations} operations checked in {:.2?}",
        start.elapsed()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn authentik() {
    every_operation("authentik-2025.10.4.openapi.yml", "/api/v3", false, true);
}

#[test]
fn libregraph() {
    every_operation("libregraph-v1.0.openapi.yaml", "/graph", false, true);
}

/// Requests only: Stripe's response schemas reach most of the document each,
/// and compiling all of them takes half a minute in a debug build.
#[test]
fn stripe() {
    every_operation_of(Spec::stripe_mock(), true, false);
}
