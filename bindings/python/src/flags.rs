//! `FlagSet`, the flag operations and the module-level functions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dezky_flags::{
    Change, Evaluation, Evaluations, Flag, FlagAuditEvent, FlagSet, FlagUpdate, Reason,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::convert;
use crate::error::{self, IntoPyResult};

/// An immutable, validated set of flags compiled for evaluation.
///
/// `FlagSet(flags)` builds one from a list of flag documents (empty by default).
/// Changes (`create`, `update`, `kill`, `delete`) return a new set together
/// with the audit event for the platform audit log.
#[pyclass(frozen, name = "FlagSet", module = "dezky._dezky")]
pub(crate) struct PyFlagSet {
    pub(crate) set: FlagSet,
    /// The keys as Python strings, in flag order.
    keys: Vec<Py<PyString>>,
    /// `{key: False}` for every flag: `evaluate_all` copies it (a memcpy of the
    /// hash table) and sets only the enabled keys.
    template: Py<PyDict>,
}

impl PyFlagSet {
    pub(crate) fn wrap(py: Python<'_>, set: FlagSet) -> PyResult<Self> {
        let keys: Vec<Py<PyString>> = set
            .keys()
            .map(|k| PyString::intern(py, k).unbind())
            .collect();
        let template = PyDict::new(py);
        for key in &keys {
            template.set_item(key.bind(py), false)?;
        }
        Ok(PyFlagSet {
            set,
            keys,
            template: template.unbind(),
        })
    }

    /// Whether `all` was evaluated on this very set (same snapshot, not just equal).
    pub(crate) fn is_set_of(&self, all: &Evaluations) -> bool {
        self.set.same_snapshot(all.flag_set())
    }

    /// `{key: bool}` in set order, for evaluations of this set.
    pub(crate) fn evaluations_dict<'py>(
        &self,
        py: Python<'py>,
        all: &Evaluations,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = self.template.bind(py).copy()?;
        for (key, (_, value)) in self.keys.iter().zip(all.iter()) {
            if value {
                dict.set_item(key.bind(py), true)?;
            }
        }
        Ok(dict)
    }
}

/// The set of a `FlagSet` argument: the native object, or the package's public
/// class over it (`dezky.FlagSet`, which holds it in `_inner`).
pub(crate) fn argument(name: &str, value: &Bound<'_, PyAny>) -> PyResult<FlagSet> {
    let inner = value
        .getattr_opt(intern!(value.py(), "_inner"))
        .ok()
        .flatten();
    match inner.as_ref().unwrap_or(value).cast::<PyFlagSet>() {
        Ok(set) => Ok(set.get().set.clone()),
        Err(_) => Err(error::wrong_type(name, "a dezky.FlagSet", value)),
    }
}

/// A list or tuple of flag documents as a set.
fn from_documents(py: Python<'_>, flags: &Bound<'_, PyAny>) -> PyResult<PyFlagSet> {
    if !(flags.is_instance_of::<PyList>() || flags.is_instance_of::<PyTuple>()) {
        return Err(error::wrong_type("flags", "a list of flag dicts", flags));
    }
    let value = convert::to_value("flags", flags)?;
    PyFlagSet::wrap(py, FlagSet::from_value(value).py()?)
}

/// The Python object for a changed set; the same object when the core handed
/// back the same snapshot (an update that changed nothing).
fn changed(slf: &Bound<'_, PyFlagSet>, set: FlagSet) -> PyResult<Py<PyFlagSet>> {
    if set.same_snapshot(&slf.get().set) {
        return Ok(slf.clone().unbind());
    }
    Py::new(slf.py(), PyFlagSet::wrap(slf.py(), set)?)
}

