//! The background task that follows the audit stream.
//!
//! It talks to the rest of the program only through owned messages ([`PollEvent`]) and a control channel
//! ([`PollControl`]); it never shares state with the UI. Start it with [`spawn`]:
//!
//! ```no_run
//! # async fn example(connection: auditui::config::Connection) -> anyhow::Result<()> {
//! use auditui::client::{Client, ClientOptions};
//! use auditui::poller::{self, PollEvent, PollerConfig, Start, identify_self, session_agent};
//!
//! // A User-Agent unique to this session is how its own fetch entries are recognized.
//! let agent = session_agent();
//! let client = Client::new(ClientOptions {
//!     user_agent: Some(agent.clone()),
//!     ..ClientOptions::from_connection(&connection)
//! })?;
//! let mut config = PollerConfig::new(Start::Latest);
//! config.self_filter = identify_self(&client, agent).await;
//! let (mut events, control) = poller::spawn(client, config);
//! while let Some(event) = events.recv().await {
//!     match event {
//!         PollEvent::Entries(entries) => { /* new entries, ascending by id, each once */ }
//!         PollEvent::Rejected(rejected) => { /* malformed entries: count and show them */ }
//!         PollEvent::Position(_) => { /* everything up to this id was delivered */ }
//!         PollEvent::Loaded(_) => { /* only `auditui open`'s loader sends these */ }
//!         PollEvent::Archive(_) => { /* only the TUI's archive tasks send these */ }
//!         PollEvent::Identified(_) => { /* whoami's fields, when `config.service_user` holds them */ }
//!         PollEvent::Status(status) => { /* connection state, counters, last error */ }
//!         PollEvent::Stopped { reason } => break,
//!     }
//! }
//! # drop(control);
//! # Ok(())
//! # }
//! ```

mod client_source;
mod driver;
#[cfg(test)]
mod driver_tests;
mod messages;
mod schedule;
mod source;
pub(crate) mod state_file;
pub mod stream;

use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::cli::WatchArgs;
use crate::timespec::{TimeSpecError, parse_instant};
use crate::timestamp::UnixNanos;

pub use client_source::{
    client_backoff, identify, identify_self, identify_self_resuming, session_agent,
};
pub use messages::{ConnState, PollControl, PollEvent, PollStatus, StopReason};
pub use schedule::BackoffPolicy;
pub use source::{AuditSource, Fault, Refusal, SourceError};
pub use stream::{FETCH_TYPE, PAGE_SIZE, SelfFilter, Start};

/// Events waiting for the consumer before the poller waits for it (nothing is dropped).
const EVENT_CAPACITY: usize = 64;
const CONTROL_CAPACITY: usize = 16;

/// How the poller follows the stream.
pub struct PollerConfig {
    pub start: Start,
    /// What the user should be told about the start (a `--since` beyond the reach of `/search`).
    pub start_note: Option<String>,
    /// Only this entry type, filtered by the server.
    pub log_type: Option<String>,
    /// Requests allowed in any 60-second window.
    pub budget_per_minute: u32,
    /// The window the budget is counted over: a minute, as the API counts; end-to-end tests against the
    /// simulator compress it (`tail --budget-window`).
    pub budget_window: Duration,
    /// Time between polls when caught up.
    pub interval: Duration,
    /// Deliver the tool's own `api:audit_log_fetch` entries instead of hiding them.
    pub show_self: bool,
    /// How to recognize the tool's own entries.
    pub self_filter: SelfFilter,
    /// `whoami`'s fields for the token (see [`identify`]), passed on first as [`PollEvent::Identified`].
    pub service_user: Option<serde_json::Map<String, serde_json::Value>>,
    /// Entries asked per page (at most [`PAGE_SIZE`]).
    pub page_size: u16,
    /// Wait after consecutive failures (default: the client's jittered exponential policy).
    pub backoff: BackoffPolicy,
}

impl PollerConfig {
    /// The defaults: 30 requests a minute, a poll every 5 s when caught up, own fetches hidden.
    pub fn new(start: Start) -> PollerConfig {
        PollerConfig {
            start,
            log_type: None,
            budget_per_minute: 30,
            budget_window: schedule::BUDGET_WINDOW,
            interval: Duration::from_secs(5),
            show_self: false,
            self_filter: SelfFilter::default(),
            service_user: None,
            page_size: PAGE_SIZE,
            backoff: client_backoff(),
            start_note: None,
        }
    }
}

