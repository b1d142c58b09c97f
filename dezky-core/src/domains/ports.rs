//! The mail port domain operations drive: the mail server's domains, their
//! DKIM keys and zone files, aliases, mailing lists and mailbox quotas.
//!
//! `dezky-clients` implements it over Stalwart (`StalwartMail`);
//! [`super::memory::MemoryMail`] is the embedded one. Failures are the
//! provisioning ports' [`PortError`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::provisioning::PortFuture;

/// A mail domain on the mail server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MailDomain {
    /// The server's id of the domain.
    pub handle: String,
    /// The domain name, lowercase.
    pub name: String,
    /// The tenant (ObjectId) its marker names; `None` without a marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A mailing list on the mail server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MailingList {
    /// The server's id of the list.
    pub handle: String,
    /// The list's address (`team@acme.test`).
    pub address: String,
    /// The addresses mail to the list goes to.
    pub recipients: BTreeSet<String>,
}

/// The mail server side of mail domains.
///
/// Operations on something that is gone: `remove_domain`, `remove_alias` and
/// `remove_list` succeed (there is nothing left to do); the others fail with
/// `DEZKY_NOT_FOUND`.
pub trait MailPort: Send + Sync {
    /// The domain named `name` (lowercase), if any.
    fn find_domain<'a>(&'a self, name: &'a str) -> PortFuture<'a, Option<MailDomain>>;

    /// Creates the domain `name` marked for `tenant_id`, with the server's
    /// automatic DKIM keys. A name taken is `DEZKY_ALREADY_EXISTS`.
    fn create_domain<'a>(&'a self, name: &'a str, tenant_id: &'a str)
    -> PortFuture<'a, MailDomain>;

    /// The selectors of the domain's DKIM keys; empty while the server has
    /// not generated them yet.
    fn dkim_selectors<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>>;

    /// The records the server wants published for the domain, as a zone file.
    fn zone_file<'a>(&'a self, handle: &'a str) -> PortFuture<'a, String>;

    /// The mailboxes (accounts) on the domain, as `Account/<id>`.
    fn mailboxes<'a>(&'a self, handle: &'a str) -> PortFuture<'a, Vec<String>>;

    /// Removes the domain (and its own DKIM keys). A domain something still
    /// uses is `DEZKY_IN_USE`; one that is gone succeeds.
    fn remove_domain<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()>;

    /// Adds `address` as an alias of the mailbox `mailbox`. An address taken
    /// (by any mailbox, alias or list) is `DEZKY_ALREADY_EXISTS`; an alias
    /// the mailbox has already succeeds.
    fn add_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()>;

    /// Removes the alias `address` of the mailbox `mailbox` (no change when
    /// it has none).
    fn remove_alias<'a>(&'a self, mailbox: &'a str, address: &'a str) -> PortFuture<'a, ()>;

    /// The mailing list at `address`, if any.
    fn find_list<'a>(&'a self, address: &'a str) -> PortFuture<'a, Option<MailingList>>;

    /// Creates a mailing list at `address` with `recipients`. An address
    /// taken is `DEZKY_ALREADY_EXISTS`.
    fn create_list<'a>(
        &'a self,
        address: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, MailingList>;

    /// Replaces the recipients of the list `handle`.
    fn set_list_recipients<'a>(
        &'a self,
        handle: &'a str,
        recipients: &'a BTreeSet<String>,
    ) -> PortFuture<'a, ()>;

    /// Removes the list `handle`; one that is gone succeeds.
    fn remove_list<'a>(&'a self, handle: &'a str) -> PortFuture<'a, ()>;

    /// Sets the mailbox's disk quota in bytes (`None`: the server's default).
    fn set_quota<'a>(&'a self, mailbox: &'a str, bytes: Option<u64>) -> PortFuture<'a, ()>;
}
