//! Counts over a view: for users, types, IPs and user agents, how many entries each value has, its share,
//! when it was first and last seen, and its activity per time bucket.
//!
//! Built in one pass over the view's positions, then kept in step with it: an update reads only the
//! positions the view gained since the last one, so a batch costs what it holds, not what the view
//! holds. A view filtered again (the query changed, or entries arrived out of order) is counted anew.

use uuid::Uuid;

use super::Store;
use super::view::View;
use crate::timestamp::UnixNanos;

/// An hour: the default bucket of the activity bars.
pub const HOUR: i64 = 3_600_000_000_000;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    User,
    Type,
    Ip,
    UserAgent,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::User,
        Dimension::Type,
        Dimension::Ip,
        Dimension::UserAgent,
    ];

    /// The filter key that selects one value (`user`, `type`, `ip`, `ua`).
    pub fn key(self) -> &'static str {
        match self {
            Dimension::User => "user",
            Dimension::Type => "type",
            Dimension::Ip => "ip",
            Dimension::UserAgent => "ua",
        }
    }
}

/// One value's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub first: UnixNanos,
    pub last: UnixNanos,
    /// Entries per bucket, from the counts' first bucket on (trailing empty buckets may be missing).
    pub buckets: Vec<u32>,
}

impl Stats {
    fn add(&mut self, ts: UnixNanos, bucket: usize) {
        if self.count == 0 {
            self.first = ts;
            self.last = ts;
        } else {
            self.first = self.first.min(ts);
            self.last = self.last.max(ts);
        }
        self.count += 1;
        if bucket >= self.buckets.len() {
            self.buckets.resize(bucket + 1, 0);
        }
        self.buckets[bucket] += 1;
    }
}

/// One row of a top list.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueCount<'a> {
    pub value: &'a str,
    pub stats: &'a Stats,
    /// `count / total`, 0 to 1.
    pub share: f64,
}

/// Where the last update stopped: the view position and the entry there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    seen: usize,
    last: Option<(u32, u128)>,
}

#[derive(Debug, Clone)]
pub struct Counts {
    bucket_width: i64,
    /// Index (`ts / bucket_width`) of bucket 0, set by the first entry counted.
    origin: Option<i64>,
    total: u64,
    /// Per dimension, per interned value.
    columns: [Vec<Stats>; 4],
    mark: Mark,
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Counted this many new entries of the view.
    Added(usize),
    /// The view was not the one counted so far (filtered again): counted it all anew.
    Recounted,
}

impl Counts {
    /// Counts every entry of `view`, in buckets of `bucket_width` nanoseconds.
    pub fn new(store: &Store, view: &View, bucket_width: i64) -> Counts {
        let mut counts = Counts {
            bucket_width: bucket_width.max(1),
            origin: None,
            total: 0,
            columns: Default::default(),
            mark: Mark {
                seen: 0,
                last: None,
            },
        };
        counts.add(store, view.indices());
        counts
    }

    /// Catches up with `view`, which may have grown since (its query must be the same).
    pub fn update(&mut self, store: &Store, view: &View) -> Update {
        let indices = view.indices();
        let same_prefix = match self.mark.last {
            None => self.mark.seen == 0,
            Some((idx, id)) => {
                indices.get(self.mark.seen.wrapping_sub(1)) == Some(&idx)
                    && store.ids.get(idx as usize) == Some(&id)
            }
        };
        if !same_prefix || indices.len() < self.mark.seen {
            *self = Counts::new(store, view, self.bucket_width);
            return Update::Recounted;
        }
        let new = &indices[self.mark.seen..];
        self.add(store, new);
        Update::Added(new.len())
    }

    fn add(&mut self, store: &Store, positions: &[u32]) {
        let Some(&first) = positions.first() else {
            return;
        };
        let width = self.bucket_width;
        let lowest = positions
            .iter()
            .map(|&i| store.ts[i as usize].div_euclid(width))
            .min()
            .unwrap_or(0);
        debug_assert!((first as usize) < store.len());
        match self.origin {
            None => self.origin = Some(lowest),
            Some(origin) if lowest < origin => self.rebase(lowest),
            Some(_) => {}
        }
        let origin = self.origin.unwrap_or(lowest);
        let interners = [
            store.users.len(),
            store.kinds.len(),
            store.ips.len(),
            store.uas.len(),
        ];
        for (column, len) in self.columns.iter_mut().zip(interners) {
            if column.len() < len {
                column.resize_with(len, Stats::default);
            }
        }
        let [users, kinds, ips, uas] = &mut self.columns;
        for &i in positions {
            let i = i as usize;
            let ts = store.ts[i];
            let bucket = (ts.div_euclid(width) - origin) as usize;
            users[store.user[i] as usize].add(ts, bucket);
            kinds[store.kind[i] as usize].add(ts, bucket);
            ips[store.ip[i] as usize].add(ts, bucket);
            uas[store.ua[i] as usize].add(ts, bucket);
        }
        self.total += positions.len() as u64;
        let last = *positions.last().expect("not empty") as usize;
        self.mark = Mark {
            seen: self.mark.seen + positions.len(),
            last: Some((last as u32, store.ids[last])),
        };
    }

