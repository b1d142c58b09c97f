//! Reading the control plane's MongoDB documents (as JSON objects) into the
//! domain's records, with errors that name the offending field.
//!
//! The same rules for every record, so that Node, Python and Rust callers
//! agree: the id is `_id` or `id` (both given must agree), as a string or
//! MongoDB extended JSON `{"$oid": "..."}`; `null` reads as absent; fields the
//! SDK does not use are ignored. Bindings pass only the fields listed in
//! [`USER_FIELDS`], [`TENANT_FIELDS`] and [`PARTNER_FIELDS`] when converting a
//! whole document is costly or lossy (a pymongo document with datetimes).

use serde_json::{Map, Value};

use crate::authz::UserRecord;
use crate::error::{Error, Result};
use crate::tenant::{Partner, Tenant};

/// The fields of a user document that [`user`] reads.
pub const USER_FIELDS: [&str; 11] = [
    "_id",
    "id",
    "authentikSubjectId",
    "tenantIds",
    "tenantRoles",
    "platformAdmin",
    "partnerId",
    "active",
    "role",
    "email",
    "name",
];

/// The fields of a tenant document that [`tenant`] reads.
pub const TENANT_FIELDS: [&str; 6] = ["_id", "id", "slug", "plan", "partnerId", "status"];

/// The fields of a partner document that [`partner`] reads.
pub const PARTNER_FIELDS: [&str; 4] = ["_id", "id", "slug", "status"];

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The document without its `null` fields.
fn present(document: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    document.iter().filter(|(_, value)| !value.is_null())
}

fn get<'a>(document: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    document.get(key).filter(|value| !value.is_null())
}

/// An id given as a string or as `{"$oid": "..."}`.
fn id_value(value: &Value, field: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Object(map) if map.len() == 1 => match map.get("$oid") {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(invalid(field, "must be a string or an ObjectId")),
        },
        _ => Err(invalid(field, "must be a string or an ObjectId")),
    }
}

/// The optional id under `key`.
fn optional_id(document: &Map<String, Value>, key: &str, field: &str) -> Result<Option<String>> {
    get(document, key).map(|v| id_value(v, field)).transpose()
}

/// The record's own id, from `_id` or `id`.
fn record_id(document: &Map<String, Value>, name: &str) -> Result<String> {
    let field = format!("{name}.id");
    let underscore = optional_id(document, "_id", &field)?;
    let plain = optional_id(document, "id", &field)?;
    match (underscore, plain) {
        (Some(a), Some(b)) if a != b => Err(invalid(
            &field,
            format!("`_id` {a:?} and `id` {b:?} disagree"),
        )),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(invalid(&field, "is required (as `_id` or `id`)")),
    }
}

/// A text field; absent reads as empty (the rules that need it say so).
fn text(document: &Map<String, Value>, key: &str, name: &str) -> Result<String> {
    match get(document, key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(invalid(format!("{name}.{key}"), "must be a string")),
    }
}

