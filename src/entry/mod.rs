//! The audit entry as the API sends it, and the lenient parsing of pages of entries.
//!
//! Every field the API sends is kept: the parsed ones for sorting, filtering and display, and the whole
//! object as received (`raw`) so that exports, copies and the detail view lose nothing, unknown fields
//! included. An entry that does not parse becomes a [`Rejected`] with its reason; the rest of its page is
//! kept.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::sanitize::scrub;
use crate::timestamp::UnixNanos;

mod malformed;
mod record;
mod row;
mod scanner;

pub use malformed::Malformed;
pub use record::{Json, Record, Shape, compact_json, compact_json_into};
pub use row::Row;

/// One audit log entry.
#[derive(Clone)]
pub struct Entry {
    /// A UUIDv7: its order is the stream's order.
    pub id: Uuid,
    /// `timestamp`, in UTC nanoseconds since the epoch; the time of the id when the timestamp is
    /// unreadable (see `ts_readable`), 0 when the id holds no time either.
    pub ts: UnixNanos,
    /// False when `timestamp` was absent or could not be read as a time: the entry is kept all the same.
    pub ts_readable: bool,
    /// `type`: an open set of names such as `auth:login`.
    pub kind: String,
    pub user: String,
    pub ip: String,
    pub user_agent: String,
    /// `data` as received (`null` when absent).
    pub data: Box<RawValue>,
    /// The whole object as received.
    pub raw: Box<RawValue>,
    /// `timestamp` as received, its JSON text (`None` when absent).
    pub ts_json: Option<Box<RawValue>>,
    /// Which optional fields were `null` or absent.
    pub shape: Shape,
    /// Fields the API does not document, in the order received.
    pub extras: Vec<(Box<str>, Box<RawValue>)>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("ts", &self.ts)
            .field("kind", &self.kind)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

/// An entry that could not be taken, with why. Counted and shown, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The id, when the entry had a readable one: the stream position still moves past it.
    pub id: Option<Uuid>,
    pub reason: String,
    /// The start of the offending JSON text (untrusted: sanitize before display).
    pub excerpt: String,
}

/// The longest id text taken from an excerpt.
const EXCERPT_ID_CHARS: usize = 64;

impl Rejected {
    /// The id to show for it: the readable one, else the text of an `"id"` field its excerpt holds
    /// (not a valid id, but what lets a person find it), else `None`. Untrusted: clean before display.
    pub fn shown_id(&self) -> Option<String> {
        if let Some(id) = self.id {
            return Some(id.to_string());
        }
        let rest = &self.excerpt[self.excerpt.find("\"id\"")? + 4..];
        let rest = rest.trim_start().strip_prefix(':')?.trim_start();
        let text = match rest.strip_prefix('"') {
            Some(quoted) => &quoted[..quoted.find('"').unwrap_or(quoted.len())],
            // A number or a literal: up to the next separator.
            None => &rest[..rest.find([',', '}', ' ']).unwrap_or(rest.len())],
        };
        let text: String = text.chars().take(EXCERPT_ID_CHARS).collect();
        (!text.is_empty()).then_some(text)
    }
}

/// A value read from an entry, owned (`null` when absent).
fn owned_json(json: Option<Json<'_>>) -> Box<RawValue> {
    let text = json.map_or("null", |j| j.get());
    // Already read as JSON: checking it again cannot fail.
    RawValue::from_string(text.to_owned())
        .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"))
}

/// What one response body held.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    pub entries: Vec<Entry>,
    pub rejected: Vec<Rejected>,
}

impl Batch {
    /// The highest id seen in the batch, accepted or rejected: where paging goes on from.
    pub fn last_id(&self) -> Option<Uuid> {
        let accepted = self.entries.iter().map(|e| e.id);
        let rejected = self.rejected.iter().filter_map(|r| r.id);
        accepted.chain(rejected).max()
    }

