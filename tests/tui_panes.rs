//! Each pane on its own, drawn on a fixed-size test terminal: text snapshots for layout, cell asserts for
//! the colours that carry meaning.

mod tui_support;

use std::time::Duration;

use auditui::app::action::Notice;
use auditui::app::detail_doc::DetailDoc;
use auditui::app::keymap::Keymap;
use auditui::clock::Zone;
use auditui::entry::Row;
use auditui::poller::{ConnState, PollStatus};
use auditui::ui::activity::Activity;
use auditui::ui::detail::Detail;
use auditui::ui::error_screen::ErrorScreen;
use auditui::ui::filter_bar::FilterBar;
use auditui::ui::help::Help;
use auditui::ui::log_pane::LogPane;
use auditui::ui::status_bar::StatusBar;
use auditui::ui::theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;
use tui_support::{NOW, incident};

fn draw(width: u16, height: u16, widget: impl Widget) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(widget, frame.area()))
        .unwrap();
    terminal
}

fn line(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

fn log_pane(
    width: u16,
    height: u16,
    selected: Option<usize>,
    new_below: u64,
) -> Terminal<TestBackend> {
    let entries = incident();
    let rows: Vec<Row> = entries.iter().map(|e| e.row()).collect();
    draw(
        width,
        height,
        LogPane {
            rows: &rows,
            selected,
            first_seen: &[],
            matches: &[],
            marked: &[],
            zone: Zone::Utc,
            placeholder: "",
            new_below,
            follow_key: "f",
        },
    )
}

#[test]
fn log_pane_at_80_columns() {
    insta::assert_snapshot!(log_pane(80, 14, Some(11), 0).backend());
}

#[test]
fn log_pane_heading_names_the_zone_at_every_width() {
    let entries = incident();
    let rows: Vec<Row> = entries.iter().map(|e| e.row()).collect();
    for (width, zone, heading) in [
        (80, Zone::Utc, "  TIME UTC "),
        (80, Zone::Local, "  LOCAL "),
        (140, Zone::Local, "  TIME local "),
    ] {
        let terminal = draw(
            width,
            4,
            LogPane {
                rows: &rows,
                selected: None,
                first_seen: &[],
                matches: &[],
                marked: &[],
                zone,
                placeholder: "",
                new_below: 0,
                follow_key: "f",
            },
        );
        let first = line(terminal.backend().buffer(), 0);
        assert!(first.starts_with(heading), "{width} {zone:?}: {first:?}");
    }
}

#[test]
fn log_pane_wide_shows_dates_and_more_data() {
    insta::assert_snapshot!(log_pane(140, 14, Some(3), 0).backend());
}

#[test]
fn log_pane_says_how_many_arrived_below_when_not_following() {
    let terminal = log_pane(80, 8, Some(2), 42);
    insta::assert_snapshot!(terminal.backend());
    assert!(line(terminal.backend().buffer(), 7).contains("42 new below"));
}

#[test]
fn log_pane_placeholder_when_empty() {
    let terminal = draw(
        80,
        6,
        LogPane {
            rows: &[],
            selected: None,
            first_seen: &[],
            matches: &[],
            marked: &[],
            zone: Zone::Utc,
            placeholder: "connecting to the audit log…",
            new_below: 0,
            follow_key: "f",
        },
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn failures_are_red_and_admin_rows_stand_out() {
    let terminal = log_pane(80, 14, None, 0);
    let buffer = terminal.backend().buffer();
    // Row y = 1 + index (the heading is line 0). Entry 4 (index 3) is auth:failed, 7 (index 6) admin.
    let failed_row = 4;
    let admin_row = 7;
    let plain_row = 1;
    for x in [0, 3, 12, 40] {
        assert_eq!(
            buffer[(x, failed_row)].fg,
            theme::FAILURE,
            "failure cell {x}"
        );
        assert!(buffer[(x, failed_row)].modifier.contains(Modifier::BOLD));
        assert_eq!(
            buffer[(x, admin_row)].fg,
            theme::PRIVILEGED,
            "admin cell {x}"
        );
        assert_ne!(buffer[(x, plain_row)].fg, theme::FAILURE);
    }
    assert_eq!(buffer[(0, failed_row)].symbol(), "!");
    assert_eq!(buffer[(0, admin_row)].symbol(), "#");
}

#[test]
fn the_selected_row_is_highlighted() {
    let terminal = log_pane(80, 14, Some(2), 0);
    let buffer = terminal.backend().buffer();
    assert_eq!(buffer[(5, 3)].bg, Color::DarkGray);
    assert_ne!(buffer[(5, 2)].bg, Color::DarkGray);
}

#[test]
fn hostile_text_is_shown_escaped_never_executed() {
    let terminal = log_pane(200, 14, None, 0);
    let buffer = terminal.backend().buffer();
    let hostile = line(buffer, 11);
    assert!(
        hostile.contains(r"\x1b]0;pwned\x07\x1b[2Jgotcha\u{202e}txt.exe"),
        "{hostile}"
    );
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(auditui::sanitize::is_unsafe),
            "unsafe character reached a cell: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn filter_bar_states() {
    let cases = [
        ("idle", "", None, None, None),
        ("typing", "user:alice type:auth:*", Some(22), None, None),
        (
            "invalid",
            "since:soon",
            Some(10),
            Some("since: needs a duration or a timestamp at column 7"),
            Some(7),
        ),
    ];
    for (name, text, cursor, error, error_column) in cases {
        let mut terminal = Terminal::new(TestBackend::new(80, 1)).unwrap();
        terminal
            .draw(|frame| {
                let bar = FilterBar {
                    text,
                    cursor,
                    error,
                    error_column,
                    shown: 3,
                    total: 12,
                };
                if let Some(position) = bar.cursor_position(frame.area()) {
                    frame.set_cursor_position(position);
                }
                frame.render_widget(bar, frame.area());
            })
            .unwrap();
        insta::assert_snapshot!(format!("filter_bar_{name}"), terminal.backend());
        assert!(
            line(terminal.backend().buffer(), 0).contains("3 / 12"),
            "{name}"
        );
    }
}

#[test]
fn filter_bar_cuts_a_long_error_with_an_ellipsis_before_the_counts() {
    let error = "`ip:` needs an address (203.0.113.7) or a CIDR block (10.0.0.0/8), found \"1x5.220\" at column 4";
    let text = "ip:1x5.220";
    for width in [40u16, 80, 120] {
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).unwrap();
        terminal
            .draw(|frame| {
                let bar = FilterBar {
                    text,
                    cursor: Some(text.chars().count()),
                    error: Some(error),
                    error_column: Some(4),
                    shown: 70,
                    total: 1316,
                };
                frame.render_widget(bar, frame.area());
            })
            .unwrap();
        let buffer = terminal.backend().buffer();
        let shown = line(buffer, 0);
        assert!(
            shown.ends_with("  70 / 1316 "),
            "{width} columns: the counts stand apart, whole, at the right: {shown:?}"
        );
        assert!(shown.contains('✗'), "{width} columns: {shown:?}");
        assert!(
            shown.contains("… "),
            "{width} columns: the error is cut with an ellipsis: {shown:?}"
        );
        assert!(shown.contains(text), "{width} columns: {shown:?}");
        let counts_x = width - " 70 / 1316 ".len() as u16;
        assert_eq!(
            buffer[(counts_x + 1, 0)].fg,
            theme::warning().fg.unwrap(),
            "{width} columns: the counts keep their own style"
        );
        if width == 80 {
            insta::assert_snapshot!("filter_bar_long_error_at_80_columns", terminal.backend());
        }
    }
}

#[test]
fn filter_bar_keeps_the_cursor_in_sight_on_long_text() {
    let text = "user:someone-with-a-very-long-address@example.com type:api:* data.route:/api/v1/logs/audit";
    let cursor = text.chars().count();
    let bar = FilterBar {
        text,
        cursor: Some(cursor),
        error: None,
        error_column: None,
        shown: 1,
        total: 2,
    };
    let area = ratatui::layout::Rect::new(0, 0, 60, 1);
    let position = bar.cursor_position(area).unwrap();
    assert!(position.x < 60 - " 1 / 2 ".len() as u16, "{position:?}");
}

fn status(state: ConnState) -> PollStatus {
    PollStatus {
        state,
        last_ok: Some(NOW - 3_000_000_000),
        lag: Some(Duration::from_secs(2)),
        requests_last_minute: 12,
        budget_per_minute: 30,
        retries: 0,
        rate_limited: 0,
        last_error: None,
        received: 1200,
        rejected: 0,
        self_hidden: 14,
        archive: None,
        offline: false,
        retry_at: None,
    }
}

#[test]
fn status_bar_states() {
    let hints = vec![
        ("?".to_owned(), "help"),
        ("/".to_owned(), "filter"),
        ("q".to_owned(), "quit"),
    ];
    let retrying = PollStatus {
        retries: 3,
        rate_limited: 1,
        last_error: Some("HTTP 500 from /api/v1/logs/audit\u{1b}[31m".into()),
        ..status(ConnState::Retrying { attempt: 3 })
    };
    let copied = Notice {
        text: "copied entry 0194f5a3 (812 bytes) via OSC 52".into(),
        is_error: false,
    };
    let cases = [
        ("connecting", PollStatus::default(), None),
        ("live", status(ConnState::Live), None),
        ("retrying", retrying, None),
        ("notice", status(ConnState::Live), Some(&copied)),
    ];
    for (name, status, notice) in cases {
        let terminal = draw(
            120,
            2,
            StatusBar {
                status: &status,
                now: NOW,
                notice,
                place: &[],
                catch_up: None,
                hints: &hints,
                opened: None,
                problems_key: "!",
            },
        );
        insta::assert_snapshot!(format!("status_bar_{name}"), terminal.backend());
    }
}

#[test]
fn status_bar_live_shows_poll_lag_budget_and_hidden_count() {
    let hints = Vec::new();
    let terminal = draw(
        120,
        2,
        StatusBar {
            status: &status(ConnState::Live),
            now: NOW,
            notice: None,
            place: &[],
            catch_up: None,
            hints: &hints,
            opened: None,
            problems_key: "!",
        },
    );
    let first = line(terminal.backend().buffer(), 0);
    for part in [
        "live",
        "polled 3s ago",
        "lag 2s",
        "12/30 req/min",
        "14 own fetches hidden",
    ] {
        assert!(first.contains(part), "{part} missing from {first}");
    }
}

#[test]
fn status_bar_cuts_a_long_notice_with_an_ellipsis_and_counts_one_fetch() {
    let hints = Vec::new();
    let notice = Notice {
        text: "not copied: too large for OSC 52 (152112/100000 bytes encoded): export to a file instead"
            .into(),
        is_error: true,
    };
    let terminal = draw(
        80,
        2,
        StatusBar {
            status: &PollStatus {
                self_hidden: 1,
                ..status(ConnState::Live)
            },
            now: NOW,
            notice: Some(&notice),
            place: &[],
            catch_up: None,
            hints: &hints,
            opened: None,
            problems_key: "!",
        },
    );
    let first = line(terminal.backend().buffer(), 0);
    assert!(first.contains("1 own fetch hidden"), "{first:?}");
    let second = line(terminal.backend().buffer(), 1);
    assert!(
        second.trim_end().ends_with('…') && second.starts_with(" not copied: too large"),
        "{second:?}"
    );
}

#[test]
fn activity_strip_shows_recent_minutes_and_rates() {
    let per_minute: Vec<u64> = (0..120)
        .map(|m| if m % 30 == 29 { 40 } else { m % 7 })
        .collect();
    let terminal = draw(
        80,
        1,
        Activity {
            per_minute: &per_minute,
            end: NOW,
            source: "demo",
            zone: Zone::Utc,
            cursor: None,
        },
    );
    insta::assert_snapshot!(terminal.backend());
    let text = line(terminal.backend().buffer(), 0);
    assert!(text.contains("now 40/min · peak "), "{text}");
}

/// A burst of 5,000 in one minute among minutes of one to five, ending at [`NOW`] (10:30 UTC).
fn burst() -> Vec<u64> {
    (0..240)
        .map(|m| match m {
            200 => 5000,
            m if m % 4 == 0 => 0,
            m => (m % 5) + 1,
        })
        .collect()
}

fn activity(width: u16, per_minute: &[u64], cursor: Option<i64>) -> Terminal<TestBackend> {
    draw(
        width,
        1,
        Activity {
            per_minute,
            end: NOW,
            source: "demo",
            zone: Zone::Utc,
            cursor,
        },
    )
}

#[test]
fn the_activity_strip_is_on_a_log_scale_so_a_burst_leaves_quiet_minutes_visible() {
    let per_minute = burst();
    let terminal = activity(140, &per_minute, None);
    let text = line(terminal.backend().buffer(), 0);
    assert!(text.contains('█'), "the burst: {text}");
    // On a linear scale every minute of five or fewer would be empty beside 5,000.
    let low = text.chars().filter(|&c| ('▁'..='▄').contains(&c)).count();
    assert!(low > 40, "{low} quiet minutes drawn: {text}");
}

#[test]
fn the_activity_strip_has_a_time_axis_and_reads_out_the_selected_minute() {
    let per_minute = burst();
    // The selected entry sits in minute 200 (the burst): 10:30 - 40 min = 09:50.
    let cursor = NOW - 40 * 60_000_000_000 + 5_000_000_000;
    // Narrow, minutes are summed into buckets (lined up with the clock) so all four hours fit.
    for (name, width, readout, edges) in [
        (
            "80x24",
            80u16,
            "09:50 5020/10m · peak 5020",
            ("06:30", "10:20"),
        ),
        ("wide", 140, "09:48 5009/3m · peak 5009", ("06:30", "10:27")),
        (
            "minutes",
            300,
            "09:50 5000/min · peak 5000",
            ("06:31", "10:29"),
        ),
    ] {
        let terminal = activity(width, &per_minute, Some(cursor));
        insta::assert_snapshot!(format!("activity_strip_axis_{name}"), terminal.backend());
        let buffer = terminal.backend().buffer();
        let text = line(buffer, 0);
        assert!(text.contains(readout), "{text}");
        assert!(
            text.contains(&format!(" {} ", edges.0)),
            "the oldest bucket at the left: {text}"
        );
        assert!(
            text.contains(&format!(" {} ", edges.1)),
            "the newest at the right: {text}"
        );
        let marked = (0..width)
            .filter(|&x| buffer[(x, 0)].bg == theme::selected().bg.unwrap())
            .count();
        assert_eq!(marked, 1, "one minute marked: {text}");
    }
    // A selection before the strip's minutes is not read out.
    let text = line(
        activity(80, &per_minute, Some(NOW - 300 * 60_000_000_000))
            .backend()
            .buffer(),
        0,
    );
    assert!(!text.contains("5000 ·"), "{text}");
}

#[test]
fn help_lists_the_keymap_it_is_given() {
    let mut keymap = Keymap::defaults();
    let terminal = draw(
        80,
        40,
        Help {
            keymap: &keymap,
            scroll: 0,
        },
    );
    insta::assert_snapshot!(terminal.backend());
    keymap
        .merge_text("[list]\ncopy_entry = [\"ctrl-y\"]\n", "test")
        .unwrap();
    let lines = Help::lines(&keymap);
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|l| l.contains("ctrl-y") && l.contains("copy the entry")),
        "rebinding shows in help"
    );
}

