//! Loading the official documents: errors name the path, and each load is timed.

use std::time::Instant;

use dezky_contract::{ContractError, Spec, stripe_mock_openapi_dir};

#[test]
fn missing_file_is_an_error_naming_the_path() {
    let path = Spec::specs_dir().join("no-such-document.openapi.yml");
    let error = Spec::load(&path, "/api/v3").err();
    let Some(error @ ContractError::Read { .. }) = error else {
        panic!("expected a read error, got {error:?}");
    };
    let message = error.to_string();
    assert!(
        message.contains("no-such-document.openapi.yml"),
        "the message names the file: {message}"
    );
}

#[test]
#[should_panic(expected = "no-such-document.json is missing: looked for")]
fn shared_panics_on_a_missing_file() {
    Spec::shared("no-such-document.json", "");
}

#[test]
fn non_openapi_document_is_rejected() {
    let dir = std::env::temp_dir().join(format!("dezky-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("not-openapi.json");
    std::fs::write(&path, r#"{"swagger": "2.0", "paths": {}}"#).ok();
    let error = Spec::load(&path, "").err();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        matches!(error, Some(ContractError::Unsupported { .. })),
        "{error:?}"
    );
}

/// Loads each document (parse, translate, prepare) and prints how long it took.
/// Debug builds are several times slower than release builds; the bound is loose
/// and only catches a pathological regression.
#[test]
fn load_times() {
    for (path, base) in [
        (
            Spec::specs_dir().join("authentik-2025.10.4.openapi.yml"),
            "/api/v3",
        ),
        (
            Spec::specs_dir().join("libregraph-v1.0.openapi.yaml"),
            "/graph",
        ),
        (stripe_mock_openapi_dir().join("spec3.json"), ""),
    ] {
        let file = path.display();
        let start = Instant::now();
        let result = Spec::load(&path, base);
        let elapsed = start.elapsed();
        if let Err(error) = result {
            panic!("{error}");
        }
        eprintln!("loaded {file} in {elapsed:.2?}");
        assert!(elapsed.as_secs() < 60, "{file} took {elapsed:?}");
    }
}
