//! Access-token verification (`TokenVerifier`, `verifyToken`) and the
//! authorization rules (`requireOperator`, `requireTenantAdmin`, ...).
//!
//! Everything is decided by `dezky_core::auth` (the verifier, with keys over
//! HTTP from `dezky_clients::oidc::OidcKeySource`) and `dezky_core::authz`;
//! this module reads the JS arguments and maps the results. Records arrive as
//! plain objects with the control plane's camelCase names; ids may be strings,
//! extended JSON (`{ $oid }`) or driver `ObjectId`s (anything with
//! `toHexString()`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use dezky_clients::oidc::OidcKeySource;
use dezky_core::Error;
use dezky_core::auth::{self as core_auth, Actor, Surface, TokenClient, VerifierConfig};
use dezky_core::authz::{self, UserRecord};
use dezky_core::records;
use dezky_core::tenant::{Partner, Tenant};
use napi::bindgen_prelude::{
    AsyncTask, Either, FromNapiValue, Function, JsObjectValue, JsValue, Object, PromiseRaw, Unknown,
};
use napi::{Env, ValueType};
use napi_derive::napi;
use serde_json::{Map, Number, Value};

use crate::convert::Serde;
use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// The verifier's configuration: `issuers` and `audiences` (paired as the
/// control plane's `AUTHENTIK_ISSUER`/`AUTHENTIK_AUDIENCE`: by position, or one
/// issuer with every audience), or explicit `clients`. Times in seconds.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code)] // declared for the TypeScript definitions; read through `serde_json::Value`
pub struct TokenVerifierOptions {
    /// Issuer URLs, as a list or a comma-separated string.
    #[napi(ts_type = "string | string[]")]
    pub issuers: Option<String>,
    /// Audiences (`dezky-portal`, `dezky-operator`), as a list or a comma-separated string.
    #[napi(ts_type = "string | string[]")]
    pub audiences: Option<String>,
    /// Explicit clients, instead of `issuers`/`audiences`.
    #[napi(ts_type = "Array<TokenClientOptions>")]
    pub clients: Option<Vec<TokenClient>>,
    /// Tolerated clock skew (default 30, at most 300).
    pub leeway_seconds: Option<f64>,
    /// How long fetched keys are used before they are read again (default 900).
    pub key_ttl_seconds: Option<f64>,
    /// The least time between two key fetches of one issuer (default 30).
    pub min_refresh_interval_seconds: Option<f64>,
    /// How long past their TTL keys stay usable while the issuer is unreachable (default 900).
    pub max_stale_seconds: Option<f64>,
}

/// Verifies Authentik access tokens against the configured issuers and
/// audiences, with each issuer's keys read over HTTP (OpenID discovery, then
/// JWKS) and cached. Create one per process and share it.
#[napi]
pub struct TokenVerifier {
    inner: Arc<core_auth::TokenVerifier>,
}

