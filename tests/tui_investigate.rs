//! Investigating in the TUI, driven headless by keys: the counts panel, first-seen marks, search within
//! the view, going to a time, the position line, stepping through entries in the detail view, context,
//! and the demo incident found in a few keys. Screens at 80×24 and wide.

mod tui_support;

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::{Mode, State};
use auditui::entry::Entry;
use auditui::poller::PollEvent;
use auditui::simulator::storyline::{INTRUDER_ACCOUNT, INTRUDER_IP};
use auditui::simulator::{SimConfig, history_lines};
use auditui::store::counts::Dimension;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::{NOW, entry, incident, screen, text_of};

const SIZES: [(&str, u16, u16); 2] = [("80x24", 80, 24), ("wide", 140, 36)];

fn sized(width: u16, height: u16) -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.local_offset = chrono::FixedOffset::west_opt(5 * 3600);
    state.update(Action::Resize { width, height });
    state
}

fn with_incident_sized(width: u16, height: u16) -> State {
    let mut state = sized(width, height);
    state.update(Action::Poll(PollEvent::Entries(incident())));
    state
}

fn with_incident() -> State {
    with_incident_sized(80, 24)
}

/// Keys as typed: `\n` is Enter, `\t` Tab, `\x1b` Esc; capitals carry Shift.
fn keys(state: &mut State, text: &str) {
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        let modifiers = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        state.handle_key(KeyEvent::new(code, modifiers));
    }
}

fn selected(state: &State) -> auditui::store::StoredEntry<'_> {
    let position = state.selected_position().expect("a selection");
    state.store.get(state.index_at(position).unwrap())
}

fn each_size(name: &str, make: impl Fn(u16, u16) -> State) {
    for (size, width, height) in SIZES {
        let state = make(width, height);
        insta::assert_snapshot!(format!("{name}_{size}"), screen(&state).backend());
    }
}

fn counts_choice(state: &State) -> (&'static str, String) {
    state.counts_choice().expect("the counts panel has a row")
}

#[test]
fn counts_open_on_users_and_enter_narrows_to_the_value_chosen() {
    let mut state = with_incident();
    keys(&mut state, "c");
    assert!(matches!(state.mode, Mode::Counts(_)));
    // Mallory has three entries, more than anyone.
    assert_eq!(
        counts_choice(&state),
        ("user", "mallory@example.net".to_owned())
    );
    keys(&mut state, "\t\t");
    assert_eq!(counts_choice(&state), ("ip", "192.0.2.66".to_owned()));
    keys(&mut state, "j");
    assert_eq!(counts_choice(&state).0, "ip");
    keys(&mut state, "k\n");
    assert!(matches!(state.mode, Mode::List));
    assert_eq!(state.filter.editor.text(), "ip:192.0.2.66");
    assert_eq!(state.view.len(), 3);
    assert!(state.cursor.following, "the newest of the narrowed view");
}

#[test]
fn a_second_key_excludes_the_value_and_counts_follow_the_view() {
    let mut state = with_incident();
    keys(&mut state, "c\tx");
    assert_eq!(state.filter.editor.text(), "-type:auth:failed");
    assert_eq!(state.view.len(), 9);
    keys(&mut state, "c");
    let Mode::Counts(panel) = &state.mode else {
        panic!("counts open");
    };
    assert_eq!(panel.counts.total(), 9);
    assert_eq!(panel.dimension(), Dimension::User);
}

#[test]
fn the_counts_panel_updates_per_batch_without_a_recount() {
    let mut state = with_incident();
    keys(&mut state, "c");
    let batch = vec![
        entry(20, 0, "auth:failed", "dave@example.com", "10.0.0.1", "null"),
        entry(21, 0, "auth:failed", "dave@example.com", "10.0.0.1", "null"),
        entry(22, 0, "auth:failed", "dave@example.com", "10.0.0.1", "null"),
        entry(23, 0, "auth:failed", "dave@example.com", "10.0.0.1", "null"),
    ];
    state.update(Action::Poll(PollEvent::Entries(batch)));
    let Mode::Counts(panel) = &state.mode else {
        panic!("counts stay open as entries arrive");
    };
    assert_eq!(panel.counts.total(), 16);
    let top = panel.counts.top(&state.store, Dimension::User, 1);
    assert_eq!((top[0].value, top[0].stats.count), ("dave@example.com", 4));
    assert_eq!(
        panel.counts.last_counted(),
        Some(selected(&state).id()),
        "counted up to the newest"
    );
}

