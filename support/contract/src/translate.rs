//! Translation of OpenAPI 3.0 schema objects into JSON Schema draft 2020-12.
//!
//! OpenAPI 3.0 schemas are a dialect of JSON Schema draft 4/5 with a few keywords
//! of their own. The translation keeps the validation meaning and adds the
//! direction-specific rules:
//!
//! * `nullable: true` allows `null` (`type: [T, "null"]`, `null` added to `enum`, or
//!   an `anyOf` with `{"type": "null"}` when the schema is a composition or `$ref`);
//! * boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric 2020-12 form;
//! * siblings of `$ref` are ignored, as OpenAPI 3.0 specifies (except `nullable`);
//! * a schema with `type: object` and neither `properties` nor `additionalProperties`
//!   is a free-form object and gets `additionalProperties: true`;
//! * requests: `readOnly` properties are dropped from `required` and their schema
//!   becomes `false` (they must not be sent); object schemas that declare
//!   `properties` or compose with `allOf` and do not declare `additionalProperties`
//!   get `unevaluatedProperties: false`. So that `allOf` keeps working, the members
//!   of an `allOf` are translated *open* (without that keyword): the composing
//!   schema closes the object over everything its members evaluated. Every
//!   component schema therefore exists twice in the request document: closed under
//!   `#/components/schemas/` and open under `#/components/x-open/`;
//! * responses: `writeOnly` properties are dropped from `required`; unknown
//!   properties are allowed.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

/// The prefix of component schema references in an OpenAPI document.
pub(crate) const COMPONENT_PREFIX: &str = "#/components/schemas/";
/// Where the open (not closed against unknown properties) request variants live.
const OPEN_PREFIX: &str = "#/components/x-open/";

/// Which side of the exchange a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// A body or parameter that the client sends.
    Request,
    /// A body that the server returns.
    Response,
}

/// A property that the official document marks `readOnly` but that the server
/// accepts in requests, and that the document's own request examples send.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WritableReadOnly {
    /// The component schema that declares the property.
    pub(crate) component: &'static str,
    /// The property name.
    pub(crate) property: &'static str,
}

/// Translates OpenAPI schemas of one document.
pub(crate) struct Translator<'a> {
    /// The whole OpenAPI document, to look at referenced components.
    doc: &'a Value,
    direction: Direction,
    /// Prepended to every `#/components/...` reference: empty inside the registered
    /// document, the document's URI for schemas compiled on their own.
    ref_base: &'a str,
    errata: &'a [WritableReadOnly],
}

impl<'a> Translator<'a> {
    pub(crate) fn new(
        doc: &'a Value,
        direction: Direction,
        ref_base: &'a str,
        errata: &'a [WritableReadOnly],
    ) -> Self {
        Translator {
            doc,
            direction,
            ref_base,
            errata,
        }
    }

    /// Translates the schema object `schema`. `open` leaves the object open to
    /// properties evaluated elsewhere (an `allOf` member); `component` names the
    /// component schema `schema` is the top of, for the errata.
    pub(crate) fn schema(&self, schema: &Value, open: bool, component: Option<&str>) -> Value {
        let Some(obj) = schema.as_object() else {
            // Booleans (not valid in OpenAPI 3.0, valid JSON Schema) pass through.
            return schema.clone();
        };
        let nullable = obj.get("nullable").and_then(Value::as_bool) == Some(true);
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let translated = json!({ "$ref": self.reference(reference, open) });
            return if nullable {
                json!({ "anyOf": [{ "type": "null" }, translated] })
            } else {
                translated
            };
        }

        let mut out = Map::new();
        let has_properties = obj.contains_key("properties");
        let has_additional = obj.contains_key("additionalProperties");
        let has_composition =
            obj.contains_key("allOf") || obj.contains_key("anyOf") || obj.contains_key("oneOf");
        let members_open = open || has_properties;
        let mut hidden: HashSet<&str> = HashSet::new();

