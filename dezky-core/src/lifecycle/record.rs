//! Tenant and partner documents as the control plane stores them, read whole.
//!
//! Reading follows [`crate::records`]: `_id` or `id` (string or `{"$oid"}`),
//! `null` as absent, errors naming the field (`tenant.provisioningStatus.ocis`).
//! Fields added after a document was written (`seats`, `provisioningErrors`,
//! `stripeCustomerId`, `__v`) may be absent. Fields the SDK does not know are
//! kept in `extra` and written back unchanged by [`TenantDocument::to_document`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Declares a closed enum read from and written as the control plane's strings.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The control plane's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> std::result::Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?} (expected one of {})",
                        [$($wire),+].join(", ")
                    )),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "enum": [$($wire),+]})
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum! {
    /// `Tenant.status`.
    TenantStatus {
        /// Created; provisioning has not settled every step yet.
        Pending = "pending",
        /// In use.
        Active = "active",
        /// Stopped by an operator: members cannot sign in, data is kept.
        Suspended = "suspended",
        /// Soft-deleted; deprovisioning removes its upstream resources.
        Deleted = "deleted",
    }
}

wire_enum! {
    /// `Partner.status`. A partner is never hard-deleted: deleting terminates it.
    PartnerStatus {
        /// Reselling.
        Active = "active",
        /// Paused by an operator.
        Suspended = "suspended",
        /// Ended; its staff lose partner access.
        Terminated = "terminated",
    }
}

wire_enum! {
    /// One provisioning step, under its key in `Tenant.provisioningStatus`.
    Step {
        /// The tenant's Authentik group.
        Authentik = "authentik",
        /// The tenant's mail domain in Stalwart, with its DKIM key.
        Stalwart = "stalwart",
        /// The tenant's OCIS project space.
        Ocis = "ocis",
        /// The tenant's Stripe customer.
        Stripe = "stripe",
        /// The onboarding mail to the tenant's first admin.
        Onboarding = "onboarding",
    }
}

wire_enum! {
    /// The state of one step (`Tenant.provisioningStatus.<step>`).
    StepState {
        /// Done; the upstream resource exists.
        Ok = "ok",
        /// Not run: the step is switched off or does not apply.
        Skipped = "skipped",
        /// Failed; the message is in `provisioningErrors.<step>`.
        Error = "error",
        /// Not run yet, or running.
        Pending = "pending",
    }
}

impl StepState {
    /// Whether the step needs no more work (`ok` or `skipped`).
    pub fn is_settled(self) -> bool {
        matches!(self, StepState::Ok | StepState::Skipped)
    }
}

/// The upstream resources a tenant owns, as recorded on its document.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Handles {
    /// `authentikGroupId`: the group's uuid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentik_group_id: Option<String>,
    /// `stalwartDomain`: the mail domain's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalwart_domain: Option<String>,
    /// `ocisSpaceId`: the project space's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocis_space_id: Option<String>,
    /// `stripeCustomerId`: the customer's id (`cus_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer_id: Option<String>,
    /// `onboardingMailId`: the id of the onboarding mail sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_mail_id: Option<String>,
}

