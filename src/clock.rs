//! Time as the program reads it: the one wall clock, and the zones times are written in (UTC by default,
//! local time on request).

use chrono::{DateTime, Local, Utc};

use crate::timestamp::UnixNanos;

/// The wall clock, in the store's unit. The only place the program reads it; everything else is handed
/// the time, so tests can fix it. Outside the range nanoseconds can hold (years 1677 to 2262) it
/// saturates rather than jumping to the epoch.
pub fn now() -> UnixNanos {
    let now = Utc::now();
    now.timestamp_nanos_opt().unwrap_or(if now.timestamp() > 0 {
        UnixNanos::MAX
    } else {
        UnixNanos::MIN
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    Local,
}

impl Zone {
    pub fn toggled(self) -> Zone {
        match self {
            Zone::Utc => Zone::Local,
            Zone::Local => Zone::Utc,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Zone::Utc => "UTC",
            Zone::Local => "local",
        }
    }

    /// `ts` in this zone, with a chrono format string.
    pub fn format(self, ts: UnixNanos, fmt: &str) -> String {
        let utc = DateTime::<Utc>::from_timestamp_nanos(ts);
        match self {
            Zone::Utc => utc.format(fmt).to_string(),
            Zone::Local => utc.with_timezone(&Local).format(fmt).to_string(),
        }
    }
}

/// The offset of the machine's local zone at `ts`.
pub fn local_offset(ts: UnixNanos) -> chrono::FixedOffset {
    use chrono::Offset;
    DateTime::<Utc>::from_timestamp_nanos(ts)
        .with_timezone(&Local)
        .offset()
        .fix()
}

/// "3s", "4m", "2h", "5d": how long ago, for the status bar.
pub fn ago(now: UnixNanos, then: UnixNanos) -> String {
    let secs = (now - then).max(0) / 1_000_000_000;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_picks_the_largest_whole_unit() {
        let s = 1_000_000_000;
        let cases = [
            (0, "0s"),
            (59 * s, "59s"),
            (61 * s, "1m"),
            (7200 * s, "2h"),
            (3 * 86_400 * s, "3d"),
        ];
        for (delta, text) in cases {
            assert_eq!(ago(10 * 86_400 * s, 10 * 86_400 * s - delta), text);
        }
        assert_eq!(
            ago(0, 5 * s),
            "0s",
            "a clock that steps back shows no negative age"
        );
    }

    #[test]
    fn the_wall_clock_reads_the_present() {
        // 2025-01-01 and 2100-01-01: a clock that fell back to 0 or MAX would be outside.
        let now = now();
        assert!(now > 1_735_689_600 * 1_000_000_000, "{now}");
        assert!(now < 4_102_444_800 * 1_000_000_000, "{now}");
    }

    #[test]
    fn utc_is_written_as_utc() {
        let ts = 1_739_290_124_324_452_000;
        assert_eq!(
            Zone::Utc.format(ts, "%Y-%m-%d %H:%M:%S%.3f"),
            "2025-02-11 16:08:44.324"
        );
    }
}
