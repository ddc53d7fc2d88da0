//! The whole screen in each mode, at 80×24 and wide, from a fixed state and clock.

mod tui_support;

use std::time::Duration;

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::State;
use auditui::poller::{ConnState, PollEvent, PollStatus, StopReason};
use auditui::ui::screen::render;
use auditui::ui::theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_support::{NOW, incident};

const SIZES: [(&str, u16, u16); 2] = [("80x24", 80, 24), ("wide", 140, 36)];

fn state(width: u16, height: u16) -> State {
    let mut state = State::new(Keymap::defaults(), "demo (simulator)", NOW);
    state.local_offset = chrono::FixedOffset::west_opt(5 * 3600);
    state.update(Action::Resize { width, height });
    state
}

fn live(width: u16, height: u16) -> State {
    let mut state = state(width, height);
    state.update(Action::Poll(PollEvent::Status(PollStatus {
        state: ConnState::Live,
        last_ok: Some(NOW - 2_000_000_000),
        lag: Some(Duration::from_secs(1)),
        requests_last_minute: 9,
        budget_per_minute: 30,
        self_hidden: 6,
        ..PollStatus::default()
    })));
    state.update(Action::Poll(PollEvent::Entries(incident())));
    state
}

fn keys(state: &mut State, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        state.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
}

fn screen(state: &State) -> Terminal<TestBackend> {
    let area = state.screen.header.union(state.screen.status);
    let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    terminal.draw(|frame| render(state, frame)).unwrap();
    terminal
}

fn each_size(name: &str, make: impl Fn(u16, u16) -> State) {
    for (size, width, height) in SIZES {
        let state = make(width, height);
        insta::assert_snapshot!(format!("{name}_{size}"), screen(&state).backend());
    }
}

#[test]
fn connecting_with_nothing_yet() {
    each_size("connecting", state);
}

#[test]
fn live_but_no_entries_yet() {
    each_size("empty", |w, h| {
        let mut state = state(w, h);
        state.update(Action::Poll(PollEvent::Status(PollStatus {
            state: ConnState::Live,
            last_ok: Some(NOW),
            budget_per_minute: 30,
            ..PollStatus::default()
        })));
        state
    });
}

#[test]
fn live_with_entries() {
    each_size("live", live);
}

#[test]
fn filtered_while_typing() {
    each_size("filtered", |w, h| {
        let mut state = live(w, h);
        keys(&mut state, "/type:auth:* -user:alice");
        state
    });
}

#[test]
fn filter_error_in_place() {
    let mut state = live(80, 24);
    keys(&mut state, "/type:auth:failed \"");
    insta::assert_snapshot!(screen(&state).backend());
}

#[test]
fn nothing_matches() {
    let mut state = live(80, 24);
    keys(&mut state, "/user:nobody\n");
    insta::assert_snapshot!(screen(&state).backend());
}

#[test]
fn detail_of_the_selected_entry() {
    each_size("detail", |w, h| {
        let mut state = live(w, h);
        keys(&mut state, "kkk\n\t\t");
        state
    });
}

#[test]
fn help_overlay() {
    each_size("help", |w, h| {
        let mut state = live(w, h);
        keys(&mut state, "?");
        state
    });
}

#[test]
fn token_rejected_at_start() {
    each_size("error", |w, h| {
        let mut state = state(w, h);
        state.update(Action::Poll(PollEvent::Status(PollStatus {
            state: ConnState::Failed,
            ..PollStatus::default()
        })));
        state.update(Action::Poll(PollEvent::Stopped {
            reason: Some(StopReason::TokenRejected(
                "token rejected (401): check HARVEY_API_TOKEN".into(),
            )),
        }));
        state
    });
}

#[test]
fn scrolled_up_with_new_entries_below() {
    let mut state = live(80, 24);
    keys(&mut state, "kkkk");
    let more = (0..5)
        .map(|i| {
            tui_support::entry(
                40 + i,
                0,
                "api:create_query",
                "bob@example.com",
                "10.0.0.3",
                "null",
            )
        })
        .collect();
    state.update(Action::Poll(PollEvent::Entries(more)));
    let terminal = screen(&state);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn hints_on_the_log_pane_name_the_keys_the_user_bound() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keymap.toml");
    std::fs::write(&file, "[list]\nfollow = [\"F\"]\nclear_filter = [\"x\"]\n").unwrap();
    let mut state = live(80, 24);
    state.keymap = Keymap::load(Some(&file)).unwrap();
    keys(&mut state, "kkkk");
    let more = vec![tui_support::entry(
        40,
        0,
        "api:create_query",
        "bob@example.com",
        "10.0.0.3",
        "null",
    )];
    state.update(Action::Poll(PollEvent::Entries(more)));
    let text = screen(&state).backend().to_string();
    assert!(text.contains("1 new below · F to follow"), "{text}");

    keys(&mut state, "/user:nobody\n");
    let text = screen(&state).backend().to_string();
    assert!(text.contains("· x clears it"), "{text}");
}

#[test]
fn a_resize_redraws_to_the_new_size() {
    let mut state = live(80, 24);
    state.update(Action::Resize {
        width: 60,
        height: 12,
    });
    let terminal = screen(&state);
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    assert!(state.selected_position() == Some(11));
    let last_row: String = (0..60).map(|x| buffer[(x, 9)].symbol()).collect();
    assert!(
        last_row.contains("carol"),
        "the selection is in sight: {last_row}"
    );
}

#[test]
fn on_the_full_screen_failures_are_red_and_the_selection_highlighted() {
    let state = live(80, 24);
    let terminal = screen(&state);
    let buffer = terminal.backend().buffer();
    // Header, filter bar and heading come first: entry rows start at line 3.
    let failed = 3 + 3;
    assert_eq!(buffer[(20, failed)].fg, theme::FAILURE);
    let selected = 3 + 11;
    assert_eq!(buffer[(20, selected)].bg, ratatui::style::Color::DarkGray);
}

