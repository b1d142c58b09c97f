//! The Dezky control-plane domain.
