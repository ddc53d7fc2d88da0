//! The entries of a session, in id order, deduplicated by id, held in columns.
//!
//! Users, types, IPs and user agents repeat a lot: each distinct value is stored once and entries refer to
//! it by a small integer, so a filter tests each distinct value once and then costs an integer look-up per
//! entry. Timestamps are integers, ids are `u128`. `data` and any undocumented fields are kept as compact
//! JSON text in one arena, so an entry can be written back whole (key order normalised).

mod absorb;
pub mod counts;
mod filter;
pub mod first_seen;
mod interner;
pub mod load;
pub mod parsers;
pub mod search;
mod view;

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;
use uuid::Uuid;

pub use crate::entry::compact_json;
use crate::entry::{Entry, Record, Row, Shape};
use crate::timestamp::UnixNanos;
pub use first_seen::FirstSeen;
pub use interner::Interner;
pub use view::View;

/// What an append did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    pub added: usize,
    /// Entries already held (or repeated within the batch), dropped.
    pub duplicates: usize,
    /// Some new entries sorted before entries already held: positions moved, views must be re-filtered.
    pub reordered: bool,
}

/// What is rare enough per entry to keep aside: a timestamp not in the API's usual spelling, and fields
/// the API does not document.
#[derive(Debug, Clone, Default)]
struct Oddity {
    /// The `timestamp` value as received (JSON text), when not the usual spelling; `""` when absent.
    ts_json: Option<Box<str>>,
    /// The timestamp could not be read: the entry's time is its id's.
    ts_unreadable: bool,
    /// Optional fields sent as `null` or not at all.
    shape: Shape,
    /// Compact `"key":value` members, comma-separated.
    extras: Option<Box<str>>,
}

/// How far timestamps stray from the time embedded in their UUIDv7 ids: `ts - id_time` lies in
/// `[min, max]` for every entry. It lets a time window become a binary search over ids, which are sorted,
/// where timestamps are only nearly so.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Skew {
    pub min: i64,
    pub max: i64,
    /// False once an id is not a UUIDv7: time windows then scan.
    pub all_v7: bool,
}

impl Default for Skew {
    fn default() -> Self {
        Skew {
            min: i64::MAX,
            max: i64::MIN,
            all_v7: true,
        }
    }
}

/// Nanoseconds since the epoch embedded in a UUIDv7 (`None` for other versions).
pub(crate) fn id_time(id: u128) -> Option<i64> {
    ((id >> 76) & 0xF == 7).then(|| ((id >> 80) as i64) * 1_000_000)
}

#[derive(Debug, Default, Clone)]
pub struct Store {
    ids: Vec<u128>,
    ts: Vec<i64>,
    kind: Vec<u32>,
    user: Vec<u32>,
    ip: Vec<u32>,
    ua: Vec<u32>,
    /// End of each entry's `data` in `arena` (its start is the previous end).
    data_end: Vec<u64>,
    arena: String,
    kinds: Interner,
    users: Interner,
    ips: Interner,
    uas: Interner,
    oddities: HashMap<u128, Oddity, FxBuildHasher>,
    skew: Skew,
    first_seen: FirstSeen,
    /// A block to be absorbed into another store ([`load::load_block`]): no first-seen marks.
    unmarked: bool,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds a batch (in any order). Entries already held are counted as duplicates and dropped.
    pub fn append(&mut self, entries: Vec<Entry>) -> Appended {
        let records = entries.iter().map(Record::from_entry).collect();
        self.append_records(records)
    }

    /// Adds records (in any order), as [`Store::append`].
    pub fn append_records(&mut self, mut records: Vec<Record<'_>>) -> Appended {
        let given = records.len();
        records.sort_by_key(|r| r.id);
        records.dedup_by_key(|r| r.id);
        let mut result = Appended {
            duplicates: given - records.len(),
            ..Appended::default()
        };
        self.reserve(records.len());
        // Positions before `sorted` stay in id order while out-of-order records go to the end.
        let sorted = self.ids.len();
        for record in &records {
            match self.ids[..sorted].last() {
                Some(&last) if record.id <= last => {
                    if self.ids[..sorted].binary_search(&record.id).is_ok() {
                        result.duplicates += 1;
                        continue;
                    }
                    result.reordered = true;
                }
                _ => {}
            }
            self.push(record);
            result.added += 1;
        }
        if result.reordered {
            self.sort_by_id();
        }
        result
    }

