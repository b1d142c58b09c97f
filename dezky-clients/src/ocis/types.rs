//! The libregraph records the client reads and writes.
//!
//! Every field is optional (the server omits many), lists default to empty,
//! and the enumerations are open: a value this SDK does not know is kept as
//! `Other(text)` instead of failing the whole answer. Request bodies carry
//! only fields of the libregraph schemas and skip absent ones, because OCIS
//! refuses unknown fields. With the `napi` feature, the records the Node
//! binding returns are also `#[napi(object)]`.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use serde::{Deserialize, Serialize};

use crate::macros::open_enum;
use crate::secret::Secret;

open_enum! {
    /// What kind of space a drive is.
    DriveType {
        /// A user's home space.
        Personal = "personal",
        /// A project space (one per tenant in Dezky).
        Project = "project",
        /// The virtual drive of shares with the user.
        Virtual = "virtual",
        /// A share mounted as a drive.
        Share = "share",
        /// A mount point of a share.
        Mountpoint = "mountpoint",
    }
}

open_enum! {
    /// How full a space is: `normal` up to 75 % used, `nearing` up to 90 %,
    /// `critical` up to 99 %, `exceeded` above.
    QuotaState {
        /// Up to 75 % used.
        Normal = "normal",
        /// Up to 90 % used.
        Nearing = "nearing",
        /// Up to 99 % used.
        Critical = "critical",
        /// Above 99 % used.
        Exceeded = "exceeded",
    }
}

open_enum! {
    /// The OData error codes OCIS sends (`error.code`). The HTTP status, not
    /// this code, decides how an error is classified.
    ErrorCode {
        /// `accessDenied` (403 by default).
        AccessDenied = "accessDenied",
        /// `invalidRequest` (400).
        InvalidRequest = "invalidRequest",
        /// `itemNotFound` (404).
        ItemNotFound = "itemNotFound",
        /// `nameAlreadyExists` (409).
        NameAlreadyExists = "nameAlreadyExists",
        /// `notAllowed` (405 by default, often sent with 401, 403 or 400).
        NotAllowed = "notAllowed",
        /// `notSupported` (501, e.g. an unsupported `$filter`).
        NotSupported = "notSupported",
        /// `preconditionFailed` (412).
        PreconditionFailed = "preconditionFailed",
        /// `itemIsLocked` (423).
        ItemIsLocked = "itemIsLocked",
        /// `generalException` (500).
        GeneralException = "generalException",
        /// `unauthenticated`.
        Unauthenticated = "unauthenticated",
        /// `quotaLimitReached`.
        QuotaLimitReached = "quotaLimitReached",
    }
}

/// A space's quota, in bytes. All fields are optional: a trashed space has
/// no quota at all (see [`Drive::quota`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "OcisQuota")
)]
pub struct Quota {
    /// The allowed size (0: the server computes the state from `remaining`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Bytes in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<i64>,
    /// Bytes left before the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<i64>,
    /// Bytes held by the recycle bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<i64>,
    /// How full the space is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub state: Option<QuotaState>,
}

/// The deleted state of an item: `trashed` for a disabled space.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// `trashed` when the space is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// One identity (user, group, application) in an [`IdentitySet`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The identity's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its display name (often absent for drive owners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Who owns or changed something.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySet {
    /// The user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Identity>,
    /// The group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Identity>,
}

/// The root item of a drive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveRoot {
    /// The root item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The WebDAV URL of the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_dav_url: Option<String>,
    /// The root's ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Present with `state: "trashed"` when the space is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deleted>,
}

/// A space (libregraph `drive`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drive {
    /// `<storageId>$<spaceId>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The kind of space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_type: Option<DriveType>,
    /// The space's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The alias used in URLs (`project/acme`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drive_alias: Option<String>,
    /// When it last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    /// The owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<IdentitySet>,
    /// The quota. `None` for a trashed space: its usage is unknown, not zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// The root item (its `deleted.state` is `trashed` for a disabled space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<DriveRoot>,
    /// The web UI URL of the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
}

impl Drive {
    /// Whether the space is disabled (`root.deleted.state == "trashed"`).
    pub fn is_trashed(&self) -> bool {
        self.root
            .as_ref()
            .and_then(|r| r.deleted.as_ref())
            .and_then(|d| d.state.as_deref())
            == Some("trashed")
    }
}

/// `{"value": [drive], "@odata.nextLink"?}`; a `null` body reads as empty.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DriveCollection {
    #[serde(default)]
    pub value: Option<Vec<Drive>>,
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

/// The body of `CreateDrive`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewDrive<'a> {
    pub name: &'a str,
    pub drive_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaTotal>,
}

/// `{"quota": {"total": n}}` in a create or update body.
#[derive(Debug, Serialize)]
pub(crate) struct QuotaTotal {
    pub total: i64,
}

/// The body of a quota `UpdateDrive`.
#[derive(Debug, Serialize)]
pub(crate) struct QuotaUpdate {
    pub quota: QuotaTotal,
}

/// An empty `UpdateDrive` body (`{}`), sent with `Restore: T`.
#[derive(Debug, Serialize)]
pub(crate) struct EmptyUpdate {}

/// What a new project space gets besides its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewProjectSpace {
    /// The description shown in the web UI.
    pub description: Option<String>,
    /// The quota in bytes; `None` uses the server's default quota.
    pub quota_bytes: Option<i64>,
}

/// A user (libregraph `user`), as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "OcisUser")
)]
pub struct User {
    /// The user's id (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The login name (matches the OIDC username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_sam_account_name: Option<String>,
    /// The mail address (hidden unless the server is set to show it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// The given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The surname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// `Member` or `Guest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Whether the account is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
}

/// A user to create. The id is assigned by OCIS and never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, js_name = "OcisNewUser")
)]
pub struct NewUser {
    /// The display name (required).
    pub display_name: String,
    /// The login name (required; equal to the OIDC username so that the
    /// first login finds this account).
    pub on_premises_sam_account_name: String,
    /// The mail address.
    pub mail: Option<String>,
    /// An initial password (only with OCIS's built-in identity backend).
    #[cfg_attr(feature = "napi", napi(ts_type = "string"))]
    pub password: Option<Secret>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewUserBody<'a> {
    pub display_name: &'a str,
    pub on_premises_sam_account_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_profile: Option<PasswordProfileBody<'a>>,
}

#[derive(Serialize)]
pub(crate) struct PasswordProfileBody<'a> {
    pub password: &'a str,
}
