//! The registry objects the client reads and writes, in their wire shape.
//!
//! Property names follow the server's registry schema (`x:Domain`,
//! `x:UserAccount`, `x:Dkim1Signature`, ...). Sets travel as objects
//! (`{"value": true}`) and lists as objects keyed by position (`{"0": ...}`);
//! the helpers below turn them into `BTreeSet`s and `Vec`s. With the `napi`
//! feature, the records the Node binding returns as they are are also
//! `#[napi(object)]`.

// `#[napi(object)]` expands to `unsafe` conversion glue.
#![cfg_attr(feature = "napi", allow(unsafe_code))]

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::Secret;

/// `Set<T>` properties: `{"a": true, "b": true}` on the wire. Arrays are read
/// too, leniently; `false` members are left out.
pub(crate) mod jmap_set {
    use super::*;

    pub fn serialize<S: Serializer>(set: &BTreeSet<String>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(set.iter().map(|v| (v, true)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeSet<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Map(BTreeMap<String, bool>),
            List(Vec<String>),
            Null(()),
        }
        Ok(match Wire::deserialize(d)? {
            Wire::Map(map) => map
                .into_iter()
                .filter(|(_, v)| *v)
                .map(|(k, _)| k)
                .collect(),
            Wire::List(list) => list.into_iter().collect(),
            Wire::Null(()) => BTreeSet::new(),
        })
    }
}

/// `List<T>` properties: `{"0": ..., "1": ...}` on the wire, read in position
/// order (arrays are read too).
pub(crate) mod jmap_list {
    use super::*;

    pub fn serialize<S: Serializer, T: Serialize>(list: &[T], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(list.iter().enumerate().map(|(i, v)| (i.to_string(), v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Ok(positions(d)?.into_values().collect())
    }

    /// The entries keyed by their list position.
    pub fn positions<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<u32, T>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire<T> {
            Map(BTreeMap<String, T>),
            List(Vec<T>),
            Null(()),
        }
        match Wire::<T>::deserialize(d)? {
            Wire::Map(map) => map
                .into_iter()
                .map(|(k, v)| {
                    k.parse::<u32>()
                        .map(|k| (k, v))
                        .map_err(|_| serde::de::Error::custom(format!("list position {k:?}")))
                })
                .collect(),
            Wire::List(list) => Ok((0u32..).zip(list).collect()),
            Wire::Null(()) => Ok(BTreeMap::new()),
        }
    }
}

/// A mail domain (`x:Domain`) as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// The object id.
    pub id: String,
    /// The domain name (`acme.test`).
    #[serde(default)]
    pub name: String,
    /// Alias domain names.
    #[serde(default, with = "jmap_set")]
    pub aliases: BTreeSet<String>,
    /// Whether the domain accepts mail (server default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    /// A free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The catch-all address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_all_address: Option<String>,
    /// Whether relaying is allowed for the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_relaying: Option<bool>,
    /// When the domain was created (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The DNS records to publish, as a zone file (read by
    /// [`super::StalwartClient::get_domain`] only: the server computes it on
    /// every read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_zone_file: Option<String>,
}

/// The properties read for a [`Domain`] (without `dnsZoneFile`).
pub const DOMAIN_PROPERTIES: &[&str] = &[
    "name",
    "aliases",
    "isEnabled",
    "description",
    "catchAllAddress",
    "allowRelaying",
    "createdAt",
];

/// A domain to create. Only `name` is required; unset options keep the
/// server's defaults (automatic DKIM with Ed25519 and RSA keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDomain {
    /// The domain name.
    pub name: String,
    /// A description (an empty one is sent as none: the server refuses `""`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Alias domain names.
    #[serde(with = "jmap_set", skip_serializing_if = "BTreeSet::is_empty")]
    pub aliases: BTreeSet<String>,
    /// Whether the domain accepts mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    /// The catch-all address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catch_all_address: Option<String>,
    /// Whether relaying is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_relaying: Option<bool>,
}

impl NewDomain {
    /// A domain with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        NewDomain {
            name: name.into(),
            ..NewDomain::default()
        }
    }
}

