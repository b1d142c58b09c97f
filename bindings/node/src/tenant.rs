//! `flagContext`: the flag evaluation context of a tenant, built by
//! `dezky_core::tenant::flag_context` from the control plane's records.
//!
//! The records arrive as plain objects with the control plane's camelCase
//! names (the id as `_id` or `id`); they are converted to JSON and read by
//! `dezky_core::records`. Every rule (ObjectId form, non-empty slug and plan,
//! the partner being the tenant's own) lives in the core.

use dezky_core::Error;
use dezky_core::tenant::Partner;
use dezky_flags::EvaluationContext;
use napi::bindgen_prelude::Unknown;
use napi::{Env, ValueType};
use napi_derive::napi;

use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

/// A tenant record as the control plane stores it. Other fields (`name`,
/// `createdAt`, ...) are ignored, so whole documents can be passed.
// Declared for the TypeScript definitions only: records are read property by property.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TenantRecord {
    /// The tenant's MongoDB ObjectId: 24 lowercase hex characters, or an ObjectId
    /// object (anything with `toHexString()`). `id` is accepted as well.
    #[napi(js_name = "_id", ts_type = "string | { toHexString(): string }")]
    pub underscore_id: Option<String>,
    /// The tenant's id, when the record names it `id` rather than `_id`.
    #[napi(ts_type = "string | { toHexString(): string }")]
    pub id: Option<String>,
    /// The tenant's slug.
    pub slug: String,
    /// The tenant's plan.
    pub plan: String,
    /// The id of the reselling partner; absent or `null` when the tenant has none.
    #[napi(ts_type = "string | { toHexString(): string } | null")]
    pub partner_id: Option<String>,
}

/// A partner record as the control plane stores it (other fields are ignored).
// Declared for the TypeScript definitions only: records are read property by property.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct PartnerRecord {
    /// The partner's MongoDB ObjectId, or an ObjectId object. `id` is accepted as well.
    #[napi(js_name = "_id", ts_type = "string | { toHexString(): string }")]
    pub underscore_id: Option<String>,
    /// The partner's id, when the record names it `id` rather than `_id`.
    #[napi(ts_type = "string | { toHexString(): string }")]
    pub id: Option<String>,
    /// The partner's slug.
    pub slug: String,
}

fn partner(value: &Unknown<'_>) -> Result<Option<Partner>> {
    if matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null)) {
        return Ok(None);
    }
    crate::auth::partner(value).map(Some)
}

/// The evaluation context of a tenant in an environment, from the control
/// plane's tenant and partner records (`partnerSlug` set from the partner).
/// `partner` must be the tenant's own partner (the one `tenant.partnerId`
/// names), or `null` for a tenant without one: evaluating on the wrong partner
/// would silently enable the wrong flags. Throws `DEZKY_INVALID_ARGUMENT` with
/// `argument` and `field` (`tenant.id`, `tenant.slug`, `partner`, `environment`, ...).
#[napi]
pub fn flag_context(
    env: Env,
    #[napi(ts_arg_type = "TenantRecord")] tenant: Unknown<'_>,
    #[napi(ts_arg_type = "PartnerRecord | null")] partner: Unknown<'_>,
    environment: String,
) -> napi::Result<EvaluationContext> {
    (|| {
        let tenant = crate::auth::tenant(&tenant)?;
        let partner = self::partner(&partner)?;
        dezky_core::tenant::flag_context(&tenant, partner.as_ref(), &environment)
    })()
    .js(&env)
}
