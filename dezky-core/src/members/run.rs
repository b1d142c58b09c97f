//! The member operations: each one whole across the upstreams, authorized,
//! audited, and returning the write to the member's user document.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use dezky_flags::Change;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::document::{MemberDocument, MemberPatch, MemberSuspension};
use super::password::one_time_password;
use super::ports::{MemberGroup, MemberKind, MemberPort, MemberResource, MemberTarget};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::Actor;
use crate::authz::{self, TenantRole, UserRecord};
use crate::error::{Error, Result};
use crate::lifecycle::{TenantDocument, TenantStatus, VERSION_KEY};
use crate::provisioning::{FailureKind, PortError};
use crate::secret::Secret;
use crate::tenant::{Partner, Tenant};

/// Who acts: the verified token's identity, the caller's own user record
/// (rights come from it, see [`crate::authz`]) and the audit change (actor
/// email and time).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The verified token's identity.
    pub actor: &'a Actor,
    /// The caller's user record.
    pub user: &'a UserRecord,
    /// Who and when, for the audit events.
    pub change: &'a Change,
}

/// A member to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMember {
    /// The sign-in address (the Authentik username).
    pub email: String,
    /// The display name.
    pub name: String,
    /// Whether the member administers the tenant (`tenantRoles` `admin`).
    #[serde(default)]
    pub admin: bool,
    /// The mailbox quota in bytes (the server's default when absent).
    #[serde(default)]
    pub quota_bytes: Option<u64>,
}

/// A partner staff member to invite.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewStaff {
    /// The sign-in address.
    pub email: String,
    /// The display name.
    pub name: String,
}

/// A member as made: the handles of its resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemberRecord {
    /// The sign-in address.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The tenant (ObjectId), for a tenant member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// `admin` or `member`, for a tenant member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The partner (ObjectId), for partner staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// The identity's subject (`authentikSubjectId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The resources made, in the order they were made.
    pub resources: Vec<MemberResource>,
}

/// A created member. `password` is the one-time password, set on the
/// identity and the mailbox: show it once to the admin, never store it.
#[derive(Debug, Clone)]
pub struct CreatedMember {
    /// What was made.
    pub member: MemberRecord,
    /// The user document to insert (no `_id`: the database gives it; `__v` 0).
    pub document: Map<String, Value>,
    /// The one-time password.
    pub password: Secret,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// An invited partner staff member. `recovery_link` lets them set a password
/// and sign in: send it to them, never store or log it.
#[derive(Debug, Clone)]
pub struct InvitedStaff {
    /// What was made.
    pub member: MemberRecord,
    /// The user document to insert (no `_id`; `__v` 0).
    pub document: Map<String, Value>,
    /// The one-time recovery link.
    pub recovery_link: Secret,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// What undoing one resource did, after a failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Undo {
    /// The resource.
    pub kind: MemberKind,
    /// Its handle.
    pub handle: String,
    /// Why undoing it failed; `None`: undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Value>"))]
    pub error: Option<PortError>,
}

/// An operation that failed upstream part-way.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFailure {
    /// The audit action (`member.create`, ...).
    pub action: String,
    /// The resource whose call failed; `None` before any (the random source).
    pub kind: Option<MemberKind>,
    /// The original error.
    pub error: PortError,
    /// Changes that were made and could not be undone (a password set on
    /// the identity before the mailbox refused it).
    pub kept: Vec<MemberKind>,
    /// What was undone (newest first), with any failure of the undoing.
    pub undone: Vec<Undo>,
    /// The audit events to record (the action with outcome `failure`).
    pub events: Vec<AuditEvent>,
}

impl MemberFailure {
    /// Whether something could not be undone.
    pub fn left_behind(&self) -> bool {
        self.undone.iter().any(|u| u.error.is_some())
    }
}

/// Why a member operation did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberError {
    /// Refused before any upstream call: a rule ([`Error::Forbidden`],
    /// [`Error::TenantInactive`]), bad input ([`Error::Invalid`] naming the
    /// field) or the tenant's status ([`Error::IllegalTransition`]).
    Refused(Error),
    /// An upstream failed part-way; what was made was undone.
    Failed(Box<MemberFailure>),
}

impl MemberError {
    /// The stable code: the core error's, or the upstream failure's
    /// (`DEZKY_ALREADY_EXISTS`, `DEZKY_UPSTREAM_UNAVAILABLE`, ...).
    pub fn code(&self) -> &str {
        match self {
            MemberError::Refused(e) => e.code(),
            MemberError::Failed(f) => &f.error.code,
        }
    }
}

impl From<Error> for MemberError {
    fn from(e: Error) -> Self {
        MemberError::Refused(e)
    }
}

