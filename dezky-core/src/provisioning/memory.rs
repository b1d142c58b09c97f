//! In-memory upstreams: the embedded default, and the stand-ins tests use.
//!
//! Each keeps the rule of the upstream it stands for that provisioning
//! depends on: Authentik group names and Stalwart domain names are unique (a
//! second create is refused), OCIS space names are not (a retried create
//! makes a second space, which is why provisioning finds before it creates),
//! a Stripe create with the same idempotency key returns the first customer,
//! and a Stalwart domain with mailboxes cannot be removed. Faults can be
//! queued per operation, and every call is counted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use super::ports::{FailureKind, PortError, PortFuture, Resource, TenantRef, UpstreamPort};
use crate::lifecycle::Step;

/// A port operation, for faults and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `get`
    Get,
    /// `find`
    Find,
    /// `create`
    Create,
    /// `suspend`
    Suspend,
    /// `resume`
    Resume,
    /// `remove`
    Remove,
}

/// One stored resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stored {
    /// Its name.
    pub name: String,
    /// The tenant its marker names.
    pub owner: Option<String>,
    /// Whether it is suspended (members / mailboxes cannot sign in).
    pub suspended: bool,
    /// Mailboxes on a domain: a domain with any cannot be removed.
    pub in_use: usize,
}

#[derive(Debug, Default)]
struct State {
    resources: BTreeMap<String, Stored>,
    /// Name -> handles, and marker -> handles: the lookups an upstream indexes.
    by_name: BTreeMap<String, BTreeSet<String>>,
    by_owner: BTreeMap<String, BTreeSet<String>>,
    /// Stripe idempotency keys -> the customer they made.
    idempotency: BTreeMap<String, String>,
    /// Mail domains -> the zone file Stalwart would give for them.
    zone_files: BTreeMap<String, String>,
    next: u64,
    faults: VecDeque<(Op, PortError)>,
    /// Faults that strike after the operation took effect (a lost reply).
    lost_replies: VecDeque<(Op, PortError)>,
    calls: BTreeMap<Op, u64>,
    in_flight: usize,
    peak_in_flight: usize,
}

impl State {
    fn store(&mut self, handle: &str, stored: Stored) {
        self.unstore(handle);
        self.by_name
            .entry(stored.name.clone())
            .or_default()
            .insert(handle.to_owned());
        if let Some(owner) = &stored.owner {
            self.by_owner
                .entry(owner.clone())
                .or_default()
                .insert(handle.to_owned());
        }
        self.resources.insert(handle.to_owned(), stored);
    }

    fn unstore(&mut self, handle: &str) -> Option<Stored> {
        let old = self.resources.remove(handle)?;
        let drop_from = |index: &mut BTreeMap<String, BTreeSet<String>>, key: &str| {
            if let Some(set) = index.get_mut(key) {
                set.remove(handle);
                if set.is_empty() {
                    index.remove(key);
                }
            }
        };
        drop_from(&mut self.by_name, &old.name);
        if let Some(owner) = &old.owner {
            drop_from(&mut self.by_owner, owner);
        }
        Some(old)
    }

    fn first<'a>(
        &'a self,
        handles: Option<&'a BTreeSet<String>>,
    ) -> impl Iterator<Item = (&'a String, &'a Stored)> {
        handles
            .into_iter()
            .flatten()
            .filter_map(|h| self.resources.get(h).map(|r| (h, r)))
    }
}

/// Counts a call in flight until dropped.
struct InFlight<'a>(&'a MemoryUpstream);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
    }
}

/// An in-memory upstream for one step.
#[derive(Debug, Clone)]
pub struct MemoryUpstream {
    step: Step,
    latency: Duration,
    state: Arc<Mutex<State>>,
}

impl MemoryUpstream {
    /// An empty upstream for `step`.
    pub fn new(step: Step) -> Self {
        MemoryUpstream {
            step,
            latency: Duration::ZERO,
            state: Arc::default(),
        }
    }

    /// The five in-memory upstreams, one per step.
    pub fn all() -> Vec<MemoryUpstream> {
        Step::ALL.iter().map(|s| MemoryUpstream::new(*s)).collect()
    }

    /// Every call waits `latency` first (for benchmarks of bulk runs).
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the maps half-written: every
        // change below is one insert or remove.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the next call of `op` fail with `error` (queued in order).
    pub fn fail_next(&self, op: Op, error: PortError) {
        self.lock().faults.push_back((op, error));
    }

    /// Makes the next call of `op` take effect and then fail with `error`,
    /// as when the upstream acted but its answer was lost (a timeout, a
    /// reset connection).
    pub fn lose_next_reply(&self, op: Op, error: PortError) {
        self.lock().lost_replies.push_back((op, error));
    }

