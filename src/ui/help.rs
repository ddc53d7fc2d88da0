//! The help overlay, drawn from the keymap the program uses: what it shows is what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::keymap::{Command, Context, Keymap};
use crate::ui::theme;

pub struct Help<'a> {
    pub keymap: &'a Keymap,
    pub scroll: u16,
}

/// The width of one column of the help.
const COLUMN: u16 = 76;

impl Help<'_> {
    fn section(keymap: &Keymap, context: Context, lines: &mut Vec<Line<'static>>) {
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

    /// The log pane's keys, then the rest: side by side on a wide screen, one after the other otherwise.
    fn columns(keymap: &Keymap) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let mut left = Vec::new();
        for context in [
            Context::List,
            Context::Prompt,
            Context::Help,
            Context::Problems,
        ] {
            Help::section(keymap, context, &mut left);
        }
        // The legend first: on a screen too short for both columns it stays in sight (the keys scroll).
        let mut right = vec![
            Line::styled(theme::MARK_LEGEND, theme::dim()),
            Line::styled(
                "~ after a time: unreadable timestamp (the id's time stands in)",
                theme::dim(),
            ),
            Line::styled(
                "Search hits underlined · header and counts bars: log scale, oldest left",
                theme::dim(),
            ),
            Line::styled(
                "Filter: user:alice type:auth:* -type:api:* ip:10.0.0.0/8 since:15m is:marked words",
                theme::dim(),
            ),
            Line::styled(
                "Keys are read from auditui/keymap.toml in the config directory.",
                theme::dim(),
            ),
        ];
        for context in [
            Context::Filter,
            Context::Detail,
            Context::Counts,
            Context::Marks,
        ] {
            Help::section(keymap, context, &mut right);
        }
        (left, right)
    }

    /// " esc/?/q close · j/k scroll ": how to leave and scroll the help, with the keys the keymap binds
    /// (the first key of each direction, to stay short).
    fn keys_line(keymap: &Keymap) -> String {
        let first = |command| {
            keymap
                .keys(Context::Help, command)
                .first()
                .map(ToString::to_string)
        };
        let mut parts = Vec::new();
        let close = keymap.hint(Context::Help, Command::Close);
        if !close.is_empty() {
            parts.push(format!("{close} close"));
        }
        match (first(Command::Down), first(Command::Up)) {
            (Some(down), Some(up)) => parts.push(format!("{down}/{up} scroll")),
            (Some(key), None) | (None, Some(key)) => parts.push(format!("{key} scroll")),
            (None, None) => {}
        }
        format!(" {} ", parts.join(" · "))
    }

    /// Every line of the help in one column, for drawing and for knowing how far it scrolls.
    pub fn lines(keymap: &Keymap) -> Vec<Line<'static>> {
        let (mut lines, right) = Help::columns(keymap);
        lines.push(Line::raw(""));
        lines.extend(right);
        lines
    }
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let (left, right) = Help::columns(self.keymap);
        let wide = area.width >= 2 * COLUMN + 3;
        let (width, rows) = if wide {
            (2 * COLUMN + 3, left.len().max(right.len()))
        } else {
            (area.width.min(COLUMN), left.len() + 1 + right.len())
        };
        let height = (rows as u16 + 2).min(area.height);
        let [row] = Layout::vertical([Constraint::Length(height)])
            .flex(Flex::Center)
            .areas(area);
        let [popup] = Layout::horizontal([Constraint::Length(width)])
            .flex(Flex::Center)
            .areas(row);
        Clear.render(popup, buf);
        let block = Block::bordered()
            .title(Line::styled(" Keys ", theme::title()))
            .title_bottom(Line::styled(Help::keys_line(self.keymap), theme::dim()).right_aligned());
        let inner = block.inner(popup);
        block.render(popup, buf);
        if wide {
            let [first, second] =
                Layout::horizontal([Constraint::Length(COLUMN), Constraint::Length(COLUMN)])
                    .spacing(1)
                    .areas(inner);
            Paragraph::new(left)
                .scroll((self.scroll, 0))
                .render(first, buf);
            Paragraph::new(right)
                .scroll((self.scroll, 0))
                .render(second, buf);
        } else {
            Paragraph::new(Help::lines(self.keymap))
                .scroll((self.scroll, 0))
                .render(inner, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::layout::help_height;

    #[test]
    fn the_layout_counts_the_lines_the_help_draws() {
        let mut keymap = Keymap::defaults();
        assert_eq!(help_height(&keymap), Help::lines(&keymap).len());
        let defaults = help_height(&keymap);
        // A command bound in a context it had no key in adds a line; one left without keys loses its.
        keymap
            .merge_text("[help]\ncopy_entry = [\"y\"]\n", "test")
            .unwrap();
        assert_eq!(help_height(&keymap), Help::lines(&keymap).len());
        assert_eq!(
            help_height(&keymap),
            defaults + 1,
            "a new binding is counted"
        );
        keymap.merge_text("[list]\nquit = []\n", "test").unwrap();
        assert_eq!(help_height(&keymap), Help::lines(&keymap).len());
        assert_eq!(help_height(&keymap), defaults, "an unbound command is not");
    }
}
