//! The ports member operations drive: one per upstream, all of one shape.
//!
//! A member of a tenant has up to three upstream resources: an identity (the
//! Authentik user, who signs in everywhere), a mailbox (a Stalwart account on
//! the tenant's primary domain) and a files account (the OCIS user). One trait
//! serves the three; the operations an upstream has no equivalent for keep
//! their default (nothing to do). Failures are the provisioning ports'
//! [`PortError`], so one conversion in `dezky-clients` serves both.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::provisioning::{FailureKind, PortError, PortFuture};
use crate::secret::Secret;

/// The name of the shared Authentik group of every partner's staff.
pub const PARTNER_STAFF_GROUP: &str = "dezky-partner-staff";

/// Which upstream resource of a member a port manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum MemberKind {
    /// The SSO identity (Authentik user, username = email).
    Identity,
    /// The mailbox on the tenant's primary domain (Stalwart account).
    Mailbox,
    /// The files account (OCIS user).
    Files,
}

impl MemberKind {
    /// Every kind, in the order a member's resources are made.
    pub const ALL: [MemberKind; 3] = [MemberKind::Identity, MemberKind::Mailbox, MemberKind::Files];

    /// `identity`, `mailbox` or `files`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::Identity => "identity",
            MemberKind::Mailbox => "mailbox",
            MemberKind::Files => "files",
        }
    }
}

impl fmt::Display for MemberKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group an identity is put in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum MemberGroup {
    /// The tenant's group, by the handle the tenant document records
    /// (`authentikGroupId`).
    Tenant {
        /// The group's uuid.
        handle: String,
    },
    /// The shared staff group of the partners, [`PARTNER_STAFF_GROUP`].
    PartnerStaff,
}

/// What a port is told about the member it works for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberTarget {
    /// The sign-in name: the Authentik username and the OCIS login name.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The mailbox address (`<local part>@<the tenant's primary domain>`),
    /// when the member gets a mailbox.
    pub address: Option<String>,
    /// The group the identity belongs to for this operation.
    pub group: Option<MemberGroup>,
    /// The mailbox quota in bytes.
    pub quota_bytes: Option<u64>,
    /// The tenant the operation is for (its ObjectId), when it is for one.
    pub tenant_id: Option<String>,
}

/// One upstream resource of a member as a port reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemberResource {
    /// Which resource.
    pub kind: MemberKind,
    /// What the member document records for it (a pk, an account id, a uuid).
    pub handle: String,
    /// Its name upstream (a username, an address, a login name).
    pub name: String,
    /// For an identity, the subject its tokens carry (`sub`, the user
    /// document's `authentikSubjectId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// The error of an operation a port does not have.
pub fn unsupported(kind: MemberKind, operation: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_UPSTREAM_REJECTED",
        format!("the {kind} port has no {operation}"),
    )
}

/// The upstream side of one kind of member resource.
///
/// Operations on a handle that is gone: `remove`, `leave` and `end_sessions`
/// succeed (there is nothing left to do); the others fail with
/// `DEZKY_NOT_FOUND`.
pub trait MemberPort: Send + Sync {
    /// The kind of resource this port manages.
    fn kind(&self) -> MemberKind;

    /// The resource named for `target` (the identity and the files account by
    /// the sign-in name, the mailbox by its address), if any.
    fn find<'a>(&'a self, target: &'a MemberTarget) -> PortFuture<'a, Option<MemberResource>>;

    /// Creates the member's resource: an identity in `target.group`, a
    /// mailbox with `password` and the quota (and its default address book),
    /// a files account. `password` is `None` for an identity signed in with a
    /// recovery link (partner staff). A name already taken is
    /// `DEZKY_ALREADY_EXISTS`.
    fn create<'a>(
        &'a self,
        target: &'a MemberTarget,
        password: Option<&'a Secret>,
    ) -> PortFuture<'a, MemberResource>;

    /// Whether the resource has a password that `set_password` sets.
    fn has_password(&self) -> bool {
        false
    }

    /// Sets a new password. The default has no password to set.
    fn set_password<'a>(&'a self, _handle: &'a str, _password: &'a Secret) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Whether suspending a member changes this resource.
    fn suspends(&self) -> bool {
        false
    }

    /// Stops sign-ins (an inactive identity, a mailbox without
    /// `authenticate`), keeping data and password. Returns what `resume`
    /// needs to restore exactly the state before.
    fn suspend<'a>(&'a self, _handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async { Ok(Value::Null) })
    }

    /// Undoes `suspend` with what it returned.
    fn resume<'a>(&'a self, _handle: &'a str, _saved: &'a Value) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Puts the identity in `group` (no change when it is in it already).
    fn join<'a>(&'a self, _handle: &'a str, _group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Takes the identity out of `group` (no change when it is not in it).
    fn leave<'a>(&'a self, _handle: &'a str, _group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Ends every session of this member, and no one else's. Returns how
    /// many were ended.
    fn end_sessions<'a>(
        &'a self,
        _target: &'a MemberTarget,
        _handle: &'a str,
    ) -> PortFuture<'a, u64> {
        Box::pin(async { Ok(0) })
    }

    /// A one-time link that lets the member set a password and sign in.
    fn recovery_link<'a>(&'a self, _handle: &'a str) -> PortFuture<'a, Secret> {
        let kind = self.kind();
        Box::pin(async move { Err(unsupported(kind, "recovery link")) })
    }

    /// Removes the resource; one that is already gone succeeds.
    fn remove<'a>(&'a self, target: &'a MemberTarget, handle: &'a str) -> PortFuture<'a, ()>;
}