/// A DKIM signature (`x:DkimSignature`) as read; the private key is never read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StalwartDkimSignature")
)]
pub struct DkimSignature {
    /// The object id.
    pub id: String,
    /// The variant: `Dkim1Ed25519Sha256`, `Dkim1RsaSha256`, `Dkim2...`.
    #[serde(rename = "@type", default)]
    pub algorithm: String,
    /// The signed domain.
    #[serde(default)]
    pub domain_id: String,
    /// The DNS selector (`<selector>._domainkey.<domain>`).
    #[serde(default)]
    pub selector: String,
    /// `active`, `pending`, `retiring` or `retired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The public key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// When the signature was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the rotation moves it to its next stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_transition_at: Option<String>,
}

/// The properties read for a [`DkimSignature`].
pub const DKIM_PROPERTIES: &[&str] = &[
    "domainId",
    "selector",
    "stage",
    "publicKey",
    "createdAt",
    "nextTransitionAt",
];

/// The enabled and disabled permissions of a `Merge` or `Replace` rule
/// (`x:PermissionsList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionsList {
    /// Permissions granted.
    #[serde(default, with = "jmap_set")]
    pub enabled_permissions: BTreeSet<String>,
    /// Permissions withdrawn.
    #[serde(default, with = "jmap_set")]
    pub disabled_permissions: BTreeSet<String>,
}

/// An account's own permission rules (`x:Permissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type")]
pub enum Permissions {
    /// The permissions of the account's roles.
    #[default]
    Inherit,
    /// The roles' permissions, plus the enabled ones, minus the disabled ones.
    Merge(PermissionsList),
    /// Only the listed permissions.
    Replace(PermissionsList),
}

/// The permission every login needs; a suspended mailbox has it disabled.
pub const AUTHENTICATE: &str = "authenticate";

impl Permissions {
    /// Whether the rules withdraw the `authenticate` permission.
    pub fn is_suspended(&self) -> bool {
        match self {
            Permissions::Inherit => false,
            Permissions::Merge(list) | Permissions::Replace(list) => {
                list.disabled_permissions.contains(AUTHENTICATE)
            }
        }
    }

    /// The rules with `authenticate` disabled, every other rule kept.
    pub fn suspended(&self) -> Permissions {
        match self {
            Permissions::Inherit => Permissions::Merge(PermissionsList {
                enabled_permissions: BTreeSet::new(),
                disabled_permissions: BTreeSet::from([AUTHENTICATE.to_owned()]),
            }),
            Permissions::Merge(list) => Permissions::Merge(with_disabled(list, true)),
            Permissions::Replace(list) => Permissions::Replace(with_disabled(list, true)),
        }
    }

    /// The rules without the `authenticate` withdrawal; a `Merge` left with
    /// no rule at all becomes `Inherit` again.
    pub fn resumed(&self) -> Permissions {
        match self {
            Permissions::Inherit => Permissions::Inherit,
            Permissions::Merge(list) => {
                let list = with_disabled(list, false);
                if list.enabled_permissions.is_empty() && list.disabled_permissions.is_empty() {
                    Permissions::Inherit
                } else {
                    Permissions::Merge(list)
                }
            }
            Permissions::Replace(list) => Permissions::Replace(with_disabled(list, false)),
        }
    }
}

fn with_disabled(list: &PermissionsList, disabled: bool) -> PermissionsList {
    let mut list = list.clone();
    if disabled {
        list.disabled_permissions.insert(AUTHENTICATE.to_owned());
    } else {
        list.disabled_permissions.remove(AUTHENTICATE);
    }
    list
}

