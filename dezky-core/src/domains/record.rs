//! The domain document (the control plane's `domains` collection) and the
//! ownership token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::lifecycle::VERSION_KEY;
use crate::provisioning::{FailureKind, PortError};
use crate::secret::Secret;

/// How far a domain's DNS is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DomainStatus {
    /// Added; its records were never all found.
    Pending,
    /// Every record was found as expected at the last check.
    Verified,
    /// Verified once, and the last check found a record missing or wrong.
    Failing,
}

impl DomainStatus {
    /// `pending`, `verified` or `failing`.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Pending => "pending",
            DomainStatus::Verified => "verified",
            DomainStatus::Failing => "failing",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(DomainStatus::Pending),
            "verified" => Some(DomainStatus::Verified),
            "failing" => Some(DomainStatus::Failing),
            _ => None,
        }
    }
}

/// A mail domain of a tenant as the `domains` collection holds it:
/// `tenantId`, `name`, `stalwartDomainId`, `ownershipToken`, `status`,
/// `dmarc` (the tenant's own DMARC record), `verifiedAt`, `lastCheckedAt`,
/// `__v`. Its `Debug` leaves the ownership token out.
#[derive(Clone, PartialEq)]
pub struct DomainRecord {
    /// The document's ObjectId (`None` before it is inserted).
    pub id: Option<String>,
    /// The tenant's ObjectId.
    pub tenant_id: String,
    /// The domain name, lowercase.
    pub name: String,
    /// The mail server's id of the domain.
    pub stalwart_domain_id: String,
    /// The token of the `_dezky-challenge` TXT record.
    pub ownership_token: Secret,
    /// The verification status.
    pub status: DomainStatus,
    /// The tenant's own `_dmarc` record, replacing the server's.
    pub dmarc: Option<String>,
    /// When the domain was first verified (RFC 3339).
    pub verified_at: Option<String>,
    /// When it was last checked (RFC 3339).
    pub last_checked_at: Option<String>,
    /// `__v`.
    pub version: Option<u64>,
}

impl fmt::Debug for DomainRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainRecord")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("stalwart_domain_id", &self.stalwart_domain_id)
            .field("ownership_token", &self.ownership_token)
            .field("status", &self.status)
            .field("dmarc", &self.dmarc)
            .field("verified_at", &self.verified_at)
            .field("last_checked_at", &self.last_checked_at)
            .field("version", &self.version)
            .finish()
    }
}

fn invalid(field: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

/// An id as a string or `{"$oid": ...}`.
fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("$oid").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

impl DomainRecord {
    /// Reads a domain document; errors name the field (`domain.name`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Self> {
        let field = |f: &str| format!("{name}.{f}");
        let text = |f: &str| -> Result<Option<String>> {
            match document.get(f) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(field(f), "must be a string")),
            }
        };
        let required = |f: &str| -> Result<String> {
            text(f)?
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(field(f), "is required"))
        };
        let id = match document.get("_id").or_else(|| document.get("id")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(id_of(v).ok_or_else(|| invalid(field("_id"), "must be an ObjectId"))?),
        };
        let tenant_id = match document.get("tenantId") {
            Some(v) => id_of(v).ok_or_else(|| invalid(field("tenantId"), "must be an ObjectId"))?,
            None => return Err(invalid(field("tenantId"), "is required")),
        };
        let status = match text("status")? {
            None => DomainStatus::Pending,
            Some(s) => DomainStatus::parse(&s)
                .ok_or_else(|| invalid(field("status"), "must be pending, verified or failing"))?,
        };
        let version = match document.get(VERSION_KEY) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| invalid(field(VERSION_KEY), "must be a whole number"))?,
            ),
        };
        Ok(DomainRecord {
            id,
            tenant_id,
            name: required("name")?.to_ascii_lowercase(),
            stalwart_domain_id: required("stalwartDomainId")?,
            ownership_token: Secret::new(required("ownershipToken")?),
            status,
            dmarc: text("dmarc")?,
            verified_at: text("verifiedAt")?,
            last_checked_at: text("lastCheckedAt")?,
            version,
        })
    }

    /// The document to insert (no `_id`; `__v` 0 when new).
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = Map::new();
        if let Some(id) = &self.id {
            doc.insert("_id".into(), json!({ "$oid": id }));
        }
        doc.insert("tenantId".into(), json!({ "$oid": self.tenant_id }));
        doc.insert("name".into(), json!(self.name));
        doc.insert("stalwartDomainId".into(), json!(self.stalwart_domain_id));
        doc.insert(
            "ownershipToken".into(),
            json!(self.ownership_token.expose()),
        );
        doc.insert("status".into(), json!(self.status.as_str()));
        for (key, value) in [
            ("dmarc", &self.dmarc),
            ("verifiedAt", &self.verified_at),
            ("lastCheckedAt", &self.last_checked_at),
        ] {
            if let Some(v) = value {
                doc.insert(key.into(), json!(v));
            }
        }
        doc.insert(VERSION_KEY.into(), json!(self.version.unwrap_or(0)));
        doc
    }
}

/// A new ownership token: 32 bytes of the operating system's CSPRNG in
/// base64url without padding (43 characters of `A-Z a-z 0-9 - _`). A failing
/// random source is `DEZKY_UPSTREAM_UNAVAILABLE`, never a weaker source.
pub fn ownership_token() -> std::result::Result<Secret, PortError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        PortError::new(
            FailureKind::Unavailable,
            "DEZKY_UPSTREAM_UNAVAILABLE",
            format!("the random source failed: {e}"),
        )
    })?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
}
