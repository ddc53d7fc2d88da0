//! `update`: the one place state changes. It returns the side effects as values; the loop performs them.

use crossterm::event::KeyEvent;

use crate::app::action::{Action, Effect, ExportFormat, Notice, Outcome};
use crate::app::editor::Edit;
use crate::app::keymap::{Command, Context, Key};
use crate::app::layout::{self, Areas};
use crate::app::quick;
use crate::app::state::{Mode, PromptKind, State};
use crate::clock::Zone;
use crate::poller::PollControl;
use crate::sanitize::clean_json;
use crate::timestamp::UnixNanos;

/// The most text `copy_view` builds: past it, exporting to a file is the way.
const COPY_VIEW_MAX_BYTES: usize = 32 * 1024 * 1024;

impl State {
    /// A key press: looked up in the keymap of the current context; in the filter bar, other keys edit.
    pub fn handle_key(&mut self, key: KeyEvent) -> Outcome {
        let context = self.context();
        let command = Key::from_event(&key).and_then(|k| self.keymap.command(context, k));
        match command {
            Some(command) => self.update(Action::Command(command)),
            None if matches!(context, Context::Filter | Context::Prompt) => {
                match Edit::from_key(&key) {
                    Some(edit) => self.update(Action::Edit(edit)),
                    None => Outcome::none(),
                }
            }
            None => Outcome::none(),
        }
    }

    pub fn update(&mut self, action: Action) -> Outcome {
        let (effects, redraw) = match action {
            // A bound key always answers on screen (a move, a notice, an overlay).
            Action::Command(command) => (self.command(command), true),
            Action::Edit(edit) => {
                if let Some(prompt) = &mut self.prompt {
                    prompt.editor.apply(edit);
                    prompt.error = None;
                    return Outcome {
                        effects: Vec::new(),
                        redraw: true,
                    };
                }
                if !self.filter.focused {
                    return Outcome::none();
                }
                if self.filter.editor.apply(edit) {
                    self.filter.history.stop_browsing();
                    let text = self.filter.editor.text().to_owned();
                    self.apply_filter_text(&text);
                }
                (Vec::new(), true)
            }
            Action::Poll(event) => {
                let redraw = self.poll(event);
                (self.after_load(), redraw)
            }
            Action::Tick(now) => (Vec::new(), self.tick(now)),
            Action::Resize { width, height } => {
                self.screen = Areas::sized(width, height);
                self.rewrap_detail();
                (Vec::new(), true)
            }
            Action::Scroll(rows) => {
                let before = self.place();
                match &mut self.mode {
                    Mode::List => self.move_by(rows as isize),
                    Mode::Detail(_) => self.scroll_detail(rows as isize, false),
                    Mode::Help { .. } => self.scroll_help(rows as isize),
                    Mode::Counts(_) => {
                        let command = if rows > 0 { Command::Down } else { Command::Up };
                        for _ in 0..rows.unsigned_abs() {
                            self.counts_command(command);
                        }
                    }
                    Mode::Problems(_) => {
                        let command = if rows > 0 { Command::Down } else { Command::Up };
                        for _ in 0..rows.unsigned_abs() {
                            self.problems_command(command);
                        }
                    }
                    Mode::Marks { .. } => {
                        let command = if rows > 0 { Command::Down } else { Command::Up };
                        for _ in 0..rows.unsigned_abs() {
                            self.marks_command(command);
                        }
                    }
                    Mode::Fatal(_) => {}
                }
                (Vec::new(), self.place() != before)
            }
            Action::Click { row, .. } => {
                let before = self.place();
                if matches!(self.mode, Mode::List)
                    && let Some(on_screen) = self.screen.log_row_at(row)
                {
                    let position = self.top() + on_screen;
                    if position < self.view.len() {
                        self.select(position);
                    }
                }
                (Vec::new(), self.place() != before)
            }
            Action::Report(notice) => {
                self.notify(notice.text, notice.is_error);
                (Vec::new(), true)
            }
        };
        Outcome { effects, redraw }
    }

