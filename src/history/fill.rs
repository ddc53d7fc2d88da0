//! The archive's writer in the TUI: between the live poller and the app loop, each page and its
//! position are committed to the archive before they are passed on (without this tool's own fetches).
//! Asked to ([`PollControl::Fetch`]), it fetches what the archive lacks of the window as `sync
//! --fill-gaps` does: a second poller seeded at the gap, each page committed to the gap's stretch,
//! until it reaches the next stretch. The live poller is paused meanwhile and the gap's poller gets
//! what the live one left of the budget, so the two together stay within it.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc::{self, Receiver, Sender};

use super::load::{self, ArchiveEvent, Missing};
use crate::archive::{Seed, Writer};
use crate::client::Client;
use crate::entry::{Entry, Rejected};
use crate::poller::{self, ConnState, PollControl, PollEvent, PollerConfig, SelfFilter, Start};
use crate::timestamp::UnixNanos;

/// What the writer needs to fetch a missing stretch: the client, and how the live poller runs.
pub struct Fetcher {
    pub client: Client,
    pub budget_per_minute: u32,
    pub interval: Duration,
    pub log_type: Option<String>,
    /// Where the live stretch begins (the seed the writer was given before the first page).
    pub live_seed: Seed,
}

/// Sits between the poller and the app loop; returns the link the app loop reads and controls. A
/// commit that fails is logged and shown, and following goes on in memory.
pub fn write_through(
    writer: Writer,
    (mut events, poller): (Receiver<PollEvent>, Sender<PollControl>),
    note: String,
    own: Option<SelfFilter>,
    fetcher: Fetcher,
) -> (Receiver<PollEvent>, Sender<PollControl>) {
    let (to_app, from_writer) = mpsc::channel(64);
    let (control, mut controls) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut through = Through {
            live: Side::new(fetcher.live_seed),
            writer,
            to_app,
            poller,
            note,
            own,
            fetcher,
            hidden: 0,
            failed: None,
            on_gap: false,
            gap: None,
            queue: VecDeque::new(),
            window: 0,
            user_paused: false,
            live_requests: 0,
        };
        loop {
            let went_on = tokio::select! {
                event = events.recv() => match event {
                    Some(event) => through.live_event(event).await,
                    None => false,
                },
                message = controls.recv() => match message {
                    Some(message) => through.control(message).await,
                    None => false,
                },
                event = gap_recv(&mut through.gap), if through.gap.is_some() => {
                    through.gap_event(event).await
                }
            };
            if !went_on {
                if let Some(gap) = through.gap.take() {
                    let _ = gap.control.try_send(PollControl::Stop);
                }
                return;
            }
        }
    });
    (from_writer, control)
}

/// What one poller brought since its last position.
struct Side {
    /// Where its stretch is, for the writer to go back to it.
    seed: Seed,
    entries: Vec<Entry>,
    rejected: Vec<Rejected>,
}

