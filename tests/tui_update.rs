//! `update` driven headless: keys and poller messages in, state and effects out. No terminal, no network,
//! no clipboard, a fixed clock.

mod tui_support;

use std::time::Duration;

use auditui::app::action::{Action, Effect, ExportFormat};
use auditui::app::keymap::{Command, Context, Keymap};
use auditui::app::state::{Mode, State};
use auditui::poller::{ConnState, PollEvent, PollStatus, StopReason};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_support::{NOW, entry, incident, screen_text};

fn state() -> State {
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    state.export_dir = "/exports".into();
    state.update(Action::Resize {
        width: 80,
        height: 24,
    });
    state
}

fn with_incident() -> State {
    let mut state = state();
    state.update(Action::Poll(PollEvent::Entries(incident())));
    state
}

fn key(code: KeyCode) -> KeyEvent {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    KeyEvent::new(code, modifiers)
}

fn press(state: &mut State, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        effects.extend(state.handle_key(key(KeyCode::Char(c))).effects);
    }
    effects
}

fn press_code(state: &mut State, code: KeyCode) -> Vec<Effect> {
    state.handle_key(key(code)).effects
}

fn selected_user(state: &State) -> String {
    let position = state.selected_position().expect("a selection");
    let index = state.index_at(position).unwrap();
    state.store.get(index).user().to_owned()
}

fn selected_kind(state: &State) -> String {
    let position = state.selected_position().expect("a selection");
    let index = state.index_at(position).unwrap();
    state.store.get(index).kind().to_owned()
}

#[test]
fn arriving_entries_are_shown_and_the_newest_is_selected_while_following() {
    let state = with_incident();
    assert_eq!(state.view.len(), 12);
    assert_eq!(state.store.len(), 12);
    assert!(state.cursor.following);
    assert_eq!(state.selected_position(), Some(11));
    assert_eq!(selected_user(&state), "carol@example.com");
}

#[test]
fn moving_up_pauses_following_and_counts_what_arrives_below() {
    let mut state = with_incident();
    press(&mut state, "kk");
    assert!(!state.cursor.following);
    assert_eq!(selected_user(&state), "eve@example.com");
    let later = vec![
        entry(20, 0, "auth:login", "dave@example.com", "10.0.0.1", "null"),
        entry(21, 0, "auth:logout", "dave@example.com", "10.0.0.1", "null"),
    ];
    state.update(Action::Poll(PollEvent::Entries(later)));
    assert_eq!(state.cursor.new_below, 2);
    assert_eq!(
        selected_user(&state),
        "eve@example.com",
        "selection held by id"
    );
    press(&mut state, "f");
    assert!(state.cursor.following);
    assert_eq!(state.cursor.new_below, 0);
    assert_eq!(selected_user(&state), "dave@example.com");
}

#[test]
fn reaching_the_bottom_resumes_following() {
    let mut state = with_incident();
    press(&mut state, "k");
    assert!(!state.cursor.following);
    press(&mut state, "j");
    assert!(state.cursor.following);
    press(&mut state, "g");
    assert_eq!(state.selected_position(), Some(0));
    press(&mut state, "G");
    assert!(state.cursor.following);
    assert_eq!(state.selected_position(), Some(11));
}

#[test]
fn duplicates_from_the_poller_do_not_count_as_new() {
    let mut state = with_incident();
    press(&mut state, "k");
    state.update(Action::Poll(PollEvent::Entries(incident())));
    assert_eq!(state.store.len(), 12);
    assert_eq!(state.cursor.new_below, 0);
}

#[test]
fn the_filter_narrows_on_every_keystroke() {
    let mut state = with_incident();
    press(&mut state, "/");
    assert!(state.filter.focused);
    let mut counts = Vec::new();
    for c in "user:mal".chars() {
        press(&mut state, &c.to_string());
        counts.push(state.view.len());
    }
    assert_eq!(state.filter.editor.text(), "user:mal");
    // From `user:m` on, each keystroke can only narrow.
    assert_eq!(counts[5..], [12, 3, 3], "{counts:?}");
    assert_eq!(state.store.len(), 12, "filtering hides, never drops");
}

