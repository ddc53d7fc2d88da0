//! An entry whose timestamp cannot be read is kept, at the time its id gives; the list and the detail view
//! say so with a visible mark, and the help overlay explains the mark.

mod tui_support;

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::State;
use auditui::entry::Entry;
use auditui::poller::PollEvent;
use auditui::ui::screen::render;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_support::{NOW, entry, id};

/// Two usual entries around one whose timestamp is a number: its id says 10:25:00 UTC.
fn state() -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.local_offset = chrono::FixedOffset::east_opt(0);
    state.update(Action::Resize {
        width: 100,
        height: 24,
    });
    let odd = Entry::parse(&format!(
        r#"{{"id":"{}","timestamp":1739290124,"type":"auth:login","user":"odd@example.com","ip":"203.0.113.5","user_agent":"curl","data":{{}}}}"#,
        id(NOW / 1_000_000 - 300_000, 2)
    ))
    .unwrap();
    assert!(!odd.ts_readable);
    let entries = vec![
        entry(
            1,
            10,
            "auth:login",
            "alice@example.com",
            "203.0.113.7",
            "{}",
        ),
        odd,
        entry(
            3,
            1,
            "auth:logout",
            "alice@example.com",
            "203.0.113.7",
            "{}",
        ),
    ];
    state.update(Action::Poll(PollEvent::Entries(entries)));
    state
}

fn screen(state: &State) -> Vec<String> {
    let area = state.screen.header.union(state.screen.status);
    let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
    terminal.draw(|frame| render(state, frame)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

fn press(state: &mut State, code: KeyCode) {
    state.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn line_with<'a>(lines: &'a [String], text: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in\n{}", lines.join("\n")))
}

#[test]
fn the_list_marks_a_time_taken_from_the_id() {
    let lines = screen(&state());
    assert!(
        line_with(&lines, "odd@example.com").contains("10:25:00~"),
        "{}",
        lines.join("\n")
    );
    for usual in ["10:20:00", "10:29:00"] {
        let line = line_with(&lines, usual);
        assert!(!line.contains('~'), "{line}");
    }
}

#[test]
fn the_detail_view_says_the_timestamp_is_unreadable_and_what_came() {
    let mut state = state();
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Enter);
    let lines = screen(&state);
    let timestamp = line_with(&lines, "timestamp");
    assert!(timestamp.contains("unreadable"), "{timestamp}");
    assert!(timestamp.contains("1739290124"), "{timestamp}");
    assert!(
        lines.iter().any(|l| l.contains("2026-11-24 10:25:00")),
        "the id's time is still shown\n{}",
        lines.join("\n")
    );
    let usual = {
        let mut state = self::state();
        press(&mut state, KeyCode::Enter);
        screen(&state)
    };
    assert!(!line_with(&usual, "timestamp").contains("unreadable"));
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_help_overlay_explains_the_marks() {
    let mut state = state();
    // Tall enough for the whole help side by side (the marks list added its keys).
    state.update(Action::Resize {
        width: 160,
        height: 64,
    });
    press(&mut state, KeyCode::Char('?'));
    let lines = screen(&state);
    let legend = line_with(&lines, "~ ");
    assert!(legend.contains("unreadable timestamp"), "{legend}");
}
