//! A query made concrete against one store: each test on users, types, IPs and user agents becomes a table
//! of booleans over the distinct values, the time window a range of positions, free text a table per
//! column plus one scan of the `data` arena.

use std::ops::Range;

use aho_corasick::{AhoCorasick, Input};

use super::{Store, id_time};
use crate::query::text::{self, data_at_compact, type_matches};
use crate::query::word::BareWord;
use crate::query::{Group, Query, Test};

/// One free-text word.
struct Word {
    negated: bool,
    users: Vec<bool>,
    kinds: Vec<bool>,
    ips: Vec<bool>,
    uas: Vec<bool>,
    /// Entries of the filtered range whose `data` holds the word, as a bitset from `range.start`.
    data_hits: Vec<u64>,
}

pub(super) struct Compiled<'q> {
    low: Option<i64>,
    high: Option<i64>,
    users: Option<Vec<bool>>,
    kinds: Option<Vec<bool>>,
    ips: Option<Vec<bool>>,
    uas: Option<Vec<bool>>,
    words: Vec<Word>,
    data_groups: Vec<Group<'q>>,
    /// `is:new`, `new:ip`...: one group (same key).
    new_group: Option<Group<'q>>,
    /// `is:marked`, with the marks it stands for.
    marked_group: Option<(Group<'q>, &'q std::collections::BTreeSet<uuid::Uuid>)>,
    /// The positions that can match at all.
    range: Range<usize>,
}

fn table<'q>(
    groups: &[Group<'q>],
    values: &super::Interner,
    applies: impl Fn(&Test) -> bool,
    test: impl Fn(&Test, &str) -> bool,
) -> Option<Vec<bool>> {
    let mine: Vec<&Group<'q>> = groups
        .iter()
        .filter(|g| g.positive.iter().chain(&g.negative).any(|t| applies(t)))
        .collect();
    if mine.is_empty() {
        return None;
    }
    Some(
        values
            .values()
            .map(|value| mine.iter().all(|g| g.holds(|t| test(t, value))))
            .collect(),
    )
}

