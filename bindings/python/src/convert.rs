//! Conversions between Python objects, JSON values and core types.
//!
//! No flag semantics live here: flag documents, updates and contexts are turned
//! into `serde_json::Value`s and validated by the core, so every binding reports
//! the same error for the same input.

use std::time::{SystemTime, UNIX_EPOCH};

use dezky_flags::{Error, EvaluationContext};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::error::{self, IntoPyResult};

/// Deeper nesting is refused (also stops self-referencing lists).
const MAX_DEPTH: usize = 64;

/// A Python object (None, bool, int, float, str, list, tuple, dict with str
/// keys; a bson `ObjectId` as its hex string) as JSON: the one conversion from
/// Python data, as [`to_py`] is the one back.
pub(crate) fn to_value(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value_at(name, obj, 0)
}

fn to_value_at(name: &str, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(error::invalid_argument(
            name,
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::from(v));
        }
        if let Ok(v) = i.extract::<u64>() {
            return Ok(Value::from(v));
        }
        return Err(error::invalid_argument(
            name,
            "integer out of the 64-bit range",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| error::invalid_argument(name, "NaN and infinity are not JSON numbers"));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list
            .iter()
            .map(|item| to_value_at(name, &item, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple
            .iter()
            .map(|item| to_value_at(name, &item, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(error::wrong_type(name, "a dict with str keys", &k));
            };
            map.insert(key.to_str()?.to_owned(), to_value_at(name, &v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    // A bson `ObjectId` (in a control-plane document) reads as its hex string.
    if obj.get_type().name()?.to_str()? == "ObjectId" {
        return Ok(Value::String(obj.str()?.to_str()?.to_owned()));
    }
    Err(error::wrong_type(
        name,
        "JSON data (None, bool, int, float, str, list, dict)",
        obj,
    ))
}

/// A JSON value as plain Python objects.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A value's serde form as Python data (a record as its dict).
pub(crate) fn serde_py<'py, T: Serialize>(
    py: Python<'py>,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| error::invalid_argument("result", e.to_string()))?;
    to_py(py, &value)
}

/// A dict argument as a JSON object; `ArgumentTypeError` naming `name` (and
/// saying it must be `expected`) for anything else.
pub(crate) fn object(
    name: &str,
    expected: &str,
    obj: &Bound<'_, PyAny>,
) -> PyResult<Map<String, Value>> {
    if !obj.is_instance_of::<PyDict>() {
        return Err(error::wrong_type(name, expected, obj));
    }
    match to_value(name, obj)? {
        Value::Object(map) => Ok(map),
        _ => Err(error::wrong_type(name, expected, obj)),
    }
}

/// The items of an iterable argument (a list, a tuple, a generator, a
/// database cursor), each a dict read by `read` under its name `name[i]`
/// (`subscriptions[2]`); `ArgumentTypeError` for a str, a dict or a
/// non-iterable, and for an item that is no dict.
pub(crate) fn documents<T>(
    name: &str,
    obj: &Bound<'_, PyAny>,
    read: impl Fn(&str, &Map<String, Value>) -> dezky_core::Result<T>,
) -> PyResult<Vec<T>> {
    let expected = "an iterable of dicts";
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyDict>() {
        return Err(error::wrong_type(name, expected, obj));
    }
    let items = obj
        .try_iter()
        .map_err(|_| error::wrong_type(name, expected, obj))?;
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        let field = format!("{name}[{i}]");
        let map = object(&field, "a dict", &item?)?;
        out.push(read(&field, &map).py()?);
    }
    Ok(out)
}

/// 10000-01-01T00:00:00Z, past every time the crates write.
const YEAR_10000: u64 = 253_402_300_800;

/// A `datetime` argument as a time: an aware one as it is, a naive one as
/// local time (as `datetime.timestamp()` reads it). `ArgumentTypeError` for
/// anything else, `InvalidArgumentError` for a time before 1970.
pub(crate) fn instant(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    if !obj.is_instance_of::<PyDateTime>() {
        return Err(error::wrong_type(name, "a datetime", obj));
    }
    let out_of_range =
        || error::invalid_argument(name, "must be a datetime from 1970-01-01T00:00:00Z");
    let aware = if obj.getattr(intern!(obj.py(), "tzinfo"))?.is_none() {
        obj.call_method0(intern!(obj.py(), "astimezone"))
            .map_err(|_| out_of_range())?
    } else {
        obj.clone()
    };
    match aware.extract::<SystemTime>() {
        Ok(at)
            if at
                .duration_since(UNIX_EPOCH)
                .is_ok_and(|d| d.as_secs() < YEAR_10000) =>
        {
            Ok(at)
        }
        _ => Err(out_of_range()),
    }
}

/// A time as an aware `datetime` in UTC; `InvalidArgumentError` naming `name`
/// for one outside what `datetime` holds (1970 to 9999 here).
pub(crate) fn datetime<'py>(
    py: Python<'py>,
    name: &str,
    at: SystemTime,
) -> PyResult<Bound<'py, PyAny>> {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() < YEAR_10000 => Ok(at.into_pyobject(py)?.into_any()),
        _ => Err(error::invalid_argument(
            name,
            "gives a time past 9999-12-31T23:59:59Z",
        )),
    }
}

/// An operation's result as plain data: a record as the JSON value of its
/// Python dict, and `()`, strings, options and lists of them.
pub(crate) trait Data {
    /// The value, shaped as the Python side reads it.
    fn into_value(self) -> Value;
}

impl Data for () {
    fn into_value(self) -> Value {
        Value::Null
    }
}

impl Data for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl<T: Data> Data for Option<T> {
    fn into_value(self) -> Value {
        self.map_or(Value::Null, Data::into_value)
    }
}

impl<T: Data> Data for Vec<T> {
    fn into_value(self) -> Value {
        Value::Array(self.into_iter().map(Data::into_value).collect())
    }
}

/// The converter of every operation whose result is [`Data`].
pub(crate) fn data<T: Data>(py: Python<'_>, value: T) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &value.into_value())
}

/// Keyword arguments and their control-plane field names.
const KWARGS: [(&str, &str); 6] = [
    ("tenant_id", "tenantId"),
    ("tenant_slug", "tenantSlug"),
    ("plan", "plan"),
    ("partner_slug", "partnerSlug"),
    ("environment", "environment"),
    ("user_id", "userId"),
];

/// Sets a context field from a str or None; `false` when the value needs the
/// core's validation (wrong type) or the name is not a context field.
fn set_field(ctx: &mut EvaluationContext, wire: &str, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    let text = if value.is_none() {
        None
    } else if let Ok(s) = value.cast::<PyString>() {
        Some(s.to_str()?.to_owned())
    } else {
        return Ok(false);
    };
    let slot = match wire {
        "tenantId" => &mut ctx.tenant_id,
        "tenantSlug" => &mut ctx.tenant_slug,
        "plan" => &mut ctx.plan,
        "partnerSlug" => &mut ctx.partner_slug,
        "environment" => &mut ctx.environment,
        "userId" => &mut ctx.user_id,
        _ => return Ok(false),
    };
    *slot = text;
    Ok(true)
}

/// A context dict whose keys are all known and whose values are all str or
/// None, read without the generic JSON path; `None` for anything else (not a
/// dict, a wrong type, an unknown key), which the core then judges.
fn fast_context(obj: &Bound<'_, PyAny>) -> PyResult<Option<EvaluationContext>> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Ok(None);
    };
    let py = obj.py();
    let mut out = EvaluationContext::default();
    // Look the known keys up (their hashes are cached on the interned names)
    // instead of extracting every key; a dict with other keys has more entries
    // than were found.
    let mut found = 0;
    let fields = [
        (intern!(py, "tenantId"), &mut out.tenant_id),
        (intern!(py, "tenantSlug"), &mut out.tenant_slug),
        (intern!(py, "plan"), &mut out.plan),
        (intern!(py, "partnerSlug"), &mut out.partner_slug),
        (intern!(py, "environment"), &mut out.environment),
        (intern!(py, "userId"), &mut out.user_id),
    ];
    for (key, slot) in fields {
        let Some(value) = dict.get_item(key)? else {
            continue;
        };
        found += 1;
        if value.is_none() {
            continue;
        }
        match value.cast::<PyString>() {
            // abi3-py310: borrows the string's cached UTF-8, one copy into the context.
            Ok(text) => *slot = Some(text.to_str()?.to_owned()),
            Err(_) => return Ok(None),
        }
    }
    Ok((found == dict.len()).then_some(out))
}

