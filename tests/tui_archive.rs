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
use auditui::commands::live::{TuiExport, prepare};
use auditui::config::{Connection, Token};
use auditui::history::load::ArchiveEvent;
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

/// One session: the entries on screen when the poller was started (the archive's history is read by
/// the loop once the screen is open, and the poller starts once its first rows are drawn), the requests
/// spent by then, by the time the poller (or the archive follower) first said it was live, and by the
/// end of a fetch of what the archive lacked (when the script waits for one).
struct Session {
    shown_before_poller: usize,
    requests_before_screen: usize,
    requests_until_live: usize,
    requests_until_fetched: usize,
    finished: Finished,
}

/// What a session does once live: the keys it presses, then whether it waits for a fetch of the
/// missing stretch to end before it quits.
struct Script {
    keys: &'static str,
    wait_for_fetch: bool,
}

const QUIT_WHEN_LIVE: Script = Script {
    keys: "",
    wait_for_fetch: false,
};

async fn session(sim: &SimHandle, archive: &Path) -> Session {
    scripted(sim, archive, &watch_args(), QUIT_WHEN_LIVE).await
}

async fn scripted(sim: &SimHandle, archive: &Path, args: &WatchArgs, script: Script) -> Session {
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
    let (state, poller) =
        prepare(connection, args, &export, "test", Some(archive.to_owned())).unwrap();
    assert_eq!(
        state.store.len(),
        0,
        "nothing is read before the screen opens"
    );
    assert_eq!(sim.requests().len(), before, "nor asked of the API");
    let (live, is_live) = oneshot::channel::<()>();
    let (fetched, is_fetched) = oneshot::channel::<()>();
    let requests_at_poller_start = std::cell::Cell::new(None);
    let at_start = &requests_at_poller_start;
    let poller = async move {
        at_start.set(Some(sim.requests().len() - before));
        let (mut events, control) = poller.await;
        let (to_loop, from_poller) = mpsc::channel(16);
        tokio::spawn(async move {
            let mut live = Some(live);
            let mut fetched = Some(fetched);
            while let Some(event) = events.recv().await {
                let now_live = matches!(&event, PollEvent::Status(s) if s.state == ConnState::Live);
                let now_fetched =
                    matches!(&event, PollEvent::Archive(ArchiveEvent::Fetched { .. }));
                if to_loop.send(event).await.is_err() {
                    return;
                }
                if now_live && let Some(live) = live.take() {
                    let _ = live.send(());
                }
                if now_fetched && let Some(fetched) = fetched.take() {
                    let _ = fetched.send(());
                }
            }
        });
        (from_poller, control)
    };
    let until_live = std::cell::Cell::new(0);
    let until_fetched = std::cell::Cell::new(0);
    let press = |c: char| {
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    };
    let keys = futures::stream::once(async {
        let _ = is_live.await;
        until_live.set(sim.requests().len() - before);
        futures::stream::iter(script.keys.chars().map(press))
    })
    .flatten()
    .chain(futures::stream::once(async {
        if script.wait_for_fetch {
            let _ = is_fetched.await;
            until_fetched.set(sim.requests().len() - before);
        }
        press('q')
    }))
    .chain(futures::stream::pending());
    let mut terminal = Terminal::new(TestBackend::new(140, 20)).unwrap();
    let finished = tokio::time::timeout(
        Duration::from_secs(60),
        drive(
            state,
            &mut terminal,
            Box::pin(keys),
            &mut NoClipboard,
            poller,
            std::future::pending(),
        ),
    )
    .await
    .expect("done within 60 s")
    .unwrap();
    Session {
        shown_before_poller: finished.shown_before_poller.unwrap_or(0),
        requests_before_screen: requests_at_poller_start.get().expect("the poller started"),
        requests_until_live: until_live.get(),
        requests_until_fetched: until_fetched.get(),
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
    assert_eq!(first.shown_before_poller, 0, "a new archive holds nothing");
    let fetched = first.finished.state.store.len();
    assert!(fetched > 100, "the first session fetched {fetched} entries");

    let second = session(&sim, &archive).await;
    // The first block of the history is on screen before the poller starts: all of it, here.
    assert!(
        second.shown_before_poller >= fetched.min(1000),
        "the restart shows the {fetched} archived entries at once, not {}",
        second.shown_before_poller
    );
    assert!(
        second.finished.state.store.len() >= fetched,
        "every archived entry is loaded"
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
    assert!(follower.shown_before_poller >= fetched.min(1000));
    assert_eq!(follower.requests_before_screen, 0);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widened_to_24h_a_restart_loads_the_archive_then_fetches_what_it_lacks_within_the_budget() {
    let sim = start_simulator(SimConfig {
        history: Duration::from_secs(3 * 3600),
        ..quiet_simulator()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.sqlite");
    const MINUTE: i64 = 60_000_000_000;
    let older_than = |state: &auditui::app::state::State, at: i64| {
        (0..state.store.len() as u32)
            .filter(|&i| state.store.get(i).ts() < at)
            .count()
    };

    // The first session asks the API for the last hour only.
    let first = session(&sim, &archive).await;
    wait_for_the_writer_to_let_go(&archive).await;
    let now = auditui::clock::now();
    assert_eq!(older_than(&first.finished.state, now - 65 * MINUTE), 0);

    // The restart shows the last 30 minutes; w four times (5m, 15m, 1h, 24h) loads the rest of the
    // archive and finds it lacks what lies before that hour; F fetches it into the archive.
    let args = WatchArgs {
        since: Some("30m".into()),
        ..watch_args()
    };
    let script = Script {
        keys: "wwwwF",
        wait_for_fetch: true,
    };
    let second = scripted(&sim, &archive, &args, script).await;
    assert_eq!(second.requests_before_screen, 0);
    assert!(second.requests_until_live <= 3);
    let state = &second.finished.state;
    assert!(
        older_than(state, now - 30 * MINUTE)
            >= older_than(&first.finished.state, now - 30 * MINUTE),
        "the archived half hour before the window came from the archive"
    );
    let fetched = older_than(state, now - 65 * MINUTE);
    // Every entry of the simulator's history before the first session's hour is now on screen (how
    // many there are depends on the hour of day the simulator's office-hours history is made at).
    let cut_ms = (now - 70 * MINUTE) / 1_000_000;
    let before_the_hour: Vec<_> = sim
        .ground_truth()
        .into_iter()
        .filter(|id| auditui::entry::id_time_millis(id).is_some_and(|ms| ms < cut_ms))
        .collect();
    assert!(
        !before_the_hour.is_empty(),
        "the history reaches before the hour"
    );
    let missed = before_the_hour
        .iter()
        .filter(|id| state.store.position_of(**id).is_none())
        .count();
    assert_eq!(missed, 0, "of {} older entries", before_the_hour.len());
    assert!(
        fetched >= before_the_hour.len(),
        "{fetched} older entries on screen"
    );
    let window = state.archive.as_ref().expect("an archive window");
    assert_eq!(window.from, state.query.time_window().0.unwrap());
    assert!(window.missing.is_empty(), "{:?}", window.missing);
    assert!(!window.fetching);
    // One request per page of 1,000 and a seed: what the stretch needs, nothing refetched.
    let spent = second.requests_until_fetched - second.requests_until_live;
    eprintln!("fetched {fetched} older entries with {spent} requests");
    assert!(
        spent <= fetched / 1000 + 4,
        "{spent} requests for {fetched} entries"
    );
    let ids: Vec<_> = (0..state.store.len() as u32)
        .map(|i| state.store.get(i).id())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id order, each once");
    let reader = auditui::archive::Archive::open_read(&archive).unwrap();
    let lacking = auditui::history::load::missing(&reader, window.from, now).unwrap();
    assert!(
        lacking.is_empty(),
        "the archive now holds the window: {lacking:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_between_two_stretches_is_fetched_on_f_and_the_two_become_one() {
    let sim = start_simulator(SimConfig {
        history: Duration::from_secs(2 * 3600),
        ..quiet_simulator()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.sqlite");
    const MINUTE: i64 = 60_000_000_000;
    let args = WatchArgs {
        since: Some("2h".into()),
        ..watch_args()
    };
    let first = scripted(&sim, &archive, &args, QUIT_WHEN_LIVE).await;
    wait_for_the_writer_to_let_go(&archive).await;
    let now = auditui::clock::now();
    let in_gap = |state: &auditui::app::state::State| {
        (0..state.store.len() as u32)
            .map(|i| state.store.get(i).ts())
            .filter(|ts| (now - 90 * MINUTE..now - 60 * MINUTE).contains(ts))
            .count()
    };
    let held = in_gap(&first.finished.state);
    assert!(held > 100, "{held} entries from 90 to 60 minutes ago");

    // Half an hour lost, as two runs that did not meet would leave it: the entries are gone and the
    // one stretch is two.
    {
        let db = rusqlite::Connection::open(&archive).unwrap();
        let (lo, hi, lo_ts, hi_ts): (Vec<u8>, Vec<u8>, i64, i64) = db
            .query_row("SELECT lo, hi, lo_ts, hi_ts FROM coverage", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        let end = |sql: &str, at: i64| -> (Vec<u8>, i64) {
            db.query_row(sql, [at], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
        };
        let (a_hi, a_hi_ts) = end(
            "SELECT id, ts FROM entries WHERE ts < ?1 ORDER BY id DESC LIMIT 1",
            now - 90 * MINUTE,
        );
        let (b_lo, b_lo_ts) = end(
            "SELECT id, ts FROM entries WHERE ts >= ?1 ORDER BY id LIMIT 1",
            now - 60 * MINUTE,
        );
        db.execute_batch("DELETE FROM coverage").unwrap();
        db.execute(
            "DELETE FROM entries WHERE id > ?1 AND id < ?2",
            rusqlite::params![a_hi, b_lo],
        )
        .unwrap();
        let insert = "INSERT INTO coverage (lo, hi, lo_ts, hi_ts) VALUES (?1, ?2, ?3, ?4)";
        db.execute(insert, rusqlite::params![lo, a_hi, lo_ts, a_hi_ts])
            .unwrap();
        db.execute(insert, rusqlite::params![b_lo, hi, b_lo_ts, hi_ts])
            .unwrap();
    }

    let script = Script {
        keys: "F",
        wait_for_fetch: true,
    };
    let second = scripted(&sim, &archive, &args, script).await;
    assert_eq!(second.requests_before_screen, 0);
    let state = &second.finished.state;
    assert!(
        in_gap(state) >= held,
        "the lost half hour is back: {} of {held}",
        in_gap(state)
    );
    let window = state.archive.as_ref().unwrap();
    assert!(window.missing.is_empty(), "{:?}", window.missing);
    let spent = second.requests_until_fetched - second.requests_until_live;
    eprintln!("filled a gap of {held} entries with {spent} requests");
    assert!(
        spent <= held / 1000 + 3,
        "{spent} requests for {held} entries"
    );
    let reader = auditui::archive::Archive::open_read(&archive).unwrap();
    let stretches = reader.stretches().unwrap();
    assert_eq!(
        stretches.len(),
        1,
        "the two stretches are one again: {stretches:?}"
    );
}
