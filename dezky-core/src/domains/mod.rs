//! A tenant's mail domains as whole operations on the mail server
//! (`docs/domains.md`): add (domain, DKIM keys, records to publish, ownership
//! token), verify, list, the tenant's own DMARC policy, remove with the
//! in-use guard; aliases, mailing lists and mailbox quotas.
//!
//! Like [`crate::members`], nothing here holds a database connection: each
//! operation takes the documents as read and returns the writes to make and
//! the audit events.

mod dmarc;
pub mod memory;
mod ports;
mod record;
mod run;

pub use dmarc::{DmarcPolicy, with_dmarc};
pub use ports::{MailDomain, MailPort, MailingList};
pub use record::{DomainRecord, DomainStatus, ownership_token};
pub use run::{
    AddedDomain, DkimWait, DomainChange, DomainCheck, DomainError, DomainFailure, DomainRemoval,
    DomainResult, DomainSummary, DomainUndo, Domains, ManualPause, Pause, TokioPause,
    check_domain_name,
};
