//! `auditui open`: the loader on saved files driving the real app loop headless (`app::run::drive`), and
//! the real binary's refusals before it takes a terminal.

mod tui_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use auditui::app::keymap::Keymap;
use auditui::app::run::{Finished, drive};
use auditui::app::state::State;
use auditui::generate::{BENCH_END, Generator};
use auditui::poller::PollEvent;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, oneshot};
use tui_support::NoClipboard;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

fn lines(seed: u64, n: usize) -> Vec<String> {
    let mut generator = Generator::new(seed, n as u64, 24, BENCH_END);
    (0..n).map(|_| generator.next_line()).collect()
}

/// Runs the loop over the loader of `paths` until everything is loaded, then presses `q`.
async fn open(paths: Vec<PathBuf>) -> (Finished, String) {
    let (mut loader, control) = auditui::open::spawn(paths);
    let (events, forwarded) = mpsc::channel(4);
    let (loaded, all_loaded) = oneshot::channel::<()>();
    // Between the loader and the loop: notes the last block. The key comes after it is in the loop's
    // channel, and the loop drains its channel before acting on a key's effects.
    tokio::spawn(async move {
        let mut loaded = Some(loaded);
        while let Some(event) = loader.recv().await {
            let done = matches!(&event, PollEvent::Loaded(l) if l.progress.done);
            if events.send(event).await.is_err() {
                return;
            }
            if done && let Some(loaded) = loaded.take() {
                let _ = loaded.send(());
            }
        }
    });
    let quit = futures::stream::once(async move {
        let _ = all_loaded.await;
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))
    })
    .chain(futures::stream::pending());
    let mut terminal = Terminal::new(TestBackend::new(160, 20)).unwrap();
    let state = State::new(Keymap::defaults(), "saved files", BENCH_END);
    let finished = drive(
        state,
        &mut terminal,
        Box::pin(quit),
        &mut NoClipboard,
        async move { (forwarded, control) },
        std::future::pending(),
    )
    .await
    .unwrap();
    // The loop quits without drawing again: the screen of the final state is drawn here.
    terminal
        .draw(|frame| auditui::ui::screen::render(&finished.state, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    (finished, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_merges_files_in_id_order_each_entry_once_and_counts_the_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = lines(11, 4000);
    let b = lines(12, 1000);
    // The second file repeats half of the first and adds entries of its own, between the first's.
    let first = a.join("\n") + "\nrubbish\n";
    let second: Vec<String> = a[2000..].iter().chain(&b).cloned().collect();
    let paths = vec![
        write(dir.path(), "a.jsonl", &first),
        write(dir.path(), "b.jsonl", &second.join("\n")),
    ];
    let (finished, screen) = open(paths).await;
    let state = finished.state;

    let ids: Vec<String> = a
        .iter()
        .chain(&b)
        .filter_map(|l| auditui::entry::Entry::parse(l).ok())
        .map(|e| e.id.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let held: Vec<String> = (0..state.store.len() as u32)
        .map(|i| state.store.get(i).id().to_string())
        .collect();
    assert_eq!(held, ids, "every entry once, in id order");
    assert_eq!(state.view.len(), ids.len());
    let opened = state.opened.expect("the loader reported");
    assert!(opened.progress.done);
    // The generator truncates the 1000th line of each set: line 1000 of a.jsonl, b's own in b.jsonl;
    // and the rubbish line.
    assert_eq!(opened.progress.bad, 3, "{:?}", opened.bad);
    assert!(
        opened
            .bad
            .iter()
            .any(|b| b.line == 4001 && b.file.ends_with("a.jsonl"))
    );
    assert!(screen.contains("entries read from 2 files"), "{screen}");
    assert!(screen.contains("3 malformed"), "{screen}");
    assert!(!screen.contains("stopped"), "{screen}");
}

#[test]
fn open_names_a_file_it_cannot_read_before_taking_the_terminal() {
    let out = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["open", "/nonexistent/audit.jsonl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open /nonexistent/audit.jsonl"),
        "{err}"
    );
}

#[test]
fn open_without_a_terminal_points_to_query() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.jsonl", &lines(3, 10).join("\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .arg("open")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}
