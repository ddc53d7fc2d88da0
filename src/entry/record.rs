//! One pass over an entry's JSON object that yields every field, unknown ones included, borrowed from the
//! text where it holds no escapes. [`Entry::from_raw`], the store and the bulk loader all read entries
//! through it, so every part of the crate takes and rejects the same entries for the same reasons.
//!
//! Only a readable `id` and a `type` are required. A `timestamp` that is missing, not a string or not a
//! time the parser reads keeps the entry: its time is then the one embedded in the id, and the entry is
//! marked as having an unreadable timestamp. Whatever else is wrong, the id is read on its own, so that
//! the stream can move past a rejected entry.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Entry, Rejected, excerpt, id_time_millis, scanner};
use crate::timestamp::{UnixNanos, parse_timestamp};

/// Which of the optional text fields were `null` or absent rather than a string, so that an entry
/// written back gives them back as received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Fields sent as `null` (bits of [`Shape::USER`], [`Shape::IP`], [`Shape::USER_AGENT`]).
    pub null: u8,
    /// Fields not sent at all (the same bits, and [`Shape::DATA`]).
    pub absent: u8,
}

impl Shape {
    pub const USER: u8 = 1;
    pub const IP: u8 = 2;
    pub const USER_AGENT: u8 = 4;
    pub const DATA: u8 = 8;

    pub fn is_plain(&self) -> bool {
        self.null == 0 && self.absent == 0
    }
}

/// The text of one JSON value as received, known to be valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Json<'a> {
    text: &'a str,
    /// Known to hold no insignificant whitespace and no escapes: [`compact_json_into`] would copy it.
    compact: bool,
}

impl<'a> Json<'a> {
    /// `text` must be valid JSON (it was read as such).
    pub(crate) fn checked(text: &'a str, compact: bool) -> Json<'a> {
        Json { text, compact }
    }

    pub fn get(&self) -> &'a str {
        self.text
    }

    /// Appends the value as [`compact_json_into`] does, copying it whole when it is already compact.
    pub fn compact_into(&self, out: &mut String) {
        if self.compact {
            out.push_str(self.text);
        } else {
            compact_json_into(self.text, out);
        }
    }
}

impl<'a> From<&'a RawValue> for Json<'a> {
    fn from(raw: &'a RawValue) -> Json<'a> {
        Json::checked(raw.get(), false)
    }
}

