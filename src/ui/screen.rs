//! The whole screen, drawn from the state alone.

use ratatui::Frame;

use crate::app::keymap::{Command, Context};
use crate::app::layout::Areas;
use crate::app::state::{Mode, State};
use crate::poller::ConnState;
use crate::ui::activity::Activity;
use crate::ui::detail::Detail;
use crate::ui::error_screen::ErrorScreen;
use crate::ui::filter_bar::FilterBar;
use crate::ui::help::Help;
use crate::ui::log_pane::LogPane;
use crate::ui::status_bar::StatusBar;

/// Draws the state. Pure: reads the state, writes the frame, nothing else.
pub fn render(state: &State, frame: &mut Frame) {
    let screen = frame.area();
    let areas = Areas::of(screen);
    if let Mode::Fatal(fatal) = &state.mode {
        // The error screen takes its keys from the list's table (only quitting does anything there).
        frame.render_widget(
            ErrorScreen {
                title: &fatal.title,
                message: &fatal.message,
                hint: &fatal.hint,
                quit_key: &state.keymap.hint(Context::List, Command::Quit),
            },
            screen,
        );
        return;
    }
    frame.render_widget(
        Activity {
            per_minute: &state.activity,
            source: &state.source,
        },
        areas.header,
    );
    let bar = FilterBar {
        text: state.filter.editor.text(),
        cursor: state.filter.focused.then(|| state.filter.editor.cursor()),
        error: None,
        error_column: None,
        shown: state.view.len(),
        total: state.store.len(),
    };
    let error = state.filter.error.as_ref().map(ToString::to_string);
    let bar = FilterBar {
        error: error.as_deref(),
        error_column: state.filter.error.as_ref().map(|e| e.column),
        ..bar
    };
    if let Some(position) = bar.cursor_position(areas.filter) {
        frame.set_cursor_position(position);
    }
    frame.render_widget(bar, areas.filter);

    let (mode, help_scroll) = match &state.mode {
        Mode::Help { scroll, under } => (under.as_ref(), Some(*scroll)),
        mode => (mode, None),
    };
    match mode {
        Mode::Detail(detail) => frame.render_widget(
            Detail {
                doc: &detail.doc,
                scroll: detail.scroll,
                selected_field: Some(detail.field),
                keys: &detail_keys(state),
            },
            areas.body,
        ),
        _ => render_log(state, frame, areas),
    }
    let context = match mode {
        Mode::Detail(_) => Context::Detail,
        _ => Context::List,
    };
    let hints = hints(state, context);
    frame.render_widget(
        StatusBar {
            status: &state.status,
            now: state.now,
            notice: state.notice.as_ref(),
            hints: &hints,
            opened: state.opened.as_ref(),
        },
        areas.status,
    );
    if let Some(scroll) = help_scroll {
        frame.render_widget(
            Help {
                keymap: &state.keymap,
                scroll,
            },
            screen,
        );
    }
}

fn render_log(state: &State, frame: &mut Frame, areas: Areas) {
    let page = areas.page();
    let top = state.top();
    let end = (top + page).min(state.view.len());
    let entries: Vec<_> = state.view.indices()[top.min(end)..end]
        .iter()
        .map(|&i| state.store.get(i))
        .collect();
    let rows: Vec<_> = entries.iter().map(|e| e.row()).collect();
    let selected = state
        .selected_position()
        .and_then(|p| p.checked_sub(top))
        .filter(|&p| p < rows.len());
    let hidden;
    let placeholder = if state.store.is_empty() {
        match state.status.state {
            ConnState::Connecting => "connecting to the audit log…",
            ConnState::Failed => "the poller stopped: see the status bar",
            _ => "no entries yet: waiting for activity",
        }
    } else {
        hidden = format!(
            "no entry matches the filter ({} entries hidden) · {} clears it",
            state.store.len(),
            state.keymap.hint(Context::List, Command::ClearFilter)
        );
        &hidden
    };
    frame.render_widget(
        LogPane {
            rows: &rows,
            selected,
            zone: state.zone,
            placeholder,
            follow_key: &state.keymap.hint(Context::List, Command::Follow),
            new_below: if state.cursor.following {
                0
            } else {
                state.cursor.new_below
            },
        },
        areas.body,
    );
}

/// The main keys of a context, from the keymap.
fn hints(state: &State, context: Context) -> Vec<(String, &'static str)> {
    let wanted: &[(Command, &str)] = match context {
        Context::Detail => &[
            (Command::Close, "back"),
            (Command::NextField, "field"),
            (Command::CopyField, "copy field"),
            (Command::CopyEntry, "copy entry"),
            (Command::Help, "help"),
        ],
        _ => &[
            (Command::Help, "help"),
            (Command::OpenFilter, "filter"),
            (Command::OpenDetail, "detail"),
            (Command::CopyEntry, "copy"),
            (Command::ExportJsonl, "export"),
            (Command::Follow, "follow"),
            (Command::Quit, "quit"),
        ],
    };
    wanted
        .iter()
        .filter_map(|(command, label)| {
            let keys = state.keymap.keys(context, *command);
            keys.first().map(|k| (k.to_string(), *label))
        })
        .collect()
}

/// "tab field · c copy field · y copy entry · esc back", with the keys the keymap binds.
fn detail_keys(state: &State) -> String {
    [
        (Command::NextField, "field"),
        (Command::CopyField, "copy field"),
        (Command::CopyEntry, "copy entry"),
        (Command::Close, "back"),
    ]
    .iter()
    .filter_map(|(command, label)| {
        let keys = state.keymap.keys(Context::Detail, *command);
        keys.first().map(|k| format!("{k} {label}"))
    })
    .collect::<Vec<_>>()
    .join(" · ")
}
