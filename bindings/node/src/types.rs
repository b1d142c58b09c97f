//! Plain objects crossing the boundary, and the TypeScript shapes of inputs.

use dezky_flags::{FlagAuditEvent, Reason};
use napi::bindgen_prelude::{Either, Object};
use napi_derive::napi;
use serde_json::Value;

use crate::flags::FlagSet;

/// The outcome of evaluating one flag: the core's `Evaluation` plus its
/// OpenFeature forms (`openFeatureReason`, `variant`), which the JS shape
/// carries on purpose so that the OpenFeature provider reads them directly.
#[napi(object, object_from_js = false)]
pub struct Evaluation {
    /// The flag's key.
    pub key: String,
    /// Whether the flag is enabled for the context.
    pub value: bool,
    /// Why.
    pub reason: Reason,
    /// The OpenFeature resolution reason the reason maps onto
    /// (`STATIC`, `DISABLED`, `TARGETING_MATCH`, `SPLIT`, `DEFAULT`, `ERROR`).
    pub open_feature_reason: String,
    /// The subject's rollout bucket (0..=99), when one was computed.
    pub bucket: Option<u32>,
    /// Whether the flag was last switched off through the kill switch.
    pub killed: bool,
    /// `"on"` or `"off"`, the OpenFeature variant.
    pub variant: String,
}

impl From<dezky_flags::Evaluation> for Evaluation {
    fn from(evaluation: dezky_flags::Evaluation) -> Self {
        Evaluation {
            variant: evaluation.variant().to_owned(),
            open_feature_reason: evaluation.reason.openfeature_reason().to_owned(),
            reason: evaluation.reason,
            bucket: evaluation.bucket.map(u32::from),
            killed: evaluation.killed,
            value: evaluation.value,
            key: evaluation.key,
        }
    }
}

/// The allowlists a flag is scoped by; an empty or missing axis places no constraint.
// Declared for the TypeScript definitions only: inputs are read through
// `serde_json::Value` so that the core names the offending field.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FlagScope {
    /// Plan names.
    pub plans: Option<Vec<String>>,
    /// Tenant slugs.
    pub tenant_slugs: Option<Vec<String>>,
    /// Partner slugs.
    pub partner_slugs: Option<Vec<String>>,
    /// Environments.
    pub environments: Option<Vec<String>>,
    /// User ids, for user-level flags only.
    pub user_ids: Option<Vec<String>>,
}

/// One flag document, as the control plane stores it and serves it from `GET /flags`.
/// Unknown fields are preserved on round trips.
// Declared for the TypeScript definitions only: inputs are read through
// `serde_json::Value` so that the core names the offending field.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FlagDocument {
    /// Unique lowercase snake_case key starting with a letter.
    pub key: String,
    /// Free text for operators.
    pub description: Option<String>,
    /// `off`, `on`, `targeted` or `rollout`.
    #[napi(ts_type = "'off' | 'on' | 'targeted' | 'rollout'")]
    pub state: String,
    /// Rollout percentage, an integer in 0..=100.
    pub pct: Option<u32>,
    /// The scope allowlists.
    pub scope: Option<FlagScope>,
    /// `tenant` (default) or `user`.
    #[napi(ts_type = "'tenant' | 'user'")]
    pub level: Option<String>,
    /// Change history, newest first, at most 20 entries.
    #[napi(ts_type = "Array<Record<string, unknown>>")]
    pub history: Option<Vec<String>>,
}

/// A partial update of a flag's configuration; absent fields stay as they are.
// Declared for the TypeScript definitions only: inputs are read through
// `serde_json::Value` so that the core names the offending field.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FlagUpdate {
    /// New description.
    pub description: Option<String>,
    /// New state.
    #[napi(ts_type = "'off' | 'on' | 'targeted' | 'rollout'")]
    pub state: Option<String>,
    /// New rollout percentage (0..=100).
    pub pct: Option<u32>,
    /// New scope, replacing the whole scope.
    pub scope: Option<FlagScope>,
    /// New level.
    #[napi(ts_type = "'tenant' | 'user'")]
    pub level: Option<String>,
}

/// The result of a flag change: the new set, the changed flag and its audit event.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct FlagChange<'a> {
    /// The flag set with the change applied (the input set is immutable and unchanged).
    #[napi(ts_type = "FlagSet")]
    pub flags: Either<Object<'a>, FlagSet>,
    /// The changed flag's document, history included (`null` after a removal).
    #[napi(ts_type = "FlagDocument")]
    pub flag: Option<Value>,
    /// The audit event for the platform audit log; `null` when an update changed nothing.
    pub audit: Option<FlagAuditEvent>,
}
