//! Everything the screen shows, owned by the app loop alone.

use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use crate::app::action::Notice;
pub use crate::app::archive_window::{ArchiveWindow, Loading, Opening};
use crate::app::detail_doc::DetailDoc;
use crate::app::editor::{History, LineEditor};
use crate::app::keymap::{Context, Keymap};
use crate::app::layout::Areas;
pub use crate::app::marks::Marks;
use crate::clock::Zone;
use crate::export::ExportJob;
use crate::formats::Format as ExportFormat;
use crate::poller::PollStatus;
use crate::query::{Query, QueryError};
use crate::store::counts::{Counts, Dimension};
use crate::store::search::Search;
use crate::store::{Store, View};
use crate::timestamp::UnixNanos;

/// Minutes of activity kept for the header strip.
pub const ACTIVITY_MINUTES: usize = 240;
const MINUTE: i64 = 60 * 1_000_000_000;

/// The filter bar: the text being typed, and what became of it.
#[derive(Debug, Default)]
pub struct Filter {
    pub editor: LineEditor,
    pub focused: bool,
    /// Why the text does not parse; the last good query stays applied meanwhile.
    pub error: Option<QueryError>,
    /// The text of the query applied now.
    pub applied: String,
    /// The text when the bar took the focus, restored by `cancel_filter`.
    pub before_focus: String,
    pub history: History,
    /// When a relative query (`since:15m`) was last resolved against the clock.
    pub resolved_at: UnixNanos,
}

/// Where the log pane stands: the selection is held by id, so arrivals and refilters do not move it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: Option<Uuid>,
    /// The entry the user chose last. While a filter is typed, each keystroke may hide it; it comes back
    /// as soon as it matches again, rather than the selection drifting one keystroke at a time.
    pub anchor: Option<Uuid>,
    /// The screen row (within the page) the selection sits on.
    pub row: usize,
    /// At the bottom, moving with each arrival.
    pub following: bool,
    /// Entries that joined the view below while not following.
    pub new_below: u64,
}

/// The detail view of one entry.
pub struct DetailState {
    pub id: Uuid,
    pub doc: DetailDoc,
    pub scroll: usize,
    pub field: usize,
    /// Scroll so the selected field is in sight (after tab), rather than where the user scrolled.
    pub show_field: bool,
}

/// A fault that leaves nothing to look at (a token rejected before any entry arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub title: String,
    pub message: String,
    pub hint: String,
}

/// What `auditui open` has read so far: the progress, and the lines that are not entries (the first
/// [`crate::open::LISTED`] of them; the progress counts them all).
#[derive(Debug, Clone, Default)]
pub struct Opened {
    pub progress: crate::open::Progress,
    pub bad: Vec<crate::open::BadLine>,
}

/// How many values of a group the counts panel lists (and its cursor can reach).
pub const COUNTS_TOP: usize = 100;

/// The counts panel: the view's figures, kept in step with it batch by batch, and the row chosen.
pub struct CountsPanel {
    pub counts: Counts,
    /// Which group is shown: an index into [`Dimension::ALL`].
    pub group: usize,
    /// The chosen row of that group's top list.
    pub row: usize,
}

impl CountsPanel {
    pub fn dimension(&self) -> Dimension {
        Dimension::ALL[self.group % Dimension::ALL.len()]
    }
}

/// What a one-line prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    GotoTime,
    /// The note of this entry's mark.
    Note(Uuid),
    /// The directory to write an evidence bundle into.
    Evidence,
}

/// A one-line prompt being typed: a search, or a time to go to.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub editor: LineEditor,
    /// Why the text was refused at the last Enter.
    pub error: Option<String>,
}

/// A search within the view: its text, its query, and which positions of the view match.
#[derive(Debug, Clone)]
pub struct SearchState {
    pub text: String,
    pub query: Query,
    pub hits: Search,
}

/// Where `context` returns to: the filter that was in effect and the entry looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextReturn {
    pub filter: String,
    pub id: Uuid,
    /// Same user only (the second step), rather than everything.
    pub same_user: bool,
}

