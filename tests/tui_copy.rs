//! Copies are for pasting into terminals and tickets: by default every control, bidi and invisible
//! character in them is written as a visible escape; the raw-copy commands give the text as received.

mod tui_support;

use auditui::app::action::{Action, Effect};
use auditui::app::keymap::{Command, Context, Keymap};
use auditui::app::state::{Mode, State};
use auditui::poller::PollEvent;
use auditui::sanitize::is_unsafe;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::{NOW, id};

/// An entry whose user agent sets the window title and rings the bell, whose user hides a
/// right-to-left override, and whose data carries C1 controls, a DEL and a tag character.
fn hostile_state() -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.update(Action::Resize {
        width: 100,
        height: 30,
    });
    let raw = serde_json::to_string(&serde_json::json!({
        "id": id(NOW / 1_000_000 - 300_000, 1),
        "timestamp": "2026-11-24T10:25:00.000000",
        "type": "auth:login",
        "user": "eve\u{202e}moc.elpmaxe@",
        "ip": "203.0.113.9",
        "user_agent": "x\u{1b}]0;pwned\u{7}y",
        "data": {"note": "csi \u{9b}2J del \u{7f} tag \u{e0041}"},
    }))
    .unwrap();
    let hostile = auditui::entry::Entry::parse(&raw).unwrap();
    state.update(Action::Poll(PollEvent::Entries(vec![hostile])));
    state
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn copied(state: &mut State, code: KeyCode, modifiers: KeyModifiers) -> String {
    let effects = state.handle_key(key(code, modifiers)).effects;
    let [Effect::Copy { text, .. }] = effects.as_slice() else {
        panic!("one copy expected: {effects:?}");
    };
    text.clone()
}

fn char_key(c: char) -> (KeyCode, KeyModifiers) {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    (KeyCode::Char(c), modifiers)
}

/// Every character the terminal could act on, except the line breaks and tabs that lay out JSON.
fn live_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| is_unsafe(c) && !matches!(c, '\n' | '\t'))
        .collect()
}

#[test]
fn entry_and_view_copies_escape_controls_and_stay_the_same_json() {
    let mut state = hostile_state();
    for c in ['y', 'Y'] {
        let (code, modifiers) = char_key(c);
        let text = copied(&mut state, code, modifiers);
        assert_eq!(live_controls(&text), Vec::<char>::new(), "{c}: {text:?}");
        assert!(text.contains("\\u202e"), "{c}: {text}");
        assert!(text.contains("\\u001b]0;pwned\\u0007"), "{c}: {text}");
        assert!(text.contains("\\u009b2J"), "{c}: {text}");
        assert!(text.contains("\\u007f"), "{c}: {text}");
        assert!(text.contains("\\udb40\\udc41"), "{c}: {text}");
        // Escaped as JSON escapes, the copy still reads back as the very same values.
        let first = text.lines().next().unwrap();
        let back: serde_json::Value = if c == 'y' {
            serde_json::from_str(&text).unwrap()
        } else {
            serde_json::from_str(first).unwrap()
        };
        assert_eq!(back["user"], "eve\u{202e}moc.elpmaxe@");
        assert_eq!(back["user_agent"], "x\u{1b}]0;pwned\u{7}y");
        assert_eq!(
            back["data"]["note"],
            "csi \u{9b}2J del \u{7f} tag \u{e0041}"
        );
    }
}