impl Side {
    fn new(seed: Seed) -> Side {
        Side {
            seed,
            entries: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// A missing part being fetched.
struct Gap {
    events: Receiver<PollEvent>,
    control: Sender<PollControl>,
    side: Side,
    missing: Missing,
}

async fn gap_recv(gap: &mut Option<Gap>) -> Option<PollEvent> {
    match gap {
        Some(gap) => gap.events.recv().await,
        None => std::future::pending().await,
    }
}

struct Through {
    writer: Writer,
    to_app: Sender<PollEvent>,
    /// The live poller's control.
    poller: Sender<PollControl>,
    note: String,
    own: Option<SelfFilter>,
    fetcher: Fetcher,
    live: Side,
    hidden: u64,
    /// Why the archive is no longer written.
    failed: Option<String>,
    /// The writer is growing the gap's stretch, not the live one.
    on_gap: bool,
    gap: Option<Gap>,
    queue: VecDeque<Missing>,
    /// The window the fetch was asked for.
    window: UnixNanos,
    user_paused: bool,
    /// The live poller's requests in the last minute, as it last said.
    live_requests: u32,
}

/// Sends to the app loop; false when it is gone.
async fn send(to_app: &Sender<PollEvent>, events: Vec<PollEvent>) -> bool {
    for event in events {
        if to_app.send(event).await.is_err() {
            return false;
        }
    }
    true
}

impl Through {
    /// Commits a page of one side (the gap's when `gap`), the writer moved to that side's stretch first.
    fn commit(&mut self, gap: bool, position: uuid::Uuid) {
        if self.failed.is_some() {
            return;
        }
        let result = (|| {
            let side = match (gap, self.gap.as_mut()) {
                (true, Some(g)) => &mut g.side,
                _ => &mut self.live,
            };
            if self.on_gap != gap {
                self.writer.follow(side.seed)?;
                self.on_gap = gap;
            }
            self.writer
                .commit_page(&side.entries, &side.rejected, position)?;
            side.seed = Seed::Resume(position);
            Ok::<(), crate::archive::ArchiveError>(())
        })();
        if let Err(err) = result {
            tracing::error!("archive not written: {err}");
            self.failed = Some(err.to_string());
        }
    }

    /// The entries and rejects of a side, without this tool's own fetches, for the app loop.
    fn pass_on(&mut self, gap: bool) -> Vec<PollEvent> {
        let side = match (gap, self.gap.as_mut()) {
            (true, Some(g)) => &mut g.side,
            _ => &mut self.live,
        };
        let mut entries = std::mem::take(&mut side.entries);
        let rejected = std::mem::take(&mut side.rejected);
        if let Some(own) = &self.own {
            let before = entries.len();
            entries.retain(|e| !own.is_own(e));
            self.hidden += (before - entries.len()) as u64;
        }
        let mut out = Vec::new();
        if !entries.is_empty() {
            out.push(PollEvent::Entries(entries));
        }
        if !rejected.is_empty() {
            out.push(PollEvent::Rejected(rejected));
        }
        out
    }

    async fn live_event(&mut self, event: PollEvent) -> bool {
        let out = match event {
            PollEvent::Entries(batch) => {
                self.live.entries.extend(batch);
                return true;
            }
            PollEvent::Rejected(batch) => {
                self.live.rejected.extend(batch);
                return true;
            }
            PollEvent::Position(position) => {
                self.commit(false, position);
                let mut out = self.pass_on(false);
                out.push(PollEvent::Position(position));
                out
            }
            PollEvent::Status(mut status) => {
                self.live_requests = status.requests_last_minute;
                if status.state == ConnState::Live && self.failed.is_none() {
                    let result = (|| {
                        if self.on_gap {
                            self.writer.follow(self.live.seed)?;
                            self.on_gap = false;
                        }
                        self.writer.caught_up(crate::clock::now())
                    })();
                    if let Err(err) = result {
                        self.failed = Some(err.to_string());
                    }
                }
                status.self_hidden += self.hidden;
                status.archive = Some(match &self.failed {
                    None => self.note.clone(),
                    Some(err) => format!("archive not written: {err}"),
                });
                vec![PollEvent::Status(status)]
            }
            other => vec![other],
        };
        send(&self.to_app, out).await
    }

    async fn control(&mut self, message: PollControl) -> bool {
        match message {
            PollControl::Fetch { window, missing } => {
                if self.gap.is_some() {
                    return true;
                }
                if let Some(err) = &self.failed {
                    let event = PollEvent::Archive(ArchiveEvent::Fetched {
                        window,
                        missing,
                        error: Some(format!("archive not written: {err}")),
                    });
                    return send(&self.to_app, vec![event]).await;
                }
                self.window = window;
                self.queue = missing.into();
                return self.next_gap().await;
            }
            PollControl::Pause => self.user_paused = true,
            PollControl::Resume => self.user_paused = false,
            _ => {}
        }
        if let Some(gap) = &self.gap {
            let _ = gap.control.try_send(message.clone());
            // The live poller stays paused while a gap is fetched.
            if message == PollControl::Resume {
                return true;
            }
        }
        let _ = self.poller.send(message).await;
        true
    }

    /// Starts fetching the next missing part, or says the fetch is over.
    async fn next_gap(&mut self) -> bool {
        let Some(missing) = self.queue.pop_front() else {
            return self.fetched(None).await;
        };
        let (start, seed) = match (missing.after, missing.from) {
            (Some(hi), _) => (Start::After(hi), Seed::Resume(hi)),
            (None, UnixNanos::MIN) => (Start::Earliest, Seed::Earliest),
            (None, from) => match poller::stream::start_since(from, crate::clock::now()).0 {
                Start::Since(at) => (Start::Since(at), Seed::Since(at)),
                _ => (Start::Earliest, Seed::Earliest),
            },
        };
        let mut config = PollerConfig::new(start);
        // The live poller is paused: what it spent in the last minute (and one request in flight)
        // stays counted, so the two together keep to the budget.
        config.budget_per_minute = self
            .fetcher
            .budget_per_minute
            .saturating_sub(self.live_requests + 1)
            .max(1);
        config.interval = self.fetcher.interval;
        config.log_type = self.fetcher.log_type.clone();
        config.show_self = true;
        let (events, control) = poller::spawn(self.fetcher.client.clone(), config);
        if !self.user_paused {
            let _ = self.poller.send(PollControl::Pause).await;
        }
        tracing::info!(
            "fetching the missing stretch {}..{} into the archive",
            missing.from,
            missing.to
        );
        self.gap = Some(Gap {
            events,
            control,
            side: Side::new(seed),
            missing,
        });
        true
    }

    async fn gap_event(&mut self, event: Option<PollEvent>) -> bool {
        let Some(event) = event else {
            return self
                .gap_done(Some("the fetch ended unexpectedly".into()))
                .await;
        };
        let Some(gap) = self.gap.as_mut() else {
            return true;
        };
        match event {
            PollEvent::Entries(batch) => gap.side.entries.extend(batch),
            PollEvent::Rejected(batch) => gap.side.rejected.extend(batch),
            PollEvent::Position(position) => {
                let missing = gap.missing;
                let newest = gap.side.entries.iter().map(|e| e.ts).max();
                self.commit(true, position);
                let out = self.pass_on(true);
                if !send(&self.to_app, out).await {
                    return false;
                }
                // Done once paging reaches the stretch after the gap, or the time it starts at.
                let reached = missing.before.is_some_and(|lo| position >= lo)
                    || newest.is_some_and(|ts| ts >= missing.to);
                if reached || self.failed.is_some() {
                    return self.gap_done(self.failed.clone()).await;
                }
            }
            // Caught up with the present: nothing older is missing.
            PollEvent::Status(status) if status.state == ConnState::Live => {
                return self.gap_done(None).await;
            }
            PollEvent::Stopped { reason } => {
                return self.gap_done(reason.map(|r| r.to_string())).await;
            }
            _ => {}
        }
        true
    }

    async fn gap_done(&mut self, error: Option<String>) -> bool {
        if let Some(gap) = self.gap.take() {
            let _ = gap.control.try_send(PollControl::Stop);
        }
        if error.is_some() {
            self.queue.clear();
            return self.fetched(error).await;
        }
        self.next_gap().await
    }

    /// The fetch is over: the live poller goes on, and the app loop hears what is still missing.
    async fn fetched(&mut self, error: Option<String>) -> bool {
        if !self.user_paused {
            let _ = self.poller.send(PollControl::Resume).await;
        }
        let missing = load::missing(self.writer.archive(), self.window, crate::clock::now())
            .unwrap_or_default();
        let event = PollEvent::Archive(ArchiveEvent::Fetched {
            window: self.window,
            missing,
            error,
        });
        send(&self.to_app, vec![event]).await
    }
}