    pub(crate) fn reserve(&mut self, more: usize) {
        self.ids.reserve(more);
        self.ts.reserve(more);
        self.kind.reserve(more);
        self.user.reserve(more);
        self.ip.reserve(more);
        self.ua.reserve(more);
        self.data_end.reserve(more);
        self.first_seen.reserve(more);
    }

    /// Appends at the end, whatever the order (callers sort afterwards when needed).
    fn push(&mut self, record: &Record<'_>) {
        self.ids.push(record.id);
        self.ts.push(record.ts);
        self.kind.push(self.kinds.intern(&record.kind));
        self.user.push(self.users.intern(&record.user));
        self.ip.push(self.ips.intern(&record.ip));
        self.ua.push(self.uas.intern(&record.ua));
        let at = self.ids.len() - 1;
        if !self.unmarked {
            self.first_seen
                .push(self.user[at], self.ip[at], self.ua[at], self.kind[at]);
        }
        match record.data {
            Some(data) => data.compact_into(&mut self.arena),
            None => self.arena.push_str("null"),
        }
        self.data_end.push(self.arena.len() as u64);
        let mut oddity = Oddity::default();
        match record.ts_json {
            None => oddity.ts_json = Some("".into()),
            Some(json) => {
                let usual = json
                    .get()
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'));
                if !usual.is_some_and(is_usual_timestamp) {
                    oddity.ts_json = Some(json.get().into());
                }
            }
        }
        oddity.ts_unreadable = !record.ts_readable;
        oddity.shape = record.shape;
        if !record.extras.is_empty() {
            let mut text = String::new();
            for (i, (key, value)) in record.extras.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&serde_json::to_string(key).unwrap_or_default());
                text.push(':');
                value.compact_into(&mut text);
            }
            oddity.extras = Some(text.into());
        }
        if oddity.ts_json.is_some() || oddity.extras.is_some() || !oddity.shape.is_plain() {
            self.oddities.insert(record.id, oddity);
        }
        match id_time(record.id) {
            Some(t) => {
                let d = record.ts.saturating_sub(t);
                self.skew.min = self.skew.min.min(d);
                self.skew.max = self.skew.max.max(d);
            }
            None => self.skew.all_v7 = false,
        }
    }

    /// Restores id order after entries arrived out of order.
    fn sort_by_id(&mut self) {
        let mut order: Vec<u32> = (0..self.ids.len() as u32).collect();
        // Stable: the store and what arrived are two sorted runs, which a stable sort merges in one pass.
        order.sort_by_key(|&i| self.ids[i as usize]);
        fn permute<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
            *column = order.iter().map(|&i| column[i as usize]).collect();
        }
        let mut arena = String::with_capacity(self.arena.len());
        let mut data_end = Vec::with_capacity(self.data_end.len());
        for &i in &order {
            arena.push_str(self.data_json(i));
            data_end.push(arena.len() as u64);
        }
        self.arena = arena;
        self.data_end = data_end;
        permute(&mut self.ids, &order);
        permute(&mut self.ts, &order);
        permute(&mut self.kind, &order);
        permute(&mut self.user, &order);
        permute(&mut self.ip, &order);
        permute(&mut self.ua, &order);
        self.first_seen = FirstSeen::default();
        let marked = if self.unmarked { 0 } else { self.ids.len() };
        for i in 0..marked {
            self.first_seen
                .push(self.user[i], self.ip[i], self.ua[i], self.kind[i]);
        }
    }

    /// Makes room for about `entries` more, `data_bytes` of `data` and `odd` entries with oddities:
    /// a bulk load whose size can be told ahead grows each column once, instead of doubling it over
    /// and over (each old copy a hole left in the heap).
    pub fn reserve_ahead(&mut self, entries: usize, data_bytes: usize, odd: usize) {
        self.reserve(entries);
        self.arena.reserve(data_bytes);
        self.oddities.reserve(odd);
    }

    /// `data` bytes and entries with oddities held: what [`Store::reserve_ahead`] scales from.
    pub fn data_and_odd(&self) -> (usize, usize) {
        (self.arena.len(), self.oddities.len())
    }

    /// Releases spare capacity (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.ts.shrink_to_fit();
        self.kind.shrink_to_fit();
        self.user.shrink_to_fit();
        self.ip.shrink_to_fit();
        self.ua.shrink_to_fit();
        self.data_end.shrink_to_fit();
        self.arena.shrink_to_fit();
        self.oddities.shrink_to_fit();
    }

    /// The entry at `idx` (`idx < len()`).
    pub fn get(&self, idx: u32) -> StoredEntry<'_> {
        assert!((idx as usize) < self.len(), "entry {idx} out of range");
        StoredEntry { store: self, idx }
    }

    /// Where the entry with this id sits.
    pub fn position_of(&self, id: Uuid) -> Option<u32> {
        self.ids.binary_search(&id.as_u128()).ok().map(|i| i as u32)
    }

    /// Distinct values seen, for completion and summaries.
    pub fn users(&self) -> &Interner {
        &self.users
    }
    pub fn kinds(&self) -> &Interner {
        &self.kinds
    }
    pub fn ips(&self) -> &Interner {
        &self.ips
    }
    pub fn user_agents(&self) -> &Interner {
        &self.uas
    }

    /// What each entry shows that is new for its user (see [`first_seen`]).
    pub fn first_seen(&self) -> &FirstSeen {
        &self.first_seen
    }

    /// Heap bytes held (capacities included).
    pub fn heap_bytes(&self) -> usize {
        let columns = self.ids.capacity() * 16
            + self.ts.capacity() * 8
            + (self.kind.capacity()
                + self.user.capacity()
                + self.ip.capacity()
                + self.ua.capacity())
                * 4
            + self.data_end.capacity() * 8
            + self.arena.capacity();
        let oddities: usize = self
            .oddities
            .values()
            .map(|o| {
                o.ts_json.as_ref().map_or(0, |t| t.len()) + o.extras.as_ref().map_or(0, |e| e.len())
            })
            .sum::<usize>()
            + self.oddities.capacity() * (16 + size_of::<Oddity>() + 1);
        columns
            + oddities
            + self.first_seen.heap_bytes()
            + self.kinds.heap_bytes()
            + self.users.heap_bytes()
            + self.ips.heap_bytes()
            + self.uas.heap_bytes()
    }

    fn data_json(&self, idx: u32) -> &str {
        let i = idx as usize;
        let start = if i == 0 { 0 } else { self.data_end[i - 1] };
        &self.arena[start as usize..self.data_end[i] as usize]
    }

    /// The arena offsets `[start, end)` of entry `idx`'s data.
    fn data_span(&self, idx: usize) -> (usize, usize) {
        let start = if idx == 0 { 0 } else { self.data_end[idx - 1] };
        (start as usize, self.data_end[idx] as usize)
    }
}

