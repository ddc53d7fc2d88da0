//! Turning an event into the JSON the API serves: its id, a timestamp written the ways the API writes
//! them, and, on purpose, the ways entries come out broken.

use chrono::{DateTime, FixedOffset, Utc};
use rand::{Rng, RngExt};
use serde_json::{Value, json};
use uuid::Uuid;

use super::log::{Class, MAX_SKEW_NANOS, Stored};
use super::workspace::Event;
use crate::timestamp::parse_timestamp;

/// How an entry is stored broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// A timestamp in a format no one agreed on.
    BadTimestamp,
    /// The timestamp is missing.
    MissingTimestamp,
    /// A number where a string belongs.
    NumberForString,
    /// The id is not a UUID: a client cannot even place it.
    UnreadableId,
}

impl Malformation {
    /// A random kind of damage; only one in ten takes the id away.
    pub fn pick(rng: &mut impl Rng) -> Malformation {
        match rng.random_range(0..10) {
            0..=2 => Malformation::BadTimestamp,
            3..=4 => Malformation::MissingTimestamp,
            5..=8 => Malformation::NumberForString,
            _ => Malformation::UnreadableId,
        }
    }
}

/// The entry for `event`, with id `id`. Its timestamp is the id's time, now and then off by up to a
/// second and a half either way (ids and timestamps do disagree in the real API).
pub fn render(
    event: &Event,
    id: Uuid,
    self_log: bool,
    malformation: Option<Malformation>,
    rng: &mut impl Rng,
) -> Stored {
    let id_ms = (id.as_u128() >> 80) as i64;
    let mut nanos = id_ms * 1_000_000 + rng.random_range(0..1_000_000);
    if !self_log && rng.random_bool(0.04) {
        let skew = rng.random_range(1..1_500) * 1_000_000;
        nanos += if rng.random_bool(0.5) { skew } else { -skew };
    }
    debug_assert!((nanos - id_ms * 1_000_000).abs() < MAX_SKEW_NANOS);
    let timestamp = if self_log {
        format_timestamp(nanos, 6, None)
    } else {
        random_format(nanos, rng)
    };
    let mut value = json!({
        "data": event.data,
        "id": id.to_string(),
        "ip": event.ip,
        "timestamp": timestamp,
        "type": event.kind,
        "user": event.user,
        "user_agent": event.user_agent,
    });
    let mut ts = parse_timestamp(&timestamp).ok();
    let class = match malformation {
        None if self_log => Class::SelfLog,
        None => Class::Activity,
        Some(damage) => {
            let object = value.as_object_mut().expect("an object");
            match damage {
                Malformation::BadTimestamp => {
                    let odd = DateTime::<Utc>::from_timestamp_nanos(nanos)
                        .format("%d/%m/%Y %H:%M")
                        .to_string();
                    object.insert("timestamp".into(), Value::String(odd));
                }
                Malformation::MissingTimestamp => {
                    object.remove("timestamp");
                }
                Malformation::NumberForString => {
                    object.insert("user".into(), json!(rng.random_range(1000..99_999)));
                }
                Malformation::UnreadableId => {
                    object.insert("id".into(), json!(format!("evt_{:x}", rng.random::<u64>())));
                }
            }
            if damage != Malformation::NumberForString {
                ts = None;
            }
            // Whether a client keeps the entry (an unreadable timestamp does not lose it), or can still
            // place it, is the entry parser's call, not ours.
            match crate::entry::Entry::parse(&value.to_string()) {
                Ok(_) => Class::Activity,
                Err(rejected) => Class::Malformed {
                    readable_id: rejected.id.is_some(),
                },
            }
        }
    };
    Stored {
        id,
        ts,
        kind: event.kind.as_str().into(),
        class,
        json: value.to_string().into(),
    }
}

/// Mostly six fractional digits and no zone, as the API usually writes; sometimes `Z`, `+00:00` or
/// another offset, and anywhere from 0 to 9 fractional digits.
fn random_format(nanos: i64, rng: &mut impl Rng) -> String {
    let digits = if rng.random_bool(0.8) {
        6
    } else {
        rng.random_range(0..=9)
    };
    let zone = match rng.random_range(0..100) {
        0..=84 => None,
        85..=91 => Some(Zone::Z),
        92..=96 => Some(Zone::Offset(0)),
        _ => Some(Zone::Offset(
            *[2 * 3600, -5 * 3600, 5 * 3600 + 1800, -(3 * 3600 + 1800)]
                .get(rng.random_range(0..4))
                .expect("offset"),
        )),
    };
    format_timestamp(nanos, digits, zone)
}

