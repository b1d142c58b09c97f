//! The member ports of `dezky-core` over the real clients (`docs/members.md`):
//!
//! - [`AuthentikMembers`] (identity): the Authentik user whose username is the
//!   member's email, in the tenant's group (or the partner staff group);
//! - [`StalwartMailboxes`] (mailbox): the `x:Account` of the member's address
//!   on the tenant's primary domain, with its default address book;
//! - [`OcisUsers`] (files): the OCIS user whose login name is the email.
//!
//! Errors become [`PortError`]s through [`crate::provisioning::port_error`],
//! the one conversion provisioning uses too.

use std::sync::Arc;

use dezky_core::members::{
    MemberGroup, MemberKind, MemberPort, MemberResource, MemberTarget, Members, PARTNER_STAFF_GROUP,
};
use dezky_core::provisioning::{FailureKind, PortError, PortFuture};
use serde_json::{Value, json};

use crate::authentik::{AuthentikClient, NewUser, User};
use crate::ocis::OcisClient;
use crate::provisioning::port_error;
use crate::secret::Secret;
use crate::stalwart::{NewMailbox, StalwartClient};
use crate::{Result, UpstreamKind};

fn port<T>(result: Result<T>) -> std::result::Result<T, PortError> {
    result.map_err(|e| port_error(&e))
}

/// `Ok(())` for a thing that is gone already.
fn gone_is_done(result: Result<()>) -> std::result::Result<(), PortError> {
    match result {
        Err(e) if e.is_not_found() => Ok(()),
        other => port(other),
    }
}

fn bad_handle(handle: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_INVALID_ARGUMENT",
        format!("{handle:?} is not an Authentik user pk"),
    )
}

fn rejected(code: &str, message: String) -> PortError {
    PortError::new(FailureKind::Rejected, code, message)
}

// ---------------------------------------------------------------------------
// Authentik
// ---------------------------------------------------------------------------

/// The identity port: the Authentik user named the member's email.
///
/// The handle is the user's pk; the subject is its `uid` (the `sub` of its
/// tokens in the default subject mode). A password is set after the user is
/// made (Authentik's create takes none); when that fails the user is deleted
/// again before the error is returned. Suspending deactivates the user
/// (`is_active: false`) and saves whether it was active; ending sessions
/// lists them by username and deletes only those of this user's pk.
#[derive(Debug, Clone)]
pub struct AuthentikMembers {
    client: AuthentikClient,
}

impl AuthentikMembers {
    /// The port over `client`.
    pub fn new(client: AuthentikClient) -> Self {
        AuthentikMembers { client }
    }

    fn resource(user: &User) -> MemberResource {
        MemberResource {
            kind: MemberKind::Identity,
            handle: user.pk.to_string(),
            name: user.username.clone(),
            subject: user.uid.clone(),
        }
    }

    fn pk(handle: &str) -> std::result::Result<i64, PortError> {
        handle
            .parse::<i64>()
            .ok()
            .filter(|pk| *pk > 0)
            .ok_or_else(|| bad_handle(handle))
    }

    /// The uuid of `group`: the tenant's recorded one, or the staff group's
    /// found by name (it must exist: an operator sets it up).
    async fn group_pk(&self, group: &MemberGroup) -> std::result::Result<String, PortError> {
        match group {
            MemberGroup::Tenant { handle } => Ok(handle.clone()),
            MemberGroup::PartnerStaff => {
                port(self.client.find_group_by_name(PARTNER_STAFF_GROUP).await)?
                    .map(|g| g.pk)
                    .ok_or_else(|| {
                        rejected(
                            UpstreamKind::NotFound.code(),
                            format!("the Authentik group {PARTNER_STAFF_GROUP:?} does not exist"),
                        )
                    })
            }
        }
    }
}

impl MemberPort for AuthentikMembers {
    fn kind(&self) -> MemberKind {
        MemberKind::Identity
    }