impl fmt::Display for MemberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemberError::Refused(e) => write!(f, "{e}"),
            MemberError::Failed(failure) => {
                match failure.kind {
                    Some(kind) => write!(f, "{}: {kind}: {}", failure.action, failure.error)?,
                    None => write!(f, "{}: {}", failure.action, failure.error)?,
                }
                for undo in &failure.undone {
                    if let Some(e) = &undo.error {
                        write!(f, "; undoing {} {} failed: {e}", undo.kind, undo.handle)?;
                    }
                }
                if !failure.kept.is_empty() {
                    let kept: Vec<&str> = failure.kept.iter().map(|k| k.as_str()).collect();
                    write!(f, "; already changed: {}", kept.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for MemberError {}

/// The result type of member operations.
pub type MemberResult<T> = std::result::Result<T, MemberError>;

/// What an operation did to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Effect {
    /// The resource.
    pub kind: MemberKind,
    /// Its handle.
    pub handle: String,
    /// What was done: `deactivated`, `left_group`, `joined_group`,
    /// `reactivated`, `suspended`, `resumed`, `password_set`, `sessions_ended`.
    pub done: String,
}

/// The result of suspending, resuming, force-logging-out a member or
/// resetting their password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberChange {
    /// The audit action.
    pub action: String,
    /// What was done, in order.
    pub effects: Vec<Effect>,
    /// How many sessions were ended (force-logout, suspend).
    pub sessions_ended: u64,
    /// The write to the member's document (empty when nothing is recorded).
    pub patch: MemberPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// A reset password: the change and the new one-time password.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    /// What was done.
    pub change: MemberChange,
    /// The new one-time password (set on the identity and the mailbox).
    pub password: Secret,
}

/// What removing a member did to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Removed {
    /// Removed upstream.
    Removed,
    /// The identity was taken out of the tenant's group and kept for the
    /// user's other uses.
    LeftGroup,
    /// Kept: the user's other tenants (or partner role) still use it.
    Kept,
    /// Nothing to remove.
    Absent,
    /// The call failed; removal stopped here and can be run again.
    Failed,
    /// Not reached, because an earlier step failed.
    NotReached,
}

/// One resource's removal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RemovedResource {
    /// The resource.
    pub kind: MemberKind,
    /// What happened.
    pub outcome: Removed,
    /// Its handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Why it was kept or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The failure's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The result of removing a member from a tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRemoval {
    /// One entry per resource, in removal order (files, mailbox, identity).
    pub steps: Vec<RemovedResource>,
    /// Whether every step is done (the membership is then removed from the document).
    pub complete: bool,
    /// Whether nothing of the user is left upstream: the control plane then
    /// deletes the user document (`deleteOne(patch.filter())`) instead of
    /// applying the patch.
    pub delete_document: bool,
    /// The write to the member's document.
    pub patch: MemberPatch,
    /// The audit events to record.
    pub events: Vec<AuditEvent>,
}

/// The order a member's resources are removed in: newest first, the identity
/// (which the others are named after) last.
pub const MEMBER_REMOVAL_ORDER: [MemberKind; 3] =
    [MemberKind::Files, MemberKind::Mailbox, MemberKind::Identity];

/// Drives the member ports. A kind without a port is skipped.
#[derive(Clone, Default)]
pub struct Members {
    ports: BTreeMap<MemberKind, Arc<dyn MemberPort>>,
}

impl fmt::Debug for Members {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Members")
            .field("kinds", &self.ports.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// The tenant as the authorization rules read it.
fn authz_tenant(tenant: &TenantDocument) -> Tenant {
    Tenant {
        id: tenant.id.clone(),
        slug: tenant.slug.clone(),
        plan: tenant.plan.clone(),
        partner_id: tenant.partner_id.clone(),
        status: Some(tenant.status),
    }
}

/// A checked sign-in address, lowercased, and its local part.
fn check_email(field: &str, email: &str) -> Result<(String, String)> {
    let email = email.trim().to_ascii_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(invalid(field, "must be an email address"));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !local_ok || !domain_ok {
        return Err(invalid(
            field,
            "must be an email address (letters, digits and . _ + - before the @)",
        ));
    }
    if email.len() > 150 {
        return Err(invalid(field, "must be at most 150 characters"));
    }
    Ok((local.to_owned(), email))
}

fn check_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if name.chars().count() > 150 || name.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be at most 150 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A failure of kind `kind` with the error, after undoing.
fn failure(
    action: &str,
    kind: Option<MemberKind>,
    error: PortError,
    undone: Vec<Undo>,
    event: AuditEvent,
) -> MemberError {
    let mut event = event.with("code", error.code.as_str()).with(
        "undone",
        json!(
            undone
                .iter()
                .map(|u| json!({"kind": u.kind.as_str(), "handle": u.handle, "ok": u.error.is_none()}))
                .collect::<Vec<_>>()
        ),
    );
    if let Some(kind) = kind {
        event = event.with("failed", kind.as_str());
    }
    MemberError::Failed(Box::new(MemberFailure {
        action: action.to_owned(),
        kind,
        error,
        kept: Vec::new(),
        undone,
        events: vec![event],
    }))
}

/// Whether an error may hide an effect (the upstream acted, the answer was lost).
fn maybe_applied(error: &PortError) -> bool {
    matches!(
        error.kind,
        FailureKind::Unavailable | FailureKind::RateLimited
    )
}

fn already_exists(kind: MemberKind, found: &MemberResource) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_ALREADY_EXISTS",
        format!(
            "the {kind} {:?} exists already ({})",
            found.name, found.handle
        ),
    )
}

impl Members {
    /// No ports: every resource is skipped.
    pub fn new() -> Self {
        Members::default()
    }

    /// Adds (or replaces) the port of its kind.
    pub fn with_port(mut self, port: Arc<dyn MemberPort>) -> Self {
        self.ports.insert(port.kind(), port);
        self
    }

    /// The kinds that have a port, in order.
    pub fn kinds(&self) -> Vec<MemberKind> {
        self.ports.keys().copied().collect()
    }

    fn port(&self, kind: MemberKind) -> Option<&Arc<dyn MemberPort>> {
        self.ports.get(&kind)
    }

