//! The header strip: entries per minute for the current filter, so a burst shows before it is read.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::ui::theme;

pub struct Activity<'a> {
    /// Counts per minute, oldest first, the current minute last.
    pub per_minute: &'a [u64],
    /// What is being watched (the source, for the title).
    pub source: &'a str,
}

impl Widget for Activity<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let last = self.per_minute.last().copied().unwrap_or(0);
        let peak = self.per_minute.iter().copied().max().unwrap_or(0);
        let title = Line::from(vec![
            Span::styled(" auditui ", theme::title()),
            Span::styled(self.source.to_owned(), theme::dim()),
            Span::raw(" "),
        ]);
        let stats = format!(" {last}/min · peak {peak} ");
        let title_width = title.width() as u16;
        buf.set_line(area.x, area.y, &title, area.width);
        let stats_width = stats.chars().count() as u16;
        let spark_width = area.width.saturating_sub(title_width + stats_width);
        if spark_width > 0 {
            let spark = Rect {
                x: area.x + title_width,
                width: spark_width,
                ..area
            };
            // The newest minutes on the right, as many as fit.
            let skip = self.per_minute.len().saturating_sub(spark_width.into());
            Sparkline::default()
                .data(&self.per_minute[skip..])
                .style(theme::activity())
                .render(spark, buf);
        }
        buf.set_string(
            area.right().saturating_sub(stats_width),
            area.y,
            stats,
            theme::dim(),
        );
    }
}