    fn find<'a>(&'a self, target: &'a MemberTarget) -> PortFuture<'a, Option<MemberResource>> {
        Box::pin(async move {
            Ok(
                port(self.client.find_user_by_username(&target.email).await)?
                    .map(|u| Self::resource(&u)),
            )
        })
    }

    fn create<'a>(
        &'a self,
        target: &'a MemberTarget,
        password: Option<&'a Secret>,
    ) -> PortFuture<'a, MemberResource> {
        Box::pin(async move {
            let mut groups = Vec::new();
            if let Some(group) = &target.group {
                groups.push(self.group_pk(group).await?);
            }
            let user = port(
                self.client
                    .create_user(&NewUser {
                        email: target.email.clone(),
                        name: target.name.clone(),
                        groups,
                        is_active: true,
                        path: None,
                        user_type: None,
                        attributes: None,
                    })
                    .await,
            )?;
            if let Some(password) = password
                && let Err(error) = self.client.set_password(user.pk, password).await
            {
                // A user without the password handed out is of no use: gone again.
                let _ = self.client.delete_user(user.pk).await;
                return Err(port_error(&error));
            }
            Ok(Self::resource(&user))
        })
    }

    fn has_password(&self) -> bool {
        true
    }

    fn set_password<'a>(&'a self, handle: &'a str, password: &'a Secret) -> PortFuture<'a, ()> {
        Box::pin(async move { port(self.client.set_password(Self::pk(handle)?, password).await) })
    }

    fn suspends(&self) -> bool {
        true
    }

    fn suspend<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move {
            let pk = Self::pk(handle)?;
            let before = port(self.client.get_user(pk).await)?;
            let was_active = before.is_active != Some(false);
            if was_active {
                port(self.client.suspend_user(pk).await)?;
            }
            Ok(json!({"wasActive": was_active}))
        })
    }

    fn resume<'a>(&'a self, handle: &'a str, saved: &'a Value) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let pk = Self::pk(handle)?;
            // A user deactivated before the suspension stays deactivated.
            if saved.get("wasActive").and_then(Value::as_bool) != Some(false) {
                port(self.client.resume_user(pk).await)?;
            }
            Ok(())
        })
    }

    fn join<'a>(&'a self, handle: &'a str, group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let group = self.group_pk(group).await?;
            port(
                self.client
                    .add_user_to_group(&group, Self::pk(handle)?)
                    .await,
            )
        })
    }

    fn leave<'a>(&'a self, handle: &'a str, group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let group = self.group_pk(group).await?;
            gone_is_done(
                self.client
                    .remove_user_from_group(&group, Self::pk(handle)?)
                    .await,
            )
        })
    }

    fn end_sessions<'a>(
        &'a self,
        target: &'a MemberTarget,
        handle: &'a str,
    ) -> PortFuture<'a, u64> {
        Box::pin(async move {
            let ended = port(
                self.client
                    .terminate_user_sessions(&target.email, Self::pk(handle)?)
                    .await,
            )?;
            Ok(u64::try_from(ended.terminated.len()).unwrap_or(u64::MAX))
        })
    }

    fn recovery_link<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Secret> {
        Box::pin(async move { port(self.client.recovery_link(Self::pk(handle)?).await) })
    }

    fn remove<'a>(&'a self, _target: &'a MemberTarget, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { gone_is_done(self.client.delete_user(Self::pk(handle)?).await) })
    }
}

// ---------------------------------------------------------------------------
// Stalwart
// ---------------------------------------------------------------------------

/// The mailbox port: the Stalwart account of the member's address.
///
/// The handle is the account id. Creating makes the account with the
/// password and the quota on the domain of the address (which must exist:
/// the tenant's provisioning made it), then its default address book; when
/// the second part fails the account is destroyed again. Suspending
/// withdraws `authenticate` (every other permission rule and the password
/// kept) and saves whether the mailbox was frozen already; resuming thaws
/// only a mailbox that was not.
#[derive(Debug, Clone)]
pub struct StalwartMailboxes {
    client: StalwartClient,
}

