//! The detail view's document: every field of one entry, `data` as pretty JSON, times in UTC and local,
//! the id's embedded time; long values wrapped to a width, one field selectable for copying. What is
//! shown is cleaned here; what is copied is kept as sent and escaped when copied ([`Field::copy_text`]). Drawing it is `ui::detail`.

use chrono::{DateTime, FixedOffset};
use unicode_width::UnicodeWidthChar;

use crate::clock::Zone;
use crate::entry::Row;
use crate::entry::id_time_millis;
use crate::sanitize::{clean, clean_json, scrub};

/// One copyable field: its name and its value as received (the token scrubbed when copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// The value is JSON (`data`, a non-string member of it): escaped the JSON way when copied.
    pub json: bool,
}

impl Field {
    /// The value as a copy carries it: unsafe characters escaped ([`clean`], or [`clean_json`] for JSON,
    /// which still parses to the same value), or, when `raw`, as received. The token is scrubbed either way.
    pub fn copy_text(&self, raw: bool) -> String {
        let text = match (raw, self.json) {
            (true, _) => scrub(&self.value),
            (false, true) => clean_json(&self.value),
            (false, false) => clean(&self.value),
        };
        text.into_owned()
    }
}

/// What a line says: a value of the entry, or information derived from it (drawn dimmer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Value,
    Info,
}

/// One logical line of the document, before wrapping.
struct DocLine {
    label: String,
    text: String,
    field: Option<usize>,
    kind: LineKind,
}

/// One screen line of the wrapped document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedLine {
    /// The label, on the first screen line of a logical line only.
    pub label: String,
    pub text: String,
    /// The field the line belongs to, if any.
    pub field: Option<usize>,
    pub kind: LineKind,
}

/// The entry laid out as lines, with the fields that can be selected.
pub struct DetailDoc {
    pub fields: Vec<Field>,
    lines: Vec<DocLine>,
    /// The document wrapped to the width it is shown at, kept so drawing and scrolling do not re-wrap
    /// it on every frame.
    wrapped: Option<(u16, Vec<WrappedLine>)>,
}

/// Columns of the label before each line; the text starts one column after it.
pub const LABEL_WIDTH: usize = 12;

impl DetailDoc {
    /// Lays out an entry; `local` is the local zone's offset (injected, so tests do not depend on the
    /// machine's zone).
    pub fn build(row: &Row<'_>, local: FixedOffset) -> DetailDoc {
        let mut doc = DetailDoc {
            fields: Vec::new(),
            lines: Vec::new(),
            wrapped: None,
        };
        let id = row.id.to_string();
        doc.field("id", &id, &id);
        let id_time = match id_time_millis(&row.id) {
            Some(ms) if !row.ts_readable => Zone::Utc.format(
                ms.saturating_mul(1_000_000),
                "%Y-%m-%d %H:%M:%S%.3f UTC · the entry's time",
            ),
            Some(ms) => {
                let nanos = ms.saturating_mul(1_000_000);
                let skew = (row.ts - nanos) / 1_000_000;
                format!(
                    "{} UTC · timestamp {}{} ms",
                    Zone::Utc.format(nanos, "%Y-%m-%d %H:%M:%S%.3f"),
                    if skew >= 0 { "+" } else { "" },
                    skew
                )
            }
            None => "not a UUIDv7: no embedded time".to_owned(),
        };
        doc.info("id time", &id_time);
        let utc = Zone::Utc.format(row.ts, "%Y-%m-%dT%H:%M:%S%.6fZ");
        if row.ts_readable {
            doc.field(
                "timestamp",
                &utc,
                &Zone::Utc.format(row.ts, "%Y-%m-%d %H:%M:%S%.6f UTC"),
            );
        } else {
            doc.field("timestamp", "", &unreadable_timestamp(None));
        }
        let local_time = DateTime::from_timestamp_nanos(row.ts).with_timezone(&local);
        doc.info(
            "local",
            &local_time.format("%Y-%m-%d %H:%M:%S%.6f %:z").to_string(),
        );
        doc.field("type", row.kind, row.kind);
        doc.field("user", row.user, row.user);
        doc.field("ip", row.ip, row.ip);
        doc.field("user_agent", row.user_agent, row.user_agent);
        doc.data(row.data);
        doc
    }

