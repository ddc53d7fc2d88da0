//! `timeline.jsonl` for Timesketch: each entry as the project's Timesketch event
//! ([`crate::formats::timesketch`]: `message`, `datetime`, `timestamp_desc`, `data_type` and the fields),
//! with `marked` and the note added for the entries the investigation marked.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use super::inert;
use crate::entry::Entry;
use crate::formats::timesketch::event;

/// Every entry, in id order, marked ones carrying `marked: true` and their note.
pub fn render(entries: &[Entry], marks: &BTreeMap<Uuid, Option<String>>) -> String {
    let mut out = String::new();
    for entry in entries {
        let mut line = event(&entry.row(), entry.raw.get());
        if let (Some(note), Value::Object(fields)) = (marks.get(&entry.id), &mut line) {
            fields.insert("marked".into(), Value::Bool(true));
            if let Some(note) = note {
                fields.insert("note".into(), Value::String(note.clone()));
            }
        }
        out.push_str(&inert::json_text(line.to_string()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::timesketch::{DATA_TYPE, TIMESTAMP_DESC};

    #[test]
    fn each_line_has_the_fields_timesketch_requires() {
        let entry = Entry::parse(r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44.324452","type":"auth:login","user":"a@b.c","ip":"1.2.3.4","user_agent":"x\u202ey","data":{"k":1}}"#).unwrap();
        let marks = BTreeMap::from([(entry.id, Some("first login".to_owned()))]);
        let text = render(std::slice::from_ref(&entry), &marks);
        assert_eq!(text.lines().count(), 1);
        assert!(
            text.contains(r"x\u202ey"),
            "bidi override written as an escape: {text}"
        );
        let value: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(value["message"], "auth:login by a@b.c from 1.2.3.4");
        assert_eq!(value["datetime"], "2025-02-11T16:08:44.324452Z");
        assert_eq!(value["timestamp_desc"], TIMESTAMP_DESC);
        assert_eq!(value["data_type"], DATA_TYPE);
        assert_eq!(value["data"], r#"{"k":1}"#);
        assert_eq!(value["marked"], true);
        assert_eq!(value["note"], "first login");
        assert_eq!(value["user_agent"], "x\u{202e}y");
    }
}