impl StalwartMailboxes {
    /// The port over `client`.
    pub fn new(client: StalwartClient) -> Self {
        StalwartMailboxes { client }
    }
}

impl MemberPort for StalwartMailboxes {
    fn kind(&self) -> MemberKind {
        MemberKind::Mailbox
    }

    fn find<'a>(&'a self, target: &'a MemberTarget) -> PortFuture<'a, Option<MemberResource>> {
        Box::pin(async move {
            let Some(address) = &target.address else {
                return Ok(None);
            };
            Ok(
                port(self.client.find_mailbox(address).await)?.map(|m| MemberResource {
                    kind: MemberKind::Mailbox,
                    handle: m.id,
                    name: address.clone(),
                    subject: None,
                }),
            )
        })
    }

    fn create<'a>(
        &'a self,
        target: &'a MemberTarget,
        password: Option<&'a Secret>,
    ) -> PortFuture<'a, MemberResource> {
        Box::pin(async move {
            let (Some(address), Some(password)) = (&target.address, password) else {
                return Err(rejected(
                    "DEZKY_INVALID_ARGUMENT",
                    "a mailbox needs an address and a password".into(),
                ));
            };
            let (local, domain) = address.rsplit_once('@').ok_or_else(|| {
                rejected(
                    "DEZKY_INVALID_ARGUMENT",
                    format!("{address:?} is no address"),
                )
            })?;
            let domain_id = port(self.client.find_domain(domain).await)?
                .map(|d| d.id)
                .ok_or_else(|| {
                    rejected(
                        UpstreamKind::NotFound.code(),
                        format!("the mail domain {domain:?} does not exist"),
                    )
                })?;
            let mut mailbox = NewMailbox::new(domain_id, local, password.clone());
            mailbox.quota_bytes = target.quota_bytes;
            match self.client.create_mailbox(&mailbox).await {
                Ok(id) => Ok(MemberResource {
                    kind: MemberKind::Mailbox,
                    handle: id,
                    name: address.clone(),
                    subject: None,
                }),
                Err(error) => {
                    // The account may exist without its address book (the
                    // second call failed): destroy it, unless the address
                    // was someone else's already.
                    if !error
                        .upstream()
                        .is_some_and(|u| u.kind == UpstreamKind::AlreadyExists)
                        && let Ok(Some(made)) = self.client.find_mailbox(address).await
                    {
                        let _ = self.client.delete_mailbox(&made.id).await;
                    }
                    Err(port_error(&error))
                }
            }
        })
    }

    fn has_password(&self) -> bool {
        true
    }

    fn set_password<'a>(&'a self, handle: &'a str, password: &'a Secret) -> PortFuture<'a, ()> {
        Box::pin(async move { port(self.client.reset_password(handle, password).await) })
    }

    fn suspends(&self) -> bool {
        true
    }

    fn suspend<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move {
            let was = port(self.client.get_mailbox(handle).await)?.is_suspended();
            port(self.client.suspend_mailbox(handle).await)?;
            Ok(json!({"wasSuspended": was}))
        })
    }

    fn resume<'a>(&'a self, handle: &'a str, saved: &'a Value) -> PortFuture<'a, ()> {
        Box::pin(async move {
            if saved.get("wasSuspended").and_then(Value::as_bool) == Some(true) {
                return Ok(());
            }
            port(self.client.resume_mailbox(handle).await)
        })
    }

    fn remove<'a>(&'a self, _target: &'a MemberTarget, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { gone_is_done(self.client.delete_mailbox(handle).await) })
    }
}

// ---------------------------------------------------------------------------
// OCIS
// ---------------------------------------------------------------------------

/// The files port: the OCIS user whose login name (`onPremisesSamAccountName`)
/// is the member's email, so that the first OIDC sign-in finds it. The handle
/// is the user id. OCIS deletes the user's personal space with the user.
#[derive(Debug, Clone)]
pub struct OcisUsers {
    client: OcisClient,
}

