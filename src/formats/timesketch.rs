//! Entries as Timesketch timeline events: the JSONL import format, whose required fields are
//! `message`, `datetime` (ISO 8601) and `timestamp_desc`. The entry's own fields follow under their
//! names (`data` as JSON text, since a timeline's attributes are flat), with `data_type` naming the
//! source so that analyzers and searches can select it.

use serde_json::{Map, Value, json};

use super::unmapped_fields;
use crate::export::{Row, format_utc};
use crate::sanitize::clean;

/// `data_type` of every event.
pub const DATA_TYPE: &str = "harvey:audit:entry";

/// `timestamp_desc`: what the time is the time of.
pub const TIMESTAMP_DESC: &str = "Event Recorded";

/// The one-line summary a timeline shows: type, who, from where. Control characters are escaped: a
/// timeline viewer is a screen too.
pub fn message(row: &Row<'_>) -> String {
    let mut text = row.kind.to_owned();
    if !row.user.is_empty() {
        text.push_str(" by ");
        text.push_str(row.user);
    }
    if !row.ip.is_empty() {
        text.push_str(" from ");
        text.push_str(row.ip);
    }
    clean(&text).into_owned()
}

/// The Timesketch event for one entry (`raw`: its JSON text as received).
pub fn event(row: &Row<'_>, raw: &str) -> Value {
    let mut event = Map::new();
    event.insert("message".into(), json!(message(row)));
    event.insert("datetime".into(), json!(format_utc(row.ts)));
    event.insert("timestamp".into(), json!(row.ts.div_euclid(1_000)));
    event.insert("timestamp_desc".into(), json!(TIMESTAMP_DESC));
    event.insert("data_type".into(), json!(DATA_TYPE));
    event.insert("entry_id".into(), json!(row.id.to_string()));
    event.insert("type".into(), json!(row.kind));
    event.insert("user".into(), json!(row.user));
    event.insert("ip".into(), json!(row.ip));
    event.insert("user_agent".into(), json!(row.user_agent));
    for (key, value) in unmapped_fields(raw) {
        let flat = match value {
            Value::String(s) => Value::String(s),
            Value::Number(n) => Value::Number(n),
            Value::Bool(b) => Value::Bool(b),
            other => Value::String(other.to_string()),
        };
        // An undocumented field never overwrites one written above.
        event.entry(key).or_insert(flat);
    }
    Value::Object(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tests::entry;

    const REQUIRED: [&str; 3] = ["message", "datetime", "timestamp_desc"];

    #[test]
    fn an_event_has_the_required_fields_and_flat_attributes() {
        let e = entry("auth:failed", r#"{"reason":"mfa_failed"}"#);
        let event = event(&e.row(), e.raw.get());
        for key in REQUIRED {
            assert!(event[key].is_string(), "{key}: {event}");
        }
        assert!(chrono::DateTime::parse_from_rfc3339(event["datetime"].as_str().unwrap()).is_ok());
        assert_eq!(event["timestamp"], 1_739_290_124_324_452i64);
        assert_eq!(
            event["message"],
            "auth:failed by ana@firm.example from 185.220.101.47"
        );
        assert_eq!(event["data"], r#"{"reason":"mfa_failed"}"#);
        assert_eq!(event["extra"], 7);
        for (key, value) in event.as_object().unwrap() {
            assert!(!value.is_object() && !value.is_array(), "{key} is flat");
        }
    }

    #[test]
    fn the_message_shows_control_characters_as_escapes() {
        let e = crate::entry::Entry::parse(
            r#"{"id":"0194f5a3-7b2c-7def-8123-456789abcdef","timestamp":"2025-02-11T16:08:44","type":"auth:login","user":"x\u001b]52;c;AAAA\u0007"}"#,
        )
        .unwrap();
        let message = message(&e.row());
        assert!(
            !message.contains('\u{1b}') && !message.contains('\u{7}'),
            "{message}"
        );
    }
}
