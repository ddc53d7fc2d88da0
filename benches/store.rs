//! Loading and re-filtering the store on generated sets.
//!
//! Generate the sets first (see BENCHMARKS.md):
//!   cargo run --release --example gen_entries -- 100000 bench-data/100k.jsonl
//!   cargo run --release --example gen_entries -- 1000000 bench-data/1m.jsonl
//! then: cargo bench --bench store

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use auditui::generate::BENCH_END;
use auditui::query::Query;
use auditui::store::load::load_lines;
use auditui::store::{Store, View};

fn main() {
    divan::main();
}

const SETS: &[&str] = &["100k", "1m"];

fn bytes(set: &str) -> &'static [u8] {
    static FILES: OnceLock<Mutex<HashMap<String, &'static [u8]>>> = OnceLock::new();
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned");
    files.entry(set.to_owned()).or_insert_with(|| {
        let path = format!("bench-data/{set}.jsonl");
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (generate it first, see BENCHMARKS.md)"));
        Box::leak(bytes.into_boxed_slice())
    })
}

fn store(set: &str) -> &'static Store {
    static STORES: OnceLock<Mutex<HashMap<String, &'static Store>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned");
    stores.entry(set.to_owned()).or_insert_with(|| {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Box::leak(Box::new(load_lines(bytes(set), threads).0))
    })
}

#[divan::bench(args = SETS, sample_count = 5, sample_size = 1)]
fn load(bencher: divan::Bencher, set: &str) {
    let input = bytes(set);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    bencher.bench(|| load_lines(input, threads).0.len());
}

fn refilter(bencher: divan::Bencher, set: &str, query: &str) {
    let store = store(set);
    let query = Query::parse(query, BENCH_END).expect("benchmark queries parse");
    let mut view = View::new(store, &Query::default());
    bencher.bench_local(|| {
        view.refilter(store, &query);
        view.len()
    });
}

#[divan::bench(args = SETS, sample_count = 20)]
fn refilter_user(bencher: divan::Bencher, set: &str) {
    refilter(bencher, set, "user:alice");
}

#[divan::bench(args = SETS, sample_count = 20)]
fn refilter_type_glob(bencher: divan::Bencher, set: &str) {
    refilter(bencher, set, "type:admin:*");
}

#[divan::bench(args = SETS, sample_count = 20)]
fn refilter_time_window(bencher: divan::Bencher, set: &str) {
    refilter(
        bencher,
        set,
        "since:2026-11-22T06:00 until:2026-11-22T12:00",
    );
}

#[divan::bench(args = SETS, sample_count = 20)]
fn refilter_all_three(bencher: divan::Bencher, set: &str) {
    refilter(
        bencher,
        set,
        "user:alice type:auth:* since:2026-11-20T00:00 until:2026-11-22T00:00",
    );
}

#[divan::bench(args = SETS, sample_count = 10)]
fn refilter_free_text(bencher: divan::Bencher, set: &str) {
    refilter(bencher, set, "merger");
}