#[test]
fn an_invalid_query_reports_its_column_and_the_last_good_filter_stays() {
    let mut state = with_incident();
    press(&mut state, "/type:auth:failed ");
    assert_eq!(state.view.len(), 3);
    press(&mut state, "\"");
    let error = state
        .filter
        .error
        .clone()
        .expect("an error for the open quote");
    assert_eq!(error.column, 18, "{error:?}");
    assert_eq!(state.view.len(), 3, "the last good filter stays applied");
    assert_eq!(state.filter.applied, "type:auth:failed ");
    press_code(&mut state, KeyCode::Backspace);
    assert!(state.filter.error.is_none());
    assert_eq!(state.view.len(), 3);
}

#[test]
fn esc_in_the_bar_restores_the_filter_and_enter_keeps_it_in_history() {
    let mut state = with_incident();
    press(&mut state, "/type:admin:*");
    press_code(&mut state, KeyCode::Enter);
    assert!(!state.filter.focused);
    assert_eq!(state.view.len(), 2);
    press(&mut state, "/");
    press(&mut state, " user:nobody");
    assert_eq!(state.view.len(), 0);
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.filter.editor.text(), "type:admin:*");
    assert_eq!(state.view.len(), 2);

    press(&mut state, "/");
    press_code(&mut state, KeyCode::Char('u'));
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    state.handle_key(ctrl_u);
    assert_eq!(state.filter.editor.text(), "");
    assert_eq!(state.view.len(), 12);
    press_code(&mut state, KeyCode::Up);
    assert_eq!(state.filter.editor.text(), "type:admin:*");
    assert_eq!(state.view.len(), 2);
    press_code(&mut state, KeyCode::Down);
    assert_eq!(state.filter.editor.text(), "");
}

#[test]
fn keys_in_the_filter_bar_are_text_not_commands() {
    let mut state = with_incident();
    press(&mut state, "/");
    let effects = press(&mut state, "qyYe");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(state.filter.editor.text(), "qyYe");
    let quit = state
        .handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        .effects;
    assert_eq!(quit, vec![Effect::Quit]);
}

#[test]
fn esc_in_the_list_clears_the_filter() {
    let mut state = with_incident();
    press(&mut state, "/user:eve");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.view.len(), 2);
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.filter.editor.text(), "");
    assert_eq!(state.view.len(), 12);
}

#[test]
fn the_selection_stays_on_its_entry_when_the_filter_changes() {
    let mut state = with_incident();
    press(&mut state, "g");
    press(&mut state, "jjjjjj");
    assert_eq!(selected_kind(&state), "admin:add_users");
    press(&mut state, "/type:admin:*");
    assert_eq!(selected_kind(&state), "admin:add_users");
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(selected_kind(&state), "admin:add_users");
}

#[test]
fn a_filtered_out_selection_moves_to_the_nearest_entry_by_id() {
    let mut state = with_incident();
    press(&mut state, "g");
    press(&mut state, "jjjj");
    assert_eq!(selected_kind(&state), "auth:failed");
    press(&mut state, "/type:admin:*");
    assert_eq!(selected_kind(&state), "admin:add_users");
}

#[test]
fn quick_filters_narrow_to_the_selected_row_and_toggle_off() {
    let cases = [
        ('u', "user:mallory@example.net", 3),
        ('t', "type:auth:failed", 3),
        ('i', "ip:192.0.2.66", 3),
    ];
    for (quick_key, text, shown) in cases {
        let mut state = with_incident();
        press(&mut state, "g");
        press(&mut state, "jjj");
        press(&mut state, &quick_key.to_string());
        assert_eq!(state.filter.editor.text(), text, "{quick_key}");
        assert_eq!(state.view.len(), shown, "{quick_key}");
        press(&mut state, &quick_key.to_string());
        assert_eq!(
            state.filter.editor.text(),
            "",
            "{quick_key} again removes it"
        );
        assert_eq!(state.view.len(), 12);
    }
}

#[test]
fn quick_filters_combine_with_what_is_typed() {
    let mut state = with_incident();
    press(&mut state, "g");
    press(&mut state, "/type:auth:*");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, "u");
    assert_eq!(
        state.filter.editor.text(),
        "type:auth:* user:alice@example.com"
    );
    assert_eq!(state.view.len(), 1);
}

#[test]
fn the_time_window_cycles_and_slides_with_the_clock() {
    let mut state = with_incident();
    press(&mut state, "w");
    assert_eq!(state.filter.editor.text(), "since:5m");
    assert_eq!(state.view.len(), 3);
    press(&mut state, "w");
    assert_eq!(state.filter.editor.text(), "since:15m");
    assert_eq!(state.view.len(), 5);
    state.update(Action::Tick(NOW + 10 * 60_000_000_000));
    assert_eq!(state.view.len(), 3, "10 minutes later the window has slid");
    press(&mut state, "www");
    assert_eq!(state.filter.editor.text(), "");
    assert_eq!(state.view.len(), 12);
}