#[pymethods]
impl PyFlagSet {
    /// A set of the flag documents `flags` (dicts), empty by default.
    #[new]
    #[pyo3(signature = (flags=None))]
    fn new(py: Python<'_>, flags: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        match flags.filter(|f| !f.is_none()) {
            Some(flags) => from_documents(py, flags),
            None => PyFlagSet::wrap(py, FlagSet::default()),
        }
    }

    /// Parses a JSON array of flag documents (the body of `GET /flags`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let set = FlagSet::from_json(text).py()?;
        PyFlagSet::wrap(py, set)
    }

    /// Builds a set from a list of flag documents (dicts in the control plane's JSON shape).
    #[staticmethod]
    fn from_flags(py: Python<'_>, flags: &Bound<'_, PyAny>) -> PyResult<Self> {
        from_documents(py, flags)
    }

    /// The set as JSON text; unknown fields survive the round trip.
    fn to_json(&self) -> String {
        self.set.to_json()
    }

    /// The flag documents, in set order.
    fn flags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_py(py, &self.set.to_value())
    }

    /// The flag document with this key, or `None`.
    fn get<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.set
            .get(key)
            .map(|f| convert::to_py(py, &f.to_value()))
            .transpose()
    }

    /// The keys, in set order.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.keys.iter().map(|k| k.bind(py)))
    }

    fn __len__(&self) -> usize {
        self.set.len()
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        key.cast::<PyString>()
            .ok()
            .and_then(|k| k.to_str().ok().map(|k| self.set.get(k).is_some()))
            .unwrap_or(false)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyFlagSet>()
            .is_ok_and(|o| o.get().set == self.set)
    }

    fn __repr__(&self) -> String {
        format!("FlagSet(<{} flags>)", self.set.len())
    }

    /// Evaluates one flag: `{key, value, reason, bucket?, killed, variant}`.
    ///
    /// The context is a dict with camelCase keys (`tenantId`, `tenantSlug`,
    /// `plan`, `partnerSlug`, `environment`, `userId`), or keywords `tenant_id`,
    /// `tenant_slug`, `plan`, `partner_slug`, `environment`, `user_id`.
    /// An unknown key evaluates to `False` with reason `"flag_not_found"`.
    #[pyo3(signature = (key, ctx=None, **kwargs))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        ctx: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let context = convert::context(ctx, kwargs)?;
        evaluation_dict(py, &self.set.evaluate(key, &context))
    }

    /// Evaluates every flag for one context: `{key: bool}` in set order.
    #[pyo3(signature = (ctx=None, **kwargs))]
    fn evaluate_all<'py>(
        &self,
        py: Python<'py>,
        ctx: Option<&Bound<'py, PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let context = convert::context(ctx, kwargs)?;
        self.evaluations_dict(py, &self.set.evaluate_all(&context))
    }

    /// Adds a new flag (state `off`), recording its creation in history.
    /// Returns the new set and the audit event.
    #[pyo3(signature = (key, description, actor, *, at=None))]
    fn create<'py>(
        slf: &Bound<'py, Self>,
        key: &str,
        description: &str,
        actor: &str,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Py<PyFlagSet>, Bound<'py, PyAny>)> {
        let change = change(actor, at)?;
        let (set, event) = slf.get().set.create_flag(key, description, &change).py()?;
        Ok((changed(slf, set)?, event_dict(slf.py(), &event)?))
    }

    /// Applies a partial update (`description`, `state`, `pct`, `scope`, `level`).
    /// Returns the new set and the audit event. When nothing changes, nothing
    /// is recorded: the set returned is this very set and the event is `None`.
    #[pyo3(signature = (key, changes, actor, *, at=None))]
    fn update<'py>(
        slf: &Bound<'py, Self>,
        key: &str,
        changes: &Bound<'py, PyAny>,
        actor: &str,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Py<PyFlagSet>, Option<Bound<'py, PyAny>>)> {
        if !changes.is_instance_of::<PyDict>() {
            return Err(error::wrong_type("changes", "a dict", changes));
        }
        let update = FlagUpdate::from_value(key, &convert::to_value("changes", changes)?).py()?;
        let change = change(actor, at)?;
        let (set, event) = slf.get().set.update_flag(key, update, &change).py()?;
        let event = event.map(|e| event_dict(slf.py(), &e)).transpose()?;
        Ok((changed(slf, set)?, event))
    }

    /// The kill switch: `state = off`, `pct = 0`, recorded in history.
    /// Returns the new set and the audit event.
    #[pyo3(signature = (key, actor, *, at=None))]
    fn kill<'py>(
        slf: &Bound<'py, Self>,
        key: &str,
        actor: &str,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Py<PyFlagSet>, Bound<'py, PyAny>)> {
        let change = change(actor, at)?;
        let (set, event) = slf.get().set.kill_flag(key, &change).py()?;
        Ok((changed(slf, set)?, event_dict(slf.py(), &event)?))
    }

    /// Removes a flag. Returns the new set and the deletion's audit event,
    /// which records its last configuration.
    #[pyo3(signature = (key, actor, *, at=None))]
    fn delete<'py>(
        slf: &Bound<'py, Self>,
        key: &str,
        actor: &str,
        at: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(Py<PyFlagSet>, Bound<'py, PyAny>)> {
        let change = change(actor, at)?;
        let (set, event) = slf.get().set.delete_flag(key, &change).py()?;
        Ok((changed(slf, set)?, event_dict(slf.py(), &event)?))
    }
}

