//! Reading JavaScript arguments. Arguments arrive as `Unknown` and are checked
//! here, so that a wrong type or a missing argument becomes a `DezkyError`
//! naming the argument rather than napi's generic `InvalidArg`.

use dezky_flags::{Error as CoreError, EvaluationContext};
use napi::bindgen_prelude::{ClassInstance, Either, JsObjectValue, JsValue, Object, Unknown};
use napi::{Env, ValueType};
use serde_json::Value;

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
    if is_missing(value) {
        return Err(CoreError::InvalidContext {
            field: String::new(),
            reason: "is required (pass {} for an empty context)".into(),
        });
    }
    match value.get_type() {
        Ok(ValueType::Object) if !value.is_array().unwrap_or(false) => {}
        _ => {
            return Err(CoreError::InvalidContext {
                field: String::new(),
                reason: format!("must be an object, got {}", js_type(value)),
            });
        }
    }
    let json = match context_fields(value) {
        Some(map) => Value::Object(map),
        // A value that is not a string, null or undefined: let the generic
        // conversion describe it, so the core names the field and the type.
        None => env
            .from_js_value::<Value, _>(*value)
            .map_err(|e| CoreError::InvalidContext {
                field: String::new(),
                reason: format!("is not JSON-compatible: {}", e.reason),
            })?,
    };
    EvaluationContext::from_value(&json)
}

/// The hot path of every evaluation: reads a context object whose values are
/// all strings, `null` or `undefined` straight into a JSON map (a handful of
/// property reads, none of the generic serde machinery). `None` when some value
/// has another type; the caller then takes the generic path for the error.
fn context_fields(value: &Unknown<'_>) -> Option<serde_json::Map<String, Value>> {
    let object = value.coerce_to_object().ok()?;
    let names = Object::keys(&object).ok()?;
    let mut map = serde_json::Map::with_capacity(names.len());
    for name in names {
        let field: Unknown<'_> = object.get_named_property(&name).ok()?;
        let value = match field.get_type().ok()? {
            ValueType::String => Value::String(
                field
                    .coerce_to_string()
                    .ok()?
                    .into_utf8()
                    .ok()?
                    .into_owned()
                    .ok()?,
            ),
            ValueType::Null | ValueType::Undefined => Value::Null,
            _ => return None,
        };
        map.insert(name, value);
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
