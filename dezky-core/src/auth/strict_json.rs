//! JSON parsing for token headers and payloads that refuses a member name given twice in one
//! object, at any depth.
//!
//! RFC 7515 section 4 and RFC 7519 section 4 let a verifier either refuse such input or take
//! the last member. Taking the last is what a plain JSON parser does, and it lets two parsers
//! that disagree on which member wins (a gateway and a service, say) read one token two
//! ways; refusing is the safe reading.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a document was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// An object names this member more than once.
    Duplicate(String),
    /// Not JSON (or nested deeper than serde_json's recursion limit).
    Syntax,
}

/// Parses `bytes` as one JSON value, refusing repeated member names.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, Refused> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|_| match duplicate.into_inner() {
        Some(name) => Refused::Duplicate(name),
        None => Refused::Syntax,
    })
}

/// Builds a [`Value`]; records the first repeated member name it meets.
#[derive(Clone, Copy)]
struct Strict<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                let message = format!("member {name:?} repeated");
                *self.duplicate.borrow_mut() = Some(name);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(self)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_serde_json_parses() {
        let text = r#"{"iss":"https://id.example/","aud":["a","b"],"exp":1.5e9,"n":-3,
                       "big":18446744073709551615,"nested":{"x":[{"y":null},true]},"s":"\u00e9"}"#;
        let strict = parse(text.as_bytes());
        let plain: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(strict, Ok(plain));
        assert_eq!(parse(b"[]"), Ok(json!([])));
        assert_eq!(parse(b" 7 "), Ok(json!(7)));
    }

    #[test]
    fn a_repeated_member_is_refused_at_any_depth() {
        for (text, name) in [
            (r#"{"iss":"a","iss":"b"}"#, "iss"),
            (r#"{"aud":"a","sub":"s","aud":"a"}"#, "aud"),
            (r#"{"alg":"RS256","alg":"none"}"#, "alg"),
            (r#"{"a":{"k":1,"k":2}}"#, "k"),
            (r#"{"a":[{"k":1},{"k":1,"k":1}]}"#, "k"),
            // Escapes decode to the same name.
            (r#"{"iss":"a","\u0069ss":"b"}"#, "iss"),
        ] {
            assert_eq!(
                parse(text.as_bytes()),
                Err(Refused::Duplicate(name.to_owned())),
                "{text}"
            );
        }
        // The same name in sibling objects is fine.
        assert!(parse(br#"{"a":{"k":1},"b":{"k":1}}"#).is_ok());
    }

    #[test]
    fn broken_json_is_a_syntax_error() {
        for text in [
            &b""[..],
            b"{",
            b"{\"a\":1}x",
            b"{\"a\":1,}",
            b"\xff",
            b"1e400",
        ] {
            assert_eq!(parse(text), Err(Refused::Syntax), "{text:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse(deep.as_bytes()), Err(Refused::Syntax));
    }
}
