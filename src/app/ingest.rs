//! What the poller and the clock bring: entries, rejects, status, a stop; the minute ticking by.

use std::sync::Arc;

use crate::app::keymap::{Command, Context};
use crate::app::quick;
use crate::app::state::{Fatal, Mode, SKIPPED_KEPT, State};
use crate::clock::ago;
use crate::history::load::ArchiveEvent;
use crate::poller::{ConnState, PollEvent, StopReason};
use crate::query::Query;
use crate::store::Appended;

/// How often a relative filter (`since:15m`) is re-read against the clock, so its window slides.
const RELATIVE_REFRESH_NANOS: i64 = 10 * 1_000_000_000;
/// How long a message stays in the status bar.
const NOTICE_NANOS: i64 = 10 * 1_000_000_000;

impl State {
    /// Takes a poller message; returns whether the screen changed.
    pub(super) fn poll(&mut self, event: PollEvent) -> bool {
        match event {
            PollEvent::Entries(entries) => {
                let (before, from) = (self.view.len(), self.store.len() as u32);
                let appended = Arc::make_mut(&mut self.store).append(entries);
                return self.took(appended, before, from);
            }
            PollEvent::Loaded(loaded) => {
                let crate::open::Loaded {
                    block,
                    bad,
                    progress,
                } = *loaded;
                let (before, from) = (self.view.len(), self.store.len() as u32);
                if self.store.is_empty() {
                    reserve_ahead(Arc::make_mut(&mut self.store), &block, &progress);
                }
                let appended = Arc::make_mut(&mut self.store).absorb(block);
                let opened = self.opened.get_or_insert_with(Default::default);
                for line in &bad {
                    tracing::warn!("not an entry, skipped: {line}");
                }
                let room = crate::open::LISTED.saturating_sub(opened.bad.len());
                opened.bad.extend(bad.into_iter().take(room));
                let done = progress.done;
                opened.progress = progress;
                self.took(appended, before, from);
                if done {
                    // Growing by blocks left spare capacity: give it back once everything is in.
                    Arc::make_mut(&mut self.store).shrink_to_fit();
                }
            }
            PollEvent::Archive(ArchiveEvent::Block(block)) => return self.archive_block(*block),
            PollEvent::Archive(ArchiveEvent::Fetched {
                window,
                missing,
                error,
            }) => return self.archive_fetched(window, missing, error),
            PollEvent::Rejected(rejected) => {
                let reason = rejected
                    .first()
                    .map_or("", |r| r.reason.as_str())
                    .to_owned();
                self.notify(
                    format!(
                        "{} malformed entries skipped ({reason}); {} lists them",
                        rejected.len(),
                        self.keymap.hint(Context::List, Command::Problems)
                    ),
                    true,
                );
                self.skipped_total += rejected.len() as u64;
                for r in rejected {
                    if self.skipped.len() == SKIPPED_KEPT {
                        self.skipped.pop_front();
                    }
                    self.skipped.push_back(r);
                }
            }
            PollEvent::Status(status) => {
                self.catch_up.observe(self.now, status.lag);
                self.status = status;
            }
            // The TUI keeps no resume file: a restart starts from `--since` again.
            PollEvent::Position(_) => return false,
            PollEvent::Identified(fields) => {
                self.service_user = Some(fields);
                return false;
            }
            PollEvent::Stopped { reason } => {
                self.status.state = ConnState::Failed;
                match reason.as_ref().and_then(fatal) {
                    // Nothing to look at and nothing the program can do: say what to fix, full screen.
                    Some(fatal) if self.store.is_empty() => self.mode = Mode::Fatal(fatal),
                    _ => {
                        let text =
                            reason.map_or("the poller stopped".to_owned(), |r| r.to_string());
                        self.notify(format!("stopped: {text}"), true);
                    }
                }
            }
        }
        true
    }

