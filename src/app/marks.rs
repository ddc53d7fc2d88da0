//! Marks and notes: the entries the investigator picked, what they wrote about each, the list of them,
//! and keeping them in the case (`--case`) as they change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use crate::app::action::Effect;
use crate::app::editor::LineEditor;
use crate::app::keymap::{Command, Context};
use crate::app::state::{Mode, Prompt, PromptKind, State};
use crate::case::Case;
use crate::clock::Zone;

/// The marked entries, each with its note (a note implies a mark), in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    notes: BTreeMap<Uuid, Option<String>>,
    /// The same ids, shared with the query so `is:marked` costs no copy per keystroke.
    ids: Arc<BTreeSet<Uuid>>,
    /// Counts the changes, so telling whether a command changed the marks costs no copy.
    revision: u64,
}

impl Marks {
    pub fn from_notes(notes: BTreeMap<Uuid, Option<String>>) -> Marks {
        let ids = Arc::new(notes.keys().copied().collect());
        Marks {
            notes,
            ids,
            revision: 0,
        }
    }

    /// Marks or unmarks an entry (its note goes with the mark); true when it is marked now.
    pub fn toggle(&mut self, id: Uuid) -> bool {
        let marked = if self.notes.remove(&id).is_some() {
            false
        } else {
            self.notes.insert(id, None);
            true
        };
        self.ids = Arc::new(self.notes.keys().copied().collect());
        self.revision += 1;
        marked
    }

    /// Sets the note of an entry, marking it; blank text leaves it marked without a note.
    pub fn set_note(&mut self, id: Uuid, text: &str) {
        let text = text.trim();
        let note = (!text.is_empty()).then(|| text.to_owned());
        if self.notes.insert(id, note).is_none() {
            self.ids = Arc::new(self.notes.keys().copied().collect());
        }
        self.revision += 1;
    }

    /// Changes so far (a restore starts again from 0).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn is_marked(&self, id: Uuid) -> bool {
        self.notes.contains_key(&id)
    }

    /// The note of a marked entry, if it has one.
    pub fn note(&self, id: Uuid) -> Option<&str> {
        self.notes.get(&id).and_then(|n| n.as_deref())
    }

    pub fn len(&self) -> usize {
        self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// The marks in id order, with their notes.
    pub fn notes(&self) -> &BTreeMap<Uuid, Option<String>> {
        &self.notes
    }

    /// The marked ids, for `is:marked`.
    pub fn ids(&self) -> Arc<BTreeSet<Uuid>> {
        Arc::clone(&self.ids)
    }

    /// The id at a row of the marks list.
    pub fn id_at(&self, row: usize) -> Option<Uuid> {
        self.notes.keys().nth(row).copied()
    }
}

/// What the case keeps, to tell whether a command changed it: the marks' revision, the filter history
/// and the committed filter.
type Kept = (u64, Vec<String>, String);

impl State {
    /// What the case would store now.
    fn kept(&self) -> Kept {
        (
            self.marks.revision(),
            self.filter.history.items().to_vec(),
            self.committed_filter(),
        )
    }

    /// The filter in effect outside the bar: what reopening the case shows.
    fn committed_filter(&self) -> String {
        if self.filter.focused {
            self.filter.before_focus.clone()
        } else {
            self.filter.applied.clone()
        }
    }

    /// Runs a command, then asks the loop to save the case when the command changed what it keeps.
    pub(super) fn keeping_case(
        &mut self,
        run: impl FnOnce(&mut State) -> Vec<Effect>,
    ) -> Vec<Effect> {
        let Some(case) = self.case.clone() else {
            return run(self);
        };
        let before = self.kept();
        let mut effects = run(self);
        let after = self.kept();
        if after != before {
            let (_, filters, filter) = after;
            effects.push(Effect::SaveCase {
                store: case.store,
                kind: case.kind,
                case: Case {
                    name: case.name,
                    marks: self.marks.notes().clone(),
                    filters,
                    filter,
                },
            });
        }
        effects
    }

    /// Puts a stored case back: its marks and notes, its filter history, and its committed filter.
    pub fn restore_case(&mut self, case: &Case) {
        self.marks = Marks::from_notes(case.marks.clone());
        for text in &case.filters {
            self.filter.history.push(text);
        }
        self.set_filter_text(&case.filter);
    }

    /// The entry a mark or note command is about: the open detail's, else the selected row's.
    fn marked_target(&self) -> Option<Uuid> {
        match &self.mode {
            Mode::Detail(detail) => Some(detail.id),
            Mode::Marks { row } => self.marks.id_at(*row),
            _ => self.cursor.selected,
        }
    }

    pub(super) fn toggle_mark(&mut self) {
        let Some(id) = self.marked_target() else {
            self.notify("nothing to mark: no entry selected".into(), true);
            return;
        };
        let marked = self.marks.toggle(id);
        let count = self.marks.len();
        self.notify(
            if marked {
                format!("marked ({count} marked)")
            } else {
                format!("unmarked ({count} marked)")
            },
            false,
        );
        self.marks_changed();
    }

