//! The Dezky control-plane domain.
//!
//! For now: the tenant and partner records as the control plane stores them,
//! and the flag evaluation context built from them (partner included).

pub mod audit;
pub mod auth;
pub mod authz;
pub mod billing;
pub mod branding;
pub mod dns;
mod error;
pub mod lifecycle;
pub mod policy;
pub mod provisioning;
pub mod records;
pub mod tenant;

pub use error::{Error, Result};
