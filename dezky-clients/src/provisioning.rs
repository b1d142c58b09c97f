//! The provisioning ports of `dezky-core` over the real clients
//! (`docs/provisioning.md`, "Real upstreams").
//!
//! - [`AuthentikGroups`] (step `authentik`): the group named the tenant slug,
//!   marked by its attribute `tenant_id`; suspending deactivates its members;
//! - [`StalwartDomains`] (step `stalwart`): the mail domain named the tenant's
//!   primary domain, marked in its description; suspending withdraws
//!   `authenticate` from every account of the domain;
//! - [`OcisSpaces`] (step `ocis`): the project space named the slug, marked in
//!   its description;
//! - [`StripeCustomers`] (step `stripe`): the customer with
//!   `metadata[tenant_id]`;
//! - [`OnboardingMail`] (step `onboarding`): the welcome mail to the
//!   tenant's contact, sent over SMTP, its Message-ID naming the tenant.
//!
//! Every client error becomes a [`PortError`] in one place, [`port_error`].
//! [`provisioner_from_env`] builds a [`Provisioner`] from the control plane's
//! environment.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use dezky_core::branding::{Branding, MailTemplate};
use dezky_core::lifecycle::{Step, TenantSlug};
use dezky_core::provisioning::{
    FailureKind, PortError, PortFuture, Provisioner, Resource, TenantRef, UpstreamPort,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::authentik::{AuthentikClient, Group};
use crate::mail::{Mail, SmtpMailer};
use crate::ocis::{Drive, NewProjectSpace, OcisClient};
use crate::stalwart::{Domain, NewDomain, Permissions, StalwartClient};
use crate::stripe::{Customer, NewCustomer, StripeClient};
use crate::{Error, Result, UpstreamKind};

/// The words before the tenant id in a description that marks a resource.
const MARKER: &str = "dezky tenant ";

/// The marker text of `tenant_id`: `dezky tenant <tenantId>`.
pub fn marker(tenant_id: &str) -> String {
    format!("{MARKER}{tenant_id}")
}

/// The tenant id a description's marker names, if it carries one: the
/// letters and digits after the last `dezky tenant `.
pub fn marker_owner(description: &str) -> Option<String> {
    let (_, rest) = description.rsplit_once(MARKER)?;
    let id: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The one conversion of a client error into a port error: 429 is
/// `RateLimited` (with the upstream's `Retry-After`); a timeout, a transport
/// failure or an unavailable upstream (5xx) is `Unavailable`; `DEZKY_IN_USE`
/// is `InUse`; anything else is `Rejected`. The code is the error's stable
/// code and the message its text, which never holds a secret.
pub fn port_error(error: &Error) -> PortError {
    let kind = match error {
        Error::Timeout { .. } | Error::Transport { .. } => FailureKind::Unavailable,
        Error::Upstream(upstream) => match upstream.kind {
            UpstreamKind::RateLimited => FailureKind::RateLimited,
            UpstreamKind::Unavailable => FailureKind::Unavailable,
            UpstreamKind::InUse => FailureKind::InUse,
            _ => FailureKind::Rejected,
        },
        _ => FailureKind::Rejected,
    };
    let mut port = PortError::new(kind, error.code(), error.to_string());
    port.retry_after_ms = error
        .upstream()
        .and_then(|u| u.retry_after)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    port
}

/// A client result as a port result.
fn port<T>(result: Result<T>) -> std::result::Result<T, PortError> {
    result.map_err(|e| port_error(&e))
}

/// A found resource, absent when the upstream says it does not exist.
fn port_found<T>(result: Result<T>) -> std::result::Result<Option<T>, PortError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(port_error(&e)),
    }
}

/// What `create` returns when the name turned out to be taken by a resource
/// that is not the tenant's (a create race lost to another tenant, or a
/// resource made by hand): it is not recorded as the tenant's.
fn owned_or_taken(
    step: Step,
    found: Resource,
    tenant: &TenantRef,
) -> std::result::Result<Resource, PortError> {
    if found.owner.as_deref() == Some(tenant.id.as_str()) {
        return Ok(found);
    }
    let owner = found
        .owner
        .as_deref()
        .map_or("carries no tenant marker".to_owned(), |o| {
            format!("belongs to tenant {o}")
        });
    Err(PortError::new(
        FailureKind::Rejected,
        UpstreamKind::AlreadyExists.code(),
        format!(
            "{step}: {:?} ({}) exists and {owner}, not {}",
            found.name, found.handle, tenant.id
        ),
    ))
}

// ---------------------------------------------------------------------------
// Authentik
// ---------------------------------------------------------------------------

