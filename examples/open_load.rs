//! What `auditui open FILE...` does before drawing, without a terminal: the loader thread and the app
//! state taking its blocks exactly as the loop does (`State::update`). Reports the time to the first
//! rows (the first block in the view), to everything loaded, and the peak resident memory.
//!
//! cargo run --release --example open_load -- bench-data/1m.jsonl
//! /usr/bin/time -v target/release/examples/open_load bench-data/1m.jsonl

use std::time::Instant;

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::State;
use auditui::poller::PollEvent;

fn max_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        eprintln!("usage: open_load FILE...");
        std::process::exit(2);
    }
    let started = Instant::now();
    let mut state = State::new(Keymap::defaults(), "bench", auditui::clock::now());
    let (mut events, _control) = auditui::open::spawn(paths);
    let mut first_rows = None;
    while let Some(event) = events.blocking_recv() {
        let done = matches!(&event, PollEvent::Loaded(l) if l.progress.done);
        state.update(Action::Poll(event));
        if first_rows.is_none() && !state.view.is_empty() {
            first_rows = Some((started.elapsed(), state.view.len()));
        }
        if done {
            break;
        }
    }
    let all = started.elapsed();
    let (first, first_len) = first_rows.unwrap_or_default();
    let progress = state.opened.map(|o| o.progress).unwrap_or_default();
    println!(
        "first rows      {:>9.1} ms ({first_len} entries in view)",
        first.as_secs_f64() * 1e3
    );
    println!("all loaded      {:>9.1} ms", all.as_secs_f64() * 1e3);
    println!(
        "entries         {:>9} (+{} malformed lines) from {} bytes",
        state.store.len(),
        progress.bad,
        progress.bytes_total
    );
    println!("store heap      {:>9} bytes", state.store.heap_bytes());
    println!("peak RSS        {:>9} KiB", max_rss_kib().unwrap_or(0));
}
