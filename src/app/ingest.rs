//! What the poller and the clock bring: entries, rejects, status, a stop; the minute ticking by.

use std::sync::Arc;

use crate::app::quick;
use crate::app::state::{Fatal, Mode, State};
use crate::poller::{ConnState, PollEvent};
use crate::query::Query;

/// How often a relative filter (`since:15m`) is re-read against the clock, so its window slides.
const RELATIVE_REFRESH_NANOS: i64 = 10 * 1_000_000_000;
/// How long a message stays in the status bar.
const NOTICE_NANOS: i64 = 10 * 1_000_000_000;

impl State {
    pub(super) fn poll(&mut self, event: PollEvent) {
        match event {
            PollEvent::Entries(entries) => {
                let before = self.view.len();
                let from = self.store.len() as u32;
                let appended = Arc::make_mut(&mut self.store).append(entries);
                if appended.added == 0 {
                    return;
                }
                if appended.reordered {
                    // Entries landed between old ones: positions moved, so the view is rebuilt.
                    self.view.refilter(&self.store, &self.query);
                    self.refresh_activity();
                } else {
                    self.view.extend(&self.store, &self.query, from);
                    self.add_activity(before);
                }
                let grown = self.view.len().saturating_sub(before) as u64;
                if self.cursor.following {
                    self.follow();
                } else {
                    if self.cursor.selected.is_none() {
                        self.reselect();
                    }
                    self.cursor.new_below += grown;
                }
            }
            PollEvent::Rejected(rejected) => {
                self.rejected += rejected.len() as u64;
                let reason = rejected
                    .first()
                    .map_or("", |r| r.reason.as_str())
                    .to_owned();
                self.notify(
                    format!(
                        "{} malformed entries skipped ({reason}); details in the log",
                        rejected.len()
                    ),
                    true,
                );
            }
            PollEvent::Status(status) => self.status = status,
            // The TUI keeps no resume file: a restart starts from `--since` again.
            PollEvent::Position(_) => {}
            PollEvent::Stopped { reason } => {
                let reason = reason.unwrap_or_else(|| "the poller stopped".to_owned());
                let failed = self.status.state == ConnState::Failed
                    || reason.contains("401")
                    || reason.contains("403");
                self.status.state = ConnState::Failed;
                if failed && self.store.is_empty() {
                    self.mode = Mode::Fatal(fatal(&reason));
                } else {
                    self.notify(format!("stopped: {reason}"), true);
                }
            }
        }
    }

    pub(super) fn tick(&mut self, now: crate::timestamp::UnixNanos) {
        let minute = 60 * 1_000_000_000;
        let new_minute = now / minute != self.now / minute;
        self.now = now;
        if self
            .notice
            .as_ref()
            .is_some_and(|_| now - self.notice_at >= NOTICE_NANOS)
        {
            self.notice = None;
        }
        if quick::is_relative(&self.filter.applied)
            && now - self.filter.resolved_at >= RELATIVE_REFRESH_NANOS
        {
            let applied = self.filter.applied.clone();
            if let Ok(query) = Query::parse(&applied, now) {
                self.filter.resolved_at = now;
                if query != self.query {
                    self.query = query;
                    self.refilter();
                    return;
                }
            }
        }
        if new_minute {
            self.refresh_activity();
        }
    }
}

/// The full-screen message for a poller that cannot start.
fn fatal(reason: &str) -> Fatal {
    let (title, hint) = if reason.contains("401") {
        (
            "Token rejected",
            "Check HARVEY_API_TOKEN (or --token-file): the API did not accept the token. Make a new one \
             in the workspace settings under API Tokens.",
        )
    } else if reason.contains("403") {
        (
            "Permission missing",
            "The token works but may not read audit logs: they need Territory admin or Organization \
             admin permission.",
        )
    } else {
        (
            "Cannot follow the audit log",
            "Run `auditui doctor` to check the host, the token and the permission.",
        )
    };
    Fatal {
        title: title.to_owned(),
        message: reason.to_owned(),
        hint: hint.to_owned(),
    }
}