/// The `authentik` step: the tenant's group.
///
/// The group is named the tenant slug and marked by its attribute
/// `tenant_id`; the handle is its uuid. Suspending deactivates the group's
/// active members, except those who also belong to another tenant's group
/// (they keep their access to that tenant and are reported as skipped);
/// resuming reactivates exactly the members suspending deactivated.
#[derive(Debug, Clone)]
pub struct AuthentikGroups {
    client: AuthentikClient,
}

/// What suspending a tenant's Authentik group saved for resuming.
#[derive(Debug, Default, Deserialize)]
struct SavedMembers {
    /// The users deactivated (only these are reactivated).
    #[serde(default)]
    deactivated: Vec<i64>,
}

impl AuthentikGroups {
    /// The port over `client`.
    pub fn new(client: AuthentikClient) -> Self {
        AuthentikGroups { client }
    }

    fn resource(group: &Group) -> Resource {
        Resource {
            handle: group.pk.clone(),
            name: group.name.clone(),
            owner: group
                .attributes
                .as_ref()
                .and_then(|a| a.get("tenant_id"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// The tenant a group is marked for, read once per group.
    async fn group_owner(
        &self,
        cache: &mut BTreeMap<String, Option<String>>,
        group_pk: &str,
    ) -> Result<Option<String>> {
        if let Some(owner) = cache.get(group_pk) {
            return Ok(owner.clone());
        }
        let owner = match self.client.get_group(group_pk).await {
            Ok(group) => Self::resource(&group).owner,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        cache.insert(group_pk.to_owned(), owner.clone());
        Ok(owner)
    }

    async fn suspend_members(&self, tenant: &TenantRef, group_pk: &str) -> Result<Value> {
        let members: Vec<crate::authentik::User> = crate::http::collect_all(
            self.client
                .list_users(&[("groups_by_pk", group_pk), ("is_active", "true")])?,
        )
        .await?;
        let mut owners = BTreeMap::new();
        let mut deactivate = Vec::new();
        let mut skipped = Vec::new();
        for user in members {
            // The filter asked for active members; a stale answer is re-checked.
            if user.is_active != Some(true) || !user.groups.iter().any(|g| g == group_pk) {
                continue;
            }
            let mut other_tenant = None;
            for group in user.groups.iter().filter(|g| *g != group_pk) {
                if let Some(owner) = self.group_owner(&mut owners, group).await?
                    && owner != tenant.id
                {
                    other_tenant = Some(owner);
                    break;
                }
            }
            match other_tenant {
                Some(owner) => skipped.push(json!({"pk": user.pk, "tenantId": owner})),
                None => deactivate.push(user.pk),
            }
        }
        let mut done = Vec::with_capacity(deactivate.len());
        for pk in &deactivate {
            if let Err(error) = self.client.suspend_user(*pk).await {
                // Undo what was done, so that a retry finds the members as
                // they were and saves them all (best effort). The failed
                // one is included: its change may have been made with the
                // answer lost, and it was active before.
                for pk in done.iter().chain([pk]) {
                    let _ = self.client.resume_user(*pk).await;
                }
                return Err(error);
            }
            done.push(*pk);
        }
        Ok(json!({"deactivated": done, "skipped": skipped}))
    }

    async fn resume_members(&self, saved: &Value) -> Result<()> {
        let saved: SavedMembers = serde_json::from_value(saved.clone()).unwrap_or_default();
        for pk in saved.deactivated {
            match self.client.resume_user(pk).await {
                Ok(_) => {}
                // Deleted meanwhile: nothing to reactivate.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl UpstreamPort for AuthentikGroups {
    fn step(&self) -> Step {
        Step::Authentik
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port_found(self.client.get_group(handle).await)?.map(|g| Self::resource(&g)))
        })
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port(self.client.find_group_by_name(&tenant.slug).await)?
                .map(|g| Self::resource(&g)))
        })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move {
            // Lists by name first, and reads the winner's group when a
            // create races another: the group may belong to someone else.
            let group = port(
                self.client
                    .ensure_group(&tenant.slug, &tenant.slug, &tenant.id)
                    .await,
            )?;
            owned_or_taken(self.step(), Self::resource(&group), tenant)
        })
    }

    fn suspends(&self) -> bool {
        true
    }

    fn suspend<'a>(&'a self, tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move { port(self.suspend_members(tenant, handle).await) })
    }

    fn resume<'a>(
        &'a self,
        _tenant: &'a TenantRef,
        _handle: &'a str,
        saved: &'a Value,
    ) -> PortFuture<'a, ()> {
        Box::pin(async move { port(self.resume_members(saved).await) })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { port_found(self.client.delete_group(handle).await).map(|_| ()) })
    }
}

// ---------------------------------------------------------------------------
// Stalwart
// ---------------------------------------------------------------------------

