//! Known departures of the official documents from the servers they describe.
//!
//! Kept short and explicit: each entry names the document (by `info.title` and
//! `info.version`) and says why the document is wrong, so a reader can judge it.

use serde_json::Value;

use crate::translate::WritableReadOnly;

/// Properties that the document marks `readOnly` but that requests may send.
pub(crate) fn writable_read_only(doc: &Value) -> &'static [WritableReadOnly] {
    let title = doc.pointer("/info/title").and_then(Value::as_str);
    let version = doc.pointer("/info/version").and_then(Value::as_str);
    match (title, version) {
        // libregraph marks `driveType` and the whole `quota` read-only, yet
        // `CreateDrive` takes both (the server reads `driveType` and
        // `quota.total` from the request, and the document's own CreateDrive
        // example sends `quota.total`).
        (Some("Libre Graph API"), Some(v)) if v.starts_with("v1.0") => LIBREGRAPH,
        _ => &[],
    }
}

const LIBREGRAPH: &[WritableReadOnly] = &[
    WritableReadOnly {
        component: "driveUpdate",
        property: "driveType",
    },
    WritableReadOnly {
        component: "driveUpdate",
        property: "quota",
    },
    WritableReadOnly {
        component: "quota",
        property: "total",
    },
];