#[test]
fn field_copies_escape_controls_visibly() {
    let mut state = hostile_state();
    state.handle_key(key(KeyCode::Enter, KeyModifiers::NONE));
    assert!(matches!(state.mode, Mode::Detail(_)));
    let mut seen = Vec::new();
    for _ in 0..12 {
        let Mode::Detail(detail) = &state.mode else {
            unreachable!()
        };
        let name = detail.doc.fields[detail.field].name.clone();
        let text = copied(&mut state, KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(live_controls(&text), Vec::<char>::new(), "{name}: {text:?}");
        seen.push((name, text));
        state.handle_key(key(KeyCode::Tab, KeyModifiers::NONE));
    }
    let value = |name: &str| {
        seen.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("{name} not among {seen:?}"))
    };
    assert_eq!(value("user"), "eve\\u{202e}moc.elpmaxe@");
    assert_eq!(value("user_agent"), "x\\x1b]0;pwned\\x07y");
    assert_eq!(value("data.note"), "csi \\x9b2J del \\x7f tag \\u{e0041}");
    // The whole `data` is JSON: escaped the JSON way, so it still parses to the same value.
    let data: serde_json::Value = serde_json::from_str(&value("data")).unwrap();
    assert_eq!(data["note"], "csi \u{9b}2J del \u{7f} tag \u{e0041}");
}

#[test]
fn the_raw_copy_commands_give_the_text_as_received() {
    let mut state = hostile_state();
    let keymap = Keymap::defaults();
    let raw_entry = keymap.keys(Context::List, Command::CopyEntryRaw);
    let raw_view = keymap.keys(Context::List, Command::CopyViewRaw);
    let raw_field = keymap.keys(Context::Detail, Command::CopyFieldRaw);
    assert!(!raw_entry.is_empty() && !raw_view.is_empty() && !raw_field.is_empty());

    let alt = KeyModifiers::ALT;
    // JSON cannot hold a raw ESC or BEL: as received, they are the JSON escapes the server sent.
    let text = copied(&mut state, KeyCode::Char('y'), alt);
    assert!(text.contains("x\\u001b]0;pwned\\u0007y"), "{text:?}");
    assert!(
        text.contains('\u{202e}') && text.contains('\u{9b}'),
        "{text:?}"
    );
    let text = copied(&mut state, KeyCode::Char('Y'), alt | KeyModifiers::SHIFT);
    assert_eq!(text, format!("{}\n", state.store.get(0).json_line()));
    assert!(text.contains('\u{9b}'), "{text:?}");

    state.handle_key(key(KeyCode::Enter, KeyModifiers::NONE));
    for _ in 0..5 {
        state.handle_key(key(KeyCode::Tab, KeyModifiers::NONE));
    }
    let Mode::Detail(detail) = &state.mode else {
        unreachable!()
    };
    assert_eq!(detail.doc.fields[detail.field].name, "user_agent");
    let text = copied(&mut state, KeyCode::Char('c'), alt);
    assert_eq!(text, "x\u{1b}]0;pwned\u{7}y");
    let text = copied(&mut state, KeyCode::Char('y'), alt);
    assert!(text.contains('\u{202e}'), "{text:?}");
}

#[test]
fn the_help_overlay_lists_the_raw_copy_keys() {
    let keymap = Keymap::defaults();
    let listed: Vec<Command> = keymap.table(Context::List).map(|(c, _)| c).collect();
    assert!(listed.contains(&Command::CopyEntryRaw));
    assert!(listed.contains(&Command::CopyViewRaw));
    let listed: Vec<Command> = keymap.table(Context::Detail).map(|(c, _)| c).collect();
    assert!(listed.contains(&Command::CopyFieldRaw));
    assert!(listed.contains(&Command::CopyEntryRaw));
}

#[test]
fn json_lines_exports_stay_as_received_while_csv_cells_escape() {
    let dir = tempfile::tempdir().unwrap();
    let state = hostile_state();
    let formats = [
        (auditui::formats::Format::Jsonl, "x.jsonl"),
        (auditui::formats::Format::Csv, "x.csv"),
    ];
    for (format, name) in formats {
        let (_, path) = state
            .export_job(format, dir.path().join(name))
            .write()
            .unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        if format == auditui::formats::Format::Jsonl {
            assert_eq!(text, format!("{}\n", state.store.get(0).json_line()));
            assert!(
                text.contains('\u{202e}') && text.contains('\u{9b}'),
                "{text:?}"
            );
        } else {
            assert_eq!(live_controls(&text), Vec::<char>::new(), "{text:?}");
        }
    }
}
