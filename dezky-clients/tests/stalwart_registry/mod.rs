//! The Stalwart v0.16 registry checks shared by the Stalwart test crates:
//! every `x:` call a stand-in receives and every object it serves is checked
//! against the server's registry facts
//! (`support/contract/specs/stalwart-v0.16.18.registry-facts.json`).

// Each test crate uses its own part of the checks.
#![allow(dead_code, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

// ---------------------------------------------------------------------------
// The registry schema
// ---------------------------------------------------------------------------

/// The registry facts: `$DEZKY_SPECS_DIR/<file>` if set, else the table kept in
/// `support/contract/specs`, generated from the server's registry schema (the
/// full schema, in the same shape, may be put in `DEZKY_SPECS_DIR` instead).
pub fn schema_path() -> PathBuf {
    const FACTS: &str = "stalwart-v0.16.18.registry-facts.json";
    if let Some(dir) = std::env::var_os("DEZKY_SPECS_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        let full = dir.join("stalwart-v0.16.18.schema.json");
        return if full.is_file() {
            full
        } else {
            dir.join(FACTS)
        };
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../support/contract/specs")
        .join(FACTS)
}

pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = schema_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the Stalwart registry facts {} cannot be read ({e}); regenerate them with \
                 support/contract/specs/stalwart_registry_facts.py or set DEZKY_SPECS_DIR",
                path.display()
            )
        });
        serde_json::from_str(&text).expect("the registry facts are JSON")
    })
}

/// The field schemas an object may use: one, or one per union variant.
pub fn object_schemas(object: &str) -> Vec<(Option<String>, Option<String>)> {
    let schemas = &schema()["schemas"][object];
    match schemas["type"].as_str() {
        Some("single") => vec![(None, schemas["schemaName"].as_str().map(str::to_owned))],
        Some("multiple") => schemas["variants"]
            .as_array()
            .expect("variants")
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().map(str::to_owned),
                    v["schemaName"].as_str().map(str::to_owned),
                )
            })
            .collect(),
        _ => panic!("{object} is not a schema of the registry"),
    }
}

pub fn properties(schema_name: &str) -> &'static serde_json::Map<String, Value> {
    schema()["fields"][schema_name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no fields for {schema_name}"))
}

/// The schema of `object` for a value's `@type` (or the single one).
pub fn schema_for(object: &str, value: &Value, at: &str) -> Option<String> {
    let variants = object_schemas(object);
    if variants.len() == 1 && variants[0].0.is_none() {
        return variants[0].1.clone();
    }
    let Some(tag) = value["@type"].as_str() else {
        // A partial read may leave out the tag: the properties must then
        // exist on some variant (checked by the caller with `any_property`).
        return None;
    };
    variants
        .into_iter()
        .find(|(name, _)| name.as_deref() == Some(tag))
        .unwrap_or_else(|| panic!("{at}: @type {tag:?} is no variant of {object}"))
        .1
}

