//! Error mapping: every failure reaches JavaScript as an `Error` whose `code` is
//! the core's stable code (`DEZKY_INVALID_FLAG`, ...), never napi's generic
//! `GenericFailure`/`InvalidArg`.
//!
//! One generic conversion serves every error: the JS object gets
//! `name = "DezkyError"`, the stable `code`, the message, and one property per
//! detail of the core's [`ErrorContract`], named in camelCase (`upstream_code`
//! becomes `upstreamCode`; an absent detail leaves its property unset). It is
//! handed to napi as a reference, so that napi throws (or rejects with) exactly
//! that object. The hand-written `DezkyError` class of the JS layer recognises
//! these objects by their code (`instanceof` works). `docs/errors.md` lists
//! every code and its properties.

use dezky_flags::Error as CoreError;
use dezky_flags::contract::{Detail, ErrorContract};
use napi::bindgen_prelude::{Array, JsObjectValue, JsValue, Object};
use napi::{Env, Status};
use napi_derive::napi;

/// An error that crosses into JavaScript: its stable code, its message and the
/// properties set on the JS error. Every [`ErrorContract`] error is one; a
/// wrapper that adds facts of its own implements it by hand.
pub(crate) trait SdkError: std::fmt::Display {
    /// The stable code, shared by every language binding.
    fn code(&self) -> &'static str;
    /// Sets the error's details on the JS error.
    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()>;
}

impl<E: ErrorContract> SdkError for E {
    fn code(&self) -> &'static str {
        ErrorContract::code(self)
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        for (name, value) in ErrorContract::details(self) {
            set_detail(object, &camel_case(name), value)?;
        }
        Ok(())
    }
}

/// `upstream_code` → `upstreamCode`: the contract's names in JavaScript's case.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn set_detail(object: &mut Object<'_>, name: &str, value: Detail) -> napi::Result<()> {
    let env = Env::from_raw(object.value().env);
    match value {
        Detail::Absent => {}
        Detail::Text { value } => object.set_named_property(name, value)?,
        Detail::Integer { value } => object.set_named_property(name, value)?,
        Detail::TextList { values } => object.set_named_property(name, values)?,
        Detail::TextMap { entries } => {
            let mut map = Object::new(&env)?;
            for (key, value) in entries {
                map.set_named_property(&key, value)?;
            }
            object.set_named_property(name, map)?;
        }
        Detail::TextListMap { entries } => {
            let mut map = Object::new(&env)?;
            for (key, values) in entries {
                map.set_named_property(&key, values)?;
            }
            object.set_named_property(name, map)?;
        }
    }
    Ok(())
}

/// Converts an SDK error into the napi error that throws the matching JS error.
pub(crate) fn to_js(env: &Env, error: &impl SdkError) -> napi::Error {
    js_error(env, error).map_or_else(|e| e, |object| napi::Error::from(object.to_unknown()))
}

/// An `InvalidArgument` error for a JS argument of the wrong type or shape.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidArgument {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// The JS error object for an SDK error.
fn js_error<'e>(env: &'e Env, error: &(impl SdkError + ?Sized)) -> napi::Result<Object<'e>> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("name", "DezkyError")?;
    object.set_named_property("code", error.code())?;
    error.set_details(&mut object)?;
    Ok(object)
}

/// Every stable error code the SDK can throw (`DEZKY_INVALID_FLAG`, ...), each once.
#[napi]
pub fn error_codes() -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for code in CoreError::CODES
        .iter()
        .chain(dezky_core::Error::CODES)
        .chain(dezky_clients::Error::CODES)
    {
        if !codes.iter().any(|known| known == code) {
            codes.push((*code).to_owned());
        }
    }
    codes
}

/// One `DezkyError` of every code, with made-up details and no I/O behind them:
/// for testing code that handles the SDK's errors.
#[napi(ts_return_type = "Array<Error>")]
pub fn error_examples<'e>(env: &'e Env) -> napi::Result<Array<'e>> {
    let mut errors = Vec::new();
    for error in CoreError::examples() {
        errors.push(js_error(env, &error)?);
    }
    for error in dezky_core::Error::examples() {
        errors.push(js_error(env, &error)?);
    }
    for error in dezky_clients::Error::examples() {
        errors.push(js_error(env, &error)?);
    }
    let mut array = env.create_array(errors.len() as u32)?;
    for (i, error) in errors.into_iter().enumerate() {
        array.set(i as u32, error)?;
    }
    Ok(array)
}

/// `Result::map_err` into a JS error, for results of the SDK's crates.
pub(crate) trait IntoJs<T> {
    /// Maps the SDK error to the JS error.
    fn js(self, env: &Env) -> napi::Result<T>;
}

impl<T, E: SdkError> IntoJs<T> for Result<T, E> {
    fn js(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| to_js(env, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_names_in_camel_case() {
        assert_eq!(camel_case("upstream_code"), "upstreamCode");
        assert_eq!(camel_case("retry_after_ms"), "retryAfterMs");
        assert_eq!(camel_case("flag"), "flag");
    }
}