    pub(super) fn open_note(&mut self) {
        let Some(id) = self.marked_target() else {
            self.notify("nothing to note: no entry selected".into(), true);
            return;
        };
        self.prompt = Some(Prompt {
            kind: PromptKind::Note(id),
            editor: LineEditor::new(self.marks.note(id).unwrap_or("")),
            error: None,
        });
    }

    pub(super) fn set_note(&mut self, id: Uuid, text: &str) {
        self.marks.set_note(id, text);
        let count = self.marks.len();
        self.notify(format!("note kept ({count} marked)"), false);
        self.marks_changed();
    }

    /// The marks changed: a view filtered by `is:marked` follows them, the marks list stays in range.
    fn marks_changed(&mut self) {
        if self.query.uses_marks() {
            self.query = self.query.clone().with_marked(self.marks.ids());
            self.refilter();
        }
        if let Mode::Marks { row } = &mut self.mode {
            *row = (*row).min(self.marks.len().saturating_sub(1));
        }
    }

    pub(super) fn open_marks(&mut self) {
        if self.marks.is_empty() {
            let key = self.keymap.hint(Context::List, Command::Mark);
            self.notify(
                format!("no marks yet: {key} marks the selected entry"),
                true,
            );
            return;
        }
        let row = self
            .cursor
            .selected
            .and_then(|id| self.marks.notes().keys().position(|m| *m == id))
            .unwrap_or(0);
        self.mode = Mode::Marks { row };
    }

    pub(super) fn marks_command(&mut self, command: Command) {
        let Mode::Marks { row } = &mut self.mode else {
            return;
        };
        let last = self.marks.len().saturating_sub(1);
        match command {
            Command::Close => self.mode = Mode::List,
            Command::Help => self.open_help(),
            Command::Down => *row = (*row + 1).min(last),
            Command::Up => *row = row.saturating_sub(1),
            Command::Top => *row = 0,
            Command::Bottom => *row = last,
            Command::Jump => self.jump_to_mark(),
            Command::Mark => {
                self.toggle_mark();
                if self.marks.is_empty() {
                    self.mode = Mode::List;
                }
            }
            Command::Note => self.open_note(),
            _ => {}
        }
    }

    /// Selects the chosen mark in the log; when the filter hides it, the filter is cleared first.
    fn jump_to_mark(&mut self) {
        let Mode::Marks { row } = self.mode else {
            return;
        };
        let Some(id) = self.marks.id_at(row) else {
            return;
        };
        if self.store.position_of(id).is_none() {
            self.notify(format!("{id} is not loaded: widen --since to see it"), true);
            return;
        }
        if self.view.position_of(&self.store, id).is_none() {
            self.set_filter_text("");
            self.notify("the filter hid that entry: cleared".into(), false);
        }
        self.mode = Mode::List;
        if let Some(position) = self.view.position_of(&self.store, id) {
            self.select(position);
        }
    }

    /// Asks where to write the evidence bundle, offering `evidence-<case>-<UTC time>` in the export folder.
    pub(super) fn open_evidence_prompt(&mut self) {
        if self.marks.is_empty() && self.view.is_empty() {
            self.notify(
                "no evidence to write: the view is empty and nothing is marked".into(),
                true,
            );
            return;
        }
        let stamp = Zone::Utc.format(self.now, "%Y%m%dT%H%M%SZ");
        let case = self.case.as_ref().map_or("session", |c| c.name.as_str());
        let dir = self.export_dir.join(format!("evidence-{case}-{stamp}"));
        self.prompt = Some(Prompt {
            kind: PromptKind::Evidence,
            editor: LineEditor::new(&dir.display().to_string()),
            error: None,
        });
    }

    /// The effect that writes the bundle, once a directory is named.
    pub(super) fn evidence_dir(&mut self, text: &str) -> Result<Effect, String> {
        if text.is_empty() {
            return Err("name a directory (new or empty)".into());
        }
        // Whether it is new or empty is the loop's to find out: update touches no file.
        Ok(Effect::WriteEvidence {
            dir: PathBuf::from(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_toggles_and_a_note_implies_a_mark() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut marks = Marks::default();
        assert!(marks.toggle(a));
        assert!(marks.is_marked(a) && marks.note(a).is_none());
        marks.set_note(b, "  token rotated from Tor  ");
        assert_eq!(marks.note(b), Some("token rotated from Tor"));
        assert_eq!(marks.ids().iter().copied().collect::<Vec<_>>(), vec![a, b]);
        marks.set_note(b, " ");
        assert!(
            marks.is_marked(b) && marks.note(b).is_none(),
            "blank keeps the mark"
        );
        assert!(!marks.toggle(b));
        assert!(!marks.is_marked(b));
        assert_eq!(marks.len(), 1);
        assert_eq!(marks.id_at(0), Some(a));
        assert_eq!(marks.id_at(1), None);
    }
}
