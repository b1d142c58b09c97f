//! Rollout preview: which of a list of tenants a proposed configuration enables.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use serde::Serialize;

use crate::context::EvaluationContext;
use crate::model::Flag;
use crate::set::evaluate_flag;

/// The operator UI's "N of M tenants" for a proposed flag configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
// The counts are `usize`, which napi would make BigInts: in Node the record crosses
// through serde, and napi only declares its TypeScript form.
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, object_from_js = false)
)]
pub struct RolloutPreview {
    /// How many contexts were given (M).
    #[cfg_attr(feature = "napi", napi(ts_type = "number"))]
    pub total: usize,
    /// How many the configuration enables (N).
    #[cfg_attr(feature = "napi", napi(ts_type = "number"))]
    pub enabled_count: usize,
    /// The positions, in the given list, of the enabled contexts, ascending.
    #[cfg_attr(feature = "napi", napi(ts_type = "number[]"))]
    pub enabled: Vec<usize>,
}

/// Evaluates `flag` as proposed (not yet saved) for each context, exactly:
/// the same rules and buckets as evaluation, no sampling or estimate.
pub fn preview(flag: &Flag, contexts: &[EvaluationContext]) -> RolloutPreview {
    let enabled: Vec<usize> = contexts
        .iter()
        .enumerate()
        .filter(|(_, ctx)| evaluate_flag(flag, ctx).0)
        .map(|(i, _)| i)
        .collect();
    RolloutPreview {
        total: contexts.len(),
        enabled_count: enabled.len(),
        enabled,
    }
}
