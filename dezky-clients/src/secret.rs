//! A string that never shows in `Debug` or `Display` output: the core's
//! [`dezky_core::secret::Secret`] (and [`Withheld`]), one type for the
//! clients' credentials and the core's own secrets (one-time passwords,
//! recovery links).

pub use dezky_core::secret::{Secret, Withheld};
