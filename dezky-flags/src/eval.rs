//! Evaluation results and reasons.

// `#[napi(string_enum)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::fmt;

use serde::{Serialize, Serializer};

/// Why a flag evaluated the way it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "napi", napi_derive::napi(string_enum = "snake_case"))]
pub enum Reason {
    /// The flag is `off`.
    Off,
    /// The flag is `on`.
    On,
    /// `targeted`, and the context matched every non-empty scope axis.
    TargetingMatch,
    /// The context is outside the flag's scope (or a `targeted` flag has an empty scope).
    NotTargeted,
    /// `rollout`, in scope, and the subject's bucket is below `pct`.
    InRollout,
    /// `rollout`, in scope, and the subject's bucket is at or above `pct`.
    OutOfRollout,
    /// `rollout`, in scope, but the context lacks the subject (`tenantId`, or `userId`
    /// for user-level flags) to bucket on.
    SubjectMissing,
    /// No flag has this key.
    FlagNotFound,
}

impl Reason {
    /// The stable wire name (`"in_rollout"`, ...), shared by every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Off => "off",
            Reason::On => "on",
            Reason::TargetingMatch => "targeting_match",
            Reason::NotTargeted => "not_targeted",
            Reason::InRollout => "in_rollout",
            Reason::OutOfRollout => "out_of_rollout",
            Reason::SubjectMissing => "subject_missing",
            Reason::FlagNotFound => "flag_not_found",
        }
    }

    /// The OpenFeature resolution reason this maps onto.
    pub fn openfeature_reason(self) -> &'static str {
        match self {
            Reason::Off => "DISABLED",
            Reason::On => "STATIC",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::NotTargeted | Reason::SubjectMissing => "DEFAULT",
            Reason::InRollout | Reason::OutOfRollout => "SPLIT",
            Reason::FlagNotFound => "ERROR",
        }
    }

    /// All reasons, for bindings that enumerate them.
    pub const ALL: [Reason; 8] = [
        Reason::Off,
        Reason::On,
        Reason::TargetingMatch,
        Reason::NotTargeted,
        Reason::InRollout,
        Reason::OutOfRollout,
        Reason::SubjectMissing,
        Reason::FlagNotFound,
    ];
}

impl std::str::FromStr for Reason {
    type Err = crate::Error;

    /// Parses the wire name (`"in_rollout"`, ...).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::Error::InvalidArgument {
                name: "reason".into(),
                reason: format!("unknown reason {s:?}"),
            })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The outcome of evaluating one flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// The flag's key.
    pub key: String,
    /// Whether the flag is enabled for the context.
    pub value: bool,
    /// Why.
    pub reason: Reason,
    /// The subject's rollout bucket, when one was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<u8>,
    /// Whether the flag was last switched off through the kill switch.
    pub killed: bool,
}

impl Evaluation {
    /// `"on"` or `"off"`, the OpenFeature variant.
    pub fn variant(&self) -> &'static str {
        if self.value { "on" } else { "off" }
    }
}
