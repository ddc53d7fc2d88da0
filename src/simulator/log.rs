//! The simulated audit log: entries kept serialized once, in id order, searched by binary search.

use rand::{Rng, RngExt};
use uuid::Uuid;

use crate::timestamp::UnixNanos;

/// What an entry is, for the test hooks (`ground_truth`, `malformed_ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Activity of the workspace, well formed.
    Activity,
    /// The service user's own `api:audit_log_fetch` entries, written for each audit call.
    SelfLog,
    /// Stored malformed on purpose; `readable_id` says whether a client can still read its id.
    Malformed { readable_id: bool },
}

/// One stored entry.
#[derive(Debug)]
pub struct Stored {
    pub id: Uuid,
    /// Its timestamp, when it has a parseable one.
    pub ts: Option<UnixNanos>,
    pub kind: Box<str>,
    pub class: Class,
    /// The JSON object as served.
    pub json: Box<str>,
}

/// Makes UUIDv7 ids that strictly increase, even many within one millisecond.
#[derive(Debug, Default)]
pub struct IdGen {
    last: u128,
}

const RAND_BITS: u32 = 74;
const RAND_MASK: u128 = (1 << RAND_BITS) - 1;
const RAND_B_MASK: u128 = (1 << 62) - 1;

fn compose(ms: u64, rand74: u128) -> u128 {
    let rand_a = (rand74 >> 62) & 0xfff;
    let rand_b = rand74 & RAND_B_MASK;
    (u128::from(ms) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
}

fn decompose(value: u128) -> (u64, u128) {
    let ms = (value >> 80) as u64;
    let rand74 = (((value >> 64) & 0xfff) << 62) | (value & RAND_B_MASK);
    (ms, rand74)
}

impl IdGen {
    /// The next id for an event at `ms` (Unix milliseconds). Never below the previous id: within the
    /// same millisecond (or if the clock went back) the random part counts up by a random step.
    pub fn next(&mut self, ms: u64, rng: &mut impl Rng) -> Uuid {
        let (last_ms, last_rand) = decompose(self.last);
        let value = if self.last == 0 || ms > last_ms {
            // Leave the top random bit clear so that many ids can follow in the same millisecond.
            compose(ms, rng.random::<u128>() & (RAND_MASK >> 1))
        } else {
            let step = 1 + u128::from(rng.random::<u16>());
            match last_rand.checked_add(step).filter(|r| *r <= RAND_MASK) {
                Some(rand) => compose(last_ms, rand),
                None => compose(last_ms + 1, rng.random::<u128>() & (RAND_MASK >> 1)),
            }
        };
        self.last = value;
        Uuid::from_u128(value)
    }
}

/// The whole log.
#[derive(Debug, Default)]
pub struct Log {
    entries: Vec<Stored>,
    pub ids: IdGen,
}

/// What a seed endpoint should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedQuery {
    Latest,
    Earliest,
    /// First entry with a timestamp at or after this time.
    AtOrAfter(UnixNanos),
}

/// The most a timestamp is written away from its id's time: searching by time scans this far back.
pub const MAX_SKEW_NANOS: i64 = 2_000_000_000;