    /// Removes what `made` lists, newest first.
    async fn undo_created(&self, target: &MemberTarget, made: &[MemberResource]) -> Vec<Undo> {
        let mut undone = Vec::new();
        for resource in made.iter().rev() {
            let error = match self.port(resource.kind) {
                Some(port) => port.remove(target, &resource.handle).await.err(),
                None => None,
            };
            undone.push(Undo {
                kind: resource.kind,
                handle: resource.handle.clone(),
                error,
            });
        }
        undone
    }

    /// Finds, then creates, one resource; returns it, or the error together
    /// with a resource the failed create made after all (a lost answer).
    async fn make(
        &self,
        port: &dyn MemberPort,
        target: &MemberTarget,
        password: Option<&Secret>,
    ) -> std::result::Result<MemberResource, (PortError, Option<MemberResource>)> {
        match port.find(target).await {
            Ok(Some(found)) => return Err((already_exists(port.kind(), &found), None)),
            Ok(None) => {}
            Err(e) => return Err((e, None)),
        }
        match port.create(target, password).await {
            Ok(made) => Ok(made),
            Err(e) if maybe_applied(&e) => {
                // Nothing was there before: what is there now was made by this call.
                let made = port.find(target).await.ok().flatten();
                Err((e, made))
            }
            Err(e) => Err((e, None)),
        }
    }

    /// Creates a member of `tenant`: the identity (username = email) in the
    /// tenant's group, a mailbox `<local part>@<primary domain>` with the
    /// quota and its default address book (when the tenant has a domain),
    /// the files account; one one-time password on the identity and the
    /// mailbox. On a failure part-way, what this call made is removed, newest
    /// first, and the original error returned with any failure of that
    /// cleanup. Needs a tenant admin (or a platform admin) and an active tenant.
    pub async fn create_member(
        &self,
        tenant: &TenantDocument,
        new: &NewMember,
        caller: Caller<'_>,
    ) -> MemberResult<CreatedMember> {
        const ACTION: &str = "member.create";
        authz::require_tenant_admin(caller.actor, caller.user, &authz_tenant(tenant))?;
        let (local, email) = check_email("member.email", &new.email)?;
        let name = check_name("member.name", &new.name)?;
        if new.quota_bytes == Some(0) {
            return Err(invalid("member.quotaBytes", "must be more than 0").into());
        }
        tenant.check_for_upstreams()?;
        if tenant.status != TenantStatus::Active {
            return Err(Error::IllegalTransition {
                from_status: tenant.status.as_str().into(),
                action: ACTION.into(),
            }
            .into());
        }
        let group = match (
            &tenant.handles.authentik_group_id,
            self.port(MemberKind::Identity),
        ) {
            (Some(handle), _) => Some(MemberGroup::Tenant {
                handle: handle.clone(),
            }),
            (None, Some(_)) => {
                return Err(invalid(
                    "tenant.authentikGroupId",
                    "the tenant has no Authentik group yet: reconcile it first",
                )
                .into());
            }
            (None, None) => None,
        };
        let address = tenant.primary_domain().map(|d| format!("{local}@{d}"));
        let role = if new.admin { "admin" } else { "member" };
        let target = MemberTarget {
            email: email.clone(),
            name: name.clone(),
            address: address.clone(),
            group,
            quota_bytes: new.quota_bytes,
            tenant_id: Some(tenant.id.clone()),
        };
        let event = AuditEvent::new(ACTION, Outcome::Failure, caller.change, "member", &email)
            .for_tenant(&tenant.id)
            .with("role", role);
        let password = one_time_password(&[&email, &name, &local])
            .map_err(|e| failure(ACTION, None, e, Vec::new(), event.clone()))?;

        let mut made: Vec<MemberResource> = Vec::new();
        for kind in MemberKind::ALL {
            let Some(port) = self.port(kind) else {
                continue;
            };
            if kind == MemberKind::Mailbox && address.is_none() {
                continue;
            }
            let secret = (kind != MemberKind::Files).then_some(&password);
            match self.make(port.as_ref(), &target, secret).await {
                Ok(resource) => made.push(resource),
                Err((error, lost)) => {
                    made.extend(lost);
                    let undone = self.undo_created(&target, &made).await;
                    return Err(failure(ACTION, Some(kind), error, undone, event));
                }
            }
        }

        let handle_of = |kind| made.iter().find(|r| r.kind == kind);
        let subject = handle_of(MemberKind::Identity).and_then(|r| r.subject.clone());
        let mut document = Map::new();
        document.insert(
            "authentikSubjectId".into(),
            json!(subject.clone().unwrap_or_default()),
        );
        if let Some(r) = handle_of(MemberKind::Identity) {
            document.insert("authentikUserPk".into(), json!(r.handle));
        }
        if let Some(r) = handle_of(MemberKind::Files) {
            document.insert("ocisUserId".into(), json!(r.handle));
        }
        document.insert("email".into(), json!(email));
        document.insert("name".into(), json!(name));
        document.insert("tenantIds".into(), json!([{"$oid": tenant.id}]));
        document.insert("tenantRoles".into(), json!({ tenant.id.as_str(): role }));
        if let (Some(r), Some(address)) = (handle_of(MemberKind::Mailbox), &address) {
            document.insert(
                "mailboxes".into(),
                json!({ tenant.id.as_str(): {"id": r.handle, "address": address} }),
            );
        }
        document.insert("platformAdmin".into(), json!(false));
        document.insert("active".into(), json!(true));
        document.insert(VERSION_KEY.into(), json!(0));
        let resources: Value = made
            .iter()
            .map(|r| (r.kind.as_str().to_owned(), json!(r.handle)))
            .collect::<Map<String, Value>>()
            .into();
        let mut event = event.with("resources", resources);
        event.outcome = Outcome::Success;
        Ok(CreatedMember {
            member: MemberRecord {
                email,
                name,
                tenant_id: Some(tenant.id.clone()),
                role: Some(role.into()),
                partner_id: None,
                subject,
                resources: made,
            },
            document,
            password,
            events: vec![event],
        })
    }

