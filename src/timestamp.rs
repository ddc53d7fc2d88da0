//! Parsing of the API's `timestamp` field.
//!
//! The API writes ISO 8601, usually without a zone (meaning UTC), with 0 to 9 fractional digits; some
//! entries carry `Z` or an offset. A hand-written parser keeps this off the hot path of loading a
//! million entries, and gives a precise reason when it fails.

use chrono::{DateTime, NaiveDate, Utc};

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad timestamp {text:?}: {reason}")]
pub struct TimestampError {
    pub text: String,
    pub reason: &'static str,
}

/// Nanoseconds since the Unix epoch, UTC.
pub type UnixNanos = i64;

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fffffffff]][Z|±HH:MM|±HHMM|±HH]` into UTC nanoseconds.
pub fn parse_timestamp(text: &str) -> Result<UnixNanos, TimestampError> {
    parse_inner(text.as_bytes()).map_err(|reason| TimestampError {
        text: text.chars().take(64).collect(),
        reason,
    })
}

/// The same, as a chrono value.
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, TimestampError> {
    parse_timestamp(text).map(DateTime::from_timestamp_nanos)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn parse_inner(b: &[u8]) -> Result<UnixNanos, &'static str> {
    let year = digits(b, 0, 4).ok_or("expected a four-digit year")?;
    if b.get(4) != Some(&b'-') {
        return Err("expected '-' after the year");
    }
    let month = digits(b, 5, 2).ok_or("expected a two-digit month")?;
    if b.get(7) != Some(&b'-') {
        return Err("expected '-' after the month");
    }
    let day = digits(b, 8, 2).ok_or("expected a two-digit day")?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or("no such date")?;
    let mut at = 10;
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0u32);
    if matches!(b.get(at), Some(b'T' | b't' | b' ')) {
        hour = digits(b, at + 1, 2).ok_or("expected a two-digit hour")?;
        if b.get(at + 3) != Some(&b':') {
            return Err("expected ':' after the hour");
        }
        minute = digits(b, at + 4, 2).ok_or("expected two-digit minutes")?;
        at += 6;
        if b.get(at) == Some(&b':') {
            second = digits(b, at + 1, 2).ok_or("expected two-digit seconds")?;
            at += 3;
            if matches!(b.get(at), Some(b'.' | b',')) {
                at += 1;
                let start = at;
                while at < b.len() && b[at].is_ascii_digit() {
                    at += 1;
                }
                let count = at - start;
                if count == 0 || count > 9 {
                    return Err("expected 1 to 9 fractional digits");
                }
                let frac = digits(b, start, count).ok_or("expected fractional digits")?;
                nanos = frac * 10u32.pow(9 - count as u32);
            }
        }
    } else if at != b.len() {
        return Err("expected 'T' between date and time");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    let offset_seconds: i64 = match b.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &b[at + 1..];
            let (oh, om) = match rest.len() {
                2 => (digits(rest, 0, 2), Some(0)),
                4 => (digits(rest, 0, 2), digits(rest, 2, 2)),
                5 if rest[2] == b':' => (digits(rest, 0, 2), digits(rest, 3, 2)),
                _ => (None, None),
            };
            let (Some(oh), Some(om)) = (oh, om) else {
                return Err("expected an offset like +02:00");
            };
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            let secs = i64::from(oh * 3600 + om * 60);
            if sign == b'+' { secs } else { -secs }
        }
        Some(_) => return Err("unexpected text after the time"),
    };
    // A leap second (:60) folds into the next second rather than failing the entry.
    let epoch_days = date.signed_duration_since(NaiveDate::default()).num_days(); // default: 1970-01-01
    let secs = epoch_days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    secs.checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .ok_or("timestamp out of range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> UnixNanos {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn accepts_every_documented_form() {
        let cases = [
            ("2025-02-11T16:08:44.324452", "2025-02-11T16:08:44.324452Z"),
            ("2025-02-11T16:08:44", "2025-02-11T16:08:44Z"),
            ("2025-02-11T16:08:44Z", "2025-02-11T16:08:44Z"),
            ("2025-02-11T16:08:44.1Z", "2025-02-11T16:08:44.1Z"),
            (
                "2025-02-11T16:08:44.123456789",
                "2025-02-11T16:08:44.123456789Z",
            ),
            ("2025-02-11T16:08:44+00:00", "2025-02-11T16:08:44Z"),
            ("2025-02-11T18:08:44.5+02:00", "2025-02-11T16:08:44.5Z"),
            ("2025-02-11T11:08:44-0500", "2025-02-11T16:08:44Z"),
            ("2025-02-11T21:38:44+05:30", "2025-02-11T16:08:44Z"),
            ("2025-02-11T17:08:44+01", "2025-02-11T16:08:44Z"),
            ("2025-02-11 16:08:44.324", "2025-02-11T16:08:44.324Z"),
            ("2025-02-11T16:08", "2025-02-11T16:08:00Z"),
            ("2025-02-11", "2025-02-11T00:00:00Z"),
            ("1969-12-31T23:59:59", "1969-12-31T23:59:59Z"),
            ("2024-02-29T00:00:00", "2024-02-29T00:00:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_timestamp(input), Ok(utc(expected)), "input {input}");
        }
    }

    #[test]
    fn refuses_malformed_forms_with_a_reason() {
        let cases = [
            ("", "expected a four-digit year"),
            ("yesterday", "expected a four-digit year"),
            ("2025/02/11T16:08:44", "expected '-' after the year"),
            ("2025-13-01T00:00:00", "no such date"),
            ("2025-02-30T00:00:00", "no such date"),
            ("2025-02-11T25:00:00", "time of day out of range"),
            ("2025-02-11T16:08:44.", "expected 1 to 9 fractional digits"),
            (
                "2025-02-11T16:08:44.1234567890",
                "expected 1 to 9 fractional digits",
            ),
            ("2025-02-11T16:08:44+2", "expected an offset like +02:00"),
            ("2025-02-11T16:08:44 UTC", "unexpected text after the time"),
            ("2025-02-11T16:08:44Zjunk", "unexpected text after the time"),
            ("2025-02-11X16:08:44", "expected 'T' between date and time"),
            ("2025-02-11T16-08", "expected ':' after the hour"),
        ];
        for (input, reason) in cases {
            let err = parse_timestamp(input).unwrap_err();
            assert_eq!(err.reason, reason, "input {input:?}");
        }
    }

    #[test]
    fn error_message_names_the_text_and_reason() {
        let err = parse_timestamp("2025-02-30").unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad timestamp \"2025-02-30\": no such date"
        );
    }
}