    /// The timestamp as received, for an entry whose timestamp could not be read (JSON text, `""` when
    /// absent): shown on the timestamp line, and what copying that field gives.
    pub fn received_timestamp(&mut self, received: Option<&str>) {
        let Some(index) = self.fields.iter().position(|f| f.name == "timestamp") else {
            return;
        };
        if !self.fields[index].value.is_empty() {
            return;
        }
        let received = received.unwrap_or_default();
        self.fields[index].value = received.to_owned();
        if let Some(line) = self.lines.iter_mut().find(|l| l.field == Some(index)) {
            line.text = clean(&unreadable_timestamp(Some(received))).into_owned();
        }
        self.wrapped = None;
    }

    fn field(&mut self, name: &str, value: &str, shown: &str) {
        self.fields.push(Field {
            name: name.to_owned(),
            value: value.to_owned(),
            json: false,
        });
        self.lines.push(DocLine {
            label: name.to_owned(),
            text: clean(shown).into_owned(),
            field: Some(self.fields.len() - 1),
            kind: LineKind::Value,
        });
    }

    fn info(&mut self, label: &str, text: &str) {
        self.lines.push(DocLine {
            label: label.to_owned(),
            text: text.to_owned(),
            field: None,
            kind: LineKind::Info,
        });
    }

    /// `data` as pretty JSON; each top-level key is a field of its own.
    fn data(&mut self, data_json: &str) {
        let value: serde_json::Value = match serde_json::from_str(data_json) {
            Ok(v) => v,
            Err(_) => {
                self.field("data", data_json, data_json);
                return;
            }
        };
        let whole = serde_json::to_string_pretty(&value).unwrap_or_default();
        self.fields.push(Field {
            name: "data".to_owned(),
            value: whole.clone(),
            json: true,
        });
        let data_field = self.fields.len() - 1;
        let serde_json::Value::Object(map) = value else {
            for text in whole.lines() {
                self.json_line("data", text, Some(data_field));
            }
            return;
        };
        self.json_line("data", "{", Some(data_field));
        let count = map.len();
        for (i, (key, value)) in map.iter().enumerate() {
            let (copy, json) = match value {
                serde_json::Value::String(s) => (s.clone(), false),
                other => (other.to_string(), true),
            };
            self.fields.push(Field {
                name: format!("data.{key}"),
                value: copy,
                json,
            });
            let field = Some(self.fields.len() - 1);
            let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
            let key_json = serde_json::to_string(key).unwrap_or_default();
            let comma = if i + 1 < count { "," } else { "" };
            let mut parts = pretty.lines().peekable();
            let mut first = true;
            while let Some(part) = parts.next() {
                let end = if parts.peek().is_none() { comma } else { "" };
                let text = if first {
                    format!("  {key_json}: {part}{end}")
                } else {
                    format!("  {part}{end}")
                };
                first = false;
                self.json_line("", &text, field);
            }
        }
        self.json_line("", "}", Some(data_field));
    }

    fn json_line(&mut self, label: &str, text: &str, field: Option<usize>) {
        self.lines.push(DocLine {
            label: label.to_owned(),
            text: clean(text).into_owned(),
            field,
            kind: LineKind::Value,
        });
    }

    /// Wraps the document to the width it is shown at, once (again after a resize).
    pub fn wrap_to(&mut self, width: u16) {
        if self.wrapped.as_ref().is_none_or(|(w, _)| *w != width) {
            self.wrapped = Some((width, self.wrapped(width)));
        }
    }

