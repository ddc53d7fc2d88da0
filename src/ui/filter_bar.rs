//! The filter bar: the query being typed, its error in place, and the shown/total counts.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::sanitize::clean;
use crate::ui::log_pane::fit;
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
        // With an error, keep room for its mark even when the text is long.
        let error_mark = if self.error.is_some() {
            ERROR_GAP.len() + 1
        } else {
            0
        };
        let room = usize::from(area.width)
            .saturating_sub(PROMPT.len() + self.counts().len() + 1 + error_mark)
            .max(1);
        let cursor = self.cursor.unwrap_or(0);
        (cursor.saturating_sub(room - 1), room)
    }
}

const PROMPT: &str = " / ";
/// Between the text and its error.
const ERROR_GAP: &str = "  ";

/// The error as it fits in `width` columns: cut with `…`, and at least its `✗` mark when there is room.
fn error_text(error: &str, width: usize) -> String {
    let full = format!("✗ {}", clean(error));
    if width < 3 {
        return if width > 0 {
            "✗".to_owned()
        } else {
            String::new()
        };
    }
    fit(&full, width).trim_end().to_owned()
}

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
        // One blank column always separates the text or error from the counts, so they never run together.
        let line_room = usize::from(area.width).saturating_sub(counts.len() + 1);
        let (offset, room) = self.scroll(area);
        let visible: String = self.text.chars().skip(offset).take(room).collect();
        let mut spans = vec![Span::styled(PROMPT, theme::key())];
        if self.text.is_empty() && !focused {
            let hint = "no filter · try user:alice type:auth:* ip:10.0.0.0/8 since:15m or words";
            spans.push(Span::styled(
                fit(hint, line_room.saturating_sub(PROMPT.len()))
                    .trim_end()
                    .to_owned(),
                theme::dim(),
            ));
        } else {
            spans.extend(self.text_spans(&visible, offset));
        }
        let room = line_room;
        if let Some(error) = self.error {
            let used = Line::from(spans.clone()).width() + ERROR_GAP.len();
            spans.push(Span::raw(ERROR_GAP));
            spans.push(Span::styled(
                error_text(error, room.saturating_sub(used)),
                theme::error(),
            ));
        }
        buf.set_line(area.x, area.y, &Line::from(spans), room as u16);
        let x = area.right().saturating_sub(counts.len() as u16);
        let style = if self.error.is_some() {
            theme::warning()
        } else {
            theme::ok()
        };
        buf.set_string(x, area.y, counts, style.patch(theme::bar()));
    }
}