#[test]
fn copy_keys_return_copy_effects_with_what_was_copied() {
    let mut state = with_incident();
    let effects = press(&mut state, "y");
    let [Effect::Copy { text, what }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(text.contains("\"user\": \"carol@example.com\""), "{text}");
    assert!(what.starts_with("entry "), "{what}");

    press(&mut state, "/type:auth:failed");
    press_code(&mut state, KeyCode::Enter);
    let effects = press(&mut state, "Y");
    let [Effect::Copy { text, what }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|l| l.contains("\"type\":\"auth:failed\"")));
    assert_eq!(what, "3 entries as JSON lines");
}

#[test]
fn nothing_to_copy_is_said_not_attempted() {
    let mut state = state();
    assert!(press(&mut state, "yYe").is_empty());
    assert!(state.notice.as_ref().is_some_and(|n| n.is_error));
}

#[test]
fn export_keys_name_a_file_in_the_export_directory() {
    let mut state = with_incident();
    let cases = [
        ('e', ExportFormat::Jsonl, "jsonl"),
        ('E', ExportFormat::Csv, "csv"),
    ];
    for (export_key, format, extension) in cases {
        let effects = press(&mut state, &export_key.to_string());
        assert_eq!(
            effects,
            vec![Effect::Export {
                format,
                path: format!("/exports/auditui-20261124-103000.{extension}").into(),
            }]
        );
    }
}

#[test]
fn the_detail_view_opens_on_the_selection_and_copies_one_field() {
    let mut state = with_incident();
    press(&mut state, "g");
    press(&mut state, "jjjjjj");
    press_code(&mut state, KeyCode::Enter);
    let Mode::Detail(detail) = &state.mode else {
        panic!("detail expected");
    };
    assert_eq!(detail.doc.fields[detail.field].name, "id");
    press_code(&mut state, KeyCode::Tab);
    press_code(&mut state, KeyCode::Tab);
    press_code(&mut state, KeyCode::Tab);
    let effects = press(&mut state, "c");
    assert_eq!(
        effects,
        vec![Effect::Copy {
            text: "root@example.com".into(),
            what: "field user".into(),
        }]
    );
    let effects = press(&mut state, "y");
    assert!(
        matches!(&effects[..], [Effect::Copy { text, .. }] if text.contains("admin:add_users"))
    );
    press_code(&mut state, KeyCode::Esc);
    assert!(matches!(state.mode, Mode::List));
}

#[test]
fn the_detail_view_stays_on_its_entry_while_entries_arrive() {
    let mut state = with_incident();
    press(&mut state, "g");
    press_code(&mut state, KeyCode::Enter);
    state.update(Action::Poll(PollEvent::Entries(vec![entry(
        30,
        0,
        "auth:login",
        "z@example.com",
        "1.1.1.1",
        "null",
    )])));
    let effects = press(&mut state, "y");
    assert!(
        matches!(&effects[..], [Effect::Copy { text, .. }] if text.contains("alice@example.com"))
    );
}

#[test]
fn detail_scrolling_is_clamped_to_the_document() {
    let mut state = with_incident();
    press_code(&mut state, KeyCode::Enter);
    for _ in 0..100 {
        press(&mut state, "j");
    }
    let Mode::Detail(detail) = &state.mode else {
        panic!("detail expected");
    };
    assert_eq!(detail.scroll, 0, "a short entry fits: nothing to scroll");
}

#[test]
fn help_opens_over_the_current_view_and_closes_back_to_it() {
    let mut state = with_incident();
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, "?");
    assert!(matches!(state.mode, Mode::Help { .. }));
    press(&mut state, "?");
    assert!(matches!(state.mode, Mode::Detail(_)));
    press_code(&mut state, KeyCode::Esc);
    press(&mut state, "?");
    press_code(&mut state, KeyCode::Esc);
    assert!(matches!(state.mode, Mode::List));
}

#[test]
fn quit_keys_quit_from_every_view() {
    let mut state = with_incident();
    assert_eq!(press(&mut state, "q"), vec![Effect::Quit]);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    // In the detail view q goes back (see below); ctrl-c quits.
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.handle_key(ctrl_c).effects, vec![Effect::Quit]);
    press(&mut state, "?");
    assert_eq!(state.handle_key(ctrl_c).effects, vec![Effect::Quit]);
}

