//! The prompt line of search and goto_time, drawn where the filter bar is while it is typed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sanitize::clean;
use crate::ui::log_pane::fit;
use crate::ui::theme;

pub struct PromptBar<'a> {
    /// What is asked: `search` or `go to`.
    pub label: &'a str,
    /// An example, shown while the text is empty.
    pub example: &'a str,
    pub text: &'a str,
    /// The cursor, in characters.
    pub cursor: usize,
    pub error: Option<&'a str>,
}

impl PromptBar<'_> {
    fn prefix(&self) -> String {
        format!(" {}: ", self.label)
    }

    /// The first character shown, so the cursor stays in sight.
    fn offset(&self, area: Rect) -> usize {
        let room = usize::from(area.width)
            .saturating_sub(self.prefix().chars().count() + 1)
            .max(1);
        self.cursor.saturating_sub(room - 1)
    }

    pub fn cursor_position(&self, area: Rect) -> Position {
        let offset = self.offset(area);
        let before: String = self
            .text
            .chars()
            .skip(offset)
            .take(self.cursor - offset)
            .collect();
        let x =
            area.x + self.prefix().chars().count() as u16 + clean(&before).chars().count() as u16;
        Position::new(x.min(area.right().saturating_sub(1)), area.y)
    }
}

impl Widget for PromptBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        buf.set_style(area, theme::filter_focused());
        let visible: String = self.text.chars().skip(self.offset(area)).collect();
        let mut spans = vec![Span::styled(self.prefix(), theme::key())];
        if self.text.is_empty() {
            spans.push(Span::styled(self.example.to_owned(), theme::dim()));
        } else {
            spans.push(Span::raw(clean(&visible).into_owned()));
        }
        if let Some(error) = self.error {
            let used = Line::from(spans.clone()).width() + 2;
            let room = usize::from(area.width).saturating_sub(used);
            spans.push(Span::raw("  "));
            spans.push(Span::styled(
                fit(&format!("✗ {}", clean(error)), room)
                    .trim_end()
                    .to_owned(),
                theme::error(),
            ));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}
