//! The log pane: one row per entry, columns fitted to the width. It is handed only the rows that fit on
//! screen, so its cost does not grow with the store.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::clock::Zone;
use crate::entry::Row;
use crate::sanitize::clean;
use crate::ui::theme;

/// Column widths for a given pane width. The data summary takes what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub time: u16,
    pub user: u16,
    pub kind: u16,
    pub ip: u16,
}

/// The two marks before the time: failure or privilege, then first seen.
const MARK: u16 = 2;

/// Drawn right after a time that is the id's because the entry's timestamp could not be read.
pub const UNREADABLE_TIME: &str = "~";

impl Columns {
    pub fn fit(width: u16) -> Columns {
        let time = if width >= 110 { 14 } else { 8 };
        let user = (width / 5).clamp(12, 30);
        let kind = (width / 4).clamp(14, 34);
        let ip = if width >= 64 { 15 } else { 0 };
        Columns {
            time,
            user,
            kind,
            ip,
        }
    }

    fn time_format(self) -> &'static str {
        if self.time >= 14 {
            "%m-%d %H:%M:%S"
        } else {
            "%H:%M:%S"
        }
    }

    fn data(self, width: u16) -> u16 {
        let used = MARK + self.time + 1 + self.user + 1 + self.kind + 1 + self.ip;
        let used = if self.ip > 0 { used + 1 } else { used };
        width.saturating_sub(used)
    }
}

/// The visible slice of the view, ready to draw.
pub struct LogPane<'a> {
    /// The rows that fit, top first.
    pub rows: &'a [Row<'a>],
    /// Which of `rows` is selected.
    pub selected: Option<usize>,
    /// Per row, its first-seen flags (`store::first_seen`); missing rows count as none.
    pub first_seen: &'a [u8],
    /// Per row, whether it matches the search in effect; missing rows do not.
    pub matches: &'a [bool],
    /// Per row, whether the user marked it; missing rows are not marked.
    pub marked: &'a [bool],
    pub zone: Zone,
    /// Shown instead of rows when there are none (loading, nothing matches).
    pub placeholder: &'a str,
    /// Entries that arrived below while following was paused.
    pub new_below: u64,
    /// The key that resumes following, from the keymap.
    pub follow_key: &'a str,
}

impl Widget for LogPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let columns = Columns::fit(area.width);
        let heading = Rect { height: 1, ..area };
        buf.set_style(heading, theme::heading());
        buf.set_line(
            area.x,
            area.y,
            &heading_line(columns, area.width, self.zone),
            area.width,
        );
        let body = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        if self.rows.is_empty() {
            if body.height > 0 {
                let line = Line::styled(self.placeholder, theme::dim());
                let middle = body.y + body.height / 2;
                let x = body.x + body.width.saturating_sub(line.width() as u16) / 2;
                buf.set_line(x, middle, &line, body.right() - x);
            }
            return;
        }
        for (i, row) in self.rows.iter().take(body.height.into()).enumerate() {
            let y = body.y + i as u16;
            let mut style = theme::row(row.kind);
            let hit = self.matches.get(i).copied().unwrap_or(false);
            if hit {
                style = style.patch(theme::search_hit());
            }
            if self.selected == Some(i) {
                style = style.patch(theme::selected());
            }
            let line_area = Rect {
                y,
                height: 1,
                ..body
            };
            buf.set_style(line_area, style);
            let flags = self.first_seen.get(i).copied().unwrap_or(0);
            let marked = self.marked.get(i).copied().unwrap_or(false);
            let line = row_line(row, flags, marked, columns, body.width, self.zone);
            buf.set_line(body.x, y, &line, body.width);
            if hit {
                buf.set_style(line_area, theme::search_hit());
            }
            if self.selected == Some(i) {
                buf.set_style(line_area, theme::selected());
            }
        }
        if self.new_below > 0 {
            let text = format!(
                " {} new below · {} to follow ",
                self.new_below, self.follow_key
            );
            let width = text.chars().count() as u16;
            let x = body.right().saturating_sub(width);
            let y = body.bottom() - 1;
            buf.set_string(x, y, text, theme::key().patch(theme::bar()));
        }
    }
}

