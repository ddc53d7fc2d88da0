//! The detail view: the document of one entry (`app::detail_doc`) in a bordered, scrollable pane, the
//! selected field highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use crate::app::detail_doc::{DetailDoc, LABEL_WIDTH, LineKind, WrappedLine};
use crate::sanitize::clean;
use crate::ui::theme;

pub struct Detail<'a> {
    pub doc: &'a DetailDoc,
    /// The first line shown.
    pub scroll: usize,
    pub selected_field: Option<usize>,
    /// The keys line at the bottom, drawn from the keymap (see `ui::screen`).
    pub keys: &'a str,
    /// The user marked this entry, and what they noted on it (user text: escaped when drawn).
    pub marked: bool,
    pub note: Option<&'a str>,
}

impl Widget for Detail<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let mut title = vec![Span::styled(" Entry ", theme::title())];
        if self.marked {
            title.push(Span::styled(
                format!("{} marked ", theme::MARKED),
                theme::marked(),
            ));
        }
        if let Some(note) = self.note {
            let room = usize::from(area.width).saturating_sub(24);
            let note = crate::ui::log_pane::fit(&format!("note: {}", clean(note)), room);
            title.push(Span::styled(
                format!("{} ", note.trim_end()),
                theme::marked(),
            ));
        }
        let block = Block::bordered()
            .title(Line::from(title))
            .title_bottom(Line::styled(format!(" {} ", self.keys), theme::dim()).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        let lines: Vec<_> = self.doc.lines(inner.width).iter().map(styled).collect();
        let max_scroll = lines.len().saturating_sub(inner.height.into());
        let scroll = self.scroll.min(max_scroll);
        for (i, (line, field)) in lines
            .iter()
            .skip(scroll)
            .take(inner.height.into())
            .enumerate()
        {
            let y = inner.y + i as u16;
            buf.set_line(inner.x, y, line, inner.width);
            if field.is_some() && *field == self.selected_field {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..inner
                    },
                    theme::selected(),
                );
            }
        }
        if lines.len() > inner.height.into() {
            let text = format!(" {}/{} ", scroll + 1, max_scroll + 1);
            let x = area.right().saturating_sub(text.len() as u16 + 1);
            buf.set_string(x, area.y, text, theme::dim());
        }
    }
}

/// A wrapped line as drawn: the label right-aligned, values plain, derived information dim.
fn styled(line: &WrappedLine) -> (Line<'static>, Option<usize>) {
    let style = match line.kind {
        LineKind::Value => ratatui::style::Style::new(),
        LineKind::Info => theme::dim(),
    };
    (
        Line::from(vec![
            Span::styled(
                format!("{:>LABEL_WIDTH$} ", line.label),
                theme::field_name(),
            ),
            Span::styled(line.text.clone(), style),
        ]),
        line.field,
    )
}
