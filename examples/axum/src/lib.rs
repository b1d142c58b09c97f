//! A small Rust service on the Dezky crates, with a few of the portal's routes
//! (`docs/portal.md`): `GET /api/me`, `POST /api/tenants/{slug}/suspend` and
//! `POST /api/flags/evaluate`. Every route verifies the bearer token with
//! [`TokenVerifier`] and loads the caller's user record; rights come from the
//! record through `dezky_core::authz`, and every error is answered from the
//! one table of [`dezky_core::http`] (status, `{code, message, details}`,
//! `Retry-After`), as the Node helper `toHttpError` does.
//!
//! The database is in memory ([`Db`]); a real service reads and writes MongoDB
//! where this one touches `Db`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use dezky_core::auth::{Actor, TokenVerifier};
use dezky_core::authz::{self, UserRecord};
use dezky_core::http::{HttpError, http_error};
use dezky_core::lifecycle::TenantDocument;
use dezky_core::members::MemberDocument;
use dezky_core::provisioning::Provisioner;
use dezky_core::{Error, records};
use dezky_flags::contract::ErrorContract;
use dezky_flags::{Change, FlagSet};
use serde_json::{Map, Value};

/// The control plane's collections, in memory.
#[derive(Debug, Default)]
pub struct Db {
    /// Tenant documents.
    pub tenants: Vec<Map<String, Value>>,
    /// User documents.
    pub users: Vec<Map<String, Value>>,
    /// Partner documents.
    pub partners: Vec<Map<String, Value>>,
}

/// What the routes share.
pub struct Portal {
    /// Verifies the bearer tokens.
    pub verifier: TokenVerifier,
    /// Drives the tenants' upstream resources.
    pub provisioner: Provisioner,
    /// The flags evaluated by `POST /api/flags/evaluate`.
    pub flags: FlagSet,
    /// The environment of the flag context (`prod`, `staging`, ...).
    pub environment: String,
    /// The database.
    pub db: Mutex<Db>,
}

/// An error answered from the core's table.
#[derive(Debug)]
pub struct ApiError(HttpError);

impl<E: ErrorContract> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(http_error(&error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.0.body)).into_response();
        if let Some(seconds) = self.0.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

type Answer = Result<Json<Value>, ApiError>;

/// The router of the service.
pub fn app(portal: Arc<Portal>) -> Router {
    Router::new()
        .route(
            "/api/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/api/me", get(me))
        .route("/api/tenants/{slug}/suspend", post(suspend_tenant))
        .route("/api/flags/evaluate", post(evaluate_flags))
        .with_state(portal)
}

fn forbidden(reason: &str) -> Error {
    Error::Forbidden {
        reason: reason.into(),
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError(HttpError {
        status: 404,
        body: serde_json::json!({
            "code": "DEZKY_NOT_FOUND",
            "message": format!("no such {what}"),
            "details": {"reason": format!("no such {what}")},
        }),
        retry_after: None,
    })
}

fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("$oid")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The verified caller: the token's actor, their user document and record.
struct Caller {
    actor: Actor,
    document: Map<String, Value>,
    user: UserRecord,
}

impl Caller {
    fn change(&self) -> Result<Change, dezky_flags::Error> {
        Change::now(
            self.actor
                .email
                .clone()
                .unwrap_or(self.actor.subject.clone()),
        )
    }
}

async fn caller(portal: &Portal, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| Error::TokenMalformed {
            reason: "no Authorization: Bearer header".into(),
        })?;
    let actor = portal.verifier.verify(token).await?;
    let document = {
        let db = portal.db.lock().unwrap_or_else(|e| e.into_inner());
        db.users
            .iter()
            .find(|u| u.get("authentikSubjectId").and_then(Value::as_str) == Some(&actor.subject))
            .cloned()
    }
    .ok_or_else(|| forbidden("no user record"))?;
    let user = records::user("user", &document)?;
    authz::require_own_active_record(&actor, &user)?;
    Ok(Caller {
        actor,
        document,
        user,
    })
}