#[napi]
impl TokenVerifier {
    /// A verifier for `options.issuers`/`options.audiences` or `options.clients`.
    /// Throws `DEZKY_AUTH_CONFIG` for an unusable configuration and
    /// `DEZKY_INVALID_ARGUMENT` for options of the wrong type.
    #[napi(constructor, ts_args_type = "options: TokenVerifierOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> napi::Result<Self> {
        let config = config(&options).js(&env)?;
        build(config).js(&env)
    }

    /// A verifier for the control plane's comma-separated `AUTHENTIK_ISSUER` and
    /// `AUTHENTIK_AUDIENCE` environment variables (`DEZKY_AUTH_CONFIG` when they
    /// are missing or do not pair up).
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Self> {
        default_config().and_then(build).js(&env)
    }

    /// Verifies `token` (the bare JWT, without `Bearer `) and resolves to its
    /// actor. Rejects with `DEZKY_TOKEN_MALFORMED`, `DEZKY_TOKEN_BAD_SIGNATURE`,
    /// `DEZKY_TOKEN_EXPIRED`, `DEZKY_TOKEN_NOT_YET_VALID`,
    /// `DEZKY_TOKEN_UNKNOWN_ISSUER`, `DEZKY_TOKEN_WRONG_AUDIENCE`,
    /// `DEZKY_TOKEN_UNKNOWN_KEY` (answer 401), `DEZKY_AUTH_KEYS_UNAVAILABLE`
    /// (the issuer's keys cannot be fetched: answer 503) or `DEZKY_AUTH_CONFIG`.
    /// The signature is checked on libuv's thread pool, never on the event loop.
    #[napi(ts_return_type = "Promise<Actor>")]
    pub fn verify_token(&self, token: String) -> AsyncTask<VerifyTask> {
        verify(&self.inner, token)
    }

    /// The configured (issuer, audience, surface) triples.
    #[napi(ts_return_type = "Array<TokenClientOptions>")]
    pub fn clients(&self) -> Vec<TokenClient> {
        self.inner.config().clients.clone()
    }
}

/// The configuration of `AUTHENTIK_ISSUER` and `AUTHENTIK_AUDIENCE`.
fn default_config() -> Result<VerifierConfig> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| Error::AuthConfig {
            reason: format!("{name} is not set"),
        })
    };
    VerifierConfig::from_env_values(&var("AUTHENTIK_ISSUER")?, &var("AUTHENTIK_AUDIENCE")?)
}

fn build(config: VerifierConfig) -> Result<TokenVerifier> {
    let source = OidcKeySource::new().map_err(|e| Error::AuthConfig {
        reason: e.to_string(),
    })?;
    Ok(TokenVerifier {
        inner: Arc::new(core_auth::TokenVerifier::new(config, Arc::new(source))?),
    })
}

type VerifyFuture = Pin<Box<dyn Future<Output = Result<Actor>> + Send>>;

/// A verification as a Node-API async task: the signature check runs on one of
/// libuv's pool threads, never on the JavaScript thread, so that a server's
/// event loop keeps serving while tokens are checked (and several checks use
/// several cores). The pool settles finished tasks in batches through one
/// wake-up of the loop, which is cheaper per verification than a promise
/// settled from the tokio runtime (one thread-safe function each).
///
/// With the issuer's keys cached the core's `verify` never waits, so the pool
/// thread polls it once to completion. When it does wait (the first
/// verification of an issuer, a key refresh), the rest moves to the tokio
/// runtime: the pool thread is not held for a network fetch, and the task's
/// promise adopts the runtime's.
pub struct VerifyTask {
    future: Option<VerifyFuture>,
}

/// What a pool thread made of a verification.
pub enum Verified {
    Done(Result<Actor>),
    /// The future waits for keys: finished on the runtime.
    Waiting(VerifyFuture),
}

impl<'e> napi::ScopedTask<'e> for VerifyTask {
    type Output = Verified;
    type JsValue = Either<Serde<Actor>, PromiseRaw<'e, Serde<Actor>>>;

    fn compute(&mut self) -> napi::Result<Verified> {
        let Some(mut future) = self.future.take() else {
            return Err(napi::Error::from_reason("the verification already ran"));
        };
        let mut cx = Context::from_waker(Waker::noop());
        let polled =
            napi::bindgen_prelude::within_runtime_if_available(|| future.as_mut().poll(&mut cx));
        Ok(match polled {
            Poll::Ready(result) => Verified::Done(result),
            Poll::Pending => Verified::Waiting(future),
        })
    }

    fn resolve(
        &mut self,
        env: &'e Env,
        output: Verified,
    ) -> napi::Result<Either<Serde<Actor>, PromiseRaw<'e, Serde<Actor>>>> {
        match output {
            Verified::Done(result) => result.map(|actor| Either::A(Serde(actor))).js(env),
            Verified::Waiting(future) => env
                .spawn_future_with_callback(async move { Ok(future.await) }, |env, r| {
                    r.map(Serde).js(env)
                })
                .map(Either::B),
        }
    }
}