/// Builds a context from an optional dict (camelCase control-plane keys) and
/// keyword arguments (snake_case: `tenant_id`, `tenant_slug`, `plan`,
/// `partner_slug`, `environment`, `user_id`), keywords winning.
pub(crate) fn context(
    ctx: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<EvaluationContext> {
    let mut out = match ctx.filter(|c| !c.is_none()) {
        None => EvaluationContext::default(),
        Some(obj) => match fast_context(obj)? {
            Some(ctx) => ctx,
            None if !obj.is_instance_of::<PyDict>() => {
                return Err(error::wrong_type("ctx", "a context dict", obj));
            }
            None => EvaluationContext::from_value(&to_value("ctx", obj)?).py()?,
        },
    };
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let name: String = k.extract()?;
            let Some((_, wire)) = KWARGS.iter().find(|(kw, _)| *kw == name) else {
                return Err(error::raise(Error::InvalidContext {
                    field: name,
                    reason: format!(
                        "unknown keyword (expected one of {})",
                        KWARGS.map(|(kw, _)| kw).join(", ")
                    ),
                }));
            };
            if !set_field(&mut out, wire, &v)? {
                // Not a str or None: the core words the error.
                let mut map = Map::new();
                map.insert((*wire).to_owned(), to_value(&name, &v)?);
                EvaluationContext::from_value(&Value::Object(map)).py()?;
                return Err(error::wrong_type(&name, "a str or None", &v));
            }
        }
    }
    Ok(out)
}

/// A list of context dicts, as for a rollout preview. Anything the fast path
/// cannot take goes to the core's `list_from_value`, whose errors name the
/// element (`[3].plan`).
pub(crate) fn contexts(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<EvaluationContext>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = obj.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(error::wrong_type(name, "a list of context dicts", obj));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !item.is_instance_of::<PyDict>() {
            return Err(error::wrong_type(
                &format!("{name}[{i}]"),
                "a context dict",
                item,
            ));
        }
        match fast_context(item)? {
            Some(ctx) => out.push(ctx),
            None => return EvaluationContext::list_from_value(&to_value(name, obj)?).py(),
        }
    }
    Ok(out)
}