/// A user document (the control plane's `users` collection) as the
/// authorization rules read it. `authentikSubjectId` is required.
pub fn user(name: &str, document: &Map<String, Value>) -> Result<UserRecord> {
    let id = record_id(document, name)?;
    match get(document, "authentikSubjectId") {
        Some(Value::String(_)) => {}
        None => return Err(invalid(format!("{name}.authentikSubjectId"), "is required")),
        Some(_) => {
            return Err(invalid(
                format!("{name}.authentikSubjectId"),
                "must be a string",
            ));
        }
    }
    let partner_id = optional_id(document, "partnerId", &format!("{name}.partnerId"))?;
    let mut fields: Map<String, Value> = present(document)
        .filter(|(key, _)| !matches!(key.as_str(), "_id" | "id" | "partnerId"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    fields.insert("id".into(), Value::String(id));
    let mut record: UserRecord = serde_json::from_value(Value::Object(fields)).map_err(|e| {
        // serde names the field in its message only; keep it, under the record's name.
        invalid(name, e.to_string())
    })?;
    record.partner_id = partner_id;
    Ok(record)
}

/// A tenant document (the `tenants` collection). An absent `slug` or `plan`
/// reads as empty: [`crate::tenant::flag_context`] refuses that, the
/// authorization rules do not need them.
pub fn tenant(name: &str, document: &Map<String, Value>) -> Result<Tenant> {
    Ok(Tenant {
        id: record_id(document, name)?,
        slug: text(document, "slug", name)?,
        plan: text(document, "plan", name)?,
        partner_id: optional_id(document, "partnerId", &format!("{name}.partnerId"))?,
        status: status(document, name)?,
    })
}

/// An optional `status`, one of the enum's names; anything else is refused.
fn status<T: std::str::FromStr<Err = String>>(
    document: &Map<String, Value>,
    name: &str,
) -> Result<Option<T>> {
    match get(document, "status") {
        None => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|reason: String| invalid(format!("{name}.status"), reason)),
        Some(_) => Err(invalid(format!("{name}.status"), "must be a string")),
    }
}

/// A partner document (the `partners` collection).
pub fn partner(name: &str, document: &Map<String, Value>) -> Result<Partner> {
    Ok(Partner {
        id: record_id(document, name)?,
        slug: text(document, "slug", name)?,
        status: status(document, name)?,
    })
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

    fn field_of(error: Error) -> String {
        match error {
            Error::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    const ID: &str = "64b7f0c2a1b2c3d4e5f60718";

    #[test]
    fn ids_come_from_either_key_in_either_form() {
        for document in [
            json!({"_id": ID, "slug": "acme", "plan": "business"}),
            json!({"id": ID, "slug": "acme", "plan": "business"}),
            json!({"_id": {"$oid": ID}, "id": ID, "slug": "acme", "plan": "business"}),
            json!({"_id": null, "id": {"$oid": ID}, "slug": "acme", "plan": "business"}),
        ] {
            let tenant = tenant("tenant", &doc(document)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(tenant.id, ID);
        }
    }

    #[test]
    fn bad_ids_name_the_field() {
        for (document, reason) in [
            (json!({"slug": "acme"}), "is required"),
            (json!({"_id": ID, "id": "other"}), "disagree"),
            (json!({"_id": 7}), "ObjectId"),
            (json!({"_id": {"$oid": ID, "x": 1}}), "ObjectId"),
            (json!({"_id": {"oid": ID}}), "ObjectId"),
        ] {
            match partner("partner", &doc(document)) {
                Err(Error::Invalid { field, reason: r }) => {
                    assert_eq!(field, "partner.id");
                    assert!(r.contains(reason), "{r}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tenant_fields_are_typed_and_null_is_absent() {
        let t = tenant(
            "tenant",
            &doc(json!({"_id": ID, "slug": null, "plan": "business", "partnerId": {"$oid": ID}})),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.slug.as_str(), t.partner_id.as_deref()), ("", Some(ID)));
        let bad = tenant("tenant", &doc(json!({"_id": ID, "slug": 5}))).err();
        assert_eq!(bad.map(field_of).as_deref(), Some("tenant.slug"));
        let bad = tenant("tenant", &doc(json!({"_id": ID, "partnerId": true}))).err();
        assert_eq!(bad.map(field_of).as_deref(), Some("tenant.partnerId"));
    }

    #[test]
    fn statuses_are_read_and_unknown_ones_refused() {
        use crate::lifecycle::{PartnerStatus, TenantStatus};
        let t = tenant("tenant", &doc(json!({"_id": ID, "status": "suspended"})));
        assert_eq!(
            t.map(|t| t.status).ok(),
            Some(Some(TenantStatus::Suspended))
        );
        let t = tenant("tenant", &doc(json!({"_id": ID})));
        assert_eq!(t.map(|t| t.status).ok(), Some(None));
        for bad in [json!("archived"), json!(3)] {
            let e = tenant("tenant", &doc(json!({"_id": ID, "status": bad}))).err();
            assert_eq!(e.map(field_of).as_deref(), Some("tenant.status"));
        }
        let p = partner("partner", &doc(json!({"_id": ID, "status": "terminated"})));
        assert_eq!(
            p.map(|p| p.status).ok(),
            Some(Some(PartnerStatus::Terminated))
        );
        let e = partner("partner", &doc(json!({"_id": ID, "status": "gone"}))).err();
        assert_eq!(e.map(field_of).as_deref(), Some("partner.status"));
    }

    #[test]
    fn users_need_a_subject_and_keep_their_rights() {
        let record = user(
            "user",
            &doc(json!({
                "_id": {"$oid": ID},
                "authentikSubjectId": "sub-1",
                "tenantIds": [{"$oid": ID}],
                "tenantRoles": [{"tenantId": ID, "role": "admin"}],
                "platformAdmin": null,
                "partnerId": {"$oid": ID},
                "active": true,
                "createdAt": "2026-01-01T00:00:00Z"
            })),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(record.id, ID);
        assert_eq!(record.tenant_ids, [ID]);
        assert_eq!(record.partner_id.as_deref(), Some(ID));
        assert!(!record.platform_admin && record.active);
        assert_eq!(record.tenant_roles.len(), 1);

        for (document, field) in [
            (json!({"_id": ID}), "user.authentikSubjectId"),
            (
                json!({"_id": ID, "authentikSubjectId": 3}),
                "user.authentikSubjectId",
            ),
            (json!({"authentikSubjectId": "s"}), "user.id"),
            (
                json!({"_id": ID, "authentikSubjectId": "s", "platformAdmin": "yes"}),
                "user",
            ),
            (
                json!({"_id": ID, "authentikSubjectId": "s", "partnerId": 1}),
                "user.partnerId",
            ),
        ] {
            let error = user("user", &doc(document)).err();
            assert_eq!(error.map(field_of).as_deref(), Some(field));
        }
    }
}