    /// How many entries the body held, good and bad.
    pub fn len(&self) -> usize {
        self.entries.len() + self.rejected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A body that is not the JSON it should be at all (truncated, HTML, wrong shape): the whole response is
/// unusable and the request should be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("response body is not {expected}: {detail}")]
pub struct BodyError {
    pub expected: &'static str,
    pub detail: String,
}

const EXCERPT_CHARS: usize = 240;

pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

impl Entry {
    /// Parses one entry from the text of a JSON object.
    pub fn parse(text: &str) -> Result<Entry, Rejected> {
        match serde_json::from_str::<&RawValue>(text.trim()) {
            Ok(raw) => Entry::from_raw(raw),
            Err(err) => Err(Rejected {
                id: None,
                reason: format!("not valid JSON: {err}"),
                excerpt: excerpt(text),
            }),
        }
    }

    /// Parses one entry from a JSON value already split out of a page, in one pass (see [`Record`]).
    pub fn from_raw(raw: &RawValue) -> Result<Entry, Rejected> {
        Record::parse(raw).map(|record| Entry::from_record(record, raw))
    }

    fn from_record(record: Record<'_>, raw: &RawValue) -> Entry {
        let data = owned_json(record.data);
        Entry {
            id: Uuid::from_u128(record.id),
            ts: record.ts,
            ts_readable: record.ts_readable,
            kind: record.kind.into_owned(),
            user: record.user.into_owned(),
            ip: record.ip.into_owned(),
            user_agent: record.ua.into_owned(),
            data,
            raw: raw.to_owned(),
            ts_json: record.ts_json.map(|t| owned_json(Some(t))),
            shape: record.shape,
            extras: record
                .extras
                .into_iter()
                .map(|(k, v)| (k.into_owned().into_boxed_str(), owned_json(Some(v))))
                .collect(),
        }
    }

    /// The entry as one line of JSON, as received (re-serialized compactly only if it spanned lines).
    /// The API token, should the server have echoed it into the entry, is scrubbed
    /// ([`crate::sanitize::scrub`]).
    pub fn json_line(&self) -> Cow<'_, str> {
        let text = self.raw.get();
        if !text.contains('\n') && !text.contains('\r') {
            return scrub(text);
        }
        let line = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value.to_string(),
            Err(_) => text.replace(['\n', '\r'], " "),
        };
        Cow::Owned(scrub(&line).into_owned())
    }

