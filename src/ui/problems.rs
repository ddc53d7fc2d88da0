//! The problems pane: the lines `app::problems` builds (the last error whole, the malformed entries
//! skipped) in a bordered, scrollable pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Widget};

use crate::app::problems::{ProblemKind, ProblemLine};
use crate::ui::theme;

pub struct Problems<'a> {
    /// Wrapped to the width inside the border.
    pub lines: &'a [ProblemLine],
    /// The first line shown.
    pub scroll: usize,
    /// The keys line at the bottom, drawn from the keymap (see `ui::screen`).
    pub keys: &'a str,
}

impl Widget for Problems<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let block = Block::bordered()
            .title(Line::styled(" Problems ", theme::title()))
            .title_bottom(Line::styled(format!(" {} ", self.keys), theme::dim()).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        let height = usize::from(inner.height);
        let max_scroll = self.lines.len().saturating_sub(height);
        let scroll = self.scroll.min(max_scroll);
        for (i, line) in self.lines.iter().skip(scroll).take(height).enumerate() {
            let style = match line.kind {
                ProblemKind::Heading => theme::title(),
                ProblemKind::Text => Style::new(),
                ProblemKind::Error => theme::error(),
                ProblemKind::Dim => theme::dim(),
            };
            buf.set_line(
                inner.x,
                inner.y + i as u16,
                &Line::styled(line.text.clone(), style),
                inner.width,
            );
        }
        if self.lines.len() > height {
            let text = format!(" {}/{} ", scroll + 1, max_scroll + 1);
            let x = area.right().saturating_sub(text.len() as u16 + 1);
            buf.set_string(x, area.y, text, theme::dim());
        }
    }
}