    /// Shows what an append added: the view grows (or is rebuilt when entries landed between old
    /// ones), and the selection follows or counts what arrived below. Returns whether anything was added.
    pub(super) fn took(&mut self, appended: Appended, before: usize, from: u32) -> bool {
        if appended.added == 0 {
            return false;
        }
        if appended.reordered {
            // Entries landed between old ones: positions moved, so the view is rebuilt.
            self.view.refilter(&self.store, &self.query);
            self.refresh_activity();
            self.refresh_search();
        } else {
            self.view.extend(&self.store, &self.query, from);
            self.add_activity(before);
            if let Some(search) = &mut self.search {
                search
                    .hits
                    .extend(&self.store, &self.view, &search.query, before);
            }
        }
        self.update_counts();
        let grown = self.view.len().saturating_sub(before) as u64;
        if self.cursor.following {
            self.follow();
        } else {
            if self.cursor.selected.is_none() {
                self.reselect();
            }
            self.cursor.new_below += grown;
        }
        true
    }

    /// The clock moved; returns whether the screen changed (a notice faded, a relative filter slid, a
    /// minute passed, or the age of the last poll reads differently).
    pub(super) fn tick(&mut self, now: crate::timestamp::UnixNanos) -> bool {
        let minute = 60 * 1_000_000_000;
        let new_minute = now / minute != self.now / minute;
        let age = |at| self.status.last_ok.map(|t| ago(at, t));
        let aged = age(now) != age(self.now);
        // The retry countdown (`retrying in 12s`) reads differently each second.
        let countdown = |at| crate::app::problems::retry_label(&self.status, at);
        let counted = countdown(now) != countdown(self.now);
        self.now = now;
        let mut changed = aged || new_minute || counted;
        if self
            .notice
            .as_ref()
            .is_some_and(|_| now - self.notice_at >= NOTICE_NANOS)
        {
            self.notice = None;
            changed = true;
        }
        if quick::is_relative(&self.filter.applied)
            && now - self.filter.resolved_at >= RELATIVE_REFRESH_NANOS
        {
            let applied = self.filter.applied.clone();
            if let Ok(query) = Query::parse(&applied, now) {
                let query = query.with_marked(self.marks.ids());
                self.filter.resolved_at = now;
                if query != self.query {
                    self.query = query;
                    self.refilter();
                    return true;
                }
            }
        }
        if new_minute {
            self.refresh_activity();
        }
        changed
    }
}

/// Before the first block of a load: room for what the files will hold, told from what the first
/// block holds for its bytes, so that the store's columns grow once rather than by doubling (each
/// old copy a hole in the heap: most of the resident memory over the store's own, measured).
fn reserve_ahead(
    store: &mut crate::store::Store,
    first: &crate::store::Store,
    progress: &crate::open::Progress,
) {
    let (read, total) = (progress.bytes_read, progress.bytes_total);
    if progress.done || first.is_empty() || read == 0 || total <= read {
        return;
    }
    // A little over the estimate: falling short costs a doubling at the end of the load.
    let scale = |n: usize| ((n as u128 * u128::from(total) * 9 / 8) / u128::from(read)) as usize;
    // A line holds 32 bytes at least, whatever the sample says.
    let most = (total / 32) as usize;
    let (data, odd) = first.data_and_odd();
    store.reserve_ahead(
        scale(first.len()).min(most),
        scale(data).min(total as usize),
        scale(odd).min(most),
    );
}

/// The full-screen message for a poller that cannot start, by why it stopped; `None` for a poller that
/// vanished (a fault of the program, not of the user's setup: reported in the status bar).
fn fatal(reason: &StopReason) -> Option<Fatal> {
    let (title, hint) = match reason {
        StopReason::TokenRejected(_) => (
            "Token rejected",
            "Check HARVEY_API_TOKEN (or --token-file): the API did not accept the token. Make a new one \
             in the workspace settings under API Tokens.",
        ),
        StopReason::PermissionMissing(_) => (
            "Permission missing",
            "The token works but may not read audit logs: they need Territory admin or Organization \
             admin permission.",
        ),
        StopReason::Refused(_) => (
            "Cannot follow the audit log",
            "Run `auditui doctor` to check the host, the token and the permission.",
        ),
        StopReason::Vanished => return None,
    };
    Some(Fatal {
        title: title.to_owned(),
        message: reason.to_string(),
        hint: hint.to_owned(),
    })
}