    /// The entry as indented JSON, fields in the order received (the token scrubbed).
    pub fn pretty_json(&self) -> String {
        let pretty = serde_json::from_str::<serde_json::Value>(self.raw.get())
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| self.raw.get().to_owned());
        scrub(&pretty).into_owned()
    }

    /// `data` parsed, for display and path look-ups.
    pub fn data_value(&self) -> serde_json::Value {
        serde_json::from_str(self.data.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The time embedded in the UUIDv7 id, in UTC milliseconds, when the id is a v7.
    pub fn id_time_millis(&self) -> Option<i64> {
        id_time_millis(&self.id)
    }
}

/// The time embedded in a UUIDv7, in UTC milliseconds since the epoch.
pub fn id_time_millis(id: &Uuid) -> Option<i64> {
    (id.get_version_num() == 7).then(|| (id.as_u128() >> 80) as i64)
}

fn split_elements(items: Vec<&RawValue>) -> Batch {
    let mut batch = Batch::default();
    for item in items {
        match Entry::from_raw(item) {
            Ok(entry) => batch.entries.push(entry),
            Err(rejected) => batch.rejected.push(rejected),
        }
    }
    batch
}

/// Parses the body of `/api/v1/logs/audit`: a bare JSON array of entries.
pub fn parse_page(body: &str) -> Result<Batch, BodyError> {
    serde_json::from_str::<Vec<&RawValue>>(body)
        .map(split_elements)
        .map_err(|e| BodyError {
            expected: "a JSON array of entries",
            detail: e.to_string(),
        })
}

/// Parses the body of a seed endpoint (`latest`, `earliest`, `search`): `{"log": entry}` as the current
/// API answers, or a bare array (the older `latest`), or `{"log": [..]}`.
pub fn parse_seed(body: &str) -> Result<Batch, BodyError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        log: &'a RawValue,
    }
    let shape_error = |detail: String| BodyError {
        expected: "{\"log\": entry} or an array of entries",
        detail,
    };
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') {
        return parse_page(body).map_err(|e| shape_error(e.detail));
    }
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| shape_error(e.to_string()))?;
    let inner = envelope.log.get().trim_start();
    if inner.starts_with('[') {
        parse_page(inner).map_err(|e| shape_error(e.detail))
    } else if inner == "null" {
        Ok(Batch::default())
    } else {
        Ok(split_elements(vec![envelope.log]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_entry_shows_its_id_or_the_id_text_its_excerpt_holds() {
        let rejected = |id, excerpt: &str| Rejected {
            id,
            reason: "r".into(),
            excerpt: excerpt.into(),
        };
        let uuid = Uuid::from_u128(7);
        let cases = [
            (Some(uuid), r#"{"x": 1}"#, Some(uuid.to_string())),
            (
                None,
                r#"{"id": "not-a-uuid", "type": 3}"#,
                Some("not-a-uuid".into()),
            ),
            (None, r#"{"type": "a", "id":42}"#, Some("42".into())),
            (None, r#"{"type": "auth:login""#, None),
            (None, r#"{"id": ""}"#, None),
            (None, r#"{"id""#, None),
        ];
        for (id, excerpt, expected) in cases {
            assert_eq!(rejected(id, excerpt).shown_id(), expected, "{excerpt}");
        }
    }

    const GOOD: &str = r#"{"data": {"route": "/api/v1/logs/audit"}, "id": "0194f5a3-7b2c-7def-8123-456789abcdef", "ip": "203.0.113.7", "timestamp": "2025-02-11T16:08:44.324452", "type": "auth:login", "user": "user@example.com", "user_agent": "Mozilla/5.0", "extra_field": [1, 2]}"#;

    #[test]
    fn keeps_every_field_including_unknown_ones() {
        let entry = Entry::parse(GOOD).unwrap();
        assert_eq!(entry.id.to_string(), "0194f5a3-7b2c-7def-8123-456789abcdef");
        assert_eq!(entry.kind, "auth:login");
        assert_eq!(entry.user, "user@example.com");
        assert_eq!(entry.ip, "203.0.113.7");
        assert_eq!(entry.user_agent, "Mozilla/5.0");
        assert_eq!(entry.data.get(), r#"{"route": "/api/v1/logs/audit"}"#);
        assert_eq!(entry.json_line(), GOOD);
        assert!(entry.pretty_json().contains("\"extra_field\": [\n"));
        let pretty = entry.pretty_json();
        assert!(pretty.find("\"data\"").unwrap() < pretty.find("\"id\"").unwrap());
    }

    #[test]
    fn optional_fields_may_be_absent_or_null() {
        let text = r#"{"id": "0194f5a3-7b2c-7def-8123-456789abcdef", "timestamp": "2025-02-11T16:08:44", "type": "x:y", "user": null}"#;
        let entry = Entry::parse(text).unwrap();
        assert_eq!(entry.user, "");
        assert_eq!(entry.ip, "");
        assert_eq!(entry.data.get(), "null");
    }

    #[test]
    fn each_failure_has_its_reason() {
        let id = r#""id": "0194f5a3-7b2c-7def-8123-456789abcdef""#;
        let cases: [(String, &str, bool); 9] = [
            (
                r#"{"timestamp": "2025-02-11T16:08:44", "type": "a:b"}"#.into(),
                "missing field `id`",
                false,
            ),
            (
                r#"{"id": "nope", "timestamp": "2025-02-11T16:08:44", "type": "a:b"}"#.into(),
                "`id` is not a UUID",
                false,
            ),
            (
                format!(r#"{{{id}, "timestamp": "2025-02-11T16:08:44"}}"#),
                "missing field `type`",
                true,
            ),
            (
                format!(
                    r#"{{{id}, "timestamp": "2025-02-11T16:08:44", "type": "a:b", "user": 5}}"#
                ),
                "field `user` should be a string, found a number",
                true,
            ),
            (
                format!(
                    r#"{{{id}, "timestamp": "2025-02-11T16:08:44", "type": "a:b", "user": {{"name": "x"}}}}"#
                ),
                "field `user` should be a string, found an object",
                true,
            ),
            (
                format!(r#"{{{id}, "type": 7, "user_agent": [1]}}"#),
                "field `type` should be a string, found a number",
                true,
            ),
            (
                r#"{"id": 12, "timestamp": "2025-02-11T16:08:44", "type": "a:b"}"#.into(),
                "field `id` should be a string, found a number",
                false,
            ),
            (
                r#"[1, 2]"#.into(),
                "expected an object, found an array",
                false,
            ),
            (r#"{"id": "#.into(), "not valid JSON", false),
        ];
        for (text, reason, has_id) in cases {
            let rejected = Entry::parse(&text).unwrap_err();
            assert!(
                rejected.reason.contains(reason),
                "{text}: got {:?}",
                rejected.reason
            );
            assert_eq!(rejected.id.is_some(), has_id, "{text}");
            assert!(!rejected.excerpt.is_empty());
        }
    }

    #[test]
    fn an_odd_timestamp_keeps_the_entry_with_the_time_of_its_id() {
        let odd = [
            r#""20250211T160844Z""#,
            r#""2025-02-11T24:00:00""#,
            r#""2025-02-11T16:08:44.1234567890""#,
            r#"" 2025-02-11T16:08:44""#,
            r#""2025-02-11T16:08:44 +00:00""#,
            r#""2025-02-11T16:08:44+05:30:00""#,
            r#""11/02/2025 16:08""#,
            "1739290124",
            "null",
            r#""""#,
            "{}",
        ];
        let id = "0194f5a3-7b2c-7def-8123-456789abcdef";
        for ts in odd {
            let text = format!(r#"{{"id": "{id}", "timestamp": {ts}, "type": "a:b"}}"#);
            let entry = Entry::parse(&text).unwrap_or_else(|r| panic!("{ts}: {r:?}"));
            assert!(!entry.ts_readable, "{ts}");
            assert_eq!(entry.ts, 0x0194f5a37b2c * 1_000_000, "{ts}");
            assert_eq!(entry.json_line(), text, "{ts}: passed on as received");
            assert_eq!(entry.ts_json.as_deref().map(RawValue::get), Some(ts));
        }
        let missing = Entry::parse(&format!(r#"{{"id": "{id}", "type": "a:b"}}"#)).unwrap();
        assert!(!missing.ts_readable && missing.ts_json.is_none());
        let usual = Entry::parse(&format!(
            r#"{{"id": "{id}", "timestamp": "2025-02-11T16:08:44", "type": "a:b"}}"#
        ))
        .unwrap();
        assert!(usual.ts_readable);
        assert_eq!(usual.ts, 1_739_290_124_000_000_000);
    }

    #[test]
    fn a_bad_entry_does_not_lose_the_rest_of_its_page() {
        let body = format!(r#"[{GOOD}, {{"id": 3}}, {GOOD}]"#);
        let batch = parse_page(&body).unwrap();
        assert_eq!(batch.entries.len(), 2);
        assert_eq!(batch.rejected.len(), 1);
        assert_eq!(batch.len(), 3);
    }

    #[test]
    fn page_body_that_is_not_an_array_is_an_error() {
        for body in ["", "<html>", r#"{"error": "x"}"#, "[{\"id\":"] {
            assert!(parse_page(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn seed_accepts_both_latest_shapes() {
        let one = parse_seed(&format!(r#"{{"log": {GOOD}}}"#)).unwrap();
        assert_eq!(one.entries.len(), 1);
        let many = parse_seed(&format!("[{GOOD}, {GOOD}]")).unwrap();
        assert_eq!(many.entries.len(), 2);
        let wrapped = parse_seed(&format!(r#"{{"log": [{GOOD}]}}"#)).unwrap();
        assert_eq!(wrapped.entries.len(), 1);
        let bad_inner = parse_seed(r#"{"log": {"id": 1}}"#).unwrap();
        assert_eq!(bad_inner.rejected.len(), 1);
        assert!(parse_seed(r#"{"error": "nope"}"#).is_err());
        assert!(parse_seed("not json").is_err());
    }

    #[test]
    fn last_id_counts_rejected_entries_with_ids() {
        let low = "0194f5a3-7b2c-7def-8123-000000000001";
        let high = "0194f5a3-7b2c-7def-8123-000000000009";
        let body = format!(
            r#"[{{"id": "{low}", "timestamp": "2025-02-11T16:08:44", "type": "a:b"}}, {{"id": "{high}", "timestamp": "2025-02-11T16:08:44", "type": "a:b", "user": {{"o": 1}}}}]"#
        );
        let batch = parse_page(&body).unwrap();
        assert_eq!(batch.last_id().unwrap().to_string(), high);
    }

    #[test]
    fn multi_line_raw_becomes_one_json_line() {
        let pretty = Entry::parse(GOOD).unwrap().pretty_json();
        let entry = Entry::parse(&pretty).unwrap();
        let line = entry.json_line();
        assert!(!line.contains('\n'));
        assert_eq!(Entry::parse(&line).unwrap().id, entry.id);
    }

    #[test]
    fn id_time_comes_from_a_v7_id_only() {
        let entry = Entry::parse(GOOD).unwrap();
        assert_eq!(entry.id_time_millis(), Some(0x0194f5a37b2c));
        assert_eq!(id_time_millis(&Uuid::nil()), None);
    }
}