#[test]
fn counts_screens() {
    each_size("counts_users", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, "c");
        state
    });
    each_size("counts_agents_hostile", |w, h| {
        let mut state = with_incident_sized(w, h);
        let hostile = entry(
            30,
            0,
            "auth:login",
            "alice@example.com",
            "203.0.113.7",
            "null",
        );
        let mut json: serde_json::Value = serde_json::from_str(&hostile.json_line()).unwrap();
        json["user_agent"] = "\u{1b}]0;pwned\u{7}\u{1b}[2Jagent\u{202e}".into();
        let hostile = Entry::parse(&json.to_string()).unwrap();
        state.update(Action::Poll(PollEvent::Entries(vec![hostile])));
        keys(&mut state, "c\t\t\tj");
        state
    });
}

#[test]
fn hostile_values_in_the_counts_panel_are_drawn_inert() {
    let mut state = with_incident();
    let mut json: serde_json::Value = serde_json::from_str(&incident()[0].json_line()).unwrap();
    json["id"] = tui_support::id(NOW / 1_000_000, 99).into();
    json["user"] = "\u{1b}[2Jevil\u{7}".into();
    state.update(Action::Poll(PollEvent::Entries(vec![
        Entry::parse(&json.to_string()).unwrap(),
    ])));
    keys(&mut state, "c");
    let text = text_of(&screen(&state));
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(text.contains(r"\x1b[2Jevil"), "{text}");
}

#[test]
fn first_seen_marks_stand_out_in_the_list() {
    let mut state = with_incident();
    // Alice from an address she never used: a new IP.
    state.update(Action::Poll(PollEvent::Entries(vec![entry(
        40,
        0,
        "auth:login",
        "alice@example.com",
        "185.220.101.47",
        "null",
    )])));
    let text = text_of(&screen(&state));
    let row = text
        .lines()
        .find(|l| l.contains("185.220.101.47"))
        .expect("the row is on screen");
    assert!(row.starts_with(" +"), "{row:?}");
    keys(&mut state, "+");
    assert_eq!(state.filter.editor.text(), "new:ua");
    keys(&mut state, "+");
    assert_eq!(state.filter.editor.text(), "new:ip");
    assert_eq!(state.view.len(), 1);
    assert_eq!(selected(&state).ip(), "185.220.101.47");
    let help: Vec<String> = auditui::ui::help::Help::lines(&state.keymap)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        help.iter().any(|l| l.contains("+ new IP")),
        "the legend is in the help"
    );
}

#[test]
fn search_moves_between_matches_without_changing_the_filter() {
    let mut state = with_incident();
    keys(&mut state, "smallory\n");
    assert!(state.prompt.is_none());
    assert_eq!(state.view.len(), 12, "the filter stays");
    assert_eq!(state.filter.editor.text(), "");
    assert_eq!(
        state.selected_position(),
        Some(3),
        "wrapped to the first match"
    );
    keys(&mut state, "n");
    assert_eq!(state.selected_position(), Some(4));
    keys(&mut state, "nn");
    assert_eq!(state.selected_position(), Some(3), "wraps");
    keys(&mut state, "N");
    assert_eq!(state.selected_position(), Some(5));
    let text = text_of(&screen(&state));
    assert!(text.contains("“mallory” 3/3"), "{text}");
    // A bad search says why and keeps the prompt open.
    keys(&mut state, "s");
    for _ in 0.."mallory".len() {
        state.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
    }
    keys(&mut state, "user:\"open\n");
    assert!(state.prompt.as_ref().is_some_and(|p| p.error.is_some()));
    keys(&mut state, "\x1b");
    assert!(state.prompt.is_none());
    assert_eq!(state.search.as_ref().unwrap().text, "mallory");
    // Escape clears the message (the search wrapped), then ends the search, before any filter.
    keys(&mut state, "\x1b");
    assert!(state.search.is_some());
    keys(&mut state, "\x1b");
    assert!(state.search.is_none());
}

fn detail_id(state: &State) -> uuid::Uuid {
    let Mode::Detail(detail) = &state.mode else {
        panic!("the detail stays open");
    };
    assert_eq!(Some(detail.id), state.cursor.selected, "on the selection");
    detail.id
}