    /// What a port is told about `member` in `tenant`.
    fn target_of(&self, tenant: &TenantDocument, member: &MemberDocument) -> Result<MemberTarget> {
        let email = member
            .user
            .email
            .as_deref()
            .ok_or_else(|| invalid("member.email", "is required"))?;
        let (local, email) = check_email("member.email", email)?;
        let address = match member.mailboxes.get(&tenant.id) {
            Some(m) => Some(m.address.clone()),
            None => tenant.primary_domain().map(|d| format!("{local}@{d}")),
        };
        Ok(MemberTarget {
            email,
            name: member.user.name.clone().unwrap_or_default(),
            address,
            group: tenant
                .handles
                .authentik_group_id
                .as_ref()
                .map(|handle| MemberGroup::Tenant {
                    handle: handle.clone(),
                }),
            quota_bytes: None,
            tenant_id: Some(tenant.id.clone()),
        })
    }

    fn event(
        action: &str,
        caller: Caller<'_>,
        tenant: &TenantDocument,
        target: &MemberTarget,
    ) -> AuditEvent {
        AuditEvent::new(
            action,
            Outcome::Success,
            caller.change,
            "member",
            &target.email,
        )
        .for_tenant(&tenant.id)
    }

    /// Suspends a member in `tenant`: sign-ins refused on the identity and
    /// the tenant's mailbox, data and passwords kept, sessions ended. A user
    /// who belongs to another tenant (or is partner staff, or a platform
    /// admin) keeps the identity active and is taken out of this tenant's
    /// group instead. Never oneself (`DEZKY_FORBIDDEN`). All or nothing: on
    /// a failure what was done is undone. Suspending a suspended member
    /// changes nothing.
    pub async fn suspend_member(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        caller: Caller<'_>,
    ) -> MemberResult<MemberChange> {
        const ACTION: &str = "member.suspend";
        authz::require_can_suspend(
            caller.actor,
            caller.user,
            &authz_tenant(tenant),
            &member.user,
        )?;
        let target = self.target_of(tenant, member)?;
        let mut patch = MemberPatch::new(member);
        let event = Self::event(ACTION, caller, tenant, &target);
        if member.suspensions.contains_key(&tenant.id) {
            return Ok(MemberChange {
                action: ACTION.into(),
                effects: Vec::new(),
                sessions_ended: 0,
                patch,
                events: vec![event.with("alreadySuspended", true)],
            });
        }
        let shared = !member.kept_for(&tenant.id).is_empty();
        let mut entry = MemberSuspension::default();
        let mut effects = Vec::new();
        let mut sessions_ended = 0;
        let result = self
            .apply_suspension(
                member,
                tenant,
                &target,
                shared,
                &mut entry,
                &mut effects,
                &mut sessions_ended,
            )
            .await;
        if let Err((kind, error)) = result {
            let undone = self.undo_suspension(&entry, member, tenant, &target).await;
            let mut event = event;
            event.outcome = Outcome::Failure;
            return Err(failure(ACTION, Some(kind), error, undone, event));
        }
        if entry.identity.as_deref() == Some("account") && member.user.active {
            entry.record_active = Some(true);
            patch.set("active", false);
        }
        patch.set(
            format!("memberSuspensions.{}", tenant.id),
            serde_json::to_value(&entry).unwrap_or(Value::Null),
        );
        let event = event
            .with("identity", json!(entry.identity))
            .with("mailbox", entry.mailbox)
            .with("sessionsEnded", sessions_ended);
        Ok(MemberChange {
            action: ACTION.into(),
            effects,
            sessions_ended,
            patch,
            events: vec![event],
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_suspension(
        &self,
        member: &MemberDocument,
        tenant: &TenantDocument,
        target: &MemberTarget,
        shared: bool,
        entry: &mut MemberSuspension,
        effects: &mut Vec<Effect>,
        sessions_ended: &mut u64,
    ) -> std::result::Result<(), (MemberKind, PortError)> {
        let identity = MemberKind::Identity;
        if let (Some(port), Some(handle)) = (self.port(identity), &member.authentik_user_pk) {
            let fail = |e| (identity, e);
            if shared {
                if let Some(group) = &target.group {
                    port.leave(handle, group).await.map_err(fail)?;
                    entry.identity = Some("group".into());
                    effects.push(Effect {
                        kind: identity,
                        handle: handle.clone(),
                        done: "left_group".into(),
                    });
                }
            } else {
                entry.identity_saved = port.suspend(handle).await.map_err(fail)?;
                entry.identity = Some("account".into());
                effects.push(Effect {
                    kind: identity,
                    handle: handle.clone(),
                    done: "deactivated".into(),
                });
            }
            *sessions_ended = port.end_sessions(target, handle).await.map_err(fail)?;
            effects.push(Effect {
                kind: identity,
                handle: handle.clone(),
                done: "sessions_ended".into(),
            });
        }
        if let (Some(port), Some(mailbox)) = (
            self.port(MemberKind::Mailbox),
            member.mailboxes.get(&tenant.id),
        ) {
            entry.mailbox_saved = port
                .suspend(&mailbox.id)
                .await
                .map_err(|e| (MemberKind::Mailbox, e))?;
            entry.mailbox = true;
            effects.push(Effect {
                kind: MemberKind::Mailbox,
                handle: mailbox.id.clone(),
                done: "suspended".into(),
            });
        }
        Ok(())
    }

    /// Undoes what `entry` says was suspended (newest first).
    async fn undo_suspension(
        &self,
        entry: &MemberSuspension,
        member: &MemberDocument,
        tenant: &TenantDocument,
        target: &MemberTarget,
    ) -> Vec<Undo> {
        let mut undone = Vec::new();
        if entry.mailbox
            && let (Some(port), Some(mailbox)) = (
                self.port(MemberKind::Mailbox),
                member.mailboxes.get(&tenant.id),
            )
        {
            undone.push(Undo {
                kind: MemberKind::Mailbox,
                handle: mailbox.id.clone(),
                error: port.resume(&mailbox.id, &entry.mailbox_saved).await.err(),
            });
        }
        if let (Some(port), Some(handle)) =
            (self.port(MemberKind::Identity), &member.authentik_user_pk)
        {
            let error = match (entry.identity.as_deref(), &target.group) {
                (Some("group"), Some(group)) => port.join(handle, group).await.err(),
                (Some("account"), _) => port.resume(handle, &entry.identity_saved).await.err(),
                _ => return undone,
            };
            undone.push(Undo {
                kind: MemberKind::Identity,
                handle: handle.clone(),
                error,
            });
        }
        undone
    }

    /// Resumes a member suspended in `tenant`, restoring exactly what
    /// suspending changed. A member not suspended there: nothing changes.
    /// All or nothing: on a failure what was restored is suspended again.
    pub async fn resume_member(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        caller: Caller<'_>,
    ) -> MemberResult<MemberChange> {
        const ACTION: &str = "member.resume";
        authz::require_can_suspend(
            caller.actor,
            caller.user,
            &authz_tenant(tenant),
            &member.user,
        )?;
        let target = self.target_of(tenant, member)?;
        let mut patch = MemberPatch::new(member);
        let event = Self::event(ACTION, caller, tenant, &target);
        let Some(entry) = member.suspensions.get(&tenant.id) else {
            return Ok(MemberChange {
                action: ACTION.into(),
                effects: Vec::new(),
                sessions_ended: 0,
                patch,
                events: vec![event.with("alreadyActive", true)],
            });
        };
        let mut effects = Vec::new();
        let mut restored = MemberSuspension::default();
        let mut fail = None;
        if let (Some(port), Some(handle), Some(mode)) = (
            self.port(MemberKind::Identity),
            &member.authentik_user_pk,
            entry.identity.as_deref(),
        ) {
            let result = match (mode, &target.group) {
                ("group", Some(group)) => port.join(handle, group).await.map(|()| "joined_group"),
                _ => port
                    .resume(handle, &entry.identity_saved)
                    .await
                    .map(|()| "reactivated"),
            };
            match result {
                Ok(done) => {
                    restored.identity = entry.identity.clone();
                    effects.push(Effect {
                        kind: MemberKind::Identity,
                        handle: handle.clone(),
                        done: done.into(),
                    });
                }
                Err(e) => fail = Some((MemberKind::Identity, e)),
            }
        }
        if fail.is_none()
            && entry.mailbox
            && let (Some(port), Some(mailbox)) = (
                self.port(MemberKind::Mailbox),
                member.mailboxes.get(&tenant.id),
            )
        {
            match port.resume(&mailbox.id, &entry.mailbox_saved).await {
                Ok(()) => effects.push(Effect {
                    kind: MemberKind::Mailbox,
                    handle: mailbox.id.clone(),
                    done: "resumed".into(),
                }),
                Err(e) => fail = Some((MemberKind::Mailbox, e)),
            }
        }
        if let Some((kind, error)) = fail {
            // Suspend again what was restored, so the record stays true.
            let mut undone = Vec::new();
            if let (Some(port), Some(handle)) =
                (self.port(MemberKind::Identity), &member.authentik_user_pk)
                && restored.identity.is_some()
            {
                let error = match (restored.identity.as_deref(), &target.group) {
                    (Some("group"), Some(group)) => port.leave(handle, group).await.err(),
                    _ => port.suspend(handle).await.err(),
                };
                undone.push(Undo {
                    kind: MemberKind::Identity,
                    handle: handle.clone(),
                    error,
                });
            }
            let mut event = event;
            event.outcome = Outcome::Failure;
            return Err(failure(ACTION, Some(kind), error, undone, event));
        }
        if let Some(active) = entry.record_active {
            patch.set("active", active);
        }
        patch.unset(format!("memberSuspensions.{}", tenant.id));
        Ok(MemberChange {
            action: ACTION.into(),
            effects,
            sessions_ended: 0,
            patch,
            events: vec![event],
        })
    }

    /// Ends every session of a member, and only theirs. Never one's own
    /// (`DEZKY_FORBIDDEN`).
    pub async fn force_logout(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        caller: Caller<'_>,
    ) -> MemberResult<MemberChange> {
        const ACTION: &str = "member.force_logout";
        authz::require_can_force_logout(
            caller.actor,
            caller.user,
            &authz_tenant(tenant),
            &member.user,
        )?;
        let target = self.target_of(tenant, member)?;
        let event = Self::event(ACTION, caller, tenant, &target);
        let mut effects = Vec::new();
        let mut ended = 0;
        if let (Some(port), Some(handle)) =
            (self.port(MemberKind::Identity), &member.authentik_user_pk)
        {
            match port.end_sessions(&target, handle).await {
                Ok(n) => {
                    ended = n;
                    effects.push(Effect {
                        kind: MemberKind::Identity,
                        handle: handle.clone(),
                        done: "sessions_ended".into(),
                    });
                }
                Err(e) => {
                    let mut event = event;
                    event.outcome = Outcome::Failure;
                    return Err(failure(
                        ACTION,
                        Some(MemberKind::Identity),
                        e,
                        Vec::new(),
                        event,
                    ));
                }
            }
        }
        Ok(MemberChange {
            action: ACTION.into(),
            effects,
            sessions_ended: ended,
            patch: MemberPatch::new(member),
            events: vec![event.with("sessionsEnded", ended)],
        })
    }

    /// Sets a new one-time password on the member's identity and their
    /// mailbox in `tenant`, and ends the identity's sessions. When the
    /// mailbox refuses after the identity took it, the failure says so
    /// (`kept: [identity]`): the old password cannot be put back, and
    /// running the reset again sets a new one on both.
    pub async fn reset_password(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        caller: Caller<'_>,
    ) -> MemberResult<PasswordReset> {
        const ACTION: &str = "member.reset_password";
        authz::require_can_manage(
            "reset the password of",
            caller.actor,
            caller.user,
            &authz_tenant(tenant),
            &member.user,
        )?;
        let target = self.target_of(tenant, member)?;
        let mut event = Self::event(ACTION, caller, tenant, &target);
        let password = one_time_password(&[&target.email, &target.name]).map_err(|e| {
            let mut event = event.clone();
            event.outcome = Outcome::Failure;
            failure(ACTION, None, e, Vec::new(), event)
        })?;
        let mut effects = Vec::new();
        let mut steps: Vec<(MemberKind, String)> = Vec::new();
        if let Some(handle) = &member.authentik_user_pk {
            steps.push((MemberKind::Identity, handle.clone()));
        }
        if let Some(mailbox) = member.mailboxes.get(&tenant.id) {
            steps.push((MemberKind::Mailbox, mailbox.id.clone()));
        }
        for (kind, handle) in steps {
            let Some(port) = self.port(kind).filter(|p| p.has_password()) else {
                continue;
            };
            if let Err(e) = port.set_password(&handle, &password).await {
                event.outcome = Outcome::Failure;
                let kept: Vec<MemberKind> = effects.iter().map(|e: &Effect| e.kind).collect();
                let event = event.with(
                    "kept",
                    json!(kept.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
                );
                let mut error = failure(ACTION, Some(kind), e, Vec::new(), event);
                if let MemberError::Failed(f) = &mut error {
                    f.kept = kept;
                }
                return Err(error);
            }
            effects.push(Effect {
                kind,
                handle,
                done: "password_set".into(),
            });
        }
        let mut sessions_ended = 0;
        if let (Some(port), Some(handle)) =
            (self.port(MemberKind::Identity), &member.authentik_user_pk)
        {
            // Sessions opened with the old password end; a failure here
            // leaves the new password in place and is reported in the event.
            match port.end_sessions(&target, handle).await {
                Ok(n) => sessions_ended = n,
                Err(e) => event = event.with("sessionsError", e.code.as_str()),
            }
        }
        let event = event
            .with(
                "set",
                json!(effects.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>()),
            )
            .with("sessionsEnded", sessions_ended);
        Ok(PasswordReset {
            change: MemberChange {
                action: ACTION.into(),
                effects,
                sessions_ended,
                patch: MemberPatch::new(member),
                events: vec![event],
            },
            password,
        })
    }

    /// Removes a member from `tenant`, in [`MEMBER_REMOVAL_ORDER`]. What the
    /// user's other uses need is kept (see `docs/members.md`): with another
    /// tenant, a partner or platform-admin role, the files account is kept
    /// and the identity only leaves this tenant's group; the tenant's
    /// mailbox is removed, unless its address is the user's sign-in address
    /// and another tenant remains. Stops at the first failure; running it
    /// again resumes. Never oneself (`DEZKY_FORBIDDEN`).
    pub async fn remove_member(
        &self,
        tenant: &TenantDocument,
        member: &MemberDocument,
        caller: Caller<'_>,
    ) -> MemberResult<MemberRemoval> {
        const ACTION: &str = "member.remove";
        authz::require_can_remove(
            caller.actor,
            caller.user,
            &authz_tenant(tenant),
            &member.user,
        )?;
        let target = self.target_of(tenant, member)?;
        let uses = member.kept_for(&tenant.id);
        let others = member.other_tenants(&tenant.id);
        let mut patch = MemberPatch::new(member);
        let mut steps: Vec<RemovedResource> = Vec::new();
        let mut stopped = false;
        let mut identity_removed = false;
        for kind in MEMBER_REMOVAL_ORDER {
            let recorded = match kind {
                MemberKind::Identity => member.authentik_user_pk.clone(),
                MemberKind::Files => member.ocis_user_id.clone(),
                MemberKind::Mailbox => member.mailboxes.get(&tenant.id).map(|m| m.id.clone()),
            };
            let step = |outcome, handle: Option<String>, message: Option<String>| RemovedResource {
                kind,
                outcome,
                handle,
                message,
                code: None,
            };
            if stopped {
                steps.push(step(Removed::NotReached, recorded, None));
                continue;
            }
            let Some(port) = self.port(kind) else {
                steps.push(step(
                    if recorded.is_some() {
                        Removed::Kept
                    } else {
                        Removed::Absent
                    },
                    recorded,
                    Some("no port configured".into()),
                ));
                continue;
            };
            let keep_reason = match kind {
                MemberKind::Files if !uses.is_empty() => {
                    Some(format!("still used by {}", uses.join(", ")))
                }
                MemberKind::Mailbox
                    if !others.is_empty() && target.address.as_deref() == Some(&target.email) =>
                {
                    Some(format!(
                        "the sign-in address; still used by {}",
                        others.join(", ")
                    ))
                }
                _ => None,
            };
            if let Some(reason) = keep_reason {
                steps.push(step(Removed::Kept, recorded, Some(reason)));
                continue;
            }
            // A lost handle is found by name; the sign-in name and the
            // address are the member's own.
            let handle = match recorded.clone() {
                Some(h) => Some(h),
                None => match port.find(&target).await {
                    Ok(found) => found.map(|r| r.handle),
                    Err(e) => {
                        stopped = true;
                        steps.push(RemovedResource {
                            code: Some(e.code.clone()),
                            ..step(Removed::Failed, None, Some(e.message))
                        });
                        continue;
                    }
                },
            };
            let Some(handle) = handle else {
                steps.push(step(Removed::Absent, None, None));
                continue;
            };
            let shared_identity = kind == MemberKind::Identity && !uses.is_empty();
            let result = match (&target.group, shared_identity) {
                (Some(group), true) => port.leave(&handle, group).await,
                (None, true) => Ok(()),
                (_, false) => port.remove(&target, &handle).await,
            };
            match result {
                Ok(()) if shared_identity => steps.push(step(
                    Removed::LeftGroup,
                    Some(handle),
                    Some(format!("kept for {}", uses.join(", "))),
                )),
                Ok(()) => {
                    match kind {
                        MemberKind::Identity => {
                            identity_removed = true;
                            if recorded.is_some() {
                                patch.unset("authentikUserPk");
                            }
                        }
                        MemberKind::Files if recorded.is_some() => {
                            patch.unset("ocisUserId");
                        }
                        MemberKind::Mailbox if recorded.is_some() => {
                            patch.unset(format!("mailboxes.{}", tenant.id));
                        }
                        _ => {}
                    }
                    steps.push(step(Removed::Removed, Some(handle), None));
                }
                Err(e) => {
                    stopped = true;
                    steps.push(RemovedResource {
                        code: Some(e.code.clone()),
                        ..step(Removed::Failed, Some(handle), Some(e.message))
                    });
                }
            }
        }
        let complete = !stopped;
        if complete {
            let remaining: Vec<Value> = others.iter().map(|t| json!({"$oid": t})).collect();
            patch.set("tenantIds", Value::Array(remaining));
            let roles: Map<String, Value> = member
                .user
                .tenant_roles
                .iter()
                .filter(|(t, _)| **t != tenant.id)
                .map(|(t, r)| (t.clone(), json!(String::from(r.clone()))))
                .collect();
            patch.set("tenantRoles", Value::Object(roles));
            patch.unset(format!("mailboxes.{}", tenant.id));
            if member.suspensions.contains_key(&tenant.id) {
                patch.unset(format!("memberSuspensions.{}", tenant.id));
            }
        }
        let delete_document = complete && identity_removed && uses.is_empty();
        let mut event = AuditEvent::new(
            ACTION,
            if complete {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            caller.change,
            "member",
            &target.email,
        )
        .for_tenant(&tenant.id)
        .with(
            "steps",
            json!(
                steps
                    .iter()
                    .map(|s| json!({"kind": s.kind.as_str(), "outcome": serde_json::to_value(s.outcome).unwrap_or(Value::Null)}))
                    .collect::<Vec<_>>()
            ),
        );
        if delete_document {
            event = event.with("documentDeleted", true);
        }
        Ok(MemberRemoval {
            steps,
            complete,
            delete_document,
            patch,
            events: vec![event],
        })
    }

    /// Invites a partner staff member: an identity in the shared staff group
    /// [`super::PARTNER_STAFF_GROUP`] and a one-time recovery link for their
    /// first sign-in; the user document carries the partner's id. Needs the
    /// partner's own staff or a platform admin, and a partner not terminated.
    /// When the link cannot be made the identity is removed.
    pub async fn invite_partner_staff(
        &self,
        partner: &Partner,
        new: &NewStaff,
        caller: Caller<'_>,
    ) -> MemberResult<InvitedStaff> {
        const ACTION: &str = "partner.staff_invite";
        if authz::require_platform_admin(caller.actor, caller.user).is_err() {
            authz::require_partner_staff(caller.actor, caller.user, partner)?;
        }
        if partner.status == Some(crate::lifecycle::PartnerStatus::Terminated) {
            return Err(Error::Forbidden {
                reason: format!("partner {} is terminated", partner.slug),
            }
            .into());
        }
        if !crate::tenant::is_object_id(&partner.id) {
            return Err(invalid("partner.id", "must be an ObjectId").into());
        }
        let (_, email) = check_email("staff.email", &new.email)?;
        let name = check_name("staff.name", &new.name)?;
        let Some(port) = self.port(MemberKind::Identity) else {
            return Err(invalid("members", "no identity port is configured").into());
        };
        let target = MemberTarget {
            email: email.clone(),
            name: name.clone(),
            address: None,
            group: Some(MemberGroup::PartnerStaff),
            quota_bytes: None,
            tenant_id: None,
        };
        let mut event = AuditEvent::new(ACTION, Outcome::Failure, caller.change, "member", &email)
            .with("partnerId", partner.id.as_str());
        let identity = match self.make(port.as_ref(), &target, None).await {
            Ok(r) => r,
            Err((error, lost)) => {
                let undone = self
                    .undo_created(&target, &lost.into_iter().collect::<Vec<_>>())
                    .await;
                return Err(failure(
                    ACTION,
                    Some(MemberKind::Identity),
                    error,
                    undone,
                    event,
                ));
            }
        };
        let recovery_link = match port.recovery_link(&identity.handle).await {
            Ok(link) => link,
            Err(error) => {
                let undone = self
                    .undo_created(&target, std::slice::from_ref(&identity))
                    .await;
                return Err(failure(
                    ACTION,
                    Some(MemberKind::Identity),
                    error,
                    undone,
                    event,
                ));
            }
        };
        let mut document = Map::new();
        document.insert(
            "authentikSubjectId".into(),
            json!(identity.subject.clone().unwrap_or_default()),
        );
        document.insert("authentikUserPk".into(), json!(identity.handle));
        document.insert("email".into(), json!(email));
        document.insert("name".into(), json!(name));
        document.insert("partnerId".into(), json!({"$oid": partner.id}));
        document.insert("tenantIds".into(), json!([]));
        document.insert("tenantRoles".into(), json!({}));
        document.insert("platformAdmin".into(), json!(false));
        document.insert("active".into(), json!(true));
        document.insert(VERSION_KEY.into(), json!(0));
        event.outcome = Outcome::Success;
        let event = event.with("identity", identity.handle.as_str());
        Ok(InvitedStaff {
            member: MemberRecord {
                email,
                name,
                tenant_id: None,
                role: None,
                partner_id: Some(partner.id.clone()),
                subject: identity.subject.clone(),
                resources: vec![identity],
            },
            document,
            recovery_link,
            events: vec![event],
        })
    }
}

/// One tenant of the signed-in user, as `/me` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MeTenant {
    /// The ObjectId.
    pub id: String,
    /// The slug.
    pub slug: String,
    /// The plan.
    pub plan: String,
    /// The status, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TenantStatus>,
    /// The user's role there: `admin`, `member` or another value as stored.
    pub role: String,
    /// Whether the user is suspended there (`memberSuspensions`).
    pub suspended: bool,
}

/// The signed-in user's partner, as `/me` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MePartner {
    /// The ObjectId.
    pub id: String,
    /// The slug.
    pub slug: String,
    /// The status, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::lifecycle::PartnerStatus>,
    /// Whether the partner surface is open to the user (not terminated).
    pub staff_access: bool,
}

/// The `/me` profile: who the verified token says the caller is, and what
/// their user record says they may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MeProfile {
    /// The user's ObjectId.
    pub id: String,
    /// The token's subject.
    pub subject: String,
    /// The email (the token's, else the record's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The name (the token's, else the record's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The surface the token was issued for (`portal` or `operator`).
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub surface: crate::auth::Surface,
    /// Platform administrator.
    pub platform_admin: bool,
    /// The tenants the user belongs to, in `tenantIds` order (those found).
    pub tenants: Vec<MeTenant>,
    /// Roles by tenant id (`tenantRoles`).
    pub tenant_roles: BTreeMap<String, String>,
    /// Ids in `tenantIds` for which no tenant was given (deleted, or not read).
    pub unknown_tenant_ids: Vec<String>,
    /// The partner whose staff the user is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<MePartner>,
}

/// The `/me` profile of the caller: `actor` (the verified token), `user`
/// (the caller's user document, which must be theirs and active), the
/// tenants read for `user.tenantIds` (others given are ignored) and the
/// user's partner (a partner that is not the user's is
/// `DEZKY_INVALID_ARGUMENT` naming `partner`).
pub fn me(
    actor: &Actor,
    member: &MemberDocument,
    tenants: &[Tenant],
    partner: Option<&Partner>,
) -> Result<MeProfile> {
    let user = &member.user;
    authz::require_own_active_record(actor, user)?;
    let role_name = |role: Option<&TenantRole>| match role {
        Some(r) => String::from(r.clone()),
        None => "member".to_owned(),
    };
    let mut listed = Vec::new();
    let mut unknown = Vec::new();
    for id in &user.tenant_ids {
        match tenants.iter().find(|t| &t.id == id) {
            Some(t) => listed.push(MeTenant {
                id: t.id.clone(),
                slug: t.slug.clone(),
                plan: t.plan.clone(),
                status: t.status,
                role: role_name(user.tenant_roles.get(id)),
                suspended: member.suspensions.contains_key(id),
            }),
            None => unknown.push(id.clone()),
        }
    }
    let partner = match (partner, &user.partner_id) {
        (None, _) => None,
        (Some(p), Some(id)) if &p.id == id => Some(MePartner {
            id: p.id.clone(),
            slug: p.slug.clone(),
            status: p.status,
            staff_access: p.status != Some(crate::lifecycle::PartnerStatus::Terminated),
        }),
        (Some(_), _) => {
            return Err(invalid("partner", "is not the user's partner (partnerId)"));
        }
    };
    Ok(MeProfile {
        id: user.id.clone(),
        subject: actor.subject.clone(),
        email: actor.email.clone().or_else(|| user.email.clone()),
        name: actor.name.clone().or_else(|| user.name.clone()),
        surface: actor.surface,
        platform_admin: user.platform_admin,
        tenants: listed,
        tenant_roles: user
            .tenant_roles
            .iter()
            .map(|(t, r)| (t.clone(), String::from(r.clone())))
            .collect(),
        unknown_tenant_ids: unknown,
        partner,
    })
}
