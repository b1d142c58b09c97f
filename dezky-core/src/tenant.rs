//! Tenants and partners, and the flag context built from them.

use dezky_flags::EvaluationContext;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lifecycle::{PartnerStatus, TenantStatus};

/// The fields of a tenant record that the SDK uses (the control plane's `tenants` collection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The tenant's MongoDB ObjectId, 24 hex characters.
    #[serde(alias = "_id")]
    pub id: String,
    /// The tenant's slug.
    pub slug: String,
    /// The tenant's plan.
    pub plan: String,
    /// The id of the reselling partner, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// The lifecycle status; `None` when not given (read as in use).
    /// Members of a suspended or deleted tenant are refused by [`crate::authz`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TenantStatus>,
}

/// The fields of a partner record that the SDK uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    /// The partner's MongoDB ObjectId.
    #[serde(alias = "_id")]
    pub id: String,
    /// The partner's slug.
    pub slug: String,
    /// The partner's status; `None` when not given (read as active). The
    /// staff of a terminated partner are refused by [`crate::authz`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PartnerStatus>,
}

/// Whether `id` is a MongoDB ObjectId in its usual form: 24 lowercase hex characters.
pub fn is_object_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The flag evaluation context of a tenant in an environment.
///
/// `partner` must be the tenant's own partner (the one `tenant.partner_id` names):
/// passing another partner, or a partner for a tenant without one, is an error,
/// since evaluating on the wrong partner would silently enable the wrong flags.
pub fn flag_context(
    tenant: &Tenant,
    partner: Option<&Partner>,
    environment: &str,
) -> Result<EvaluationContext> {
    if !is_object_id(&tenant.id) {
        return Err(Error::Invalid {
            field: "tenant.id".into(),
            reason: "must be a MongoDB ObjectId (24 lowercase hex characters)".into(),
        });
    }
    for (field, value) in [("tenant.slug", &tenant.slug), ("tenant.plan", &tenant.plan)] {
        if value.trim().is_empty() {
            return Err(Error::Invalid {
                field: field.into(),
                reason: "must not be empty".into(),
            });
        }
    }
    if environment.trim().is_empty() {
        return Err(Error::Invalid {
            field: "environment".into(),
            reason: "must not be empty".into(),
        });
    }
    let partner_slug = match (&tenant.partner_id, partner) {
        (Some(id), Some(p)) if *id == p.id => {
            if p.slug.trim().is_empty() {
                return Err(Error::Invalid {
                    field: "partner.slug".into(),
                    reason: "must not be empty".into(),
                });
            }
            Some(p.slug.clone())
        }
        (Some(id), Some(p)) => {
            return Err(Error::Invalid {
                field: "partner".into(),
                reason: format!(
                    "is partner {}, but the tenant belongs to partner {id}",
                    p.id
                ),
            });
        }
        (Some(id), None) => {
            return Err(Error::Invalid {
                field: "partner".into(),
                reason: format!("the tenant belongs to partner {id}; pass that partner's record"),
            });
        }
        (None, Some(_)) => {
            return Err(Error::Invalid {
                field: "partner".into(),
                reason: "the tenant has no partner".into(),
            });
        }
        (None, None) => None,
    };
    Ok(EvaluationContext {
        tenant_id: Some(tenant.id.clone()),
        tenant_slug: Some(tenant.slug.clone()),
        plan: Some(tenant.plan.clone()),
        partner_slug,
        environment: Some(environment.to_owned()),
        user_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme(partner_id: Option<&str>) -> Tenant {
        Tenant {
            id: "6650f1c2a9b4e3d2c1b0a998".into(),
            slug: "acme".into(),
            plan: "business".into(),
            partner_id: partner_id.map(Into::into),
            status: None,
        }
    }

    fn nordic() -> Partner {
        Partner {
            id: "6650f1c2a9b4e3d2c1b0aaaa".into(),
            slug: "nordic-it".into(),
            status: None,
        }
    }

    #[test]
    fn a_partner_without_slug_is_refused() {
        let partner = Partner {
            slug: " ".into(),
            ..nordic()
        };
        let tenant = acme(Some(&partner.id));
        match flag_context(&tenant, Some(&partner), "prod") {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "partner.slug"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_partner_lands_in_the_context() {
        let ctx = flag_context(
            &acme(Some("6650f1c2a9b4e3d2c1b0aaaa")),
            Some(&nordic()),
            "prod",
        );
        let ctx = ctx.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ctx.partner_slug.as_deref(), Some("nordic-it"));
        assert_eq!(ctx.tenant_id.as_deref(), Some("6650f1c2a9b4e3d2c1b0a998"));
        let alone = flag_context(&acme(None), None, "prod").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alone.partner_slug, None);
    }

    #[test]
    fn a_mismatched_partner_is_refused() {
        for (tenant, partner) in [
            (acme(Some("6650f1c2a9b4e3d2c1b0bbbb")), Some(nordic())),
            (acme(Some("6650f1c2a9b4e3d2c1b0aaaa")), None),
            (acme(None), Some(nordic())),
        ] {
            let err = flag_context(&tenant, partner.as_ref(), "prod").err();
            assert_eq!(err.map(|e| e.code()), Some("DEZKY_INVALID_ARGUMENT"));
        }
    }

    #[test]
    fn records_read_the_control_plane_json() {
        let tenant: Tenant = serde_json::from_str(
            r#"{"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "plan": "business", "partnerId": "6650f1c2a9b4e3d2c1b0aaaa"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tenant, acme(Some("6650f1c2a9b4e3d2c1b0aaaa")));
        let bad = Tenant {
            id: "tenant-1".into(),
            ..acme(None)
        };
        assert!(flag_context(&bad, None, "prod").is_err());
    }
}