/// A credential of an account as read: its kind and metadata, never its
/// secret (the server masks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StalwartCredential")
)]
pub struct CredentialInfo {
    /// `Password`, `AppPassword` or `ApiKey`.
    #[serde(rename = "@type", default)]
    pub kind: String,
    /// The server's id of the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// An additional address of an account (`x:EmailAlias`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_from_js = false, js_name = "StalwartEmailAlias")
)]
pub struct EmailAlias {
    /// The local part.
    #[serde(default)]
    pub name: String,
    /// The alias's domain.
    #[serde(default)]
    pub domain_id: String,
    /// Whether the alias receives mail (server default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A mailbox: an `x:Account` of type `User`, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mailbox {
    /// The object id.
    pub id: String,
    /// `User` for a mailbox (`Group` accounts are not mailboxes).
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// The local part of the address.
    #[serde(default)]
    pub name: String,
    /// The domain.
    #[serde(default)]
    pub domain_id: String,
    /// `name@domain`, set by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Storage quotas by `StorageQuota` name (`maxDiskQuota` in bytes, ...).
    #[serde(default)]
    pub quotas: BTreeMap<String, u64>,
    /// The account's own permission rules.
    #[serde(default)]
    pub permissions: Permissions,
    /// The credentials, in list order.
    #[serde(default, with = "jmap_list")]
    pub credentials: Vec<CredentialInfo>,
    /// Additional addresses, in list order.
    #[serde(default, with = "jmap_list")]
    pub aliases: Vec<EmailAlias>,
    /// The groups the account belongs to.
    #[serde(default, with = "jmap_set")]
    pub member_group_ids: BTreeSet<String>,
    /// The locale (`en_US`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// When the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Bytes in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_disk_quota: Option<u64>,
}

impl Mailbox {
    /// Whether logins are refused (the `authenticate` permission is disabled).
    pub fn is_suspended(&self) -> bool {
        self.permissions.is_suspended()
    }

    /// The `maxDiskQuota` in bytes, when set.
    pub fn quota_bytes(&self) -> Option<u64> {
        self.quotas.get("maxDiskQuota").copied()
    }
}

/// The properties read for a [`Mailbox`].
pub const MAILBOX_PROPERTIES: &[&str] = &[
    "name",
    "domainId",
    "emailAddress",
    "description",
    "quotas",
    "permissions",
    "credentials",
    "aliases",
    "memberGroupIds",
    "locale",
    "createdAt",
    "usedDiskQuota",
];

/// A mailbox to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMailbox {
    /// The domain's id.
    pub domain_id: String,
    /// The local part of the address.
    pub name: String,
    /// The password (checked by the server's strength rules).
    pub password: Secret,
    /// The `maxDiskQuota` in bytes.
    pub quota_bytes: Option<u64>,
    /// A description (an empty one is sent as none).
    pub description: Option<String>,
    /// The locale (`en_US`), when not the server's default.
    pub locale: Option<String>,
}

impl NewMailbox {
    /// A mailbox `name@<domain>` with a password and no quota.
    pub fn new(domain_id: impl Into<String>, name: impl Into<String>, password: Secret) -> Self {
        NewMailbox {
            domain_id: domain_id.into(),
            name: name.into(),
            password,
            quota_bytes: None,
            description: None,
            locale: None,
        }
    }

    /// The create object sent to the server (holds the password in clear:
    /// it goes straight into the request body).
    pub(crate) fn to_wire(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "@type": "User",
            "name": self.name,
            "domainId": self.domain_id,
            "credentials": {"0": {"@type": "Password", "secret": self.password.expose()}},
        });
        if let Some(quota) = self.quota_bytes {
            object["quotas"] = serde_json::json!({ "maxDiskQuota": quota });
        }
        if let Some(description) = self.description.as_deref().filter(|d| !d.is_empty()) {
            object["description"] = description.into();
        }
        if let Some(locale) = &self.locale {
            object["locale"] = locale.as_str().into();
        }
        object
    }
}