impl OcisUsers {
    /// The port over `client`.
    pub fn new(client: OcisClient) -> Self {
        OcisUsers { client }
    }
}

impl MemberPort for OcisUsers {
    fn kind(&self) -> MemberKind {
        MemberKind::Files
    }

    fn find<'a>(&'a self, target: &'a MemberTarget) -> PortFuture<'a, Option<MemberResource>> {
        Box::pin(async move {
            match self.client.get_user(&target.email).await {
                Ok(user) => Ok(user.id.map(|id| MemberResource {
                    kind: MemberKind::Files,
                    handle: id,
                    name: target.email.clone(),
                    subject: None,
                })),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(port_error(&e)),
            }
        })
    }

    fn create<'a>(
        &'a self,
        target: &'a MemberTarget,
        _password: Option<&'a Secret>,
    ) -> PortFuture<'a, MemberResource> {
        Box::pin(async move {
            let user = port(
                self.client
                    .create_user(&crate::ocis::NewUser {
                        display_name: target.name.clone(),
                        on_premises_sam_account_name: target.email.clone(),
                        mail: Some(target.email.clone()),
                        password: None,
                    })
                    .await,
            )?;
            let id = user.id.ok_or_else(|| {
                PortError::new(
                    FailureKind::Rejected,
                    "DEZKY_UPSTREAM_DECODE",
                    "OCIS answered a created user without an id",
                )
            })?;
            Ok(MemberResource {
                kind: MemberKind::Files,
                handle: id,
                name: target.email.clone(),
                subject: None,
            })
        })
    }

    fn remove<'a>(&'a self, _target: &'a MemberTarget, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { gone_is_done(self.client.delete_user(handle).await) })
    }
}

// ---------------------------------------------------------------------------
// From the environment
// ---------------------------------------------------------------------------

/// Member operations for the control plane's environment; see
/// [`members_from_lookup`].
pub fn members_from_env() -> Result<Members> {
    members_from_lookup(|name| std::env::var(name).ok())
}

/// Member operations with a port for each upstream that is configured:
/// Authentik (`AUTHENTIK_API_URL`), Stalwart (`STALWART_API_URL`) and OCIS
/// (`OCIS_API_URL`), each client's `from_lookup` reading the rest of its
/// settings. An upstream that is not configured has no port (its resource is
/// skipped); a configured one with a broken setting is `DEZKY_CONFIG`.
pub fn members_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Members> {
    let set = |name: &str| lookup(name).is_some_and(|v| !v.trim().is_empty());
    let mut members = Members::new();
    if set("AUTHENTIK_API_URL") {
        let client = AuthentikClient::from_lookup(&lookup)?;
        members = members.with_port(Arc::new(AuthentikMembers::new(client)));
    }
    if set("STALWART_API_URL") {
        let client = StalwartClient::from_lookup(&lookup)?;
        members = members.with_port(Arc::new(StalwartMailboxes::new(client)));
    }
    if set("OCIS_API_URL") {
        let client = OcisClient::from_lookup(&lookup)?;
        members = members.with_port(Arc::new(OcisUsers::new(client)));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn ports_follow_the_environment() {
        let none = members_from_lookup(env(&[])).expect("no upstream");
        assert!(none.kinds().is_empty(), "{none:?}");
        let some = members_from_lookup(env(&[
            ("AUTHENTIK_API_URL", "https://sso.example"),
            ("AUTHENTIK_API_TOKEN", "tok"),
            ("OCIS_API_URL", " "),
        ]))
        .expect("Authentik only");
        assert_eq!(some.kinds(), [MemberKind::Identity]);
        let broken = members_from_lookup(env(&[("STALWART_API_URL", "not a url")]))
            .expect_err("a broken URL");
        assert_eq!(broken.code(), "DEZKY_CONFIG", "{broken:?}");
    }
}
