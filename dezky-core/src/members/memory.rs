//! In-memory member upstreams: the embedded default, and the stand-ins the
//! tests use.
//!
//! Each keeps the rules of the upstream it stands for that member operations
//! depend on: an identity's username and a mailbox's address are unique (a
//! second create is `DEZKY_ALREADY_EXISTS`, Authentik's unique username and
//! Stalwart's `primaryKeyViolation`), an identity can only be put in a group
//! that exists (Authentik refuses unknown group uuids), a mailbox password
//! must pass Stalwart's strength rule (8 to 128 characters, zxcvbn score 3),
//! an operation on a handle that is gone is `DEZKY_NOT_FOUND` (removing one
//! succeeds), sessions are per user and ending them ends only that user's.
//! Faults can be queued per operation, before it takes effect
//! ([`MemoryMembers::fail_next`]) or after ([`MemoryMembers::lose_next_reply`]),
//! and every call is counted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::password::{MIN_SCORE, strength};
use super::ports::{MemberGroup, MemberKind, MemberPort, MemberResource, MemberTarget};
use crate::provisioning::{FailureKind, PortError, PortFuture};
use crate::secret::Secret;

/// A member port operation, for faults and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberOp {
    /// `find`
    Find,
    /// `create`
    Create,
    /// `set_password`
    SetPassword,
    /// `suspend`
    Suspend,
    /// `resume`
    Resume,
    /// `join`
    Join,
    /// `leave`
    Leave,
    /// `end_sessions`
    EndSessions,
    /// `recovery_link`
    RecoveryLink,
    /// `remove`
    Remove,
}

/// One stored member resource.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMember {
    /// Its name: the username, the address, the login name.
    pub name: String,
    /// The display name.
    pub display_name: String,
    /// Whether sign-ins are refused (an inactive identity, a frozen mailbox).
    pub suspended: bool,
    /// The groups of an identity (group handles, or [`super::PARTNER_STAFF_GROUP`]).
    pub groups: BTreeSet<String>,
    /// The current password, when one was set.
    pub password: Option<Secret>,
    /// The mailbox quota in bytes.
    pub quota_bytes: Option<u64>,
    /// Open sessions of an identity.
    pub sessions: u64,
    /// Whether something upstream still uses it (removing it then fails with
    /// `DEZKY_IN_USE`).
    pub in_use: bool,
}

#[derive(Debug, Default)]
struct State {
    resources: BTreeMap<String, StoredMember>,
    groups: BTreeSet<String>,
    next: u64,
    faults: VecDeque<(MemberOp, PortError)>,
    lost_replies: VecDeque<(MemberOp, PortError)>,
    calls: BTreeMap<MemberOp, u64>,
    links: u64,
}

impl State {
    fn named(&self, name: &str) -> Option<(&String, &StoredMember)> {
        self.resources.iter().find(|(_, r)| r.name == name)
    }
}

/// An in-memory upstream for one kind of member resource.
#[derive(Debug, Clone)]
pub struct MemoryMembers {
    kind: MemberKind,
    state: Arc<Mutex<State>>,
}

