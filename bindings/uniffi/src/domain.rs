//! The control plane's pure domain rules: the flag context of a tenant and the
//! authorization rules, over records given as JSON documents.
//!
//! Records are the control plane's MongoDB documents as JSON objects (ids as
//! strings or `{"$oid": "..."}`), read by `dezky_core::records`; the decisions
//! are `dezky_core::tenant::flag_context` and `dezky_core::authz`. This module
//! only parses the JSON text and converts the actor.

use dezky_core::auth;
use dezky_core::authz::{self, UserRecord};
use dezky_core::records;
use dezky_core::tenant::{Partner, Tenant};
use dezky_flags::EvaluationContext;
use serde_json::{Map, Value};

use crate::error::DezkyError;

pub use dezky_core::auth::Surface;

/// The app a token was issued to: `dezky_core::auth::Surface` itself, exported as an enum.
#[uniffi::remote(Enum)]
pub enum Surface {
    /// The customer portal and the partner surface (`dezky-portal`).
    Portal,
    /// The operator app (`dezky-operator`).
    Operator,
}

/// What the authorization rules read of a verified token: its subject and surface.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Actor {
    /// `sub`: the Authentik subject (a user record's `authentikSubjectId`).
    pub subject: String,
    /// The surface, from the audience the token matched.
    pub surface: Surface,
}

impl From<Actor> for auth::Actor {
    fn from(actor: Actor) -> Self {
        auth::Actor {
            subject: actor.subject,
            email: None,
            name: None,
            groups: Vec::new(),
            surface: actor.surface,
            issuer: String::new(),
            audience: String::new(),
            expires_at: 0,
        }
    }
}

/// The JSON object document `json`, the record `name`.
fn document(json: &str, name: &str) -> Result<Map<String, Value>, DezkyError> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(dezky_core::Error::Invalid {
            field: name.to_owned(),
            reason: "must be a JSON object".into(),
        }
        .into()),
        Err(err) => Err(DezkyError::malformed_json(
            &err,
            format!("malformed JSON in `{name}`: {err}"),
        )),
    }
}

fn user(json: &str, name: &str) -> Result<UserRecord, DezkyError> {
    Ok(records::user(name, &document(json, name)?)?)
}

fn tenant(json: &str) -> Result<Tenant, DezkyError> {
    Ok(records::tenant("tenant", &document(json, "tenant")?)?)
}

fn partner(json: &str) -> Result<Partner, DezkyError> {
    Ok(records::partner("partner", &document(json, "partner")?)?)
}

/// The flag evaluation context of the tenant document `tenant_json` in
/// `environment`. `partner_json` must be the tenant's own partner (the one its
/// `partnerId` names), and is required when the tenant has one.
#[uniffi::export]
pub fn flag_context(
    tenant_json: String,
    partner_json: Option<String>,
    environment: String,
) -> Result<EvaluationContext, DezkyError> {
    let tenant = tenant(&tenant_json)?;
    let partner = partner_json.as_deref().map(partner).transpose()?;
    Ok(dezky_core::tenant::flag_context(
        &tenant,
        partner.as_ref(),
        &environment,
    )?)
}

/// The user record must be the actor's own (`authentikSubjectId == subject`)
/// and active. Every other rule starts with this check.
#[uniffi::export]
pub fn require_own_active_record(actor: Actor, user_json: String) -> Result<(), DezkyError> {
    Ok(authz::require_own_active_record(
        &actor.into(),
        &user(&user_json, "user")?,
    )?)
}

/// Operator-only endpoints: an operator-app token **and** `platformAdmin`.
#[uniffi::export]
pub fn require_operator(actor: Actor, user_json: String) -> Result<(), DezkyError> {
    Ok(authz::require_operator(
        &actor.into(),
        &user(&user_json, "user")?,
    )?)
}

/// Platform-admin endpoints: `platformAdmin`, from either surface.
#[uniffi::export]
pub fn require_platform_admin(actor: Actor, user_json: String) -> Result<(), DezkyError> {
    Ok(authz::require_platform_admin(
        &actor.into(),
        &user(&user_json, "user")?,
    )?)
}

/// Reading a tenant: its id in `tenantIds`, or a platform admin.
#[uniffi::export]
pub fn require_tenant_member(
    actor: Actor,
    user_json: String,
    tenant_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_tenant_member(
        &actor.into(),
        &user(&user_json, "user")?,
        &tenant(&tenant_json)?,
    )?)
}

/// Administering a tenant: a member whose `tenantRoles` entry for it is
/// `admin`, or a platform admin. The legacy global `role` grants nothing.
#[uniffi::export]
pub fn require_tenant_admin(
    actor: Actor,
    user_json: String,
    tenant_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_tenant_admin(
        &actor.into(),
        &user(&user_json, "user")?,
        &tenant(&tenant_json)?,
    )?)
}

/// The partner surface: staff of the partner (`partnerId`). Platform admins
/// are not partner staff.
#[uniffi::export]
pub fn require_partner_staff(
    actor: Actor,
    user_json: String,
    partner_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_partner_staff(
        &actor.into(),
        &user(&user_json, "user")?,
        &partner(&partner_json)?,
    )?)
}

/// Staff of the partner acting on the tenant, which must be one of that
/// partner's own tenants (`tenant.partnerId`).
#[uniffi::export]
pub fn require_partner_tenant(
    actor: Actor,
    user_json: String,
    partner_json: String,
    tenant_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_partner_tenant(
        &actor.into(),
        &user(&user_json, "user")?,
        &partner(&partner_json)?,
        &tenant(&tenant_json)?,
    )?)
}

/// Suspending `target`: a tenant admin of the tenant, not oneself, `target` a
/// member of the tenant; only a platform admin may act on a platform admin.
#[uniffi::export]
pub fn require_can_suspend(
    actor: Actor,
    user_json: String,
    tenant_json: String,
    target_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_can_suspend(
        &actor.into(),
        &user(&user_json, "user")?,
        &tenant(&tenant_json)?,
        &user(&target_json, "target")?,
    )?)
}

/// Ending `target`'s sessions: the same rule as [`require_can_suspend`].
#[uniffi::export]
pub fn require_can_force_logout(
    actor: Actor,
    user_json: String,
    tenant_json: String,
    target_json: String,
) -> Result<(), DezkyError> {
    Ok(authz::require_can_force_logout(
        &actor.into(),
        &user(&user_json, "user")?,
        &tenant(&tenant_json)?,
        &user(&target_json, "target")?,
    )?)
}
