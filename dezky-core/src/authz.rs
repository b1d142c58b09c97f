//! Authorization rules: pure functions over a verified [`Actor`] and the caller's user record.
//!
//! The control plane trusts its database, not the token, for rights: tenant membership, tenant
//! roles, `platformAdmin` and partner staff come from the [`UserRecord`]; the token contributes
//! the identity (`sub`, which must match the record) and the surface (portal or operator).
//! Every rule fails closed with [`Error::Forbidden`]. The choices are in `docs/auth.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::{Actor, Surface};
use crate::error::{Error, Result};
use crate::lifecycle::{PartnerStatus, TenantStatus};
use crate::tenant::{Partner, Tenant};

/// A user's role in one tenant (`User.tenantRoles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum TenantRole {
    /// `admin`: administers the tenant (members, domains, billing, security).
    Admin,
    /// `member` (also read from `user`): uses the tenant's apps.
    Member,
    /// Any other value, kept as written; grants nothing beyond membership.
    Other(String),
}

impl From<&str> for TenantRole {
    fn from(value: &str) -> Self {
        match value {
            "admin" => TenantRole::Admin,
            "member" | "user" => TenantRole::Member,
            other => TenantRole::Other(other.to_owned()),
        }
    }
}

impl From<TenantRole> for String {
    fn from(role: TenantRole) -> Self {
        match role {
            TenantRole::Admin => "admin".into(),
            TenantRole::Member => "member".into(),
            TenantRole::Other(other) => other,
        }
    }
}

impl<'de> Deserialize<'de> for TenantRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(TenantRole::from(String::deserialize(d)?.as_str()))
    }
}

/// The fields of a user record (the control plane's `users` collection) that authorization reads.
///
/// Ids may be strings or MongoDB extended JSON (`{"$oid": "..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    /// The user's ObjectId.
    #[serde(alias = "_id", deserialize_with = "object_id")]
    pub id: String,
    /// The Authentik subject (`sub`) this record belongs to.
    pub authentik_subject_id: String,
    /// The tenants the user belongs to (ObjectIds).
    #[serde(default, deserialize_with = "object_ids")]
    pub tenant_ids: Vec<String>,
    /// Per-tenant roles by tenant id. Read from an object (`{"<tenantId>": "admin"}`) or a list
    /// (`[{"tenantId": "...", "role": "admin"}]`); a tenant listed twice with different roles
    /// counts as `member`.
    #[serde(default, deserialize_with = "tenant_roles")]
    pub tenant_roles: BTreeMap<String, TenantRole>,
    /// Platform administrator (the operator team).
    #[serde(default)]
    pub platform_admin: bool,
    /// The partner whose staff the user is, if any.
    #[serde(default, deserialize_with = "optional_object_id")]
    pub partner_id: Option<String>,
    /// A deactivated user is refused everything. Missing means active.
    #[serde(default = "yes")]
    pub active: bool,
    /// The legacy global role. Read, never used to grant anything (see `docs/auth.md`).
    #[serde(default)]
    pub role: Option<String>,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Plain(String),
    Extended {
        #[serde(rename = "$oid")]
        oid: String,
    },
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        match id {
            Id::Plain(s) | Id::Extended { oid: s } => s,
        }
    }
}

fn object_id<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(Id::deserialize(d)?.into())
}

fn optional_object_id<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<Id>::deserialize(d)?.map(Into::into))
}

fn object_ids<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<Id>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect())
}

