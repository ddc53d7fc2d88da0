//! Which stretches of the log the archive holds without a gap, and which it does not.
//!
//! A stretch is a run of the log fetched contiguously from the API: from a seed (or the start of the
//! log), paged with `from` until its last entry. Every entry whose id lies between `lo` and `hi`
//! (inclusive) is in the archive. Imported files never make a stretch: nothing proves they are whole.

use uuid::Uuid;

use crate::timestamp::UnixNanos;

/// A run of the log held whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    /// The first id of the stretch (its seed).
    pub lo: Uuid,
    /// The last id paged past.
    pub hi: Uuid,
    /// From when the stretch covers time: the `--since` it was seeded at, the seed's timestamp, or
    /// [`UnixNanos::MIN`] when it starts at the oldest entry of the log.
    pub lo_ts: UnixNanos,
    /// Until when: the last entry's timestamp, or the time the stream was last seen caught up.
    pub hi_ts: UnixNanos,
}

impl Stretch {
    /// Whether a stretch following this one begins inside it or just after its end: paging went on into it.
    fn reaches(&self, next: &Stretch) -> bool {
        next.lo <= self.hi
    }
}

/// The stretches and gaps of a time window.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// The stretches that overlap the window, in order.
    pub stretches: Vec<Stretch>,
    /// The parts of the window no stretch covers, as `(from, to)` times.
    pub gaps: Vec<(UnixNanos, UnixNanos)>,
}

impl Coverage {
    /// True when the whole window was fetched contiguously.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty() && !self.stretches.is_empty()
    }
}

/// `current`, grown to `hi` at `hi_ts`, swallowing the later stretches it now reaches. Returns the grown
/// stretch and the `lo` of each stretch it absorbed (to delete). `others` is in `lo` order.
pub fn extend(
    current: Stretch,
    hi: Uuid,
    hi_ts: UnixNanos,
    others: &[Stretch],
) -> (Stretch, Vec<Uuid>) {
    let mut grown = Stretch {
        hi: hi.max(current.hi),
        hi_ts: hi_ts.max(current.hi_ts),
        ..current
    };
    let mut absorbed = Vec::new();
    for other in others.iter().filter(|o| o.lo > current.lo) {
        if grown.reaches(other) {
            grown.hi = grown.hi.max(other.hi);
            grown.hi_ts = grown.hi_ts.max(other.hi_ts);
            absorbed.push(other.lo);
        }
    }
    (grown, absorbed)
}

/// The stretch an id falls in, if any.
pub fn containing(stretches: &[Stretch], id: Uuid) -> Option<&Stretch> {
    stretches.iter().find(|s| s.lo <= id && id <= s.hi)
}

/// What of `[from, to]` the stretches (in `lo` order) cover.
pub fn window(stretches: &[Stretch], from: UnixNanos, to: UnixNanos) -> Coverage {
    let mut spans: Vec<&Stretch> = stretches
        .iter()
        .filter(|s| s.lo_ts <= to && s.hi_ts >= from)
        .collect();
    spans.sort_by_key(|s| s.lo_ts);
    let mut gaps = Vec::new();
    let mut at = from;
    for span in &spans {
        if span.lo_ts > at {
            gaps.push((at, span.lo_ts));
        }
        at = at.max(span.hi_ts);
    }
    if at < to {
        gaps.push((at, to));
    }
    Coverage {
        stretches: spans.into_iter().copied().collect(),
        gaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stretch(lo: u128, hi: u128, lo_ts: i64, hi_ts: i64) -> Stretch {
        Stretch {
            lo: Uuid::from_u128(lo),
            hi: Uuid::from_u128(hi),
            lo_ts,
            hi_ts,
        }
    }

    #[test]
    fn extending_into_a_later_stretch_joins_the_two() {
        let current = stretch(1, 10, 100, 200);
        let later = [stretch(15, 30, 250, 400), stretch(40, 50, 500, 600)];
        let (grown, absorbed) = extend(current, Uuid::from_u128(20), 300, &later);
        assert_eq!(grown, stretch(1, 30, 100, 400));
        assert_eq!(absorbed, vec![Uuid::from_u128(15)]);
        let (short, none) = extend(current, Uuid::from_u128(12), 220, &later);
        assert_eq!(short, stretch(1, 12, 100, 220));
        assert!(none.is_empty());
    }

    #[test]
    fn a_window_lists_its_gaps() {
        let stretches = [stretch(1, 10, 100, 200), stretch(20, 30, 300, 400)];
        let cases = [
            ((120, 180), vec![]),
            ((50, 180), vec![(50, 100)]),
            ((150, 350), vec![(200, 300)]),
            ((0, 500), vec![(0, 100), (200, 300), (400, 500)]),
            ((600, 700), vec![(600, 700)]),
        ];
        for ((from, to), gaps) in cases {
            let coverage = window(&stretches, from, to);
            assert_eq!(coverage.gaps, gaps, "{from}..{to}");
            assert_eq!(
                coverage.is_complete(),
                coverage.gaps.is_empty() && !coverage.stretches.is_empty()
            );
        }
        assert!(window(&stretches, 120, 180).is_complete());
        assert!(!window(&[], 0, 1).is_complete());
    }

    #[test]
    fn containing_finds_the_stretch_of_an_id() {
        let stretches = [stretch(1, 10, 0, 0), stretch(20, 30, 0, 0)];
        assert_eq!(
            containing(&stretches, Uuid::from_u128(10)),
            Some(&stretches[0])
        );
        assert_eq!(containing(&stretches, Uuid::from_u128(15)), None);
    }
}
