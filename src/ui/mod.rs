//! Drawing: pure functions of the state, one file per pane.

pub mod activity;
pub mod detail;
pub mod error_screen;
pub mod filter_bar;
pub mod help;
pub mod log_pane;
pub mod screen;
pub mod status_bar;
pub mod theme;
pub mod time;

use ratatui::layout::{Constraint, Layout, Rect};

use crate::ui::status_bar::StatusBar;

/// Where each pane goes on a screen of a given size; shared by drawing and by mouse handling.
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
            Constraint::Length(StatusBar::HEIGHT),
        ])
        .areas(screen);
        Areas {
            header,
            filter,
            body,
            status,
        }
    }

    /// Entry rows the log pane shows.
    pub fn page(&self) -> usize {
        log_pane::LogPane::capacity(self.body.height)
    }

    /// The log pane row under a screen line, if any.
    pub fn log_row_at(&self, y: u16) -> Option<usize> {
        let first = self.body.y + 1;
        (y >= first && y < self.body.bottom()).then(|| usize::from(y - first))
    }
}
