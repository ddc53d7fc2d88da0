//! How much of the archive is loaded: widening the time window asks the archive for the older stretch,
//! a missing stretch can be fetched from the API, and the status bar says where both stand.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::action::Effect;
use crate::app::keymap::{Command, Context};
use crate::app::state::State;
use crate::history::load::{Block, LoadRequest, Missing};
use crate::poller::PollControl;
use crate::timestamp::UnixNanos;

const DAY: i64 = 86_400 * 1_000_000_000;

/// The archive behind the TUI and what of it is in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveWindow {
    pub path: PathBuf,
    /// Leave the fetches of the sessions that wrote it out, as the live view hides its own.
    pub hide_own: bool,
    /// Who else writes the archive (a `sync`); `None` when this process does, and so can fetch into it.
    pub holder: Option<String>,
    /// The archived entries from this time on are loaded, or on their way.
    pub from: UnixNanos,
    /// Loads under way.
    pub loading: Vec<Loading>,
    /// What of the window from `from` the archive holds no stretch of (as the last load found).
    pub missing: Vec<Missing>,
    /// A fetch of the missing parts is under way.
    pub fetching: bool,
    /// `fetch_missing` was pressed while loading: it fetches once the load says what is missing.
    pub fetch_wanted: bool,
    /// Where the first load (the window the session opens with) stands.
    pub opening: Opening,
}

/// Where the first load stands: the poller starts once its first rows are on screen, and what it
/// brings is taken once the history is in (so the history appends in id order, without re-sorting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// The app loop has not started it yet.
    Waiting,
    Reading,
    /// Its first block is on screen.
    Shown,
    Done,
}

/// A load under way: the start of its range, and its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loading {
    pub from: UnixNanos,
    pub read: u64,
    pub total: u64,
}

impl ArchiveWindow {
    /// Over the archive at `path`, loading from `from` (the load is the caller's to start).
    pub fn new(path: PathBuf, from: UnixNanos, hide_own: bool, holder: Option<String>) -> Self {
        ArchiveWindow {
            path,
            hide_own,
            holder,
            from,
            loading: vec![Loading {
                from,
                read: 0,
                total: 0,
            }],
            missing: Vec::new(),
            fetching: false,
            fetch_wanted: false,
            opening: Opening::Waiting,
        }
    }

    /// The request that loads the window from `from` (the first load of a session).
    pub fn first_load(&self) -> LoadRequest {
        LoadRequest {
            path: self.path.clone(),
            from: self.from,
            to: None,
            hide_own: self.hide_own,
        }
    }
}

impl State {
    /// What the app loop does first: the first load of the archive, when there is one to read.
    pub fn start(&mut self) -> Vec<Effect> {
        match self.archive.as_mut() {
            Some(window) if window.opening == Opening::Waiting => {
                window.opening = Opening::Reading;
                vec![Effect::LoadArchive(window.first_load())]
            }
            _ => Vec::new(),
        }
    }

    /// Whether the poller may start: once the archive's first rows are on screen (at once without one).
    pub fn live_may_start(&self) -> bool {
        self.archive
            .as_ref()
            .is_none_or(|w| matches!(w.opening, Opening::Shown | Opening::Done))
    }

    /// Whether what the poller brings is taken: once the history of the first window is in.
    pub fn live_may_flow(&self) -> bool {
        self.archive
            .as_ref()
            .is_none_or(|w| w.opening == Opening::Done)
    }

    /// The committed time window starts at `since`: when that is before what is loaded, the older
    /// stretch is asked of the archive (in the background; its blocks merge in id order).
    pub(super) fn widen_to(&mut self, since: UnixNanos) -> Vec<Effect> {
        let Some(window) = self.archive.as_mut() else {
            return Vec::new();
        };
        if since >= window.from {
            return Vec::new();
        }
        let request = LoadRequest {
            path: window.path.clone(),
            from: since,
            to: Some(window.from),
            hide_own: window.hide_own,
        };
        window.loading.push(Loading {
            from: since,
            read: 0,
            total: 0,
        });
        window.from = since;
        window.missing.clear();
        vec![Effect::LoadArchive(request)]
    }

    /// Takes a block of a load; returns whether the screen changed.
    pub(super) fn archive_block(&mut self, block: Block) -> bool {
        let Block {
            from,
            block: entries,
            read,
            total,
            done,
            missing,
            error,
            to,
        } = block;
        let (before, first) = (self.view.len(), self.store.len() as u32);
        let appended = Arc::make_mut(&mut self.store).absorb(entries);
        if let Some(window) = self.archive.as_mut() {
            // The first load is the one open-ended in time: every later one ends where it began.
            if to.is_none() {
                window.opening = if done { Opening::Done } else { Opening::Shown };
            }
            if let Some(loading) = window.loading.iter_mut().find(|l| l.from == from) {
                loading.read = read;
                loading.total = total;
            }
            if done {
                window.loading.retain(|l| l.from != from);
                if from == window.from {
                    window.missing = missing;
                }
            }
        }
        if let Some(error) = error {
            self.notify(format!("archive not read: {error}"), true);
        }
        self.took(appended, before, first);
        true
    }