/// Watch options that cannot be followed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WatchError {
    #[error("--since: {0}")]
    Since(#[from] TimeSpecError),
    #[error("--interval must be a positive number of seconds, not {0}")]
    Interval(f64),
}

impl PollerConfig {
    /// The configuration the watch options ask for (`--since`, `--from-start`, `--type`, `--show-self`,
    /// `--budget`, `--interval`), shared by the TUI and `tail`. `now` anchors `--since 2h`.
    pub fn from_watch(watch: &WatchArgs, now: UnixNanos) -> Result<PollerConfig, WatchError> {
        let interval = Duration::try_from_secs_f64(watch.interval)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or(WatchError::Interval(watch.interval))?;
        let start = match (&watch.since, watch.from_start) {
            (Some(since), _) => stream::start_since(parse_instant(since, now)?, now),
            (None, true) => (Start::Earliest, None),
            (None, false) => (Start::Latest, None),
        };
        let (start, start_note) = start;
        let mut config = PollerConfig::new(start);
        config.start_note = start_note;
        config.log_type = watch.log_type.clone();
        config.show_self = watch.show_self;
        config.budget_per_minute = watch.budget;
        config.interval = interval;
        Ok(config)
    }
}

impl fmt::Debug for PollerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollerConfig")
            .field("start", &self.start)
            .field("log_type", &self.log_type)
            .field("budget_per_minute", &self.budget_per_minute)
            .field("budget_window", &self.budget_window)
            .field("interval", &self.interval)
            .field("show_self", &self.show_self)
            .field("self_filter", &self.self_filter)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// Starts the poller on the current tokio runtime. Entries, status and the final stop arrive on the
/// receiver; control goes through the sender. Dropping the sender stops the poller, as does dropping the
/// receiver.
pub fn spawn<S: AuditSource>(
    source: S,
    config: PollerConfig,
) -> (mpsc::Receiver<PollEvent>, mpsc::Sender<PollControl>) {
    let (event_tx, event_rx) = mpsc::channel(EVENT_CAPACITY);
    let (control_tx, control_rx) = mpsc::channel(CONTROL_CAPACITY);
    tokio::spawn(driver::Driver::new(source, config, event_tx, control_rx).run());
    (event_rx, control_tx)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn watch(argv: &[&str]) -> WatchArgs {
        match Cli::parse_from(["auditui", "tail"].iter().chain(argv)).command {
            Some(Command::Tail(args)) => args.watch,
            _ => unreachable!("tail parses as tail"),
        }
    }

    const NOW: UnixNanos = 1_764_000_000_000_000_000;

    #[test]
    fn watch_options_become_the_configuration() {
        let cases: [(&[&str], Start); 4] = [
            (&[], Start::Latest),
            (&["--from-start"], Start::Earliest),
            (&["--since", "15m"], Start::Since(NOW - 900_000_000_000)),
            (
                &["--since", "2025-11-24T09:00"],
                Start::Since(1_763_974_800_000_000_000),
            ),
        ];
        for (argv, start) in cases {
            let config = PollerConfig::from_watch(&watch(argv), NOW).unwrap();
            assert_eq!(config.start, start, "{argv:?}");
        }
        let argv = [
            "--type",
            "auth:failed",
            "--show-self",
            "--budget",
            "12",
            "--interval",
            "0.5",
        ];
        let config = PollerConfig::from_watch(&watch(&argv), NOW).unwrap();
        assert_eq!(config.log_type.as_deref(), Some("auth:failed"));
        assert!(config.show_self);
        assert_eq!(config.budget_per_minute, 12);
        assert_eq!(config.interval, Duration::from_millis(500));
    }

    #[test]
    fn watch_options_that_cannot_be_followed_say_why() {
        let cases: [(&[&str], &str); 4] = [
            (&["--interval", "0"], "--interval must be a positive"),
            (&["--interval=-1"], "--interval must be a positive"),
            (&["--interval", "NaN"], "--interval must be a positive"),
            (&["--since", "yesterday"], "--since: expected a duration"),
        ];
        for (argv, message) in cases {
            let err = PollerConfig::from_watch(&watch(argv), NOW).unwrap_err();
            assert!(err.to_string().contains(message), "{argv:?}: {err}");
        }
    }
}
