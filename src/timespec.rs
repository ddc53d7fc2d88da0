//! Points in time and spans as people type them: `15m`, `2h`, `3d`, `2026-11-24T09:00`.
//!
//! Shared by `--since`/`--for` on the command line and `since:`/`until:` in the query language.

use std::time::Duration;

use crate::timestamp::{UnixNanos, parse_timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeSpecError {
    #[error("expected a duration such as 30s, 15m, 2h or 7d, found {0:?}")]
    BadDuration(String),
    #[error("expected a duration (15m, 2h) or a time (2026-11-24T09:00), found {0:?}")]
    BadInstant(String),
}

/// Parses `30s`, `15m`, `2h`, `7d` (also combined: `1h30m`).
pub fn parse_duration(text: &str) -> Result<Duration, TimeSpecError> {
    let bad = || TimeSpecError::BadDuration(text.chars().take(40).collect());
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0);
            number = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(d.into()))
                    .ok_or_else(bad)?,
            );
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n = number.take().ok_or_else(bad)?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if number.is_some() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Parses a point in time: a duration means that long before `now`; otherwise an ISO 8601 time, UTC
/// unless it carries an offset.
pub fn parse_instant(text: &str, now: UnixNanos) -> Result<UnixNanos, TimeSpecError> {
    if let Ok(span) = parse_duration(text) {
        let span = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
        return Ok(now.saturating_sub(span));
    }
    parse_timestamp(text).map_err(|_| TimeSpecError::BadInstant(text.chars().take(40).collect()))
}

/// Where `goto_time` jumps: `14:05` or `14:05:30` (UTC) is the latest such time at or before
/// `reference` (today's, or yesterday's when today's is still to come); `-2h` or `2h` is that long
/// before `reference`; anything else a timestamp (`2026-11-24T14:05`, `2026-11-24 14:05`).
/// `reference` is the newest time the investigator is looking at: the newest entry loaded, or now.
pub fn parse_goto(text: &str, reference: UnixNanos) -> Result<UnixNanos, TimeSpecError> {
    let text = text.trim();
    let bad = || TimeSpecError::BadInstant(text.chars().take(40).collect());
    if let Some(time) = clock_time(text) {
        const DAY: i64 = 86_400 * 1_000_000_000;
        let midnight = reference.div_euclid(DAY) * DAY;
        let today = midnight + time;
        return Ok(if today <= reference {
            today
        } else {
            today - DAY
        });
    }
    if let Ok(span) = parse_duration(text.strip_prefix('-').unwrap_or(text)) {
        let span = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
        return Ok(reference.saturating_sub(span));
    }
    let spelled = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], &text[11..]),
        _ => text.to_owned(),
    };
    parse_timestamp(&spelled).map_err(|_| bad())
}

/// `HH:MM` or `HH:MM:SS` as nanoseconds since midnight.
fn clock_time(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| !(1..=2).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<i64> = parts.iter().map(|p| p.parse().unwrap_or(99)).collect();
    let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h < 24 && m < 60 && sec < 60).then(|| ((h * 60 + m) * 60 + sec) * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixNanos = 1_764_000_000_000_000_000;
    const SEC: i64 = 1_000_000_000;

    #[test]
    fn durations() {
        let cases = [
            ("30s", Some(30)),
            ("15m", Some(900)),
            ("2h", Some(7200)),
            ("7d", Some(604_800)),
            ("1w", Some(604_800)),
            ("1h30m", Some(5400)),
            ("0s", Some(0)),
            ("", None),
            ("15", None),
            ("m", None),
            ("15x", None),
            ("-5m", None),
            ("99999999999999999999s", None),
        ];
        for (text, secs) in cases {
            assert_eq!(
                parse_duration(text).ok().map(|d| d.as_secs()),
                secs,
                "{text:?}"
            );
        }
    }

    #[test]
    fn instants() {
        let cases = [
            ("15m", Some(NOW - 900 * SEC)),
            ("2h", Some(NOW - 7200 * SEC)),
            ("2025-11-24T09:00", Some(1_763_974_800 * SEC)),
            ("2025-11-24T10:00+01:00", Some(1_763_974_800 * SEC)),
            ("2025-11-24", Some(1_763_942_400 * SEC)),
            ("yesterday", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_instant(text, NOW).ok(), expected, "{text:?}");
        }
    }

    #[test]
    fn goto_times() {
        // 2025-11-24T16:00:00Z.
        let reference = 1_764_000_000 * SEC;
        let midnight = 1_763_942_400 * SEC;
        let at = |h: i64, m: i64, s: i64| midnight + ((h * 60 + m) * 60 + s) * SEC;
        let cases = [
            ("14:05", Some(at(14, 5, 0))),
            ("9:05", Some(at(9, 5, 0))),
            ("14:05:30", Some(at(14, 5, 30))),
            ("16:00", Some(reference)),
            // Still to come today: yesterday's.
            ("16:01", Some(at(16, 1, 0) - 86_400 * SEC)),
            ("23:59", Some(at(23, 59, 0) - 86_400 * SEC)),
            ("00:00", Some(midnight)),
            ("-2h", Some(reference - 7200 * SEC)),
            ("2h", Some(reference - 7200 * SEC)),
            (" -1h30m ", Some(reference - 5400 * SEC)),
            ("2025-11-24T09:00", Some(at(9, 0, 0))),
            ("2025-11-24 09:00", Some(at(9, 0, 0))),
            (
                "2025-11-23T23:00:00+01:00",
                Some(at(22, 0, 0) - 86_400 * SEC),
            ),
            ("24:00", None),
            ("14:60", None),
            ("14:5:", None),
            ("1405", None),
            ("14:05pm", None),
            ("--2h", None),
            ("", None),
            ("yesterday", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_goto(text, reference).ok(), expected, "{text:?}");
        }
    }
}