/// `GET /api/me`: the caller's profile.
async fn me(State(portal): State<Arc<Portal>>, headers: HeaderMap) -> Answer {
    let caller = caller(&portal, &headers).await?;
    let member = MemberDocument::from_document("user", &caller.document)?;
    let (tenants, partner) = {
        let db = portal.db.lock().unwrap_or_else(|e| e.into_inner());
        let tenants = db
            .tenants
            .iter()
            .filter(|t| id_of(t.get("_id")).is_some_and(|id| caller.user.tenant_ids.contains(&id)))
            .map(|t| records::tenant("tenant", t))
            .collect::<Result<Vec<_>, _>>()?;
        let partner = match &caller.user.partner_id {
            Some(id) => db
                .partners
                .iter()
                .find(|p| id_of(p.get("_id")).as_ref() == Some(id))
                .map(|p| records::partner("partner", p))
                .transpose()?,
            None => None,
        };
        (tenants, partner)
    };
    let profile = dezky_core::members::me(&caller.actor, &member, &tenants, partner.as_ref())?;
    Ok(Json(serde_json::to_value(profile).unwrap_or_default()))
}

/// `POST /api/tenants/{slug}/suspend`: the operator app only.
async fn suspend_tenant(
    State(portal): State<Arc<Portal>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let caller = caller(&portal, &headers).await?;
    authz::require_operator(&caller.actor, &caller.user)?;
    let document = {
        let db = portal.db.lock().unwrap_or_else(|e| e.into_inner());
        db.tenants
            .iter()
            .find(|t| t.get("slug").and_then(Value::as_str) == Some(&slug))
            .cloned()
    }
    .ok_or_else(|| not_found("tenant"))?;
    let tenant = TenantDocument::from_document("tenant", &document)?;
    let report = portal
        .provisioner
        .suspend(&tenant, &caller.change()?)
        .await?;
    let saved = tenant.apply(&report.patch)?.to_document();
    {
        let mut db = portal.db.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = db
            .tenants
            .iter_mut()
            .find(|t| t.get("slug") == saved.get("slug"))
        {
            *t = saved.clone();
        }
    }
    Ok(Json(serde_json::json!({"tenant": saved, "report": report})))
}

/// `POST /api/flags/evaluate` `{tenant?}`: every flag for one of the caller's
/// tenants, on a context built from the tenant and partner records (the body
/// only names the tenant).
async fn evaluate_flags(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let caller = caller(&portal, &headers).await?;
    let body: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(&body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(Error::Invalid {
                    field: "body".into(),
                    reason: "must be an object".into(),
                }
                .into());
            }
            Err(e) => {
                return Err(dezky_flags::Error::MalformedJson {
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                }
                .into());
            }
        }
    };
    if let Some(key) = body.keys().find(|k| *k != "tenant") {
        return Err(Error::Invalid {
            field: key.clone(),
            reason: "is not a field (tenant)".into(),
        }
        .into());
    }
    let slug = match body.get("tenant") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::Invalid {
                field: "tenant".into(),
                reason: "must be a tenant slug".into(),
            }
            .into());
        }
    };
    let (tenant, partner) = {
        let db = portal.db.lock().unwrap_or_else(|e| e.into_inner());
        let found = db.tenants.iter().find(|t| match &slug {
            Some(slug) => t.get("slug").and_then(Value::as_str) == Some(slug),
            None => {
                caller.user.tenant_ids.len() == 1
                    && id_of(t.get("_id")).as_ref() == caller.user.tenant_ids.first()
            }
        });
        let Some(found) = found else {
            return Err(match slug {
                Some(_) => not_found("tenant"),
                None => Error::Invalid {
                    field: "tenant".into(),
                    reason: "name the tenant".into(),
                }
                .into(),
            });
        };
        let tenant = records::tenant("tenant", found)?;
        let partner = match &tenant.partner_id {
            Some(id) => db
                .partners
                .iter()
                .find(|p| id_of(p.get("_id")).as_ref() == Some(id))
                .map(|p| records::partner("partner", p))
                .transpose()?,
            None => None,
        };
        (tenant, partner)
    };
    authz::require_tenant_member(&caller.actor, &caller.user, &tenant)?;
    let mut context =
        dezky_core::tenant::flag_context(&tenant, partner.as_ref(), &portal.environment)?;
    context.user_id = Some(caller.user.id.clone());
    let evaluations = portal.flags.evaluate_all(&context);
    Ok(Json(serde_json::to_value(evaluations).unwrap_or_default()))
}