fn verify(verifier: &Arc<core_auth::TokenVerifier>, token: String) -> AsyncTask<VerifyTask> {
    let verifier = Arc::clone(verifier);
    let future: VerifyFuture = Box::pin(async move { verifier.verify(&token).await });
    AsyncTask::new(VerifyTask {
        future: Some(future),
    })
}

/// The verifier of `verifyToken`, built from the environment on first use.
static DEFAULT_VERIFIER: OnceLock<Arc<core_auth::TokenVerifier>> = OnceLock::new();

/// Verifies `token` with a verifier built once from `AUTHENTIK_ISSUER` and
/// `AUTHENTIK_AUDIENCE` (`TokenVerifier.fromEnv()`, shared by every call), and
/// resolves to its actor. Rejects like `TokenVerifier.verifyToken`, and with
/// `DEZKY_AUTH_CONFIG` while the environment variables are missing or unusable.
#[napi(ts_return_type = "Promise<Actor>")]
pub fn verify_token(token: String) -> AsyncTask<VerifyTask> {
    let verifier = match DEFAULT_VERIFIER.get() {
        Some(v) => Arc::clone(v),
        None => match default_config().and_then(build) {
            Ok(v) => Arc::clone(DEFAULT_VERIFIER.get_or_init(|| v.inner)),
            Err(e) => return refused(e),
        },
    };
    verify(&verifier, token)
}

/// A task that rejects with `error` (through the same path as a verification's).
fn refused(error: Error) -> AsyncTask<VerifyTask> {
    AsyncTask::new(VerifyTask {
        future: Some(Box::pin(async move { Err(error) })),
    })
}

/// A JS string (a record's field, an ObjectId's hex), or an error naming `field`.
fn string(value: &Unknown<'_>, field: &str) -> Result<String> {
    String::from_unknown(*value).map_err(|_| invalid(field, "must be a string"))
}

// ---------------------------------------------------------------------------
// Configuration

fn config(value: &Unknown<'_>) -> Result<VerifierConfig> {
    let options = record_json(value, "options")?;
    let mut issuers = None;
    let mut audiences = None;
    let mut clients = None;
    let mut durations: Vec<(&str, f64)> = Vec::new();
    for (name, value) in &options {
        match name.as_str() {
            "issuers" => issuers = list(value, "options.issuers")?,
            "audiences" => audiences = list(value, "options.audiences")?,
            "clients" => clients = client_list(value)?,
            "leewaySeconds" | "keyTtlSeconds" | "minRefreshIntervalSeconds" | "maxStaleSeconds" => {
                let field = format!("options.{name}");
                match value {
                    Value::Null => {}
                    Value::Number(n) => match n.as_f64() {
                        Some(s) if s.is_finite() && (0.0..=1e9).contains(&s) => {
                            durations.push((name.as_str(), s));
                        }
                        _ => return Err(invalid(&field, "must be a number of seconds, 0 or more")),
                    },
                    _ => return Err(invalid(&field, "must be a number of seconds")),
                }
            }
            other => {
                return Err(invalid(
                    &format!("options.{other}"),
                    "unknown option (expected issuers, audiences, clients, leewaySeconds, \
                     keyTtlSeconds, minRefreshIntervalSeconds or maxStaleSeconds)",
                ));
            }
        }
    }
    let mut config = match (issuers, audiences, clients) {
        (None, None, Some(clients)) => VerifierConfig::new(clients),
        (Some(issuers), Some(audiences), None) => {
            VerifierConfig::from_env_values(&issuers.join(","), &audiences.join(","))?
        }
        (_, _, Some(_)) => {
            return Err(invalid(
                "options.clients",
                "give either clients or issuers and audiences, not both",
            ));
        }
        (None, _, None) => return Err(invalid("options.issuers", "is required")),
        (_, None, None) => return Err(invalid("options.audiences", "is required")),
    };
    for (name, seconds) in durations {
        let d = Duration::from_secs_f64(seconds);
        match name {
            "leewaySeconds" => config.leeway = d,
            "keyTtlSeconds" => config.key_ttl = d,
            "minRefreshIntervalSeconds" => config.min_refresh_interval = d,
            _ => config.max_stale = d,
        }
    }
    config.validate()?;
    Ok(config)
}

