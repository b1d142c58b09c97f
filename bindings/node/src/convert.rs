//! What napi's typed parameters and derived records do not cover: the
//! evaluation context (read by name on the hot path; unknown fields are
//! `DEZKY_INVALID_CONTEXT`), options objects whose unknown options are refused,
//! the three forms of a flag set or flag document, and the one generic
//! conversion of core records that napi cannot derive (`u64`/`usize` fields):
//! through serde, with their TypeScript form declared on the core record.

use std::ffi::CStr;

use dezky_flags::{Error as CoreError, EvaluationContext};
use napi::bindgen_prelude::{
    ClassInstance, Either3, FromNapiValue, JsObjectValue, JsValue, Object, ToNapiValue, TypeName,
    Unknown,
};
use napi::{Env, ValueType, sys};
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::error::invalid_argument;

type Result<T> = std::result::Result<T, CoreError>;

/// A core record that crosses into JavaScript through serde (`env.to_js_value`),
/// for records napi cannot derive. The function returning it declares the
/// TypeScript type (`ts_return_type`), which the core record declares.
/// Integers cross as numbers, exact up to 2^53 - 1 (napi's serde alone would
/// write a `u64` past `u32::MAX` as a BigInt); a larger one stays a BigInt,
/// so it is never rounded (bindings refuse it where a number is declared).
pub struct Serde<T>(pub T);

impl<T: Serialize> ToNapiValue for Serde<T> {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let json = serde_json::to_value(&value.0)
            .map_err(|e| napi::Error::from_reason(format!("cannot convert a record: {e}")))?;
        Ok(Env::from_raw(env).to_js_value(&safe_numbers(json))?.raw())
    }
}

/// 2^53 - 1, the largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `value` with its integers within a JS number's exact range as floats, which
/// napi writes as numbers.
fn safe_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_f64() => match n.as_f64().and_then(Number::from_f64) {
            Some(float) if float.as_f64().is_some_and(|f| f.abs() <= MAX_SAFE_INTEGER) => {
                Value::Number(float)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(safe_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, safe_numbers(value)))
                .collect(),
        ),
        other => other,
    }
}

impl<T> TypeName for Serde<T> {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// A flag set argument: a `FlagSet`, an array of flag documents, or their JSON text.
pub(crate) type FlagSetArg<'a> =
    Either3<ClassInstance<'a, crate::flags::FlagSet>, Vec<Value>, String>;

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

/// An options object read by name, so that the reader can refuse unknown
/// options: `None` for `undefined` or `null`.
pub(crate) fn options(
    env: &Env,
    value: &Unknown<'_>,
    name: &str,
) -> Result<Option<Map<String, Value>>> {
    if matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null)) {
        return Ok(None);
    }
    match env.from_js_value::<Value, _>(*value) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(invalid_argument(name, "must be an object")),
        Err(e) => Err(invalid_argument(
            name,
            format!("is not JSON-compatible: {}", e.reason),
        )),
    }
}

/// A flag set given as a `FlagSet`, an array of flag documents, or their JSON text.
pub(crate) fn flag_set(value: FlagSetArg<'_>) -> Result<dezky_flags::FlagSet> {
    match value {
        Either3::A(set) => Ok(set.inner.clone()),
        Either3::B(flags) => dezky_flags::FlagSet::from_value(Value::Array(flags)),
        Either3::C(text) => dezky_flags::FlagSet::from_json(&text),
    }
}

/// One flag document, given as an object or its JSON text.
pub(crate) fn flag(value: Value, name: &str) -> Result<dezky_flags::Flag> {
    match value {
        Value::String(text) => dezky_flags::Flag::from_json(&text),
        value @ Value::Object(_) => dezky_flags::Flag::from_value(value),
        other => {
            let got = match other {
                Value::Array(_) => "array",
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "null",
            };
            Err(invalid_argument(
                name,
                format!("must be a flag document or its JSON text, got {got}"),
            ))
        }
    }
}