/// The `stalwart` step: the tenant's mail domain.
///
/// The domain is named the tenant's primary domain (the step is skipped for
/// a tenant without one) and marked by its description
/// `dezky tenant <tenantId>`; the handle is the domain name (the tenant
/// document's `stalwartDomain`). It is created with the server's automatic
/// DKIM. Suspending withdraws `authenticate` (a `Merge` rule, every other
/// rule kept) from every account of the domain and saves each account's
/// previous `permissions`; resuming writes each saved value back exactly.
#[derive(Debug, Clone)]
pub struct StalwartDomains {
    client: StalwartClient,
}

/// An account's permissions, as read for suspending.
#[derive(Debug, Deserialize)]
struct AccountPermissions {
    id: String,
    #[serde(default)]
    permissions: Permissions,
}

impl StalwartDomains {
    /// The port over `client`.
    pub fn new(client: StalwartClient) -> Self {
        StalwartDomains { client }
    }

    fn resource(domain: &Domain) -> Resource {
        Resource {
            handle: domain.name.clone(),
            name: domain.name.clone(),
            owner: domain.description.as_deref().and_then(marker_owner),
        }
    }

    async fn domain(&self, name: &str) -> Result<Domain> {
        self.client.find_domain(name).await?.ok_or_else(|| {
            let mut error = crate::UpstreamError::new(
                UpstreamKind::NotFound,
                "stalwart",
                "POST",
                self.client.http().url("/jmap/").to_string(),
                200,
            );
            error.message = Some(format!("the domain {name} does not exist"));
            error.into()
        })
    }

    async fn accounts(&self, domain_id: &str) -> Result<Vec<AccountPermissions>> {
        let ids: Vec<String> = self
            .client
            .mailbox_ids(domain_id)
            .await?
            .into_iter()
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.client
            .get_objects("x:Account", &ids, Some(&["permissions"]))
            .await
    }

    async fn suspend_accounts(&self, handle: &str) -> Result<Value> {
        let domain = self.domain(handle).await?;
        let mut saved = serde_json::Map::new();
        let mut patches = Vec::new();
        for account in self.accounts(&domain.id).await? {
            if account.permissions.is_suspended() {
                // Suspended before (by hand): left as it is, and not resumed.
                continue;
            }
            let before = to_value(&account.permissions)?;
            let after = to_value(&account.permissions.suspended())?;
            saved.insert(account.id.clone(), before);
            patches.push((account.id, json!({ "permissions": after })));
        }
        if let Err(error) = self
            .client
            .update_objects("x:Account", patches.clone())
            .await
        {
            // Put back what may have been written, so that a retry reads
            // the accounts as they were (best effort).
            let undo: Vec<(String, Value)> = saved
                .iter()
                .map(|(id, before)| (id.clone(), json!({ "permissions": before })))
                .collect();
            let _ = self.client.update_objects("x:Account", undo).await;
            return Err(error);
        }
        Ok(json!({ "accounts": saved }))
    }

    async fn resume_accounts(&self, handle: &str, saved: &Value) -> Result<()> {
        let Some(saved) = saved.get("accounts").and_then(Value::as_object) else {
            return Ok(());
        };
        if saved.is_empty() {
            return Ok(());
        }
        let domain = self.domain(handle).await?;
        // Accounts deleted while suspended are not written back.
        let existing = self.client.mailbox_ids(&domain.id).await?;
        let patches: Vec<(String, Value)> = saved
            .iter()
            .filter(|(id, _)| existing.contains(*id))
            .map(|(id, before)| (id.clone(), json!({ "permissions": before })))
            .collect();
        self.client.update_objects("x:Account", patches).await
    }
}

fn to_value(permissions: &Permissions) -> Result<Value> {
    serde_json::to_value(permissions).map_err(|e| Error::invalid("permissions", e.to_string()))
}

impl UpstreamPort for StalwartDomains {
    fn step(&self) -> Step {
        Step::Stalwart
    }

