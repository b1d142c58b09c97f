//! A tenant's members as whole operations across the upstreams
//! (`docs/members.md`): create, suspend, resume, force-logout, reset the
//! password, remove; partner staff invitations; the `/me` profile.
//!
//! Like [`crate::provisioning`], nothing here holds a database connection:
//! each operation takes the documents as read and returns the write to make
//! (a [`MemberPatch`] guarded by the document's version, or a document to
//! insert), the audit events, and the secrets to hand over once.

mod document;
pub mod memory;
pub mod password;
mod ports;
mod run;

pub use document::{MailboxHandle, MemberDocument, MemberPatch, MemberSuspension};
pub use ports::{
    MemberGroup, MemberKind, MemberPort, MemberResource, MemberTarget, PARTNER_STAFF_GROUP,
    unsupported,
};
pub use run::{
    Caller, CreatedMember, Effect, InvitedStaff, MEMBER_REMOVAL_ORDER, MePartner, MeProfile,
    MeTenant, MemberChange, MemberError, MemberFailure, MemberRecord, MemberRemoval, MemberResult,
    Members, NewMember, NewStaff, PasswordReset, Removed, RemovedResource, Undo, me,
};
