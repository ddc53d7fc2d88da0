//! The filter bar's text becoming the applied query, and quick narrowing from the selected row.

use crate::app::quick;
use crate::app::state::State;
use crate::query::Query;

impl State {
    /// Puts text in the bar and applies it (quick filters, history, clear).
    pub(super) fn set_filter_text(&mut self, text: &str) {
        self.filter.editor.set(text);
        self.apply_filter_text(text);
        if !self.filter.focused && self.filter.error.is_none() {
            self.filter.history.push(text);
        }
    }

    /// Parses the text; a good query replaces the applied one, a bad one only reports where it fails.
    pub(super) fn apply_filter_text(&mut self, text: &str) {
        match Query::parse(text, self.now) {
            Ok(query) => {
                let query = query.with_marked(self.marks.ids());
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

    pub(super) fn refilter(&mut self) {
        self.view.refilter(&self.store, &self.query);
        self.cursor.new_below = 0;
        self.reselect();
        self.refresh_activity();
        self.refresh_search();
        self.update_counts();
    }

    /// Sets one key of the query to the selected row's value (or removes it if already set so).
    pub(super) fn narrow(&mut self, key: &str) {
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
}
