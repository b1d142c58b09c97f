//! What a flag is evaluated for.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::type_name;

/// The evaluation context, with the control plane's camelCase field names.
///
/// Every field is optional: an absent value never matches a non-empty scope axis,
/// and a rollout without its subject (`tenantId`, or `userId` for user-level
/// flags) is off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
// In Node the context is read by the binding's own fast reader (unknown fields refused),
// so napi derives only the JS form (`flagContext` returns it) and the declaration.
#[cfg_attr(feature = "napi", napi_derive::napi(object, object_from_js = false))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluationContext {
    /// The tenant's stable id (a MongoDB ObjectId, 24 hex characters); the rollout subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The tenant's slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_slug: Option<String>,
    /// The tenant's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The slug of the tenant's partner; absent when the tenant has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_slug: Option<String>,
    /// The deployment environment (`prod`, `staging`, `dev`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The user inside the tenant, for user-level flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The context fields with their wire names, in the order of the scope axes
/// (plans, tenantSlugs, partnerSlugs, environments, userIds) followed by `tenantId`.
const FIELDS: [&str; 6] = [
    "plan",
    "tenantSlug",
    "partnerSlug",
    "environment",
    "userId",
    "tenantId",
];

impl EvaluationContext {
    /// A context for a tenant.
    pub fn for_tenant(tenant_id: impl Into<String>, tenant_slug: impl Into<String>) -> Self {
        EvaluationContext {
            tenant_id: Some(tenant_id.into()),
            tenant_slug: Some(tenant_slug.into()),
            ..Default::default()
        }
    }

    /// Sets the plan.
    pub fn with_plan(mut self, plan: impl Into<String>) -> Self {
        self.plan = Some(plan.into());
        self
    }

    /// Sets the partner slug.
    pub fn with_partner(mut self, partner_slug: impl Into<String>) -> Self {
        self.partner_slug = Some(partner_slug.into());
        self
    }

    /// Sets the environment.
    pub fn with_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Sets the user, for user-level flags.
    pub fn with_user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Parses a context from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::from_json(&e))?;
        EvaluationContext::from_value(&value)
    }

    /// Reads a context from a JSON object, naming the field of any error.
    /// `null` counts as absent; unknown fields are an error, since a misspelt
    /// `partnerslug` would otherwise silently never match.
    pub fn from_value(value: &Value) -> Result<Self> {
        let Value::Object(map) = value else {
            return Err(Error::InvalidContext {
                field: String::new(),
                reason: format!("must be an object, got {}", type_name(value)),
            });
        };
        EvaluationContext::from_map(map, "")
    }

    /// Reads a JSON array of contexts; errors name the element (`[3].plan`).
    pub fn list_from_value(value: &Value) -> Result<Vec<Self>> {
        let Value::Array(items) = value else {
            return Err(Error::InvalidContext {
                field: String::new(),
                reason: format!("must be an array of contexts, got {}", type_name(value)),
            });
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => EvaluationContext::from_map(map, &format!("[{i}].")),
                other => Err(Error::InvalidContext {
                    field: format!("[{i}]"),
                    reason: format!("must be an object, got {}", type_name(other)),
                }),
            })
            .collect()
    }

    pub(crate) fn from_map(map: &Map<String, Value>, prefix: &str) -> Result<Self> {
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(Error::InvalidContext {
                field: format!("{prefix}{unknown}"),
                reason: format!("unknown field (expected one of {})", FIELDS.join(", ")),
            });
        }
        let read = |name: &str| -> Result<Option<String>> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Error::InvalidContext {
                    field: format!("{prefix}{name}"),
                    reason: format!("must be a string, got {}", type_name(other)),
                }),
            }
        };
        Ok(EvaluationContext {
            tenant_id: read("tenantId")?,
            tenant_slug: read("tenantSlug")?,
            plan: read("plan")?,
            partner_slug: read("partnerSlug")?,
            environment: read("environment")?,
            user_id: read("userId")?,
        })
    }

    /// The values matched against the scope axes, in axis order.
    pub(crate) fn axis_values(&self) -> [Option<&str>; 5] {
        [
            self.plan.as_deref(),
            self.tenant_slug.as_deref(),
            self.partner_slug.as_deref(),
            self.environment.as_deref(),
            self.user_id.as_deref(),
        ]
    }
}
