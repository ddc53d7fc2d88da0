//! A full-screen message for faults the program cannot work around (a rejected token at start).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::sanitize::clean;
use crate::ui::theme;

pub struct ErrorScreen<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// What to do about it.
    pub hint: &'a str,
    /// The keys that quit, from the keymap ("q/ctrl-c").
    pub quit_key: &'a str,
}

impl Widget for ErrorScreen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let [row] = Layout::vertical([Constraint::Length(area.height.min(12))])
            .flex(Flex::Center)
            .areas(area);
        let [popup] = Layout::horizontal([Constraint::Length(area.width.min(72))])
            .flex(Flex::Center)
            .areas(row);
        let lines = vec![
            Line::raw(""),
            Line::styled(clean(self.message).into_owned(), theme::error()),
            Line::raw(""),
            Line::raw(clean(self.hint).into_owned()),
            Line::raw(""),
            Line::styled(format!("{} to quit", self.quit_key), theme::dim()),
        ];
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .border_style(theme::error())
                    .title(Line::styled(format!(" {} ", self.title), theme::error())),
            )
            .wrap(Wrap { trim: false })
            .centered()
            .render(popup, buf);
    }
}
