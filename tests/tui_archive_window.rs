//! The time window over the archive, through the update path with an archive on disk: widening it
//! loads the older stretch in the background (merged in id order, each entry once), the status bar
//! says what is loaded and what the archive lacks, and `fetch_missing` asks the writer for that part.

mod tui_support;

use auditui::app::action::{Action, Effect, Outcome};
use auditui::app::keymap::{Command, Keymap};
use auditui::app::state::{ArchiveWindow, State};
use auditui::archive::{Archive, Seed};
use auditui::entry::Entry;
use auditui::history::load::{self, ArchiveEvent, LoadRequest};
use auditui::poller::{PollControl, PollEvent};
use auditui::timestamp::UnixNanos;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc;
use tui_support::{NOW, entry};

const MINUTE: i64 = 60_000_000_000;
const HOUR: i64 = 60 * MINUTE;

/// One entry a minute, `minutes` minutes ago to one minute ago, oldest first.
fn minutes(minutes: i64) -> Vec<Entry> {
    (1..=minutes)
        .rev()
        .map(|ago| entry(0, ago, "auth:login", "ann@x", "203.0.113.9", "{}"))
        .collect()
}

/// An archive holding `entries` as one stretch fetched from `since` on.
fn archive_with(dir: &std::path::Path, since: UnixNanos, entries: &[Entry]) -> std::path::PathBuf {
    let path = dir.join("archive.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Since(since)).unwrap();
    for page in entries.chunks(50) {
        writer
            .commit_page(page, &[], page.last().unwrap().id)
            .unwrap();
    }
    path
}

/// Runs a load as the loop does, feeding every block to the state until the last.
fn run_load(state: &mut State, request: LoadRequest) {
    let (events, mut blocks) = mpsc::channel(4);
    load::spawn(request, events);
    while let Some(event) = blocks.blocking_recv() {
        let done = matches!(&event, PollEvent::Archive(ArchiveEvent::Block(b)) if b.done);
        state.update(Action::Poll(event));
        if done {
            return;
        }
    }
    panic!("the load ended without its last block");
}

fn loads(outcome: &Outcome) -> Vec<LoadRequest> {
    outcome
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::LoadArchive(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// A state over the archive at `path` with the last hour loaded, as the TUI opens it.
fn opened(path: &std::path::Path) -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    let window = ArchiveWindow::new(path.to_owned(), NOW - HOUR, false, None);
    let first = window.first_load();
    state.archive = Some(window);
    run_load(&mut state, first);
    state
}

fn ids(state: &State) -> Vec<uuid::Uuid> {
    (0..state.store.len() as u32)
        .map(|i| state.store.get(i).id())
        .collect()
}

fn place(state: &State) -> String {
    state.archive_place().join(" · ")
}

#[test]
fn widening_the_window_with_w_loads_the_older_stretch_from_the_archive_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = opened(&path);
    assert_eq!(state.store.len(), 60, "the last hour is loaded first");
    assert!(
        place(&state).contains("loaded from 09:30"),
        "{}",
        place(&state)
    );

    // 5m, 15m and 1h lie inside what is loaded: only filtering, nothing read.
    for _ in 0..3 {
        let outcome = state.handle_key(key('w'));
        assert!(loads(&outcome).is_empty());
    }
    // 24h reaches before it: the older stretch, and only that, is asked of the archive.
    let outcome = state.handle_key(key('w'));
    let asked = loads(&outcome);
    assert_eq!(asked.len(), 1, "{:?}", outcome.effects);
    assert_eq!(asked[0].from, NOW - 24 * HOUR);
    assert_eq!(asked[0].to, Some(NOW - HOUR));
    assert!(
        place(&state).contains("loading archive"),
        "{}",
        place(&state)
    );
    run_load(&mut state, asked[0].clone());

    assert_eq!(
        state.store.len(),
        180,
        "the whole archive is loaded, each entry once"
    );
    let ids = ids(&state);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
    assert_eq!(state.view.len(), 180, "the 24h window shows them all");
    assert!(
        place(&state).contains("loaded from 11-23 10:30"),
        "{}",
        place(&state)
    );
    // "all" reaches further: asked from the start of the log, up to what is loaded.
    let outcome = state.handle_key(key('w'));
    let asked = loads(&outcome);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].from, UnixNanos::MIN);
    assert_eq!(asked[0].to, Some(NOW - 24 * HOUR));
}

