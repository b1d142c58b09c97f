//! Bracket-notation decoding (`a[b][0][c]=1`) and schema-guided coercion of the
//! decoded strings, for `application/x-www-form-urlencoded` bodies and
//! `deepObject` query parameters.

use serde_json::{Map, Number, Value};

use crate::translate::deref;

/// One decoded key: a value, or a group of sub-keys.
enum Node {
    Leaf(String),
    Branch(Branch),
}

/// Sub-keys in the order first seen; `[]` entries are kept apart.
#[derive(Default)]
struct Branch {
    keyed: Vec<(String, Node)>,
    appended: Vec<Node>,
}

impl Branch {
    /// Inserts `value` under the key path `segments` (an empty segment is `[]`).
    fn insert(&mut self, segments: &[String], value: String) -> Result<(), String> {
        let Some((first, rest)) = segments.split_first() else {
            return Err("empty key".to_owned());
        };
        if first.is_empty() {
            if rest.is_empty() {
                self.appended.push(Node::Leaf(value));
            } else {
                let mut branch = Branch::default();
                branch.insert(rest, value)?;
                self.appended.push(Node::Branch(branch));
            }
            return Ok(());
        }
        let existing = self.keyed.iter_mut().find(|(k, _)| k == first);
        match (existing, rest.is_empty()) {
            (None, true) => self.keyed.push((first.clone(), Node::Leaf(value))),
            (None, false) => {
                let mut branch = Branch::default();
                branch.insert(rest, value)?;
                self.keyed.push((first.clone(), Node::Branch(branch)));
            }
            (Some((_, Node::Branch(branch))), false) => branch.insert(rest, value)?,
            (Some((_, Node::Leaf(_))), true) => {
                return Err(format!("`{first}` is given more than once"));
            }
            (Some(_), _) => {
                return Err(format!(
                    "`{first}` is given both as a value and with sub-keys"
                ));
            }
        }
        Ok(())
    }

    /// The JSON form: an array for `[]` entries or all-numeric keys, else an object.
    fn into_value(self, top_level: bool) -> Result<Value, String> {
        if self.keyed.is_empty() && !self.appended.is_empty() {
            return self
                .appended
                .into_iter()
                .map(Node::into_value)
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array);
        }
        if !self.appended.is_empty() {
            let keys: Vec<&str> = self.keyed.iter().map(|(k, _)| k.as_str()).collect();
            return Err(format!(
                "`[]` entries mixed with named keys ({})",
                keys.join(", ")
            ));
        }
        let numeric = !top_level
            && !self.keyed.is_empty()
            && self
                .keyed
                .iter()
                .all(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
        if numeric {
            let mut indexed = Vec::with_capacity(self.keyed.len());
            for (key, node) in self.keyed {
                let index: u64 = key
                    .parse()
                    .map_err(|_| format!("index `{key}` is too large"))?;
                indexed.push((index, node.into_value()?));
            }
            indexed.sort_by_key(|(index, _)| *index);
            return Ok(Value::Array(indexed.into_iter().map(|(_, v)| v).collect()));
        }
        let mut map = Map::new();
        for (key, node) in self.keyed {
            map.insert(key, node.into_value()?);
        }
        Ok(Value::Object(map))
    }
}

impl Node {
    fn into_value(self) -> Result<Value, String> {
        match self {
            Node::Leaf(text) => Ok(Value::String(text)),
            Node::Branch(branch) => branch.into_value(false),
        }
    }
}

/// Splits `name[a][][b]` into `["name", "a", "", "b"]`; a key whose brackets do not
/// pair up is one literal name.
pub(crate) fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_owned()];
    };
    let mut segments = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return vec![key.to_owned()];
        };
        let Some(close) = inner.find(']') else {
            return vec![key.to_owned()];
        };
        segments.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    segments
}

