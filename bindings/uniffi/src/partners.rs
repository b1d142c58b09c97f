//! The pure parts of mail domains and partners (`docs/domains.md`,
//! `docs/partners.md`): a tenant's own DMARC policy checked and written as its
//! TXT record, and partners created, terminated, attached to and detached from
//! tenants. Nothing here calls a server.
//!
//! `DmarcPolicy` is the core's type itself, a remote record. Documents,
//! patches and audit events cross as the control plane's JSON text.

use std::time::SystemTime;

use dezky_core::lifecycle::PartnerDocument;
use dezky_core::members::Caller;
use dezky_core::partners::{self, NewPartner};
use dezky_core::records;
use dezky_flags::Change;
use serde_json::Value;

use crate::domain::{Actor, document};
use crate::error::DezkyError;
use crate::lifecycle::tenant;

pub use dezky_core::domains::DmarcPolicy;

/// A DMARC policy: `dezky_core::domains::DmarcPolicy` itself, exported as a record.
#[uniffi::remote(Record)]
pub struct DmarcPolicy {
    /// `p`: `none`, `quarantine` or `reject`.
    pub p: String,
    /// `sp`, the subdomains' policy (defaults to `p`).
    pub sp: Option<String>,
    /// `pct`, 0 to 100 (defaults to 100).
    pub pct: Option<u8>,
    /// `rua`: where aggregate reports go, `mailto:` URIs.
    pub rua: Vec<String>,
    /// `ruf`: where failure reports go, `mailto:` URIs.
    pub ruf: Vec<String>,
    /// `adkim`: `r` (relaxed) or `s` (strict).
    pub adkim: Option<String>,
    /// `aspf`: `r` or `s`.
    pub aspf: Option<String>,
}

/// The TXT text of `policy` (`v=DMARC1; p=...`, tags in the RFC's order);
/// every tag is checked first, `Invalid` naming the field (`dmarc.pct`,
/// `dmarc.rua[1]`).
#[uniffi::export]
pub fn dmarc_record(policy: DmarcPolicy) -> Result<String, DezkyError> {
    Ok(policy.to_record()?)
}

/// A DMARC policy read from its JSON form (`{"p", "sp", "pct", "rua", "ruf",
/// "adkim", "aspf"}`, unknown keys refused) and checked; `Invalid` naming the
/// field.
#[uniffi::export]
pub fn dmarc_policy_from_json(json: String) -> Result<DmarcPolicy, DezkyError> {
    let value = Value::Object(document(&json, "dmarc")?);
    let policy: DmarcPolicy =
        serde_json::from_value(value).map_err(|err| dezky_core::Error::Invalid {
            field: "dmarc".into(),
            reason: err.to_string(),
        })?;
    policy.validate()?;
    Ok(policy)
}

/// A created partner.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedPartner {
    /// The partner document to insert as JSON text (no `_id`), `status` `active`.
    pub document_json: String,
    /// The audit events as JSON text (an array).
    pub events_json: String,
}

/// A partner operation's write.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartnerChange {
    /// `partner.terminate`, `tenant.partner_attach` or `tenant.partner_detach`.
    pub action: String,
    /// The write as JSON text, `{tenantId, expectedVersion, filter, update}`
    /// (`update` null when nothing changes): the partner document for
    /// terminate, the tenant document otherwise.
    pub patch_json: String,
    /// The audit events as JSON text (an array).
    pub events_json: String,
}

impl From<partners::PartnerChange> for PartnerChange {
    fn from(change: partners::PartnerChange) -> Self {
        // The core's patch and events serialize to plain JSON: this cannot fail.
        PartnerChange {
            action: change.action,
            patch_json: serde_json::to_string(&change.patch).unwrap_or_default(),
            events_json: serde_json::to_string(&change.events).unwrap_or_default(),
        }
    }
}

/// Who acts: the token, the caller's user record and the change.
struct Acting {
    actor: dezky_core::auth::Actor,
    user: dezky_core::authz::UserRecord,
    change: Change,
}

impl Acting {
    fn read(actor: Actor, user_json: &str, by: String, at: SystemTime) -> Result<Self, DezkyError> {
        Ok(Acting {
            actor: actor.into(),
            user: records::user("user", &document(user_json, "user")?)?,
            change: Change::new(by, at)?,
        })
    }

    fn caller(&self) -> Caller<'_> {
        Caller {
            actor: &self.actor,
            user: &self.user,
            change: &self.change,
        }
    }
}

fn partner(json: &str) -> Result<PartnerDocument, DezkyError> {
    Ok(PartnerDocument::from_document(
        "partner",
        &document(json, "partner")?,
    )?)
}

