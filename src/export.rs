//! Writing entries out: JSON lines (as received) and CSV, shared by `tail`, `query` and the TUI's export.
//!
//! CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
//! return) are prefixed with `'`: the data is hostile by assumption, and an export must not become an
//! attack on whoever opens it.

use std::io::{self, Write};

use crate::entry::Entry;
pub use crate::entry::Row;
use crate::timestamp::UnixNanos;

pub const CSV_HEADER: &str = "id,timestamp,type,user,ip,user_agent,data";

pub fn write_csv_header(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEADER}")
}

/// One CSV record (RFC 4180 quoting), ending in a newline. Timestamps are RFC 3339 UTC with microseconds.
pub fn write_csv_row(out: &mut impl Write, row: &Row<'_>) -> io::Result<()> {
    write!(out, "{},{},", row.id, format_utc(row.ts))?;
    for (i, cell) in [row.kind, row.user, row.ip, row.user_agent, row.data]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_cell(out, cell)?;
    }
    out.write_all(b"\n")
}

fn write_csv_cell(out: &mut impl Write, cell: &str) -> io::Result<()> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || cell.contains([',', '"', '\n', '\r']);
    if !quote {
        return out.write_all(cell.as_bytes());
    }
    out.write_all(b"\"")?;
    if formula {
        out.write_all(b"'")?;
    }
    out.write_all(cell.replace('"', "\"\"").as_bytes())?;
    out.write_all(b"\"")
}

/// `2025-02-11T16:08:44.324452Z`.
pub fn format_utc(ts: UnixNanos) -> String {
    chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// One JSON line for an entry, as received.
pub fn write_json_line(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    out.write_all(entry.json_line().as_bytes())?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(entry_json: &str) -> String {
        let entry = Entry::parse(entry_json).unwrap();
        let mut out = Vec::new();
        write_csv_row(&mut out, &entry.row()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let line = csv(
            r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44.324452","type":"auth:login","user":"a@b.c","ip":"1.2.3.4","user_agent":"Mozilla/5.0 (X11, Linux)","data":{"k":"v"}}"#,
        );
        assert_eq!(
            line,
            "0194f5a3-7b2c-7def-8123-456789abcdef,2025-02-11T16:08:44.324452Z,auth:login,a@b.c,1.2.3.4,\"Mozilla/5.0 (X11, Linux)\",\"{\"\"k\"\":\"\"v\"\"}\"\n"
        );
    }

    #[test]
    fn csv_defuses_spreadsheet_formulas() {
        let line = csv(
            r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44","type":"x","user":"=HYPERLINK(\"http://evil\")","ip":"@SUM(1)","user_agent":"-2+3","data":null}"#,
        );
        assert!(
            line.contains(r#","'=HYPERLINK(""http://evil"")","#),
            "{line}"
        );
        assert!(line.contains(r#","'@SUM(1)","'-2+3","#), "{line}");
    }

    #[test]
    fn json_line_is_the_entry_as_received() {
        let text = r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44","type":"x","zzz":1}"#;
        let mut out = Vec::new();
        write_json_line(&mut out, &Entry::parse(text).unwrap()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{text}\n"));
    }
}