impl Log {
    /// Appends an entry; its id must be above every stored one (ids come from [`Log::ids`]).
    pub fn push(&mut self, entry: Stored) {
        debug_assert!(self.entries.last().is_none_or(|last| last.id < entry.id));
        self.entries.push(entry);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Stored> {
        self.entries.iter()
    }

    /// Entries with id strictly greater than `from`, ascending, at most `take`, of `kind` if given.
    pub fn page(&self, from: Uuid, take: usize, kind: Option<&str>) -> Vec<&Stored> {
        let start = self.entries.partition_point(|e| e.id <= from);
        self.entries[start..]
            .iter()
            .filter(|e| kind.is_none_or(|k| &*e.kind == k))
            .take(take)
            .collect()
    }

    /// The newest entries, newest first (the older `/latest` answered up to 100 of them).
    pub fn newest(&self, count: usize, kind: Option<&str>) -> Vec<&Stored> {
        self.entries
            .iter()
            .rev()
            .filter(|e| kind.is_none_or(|k| &*e.kind == k))
            .take(count)
            .collect()
    }

    /// The entry a seed endpoint answers with, if any.
    pub fn seed(&self, query: SeedQuery, kind: Option<&str>) -> Option<&Stored> {
        let matches = |e: &&Stored| kind.is_none_or(|k| &*e.kind == k);
        match query {
            SeedQuery::Latest => self.entries.iter().rev().find(matches),
            SeedQuery::Earliest => self.entries.iter().find(matches),
            SeedQuery::AtOrAfter(time) => {
                // Ids follow time, and timestamps stray from their id's time by less than the skew.
                let bound_ms = (time - MAX_SKEW_NANOS).div_euclid(1_000_000).max(0) as u128;
                let start = self
                    .entries
                    .partition_point(|e| (e.id.as_u128() >> 80) < bound_ms);
                self.entries[start..]
                    .iter()
                    .filter(matches)
                    .find(|e| e.ts.is_some_and(|ts| ts >= time))
            }
        }
    }
}

/// A JSON array of the entries' stored text.
pub fn array_body<'a>(entries: impl IntoIterator<Item = &'a Stored>) -> String {
    let mut body = String::from("[");
    for (i, entry) in entries.into_iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&entry.json);
    }
    body.push(']');
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn ids_are_v7_and_strictly_increasing_within_a_millisecond_and_across_clock_steps_back() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut ids = IdGen::default();
        let times = [5u64, 5, 5, 6, 6, 4, 4, 10_000, 9_999, 10_000];
        let made: Vec<Uuid> = times
            .iter()
            .flat_map(|&ms| (0..500).map(move |_| ms))
            .map(|ms| ids.next(ms, &mut rng))
            .collect();
        for pair in made.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        }
        for id in &made {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        }
        assert_eq!(crate::entry::id_time_millis(&made[0]), Some(5));
    }

    fn stored(ids: &mut IdGen, rng: &mut StdRng, ms: u64, kind: &str) -> Stored {
        let id = ids.next(ms, rng);
        Stored {
            id,
            ts: Some(ms as i64 * 1_000_000),
            kind: kind.into(),
            class: Class::Activity,
            json: format!(r#"{{"id":"{id}"}}"#).into(),
        }
    }

    #[test]
    fn page_is_exclusive_ascending_filtered_and_bounded() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut log = Log::default();
        let mut ids = IdGen::default();
        for i in 0..10 {
            let kind = if i % 2 == 0 { "a:x" } else { "b:y" };
            log.push(stored(&mut ids, &mut rng, 1000 + i, kind));
        }
        let all: Vec<Uuid> = log.iter().map(|e| e.id).collect();
        let page: Vec<Uuid> = log.page(all[2], 3, None).iter().map(|e| e.id).collect();
        assert_eq!(page, &all[3..6]);
        let page: Vec<Uuid> = log
            .page(all[2], 100, Some("a:x"))
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(page, [all[4], all[6], all[8]]);
        assert!(log.page(all[9], 10, None).is_empty());
        assert_eq!(log.page(Uuid::nil(), 1, None)[0].id, all[0]);
        assert_eq!(log.seed(SeedQuery::Latest, None).unwrap().id, all[9]);
        assert_eq!(log.seed(SeedQuery::Latest, Some("a:x")).unwrap().id, all[8]);
        assert_eq!(
            log.seed(SeedQuery::Earliest, Some("b:y")).unwrap().id,
            all[1]
        );
        assert!(log.seed(SeedQuery::Latest, Some("c:z")).is_none());
        let at = |ms: i64| {
            log.seed(SeedQuery::AtOrAfter(ms * 1_000_000), None)
                .map(|e| e.id)
        };
        assert_eq!(at(1004), Some(all[4]));
        assert_eq!(at(0), Some(all[0]));
        assert_eq!(at(2000), None);
        assert_eq!(
            log.newest(2, None).iter().map(|e| e.id).collect::<Vec<_>>(),
            [all[9], all[8]]
        );
        assert_eq!(
            array_body(log.page(all[8], 5, None)),
            format!(r#"[{{"id":"{}"}}]"#, all[9])
        );
    }
}