#[test]
fn a_rejected_token_before_any_entry_is_a_full_screen_error() {
    let cases = [
        (
            StopReason::TokenRejected("HTTP 401: token rejected".into()),
            "Token rejected",
        ),
        (
            StopReason::PermissionMissing("HTTP 403: forbidden".into()),
            "Permission missing",
        ),
        // The title follows what happened, not the words: a 400 that quotes "401" is no rejected token.
        (
            StopReason::Refused("bad request (400): since 401 days is too far back".into()),
            "Cannot follow the audit log",
        ),
    ];
    for (reason, title) in cases {
        let mut state = state();
        state.update(Action::Poll(PollEvent::Status(PollStatus {
            state: ConnState::Failed,
            ..PollStatus::default()
        })));
        state.update(Action::Poll(PollEvent::Stopped {
            reason: Some(reason.clone()),
        }));
        let Mode::Fatal(fatal) = &state.mode else {
            panic!("fatal expected for {reason}");
        };
        assert_eq!(fatal.title, title, "{reason}");
        assert_eq!(fatal.message, reason.to_string());
        assert!(press(&mut state, "yj/").is_empty());
        assert_eq!(press(&mut state, "q"), vec![Effect::Quit]);
    }
}

#[test]
fn a_later_fault_is_reported_and_the_view_keeps_working() {
    let mut state = with_incident();
    state.update(Action::Poll(PollEvent::Stopped {
        reason: Some(StopReason::TokenRejected("HTTP 401: token revoked".into())),
    }));
    assert!(matches!(state.mode, Mode::List));
    let notice = state.notice.clone().unwrap();
    assert!(notice.is_error && notice.text.contains("token revoked"));
    press(&mut state, "/user:eve");
    assert_eq!(state.view.len(), 2);
}

#[test]
fn poller_status_and_malformed_entries_reach_the_status_bar() {
    let mut state = with_incident();
    let status = PollStatus {
        state: ConnState::Live,
        last_ok: Some(NOW),
        lag: Some(Duration::from_secs(1)),
        requests_last_minute: 7,
        budget_per_minute: 30,
        self_hidden: 4,
        ..PollStatus::default()
    };
    state.update(Action::Poll(PollEvent::Status(status.clone())));
    assert_eq!(state.status, status);
    let rejected = auditui::entry::Entry::parse("{\"id\":1}").unwrap_err();
    state.update(Action::Poll(PollEvent::Rejected(vec![rejected])));
    // The count shown is the poller's own (`PollStatus::rejected`), not one kept again in the state.
    assert!(state.notice.as_ref().unwrap().text.contains("1 malformed"));
}

#[test]
fn notices_fade_after_a_while() {
    let mut state = with_incident();
    press(&mut state, "w");
    assert!(state.notice.is_some());
    state.update(Action::Tick(NOW + 5_000_000_000));
    assert!(state.notice.is_some());
    state.update(Action::Tick(NOW + 11_000_000_000));
    assert!(state.notice.is_none());
}

#[test]
fn the_mouse_wheel_scrolls_and_a_click_selects() {
    let mut state = with_incident();
    state.update(Action::Scroll(-3));
    assert_eq!(state.selected_position(), Some(8));
    assert!(!state.cursor.following);
    // Rows start under the header, the filter bar and the column heading.
    state.update(Action::Click { column: 10, row: 3 });
    assert_eq!(state.selected_position(), Some(0));
    state.update(Action::Click { column: 10, row: 5 });
    assert_eq!(state.selected_position(), Some(2));
    state.update(Action::Click {
        column: 10,
        row: 23,
    });
    assert_eq!(
        state.selected_position(),
        Some(2),
        "the status bar is not a row"
    );
}

#[test]
fn paging_moves_by_a_screenful_over_many_entries() {
    let mut state = state();
    let many: Vec<_> = (0..1000)
        .map(|i| {
            entry(
                100 + i,
                59 - i64::from(i) / 20,
                "api:create_query",
                "bulk@example.com",
                "10.1.1.1",
                "null",
            )
        })
        .collect();
    state.update(Action::Poll(PollEvent::Entries(many)));
    assert_eq!(state.view.len(), 1000);
    let page = state.screen.page();
    press_code(&mut state, KeyCode::PageUp);
    assert_eq!(state.selected_position(), Some(999 - page));
    assert_eq!(state.top(), 999 - page - (page - 1));
    press(&mut state, "g");
    assert_eq!(state.top(), 0);
    press_code(&mut state, KeyCode::PageDown);
    assert_eq!(state.selected_position(), Some(page));
}

