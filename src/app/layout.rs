//! Where each pane goes on a screen of a given size. Pure geometry, shared by drawing and by the app
//! (paging, scrolling, mouse clicks), so the two never disagree about what is on screen.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::keymap::{Context, Keymap};

/// Lines the status bar takes: the connection, then a notice or the main keys.
pub const STATUS_HEIGHT: u16 = 2;

/// The panes of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub filter: Rect,
    /// The log pane (heading included) or the detail view.
    pub body: Rect,
    pub status: Rect,
}

impl Areas {
    pub fn of(screen: Rect) -> Areas {
        let [header, filter, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(STATUS_HEIGHT),
        ])
        .areas(screen);
        Areas {
            header,
            filter,
            body,
            status,
        }
    }

    /// A screen of `width` × `height` cells.
    pub fn sized(width: u16, height: u16) -> Areas {
        Areas::of(Rect::new(0, 0, width, height))
    }

    /// Entry rows the log pane shows.
    pub fn page(&self) -> usize {
        log_capacity(self.body.height)
    }

    /// The log pane row under a screen line, if any.
    pub fn log_row_at(&self, y: u16) -> Option<usize> {
        let first = self.body.y + 1;
        (y >= first && y < self.body.bottom()).then(|| usize::from(y - first))
    }

    /// The text area of the detail view: the body inside its border.
    pub fn detail_text(&self) -> Rect {
        bordered_inner(self.body)
    }
}

/// How many entry rows fit in a log pane of this height (one line is the heading).
pub fn log_capacity(height: u16) -> usize {
    usize::from(height.saturating_sub(1))
}

/// The inside of a one-cell border.
pub fn bordered_inner(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

/// Lines of help text beside the keys (above the filter bar's): the marks' legend (two lines), search and bars, the filter syntax
/// and where the keys come from.
pub const HELP_FOOTER_LINES: usize = 5;

/// How many lines the help takes in one column, counted from the keymap without building them: one
/// title per context, one line per command, a blank between sections, then a blank and the footer.
pub fn help_height(keymap: &Keymap) -> usize {
    let commands: usize = Context::ALL
        .iter()
        .map(|&context| 1 + keymap.table(context).count())
        .sum();
    let blanks_between_sections = Context::ALL.len() - 1;
    commands + blanks_between_sections + 1 + HELP_FOOTER_LINES
}
