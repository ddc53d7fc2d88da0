//! The marks list: every marked entry in id order with its note, the chosen one highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use uuid::Uuid;

use crate::clock::Zone;
use crate::entry::Row;
use crate::sanitize::clean;
use crate::ui::log_pane::{Columns, fit};
use crate::ui::theme;

/// One mark: its entry when it is loaded (a case can hold marks older than the window).
pub struct MarkRow<'a> {
    pub id: Uuid,
    pub entry: Option<Row<'a>>,
    pub note: Option<&'a str>,
}

pub struct MarksList<'a> {
    pub rows: &'a [MarkRow<'a>],
    pub selected: usize,
    pub zone: Zone,
}

impl Widget for MarksList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let noted = self.rows.iter().filter(|r| r.note.is_some()).count();
        let block = Block::bordered().title(Line::styled(
            format!(" Marks: {} ({noted} with a note) ", self.rows.len()),
            theme::title(),
        ));
        let inner = block.inner(area);
        block.render(area, buf);
        let height = usize::from(inner.height);
        if height == 0 {
            return;
        }
        // The chosen row stays in sight: the list scrolls by whole pages.
        let top = self.selected / height * height;
        let columns = Columns::fit(inner.width);
        let time_format = if columns.time >= 14 {
            "%m-%d %H:%M:%S"
        } else {
            "%H:%M:%S"
        };
        for (i, mark) in self.rows.iter().enumerate().skip(top).take(height) {
            let y = inner.y + (i - top) as u16;
            let mut spans = vec![Span::styled(format!("{} ", theme::MARKED), theme::marked())];
            match &mark.entry {
                Some(row) => {
                    spans.push(Span::raw(fit(
                        &self.zone.format(row.ts, time_format),
                        usize::from(columns.time) + 1,
                    )));
                    spans.push(Span::raw(fit(
                        &clean(row.user),
                        usize::from(columns.user) + 1,
                    )));
                    spans.push(
                        Span::raw(fit(&clean(row.kind), usize::from(columns.kind) + 1))
                            .style(theme::kind(row.kind)),
                    );
                }
                None => {
                    let width = usize::from(columns.time + columns.user + columns.kind) + 3;
                    spans.push(Span::styled(
                        fit(&format!("{} (not loaded)", mark.id), width),
                        theme::dim(),
                    ));
                }
            }
            let used = Line::from(spans.clone()).width();
            let room = usize::from(inner.width).saturating_sub(used);
            spans.push(match mark.note {
                Some(note) => Span::styled(fit(&clean(note), room), theme::marked()),
                None => Span::styled(fit("(no note)", room), theme::dim()),
            });
            buf.set_line(inner.x, y, &Line::from(spans), inner.width);
            if i == self.selected {
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
    }
}