/// An entry's fields, validated, ready to be stored.
#[derive(Debug)]
pub struct Record<'a> {
    pub id: u128,
    /// The timestamp, or the id's time when the timestamp is unreadable (0 when the id holds none).
    pub ts: UnixNanos,
    /// `timestamp` as received: its JSON text (`None` when absent).
    pub ts_json: Option<Json<'a>>,
    /// False when `timestamp` was absent or could not be read as a time.
    pub ts_readable: bool,
    pub kind: Cow<'a, str>,
    pub user: Cow<'a, str>,
    pub ip: Cow<'a, str>,
    pub ua: Cow<'a, str>,
    pub shape: Shape,
    /// `data` as received (`None` when absent).
    pub data: Option<Json<'a>>,
    /// Fields the API does not document, in the order received.
    pub extras: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Record<'a> {
    /// Reads an entry object.
    pub fn parse(raw: &'a RawValue) -> Result<Record<'a>, Rejected> {
        Self::read(raw.get())
    }

    /// Reads an entry object from its JSON text, in a single pass when it is well formed: by hand when
    /// it has the common shape ([`scanner`]), else by serde.
    pub fn read(text: &'a str) -> Result<Record<'a>, Rejected> {
        if let Some(wire) = scanner::read(text) {
            return Self::from_wire(wire, text);
        }
        Self::read_by_serde(text)
    }

    /// [`Record::read`] without the hand-written reader (what it must agree with).
    pub(crate) fn read_by_serde(text: &'a str) -> Result<Record<'a>, Rejected> {
        match serde_json::from_str::<Wire<'a>>(text) {
            Ok(wire) => Self::from_wire(wire, text),
            Err(_) => Err(explain(text)),
        }
    }

    /// Reads an entry object from the text of one line, in a single pass.
    pub fn parse_line(line: &'a [u8]) -> Result<Record<'a>, Rejected> {
        // Checked in wide steps; a line that is not UTF-8 is looked at again to say where.
        if let Ok(text) = simdutf8::basic::from_utf8(line) {
            return Self::read(text);
        }
        match std::str::from_utf8(line) {
            Ok(text) => Self::read(text),
            Err(e) => Err(Rejected {
                id: None,
                reason: format!("not valid JSON: not UTF-8 ({e})"),
                excerpt: String::from_utf8_lossy(&line[..line.len().min(240)]).into_owned(),
            }),
        }
    }

    /// Reads the entry held by an [`Entry`] (already parsed: nothing is parsed again).
    pub fn from_entry(entry: &'a Entry) -> Record<'a> {
        Record {
            id: entry.id.as_u128(),
            ts: entry.ts,
            ts_json: entry.ts_json.as_deref().map(Json::from),
            ts_readable: entry.ts_readable,
            kind: Cow::Borrowed(&entry.kind),
            user: Cow::Borrowed(&entry.user),
            ip: Cow::Borrowed(&entry.ip),
            ua: Cow::Borrowed(&entry.user_agent),
            shape: entry.shape,
            data: (entry.shape.absent & Shape::DATA == 0).then(|| Json::from(&*entry.data)),
            extras: entry
                .extras
                .iter()
                .map(|(k, v)| (Cow::Borrowed(&**k), Json::from(&**v)))
                .collect(),
        }
    }

    /// `timestamp` as a string, when it was one.
    pub fn ts_text(&self) -> Option<Cow<'a, str>> {
        json_string(self.ts_json?)
    }

    fn from_wire(wire: Wire<'a>, text: &'a str) -> Result<Record<'a>, Rejected> {
        let reject = |id: Option<u128>, reason: String| Rejected {
            id: id.map(uuid::Uuid::from_u128),
            reason,
            excerpt: excerpt(text),
        };
        let id_text = wire
            .id
            .ok_or_else(|| reject(None, "missing field `id`".into()))?;
        let id = uuid::Uuid::parse_str(&id_text)
            .map_err(|_| reject(None, format!("`id` is not a UUID: {:?}", excerpt(&id_text))))?
            .as_u128();
        let kind = wire
            .kind
            .ok_or_else(|| reject(Some(id), "missing field `type`".into()))?;
        let parsed = wire
            .timestamp
            .and_then(json_string)
            .and_then(|t| parse_timestamp(&t).ok());
        let ts = parsed.unwrap_or_else(|| {
            id_time_millis(&uuid::Uuid::from_u128(id)).map_or(0, |ms| ms.saturating_mul(1_000_000))
        });
        Ok(Record {
            id,
            ts,
            ts_json: wire.timestamp,
            ts_readable: parsed.is_some(),
            kind,
            user: wire.user.unwrap_or_default(),
            ip: wire.ip.unwrap_or_default(),
            ua: wire.user_agent.unwrap_or_default(),
            shape: Shape {
                null: wire.null,
                absent: !wire.seen & (Shape::USER | Shape::IP | Shape::USER_AGENT | Shape::DATA),
            },
            data: wire.data,
            extras: wire.extras,
        })
    }
}

/// The text of a JSON string (`None` for any other value).
fn json_string(json: Json<'_>) -> Option<Cow<'_, str>> {
    let text = json.get();
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        // Valid JSON with no backslash: the quotes hold the text as it is.
        Some(inner) if !inner.contains('\\') => Some(Cow::Borrowed(inner)),
        _ => serde_json::from_str::<Text<'_>>(text).ok().map(|t| t.0),
    }
}

/// Why an object that did not read as an entry was rejected, with its id when that alone is readable.
fn explain(text: &str) -> Rejected {
    #[derive(Deserialize)]
    struct IdAlone<'a> {
        #[serde(borrow, default)]
        id: Option<Cow<'a, str>>,
    }
    let id = serde_json::from_str::<IdAlone<'_>>(text)
        .ok()
        .and_then(|alone| alone.id)
        .and_then(|id| uuid::Uuid::parse_str(&id).ok());
    Rejected {
        id,
        reason: explain_shape(text),
        excerpt: excerpt(text),
    }
}

