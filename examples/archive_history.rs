//! The TUI's first load of an archive's history, timed: the loader thread (`history::load`) and the app
//! state taking each block as the loop does (`State::update`), from the window's start (default the
//! last 24 hours, `all` for the whole archive). Prints when the first rows are in the view and when
//! everything is; then, for comparison, the read the TUI did before its screen opened until now (every
//! entry parsed, then one append).
//! `cargo run --locked --example archive_history -- /tmp/a.sqlite [1h|24h|all] [before|widen]` (`before`:
//! only the read as it was, for its own peak memory; `widen`: then `w` up to "all")

use std::ops::ControlFlow;
use std::time::Instant;

use auditui::app::action::{Action, Effect};
use auditui::app::keymap::{Command, Keymap};
use auditui::app::state::{ArchiveWindow, State};
use auditui::archive::{Archive, Select};
use auditui::history::load::{self, ArchiveEvent};
use auditui::poller::PollEvent;
use auditui::store::Store;
use auditui::timestamp::UnixNanos;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("an archive file"));
    let now = auditui::clock::now();
    let from = match args.next().as_deref() {
        Some("all") => UnixNanos::MIN,
        Some("1h") => now - 3600 * 1_000_000_000,
        _ => now - 24 * 3600 * 1_000_000_000,
    };
    let mode = args.next();
    if mode.as_deref() == Some("before") {
        return before(&path, from);
    }

    let started = Instant::now();
    let mut state = State::new(Keymap::defaults(), "bench", now);
    state.archive = Some(ArchiveWindow::new(path.clone(), from, true, None));
    let (events, mut blocks) = tokio::sync::mpsc::channel(4);
    for effect in state.start() {
        if let Effect::LoadArchive(request) = effect {
            load::spawn(request, events.clone());
        }
    }
    drop(events);
    let mut first = None;
    while let Some(event) = blocks.blocking_recv() {
        let done = matches!(&event, PollEvent::Archive(ArchiveEvent::Block(b)) if b.done);
        state.update(Action::Poll(event));
        if first.is_none() && !state.view.is_empty() {
            first = Some((started.elapsed(), state.view.len()));
        }
        if done {
            break;
        }
    }
    let all = started.elapsed();
    let (first_at, first_rows) = first.unwrap_or_default();
    println!(
        "in the background: first {first_rows} rows in the view after {:.1} ms; all {} entries after {:.2} s",
        first_at.as_secs_f64() * 1e3,
        state.store.len(),
        all.as_secs_f64()
    );
    if mode.as_deref() == Some("widen") {
        // `w` up to "all": the rest of the archive, older than what is loaded, merged in.
        let started = Instant::now();
        let (events, mut blocks) = tokio::sync::mpsc::channel(4);
        for _ in 0..quick_windows() {
            for effect in state.update(Action::Command(Command::CycleWindow)).effects {
                if let Effect::LoadArchive(request) = effect {
                    load::spawn(request, events.clone());
                }
            }
        }
        drop(events);
        let mut blocks_taken = 0;
        while let Some(event) = blocks.blocking_recv() {
            blocks_taken += 1;
            state.update(Action::Poll(event));
        }
        println!(
            "widened to all: {} entries after {:.2} s ({blocks_taken} blocks)",
            state.store.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Presses of `w` from no window to "all".
fn quick_windows() -> usize {
    auditui::app::quick::WINDOWS.len()
}

/// What the TUI did before its screen opened: every entry of the window parsed, then appended.
fn before(path: &std::path::Path, from: UnixNanos) -> anyhow::Result<()> {
    let started = Instant::now();
    let archive = Archive::open_read(path)?;
    let select = Select {
        since: (from > UnixNanos::MIN).then_some(from),
        without_own_fetches: true,
        ..Select::default()
    };
    let mut entries = Vec::new();
    archive.entries(&select, |entry| {
        if let Ok(entry) = entry {
            entries.push(entry);
        }
        ControlFlow::Continue(())
    })?;
    let mut store = Store::new();
    store.append(entries);
    println!(
        "before the screen (as before): {} entries after {:.2} s, nothing on screen until then",
        store.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
