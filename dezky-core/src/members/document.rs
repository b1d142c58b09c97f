//! A member's user document (the control plane's `users` collection) as the
//! member operations read and write it, and its version-guarded patch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::authz::UserRecord;
use crate::error::{Error, Result};
use crate::lifecycle::{TenantPatch, VERSION_KEY};

/// A member's mailbox in one tenant (`mailboxes.<tenantId>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MailboxHandle {
    /// The Stalwart account id.
    pub id: String,
    /// The address (`<local part>@<the tenant's primary domain>`).
    pub address: String,
}

/// What suspending a member in one tenant changed (`memberSuspensions.<tenantId>`),
/// so that resuming restores exactly that.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemberSuspension {
    /// How the identity was suspended: `account` (deactivated) or `group`
    /// (taken out of the tenant's group only); absent when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// What the identity port returned for `account`.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub identity_saved: Value,
    /// What the mailbox port returned; absent when the mailbox was not suspended.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub mailbox_saved: Value,
    /// Whether the mailbox was suspended.
    #[serde(default)]
    pub mailbox: bool,
    /// The document's `active` before, when suspending changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_active: Option<bool>,
}

/// A member's user document: the fields authorization reads ([`UserRecord`])
/// and the handles of the member's upstream resources.
///
/// Document fields: `authentikUserPk` (the Authentik user's pk, as a string
/// or a number), `ocisUserId`, `mailboxes.<tenantId>` (`{id, address}`),
/// `memberSuspensions.<tenantId>` and `__v`.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDocument {
    /// The fields authorization reads (id, subject, tenants, roles, partner, ...).
    pub user: UserRecord,
    /// `authentikUserPk`.
    pub authentik_user_pk: Option<String>,
    /// `ocisUserId`.
    pub ocis_user_id: Option<String>,
    /// `mailboxes`: the member's mailbox per tenant id.
    pub mailboxes: BTreeMap<String, MailboxHandle>,
    /// `memberSuspensions`: per tenant id, what suspending changed.
    pub suspensions: BTreeMap<String, MemberSuspension>,
    /// `__v`.
    pub version: Option<u64>,
}

fn invalid(field: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

impl MemberDocument {
    /// Reads a user document; errors name the field (`member.mailboxes`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Self> {
        let user = crate::records::user(name, document)?;
        let get = |key: &str| document.get(key).filter(|v| !v.is_null());
        let handle = |key: &str| -> Result<Option<String>> {
            match get(key) {
                None => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(n.to_string())),
                Some(_) => Err(invalid(
                    format!("{name}.{key}"),
                    "must be a non-empty string or a whole number",
                )),
            }
        };
        fn map_of<T: serde::de::DeserializeOwned>(
            name: &str,
            key: &str,
            value: Option<&Value>,
        ) -> Result<BTreeMap<String, T>> {
            match value {
                None => Ok(BTreeMap::new()),
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|e| invalid(format!("{name}.{key}"), e.to_string())),
            }
        }
        let version = match get(VERSION_KEY) {
            None => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                invalid(format!("{name}.{VERSION_KEY}"), "must be a whole number")
            })?),
        };
        Ok(MemberDocument {
            authentik_user_pk: handle("authentikUserPk")?,
            ocis_user_id: handle("ocisUserId")?,
            mailboxes: map_of(name, "mailboxes", get("mailboxes"))?,
            suspensions: map_of(name, "memberSuspensions", get("memberSuspensions"))?,
            version,
            user,
        })
    }

    /// Reads a user document from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Invalid {
            field: "member".into(),
            reason: format!("not JSON: {e}"),
        })?;
        match value {
            Value::Object(map) => MemberDocument::from_document("member", &map),
            _ => Err(invalid("member".into(), "must be an object")),
        }
    }

    /// The tenants other than `tenant_id` the user belongs to.
    pub fn other_tenants(&self, tenant_id: &str) -> Vec<String> {
        self.user
            .tenant_ids
            .iter()
            .filter(|t| *t != tenant_id)
            .cloned()
            .collect()
    }

    /// Why the identity and the files account must outlive the user's
    /// membership of `tenant_id`: the other tenants the user belongs to,
    /// `partner` for partner staff, `platformAdmin` for an operator. Empty:
    /// nothing else uses them.
    pub fn kept_for(&self, tenant_id: &str) -> Vec<String> {
        let mut uses = self.other_tenants(tenant_id);
        if let Some(partner) = &self.user.partner_id {
            uses.push(format!("partner {partner}"));
        }
        if self.user.platform_admin {
            uses.push("platformAdmin".into());
        }
        uses
    }
}

/// A write to one user document at one version: applied with one
/// `updateOne(patch.filter(), patch.update())`, which matches nothing when
/// the document changed since it was read (see [`TenantPatch`], whose rules
/// it shares; a stale patch applied in memory is `DEZKY_VERSION_CONFLICT`,
/// its `tenant` detail holding the user's id).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberPatch(TenantPatch);

impl MemberPatch {
    /// An empty patch of `member` at the version it was read at.
    pub fn new(member: &MemberDocument) -> Self {
        MemberPatch(TenantPatch::for_document(&member.user.id, member.version))
    }

    /// Sets `field` to `value`.
    pub fn set(&mut self, field: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.0.set(field, value);
        self
    }

    /// Removes `field`.
    pub fn unset(&mut self, field: impl Into<String>) -> &mut Self {
        self.0.unset(field);
        self
    }

    /// Whether the patch writes nothing (there is nothing to send).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The user's ObjectId.
    pub fn user_id(&self) -> &str {
        self.0.tenant_id()
    }

    /// The version the document must be at.
    pub fn expected_version(&self) -> Option<u64> {
        self.0.expected_version()
    }

    /// The fields written (`None`: removed).
    pub fn writes(&self) -> impl Iterator<Item = (&str, Option<&Value>)> {
        self.0.writes()
    }

    /// The MongoDB filter: the user at the expected version.
    pub fn filter(&self) -> Value {
        self.0.filter()
    }

    /// The MongoDB update (`$set`, `$unset`, `$inc` of `__v`).
    pub fn update(&self) -> Value {
        self.0.update()
    }

    /// Applies the patch to `document` as MongoDB would (refused with
    /// `DEZKY_VERSION_CONFLICT` at another version; an empty patch changes
    /// nothing). For in-memory stores and tests.
    pub fn apply(&self, document: &mut Map<String, Value>) -> Result<()> {
        self.0.apply(document)
    }
}

/// Crosses to other languages as `{userId, expectedVersion, filter, update}`
/// (`update` is `null` for an empty patch).
impl Serialize for MemberPatch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("MemberPatch", 4)?;
        out.serialize_field("userId", self.user_id())?;
        out.serialize_field("expectedVersion", &self.expected_version())?;
        out.serialize_field("filter", &self.filter())?;
        out.serialize_field("update", &(!self.is_empty()).then(|| self.update()))?;
        out.end()
    }
}