pub enum Mode {
    List,
    Detail(DetailState),
    Counts(CountsPanel),
    /// The last error in full and the malformed entries skipped.
    Problems(crate::app::problems::ProblemsPane),
    /// The list of marks: the row chosen.
    Marks {
        row: usize,
    },
    Help {
        scroll: u16,
        under: Box<Mode>,
    },
    Fatal(Fatal),
}

pub struct State {
    /// Shared so an export can write a snapshot on another thread while entries keep arriving (an
    /// append during an export copies the store once, see `ingest`).
    pub store: Arc<Store>,
    pub query: Query,
    pub view: View,
    pub filter: Filter,
    pub cursor: Cursor,
    pub mode: Mode,
    pub status: PollStatus,
    /// The injected clock: set by ticks, read for relative filters and ages.
    pub now: UnixNanos,
    pub zone: Zone,
    /// The local zone's offset for the detail view; `None` asks the machine (tests fix it).
    pub local_offset: Option<chrono::FixedOffset>,
    pub notice: Option<Notice>,
    /// When the notice was posted, so it can fade.
    pub notice_at: UnixNanos,
    pub keymap: Keymap,
    pub screen: Areas,
    /// Entries per minute for the current view, oldest first.
    pub activity: Vec<u64>,
    /// The end (exclusive) of the last minute counted in `activity`.
    pub activity_end: UnixNanos,
    /// What is being watched, for the header.
    pub source: String,
    /// Where exports are written (created, owner only, at the first export).
    pub export_dir: PathBuf,
    /// The format of the JSON export key: JSON lines as received, or a SIEM schema.
    pub json_export: crate::formats::Format,
    /// Draw in colour (`--color`, `NO_COLOR`); without, meaning is carried by markers and bold alone.
    pub colour: bool,
    /// The archive the history comes from, and how much of it is loaded (`None` without one).
    pub archive: Option<ArchiveWindow>,
    /// The user paused the poller.
    pub polling_paused: bool,
    /// The most bytes the clipboard takes (OSC 52 caps it), set by the loop from its clipboard.
    pub copy_limit: Option<usize>,
    /// Saved files being read (`auditui open`) instead of a poller following the API.
    pub opened: Option<Opened>,
    /// The search or go-to prompt, while it is typed.
    pub prompt: Option<Prompt>,
    /// The search in effect (highlighted, moved through with next/prev match).
    pub search: Option<SearchState>,
    /// Set while `context` shows the entries around one: where to come back to.
    pub context_return: Option<ContextReturn>,
    /// How catching up goes: the lag when it began, and the estimate of the time left.
    pub catch_up: CatchUp,
    /// The malformed entries the poller skipped, the newest [`SKIPPED_KEPT`] of them, for the problems
    /// pane (each is in the log too).
    pub skipped: std::collections::VecDeque<crate::entry::Rejected>,
    /// How many were skipped in all.
    pub skipped_total: u64,
    /// The entries marked in this investigation, with their notes.
    pub marks: Marks,
    /// The case the investigation is kept in (`--case`); without one, marks last for the session.
    pub case: Option<CaseLink>,
    /// Who the token acts as (`whoami`'s fields, the token left out), once the poller has said: an
    /// evidence bundle names the service user with it.
    pub service_user: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Where the investigation is kept: the case's name and the file holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLink {
    pub name: String,
    pub store: PathBuf,
    pub kind: crate::case::Kind,
}

/// How many skipped entries the problems pane keeps to list.
pub const SKIPPED_KEPT: usize = 500;

/// The poller is behind the newest entry: from the lag at the start of catching up and the lag now, how
/// long until it is live (`22h behind · ~3 min to catch up`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// When catching up was first seen, and the lag then.
    pub since: Option<(UnixNanos, std::time::Duration)>,
    pub eta: Option<std::time::Duration>,
}

impl CatchUp {
    /// Takes the lag reported at `now` (`None` once live or unknown).
    pub fn observe(&mut self, now: UnixNanos, lag: Option<std::time::Duration>) {
        let Some(lag) = lag.filter(|l| l.as_secs() >= 60) else {
            *self = CatchUp::default();
            return;
        };
        match self.since {
            Some((start, first)) if lag < first && now > start => {
                let gained = (first - lag).as_secs_f64();
                let took = (now - start) as f64 / 1e9;
                self.eta = Some(std::time::Duration::from_secs_f64(
                    lag.as_secs_f64() * took / gained,
                ));
            }
            // Falling further behind (or no time passed): start measuring again from here.
            Some((_, first)) if lag >= first => {
                *self = CatchUp {
                    since: Some((now, lag)),
                    eta: None,
                };
            }
            Some(_) => {}
            None => self.since = Some((now, lag)),
        }
    }
}