/// Decodes key/value pairs in bracket notation into one JSON object:
/// `a[b]=1` → `{"a":{"b":"1"}}`, `a[]=x&a[]=y` → `{"a":["x","y"]}`,
/// `a[0][b]=1` → `{"a":[{"b":"1"}]}`. Every leaf is a string.
pub(crate) fn decode_pairs<'p>(
    pairs: impl IntoIterator<Item = (&'p str, &'p str)>,
) -> Result<Value, Vec<String>> {
    let mut root = Branch::default();
    let mut problems = Vec::new();
    for (key, value) in pairs {
        let segments = split_key(key);
        if segments.first().is_some_and(String::is_empty) {
            problems.push(format!("key `{key}` has no name"));
            continue;
        }
        if let Err(problem) = root.insert(&segments, value.to_owned()) {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    root.into_value(true).map_err(|p| vec![p])
}

/// The property names declared for the value at `pointer` (segments below a
/// value of `schema`), through `properties`, `additionalProperties`, `items` and
/// compositions.
pub(crate) fn declared_properties<'v>(
    doc: &'v Value,
    schema: &'v Value,
    pointer: &[String],
) -> Vec<&'v str> {
    let mut current = Vec::new();
    collect_alternatives(doc, schema, &mut current, 0);
    for segment in pointer {
        let mut next = Vec::new();
        for alternative in &current {
            if let Some(property) = alternative.get("properties").and_then(|p| p.get(segment)) {
                collect_alternatives(doc, property, &mut next, 0);
            } else if let Some(extra) = alternative
                .get("additionalProperties")
                .filter(|a| a.is_object())
            {
                collect_alternatives(doc, extra, &mut next, 0);
            }
            if let Some(items) = alternative.get("items")
                && segment.bytes().all(|b| b.is_ascii_digit())
            {
                collect_alternatives(doc, items, &mut next, 0);
            }
        }
        current = next;
    }
    current
        .iter()
        .filter_map(|a| a.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().map(String::as_str))
        .collect()
}

/// Converts string leaves of `value` to the integer, number or boolean that
/// `schema` (an OpenAPI schema of `doc`) calls for, where the schema does not
/// accept the string as it is. Objects and arrays are walked along
/// `properties`, `additionalProperties` and `items`, through `$ref`, `allOf`,
/// `anyOf` and `oneOf`.
pub(crate) fn coerce(doc: &Value, value: Value, schema: &Value) -> Value {
    let mut alternatives = Vec::new();
    collect_alternatives(doc, schema, &mut alternatives, 0);
    coerce_with(doc, value, &alternatives)
}

/// Pushes `schema` and, through `$ref`, `allOf`, `anyOf` and `oneOf`, every schema
/// a value of it may have to satisfy.
pub(crate) fn collect_alternatives<'v>(
    doc: &'v Value,
    schema: &'v Value,
    out: &mut Vec<&'v Value>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let schema = deref(doc, schema);
    out.push(schema);
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            for member in members {
                collect_alternatives(doc, member, out, depth + 1);
            }
        }
    }
}