impl Handles {
    /// The document keys of the handles, with the step each belongs to.
    pub const FIELDS: [(Step, &'static str); 5] = [
        (Step::Authentik, Handles::field(Step::Authentik)),
        (Step::Stalwart, Handles::field(Step::Stalwart)),
        (Step::Ocis, Handles::field(Step::Ocis)),
        (Step::Stripe, Handles::field(Step::Stripe)),
        (Step::Onboarding, Handles::field(Step::Onboarding)),
    ];

    /// The handle recorded for `step`.
    pub fn get(&self, step: Step) -> Option<&str> {
        self.slot(step).as_deref()
    }

    /// Records (or, with `None`, forgets) `step`'s handle.
    pub fn put(&mut self, step: Step, handle: Option<String>) {
        *self.slot_mut(step) = handle;
    }

    fn slot(&self, step: Step) -> &Option<String> {
        match step {
            Step::Authentik => &self.authentik_group_id,
            Step::Stalwart => &self.stalwart_domain,
            Step::Ocis => &self.ocis_space_id,
            Step::Stripe => &self.stripe_customer_id,
            Step::Onboarding => &self.onboarding_mail_id,
        }
    }

    fn slot_mut(&mut self, step: Step) -> &mut Option<String> {
        match step {
            Step::Authentik => &mut self.authentik_group_id,
            Step::Stalwart => &mut self.stalwart_domain,
            Step::Ocis => &mut self.ocis_space_id,
            Step::Stripe => &mut self.stripe_customer_id,
            Step::Onboarding => &mut self.onboarding_mail_id,
        }
    }

    /// The document key that holds `step`'s handle.
    pub const fn field(step: Step) -> &'static str {
        match step {
            Step::Authentik => "authentikGroupId",
            Step::Stalwart => "stalwartDomain",
            Step::Ocis => "ocisSpaceId",
            Step::Stripe => "stripeCustomerId",
            Step::Onboarding => "onboardingMailId",
        }
    }
}

/// What suspending a tenant did to one step's resource (`suspension.<step>`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SuspensionEntry {
    /// `ok`: suspended upstream; `error`: the last suspend or resume failed.
    pub state: StepState,
    /// What the port returned to restore the state before.
    #[serde(default)]
    pub saved: Value,
    /// The last failure's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A tenant document (the `tenants` collection), every field the SDK knows.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantDocument {
    /// The ObjectId, 24 hex characters.
    pub id: String,
    /// The slug (see [`super::slug`]).
    pub slug: String,
    /// The display name.
    pub name: String,
    /// The lifecycle status.
    pub status: TenantStatus,
    /// The plan's key.
    pub plan: String,
    /// Seats bought, when recorded.
    pub seats: Option<u32>,
    /// The reselling partner's ObjectId.
    pub partner_id: Option<String>,
    /// The tenant's mail domains; the first is its primary domain.
    pub domains: Vec<String>,
    /// The upstream resources it owns.
    pub handles: Handles,
    /// `provisioningStatus`: the state of each step that has run.
    pub provisioning_status: BTreeMap<Step, StepState>,
    /// `provisioningErrors`: the last failure message of each failed step.
    pub provisioning_errors: BTreeMap<Step, String>,
    /// `suspension`: per step, what suspending changed upstream and what
    /// resuming must restore.
    pub suspension: BTreeMap<Step, SuspensionEntry>,
    /// `billingInfo`, as stored.
    pub billing_info: Option<Value>,
    /// `__v`, the document version the control plane's writes are guarded by.
    pub version: Option<u64>,
    /// Every other field, kept as read.
    pub extra: Map<String, Value>,
}

/// The keys [`TenantDocument`] reads; everything else goes to `extra`.
const TENANT_KEYS: [&str; 19] = [
    "_id",
    "id",
    "slug",
    "name",
    "status",
    "plan",
    "seats",
    "partnerId",
    "domains",
    "authentikGroupId",
    "stalwartDomain",
    "ocisSpaceId",
    "stripeCustomerId",
    "onboardingMailId",
    "provisioningStatus",
    "provisioningErrors",
    "suspension",
    "billingInfo",
    "__v",
];

/// Reads fields of one document, naming each as `<name>.<key>` in errors.
struct Reader<'a> {
    name: &'a str,
    document: &'a Map<String, Value>,
}

