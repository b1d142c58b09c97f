//! Provisioning orchestration: a tenant's upstream resources made, checked,
//! suspended and removed through one port per step (`docs/provisioning.md`).

mod bulk;
pub mod memory;
mod ports;
mod run;

pub use bulk::{BulkEvent, BulkOptions, BulkSummary, UpstreamLimits};
pub use ports::{FailureKind, PortError, PortFuture, Resource, TenantRef, UpstreamPort};
pub use run::{
    Deprovisioning, Drift, LifecycleReport, Provisioner, REMOVAL_ORDER, ReconcileOptions,
    Reconciliation, Removal, RemovalReport, StepReport,
};
