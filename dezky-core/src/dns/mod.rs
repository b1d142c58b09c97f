//! Mail-domain DNS verification: the records Stalwart wants published, the
//! control plane's ownership record, and a semantic diff against what DNS
//! answers. See `docs/dns.md` for every status and rule.
//!
//! The pieces, in the order the control plane uses them:
//!
//! 1. [`parse_zone_file`] reads Stalwart's `dnsZoneFile` into typed [`ZoneRecord`]s.
//! 2. [`ExpectedRecords::new`] adds the ownership TXT and groups the records into
//!    checks; it renders them as a zone snippet and as a table for the portal.
//! 3. [`verify_domain`] asks a [`Resolver`] (the hickory adapter lives in
//!    `dezky-clients`; tests use a fake) and diffs each check into a [`DomainReport`].

mod dkim;
mod dmarc;
mod expected;
mod name;
mod resolve;
mod spf;
mod tags;
mod verify;
mod zone;

pub use dkim::DkimKey;
pub use dmarc::DmarcRecord;
pub use expected::{
    ExpectedCheck, ExpectedRecords, OWNERSHIP_LABEL, OWNERSHIP_PREFIX, RecordKind, TableRow,
};
pub use name::normalize_name;
pub use resolve::{Answer, FailureKind, QueryType, Resolver};
pub use spf::{SpfRecord, SpfTerm};
pub use verify::{
    CheckStatus, DomainReport, FieldDiff, RecordCheck, VerifyOptions, verify_domain, verify_domains,
};
pub use zone::{RecordData, ZoneRecord, parse_zone_file};

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