/// A list of strings, or one comma-separated string.
fn list(value: &Value, field: &str) -> Result<Option<Vec<String>>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(vec![s.clone()])),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if !s.contains(',') => Ok(s.clone()),
                Value::String(_) => Err(invalid(&format!("{field}[{i}]"), "contains a comma")),
                _ => Err(invalid(&format!("{field}[{i}]"), "must be a string")),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        _ => Err(invalid(field, "must be a string or a list of strings")),
    }
}

fn client_list(value: &Value) -> Result<Option<Vec<TokenClient>>> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        _ => return Err(invalid("options.clients", "must be a list")),
    };
    let mut clients = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("options.clients[{i}]");
        let Value::Object(item) = item else {
            return Err(invalid(&field, "must be an object"));
        };
        let text = |name: &str| match item.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(invalid(&format!("{field}.{name}"), "must be a string")),
        };
        let surface = Surface::parse_field(&text("surface")?, &format!("{field}.surface"))?;
        clients.push(TokenClient::new(
            text("issuer")?,
            text("audience")?,
            surface,
        ));
    }
    Ok(Some(clients))
}

// ---------------------------------------------------------------------------
// Records

/// 2^53 - 1, the largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The string `object.method()` returns.
fn call_text(object: Object<'_>, method: &str, field: &str) -> Result<String> {
    let function: Function<'_, (), Unknown<'_>> = object
        .get_named_property(method)
        .map_err(|_| invalid(field, format!("{method} is not a function")))?;
    let text = function
        .apply(object, ())
        .map_err(|e| invalid(field, format!("{method}() failed: {}", e.reason)))?;
    string(&text, field)
}

/// A JS value as JSON, with driver `ObjectId`s (anything with `toHexString()`)
/// read as their hex strings, `Date`s as their `toISOString()` (the audit
/// log's time form) and whole numbers (up to 2^53) as JSON integers, as the
/// control plane's documents hold them. Nested at most 16 levels.
pub(crate) fn json(value: &Unknown<'_>, field: &str) -> Result<Value> {
    to_json(value, field, 0)
}

fn to_json(value: &Unknown<'_>, field: &str, depth: usize) -> Result<Value> {
    if depth > 16 {
        return Err(invalid(field, "is nested too deeply"));
    }
    let fail = |e: napi::Error| invalid(field, e.reason);
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => Ok(Value::Null),
        Ok(ValueType::Boolean) => Ok(Value::Bool(value.coerce_to_bool().map_err(fail)?)),
        Ok(ValueType::Number) => {
            let n = value
                .coerce_to_number()
                .map_err(fail)?
                .get_double()
                .map_err(fail)?;
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
                // `n` is whole and within i64: the cast is exact.
                return Ok(Value::from(n as i64));
            }
            Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| invalid(field, "is not a finite number"))
        }
        Ok(ValueType::String) => string(value, field).map(Value::String),
        Ok(ValueType::Object) => {
            let object = value.coerce_to_object().map_err(fail)?;
            if value.is_array().unwrap_or(false) {
                let len = object.get_array_length().map_err(fail)?;
                let mut out = Vec::with_capacity(len as usize);
                for i in 0..len {
                    let item: Unknown<'_> = object.get_element(i).map_err(fail)?;
                    out.push(to_json(&item, &format!("{field}[{i}]"), depth + 1)?);
                }
                return Ok(Value::Array(out));
            }
            if value.is_date().unwrap_or(false) {
                return call_text(object, "toISOString", field).map(Value::String);
            }
            if object.has_named_property("toHexString").map_err(fail)? {
                return call_text(object, "toHexString", field).map(Value::String);
            }
            let names = object.get_property_names().map_err(fail)?;
            let len = names.get_array_length().map_err(fail)?;
            let mut out = Map::new();
            for i in 0..len {
                let name: Unknown<'_> = names.get_element(i).map_err(fail)?;
                let name = string(&name, field)?;
                let item: Unknown<'_> = object.get_named_property(&name).map_err(fail)?;
                let path = format!("{field}.{name}");
                out.insert(name, to_json(&item, &path, depth + 1)?);
            }
            Ok(Value::Object(out))
        }
        _ => Err(invalid(field, "must be JSON-compatible")),
    }
}