pub fn enum_has(name: &str, value: &str) -> bool {
    schema()["enums"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no enum {name}"))
        .iter()
        .any(|e| e["name"] == value)
}

/// Checks a value against a property type of the schema.
pub fn check_value(ty: &Value, value: &Value, at: &str) {
    if value.is_null() {
        assert!(ty["nullable"] == true, "{at}: null for a non-nullable {ty}");
        return;
    }
    match ty["type"].as_str().expect("type kind") {
        "string" | "utcDateTime" | "objectId" => {
            assert!(value.is_string(), "{at}: expected a string, got {value}")
        }
        "boolean" => assert!(value.is_boolean(), "{at}: expected a boolean, got {value}"),
        "number" => match ty["format"].as_str() {
            Some("unsignedInteger" | "size" | "duration") => {
                assert!(
                    value.is_u64(),
                    "{at}: expected an unsigned integer, got {value}"
                )
            }
            _ => assert!(value.is_number(), "{at}: expected a number, got {value}"),
        },
        "enum" => {
            let name = ty["enumName"].as_str().expect("enumName");
            let v = value
                .as_str()
                .unwrap_or_else(|| panic!("{at}: enum as {value}"));
            assert!(enum_has(name, v), "{at}: {v:?} is not a {name}");
        }
        "set" => {
            let map = value
                .as_object()
                .unwrap_or_else(|| panic!("{at}: a set must be an object, got {value}"));
            for (key, member) in map {
                assert!(
                    member.is_boolean(),
                    "{at}/{key}: set members map to booleans"
                );
                check_value(
                    &ty["class"],
                    &Value::String(key.clone()),
                    &format!("{at}/{key}"),
                );
            }
        }
        "map" => {
            let map = value
                .as_object()
                .unwrap_or_else(|| panic!("{at}: a map must be an object, got {value}"));
            for (key, member) in map {
                check_value(
                    &ty["keyClass"],
                    &Value::String(key.clone()),
                    &format!("{at}/{key}"),
                );
                check_value(&ty["valueClass"], member, &format!("{at}/{key}"));
            }
        }
        "objectList" => {
            let map = value
                .as_object()
                .unwrap_or_else(|| panic!("{at}: a list must be an object keyed by position"));
            let object = ty["objectName"].as_str().expect("objectName");
            for (i, (key, member)) in map.iter().enumerate() {
                assert_eq!(
                    key,
                    &i.to_string(),
                    "{at}: list keys are positions 0, 1, ..."
                );
                check_object(object, member, &format!("{at}/{key}"), Direction::Read);
            }
        }
        "object" => {
            let object = ty["objectName"].as_str().expect("objectName");
            check_object(object, value, at, Direction::Read);
        }
        other => panic!("{at}: unknown kind {other}"),
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Direction {
    /// Sent in a create or update: no server-set property.
    Write,
    /// Served by the server.
    Read,
}

/// Checks an object value: every property exists on its schema (variant),
/// has the declared kind, and (when written) is not server-set.
pub fn check_object(object: &str, value: &Value, at: &str, direction: Direction) {
    let map = value
        .as_object()
        .unwrap_or_else(|| panic!("{at}: a {object} must be an object, got {value}"));
    let tagged = value.get("@type").is_some();
    assert!(
        tagged || direction == Direction::Read || !is_union(object),
        "{at}: a {object} union value needs @type: {value}"
    );
    let schema_name = schema_for(object, value, at);
    for (key, member) in map {
        if key == "@type" || (key == "id" && direction == Direction::Read) {
            continue;
        }
        let property = match &schema_name {
            Some(schema_name) => properties(schema_name)
                .get(key)
                .unwrap_or_else(|| panic!("{at}: {schema_name} has no property {key:?}")),
            None if !tagged => any_property(object, key)
                .unwrap_or_else(|| panic!("{at}: no variant of {object} has {key:?}")),
            None => panic!(
                "{at}: variant {} of {object} has no property {key}",
                value["@type"]
            ),
        };
        let schema_name = schema_name.as_deref().unwrap_or(object);
        if direction == Direction::Write {
            assert_eq!(
                property["update"], "mutable",
                "{at}: {schema_name}.{key} is {} and must not be sent",
                property["update"]
            );
        }
        check_value(&property["type"], member, &format!("{at}/{key}"));
    }
}

pub fn is_union(object: &str) -> bool {
    schema()["schemas"][object]["type"] == "multiple"
}

/// A property of any variant of `object`.
pub fn any_property(object: &str, name: &str) -> Option<&'static Value> {
    object_schemas(object)
        .into_iter()
        .filter_map(|(_, schema_name)| schema_name)
        .find_map(|schema_name| properties(&schema_name).get(name))
}

/// Checks one `x:` method call the client sent.
pub fn check_call(name: &str, args: &Value) {
    let Some((object, method)) = name.split_once('/') else {
        panic!("method {name} has no object");
    };
    assert!(
        schema()["objects"].get(object).is_some(),
        "{object} is not a registry object"
    );
    match method {
        "get" => {
            if let Some(list) = args.get("properties").and_then(Value::as_array) {
                for p in list {
                    let p = p.as_str().expect("property names are strings");
                    assert!(any_property(object, p).is_some(), "{object} has no {p:?}");
                }
            }
        }
        "set" => {
            if let Some(create) = args.get("create").and_then(Value::as_object) {
                for (cid, value) in create {
                    check_object(
                        object,
                        value,
                        &format!("{name} create {cid}"),
                        Direction::Write,
                    );
                }
            }
            if let Some(update) = args.get("update").and_then(Value::as_object) {
                for (id, patch) in update {
                    for (pointer, value) in patch.as_object().expect("a patch is an object") {
                        let at = format!("{name} update {id} {pointer}");
                        let top = pointer.split('/').next().unwrap_or_default();
                        let property = any_property(object, top)
                            .unwrap_or_else(|| panic!("{at}: {object} has no {top:?}"));
                        assert_eq!(property["update"], "mutable", "{at}: not mutable");
                        if !pointer.contains('/') {
                            check_value(&property["type"], value, &at);
                        }
                    }
                }
            }
        }
        "query" => {}
        other => panic!("{name}: v0.16 has no /{other} method"),
    }
}
