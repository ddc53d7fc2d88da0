//! What a keystroke costs on a million entries: drawing a frame, moving the selection, typing in the
//! filter bar. Run with `cargo bench --bench tui`.

use std::sync::{LazyLock, Mutex};

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::State;
use auditui::entry::Entry;
use auditui::poller::PollEvent;
use auditui::ui::screen::render;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ENTRIES: u32 = 1_000_000;
const NOW: i64 = 1_795_516_200_000_000_000;
const KINDS: [&str; 8] = [
    "auth:login",
    "auth:failed",
    "api:create_query",
    "api:audit_log_fetch",
    "admin:add_users",
    "user:outlook_add_in_ask",
    "api:vault_upload_files",
    "auth:logout",
];

fn main() {
    divan::main();
}

/// A million entries over the last ~12 days, thousands of users, a few hundred IPs.
fn generated(seq: u32) -> Entry {
    let ts = NOW - (i64::from(ENTRIES) - i64::from(seq)) * 1_000_000_000;
    let millis = ts / 1_000_000;
    let hex = format!("{millis:012x}");
    let id = format!("{}-{}-7000-8000-{:012x}", &hex[..8], &hex[8..12], seq);
    let stamp = chrono::DateTime::from_timestamp_nanos(ts).format("%Y-%m-%dT%H:%M:%S%.6f");
    let kind = KINDS[(seq % 8) as usize];
    let text = format!(
        r#"{{"id":"{id}","timestamp":"{stamp}","type":"{kind}","user":"user{}@example.com","ip":"10.0.{}.{}","user_agent":"Mozilla/5.0","data":{{"event_id":{seq},"route":"/api/v1/x"}}}}"#,
        seq % 5000,
        seq % 17,
        seq % 251
    );
    Entry::parse(&text).expect("generated entries parse")
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    let mut state = State::new(Keymap::defaults(), "bench", NOW);
    state.update(Action::Resize {
        width: 120,
        height: 40,
    });
    for start in (0..ENTRIES).step_by(10_000) {
        let batch = (start..start + 10_000).map(generated).collect();
        state.update(Action::Poll(PollEvent::Entries(batch)));
    }
    assert_eq!(state.view.len(), ENTRIES as usize);
    Mutex::new(state)
});

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).unwrap()
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[divan::bench]
fn draw_a_frame(bencher: divan::Bencher) {
    let state = STATE.lock().unwrap();
    let mut terminal = terminal();
    bencher.bench_local(|| {
        terminal.draw(|frame| render(&state, frame)).unwrap();
    });
}

/// `k` then `j` in the middle of the list, each followed by a frame.
#[divan::bench]
fn move_the_selection_and_draw(bencher: divan::Bencher) {
    let mut state = STATE.lock().unwrap();
    state.handle_key(key('g'));
    for _ in 0..500 {
        state.handle_key(key('j'));
    }
    let mut terminal = terminal();
    bencher.bench_local(|| {
        for c in ['k', 'j'] {
            state.handle_key(key(c));
            terminal.draw(|frame| render(&state, frame)).unwrap();
        }
    });
}

/// In the filter bar holding `user:user42`, delete and retype the last character: two re-filters of the
/// million entries and two frames.
#[divan::bench]
fn filter_keystrokes_by_user(bencher: divan::Bencher) {
    type_and_retype(bencher, "user:user42");
}

/// As above, with free text (bare words: substring, or a typo within a word of a user, type, IP or agent).
#[divan::bench]
fn filter_keystrokes_free_text(bencher: divan::Bencher) {
    type_and_retype(bencher, "vault");
}

fn type_and_retype(bencher: divan::Bencher, text: &str) {
    let mut state = STATE.lock().unwrap();
    state.handle_key(key('/'));
    for c in text.chars() {
        state.handle_key(key(c));
    }
    let last = text.chars().last().unwrap();
    let mut terminal = terminal();
    bencher.bench_local(|| {
        state.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        terminal.draw(|frame| render(&state, frame)).unwrap();
        state.handle_key(key(last));
        terminal.draw(|frame| render(&state, frame)).unwrap();
    });
    state.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    state.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
}

/// `e` on the whole million, the part the screen waits for: taking the snapshot to write.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn export_a_million_snapshot_on_the_loop(bencher: divan::Bencher) {
    use auditui::app::action::ExportFormat;
    let state = STATE.lock().unwrap();
    bencher.bench_local(|| {
        let job = state.export_job(ExportFormat::Jsonl, "unused.jsonl".into());
        assert_eq!(job.count(), ENTRIES as usize);
        job
    });
}

