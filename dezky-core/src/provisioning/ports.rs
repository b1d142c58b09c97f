//! The ports provisioning drives: one per step, all of one shape.
//!
//! Every step owns one upstream resource per tenant (an Authentik group, a
//! Stalwart domain, an OCIS space, a Stripe customer, an onboarding mail), so
//! one trait serves identity, mail, files, billing and onboarding alike. A
//! resource carries its tenant's **marker** (the tenant's ObjectId: a group
//! attribute, a domain or space description, customer metadata), reported as
//! [`Resource::owner`]: provisioning adopts only resources marked for the
//! tenant and deprovisioning removes nothing else.
//!
//! `dezky-clients` implements the ports over the real clients;
//! [`super::memory`] holds the embedded in-memory ones.

use std::fmt;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

use crate::lifecycle::{Step, TenantDocument};

/// What a port is told about the tenant it works for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRef {
    /// The ObjectId: the marker every resource of the tenant carries.
    pub id: String,
    /// The slug: the name of the group and the space.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// The plan's key.
    pub plan: String,
    /// The primary mail domain, when the tenant has one.
    pub primary_domain: Option<String>,
    /// Where billing and onboarding mail go (`billingInfo.email`), when known.
    pub contact_email: Option<String>,
}

impl From<&TenantDocument> for TenantRef {
    fn from(t: &TenantDocument) -> Self {
        TenantRef {
            id: t.id.clone(),
            slug: t.slug.clone(),
            name: t.name.clone(),
            plan: t.plan.clone(),
            primary_domain: t.primary_domain().map(str::to_owned),
            contact_email: t
                .billing_info
                .as_ref()
                .and_then(|b| b.get("email"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// One upstream resource as a port reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// What the tenant document records for it (a uuid, an id, a domain name).
    pub handle: String,
    /// Its name upstream.
    pub name: String,
    /// The tenant ObjectId its marker names; `None` when it carries no marker.
    pub owner: Option<String>,
}

/// How a port operation failed, as far as provisioning needs to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Worth retrying later: a timeout, a transport failure, a 5xx.
    Unavailable,
    /// The upstream asked to slow down (429); see `retry_after_ms`.
    RateLimited,
    /// The upstream refused the request as it is (4xx, configuration, rights).
    Rejected,
    /// The resource is still used by others (a domain with mailboxes).
    InUse,
}

/// A failed port operation. Carries the stable code of the underlying error
/// (`DEZKY_UPSTREAM_UNAVAILABLE`, ...) and its message, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortError {
    /// The kind, for retry decisions.
    pub kind: FailureKind,
    /// The underlying error's stable code.
    pub code: String,
    /// What happened, in words.
    pub message: String,
    /// How long the upstream asked to wait, when it said.
    pub retry_after_ms: Option<u64>,
}

impl PortError {
    /// A failure of `kind` with the underlying `code` and `message`.
    pub fn new(kind: FailureKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        PortError {
            kind,
            code: code.into(),
            message: message.into(),
            retry_after_ms: None,
        }
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for PortError {}

/// The future a port operation returns.
pub type PortFuture<'a, T> = BoxFuture<'a, Result<T, PortError>>;

/// The upstream side of one provisioning step.
///
/// Operations must be safe to repeat: provisioning calls `get` on the
/// recorded handle, then `find`, and `create` only when both found nothing.
pub trait UpstreamPort: Send + Sync {
    /// The step this port serves.
    fn step(&self) -> Step;

    /// Why the step does not apply to `tenant` (it is then `skipped`), e.g.
    /// mail for a tenant without a domain. `None`: it applies.
    fn skip_reason(&self, _tenant: &TenantRef) -> Option<String> {
        None
    }

    /// The resource recorded as `handle`, or `None` when it is gone.
    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>>;

    /// The resource named for `tenant` (by name, then by marker), if any.
    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>>;

    /// Creates the tenant's resource, marked for it.
    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource>;

    /// Whether suspending the tenant changes this resource (members cannot
    /// sign in, mailboxes cannot authenticate). When `false` (the default),
    /// `suspend` and `resume` are not called.
    fn suspends(&self) -> bool {
        false
    }

    /// Stops the resource's use while the tenant is suspended, keeping its
    /// data. Returns what `resume` needs to restore exactly the state before
    /// (stored on the tenant document). The default does nothing: files and
    /// billing are kept as they are.
    fn suspend<'a>(&'a self, _tenant: &'a TenantRef, _handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async { Ok(Value::Null) })
    }

    /// Undoes `suspend` with what it returned.
    fn resume<'a>(
        &'a self,
        _tenant: &'a TenantRef,
        _handle: &'a str,
        _saved: &'a Value,
    ) -> PortFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    /// Removes the resource. Called only for a resource whose marker names
    /// the tenant; removing one that is already gone succeeds.
    fn remove<'a>(&'a self, tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()>;
}