#[test]
fn local_time_is_a_toggle() {
    let mut state = with_incident();
    assert_eq!(state.zone, auditui::clock::Zone::Utc);
    press(&mut state, "L");
    assert_eq!(state.zone, auditui::clock::Zone::Local);
    press(&mut state, "L");
    assert_eq!(state.zone, auditui::clock::Zone::Utc);
}

#[test]
fn the_activity_strip_counted_on_arrival_matches_a_full_recount() {
    let mut state = with_incident();
    press(&mut state, "/type:auth:*");
    press_code(&mut state, KeyCode::Enter);
    let more: Vec<_> = (0..50)
        .map(|i| {
            let kind = if i % 2 == 0 {
                "auth:failed"
            } else {
                "api:create_query"
            };
            entry(
                200 + i,
                i64::from(i % 7),
                kind,
                "x@example.com",
                "10.9.9.9",
                "null",
            )
        })
        .collect();
    state.update(Action::Poll(PollEvent::Entries(more)));
    let recount = state.view.per_minute(
        &state.store,
        auditui::app::state::ACTIVITY_MINUTES,
        state.activity_end,
    );
    assert_eq!(state.activity, recount);
    assert_eq!(
        state.activity.iter().sum::<u64>(),
        5 + 25,
        "five auth entries in the incident"
    );
}

#[test]
fn polling_pauses_and_resumes_through_the_poller_control() {
    use auditui::poller::PollControl;
    let mut state = with_incident();
    assert_eq!(
        press(&mut state, "p"),
        vec![Effect::Control(PollControl::Pause)]
    );
    assert!(state.polling_paused);
    assert_eq!(
        press(&mut state, "p"),
        vec![Effect::Control(PollControl::Resume)]
    );
    assert!(!state.polling_paused);
}

#[test]
fn exporting_writes_the_view_to_a_new_file_never_over_an_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = with_incident();
    press(&mut state, "/type:auth:failed");
    press_code(&mut state, KeyCode::Enter);

    let path = dir.path().join("out.jsonl");
    let (count, written) = state
        .export_job(ExportFormat::Jsonl, path.clone())
        .write()
        .unwrap();
    assert_eq!((count, written.as_path()), (3, path.as_path()));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let entry = auditui::entry::Entry::parse(line).unwrap();
        assert_eq!(entry.kind, "auth:failed");
    }

    let (_, second) = state
        .export_job(ExportFormat::Jsonl, path.clone())
        .write()
        .unwrap();
    assert_eq!(second, dir.path().join("out-2.jsonl"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "the first file is untouched"
    );

    let csv = dir.path().join("out.csv");
    state
        .export_job(ExportFormat::Csv, csv.clone())
        .write()
        .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(auditui::export::CSV_HEADER));
    assert_eq!(lines.filter(|l| l.contains(",auth:failed,")).count(), 3);
}

#[test]
fn an_export_writes_the_view_as_it_was_asked_for_even_when_entries_arrive_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = with_incident();
    press(&mut state, "/type:auth:failed");
    press_code(&mut state, KeyCode::Enter);
    let asked: Vec<String> = (0..state.view.len())
        .map(|p| state.store.get(state.view.indices()[p]).id().to_string())
        .collect();
    assert_eq!(asked.len(), 3);

    let job = state.export_job(ExportFormat::Jsonl, dir.path().join("out.jsonl"));
    assert_eq!(job.count(), 3);
    // Older than everything held: the store reorders, so positions taken before would now be wrong.
    let late = tui_support::entry(
        99,
        59,
        "auth:failed",
        "mallory@example.com",
        "10.0.0.1",
        "{}",
    );
    state.update(Action::Poll(PollEvent::Entries(vec![late])));
    assert_eq!(state.view.len(), 4, "the screen has the new entry");

    let (count, path) = job.write().unwrap();
    let written: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| auditui::entry::Entry::parse(line).unwrap().id.to_string())
        .collect();
    assert_eq!(count, 3);
    assert_eq!(
        written, asked,
        "the file holds the view at the time of the key"
    );
}

