//! Deterministic feature-flag evaluation for the Dezky control plane.
//!
//! The contract (states, scope axes, the SHA-256 rollout bucket) is in
//! `docs/flags.md`. The main types:
//!
//! - [`Flag`]: one flag document, read and written in the control plane's JSON.
//! - [`FlagSet`]: a validated set compiled for evaluation; [`FlagSet::evaluate_all`] is the hot path.
//! - [`EvaluationContext`]: tenant, plan, partner, environment and user.
//! - [`FlagStore`]: an in-memory snapshot refreshed from a [`FlagSource`] in the background.
//!
//! ```
//! use dezky_flags::{EvaluationContext, FlagSet};
//!
//! let set = FlagSet::from_json(r#"[
//!     {"key": "gdpr_export_v2", "state": "rollout", "pct": 25, "scope": {}},
//!     {"key": "jmap_native_v2", "state": "targeted", "scope": {"plans": ["business"]}}
//! ]"#)?;
//! let ctx = EvaluationContext::for_tenant("6650f1c2a9b4e3d2c1b0a998", "acme").with_plan("business");
//! let all = set.evaluate_all(&ctx);
//! assert_eq!(all.get("gdpr_export_v2"), Some(true)); // bucket 12 < 25
//! assert_eq!(all.get("jmap_native_v2"), Some(true));
//! # Ok::<(), dezky_flags::Error>(())
//! ```

// UniFFI records and enums derived on our own types need this crate's scaffolding (its `UniFfiTag`
// and metadata), used by bindings/uniffi; nothing is exported without the `uniffi` feature.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

mod bucket;
mod context;
pub mod contract;
mod error;
mod eval;
mod model;
#[cfg(feature = "openfeature")]
pub mod openfeature;
mod ops;
mod preview;
mod set;
mod store;

pub use bucket::{bucket, bucket_prefix};
pub use context::EvaluationContext;
pub use error::{Error, Result};
pub use eval::{Evaluation, Reason};
pub use model::{
    Flag, FlagLevel, FlagState, HISTORY_CAP, HistoryEntry, MAX_KEY_LEN, Scope, validate_key,
};
pub use ops::{CREATE, Change, FlagAuditEvent, FlagUpdate, KILL_SWITCH, UPDATE};
pub use preview::{RolloutPreview, preview};
pub use set::{Evaluations, FlagSet};
pub use store::{
    BoxFuture, Fetched, FileSource, FlagSource, FlagStore, RefreshOutcome, RefresherHandle,
    StoreOptions, StoreStatus, Subscription,
};
