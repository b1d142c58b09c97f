//! An in-memory mail server: the embedded default, and the stand-in the
//! tests use.
//!
//! It keeps the rules of Stalwart that domain operations depend on: domain
//! names are unique, an address is unique across mailboxes, aliases and
//! lists (`DEZKY_ALREADY_EXISTS`), DKIM keys appear only after a number of
//! looks ([`MemoryMail::dkim_after`], the server generates them
//! asynchronously), a domain that mailboxes, aliases or lists still use
//! cannot be removed (`DEZKY_IN_USE`), and an address needs a domain that
//! exists. Faults can be queued per operation, before it takes effect
//! ([`MemoryMail::fail_next`]) or after ([`MemoryMail::lose_next_reply`]),
//! and every call is counted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::ports::{MailDomain, MailPort, MailingList};
use crate::provisioning::{FailureKind, PortError, PortFuture};

/// A mail port operation, for faults and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MailOp {
    /// `find_domain`
    FindDomain,
    /// `create_domain`
    CreateDomain,
    /// `dkim_selectors`
    DkimSelectors,
    /// `zone_file`
    ZoneFile,
    /// `mailboxes`
    Mailboxes,
    /// `remove_domain`
    RemoveDomain,
    /// `add_alias`
    AddAlias,
    /// `remove_alias`
    RemoveAlias,
    /// `find_list`
    FindList,
    /// `create_list`
    CreateList,
    /// `set_list_recipients`
    SetListRecipients,
    /// `remove_list`
    RemoveList,
    /// `set_quota`
    SetQuota,
}

/// One stored domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDomain {
    /// The name.
    pub name: String,
    /// The tenant its marker names.
    pub owner: Option<String>,
    /// How many more looks at its DKIM keys find none.
    pub dkim_pending: u32,
}

/// One stored mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMailbox {
    /// The address.
    pub address: String,
    /// Its aliases.
    pub aliases: BTreeSet<String>,
    /// The disk quota in bytes (`None`: the server's default).
    pub quota_bytes: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    domains: BTreeMap<String, StoredDomain>,
    mailboxes: BTreeMap<String, StoredMailbox>,
    lists: BTreeMap<String, MailingList>,
    next: u64,
    dkim_after: u32,
    faults: VecDeque<(MailOp, PortError)>,
    lost_replies: VecDeque<(MailOp, PortError)>,
    calls: BTreeMap<MailOp, u64>,
}

impl State {
    fn handle(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn domain_named(&self, name: &str) -> Option<(&String, &StoredDomain)> {
        self.domains.iter().find(|(_, d)| d.name == name)
    }

    /// Who holds `address`: a mailbox, an alias or a list.
    fn holder(&self, address: &str) -> Option<String> {
        for (h, m) in &self.mailboxes {
            if m.address == address || m.aliases.contains(address) {
                return Some(format!("Account/{h}"));
            }
        }
        self.lists
            .values()
            .find(|l| l.address == address)
            .map(|l| format!("MailingList/{}", l.handle))
    }

    fn check_domain_of(&self, address: &str) -> Result<(), PortError> {
        let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        match self.domain_named(domain) {
            Some(_) => Ok(()),
            None => Err(not_found(&format!("the domain {domain}"))),
        }
    }

    /// What still uses the domain `name`.
    fn users_of(&self, name: &str) -> Vec<String> {
        let on = |address: &str| address.rsplit_once('@').map(|(_, d)| d) == Some(name);
        let mut linked = Vec::new();
        for (h, m) in &self.mailboxes {
            if on(&m.address) || m.aliases.iter().any(|a| on(a)) {
                linked.push(format!("Account/{h}"));
            }
        }
        for l in self.lists.values() {
            if on(&l.address) {
                linked.push(format!("MailingList/{}", l.handle));
            }
        }
        linked
    }
}

fn not_found(what: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_NOT_FOUND",
        format!("{what} does not exist"),
    )
}

fn exists(what: &str) -> PortError {
    PortError::new(
        FailureKind::Rejected,
        "DEZKY_ALREADY_EXISTS",
        format!("{what} exists already"),
    )
}

/// An in-memory mail server.
#[derive(Debug, Clone, Default)]
pub struct MemoryMail {
    state: Arc<Mutex<State>>,
}

