//! Error mapping: every failure reaches JavaScript as an `Error` whose `code` is
//! the core's stable code (`DEZKY_INVALID_FLAG`, ...), never napi's generic
//! `GenericFailure`/`InvalidArg`.
//!
//! The JS object is built here, with `name = "DezkyError"`, the stable `code`
//! and the structured details of the variant (`flag`, `field`, `key`, `line`,
//! `column`, `argument`, `status`), then handed to napi as a reference so that
//! napi throws (or rejects with) exactly that object. The hand-written
//! `DezkyError` class of the JS layer recognises these objects by their code
//! (`instanceof` works).
//!
//! Three crates' errors cross the boundary: `dezky_flags::Error` (flags and the
//! store), `dezky_core::Error` (tenant records) and `dezky_clients::Error`
//! (the HTTP source's configuration). Each brings its own stable codes.

use dezky_flags::Error as CoreError;
use napi::bindgen_prelude::{JsObjectValue, JsValue, Object};
use napi::{Env, Status};

/// An error of one of the SDK's crates: its stable code, its message and the
/// structured details set on the JS error.
pub(crate) trait SdkError: std::fmt::Display {
    /// The stable code, shared by every language binding.
    fn code(&self) -> &'static str;
    /// Sets the variant's details (`flag`, `field`, ...) on the JS error.
    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()>;
}

/// Converts an SDK error into the napi error that throws the matching JS error.
pub(crate) fn to_js(env: &Env, error: &impl SdkError) -> napi::Error {
    build(env, error).unwrap_or_else(|e| e)
}

/// An `InvalidArgument` error for a JS argument of the wrong type or shape.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidArgument {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

fn build(env: &Env, error: &impl SdkError) -> napi::Result<napi::Error> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("name", "DezkyError")?;
    object.set_named_property("code", error.code())?;
    error.set_details(&mut object)?;
    Ok(napi::Error::from(object.to_unknown()))
}

impl SdkError for CoreError {
    fn code(&self) -> &'static str {
        CoreError::code(self)
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        match self {
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
}

impl SdkError for dezky_core::Error {
    fn code(&self) -> &'static str {
        dezky_core::Error::code(self)
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        match self {
            dezky_core::Error::Invalid { field, .. } => {
                // `field` is a path (`tenant.slug`); `argument` the argument it is in.
                let argument = field.split(['.', '[']).next().unwrap_or(field);
                object.set_named_property("argument", argument)?;
                object.set_named_property("field", field.as_str())?;
            }
            dezky_core::Error::ZoneParse { line, .. } => {
                object.set_named_property("line", *line as u32)?;
            }
            dezky_core::Error::TokenExpired { expired_at } => {
                object.set_named_property("expiredAt", *expired_at as f64)?;
            }
            dezky_core::Error::TokenUnknownKey { issuer, .. }
            | dezky_core::Error::KeysUnavailable { issuer, .. } => {
                object.set_named_property("issuer", issuer.as_str())?;
            }
            // Non-exhaustive: a new variant still gets its code and message.
            _ => {}
        }
        Ok(())
    }
}

impl SdkError for dezky_clients::Error {
    fn code(&self) -> &'static str {
        dezky_clients::Error::code(self)
    }

    fn set_details(&self, object: &mut Object<'_>) -> napi::Result<()> {
        use dezky_clients::Error;
        match self {
            Error::Config { field, .. } => {
                object.set_named_property("field", field.as_str())?;
            }
            Error::InvalidInput { field, .. } => {
                object.set_named_property("argument", field.as_str())?;
                object.set_named_property("field", field.as_str())?;
            }
            Error::Upstream(upstream) => {
                object.set_named_property("service", upstream.service.as_str())?;
                object.set_named_property("source", upstream.url.as_str())?;
                object.set_named_property("method", upstream.method.as_str())?;
                object.set_named_property("status", u32::from(upstream.status))?;
                if let Some(code) = &upstream.upstream_code {
                    object.set_named_property("upstreamCode", code.as_str())?;
                }
                if let Some(message) = &upstream.message {
                    object.set_named_property("upstreamMessage", message.as_str())?;
                }
                if let Some(id) = &upstream.request_id {
                    object.set_named_property("requestId", id.as_str())?;
                }
                if let Some(wait) = upstream.retry_after {
                    object.set_named_property("retryAfterMs", wait.as_millis() as f64)?;
                }
                if !upstream.fields.is_empty() {
                    let mut fields = Object::new(&Env::from_raw(object.value().env))?;
                    for field in &upstream.fields {
                        fields.set_named_property(field.field.as_str(), field.messages.clone())?;
                    }
                    object.set_named_property("fields", fields)?;
                }
                if !upstream.linked.is_empty() {
                    object.set_named_property("linked", upstream.linked.clone())?;
                }
                if !upstream.details.is_empty() {
                    let mut details = Object::new(&Env::from_raw(object.value().env))?;
                    for (name, value) in &upstream.details {
                        details.set_named_property(name.as_str(), value.as_str())?;
                    }
                    object.set_named_property("upstreamDetails", details)?;
                }
            }
            Error::Transport {
                service,
                method,
                url,
                ..
            } => {
                object.set_named_property("service", service.as_str())?;
                object.set_named_property("method", method.as_str())?;
                object.set_named_property("source", url.as_str())?;
            }
            Error::Timeout {
                service,
                method,
                url,
                after,
            } => {
                object.set_named_property("service", service.as_str())?;
                object.set_named_property("method", method.as_str())?;
                object.set_named_property("source", url.as_str())?;
                object.set_named_property("timeoutMs", after.as_millis() as f64)?;
            }
            Error::Decode { service, url, .. } => {
                object.set_named_property("service", service.as_str())?;
                object.set_named_property("source", url.as_str())?;
            }
            Error::ServiceLoginRequired { service, .. } => {
                object.set_named_property("service", service.as_str())?;
            }
            Error::CredentialStore { location, .. } => {
                object.set_named_property("source", location.as_str())?;
            }
            // Non-exhaustive: a new variant still gets its code and message.
            _ => {}
        }
        Ok(())
    }
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
