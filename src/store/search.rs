//! Search within a view: the positions of the view whose entries also match a second query, and moving
//! between them without changing the filter (`search`, `next_match`, `prev_match`).
//!
//! Opening a search filters the store by it once; moving is then a binary search over the matches.

use super::Store;
use super::view::View;
use crate::query::Query;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// View positions (ascending) whose entries match the search.
    hits: Vec<usize>,
}

impl Search {
    /// The entries of `view` that match `query`.
    pub fn new(store: &Store, view: &View, query: &Query) -> Search {
        let mut search = Search::default();
        search.extend(store, view, query, 0);
        search
    }

    /// Adds the matches among the view's positions from `from` on (the view grew by a batch that did
    /// not reorder the store): a batch costs what it holds.
    pub fn extend(&mut self, store: &Store, view: &View, query: &Query, from: usize) {
        let keep = self.hits.partition_point(|&h| h < from);
        self.hits.truncate(keep);
        let Some(&first) = view.indices().get(from) else {
            return;
        };
        let mut matching = View::default();
        matching.extend(store, query, first);
        let (a, b) = (&view.indices()[from..], matching.indices());
        // Both ascending: one merge.
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    self.hits.push(from + i);
                    i += 1;
                    j += 1;
                }
            }
        }
    }

    /// Matches in the view.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Whether the entry at view position `at` matches (for highlighting).
    pub fn is_hit(&self, at: usize) -> bool {
        self.hits.binary_search(&at).is_ok()
    }

    /// The first match after view position `from`, wrapping to the first of all.
    pub fn next_match(&self, from: usize) -> Option<usize> {
        let after = self.hits.partition_point(|&h| h <= from);
        self.hits.get(after).or(self.hits.first()).copied()
    }

    /// The last match before view position `from`, wrapping to the last of all.
    pub fn prev_match(&self, from: usize) -> Option<usize> {
        let before = self.hits.partition_point(|&h| h < from);
        before
            .checked_sub(1)
            .map(|i| self.hits[i])
            .or(self.hits.last().copied())
    }

    /// Which match `at` is, 1-based, for "match 3 of 12".
    pub fn rank(&self, at: usize) -> Option<usize> {
        self.hits.binary_search(&at).ok().map(|i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::entry;

    #[test]
    fn moves_between_matches_of_the_view_and_wraps() {
        let mut store = Store::new();
        store.append(
            (1..=10u128)
                .map(|n| {
                    let user = if n % 3 == 0 { "carol" } else { "dan" };
                    let kind = if n % 2 == 0 {
                        "auth:login"
                    } else {
                        "auth:failed"
                    };
                    entry(n, &format!("2025-01-01T00:00:{n:02}"), kind, user)
                })
                .collect(),
        );
        // The view: logins (entries 2, 4, 6, 8, 10 at view positions 0..5); search: carol (3, 6, 9).
        let view = View::new(&store, &Query::parse("type:auth:login", 0).unwrap());
        let search = Search::new(&store, &view, &Query::parse("carol", 0).unwrap());
        assert_eq!(search.len(), 1);
        assert_eq!(search.next_match(0), Some(2));
        assert_eq!(search.next_match(2), Some(2), "wraps to itself");
        assert_eq!(search.prev_match(0), Some(2));
        assert!(search.is_hit(2) && !search.is_hit(1));
        let all = View::new(&store, &Query::default());
        let search = Search::new(&store, &all, &Query::parse("carol", 0).unwrap());
        let cases = [
            (0, Some(2), Some(8)),
            (2, Some(5), Some(8)),
            (3, Some(5), Some(2)),
            (8, Some(2), Some(5)),
            (9, Some(2), Some(8)),
        ];
        for (from, next, prev) in cases {
            assert_eq!(search.next_match(from), next, "next from {from}");
            assert_eq!(search.prev_match(from), prev, "prev from {from}");
        }
        assert_eq!(search.rank(5), Some(2));
        // Grown in two steps, the matches are those of one search over the whole view.
        let mut grown = Search::new(&store, &View::default(), &Query::parse("carol", 0).unwrap());
        grown.extend(&store, &all, &Query::parse("carol", 0).unwrap(), 4);
        assert_ne!(grown, search, "positions before 4 were not looked at");
        grown.extend(&store, &all, &Query::parse("carol", 0).unwrap(), 0);
        assert_eq!(grown, search);
        let mut partial = Search::new(&store, &all, &Query::parse("carol", 0).unwrap());
        partial.extend(&store, &all, &Query::parse("carol", 0).unwrap(), 3);
        assert_eq!(partial, search);
        let none = Search::new(&store, &all, &Query::parse("nobody", 0).unwrap());
        assert_eq!((none.next_match(0), none.prev_match(0)), (None, None));
    }
}