#[test]
fn a_vanished_poller_is_reported_in_the_status_bar_not_as_a_setup_fault() {
    let mut state = state();
    state.update(Action::Poll(PollEvent::Stopped {
        reason: Some(StopReason::Vanished),
    }));
    assert!(matches!(state.mode, Mode::List), "no full-screen error");
    assert_eq!(state.status.state, ConnState::Failed);
    let notice = state.notice.clone().unwrap();
    assert!(notice.is_error);
    assert_eq!(
        notice.text,
        "stopped: the poller ended unexpectedly: see the log"
    );
}

#[test]
fn update_says_whether_the_screen_changed() {
    let mut state = with_incident();
    let second = 1_000_000_000;
    state.update(Action::Poll(PollEvent::Status(PollStatus {
        last_ok: Some(NOW),
        ..PollStatus::default()
    })));
    state.update(Action::Tick(NOW));
    let id = state.store.get(0).id();
    let cases: Vec<(&str, Action, bool)> = vec![
        (
            "a bound key",
            Action::Command(auditui::app::keymap::Command::Up),
            true,
        ),
        (
            "a resume position",
            Action::Poll(PollEvent::Position(id)),
            false,
        ),
        (
            "a status",
            Action::Poll(PollEvent::Status(PollStatus {
                last_ok: Some(NOW),
                ..PollStatus::default()
            })),
            true,
        ),
        (
            "a tick within the same second of age",
            Action::Tick(NOW + second / 2),
            false,
        ),
        (
            "a tick that ages the last poll",
            Action::Tick(NOW + 2 * second),
            true,
        ),
        (
            "typing while the bar is closed",
            Action::Edit(auditui::app::editor::Edit::Insert('x')),
            false,
        ),
        (
            "a resize",
            Action::Resize {
                width: 100,
                height: 30,
            },
            true,
        ),
        (
            "a click below the rows",
            Action::Click { column: 0, row: 29 },
            false,
        ),
        (
            "a click on a row",
            Action::Click { column: 0, row: 3 },
            true,
        ),
        ("a wheel that moves the selection", Action::Scroll(3), true),
    ];
    for (what, action, redraw) in cases {
        assert_eq!(state.update(action).redraw, redraw, "{what}");
    }
    // At the top, scrolling further up moves nothing.
    press(&mut state, "g");
    assert!(
        !state.update(Action::Scroll(-3)).redraw,
        "a wheel at the top"
    );
    let unbound = KeyEvent::new(KeyCode::Char('Z'), KeyModifiers::SHIFT);
    assert_eq!(
        state.handle_key(unbound),
        auditui::app::action::Outcome::none()
    );
}

#[test]
fn a_view_too_large_for_the_clipboard_is_refused_before_it_is_built() {
    let mut state = with_incident();
    let whole: usize = (0..state.store.len())
        .map(|i| {
            let line = state.store.get(i as u32).json_line();
            // What `Y` copies: each line with its controls escaped (the incident holds a hostile entry).
            auditui::sanitize::clean_json(&line).len() + 1
        })
        .sum();
    state.copy_limit = Some(whole);
    let copied = press(&mut state, "Y");
    let [Effect::Copy { text, .. }] = copied.as_slice() else {
        panic!("a view that fits is copied");
    };
    assert_eq!(text.len(), whole);
    state.copy_limit = Some(whole - 1);
    assert!(
        press(&mut state, "Y").is_empty(),
        "one byte over is refused"
    );
    let notice = state.notice.clone().unwrap();
    assert!(notice.is_error, "{notice:?}");
    assert!(
        notice.text.contains("more than the clipboard takes"),
        "{}",
        notice.text
    );
    assert!(
        notice.text.contains("export them with e"),
        "{}",
        notice.text
    );
}

#[test]
fn the_json_export_key_writes_the_chosen_schema_to_an_owner_only_file_in_a_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = with_incident();
    state.export_dir = dir.path().join("exports/case-1");
    state.json_export = auditui::formats::Format::Ocsf;
    press(&mut state, "/type:auth:failed");
    press_code(&mut state, KeyCode::Enter);
    let effects = press(&mut state, "e");
    let Some(Effect::Export { format, path }) = effects.into_iter().next() else {
        panic!("an export effect");
    };
    assert_eq!(format, ExportFormat::Ocsf);
    assert!(path.to_string_lossy().ends_with(".ocsf.jsonl"), "{path:?}");
    let (count, written) = state.export_job(format, path.clone()).write().unwrap();
    assert_eq!(count, 3);
    let text = std::fs::read_to_string(&written).unwrap();
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["class_uid"], 3002);
        assert_eq!(event["status_id"], 2, "a failed logon");
        let raw = auditui::entry::Entry::parse(event["raw_data"].as_str().unwrap()).unwrap();
        assert_eq!(raw.kind, "auth:failed", "the entry rides along whole");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&written), 0o600);
        assert_eq!(mode(&state.export_dir), 0o700);
    }
}