/// A batch arriving while a million-entry export is being written: the store is copied once.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn batch_arriving_during_an_export_of_a_million(bencher: divan::Bencher) {
    use auditui::app::action::ExportFormat;
    let state = STATE.lock().unwrap();
    bencher
        .with_inputs(|| {
            let mut copy = State::new(Keymap::defaults(), "bench", NOW);
            copy.store = state.store.clone();
            copy.view = state.view.clone();
            let job = copy.export_job(ExportFormat::Jsonl, "unused.jsonl".into());
            (copy, job)
        })
        .bench_local_values(|(mut copy, job)| {
            copy.update(Action::Poll(PollEvent::Entries(vec![generated(ENTRIES)])));
            (copy, job)
        });
}

/// `e` on the whole million, the part done on a blocking thread: writing the view as JSON lines.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn export_a_million_as_json_lines(bencher: divan::Bencher) {
    use auditui::app::action::ExportFormat;
    let state = STATE.lock().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    bencher.bench_local(|| {
        n += 1;
        let path = dir.path().join(format!("export-{n}.jsonl"));
        let (count, written) = state
            .export_job(ExportFormat::Jsonl, path.clone())
            .write()
            .unwrap();
        assert_eq!(count, ENTRIES as usize);
        std::fs::remove_file(written).unwrap();
    });
}

/// `c` on the million: the counts panel counted over the whole view, then closed.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn open_the_counts_panel(bencher: divan::Bencher) {
    let mut state = STATE.lock().unwrap();
    bencher.bench_local(|| {
        state.handle_key(key('c'));
        state.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    });
}

/// A frame of the counts panel over the million (its top lists and activity bars).
#[divan::bench]
fn draw_a_frame_of_the_counts_panel(bencher: divan::Bencher) {
    let mut state = STATE.lock().unwrap();
    state.handle_key(key('c'));
    let mut terminal = terminal();
    bencher.bench_local(|| {
        terminal.draw(|frame| render(&state, frame)).unwrap();
    });
    state.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
}

/// A batch of 100 entries arriving on a copy of the million with the counts panel open: the store
/// append, the view, and the panel brought up to date from the counts it held.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn batch_of_100_with_the_counts_panel_open(bencher: divan::Bencher) {
    batch_of_100(bencher, true, Room::Grown);
}

/// A batch of 100 entries arriving on a copy of the million without the counts panel: the
/// baseline of the bench above.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn batch_of_100_without_the_counts_panel(bencher: divan::Bencher) {
    batch_of_100(bencher, false, Room::Grown);
}

/// The same batch on a copy whose columns were cloned to the exact size and never appended to: the
/// first append reallocates and copies every column of the million. What the two benches above
/// measured before their copies were given room; the loop's own store never pays this per batch.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn batch_of_100_on_a_store_cloned_without_room(bencher: divan::Bencher) {
    batch_of_100(bencher, false, Room::None);
}

/// How much spare capacity the copy's columns have when the timed batch arrives.
#[derive(Clone, Copy, PartialEq)]
enum Room {
    /// Exactly the million (a clone): the timed append reallocates every column.
    None,
    /// A first batch was appended in the setup, so the columns grew (by doubling) as the loop's own
    /// store does, and the timed batch fits in the room.
    Grown,
}

/// Times one batch of 100 new entries taken by a copy of the million's state (the copy is made
/// outside the timing), with the counts panel open or not.
fn batch_of_100(bencher: divan::Bencher, counts_open: bool, room: Room) {
    let state = STATE.lock().unwrap();
    let mut next = ENTRIES;
    bencher
        .with_inputs(|| {
            let mut copy = State::new(Keymap::defaults(), "bench", NOW);
            copy.store = std::sync::Arc::new((*state.store).clone());
            copy.view = state.view.clone();
            copy.update(Action::Resize {
                width: 120,
                height: 40,
            });
            if room == Room::Grown {
                let first: Vec<Entry> = (next..next + 100).map(generated).collect();
                next += 100;
                copy.update(Action::Poll(PollEvent::Entries(first)));
            }
            if counts_open {
                copy.handle_key(key('c'));
            }
            let batch: Vec<Entry> = (next..next + 100).map(generated).collect();
            next += 100;
            (copy, batch)
        })
        .bench_local_values(|(mut copy, batch)| {
            copy.update(Action::Poll(PollEvent::Entries(batch)));
            copy
        });
}

/// `n` with a search for one user of the 5,000 open over the million, and a frame.
#[divan::bench]
fn next_search_match_and_draw(bencher: divan::Bencher) {
    let mut state = STATE.lock().unwrap();
    state.handle_key(key('s'));
    for c in "user:user42@".chars() {
        state.handle_key(key(c));
    }
    state.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let mut terminal = terminal();
    bencher.bench_local(|| {
        state.handle_key(key('n'));
        terminal.draw(|frame| render(&state, frame)).unwrap();
    });
    state.search = None;
}
