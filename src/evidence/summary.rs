//! What a set of entries adds up to: counts by type, user and address, and activity over the window.

use std::collections::BTreeMap;

use crate::entry::Entry;
use crate::timestamp::UnixNanos;

/// Counts of entries by one field, most frequent first (ties by name).
pub fn ranked(counts: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut rows: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows
}

/// The totals the manifest and the timelines show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: u64,
    pub by_type: BTreeMap<String, u64>,
    pub by_user: BTreeMap<String, u64>,
    pub by_ip: BTreeMap<String, u64>,
}

impl Summary {
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Summary {
        let mut summary = Summary::default();
        for entry in entries {
            summary.total += 1;
            *summary.by_type.entry(entry.kind.clone()).or_default() += 1;
            *summary.by_user.entry(entry.user.clone()).or_default() += 1;
            *summary.by_ip.entry(entry.ip.clone()).or_default() += 1;
        }
        summary
    }
}

/// Entries per equal slice of a time window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub start: UnixNanos,
    pub end: UnixNanos,
    pub buckets: Vec<u64>,
}

impl Activity {
    /// `slices` equal buckets over `[start, end)`; with no window, the entries' own span. Entries
    /// outside the window are not counted.
    pub fn over(
        entries: &[Entry],
        window: (Option<UnixNanos>, Option<UnixNanos>),
        slices: usize,
    ) -> Activity {
        let first = entries.iter().map(|e| e.ts).min().unwrap_or(0);
        let last = entries.iter().map(|e| e.ts).max().unwrap_or(0);
        let start = window.0.unwrap_or(first);
        let end = window.1.unwrap_or(last.saturating_add(1)).max(start + 1);
        let slices = slices.max(1);
        let mut buckets = vec![0u64; slices];
        let span = (end - start) as i128;
        for entry in entries {
            if entry.ts < start || entry.ts >= end {
                continue;
            }
            let index = ((entry.ts - start) as i128 * slices as i128 / span) as usize;
            buckets[index.min(slices - 1)] += 1;
        }
        Activity {
            start,
            end,
            buckets,
        }
    }

    pub fn peak(&self) -> u64 {
        self.buckets.iter().copied().max().unwrap_or(0)
    }

    /// The start time of bucket `index`.
    pub fn bucket_start(&self, index: usize) -> UnixNanos {
        let span = (self.end - self.start) as i128;
        self.start + (span * index as i128 / self.buckets.len() as i128) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts_secs: i64, kind: &str, user: &str) -> Entry {
        let text = format!(
            r#"{{"id":"0194f5a3-7b2c-7def-8123-{ts_secs:012}","timestamp":"{}","type":"{kind}","user":"{user}","ip":"10.0.0.1"}}"#,
            chrono::DateTime::from_timestamp(ts_secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S")
        );
        Entry::parse(&text).unwrap()
    }

    #[test]
    fn counts_by_field_ranked_by_frequency() {
        let entries = [
            entry(1, "a:b", "x"),
            entry(2, "a:b", "y"),
            entry(3, "c:d", "x"),
        ];
        let summary = Summary::of(&entries);
        assert_eq!(summary.total, 3);
        assert_eq!(ranked(&summary.by_type), vec![("a:b", 2), ("c:d", 1)]);
        assert_eq!(ranked(&summary.by_user), vec![("x", 2), ("y", 1)]);
        assert_eq!(ranked(&summary.by_ip), vec![("10.0.0.1", 3)]);
    }

    #[test]
    fn activity_puts_each_entry_in_its_slice_of_the_window() {
        let s = 1_000_000_000;
        let entries = [
            entry(0, "a:b", "x"),
            entry(5, "a:b", "x"),
            entry(9, "a:b", "x"),
            entry(10, "a:b", "x"),
        ];
        let activity = Activity::over(&entries, (Some(0), Some(10 * s)), 5);
        assert_eq!(activity.buckets, vec![1, 0, 1, 0, 1]);
        assert_eq!(activity.peak(), 1);
        assert_eq!(activity.bucket_start(2), 4 * s);
        let open = Activity::over(&entries, (None, None), 2);
        assert_eq!(open.buckets, vec![2, 2]);
    }
}