impl MemoryMail {
    /// An empty server whose DKIM keys are there at the first look.
    pub fn new() -> Self {
        MemoryMail::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change below is one insert or remove: a panic elsewhere
        // cannot leave the maps half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// New domains' DKIM keys are found only after `looks` looks that find none.
    pub fn dkim_after(&self, looks: u32) {
        self.lock().dkim_after = looks;
    }

    /// Makes the next call of `op` fail with `error` before it takes effect.
    pub fn fail_next(&self, op: MailOp, error: PortError) {
        self.lock().faults.push_back((op, error));
    }

    /// Makes the next call of `op` take effect and then fail with `error`.
    pub fn lose_next_reply(&self, op: MailOp, error: PortError) {
        self.lock().lost_replies.push_back((op, error));
    }

    /// How many times `op` was called (failed calls included).
    pub fn calls(&self, op: MailOp) -> u64 {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    /// Every domain, by handle.
    pub fn domains(&self) -> BTreeMap<String, StoredDomain> {
        self.lock().domains.clone()
    }

    /// Every mailbox, by handle.
    pub fn mailboxes(&self) -> BTreeMap<String, StoredMailbox> {
        self.lock().mailboxes.clone()
    }

    /// Every mailing list, by handle.
    pub fn lists(&self) -> BTreeMap<String, MailingList> {
        self.lock().lists.clone()
    }

    /// Adds a domain as someone outside the SDK would; returns its handle.
    pub fn insert_domain(&self, name: &str, owner: Option<&str>) -> String {
        let mut state = self.lock();
        let handle = state.handle("d");
        state.domains.insert(
            handle.clone(),
            StoredDomain {
                name: name.to_owned(),
                owner: owner.map(str::to_owned),
                dkim_pending: 0,
            },
        );
        handle
    }

    /// Adds a mailbox at `address`; returns its handle.
    pub fn insert_mailbox(&self, address: &str) -> String {
        let mut state = self.lock();
        let handle = state.handle("a");
        state.mailboxes.insert(
            handle.clone(),
            StoredMailbox {
                address: address.to_owned(),
                aliases: BTreeSet::new(),
                quota_bytes: None,
            },
        );
        handle
    }

    fn enter(&self, op: MailOp) -> Result<(), PortError> {
        let mut state = self.lock();
        *state.calls.entry(op).or_default() += 1;
        match state.faults.iter().position(|(o, _)| *o == op) {
            Some(i) => Err(state.faults.remove(i).map(|(_, e)| e).unwrap_or_else(|| {
                PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "fault")
            })),
            None => Ok(()),
        }
    }

    fn lost_reply(&self, op: MailOp) -> Result<(), PortError> {
        let mut state = self.lock();
        match state.lost_replies.iter().position(|(o, _)| *o == op) {
            Some(i) => Err(state
                .lost_replies
                .remove(i)
                .map(|(_, e)| e)
                .unwrap_or_else(|| {
                    PortError::new(FailureKind::Unavailable, "DEZKY_UPSTREAM", "lost")
                })),
            None => Ok(()),
        }
    }

    /// Runs `op`: a queued fault, the effect, then a lost reply.
    fn run<T>(
        &self,
        op: MailOp,
        effect: impl FnOnce(&mut State) -> Result<T, PortError>,
    ) -> Result<T, PortError> {
        self.enter(op)?;
        let value = effect(&mut self.lock())?;
        self.lost_reply(op)?;
        Ok(value)
    }
}

fn ready<'a, T: Send + 'a>(result: Result<T, PortError>) -> PortFuture<'a, T> {
    Box::pin(async move { result })
}

impl MailPort for MemoryMail {
    fn find_domain<'a>(&'a self, name: &'a str) -> PortFuture<'a, Option<MailDomain>> {
        ready(self.run(MailOp::FindDomain, |s| {
            Ok(s.domain_named(name).map(|(h, d)| MailDomain {
                handle: h.clone(),
                name: d.name.clone(),
                owner: d.owner.clone(),
            }))
        }))
    }

