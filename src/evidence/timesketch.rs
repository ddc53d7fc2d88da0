//! `timeline.jsonl` for Timesketch: one JSON object a line with `message`, `datetime`,
//! `timestamp_desc` and `data_type`, plus the entry's fields (its `data` as compact JSON text).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::inert;
use crate::entry::Entry;
use crate::export::format_utc;

pub const DATA_TYPE: &str = "harvey:audit:entry";
pub const TIMESTAMP_DESC: &str = "Audit Event Recorded";

/// Every entry, in id order, marked ones carrying `marked: true` and their note.
pub fn render(entries: &[Entry], marks: &BTreeMap<Uuid, Option<String>>) -> String {
    let mut out = String::new();
    for entry in entries {
        let mut line = line(entry);
        if let Some(note) = marks.get(&entry.id) {
            line.insert("marked".into(), Value::Bool(true));
            if let Some(note) = note {
                line.insert("note".into(), Value::String(note.clone()));
            }
        }
        out.push_str(&inert::json_text(Value::Object(line).to_string()));
        out.push('\n');
    }
    out
}

fn line(entry: &Entry) -> Map<String, Value> {
    let data = serde_json::from_str::<Value>(entry.data.get())
        .map(|v| v.to_string())
        .unwrap_or_else(|_| entry.data.get().to_owned());
    let value = json!({
        "message": format!("{} by {} from {}", entry.kind, entry.user, entry.ip),
        "datetime": format_utc(entry.ts),
        "timestamp_desc": TIMESTAMP_DESC,
        "data_type": DATA_TYPE,
        "id": entry.id.to_string(),
        "event_type": entry.kind,
        "user": entry.user,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "data": data,
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
