//! Writes to a tenant document, guarded by its version.
//!
//! The SDK holds no database connection: it returns a [`TenantPatch`], which
//! the control plane applies with one `updateOne(patch.filter(),
//! patch.update())`. The filter matches the document only at the version
//! (`__v`, Mongoose's version key) it was read at, and the update increments
//! it, so of two workers that read the same version only the first write
//! matches; the other matches nothing (`matchedCount == 0`) and must read the
//! tenant again. A document written before versions were kept (no `__v`) is
//! matched by `__v` being absent; the first write gives it version 1.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::record::TenantDocument;
use crate::error::{Error, Result};

/// The version key of the control plane's documents.
pub const VERSION_KEY: &str = "__v";

/// A set of field writes to one tenant document at one version.
///
/// Keys are the control plane's field names; a dotted key (`provisioningStatus.ocis`)
/// writes inside an embedded object, as MongoDB reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantPatch {
    tenant_id: String,
    expected_version: Option<u64>,
    /// Field -> new value (`None`: remove the field).
    writes: BTreeMap<String, Option<Value>>,
}

impl TenantPatch {
    /// An empty patch of `tenant` at the version it was read at.
    pub fn new(tenant: &TenantDocument) -> Self {
        TenantPatch {
            tenant_id: tenant.id.clone(),
            expected_version: tenant.version,
            writes: BTreeMap::new(),
        }
    }

    /// An empty patch of the document `id` at `expected_version`, for the
    /// other collections whose writes follow the same rule (a member's user
    /// document).
    pub(crate) fn for_document(id: &str, expected_version: Option<u64>) -> Self {
        TenantPatch {
            tenant_id: id.to_owned(),
            expected_version,
            writes: BTreeMap::new(),
        }
    }

    /// Sets `field` to `value`.
    pub fn set(&mut self, field: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.writes.insert(field.into(), Some(value.into()));
        self
    }

    /// Removes `field`.
    pub fn unset(&mut self, field: impl Into<String>) -> &mut Self {
        self.writes.insert(field.into(), None);
        self
    }

    /// Adds `other`'s writes (of the same tenant); `other` wins on a field both write.
    pub fn merge(&mut self, other: TenantPatch) -> &mut Self {
        self.writes.extend(other.writes);
        self
    }

    /// Whether the patch writes nothing (then there is nothing to send).
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The tenant's ObjectId.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The version the patch expects the document to be at.
    pub fn expected_version(&self) -> Option<u64> {
        self.expected_version
    }

    /// The fields written, with their new values (`None`: removed).
    pub fn writes(&self) -> impl Iterator<Item = (&str, Option<&Value>)> {
        self.writes.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }

    /// The MongoDB filter: the tenant at the expected version.
    pub fn filter(&self) -> Value {
        let version = match self.expected_version {
            Some(v) => json!(v),
            None => json!({"$exists": false}),
        };
        json!({"_id": {"$oid": self.tenant_id}, VERSION_KEY: version})
    }

    /// The MongoDB update: `$set`, `$unset` (each only when not empty) and
    /// `$inc` of the version.
    pub fn update(&self) -> Value {
        let mut update = Map::new();
        let set: Map<String, Value> = self
            .writes
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect();
        let unset: Map<String, Value> = self
            .writes
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| (k.clone(), Value::String(String::new())))
            .collect();
        if !set.is_empty() {
            update.insert("$set".into(), Value::Object(set));
        }
        if !unset.is_empty() {
            update.insert("$unset".into(), Value::Object(unset));
        }
        update.insert("$inc".into(), json!({VERSION_KEY: 1}));
        Value::Object(update)
    }

    /// Applies the patch to `document` as MongoDB would: refused with
    /// [`Error::VersionConflict`] (and `document` untouched) unless the
    /// document is at the expected version. An empty patch is not sent (its
    /// serialized `update` is null), so it leaves the document as it is,
    /// version included. For in-memory stores and tests.
    pub fn apply(&self, document: &mut Map<String, Value>) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let found = document.get(VERSION_KEY).and_then(Value::as_u64);
        if found != self.expected_version {
            return Err(Error::VersionConflict {
                tenant: self.tenant_id.clone(),
                expected_version: self.expected_version,
            });
        }
        for (field, value) in &self.writes {
            write_path(document, field, value.clone());
        }
        document.insert(VERSION_KEY.into(), json!(found.unwrap_or(0) + 1));
        Ok(())
    }
}

