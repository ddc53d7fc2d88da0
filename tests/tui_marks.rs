//! Marks and notes in the TUI, driven headless by keys: marking toggles, a note marks, `is:marked`
//! follows the marks, the marks list jumps to an entry, a case is saved when its marks or filters change
//! and restored, and the evidence key asks where and hands the loop a bundle to write. Screens of a
//! marked row and of the marks list at 80×24 and wide.

mod tui_support;

use auditui::app::action::{Action, Effect, Outcome};
use auditui::app::keymap::Keymap;
use auditui::app::state::{CaseLink, Mode, State};
use auditui::case::{Case, Kind};
use auditui::poller::PollEvent;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::{NOW, incident, screen, text_of};

const SIZES: [(&str, u16, u16); 2] = [("80x24", 80, 24), ("wide", 140, 36)];

fn with_incident_sized(width: u16, height: u16) -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.local_offset = chrono::FixedOffset::west_opt(5 * 3600);
    state.update(Action::Resize { width, height });
    state.update(Action::Poll(PollEvent::Entries(incident())));
    state
}

fn with_incident() -> State {
    with_incident_sized(80, 24)
}

/// Keys as typed: `\n` is Enter, `\x1b` Esc, `\x08` Backspace; capitals carry Shift. The effects of all of them.
fn keys(state: &mut State, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\x08' => KeyCode::Backspace,
            c => KeyCode::Char(c),
        };
        let modifiers = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        let Outcome { effects: more, .. } = state.handle_key(KeyEvent::new(code, modifiers));
        effects.extend(more);
    }
    effects
}

fn selected_id(state: &State) -> uuid::Uuid {
    state.cursor.selected.expect("a selection")
}

/// Marks the newest entry, notes the third newest, leaves the second alone.
fn marked_incident(width: u16, height: u16) -> State {
    let mut state = with_incident_sized(width, height);
    keys(&mut state, "m");
    keys(&mut state, "kka");
    keys(&mut state, "token rotated");
    keys(&mut state, "\n");
    state
}

/// The same, the note replaced by hostile text as a damaged or forged case could hold (the prompt
/// itself takes no control characters).
fn hostile_note(state: &mut State) {
    let mut notes = state.marks.notes().clone();
    for note in notes.values_mut().filter(|n| n.is_some()) {
        *note = Some("token \x1b[2J\u{202e}rotated".into());
    }
    let case = Case {
        name: "x".into(),
        marks: notes,
        filters: Vec::new(),
        filter: String::new(),
    };
    state.restore_case(&case);
}

#[test]
fn mark_toggles_the_selected_entry_and_a_note_marks_it() {
    let mut state = with_incident();
    let newest = selected_id(&state);
    keys(&mut state, "m");
    assert!(state.marks.is_marked(newest));
    keys(&mut state, "m");
    assert!(!state.marks.is_marked(newest), "a second press unmarks");
    keys(&mut state, "ka");
    assert!(state.prompt.is_some(), "the note prompt is open");
    keys(&mut state, "first sign\n");
    let noted = selected_id(&state);
    assert_eq!(state.marks.note(noted), Some("first sign"));
    assert!(state.prompt.is_none());
    keys(&mut state, "a");
    assert_eq!(
        state.prompt.as_ref().map(|p| p.editor.text().to_owned()),
        Some("first sign".to_owned()),
        "editing starts from the note"
    );
    keys(&mut state, "\x1b");
    assert_eq!(state.marks.note(noted), Some("first sign"), "esc keeps it");
}

#[test]
fn the_detail_view_marks_and_notes_the_entry_it_shows() {
    let mut state = with_incident();
    keys(&mut state, "\nm");
    let shown = selected_id(&state);
    assert!(state.marks.is_marked(shown));
    keys(&mut state, "aseen in detail\n");
    assert!(
        matches!(state.mode, Mode::Detail(_)),
        "the detail stays open"
    );
    assert_eq!(state.marks.note(shown), Some("seen in detail"));
    let text = text_of(&screen(&state));
    assert!(text.contains("note: seen in detail"), "{text}");
}

#[test]
fn is_marked_follows_the_marks_as_they_change() {
    let mut state = marked_incident(80, 24);
    keys(&mut state, "/is:marked\n");
    assert_eq!(state.view.len(), 2);
    keys(&mut state, "m");
    assert_eq!(state.view.len(), 1, "unmarking leaves the view");
    keys(
        &mut state,
        "/\x08\x08\x08\x08\x08\x08\x08\x08\x08-is:marked\n",
    );
    assert_eq!(state.filter.editor.text(), "-is:marked");
    assert_eq!(state.view.len(), incident().len() - 1);
}

#[test]
fn the_marks_list_jumps_to_an_entry_even_when_the_filter_hides_it() {
    let mut state = marked_incident(80, 24);
    let noted = selected_id(&state);
    keys(&mut state, "/user:alice\n");
    keys(&mut state, "M");
    assert!(matches!(state.mode, Mode::Marks { .. }));
    // The marks in id order: the noted entry first, the newest second.
    keys(&mut state, "g\n");
    assert!(matches!(state.mode, Mode::List));
    assert_eq!(selected_id(&state), noted);
    assert_eq!(
        state.filter.editor.text(),
        "",
        "the filter that hid it is cleared"
    );
    keys(&mut state, "MG\x1b");
    assert!(matches!(state.mode, Mode::List), "esc goes back");
}

