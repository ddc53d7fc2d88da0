//! The whole screen, drawn from the state alone.

use ratatui::Frame;

use crate::app::keymap::{Command, Context};
use crate::app::layout::Areas;
use crate::app::problems::retry_label;
use crate::app::state::{COUNTS_TOP, Mode, PromptKind, State};
use crate::poller::ConnState;
use crate::ui::activity::Activity;
use crate::ui::counts::CountsView;
use crate::ui::detail::Detail;
use crate::ui::error_screen::ErrorScreen;
use crate::ui::filter_bar::FilterBar;
use crate::ui::help::Help;
use crate::ui::log_pane::LogPane;
use crate::ui::marks_list::{MarkRow, MarksList};
use crate::ui::problems::Problems;
use crate::ui::prompt_bar::PromptBar;
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
            end: state.activity_end,
            source: &state.source,
            zone: state.zone,
            cursor: state
                .selected_index()
                .map(|index| state.store.get(index).ts()),
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
    match &state.prompt {
        Some(prompt)
            if matches!(
                state.mode,
                Mode::List | Mode::Detail(_) | Mode::Marks { .. }
            ) =>
        {
            let (label, example) = match prompt.kind {
                PromptKind::Search => (
                    "search",
                    "words or user:alice ip:10.0.0.0/8 (the filter stays)",
                ),
                PromptKind::GotoTime => ("go to", "14:05, -2h or 2025-02-11T16:08:44"),
                PromptKind::Note(_) => ("note", "why this entry matters (it is marked)"),
                PromptKind::Evidence => ("evidence to", "a new or empty directory"),
            };
            let prompt_bar = PromptBar {
                label,
                example,
                text: prompt.editor.text(),
                cursor: prompt.editor.cursor(),
                error: prompt.error.as_deref(),
            };
            frame.set_cursor_position(prompt_bar.cursor_position(areas.filter));
            frame.render_widget(prompt_bar, areas.filter);
        }
        _ => {
            if let Some(position) = bar.cursor_position(areas.filter) {
                frame.set_cursor_position(position);
            }
            frame.render_widget(bar, areas.filter);
        }
    }

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
                marked: state.marks.is_marked(detail.id),
                note: state.marks.note(detail.id),
            },
            areas.body,
        ),
        Mode::Counts(panel) => frame.render_widget(
            CountsView {
                counts: &panel.counts,
                store: &state.store,
                dimension: panel.dimension(),
                row: panel.row,
                top: COUNTS_TOP,
                zone: state.zone,
            },
            areas.body,
        ),
        Mode::Problems(pane) => frame.render_widget(
            Problems {
                lines: &state.problem_lines(areas.detail_text().width),
                scroll: pane.scroll,
                keys: &keys_line(
                    state,
                    Context::Problems,
                    &[(Command::Close, "back"), (Command::Down, "scroll")],
                ),
            },
            areas.body,
        ),
        Mode::Marks { row } => frame.render_widget(
            MarksList {
                rows: &mark_rows(state),
                selected: *row,
                zone: state.zone,
            },
            areas.body,
        ),
        _ => render_log(state, frame, areas),
    }
    let context = match mode {
        Mode::List | Mode::Detail(_) | Mode::Marks { .. } if state.prompt.is_some() => {
            Context::Prompt
        }
        Mode::Detail(_) => Context::Detail,
        Mode::Counts(_) => Context::Counts,
        Mode::Problems(_) => Context::Problems,
        Mode::Marks { .. } => Context::Marks,
        _ => Context::List,
    };
    let hints = hints(state, context);
    let place = place(state);
    frame.render_widget(
        StatusBar {
            status: &state.status,
            now: state.now,
            notice: state.notice.as_ref(),
            place: &place,
            catch_up: state.catch_up.eta,
            hints: &hints,
            opened: state.opened.as_ref(),
            problems_key: &state.keymap.hint(Context::List, Command::Problems),
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
    let first_seen: Vec<u8> = entries.iter().map(|e| e.first_seen()).collect();
    let matches: Vec<bool> = match &state.search {
        Some(search) => (top..end).map(|p| search.hits.is_hit(p)).collect(),
        None => Vec::new(),
    };
    let marked: Vec<bool> = entries
        .iter()
        .map(|e| state.marks.is_marked(e.id()))
        .collect();
    let selected = state
        .selected_position()
        .and_then(|p| p.checked_sub(top))
        .filter(|&p| p < rows.len());
    let hidden;
    let placeholder = if state.store.is_empty() {
        match (&state.status.state, retry_label(&state.status, state.now)) {
            // Not waiting for activity: waiting for the API, and saying why is one key away.
            (_, Some(label)) => {
                hidden = format!(
                    "{label} · {} shows the full error",
                    state.keymap.hint(Context::List, Command::Problems)
                );
                &hidden
            }
            (ConnState::Connecting, None) => "connecting to the audit log…",
            (ConnState::Failed, None) => "the poller stopped: see the status bar",
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
            first_seen: &first_seen,
            matches: &matches,
            marked: &marked,
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

/// The marks in id order, each with its entry when it is loaded.
fn mark_rows(state: &State) -> Vec<MarkRow<'_>> {
    state
        .marks
        .notes()
        .iter()
        .map(|(id, note)| MarkRow {
            id: *id,
            entry: state
                .store
                .position_of(*id)
                .map(|i| state.store.get(i).row()),
            note: note.as_deref(),
        })
        .collect()
}

/// The main keys of a context, from the keymap.
fn hints(state: &State, context: Context) -> Vec<(String, &'static str)> {
    let wanted: &[(Command, &str)] = match context {
        Context::Counts => &[
            (Command::Close, "back"),
            (Command::NarrowValue, "narrow"),
            (Command::ExcludeValue, "exclude"),
            (Command::NextGroup, "group"),
            (Command::Help, "help"),
        ],
        Context::Prompt => &[(Command::Submit, "go"), (Command::Close, "cancel")],
        Context::Problems => &[
            (Command::Close, "back"),
            (Command::Down, "scroll"),
            (Command::Help, "help"),
        ],
        Context::Marks => &[
            (Command::Close, "back"),
            (Command::Jump, "go to"),
            (Command::Note, "note"),
            (Command::Mark, "unmark"),
            (Command::Help, "help"),
        ],
        Context::Detail => &[
            (Command::Close, "back"),
            (Command::NextEntry, "next entry"),
            (Command::NextField, "field"),
            (Command::Search, "search"),
            (Command::CopyField, "copy field"),
            (Command::CopyEntry, "copy entry"),
            (Command::Help, "help"),
        ],
        _ => &[
            (Command::Help, "help"),
            (Command::OpenFilter, "filter"),
            (Command::OpenDetail, "detail"),
            (Command::Counts, "counts"),
            (Command::Search, "search"),
            (Command::CopyEntry, "copy"),
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

/// Where the user stands: the row of the view, following or paused, the loaded time range, the search
/// and the context in effect.
fn place(state: &State) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(back) = &state.context_return {
        let what = if back.same_user {
            "same user"
        } else {
            "all entries"
        };
        parts.push(format!(
            "context: {what} · {} more · {} back",
            state.keymap.hint(Context::List, Command::ShowContext),
            state.keymap.hint(Context::List, Command::ClearFilter)
        ));
    }
    parts.extend(state.archive_news());
    let len = state.view.len();
    if len > 0 {
        let row = state.selected_position().map_or(len, |p| p + 1);
        parts.push(format!("row {row} of {len}"));
        parts.push(if state.cursor.following {
            "following".to_owned()
        } else {
            "paused".to_owned()
        });
    }
    if let Some(last_index) = state.store.len().checked_sub(1) {
        // The store is in id order, which is time order but for stragglers: its ends are the range.
        let (first, last) = (
            state.store.get(0).ts(),
            state.store.get(last_index as u32).ts(),
        );
        const DAY: i64 = 86_400 * 1_000_000_000;
        let format = if last - first >= DAY {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        };
        parts.push(format!(
            "{}–{}",
            state.zone.format(first, format),
            state.zone.format(last, format)
        ));
    }
    parts.extend(state.archive_loaded());
    if let Some(search) = &state.search {
        let rank = state.selected_position().and_then(|p| search.hits.rank(p));
        let text: String = search.text.chars().take(24).collect();
        parts.push(match rank {
            Some(rank) => format!("“{text}” {rank}/{}", search.hits.len()),
            None => format!("“{text}” {} matches", search.hits.len()),
        });
    }
    parts
}

/// "tab field · c copy field · y copy entry · esc back", with the keys the keymap binds.
fn detail_keys(state: &State) -> String {
    keys_line(
        state,
        Context::Detail,
        &[
            (Command::NextEntry, "next entry"),
            (Command::NextField, "field"),
            (Command::CopyField, "copy field"),
            (Command::CopyEntry, "copy entry"),
            (Command::Close, "back"),
        ],
    )
}

/// "k label · k label": the first key of each command in a context, as the keymap binds them.
fn keys_line(state: &State, context: Context, wanted: &[(Command, &str)]) -> String {
    wanted
        .iter()
        .filter_map(|(command, label)| {
            let keys = state.keymap.keys(context, *command);
            keys.first().map(|k| format!("{k} {label}"))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
