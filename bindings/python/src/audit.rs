//! The audit log over `dezky_core::audit` (docs/audit.md): the portal's
//! filters as a MongoDB query with its paging cursor, the log's time form,
//! and the CSV export. Conversion only: filters are read and queries built by
//! the core (errors name the filter's key), and the export is the core's
//! `CsvWriter` over a writer that hands the Python file its output in chunks,
//! one event read from the Python iterable at a time, so that any number of
//! events exports in constant memory.

use std::io::{self, Write};

use dezky_core::audit::{self, AuditEvent, AuditFilter, AuditQuery, CsvWriter};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;

use crate::convert::{self, serde_py};
use crate::error::{self, IntoPyResult};

/// A query of the audit log, ready for the driver:
/// `find(query.filter).sort(list(query.sort.items())).limit(query.limit)`.
#[pyclass(name = "AuditQuery", frozen, eq, module = "dezky.audit")]
#[derive(PartialEq)]
pub(crate) struct PyAuditQuery {
    inner: AuditQuery,
}

#[pymethods]
impl PyAuditQuery {
    /// The query of the portal's filters `filter` (`{q, action, outcome,
    /// actorEmail, since, before, limit, cursor}`, every key optional),
    /// within the events of the tenant `tenant_id` (an ObjectId) or, when
    /// None, across all. Errors name the filter's key (`since`, `action[1]`,
    /// `cursor`, `tenantId`).
    #[staticmethod]
    #[pyo3(signature = (filter: "Mapping[str, Any] | None" = None, tenant_id: "str | None" = None) -> "AuditQuery")]
    fn build(filter: Option<&Bound<'_, PyAny>>, tenant_id: Option<&str>) -> PyResult<Self> {
        let filter = match filter.filter(|f| !f.is_none()) {
            None => AuditFilter::default(),
            Some(filter) => read_filter(filter)?,
        };
        Ok(PyAuditQuery {
            inner: AuditQuery::build(&filter, tenant_id).py()?,
        })
    }

    /// The filter document (MongoDB Extended JSON: `_id` bounds are
    /// `{"$oid": ...}`).
    #[getter]
    fn filter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(convert::to_py(py, &self.inner.filter)?.cast_into::<PyDict>()?)
    }

    /// The sort, newest first: `{"at": -1, "_id": -1}`.
    #[getter]
    fn sort<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        Ok(convert::to_py(py, &self.inner.sort)?.cast_into::<PyDict>()?)
    }

    /// How many documents to ask for: the page size plus one, which tells
    /// whether another page follows.
    #[getter]
    fn limit(&self) -> u32 {
        self.inner.limit
    }

    /// The page size.
    #[getter]
    fn page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// `{filter, sort, limit, pageSize}`.
    #[pyo3(signature = () -> "_audit.AuditQueryValue")]
    fn to_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_py(py, &self.inner)
    }

    /// The cursor of the page after `documents` (what the query returned,
    /// `_id` an ObjectId or its hex), or None when no page follows. Only the
    /// page's last document is read; errors name its field
    /// (`documents[49]._id`).
    #[pyo3(signature = (documents: "Sequence[Mapping[str, Any]]") -> "str | None")]
    fn next_cursor(&self, documents: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let documents = convert::documents("documents", documents, |_, map| {
            Ok(Value::Object(map.clone()))
        })?;
        self.inner.next_cursor(&documents).py()
    }

    fn __repr__(&self) -> String {
        let value = serde_json::to_value(&self.inner).unwrap_or_default();
        format!("AuditQuery({value})")
    }
}

fn read_filter(filter: &Bound<'_, PyAny>) -> PyResult<AuditFilter> {
    let value = convert::object("filter", "a dict (the audit filter)", filter)?;
    AuditFilter::from_value(&Value::Object(value)).py()
}

/// The portal's filters as the core reads them (`action` always a list);
/// an unknown key or a value of the wrong type is `InvalidArgumentError`
/// naming the key (`limit`, `action[2]`).
#[pyfunction]
#[pyo3(signature = (filter: "Mapping[str, Any]") -> "_audit.AuditFilter")]
pub(crate) fn parse_audit_filter<'py>(
    py: Python<'py>,
    filter: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    serde_py(py, read_filter(filter)?)
}

/// A time in the audit log's form (RFC 3339, as `since` and `before` take
/// it) as an aware datetime in UTC; `InvalidArgumentError` naming `field`
/// for other text.
#[pyfunction]
#[pyo3(signature = (text: "str", field = "at") -> "datetime")]
pub(crate) fn parse_audit_time<'py>(
    py: Python<'py>,
    text: &str,
    field: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert::datetime(py, field, audit::parse_time(field, text).py()?)
}

/// The CSV export's columns, in order (its header row).
#[pyfunction]
#[pyo3(signature = () -> "list[str]")]
pub(crate) fn audit_csv_columns() -> Vec<&'static str> {
    audit::CSV_COLUMNS.to_vec()
}

