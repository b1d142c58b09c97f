//! `flagContext`: the flag evaluation context of a tenant, built by
//! `dezky_core::tenant::flag_context` from the control plane's records.
//!
//! The records arrive as plain objects with the control plane's camelCase
//! names (the id as `_id` or `id`); this module only reads them into the core's
//! `Tenant` and `Partner`. Every rule (ObjectId form, non-empty slug and plan,
//! the partner being the tenant's own) lives in the core.

use dezky_core::Error;
use dezky_core::tenant::{Partner, Tenant};
use napi::bindgen_prelude::{Function, JsObjectValue, JsValue, Object, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;

use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

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

/// The JS type name used in messages.
fn type_name(value: &Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) => "object",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        _ => "an unsupported value",
    }
}

fn utf8(value: &Unknown<'_>, field: &str) -> Result<String> {
    value
        .coerce_to_string()
        .and_then(|s| s.into_utf8())
        .and_then(|s| s.into_owned())
        .map_err(|e| invalid(field, e.reason))
}

/// A record given as a plain object (not an array, not `null`).
fn record<'e>(value: &Unknown<'e>, name: &str) -> Result<Object<'e>> {
    match value.get_type() {
        Ok(ValueType::Object) if !value.is_array().unwrap_or(false) => value
            .coerce_to_object()
            .map_err(|e| invalid(name, e.reason)),
        Ok(ValueType::Undefined) => Err(invalid(name, "is required")),
        _ => Err(invalid(
            name,
            format!("must be an object, got {}", type_name(value)),
        )),
    }
}

/// An optional property: `undefined` and `null` read as absent.
fn property<'e>(object: &Object<'e>, name: &str, field: &str) -> Result<Option<Unknown<'e>>> {
    let value: Unknown<'e> = object
        .get_named_property(name)
        .map_err(|e| invalid(field, e.reason))?;
    Ok(match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => None,
        _ => Some(value),
    })
}

/// An optional string property.
fn string(object: &Object<'_>, name: &str, field: &str) -> Result<Option<String>> {
    match property(object, name, field)? {
        None => Ok(None),
        Some(value) if matches!(value.get_type(), Ok(ValueType::String)) => {
            utf8(&value, field).map(Some)
        }
        Some(value) => Err(invalid(
            field,
            format!("must be a string, got {}", type_name(&value)),
        )),
    }
}

/// An optional id property: a string, or a MongoDB driver `ObjectId` (anything
/// with a `toHexString()` method returning a string).
fn id(object: &Object<'_>, name: &str, field: &str) -> Result<Option<String>> {
    let Some(value) = property(object, name, field)? else {
        return Ok(None);
    };
    if matches!(value.get_type(), Ok(ValueType::String)) {
        return utf8(&value, field).map(Some);
    }
    let not_an_id = || {
        invalid(
            field,
            format!("must be a string or an ObjectId, got {}", type_name(&value)),
        )
    };
    if !matches!(value.get_type(), Ok(ValueType::Object)) {
        return Err(not_an_id());
    }
    let object = value.coerce_to_object().map_err(|_| not_an_id())?;
    // Validated as a function by napi; anything else is not an ObjectId.
    let method: Function<'_, (), Unknown<'_>> = object
        .get_named_property("toHexString")
        .map_err(|_| not_an_id())?;
    let hex = method
        .apply(object, ())
        .map_err(|e| invalid(field, format!("toHexString() failed: {}", e.reason)))?;
    if !matches!(hex.get_type(), Ok(ValueType::String)) {
        return Err(invalid(field, "toHexString() did not return a string"));
    }
    utf8(&hex, field).map(Some)
}

/// The record's id, from `_id` or `id` (both may be given if they agree).
fn record_id(object: &Object<'_>, name: &str) -> Result<String> {
    let field = format!("{name}.id");
    let underscore = id(object, "_id", &field)?;
    let plain = id(object, "id", &field)?;
    match (underscore, plain) {
        (Some(a), Some(b)) if a != b => Err(invalid(
            &field,
            format!("`_id` {a:?} and `id` {b:?} disagree"),
        )),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(invalid(&field, "is required (as `_id` or `id`)")),
    }
}

fn required(object: &Object<'_>, name: &str, field: &str) -> Result<String> {
    string(object, name, field)?.ok_or_else(|| invalid(field, "is required"))
}

fn tenant(value: &Unknown<'_>) -> Result<Tenant> {
    let object = record(value, "tenant")?;
    Ok(Tenant {
        id: record_id(&object, "tenant")?,
        slug: required(&object, "slug", "tenant.slug")?,
        plan: required(&object, "plan", "tenant.plan")?,
        partner_id: id(&object, "partnerId", "tenant.partnerId")?,
    })
}

fn partner(value: &Unknown<'_>) -> Result<Option<Partner>> {
    if matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null)) {
        return Ok(None);
    }
    let object = record(value, "partner")?;
    Ok(Some(Partner {
        id: record_id(&object, "partner")?,
        slug: required(&object, "slug", "partner.slug")?,
    }))
}

fn environment(value: &Unknown<'_>) -> Result<String> {
    match value.get_type() {
        Ok(ValueType::String) => utf8(value, "environment"),
        Ok(ValueType::Undefined) => Err(invalid("environment", "is required")),
        _ => Err(invalid(
            "environment",
            format!("must be a string, got {}", type_name(value)),
        )),
    }
}

/// The evaluation context of a tenant in an environment, from the control
/// plane's tenant and partner records (`partnerSlug` set from the partner).
/// `partner` must be the tenant's own partner (the one `tenant.partnerId`
/// names), or `null` for a tenant without one: evaluating on the wrong partner
/// would silently enable the wrong flags. Throws `DEZKY_INVALID_ARGUMENT` with
/// `argument` and `field` (`tenant.id`, `tenant.slug`, `partner`, `environment`, ...).
#[napi(
    ts_args_type = "tenant: TenantRecord, partner: PartnerRecord | null, environment: string",
    ts_return_type = "EvaluationContext"
)]
pub fn flag_context<'e>(
    env: &'e Env,
    tenant: Unknown<'_>,
    partner: Unknown<'_>,
    environment: Unknown<'_>,
) -> napi::Result<Unknown<'e>> {
    let context = (|| {
        let tenant = self::tenant(&tenant)?;
        let partner = self::partner(&partner)?;
        let environment = self::environment(&environment)?;
        dezky_core::tenant::flag_context(&tenant, partner.as_ref(), &environment)
    })()
    .js(env)?;
    env.to_js_value(&context)
}