impl State {
    pub fn new(keymap: Keymap, source: &str, now: UnixNanos) -> State {
        let store = Arc::new(Store::new());
        let query = Query::default();
        let view = View::new(&store, &query);
        let mut state = State {
            store,
            query,
            view,
            filter: Filter::default(),
            cursor: Cursor {
                following: true,
                ..Cursor::default()
            },
            mode: Mode::List,
            status: PollStatus::default(),
            now,
            zone: Zone::Utc,
            local_offset: None,
            notice: None,
            notice_at: now,
            keymap,
            screen: Areas::sized(80, 24),
            activity: Vec::new(),
            activity_end: now,
            source: source.to_owned(),
            export_dir: crate::config::default_export_dir(),
            json_export: crate::formats::Format::Jsonl,
            colour: true,
            polling_paused: false,
            copy_limit: None,
            opened: None,
            prompt: None,
            search: None,
            context_return: None,
            catch_up: CatchUp::default(),
            skipped: Default::default(),
            skipped_total: 0,
            marks: Marks::default(),
            case: None,
            service_user: None,
            archive: None,
        };
        state.refresh_activity();
        state
    }

    /// Which key table applies now.
    pub fn context(&self) -> Context {
        if self.prompt.is_some()
            && matches!(self.mode, Mode::List | Mode::Detail(_) | Mode::Marks { .. })
        {
            return Context::Prompt;
        }
        match &self.mode {
            Mode::List if self.filter.focused => Context::Filter,
            Mode::List | Mode::Fatal(_) => Context::List,
            Mode::Detail(_) => Context::Detail,
            Mode::Counts(_) => Context::Counts,
            Mode::Problems(_) => Context::Problems,
            Mode::Marks { .. } => Context::Marks,
            Mode::Help { .. } => Context::Help,
        }
    }

    /// Position of the selected entry in the view.
    pub fn selected_position(&self) -> Option<usize> {
        let id = self.cursor.selected?;
        self.view.position_of(&self.store, id)
    }

    /// The view position of the first row on screen, from the selection and its screen row.
    pub fn top(&self) -> usize {
        let page = self.screen.page().max(1);
        let len = self.view.len();
        match self.selected_position() {
            Some(pos) => {
                let row = self.cursor.row.min(page - 1).min(pos);
                let top = pos - row;
                top.min(len.saturating_sub(page))
            }
            None => len.saturating_sub(page),
        }
    }

    /// The store index of the entry at a view position.
    pub fn index_at(&self, position: usize) -> Option<u32> {
        self.view.indices().get(position).copied()
    }

    pub fn id_at(&self, position: usize) -> Option<Uuid> {
        self.index_at(position).map(|i| self.store.get(i).id())
    }

    /// The view as it is now, to export on another thread: cheap (one copy of the view's positions), so
    /// it can run on the loop.
    pub fn export_job(&self, format: ExportFormat, path: PathBuf) -> ExportJob {
        ExportJob::new(
            Arc::clone(&self.store),
            self.view.indices().to_vec(),
            format,
            path,
        )
    }

    /// Recounts the header strip for the current view (the filter changed, or a minute passed).
    pub fn refresh_activity(&mut self) {
        self.activity_end = (self.now / MINUTE + 1) * MINUTE;
        self.activity = self
            .view
            .per_minute(&self.store, ACTIVITY_MINUTES, self.activity_end);
    }

    /// Counts into the header strip the view's entries from `position` on: an append costs its own
    /// size, not the size of the last four hours.
    pub fn add_activity(&mut self, position: usize) {
        let start = self.activity_end - MINUTE * ACTIVITY_MINUTES as i64;
        for &index in &self.view.indices()[position.min(self.view.len())..] {
            let ts = self.store.get(index).ts();
            if (start..self.activity_end).contains(&ts) {
                self.activity[((ts - start) / MINUTE) as usize] += 1;
            }
        }
    }
}