        for (key, value) in obj {
            match key.as_str() {
                "nullable" | "discriminator" | "xml" | "externalDocs" | "example"
                | "description" => {}
                k if k.starts_with("x-") => {}
                "properties" => {
                    let mut props = Map::new();
                    if let Some(map) = value.as_object() {
                        for (name, prop) in map {
                            let translated = match self.direction {
                                Direction::Request if self.is_read_only(prop, component, name) => {
                                    hidden.insert(name.as_str());
                                    Value::Bool(false)
                                }
                                Direction::Response if self.is_write_only(prop) => {
                                    hidden.insert(name.as_str());
                                    self.schema(prop, false, None)
                                }
                                _ => self.schema(prop, false, None),
                            };
                            props.insert(name.clone(), translated);
                        }
                    }
                    out.insert(key.clone(), Value::Object(props));
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.schema(value, false, None));
                }
                "additionalProperties" => {
                    let translated = if value.is_object() {
                        self.schema(value, false, None)
                    } else {
                        value.clone()
                    };
                    out.insert(key.clone(), translated);
                }
                "allOf" => {
                    out.insert(key.clone(), self.list(value, true));
                }
                "anyOf" | "oneOf" => {
                    out.insert(key.clone(), self.list(value, members_open));
                }
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    // Boolean in OpenAPI 3.0; the bound comes from minimum/maximum.
                    if !value.is_boolean() {
                        out.insert(key.clone(), value.clone());
                    }
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }

        for (flag, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if obj.get(flag).and_then(Value::as_bool) == Some(true)
                && let Some(limit) = out.remove(bound)
            {
                out.insert(flag.to_owned(), limit);
            }
        }

        if !hidden.is_empty()
            && let Some(Value::Array(required)) = out.get_mut("required")
        {
            required.retain(|name| name.as_str().is_none_or(|n| !hidden.contains(n)));
            if required.is_empty() {
                out.remove("required");
            }
        }

        let is_object_type = obj.get("type").and_then(Value::as_str) == Some("object");
        if is_object_type && !has_properties && !has_additional && !has_composition {
            // A free-form object: everything it holds counts as evaluated.
            out.insert("additionalProperties".to_owned(), Value::Bool(true));
        } else if self.direction == Direction::Request
            && !open
            && !has_additional
            && (has_properties || obj.contains_key("allOf"))
        {
            out.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
        }

        if nullable {
            make_nullable(out)
        } else {
            Value::Object(out)
        }
    }

    fn list(&self, value: &Value, open: bool) -> Value {
        match value.as_array() {
            Some(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.schema(item, open, None))
                    .collect(),
            ),
            None => value.clone(),
        }
    }

    fn reference(&self, reference: &str, open: bool) -> String {
        match reference.strip_prefix(COMPONENT_PREFIX) {
            Some(name) if open && self.direction == Direction::Request => {
                format!("{}{OPEN_PREFIX}{name}", self.ref_base)
            }
            _ if reference.starts_with('#') => format!("{}{reference}", self.ref_base),
            _ => reference.to_owned(),
        }
    }

    /// Whether the property schema `prop` (of component `component`) is read-only:
    /// marked itself, or a `$ref` to a component marked read-only.
    fn is_read_only(&self, prop: &Value, component: Option<&str>, name: &str) -> bool {
        if let Some(component) = component
            && self
                .errata
                .iter()
                .any(|e| e.component == component && e.property == name)
        {
            return false;
        }
        flag_set(self.doc, prop, "readOnly")
    }

    fn is_write_only(&self, prop: &Value) -> bool {
        flag_set(self.doc, prop, "writeOnly")
    }
}

/// Whether `schema` carries `flag: true`, directly or on the component it references.
fn flag_set(doc: &Value, schema: &Value, flag: &str) -> bool {
    if schema.get(flag).and_then(Value::as_bool) == Some(true) {
        return true;
    }
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve_pointer(doc, r))
        .and_then(|target| target.get(flag))
        .and_then(Value::as_bool)
        == Some(true)
}