    fn create_domain<'a>(
        &'a self,
        name: &'a str,
        tenant_id: &'a str,
    ) -> PortFuture<'a, MailDomain> {
        ready(self.run(MailOp::CreateDomain, |s| {
            if s.domain_named(name).is_some() {
                return Err(exists(&format!("the domain {name}")));
            }
            let handle = s.handle("d");
            let dkim_pending = s.dkim_after;
            s.domains.insert(
                handle.clone(),
                StoredDomain {
                    name: name.to_owned(),
                    owner: Some(tenant_id.to_owned()),
                    dkim_pending,
                },
            );
            Ok(MailDomain {
                handle,
                name: name.to_owned(),
                owner: Some(tenant_id.to_owned()),
            })
        }))
    }

    fn dkim_selectors<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>> {
        ready(self.run(MailOp::DkimSelectors, |s| {
            let domain = s
                .domains
                .get_mut(handle)
                .ok_or_else(|| not_found(&format!("the domain {handle}")))?;
            if domain.dkim_pending > 0 {
                domain.dkim_pending -= 1;
                return Ok(Vec::new());
            }
            Ok(vec!["v1-ed25519".to_owned(), "v1-rsa".to_owned()])
        }))
    }

    fn zone_file<'a>(&'a self, handle: &'a str) -> PortFuture<'a, String> {
        ready(self.run(MailOp::ZoneFile, |s| {
            let domain = s
                .domains
                .get(handle)
                .ok_or_else(|| not_found(&format!("the domain {handle}")))?;
            Ok(zone_file(&domain.name, domain.dkim_pending == 0))
        }))
    }

    fn mailboxes<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>> {
        ready(self.run(MailOp::Mailboxes, |s| {
            let name = s
                .domains
                .get(handle)
                .ok_or_else(|| not_found(&format!("the domain {handle}")))?
                .name
                .clone();
            let suffix = format!("@{name}");
            Ok(s.mailboxes
                .iter()
                .filter(|(_, m)| m.address.ends_with(&suffix))
                .map(|(h, _)| format!("Account/{h}"))
                .collect())
        }))
    }

    fn remove_domain<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::RemoveDomain, |s| {
            let Some(domain) = s.domains.get(handle) else {
                return Ok(());
            };
            let linked = s.users_of(&domain.name);
            if !linked.is_empty() {
                return Err(PortError::new(
                    FailureKind::InUse,
                    "DEZKY_IN_USE",
                    format!("the domain is still used by {}", linked.join(", ")),
                ));
            }
            s.domains.remove(handle);
            Ok(())
        }))
    }

    fn add_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::AddAlias, |s| {
            if !s.mailboxes.contains_key(mailbox) {
                return Err(not_found(&format!("the mailbox {mailbox}")));
            }
            s.check_domain_of(address)?;
            match s.holder(address) {
                Some(h) if h == format!("Account/{mailbox}") => Ok(()),
                Some(_) => Err(exists(&format!("the address {address}"))),
                None => {
                    if let Some(m) = s.mailboxes.get_mut(mailbox) {
                        m.aliases.insert(address.to_owned());
                    }
                    Ok(())
                }
            }
        }))
    }

    fn remove_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::RemoveAlias, |s| {
            let m = s
                .mailboxes
                .get_mut(mailbox)
                .ok_or_else(|| not_found(&format!("the mailbox {mailbox}")))?;
            m.aliases.remove(address);
            Ok(())
        }))
    }

    fn find_list<'a>(&'a self, address: &'a str) -> PortFuture<'a, Option<MailingList>> {
        ready(self.run(MailOp::FindList, |s| {
            Ok(s.lists.values().find(|l| l.address == address).cloned())
        }))
    }

    fn create_list<'a>(
        &'a self,
        address: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, MailingList> {
        ready(self.run(MailOp::CreateList, |s| {
            s.check_domain_of(address)?;
            if s.holder(address).is_some() {
                return Err(exists(&format!("the address {address}")));
            }
            let handle = s.handle("l");
            let list = MailingList {
                handle: handle.clone(),
                address: address.to_owned(),
                recipients: recipients.clone(),
            };
            s.lists.insert(handle, list.clone());
            Ok(list)
        }))
    }

    fn set_list_recipients<'a>(
        &'a self,
        handle: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::SetListRecipients, |s| {
            let list = s
                .lists
                .get_mut(handle)
                .ok_or_else(|| not_found(&format!("the mailing list {handle}")))?;
            list.recipients = recipients.clone();
            Ok(())
        }))
    }

    fn remove_list<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::RemoveList, |s| {
            s.lists.remove(handle);
            Ok(())
        }))
    }

    fn set_quota<'a>(&'a self, mailbox: &'a str, bytes: Option<u64>) -> PortFuture<'a, ()> {
        ready(self.run(MailOp::SetQuota, |s| {
            let m = s
                .mailboxes
                .get_mut(mailbox)
                .ok_or_else(|| not_found(&format!("the mailbox {mailbox}")))?;
            m.quota_bytes = bytes;
            Ok(())
        }))
    }
}

/// A zone file of the shape Stalwart computes for `domain` (without the DKIM
/// lines while the keys are not generated).
fn zone_file(domain: &str, dkim: bool) -> String {
    let mut zone = format!(
        "{domain}. IN MX 10 mail.{domain}.\n\
         {domain}. IN TXT \"v=spf1 mx ra=postmaster -all\"\n\
         _dmarc.{domain}. IN TXT \"v=DMARC1; p=reject; rua=mailto:postmaster@{domain}; ruf=mailto:postmaster@{domain}\"\n"
    );
    if dkim {
        zone.push_str(&format!(
            "v1-ed25519._domainkey.{domain}. IN TXT \"v=DKIM1; k=ed25519; h=sha256; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
        ));
    }
    zone
}
