//! The detail view: every field of one entry, `data` as pretty JSON, times in UTC and local, the id's
//! embedded time; long values wrapped, the whole scrollable, one field selectable for copying.

use chrono::{DateTime, FixedOffset};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use unicode_width::UnicodeWidthChar;

use crate::entry::Row;
use crate::entry::id_time_millis;
use crate::sanitize::clean;
use crate::ui::theme;
use crate::ui::time::Zone;

/// One copyable field: its name and its value as the user would paste it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// One logical line of the document, before wrapping.
struct DocLine {
    label: String,
    text: String,
    field: Option<usize>,
    style: Style,
}

/// The entry laid out as lines, with the fields that can be selected.
pub struct DetailDoc {
    pub fields: Vec<Field>,
    lines: Vec<DocLine>,
}

const LABEL_WIDTH: usize = 12;

impl DetailDoc {
    /// Lays out an entry; `local` is the local zone's offset (injected, so tests do not depend on the
    /// machine's zone).
    pub fn build(row: &Row<'_>, local: FixedOffset) -> DetailDoc {
        let mut doc = DetailDoc {
            fields: Vec::new(),
            lines: Vec::new(),
        };
        let id = row.id.to_string();
        doc.field("id", &id, &id);
        let id_time = match id_time_millis(&row.id) {
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
        doc.field(
            "timestamp",
            &utc,
            &Zone::Utc.format(row.ts, "%Y-%m-%d %H:%M:%S%.6f UTC"),
        );
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

    fn field(&mut self, name: &str, value: &str, shown: &str) {
        self.fields.push(Field {
            name: name.to_owned(),
            value: value.to_owned(),
        });
        self.lines.push(DocLine {
            label: name.to_owned(),
            text: clean(shown).into_owned(),
            field: Some(self.fields.len() - 1),
            style: Style::new(),
        });
    }

    fn info(&mut self, label: &str, text: &str) {
        self.lines.push(DocLine {
            label: label.to_owned(),
            text: text.to_owned(),
            field: None,
            style: theme::dim(),
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
            let copy = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.fields.push(Field {
                name: format!("data.{key}"),
                value: copy,
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
            style: Style::new(),
        });
    }

    /// The document wrapped to `width`: each screen line with the field it belongs to.
    fn wrapped(&self, width: u16) -> Vec<(Line<'static>, Option<usize>)> {
        let room = usize::from(width).saturating_sub(LABEL_WIDTH + 1).max(8);
        let mut out = Vec::new();
        for line in &self.lines {
            for (i, chunk) in wrap(&line.text, room).into_iter().enumerate() {
                let label = if i == 0 { line.label.as_str() } else { "" };
                out.push((
                    Line::from(vec![
                        Span::styled(format!("{label:>LABEL_WIDTH$} "), theme::field_name()),
                        Span::styled(chunk, line.style),
                    ]),
                    line.field,
                ));
            }
        }
        out
    }

    /// How many screen lines the document takes at this width.
    pub fn height(&self, width: u16) -> usize {
        self.wrapped(width).len()
    }

    /// The first screen line of a field.
    pub fn field_line(&self, width: u16, field: usize) -> Option<usize> {
        self.wrapped(width)
            .iter()
            .position(|(_, f)| *f == Some(field))
    }
}

/// Splits text into pieces at most `width` columns wide.
fn wrap(text: &str, width: usize) -> Vec<String> {
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

pub struct Detail<'a> {
    pub doc: &'a DetailDoc,
    /// The first line shown.
    pub scroll: usize,
    pub selected_field: Option<usize>,
}

impl Detail<'_> {
    /// The inner width the document is wrapped to, for an area.
    pub fn inner_width(area: Rect) -> u16 {
        area.width.saturating_sub(2)
    }

    pub fn inner_height(area: Rect) -> u16 {
        area.height.saturating_sub(2)
    }
}

impl Widget for Detail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let block = Block::bordered()
            .title(Line::styled(" Entry ", theme::title()))
            .title_bottom(
                Line::styled(
                    " tab field · c copy field · y copy entry · esc back ",
                    theme::dim(),
                )
                .right_aligned(),
            );
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = self.doc.wrapped(inner.width);
        let max_scroll = lines.len().saturating_sub(inner.height.into());
        let scroll = self.scroll.min(max_scroll);
        for (i, (line, field)) in lines
            .iter()
            .skip(scroll)
            .take(inner.height.into())
            .enumerate()
        {
            let y = inner.y + i as u16;
            buf.set_line(inner.x, y, line, inner.width);
            if field.is_some() && *field == self.selected_field {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    theme::selected(),
                );
            }
        }
        if lines.len() > inner.height.into() {
            let text = format!(" {}/{} ", scroll + 1, max_scroll + 1);
            let x = area.right().saturating_sub(text.len() as u16 + 1);
            buf.set_string(x, area.y, text, theme::dim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;

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
        for (line, _) in doc.wrapped(30) {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(!text.contains('\u{1b}'), "{text:?}");
            assert!(line.width() <= 30, "{text:?}");
        }
        assert!(doc.height(30) > doc.height(120), "narrow means more lines");
    }

    #[test]
    fn wrap_splits_by_display_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("日本語", 4), ["日本", "語"]);
    }
}