    fn skip_reason(&self, tenant: &TenantRef) -> Option<String> {
        tenant
            .primary_domain
            .is_none()
            .then(|| "the tenant has no mail domain".to_owned())
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port(self.client.find_domain(handle).await)?.map(|d| Self::resource(&d)))
        })
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            let Some(name) = tenant.primary_domain.as_deref() else {
                return Ok(None);
            };
            Ok(port(self.client.find_domain(name).await)?.map(|d| Self::resource(&d)))
        })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move {
            let Some(name) = tenant.primary_domain.as_deref() else {
                return Err(PortError::new(
                    FailureKind::Rejected,
                    "DEZKY_INVALID_ARGUMENT",
                    "the tenant has no mail domain",
                ));
            };
            let new = NewDomain {
                description: Some(marker(&tenant.id)),
                ..NewDomain::named(name)
            };
            match self.client.create_domain(&new).await {
                Ok(_) => {}
                // Made meanwhile (by a racing create or by hand): read it.
                Err(Error::Upstream(e)) if e.kind == UpstreamKind::AlreadyExists => {}
                Err(e) => return Err(port_error(&e)),
            }
            let domain = port(self.domain(name).await)?;
            owned_or_taken(self.step(), Self::resource(&domain), tenant)
        })
    }

    fn suspends(&self) -> bool {
        true
    }

    fn suspend<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move { port(self.suspend_accounts(handle).await) })
    }

    fn resume<'a>(
        &'a self,
        _tenant: &'a TenantRef,
        handle: &'a str,
        saved: &'a Value,
    ) -> PortFuture<'a, ()> {
        Box::pin(async move { port(self.resume_accounts(handle, saved).await) })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            match port(self.client.find_domain(handle).await)? {
                None => Ok(()),
                Some(domain) => port(self.client.delete_domain(&domain.id).await),
            }
        })
    }
}

// ---------------------------------------------------------------------------
// OCIS
// ---------------------------------------------------------------------------

/// The `ocis` step: the tenant's project space.
///
/// The space is named the tenant slug; its description is
/// `<tenant name> · dezky tenant <tenantId>`, the marker. The handle is the
/// drive id. A disabled (trashed) space still exists and holds the tenant's
/// files: it is reported as found (reconcile leaves it disabled: restoring
/// it is an operator's decision, `OcisClient::restore_space`), and
/// deprovisioning purges it. Removing is the client's two-step
/// `remove_project_space` (disable, then purge), which resumes where a
/// failed run stopped.
#[derive(Debug, Clone)]
pub struct OcisSpaces {
    client: OcisClient,
}

impl OcisSpaces {
    /// The port over `client`.
    pub fn new(client: OcisClient) -> Self {
        OcisSpaces { client }
    }

    fn resource(drive: &Drive) -> Resource {
        Resource {
            handle: drive.id.clone().unwrap_or_default(),
            name: drive.name.clone().unwrap_or_default(),
            owner: drive.description.as_deref().and_then(marker_owner),
        }
    }

    /// The description that marks the tenant's space.
    pub fn description(tenant: &TenantRef) -> String {
        format!("{} · {}", tenant.name, marker(&tenant.id))
    }
}

impl UpstreamPort for OcisSpaces {
    fn step(&self) -> Step {
        Step::Ocis
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port_found(self.client.get_drive(handle).await)?.map(|d| Self::resource(&d)))
        })
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            let spaces = port(self.client.list_project_spaces().await)?;
            let named: Vec<Resource> = spaces
                .iter()
                .filter(|d| d.name.as_deref() == Some(tenant.slug.as_str()) && d.id.is_some())
                .map(Self::resource)
                .collect();
            // OCIS does not make names unique: the tenant's own space wins
            // over others of that name (which are reported, never adopted).
            let own = named
                .iter()
                .find(|r| r.owner.as_deref() == Some(tenant.id.as_str()));
            Ok(own.or_else(|| named.first()).cloned())
        })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move {
            let options = NewProjectSpace {
                description: Some(Self::description(tenant)),
                quota_bytes: None,
            };
            let drive = port(
                self.client
                    .create_project_space(&tenant.slug, &options)
                    .await,
            )?;
            Ok(Self::resource(&drive))
        })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .remove_project_space(handle)
                .await
                .map(|_| ())
                .map_err(|e| port_error(&e.error))
        })
    }
}

// ---------------------------------------------------------------------------
// Stripe
// ---------------------------------------------------------------------------

/// The `stripe` step: the tenant's customer.
///
/// The customer carries `metadata[tenant_id]` (the marker) and
/// `metadata[tenant_slug]`; the handle is its id. It is created under the
/// control plane's idempotency key
/// ([`TenantSlug::stripe_customer_idempotency_key`]), so a repeated create
/// within Stripe's 24 hours returns the first customer. Lost handles are
/// found through the Search API, which is eventually consistent: the
/// recorded handle and the idempotency key are what prevent a second
/// customer, search only recovers older ones. A deleted customer is gone;
/// while the key still answers with it, `create` fails rather than record it.
#[derive(Debug, Clone)]
pub struct StripeCustomers {
    client: StripeClient,
}

impl StripeCustomers {
    /// The port over `client`.
    pub fn new(client: StripeClient) -> Self {
        StripeCustomers { client }
    }

    fn resource(customer: &Customer) -> Resource {
        Resource {
            handle: customer.id.clone(),
            name: customer.name.clone().unwrap_or_else(|| customer.id.clone()),
            owner: customer.metadata.get("tenant_id").cloned(),
        }
    }
}