    /// Moves bucket 0 back to `origin` (an entry older than every one counted so far).
    fn rebase(&mut self, origin: i64) {
        let shift = (self.origin.unwrap_or(origin) - origin) as usize;
        for stats in self.columns.iter_mut().flatten() {
            if stats.count > 0 {
                stats.buckets.splice(0..0, std::iter::repeat_n(0, shift));
            }
        }
        self.origin = Some(origin);
    }

    /// Entries counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn bucket_width(&self) -> i64 {
        self.bucket_width
    }

    /// The start of bucket 0 (`None` before anything was counted).
    pub fn origin(&self) -> Option<UnixNanos> {
        self.origin.map(|o| o.saturating_mul(self.bucket_width))
    }

    /// Buckets from the first to the last entry counted.
    pub fn bucket_count(&self) -> usize {
        self.columns[0]
            .iter()
            .map(|s| s.buckets.len())
            .max()
            .unwrap_or(0)
    }

    /// Distinct values of `dimension` in the view.
    pub fn distinct(&self, dimension: Dimension) -> usize {
        self.column(dimension)
            .iter()
            .filter(|s| s.count > 0)
            .count()
    }

    fn column(&self, dimension: Dimension) -> &[Stats] {
        &self.columns[dimension as usize]
    }

    /// The `n` values of `dimension` with the most entries, most first (ties: first seen first).
    pub fn top<'a>(
        &'a self,
        store: &'a Store,
        dimension: Dimension,
        n: usize,
    ) -> Vec<ValueCount<'a>> {
        let column = self.column(dimension);
        let mut ids: Vec<u32> = (0..column.len() as u32)
            .filter(|&v| column[v as usize].count > 0)
            .collect();
        let order = |a: &u32, b: &u32| {
            let (x, y) = (&column[*a as usize], &column[*b as usize]);
            y.count
                .cmp(&x.count)
                .then(x.first.cmp(&y.first))
                .then(a.cmp(b))
        };
        if n < ids.len() {
            ids.select_nth_unstable_by(n, order);
            ids.truncate(n);
        }
        ids.sort_unstable_by(order);
        let values = match dimension {
            Dimension::User => &store.users,
            Dimension::Type => &store.kinds,
            Dimension::Ip => &store.ips,
            Dimension::UserAgent => &store.uas,
        };
        let total = self.total.max(1) as f64;
        ids.into_iter()
            .map(|v| {
                let stats = &column[v as usize];
                ValueCount {
                    value: values.get(v),
                    stats,
                    share: stats.count as f64 / total,
                }
            })
            .collect()
    }

    /// The id of the last entry counted, for callers that hold their place by id.
    pub fn last_counted(&self) -> Option<Uuid> {
        self.mark.last.map(|(_, id)| Uuid::from_u128(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use crate::query::Query;

    const MIN: i64 = 60_000_000_000;

    /// Entry `n` at minute `minute` of 2025-01-01, by `user` from `ip`.
    fn entry(n: u128, minute: u32, user: &str, ip: &str) -> Entry {
        let text = format!(
            r#"{{"id":"{}","timestamp":"2025-01-01T{:02}:{:02}:00","type":"t:{}","user":"{user}","ip":"{ip}","user_agent":"ua","data":null}}"#,
            Uuid::from_u128(n),
            minute / 60,
            minute % 60,
            n % 3,
        );
        Entry::parse(&text).unwrap()
    }

    fn sample() -> Vec<Entry> {
        (0..60u32)
            .map(|n| {
                let user = ["ana", "bo", "cy"][(n % 7 % 3) as usize];
                let ip = if n % 10 == 0 { "10.0.0.9" } else { "10.0.0.1" };
                entry(u128::from(n) + 1, n * 3, user, ip)
            })
            .collect()
    }

    /// The figures of every value, counted the plain way.
    fn naive(store: &Store, view: &View, dimension: Dimension) -> Vec<(String, u64, i64, i64)> {
        let mut rows: Vec<(String, u64, i64, i64)> = Vec::new();
        for &i in view.indices() {
            let e = store.get(i);
            let value = match dimension {
                Dimension::User => e.user(),
                Dimension::Type => e.kind(),
                Dimension::Ip => e.ip(),
                Dimension::UserAgent => e.user_agent(),
            };
            match rows.iter_mut().find(|r| r.0 == value) {
                Some(r) => {
                    r.1 += 1;
                    r.2 = r.2.min(e.ts());
                    r.3 = r.3.max(e.ts());
                }
                None => rows.push((value.to_owned(), 1, e.ts(), e.ts())),
            }
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        rows
    }

    fn figures(counts: &Counts, store: &Store, d: Dimension) -> Vec<(String, u64, i64, i64)> {
        counts
            .top(store, d, usize::MAX)
            .into_iter()
            .map(|v| {
                (
                    v.value.to_owned(),
                    v.stats.count,
                    v.stats.first,
                    v.stats.last,
                )
            })
            .collect()
    }

    #[test]
    fn counts_agree_with_a_plain_count_for_every_dimension_and_filter() {
        let mut store = Store::new();
        store.append(sample());
        for filter in ["", "user:ana", "-ip:10.0.0.9", "type:t:1 user:bo"] {
            let view = View::new(&store, &Query::parse(filter, 0).unwrap());
            let counts = Counts::new(&store, &view, HOUR);
            assert_eq!(counts.total(), view.len() as u64, "{filter}");
            for d in Dimension::ALL {
                assert_eq!(
                    figures(&counts, &store, d),
                    naive(&store, &view, d),
                    "{filter} {d:?}"
                );
                assert_eq!(counts.distinct(d), naive(&store, &view, d).len());
            }
        }
    }

    #[test]
    fn top_is_ordered_by_count_with_shares_and_cut_at_n() {
        let mut store = Store::new();
        store.append(sample());
        let view = View::new(&store, &Query::default());
        let counts = Counts::new(&store, &view, HOUR);
        let top = counts.top(&store, Dimension::Ip, 1);
        assert_eq!(top.len(), 1);
        assert_eq!((top[0].value, top[0].stats.count), ("10.0.0.1", 54));
        assert!((top[0].share - 0.9).abs() < 1e-9);
        let rare = &counts.top(&store, Dimension::Ip, 5)[1];
        assert_eq!((rare.value, rare.stats.count), ("10.0.0.9", 6));
        // Entries at minutes 0, 30, ..., 150: one per half hour, two per hour bucket, three buckets.
        assert_eq!(rare.stats.buckets, vec![2, 2, 2]);
        assert_eq!(counts.bucket_count(), 3);
    }

    #[test]
    fn updates_per_batch_equal_counting_everything_again() {
        let entries = sample();
        let query = Query::parse("-user:cy", 0).unwrap();
        let mut store = Store::new();
        let mut view = View::new(&store, &query);
        let mut counts = Counts::new(&store, &view, 10 * MIN);
        for batch in entries.chunks(7) {
            let from = store.len() as u32;
            store.append(batch.to_vec());
            view.extend(&store, &query, from);
            let added = counts.update(&store, &view);
            let fresh = Counts::new(&store, &view, 10 * MIN);
            assert!(matches!(added, Update::Added(_)), "{added:?}");
            for d in Dimension::ALL {
                assert_eq!(figures(&counts, &store, d), figures(&fresh, &store, d));
                let buckets = |c: &Counts| {
                    c.top(&store, d, 9)
                        .iter()
                        .map(|v| v.stats.buckets.clone())
                        .collect::<Vec<_>>()
                };
                assert_eq!(buckets(&counts), buckets(&fresh));
            }
        }
        assert_eq!(counts.total(), view.len() as u64);
        assert_eq!(counts.update(&store, &view), Update::Added(0));
    }

    #[test]
    fn an_older_entry_moves_the_first_bucket_back() {
        let mut store = Store::new();
        store.append(vec![entry(10, 120, "ana", "1.1.1.1")]);
        let mut view = View::new(&store, &Query::default());
        let mut counts = Counts::new(&store, &view, HOUR);
        // A later id with an earlier time: appended in order, counted in an earlier bucket.
        store.append(vec![entry(11, 10, "ana", "1.1.1.1")]);
        view.extend(&store, &Query::default(), 1);
        assert_eq!(counts.update(&store, &view), Update::Added(1));
        let ana = &counts.top(&store, Dimension::User, 1)[0];
        assert_eq!(ana.stats.buckets, vec![1, 0, 1]);
        assert_eq!(counts.origin(), Some(1_735_689_600_000_000_000));
    }

    #[test]
    fn a_view_filtered_again_is_counted_anew() {
        let mut store = Store::new();
        store.append(sample()[10..].to_vec());
        let mut view = View::new(&store, &Query::default());
        let mut counts = Counts::new(&store, &view, HOUR);
        // Entries sorting before those held: positions move, the view is filtered again.
        let appended = store.append(sample()[..10].to_vec());
        assert!(appended.reordered);
        view.refilter(&store, &Query::default());
        assert_eq!(counts.update(&store, &view), Update::Recounted);
        assert_eq!(counts.total(), 60);
        let fresh = Counts::new(&store, &view, HOUR);
        assert_eq!(
            figures(&counts, &store, Dimension::User),
            figures(&fresh, &store, Dimension::User)
        );
    }
}