#[test]
fn the_pause_notice_names_the_key_the_keymap_binds() {
    let mut state = with_incident();
    state
        .keymap
        .merge_text("[list]\ntoggle_polling = [\"P\"]\n", "test")
        .unwrap();
    press(&mut state, "P");
    let notice = state.notice.clone().unwrap();
    assert_eq!(notice.text, "polling paused: nothing is lost, P resumes");
}

#[test]
fn a_failed_enter_leaves_the_committed_filter_applied_not_a_prefix_of_the_bad_text() {
    let mut state = with_incident();
    press(&mut state, "/type:admin:*");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.view.len(), 2);
    // While typing, ` zzq` is a valid prefix (a bare word matching nothing): previewed live.
    press(&mut state, "/ zzq");
    assert_eq!(state.view.len(), 0);
    press(&mut state, ":\"x");
    assert!(state.filter.error.is_some());
    press_code(&mut state, KeyCode::Enter);
    assert!(!state.filter.focused);
    assert_eq!(
        state.filter.applied, "type:admin:*",
        "the committed filter is in effect"
    );
    assert_eq!(state.view.len(), 2, "not the prefix `type:admin:* zzq`");
    assert_eq!(
        state.filter.editor.text(),
        "type:admin:* zzq:\"x",
        "the bad text stays to be fixed"
    );
    assert!(state.filter.error.is_some(), "with its error");
}

#[test]
fn after_recalling_history_esc_shows_the_filter_that_is_applied() {
    let mut state = with_incident();
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    press(&mut state, "/type:admin:*");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, "/");
    state.handle_key(ctrl_u);
    press(&mut state, "type:auth:failed");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.view.len(), 3);
    for recall in [
        vec![KeyCode::Up],
        vec![KeyCode::Up, KeyCode::Up],
        vec![KeyCode::Up, KeyCode::Down],
    ] {
        press(&mut state, "/");
        for code in recall.iter().copied() {
            press_code(&mut state, code);
        }
        press_code(&mut state, KeyCode::Esc);
        assert_eq!(
            state.filter.editor.text(),
            state.filter.applied,
            "{recall:?}"
        );
        assert_eq!(state.filter.applied, "type:auth:failed", "{recall:?}");
        assert_eq!(state.view.len(), 3, "{recall:?}");
        assert!(state.filter.error.is_none());
    }
}

#[test]
fn q_in_the_detail_view_goes_back_to_the_list_with_the_filter_kept() {
    let mut state = with_incident();
    press(&mut state, "/type:admin:*");
    press_code(&mut state, KeyCode::Enter);
    press_code(&mut state, KeyCode::Enter);
    assert!(matches!(state.mode, Mode::Detail(_)));
    let effects = press(&mut state, "q");
    assert!(!effects.contains(&Effect::Quit), "{effects:?}");
    assert!(matches!(state.mode, Mode::List));
    assert_eq!(state.filter.applied, "type:admin:*");
    assert_eq!(state.view.len(), 2);
    // ctrl-c still quits from anywhere.
    press_code(&mut state, KeyCode::Enter);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(state.handle_key(ctrl_c).effects, vec![Effect::Quit]);
}

