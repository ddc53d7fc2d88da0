//! Loads a JSON-lines file into a store and reports speed and memory: the figures BENCHMARKS.md quotes.
//!
//! cargo run --release --example load_store -- bench-data/1m.jsonl

use std::time::Instant;

use auditui::store::load::load_lines;

fn max_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: load_store FILE.jsonl");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rss_before = max_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let (store, malformed) = load_lines(&bytes, threads);
    let elapsed = started.elapsed();
    let n = store.len().max(1) as f64;
    println!(
        "file            {:>12} bytes ({:.0} bytes/entry)",
        bytes.len(),
        bytes.len() as f64 / n
    );
    println!(
        "entries         {:>12} (+{} malformed lines)",
        store.len(),
        malformed.len()
    );
    println!("load time       {:>12.1} ms", elapsed.as_secs_f64() * 1e3);
    println!(
        "load rate       {:>12.0} entries/s",
        n / elapsed.as_secs_f64()
    );
    println!(
        "store heap      {:>12} bytes ({:.0} bytes/entry, {:.0}% of the file)",
        store.heap_bytes(),
        store.heap_bytes() as f64 / n,
        100.0 * store.heap_bytes() as f64 / bytes.len() as f64
    );
    println!(
        "distinct        users {}, types {}, ips {}, user agents {}",
        store.users().len(),
        store.kinds().len(),
        store.ips().len(),
        store.user_agents().len()
    );
    if let Some(peak) = max_rss_kib() {
        println!(
            "peak RSS        {:>12} KiB (file buffer included; {:.0} bytes/entry above the file)",
            peak,
            ((peak.saturating_sub(rss_before)) * 1024) as f64 / n
        );
    }
    Ok(())
}
