//! Investigating a large store (issue 10): opening the counts of a view, updating them per appended
//! batch, moving to the next search match.
//!
//! The 1M set is generated in memory (the same generator and seed as bench-data/1m.jsonl):
//!   cargo bench --bench investigate

use std::sync::OnceLock;

use auditui::generate::{BENCH_END, Generator};
use auditui::query::Query;
use auditui::store::counts::{Counts, Dimension, HOUR};
use auditui::store::load::load_lines;
use auditui::store::search::Search;
use auditui::store::{Store, View};

fn main() {
    divan::main();
}

const ENTRIES: u64 = 1_000_000;
/// Entries per batch of the live poller (a page of the API).
const BATCH: usize = 500;

fn lines() -> &'static [u8] {
    static LINES: OnceLock<Vec<u8>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut out = Vec::new();
        Generator::new(1, ENTRIES, 168, BENCH_END)
            .write_lines(&mut out, ENTRIES)
            .expect("writing to memory");
        out
    })
}

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| load_lines(lines(), 2).0)
}

/// Counts over the whole 1M view, then the top 10 of each dimension: what opening the panel costs.
#[divan::bench(sample_count = 20)]
fn counts_open_1m(bencher: divan::Bencher) {
    let store = store();
    let view = View::new(store, &Query::default());
    bencher.bench_local(|| {
        let counts = Counts::new(store, &view, HOUR);
        Dimension::ALL
            .iter()
            .map(|&d| counts.top(store, d, 10).len())
            .sum::<usize>()
    });
}

/// One batch of 500 entries appended to a store of 1M: the view extended and the counts updated.
#[divan::bench(sample_count = 20)]
fn counts_update_per_batch(bencher: divan::Bencher) {
    let all = lines();
    // Split after the first 1M - 500 lines: the rest is the batch.
    let cut = all
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(ENTRIES as usize - BATCH - 1)
        .map(|(i, _)| i + 1)
        .expect("enough lines");
    let (base, _) = load_lines(&all[..cut], 2);
    let batch: Vec<auditui::entry::Entry> = all[cut..]
        .split(|&b| b == b'\n')
        .filter_map(|l| auditui::entry::Entry::parse(std::str::from_utf8(l).ok()?).ok())
        .collect();
    let query = Query::default();
    bencher
        .with_inputs(|| {
            let store = base.clone();
            let view = View::new(&store, &query);
            let counts = Counts::new(&store, &view, HOUR);
            (store, view, counts, batch.clone())
        })
        .bench_local_refs(|(store, view, counts, batch)| {
            let from = store.len() as u32;
            store.append(std::mem::take(batch));
            view.extend(store, &query, from);
            counts.update(store, view)
        });
}

/// The counts update alone, for the same batch (the view already extended).
#[divan::bench(sample_count = 20)]
fn counts_update_only(bencher: divan::Bencher) {
    let store = store();
    let view = View::new(store, &Query::default());
    let head = View::new(
        store,
        &Query::parse("until:2026-11-23T23:59:00", BENCH_END).expect("parses"),
    );
    bencher
        .with_inputs(|| Counts::new(store, &head, HOUR))
        .bench_local_refs(|counts| counts.update(store, &view));
}

/// Opening a search for a word in the 1M view.
#[divan::bench(sample_count = 10)]
fn search_open_1m(bencher: divan::Bencher) {
    let store = store();
    let view = View::new(store, &Query::default());
    let query = Query::parse("merger", BENCH_END).expect("parses");
    bencher.bench_local(|| Search::new(store, &view, &query).len());
}

/// Moving to the next match of an open search in the 1M view.
#[divan::bench(sample_count = 50)]
fn search_next_match_1m(bencher: divan::Bencher) {
    let store = store();
    let view = View::new(store, &Query::default());
    let search = Search::new(
        store,
        &view,
        &Query::parse("merger", BENCH_END).expect("parses"),
    );
    let mut at = 0;
    bencher.bench_local(|| {
        at = search.next_match(at).unwrap_or(0);
        at
    });
}
