//! The log pane's cursor: moving the selection, following the newest, and keeping the chosen entry in
//! place when the view changes under it.

use crate::app::state::State;

impl State {
    /// Selects the entry at a view position; at the last one, following resumes.
    pub(super) fn select(&mut self, position: usize) {
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
    pub(super) fn page_by(&mut self, rows: isize) {
        let row = self.cursor.row;
        self.move_by(rows);
        if let Some(position) = self.selected_position() {
            self.cursor.row = row.min(position);
        }
    }

    pub(super) fn move_by(&mut self, rows: isize) {
        let current = self.selected_position().unwrap_or(self.view.len()) as isize;
        self.select((current + rows).max(0) as usize);
    }

    pub(super) fn follow(&mut self) {
        self.cursor.following = true;
        self.cursor.new_below = 0;
        self.select_last();
    }

    pub(super) fn select_last(&mut self) {
        let len = self.view.len();
        self.cursor.selected = len.checked_sub(1).and_then(|p| self.id_at(p));
        self.cursor.anchor = self.cursor.selected;
        self.cursor.row = self.screen.page().max(1) - 1;
    }

    /// After the view changed under it: keep the chosen entry, or the nearest one by id.
    pub(super) fn reselect(&mut self) {
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
}