    /// The document at `width`: the kept wrapping when it is for that width, a fresh one otherwise.
    pub fn lines(&self, width: u16) -> std::borrow::Cow<'_, [WrappedLine]> {
        match &self.wrapped {
            Some((w, lines)) if *w == width => std::borrow::Cow::Borrowed(lines),
            _ => std::borrow::Cow::Owned(self.wrapped(width)),
        }
    }

    /// The document wrapped to `width`: each screen line with the field it belongs to.
    fn wrapped(&self, width: u16) -> Vec<WrappedLine> {
        let room = usize::from(width).saturating_sub(LABEL_WIDTH + 1).max(8);
        let mut out = Vec::new();
        for line in &self.lines {
            for (i, chunk) in wrap(&line.text, room).into_iter().enumerate() {
                out.push(WrappedLine {
                    label: if i == 0 {
                        line.label.clone()
                    } else {
                        String::new()
                    },
                    text: chunk,
                    field: line.field,
                    kind: line.kind,
                });
            }
        }
        out
    }

    /// How many screen lines the document takes at this width.
    pub fn height(&self, width: u16) -> usize {
        self.lines(width).len()
    }

    /// The first screen line of a field.
    pub fn field_line(&self, width: u16, field: usize) -> Option<usize> {
        self.lines(width)
            .iter()
            .position(|l| l.field == Some(field))
    }
}

/// Splits text into pieces at most `width` columns wide.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        out.last_mut().expect("never empty").push(c);
        used += w;
    }
    out
}

/// The timestamp line of an entry whose timestamp could not be read.
fn unreadable_timestamp(received: Option<&str>) -> String {
    match received {
        Some("") => "unreadable: absent · the id's time stands in".to_owned(),
        Some(text) => format!("unreadable: {text} · the id's time stands in"),
        None => "unreadable · the id's time stands in".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use unicode_width::UnicodeWidthStr;

    const ENTRY: &str = r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44.324452","type":"auth:login","user":"a@b.c","ip":"1.2.3.4","user_agent":"UA\u001b[31m","data":{"route":"/x","n":{"a":[1,2]}}}"#;

    #[test]
    fn every_field_and_each_data_key_can_be_copied() {
        let entry = Entry::parse(ENTRY).unwrap();
        let doc = DetailDoc::build(&entry.row(), FixedOffset::east_opt(3600).unwrap());
        let names: Vec<_> = doc.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "timestamp",
                "type",
                "user",
                "ip",
                "user_agent",
                "data",
                "data.route",
                "data.n"
            ]
        );
        let value = |name: &str| {
            doc.fields
                .iter()
                .find(|f| f.name == name)
                .unwrap()
                .value
                .clone()
        };
        assert_eq!(
            value("data.route"),
            "/x",
            "strings are copied without quotes"
        );
        assert_eq!(value("data.n"), r#"{"a":[1,2]}"#);
        assert_eq!(value("timestamp"), "2025-02-11T16:08:44.324452Z");
        assert_eq!(
            value("user_agent"),
            "UA\u{1b}[31m",
            "copies keep the value as sent"
        );
    }

    #[test]
    fn shown_text_is_clean_and_wrapped_to_the_width() {
        let entry = Entry::parse(ENTRY).unwrap();
        let doc = DetailDoc::build(&entry.row(), FixedOffset::east_opt(3600).unwrap());
        for line in doc.wrapped(30) {
            let text = format!("{:>LABEL_WIDTH$} {}", line.label, line.text);
            assert!(!text.contains('\u{1b}'), "{text:?}");
            assert!(UnicodeWidthStr::width(text.as_str()) <= 30, "{text:?}");
        }
        assert!(doc.height(30) > doc.height(120), "narrow means more lines");
    }

    #[test]
    fn the_kept_wrapping_is_the_wrapping_at_its_width() {
        let entry = Entry::parse(ENTRY).unwrap();
        let mut doc = DetailDoc::build(&entry.row(), FixedOffset::east_opt(3600).unwrap());
        doc.wrap_to(30);
        assert!(matches!(doc.lines(30), std::borrow::Cow::Borrowed(_)));
        assert_eq!(doc.lines(30).as_ref(), doc.wrapped(30).as_slice());
        assert_eq!(doc.lines(120).as_ref(), doc.wrapped(120).as_slice());
        doc.wrap_to(120);
        assert!(matches!(doc.lines(120), std::borrow::Cow::Borrowed(_)));
        assert_eq!(doc.height(120), doc.wrapped(120).len());
    }

    #[test]
    fn wrap_splits_by_display_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("日本語", 4), ["日本", "語"]);
    }
}