#[test]
fn without_marks_the_marks_key_says_how_to_mark() {
    let mut state = with_incident();
    keys(&mut state, "M");
    assert!(matches!(state.mode, Mode::List));
    let notice = state.notice.clone().expect("a notice");
    assert!(
        notice.is_error && notice.text.contains("m marks"),
        "{notice:?}"
    );
}

#[test]
fn a_case_is_saved_when_marks_or_the_committed_filter_change_and_restored() {
    let mut state = with_incident();
    state.case = Some(CaseLink {
        name: "kestrel".into(),
        store: "/nowhere/cases.sqlite".into(),
        kind: Kind::Standalone,
    });
    let saved = |effects: &[Effect]| -> Option<Case> {
        effects.iter().rev().find_map(|e| match e {
            Effect::SaveCase { case, .. } => Some(case.clone()),
            _ => None,
        })
    };
    assert!(
        saved(&keys(&mut state, "jk")).is_none(),
        "moving saves nothing"
    );
    let case = saved(&keys(&mut state, "m")).expect("a mark saves");
    assert_eq!(case.name, "kestrel");
    assert_eq!(case.marks.len(), 1);
    assert!(
        saved(&keys(&mut state, "/type:auth")).is_none(),
        "typing saves nothing"
    );
    let case = saved(&keys(&mut state, "\n")).expect("committing a filter saves");
    assert_eq!(case.filter, "type:auth");
    assert_eq!(case.filters, vec!["type:auth".to_owned()]);

    let mut reopened = with_incident();
    reopened.restore_case(&case);
    assert_eq!(reopened.filter.editor.text(), "type:auth");
    assert_eq!(reopened.marks.notes(), &case.marks);
    assert_eq!(reopened.filter.history.items(), &["type:auth".to_owned()]);
}

#[test]
fn the_evidence_key_offers_a_directory_and_the_loop_writes_it() {
    let mut state = marked_incident(80, 24);
    state.export_dir = "/exports".into();
    assert!(keys(&mut state, "B").is_empty());
    let offered = state.prompt.as_ref().unwrap().editor.text().to_owned();
    assert!(
        offered.starts_with("/exports/evidence-session-"),
        "{offered}"
    );
    let effects = keys(&mut state, "\n");
    assert_eq!(
        effects,
        vec![Effect::WriteEvidence {
            dir: offered.clone().into()
        }]
    );
    let dir = tempfile::tempdir().unwrap();
    let notice = state.evidence_job(dir.path().join("bundle")).write();
    assert!(!notice.is_error, "{notice:?}");
    assert!(
        notice.text.contains("2 entries (2 marked)"),
        "{}",
        notice.text
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("bundle").join("manifest.json")).unwrap(),
    )
    .unwrap();
    let notes: Vec<&str> = manifest["marks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["note"].as_str())
        .collect();
    assert_eq!(notes, vec!["token rotated"]);
    let again = state.evidence_job(dir.path().join("bundle")).write();
    assert!(
        again.is_error && again.text.contains("already holds files"),
        "{again:?}"
    );
}

#[test]
fn a_marked_row() {
    for (size, width, height) in SIZES {
        let state = marked_incident(width, height);
        let terminal = screen(&state);
        let text = text_of(&terminal);
        assert_eq!(text.matches('●').count(), 2, "{text}");
        insta::assert_snapshot!(format!("marked_rows_{size}"), terminal.backend());
    }
}

#[test]
fn the_marks_list() {
    for (size, width, height) in SIZES {
        let mut state = marked_incident(width, height);
        hostile_note(&mut state);
        keys(&mut state, "M");
        let terminal = screen(&state);
        let text = text_of(&terminal);
        assert!(
            text.contains(r"token \x1b[2J\u{202e}rotated"),
            "the note is drawn escaped: {text}"
        );
        assert!(!text.contains('\x1b') && !text.contains('\u{202e}'));
        insta::assert_snapshot!(format!("marks_list_{size}"), terminal.backend());
    }
}

#[test]
fn without_marks_the_evidence_key_writes_the_view() {
    let mut state = with_incident();
    keys(&mut state, "/type:auth:failed\n");
    let dir = tempfile::tempdir().unwrap();
    let notice = state.evidence_job(dir.path().join("view")).write();
    assert!(
        notice.text.contains("3 entries (0 marked)"),
        "{}",
        notice.text
    );
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("view").join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["query"]["filter"], "type:auth:failed");
    assert_eq!(manifest["timeline"]["selection"], "all");
    assert_eq!(
        manifest["coverage"]["complete"], false,
        "no archive: unknown"
    );
    assert_eq!(
        manifest["raw"]["reserialized"].as_array().map(Vec::len),
        Some(3),
        "without an archive the lines are rebuilt, and the manifest says so"
    );
}
