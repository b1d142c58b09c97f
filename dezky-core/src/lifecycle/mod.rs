//! The tenant lifecycle: the tenant and partner documents read whole, the
//! slug rules and upstream names, the status machine, and version-guarded
//! patches of the tenant document (`docs/lifecycle.md`).

mod machine;
mod patch;
mod record;
pub mod slug;

pub use machine::{LifecycleAction, Transition, denied_event, ready_to_activate, transition};
pub use patch::{TenantPatch, VERSION_KEY};
pub use record::{
    Handles, PartnerDocument, PartnerStatus, Step, StepState, SuspensionEntry, TenantDocument,
    TenantStatus,
};
pub use slug::TenantSlug;
