//! The help overlay, drawn from the keymap the program uses: what it shows is what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::keymap::{Context, Keymap};
use crate::ui::theme;

pub struct Help<'a> {
    pub keymap: &'a Keymap,
    pub scroll: u16,
}

impl Help<'_> {
    /// Every line of the help, for drawing and for knowing how far it scrolls.
    pub fn lines(keymap: &Keymap) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for context in Context::ALL {
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(context.title().to_owned(), theme::title()));
            for (command, keys) in keymap.table(context) {
                let keys = keys
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ");
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<22}"), theme::key()),
                    Span::raw(command.about()),
                ]));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Filter: user:alice  type:auth:*  -type:api:*  ip:10.0.0.0/8  since:15m  free text",
            theme::dim(),
        ));
        lines.push(Line::styled(
            "Keys are read from auditui/keymap.toml in the config directory.",
            theme::dim(),
        ));
        lines
    }
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let lines = Help::lines(self.keymap);
        let height = (lines.len() as u16 + 2).min(area.height);
        let [row] = Layout::vertical([Constraint::Length(height)])
            .flex(Flex::Center)
            .areas(area);
        let [popup] = Layout::horizontal([Constraint::Length(area.width.min(76))])
            .flex(Flex::Center)
            .areas(row);
        Clear.render(popup, buf);
        let block = Block::bordered()
            .title(Line::styled(" Keys ", theme::title()))
            .title_bottom(Line::styled(" esc/? close · j/k scroll ", theme::dim()).right_aligned());
        Paragraph::new(lines)
            .block(block)
            .scroll((self.scroll, 0))
            .render(popup, buf);
    }
}
