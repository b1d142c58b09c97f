//! Error mapping: every failure reaches JavaScript as an `Error` whose `code` is
//! the core's stable code (`DEZKY_INVALID_FLAG`, ...), never napi's generic
//! `GenericFailure`/`InvalidArg`.
//!
//! The JS object is built here, with `name = "DezkyError"`, the stable `code`
//! and the structured details of the variant (`flag`, `field`, `key`, `line`,
//! `column`, `argument`), then handed to napi as a reference so that napi throws
//! (or rejects with) exactly that object. The hand-written `DezkyError` class
//! of the JS layer recognises these objects by their code (`instanceof` works).

use dezky_flags::Error as CoreError;
use napi::bindgen_prelude::{JsObjectValue, JsValue, Object};
use napi::{Env, Status};

/// Converts a core error into the napi error that throws the matching JS error.
pub(crate) fn to_js(env: &Env, error: &CoreError) -> napi::Error {
    build(env, error).unwrap_or_else(|e| e)
}

/// An `InvalidArgument` error for a JS argument of the wrong type or shape.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidArgument {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

fn build(env: &Env, error: &CoreError) -> napi::Result<napi::Error> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("name", "DezkyError")?;
    object.set_named_property("code", error.code())?;
    set_details(&mut object, error)?;
    Ok(napi::Error::from(object.to_unknown()))
}

fn set_details(object: &mut Object<'_>, error: &CoreError) -> napi::Result<()> {
    match error {
        CoreError::MalformedJson { line, column, .. } => {
            object.set_named_property("line", *line as u32)?;
            object.set_named_property("column", *column as u32)?;
        }
        CoreError::InvalidFlag { flag, field, .. } => {
            object.set_named_property("flag", flag.as_str())?;
            object.set_named_property("field", field.as_str())?;
        }
        CoreError::DuplicateKey { key } | CoreError::FlagNotFound { key } => {
            object.set_named_property("flag", key.as_str())?;
        }
        CoreError::InvalidContext { field, .. } => {
            object.set_named_property("field", field.as_str())?;
        }
        CoreError::InvalidArgument { name, .. } => {
            object.set_named_property("argument", name.as_str())?;
        }
        CoreError::Source { source_name, .. } => {
            object.set_named_property("source", source_name.as_str())?;
        }
        // `dezky_flags::Error` is non-exhaustive: a new variant still gets its code and message.
        _ => {}
    }
    Ok(())
}

/// `Result::map_err` into a JS error, for results of the core.
pub(crate) trait IntoJs<T> {
    /// Maps the core error to the JS error.
    fn js(self, env: &Env) -> napi::Result<T>;
}

impl<T> IntoJs<T> for Result<T, CoreError> {
    fn js(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| to_js(env, &e))
    }
}