impl<'a> Reader<'a> {
    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.document.get(key).filter(|v| !v.is_null())
    }

    fn id_of(&self, value: &Value, key: &str) -> Result<String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Object(map) if map.len() == 1 => match map.get("$oid") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(invalid(self.field(key), "must be a string or an ObjectId")),
            },
            _ => Err(invalid(self.field(key), "must be a string or an ObjectId")),
        }
    }

    fn id(&self) -> Result<String> {
        let underscore = self.get("_id").map(|v| self.id_of(v, "id")).transpose()?;
        let plain = self.get("id").map(|v| self.id_of(v, "id")).transpose()?;
        match (underscore, plain) {
            (Some(a), Some(b)) if a != b => Err(invalid(
                self.field("id"),
                format!("`_id` {a:?} and `id` {b:?} disagree"),
            )),
            (Some(id), _) | (None, Some(id)) => Ok(id),
            (None, None) => Err(invalid(self.field("id"), "is required (as `_id` or `id`)")),
        }
    }

    fn optional_id(&self, key: &str) -> Result<Option<String>> {
        self.get(key).map(|v| self.id_of(v, key)).transpose()
    }

    fn optional_text(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(self.field(key), "must be a string")),
        }
    }

    fn text(&self, key: &str) -> Result<String> {
        self.optional_text(key)?
            .ok_or_else(|| invalid(self.field(key), "is required"))
    }

    fn parsed<T: FromStr<Err = String>>(&self, key: &str) -> Result<T> {
        self.text(key)?
            .parse()
            .map_err(|reason: String| invalid(self.field(key), reason))
    }

    fn unsigned(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 2f64.powi(53))
                        .map(|f| f as u64)
                })
                .map(Some)
                .ok_or_else(|| invalid(self.field(key), "must be a whole number of at least 0")),
            // MongoDB extended JSON for 64-bit integers.
            Some(Value::Object(map)) if map.len() == 1 && map.contains_key("$numberLong") => {
                map["$numberLong"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .map(Some)
                    .ok_or_else(|| invalid(self.field(key), "must be a whole number of at least 0"))
            }
            Some(_) => Err(invalid(
                self.field(key),
                "must be a whole number of at least 0",
            )),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(invalid(
                        format!("{}[{i}]", self.field(key)),
                        "must be a string",
                    )),
                })
                .collect(),
            Some(_) => Err(invalid(self.field(key), "must be a list of strings")),
        }
    }

    /// A map keyed by step; `value` reads each entry.
    fn by_step<T>(
        &self,
        key: &str,
        value: impl Fn(&Value) -> std::result::Result<T, String>,
    ) -> Result<BTreeMap<Step, T>> {
        match self.get(key) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(step, v)| {
                    let field = format!("{}.{step}", self.field(key));
                    let step: Step = step
                        .parse()
                        .map_err(|reason: String| invalid(&field, reason))?;
                    let v = value(v).map_err(|reason| invalid(&field, reason))?;
                    Ok((step, v))
                })
                .collect(),
            Some(_) => Err(invalid(self.field(key), "must be an object keyed by step")),
        }
    }

    fn extra(&self, known: &[&str]) -> Map<String, Value> {
        self.document
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl TenantDocument {
    /// Reads a tenant document; `name` prefixes the field in errors (`tenant`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Self> {
        let r = Reader { name, document };
        let seats = r
            .unsigned("seats")?
            .map(|n| u32::try_from(n).map_err(|_| invalid(r.field("seats"), "is too large")))
            .transpose()?;
        Ok(TenantDocument {
            id: r.id()?,
            slug: r.text("slug")?,
            name: r.optional_text("name")?.unwrap_or_default(),
            status: r.parsed("status")?,
            plan: r.optional_text("plan")?.unwrap_or_default(),
            seats,
            partner_id: r.optional_id("partnerId")?,
            domains: r.strings("domains")?,
            handles: {
                let mut handles = Handles::default();
                for (step, field) in Handles::FIELDS {
                    handles.put(step, r.optional_text(field)?);
                }
                handles
            },
            provisioning_status: r.by_step("provisioningStatus", |v| match v {
                Value::String(s) => s.parse(),
                _ => Err("must be a string".into()),
            })?,
            provisioning_errors: r.by_step("provisioningErrors", |v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err("must be a string".into()),
            })?,
            suspension: r.by_step("suspension", |v| {
                serde_json::from_value(v.clone()).map_err(|e| e.to_string())
            })?,
            billing_info: r.get("billingInfo").cloned(),
            version: r.unsigned("__v")?,
            extra: r.extra(&TENANT_KEYS),
        })
    }

    /// A new tenant's document, as `POST /tenants` stores it before
    /// provisioning: `pending`, version 0, no handles. The slug must pass the
    /// rules for a new tenant ([`super::TenantSlug::parse`]); `id` must be an
    /// ObjectId (it becomes every upstream resource's marker).
    pub fn new_pending(id: &str, slug: &str, name: &str, plan: &str) -> Result<Self> {
        let slug = super::TenantSlug::parse("tenant.slug", slug)?;
        if !crate::tenant::is_object_id(id) {
            return Err(invalid(
                "tenant.id",
                "must be a MongoDB ObjectId (24 lowercase hex characters)",
            ));
        }
        if name.trim().is_empty() {
            return Err(invalid("tenant.name", "must not be empty"));
        }
        if plan.trim().is_empty() {
            return Err(invalid("tenant.plan", "must not be empty"));
        }
        Ok(TenantDocument {
            id: id.to_owned(),
            slug: slug.as_str().to_owned(),
            name: name.to_owned(),
            status: TenantStatus::Pending,
            plan: plan.to_owned(),
            seats: None,
            partner_id: None,
            domains: Vec::new(),
            handles: Handles::default(),
            provisioning_status: BTreeMap::new(),
            provisioning_errors: BTreeMap::new(),
            suspension: BTreeMap::new(),
            billing_info: None,
            version: Some(0),
            extra: Map::new(),
        })
    }

    /// Checks what every upstream operation relies on: the id is an ObjectId
    /// (the marker) and the slug has the form upstream names need. Nothing is
    /// sent upstream for a tenant that fails this.
    pub fn check_for_upstreams(&self) -> Result<()> {
        if !crate::tenant::is_object_id(&self.id) {
            return Err(invalid(
                "tenant.id",
                "must be a MongoDB ObjectId (24 lowercase hex characters)",
            ));
        }
        super::TenantSlug::existing("tenant.slug", &self.slug).map(|_| ())
    }

    /// Parses a tenant document from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => TenantDocument::from_document("tenant", &map),
            Ok(_) => Err(invalid("tenant", "must be a JSON object")),
            Err(e) => Err(invalid("tenant", format!("is not JSON: {e}"))),
        }
    }

    /// The document in the control plane's field names, unknown fields as
    /// read. Absent optional fields stay absent; the id is written as `_id`.
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = self.extra.clone();
        doc.insert("_id".into(), self.id.clone().into());
        doc.insert("slug".into(), self.slug.clone().into());
        doc.insert("name".into(), self.name.clone().into());
        doc.insert("status".into(), self.status.as_str().into());
        doc.insert("plan".into(), self.plan.clone().into());
        if let Some(seats) = self.seats {
            doc.insert("seats".into(), seats.into());
        }
        if let Some(partner) = &self.partner_id {
            doc.insert("partnerId".into(), partner.clone().into());
        }
        doc.insert("domains".into(), self.domains.clone().into());
        for (step, field) in Handles::FIELDS {
            if let Some(handle) = self.handles.get(step) {
                doc.insert(field.into(), handle.into());
            }
        }
        doc.insert(
            "provisioningStatus".into(),
            Value::Object(
                self.provisioning_status
                    .iter()
                    .map(|(s, v)| (s.as_str().into(), v.as_str().into()))
                    .collect(),
            ),
        );
        if !self.provisioning_errors.is_empty() {
            doc.insert(
                "provisioningErrors".into(),
                Value::Object(
                    self.provisioning_errors
                        .iter()
                        .map(|(s, m)| (s.as_str().into(), m.clone().into()))
                        .collect(),
                ),
            );
        }
        if !self.suspension.is_empty() {
            doc.insert(
                "suspension".into(),
                Value::Object(
                    self.suspension
                        .iter()
                        .map(|(s, e)| {
                            let entry = serde_json::to_value(e).unwrap_or(Value::Null);
                            (s.as_str().into(), entry)
                        })
                        .collect(),
                ),
            );
        }
        if let Some(billing) = &self.billing_info {
            doc.insert("billingInfo".into(), billing.clone());
        }
        if let Some(v) = self.version {
            doc.insert("__v".into(), Value::Number(Number::from(v)));
        }
        doc
    }

    /// The tenant's primary mail domain (the first of `domains`).
    pub fn primary_domain(&self) -> Option<&str> {
        self.domains.first().map(String::as_str)
    }
}