/// Makes a translated schema accept `null` as well.
fn make_nullable(mut out: Map<String, Value>) -> Value {
    let composite = ["allOf", "anyOf", "oneOf", "$ref", "not"]
        .iter()
        .any(|k| out.contains_key(*k));
    if composite {
        return json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] });
    }
    if let Some(Value::String(t)) = out.get("type") {
        let t = t.clone();
        out.insert("type".to_owned(), json!([t, "null"]));
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

/// Resolves a local reference (`#/a/b`) in `doc`.
pub(crate) fn resolve_pointer<'v>(doc: &'v Value, reference: &str) -> Option<&'v Value> {
    let pointer = reference.strip_prefix('#')?;
    // References are URI fragments: percent-decode before using them as pointers.
    let decoded = percent_decode(pointer);
    doc.pointer(&decoded)
}

/// Follows `$ref`s from `schema` until a schema without one (at most 32 hops).
pub(crate) fn deref<'v>(doc: &'v Value, mut schema: &'v Value) -> &'v Value {
    for _ in 0..32 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve_pointer(doc, r))
        {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// Escapes a name for use as one JSON pointer segment.
pub(crate) fn pointer_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds the registered request or response document: every component schema,
/// translated, and for requests also its open variant.
pub(crate) fn components_document(
    doc: &Value,
    direction: Direction,
    errata: &[WritableReadOnly],
) -> Value {
    let translator = Translator::new(doc, direction, "", errata);
    let mut closed = Map::new();
    let mut open = Map::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            closed.insert(name.clone(), translator.schema(schema, false, Some(name)));
            if direction == Direction::Request {
                open.insert(name.clone(), translator.schema(schema, true, Some(name)));
            }
        }
    }
    let mut components = Map::new();
    components.insert("schemas".to_owned(), Value::Object(closed));
    if direction == Direction::Request {
        components.insert("x-open".to_owned(), Value::Object(open));
    }
    json!({ "components": Value::Object(components) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(schema: Value) -> Value {
        let doc = json!({});
        Translator::new(&doc, Direction::Request, "", &[]).schema(&schema, false, None)
    }

    #[test]
    fn nullable_type_and_enum() {
        let out = request(json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(
            out,
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn nullable_ref_becomes_any_of() {
        let out = request(json!({"$ref": "#/components/schemas/X", "nullable": true}));
        assert_eq!(
            out,
            json!({"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/X"}]})
        );
    }

    #[test]
    fn closed_objects_and_open_all_of_members() {
        let out = request(json!({
            "allOf": [{"$ref": "#/components/schemas/X"}],
            "properties": {"a": {"type": "object", "properties": {}}}
        }));
        assert_eq!(
            out,
            json!({
                "allOf": [{"$ref": "#/components/x-open/X"}],
                "properties": {"a": {"type": "object", "properties": {}, "unevaluatedProperties": false}},
                "unevaluatedProperties": false
            })
        );
    }

    #[test]
    fn read_only_dropped_from_required_and_forbidden() {
        let out = request(json!({
            "type": "object",
            "properties": {"id": {"type": "string", "readOnly": true}, "n": {"type": "string"}},
            "required": ["id", "n"]
        }));
        assert_eq!(out["properties"]["id"], Value::Bool(false));
        assert_eq!(out["required"], json!(["n"]));
    }

    #[test]
    fn exclusive_bounds() {
        let out = request(json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true}));
        assert_eq!(out, json!({"type": "integer", "exclusiveMinimum": 1}));
    }

    #[test]
    fn free_form_object() {
        let out = request(json!({"type": "object"}));
        assert_eq!(out, json!({"type": "object", "additionalProperties": true}));
    }

    #[test]
    fn pointer_decoding() {
        let doc = json!({"a b": {"c/d": 1}});
        assert_eq!(resolve_pointer(&doc, "#/a%20b/c~1d"), Some(&json!(1)));
    }
}