/// A record argument: a plain object, read as JSON.
pub(crate) fn record_json(value: &Unknown<'_>, name: &str) -> Result<Map<String, Value>> {
    match value.get_type() {
        Ok(ValueType::Object) if !value.is_array().unwrap_or(false) => match json(value, name)? {
            Value::Object(map) => Ok(map),
            _ => Err(invalid(name, "must be an object")),
        },
        _ => Err(invalid(name, "must be an object")),
    }
}

/// The core actor the rules read: only `subject` and `surface` are used.
fn actor(actor: &ActorLike) -> Result<Actor> {
    if actor.subject.is_empty() {
        return Err(invalid("actor.subject", "must not be empty"));
    }
    Ok(Actor {
        subject: actor.subject.clone(),
        email: None,
        name: None,
        groups: Vec::new(),
        surface: actor.surface,
        issuer: String::new(),
        audience: String::new(),
        expires_at: 0,
    })
}

// The control plane's records: converted to JSON here, read by the core.

fn user(value: &Unknown<'_>) -> Result<UserRecord> {
    records::user("user", &record_json(value, "user")?)
}

fn target(value: &Unknown<'_>) -> Result<UserRecord> {
    records::user("target", &record_json(value, "target")?)
}

pub(crate) fn tenant(value: &Unknown<'_>) -> Result<Tenant> {
    records::tenant("tenant", &record_json(value, "tenant")?)
}

pub(crate) fn partner(value: &Unknown<'_>) -> Result<Partner> {
    records::partner("partner", &record_json(value, "partner")?)
}

// ---------------------------------------------------------------------------
// Authorization rules. Each returns nothing when the rule allows and throws
// `DEZKY_FORBIDDEN` when it refuses (`DEZKY_INVALID_ARGUMENT` for bad input).

