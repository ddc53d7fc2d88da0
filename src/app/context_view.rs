//! `context`: the entries around the selected one in time, unfiltered, then the same user's only, then
//! back to the filtered view at the same entry (like lnav's z/Z and grep -C).

use crate::app::quick;
use crate::app::state::{ContextReturn, State};

impl State {
    /// One step: unfiltered around the entry, then its user only, then back.
    pub(super) fn show_context(&mut self) {
        match self.context_return.clone() {
            None => {
                let Some(id) = self.cursor.selected else {
                    self.notify("no entry selected".into(), true);
                    return;
                };
                self.context_return = Some(ContextReturn {
                    filter: self.filter.editor.text().to_owned(),
                    id,
                    same_user: false,
                });
                self.show_around(id, "");
            }
            Some(back) if !back.same_user => {
                let user = self
                    .store
                    .position_of(back.id)
                    .map(|i| self.store.get(i).user().to_owned())
                    .unwrap_or_default();
                let filter = if user.is_empty() {
                    String::new()
                } else {
                    quick::term("user", &user)
                };
                self.context_return = Some(ContextReturn {
                    same_user: true,
                    ..back.clone()
                });
                self.show_around(back.id, &filter);
            }
            Some(_) => self.leave_context(),
        }
    }

    /// Back to the filter in effect before `context`, at the entry it was opened on (or at the one
    /// chosen since, when that one passes the filter).
    pub(super) fn leave_context(&mut self) {
        let Some(back) = self.context_return.take() else {
            return;
        };
        let chosen = self.cursor.selected;
        self.filter.editor.set(&back.filter);
        self.apply_filter_text(&back.filter);
        let keep = chosen.filter(|&id| self.view.position_of(&self.store, id).is_some());
        self.show_entry(keep.unwrap_or(back.id));
    }

    /// Applies `filter` (not recorded in the history: it is a look around, not a new investigation)
    /// and selects the entry with `id`, mid-screen so what came before and after are both in sight.
    fn show_around(&mut self, id: uuid::Uuid, filter: &str) {
        self.filter.editor.set(filter);
        self.apply_filter_text(filter);
        self.show_entry(id);
    }

    fn show_entry(&mut self, id: uuid::Uuid) {
        self.cursor.following = false;
        self.cursor.anchor = Some(id);
        self.cursor.selected = Some(id);
        self.reselect();
        if let Some(position) = self.selected_position() {
            let page = self.screen.page().max(1);
            self.cursor.row = (page / 2).min(position);
            self.cursor.following = position + 1 == self.view.len();
        }
    }
}