/// A partner document (the `partners` collection), every field the SDK knows.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerDocument {
    /// The ObjectId.
    pub id: String,
    /// The slug.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// Active, suspended or terminated.
    pub status: PartnerStatus,
    /// The partner's margin on its tenants' subscriptions, in percent (0 to 100).
    pub margin_pct: Option<f64>,
    /// Every other field, kept as read.
    pub extra: Map<String, Value>,
}

const PARTNER_KEYS: [&str; 6] = ["_id", "id", "slug", "name", "status", "marginPct"];

impl PartnerDocument {
    /// Reads a partner document; `name` prefixes the field in errors (`partner`).
    pub fn from_document(name: &str, document: &Map<String, Value>) -> Result<Self> {
        let r = Reader { name, document };
        let margin_pct = match r.get("marginPct") {
            None => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(m) if (0.0..=100.0).contains(&m) => Some(m),
                _ => return Err(invalid(r.field("marginPct"), "must be between 0 and 100")),
            },
            Some(_) => return Err(invalid(r.field("marginPct"), "must be a number")),
        };
        Ok(PartnerDocument {
            id: r.id()?,
            slug: r.text("slug")?,
            name: r.optional_text("name")?.unwrap_or_default(),
            status: r.parsed("status")?,
            margin_pct,
            extra: r.extra(&PARTNER_KEYS),
        })
    }

    /// The document in the control plane's field names, unknown fields as read.
    pub fn to_document(&self) -> Map<String, Value> {
        let mut doc = self.extra.clone();
        doc.insert("_id".into(), self.id.clone().into());
        doc.insert("slug".into(), self.slug.clone().into());
        doc.insert("name".into(), self.name.clone().into());
        doc.insert("status".into(), self.status.as_str().into());
        if let Some(m) = self.margin_pct.and_then(Number::from_f64) {
            doc.insert("marginPct".into(), Value::Number(m));
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn field_of(result: Result<impl fmt::Debug>) -> String {
        match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    fn acme() -> Value {
        json!({
            "_id": {"$oid": "6650f1c2a9b4e3d2c1b0a998"},
            "slug": "acme",
            "name": "Acme Co",
            "status": "pending",
            "plan": "business",
            "seats": 12,
            "partnerId": {"$oid": "6650f1c2a9b4e3d2c1b0a111"},
            "domains": ["acme.test"],
            "authentikGroupId": "2d0c6a4e-0000-4000-8000-000000000001",
            "provisioningStatus": {"authentik": "ok", "stalwart": "error", "ocis": "pending"},
            "provisioningErrors": {"stalwart": "upstream unavailable"},
            "billingInfo": {"vatId": "DK12345678"},
            "__v": 3,
            "createdAt": {"$date": "2026-05-24T00:00:00Z"},
            "securityPolicy": {"mfaMode": "required"},
        })
    }

    #[test]
    fn reads_every_known_field() {
        let t = TenantDocument::from_document("tenant", &doc(acme())).unwrap();
        assert_eq!(t.id, "6650f1c2a9b4e3d2c1b0a998");
        assert_eq!(t.status, TenantStatus::Pending);
        assert_eq!(t.seats, Some(12));
        assert_eq!(t.partner_id.as_deref(), Some("6650f1c2a9b4e3d2c1b0a111"));
        assert_eq!(t.primary_domain(), Some("acme.test"));
        assert_eq!(
            t.handles.get(Step::Authentik),
            Some("2d0c6a4e-0000-4000-8000-000000000001")
        );
        assert_eq!(t.handles.get(Step::Ocis), None);
        assert_eq!(t.provisioning_status[&Step::Stalwart], StepState::Error);
        assert_eq!(
            t.provisioning_errors[&Step::Stalwart],
            "upstream unavailable"
        );
        assert_eq!(t.version, Some(3));
        assert_eq!(t.extra.len(), 2);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let t = TenantDocument::from_document("tenant", &doc(acme())).unwrap();
        let written = t.to_document();
        assert_eq!(
            written["createdAt"],
            json!({"$date": "2026-05-24T00:00:00Z"})
        );
        assert_eq!(written["securityPolicy"], json!({"mfaMode": "required"}));
        let again = TenantDocument::from_document("tenant", &written).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn older_documents_without_newer_fields_read() {
        let t = TenantDocument::from_document(
            "tenant",
            &doc(
                json!({"_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "status": "active",
                        "provisioningStatus": {"authentik": "ok"}}),
            ),
        )
        .unwrap();
        assert!(t.provisioning_errors.is_empty());
        assert_eq!(t.seats, None);
        assert_eq!(t.version, None);
        assert!(t.domains.is_empty());
        assert!(!t.to_document().contains_key("provisioningErrors"));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"status": "archived"}), "tenant.status"),
            (json!({"status": null}), "tenant.status"),
            (json!({"slug": 7}), "tenant.slug"),
            (json!({"seats": -1}), "tenant.seats"),
            (json!({"seats": 1.5}), "tenant.seats"),
            (json!({"domains": ["a.test", 3]}), "tenant.domains[1]"),
            (
                json!({"provisioningStatus": {"ocis": "running"}}),
                "tenant.provisioningStatus.ocis",
            ),
            (
                json!({"provisioningStatus": {"backup": "ok"}}),
                "tenant.provisioningStatus.backup",
            ),
            (
                json!({"provisioningErrors": {"ocis": 5}}),
                "tenant.provisioningErrors.ocis",
            ),
            (
                json!({"provisioningStatus": ["ok"]}),
                "tenant.provisioningStatus",
            ),
            (json!({"partnerId": 12}), "tenant.partnerId"),
            (json!({"__v": "3"}), "tenant.__v"),
            (
                json!({"_id": "6650f1c2a9b4e3d2c1b0a998", "id": "6650f1c2a9b4e3d2c1b0a999"}),
                "tenant.id",
            ),
        ];
        for (patch, field) in cases {
            let mut d = doc(acme());
            for (k, v) in doc(patch) {
                d.insert(k, v);
            }
            assert_eq!(field_of(TenantDocument::from_document("tenant", &d)), field);
        }
        assert_eq!(field_of(TenantDocument::from_json("[1]")), "tenant");
        assert_eq!(field_of(TenantDocument::from_json("{")), "tenant");
    }

    #[test]
    fn partners_read_status_and_margin() {
        let p = PartnerDocument::from_document(
            "partner",
            &doc(json!({"_id": "6650f1c2a9b4e3d2c1b0a111", "slug": "nordic-it", "name": "Nordic IT",
                        "status": "terminated", "marginPct": 20, "contactInfo": {"email": "a@b.test"}})),
        )
        .unwrap();
        assert_eq!(p.status, PartnerStatus::Terminated);
        assert_eq!(p.margin_pct, Some(20.0));
        assert_eq!(p.to_document()["contactInfo"], json!({"email": "a@b.test"}));
        assert_eq!(
            PartnerDocument::from_document("partner", &p.to_document()).unwrap(),
            p
        );
        for (bad, field) in [
            (json!({"status": "gone"}), "partner.status"),
            (json!({"marginPct": 120}), "partner.marginPct"),
            (json!({"marginPct": "20"}), "partner.marginPct"),
        ] {
            let mut d = p.to_document();
            for (k, v) in doc(bad) {
                d.insert(k, v);
            }
            assert_eq!(
                field_of(PartnerDocument::from_document("partner", &d)),
                field
            );
        }
    }

    #[test]
    fn wire_names_round_trip() {
        for s in Step::ALL {
            assert_eq!(s.as_str().parse::<Step>().unwrap(), *s);
        }
        for s in TenantStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        assert!(StepState::Skipped.is_settled() && !StepState::Pending.is_settled());
    }
}