/// Declares rules of `dezky_core::authz` taking the actor and records read
/// from JS objects: the doc lines (string literals, so that the TypeScript docs
/// read them), then each record argument's TypeScript type and its reader here.
macro_rules! rules {
    ($($($doc:literal)* fn $name:ident(actor $(, $arg:ident: $ts:tt => $read:ident)*);)*) => {$(
        $(#[doc = $doc])*
        // `strict`: napi checks each argument's type first (a missing actor is refused
        // like any wrong type, before its fields are read).
        #[napi(strict)]
        pub fn $name(
            env: Env,
            actor: ActorLike,
            $(#[napi(ts_arg_type = $ts)] $arg: Unknown<'_>),*
        ) -> napi::Result<()> {
            (|| authz::$name(&self::actor(&actor)?, $(&self::$read(&$arg)?),*))().js(&env)
        }
    )*};
}

rules! {
    " The user record must be the actor's own (`authentikSubjectId == subject`)"
    " and active. Every other rule starts with this check."
    fn require_own_active_record(actor, user: "UserRecord" => user);

    " Operator-only endpoints: an operator-app token **and** `platformAdmin`."
    fn require_operator(actor, user: "UserRecord" => user);

    " Platform-admin endpoints: `platformAdmin`, from either surface."
    fn require_platform_admin(actor, user: "UserRecord" => user);

    " Reading a tenant: its id in `tenantIds`, or a platform admin."
    fn require_tenant_member(
        actor,
        user: "UserRecord" => user,
        tenant: "TenantRecord" => tenant
    );

    " Administering a tenant: a member whose `tenantRoles` entry for it is"
    " `admin`, or a platform admin. The legacy global `role` grants nothing."
    fn require_tenant_admin(
        actor,
        user: "UserRecord" => user,
        tenant: "TenantRecord" => tenant
    );

    " The partner surface: staff of `partner` (`partnerId`). Platform admins are"
    " not partner staff."
    fn require_partner_staff(
        actor,
        user: "UserRecord" => user,
        partner: "PartnerRecord" => partner
    );

    " Staff of `partner` acting on `tenant`, which must be one of that partner's"
    " own tenants (`tenant.partnerId`)."
    fn require_partner_tenant(
        actor,
        user: "UserRecord" => user,
        partner: "PartnerRecord" => partner,
        tenant: "TenantRecord" => tenant
    );

    " Suspending `target`: a tenant admin of `tenant`, not oneself, `target` a"
    " member of `tenant`; only a platform admin may act on a platform admin."
    fn require_can_suspend(
        actor,
        user: "UserRecord" => user,
        tenant: "TenantRecord" => tenant,
        target: "UserRecord" => target
    );

    " Ending `target`'s sessions: the same rule as `requireCanSuspend`."
    fn require_can_force_logout(
        actor,
        user: "UserRecord" => user,
        tenant: "TenantRecord" => tenant,
        target: "UserRecord" => target
    );
}

/// What the authorization rules read of an actor: `subject` and `surface`
/// (an `Actor` from `verifyToken` fits; other fields are ignored).
#[napi(object, object_to_js = false)]
pub struct ActorLike {
    /// The token's subject.
    pub subject: String,
    /// The token's surface.
    pub surface: Surface,
}

/// A user record as the control plane stores it (other fields are ignored).
/// Ids may be strings, `{ $oid }` or driver `ObjectId`s.
#[napi(
    object,
    js_name = "UserRecord",
    object_to_js = false,
    object_from_js = false
)]
#[allow(dead_code)] // declared for the TypeScript definitions
pub struct UserRecordType {
    /// The user's id (`id` is accepted as well).
    #[napi(
        js_name = "_id",
        ts_type = "string | { toHexString(): string } | { $oid: string }"
    )]
    pub underscore_id: Option<String>,
    /// The user's id, when the record names it `id`.
    #[napi(ts_type = "string | { toHexString(): string } | { $oid: string }")]
    pub id: Option<String>,
    /// The Authentik subject this record belongs to.
    pub authentik_subject_id: String,
    /// The tenants the user belongs to.
    #[napi(ts_type = "Array<string | { toHexString(): string } | { $oid: string }>")]
    pub tenant_ids: Option<Vec<String>>,
    /// Roles by tenant id (`{ [tenantId]: 'admin' }`) or as a list.
    #[napi(
        ts_type = "Record<string, string> | Array<{ tenantId: string | { toHexString(): string } | { $oid: string }; role: string }>"
    )]
    pub tenant_roles: Option<String>,
    /// Platform administrator.
    pub platform_admin: Option<bool>,
    /// The partner whose staff the user is.
    #[napi(ts_type = "string | { toHexString(): string } | { $oid: string } | null")]
    pub partner_id: Option<String>,
    /// `false` refuses everything; absent means active.
    pub active: Option<bool>,
    /// The legacy global role (grants nothing).
    pub role: Option<String>,
    /// The user's email.
    pub email: Option<String>,
    /// The user's name.
    pub name: Option<String>,
}