fn type_of(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

fn is_composition(schema: &Value) -> bool {
    ["allOf", "anyOf", "oneOf"]
        .iter()
        .any(|k| schema.get(*k).is_some())
}

fn coerce_with(doc: &Value, value: Value, alternatives: &[&Value]) -> Value {
    if alternatives.is_empty() {
        return value;
    }
    match value {
        Value::String(text) => coerce_string(text, alternatives),
        Value::Object(map) => coerce_object(doc, map, alternatives),
        Value::Array(items) => {
            let accepts_array = alternatives
                .iter()
                .any(|a| type_of(a) == Some("array") || a.get("items").is_some());
            let accepts_object = alternatives
                .iter()
                .any(|a| type_of(a) == Some("object") || a.get("properties").is_some());
            if !accepts_array && accepts_object {
                // `a[0]=x` where the schema has an object: the indices are keys.
                let map = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect();
                return coerce_object(doc, map, alternatives);
            }
            let mut item_schemas = Vec::new();
            for alternative in alternatives {
                if let Some(items_schema) = alternative.get("items") {
                    collect_alternatives(doc, items_schema, &mut item_schemas, 0);
                }
            }
            Value::Array(
                items
                    .into_iter()
                    .map(|item| coerce_with(doc, item, &item_schemas))
                    .collect(),
            )
        }
        other => other,
    }
}

fn coerce_object(doc: &Value, map: Map<String, Value>, alternatives: &[&Value]) -> Value {
    let mut out = Map::new();
    for (key, item) in map {
        let mut schemas = Vec::new();
        for alternative in alternatives {
            if let Some(property) = alternative.get("properties").and_then(|p| p.get(&key)) {
                collect_alternatives(doc, property, &mut schemas, 0);
            } else if let Some(extra) = alternative
                .get("additionalProperties")
                .filter(|a| a.is_object())
            {
                collect_alternatives(doc, extra, &mut schemas, 0);
            }
        }
        let coerced = coerce_with(doc, item, &schemas);
        out.insert(key, coerced);
    }
    Value::Object(out)
}

fn coerce_string(text: String, alternatives: &[&Value]) -> Value {
    let accepted_as_string = alternatives.iter().any(|a| {
        let string_ok = match type_of(a) {
            Some(t) => t == "string",
            None => !is_composition(a) && a.get("properties").is_none() && a.get("items").is_none(),
        };
        string_ok
            && a.get("enum")
                .and_then(Value::as_array)
                .is_none_or(|values| values.iter().any(|v| v.as_str() == Some(&text)))
    });
    if accepted_as_string {
        return Value::String(text);
    }
    let wants = |t: &str| alternatives.iter().any(|a| type_of(a) == Some(t));
    if wants("integer") {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Number(n.into());
        }
        if let Ok(n) = text.parse::<u64>() {
            return Value::Number(n.into());
        }
    }
    if wants("number")
        && let Ok(n) = text.parse::<f64>()
        && let Some(number) = text
            .parse::<i64>()
            .ok()
            .map(Number::from)
            .or_else(|| Number::from_f64(n))
    {
        return Value::Number(number);
    }
    if wants("boolean") {
        match text.as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode(body: &str) -> Result<Value, Vec<String>> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        decode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    #[test]
    fn brackets() {
        assert_eq!(decode("a[b]=1"), Ok(json!({"a": {"b": "1"}})));
        assert_eq!(decode("a[]=x&a[]=y"), Ok(json!({"a": ["x", "y"]})));
        assert_eq!(decode("a[0][b]=1"), Ok(json!({"a": [{"b": "1"}]})));
        assert_eq!(
            decode("a[1][b]=2&a[0][b]=1&a[0][c]=3"),
            Ok(json!({"a": [{"b": "1", "c": "3"}, {"b": "2"}]}))
        );
        assert_eq!(
            decode("metadata%5Btenant_id%5D=t1&email=a%40b.c"),
            Ok(json!({"metadata": {"tenant_id": "t1"}, "email": "a@b.c"}))
        );
        assert!(decode("a=1&a=2").is_err());
        assert!(decode("a=1&a[b]=2").is_err());
        assert_eq!(decode("a[b=1"), Ok(json!({"a[b": "1"})));
    }

    #[test]
    fn coercion_follows_schema() {
        let doc = json!({});
        let schema = json!({
            "properties": {
                "n": {"type": "integer"},
                "f": {"type": "number"},
                "b": {"type": "boolean"},
                "s": {"type": "string"},
                "u": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": [""]}]},
                "v": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": [""]}]},
                "l": {"type": "array", "items": {"type": "integer"}}
            }
        });
        let value = json!({"n": "5", "f": "1.5", "b": "true", "s": "7", "u": "", "v": "3", "l": ["1", "x"]});
        assert_eq!(
            coerce(&doc, value, &schema),
            json!({"n": 5, "f": 1.5, "b": true, "s": "7", "u": "", "v": 3, "l": [1, "x"]})
        );
    }
}
