//! Core errors raised as the Python-defined hierarchy in `dezky.errors`.
//!
//! Every exception carries the core's stable `code` (the same string as the
//! Node binding's `Error.code`) and the structured fields of its variant as
//! attributes (`flag`, `field`, `key`, ...), so callers never parse messages.

use dezky_flags::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The Python class name for a core error code.
fn class_name(code: &str) -> &'static str {
    match code {
        "DEZKY_MALFORMED_JSON" => "MalformedJsonError",
        "DEZKY_INVALID_FLAG" => "InvalidFlagError",
        "DEZKY_DUPLICATE_FLAG" => "DuplicateFlagError",
        "DEZKY_INVALID_CONTEXT" => "InvalidContextError",
        "DEZKY_FLAG_NOT_FOUND" => "FlagNotFoundError",
        "DEZKY_INVALID_ARGUMENT" => "InvalidArgumentError",
        "DEZKY_FLAG_SOURCE" => "FlagSourceError",
        _ => "DezkyError",
    }
}

fn build(py: Python<'_>, class: &str, error: &Error) -> PyResult<PyErr> {
    let module = ERRORS.get_or_try_init(py, || py.import("dezky.errors").map(Bound::unbind))?;
    let class = module.bind(py).getattr(class)?;
    let details = PyDict::new(py);
    details.set_item("code", error.code())?;
    match error {
        Error::MalformedJson { line, column, .. } => {
            details.set_item("line", line)?;
            details.set_item("column", column)?;
        }
        Error::InvalidFlag { flag, field, .. } => {
            details.set_item("flag", flag)?;
            details.set_item("field", field)?;
        }
        Error::DuplicateKey { key } | Error::FlagNotFound { key } => {
            details.set_item("key", key)?
        }
        Error::InvalidContext { field, .. } => details.set_item("field", field)?,
        Error::InvalidArgument { name, .. } => details.set_item("name", name)?,
        Error::Source { source_name, .. } => details.set_item("source", source_name)?,
        _ => {}
    }
    let instance = class.call((error.to_string(),), Some(&details))?;
    Ok(PyErr::from_value(instance))
}

/// Converts a core error into the matching `dezky.errors` exception.
pub(crate) fn to_py(py: Python<'_>, error: &Error) -> PyErr {
    build(py, class_name(error.code()), error).unwrap_or_else(|failure| failure)
}

/// Converts a core error, attaching the thread to the interpreter for it.
pub(crate) fn raise(error: Error) -> PyErr {
    Python::attach(|py| to_py(py, &error))
}

/// `DEZKY_INVALID_ARGUMENT` for a Python value of the wrong type or domain.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> PyErr {
    raise(Error::InvalidArgument {
        name: name.to_owned(),
        reason: reason.into(),
    })
}

/// `DEZKY_INVALID_ARGUMENT` raised as `ArgumentTypeError` (also a `TypeError`)
/// for a Python value of the wrong type.
pub(crate) fn wrong_type(name: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let type_name = got
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    let error = Error::InvalidArgument {
        name: name.to_owned(),
        reason: format!("must be {expected}, got {type_name}"),
    };
    build(got.py(), "ArgumentTypeError", &error).unwrap_or_else(|failure| failure)
}

/// Extension to map core results into Python results.
pub(crate) trait IntoPyResult<T> {
    /// Maps the error into its `dezky.errors` exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(raise)
    }
}
