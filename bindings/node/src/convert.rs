//! Reading JavaScript arguments. Arguments arrive as `Unknown` and are checked
//! here, so that a wrong type or a missing argument becomes a `DezkyError`
//! naming the argument rather than napi's generic `InvalidArg`.

use std::ffi::CStr;

use dezky_flags::{Error as CoreError, EvaluationContext};
use napi::bindgen_prelude::{
    ClassInstance, Either, FromNapiValue, JsObjectValue, JsValue, Object, Unknown,
};
use napi::{Env, ValueType};
use serde_json::{Map, Value};

use crate::error::invalid_argument;

type Result<T> = std::result::Result<T, CoreError>;

/// The JS type name used in messages (`number`, `array`, `null`, ...).
fn js_type(value: &Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) => "object",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        _ => "an unsupported value",
    }
}

/// Whether the argument was left out (`undefined`).
pub(crate) fn is_missing(value: &Unknown<'_>) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined))
}

/// A required string argument.
pub(crate) fn string(value: &Unknown<'_>, name: &str) -> Result<String> {
    match value.get_type() {
        Ok(ValueType::String) => value
            .coerce_to_string()
            .and_then(|s| s.into_utf8())
            .and_then(|s| s.into_owned())
            .map_err(|e| invalid_argument(name, e.reason)),
        Ok(ValueType::Undefined) => Err(invalid_argument(name, "is required")),
        _ => Err(invalid_argument(
            name,
            format!("must be a string, got {}", js_type(value)),
        )),
    }
}

/// Any JSON-compatible JS value, as `serde_json::Value` (`undefined` properties read as `null`).
pub(crate) fn json(env: &Env, value: &Unknown<'_>, name: &str) -> Result<Value> {
    env.from_js_value::<Value, _>(*value)
        .map_err(|e| invalid_argument(name, format!("is not JSON-compatible: {}", e.reason)))
}

/// An evaluation context, given as a plain object with the control plane's names.
pub(crate) fn context(env: &Env, value: &Unknown<'_>) -> Result<EvaluationContext> {
    match value.get_type() {
        Ok(ValueType::Object) if !value.is_array().unwrap_or(false) => {}
        Ok(ValueType::Undefined) => {
            return Err(CoreError::InvalidContext {
                field: String::new(),
                reason: "is required (pass {} for an empty context)".into(),
            });
        }
        _ => {
            return Err(CoreError::InvalidContext {
                field: String::new(),
                reason: format!("must be an object, got {}", js_type(value)),
            });
        }
    }
    let json = match context_fields(value) {
        Some(map) => Value::Object(map),
        // An unknown field, or a value that is not a string, null or undefined:
        // convert the whole object generically, so that the core names the
        // field and the type.
        None => env
            .from_js_value::<Value, _>(*value)
            .map_err(|e| CoreError::InvalidContext {
                field: String::new(),
                reason: format!("is not JSON-compatible: {}", e.reason),
            })?,
    };
    EvaluationContext::from_value(&json)
}

/// The context fields, read by these static names: no property name is
/// enumerated, copied or allocated on the hot path. The fields most contexts
/// carry come first, so that the reading can stop once every property is found.
const CONTEXT_FIELDS: [(&str, &CStr); 6] = [
    ("tenantId", c"tenantId"),
    ("tenantSlug", c"tenantSlug"),
    ("plan", c"plan"),
    ("environment", c"environment"),
    ("partnerSlug", c"partnerSlug"),
    ("userId", c"userId"),
];

/// The hot path of every evaluation: reads the known fields of a context object
/// by name, each string with a single copy, into the JSON map the core checks.
///
/// `None` when the object may hold anything else: a value that is not a
/// string, `null` or `undefined`, or more enumerable properties than known
/// fields found (an unknown field). The caller then converts the whole object
/// generically and the core reports the field. Unknown fields are detected by
/// counting, so names are only enumerated (by the generic conversion) for a
/// context that is about to be rejected.
fn context_fields(value: &Unknown<'_>) -> Option<Map<String, Value>> {
    let object = Object::from_unknown(*value).ok()?;
    let keys = object
        .get_property_names()
        .ok()?
        .get_array_length_unchecked()
        .ok()? as usize;
    let mut map = Map::new();
    // Fields read as `undefined`: absent, or present with the value `undefined`.
    let mut undefined = [false; CONTEXT_FIELDS.len()];
    for (i, (name, c_name)) in CONTEXT_FIELDS.iter().enumerate() {
        if map.len() == keys {
            // Every property is accounted for: the other fields are absent.
            return Some(map);
        }
        let field: Unknown<'_> = object.get_c_named_property_unchecked(c_name).ok()?;
        let field = match field.get_type().ok()? {
            ValueType::String => Value::String(String::from_unknown(field).ok()?),
            ValueType::Null => Value::Null,
            ValueType::Undefined => {
                undefined[i] = true;
                continue;
            }
            _ => return None,
        };
        map.insert((*name).to_owned(), field);
    }
    if keys != map.len() {
        // Known fields set to `undefined` are properties too (`{partnerSlug: undefined}`):
        // any property beyond those is an unknown field.
        let declared = CONTEXT_FIELDS
            .iter()
            .zip(undefined)
            .filter(|&((_, c_name), undefined)| {
                undefined && object.has_c_named_property(c_name).unwrap_or(false)
            })
            .count();
        if keys != map.len() + declared {
            return None;
        }
    }
    Some(map)
}

/// A list of evaluation contexts; errors name the position (`[4].plan`).
pub(crate) fn contexts(
    env: &Env,
    value: &Unknown<'_>,
    name: &str,
) -> Result<Vec<EvaluationContext>> {
    if !value.is_array().unwrap_or(false) {
        return Err(invalid_argument(
            name,
            format!("must be an array of contexts, got {}", js_type(value)),
        ));
    }
    EvaluationContext::list_from_value(&json(env, value, name)?)
}

/// A flag set given as a `FlagSet`, a JSON array of flag documents, or its JSON text.
pub(crate) fn flag_set(
    env: &Env,
    value: Either<ClassInstance<'_, crate::flags::FlagSet>, Unknown<'_>>,
    name: &str,
) -> Result<dezky_flags::FlagSet> {
    match value {
        Either::A(set) => Ok(set.inner.clone()),
        Either::B(value) => match value.get_type() {
            Ok(ValueType::String) => dezky_flags::FlagSet::from_json(&string(&value, name)?),
            Ok(ValueType::Object) if value.is_array().unwrap_or(false) => {
                dezky_flags::FlagSet::from_value(json(env, &value, name)?)
            }
            Ok(ValueType::Undefined) => Err(invalid_argument(name, "is required")),
            _ => Err(invalid_argument(
                name,
                format!(
                    "must be a FlagSet, an array of flag documents or JSON text, got {}",
                    js_type(&value)
                ),
            )),
        },
    }
}

/// One flag document, given as an object or its JSON text.
pub(crate) fn flag(env: &Env, value: &Unknown<'_>, name: &str) -> Result<dezky_flags::Flag> {
    match value.get_type() {
        Ok(ValueType::String) => dezky_flags::Flag::from_json(&string(value, name)?),
        Ok(ValueType::Object) if !value.is_array().unwrap_or(false) => {
            dezky_flags::Flag::from_value(json(env, value, name)?)
        }
        Ok(ValueType::Undefined) => Err(invalid_argument(name, "is required")),
        _ => Err(invalid_argument(
            name,
            format!(
                "must be a flag document or its JSON text, got {}",
                js_type(value)
            ),
        )),
    }
}
