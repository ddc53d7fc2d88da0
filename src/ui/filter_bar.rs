//! The filter bar: the query being typed, its error in place, and the shown/total counts.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sanitize::clean;
use crate::ui::theme;

pub struct FilterBar<'a> {
    pub text: &'a str,
    /// The cursor, in characters, when the bar has the focus.
    pub cursor: Option<usize>,
    /// Why the text does not parse (the last good filter stays applied meanwhile).
    pub error: Option<&'a str>,
    /// Where the error is (1-based, in characters), marked in the text.
    pub error_column: Option<usize>,
    pub shown: usize,
    pub total: usize,
}

impl FilterBar<'_> {
    fn counts(&self) -> String {
        format!(" {} / {} ", self.shown, self.total)
    }

    /// Where the terminal cursor goes when the bar has the focus.
    pub fn cursor_position(&self, area: Rect) -> Option<Position> {
        let cursor = self.cursor?;
        let (offset, _) = self.scroll(area);
        let before: String = self
            .text
            .chars()
            .skip(offset)
            .take(cursor - offset)
            .collect();
        let x = area.x + PROMPT.len() as u16 + clean(&before).chars().count() as u16;
        Some(Position::new(x.min(area.right().saturating_sub(1)), area.y))
    }

    /// The first character shown, so the cursor stays in sight, and the room for text.
    fn scroll(&self, area: Rect) -> (usize, usize) {
        let room = usize::from(area.width)
            .saturating_sub(PROMPT.len() + self.counts().len() + 1)
            .max(1);
        let cursor = self.cursor.unwrap_or(0);
        (cursor.saturating_sub(room - 1), room)
    }
}

const PROMPT: &str = " / ";

impl FilterBar<'_> {
    /// The visible text, with the character the error points at marked.
    fn text_spans(&self, visible: &str, offset: usize) -> Vec<Span<'static>> {
        let Some(at) = self.error_column.and_then(|c| c.checked_sub(1 + offset)) else {
            return vec![Span::raw(clean(visible).into_owned())];
        };
        let before: String = visible.chars().take(at).collect();
        let marked: String = visible.chars().skip(at).take(1).collect();
        let after: String = visible.chars().skip(at + 1).collect();
        let marked = if marked.is_empty() {
            " ".to_owned()
        } else {
            marked
        };
        vec![
            Span::raw(clean(&before).into_owned()),
            Span::styled(clean(&marked).into_owned(), theme::error_mark()),
            Span::raw(clean(&after).into_owned()),
        ]
    }
}

impl Widget for FilterBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let focused = self.cursor.is_some();
        buf.set_style(
            area,
            if focused {
                theme::filter_focused()
            } else {
                theme::bar()
            },
        );
        let counts = self.counts();
        let (offset, room) = self.scroll(area);
        let visible: String = self.text.chars().skip(offset).take(room).collect();
        let mut spans = vec![Span::styled(PROMPT, theme::key())];
        if self.text.is_empty() && !focused {
            spans.push(Span::styled(
                "no filter · try user:alice type:auth:* ip:10.0.0.0/8 since:15m or words",
                theme::dim(),
            ));
        } else {
            spans.extend(self.text_spans(&visible, offset));
        }
        if let Some(error) = self.error {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(format!("✗ {}", clean(error)), theme::error()));
        }
        let room = area.width.saturating_sub(counts.len() as u16);
        buf.set_line(area.x, area.y, &Line::from(spans), room);
        let x = area.right().saturating_sub(counts.len() as u16);
        let style = if self.error.is_some() {
            theme::warning()
        } else {
            theme::ok()
        };
        buf.set_string(x, area.y, counts, style.patch(theme::bar()));
    }
}
