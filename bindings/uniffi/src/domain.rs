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
pub(crate) fn document(json: &str, name: &str) -> Result<Map<String, Value>, DezkyError> {
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

fn tenant(json: &str, name: &str) -> Result<Tenant, DezkyError> {
    Ok(records::tenant(name, &document(json, name)?)?)
}

fn partner(json: &str, name: &str) -> Result<Partner, DezkyError> {
    Ok(records::partner(name, &document(json, name)?)?)
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
    let tenant = tenant(&tenant_json, "tenant")?;
    let partner = partner_json
        .as_deref()
        .map(|json| partner(json, "partner"))
        .transpose()?;
    Ok(dezky_core::tenant::flag_context(
        &tenant,
        partner.as_ref(),
        &environment,
    )?)
}

/// Exports each rule of `dezky_core::authz` with the actor and its records as
/// JSON documents: each argument `x_json` is read by `read(&x_json, "x")`
/// (`user`, `tenant` or `partner`; the name is the one errors give).
macro_rules! authz_rules {
    ($(
        $(#[$meta:meta])*
        fn $rule:ident($($arg:ident: $read:ident($name:literal)),+);
    )*) => {$(
        $(#[$meta])*
        #[uniffi::export]
        pub fn $rule(actor: Actor, $($arg: String),+) -> Result<(), DezkyError> {
            Ok(authz::$rule(&actor.into(), $(&$read(&$arg, $name)?),+)?)
        }
    )*};
}

authz_rules! {
    /// The user record must be the actor's own (`authentikSubjectId == subject`)
    /// and active. Every other rule starts with this check.
    fn require_own_active_record(user_json: user("user"));

    /// Operator-only endpoints: an operator-app token **and** `platformAdmin`.
    fn require_operator(user_json: user("user"));

    /// Platform-admin endpoints: `platformAdmin`, from either surface.
    fn require_platform_admin(user_json: user("user"));

    /// Reading a tenant: its id in `tenantIds`, or a platform admin.
    fn require_tenant_member(user_json: user("user"), tenant_json: tenant("tenant"));

    /// Administering a tenant: a member whose `tenantRoles` entry for it is
    /// `admin`, or a platform admin. The legacy global `role` grants nothing.
    fn require_tenant_admin(user_json: user("user"), tenant_json: tenant("tenant"));

    /// The partner surface: staff of the partner (`partnerId`). Platform admins
    /// are not partner staff.
    fn require_partner_staff(user_json: user("user"), partner_json: partner("partner"));

    /// Staff of the partner acting on the tenant, which must be one of that
    /// partner's own tenants (`tenant.partnerId`).
    fn require_partner_tenant(
        user_json: user("user"),
        partner_json: partner("partner"),
        tenant_json: tenant("tenant")
    );

    /// Suspending `target`: a tenant admin of the tenant, not oneself, `target` a
    /// member of the tenant; only a platform admin may act on a platform admin.
    fn require_can_suspend(
        user_json: user("user"),
        tenant_json: tenant("tenant"),
        target_json: user("target")
    );

    /// Ending `target`'s sessions: the same rule as [`require_can_suspend`].
    fn require_can_force_logout(
        user_json: user("user"),
        tenant_json: tenant("tenant"),
        target_json: user("target")
    );
}