#[test]
fn search_and_goto_time_work_from_the_detail_view_which_follows_the_selection() {
    let mut state = with_incident();
    keys(&mut state, "g\n\t\t");
    let field = |state: &State| match &state.mode {
        Mode::Detail(detail) => detail.field,
        _ => panic!("detail open"),
    };
    assert_eq!(field(&state), 2);
    keys(&mut state, "smallory\n");
    assert!(state.prompt.is_none());
    assert_eq!(
        detail_id(&state),
        state.id_at(3).unwrap(),
        "the first match"
    );
    assert_eq!(field(&state), 2, "on the same field");
    keys(&mut state, "n");
    assert_eq!(detail_id(&state), state.id_at(4).unwrap());
    keys(&mut state, "N");
    assert_eq!(detail_id(&state), state.id_at(3).unwrap());
    keys(&mut state, "N");
    assert_eq!(detail_id(&state), state.id_at(5).unwrap(), "wraps");
    // Go to the minute of the eighth entry.
    let at = state.store.get(state.index_at(7).unwrap()).ts();
    let minute = auditui::clock::Zone::Utc.format(at, "%H:%M");
    keys(&mut state, &format!(":{minute}\n"));
    assert!(state.prompt.is_none());
    let expected = state
        .view
        .first_at_or_after(&state.store, at - at % 60_000_000_000);
    assert!(expected <= 7 && expected != 5);
    assert_eq!(detail_id(&state), state.id_at(expected).unwrap());
    // The search prompt draws over the detail, its keys from the keymap.
    keys(&mut state, "s");
    let text = text_of(&screen(&state));
    assert!(text.contains("search"), "{text}");
    assert!(
        text.contains("┌ Entry"),
        "the detail under the prompt: {text}"
    );
    keys(&mut state, "\x1b");
    assert!(
        matches!(state.mode, Mode::Detail(_)),
        "esc leaves the prompt only"
    );
}

#[test]
fn search_matches_follow_arrivals() {
    let mut state = with_incident();
    keys(&mut state, "smallory\n");
    state.update(Action::Poll(PollEvent::Entries(vec![entry(
        50,
        0,
        "auth:failed",
        "mallory@example.net",
        "192.0.2.66",
        "null",
    )])));
    assert_eq!(state.search.as_ref().unwrap().hits.len(), 4);
    keys(&mut state, "N");
    assert_eq!(state.selected_position(), Some(12), "the newest match");
}

#[test]
fn search_screens() {
    // Matches carry the search style (a text snapshot drops colour).
    let mut state = with_incident();
    keys(&mut state, "suser:root\n");
    let terminal = screen(&state);
    let buffer = terminal.backend().buffer();
    for y in 3..15u16 {
        let row: String = (0..80u16)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        let styled = buffer[(70, y)].bg == auditui::ui::theme::search_hit().bg.unwrap();
        let selected = state.selected_position().map(|p| p as u16 + 3) == Some(y);
        if !selected {
            assert_eq!(styled, row.contains("root@"), "{row}");
        }
    }
    each_size("search_highlighted", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, "suser:root\n");
        state
    });
    each_size("search_prompt", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, "sev");
        state
    });
}

#[test]
fn goto_time_lands_on_the_first_entry_at_or_after_the_time() {
    let mut state = with_incident();
    keys(&mut state, ":10:00\n");
    assert_eq!(state.selected_position(), Some(3));
    assert!(!state.cursor.following);
    keys(&mut state, ":-25m\n");
    assert_eq!(selected(&state).kind(), "admin:add_users");
    keys(&mut state, "T2026-11-24T09:44:00\n");
    assert_eq!(state.selected_position(), Some(1));
    // In local time (UTC-5 here), 05:00 is 10:00 UTC.
    keys(&mut state, "L:05:00\n");
    assert_eq!(state.selected_position(), Some(3));
    keys(&mut state, "LT2026-11-24T09:44:00\n");
    assert_eq!(state.selected_position(), Some(1));
    keys(&mut state, ":soon\n");
    let error = state.prompt.as_ref().and_then(|p| p.error.clone());
    assert!(
        error.is_some_and(|e| e.contains("14:05")),
        "says what works"
    );
    assert_eq!(state.selected_position(), Some(1), "nothing moved");
    each_size("goto_prompt_error", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, ":soon\n");
        state
    });
}

#[test]
fn the_position_line_says_row_and_whether_following() {
    let mut state = with_incident();
    let status = |state: &State| text_of(&screen(state)).lines().nth(22).unwrap().to_owned();
    assert!(
        status(&state).contains("row 12 of 12 · following · 09:40–10:29"),
        "{}",
        status(&state)
    );
    keys(&mut state, "kkk");
    assert!(
        status(&state).contains("row 9 of 12 · paused"),
        "{}",
        status(&state)
    );
}

#[test]
fn the_detail_view_steps_through_the_view_and_narrows() {
    let mut state = with_incident();
    keys(&mut state, "g\n");
    let first = selected(&state).id();
    keys(&mut state, "J");
    let Mode::Detail(detail) = &state.mode else {
        panic!("the detail stays open");
    };
    assert_ne!(detail.id, first);
    assert_eq!(
        Some(detail.id),
        state.cursor.selected,
        "the selection moves along"
    );
    keys(&mut state, "p");
    let Mode::Detail(detail) = &state.mode else {
        panic!("the detail stays open");
    };
    assert_eq!(detail.id, first);
    keys(&mut state, "p");
    assert!(state.notice.is_some(), "at the oldest, it says so");
    keys(&mut state, "u");
    assert_eq!(state.filter.editor.text(), "user:alice@example.com");
    assert!(matches!(state.mode, Mode::Detail(_)));
    each_size("detail_after_next", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, "g\nJ");
        state
    });
}