    /// Fetching the missing parts of the window ended.
    pub(super) fn archive_fetched(
        &mut self,
        from: UnixNanos,
        missing: Vec<Missing>,
        error: Option<String>,
    ) -> bool {
        let Some(window) = self.archive.as_mut() else {
            return false;
        };
        window.fetching = false;
        if from == window.from {
            window.missing = missing;
        }
        match error {
            Some(error) => self.notify(format!("missing stretch not fetched: {error}"), true),
            None => self.notify("missing stretch fetched into the archive".into(), false),
        }
        true
    }

    /// `fetch_missing`: asks the writer to fetch what the archive lacks of the window.
    pub(super) fn fetch_missing(&mut self) -> Vec<Effect> {
        if let Some(window) = self.archive.as_mut()
            && !window.loading.is_empty()
            && window.holder.is_none()
        {
            window.fetch_wanted = true;
            self.notify(
                "the archive is loading: what it lacks is fetched once it is loaded".into(),
                false,
            );
            return Vec::new();
        }
        let problem = match &self.archive {
            None => Some("no archive in use: nothing to fetch into".to_owned()),
            Some(w) if w.missing.is_empty() => {
                Some("the archive holds the whole window: nothing to fetch".into())
            }
            Some(w) if w.fetching => Some("already fetching the missing stretch".into()),
            Some(ArchiveWindow {
                holder: Some(holder),
                ..
            }) => Some(format!(
                "{} writes this archive: only the writer can fetch into it",
                crate::sanitize::clean(holder)
            )),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            self.notify(problem, true);
            return Vec::new();
        }
        let Some(window) = self.archive.as_mut() else {
            return Vec::new();
        };
        window.fetching = true;
        let request = PollControl::Fetch {
            window: window.from,
            missing: window.missing.clone(),
        };
        let text = format!("fetching {} from the API…", self.missing_text());
        self.notify(text, false);
        vec![Effect::Control(request)]
    }

    /// After a poller message: a fetch asked for during a load starts once the loads are done.
    pub(super) fn after_load(&mut self) -> Vec<Effect> {
        match self.archive.as_mut() {
            Some(window) if window.fetch_wanted && window.loading.is_empty() => {
                window.fetch_wanted = false;
                if window.missing.is_empty() {
                    return Vec::new();
                }
                self.fetch_missing()
            }
            _ => Vec::new(),
        }
    }

    /// The missing parts as times: `06:00–09:12`, or how many and how long.
    fn missing_text(&self) -> String {
        let Some(window) = &self.archive else {
            return String::new();
        };
        match window.missing.as_slice() {
            [one] => self.range_text(one.from, one.to),
            many => {
                let minutes: i64 = many.iter().map(|m| (m.to - m.from) / 60_000_000_000).sum();
                format!("{} stretches ({minutes} min)", many.len())
            }
        }
    }

    fn range_text(&self, from: UnixNanos, to: UnixNanos) -> String {
        let from = if from == UnixNanos::MIN {
            "the start of the log".to_owned()
        } else {
            self.time_text(from)
        };
        format!("{from}–{}", self.time_text(to))
    }

    /// A time of the window: the clock time today, the date too when older.
    fn time_text(&self, at: UnixNanos) -> String {
        let format = if self.now - at >= DAY {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        };
        self.zone.format(at, format)
    }

    /// What the status bar says of the archive, the part to act on or wait for first: what the
    /// archive lacks of the window and the key that fetches it, the fetch or the load under way (with a
    /// count); then, once nothing is under way, from when the archive is loaded.
    pub fn archive_place(&self) -> Vec<String> {
        self.archive_news()
            .into_iter()
            .chain(self.archive_loaded())
            .collect()
    }

    /// What the archive lacks, or what is being fetched or loaded: first in the status bar.
    pub fn archive_news(&self) -> Option<String> {
        let window = self.archive.as_ref()?;
        if window.fetching {
            return Some(format!("fetching {}", self.missing_text()));
        }
        if let Some(first) = window.missing.first() {
            // Before every stretch: where the archive begins, and the stretch the key fetches. A gap
            // within the window: the gap, and the key.
            let (lacks, what) = match (first.after, window.missing.len()) {
                (None, 1) if first.to > window.from => (
                    format!("archive holds from {}", self.time_text(first.to)),
                    self.missing_text(),
                ),
                (_, 1) => (
                    format!("archive lacks {}", self.missing_text()),
                    "it".into(),
                ),
                _ => (
                    format!("archive lacks {}", self.missing_text()),
                    "them".into(),
                ),
            };
            let how = match &window.holder {
                None => format!(
                    "{} fetches {what}",
                    self.keymap.hint(Context::List, Command::FetchMissing),
                ),
                Some(holder) => format!("written by {}", crate::sanitize::clean(holder)),
            };
            return Some(format!("{lacks} · {how}"));
        }
        if window.loading.is_empty() {
            return None;
        }
        let (read, total) = window
            .loading
            .iter()
            .fold((0, 0), |(r, t), l| (r + l.read, t + l.total));
        Some(match total {
            0 => "loading archive".to_owned(),
            total => format!("loading archive: {read} of {total}"),
        })
    }

    /// From when the archive is loaded, once no load is under way.
    pub fn archive_loaded(&self) -> Option<String> {
        let window = self.archive.as_ref().filter(|w| w.loading.is_empty())?;
        Some(if window.from == UnixNanos::MIN {
            "loaded: all".to_owned()
        } else {
            format!("loaded from {}", self.time_text(window.from))
        })
    }
}
