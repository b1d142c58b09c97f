//! Typed async clients for the upstreams of the Dezky control plane.
//!
//! For now: the HTTP source of the flag store ([`flags::HttpFlagSource`]),
//! which reads the control plane's `GET /flags` with ETag revalidation.

mod error;
pub mod flags;
pub mod oidc;
pub mod resolver;
mod secret;

pub use error::{Error, Result};
pub use secret::Secret;
