//! What the poller says, and what it can be told.

use std::time::Duration;

use uuid::Uuid;

use crate::entry::{Entry, Rejected};
use crate::timestamp::UnixNanos;

/// A message from the poller to whoever consumes the stream.
#[derive(Debug, Clone)]
pub enum PollEvent {
    /// New entries, in ascending id order, each delivered once.
    Entries(Vec<Entry>),
    /// A block of saved entries already parsed into a store of its own (`auditui open`'s loader; the
    /// poller never sends it).
    Loaded(Box<crate::open::Loaded>),
    /// A block read from the archive, or the end of a fetch into it (the TUI's archive tasks; the
    /// poller never sends it).
    Archive(crate::history::load::ArchiveEvent),
    /// Entries the API sent that could not be parsed.
    Rejected(Vec<Rejected>),
    /// Who the token acts as: `whoami`'s fields, any holding the token left out (sent once, first, when
    /// the poller was given them; an evidence manifest names the service user with them).
    Identified(serde_json::Map<String, serde_json::Value>),
    /// Everything up to and including this id has been delivered by the events before this one (hidden
    /// and rejected entries included): where to resume after a restart.
    Position(Uuid),
    /// The poller's state changed.
    Status(PollStatus),
    /// The poller stopped for good: `None` when it was told to, otherwise why.
    Stopped { reason: Option<StopReason> },
}

/// Why the poller stopped without being told to. Typed, so what the user is shown depends on what
/// happened, never on the words of a server message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The API refused the token (401).
    TokenRejected(String),
    /// The token may not read the audit log (403).
    PermissionMissing(String),
    /// Another answer retrying cannot change (a 400, an unexpected status), with its text.
    Refused(String),
    /// The poller ended without saying why (its task panicked or was dropped).
    Vanished,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::TokenRejected(text)
            | StopReason::PermissionMissing(text)
            | StopReason::Refused(text) => f.write_str(text),
            StopReason::Vanished => f.write_str("the poller ended unexpectedly: see the log"),
        }
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    #[default]
    Connecting,
    /// Caught up with the newest entry, polling at the idle interval.
    Live,
    /// Draining a backlog as fast as the budget allows.
    CatchingUp,
    /// Waiting after a failure before trying again.
    Retrying {
        attempt: u32,
    },
    Paused,
    /// Cannot go on without the user (401, 403).
    Failed,
}

/// Everything the status bar and `tail`'s stderr show about the poller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollStatus {
    pub state: ConnState,
    /// Wall-clock time of the last successful request.
    pub last_ok: Option<UnixNanos>,
    /// How far the newest delivered entry is behind the newest known entry (None when unknown).
    pub lag: Option<Duration>,
    pub requests_last_minute: u32,
    pub budget_per_minute: u32,
    pub retries: u64,
    pub rate_limited: u64,
    /// The last fault's text in full (sanitized, the token scrubbed): the status line cuts it, the
    /// problems pane shows it whole.
    pub last_error: Option<String>,
    /// The last request got no answer at all (network fault, timeout) and no answer came since.
    pub offline: bool,
    /// While retrying: the wall-clock time of the next try.
    pub retry_at: Option<UnixNanos>,
    pub received: u64,
    pub rejected: u64,
    /// The tool's own `api:audit_log_fetch` entries hidden so far.
    pub self_hidden: u64,
    /// What the archive holds of the window and who writes it (`None` without an archive).
    pub archive: Option<String>,
}

/// What the poller can be told.
#[derive(Debug, Clone, PartialEq)]
pub enum PollControl {
    Pause,
    Resume,
    /// A new idle interval.
    SetInterval(Duration),
    /// Fetch what the archive lacks of the window starting at `window` (the TUI's archive writer
    /// takes it; a bare poller ignores it).
    Fetch {
        window: UnixNanos,
        missing: Vec<crate::history::load::Missing>,
    },
    Stop,
}