#[test]
fn offline_reads_as_offline_counts_down_and_one_key_shows_the_whole_error_cleaned() {
    use auditui::app::problems::ProblemKind;
    const TOKEN: &str = "update-path-secret-token";
    auditui::sanitize::register_secret(TOKEN);
    let mut state = State::new(Keymap::defaults(), "test", NOW);
    let error = format!(
        "network error: error sending request for url (https://api.harvey.ai/api/v1/logs/audit/latest): \
         client error (Connect): tcp connect error: Connection refused (os error 111) \u{1b}[2J {TOKEN} end"
    );
    state.update(Action::Poll(PollEvent::Status(PollStatus {
        state: ConnState::Retrying { attempt: 2 },
        offline: true,
        retry_at: Some(NOW + 12_000_000_000),
        last_error: Some(error),
        ..PollStatus::default()
    })));
    let text = screen_text(&state);
    assert!(text.contains("offline · retrying in 12s"), "{text}");
    assert!(!text.contains("waiting for activity"), "{text}");
    // The countdown moves with the clock, and a tick that changes it redraws.
    assert!(state.update(Action::Tick(NOW + 5_000_000_000)).redraw);
    assert!(screen_text(&state).contains("retrying in 7s"));
    let key = state.keymap.keys(Context::List, Command::Problems)[0];
    assert!(
        text.contains(&format!("{key} shows the full error")),
        "{text}"
    );
    state.update(Action::Command(Command::Problems));
    assert!(matches!(state.mode, Mode::Problems(_)));
    let lines = state.problem_lines(40);
    let whole: String = lines
        .iter()
        .filter(|l| l.kind == ProblemKind::Error)
        .map(|l| l.text.as_str())
        .collect();
    assert!(
        whole.starts_with("network error: error sending request"),
        "{whole}"
    );
    assert!(
        whole.contains("Connection refused (os error 111)"),
        "{whole}"
    );
    assert!(whole.ends_with(" end"), "not cut off: {whole}");
    assert!(!whole.contains('\u{1b}'), "{whole}");
    assert!(!whole.contains(TOKEN), "{whole}");
    state.update(Action::Command(Command::Close));
    assert!(matches!(state.mode, Mode::List));
}

#[test]
fn skipped_entries_are_kept_for_the_problems_pane_newest_first_with_their_ids_and_reasons() {
    use auditui::app::state::SKIPPED_KEPT;
    use auditui::entry::Rejected;
    let mut state = with_incident();
    let batch = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| Rejected {
                id: None,
                reason: format!("reason {i}"),
                excerpt: format!("{{\"id\": \"bad-{i}\", \"x\": \"\u{1b}[31m\"}}"),
            })
            .collect::<Vec<_>>()
    };
    state.update(Action::Poll(PollEvent::Rejected(batch(0, SKIPPED_KEPT))));
    state.update(Action::Poll(PollEvent::Rejected(batch(SKIPPED_KEPT, 2))));
    assert_eq!(state.skipped_total, SKIPPED_KEPT as u64 + 2);
    assert_eq!(state.skipped.len(), SKIPPED_KEPT, "the newest kept");
    let key = state.keymap.hint(Context::List, Command::Problems);
    let notice = state.notice.clone().unwrap().text;
    assert!(notice.contains(&format!("{key} lists them")), "{notice}");
    press(&mut state, &key);
    assert!(matches!(state.mode, Mode::Problems(_)));
    let lines: Vec<String> = state
        .problem_lines(120)
        .into_iter()
        .map(|l| l.text)
        .collect();
    let heading = lines
        .iter()
        .position(|l| l.starts_with("Malformed entries skipped: 502"))
        .expect("a heading with the total");
    assert!(lines[heading].contains("the newest 500 listed"));
    assert_eq!(
        lines[heading + 1],
        format!("bad-{} · reason {}", SKIPPED_KEPT + 1, SKIPPED_KEPT + 1)
    );
    assert!(
        lines[heading + 2].contains(r"\x1b[31m"),
        "escaped: {}",
        lines[heading + 2]
    );
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')));
    assert!(
        !lines.iter().any(|l| l.starts_with("bad-0 ")),
        "the oldest dropped"
    );
    // Scrolling reaches the end and stops there.
    for _ in 0..2000 {
        state.update(Action::Command(Command::Down));
    }
    let Mode::Problems(pane) = &state.mode else {
        panic!("still open");
    };
    let page = usize::from(state.screen.detail_text().height);
    let total = state.problem_lines(state.screen.detail_text().width).len();
    assert_eq!(pane.scroll, total - page);
}

#[test]
fn reading_saved_files_the_problems_pane_lists_the_lines_that_are_not_entries() {
    use auditui::app::state::Opened;
    use auditui::open::{BadLine, Progress};
    let mut state = with_incident();
    state.opened = Some(Opened {
        progress: Progress {
            files: 1,
            bad: 2,
            done: true,
            ..Progress::default()
        },
        bad: vec![BadLine {
            file: "audit\u{1b}[2J.jsonl".into(),
            line: 7,
            reason: "not valid JSON".into(),
        }],
    });
    state.update(Action::Command(Command::Problems));
    let lines: Vec<String> = state
        .problem_lines(100)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert_eq!(lines[1], "none: reading saved files", "{lines:?}");
    assert!(
        lines.iter().any(|l| l == "Lines that are not entries: 2"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == r"audit\x1b[2J.jsonl:7: not valid JSON"),
        "{lines:?}"
    );
}
