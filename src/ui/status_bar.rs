//! The status bar: how the connection stands, then the last message or the main keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::action::Notice;
use crate::app::problems::retry_label;
use crate::app::state::Opened;
use crate::clock::ago;
use crate::poller::{ConnState, PollStatus};
use crate::sanitize::clean;
use crate::timestamp::UnixNanos;
use crate::ui::log_pane::fit;
use crate::ui::theme;

pub struct StatusBar<'a> {
    pub status: &'a PollStatus,
    pub now: UnixNanos,
    pub notice: Option<&'a Notice>,
    /// Where the user stands, right after the connection: `row 5 of 12`, following or paused, the
    /// loaded time range, the search. Paused parts are drawn as warnings.
    pub place: &'a [String],
    /// The estimated time left to catch up, when behind by a minute or more.
    pub catch_up: Option<std::time::Duration>,
    /// (keys, what they do) for the hint line when there is no notice.
    pub hints: &'a [(String, &'static str)],
    /// Saved files being read (`auditui open`): shown instead of the connection.
    pub opened: Option<&'a Opened>,
    /// The keys of the problems pane (the last error in full, the malformed entries).
    pub problems_key: &'a str,
}

impl StatusBar<'_> {
    /// Where the reading of saved files stands: a progress count, then what was loaded.
    fn loading(opened: &Opened, problems_key: &str) -> Line<'static> {
        let p = &opened.progress;
        let files = if p.files == 1 { "file" } else { "files" };
        let mut spans = vec![if p.done {
            Span::styled(
                format!(
                    " ● {} entries read from {} {files}",
                    thousands(p.read),
                    p.files
                ),
                theme::ok(),
            )
        } else {
            let percent = (p.bytes_read * 100).checked_div(p.bytes_total).unwrap_or(0);
            Span::styled(
                format!(
                    " ◐ loading: {} entries read ({percent}%)",
                    thousands(p.read)
                ),
                theme::warning(),
            )
        }];
        spans.push(Span::styled(" · ", theme::dim()));
        spans.push(Span::raw("offline"));
        if p.bad > 0 {
            spans.push(Span::styled(" · ", theme::dim()));
            spans.push(Span::styled(
                format!(
                    "{} malformed ({problems_key} lists them; in the log and on exit too)",
                    thousands(p.bad)
                ),
                theme::error(),
            ));
        }
        Line::from(spans)
    }

    fn connection(&self) -> Line<'static> {
        if let Some(opened) = self.opened {
            return Self::loading(opened, self.problems_key);
        }
        let s = self.status;
        let (symbol, label, style) = match &s.state {
            ConnState::Connecting => ("◌", "connecting".to_owned(), theme::warning()),
            ConnState::Live => ("●", "live".to_owned(), theme::ok()),
            ConnState::CatchingUp => ("◐", "catching up".to_owned(), theme::warning()),
            ConnState::Retrying { .. } => (
                "◌",
                retry_label(s, self.now).unwrap_or_default(),
                theme::warning(),
            ),
            ConnState::Paused => ("‖", "paused".to_owned(), theme::warning()),
            ConnState::Failed => ("✗", "stopped".to_owned(), theme::error()),
        };
        let mut spans = vec![Span::styled(format!(" {symbol} {label}"), style)];
        let mut part = |text: String, style: Style| {
            spans.push(Span::styled(" · ", theme::dim()));
            spans.push(Span::styled(text, style));
        };
        // Retrying: where the whole error is, before the rest of the line can push it out of sight.
        if matches!(s.state, ConnState::Retrying { .. }) && s.last_error.is_some() {
            part(format!("{} full error", self.problems_key), theme::key());
        }
        // Behind by more than a minute, how far comes first: it is what the user waits for.
        if let Some(lag) = s.lag.filter(|l| l.as_secs() >= 60) {
            let mut text = format!("{} behind", span(lag));
            if let Some(eta) = self.catch_up {
                text.push_str(&format!(" · ~{} to catch up", span(eta)));
            }
            part(text, theme::warning());
        }
        for place in self.place {
            let style = if place.starts_with("paused") || place.starts_with("context") {
                theme::warning()
            } else {
                Style::new()
            };
            part(clean(place).into_owned(), style);
        }
        match s.last_ok {
            Some(t) => part(format!("polled {} ago", ago(self.now, t)), Style::new()),
            None => part("not polled yet".into(), theme::dim()),
        }
        if let Some(lag) = s.lag.filter(|l| l.as_secs() < 60) {
            part(format!("lag {}s", lag.as_secs()), Style::new());
        }
        let budget_style =
            if s.requests_last_minute >= s.budget_per_minute && s.budget_per_minute > 0 {
                theme::warning()
            } else {
                Style::new()
            };
        part(
            format!("{}/{} req/min", s.requests_last_minute, s.budget_per_minute),
            budget_style,
        );
        if s.retries > 0 || s.rate_limited > 0 {
            part(
                format!("retries {} (429s {})", s.retries, s.rate_limited),
                theme::warning(),
            );
        }
        if s.rejected > 0 {
            part(
                format!("{} malformed ({} lists)", s.rejected, self.problems_key),
                theme::error(),
            );
        }
        if s.self_hidden > 0 {
            part(
                format!(
                    "{} own {} hidden",
                    s.self_hidden,
                    if s.self_hidden == 1 {
                        "fetch"
                    } else {
                        "fetches"
                    }
                ),
                theme::dim(),
            );
        }
        if let Some(archive) = &s.archive {
            part(clean(archive).into_owned(), theme::dim());
        }
        if let Some(error) = &s.last_error {
            part(format!("last error: {}", clean(error)), theme::error());
        }
        Line::from(spans)
    }

    fn second_line(&self, width: u16) -> Line<'static> {
        if let Some(notice) = self.notice {
            let style = if notice.is_error {
                theme::error()
            } else {
                theme::ok()
            };
            // A notice longer than the line ends in `…`, so a cut message never reads as a whole one.
            let width = usize::from(width).saturating_sub(1);
            let text = fit(&clean(&notice.text), width);
            return Line::styled(format!(" {}", text.trim_end()), style);
        }
        let mut spans = vec![Span::raw(" ")];
        for (keys, label) in self.hints {
            spans.push(Span::styled(keys.clone(), theme::key()));
            spans.push(Span::styled(format!(" {label}  "), theme::dim()));
        }
        Line::from(spans)
    }
}

/// 1234567 as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A span of time as a person says it: `22h`, `3 min`, `40s`, `3d`.
pub fn span(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{} min", s.div_ceil(60)),
        3600..172_800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        buf.set_style(area, theme::bar());
        buf.set_line(area.x, area.y, &self.connection(), area.width);
        if area.height > 1 {
            buf.set_line(
                area.x,
                area.y + 1,
                &self.second_line(area.width),
                area.width,
            );
        }
    }
}