/// `{key, value, reason, bucket?, killed, variant}`.
pub(crate) fn evaluation_dict<'py>(
    py: Python<'py>,
    eval: &Evaluation,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(intern!(py, "key"), &eval.key)?;
    dict.set_item(intern!(py, "value"), eval.value)?;
    dict.set_item(intern!(py, "reason"), eval.reason.as_str())?;
    if let Some(bucket) = eval.bucket {
        dict.set_item(intern!(py, "bucket"), bucket)?;
    }
    dict.set_item(intern!(py, "killed"), eval.killed)?;
    dict.set_item(intern!(py, "variant"), eval.variant())?;
    Ok(dict)
}

/// The audit event as the platform audit log's JSON record (camelCase keys).
fn event_dict<'py>(py: Python<'py>, event: &FlagAuditEvent) -> PyResult<Bound<'py, PyAny>> {
    let value =
        serde_json::to_value(event).map_err(|e| error::invalid_argument("event", e.to_string()))?;
    convert::to_py(py, &value)
}

/// Who and when; `at` is a `datetime` (its `.timestamp()`), default now.
pub(crate) fn change(actor: &str, at: Option<&Bound<'_, PyAny>>) -> PyResult<Change> {
    let when = match at.filter(|a| !a.is_none()) {
        None => SystemTime::now(),
        Some(at) => {
            let Ok(secs) = at
                .call_method0("timestamp")
                .and_then(|t| t.extract::<f64>())
            else {
                return Err(error::wrong_type("at", "a datetime", at));
            };
            let offset = Duration::try_from_secs_f64(secs).map_err(|_| {
                error::invalid_argument("at", "must be a datetime after 1970-01-01")
            })?;
            UNIX_EPOCH + offset
        }
    };
    Change::new(actor, when).py()
}

/// The rollout bucket (0..99): `u32_be(sha256(f"{subject}:{key}")[:4]) % 100`.
#[pyfunction]
pub(crate) fn bucket(subject: &str, key: &str) -> u8 {
    dezky_flags::bucket(subject, key)
}

/// For a proposed flag document and a list of contexts: how many, and which
/// (positions), the configuration enables. `{total, enabled_count, enabled}`.
#[pyfunction]
pub(crate) fn preview_rollout<'py>(
    py: Python<'py>,
    flag: &Bound<'py, PyAny>,
    contexts: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    if !flag.is_instance_of::<PyDict>() {
        return Err(error::wrong_type("flag", "a flag dict", flag));
    }
    let flag = Flag::from_value(convert::to_value("flag", flag)?).py()?;
    let contexts = convert::contexts("contexts", contexts)?;
    let preview = dezky_flags::preview(&flag, &contexts);
    let dict = PyDict::new(py);
    dict.set_item("total", preview.total)?;
    dict.set_item("enabled_count", preview.enabled_count)?;
    dict.set_item("enabled", preview.enabled)?;
    Ok(dict)
}

/// The OpenFeature reason for a Dezky reason (`"in_rollout"` → `"SPLIT"`).
#[pyfunction]
pub(crate) fn openfeature_reason(reason: &str) -> PyResult<&'static str> {
    Ok(reason.parse::<Reason>().py()?.openfeature_reason())
}

/// Every evaluation reason's wire name.
#[pyfunction]
pub(crate) fn reasons() -> Vec<&'static str> {
    Reason::ALL.iter().map(|r| r.as_str()).collect()
}
