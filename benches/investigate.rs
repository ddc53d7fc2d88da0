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

/// The counts of a 1M view catching up with the view after a batch arrived: the view's last five
/// minutes (2,509 entries, five pages of the API) are the batch. Appending to the store and extending
/// the view are measured by the store's own benches.
#[divan::bench(sample_count = 20)]
fn counts_update_per_batch(bencher: divan::Bencher) {
    let store = store();
    let view = View::new(store, &Query::default());
    let head = View::new(
        store,
        &Query::parse("until:2026-11-23T23:55:00", BENCH_END).expect("parses"),
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
