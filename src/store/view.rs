//! The positions of the entries that match a query, kept in step with a growing store.

use uuid::Uuid;

use super::Store;
use super::filter::Compiled;
use crate::query::Query;
use crate::timestamp::UnixNanos;

const MINUTE: i64 = 60_000_000_000;

/// Store positions (ascending, hence in id order) of the entries matching a query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    indices: Vec<u32>,
}

impl View {
    /// Filters the whole store.
    pub fn new(store: &Store, query: &Query) -> Self {
        let mut view = View::default();
        view.refilter(store, query);
        view
    }

    /// Filters the whole store again (the query changed, or an append reported `reordered`).
    pub fn refilter(&mut self, store: &Store, query: &Query) {
        self.indices.clear();
        self.extend(store, query, 0);
    }

    /// Filters only the entries from position `from` on (after an append that did not reorder).
    pub fn extend(&mut self, store: &Store, query: &Query, from: u32) {
        let from = (from as usize).min(store.len());
        if self
            .indices
            .last()
            .is_some_and(|&last| last as usize >= from)
        {
            let keep = self.indices.partition_point(|&i| (i as usize) < from);
            self.indices.truncate(keep);
        }
        if query.is_empty() {
            self.indices.extend(from as u32..store.len() as u32);
            return;
        }
        Compiled::new(store, query, from..store.len()).matching(store, &mut self.indices);
    }

    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Where the entry with this id sits in the view.
    pub fn position_of(&self, store: &Store, id: Uuid) -> Option<usize> {
        let id = id.as_u128();
        self.indices
            .binary_search_by_key(&id, |&i| store.ids[i as usize])
            .ok()
    }

    /// The first position of the view whose entry's timestamp is at or after `t` (`len()` when none is):
    /// where `goto_time` lands. Timestamps are nearly in id order: ids narrow the search, timestamps
    /// decide.
    pub fn first_at_or_after(&self, store: &Store, t: UnixNanos) -> usize {
        let candidates = store.time_range(Some(t), None, 0..store.len());
        let from = self
            .indices
            .partition_point(|&i| (i as usize) < candidates.start);
        self.indices[from..]
            .iter()
            .position(|&i| store.ts[i as usize] >= t)
            .map_or(self.indices.len(), |at| from + at)
    }

    /// Matching entries per minute over the `buckets` minutes ending at `end` (oldest first).
    pub fn per_minute(&self, store: &Store, buckets: usize, end: UnixNanos) -> Vec<u64> {
        let mut counts = vec![0u64; buckets];
        if buckets == 0 {
            return counts;
        }
        let start = end.saturating_sub(MINUTE.saturating_mul(buckets as i64));
        let candidates = store.time_range(Some(start), Some(end), 0..store.len());
        let first = self
            .indices
            .partition_point(|&i| (i as usize) < candidates.start);
        let last = self
            .indices
            .partition_point(|&i| (i as usize) < candidates.end);
        for &i in &self.indices[first..last] {
            let ts = store.ts[i as usize];
            if ts >= start && ts < end {
                let bucket = ((ts - start) / MINUTE) as usize;
                counts[bucket.min(buckets - 1)] += 1;
            }
        }
        counts
    }
}