/// The API's own spelling (`2025-02-11T16:08:44.324452`, UTC, no zone): what `json_line` writes back.
fn is_usual_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 26 && b[10] == b'T' && b[19] == b'.' && &b[17..19] != b"60"
}

fn usual_timestamp(ts: UnixNanos) -> String {
    chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// One stored entry, borrowed from the store.
#[derive(Clone, Copy)]
pub struct StoredEntry<'a> {
    store: &'a Store,
    idx: u32,
}

impl<'a> StoredEntry<'a> {
    pub fn id(&self) -> Uuid {
        Uuid::from_u128(self.store.ids[self.idx as usize])
    }
    pub fn ts(&self) -> UnixNanos {
        self.store.ts[self.idx as usize]
    }
    pub fn kind(&self) -> &'a str {
        self.store.kinds.get(self.store.kind[self.idx as usize])
    }
    pub fn user(&self) -> &'a str {
        self.store.users.get(self.store.user[self.idx as usize])
    }
    pub fn ip(&self) -> &'a str {
        self.store.ips.get(self.store.ip[self.idx as usize])
    }
    pub fn user_agent(&self) -> &'a str {
        self.store.uas.get(self.store.ua[self.idx as usize])
    }
    /// What this entry shows that is new for its user ([`first_seen`] flags).
    pub fn first_seen(&self) -> u8 {
        self.store.first_seen.flags(self.idx as usize)
    }
    /// `data` as compact JSON (`null` when absent).
    pub fn data_json(&self) -> &'a str {
        self.store.data_json(self.idx)
    }

    pub fn row(&self) -> Row<'a> {
        Row {
            id: self.id(),
            ts: self.ts(),
            ts_readable: self.ts_readable(),
            kind: self.kind(),
            user: self.user(),
            ip: self.ip(),
            user_agent: self.user_agent(),
            data: self.data_json(),
        }
    }

    fn oddity(&self) -> Option<&'a Oddity> {
        self.store.oddities.get(&self.store.ids[self.idx as usize])
    }

    /// False when the entry's timestamp could not be read: [`StoredEntry::ts`] is then its id's time.
    pub fn ts_readable(&self) -> bool {
        !self.oddity().is_some_and(|o| o.ts_unreadable)
    }

    /// The `timestamp` as received (JSON text) when it was not the API's usual spelling; `""` when absent.
    pub fn ts_received(&self) -> Option<&'a str> {
        self.oddity().and_then(|o| o.ts_json.as_deref())
    }

    /// The whole entry as one line of compact JSON, every field included as received (keys in the API's
    /// order, then undocumented ones; `null` and absent fields stay so), the token scrubbed.
    pub fn json_line(&self) -> String {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let oddity = self.oddity();
        let shape = oddity.map(|o| o.shape).unwrap_or_default();
        let text = |bit: u8, value: &str| {
            if shape.null & bit != 0 {
                "null".to_owned()
            } else {
                quote(value)
            }
        };
        let mut members: Vec<(&str, String)> = Vec::with_capacity(7);
        if shape.absent & Shape::DATA == 0 {
            members.push(("data", self.data_json().to_owned()));
        }
        members.push(("id", format!("\"{}\"", self.id())));
        if shape.absent & Shape::IP == 0 {
            members.push(("ip", text(Shape::IP, self.ip())));
        }
        match oddity.and_then(|o| o.ts_json.as_deref()) {
            Some("") => {}
            Some(json) => members.push(("timestamp", json.to_owned())),
            None => members.push(("timestamp", quote(&usual_timestamp(self.ts())))),
        }
        members.push(("type", quote(self.kind())));
        if shape.absent & Shape::USER == 0 {
            members.push(("user", text(Shape::USER, self.user())));
        }
        if shape.absent & Shape::USER_AGENT == 0 {
            members.push(("user_agent", text(Shape::USER_AGENT, self.user_agent())));
        }
        let mut line = String::from("{");
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push('"');
            line.push_str(key);
            line.push_str("\":");
            line.push_str(value);
        }
        if let Some(extras) = oddity.and_then(|o| o.extras.as_deref()) {
            line.push(',');
            line.push_str(extras);
        }
        line.push('}');
        match crate::sanitize::scrub(&line) {
            std::borrow::Cow::Borrowed(_) => line,
            std::borrow::Cow::Owned(scrubbed) => scrubbed,
        }
    }

    /// The whole entry as indented JSON.
    pub fn pretty_json(&self) -> String {
        let line = self.json_line();
        serde_json::from_str::<serde_json::Value>(&line)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(line)
    }
}

impl std::fmt::Debug for StoredEntry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEntry")
            .field("idx", &self.idx)
            .field("id", &self.id())
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests;