/// Says precisely which field had the wrong JSON type (the fast typed parse only says that one did).
fn explain_shape(text: &str) -> String {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return format!("not valid JSON: {e}"),
    };
    let Some(object) = value.as_object() else {
        return format!("expected an object, found {}", json_kind(&value));
    };
    for field in ["id", "type", "user", "ip", "user_agent"] {
        match object.get(field) {
            None | Some(serde_json::Value::String(_)) | Some(serde_json::Value::Null) => {}
            Some(other) => {
                return format!(
                    "field `{field}` should be a string, found {}",
                    json_kind(other)
                );
            }
        }
    }
    "entry does not have the expected shape".into()
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// [`Wire::seen`] bits of `id` and `type` (the others are [`Shape`]'s).
pub(super) const WIRE_ID: u8 = 16;
pub(super) const WIRE_TYPE: u8 = 32;

/// The bit ([`Shape`], [`WIRE_ID`], [`WIRE_TYPE`]) of a documented field read as text or, for `data`,
/// kept as JSON; `None` for `timestamp` and the fields the API does not document. Both readers (serde's
/// visitor and [`super::scanner`]) name the fields through it.
pub(super) fn field_bit(key: &str) -> Option<u8> {
    Some(match key {
        "id" => WIRE_ID,
        "type" => WIRE_TYPE,
        "user" => Shape::USER,
        "ip" => Shape::IP,
        "user_agent" => Shape::USER_AGENT,
        "data" => Shape::DATA,
        _ => return None,
    })
}

/// The fields of an entry object as read, before they are checked.
#[derive(Default)]
pub(super) struct Wire<'a> {
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) timestamp: Option<Json<'a>>,
    pub(super) kind: Option<Cow<'a, str>>,
    pub(super) user: Option<Cow<'a, str>>,
    pub(super) ip: Option<Cow<'a, str>>,
    pub(super) user_agent: Option<Cow<'a, str>>,
    pub(super) data: Option<Json<'a>>,
    pub(super) extras: Vec<(Cow<'a, str>, Json<'a>)>,
    /// [`Shape`] bits (and [`WIRE_ID`], [`WIRE_TYPE`]) of the fields present, and of those sent as `null`.
    pub(super) seen: u8,
    pub(super) null: u8,
}

impl<'a> Wire<'a> {
    /// Where the text field of `bit` (a [`field_bit`] other than `data`) goes.
    pub(super) fn text_slot(&mut self, bit: u8) -> &mut Option<Cow<'a, str>> {
        match bit {
            WIRE_ID => &mut self.id,
            WIRE_TYPE => &mut self.kind,
            Shape::USER => &mut self.user,
            Shape::IP => &mut self.ip,
            _ => &mut self.user_agent,
        }
    }
}

#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// A string or `null`, borrowed from the text where it holds no escapes. (`#[serde(borrow)]` does not
/// reach a `Cow` inside an `Option`: derived, every value was copied into a `String`, five allocations
/// an entry, measured as the largest share of a bulk load's time.)
struct MaybeText<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeText<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrNull<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for OrNull<'a> {
            type Value = MaybeText<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeText(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeText(None))
            }
            fn visit_some<D: de::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                Text::deserialize(deserializer).map(|Text(text)| MaybeText(Some(text)))
            }
        }
        deserializer.deserialize_option(OrNull(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Wire<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WireVisitor(std::marker::PhantomData))
    }
}

struct WireVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for WireVisitor<'a> {
    type Value = Wire<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an audit entry object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Wire<'a>, M::Error> {
        let mut wire = Wire::default();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let bit = match (&*key, field_bit(&key)) {
                (_, Some(bit)) => bit,
                ("timestamp", None) => {
                    if wire.timestamp.is_some() {
                        return Err(de::Error::duplicate_field("timestamp"));
                    }
                    wire.timestamp = Some(map.next_value::<&'de RawValue>()?.into());
                    continue;
                }
                _ => {
                    let value = map.next_value::<&'de RawValue>()?;
                    wire.extras.push((key, value.into()));
                    continue;
                }
            };
            if wire.seen & bit != 0 {
                return Err(de::Error::custom("duplicate field"));
            }
            wire.seen |= bit;
            if bit == Shape::DATA {
                wire.data = Some(map.next_value::<&'de RawValue>()?.into());
                continue;
            }
            let value = map.next_value::<MaybeText<'de>>()?.0;
            if value.is_none() {
                wire.null |= bit;
            }
            *wire.text_slot(bit) = value;
        }
        Ok(wire)
    }
}

