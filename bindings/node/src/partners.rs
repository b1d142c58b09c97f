//! Partners (resellers) as pure functions over `dezky_core::partners`: each
//! takes the documents as read and returns the write to make and the audit
//! events. Every one needs an operator (docs/partners.md). Conversion only;
//! the caller is that of `Domains` (`{actor, user, at?}`).

use dezky_core::Error;
use dezky_core::audit::AuditEvent;
use dezky_core::lifecycle::{PartnerDocument, TenantPatch};
use dezky_core::partners::{NewPartner, PartnerChange};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::convert::Serde;
use crate::domains::{caller, input, tenant};
use crate::error::IntoJs;

type Result<T> = std::result::Result<T, Error>;

fn partner(value: &Unknown<'_>) -> Result<PartnerDocument> {
    PartnerDocument::from_document("partner", &crate::auth::record_json(value, "partner")?)
}

/// A partner write (`terminatePartner`, `attachTenant`, `detachTenant`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerChangeJs {
    action: String,
    patch: TenantPatch,
    events: Vec<AuditEvent>,
}

impl From<PartnerChange> for PartnerChangeJs {
    fn from(c: PartnerChange) -> Self {
        PartnerChangeJs {
            action: c.action,
            patch: c.patch,
            events: c.events,
        }
    }
}

/// A created partner (`createPartner`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPartnerJs {
    document: Map<String, Value>,
    events: Vec<AuditEvent>,
}

/// The partner document to insert (`status: "active"`), checked field by
/// field (`partner.slug`, `partner.name`, `partner.domain`,
/// `partner.marginPct`; unknown fields refused). Needs an operator.
#[napi(
    ts_args_type = "partner: NewPartner, caller: Caller",
    ts_return_type = "CreatedPartner"
)]
pub fn create_partner(
    env: Env,
    partner: Unknown<'_>,
    caller: Unknown<'_>,
) -> napi::Result<Serde<CreatedPartnerJs>> {
    (|| {
        let new: NewPartner = input(&partner, "partner")?;
        let caller = self::caller(&caller)?;
        let created = dezky_core::partners::create_partner(&new, caller.caller())?;
        Ok::<_, Error>(Serde(CreatedPartnerJs {
            document: created.document,
            events: created.events,
        }))
    })()
    .js(&env)
}

/// Terminates a partner: `status: "terminated"` and `terminatedAt`, never a
/// delete; a terminated partner changes nothing (`update` null). Needs an operator.
#[napi(
    ts_args_type = "partner: PartnerDocument, caller: Caller",
    ts_return_type = "PartnerChange"
)]
pub fn terminate_partner(
    env: Env,
    partner: Unknown<'_>,
    caller: Unknown<'_>,
) -> napi::Result<Serde<PartnerChangeJs>> {
    (|| {
        let partner = self::partner(&partner)?;
        let caller = self::caller(&caller)?;
        dezky_core::partners::terminate_partner(&partner, caller.caller()).map(|c| Serde(c.into()))
    })()
    .js(&env)
}

/// Attaches a tenant to a partner (`partnerId`). A terminated partner is
/// refused (`DEZKY_INVALID_ARGUMENT` naming `partner.status`). Needs an operator.
#[napi(
    ts_args_type = "tenant: TenantDocument, partner: PartnerDocument, caller: Caller",
    ts_return_type = "PartnerChange"
)]
pub fn attach_tenant(
    env: Env,
    tenant: Unknown<'_>,
    partner: Unknown<'_>,
    caller: Unknown<'_>,
) -> napi::Result<Serde<PartnerChangeJs>> {
    (|| {
        let tenant = self::tenant(&tenant)?;
        let partner = self::partner(&partner)?;
        let caller = self::caller(&caller)?;
        dezky_core::partners::attach_tenant(&tenant, &partner, caller.caller())
            .map(|c| Serde(c.into()))
    })()
    .js(&env)
}

/// Detaches a tenant from its partner: `partnerId` removed (`$unset`). A
/// tenant without a partner changes nothing. Needs an operator.
#[napi(
    ts_args_type = "tenant: TenantDocument, caller: Caller",
    ts_return_type = "PartnerChange"
)]
pub fn detach_tenant(
    env: Env,
    tenant: Unknown<'_>,
    caller: Unknown<'_>,
) -> napi::Result<Serde<PartnerChangeJs>> {
    (|| {
        let tenant = self::tenant(&tenant)?;
        let caller = self::caller(&caller)?;
        dezky_core::partners::detach_tenant(&tenant, caller.caller()).map(|c| Serde(c.into()))
    })()
    .js(&env)
}
