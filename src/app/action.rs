//! The only ways state changes ([`Action`]) and the only ways the program acts on the world ([`Effect`]).

use std::path::PathBuf;

use crate::app::editor::Edit;
use crate::app::keymap::Command;
use crate::poller::{PollControl, PollEvent};
use crate::timestamp::UnixNanos;

/// Something that happened: a bound key, typing, a poller message, time passing, the screen changing.
#[derive(Debug, Clone)]
pub enum Action {
    Command(Command),
    /// Typing in the filter bar.
    Edit(Edit),
    Poll(PollEvent),
    /// The clock moved (the slow tick).
    Tick(UnixNanos),
    Resize {
        width: u16,
        height: u16,
    },
    /// Mouse wheel: rows, positive down.
    Scroll(i32),
    /// A click at a screen cell.
    Click {
        column: u16,
        row: u16,
    },
    /// The outcome of an effect, to show in the status bar.
    Report(Notice),
}

/// A message for the user, good or bad (copy, export, keymap problems), shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// What an update asks of the loop: the effects to perform, and whether the screen changed (the loop
/// draws only then, so a mouse move or an idle tick costs no frame).
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    pub redraw: bool,
}

impl Outcome {
    /// Nothing to do, nothing to draw.
    pub fn none() -> Outcome {
        Outcome::default()
    }

    /// Merges a later outcome into this one.
    pub fn and(mut self, later: Outcome) -> Outcome {
        self.effects.extend(later.effects);
        self.redraw |= later.redraw;
        self
    }
}

/// Export formats for the current view: those of `tail` and `query`.
pub use crate::formats::Format as ExportFormat;

/// Work for the loop to do on `update`'s behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Put `text` on the clipboard; `what` says what it is, for the report.
    Copy {
        text: String,
        what: String,
    },
    /// Write the current view to `path`.
    Export {
        format: ExportFormat,
        path: PathBuf,
    },
    Control(PollControl),
    /// Keep the investigation in its case (marks, notes, filters changed).
    SaveCase {
        store: PathBuf,
        kind: crate::case::Kind,
        case: crate::case::Case,
    },
    /// Write an evidence bundle into `dir`: of the marks when there are any, else of the view.
    WriteEvidence {
        dir: PathBuf,
    },
    /// Read a time range of the archive in the background; its blocks come back as poller messages.
    LoadArchive(crate::history::load::LoadRequest),
}