fn heading_line(columns: Columns, width: u16, zone: Zone) -> Line<'static> {
    // The zone must stay readable: when `TIME local` does not fit, the zone alone names the column.
    let mut time = format!("TIME {}", zone.label());
    if time.len() > usize::from(columns.time) {
        time = zone.label().to_ascii_uppercase();
    }
    let mut spans = vec![
        Span::raw("  "),
        cell(&time, columns.time),
        Span::raw(" "),
        cell("USER", columns.user),
        Span::raw(" "),
        cell("TYPE", columns.kind),
        Span::raw(" "),
    ];
    if columns.ip > 0 {
        spans.push(cell("IP", columns.ip));
        spans.push(Span::raw(" "));
    }
    spans.push(cell("DATA", columns.data(width)));
    Line::from(spans)
}

fn row_line<'a>(
    row: &Row<'_>,
    flags: u8,
    marked: bool,
    columns: Columns,
    width: u16,
    zone: Zone,
) -> Line<'a> {
    let first = if marked {
        Span::styled(theme::MARKED, theme::marked())
    } else {
        Span::raw(theme::marker(row.kind))
    };
    let mut spans = vec![
        first,
        Span::styled(theme::new_marker(flags), theme::new_mark()),
        cell(&zone.format(row.ts, columns.time_format()), columns.time),
        Span::raw(if row.ts_readable {
            " "
        } else {
            UNREADABLE_TIME
        }),
        cell(&clean(row.user), columns.user),
        Span::raw(" "),
        cell(&clean(row.kind), columns.kind).style(theme::kind(row.kind)),
        Span::raw(" "),
    ];
    if columns.ip > 0 {
        spans.push(cell(&clean(row.ip), columns.ip));
        spans.push(Span::raw(" "));
    }
    let data_width = columns.data(width);
    if data_width > 0 {
        spans.push(cell(&summary(row.data), data_width).style(theme::dim()));
    }
    Line::from(spans)
}

/// Text cut or padded to exactly `width` columns, ending in `…` when cut.
fn cell(text: &str, width: u16) -> Span<'static> {
    Span::styled(fit(text, usize::from(width)), Style::new())
}

pub(crate) fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::with_capacity(width);
    let mut used = 0;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        out.push_str(text);
        used = total;
    } else {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        if width > 0 {
            out.push('…');
            used += 1;
        }
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// `data` as `key=value key=value`, compact and safe to draw.
pub fn summary(data_json: &str) -> String {
    let value: serde_json::Value = match serde_json::from_str(data_json) {
        Ok(v) => v,
        Err(_) => return clean(data_json).into_owned(),
    };
    let text = match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    clean(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_leave_room_for_data_at_80_columns() {
        let columns = Columns::fit(80);
        assert!(columns.ip > 0, "the IP stays at 80 columns");
        assert!(columns.data(80) >= 10, "{columns:?}");
        let narrow = Columns::fit(50);
        assert_eq!(narrow.ip, 0, "the IP goes first when narrow");
    }

    #[test]
    fn cells_are_cut_with_an_ellipsis_or_padded() {
        assert_eq!(fit("alice", 8), "alice   ");
        assert_eq!(fit("alice@example.com", 8), "alice@e…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("ab", 0), "");
    }

    #[test]
    fn data_summaries_are_flat_and_clean() {
        assert_eq!(
            summary(r#"{"route":"/api/v1/logs","num":3,"x":{"y":1}}"#),
            r#"route=/api/v1/logs num=3 x={"y":1}"#
        );
        assert_eq!(summary("null"), "");
        assert_eq!(summary(r#"{"evil":"\u001b[2J"}"#), r"evil=\x1b[2J");
    }
}
