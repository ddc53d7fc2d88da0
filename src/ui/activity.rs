//! The header strip: entries per minute for the current filter, so a burst shows before it is read.
//! Drawn on a log scale (a burst of thousands leaves the quiet minutes visible), between the times of
//! its first and last minute, with the minute of the selected entry marked and its count spelled out.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::clock::Zone;
use crate::timestamp::UnixNanos;
use crate::ui::{log_scale, theme};

const MINUTE: i64 = 60 * 1_000_000_000;
/// Below this many bar cells, the time labels are left out: the bars matter more.
const LABELLED_MIN_CELLS: u16 = 8;
/// "HH:MM " before the bars and " HH:MM" after.
const LABELS_WIDTH: u16 = 12;
/// Minutes per cell, the fewest that fit every counted minute into the room there is.
const BUCKET_MINUTES: [i64; 14] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 240];

pub struct Activity<'a> {
    /// Counts per minute, oldest first, the current minute last.
    pub per_minute: &'a [u64],
    /// The end (exclusive) of the last minute counted.
    pub end: UnixNanos,
    /// What is being watched (the source, for the title).
    pub source: &'a str,
    /// The zone the list shows times in: the labels read the same.
    pub zone: Zone,
    /// The time of the selected entry: its bucket is marked and read out.
    pub cursor: Option<UnixNanos>,
}

/// Some minutes summed into one cell of the strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    /// Its first minute, counted from the epoch (buckets line up with the clock: 10:00, 10:05, ...).
    minute: i64,
    count: u64,
}

impl Activity<'_> {
    /// The minutes the strip spans: from the first with any activity to the current one (a quiet
    /// morning before a burst takes no room), with the first one's number from the epoch.
    fn counted(&self) -> (i64, &[u64]) {
        let lead = self
            .per_minute
            .iter()
            .position(|&n| n > 0)
            .unwrap_or(self.per_minute.len().saturating_sub(1));
        let minutes = &self.per_minute[lead..];
        (self.end.div_euclid(MINUTE) - minutes.len() as i64, minutes)
    }

    /// The counts summed into buckets of `width` minutes, oldest first.
    fn buckets(&self, width: i64) -> Vec<Bucket> {
        let (first, minutes) = self.counted();
        let mut out: Vec<Bucket> = Vec::new();
        for (i, &n) in minutes.iter().enumerate() {
            let minute = (first + i as i64).div_euclid(width) * width;
            match out.last_mut() {
                Some(last) if last.minute == minute => last.count += n,
                _ => out.push(Bucket { minute, count: n }),
            }
        }
        out
    }

    /// "09:45 5033/15m · peak 5033" for the cursor's bucket, or "now 40/min · peak 60/6m".
    fn stats(&self, buckets: &[Bucket], width: i64) -> String {
        let peak = buckets.iter().map(|b| b.count).max().unwrap_or(0);
        let unit = if width == 1 {
            "/min".to_owned()
        } else {
            format!("/{width}m")
        };
        match self.cursor_bucket(buckets, width).map(|i| buckets[i]) {
            Some(at) => format!(
                " {} {}{unit} · peak {peak} ",
                self.label(at.minute),
                at.count
            ),
            None => {
                let last = self.per_minute.last().copied().unwrap_or(0);
                format!(" now {last}/min · peak {peak}{unit} ")
            }
        }
    }

    fn label(&self, minute: i64) -> String {
        self.zone.format(minute * MINUTE, "%H:%M")
    }

    /// The bucket holding the cursor, when its time is among the minutes counted.
    fn cursor_bucket(&self, buckets: &[Bucket], width: i64) -> Option<usize> {
        let at = self.cursor?;
        let start = self.end - MINUTE * self.counted().1.len() as i64;
        if !(start..self.end).contains(&at) {
            return None;
        }
        let minute = at.div_euclid(MINUTE).div_euclid(width) * width;
        buckets.iter().position(|b| b.minute == minute)
    }
}

impl Widget for Activity<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let title = Line::from(vec![
            Span::styled(" auditui ", theme::title()),
            Span::styled(self.source.to_owned(), theme::dim()),
            Span::raw(" "),
        ]);
        let title_width = title.width() as u16;
        buf.set_line(area.x, area.y, &title, area.width);
        // The readout's width depends on the bucket width, and the bucket width on the room the
        // readout leaves: take the first (narrowest) bucket width whose strip fits beside its readout.
        let measure = |width| {
            let buckets = self.buckets(width);
            let stats = self.stats(&buckets, width);
            let room = area
                .width
                .saturating_sub(title_width + stats.chars().count() as u16);
            (width, buckets, stats, room)
        };
        let fits = |(_, buckets, _, room): &(i64, Vec<Bucket>, String, u16)| {
            buckets.len() <= usize::from(bar_cells(*room))
        };
        let widest = BUCKET_MINUTES[BUCKET_MINUTES.len() - 1];
        let (width, buckets, stats, room) = BUCKET_MINUTES
            .into_iter()
            .map(measure)
            .find(fits)
            .unwrap_or_else(|| measure(widest));
        let labelled = room >= LABELLED_MIN_CELLS + LABELS_WIDTH;
        let cells = bar_cells(room);
        let skip = buckets.len().saturating_sub(cells.into());
        let shown = &buckets[skip..];
        let peak = shown.iter().map(|b| b.count).max().unwrap_or(0);
        let cursor = self.cursor_bucket(&buckets, width);
        let stats_width = stats.chars().count() as u16;
        if cells > 0 && !shown.is_empty() {
            // Right against the readout: the newest bucket next to its figures.
            let used = shown.len() as u16 + if labelled { LABELS_WIDTH } else { 0 };
            let mut x = area.x + title_width + room.saturating_sub(used);
            if labelled {
                let first = self.label(shown[0].minute);
                buf.set_string(x, area.y, format!("{first} "), theme::dim());
                x += 6;
            }
            for (i, bucket) in shown.iter().enumerate() {
                let marked = cursor == Some(skip + i);
                let style = if marked {
                    theme::selected()
                } else {
                    theme::activity()
                };
                // The marked bucket stays visible even when empty.
                let cell = match log_scale::cell(bucket.count, peak) {
                    ' ' if marked => '·',
                    cell => cell,
                };
                buf.set_string(x + i as u16, area.y, cell.to_string(), style);
            }
            if labelled {
                let newest = self.label(shown[shown.len() - 1].minute);
                buf.set_string(
                    x + shown.len() as u16,
                    area.y,
                    format!(" {newest}"),
                    theme::dim(),
                );
            }
        }
        buf.set_string(
            area.right().saturating_sub(stats_width),
            area.y,
            stats,
            theme::dim(),
        );
    }
}

/// How many bar cells `room` holds once the time labels, when they fit, take their share.
fn bar_cells(room: u16) -> u16 {
    if room >= LABELLED_MIN_CELLS + LABELS_WIDTH {
        room - LABELS_WIDTH
    } else {
        room
    }
}
