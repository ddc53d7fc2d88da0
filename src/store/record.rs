//! One pass over an entry's JSON object that yields every field, unknown ones included, borrowed from the
//! text where it holds no escapes. Both `Store::append` (from an [`Entry`]) and the bulk loader use it.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::entry::{Entry, Rejected};
use crate::timestamp::{UnixNanos, parse_timestamp};

/// An entry's fields, validated, ready to be stored.
#[derive(Debug)]
pub struct Record<'a> {
    pub id: u128,
    pub ts: UnixNanos,
    pub ts_text: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub user: Cow<'a, str>,
    pub ip: Cow<'a, str>,
    pub ua: Cow<'a, str>,
    /// `data` as received (`None` when absent).
    pub data: Option<&'a RawValue>,
    /// Fields the API does not document, in the order received.
    pub extras: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Record<'a> {
    /// Reads an entry object. On any failure the reason is the one [`Entry::from_raw`] gives, so that the
    /// store and the rest of the crate reject the same entries for the same reasons.
    pub fn parse(raw: &'a RawValue) -> Result<Record<'a>, Rejected> {
        Self::parse_text(raw.get()).ok_or_else(|| match Entry::from_raw(raw) {
            Err(rejected) => rejected,
            Ok(_) => Rejected {
                id: None,
                reason: "entry does not have the expected shape".into(),
                excerpt: raw.get().chars().take(240).collect(),
            },
        })
    }

    /// Reads an entry object from the text of one line, in a single pass.
    pub fn parse_line(line: &'a [u8]) -> Result<Record<'a>, Rejected> {
        let parsed = serde_json::from_slice::<Wire<'a>>(line)
            .ok()
            .and_then(Self::from_wire);
        match parsed {
            Some(record) => Ok(record),
            None => match serde_json::from_slice::<&RawValue>(line) {
                Ok(raw) => Self::parse(raw),
                Err(e) => Err(Rejected {
                    id: None,
                    reason: format!("not valid JSON: {e}"),
                    excerpt: String::from_utf8_lossy(&line[..line.len().min(240)]).into_owned(),
                }),
            },
        }
    }

    /// Reads the entry held by an [`Entry`] (already validated).
    pub fn from_entry(entry: &'a Entry) -> Record<'a> {
        Self::parse_text(entry.raw.get()).unwrap_or_else(|| Record {
            id: entry.id.as_u128(),
            ts: entry.ts,
            ts_text: Cow::Owned(crate::export::format_utc(entry.ts)),
            kind: Cow::Borrowed(&entry.kind),
            user: Cow::Borrowed(&entry.user),
            ip: Cow::Borrowed(&entry.ip),
            ua: Cow::Borrowed(&entry.user_agent),
            data: Some(&entry.data),
            extras: Vec::new(),
        })
    }

    fn parse_text(text: &'a str) -> Option<Record<'a>> {
        Self::from_wire(serde_json::from_str(text).ok()?)
    }

    fn from_wire(wire: Wire<'a>) -> Option<Record<'a>> {
        let id = uuid::Uuid::parse_str(wire.id.as_deref()?).ok()?.as_u128();
        let ts_text = wire.timestamp?;
        let ts = parse_timestamp(&ts_text).ok()?;
        Some(Record {
            id,
            ts,
            ts_text,
            kind: wire.kind?,
            user: wire.user.unwrap_or_default(),
            ip: wire.ip.unwrap_or_default(),
            ua: wire.user_agent.unwrap_or_default(),
            data: wire.data,
            extras: wire.extras,
        })
    }
}

#[derive(Default)]
struct Wire<'a> {
    id: Option<Cow<'a, str>>,
    timestamp: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    user: Option<Cow<'a, str>>,
    ip: Option<Cow<'a, str>>,
    user_agent: Option<Cow<'a, str>>,
    data: Option<&'a RawValue>,
    extras: Vec<(Cow<'a, str>, &'a RawValue)>,
}

#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct MaybeText<'a>(#[serde(borrow)] Option<Cow<'a, str>>);

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
            let slot = match &*key {
                "id" => &mut wire.id,
                "timestamp" => &mut wire.timestamp,
                "type" => &mut wire.kind,
                "user" => &mut wire.user,
                "ip" => &mut wire.ip,
                "user_agent" => &mut wire.user_agent,
                "data" => {
                    if wire.data.is_some() {
                        return Err(de::Error::duplicate_field("data"));
                    }
                    wire.data = Some(map.next_value::<&'de RawValue>()?);
                    continue;
                }
                _ => {
                    let value = map.next_value::<&'de RawValue>()?;
                    wire.extras.push((key, value));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(de::Error::custom("duplicate field"));
            }
            *slot = map.next_value::<MaybeText<'de>>()?.0;
        }
        Ok(wire)
    }
}

/// Appends `raw` (valid JSON) without insignificant whitespace, strings in one canonical escaping, so that
/// a substring test on the stored text does not depend on how the sender spaced or escaped it.
pub fn compact_json_into(raw: &str, out: &mut String) {
    let bytes = raw.as_bytes();
    if memchr::memchr(b'\\', bytes).is_some() {
        match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(value) => out.push_str(&value.to_string()),
            Err(_) => out.push_str(raw.trim()),
        }
        return;
    }
    let mut in_string = false;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            in_string = !in_string;
        } else if !in_string && matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push_str(&raw[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&raw[start..]);
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
        assert_eq!(record.ts_text, "2025-02-11T16:08:44Z");
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
                r#"{"id": "0194f5a3-7b2c-7def-8123-456789abcdef", "timestamp": "x", "type": "a"}"#,
                "bad timestamp",
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