    /// Where the user stands on screen: what scrolling and clicking can change.
    fn place(&self) -> (crate::app::state::Cursor, usize, usize) {
        let (detail, help) = match &self.mode {
            Mode::Detail(detail) => (detail.scroll, 0),
            Mode::Help { scroll, .. } => (0, usize::from(*scroll)),
            Mode::Counts(panel) => (panel.row, panel.group),
            Mode::Problems(pane) => (pane.scroll, 0),
            Mode::Marks { row } => (*row, 0),
            _ => (0, 0),
        };
        (self.cursor.clone(), detail, help)
    }

    fn command(&mut self, command: Command) -> Vec<Effect> {
        if command == Command::Quit {
            return vec![Effect::Quit];
        }
        self.keeping_case(|state| state.command_here(command))
    }

    /// A command in the context it was given in.
    fn command_here(&mut self, command: Command) -> Vec<Effect> {
        match self.context() {
            Context::List if matches!(self.mode, Mode::Fatal(_)) => Vec::new(),
            Context::List => self.list_command(command),
            Context::Filter => self.filter_command(command),
            Context::Detail => self.detail_command(command),
            Context::Help => self.help_command(command),
            Context::Counts => {
                self.counts_command(command);
                Vec::new()
            }
            Context::Prompt => self.prompt_command(command),
            Context::Marks => {
                self.marks_command(command);
                Vec::new()
            }
            Context::Problems => {
                self.problems_command(command);
                Vec::new()
            }
        }
    }

    fn list_command(&mut self, command: Command) -> Vec<Effect> {
        let page = self.screen.page().max(1) as isize;
        match command {
            Command::Help => self.open_help(),
            Command::Down => self.move_by(1),
            Command::Up => self.move_by(-1),
            Command::PageDown => self.page_by(page),
            Command::PageUp => self.page_by(-page),
            Command::Top => self.select(0),
            Command::Bottom | Command::Follow => self.follow(),
            Command::OpenFilter => {
                self.filter.focused = true;
                self.filter.before_focus = self.filter.editor.text().to_owned();
                self.filter.history.stop_browsing();
            }
            Command::ClearFilter => {
                if self.notice.is_some() {
                    self.notice = None;
                } else if self.context_return.is_some() {
                    self.leave_context();
                } else if self.search.is_some() {
                    self.search = None;
                } else {
                    self.set_filter_text("");
                }
            }
            Command::OpenDetail => self.open_detail(),
            Command::CopyEntry => return self.copy_entry(false),
            Command::CopyView => return self.copy_view(false),
            Command::CopyEntryRaw => return self.copy_entry(true),
            Command::CopyViewRaw => return self.copy_view(true),
            Command::ExportJsonl => return self.export(self.json_export),
            Command::ExportCsv => return self.export(ExportFormat::Csv),
            Command::FilterUser => self.narrow("user"),
            Command::FilterType => self.narrow("type"),
            Command::FilterIp => self.narrow("ip"),
            Command::CycleWindow => {
                let (window, text) = quick::cycle_window(self.filter.editor.text());
                self.set_filter_text(&text);
                let label = window.map_or("all time".to_owned(), |w| format!("last {w}"));
                self.notify(format!("time window: {label}"), false);
                let since = self.query.time_window().0.unwrap_or(UnixNanos::MIN);
                return self.widen_to(since);
            }
            Command::FetchMissing => return self.fetch_missing(),
            Command::ToggleLocalTime => self.zone = self.zone.toggled(),
            Command::Counts => self.open_counts(),
            Command::FilterNew => {
                let (_, text) = quick::cycle_new(self.filter.editor.text());
                self.set_filter_text(&text);
            }
            Command::Search => self.open_prompt(PromptKind::Search),
            Command::GotoTime => self.open_prompt(PromptKind::GotoTime),
            Command::NextMatch => self.step_match(true),
            Command::PrevMatch => self.step_match(false),
            Command::ShowContext => self.show_context(),
            Command::Problems => self.open_problems(),
            Command::Mark => self.toggle_mark(),
            Command::Note => self.open_note(),
            Command::Marks => self.open_marks(),
            Command::Evidence => self.open_evidence_prompt(),
            Command::TogglePolling => {
                self.polling_paused = !self.polling_paused;
                let (control, text) = if self.polling_paused {
                    let key = self.keymap.hint(Context::List, Command::TogglePolling);
                    (
                        PollControl::Pause,
                        format!("polling paused: nothing is lost, {key} resumes"),
                    )
                } else {
                    (PollControl::Resume, "polling resumed".to_owned())
                };
                self.notify(text, false);
                return vec![Effect::Control(control)];
            }
            _ => {}
        }
        Vec::new()
    }

