//! SDK errors raised as the Python-defined hierarchy in `dezky.errors`.
//!
//! One generic conversion serves every error: the exception class is chosen by
//! the stable `code` from the one table in `dezky.errors` (`error_class`), and
//! every detail of the core's [`ErrorContract`] becomes an attribute under its
//! contract name (`flag`, `field`, `upstream_code`, ...; an absent detail is
//! `None`). `docs/errors.md` lists every code and its attributes. None of the
//! messages or details contains a secret.

use dezky_flags::contract::{Detail, ErrorContract};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyModule, PyTuple};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// An error that crosses into Python: its stable code, its message and the
/// attributes of the exception. Every [`ErrorContract`] error is one; a
/// wrapper that adds facts of its own implements it by hand.
pub(crate) trait SdkError: std::fmt::Display {
    /// The stable code, shared by every language binding.
    fn code(&self) -> &'static str;
    /// Sets the error's details on the exception's keyword arguments.
    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()>;
}

impl<E: ErrorContract> SdkError for E {
    fn code(&self) -> &'static str {
        ErrorContract::code(self)
    }

    fn details(&self, details: &Bound<'_, PyDict>) -> PyResult<()> {
        for (name, value) in ErrorContract::details(self) {
            details.set_item(name, detail_value(details.py(), value)?)?;
        }
        Ok(())
    }
}

/// A detail as a Python value: `None`, `str`, `int`, `list[str]`,
/// `dict[str, str]` or `dict[str, list[str]]`.
fn detail_value(py: Python<'_>, value: Detail) -> PyResult<Bound<'_, PyAny>> {
    Ok(match value {
        Detail::Absent => py.None().into_bound(py),
        Detail::Text { value } => value.into_pyobject(py)?.into_any(),
        Detail::Integer { value } => value.into_pyobject(py)?.into_any(),
        Detail::TextList { values } => PyList::new(py, values)?.into_any(),
        Detail::TextMap { entries } => {
            let map = PyDict::new(py);
            for (key, value) in entries {
                map.set_item(key, value)?;
            }
            map.into_any()
        }
        Detail::TextListMap { entries } => {
            let map = PyDict::new(py);
            for (key, values) in entries {
                map.set_item(key, PyList::new(py, values)?)?;
            }
            map.into_any()
        }
    })
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS
        .get_or_try_init(py, || py.import("dezky.errors").map(Bound::unbind))
        .map(|module| module.bind(py))
}

/// The exception for `error`, of `class`.
fn instance<'py>(class: &Bound<'py, PyAny>, error: &dyn SdkError) -> PyResult<Bound<'py, PyAny>> {
    let details = PyDict::new(class.py());
    details.set_item("code", error.code())?;
    error.details(&details)?;
    class.call((error.to_string(),), Some(&details))
}

/// The exception for `error`, of the class its code maps to.
fn exception<'py>(py: Python<'py>, error: &dyn SdkError) -> PyResult<Bound<'py, PyAny>> {
    let class = errors_module(py)?.call_method1("error_class", (error.code(),))?;
    instance(&class, error)
}

/// Converts an SDK error into the matching `dezky.errors` exception.
pub(crate) fn to_py(py: Python<'_>, error: &impl SdkError) -> PyErr {
    exception(py, error).map_or_else(|failure| failure, PyErr::from_value)
}

/// Converts an SDK error, attaching the thread to the interpreter for it.
pub(crate) fn raise(error: impl SdkError) -> PyErr {
    Python::attach(|py| to_py(py, &error))
}

/// `DEZKY_INVALID_ARGUMENT` for a Python value of the wrong type or domain.
pub(crate) fn invalid_argument(name: &str, reason: impl Into<String>) -> PyErr {
    raise(dezky_flags::Error::InvalidArgument {
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
    let error = dezky_flags::Error::InvalidArgument {
        name: name.to_owned(),
        reason: format!("must be {expected}, got {type_name}"),
    };
    errors_module(got.py())
        .and_then(|module| instance(&module.getattr("ArgumentTypeError")?, &error))
        .map_or_else(|failure| failure, PyErr::from_value)
}

/// `DEZKY_INVALID_ARGUMENT` naming the field of a record argument
/// (`address.country`: `field`, and `argument` its first part).
pub(crate) fn invalid_field(field: &str, reason: impl Into<String>) -> PyErr {
    raise(dezky_core::Error::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    })
}

/// [`invalid_field`] raised as `ArgumentTypeError` for a field of the wrong type.
pub(crate) fn wrong_field_type(field: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let type_name = got
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    let error = dezky_core::Error::Invalid {
        field: field.to_owned(),
        reason: format!("must be {expected}, got {type_name}"),
    };
    errors_module(got.py())
        .and_then(|module| instance(&module.getattr("ArgumentTypeError")?, &error))
        .map_or_else(|failure| failure, PyErr::from_value)
}

/// Every stable error code of the SDK's crates, each once (`ERROR_CODES`).
fn error_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for code in dezky_flags::Error::CODES
        .iter()
        .chain(dezky_core::Error::CODES)
        .chain(dezky_clients::Error::CODES)
    {
        if !codes.contains(code) {
            codes.push(code);
        }
    }
    codes
}

/// One exception of every code, with made-up details and no I/O behind them:
/// for testing code that handles the SDK's errors.
#[pyfunction]
#[pyo3(signature = () -> "list[_errors.DezkyError]")]
fn _error_examples(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    let mut out = Vec::new();
    for error in dezky_flags::Error::examples() {
        out.push(exception(py, &error)?);
    }
    for error in dezky_core::Error::examples() {
        out.push(exception(py, &error)?);
    }
    for error in dezky_clients::Error::examples() {
        out.push(exception(py, &error)?);
    }
    Ok(out)
}

/// Adds `ERROR_CODES` and `_error_examples` to the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ERROR_CODES", PyTuple::new(m.py(), error_codes())?)?;
    m.add_function(wrap_pyfunction!(_error_examples, m)?)
}

/// Extension to map SDK results into Python results.
pub(crate) trait IntoPyResult<T> {
    /// Maps the error into its `dezky.errors` exception.
    fn py(self) -> PyResult<T>;
}

impl<T, E: SdkError> IntoPyResult<T> for Result<T, E> {
    fn py(self) -> PyResult<T> {
        self.map_err(raise)
    }
}