/// How much output is handed to the Python file at once.
const CHUNK: usize = 64 * 1024;

/// A `Write` that hands its output to a Python file's `write` in chunks of
/// about [`CHUNK`] bytes: `bytes` to a binary file, `str` to any other (a
/// chunk ends on a character boundary). A failed `write` is kept in
/// `failure`, to be raised as it is.
struct PyFile<'py, 'a> {
    file: Bound<'py, PyAny>,
    binary: bool,
    buffer: Vec<u8>,
    failure: &'a mut Option<PyErr>,
}

impl PyFile<'_, '_> {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let py = self.file.py();
        let (chunk, end) = if self.binary {
            (PyBytes::new(py, &self.buffer).into_any(), self.buffer.len())
        } else {
            let end = match std::str::from_utf8(&self.buffer) {
                Ok(_) => self.buffer.len(),
                Err(e) => e.valid_up_to(),
            };
            let text = std::str::from_utf8(&self.buffer[..end]).unwrap_or_default();
            (PyString::new(py, text).into_any(), end)
        };
        match self.file.call_method1(intern!(py, "write"), (chunk,)) {
            Ok(_) => {
                self.buffer.drain(..end);
                Ok(())
            }
            Err(e) => {
                *self.failure = Some(e);
                Err(io::Error::other("the file's write failed"))
            }
        }
    }
}

impl Write for PyFile<'_, '_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Why an export stopped.
enum Stop {
    /// Writing failed.
    Io(io::Error),
    /// An item is no audit event, or the iterable raised.
    Event(PyErr),
}

/// The event `i` of the iterable.
fn event(i: usize, item: PyResult<Bound<'_, PyAny>>) -> PyResult<AuditEvent> {
    let field = format!("events[{i}]");
    let map = convert::object(&field, "an audit event dict", &item?)?;
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        error::raise(dezky_core::Error::Invalid {
            field,
            reason: e.to_string(),
        })
    })
}

fn export<'py>(
    items: impl Iterator<Item = PyResult<Bound<'py, PyAny>>>,
    file: PyFile<'py, '_>,
) -> Result<u64, Stop> {
    let mut csv = CsvWriter::new(file).map_err(Stop::Io)?;
    for (i, item) in items.enumerate() {
        match event(i, item) {
            Ok(event) => csv.write(&event).map_err(Stop::Io)?,
            Err(e) => {
                // The rows before the bad event are handed over.
                csv.finish().map_err(Stop::Io)?;
                return Err(Stop::Event(e));
            }
        }
    }
    let rows = csv.rows();
    csv.finish().map_err(Stop::Io)?;
    Ok(rows)
}

/// Writes `events` (audit event dicts, from any iterable: a list, a
/// generator, a database cursor) to the file `out` as CSV, one event at a
/// time: the header row, then a row per event (RFC 4180, CRLF line ends,
/// formula-like cells prefixed with `'`). `out` is any object with `write`:
/// a text file (opened with `newline=""`) or `io.StringIO` takes `str`, a
/// binary file or `io.BytesIO` takes UTF-8 `bytes`. Output is handed over in
/// chunks of about 64 KiB, so memory stays flat however many events there
/// are. Returns the number of event rows. An item that is no audit event is
/// `InvalidArgumentError` naming `events[i]`; the rows before it are written.
#[pyfunction]
#[pyo3(signature = (events: "Iterable[Mapping[str, Any]]", out: "_audit.SupportsWrite") -> "int")]
pub(crate) fn write_audit_csv(events: &Bound<'_, PyAny>, out: &Bound<'_, PyAny>) -> PyResult<u64> {
    let py = out.py();
    if !out.hasattr(intern!(py, "write"))? {
        return Err(error::wrong_type("out", "a file object (with write)", out));
    }
    let io_module = py.import(intern!(py, "io"))?;
    let binary = out.is_instance(&io_module.getattr(intern!(py, "RawIOBase"))?)?
        || out.is_instance(&io_module.getattr(intern!(py, "BufferedIOBase"))?)?;
    let expected = "an iterable of audit event dicts";
    if events.is_instance_of::<PyString>() || events.is_instance_of::<PyDict>() {
        return Err(error::wrong_type("events", expected, events));
    }
    let items = events
        .try_iter()
        .map_err(|_| error::wrong_type("events", expected, events))?;
    let mut failure = None;
    let file = PyFile {
        file: out.clone(),
        binary,
        buffer: Vec::with_capacity(CHUNK + 4096),
        failure: &mut failure,
    };
    match export(items, file) {
        Ok(rows) => Ok(rows),
        Err(Stop::Event(e)) => Err(e),
        Err(Stop::Io(e)) => {
            Err(failure.unwrap_or_else(|| error::invalid_argument("out", e.to_string())))
        }
    }
}
