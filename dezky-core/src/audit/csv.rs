//! CSV export of audit events (RFC 4180), written one event at a time so
//! that any number of events export in constant memory.

use std::io::{self, Write};

use serde_json::Value;

use super::AuditEvent;

/// The columns, in order (the header row).
pub const CSV_COLUMNS: [&str; 8] = [
    "at",
    "action",
    "outcome",
    "actorEmail",
    "targetType",
    "targetId",
    "tenantId",
    "metadata",
];

/// Writes audit events as CSV: a header row, then one row per event, CRLF
/// line ends, every field quoted when it holds a comma, a quote or a line
/// break. A cell a spreadsheet would run as a formula (starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, so the
/// export opens as text. `metadata` is its JSON.
pub struct CsvWriter<W: Write> {
    out: W,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// A writer that has written the header row to `out`.
    pub fn new(mut out: W) -> io::Result<CsvWriter<W>> {
        write_row(&mut out, CSV_COLUMNS.iter().map(|c| (*c).to_owned()))?;
        Ok(CsvWriter { out, rows: 0 })
    }

    /// Writes one event's row.
    pub fn write(&mut self, event: &AuditEvent) -> io::Result<()> {
        let metadata = if event.metadata.is_empty() {
            String::new()
        } else {
            Value::Object(event.metadata.clone()).to_string()
        };
        write_row(
            &mut self.out,
            [
                event.at.clone(),
                event.action.clone(),
                event.outcome.as_str().to_owned(),
                event.actor_email.clone(),
                event.target_type.clone(),
                event.target_id.clone(),
                event.tenant_id.clone().unwrap_or_default(),
                metadata,
            ]
            .into_iter(),
        )?;
        self.rows += 1;
        Ok(())
    }

    /// The event rows written so far (the header not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_row(out: &mut impl Write, cells: impl Iterator<Item = String>) -> io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_cell(out, &cell)?;
    }
    out.write_all(b"\r\n")
}

fn write_cell(out: &mut impl Write, cell: &str) -> io::Result<()> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || cell.contains([',', '"', '\r', '\n']);
    if quote {
        out.write_all(b"\"")?;
    }
    if formula {
        out.write_all(b"'")?;
    }
    if quote {
        out.write_all(cell.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(cell.as_bytes())
    }
}
