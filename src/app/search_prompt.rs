//! The one-line prompt and what it runs: a search within the view (highlighted, moved through without
//! changing the filter) and a jump to a time.

use crate::app::action::Effect;
use crate::app::editor::LineEditor;
use crate::app::keymap::{Command, Context};
use crate::app::state::{Prompt, PromptKind, SearchState, State};
use crate::query::Query;
use crate::store::search::Search;
use crate::timespec::parse_goto;

impl State {
    pub(super) fn open_prompt(&mut self, kind: PromptKind) {
        let text = match (kind, &self.search) {
            (PromptKind::Search, Some(search)) => search.text.as_str(),
            _ => "",
        };
        self.prompt = Some(Prompt {
            kind,
            editor: LineEditor::new(text),
            error: None,
        });
    }

    pub(super) fn prompt_command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::Close => self.prompt = None,
            Command::Submit => {
                let effects = self.submit_prompt();
                // From the detail view, the detail moves to the entry found.
                self.detail_follows_selection();
                return effects;
            }
            _ => {}
        }
        Vec::new()
    }

    fn submit_prompt(&mut self) -> Vec<Effect> {
        let Some(prompt) = &self.prompt else {
            return Vec::new();
        };
        let text = prompt.editor.text().trim().to_owned();
        let mut effects = Vec::new();
        let done = match prompt.kind {
            PromptKind::Search => self.start_search(&text),
            PromptKind::GotoTime => self.goto_time(&text),
            PromptKind::Note(id) => {
                self.set_note(id, &text);
                Ok(())
            }
            PromptKind::Evidence => self.evidence_dir(&text).map(|effect| effects.push(effect)),
        };
        match done {
            Ok(()) => {
                self.prompt = None;
                effects
            }
            Err(error) => {
                if let Some(prompt) = &mut self.prompt {
                    prompt.error = Some(error);
                }
                Vec::new()
            }
        }
    }

    /// Starts a search (empty text ends it) and moves to the first match at or after the selection.
    fn start_search(&mut self, text: &str) -> Result<(), String> {
        if text.is_empty() {
            self.search = None;
            return Ok(());
        }
        let query = Query::parse(text, self.now)
            .map_err(|e| e.to_string())?
            .with_marked(self.marks.ids());
        let hits = Search::new(&self.store, &self.view, &query);
        self.search = Some(SearchState {
            text: text.to_owned(),
            query,
            hits,
        });
        let from = self.selected_position().unwrap_or(0);
        let found = self.search.as_ref().and_then(|s| {
            if s.hits.is_hit(from) {
                Some(from)
            } else {
                s.hits.next_match(from)
            }
        });
        match found {
            Some(position) => self.select(position),
            None => self.notify(format!("no entry of the view matches {text}"), true),
        }
        Ok(())
    }

    /// Moves to the next (or previous) match, wrapping; the filter is left as it is.
    pub(super) fn step_match(&mut self, forward: bool) {
        let Some(search) = &self.search else {
            let key = self.keymap.hint(Context::List, Command::Search);
            self.notify(format!("no search: {key} starts one"), true);
            return;
        };
        let from = self.selected_position().unwrap_or(0);
        let target = if forward {
            search.hits.next_match(from)
        } else {
            search.hits.prev_match(from)
        };
        match target {
            Some(position) => {
                let wrapped = if forward {
                    position <= from
                } else {
                    position >= from
                };
                self.select(position);
                if wrapped && search_len(self) > 1 {
                    self.notify("search wrapped around".into(), false);
                }
            }
            None => {
                let text = search.text.clone();
                self.notify(format!("no entry of the view matches {text}"), true);
            }
        }
    }

    /// Finds the search's matches again after the view changed (a batch, a new filter).
    pub(super) fn refresh_search(&mut self) {
        if let Some(search) = &mut self.search {
            search.hits = Search::new(&self.store, &self.view, &search.query);
        }
    }

    /// Selects the first entry of the view at or after the time the text names.
    fn goto_time(&mut self, text: &str) -> Result<(), String> {
        let at = self.goto_instant(text)?;
        if self.view.is_empty() {
            self.notify("nothing to go to: the view is empty".into(), true);
            return Ok(());
        }
        let position = self.view.first_at_or_after(&self.store, at);
        if position >= self.view.len() {
            self.notify(
                format!(
                    "no entry of the view at or after {}: at the newest",
                    self.zone.format(at, "%Y-%m-%d %H:%M:%S")
                ),
                true,
            );
        }
        self.select(position);
        Ok(())
    }
}

impl State {
    /// The instant a go-to text names. A clock time (`14:05`) is read in the zone the list shows, so
    /// it is the time the user sees on the rows; durations and timestamps do not depend on it.
    fn goto_instant(&self, text: &str) -> Result<crate::timestamp::UnixNanos, String> {
        let clock_time = text.contains(':') && text.chars().all(|c| c.is_ascii_digit() || c == ':');
        let offset = match self.zone {
            crate::clock::Zone::Local if clock_time => {
                let offset = self
                    .local_offset
                    .unwrap_or_else(|| crate::clock::local_offset(self.now));
                i64::from(offset.local_minus_utc()) * 1_000_000_000
            }
            _ => 0,
        };
        parse_goto(text, self.now + offset)
            .map(|at| at - offset)
            .map_err(|e| format!("try 14:05, -2h or 2025-02-11T16:08:44 ({e})"))
    }
}

fn search_len(state: &State) -> usize {
    state.search.as_ref().map_or(0, |s| s.hits.len())
}
