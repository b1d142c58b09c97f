//! Runs the example service: `cargo run -p dezky-example-axum`.
//!
//! - `AUTHENTIK_ISSUER`, `AUTHENTIK_AUDIENCE`: the token verifier's clients
//!   (comma-separated, as the control plane's);
//! - `DEZKY_FLAGS_FILE`: the flags (a JSON array of flag documents);
//! - `DEZKY_PORTAL_SEED`: a JSON file `{tenants, users, partners}`;
//! - `DEZKY_UPSTREAMS=env`: the real upstreams from the environment (default:
//!   in memory); `DEZKY_ENVIRONMENT` (default `prod`); `PORT` (default 3000).

use std::sync::{Arc, Mutex};

use dezky_clients::oidc::OidcKeySource;
use dezky_core::auth::{TokenVerifier, VerifierConfig};
use dezky_core::provisioning::Provisioner;
use dezky_core::provisioning::memory::MemoryUpstream;
use dezky_example_axum::{Db, Portal, app};
use dezky_flags::FlagSet;
use serde_json::{Map, Value};

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn documents(seed: &Value, key: &str) -> Vec<Map<String, Value>> {
    seed.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_object().cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let config =
        VerifierConfig::from_env_values(&var("AUTHENTIK_ISSUER")?, &var("AUTHENTIK_AUDIENCE")?)
            .map_err(|e| e.to_string())?;
    let source = OidcKeySource::new().map_err(|e| e.to_string())?;
    let verifier = TokenVerifier::new(config, Arc::new(source)).map_err(|e| e.to_string())?;
    let flags = match std::env::var("DEZKY_FLAGS_FILE") {
        Ok(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            FlagSet::from_json(&text).map_err(|e| e.to_string())?
        }
        Err(_) => FlagSet::from_json("[]").map_err(|e| e.to_string())?,
    };
    let provisioner = if std::env::var("DEZKY_UPSTREAMS").as_deref() == Ok("env") {
        dezky_clients::provisioning::provisioner_from_env().map_err(|e| e.to_string())?
    } else {
        MemoryUpstream::all()
            .into_iter()
            .fold(Provisioner::new(), |p, u| p.with_port(Arc::new(u)))
    };
    let mut db = Db::default();
    if let Ok(path) = std::env::var("DEZKY_PORTAL_SEED") {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let seed: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        db.tenants = documents(&seed, "tenants");
        db.users = documents(&seed, "users");
        db.partners = documents(&seed, "partners");
    }
    let portal = Arc::new(Portal {
        verifier,
        provisioner,
        flags,
        environment: std::env::var("DEZKY_ENVIRONMENT").unwrap_or_else(|_| "prod".into()),
        db: Mutex::new(db),
    });
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .map_err(|e| e.to_string())?;
    axum::serve(listener, app(portal))
        .await
        .map_err(|e| e.to_string())
}