impl TenantDocument {
    /// The document after `patch`, as the control plane would store it (its
    /// version incremented); [`Error::VersionConflict`] when `patch` was made
    /// from another version.
    pub fn apply(&self, patch: &TenantPatch) -> Result<TenantDocument> {
        let mut document = self.to_document();
        patch.apply(&mut document)?;
        TenantDocument::from_document("tenant", &document)
    }
}

/// A patch crosses to other languages as what the control plane sends:
/// `{tenantId, expectedVersion, filter, update}` (`update` is `null` for an
/// empty patch: there is nothing to send).
impl serde::Serialize for TenantPatch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("TenantPatch", 4)?;
        out.serialize_field("tenantId", &self.tenant_id)?;
        out.serialize_field("expectedVersion", &self.expected_version)?;
        out.serialize_field("filter", &self.filter())?;
        out.serialize_field("update", &(!self.is_empty()).then(|| self.update()))?;
        out.end()
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for TenantPatch {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TenantPatch".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "A write to one tenant document: `updateOne(filter, update)`.",
            "properties": {
                "tenantId": {"type": "string", "description": "The tenant's ObjectId."},
                "expectedVersion": {
                    "type": ["integer", "null"],
                    "description": "The version (`__v`) the document must be at."
                },
                "filter": {
                    "type": "object",
                    "description": "The MongoDB filter: the tenant at the expected version."
                },
                "update": {
                    "type": ["object", "null"],
                    "description": "`$set`, `$unset` and `$inc` of the version; null when there is nothing to write."
                }
            },
            "required": ["tenantId", "expectedVersion", "filter", "update"]
        })
    }
}

/// Reads a patch back from its serialized form (what a binding handed out),
/// so it can be applied in memory with [`TenantPatch::apply`]. Errors name
/// the field (`patch.update.$set`).
impl<'de> serde::Deserialize<'de> for TenantPatch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        TenantPatch::from_value(&value).map_err(serde::de::Error::custom)
    }
}

impl TenantPatch {
    /// The patch from its serialized form `{tenantId, expectedVersion, filter, update}`.
    pub fn from_value(value: &Value) -> Result<TenantPatch> {
        let invalid = |field: &str, reason: &str| Error::Invalid {
            field: format!("patch.{field}"),
            reason: reason.into(),
        };
        let tenant_id = value
            .get("tenantId")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("tenantId", "must be a string"))?
            .to_owned();
        let expected_version = match value.get("expectedVersion") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| invalid("expectedVersion", "must be a whole number"))?,
            ),
        };
        let mut writes = BTreeMap::new();
        match value.get("update") {
            None | Some(Value::Null) => {}
            Some(Value::Object(update)) => {
                for (op, fields) in update {
                    let fields = fields
                        .as_object()
                        .ok_or_else(|| invalid(&format!("update.{op}"), "must be an object"))?;
                    match op.as_str() {
                        "$set" => {
                            for (k, v) in fields {
                                writes.insert(k.clone(), Some(v.clone()));
                            }
                        }
                        "$unset" => {
                            for k in fields.keys() {
                                writes.insert(k.clone(), None);
                            }
                        }
                        "$inc"
                            if fields.len() == 1 && fields.get(VERSION_KEY) == Some(&json!(1)) => {}
                        _ => {
                            return Err(invalid(
                                &format!("update.{op}"),
                                "only $set, $unset and the version's $inc are allowed",
                            ));
                        }
                    }
                }
            }
            Some(_) => return Err(invalid("update", "must be an object or null")),
        }
        Ok(TenantPatch {
            tenant_id,
            expected_version,
            writes,
        })
    }
}