/// Checks a new partner (`{"slug", "name", "domain"?, "marginPct"?}`, unknown
/// keys refused) and returns the document to insert. Needs an operator
/// (`actor` on the operator surface, `platformAdmin` in `user_json`); `by` is
/// the audit actor, `at` the time. `Invalid` naming the field (`partner.slug`).
#[uniffi::export]
pub fn create_partner(
    partner_json: String,
    actor: Actor,
    user_json: String,
    by: String,
    at: SystemTime,
) -> Result<CreatedPartner, DezkyError> {
    let new: NewPartner =
        serde_json::from_value(Value::Object(document(&partner_json, "partner")?)).map_err(
            |err| dezky_core::Error::Invalid {
                field: "partner".into(),
                reason: err.to_string(),
            },
        )?;
    let acting = Acting::read(actor, &user_json, by, at)?;
    let created = partners::create_partner(&new, acting.caller())?;
    Ok(CreatedPartner {
        document_json: Value::Object(created.document).to_string(),
        events_json: serde_json::to_string(&created.events).unwrap_or_default(),
    })
}

/// Terminates the partner `partner_json`: `status` `terminated` and
/// `terminatedAt`, never a delete; a terminated partner again changes nothing.
/// Needs an operator.
#[uniffi::export]
pub fn terminate_partner(
    partner_json: String,
    actor: Actor,
    user_json: String,
    by: String,
    at: SystemTime,
) -> Result<PartnerChange, DezkyError> {
    let partner = partner(&partner_json)?;
    let acting = Acting::read(actor, &user_json, by, at)?;
    Ok(partners::terminate_partner(&partner, acting.caller())?.into())
}

/// Attaches the tenant `tenant_json` to the partner `partner_json`
/// (`partnerId`); `Invalid` on `partner.status` for a terminated partner.
/// Needs an operator.
#[uniffi::export]
pub fn attach_tenant(
    tenant_json: String,
    partner_json: String,
    actor: Actor,
    user_json: String,
    by: String,
    at: SystemTime,
) -> Result<PartnerChange, DezkyError> {
    let tenant = tenant(&tenant_json)?;
    let partner = partner(&partner_json)?;
    let acting = Acting::read(actor, &user_json, by, at)?;
    Ok(partners::attach_tenant(&tenant, &partner, acting.caller())?.into())
}

/// Detaches the tenant `tenant_json` from its partner: `partnerId` removed
/// (`$unset`). Needs an operator.
#[uniffi::export]
pub fn detach_tenant(
    tenant_json: String,
    actor: Actor,
    user_json: String,
    by: String,
    at: SystemTime,
) -> Result<PartnerChange, DezkyError> {
    let tenant = tenant(&tenant_json)?;
    let acting = Acting::read(actor, &user_json, by, at)?;
    Ok(partners::detach_tenant(&tenant, acting.caller())?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dezky_core::auth::Surface;
    use std::time::{Duration, UNIX_EPOCH};

    const OP: &str = r#"{"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "sub-op", "platformAdmin": true}"#;

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn op(surface: Surface) -> Actor {
        Actor {
            subject: "sub-op".into(),
            surface,
        }
    }

    #[test]
    fn dmarc_policies_are_checked_by_the_core() {
        let mut policy = dmarc_policy_from_json(r#"{"p": "reject", "pct": 50}"#.into()).unwrap();
        assert_eq!(
            dmarc_record(policy.clone()).unwrap(),
            "v=DMARC1; p=reject; pct=50"
        );
        policy.rua = vec!["mailto:a@b.test".into(), "https://b.test".into()];
        assert!(matches!(
            dmarc_record(policy),
            Err(DezkyError::Invalid { ref field, .. }) if field == "dmarc.rua[1]"
        ));
        assert!(matches!(
            dmarc_policy_from_json(r#"{"p": "none", "fo": "1"}"#.into()),
            Err(DezkyError::Invalid { ref field, .. }) if field == "dmarc"
        ));
    }

    #[test]
    fn partners_need_an_operator_and_attach_refuses_a_terminated_one() {
        let new = r#"{"slug": "resell", "name": "Resell"}"#.to_owned();
        let created = create_partner(
            new.clone(),
            op(Surface::Operator),
            OP.into(),
            "op".into(),
            at(),
        )
        .unwrap();
        assert!(created.document_json.contains("\"status\":\"active\""));
        assert!(matches!(
            create_partner(new, op(Surface::Portal), OP.into(), "op".into(), at()),
            Err(DezkyError::Forbidden { .. })
        ));
        let tenant =
            r#"{"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "status": "active", "__v": 1}"#;
        let gone =
            r#"{"_id": "6650f1c2a9b4e3d2c1b0a777", "slug": "resell", "status": "terminated"}"#;
        assert!(matches!(
            attach_tenant(tenant.into(), gone.into(), op(Surface::Operator), OP.into(), "op".into(), at()),
            Err(DezkyError::Invalid { ref field, .. }) if field == "partner.status"
        ));
    }
}