impl UpstreamPort for StripeCustomers {
    fn step(&self) -> Step {
        Step::Stripe
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port_found(self.client.retrieve_customer(handle).await)?
                .filter(|c| !c.deleted)
                .map(|c| Self::resource(&c)))
        })
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(port(self.client.find_customer_by_tenant(&tenant.id).await)?
                .map(|c| Self::resource(&c)))
        })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move {
            let new = NewCustomer {
                tenant_id: tenant.id.clone(),
                tenant_slug: Some(tenant.slug.clone()),
                name: Some(tenant.name.clone()),
                email: tenant.contact_email.clone(),
            };
            let key = TenantSlug::stripe_customer_idempotency_key(&tenant.id);
            let customer = port(self.client.create_customer_with_key(&new, &key).await)?;
            // Within 24 hours Stripe answers the key with the first customer
            // even when that one was deleted since: never record a deleted one.
            let current = port(self.client.retrieve_customer(&customer.id).await)?;
            if current.deleted {
                return Err(PortError::new(
                    FailureKind::Rejected,
                    UpstreamKind::Rejected.code(),
                    format!(
                        "stripe: the tenant's customer {} was deleted, and the idempotency key \
                         {key} still answers with it (for up to 24 hours after it was made)",
                        customer.id
                    ),
                ));
            }
            Ok(Self::resource(&customer))
        })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move { port(self.client.delete_customer(handle).await) })
    }
}

// ---------------------------------------------------------------------------
// Onboarding
// ---------------------------------------------------------------------------

/// The words before the tenant id in an onboarding mail's Message-ID.
const ONBOARDING_ID: &str = "onboarding.";

/// The `onboarding` step: the welcome mail to the tenant's contact.
///
/// The step is skipped for a tenant without a contact email
/// (`billingInfo.email`). `create` renders [`MailTemplate::TenantWelcome`]
/// with the branding (the default one unless given) and the values
/// `tenantName` (the tenant's name), `contactName` (the tenant's name too:
/// the tenant document names no contact person) and `portalUrl`, and sends
/// it to the contact email. The handle is the Message-ID,
/// `<onboarding.{tenantId}@{sender's domain}>`: the same for every send to
/// the tenant, so that a mail sent twice is recognisable (receivers commonly
/// drop a second message with a Message-ID they have seen).
///
/// A sent mail cannot be looked up on an SMTP server: `get` trusts a
/// recorded handle of that form (whatever its domain, so that changing
/// `SMTP_FROM` does not send every tenant a second mail) and reads the owner
/// back from it; any other handle is gone. `find` finds nothing, so a lost
/// handle means a second welcome mail on the next reconcile, as does a send
/// whose answer was lost (a timeout after the server took the mail). A sent
/// mail cannot be recalled either: `remove` does nothing and succeeds, so
/// deprovisioning reports it `removed` and drops the handle.
#[derive(Debug, Clone)]
pub struct OnboardingMail {
    mailer: SmtpMailer,
    branding: Branding,
    portal_url: String,
}