/// Writes (or removes) a dotted path, creating embedded objects on the way.
fn write_path(document: &mut Map<String, Value>, path: &str, value: Option<Value>) {
    match path.split_once('.') {
        None => {
            match value {
                Some(v) => document.insert(path.to_owned(), v),
                None => document.remove(path),
            };
        }
        Some((head, rest)) => {
            let entry = document
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                if value.is_none() {
                    return;
                }
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                write_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(version: Option<u64>) -> (TenantDocument, Map<String, Value>) {
        let mut doc = json!({
            "_id": "6650f1c2a9b4e3d2c1b0a998", "slug": "acme", "status": "pending",
            "provisioningStatus": {"authentik": "ok"}, "provisioningErrors": {"ocis": "down"},
        });
        if let Some(v) = version {
            doc[VERSION_KEY] = json!(v);
        }
        let Value::Object(map) = doc else {
            unreachable!()
        };
        (TenantDocument::from_document("tenant", &map).unwrap(), map)
    }

    #[test]
    fn filter_and_update_in_mongodb_form() {
        let (t, _) = tenant(Some(4));
        let mut patch = TenantPatch::new(&t);
        patch
            .set("provisioningStatus.ocis", "ok")
            .unset("provisioningErrors.ocis")
            .set("status", "active");
        assert_eq!(
            patch.filter(),
            json!({"_id": {"$oid": "6650f1c2a9b4e3d2c1b0a998"}, "__v": 4})
        );
        assert_eq!(
            patch.update(),
            json!({
                "$set": {"provisioningStatus.ocis": "ok", "status": "active"},
                "$unset": {"provisioningErrors.ocis": ""},
                "$inc": {"__v": 1},
            })
        );
    }

    #[test]
    fn a_document_without_a_version_is_matched_by_its_absence() {
        let (t, mut doc) = tenant(None);
        let mut patch = TenantPatch::new(&t);
        patch.set("status", "active");
        assert_eq!(patch.filter()["__v"], json!({"$exists": false}));
        patch.apply(&mut doc).unwrap();
        assert_eq!(doc["__v"], 1);
    }

    #[test]
    fn the_stale_writer_loses_and_changes_nothing() {
        let (t, mut doc) = tenant(Some(1));
        let mut first = TenantPatch::new(&t);
        first.set("status", "active");
        let mut second = TenantPatch::new(&t);
        second.set("status", "deleted");
        first.apply(&mut doc).unwrap();
        let before = doc.clone();
        assert_eq!(
            second.apply(&mut doc),
            Err(Error::VersionConflict {
                tenant: "6650f1c2a9b4e3d2c1b0a998".into(),
                expected_version: Some(1),
            })
        );
        assert_eq!(doc, before);
        assert_eq!(doc["status"], "active");
        assert_eq!(doc["__v"], 2);
    }

    #[test]
    fn an_empty_patch_is_not_a_write() {
        let (t, mut doc) = tenant(Some(3));
        let before = doc.clone();
        let patch = TenantPatch::new(&t);
        assert_eq!(serde_json::to_value(&patch).unwrap()["update"], Value::Null);
        patch.apply(&mut doc).unwrap();
        assert_eq!(doc, before);
        assert_eq!(t.apply(&patch).unwrap().version, Some(3));
    }

    #[test]
    fn the_serialized_form_reads_back() {
        let (t, _) = tenant(Some(2));
        let mut patch = TenantPatch::new(&t);
        patch
            .set("status", "active")
            .unset("provisioningErrors.ocis");
        let value = serde_json::to_value(&patch).unwrap();
        assert_eq!(value["expectedVersion"], 2);
        assert_eq!(serde_json::from_value::<TenantPatch>(value).unwrap(), patch);
        let empty = TenantPatch::new(&t);
        let value = serde_json::to_value(&empty).unwrap();
        assert_eq!(value["update"], Value::Null);
        assert_eq!(TenantPatch::from_value(&value).unwrap(), empty);
        let bad = json!({"tenantId": "x", "update": {"$rename": {"a": "b"}}});
        match TenantPatch::from_value(&bad) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "patch.update.$rename"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dotted_paths_write_inside_embedded_objects() {
        let (t, mut doc) = tenant(Some(0));
        let mut patch = TenantPatch::new(&t);
        patch
            .set("provisioningStatus.ocis", "ok")
            .unset("provisioningErrors.ocis")
            .set("billingInfo.country", "DK");
        patch.apply(&mut doc).unwrap();
        assert_eq!(
            doc["provisioningStatus"],
            json!({"authentik": "ok", "ocis": "ok"})
        );
        assert_eq!(doc["provisioningErrors"], json!({}));
        assert_eq!(doc["billingInfo"], json!({"country": "DK"}));
    }
}
