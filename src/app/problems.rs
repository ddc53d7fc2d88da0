//! The problems pane: why the poller is not getting through (the last error, whole, where the status
//! line has to cut it) and the malformed entries it skipped. Built here as lines, drawn by `ui::problems`.

use crate::app::detail_doc::wrap;
use crate::app::keymap::Command;
use crate::app::state::{Mode, State};
use crate::poller::{ConnState, PollStatus};
use crate::sanitize::clean;
use crate::timestamp::UnixNanos;

/// Where the problems pane is scrolled to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemsPane {
    /// The first line shown.
    pub scroll: usize,
}

/// How a line of the pane reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Heading,
    Text,
    /// A fault's own words.
    Error,
    /// Derived or secondary (excerpts, "none").
    Dim,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemLine {
    pub kind: ProblemKind,
    pub text: String,
}

/// "offline · retrying in 12s (attempt 3)" while the poller waits to try again after a fault, `None`
/// otherwise. Offline when the last request got no answer at all.
pub fn retry_label(status: &PollStatus, now: UnixNanos) -> Option<String> {
    let ConnState::Retrying { attempt } = status.state else {
        return None;
    };
    let when = match status.retry_at {
        Some(at) if at > now => format!(
            "retrying in {}s",
            ((at - now) as u64).div_ceil(1_000_000_000)
        ),
        _ => "retrying now".to_owned(),
    };
    let what = if status.offline {
        "offline"
    } else {
        "the API failed"
    };
    Some(format!("{what} · {when} (attempt {attempt})"))
}

impl State {
    pub(super) fn open_problems(&mut self) {
        self.mode = Mode::Problems(ProblemsPane::default());
    }

    pub(super) fn problems_command(&mut self, command: Command) {
        let page = usize::from(self.screen.detail_text().height.max(1));
        let last = self
            .problem_lines(self.screen.detail_text().width)
            .len()
            .saturating_sub(page);
        let Mode::Problems(pane) = &mut self.mode else {
            return;
        };
        match command {
            Command::Close => self.mode = Mode::List,
            Command::Help => self.open_help(),
            Command::Down => pane.scroll = (pane.scroll + 1).min(last),
            Command::Up => pane.scroll = pane.scroll.saturating_sub(1),
            Command::Top => pane.scroll = 0,
            Command::Bottom => pane.scroll = last,
            _ => {}
        }
    }

    /// The pane's text wrapped to `width` columns: every piece of server text cleaned (control
    /// characters escaped, the token scrubbed).
    pub fn problem_lines(&self, width: u16) -> Vec<ProblemLine> {
        let width = usize::from(width.max(8));
        let mut lines = Vec::new();
        let mut push = |kind, text: &str| {
            for piece in wrap(text, width) {
                lines.push(ProblemLine { kind, text: piece });
            }
        };
        push(ProblemKind::Heading, "Connection");
        if self.opened.is_some() {
            push(ProblemKind::Text, "none: reading saved files");
        } else {
            self.connection_lines(&mut push);
        }
        push(ProblemKind::Text, "");
        push(ProblemKind::Heading, "Last error");
        match &self.status.last_error {
            Some(error) => push(ProblemKind::Error, &clean(error)),
            None => push(ProblemKind::Dim, "none"),
        }
        push(ProblemKind::Text, "");
        let listed = self.skipped.len() as u64;
        push(
            ProblemKind::Heading,
            &if listed < self.skipped_total {
                format!(
                    "Malformed entries skipped: {} (the newest {listed} listed, newest first)",
                    self.skipped_total
                )
            } else {
                format!("Malformed entries skipped: {}", self.skipped_total)
            },
        );
        if self.skipped.is_empty() {
            push(ProblemKind::Dim, "none");
        }
        for rejected in self.skipped.iter().rev() {
            let id = rejected
                .shown_id()
                .unwrap_or_else(|| "no readable id".to_owned());
            push(
                ProblemKind::Text,
                &format!("{} · {}", clean(&id), clean(&rejected.reason)),
            );
            push(ProblemKind::Dim, &format!("  {}", clean(&rejected.excerpt)));
        }
        if let Some(opened) = &self.opened
            && !opened.bad.is_empty()
        {
            push(ProblemKind::Text, "");
            push(
                ProblemKind::Heading,
                &format!("Lines that are not entries: {}", opened.progress.bad),
            );
            for line in &opened.bad {
                push(ProblemKind::Text, &line.to_string());
            }
        }
        lines
    }

    /// The connection's state and its retries, for the pane.
    fn connection_lines(&self, push: &mut impl FnMut(ProblemKind, &str)) {
        let state = retry_label(&self.status, self.now).unwrap_or_else(|| {
            match self.status.state {
                ConnState::Connecting => "connecting",
                ConnState::Live => "live",
                ConnState::CatchingUp => "catching up",
                ConnState::Paused => "paused",
                ConnState::Failed => "stopped",
                ConnState::Retrying { .. } => "retrying",
            }
            .to_owned()
        });
        push(ProblemKind::Text, &state);
        let s = &self.status;
        push(
            ProblemKind::Dim,
            &format!(
                "{} retries so far ({} rate limited)",
                s.retries, s.rate_limited
            ),
        );
    }
}