impl OnboardingMail {
    /// The port over `mailer`, with the default branding and the portal at
    /// `portal_url` (an http(s) URL; anything else is `DEZKY_CONFIG` naming
    /// `PORTAL_URL`).
    pub fn new(mailer: SmtpMailer, portal_url: &str) -> Result<Self> {
        let portal_url = portal_url.trim();
        let parsed = url::Url::parse(portal_url).ok();
        if !parsed.as_ref().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }) {
            return Err(Error::Config {
                field: "PORTAL_URL".into(),
                reason: format!("{portal_url:?} is not an http(s) URL"),
            });
        }
        Ok(OnboardingMail {
            mailer,
            branding: Branding::default(),
            portal_url: portal_url.to_owned(),
        })
    }

    /// Renders the mail with `branding` instead of the default.
    pub fn with_branding(mut self, branding: Branding) -> Self {
        self.branding = branding;
        self
    }

    /// The port from the environment; see [`OnboardingMail::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The port from `lookup`: the mailer's settings
    /// ([`crate::mail::SmtpConfig::from_lookup`]: `SMTP_URL`, `SMTP_FROM`, ...)
    /// and `PORTAL_URL` (required), the link in the mail.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mailer = SmtpMailer::from_lookup(&lookup)?;
        let portal_url = lookup("PORTAL_URL")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::Config {
                field: "PORTAL_URL".into(),
                reason: "is not set".into(),
            })?;
        Self::new(mailer, &portal_url)
    }

    /// The mailer.
    pub fn mailer(&self) -> &SmtpMailer {
        &self.mailer
    }

    /// The Message-ID (and handle) of `tenant_id`'s onboarding mail:
    /// `<onboarding.{tenant_id}@{sender's domain}>`.
    pub fn message_id(&self, tenant_id: &str) -> Result<String> {
        self.mailer
            .message_id(&format!("{ONBOARDING_ID}{tenant_id}"))
    }

    /// The tenant an onboarding Message-ID names: the letters and digits
    /// between `<onboarding.` and `@` (angle brackets optional).
    pub fn message_owner(handle: &str) -> Option<String> {
        let inner = handle.trim();
        let inner = inner
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(inner);
        let (local, domain) = inner.split_once('@')?;
        let id = local.strip_prefix(ONBOARDING_ID)?;
        (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) && !domain.is_empty())
            .then(|| id.to_owned())
    }

    fn resource(handle: &str, owner: String) -> Resource {
        Resource {
            handle: handle.to_owned(),
            name: format!("onboarding mail {handle}"),
            owner: Some(owner),
        }
    }

    async fn send(&self, tenant: &TenantRef) -> Result<Resource> {
        let Some(to) = tenant.contact_email.as_deref() else {
            return Err(Error::invalid(
                "billingInfo.email",
                "the tenant has no contact email",
            ));
        };
        if to.trim().parse::<lettre::Address>().is_err() {
            return Err(Error::invalid(
                "billingInfo.email",
                format!("{to:?} is not a mail address"),
            ));
        }
        let message_id = self.message_id(&tenant.id)?;
        let values: BTreeMap<String, String> = [
            ("tenantName", tenant.name.as_str()),
            ("contactName", tenant.name.as_str()),
            ("portalUrl", self.portal_url.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let content = self
            .branding
            .render(MailTemplate::TenantWelcome, &values)
            .map_err(|e| Error::invalid("branding", e.to_string()))?;
        self.mailer
            .send(&Mail {
                to,
                content: &content,
                message_id: &message_id,
            })
            .await?;
        Ok(Self::resource(&message_id, tenant.id.clone()))
    }
}

impl UpstreamPort for OnboardingMail {
    fn step(&self) -> Step {
        Step::Onboarding
    }

    fn skip_reason(&self, tenant: &TenantRef) -> Option<String> {
        tenant
            .contact_email
            .as_deref()
            .is_none_or(|e| e.trim().is_empty())
            .then(|| "the tenant has no contact email".to_owned())
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            Ok(Self::message_owner(handle).map(|owner| Self::resource(handle, owner)))
        })
    }

    fn find<'a>(&'a self, _tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async { Ok(None) })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move { port(self.send(tenant).await) })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, _handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

// ---------------------------------------------------------------------------
// From the environment
// ---------------------------------------------------------------------------

/// The switch of each step, as the control plane names it: a step whose
/// variable is `false` (or `0`, `no`, `off`) is switched off.
pub const ENABLED_VARIABLES: [(Step, &str); 5] = [
    (Step::Authentik, "AUTHENTIK_PROVISIONING_ENABLED"),
    (Step::Stalwart, "STALWART_PROVISIONING_ENABLED"),
    (Step::Ocis, "OCIS_PROVISIONING_ENABLED"),
    (Step::Stripe, "STRIPE_PROVISIONING_ENABLED"),
    (Step::Onboarding, "ONBOARDING_PROVISIONING_ENABLED"),
];

/// A provisioner for the control plane's environment; see
/// [`provisioner_from_lookup`].
pub fn provisioner_from_env() -> Result<Provisioner> {
    provisioner_from_lookup(|name| std::env::var(name).ok())
}

