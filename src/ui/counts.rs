//! The counts panel: for one group (user, type, IP, agent) of the view, the top values with their count,
//! share, first and last seen, and a small activity bar on a log scale, so one burst does not flatten
//! the rest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::clock::Zone;
use crate::sanitize::clean;
use crate::store::Store;
use crate::store::counts::{Counts, Dimension, Stats};
use crate::ui::log_pane::fit;
use crate::ui::log_scale;
use crate::ui::theme;

pub struct CountsView<'a> {
    pub counts: &'a Counts,
    pub store: &'a Store,
    pub dimension: Dimension,
    /// The chosen row.
    pub row: usize,
    /// How many values are listed.
    pub top: usize,
    pub zone: Zone,
}

/// The group names in the tab line.
pub fn group_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::User => "USER",
        Dimension::Type => "TYPE",
        Dimension::Ip => "IP",
        Dimension::UserAgent => "AGENT",
    }
}

const COUNT: usize = 7;
const SHARE: usize = 6;

/// Widths of the columns for a panel `width` cells wide.
struct Widths {
    value: usize,
    time: usize,
    bar: usize,
}

impl Widths {
    fn fit(width: u16) -> Widths {
        let width = usize::from(width);
        let time = if width >= 110 { 11 } else { 5 };
        let bar = (width / 4).clamp(8, 48);
        let fixed = 1 + COUNT + 1 + SHARE + 1 + time + 1 + time + 1 + bar;
        Widths {
            value: width.saturating_sub(fixed + 1).max(8),
            time,
            bar,
        }
    }

    fn format(&self) -> &'static str {
        if self.time >= 11 {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        }
    }
}

/// The value's buckets squeezed into `width` cells (each cell the sum of its buckets), drawn on a log
/// scale relative to the value's busiest cell.
pub fn activity_bar(stats: &Stats, buckets: usize, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let buckets = buckets.max(1);
    let per_cell = buckets.div_ceil(width);
    let cells: Vec<u64> = (0..buckets.div_ceil(per_cell))
        .map(|c| {
            let range = c * per_cell..((c + 1) * per_cell).min(stats.buckets.len());
            stats
                .buckets
                .get(range)
                .map_or(0, |b| b.iter().map(|&n| u64::from(n)).sum())
        })
        .collect();
    let peak = cells.iter().copied().max().unwrap_or(0);
    let mut bar: String = cells.iter().map(|&n| log_scale::cell(n, peak)).collect();
    let drawn = bar.chars().count();
    bar.extend(std::iter::repeat_n(' ', width.saturating_sub(drawn)));
    bar
}

impl CountsView<'_> {
    fn tabs(&self) -> Line<'static> {
        let mut spans = vec![Span::raw(" ")];
        for dimension in Dimension::ALL {
            let label = format!(
                " {} {} ",
                group_name(dimension),
                self.counts.distinct(dimension)
            );
            let style = if dimension == self.dimension {
                theme::selected()
            } else {
                theme::dim()
            };
            spans.push(Span::styled(label, style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(
            format!("· {} entries counted", self.counts.total()),
            theme::dim(),
        ));
        Line::from(spans)
    }

    fn heading(&self, widths: &Widths) -> String {
        format!(
            " {} {:>COUNT$} {:>SHARE$} {} {} {}",
            fit("VALUE", widths.value),
            "COUNT",
            "SHARE",
            fit("FIRST", widths.time),
            fit("LAST", widths.time),
            fit("ACTIVITY (log)", widths.bar),
        )
    }
}

impl Widget for CountsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 3 || area.width < 20 {
            return;
        }
        buf.set_line(area.x, area.y, &self.tabs(), area.width);
        let widths = Widths::fit(area.width);
        let heading = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        buf.set_style(heading, theme::heading());
        buf.set_string(
            area.x,
            area.y + 1,
            fit(&self.heading(&widths), usize::from(area.width)),
            theme::heading(),
        );
        let rows = usize::from(area.height - 2);
        let values = self.counts.top(self.store, self.dimension, self.top);
        if values.is_empty() {
            let text = "nothing to count: the view is empty";
            buf.set_string(area.x + 1, area.y + 2, text, theme::dim());
            return;
        }
        let first = self.row.saturating_sub(rows.saturating_sub(1));
        let buckets = self.counts.bucket_count();
        let format = widths.format();
        for (i, value) in values.iter().enumerate().skip(first).take(rows) {
            let y = area.y + 2 + (i - first) as u16;
            let shown = if value.value.is_empty() {
                "(none)".to_owned()
            } else {
                clean(value.value).into_owned()
            };
            let line = Line::from(vec![
                Span::raw(" "),
                Span::raw(fit(&shown, widths.value)),
                Span::raw(format!(" {:>COUNT$}", value.stats.count)),
                Span::raw(format!(" {:>5.1}%", value.share * 100.0)),
                Span::styled(
                    format!(
                        " {}",
                        fit(&self.zone.format(value.stats.first, format), widths.time)
                    ),
                    theme::dim(),
                ),
                Span::styled(
                    format!(
                        " {}",
                        fit(&self.zone.format(value.stats.last, format), widths.time)
                    ),
                    theme::dim(),
                ),
                Span::raw(" "),
                Span::styled(
                    activity_bar(value.stats, buckets, widths.bar),
                    theme::activity(),
                ),
            ]);
            let row_area = Rect {
                y,
                height: 1,
                ..area
            };
            buf.set_line(area.x, y, &line, area.width);
            if i == self.row {
                buf.set_style(row_area, theme::selected());
            } else {
                buf.set_style(row_area, Style::new());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_squeeze_buckets_into_cells_on_a_log_scale() {
        let stats = Stats {
            count: 5013,
            first: 0,
            last: 0,
            buckets: vec![1, 0, 0, 0, 5000, 0, 12, 0],
        };
        // One cell per bucket: the burst is full, the single entry still shows.
        let bar = activity_bar(&stats, 8, 8);
        assert_eq!(bar.chars().next(), Some('▁'));
        assert_eq!(bar.chars().nth(4), Some('█'));
        assert!(bar.chars().nth(6) > Some('▁'), "{bar}");
        assert_eq!(bar.chars().nth(1), Some(' '));
        // Two buckets per cell, padded to the width asked.
        assert_eq!(activity_bar(&stats, 8, 4).chars().count(), 4);
        assert_eq!(activity_bar(&stats, 8, 20).chars().count(), 20);
        assert_eq!(activity_bar(&stats, 8, 0), "");
    }
}