fn plus_one_hour() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(3600).unwrap()
}

#[test]
fn help_goes_side_by_side_on_a_wide_screen() {
    let keymap = Keymap::defaults();
    // Tall enough for every context's keys (the counts panel, the marks list and the prompt have
    // their own).
    let terminal = draw(
        160,
        64,
        Help {
            keymap: &keymap,
            scroll: 0,
        },
    );
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    let side_by_side = (0..64).any(|y| {
        let text = line(buffer, y);
        text.contains("Log") && text.contains("Marks:")
    });
    assert!(side_by_side, "the log keys and the legend share lines");
    let filter_bar_beside = (0..54).any(|y| {
        let text = line(buffer, y);
        text.contains("keep the filter and leave the bar") && text.contains("last entry")
    });
    assert!(filter_bar_beside, "the filter bar's keys beside the log's");
    assert!(
        (0..64).any(|y| line(buffer, y).contains("keymap.toml")),
        "the whole help fits without scrolling"
    );
}

#[test]
fn detail_view_at_80_columns() {
    let entries = incident();
    let doc = DetailDoc::build(&entries[8].row(), plus_one_hour());
    let terminal = draw(
        80,
        22,
        Detail {
            doc: &doc,
            scroll: 0,
            selected_field: Some(3),
            keys: "tab field · c copy field · y copy entry · esc back",
            marked: false,
            note: None,
        },
    );
    insta::assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    let user_line = (0..22)
        .find(|&y| line(buffer, y).contains("root@example.com"))
        .expect("the user line");
    assert_eq!(
        buffer[(20, user_line)].bg,
        Color::DarkGray,
        "the selected field is highlighted"
    );
    assert_ne!(buffer[(20, user_line - 1)].bg, Color::DarkGray);
}

#[test]
fn detail_view_scrolls_and_escapes_hostile_values() {
    let entries = incident();
    let doc = DetailDoc::build(&entries[10].row(), plus_one_hour());
    let terminal = draw(
        40,
        12,
        Detail {
            doc: &doc,
            scroll: 12,
            selected_field: None,
            keys: "tab field · c copy field · y copy entry · esc back",
            marked: false,
            note: None,
        },
    );
    insta::assert_snapshot!(terminal.backend());
    for cell in terminal.backend().buffer().content() {
        assert!(!cell.symbol().chars().any(auditui::sanitize::is_unsafe));
    }
}

#[test]
fn error_screen_for_a_rejected_token() {
    let terminal = draw(
        80,
        24,
        ErrorScreen {
            title: "Token rejected",
            message: "401 Unauthorized: token rejected",
            hint: "Check HARVEY_API_TOKEN (or --token-file).",
            quit_key: "q/ctrl-c",
        },
    );
    insta::assert_snapshot!(terminal.backend());
}
