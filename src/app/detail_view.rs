//! Opening, scrolling and stepping through the fields of the detail view.

use crate::app::detail_doc::DetailDoc;
use crate::app::state::{DetailState, Mode, State};

impl State {
    /// The store index of the selected entry.
    pub fn selected_index(&self) -> Option<u32> {
        self.selected_position().and_then(|p| self.index_at(p))
    }

    pub(super) fn open_detail(&mut self) {
        let Some(index) = self.selected_index() else {
            return;
        };
        let entry = self.store.get(index);
        let mut doc = DetailDoc::build(
            &entry.row(),
            self.local_offset
                .unwrap_or_else(|| crate::clock::local_offset(entry.ts())),
        );
        if !entry.ts_readable() {
            doc.received_timestamp(entry.ts_received());
        }
        doc.wrap_to(self.screen.detail_text().width);
        self.mode = Mode::Detail(DetailState {
            id: entry.id(),
            doc,
            scroll: 0,
            field: 0,
            show_field: false,
        });
    }

    /// Moves the open detail to the next (or previous) entry of the view, the selection with it.
    pub(super) fn step_detail_entry(&mut self, step: isize) {
        let Mode::Detail(detail) = &self.mode else {
            return;
        };
        let Some(current) = self
            .view
            .position_of(&self.store, detail.id)
            .or_else(|| self.selected_position())
        else {
            return;
        };
        let last = self.view.len().saturating_sub(1) as isize;
        let target = (current as isize + step).clamp(0, last) as usize;
        if target == current {
            let end = if step > 0 { "newest" } else { "oldest" };
            self.notify(format!("this is the {end} entry of the view"), false);
            return;
        }
        self.select(target);
        self.detail_follows_selection();
    }

    /// The selection moved while the detail is open (the next entry, a search match, a time): the
    /// detail moves to it, on the same field.
    pub(super) fn detail_follows_selection(&mut self) {
        let Mode::Detail(detail) = &self.mode else {
            return;
        };
        let selected = self.selected_index().map(|i| self.store.get(i).id());
        if selected.is_none() || selected == Some(detail.id) {
            return;
        }
        let field = detail.field;
        self.open_detail();
        if let Mode::Detail(detail) = &mut self.mode {
            detail.field = field.min(detail.doc.fields.len().saturating_sub(1));
        }
    }

    /// The screen changed size: the detail document is wrapped to the new width.
    pub(super) fn rewrap_detail(&mut self) {
        let width = self.screen.detail_text().width;
        let detail = match &mut self.mode {
            Mode::Detail(detail) => Some(detail),
            Mode::Help { under, .. } => match under.as_mut() {
                Mode::Detail(detail) => Some(detail),
                _ => None,
            },
            _ => None,
        };
        if let Some(detail) = detail {
            detail.doc.wrap_to(width);
        }
    }

    pub(super) fn scroll_detail(&mut self, rows: isize, show_field: bool) {
        let text = self.screen.detail_text();
        let (width, height) = (text.width, usize::from(text.height));
        if let Mode::Detail(detail) = &mut self.mode {
            let max = detail.doc.height(width).saturating_sub(height) as isize;
            detail.scroll = (detail.scroll as isize).saturating_add(rows).clamp(0, max) as usize;
            detail.show_field = show_field;
        }
    }

    pub(super) fn step_field(&mut self, step: isize) {
        let text = self.screen.detail_text();
        let (width, height) = (text.width, usize::from(text.height).max(1));
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
}
