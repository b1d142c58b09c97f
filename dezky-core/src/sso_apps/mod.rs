//! A tenant's SSO apps (the tenant's own OIDC clients, with Dezky as the
//! identity provider; `docs/sso-apps.md`): the record the control plane
//! keeps (never the client secret), the apps bound to the tenant's group,
//! and a composite delete (policy bindings, application, provider) that is
//! safe to repeat.

pub mod memory;
mod ports;
mod run;

pub use ports::{SsoApplication, SsoBinding, SsoPort};
pub use run::{BoundApp, SsoAppRecord, SsoAppStep, SsoApps, SsoDeletion, SsoError, SsoStepOutcome};