/// Appends `raw` (valid JSON) without insignificant whitespace, strings in one canonical escaping, so that
/// a substring test on the stored text does not depend on how the sender spaced or escaped it.
pub fn compact_json_into(raw: &str, out: &mut String) {
    let bytes = raw.as_bytes();
    let escaped = memchr::memchr(b'\\', bytes).is_some();
    let mut in_string = false;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
                if escaped {
                    // Strings are re-escaped one canonical way; numbers and everything else stay as sent.
                    let token = &raw[start..=i];
                    match serde_json::from_str::<String>(token) {
                        Ok(text) => out.push_str(&serde_json::to_string(&text).unwrap_or_default()),
                        Err(_) => out.push_str(token),
                    }
                    start = i + 1;
                }
            }
        } else if b == b'"' {
            in_string = true;
            if escaped {
                out.push_str(&raw[start..i]);
                start = i;
            }
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push_str(&raw[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&raw[start.min(raw.len())..]);
}

/// [`compact_json_into`] into a new string.
pub fn compact_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    compact_json_into(raw, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_drops_spacing_and_normalises_escapes() {
        let cases = [
            (r#"{ "a" : 1 , "b" : [ 1, 2 ] }"#, r#"{"a":1,"b":[1,2]}"#),
            (
                r#"{"s": "keep  these spaces"}"#,
                r#"{"s":"keep  these spaces"}"#,
            ),
            (r#"{"s": "\u0061\/b"}"#, r#"{"s":"a/b"}"#),
            (r#"{"s": "q\"uote"}"#, r#"{"s":"q\"uote"}"#),
            ("null", "null"),
            ("\n{\"a\":\t{}}\n", r#"{"a":{}}"#),
        ];
        for (raw, expected) in cases {
            assert_eq!(compact_json(raw), expected, "{raw}");
        }
    }

    #[test]
    fn one_pass_reads_known_and_unknown_fields() {
        let text = r#"{"zz": {"x": 1}, "id": "0194f5a3-7b2c-7def-8123-456789abcdef", "timestamp": "2025-02-11T16:08:44Z", "type": "auth:login", "user": null, "user_agent": "a\tb", "extra": 5}"#;
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let record = Record::parse(raw).unwrap();
        assert_eq!(record.ts_text().unwrap(), "2025-02-11T16:08:44Z");
        assert_eq!(record.kind, "auth:login");
        assert_eq!(record.user, "");
        assert_eq!(record.ua, "a\tb");
        assert!(record.data.is_none());
        let extras: Vec<(&str, &str)> =
            record.extras.iter().map(|(k, v)| (&**k, v.get())).collect();
        assert_eq!(extras, vec![("zz", r#"{"x": 1}"#), ("extra", "5")]);
    }

    #[test]
    fn rejections_give_the_entry_reasons() {
        let cases = [
            (
                r#"{"timestamp": "2025-02-11T16:08:44", "type": "a:b"}"#,
                "missing field `id`",
            ),
            (
                r#"{"id": "0194f5a3-7b2c-7def-8123-456789abcdef", "timestamp": "x"}"#,
                "missing field `type`",
            ),
            (
                r#"{"id": "0194f5a3-7b2c-7def-8123-456789abcdef", "timestamp": "2025-02-11", "type": "a", "ip": 4}"#,
                "field `ip` should be a string",
            ),
        ];
        for (text, reason) in cases {
            let raw: &RawValue = serde_json::from_str(text).unwrap();
            let rejected = Record::parse(raw).unwrap_err();
            assert!(rejected.reason.contains(reason), "{text}: {rejected:?}");
        }
    }
}
