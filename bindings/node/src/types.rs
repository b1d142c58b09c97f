//! Plain objects crossing the boundary, and the TypeScript shapes of inputs.

use napi_derive::napi;

/// Why a flag evaluated the way it did (the core's stable reason names).
#[napi(string_enum = "snake_case")]
pub enum Reason {
    /// The flag is `off`.
    Off,
    /// The flag is `on`.
    On,
    /// `targeted`, and the context matched every non-empty scope axis.
    TargetingMatch,
    /// The context is outside the flag's scope (or a `targeted` flag has an empty scope).
    NotTargeted,
    /// `rollout`, in scope, and the subject's bucket is below `pct`.
    InRollout,
    /// `rollout`, in scope, and the subject's bucket is at or above `pct`.
    OutOfRollout,
    /// `rollout`, in scope, but the context lacks the subject (`tenantId`, or `userId` for user-level flags).
    SubjectMissing,
    /// No flag has this key.
    FlagNotFound,
}

impl From<dezky_flags::Reason> for Reason {
    fn from(reason: dezky_flags::Reason) -> Self {
        match reason {
            dezky_flags::Reason::Off => Reason::Off,
            dezky_flags::Reason::On => Reason::On,
            dezky_flags::Reason::TargetingMatch => Reason::TargetingMatch,
            dezky_flags::Reason::NotTargeted => Reason::NotTargeted,
            dezky_flags::Reason::InRollout => Reason::InRollout,
            dezky_flags::Reason::OutOfRollout => Reason::OutOfRollout,
            dezky_flags::Reason::SubjectMissing => Reason::SubjectMissing,
            dezky_flags::Reason::FlagNotFound => Reason::FlagNotFound,
        }
    }
}

/// The outcome of evaluating one flag.
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
            reason: evaluation.reason.into(),
            bucket: evaluation.bucket.map(u32::from),
            killed: evaluation.killed,
            value: evaluation.value,
            key: evaluation.key,
        }
    }
}

/// What a flag is evaluated for, with the control plane's names. Every field is
/// optional; an absent value never matches a non-empty scope axis. Other fields
/// are rejected (`DEZKY_INVALID_CONTEXT`), so a misspelt name cannot silently never match.
// Declared for the TypeScript definitions only: inputs are read through
// `serde_json::Value` so that the core names the offending field.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct EvaluationContext {
    /// The tenant's stable id (24 hex characters); the rollout subject.
    pub tenant_id: Option<String>,
    /// The tenant's slug.
    pub tenant_slug: Option<String>,
    /// The tenant's plan.
    pub plan: Option<String>,
    /// The slug of the tenant's partner; absent when the tenant has none.
    pub partner_slug: Option<String>,
    /// The deployment environment (`prod`, `staging`, `dev`, ...).
    pub environment: Option<String>,
    /// The user inside the tenant, for user-level flags.
    pub user_id: Option<String>,
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

/// A record for the platform audit log, one per flag change.
// Declared for the TypeScript definitions only: inputs are read through
// `serde_json::Value` so that the core names the offending field.
#[allow(dead_code)]
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FlagAuditEvent {
    /// `flag.create`, `flag.update`, `flag.kill_switch` or `flag.delete`.
    pub action: String,
    /// Always `success`.
    pub outcome: String,
    /// Who made the change.
    pub actor_email: String,
    /// When, RFC 3339 with milliseconds, UTC.
    pub at: String,
    /// Always `flag`.
    pub target_type: String,
    /// The flag's key.
    pub target_id: String,
    /// The configuration before (`null` for a creation).
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub before: String,
    /// The configuration after (`null` for a deletion).
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub after: String,
}

/// The operator UI's "N of M tenants" for a proposed flag configuration.
#[napi(object, object_from_js = false)]
pub struct RolloutPreview {
    /// How many contexts were given (M).
    pub total: u32,
    /// How many the configuration enables (N).
    pub enabled_count: u32,
    /// The positions, in the given list, of the enabled contexts, ascending.
    pub enabled: Vec<u32>,
}

impl From<dezky_flags::RolloutPreview> for RolloutPreview {
    fn from(preview: dezky_flags::RolloutPreview) -> Self {
        RolloutPreview {
            total: preview.total as u32,
            enabled_count: preview.enabled_count as u32,
            enabled: preview.enabled.into_iter().map(|i| i as u32).collect(),
        }
    }
}

// Declared for the TypeScript definitions only: the result object is built in `flags.rs`.
#[allow(dead_code)]
/// The result of a flag change: the new set, the changed flag and its audit event.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct FlagChange {
    /// The flag set with the change applied (the input set is immutable and unchanged).
    #[napi(ts_type = "FlagSet")]
    pub flags: String,
    /// The changed flag's document, history included (`null` after a removal).
    #[napi(ts_type = "FlagDocument | null")]
    pub flag: String,
    /// The audit event for the platform audit log; `null` when an update changed nothing.
    #[napi(ts_type = "FlagAuditEvent | null")]
    pub audit: String,
}