impl MemoryMembers {
    /// An empty upstream for `kind`. An identity upstream knows the partner
    /// staff group from the start; tenant groups are added with
    /// [`MemoryMembers::add_group`].
    pub fn new(kind: MemberKind) -> Self {
        let members = MemoryMembers {
            kind,
            state: Arc::default(),
        };
        members.add_group(super::PARTNER_STAFF_GROUP);
        members
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change below is one insert or remove: a panic elsewhere
        // cannot leave the maps half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `handle` (a group uuid) a group identities can be put in.
    pub fn add_group(&self, handle: &str) {
        self.lock().groups.insert(handle.to_owned());
    }

    /// Makes the next call of `op` fail with `error` before it takes effect.
    pub fn fail_next(&self, op: MemberOp, error: PortError) {
        self.lock().faults.push_back((op, error));
    }

    /// Makes the next call of `op` take effect and then fail with `error`
    /// (the upstream acted, its answer was lost).
    pub fn lose_next_reply(&self, op: MemberOp, error: PortError) {
        self.lock().lost_replies.push_back((op, error));
    }

    /// How many times `op` was called (failed calls included).
    pub fn calls(&self, op: MemberOp) -> u64 {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    /// Every resource, by handle.
    pub fn resources(&self) -> BTreeMap<String, StoredMember> {
        self.lock().resources.clone()
    }

    /// The resource `handle`.
    pub fn get(&self, handle: &str) -> Option<StoredMember> {
        self.lock().resources.get(handle).cloned()
    }

    /// The resource named `name`, with its handle.
    pub fn named(&self, name: &str) -> Option<(String, StoredMember)> {
        self.lock().named(name).map(|(h, r)| (h.clone(), r.clone()))
    }

    /// Adds a resource as someone outside the SDK would; returns its handle.
    pub fn insert(&self, name: &str, groups: &[&str]) -> String {
        let mut state = self.lock();
        let handle = self.new_handle(&mut state);
        state.resources.insert(
            handle.clone(),
            StoredMember {
                name: name.to_owned(),
                display_name: name.to_owned(),
                suspended: false,
                groups: groups.iter().map(|g| (*g).to_owned()).collect(),
                password: None,
                quota_bytes: None,
                sessions: 0,
                in_use: false,
            },
        );
        handle
    }

    /// Opens a session of `handle` (a sign-in).
    pub fn open_session(&self, handle: &str) {
        if let Some(r) = self.lock().resources.get_mut(handle) {
            r.sessions += 1;
        }
    }

    /// Marks `handle` as still used upstream: removing it fails.
    pub fn set_in_use(&self, handle: &str, in_use: bool) {
        if let Some(r) = self.lock().resources.get_mut(handle) {
            r.in_use = in_use;
        }
    }

    /// Counts the call and takes a queued fault for it, if any.
    fn enter(&self, op: MemberOp) -> Result<(), PortError> {
        let mut state = self.lock();
        *state.calls.entry(op).or_default() += 1;
        match state.faults.iter().position(|(o, _)| *o == op) {
            Some(i) => Err(state.faults.remove(i).map(|(_, e)| e).unwrap_or_else(|| {
                PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "fault")
            })),
            None => Ok(()),
        }
    }

    /// Takes a queued lost-reply fault for `op`, if any.
    fn lost_reply(&self, op: MemberOp) -> Result<(), PortError> {
        let mut state = self.lock();
        match state.lost_replies.iter().position(|(o, _)| *o == op) {
            Some(i) => match state.lost_replies.remove(i) {
                Some((_, e)) => Err(e),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    fn new_handle(&self, state: &mut State) -> String {
        state.next += 1;
        match self.kind {
            MemberKind::Identity => format!("{}", 100 + state.next),
            MemberKind::Mailbox => format!("a{}", state.next),
            MemberKind::Files => format!("00000000-0000-4000-9000-{:012x}", state.next),
        }
    }

    fn resource(&self, handle: &str, stored: &StoredMember) -> MemberResource {
        MemberResource {
            kind: self.kind,
            handle: handle.to_owned(),
            name: stored.name.clone(),
            subject: (self.kind == MemberKind::Identity).then(|| format!("sub-{handle}")),
        }
    }

    fn name_of(&self, target: &MemberTarget) -> Option<String> {
        match self.kind {
            MemberKind::Mailbox => target.address.clone(),
            _ => Some(target.email.clone()),
        }
    }

    fn group_key(group: &MemberGroup) -> String {
        match group {
            MemberGroup::Tenant { handle } => handle.clone(),
            MemberGroup::PartnerStaff => super::PARTNER_STAFF_GROUP.to_owned(),
        }
    }

    /// Runs `f` on the resource `handle`, or fails with `DEZKY_NOT_FOUND`.
    fn with<T>(
        &self,
        handle: &str,
        f: impl FnOnce(&mut StoredMember) -> Result<T, PortError>,
    ) -> Result<T, PortError> {
        let mut state = self.lock();
        match state.resources.get_mut(handle) {
            Some(r) => f(r),
            None => Err(not_found(handle)),
        }
    }

    fn check_password(&self, password: &Secret) -> Result<(), PortError> {
        let text = password.expose();
        if self.kind == MemberKind::Mailbox
            && (!(8..=128).contains(&text.chars().count()) || strength(text, &[]) < MIN_SCORE)
        {
            return Err(PortError::new(
                FailureKind::Rejected,
                "DEZKY_UPSTREAM_REJECTED",
                "invalidProperties: the password is too weak (secret)",
            ));
        }
        Ok(())
    }
}

fn not_found(handle: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_NOT_FOUND",
        format!("{handle:?} does not exist"),
    )
}

impl MemberPort for MemoryMembers {
    fn kind(&self) -> MemberKind {
        self.kind
    }

    fn find<'a>(&'a self, target: &'a MemberTarget) -> PortFuture<'a, Option<MemberResource>> {
        Box::pin(async move {
            self.enter(MemberOp::Find)?;
            let Some(name) = self.name_of(target) else {
                return Ok(None);
            };
            let state = self.lock();
            Ok(state.named(&name).map(|(h, r)| self.resource(h, r)))
        })
    }

    fn create<'a>(
        &'a self,
        target: &'a MemberTarget,
        password: Option<&'a Secret>,
    ) -> PortFuture<'a, MemberResource> {
        Box::pin(async move {
            self.enter(MemberOp::Create)?;
            let Some(name) = self.name_of(target) else {
                return Err(PortError::new(
                    FailureKind::Rejected,
                    "DEZKY_UPSTREAM_REJECTED",
                    "a mailbox needs an address",
                ));
            };
            if let Some(p) = password {
                self.check_password(p)?;
            }
            let mut state = self.lock();
            if state.named(&name).is_some() {
                return Err(PortError::new(
                    FailureKind::Rejected,
                    "DEZKY_ALREADY_EXISTS",
                    format!("{name:?} already exists"),
                ));
            }
            let mut groups = BTreeSet::new();
            if self.kind == MemberKind::Identity
                && let Some(group) = &target.group
            {
                let key = Self::group_key(group);
                if !state.groups.contains(&key) {
                    return Err(PortError::new(
                        FailureKind::Rejected,
                        "DEZKY_UPSTREAM_REJECTED",
                        format!("group {key:?} does not exist"),
                    ));
                }
                groups.insert(key);
            }
            let handle = self.new_handle(&mut state);
            let stored = StoredMember {
                name,
                display_name: target.name.clone(),
                suspended: false,
                groups,
                password: password.cloned(),
                quota_bytes: target.quota_bytes,
                sessions: 0,
                in_use: false,
            };
            let resource = self.resource(&handle, &stored);
            state.resources.insert(handle, stored);
            drop(state);
            self.lost_reply(MemberOp::Create)?;
            Ok(resource)
        })
    }

    fn has_password(&self) -> bool {
        matches!(self.kind, MemberKind::Identity | MemberKind::Mailbox)
    }

    fn set_password<'a>(&'a self, handle: &'a str, password: &'a Secret) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.enter(MemberOp::SetPassword)?;
            self.check_password(password)?;
            self.with(handle, |r| {
                r.password = Some(password.clone());
                Ok(())
            })?;
            self.lost_reply(MemberOp::SetPassword)
        })
    }

    fn suspends(&self) -> bool {
        matches!(self.kind, MemberKind::Identity | MemberKind::Mailbox)
    }

    fn suspend<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Value> {
        Box::pin(async move {
            self.enter(MemberOp::Suspend)?;
            let before = self.with(handle, |r| {
                let before = r.suspended;
                r.suspended = true;
                if self.kind == MemberKind::Identity {
                    // Authentik ends the sessions of a user it deactivates.
                    r.sessions = 0;
                }
                Ok(before)
            })?;
            self.lost_reply(MemberOp::Suspend)?;
            Ok(json!({"wasSuspended": before}))
        })
    }

    fn resume<'a>(&'a self, handle: &'a str, saved: &'a Value) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.enter(MemberOp::Resume)?;
            let was = saved
                .get("wasSuspended")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            self.with(handle, |r| {
                r.suspended = was;
                Ok(())
            })?;
            self.lost_reply(MemberOp::Resume)
        })
    }

    fn join<'a>(&'a self, handle: &'a str, group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.enter(MemberOp::Join)?;
            let key = Self::group_key(group);
            if !self.lock().groups.contains(&key) {
                return Err(not_found(&key));
            }
            self.with(handle, |r| {
                r.groups.insert(key);
                Ok(())
            })?;
            self.lost_reply(MemberOp::Join)
        })
    }

    fn leave<'a>(&'a self, handle: &'a str, group: &'a MemberGroup) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.enter(MemberOp::Leave)?;
            let key = Self::group_key(group);
            if let Some(r) = self.lock().resources.get_mut(handle) {
                r.groups.remove(&key);
            }
            self.lost_reply(MemberOp::Leave)
        })
    }

    fn end_sessions<'a>(
        &'a self,
        _target: &'a MemberTarget,
        handle: &'a str,
    ) -> PortFuture<'a, u64> {
        Box::pin(async move {
            self.enter(MemberOp::EndSessions)?;
            let ended = self
                .lock()
                .resources
                .get_mut(handle)
                .map_or(0, |r| std::mem::take(&mut r.sessions));
            self.lost_reply(MemberOp::EndSessions)?;
            Ok(ended)
        })
    }

    fn recovery_link<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Secret> {
        Box::pin(async move {
            self.enter(MemberOp::RecoveryLink)?;
            if self.kind != MemberKind::Identity {
                return Err(super::ports::unsupported(self.kind, "recovery link"));
            }
            self.with(handle, |_| Ok(()))?;
            let n = {
                let mut state = self.lock();
                state.links += 1;
                state.links
            };
            self.lost_reply(MemberOp::RecoveryLink)?;
            Ok(Secret::new(format!(
                "https://id.dezky.local/if/flow/recovery/?flow_token=memory{handle}x{n}"
            )))
        })
    }

    fn remove<'a>(&'a self, _target: &'a MemberTarget, handle: &'a str) -> PortFuture<'a, ()> {
        Box::pin(async move {
            self.enter(MemberOp::Remove)?;
            let mut state = self.lock();
            if let Some(r) = state.resources.get(handle)
                && r.in_use
            {
                return Err(PortError::new(
                    FailureKind::InUse,
                    "DEZKY_IN_USE",
                    format!("{:?} is still in use", r.name),
                ));
            }
            state.resources.remove(handle);
            drop(state);
            self.lost_reply(MemberOp::Remove)
        })
    }
}