fn tenant_roles<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, TenantRole>, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        #[serde(deserialize_with = "object_id")]
        tenant_id: String,
        role: TenantRole,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Roles {
        Map(BTreeMap<String, TenantRole>),
        List(Vec<Entry>),
    }
    let mut out = BTreeMap::new();
    match Option::<Roles>::deserialize(d)? {
        None => {}
        Some(Roles::Map(map)) => out = map,
        Some(Roles::List(list)) => {
            for Entry { tenant_id, role } in list {
                match out.get(&tenant_id) {
                    Some(existing) if *existing != role => {
                        out.insert(tenant_id, TenantRole::Member);
                    }
                    _ => {
                        out.insert(tenant_id, role);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// What an actor wants to do; [`authorize`] applies the matching rule.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Operator-only endpoints: an operator-app token and `platformAdmin`.
    Operator,
    /// Platform-admin endpoints, from either surface.
    PlatformAdmin,
    /// Reading a tenant: a member, or a platform admin.
    TenantMember(&'a Tenant),
    /// Administering a tenant: its `admin` role, or a platform admin.
    TenantAdmin(&'a Tenant),
    /// The partner surface of one partner: its staff only.
    PartnerStaff(&'a Partner),
    /// A partner's staff acting on one of that partner's own tenants.
    PartnerTenant(&'a Partner, &'a Tenant),
    /// Suspending a member of a tenant.
    SuspendMember(&'a Tenant, &'a UserRecord),
    /// Ending all sessions of a member of a tenant.
    ForceLogoutMember(&'a Tenant, &'a UserRecord),
}

/// Applies the rule for `action`: `Ok(())` to allow, [`Error::Forbidden`] to deny.
pub fn authorize(actor: &Actor, user: &UserRecord, action: Action<'_>) -> Result<()> {
    match action {
        Action::Operator => require_operator(actor, user),
        Action::PlatformAdmin => require_platform_admin(actor, user),
        Action::TenantMember(t) => require_tenant_member(actor, user, t),
        Action::TenantAdmin(t) => require_tenant_admin(actor, user, t),
        Action::PartnerStaff(p) => require_partner_staff(actor, user, p),
        Action::PartnerTenant(p, t) => require_partner_tenant(actor, user, p, t),
        Action::SuspendMember(t, target) => require_can_suspend(actor, user, t, target),
        Action::ForceLogoutMember(t, target) => require_can_force_logout(actor, user, t, target),
    }
}

fn forbidden(reason: impl Into<String>) -> Error {
    Error::Forbidden {
        reason: reason.into(),
    }
}

/// The record must be the actor's own and active. Every rule starts here.
pub fn require_own_active_record(actor: &Actor, user: &UserRecord) -> Result<()> {
    if user.authentik_subject_id.is_empty() || user.authentik_subject_id != actor.subject {
        return Err(forbidden(
            "the user record does not belong to the token's subject",
        ));
    }
    if !user.active {
        return Err(forbidden("the user is deactivated"));
    }
    Ok(())
}

/// `platformAdmin` in the database, from either surface.
pub fn require_platform_admin(actor: &Actor, user: &UserRecord) -> Result<()> {
    require_own_active_record(actor, user)?;
    if !user.platform_admin {
        return Err(forbidden("requires a platform admin"));
    }
    Ok(())
}

/// Operator-only: a `dezky-operator` token and `platformAdmin` in the database. Either alone
/// is not enough.
pub fn require_operator(actor: &Actor, user: &UserRecord) -> Result<()> {
    require_own_active_record(actor, user)?;
    if actor.surface != Surface::Operator {
        return Err(forbidden("requires an operator-app token"));
    }
    if !user.platform_admin {
        return Err(forbidden("requires a platform admin"));
    }
    Ok(())
}

/// A member of `tenant` (its id in `tenantIds`), or a platform admin. A
/// suspended or deleted tenant's members are refused with
/// [`Error::TenantInactive`]; platform admins (and so operators) still pass.
pub fn require_tenant_member(actor: &Actor, user: &UserRecord, tenant: &Tenant) -> Result<()> {
    require_own_active_record(actor, user)?;
    if user.platform_admin {
        return Ok(());
    }
    if is_member(user, tenant) {
        return require_in_use(tenant);
    }
    Err(forbidden(format!("not a member of tenant {}", tenant.slug)))
}

/// Refuses a suspended or deleted tenant.
fn require_in_use(tenant: &Tenant) -> Result<()> {
    match tenant.status {
        Some(status @ (TenantStatus::Suspended | TenantStatus::Deleted)) => {
            Err(Error::TenantInactive {
                tenant: tenant.id.clone(),
                slug: tenant.slug.clone(),
                from_status: status.as_str().into(),
            })
        }
        _ => Ok(()),
    }
}

/// A member of `tenant` whose `tenantRoles` entry for it is `admin`, or a platform admin.
pub fn require_tenant_admin(actor: &Actor, user: &UserRecord, tenant: &Tenant) -> Result<()> {
    require_own_active_record(actor, user)?;
    if user.platform_admin {
        return Ok(());
    }
    if !is_member(user, tenant) {
        return Err(forbidden(format!("not a member of tenant {}", tenant.slug)));
    }
    if user.tenant_roles.get(&tenant.id) != Some(&TenantRole::Admin) {
        return Err(forbidden(format!("not an admin of tenant {}", tenant.slug)));
    }
    require_in_use(tenant)
}

/// Staff of `partner` (`partnerId` in the database). Platform admins are not partner staff.
/// The staff of a terminated partner have lost partner access.
pub fn require_partner_staff(actor: &Actor, user: &UserRecord, partner: &Partner) -> Result<()> {
    require_own_active_record(actor, user)?;
    if partner.id.is_empty() || user.partner_id.as_deref() != Some(partner.id.as_str()) {
        return Err(forbidden(format!("not staff of partner {}", partner.slug)));
    }
    if partner.status == Some(PartnerStatus::Terminated) {
        return Err(forbidden(format!("partner {} is terminated", partner.slug)));
    }
    Ok(())
}

/// Staff of `partner` acting on `tenant`, which must be one of that partner's own tenants.
pub fn require_partner_tenant(
    actor: &Actor,
    user: &UserRecord,
    partner: &Partner,
    tenant: &Tenant,
) -> Result<()> {
    require_partner_staff(actor, user, partner)?;
    if tenant.partner_id.as_deref() != Some(partner.id.as_str()) {
        return Err(forbidden(format!(
            "tenant {} is not a customer of partner {}",
            tenant.slug, partner.slug
        )));
    }
    Ok(())
}

fn require_member_action(
    what: &str,
    actor: &Actor,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    require_tenant_admin(actor, user, tenant)?;
    if target.id == user.id || target.authentik_subject_id == actor.subject {
        return Err(forbidden(format!("you cannot {what} yourself")));
    }
    require_manageable(what, user, tenant, target)
}

/// The target is a member of `tenant`, and a platform admin only for a platform admin.
fn require_manageable(
    what: &str,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    if !is_member(target, tenant) {
        return Err(forbidden(format!(
            "the user is not a member of tenant {}",
            tenant.slug
        )));
    }
    if target.platform_admin && !user.platform_admin {
        return Err(forbidden(format!(
            "only a platform admin can {what} a platform admin"
        )));
    }
    Ok(())
}

/// A tenant admin suspending another member of the same tenant; never oneself.
pub fn require_can_suspend(
    actor: &Actor,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    require_member_action("suspend", actor, user, tenant, target)
}

/// A tenant admin ending another member's sessions; never one's own.
pub fn require_can_force_logout(
    actor: &Actor,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    require_member_action("force-logout", actor, user, tenant, target)
}

/// A tenant admin removing another member from the tenant; never oneself
/// (an admin removing themselves could leave the tenant without one).
pub fn require_can_remove(
    actor: &Actor,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    require_member_action("remove", actor, user, tenant, target)
}

/// A tenant admin acting on a member of the tenant (resetting a password,
/// resuming): oneself included.
pub fn require_can_manage(
    what: &str,
    actor: &Actor,
    user: &UserRecord,
    tenant: &Tenant,
    target: &UserRecord,
) -> Result<()> {
    require_tenant_admin(actor, user, tenant)?;
    require_manageable(what, user, tenant, target)
}

fn is_member(user: &UserRecord, tenant: &Tenant) -> bool {
    !tenant.id.is_empty() && user.tenant_ids.contains(&tenant.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_both_tenant_role_shapes_and_extended_ids() {
        let map: UserRecord = serde_json::from_str(
            r#"{"_id": {"$oid": "6650f1c2a9b4e3d2c1b0a001"}, "authentikSubjectId": "s",
                "tenantIds": [{"$oid": "6650f1c2a9b4e3d2c1b0a998"}],
                "tenantRoles": {"6650f1c2a9b4e3d2c1b0a998": "admin"}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(map.id, "6650f1c2a9b4e3d2c1b0a001");
        assert_eq!(map.tenant_ids, vec!["6650f1c2a9b4e3d2c1b0a998".to_owned()]);
        assert!(map.active && !map.platform_admin);
        let list: UserRecord = serde_json::from_str(
            r#"{"id": "u", "authentikSubjectId": "s", "tenantRoles": [
                {"tenantId": "t1", "role": "admin"}, {"tenantId": "t2", "role": "admin"},
                {"tenantId": "t2", "role": "member"}, {"tenantId": "t3", "role": "owner"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list.tenant_roles.get("t1"), Some(&TenantRole::Admin));
        assert_eq!(list.tenant_roles.get("t2"), Some(&TenantRole::Member));
        assert_eq!(
            list.tenant_roles.get("t3"),
            Some(&TenantRole::Other("owner".into()))
        );
    }
}