    fn filter_command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::ApplyFilter => {
                self.filter.focused = false;
                self.context_return = None;
                if self.filter.error.is_none() {
                    let text = self.filter.editor.text().to_owned();
                    self.filter.history.push(&text);
                    // Only a window typed (`since:`) reaches back: a filter without one keeps what is
                    // loaded rather than reading the whole archive.
                    if let Some(since) = self.query.time_window().0 {
                        return self.widen_to(since);
                    }
                } else {
                    // A failed Enter commits nothing: the filter committed before stays in effect,
                    // not the last valid prefix previewed while typing; the bad text keeps its error.
                    let error = self.filter.error.take();
                    let committed = self.filter.before_focus.clone();
                    self.apply_filter_text(&committed);
                    self.filter.error = error;
                }
            }
            Command::CancelFilter => {
                self.filter.focused = false;
                let before = std::mem::take(&mut self.filter.before_focus);
                self.set_filter_text(&before);
            }
            Command::HistoryPrev => {
                let current = self.filter.editor.text().to_owned();
                if let Some(text) = self.filter.history.older(&current).map(str::to_owned) {
                    self.filter.editor.set(&text);
                    self.apply_filter_text(&text);
                }
            }
            Command::HistoryNext => {
                if let Some(text) = self.filter.history.newer() {
                    self.filter.editor.set(&text);
                    self.apply_filter_text(&text);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn detail_command(&mut self, command: Command) -> Vec<Effect> {
        let page = self.screen.detail_text().height.max(1) as isize;
        match command {
            Command::Close => self.mode = Mode::List,
            Command::Help => self.open_help(),
            Command::Down => self.scroll_detail(1, false),
            Command::Up => self.scroll_detail(-1, false),
            Command::PageDown => self.scroll_detail(page, false),
            Command::PageUp => self.scroll_detail(-page, false),
            Command::Top => self.scroll_detail(isize::MIN / 2, false),
            Command::Bottom => self.scroll_detail(isize::MAX / 2, false),
            Command::NextField => self.step_field(1),
            Command::PrevField => self.step_field(-1),
            Command::CopyField | Command::CopyFieldRaw => {
                if let Mode::Detail(detail) = &self.mode
                    && let Some(field) = detail.doc.fields.get(detail.field)
                {
                    let raw = command == Command::CopyFieldRaw;
                    return vec![Effect::Copy {
                        text: field.copy_text(raw),
                        what: format!("field {}{}", field.name, as_received(raw)),
                    }];
                }
            }
            Command::CopyEntry => return self.copy_entry(false),
            Command::CopyEntryRaw => return self.copy_entry(true),
            Command::ToggleLocalTime => self.zone = self.zone.toggled(),
            Command::NextEntry => self.step_detail_entry(1),
            Command::PrevEntry => self.step_detail_entry(-1),
            Command::Search => self.open_prompt(PromptKind::Search),
            Command::GotoTime => self.open_prompt(PromptKind::GotoTime),
            Command::NextMatch => {
                self.step_match(true);
                self.detail_follows_selection();
            }
            Command::PrevMatch => {
                self.step_match(false);
                self.detail_follows_selection();
            }
            Command::FilterUser => self.narrow("user"),
            Command::FilterType => self.narrow("type"),
            Command::FilterIp => self.narrow("ip"),
            Command::Mark => self.toggle_mark(),
            Command::Note => self.open_note(),
            _ => {}
        }
        Vec::new()
    }

    fn help_command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::Close | Command::Help => {
                let mode = std::mem::replace(&mut self.mode, Mode::List);
                if let Mode::Help { under, .. } = mode {
                    self.mode = *under;
                }
            }
            Command::Down => self.scroll_help(1),
            Command::Up => self.scroll_help(-1),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn open_help(&mut self) {
        let under = std::mem::replace(&mut self.mode, Mode::List);
        self.mode = Mode::Help {
            scroll: 0,
            under: Box::new(under),
        };
    }

    fn scroll_help(&mut self, rows: isize) {
        let lines = layout::help_height(&self.keymap);
        let room = usize::from(self.screen.body.height);
        if let Mode::Help { scroll, .. } = &mut self.mode {
            let max = lines.saturating_sub(room) as isize;
            *scroll = (*scroll as isize + rows).clamp(0, max) as u16;
        }
    }

    /// Copies escape unsafe characters ([`clean_json`]: still the same JSON); `raw` ones give the entry
    /// as received (the token scrubbed all the same).
    fn copy_entry(&mut self, raw: bool) -> Vec<Effect> {
        let index = match &self.mode {
            Mode::Detail(detail) => self.store.position_of(detail.id),
            _ => self.selected_index(),
        };
        let Some(index) = index else {
            self.notify("nothing to copy: no entry selected".into(), true);
            return Vec::new();
        };
        let entry = self.store.get(index);
        let pretty = entry.pretty_json();
        let text = if raw {
            pretty
        } else {
            clean_json(&pretty).into_owned()
        };
        vec![Effect::Copy {
            text,
            what: format!("entry {}{}", entry.id(), as_received(raw)),
        }]
    }

    fn copy_view(&mut self, raw: bool) -> Vec<Effect> {
        if self.view.is_empty() {
            self.notify("nothing to copy: the view is empty".into(), true);
            return Vec::new();
        }
        // Checked while building, so a view too large for the clipboard costs no more than the limit.
        let limit = self
            .copy_limit
            .map_or(COPY_VIEW_MAX_BYTES, |l| l.min(COPY_VIEW_MAX_BYTES));
        let mut text = String::new();
        for &index in self.view.indices() {
            let line = self.store.get(index).json_line();
            if raw {
                text.push_str(&line);
            } else {
                text.push_str(&clean_json(&line));
            }
            text.push('\n');
            if text.len() > limit {
                self.notify(
                    format!(
                        "not copied: {} entries are more than the clipboard takes ({} kB); export them with {}",
                        self.view.len(),
                        limit / 1000,
                        self.keymap.hint(Context::List, Command::ExportJsonl)
                    ),
                    true,
                );
                return Vec::new();
            }
        }
        vec![Effect::Copy {
            text,
            what: format!(
                "{} entries as JSON lines{}",
                self.view.len(),
                as_received(raw)
            ),
        }]
    }

    fn export(&mut self, format: ExportFormat) -> Vec<Effect> {
        if self.view.is_empty() {
            self.notify("nothing to export: the view is empty".into(), true);
            return Vec::new();
        }
        let stamp = Zone::Utc.format(self.now, "%Y%m%d-%H%M%S");
        let name = format!("auditui-{stamp}.{}", format.extension());
        vec![Effect::Export {
            format,
            path: self.export_dir.join(name),
        }]
    }

    pub(super) fn notify(&mut self, text: String, is_error: bool) {
        self.notice = Some(Notice { text, is_error });
        self.notice_at = self.now;
    }
}

/// How a copy report says the text was not escaped.
fn as_received(raw: bool) -> &'static str {
    if raw { ", as received" } else { "" }
}
