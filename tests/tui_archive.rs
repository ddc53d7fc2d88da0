//! The TUI over the archive, headless (`app::run::drive`) against the simulator on loopback: a first
//! session fills the archive; a restart has the archived history on screen before any request, and
//! spends at most 3 requests before it is live again; with a `sync` holding the writer lock, the TUI
//! follows the archive and spends no request at all.

mod tail_support;

mod tui_support;

use std::path::Path;
use std::time::Duration;

use auditui::app::keymap::Keymap;
use auditui::app::run::{Finished, drive};
use auditui::cli::WatchArgs;
use auditui::commands::live::{PollerStart, TuiExport, prepare};
use auditui::config::{Connection, Token};
use auditui::poller::{ConnState, PollEvent};
use auditui::simulator::{DEMO_TOKEN, SimConfig, SimHandle};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tail_support::start_simulator;
use tokio::sync::{mpsc, oneshot};
use tui_support::NoClipboard;

fn watch_args() -> WatchArgs {
    WatchArgs {
        since: None,
        from_start: false,
        log_type: None,
        show_self: false,
        budget: 60,
        interval: 0.5,
    }
}

/// One session: what was on screen before the loop started, and the requests spent by then and by the
/// time the poller (or the archive follower) first said it was live.
struct Session {
    at_start: usize,
    requests_before_screen: usize,
    requests_until_live: usize,
    finished: Finished,
}

async fn session(sim: &SimHandle, archive: &Path) -> Session {
    let _ = Keymap::defaults();
    let dir = tempfile::tempdir().unwrap();
    let export = TuiExport {
        dir: dir.path().to_owned(),
        format: auditui::formats::Format::Jsonl,
        colour: false,
    };
    let connection = Connection {
        base_url: sim.base_url(),
        token: Token::new(DEMO_TOKEN).unwrap(),
    };
    let before = sim.requests().len();
    let (state, poller) = prepare(
        connection,
        &watch_args(),
        &export,
        "test",
        Some(archive.to_owned()),
    )
    .unwrap();
    let at_start = state.store.len();
    let requests_before_screen = sim.requests().len() - before;
    let (live, is_live) = oneshot::channel::<()>();
    let poller: PollerStart = Box::pin(async move {
        let (mut events, control) = poller.await;
        let (to_loop, from_poller) = mpsc::channel(16);
        tokio::spawn(async move {
            let mut live = Some(live);
            while let Some(event) = events.recv().await {
                let now_live = matches!(&event, PollEvent::Status(s) if s.state == ConnState::Live);
                if to_loop.send(event).await.is_err() {
                    return;
                }
                if now_live && let Some(live) = live.take() {
                    let _ = live.send(());
                }
            }
        });
        (from_poller, control)
    });
    let quit = futures::stream::once(async move {
        let _ = is_live.await;
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))
    })
    .chain(futures::stream::pending());
    let mut terminal = Terminal::new(TestBackend::new(140, 20)).unwrap();
    let finished = tokio::time::timeout(
        Duration::from_secs(60),
        drive(
            state,
            &mut terminal,
            Box::pin(quit),
            &mut NoClipboard,
            poller,
            std::future::pending(),
        ),
    )
    .await
    .expect("live within 60 s")
    .unwrap();
    Session {
        at_start,
        requests_before_screen,
        requests_until_live: sim.requests().len() - before,
        finished,
    }
}

/// After a quit the poller stops and its write-through task drops the writer lock, on its own time: the
/// next session waits until the lock can be taken.
async fn wait_for_the_writer_to_let_go(archive: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match auditui::archive::Archive::open_write(archive, "test") {
            Ok(_) => return,
            Err(auditui::archive::ArchiveError::Busy { .. }) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the writer lock was never released"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(err) => panic!("{err}"),
        }
    }
}

fn quiet_simulator() -> SimConfig {
    SimConfig {
        rate_limit_per_min: 0,
        history: Duration::from_secs(600),
        events_per_sec: 0.5,
        error_rate: 0.0,
        malformed_rate: 0.0,
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_shows_the_archived_history_before_any_request_and_spends_at_most_3_requests() {
    let sim = start_simulator(quiet_simulator()).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.sqlite");

    let first = session(&sim, &archive).await;
    wait_for_the_writer_to_let_go(&archive).await;
    assert_eq!(first.at_start, 0, "a new archive holds nothing");
    let fetched = first.finished.state.store.len();
    assert!(fetched > 100, "the first session fetched {fetched} entries");

    let second = session(&sim, &archive).await;
    assert!(
        second.at_start >= fetched,
        "the restart shows the {fetched} archived entries at once, not {}",
        second.at_start
    );
    assert_eq!(second.requests_before_screen, 0);
    assert!(
        second.requests_until_live <= 3,
        "the restart spent {} requests before it was live",
        second.requests_until_live
    );
    let status = &second.finished.state.status;
    assert!(
        status
            .archive
            .as_deref()
            .is_some_and(|a| a.contains("writing")),
        "{status:?}"
    );
    // The archive keeps this tool's own fetches (as a sync's does); the screen hides them.
    let own = |state: &auditui::app::state::State| {
        (0..state.store.len() as u32)
            .filter(|&i| state.store.get(i).kind() == "api:audit_log_fetch")
            .filter(|&i| state.store.get(i).user_agent().contains("(session "))
            .count()
    };
    assert_eq!(own(&first.finished.state), 0);
    assert_eq!(
        own(&second.finished.state),
        0,
        "the first session's fetches, read back from the archive, stay hidden too"
    );
    let reader = auditui::archive::Archive::open_read(&archive).unwrap();
    let fetches = reader
        .count(&auditui::archive::Select {
            types: vec!["api:audit_log_fetch".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(fetches > 0, "the archive keeps the sessions' own fetches");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_sync_holding_the_lock_the_tui_follows_the_archive_and_spends_no_request() {
    let sim = start_simulator(quiet_simulator()).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.sqlite");
    let first = session(&sim, &archive).await;
    wait_for_the_writer_to_let_go(&archive).await;
    let fetched = first.finished.state.store.len();

    // Another process's writer lock: this test holds it, as a running `sync` would.
    let _sync = auditui::archive::Archive::open_write(&archive, "auditui sync (test)").unwrap();
    let follower = session(&sim, &archive).await;
    assert!(follower.at_start >= fetched);
    assert_eq!(follower.requests_until_live, 0);
    let status = &follower.finished.state.status;
    assert!(
        status
            .archive
            .as_deref()
            .is_some_and(|a| a.contains("following pid") && a.contains("(auditui sync (test))")),
        "{status:?}"
    );
}