#[test]
fn a_since_typed_in_the_filter_bar_loads_on_enter_not_while_typing() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = opened(&path);
    state.update(Action::Command(Command::OpenFilter));
    for c in "since:2h".chars() {
        let outcome = state.handle_key(key(c));
        assert!(loads(&outcome).is_empty(), "typing reads nothing");
    }
    let outcome = state.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let asked = loads(&outcome);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].from, NOW - 2 * HOUR);
    run_load(&mut state, asked[0].clone());
    assert_eq!(state.store.len(), 120);
    assert_eq!(state.view.len(), 120);
    // A filter without a window keeps what is loaded.
    state.update(Action::Command(Command::OpenFilter));
    for _ in 0.."since:2h".len() {
        state.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
    }
    for c in "user:ann@x".chars() {
        state.handle_key(key(c));
    }
    let outcome = state.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert!(loads(&outcome).is_empty());
    assert_eq!(state.filter.applied, "user:ann@x");
    assert_eq!(state.archive.as_ref().unwrap().from, NOW - 2 * HOUR);
}

#[test]
fn entries_arriving_while_the_older_stretch_loads_are_kept_once_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let all = minutes(180);
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &all);
    let mut state = opened(&path);
    for _ in 0..3 {
        state.handle_key(key('w'));
    }
    // Entries arrive before the older stretch does: one already loaded, one the load brings too.
    state.update(Action::Poll(PollEvent::Entries(vec![
        all[179].clone(),
        all[10].clone(),
    ])));
    assert_eq!(state.store.len(), 61);
    let asked = loads(&state.handle_key(key('w')));
    assert_eq!(asked.len(), 1);
    run_load(&mut state, asked[0].clone());
    assert_eq!(state.store.len(), 180);
    assert!(ids(&state).windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn where_the_archive_does_not_reach_the_status_says_so_and_the_key_asks_the_writer_to_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = opened(&path);
    assert!(!place(&state).contains("lacks") && !place(&state).contains("holds from"));
    for _ in 0..4 {
        let outcome = state.handle_key(key('w'));
        for request in loads(&outcome) {
            run_load(&mut state, request);
        }
    }
    let text = place(&state);
    assert!(
        text.contains("archive holds from 07:30 · F fetches 11-23 10:30–07:30"),
        "{text}"
    );
    let outcome = state.handle_key(key('F'));
    let asked: Vec<_> = outcome
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Control(PollControl::Fetch { window, missing }) => Some((*window, missing)),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "{:?}", outcome.effects);
    let (window, missing) = asked[0];
    assert_eq!(window, NOW - 24 * HOUR);
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].from, missing[0].to),
        (NOW - 24 * HOUR, NOW - 3 * HOUR)
    );
    assert_eq!(missing[0].after, None, "before every stretch");
    assert!(place(&state).contains("fetching"), "{}", place(&state));
    // A second press while fetching asks nothing more.
    assert!(state.handle_key(key('F')).effects.is_empty());
    state.update(Action::Poll(PollEvent::Archive(ArchiveEvent::Fetched {
        window,
        missing: Vec::new(),
        error: None,
    })));
    let text = place(&state);
    assert!(
        !text.contains("fetch") && !text.contains("holds from"),
        "{text}"
    );
}

#[test]
fn a_follower_cannot_fetch_and_says_who_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    let window = ArchiveWindow::new(
        path.clone(),
        NOW - 24 * HOUR,
        false,
        Some("pid 42 (auditui sync)".into()),
    );
    let first = window.first_load();
    state.archive = Some(window);
    run_load(&mut state, first);
    let text = place(&state);
    assert!(text.contains("written by pid 42 (auditui sync)"), "{text}");
    assert!(state.handle_key(key('F')).effects.is_empty());
    let notice = state.notice.as_ref().unwrap();
    assert!(
        notice.text.contains("only the writer can fetch"),
        "{notice:?}"
    );
}

