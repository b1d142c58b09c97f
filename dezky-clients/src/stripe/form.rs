//! Stripe's form encoding: `application/x-www-form-urlencoded` pairs with
//! brackets for nesting, as the API's `deepObject` parameters expect.
//!
//! - objects: `metadata[tenant_id]=t1`, `invoice_settings[default_payment_method]=pm_1`;
//! - arrays of scalars: `expand[]=invoice_settings.default_payment_method`;
//! - arrays of objects (or of arrays): indexed, `items[0][price]=price_1`;
//! - `null` (an unset `Option`) sends nothing; booleans are `true`/`false`.
//!
//! Params are typed structs serialized with serde; [`encode`] flattens them.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Flattens `params` (a struct or map) into Stripe's bracketed name/value pairs,
/// in field order. Anything but an object at the top is refused.
pub fn encode(params: &impl Serialize) -> Result<Vec<(String, String)>> {
    let value =
        serde_json::to_value(params).map_err(|e| Error::invalid("params", e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(Error::invalid(
            "params",
            "form parameters must be a struct or a map",
        ));
    };
    let mut pairs = Vec::new();
    for (name, value) in map {
        flatten(name, value, &mut pairs)?;
    }
    Ok(pairs)
}

fn flatten(name: String, value: Value, pairs: &mut Vec<(String, String)>) -> Result<()> {
    match value {
        Value::Null => {}
        Value::Bool(b) => pairs.push((name, b.to_string())),
        Value::Number(n) => pairs.push((name, n.to_string())),
        Value::String(s) => pairs.push((name, s)),
        Value::Object(map) => {
            for (key, inner) in map {
                if key.contains(['[', ']']) {
                    return Err(Error::invalid(
                        name,
                        format!("key {key:?} contains a bracket"),
                    ));
                }
                flatten(format!("{name}[{key}]"), inner, pairs)?;
            }
        }
        Value::Array(items) => {
            let scalars = items
                .iter()
                .all(|v| !matches!(v, Value::Object(_) | Value::Array(_)));
            for (index, item) in items.into_iter().enumerate() {
                let key = if scalars {
                    format!("{name}[]")
                } else {
                    format!("{name}[{index}]")
                };
                flatten(key, item, pairs)?;
            }
        }
    }
    Ok(())
}

/// The pairs as one `application/x-www-form-urlencoded` string.
pub fn to_string(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Item {
        price: &'static str,
        quantity: u32,
    }

    #[derive(Serialize)]
    struct Params {
        email: Option<&'static str>,
        name: Option<&'static str>,
        metadata: BTreeMap<&'static str, &'static str>,
        expand: Vec<&'static str>,
        items: Vec<Item>,
        automatic: Auto,
    }

    #[derive(Serialize)]
    struct Auto {
        enabled: bool,
        nested: BTreeMap<&'static str, Vec<&'static str>>,
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn nesting_uses_brackets() {
        let params = Params {
            email: Some("a+b@acme.example"),
            name: None,
            metadata: BTreeMap::from([("tenant_id", "t 1"), ("tenant_slug", "acme")]),
            expand: vec!["invoice_settings.default_payment_method", "x"],
            items: vec![
                Item {
                    price: "price_1",
                    quantity: 2,
                },
                Item {
                    price: "price_2",
                    quantity: 1,
                },
            ],
            automatic: Auto {
                enabled: true,
                nested: BTreeMap::from([("a", vec!["b"])]),
            },
        };
        let encoded = encode(&params).expect("encodes");
        assert_eq!(
            encoded,
            pairs(&[
                ("email", "a+b@acme.example"),
                ("metadata[tenant_id]", "t 1"),
                ("metadata[tenant_slug]", "acme"),
                ("expand[]", "invoice_settings.default_payment_method"),
                ("expand[]", "x"),
                ("items[0][price]", "price_1"),
                ("items[0][quantity]", "2"),
                ("items[1][price]", "price_2"),
                ("items[1][quantity]", "1"),
                ("automatic[enabled]", "true"),
                ("automatic[nested][a][]", "b"),
            ])
        );
        assert_eq!(
            to_string(&encoded[..2]),
            "email=a%2Bb%40acme.example&metadata%5Btenant_id%5D=t+1"
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            encode(&"just a string"),
            Err(Error::InvalidInput { .. })
        ));
        let bad = BTreeMap::from([("metadata", BTreeMap::from([("a[b]", "x")]))]);
        assert!(matches!(encode(&bad), Err(Error::InvalidInput { .. })));
        let empty: BTreeMap<&str, Vec<&str>> = BTreeMap::from([("expand", vec![])]);
        assert_eq!(encode(&empty).expect("encodes"), Vec::new());
    }
}