#[test]
fn context_shows_around_the_entry_then_same_user_then_returns() {
    let mut state = with_incident();
    keys(&mut state, "/type:admin:*\n");
    assert_eq!(state.view.len(), 2);
    keys(&mut state, "g");
    let id = selected(&state).id();
    keys(&mut state, "z");
    assert_eq!(state.view.len(), 12, "unfiltered");
    assert_eq!(selected(&state).id(), id, "on the same entry");
    assert_eq!(state.selected_position(), Some(6));
    keys(&mut state, "j");
    keys(&mut state, "z");
    assert_eq!(state.filter.editor.text(), "user:root@example.com");
    assert_eq!(state.view.len(), 2);
    keys(&mut state, "z");
    assert_eq!(state.filter.editor.text(), "type:admin:*");
    assert_eq!(selected(&state).id(), id, "back at the entry");
    // Esc in context goes back too, rather than clearing the filter.
    keys(&mut state, "z\x1b");
    assert_eq!(state.filter.editor.text(), "type:admin:*");
    assert_eq!(state.view.len(), 2);
    each_size("context_unfiltered", |w, h| {
        let mut state = with_incident_sized(w, h);
        keys(&mut state, "t");
        keys(&mut state, "kz");
        state
    });
}

/// The demo's data, as the TUI would have it after the first poll.
fn demo() -> State {
    let mut state = sized(120, 40);
    let start_ms: u64 = 1_795_600_000_000;
    state.now = start_ms as i64 * 1_000_000;
    let entries: Vec<Entry> = history_lines(&SimConfig::default(), start_ms)
        .iter()
        .map(|l| Entry::parse(l).expect("demo entries parse"))
        .collect();
    state.update(Action::Poll(PollEvent::Entries(entries)));
    state
}

#[test]
fn the_demo_incident_is_found_in_at_most_ten_keys() {
    let mut state = demo();
    // + (agents new for their user), g (the oldest of them), esc (all entries, still on it), i (its
    // address), c (counts), tab (types): six keys.
    let path = "+g\x1bic\t";
    keys(&mut state, &path[..4]);
    assert_eq!(state.filter.editor.text(), format!("ip:{INTRUDER_IP}"));
    let victim = selected(&state).user().to_owned();
    assert!(
        state
            .view
            .indices()
            .iter()
            .all(|&i| state.store.get(i).user() == victim),
        "one account from that address: the victim"
    );
    keys(&mut state, &path[4..]);
    assert!(path.chars().count() <= 10);
    let Mode::Counts(panel) = &state.mode else {
        panic!("counts open");
    };
    assert_eq!(panel.dimension(), Dimension::Type);
    let types: Vec<&str> = panel
        .counts
        .top(&state.store, Dimension::Type, 20)
        .iter()
        .map(|v| v.value)
        .collect();
    assert!(types.contains(&"admin:add_users"), "{types:?}");
    assert!(
        types.iter().any(|t| t.contains("download")),
        "downloads: {types:?}"
    );
    let added = state
        .view
        .indices()
        .iter()
        .map(|&i| state.store.get(i))
        .find(|e| e.kind() == "admin:add_users")
        .expect("the new admin");
    assert!(added.json_line().contains(INTRUDER_ACCOUNT));
}

#[test]
fn catching_up_says_how_far_behind_and_how_long_to_go() {
    use auditui::poller::{ConnState, PollStatus};
    use std::time::Duration;
    let mut state = with_incident();
    let status = |lag: u64| {
        PollEvent::Status(PollStatus {
            state: ConnState::CatchingUp,
            last_ok: Some(NOW),
            lag: Some(Duration::from_secs(lag)),
            budget_per_minute: 30,
            ..PollStatus::default()
        })
    };
    state.update(Action::Poll(status(106_663)));
    state.update(Action::Tick(NOW + 60_000_000_000));
    // A minute took 26,666 s of lag off: 79,997 s more take three minutes.
    state.update(Action::Poll(status(79_997)));
    let line = text_of(&screen(&state)).lines().nth(22).unwrap().to_owned();
    assert!(line.contains("22h behind · ~3 min to catch up"), "{line}");
    state.update(Action::Poll(status(5)));
    let line = text_of(&screen(&state)).lines().nth(22).unwrap().to_owned();
    assert!(
        line.contains("lag 5s") && !line.contains("catch up"),
        "{line}"
    );
}