impl<'q> Compiled<'q> {
    /// Prepares `query` for the entries at positions `within`.
    pub(super) fn new(store: &Store, query: &'q Query, within: Range<usize>) -> Compiled<'q> {
        let groups = query.groups();
        let users = table(
            &groups,
            &store.users,
            |t| matches!(t, Test::User(_)),
            |t, v| matches!(t, Test::User(n) if text::contains_ignore_ascii_case(v, n)),
        );
        let kinds = table(
            &groups,
            &store.kinds,
            |t| matches!(t, Test::Type(_)),
            |t, v| matches!(t, Test::Type(p) if type_matches(p, v)),
        );
        let ips = table(
            &groups,
            &store.ips,
            |t| matches!(t, Test::Ip(_)),
            |t, v| matches!(t, Test::Ip(p) if text::ip_in(p, v)),
        );
        let uas = table(
            &groups,
            &store.uas,
            |t| matches!(t, Test::Ua(_)),
            |t, v| matches!(t, Test::Ua(n) if text::contains_ignore_ascii_case(v, n)),
        );
        let (low, high) = query.time_window();
        let range = store.time_range(low, high, within);
        let word_table = |values: &super::Interner, word: &BareWord| -> Vec<bool> {
            values.values().map(|v| word.matches(v)).collect()
        };
        let words = query
            .terms()
            .iter()
            .filter_map(|term| match &term.test {
                Test::Text(word) => {
                    let word = BareWord::new(word);
                    Some(Word {
                        negated: term.negated,
                        users: word_table(&store.users, &word),
                        kinds: word_table(&store.kinds, &word),
                        ips: word_table(&store.ips, &word),
                        uas: word_table(&store.uas, &word),
                        data_hits: store.data_hits(word.lower(), range.clone()),
                    })
                }
                _ => None,
            })
            .collect();
        let new_group = groups
            .iter()
            .find(|g| {
                matches!(
                    g.positive.first().or(g.negative.first()),
                    Some(Test::New(_))
                )
            })
            .cloned();
        let marked_group = groups
            .iter()
            .find(|g| {
                matches!(
                    g.positive.first().or(g.negative.first()),
                    Some(Test::Marked)
                )
            })
            .cloned()
            .map(|g| (g, query.marked()));
        let data_groups = groups
            .into_iter()
            .filter(|g| {
                g.positive
                    .iter()
                    .chain(&g.negative)
                    .any(|t| matches!(t, Test::Data { .. }))
            })
            .collect();
        Compiled {
            low,
            high,
            users,
            kinds,
            ips,
            uas,
            words,
            data_groups,
            new_group,
            marked_group,
            range,
        }
    }

    /// Positions in the range that match, ascending.
    pub(super) fn matching(&self, store: &Store, out: &mut Vec<u32>) {
        let range = self.range.clone();
        let tables: Vec<(&[u32], &[bool])> = [
            (&store.user, &self.users),
            (&store.kind, &self.kinds),
            (&store.ip, &self.ips),
            (&store.ua, &self.uas),
        ]
        .into_iter()
        .filter_map(|(column, table)| Some((&column[range.clone()], table.as_deref()?)))
        .collect();
        let ts = &store.ts[range.clone()];
        let (low, high) = (self.low.unwrap_or(i64::MIN), self.high.unwrap_or(i64::MAX));
        let simple = self.words.is_empty()
            && self.data_groups.is_empty()
            && self.new_group.is_none()
            && self.marked_group.is_none();
        for at in 0..range.len() {
            if ts[at] < low || ts[at] >= high {
                continue;
            }
            if !tables
                .iter()
                .all(|(column, table)| table[column[at] as usize])
            {
                continue;
            }
            if simple || self.rest_holds(store, range.start + at, at) {
                out.push((range.start + at) as u32);
            }
        }
    }

    fn rest_holds(&self, store: &Store, i: usize, at: usize) -> bool {
        if let Some((group, marked)) = &self.marked_group {
            let is_marked = marked.contains(&uuid::Uuid::from_u128(store.ids[i]));
            if !group.holds(|t| matches!(t, Test::Marked) && is_marked) {
                return false;
            }
        }
        if let Some(group) = &self.new_group {
            let flags = store.first_seen.flags(i);
            if !group.holds(|t| matches!(t, Test::New(mask) if flags & mask != 0)) {
                return false;
            }
        }
        for word in &self.words {
            let hit = word.users[store.user[i] as usize]
                || word.kinds[store.kind[i] as usize]
                || word.ips[store.ip[i] as usize]
                || word.uas[store.ua[i] as usize]
                || word.data_hits[at / 64] & (1 << (at % 64)) != 0;
            if hit == word.negated {
                return false;
            }
        }
        if self.data_groups.is_empty() {
            return true;
        }
        let data = store.data_json(i as u32);
        let plain = memchr::memchr(b'\\', data.as_bytes()).is_none();
        self.data_groups.iter().all(|g| {
            g.holds(|t| match t {
                Test::Data { path, needle } => {
                    // Without escapes, a value's text appears verbatim in the compact data.
                    if plain && !text::contains_ignore_ascii_case(data, needle) {
                        return false;
                    }
                    data_at_compact(data, path)
                        .is_some_and(|v| text::contains_ignore_ascii_case(&v, needle))
                }
                _ => false,
            })
        })
    }
}

impl Store {
    /// The positions within `within` whose timestamps can lie in `[low, high)`: a binary search over ids
    /// widened by how far timestamps stray from their ids' times.
    pub(super) fn time_range(
        &self,
        low: Option<i64>,
        high: Option<i64>,
        within: Range<usize>,
    ) -> Range<usize> {
        if (low.is_none() && high.is_none()) || !self.skew.all_v7 || self.is_empty() {
            return within;
        }
        let ids = &self.ids[within.clone()];
        let first_at_or_after =
            |t: i64| ids.partition_point(|&id| id_time(id).is_some_and(|it| it < t)) + within.start;
        let start = low.map_or(within.start, |l| {
            first_at_or_after(l.saturating_sub(self.skew.max))
        });
        let end = high.map_or(within.end, |h| {
            first_at_or_after(h.saturating_sub(self.skew.min).saturating_add(1))
        });
        start..end.max(start)
    }

    /// Bitset (from `range.start`) of the entries whose compact `data` contains `needle_lower`, ignoring
    /// ASCII case: one scan of the arena.
    fn data_hits(&self, needle_lower: &str, range: Range<usize>) -> Vec<u64> {
        let mut bits = vec![0u64; range.len().div_ceil(64)];
        if range.is_empty() {
            return bits;
        }
        let finder = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([needle_lower])
            .expect("one literal pattern always builds");
        let (region_start, _) = self.data_span(range.start);
        let (_, region_end) = self.data_span(range.end - 1);
        let hay = self.arena.as_bytes();
        let mut pos = region_start;
        while pos < region_end {
            let Some(found) = finder.find(Input::new(hay).range(pos..region_end)) else {
                break;
            };
            let i = self.data_end[range.clone()]
                .partition_point(|&e| (e as usize) <= found.start())
                + range.start;
            let (_, end) = self.data_span(i);
            if found.end() <= end {
                let at = i - range.start;
                bits[at / 64] |= 1 << (at % 64);
                pos = end;
            } else {
                pos = found.start() + 1;
            }
        }
        bits
    }
}
