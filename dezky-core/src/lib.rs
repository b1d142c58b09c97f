//! The Dezky control-plane domain.
//!
//! The tenant and partner records as the control plane stores them, the flag
//! evaluation context built from them, and the operations on tenants and
//! their members (see `docs/ARCHITECTURE.md`).

pub mod audit;
pub mod auth;
pub mod authz;
pub mod billing;
pub mod branding;
pub mod dns;
pub mod domains;
mod error;
pub mod http;
pub mod lifecycle;
pub mod members;
pub mod partners;
pub mod policy;
pub mod provisioning;
pub mod records;
pub mod secret;
pub mod sso_apps;
pub mod tenant;

pub use error::{Error, Result};