#[test]
fn the_detail_view_names_the_keys_of_a_rebound_keymap() {
    let mut state = live(100, 30);
    state
        .keymap
        .merge_text(
            "[detail]\nnext_field = [\"ctrl-n\"]\ncopy_field = [\"C\"]\nclose = [\"x\"]\n",
            "test",
        )
        .unwrap();
    keys(&mut state, "\n");
    let backend = TestBackend::new(100, 30);
    let mut terminal = Terminal::new(backend).unwrap();
    terminal.draw(|frame| render(&state, frame)).unwrap();
    let text = format!("{:?}", terminal.backend());
    assert!(
        text.contains("ctrl-n field · C copy field · y copy entry · x back"),
        "{text}"
    );
}

#[test]
fn the_help_and_error_screens_name_the_keys_of_a_rebound_keymap() {
    let rebound = "[help]\nclose = [\"x\"]\ndown = [\"J\"]\nup = [\"K\"]\n[list]\nquit = [\"Q\"]\n";
    let text_of = |state: &State| format!("{:?}", screen(state).backend());

    let mut helping = live(140, 40);
    helping.keymap.merge_text(rebound, "test").unwrap();
    helping.handle_key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
    let help = text_of(&helping);
    assert!(help.contains("x close · J/K scroll"), "{help}");
    assert!(!help.contains("esc/?"), "{help}");

    let mut failed = state(80, 24);
    failed.keymap.merge_text(rebound, "test").unwrap();
    failed.update(Action::Poll(PollEvent::Stopped {
        reason: Some(StopReason::TokenRejected("token rejected (401)".into())),
    }));
    let error = text_of(&failed);
    assert!(error.contains("Q to quit"), "{error}");
    assert!(!error.contains("q to quit"), "{error}");
}

/// The poller cannot reach the API: a long network error, hostile bytes and the token inside it.
const OFFLINE_TOKEN: &str = "offline-screen-secret-token";

fn offline(width: u16, height: u16) -> State {
    auditui::sanitize::register_secret(OFFLINE_TOKEN);
    let mut state = state(width, height);
    state.update(Action::Poll(PollEvent::Status(PollStatus {
        state: ConnState::Retrying { attempt: 3 },
        offline: true,
        retry_at: Some(NOW + 12_000_000_000),
        retries: 3,
        budget_per_minute: 30,
        last_error: Some(format!(
            "network error: error sending request for url (https://api.harvey.ai/api/v1/logs/audit/latest): \
             client error (Connect): tcp connect error: Connection refused (os error 111) \u{1b}[2J token={OFFLINE_TOKEN}"
        )),
        ..PollStatus::default()
    })));
    state
}

#[test]
fn offline_says_so_and_when_it_tries_again() {
    each_size("offline", offline);
}

#[test]
fn the_problems_pane_shows_the_whole_error() {
    each_size("problems_offline", |w, h| {
        let mut state = offline(w, h);
        keys(&mut state, "!");
        state
    });
}

fn with_malformed(width: u16, height: u16) -> State {
    let mut state = live(width, height);
    let rejected = |id: Option<&str>, reason: &str, excerpt: &str| auditui::entry::Rejected {
        id: id.map(|i| i.parse().unwrap()),
        reason: reason.into(),
        excerpt: excerpt.into(),
    };
    state.update(Action::Poll(PollEvent::Status(PollStatus {
        state: ConnState::Live,
        last_ok: Some(NOW - 2_000_000_000),
        budget_per_minute: 30,
        rejected: 3,
        ..PollStatus::default()
    })));
    state.update(Action::Poll(PollEvent::Rejected(vec![
        rejected(
            Some("0194f5a3-7b2c-7000-8000-000000000042"),
            "`timestamp` is not a string",
            r#"{"id": "0194f5a3-7b2c-7000-8000-000000000042", "timestamp": 1739290124, "type": "auth:login"}"#,
        ),
        rejected(
            None,
            "`id` is not a UUID",
            "{\"id\": \"evil\u{1b}]0;pwned\u{7}\", \"type\": \"auth:login\u{202e}\"}",
        ),
        rejected(None, "not valid JSON: EOF while parsing", r#"{"type": "auth:lo"#),
    ])));
    state
}

#[test]
fn the_status_counts_malformed_entries_and_names_the_key_that_lists_them() {
    let state = with_malformed(140, 36);
    let key = state.keymap.hint(
        auditui::app::keymap::Context::List,
        auditui::app::keymap::Command::Problems,
    );
    let text = tui_support::screen_text(&state);
    assert!(
        text.contains(&format!("3 malformed ({key} lists)")),
        "{text}"
    );
}

#[test]
fn the_problems_pane_lists_the_malformed_entries_skipped() {
    each_size("problems_malformed", |w, h| {
        let mut state = with_malformed(w, h);
        keys(&mut state, "!");
        state
    });
}

#[test]
fn the_header_reads_out_the_bucket_of_the_selected_entry() {
    let mut state = live(80, 24);
    let header = |state: &State| {
        tui_support::screen_text(state)
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };
    // Following: the newest entry's bucket (10:29 lies in 10:27-10:29, three-minute buckets here).
    assert!(
        header(&state).contains("10:27 2/3m · peak 3"),
        "{}",
        header(&state)
    );
    keys(&mut state, "g");
    // The oldest entry, 09:40, in the 09:39 bucket.
    assert!(
        header(&state).contains("09:39 1/3m · peak 3"),
        "{}",
        header(&state)
    );
}