    /// Takes a queued lost-reply fault for `op`, if any.
    fn lost_reply(&self, op: Op) -> Result<(), PortError> {
        let mut state = self.lock();
        match state.lost_replies.iter().position(|(o, _)| *o == op) {
            Some(i) => match state.lost_replies.remove(i) {
                Some((_, e)) => Err(e),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// How many times `op` was called (failed calls included).
    pub fn calls(&self, op: Op) -> u64 {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    /// Every resource, by handle.
    pub fn resources(&self) -> BTreeMap<String, Stored> {
        self.lock().resources.clone()
    }

    /// The resources whose marker names `tenant_id`.
    pub fn owned_by(&self, tenant_id: &str) -> Vec<(String, Stored)> {
        self.lock()
            .resources
            .iter()
            .filter(|(_, r)| r.owner.as_deref() == Some(tenant_id))
            .map(|(h, r)| (h.clone(), r.clone()))
            .collect()
    }

    /// Adds a resource as someone outside the SDK would (for drift and conflicts).
    pub fn insert(&self, handle: &str, stored: Stored) {
        self.lock().store(handle, stored);
    }

    /// Removes a resource out of band (drift).
    pub fn delete(&self, handle: &str) -> Option<Stored> {
        self.lock().unstore(handle)
    }

    /// Sets how many mailboxes use a domain.
    pub fn set_in_use(&self, handle: &str, mailboxes: usize) {
        if let Some(r) = self.lock().resources.get_mut(handle) {
            r.in_use = mailboxes;
        }
    }

    /// Counts the call and takes a queued fault for it, if any.
    fn enter(&self, op: Op) -> Result<(), PortError> {
        let mut state = self.lock();
        *state.calls.entry(op).or_default() += 1;
        match state.faults.iter().position(|(o, _)| *o == op) {
            Some(i) => Err(state.faults.remove(i).map(|(_, e)| e).unwrap_or_else(|| {
                PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "fault")
            })),
            None => Ok(()),
        }
    }

    /// The records a mail domain made here asks its owner to publish, in the
    /// form of Stalwart's `dnsZoneFile`: MX, SPF, an Ed25519 DKIM key made
    /// for the domain, DMARC. Read it with [`crate::dns::ExpectedRecords::new`].
    pub fn zone_file(&self, domain: &str) -> Option<String> {
        self.lock().zone_files.get(domain).cloned()
    }

    /// The most calls that were in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.lock().peak_in_flight
    }

    /// Marks a call in flight and waits the configured latency.
    async fn wait(&self) -> InFlight<'_> {
        {
            let mut state = self.lock();
            state.in_flight += 1;
            state.peak_in_flight = state.peak_in_flight.max(state.in_flight);
        }
        let guard = InFlight(self);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        guard
    }

    fn name_for(&self, tenant: &TenantRef) -> Option<String> {
        match self.step {
            Step::Stalwart => tenant.primary_domain.clone(),
            Step::Stripe | Step::Onboarding => None,
            Step::Authentik | Step::Ocis => Some(tenant.slug.clone()),
        }
    }

    fn resource(handle: &str, stored: &Stored) -> Resource {
        Resource {
            handle: handle.to_owned(),
            name: stored.name.clone(),
            owner: stored.owner.clone(),
        }
    }

    fn new_handle(&self, state: &mut State, name: &str) -> String {
        state.next += 1;
        match self.step {
            Step::Authentik => format!("00000000-0000-4000-8000-{:012x}", state.next),
            Step::Stalwart => name.to_owned(),
            Step::Ocis => format!("space-{:04}", state.next),
            Step::Stripe => format!("cus_mem{:08}", state.next),
            Step::Onboarding => format!("mail-{:04}", state.next),
        }
    }
}

impl UpstreamPort for MemoryUpstream {
    fn step(&self) -> Step {
        self.step
    }

    fn skip_reason(&self, tenant: &TenantRef) -> Option<String> {
        match self.step {
            Step::Stalwart if tenant.primary_domain.is_none() => {
                Some("the tenant has no mail domain".into())
            }
            Step::Onboarding if tenant.contact_email.is_none() => {
                Some("the tenant has no contact email".into())
            }
            _ => None,
        }
    }

    fn suspends(&self) -> bool {
        matches!(self.step, Step::Authentik | Step::Stalwart)
    }

