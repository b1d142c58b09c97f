//! The Dezky SDK in one dependency: re-exports [`dezky_flags`], [`dezky_core`] and [`dezky_clients`].

pub use dezky_clients as clients;
pub use dezky_core as core;
pub use dezky_flags as flags;
