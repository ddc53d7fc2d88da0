//! `update`: the one place state changes. It returns the side effects as values; the loop performs them.

use crossterm::event::KeyEvent;

use crate::app::action::{Action, Effect, ExportFormat};
use crate::app::editor::Edit;
use crate::app::keymap::{Command, Context, Key};
use crate::app::quick;
use crate::app::state::{DetailState, Fatal, Mode, State};
use crate::poller::{ConnState, PollControl, PollEvent};
use crate::query::Query;
use crate::ui::Areas;
use crate::ui::detail::{Detail, DetailDoc};
use crate::ui::help::Help;
use crate::ui::status_bar::Notice;

/// How often a relative filter (`since:15m`) is re-read against the clock, so its window slides.
const RELATIVE_REFRESH_NANOS: i64 = 10 * 1_000_000_000;
/// The most text `copy_view` builds: past it, exporting to a file is the way.
const COPY_VIEW_MAX_BYTES: usize = 32 * 1024 * 1024;
/// How long a message stays in the status bar.
const NOTICE_NANOS: i64 = 10 * 1_000_000_000;

impl State {
    /// A key press: looked up in the keymap of the current context; in the filter bar, other keys edit.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let context = self.context();
        let command = Key::from_event(&key).and_then(|k| self.keymap.command(context, k));
        match command {
            Some(command) => self.update(Action::Command(command)),
            None if context == Context::Filter => match Edit::from_key(&key) {
                Some(edit) => self.update(Action::Edit(edit)),
                None => Vec::new(),
            },
            None => Vec::new(),
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Command(command) => self.command(command),
            Action::Edit(edit) => {
                if self.filter.focused && self.filter.editor.apply(edit) {
                    self.filter.history.stop_browsing();
                    let text = self.filter.editor.text().to_owned();
                    self.apply_filter_text(&text);
                }
                Vec::new()
            }
            Action::Poll(event) => {
                self.poll(event);
                Vec::new()
            }
            Action::Tick(now) => {
                self.tick(now);
                Vec::new()
            }
            Action::Resize { width, height } => {
                self.screen = Areas::of(ratatui::layout::Rect::new(0, 0, width, height));
                Vec::new()
            }
            Action::Scroll(rows) => {
                match &mut self.mode {
                    Mode::List => self.move_by(rows as isize),
                    Mode::Detail(_) => self.scroll_detail(rows as isize, false),
                    Mode::Help { .. } => self.scroll_help(rows as isize),
                    Mode::Fatal(_) => {}
                }
                Vec::new()
            }
            Action::Click { row, .. } => {
                if matches!(self.mode, Mode::List)
                    && let Some(on_screen) = self.screen.log_row_at(row)
                {
                    let position = self.top() + on_screen;
                    if position < self.view.len() {
                        self.select(position);
                    }
                }
                Vec::new()
            }
            Action::Report(notice) => {
                self.notify(notice.text, notice.is_error);
                Vec::new()
            }
        }
    }

    fn command(&mut self, command: Command) -> Vec<Effect> {
        if command == Command::Quit {
            return vec![Effect::Quit];
        }
        match self.context() {
            Context::List if matches!(self.mode, Mode::Fatal(_)) => Vec::new(),
            Context::List => self.list_command(command),
            Context::Filter => self.filter_command(command),
            Context::Detail => self.detail_command(command),
            Context::Help => self.help_command(command),
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
                } else {
                    self.set_filter_text("");
                }
            }
            Command::OpenDetail => self.open_detail(),
            Command::CopyEntry => return self.copy_entry(),
            Command::CopyView => return self.copy_view(),
            Command::ExportJsonl => return self.export(ExportFormat::Jsonl),
            Command::ExportCsv => return self.export(ExportFormat::Csv),
            Command::FilterUser => self.narrow("user"),
            Command::FilterType => self.narrow("type"),
            Command::FilterIp => self.narrow("ip"),
            Command::CycleWindow => {
                let (window, text) = quick::cycle_window(self.filter.editor.text());
                self.set_filter_text(&text);
                let label = window.map_or("all time".to_owned(), |w| format!("last {w}"));
                self.notify(format!("time window: {label}"), false);
            }
            Command::ToggleLocalTime => self.zone = self.zone.toggled(),
            Command::TogglePolling => {
                self.polling_paused = !self.polling_paused;
                let (control, text) = if self.polling_paused {
                    (
                        PollControl::Pause,
                        "polling paused: nothing is lost, p resumes",
                    )
                } else {
                    (PollControl::Resume, "polling resumed")
                };
                self.notify(text.to_owned(), false);
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
                if self.filter.error.is_none() {
                    let text = self.filter.editor.text().to_owned();
                    self.filter.history.push(&text);
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
        let page = Detail::inner_height(self.screen.body).max(1) as isize;
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
            Command::CopyField => {
                if let Mode::Detail(detail) = &self.mode
                    && let Some(field) = detail.doc.fields.get(detail.field)
                {
                    return vec![Effect::Copy {
                        text: field.value.clone(),
                        what: format!("field {}", field.name),
                    }];
                }
            }
            Command::CopyEntry => return self.copy_entry(),
            Command::ToggleLocalTime => self.zone = self.zone.toggled(),
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

    fn open_help(&mut self) {
        let under = std::mem::replace(&mut self.mode, Mode::List);
        self.mode = Mode::Help {
            scroll: 0,
            under: Box::new(under),
        };
    }

    fn scroll_help(&mut self, rows: isize) {
        let lines = Help::lines(&self.keymap).len();
        let room = usize::from(self.screen.body.height);
        if let Mode::Help { scroll, .. } = &mut self.mode {
            let max = lines.saturating_sub(room) as isize;
            *scroll = (*scroll as isize + rows).clamp(0, max) as u16;
        }
    }

    // ----- the log pane's cursor -----

    /// Selects the entry at a view position; at the last one, following resumes.
    fn select(&mut self, position: usize) {
        let len = self.view.len();
        if len == 0 {
            return;
        }
        let position = position.min(len - 1);
        let page = self.screen.page().max(1);
        let top = self.top();
        self.cursor.row = if position < top {
            0
        } else if position >= top + page {
            page - 1
        } else {
            position - top
        };
        self.cursor.selected = self.id_at(position);
        self.cursor.anchor = self.cursor.selected;
        self.cursor.following = position == len - 1;
        if self.cursor.following {
            self.cursor.new_below = 0;
        }
    }

    /// Moves a screenful, the selection keeping its place on screen.
    fn page_by(&mut self, rows: isize) {
        let row = self.cursor.row;
        self.move_by(rows);
        if let Some(position) = self.selected_position() {
            self.cursor.row = row.min(position);
        }
    }

    fn move_by(&mut self, rows: isize) {
        let current = self.selected_position().unwrap_or(self.view.len()) as isize;
        self.select((current + rows).max(0) as usize);
    }

    fn follow(&mut self) {
        self.cursor.following = true;
        self.cursor.new_below = 0;
        self.select_last();
    }

    fn select_last(&mut self) {
        let len = self.view.len();
        self.cursor.selected = len.checked_sub(1).and_then(|p| self.id_at(p));
        self.cursor.anchor = self.cursor.selected;
        self.cursor.row = self.screen.page().max(1) - 1;
    }

    /// After the view changed under it: keep the chosen entry, or the nearest one by id.
    fn reselect(&mut self) {
        if self.cursor.following {
            self.follow();
            return;
        }
        let Some(id) = self.cursor.anchor.or(self.cursor.selected) else {
            self.follow();
            return;
        };
        if self.view.position_of(&self.store, id).is_some() {
            self.cursor.selected = Some(id);
            return;
        }
        self.cursor.selected = self.store.position_of(id).and_then(|store_index| {
            let nearest = self.view.indices().partition_point(|&i| i < store_index);
            self.id_at(nearest.min(self.view.len().saturating_sub(1)))
        });
    }

    // ----- the filter -----

    /// Puts text in the bar and applies it (quick filters, history, clear).
    fn set_filter_text(&mut self, text: &str) {
        self.filter.editor.set(text);
        self.apply_filter_text(text);
        if !self.filter.focused && self.filter.error.is_none() {
            self.filter.history.push(text);
        }
    }

    /// Parses the text; a good query replaces the applied one, a bad one only reports where it fails.
    fn apply_filter_text(&mut self, text: &str) {
        match Query::parse(text, self.now) {
            Ok(query) => {
                self.filter.error = None;
                self.filter.applied = text.to_owned();
                self.filter.resolved_at = self.now;
                if query != self.query {
                    self.query = query;
                    self.refilter();
                }
            }
            Err(err) => self.filter.error = Some(err),
        }
    }

    fn refilter(&mut self) {
        self.view.refilter(&self.store, &self.query);
        self.cursor.new_below = 0;
        self.reselect();
        self.refresh_activity();
    }

    /// Sets one key of the query to the selected row's value (or removes it if already set so).
    fn narrow(&mut self, key: &str) {
        let Some(index) = self.selected_index() else {
            self.notify("no entry selected".into(), true);
            return;
        };
        let entry = self.store.get(index);
        let value = match key {
            "user" => entry.user().to_owned(),
            "type" => entry.kind().to_owned(),
            _ => entry.ip().to_owned(),
        };
        if value.is_empty() {
            self.notify(format!("this entry has no {key}"), true);
            return;
        }
        let text = quick::toggle_term(self.filter.editor.text(), key, &value);
        self.set_filter_text(&text);
    }

    // ----- the detail view -----

    fn selected_index(&self) -> Option<u32> {
        self.selected_position().and_then(|p| self.index_at(p))
    }

    fn open_detail(&mut self) {
        let Some(index) = self.selected_index() else {
            return;
        };
        let entry = self.store.get(index);
        self.mode = Mode::Detail(DetailState {
            id: entry.id(),
            doc: DetailDoc::build(
                &entry.row(),
                self.local_offset
                    .unwrap_or_else(|| crate::ui::time::local_offset(entry.ts())),
            ),
            scroll: 0,
            field: 0,
            show_field: false,
        });
    }

    fn scroll_detail(&mut self, rows: isize, show_field: bool) {
        let width = Detail::inner_width(self.screen.body);
        let height = usize::from(Detail::inner_height(self.screen.body));
        if let Mode::Detail(detail) = &mut self.mode {
            let max = detail.doc.height(width).saturating_sub(height) as isize;
            detail.scroll = (detail.scroll as isize).saturating_add(rows).clamp(0, max) as usize;
            detail.show_field = show_field;
        }
    }

    fn step_field(&mut self, step: isize) {
        let width = Detail::inner_width(self.screen.body);
        let height = usize::from(Detail::inner_height(self.screen.body)).max(1);
        if let Mode::Detail(detail) = &mut self.mode {
            let count = detail.doc.fields.len() as isize;
            if count == 0 {
                return;
            }
            detail.field = (detail.field as isize + step).rem_euclid(count) as usize;
            if let Some(line) = detail.doc.field_line(width, detail.field) {
                if line < detail.scroll {
                    detail.scroll = line;
                } else if line >= detail.scroll + height {
                    detail.scroll = line + 1 - height;
                }
            }
            detail.show_field = true;
        }
    }

    // ----- copies and exports -----

    fn copy_entry(&mut self) -> Vec<Effect> {
        let index = match &self.mode {
            Mode::Detail(detail) => self.store.position_of(detail.id),
            _ => self.selected_index(),
        };
        let Some(index) = index else {
            self.notify("nothing to copy: no entry selected".into(), true);
            return Vec::new();
        };
        let entry = self.store.get(index);
        vec![Effect::Copy {
            text: entry.pretty_json(),
            what: format!("entry {}", entry.id()),
        }]
    }

    fn copy_view(&mut self) -> Vec<Effect> {
        if self.view.is_empty() {
            self.notify("nothing to copy: the view is empty".into(), true);
            return Vec::new();
        }
        let mut text = String::new();
        for &index in self.view.indices() {
            text.push_str(&self.store.get(index).json_line());
            text.push('\n');
            if text.len() > COPY_VIEW_MAX_BYTES {
                self.notify(
                    format!(
                        "not copied: {} entries are more than a clipboard should hold; export them with {}",
                        self.view.len(),
                        self.keymap.hint(Context::List, Command::ExportJsonl)
                    ),
                    true,
                );
                return Vec::new();
            }
        }
        vec![Effect::Copy {
            text,
            what: format!("{} entries as JSON lines", self.view.len()),
        }]
    }

    fn export(&mut self, format: ExportFormat) -> Vec<Effect> {
        if self.view.is_empty() {
            self.notify("nothing to export: the view is empty".into(), true);
            return Vec::new();
        }
        let stamp = crate::ui::time::Zone::Utc.format(self.now, "%Y%m%d-%H%M%S");
        let name = format!("auditui-{stamp}.{}", format.extension());
        vec![Effect::Export {
            format,
            path: self.export_dir.join(name),
        }]
    }

    // ----- the poller and the clock -----

    fn poll(&mut self, event: PollEvent) {
        match event {
            PollEvent::Entries(entries) => {
                let before = self.view.len();
                let from = self.store.len() as u32;
                let appended = self.store.append(entries);
                if appended.added == 0 {
                    return;
                }
                if appended.reordered {
                    // Entries landed between old ones: positions moved, so the view is rebuilt.
                    self.view.refilter(&self.store, &self.query);
                    self.refresh_activity();
                } else {
                    self.view.extend(&self.store, &self.query, from);
                    self.add_activity(before);
                }
                let grown = self.view.len().saturating_sub(before) as u64;
                if self.cursor.following {
                    self.follow();
                } else {
                    if self.cursor.selected.is_none() {
                        self.reselect();
                    }
                    self.cursor.new_below += grown;
                }
            }
            PollEvent::Rejected(rejected) => {
                self.rejected += rejected.len() as u64;
                let reason = rejected
                    .first()
                    .map_or("", |r| r.reason.as_str())
                    .to_owned();
                self.notify(
                    format!(
                        "{} malformed entries skipped ({reason}); details in the log",
                        rejected.len()
                    ),
                    true,
                );
            }
            PollEvent::Status(status) => self.status = status,
            // The TUI keeps no resume file: a restart starts from `--since` again.
            PollEvent::Position(_) => {}
            PollEvent::Stopped { reason } => {
                let reason = reason.unwrap_or_else(|| "the poller stopped".to_owned());
                let failed = self.status.state == ConnState::Failed
                    || reason.contains("401")
                    || reason.contains("403");
                if failed && self.store.is_empty() {
                    self.mode = Mode::Fatal(fatal(&reason));
                } else {
                    self.status.state = ConnState::Failed;
                    self.notify(format!("stopped: {reason}"), true);
                }
            }
        }
    }

    fn tick(&mut self, now: crate::timestamp::UnixNanos) {
        let minute = 60 * 1_000_000_000;
        let new_minute = now / minute != self.now / minute;
        self.now = now;
        if self
            .notice
            .as_ref()
            .is_some_and(|_| now - self.notice_at >= NOTICE_NANOS)
        {
            self.notice = None;
        }
        if quick::is_relative(&self.filter.applied)
            && now - self.filter.resolved_at >= RELATIVE_REFRESH_NANOS
        {
            let applied = self.filter.applied.clone();
            if let Ok(query) = Query::parse(&applied, now) {
                self.filter.resolved_at = now;
                if query != self.query {
                    self.query = query;
                    self.refilter();
                    return;
                }
            }
        }
        if new_minute {
            self.refresh_activity();
        }
    }

    fn notify(&mut self, text: String, is_error: bool) {
        self.notice = Some(Notice { text, is_error });
        self.notice_at = self.now;
    }
}

/// The full-screen message for a poller that cannot start.
fn fatal(reason: &str) -> Fatal {
    let (title, hint) = if reason.contains("401") {
        (
            "Token rejected",
            "Check HARVEY_API_TOKEN (or --token-file): the API did not accept the token. Make a new one \
             in the workspace settings under API Tokens.",
        )
    } else if reason.contains("403") {
        (
            "Permission missing",
            "The token works but may not read audit logs: they need Territory admin or Organization \
             admin permission.",
        )
    } else {
        (
            "Cannot follow the audit log",
            "Run `auditui doctor` to check the host, the token and the permission.",
        )
    };
    Fatal {
        title: title.to_owned(),
        message: reason.to_owned(),
        hint: hint.to_owned(),
    }
}