    fn get<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Get)?;
            Ok(self
                .lock()
                .resources
                .get(handle)
                .map(|r| Self::resource(handle, r)))
        })
    }

    fn find<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Option<Resource>> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Find)?;
            let state = self.lock();
            let name = self.name_for(tenant);
            // By name first (what the upstream indexes), the tenant's own
            // before a stranger's; then by marker.
            let mut named: Vec<(&String, &Stored)> = state
                .first(name.as_deref().and_then(|n| state.by_name.get(n)))
                .collect();
            named.sort_by_key(|(_, r)| r.owner.as_deref() != Some(tenant.id.as_str()));
            let found = named
                .into_iter()
                .next()
                .or_else(|| state.first(state.by_owner.get(&tenant.id)).next());
            Ok(found.map(|(h, r)| Self::resource(h, r)))
        })
    }

    fn create<'a>(&'a self, tenant: &'a TenantRef) -> PortFuture<'a, Resource> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Create)?;
            let mut state = self.lock();
            let name = match self.step {
                Step::Stripe => tenant.name.clone(),
                Step::Onboarding => format!("Welcome to Dezky, {}", tenant.name),
                _ => self.name_for(tenant).unwrap_or_default(),
            };
            if self.step == Step::Stripe {
                let key = crate::lifecycle::TenantSlug::stripe_customer_idempotency_key(&tenant.id);
                if let Some(handle) = state.idempotency.get(&key).cloned()
                    && let Some(existing) = state.resources.get(&handle)
                {
                    return Ok(Self::resource(&handle, existing));
                }
            }
            if matches!(self.step, Step::Authentik | Step::Stalwart)
                && state.by_name.contains_key(&name)
            {
                return Err(PortError::new(
                    FailureKind::Rejected,
                    "DEZKY_ALREADY_EXISTS",
                    format!("{name:?} already exists"),
                ));
            }
            let handle = self.new_handle(&mut state, &name);
            let stored = Stored {
                name,
                owner: Some(tenant.id.clone()),
                suspended: false,
                in_use: 0,
            };
            state.store(&handle, stored.clone());
            if self.step == Step::Stripe {
                let key = crate::lifecycle::TenantSlug::stripe_customer_idempotency_key(&tenant.id);
                state.idempotency.insert(key, handle.clone());
            }
            if self.step == Step::Stalwart {
                state.zone_files.insert(handle.clone(), zone_file(&handle)?);
            }
            drop(state);
            self.lost_reply(Op::Create)?;
            Ok(Self::resource(&handle, &stored))
        })
    }

    fn suspend<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Suspend)?;
            let mut state = self.lock();
            let Some(r) = state.resources.get_mut(handle) else {
                return Err(not_found(handle));
            };
            let before = r.suspended;
            r.suspended = true;
            drop(state);
            self.lost_reply(Op::Suspend)?;
            Ok(json!({"wasSuspended": before}))
        })
    }

    fn resume<'a>(
        &'a self,
        _tenant: &'a TenantRef,
        handle: &'a str,
        saved: &'a Value,
    ) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Resume)?;
            let mut state = self.lock();
            let Some(r) = state.resources.get_mut(handle) else {
                return Err(not_found(handle));
            };
            r.suspended = saved
                .get("wasSuspended")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Ok(())
        })
    }

    fn remove<'a>(&'a self, _tenant: &'a TenantRef, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            let _in_flight = self.wait().await;
            self.enter(Op::Remove)?;
            let mut state = self.lock();
            if let Some(r) = state.resources.get(handle)
                && r.in_use > 0
            {
                return Err(PortError::new(
                    FailureKind::InUse,
                    "DEZKY_IN_USE",
                    format!("{} mailboxes still use {:?}", r.in_use, r.name),
                ));
            }
            state.unstore(handle);
            drop(state);
            self.lost_reply(Op::Remove)
        })
    }
}

/// The host the MX records of in-memory domains point at.
pub const MAIL_HOST: &str = "mail.dezky.local";

/// A zone file as Stalwart writes one for a new domain, with a fresh
/// Ed25519 DKIM key (RFC 8463: `p=` is the raw public key).
fn zone_file(domain: &str) -> Result<String, PortError> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    use base64::Engine;
    let fail = || {
        PortError::new(
            FailureKind::Unavailable,
            "DEZKY_UPSTREAM",
            "DKIM key generation failed",
        )
    };
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| fail())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| fail())?;
    let public = base64::engine::general_purpose::STANDARD.encode(pair.public_key().as_ref());
    Ok(format!(
        "{domain}. IN MX 10 {MAIL_HOST}.\n\
         {domain}. IN TXT \"v=spf1 mx ra=postmaster -all\"\n\
         202612e._domainkey.{domain}. IN TXT \"v=DKIM1; k=ed25519; h=sha256; p={public}\"\n\
         _dmarc.{domain}. IN TXT \"v=DMARC1; p=reject; rua=mailto:postmaster@{domain}; ruf=mailto:postmaster@{domain}\"\n"
    ))
}

fn not_found(handle: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_NOT_FOUND",
        format!("{handle:?} does not exist"),
    )
}