#[test]
fn fetch_missing_pressed_while_loading_fetches_once_the_load_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = opened(&path);
    let mut asked = Vec::new();
    for _ in 0..4 {
        asked = loads(&state.handle_key(key('w')));
    }
    assert!(
        state.handle_key(key('F')).effects.is_empty(),
        "nothing known yet"
    );
    let (events, mut blocks) = mpsc::channel(4);
    load::spawn(asked[0].clone(), events);
    let mut effects = Vec::new();
    while let Some(event) = blocks.blocking_recv() {
        let done = matches!(&event, PollEvent::Archive(ArchiveEvent::Block(b)) if b.done);
        effects.extend(state.update(Action::Poll(event)).effects);
        if done {
            break;
        }
    }
    assert!(
        matches!(effects.as_slice(), [Effect::Control(PollControl::Fetch { missing, .. })] if missing.len() == 1),
        "{effects:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_opens_the_screen_first_and_starts_the_poller_once_the_first_rows_are_drawn() {
    use crossterm::event::Event;
    use futures::StreamExt;

    let dir = tempfile::tempdir().unwrap();
    // 2,500 entries: a first block of 1,000, then the rest.
    let path = archive_with(dir.path(), NOW - 48 * HOUR, &minutes(2500));
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.archive = Some(ArchiveWindow::new(path, NOW - 48 * HOUR, false, None));

    // The poller's link: the loop takes its first message only once the history is in; the second
    // send returns only after that (a channel of one), and then the test quits.
    let (events, from_poller) = mpsc::channel(1);
    let (control, _controls) = mpsc::channel(8);
    let (took, has_taken) = tokio::sync::oneshot::channel::<()>();
    let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let started = started.clone();
        async move {
            started.store(true, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let status = || PollEvent::Status(Default::default());
                events.send(status()).await.unwrap();
                events.send(status()).await.unwrap();
                let _ = took.send(());
                std::future::pending::<()>().await;
            });
            (from_poller, control)
        }
    };
    let keys = futures::stream::once(async {
        let _ = has_taken.await;
        Ok(Event::Key(key('q')))
    })
    .chain(futures::stream::pending());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 20)).unwrap();
    let finished = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        auditui::app::run::drive(
            state,
            &mut terminal,
            Box::pin(keys),
            &mut tui_support::NoClipboard,
            poller,
            std::future::pending(),
        ),
    )
    .await
    .expect("done within 30 s")
    .unwrap();
    assert!(started.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(
        finished.shown_before_poller,
        Some(1000),
        "the first block was on screen before the poller started, the rest not yet"
    );
    assert!(
        finished.frames >= 2,
        "the screen was drawn before the history"
    );
    assert_eq!(finished.state.store.len(), 2500);
    let window = finished.state.archive.as_ref().unwrap();
    assert!(window.loading.is_empty());
    assert_eq!(window.opening, auditui::app::state::Opening::Done);
}

#[test]
fn on_a_100_column_screen_the_status_bar_shows_what_is_loaded_and_the_key_that_fetches() {
    let dir = tempfile::tempdir().unwrap();
    let path = archive_with(dir.path(), NOW - 3 * HOUR, &minutes(180));
    let mut state = opened(&path);
    state.update(Action::Resize {
        width: 100,
        height: 12,
    });
    for _ in 0..4 {
        for request in loads(&state.handle_key(key('w'))) {
            run_load(&mut state, request);
        }
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 12)).unwrap();
    terminal
        .draw(|frame| auditui::ui::screen::render(&state, frame))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let rows: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect();
    let status = rows.join("\n");
    assert!(
        status.contains("archive holds from 07:30 · F fetches 11-23 10:30–07:30"),
        "{status}"
    );
}

#[test]
fn a_gap_between_two_stretches_is_named_with_the_stretch_it_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.sqlite");
    let all = minutes(180);
    {
        let mut writer = Archive::open_write(&path, "test").unwrap();
        // 3h to 2h ago, then (a later run, seeded anew) the last hour: nothing of 2h to 1h ago.
        writer.follow(Seed::Since(NOW - 3 * HOUR)).unwrap();
        let early = &all[..60];
        writer
            .commit_page(early, &[], early.last().unwrap().id)
            .unwrap();
        writer.follow(Seed::Since(NOW - HOUR)).unwrap();
        let late = &all[120..];
        writer
            .commit_page(late, &[], late.last().unwrap().id)
            .unwrap();
    }
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    let window = ArchiveWindow::new(path, NOW - 3 * HOUR, false, None);
    let first = window.first_load();
    state.archive = Some(window);
    run_load(&mut state, first);
    assert_eq!(state.store.len(), 120);
    let window = state.archive.as_ref().unwrap();
    assert_eq!(window.missing.len(), 1, "{:?}", window.missing);
    let gap = window.missing[0];
    assert_eq!(gap.after, Some(all[59].id), "it follows the early stretch");
    assert_eq!(
        gap.before,
        Some(all[120].id),
        "and ends where the late one starts"
    );
    assert_eq!((gap.from, gap.to), (all[59].ts, NOW - HOUR));
    let text = place(&state);
    assert!(
        text.contains("archive lacks 08:29–09:30 · F fetches it"),
        "{text}"
    );
}
