//! The shapes entries are written in, for people and for the engines that ingest them: JSON lines as
//! received, CSV, and three schemas that SIEMs and timeline tools read without glue: OCSF, Elastic
//! Common Schema and Timesketch's JSONL. `tail`, `query`, the TUI's export and the evidence bundle all
//! write through [`write_entry`].
//!
//! Each schema's mapping is a table (data, not code paths) beside the function that applies it; fields
//! the schema has no place for are kept (OCSF `unmapped`, ECS `harvey.*`, Timesketch extra keys), and
//! the entry as received rides along, so a conversion never loses anything.

mod ecs;
mod ocsf;
pub(crate) mod timesketch;

use std::io::{self, Write};
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::export::{self, Row};

/// An output format for entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The entry as received, one JSON object per line
    #[default]
    Jsonl,
    /// One row per entry, with a header (RFC 4180; formula cells defused)
    Csv,
    /// Open Cybersecurity Schema Framework 1.3 events, one per line
    Ocsf,
    /// Elastic Common Schema 8.x documents, one per line
    Ecs,
    /// Timesketch's JSONL import format (message, datetime, timestamp_desc)
    Timesketch,
}

impl Format {
    /// The file name extension of an export in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Ocsf => "ocsf.jsonl",
            Format::Ecs => "ecs.jsonl",
            Format::Timesketch => "timesketch.jsonl",
        }
    }

    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
            Format::Timesketch => "timesketch",
        }
    }

    /// Whether the output starts with a header line (written once, not again when appending).
    pub fn has_header(self) -> bool {
        self == Format::Csv
    }
}

/// Writes what comes before the first entry (the CSV header; nothing for the JSON formats).
pub fn write_header(out: &mut impl Write, format: Format) -> io::Result<()> {
    if format.has_header() {
        export::write_csv_header(out)?;
    }
    Ok(())
}

/// Writes one entry: `row` holds its columns, `raw` its JSON text as received. Ends in a newline; the
/// OCSF format may write more than one line for an entry (see [`ocsf`]).
pub fn write_entry(
    out: &mut impl Write,
    format: Format,
    row: &Row<'_>,
    raw: &str,
) -> io::Result<()> {
    match format {
        Format::Jsonl => {
            if raw.contains(['\n', '\r']) {
                out.write_all(crate::store::compact_json(raw).as_bytes())?;
            } else {
                out.write_all(raw.as_bytes())?;
            }
            out.write_all(b"\n")
        }
        Format::Csv => export::write_csv_row(out, row),
        Format::Ocsf => {
            for event in ocsf::events(row, raw) {
                write_value(out, &event)?;
            }
            Ok(())
        }
        Format::Ecs => write_value(out, &ecs::document(row, raw)),
        Format::Timesketch => write_value(out, &timesketch::event(row, raw)),
    }
}

fn write_value(out: &mut impl Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The fields of the entry as received that the schemas map (the API's documented columns).
const MAPPED: [&str; 6] = ["id", "timestamp", "type", "user", "ip", "user_agent"];

/// The entry as received, parsed (an object; anything else gives an empty map).
fn parse_object(raw: &str) -> Map<String, Value> {
    match serde_json::from_str(raw) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The entry's fields that no schema column holds: `data` and any field the API does not document.
fn unmapped_fields(raw: &str) -> Map<String, Value> {
    let mut map = parse_object(raw);
    map.retain(|key, _| !MAPPED.contains(&key.as_str()));
    map
}

/// `ip` when it is an address a schema's IP type accepts; `None` for the empty or malformed (those are
/// kept in the unmapped fields instead, since an engine would refuse the whole event).
fn valid_ip(ip: &str) -> Option<IpAddr> {
    ip.parse().ok()
}

/// `ts` in milliseconds since the epoch.
fn millis(row: &Row<'_>) -> i64 {
    row.ts.div_euclid(1_000_000)
}

/// The first of `data`'s values under `key`, as text (a string, or the first string of an array).
fn data_text(data: &Value, key: &str) -> Option<String> {
    match data.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;

    pub(crate) fn entry(kind: &str, data: &str) -> Entry {
        Entry::parse(&format!(
            r#"{{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44.324452","type":"{kind}","user":"ana@firm.example","ip":"185.220.101.47","user_agent":"Mozilla/5.0","data":{data},"extra":7}}"#
        ))
        .unwrap()
    }

    fn written(format: Format, entry: &Entry) -> String {
        let mut out = Vec::new();
        write_entry(&mut out, format, &entry.row(), entry.raw.get()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_json_format_writes_one_object_per_line() {
        let e = entry("auth:login", r#"{"site":"app.harvey.ai"}"#);
        for format in [Format::Jsonl, Format::Ocsf, Format::Ecs, Format::Timesketch] {
            let text = written(format, &e);
            assert!(text.ends_with('\n'), "{format:?}: {text}");
            for line in text.lines() {
                let value: Value = serde_json::from_str(line).unwrap();
                assert!(value.is_object(), "{format:?}: {line}");
            }
        }
        assert_eq!(written(Format::Jsonl, &e), format!("{}\n", e.raw.get()));
    }

    #[test]
    fn a_multi_line_entry_stays_on_one_line_in_every_format() {
        let e = Entry::parse(
            "{\"id\":\"0194f5a3-7b2c-7def-8123-456789abcdef\",\n\"timestamp\":\"2025-02-11T16:08:44\",\n\"type\":\"x:y\",\"data\":{\"note\":\"a\\nb\"}}",
        )
        .unwrap();
        for format in [Format::Jsonl, Format::Ocsf, Format::Ecs, Format::Timesketch] {
            assert_eq!(written(format, &e).lines().count(), 1, "{format:?}");
        }
    }

    #[test]
    fn only_csv_has_a_header() {
        let mut out = Vec::new();
        write_header(&mut out, Format::Csv).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim(), export::CSV_HEADER);
        for format in [Format::Jsonl, Format::Ocsf, Format::Ecs, Format::Timesketch] {
            let mut out = Vec::new();
            write_header(&mut out, format).unwrap();
            assert!(out.is_empty(), "{format:?}");
        }
    }

    #[test]
    fn unmapped_fields_are_data_and_undocumented_ones() {
        let e = entry("auth:login", r#"{"site":"s"}"#);
        let unmapped = unmapped_fields(e.raw.get());
        let keys: Vec<&str> = unmapped.keys().map(String::as_str).collect();
        assert_eq!(keys, ["data", "extra"]);
    }
}