/// A provisioner with a port for each upstream that is configured
/// (`AUTHENTIK_API_URL`, `STALWART_API_URL`, `OCIS_API_URL`,
/// `STRIPE_SECRET_KEY`, `SMTP_URL` for the onboarding mail; each client's
/// `from_lookup` reads the rest), each switched off when its
/// `<NAME>_PROVISIONING_ENABLED` is false. A step whose upstream is not
/// configured has no port (it is `skipped`, and deprovisioning keeps a
/// recorded handle as `unmanaged`). A configured upstream with a broken setting is an error
/// (`DEZKY_CONFIG`), not a silently missing step; a switch that is neither
/// true nor false is one too.
pub fn provisioner_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Provisioner> {
    let set = |name: &str| lookup(name).is_some_and(|v| !v.trim().is_empty());
    let mut ports: Vec<Arc<dyn UpstreamPort>> = Vec::new();
    if set("AUTHENTIK_API_URL") {
        ports.push(Arc::new(AuthentikGroups::new(
            AuthentikClient::from_lookup(&lookup)?,
        )));
    }
    if set("STALWART_API_URL") {
        ports.push(Arc::new(StalwartDomains::new(StalwartClient::from_lookup(
            &lookup,
        )?)));
    }
    if set("OCIS_API_URL") {
        ports.push(Arc::new(OcisSpaces::new(OcisClient::from_lookup(&lookup)?)));
    }
    if set("STRIPE_SECRET_KEY") {
        ports.push(Arc::new(StripeCustomers::new(StripeClient::from_lookup(
            &lookup,
        )?)));
    }
    if set("SMTP_URL") {
        ports.push(Arc::new(OnboardingMail::from_lookup(&lookup)?));
    }
    let mut disabled = BTreeSet::new();
    for (step, variable) in ENABLED_VARIABLES {
        let Some(value) = lookup(variable).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => {}
            "false" | "0" | "no" | "off" => {
                disabled.insert(step);
            }
            _ => {
                return Err(Error::Config {
                    field: variable.into(),
                    reason: "must be true or false".into(),
                });
            }
        }
    }
    let provisioner = ports
        .into_iter()
        .fold(Provisioner::new(), |p, port| p.with_port(port));
    Ok(disabled
        .into_iter()
        .fold(provisioner, |p, step| p.disable(step)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::UpstreamError;

    #[test]
    fn the_marker_reads_back() {
        let id = "6650f1c2a9b4e3d2c1b0a998";
        assert_eq!(marker_owner(&marker(id)).as_deref(), Some(id));
        assert_eq!(
            marker_owner(&format!("Acme · {}", marker(id))).as_deref(),
            Some(id)
        );
        assert_eq!(marker_owner("Acme"), None);
        assert_eq!(marker_owner("dezky tenant "), None);
    }

    #[test]
    fn errors_convert_by_code() {
        let upstream = |kind, status| {
            let mut e =
                UpstreamError::new(kind, "stripe", "POST", "https://x/v1/customers", status);
            e.retry_after = Some(Duration::from_millis(1500));
            Error::from(e)
        };
        let limited = port_error(&upstream(UpstreamKind::RateLimited, 429));
        assert_eq!(limited.kind, FailureKind::RateLimited);
        assert_eq!(limited.code, "DEZKY_RATE_LIMITED");
        assert_eq!(limited.retry_after_ms, Some(1500));
        for (error, kind) in [
            (
                upstream(UpstreamKind::Unavailable, 503),
                FailureKind::Unavailable,
            ),
            (upstream(UpstreamKind::InUse, 200), FailureKind::InUse),
            (upstream(UpstreamKind::Rejected, 400), FailureKind::Rejected),
            (upstream(UpstreamKind::NotFound, 404), FailureKind::Rejected),
            (
                Error::Timeout {
                    service: "ocis".into(),
                    method: "GET".into(),
                    url: "https://o/graph".into(),
                    after: Duration::from_secs(1),
                },
                FailureKind::Unavailable,
            ),
            (
                Error::Transport {
                    service: "ocis".into(),
                    method: "GET".into(),
                    url: "https://o/graph".into(),
                    message: "connection reset".into(),
                },
                FailureKind::Unavailable,
            ),
            (Error::invalid("name", "empty"), FailureKind::Rejected),
        ] {
            let converted = port_error(&error);
            assert_eq!(converted.kind, kind, "{error}");
            assert_eq!(converted.code, error.code());
            assert_eq!(converted.message, error.to_string());
        }
    }

    #[test]
    fn steps_follow_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let none = provisioner_from_lookup(env(&[])).expect("empty");
        assert!(format!("{none:?}").contains("steps: []"), "{none:?}");
        let some = provisioner_from_lookup(env(&[
            ("AUTHENTIK_API_URL", "https://sso.example"),
            ("AUTHENTIK_API_TOKEN", "tok"),
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_PROVISIONING_ENABLED", "false"),
        ]))
        .expect("configured");
        let debug = format!("{some:?}");
        assert!(debug.contains("steps: [Authentik, Stripe]"), "{debug}");
        assert!(debug.contains("disabled: {Stripe}"), "{debug}");
        assert!(!debug.contains("tok") && !debug.contains("sk_test_x"));
        let broken = provisioner_from_lookup(env(&[("STALWART_API_URL", "https://mail.example")]))
            .expect_err("no credential");
        assert_eq!(broken.code(), "DEZKY_CONFIG");
        let switch = provisioner_from_lookup(env(&[("OCIS_PROVISIONING_ENABLED", "maybe")]))
            .expect_err("bad switch");
        assert_eq!(switch.code(), "DEZKY_CONFIG");
    }

    #[test]
    fn the_onboarding_mail_follows_the_environment() {
        let env = |vars: Vec<(&'static str, &'static str)>| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let smtp = vec![
            ("SMTP_URL", "smtp://mail.example.com:587"),
            ("SMTP_FROM", "Dezky <noreply@dezky.eu>"),
            ("SMTP_USERNAME", "mailer"),
            ("SMTP_PASSWORD", "smtp-pass-8c1e"),
            ("PORTAL_URL", "https://portal.dezky.eu"),
        ];
        let on = provisioner_from_lookup(env(smtp.clone())).expect("configured");
        let debug = format!("{on:?}");
        assert!(debug.contains("steps: [Onboarding]"), "{debug}");
        assert!(debug.contains("disabled: {}"), "{debug}");
        assert!(!debug.contains("smtp-pass-8c1e"), "{debug}");

        let mut off = smtp.clone();
        off.push(("ONBOARDING_PROVISIONING_ENABLED", "off"));
        let debug = format!("{:?}", provisioner_from_lookup(env(off)).expect("off"));
        assert!(debug.contains("steps: [Onboarding]"), "{debug}");
        assert!(debug.contains("disabled: {Onboarding}"), "{debug}");

        let mut bad_switch = smtp.clone();
        bad_switch.push(("ONBOARDING_PROVISIONING_ENABLED", "later"));
        let error = provisioner_from_lookup(env(bad_switch)).expect_err("bad switch");
        assert!(
            matches!(&error, Error::Config { field, .. } if field == "ONBOARDING_PROVISIONING_ENABLED"),
            "{error}"
        );

        for (name, value) in [
            ("PORTAL_URL", ""),
            ("PORTAL_URL", "javascript:alert(1)"),
            ("PORTAL_URL", "portal.dezky.eu"),
            ("SMTP_FROM", "noreply at dezky.eu"),
            ("SMTP_URL", "smtp://user:smtp-pass-8c1e@mail.example.com"),
            ("SMTP_TLS", "sometimes"),
        ] {
            let mut vars: Vec<_> = smtp.iter().copied().filter(|(n, _)| *n != name).collect();
            vars.push((name, value));
            let error = provisioner_from_lookup(env(vars)).expect_err(name);
            assert!(
                matches!(&error, Error::Config { field, .. } if field == name),
                "{name}={value}: {error}"
            );
            assert!(!error.to_string().contains("smtp-pass-8c1e"), "{error}");
        }

        // Without SMTP_URL there is no port, whatever else is set.
        let none = provisioner_from_lookup(env(vec![("SMTP_FROM", "broken")])).expect("no port");
        assert!(format!("{none:?}").contains("steps: []"));
    }

    #[tokio::test]
    async fn the_onboarding_handle_names_its_tenant() {
        let port = OnboardingMail::from_lookup(|name| match name {
            "SMTP_URL" => Some("smtp://127.0.0.1:1".into()),
            "SMTP_TLS" => Some("none".into()),
            "SMTP_FROM" => Some("Dezky <noreply@dezky.eu>".into()),
            "PORTAL_URL" => Some("https://portal.dezky.eu".into()),
            _ => None,
        })
        .expect("port");
        let id = "6650f1c2a9b4e3d2c1b0a998";
        let handle = port.message_id(id).expect("id");
        assert_eq!(handle, format!("<onboarding.{id}@dezky.eu>"));
        let found = port.get(&handle).await.expect("get").expect("recognised");
        assert_eq!(found.owner.as_deref(), Some(id));
        assert_eq!(found.handle, handle);
        // Another sender domain (SMTP_FROM changed since): still the tenant's mail.
        let older = format!("<onboarding.{id}@old.example>");
        let found = port.get(&older).await.expect("get").expect("recognised");
        assert_eq!(found.owner.as_deref(), Some(id));
        for foreign in [
            "mail-0001",
            "<welcome.x@dezky.eu>",
            "<onboarding.@dezky.eu>",
            "<onboarding.a-b@x>",
            "",
        ] {
            assert_eq!(port.get(foreign).await.expect("get"), None, "{foreign}");
        }
        let tenant = TenantRef {
            id: id.into(),
            slug: "acme".into(),
            name: "Acme".into(),
            plan: "business".into(),
            primary_domain: None,
            contact_email: None,
        };
        assert!(port.skip_reason(&tenant).is_some());
        assert_eq!(port.find(&tenant).await.expect("find"), None);
        port.remove(&tenant, &handle)
            .await
            .expect("remove does nothing");
        let with_contact = TenantRef {
            contact_email: Some("billing@acme.test".into()),
            ..tenant
        };
        assert_eq!(port.skip_reason(&with_contact), None);
        // A contact email that is no address is refused before connecting
        // (port 1 would be a transport error).
        let bad = TenantRef {
            contact_email: Some("billing at acme".into()),
            ..with_contact
        };
        let error = port.create(&bad).await.expect_err("bad address");
        assert_eq!(error.code, "DEZKY_INVALID_ARGUMENT");
        assert_eq!(error.kind, FailureKind::Rejected);
        assert!(
            error.message.contains("billingInfo.email"),
            "{}",
            error.message
        );
    }
}