#[derive(Debug, Clone, Copy)]
enum Zone {
    Z,
    /// Seconds east of UTC.
    Offset(i32),
}

/// `nanos` written with `digits` fractional digits (cut, not rounded), in `zone` (none: UTC, unmarked).
fn format_timestamp(nanos: i64, digits: u32, zone: Option<Zone>) -> String {
    let utc = DateTime::<Utc>::from_timestamp_nanos(nanos);
    let offset_secs = match zone {
        Some(Zone::Offset(secs)) => secs,
        _ => 0,
    };
    let offset = FixedOffset::east_opt(offset_secs).expect("valid offset");
    let local = utc.with_timezone(&offset);
    let mut text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    if digits > 0 {
        let frac = format!("{:09}", nanos.rem_euclid(1_000_000_000));
        text.push('.');
        text.push_str(&frac[..digits as usize]);
    }
    match zone {
        None => {}
        Some(Zone::Z) => text.push('Z'),
        Some(Zone::Offset(_)) => text.push_str(&local.format("%:z").to_string()),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn event() -> Event {
        Event {
            kind: "auth:login".into(),
            user: "a@b.example".into(),
            ip: "203.0.113.9".into(),
            user_agent: "ua".into(),
            data: json!({"site": "app.harvey.ai"}),
        }
    }

    #[test]
    fn timestamps_are_written_in_every_documented_form_and_mean_the_same_instant() {
        let nanos = 1_764_000_000_123_456_789;
        let cases = [
            (6, None, "2025-11-24T16:00:00.123456"),
            (0, None, "2025-11-24T16:00:00"),
            (9, Some(Zone::Z), "2025-11-24T16:00:00.123456789Z"),
            (3, Some(Zone::Offset(0)), "2025-11-24T16:00:00.123+00:00"),
            (1, Some(Zone::Offset(7200)), "2025-11-24T18:00:00.1+02:00"),
            (
                2,
                Some(Zone::Offset(-5 * 3600)),
                "2025-11-24T11:00:00.12-05:00",
            ),
        ];
        for (digits, zone, expected) in cases {
            let text = format_timestamp(nanos, digits, zone);
            assert_eq!(text, expected);
            let back = parse_timestamp(&text).unwrap();
            let unit = 10i64.pow(9 - digits);
            assert_eq!(back, nanos - nanos % unit, "{text}");
        }
    }

    #[test]
    fn rendered_entries_parse_and_malformed_ones_fail_as_intended() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut ids = super::super::log::IdGen::default();
        for _ in 0..500 {
            let id = ids.next(1_764_000_000_000, &mut rng);
            let stored = render(&event(), id, false, None, &mut rng);
            let entry = Entry::parse(&stored.json).unwrap();
            assert_eq!(entry.id, id);
            assert_eq!(Some(entry.ts), stored.ts);
            assert!((entry.ts / 1_000_000 - 1_764_000_000_000).abs() < 2_000);
        }
        let damages = [
            Malformation::BadTimestamp,
            Malformation::MissingTimestamp,
            Malformation::NumberForString,
            Malformation::UnreadableId,
        ];
        for damage in damages {
            let id = ids.next(1_764_000_000_000, &mut rng);
            let stored = render(&event(), id, false, Some(damage), &mut rng);
            if matches!(
                damage,
                Malformation::BadTimestamp | Malformation::MissingTimestamp
            ) {
                let kept = Entry::parse(&stored.json).unwrap();
                assert!(!kept.ts_readable, "{damage:?}");
                assert_eq!(stored.class, Class::Activity, "{damage:?}");
                continue;
            }
            let rejected = Entry::parse(&stored.json).unwrap_err();
            let Class::Malformed { readable_id } = stored.class else {
                panic!("{damage:?} stored as {:?}", stored.class);
            };
            assert_eq!(rejected.id, readable_id.then_some(id), "{damage:?}");
            match damage {
                Malformation::UnreadableId => assert!(!readable_id),
                _ => assert!(readable_id, "{damage:?}: the id is read on its own"),
            }
        }
    }
}
