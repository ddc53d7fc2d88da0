//! The command line: one place that says every subcommand and option.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "auditui",
    version,
    about = "Watch and investigate a Harvey workspace's audit log from the terminal",
    long_about = "Watch and investigate a Harvey workspace's audit log from the terminal.\n\n\
        With no subcommand, opens the investigation TUI on the live API (token from HARVEY_API_TOKEN \
        or --token-file). `auditui demo` runs the same TUI against a built-in simulator: no token, no network.\n\n\
        An option of a subcommand may also be written before it (`auditui --region eu doctor`); one that \
        does not apply to it is refused."
)]
pub struct Cli {
    /// The API options in effect, wherever they were written (before or after the subcommand).
    #[command(flatten)]
    pub api: ApiArgs,

    /// Where to write the log (never the screen). Default: auditui.log in the user's state or cache directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Colour on the screen and in messages: auto (a terminal, unless NO_COLOR is set), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    #[command(flatten)]
    pub watch: WatchArgs,

    #[command(flatten)]
    pub export: ExportArgs,

    #[command(flatten)]
    pub archive: TuiArchive,

    #[command(flatten)]
    pub case: CaseArg,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The `--color` choice written in `args`, for clap's own messages.
fn clap_colour(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut value = None;
    for (i, arg) in args.iter().enumerate() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if let Some(v) = arg.strip_prefix("--color=") {
            value = Some(v.to_owned());
        } else if arg == "--color" {
            value = args.get(i + 1).map(|v| v.to_string_lossy().into_owned());
        }
    }
    match value.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to a terminal (`is_terminal`), given `NO_COLOR`'s value.
    pub fn enabled(self, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: set and not empty means no colour.
            ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    /// [`ColorChoice::enabled`] for stderr and the real environment.
    pub fn for_stderr(self) -> bool {
        use std::io::IsTerminal;
        self.enabled(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message on an error.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|err| err.exit())
    }

    /// Like clap's parse, but an option of the subcommand written before it is taken as if written after
    /// it, and one that does not apply to the subcommand is refused (it would be silently ignored).
    /// The API options end in `cli.api` wherever they were written; the watch and export options in the
    /// subcommand's own arguments.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        // clap colours its own help and errors: `--color` must reach it before parsing (NO_COLOR it
        // honours by itself).
        let mut command = Cli::command().color(clap_colour(&args));
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let Some((sub, sub_matches)) = matches.subcommand() else {
            return Ok(cli);
        };
        let sub_command = command
            .find_subcommand(sub)
            .expect("the parsed subcommand exists")
            .clone();
        let top: Vec<clap::Arg> = command.get_arguments().cloned().collect();
        for arg in &top {
            let id = arg.get_id().as_str();
            if arg.is_global_set() || matches.value_source(id) != Some(ValueSource::CommandLine) {
                continue;
            }
            let flag = arg.get_long().unwrap_or(id);
            if !sub_command.get_arguments().any(|a| a.get_id() == id) {
                return Err(command.error(
                    ErrorKind::ArgumentConflict,
                    format!(
                        "--{flag} does not apply to `auditui {sub}` (see auditui {sub} --help)"
                    ),
                ));
            }
            if sub_matches.value_source(id) == Some(ValueSource::CommandLine) {
                return Err(command.error(
                    ErrorKind::ArgumentConflict,
                    format!("--{flag} is given both before and after `{sub}`"),
                ));
            }
            let Cli {
                watch,
                export,
                archive,
                case,
                command,
                ..
            } = &mut cli;
            if let Some(Command::Demo(demo)) = command {
                demo.archive.take(archive, id);
            }
            if id == CaseArg::ID
                && let Some(inner) = command.as_mut().and_then(Command::case_mut)
            {
                inner.name = case.name.clone();
            }
            if let Some(command) = command {
                if let Some(inner) = command.watch_mut() {
                    inner.take(watch, id);
                }
                if let Some(inner) = command.export_mut() {
                    inner.take(export, id);
                }
            }
        }
        if let Some(inner) = cli.command.as_ref().and_then(Command::api) {
            cli.api.merge(inner);
        }
        Ok(cli)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The TUI against a built-in simulator of the API (no token, no network)
    Demo(DemoArgs),
    /// Serve a simulator of the Audit Log API on 127.0.0.1
    Simulate(SimulateArgs),
    /// Stream entries to stdout as they arrive (JSON lines or CSV)
    Tail(TailArgs),
    /// Filter saved entries (JSON lines, JSON arrays, {"log": entry}) from files or stdin
    Query(QueryArgs),
    /// The TUI over saved files (JSON lines, arrays, {"log": entry}) and archive files: no network
    Open(OpenArgs),
    /// Check the host, the token and the audit-log permission
    Doctor(DoctorArgs),
    /// Follow the API into the archive: backfill, then keep following (one writer per archive)
    Sync(SyncArgs),
    /// Look after the archive: status, prune, import saved files
    Archive(ArchiveArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout: auditui man > auditui.1
    Man,
    /// Write a verifiable evidence bundle (entries, manifest, hashes, timelines) for a query and a window
    Evidence(EvidenceArgs),
    /// Check an evidence bundle: every hash and the manifest; says what was changed, added or is missing
    Verify(VerifyArgs),
    /// The cases of investigations (marks, notes, filters kept with --case)
    Case(CaseArgs),
}

impl Command {
    /// The API options written after the subcommand, for those that call the API.
    pub fn api(&self) -> Option<&ApiArgs> {
        match self {
            Command::Tail(args) => Some(&args.api),
            Command::Doctor(args) => Some(&args.api),
            Command::Evidence(args) => Some(&args.api),
            Command::Sync(args) => Some(&args.api),
            Command::Archive(args) => Some(&args.api),
            _ => None,
        }
    }

    /// The watch options, for those that follow the stream.
    pub fn watch_mut(&mut self) -> Option<&mut WatchArgs> {
        match self {
            Command::Demo(args) => Some(&mut args.watch),
            Command::Tail(args) => Some(&mut args.watch),
            _ => None,
        }
    }

    /// The case option, for the TUIs.
    pub fn case_mut(&mut self) -> Option<&mut CaseArg> {
        match self {
            Command::Demo(args) => Some(&mut args.case),
            Command::Open(args) => Some(&mut args.case),
            _ => None,
        }
    }

    /// The TUI's export options, for those that open the TUI.
    pub fn export_mut(&mut self) -> Option<&mut ExportArgs> {
        match self {
            Command::Demo(args) => Some(&mut args.export),
            Command::Open(args) => Some(&mut args.export),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Read `cli.api`, where these end whichever side of `doctor` they were written.
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// How to reach the API. The token is never taken from a command-line value.
#[derive(Debug, Clone, Default, Args)]
pub struct ApiArgs {
    /// Harvey region: us (api.harvey.ai), eu (eu.api.harvey.ai) or au (au.api.harvey.ai)
    #[arg(long, value_enum)]
    pub region: Option<Region>,

    /// Base URL of the API instead of a region (http:// only for loopback hosts)
    #[arg(long, value_name = "URL", conflicts_with = "region")]
    pub base_url: Option<String>,

    /// Read the API token from this file instead of HARVEY_API_TOKEN
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Configuration file (default: auditui/config.toml in the user's config directory)
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl ApiArgs {
    /// Fills what is not given here from `other`.
    fn merge(&mut self, other: &ApiArgs) {
        self.region = self.region.or(other.region);
        self.base_url = self.base_url.take().or_else(|| other.base_url.clone());
        self.token_file = self.token_file.take().or_else(|| other.token_file.clone());
        self.config = self.config.take().or_else(|| other.config.clone());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
    Au,
}

impl Region {
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.harvey.ai",
            Region::Eu => "https://eu.api.harvey.ai",
            Region::Au => "https://au.api.harvey.ai",
        }
    }
}

/// Where the stream starts and how it is followed: shared by the TUI and `tail`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Start this long ago (15m, 2h, 7d) or at this time (2026-11-24T09:00, UTC unless an offset is given)
    #[arg(long, value_name = "WHEN", conflicts_with = "from_start")]
    pub since: Option<String>,

    /// Start at the oldest entry the API holds
    #[arg(long)]
    pub from_start: bool,

    /// Only this entry type, filtered by the server (for example auth:failed)
    #[arg(long = "type", value_name = "TYPE")]
    pub log_type: Option<String>,

    /// Show this tool's own api:audit_log_fetch entries (hidden and counted by default)
    #[arg(long)]
    pub show_self: bool,

    /// Requests per minute the poller may spend (the API allows 60 per organisation, shared)
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub budget: u32,

    /// Seconds between polls when caught up
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub interval: f64,
}

impl WatchArgs {
    /// Takes the option `id` from `other` (written before the subcommand).
    fn take(&mut self, other: &WatchArgs, id: &str) {
        match id {
            "since" => self.since = other.since.clone(),
            "from_start" => self.from_start = other.from_start,
            "log_type" => self.log_type = other.log_type.clone(),
            "show_self" => self.show_self = other.show_self,
            "budget" => self.budget = other.budget,
            "interval" => self.interval = other.interval,
            _ => {}
        }
    }
}

/// Where and how the TUI exports the view.
#[derive(Debug, Clone, Default, Args)]
pub struct ExportArgs {
    /// Folder for exports (default: export_dir in the config file, else auditui/exports in the user's
    /// data directory, ~/.local/share/auditui/exports on Linux)
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,

    /// Format of the JSON export key (e): jsonl as received, or ocsf, ecs, timesketch
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "jsonl")]
    pub export_format: crate::formats::Format,
}

impl ExportArgs {
    /// Takes the option `id` from `other` (written before the subcommand).
    fn take(&mut self, other: &ExportArgs, id: &str) {
        match id {
            "export_dir" => self.export_dir = other.export_dir.clone(),
            "export_format" => self.export_format = other.export_format,
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// Saved files of entries (JSON lines, a JSON array, {"log": ...}) or archive files; several are
    /// merged in id order, each entry once
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub export: ExportArgs,

    #[command(flatten)]
    pub case: CaseArg,
}

/// The TUI's case: the investigation's marks, notes and filters, kept under a name.
#[derive(Debug, Clone, Default, Args)]
pub struct CaseArg {
    /// Keep this investigation's marks, notes, filter history and filter under NAME, and restore them
    /// when the case is opened again (in the archive when there is one, else auditui/cases.sqlite in the
    /// user's data directory); without it marks last for the session
    #[arg(id = "tui_case", long = "case", value_name = "NAME", value_parser = case_name)]
    pub name: Option<String>,
}

impl CaseArg {
    pub const ID: &str = "tui_case";
}

fn case_name(text: &str) -> Result<String, String> {
    crate::case::check_name(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Args)]
pub struct CaseArgs {
    #[command(subcommand)]
    pub action: CaseAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CaseAction {
    /// Every case with its mark count, its last change and where it is stored
    List {
        /// Also look in this archive (the data directory's archives and cases file are always read)
        #[arg(long, value_name = "PATH")]
        archive: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub watch: WatchArgs,

    #[command(flatten)]
    pub archive: TuiArchive,

    /// Empty the demo archive first (the demo never writes a real one)
    #[arg(long)]
    pub reset_archive: bool,

    #[command(flatten)]
    pub case: CaseArg,

    #[command(flatten)]
    pub export: ExportArgs,

    #[command(flatten)]
    pub sim: SimKnobs,
}

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed)
    #[arg(long, default_value_t = 8787)]
    pub port: u16,

    /// The bearer token the simulator accepts
    #[arg(long, value_name = "TOKEN", default_value = "demo-token")]
    pub accept_token: String,

    /// Also accept this token, as one without the audit-log permission (whoami answers, audit calls 403)
    #[arg(long, value_name = "TOKEN")]
    pub limited_token: Option<String>,

    /// Answer /latest as the older guide describes: a bare array of up to 100 recent entries
    #[arg(long)]
    pub legacy_latest: bool,

    #[command(flatten)]
    pub sim: SimKnobs,
}

/// What the simulated workspace does, and how badly its server behaves.
#[derive(Debug, Clone, Args)]
pub struct SimKnobs {
    /// Seed for repeatable activity
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Background activity, in entries per second
    #[arg(long, value_name = "N", default_value_t = 2.0)]
    pub events_per_sec: f64,

    /// Bursts: N entries every S seconds, written N/S (for example 5000/30)
    #[arg(long, value_name = "N/S")]
    pub burst: Option<String>,

    /// Requests per minute before answering 429 (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub rate_limit: u32,

    /// Fraction of audit requests answered 500
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub error_rate: f64,

    /// Fraction of audit requests answered slowly
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub slow_rate: f64,

    /// Fraction of answers with a malformed entry or a broken body
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub malformed_rate: f64,

    /// Hours of history before now
    #[arg(long, value_name = "HOURS", default_value_t = 24.0)]
    pub history_hours: f64,
}

/// `tail`'s output formats: every entry format.
pub type TailFormat = crate::formats::Format;

#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// Read `cli.api`, where these end whichever side of `tail` they were written.
    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub watch: WatchArgs,

    /// Output format (ocsf, ecs and timesketch: see README "Formats")
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: TailFormat,

    /// Keep the stream position in this file, so a restart resumes with no loss and no repeat (after a
    /// kill -9, at most the last 64 KiB of output may be written again)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Only entries matching this query (the filter bar's language)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,

    /// Stop after writing N entries
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,

    /// Stop after this long (30s, 5m, 1h)
    #[arg(long = "for", value_name = "DURATION")]
    pub run_for: Option<String>,

    /// Stop at the end of this window (a time, or a duration ago): entries from then on are not written
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// For end-to-end tests against the simulator only: count the budget over this many seconds instead
    /// of 60, spacing requests by a 60th of it, so a test compresses time. Refused unless the API is on a
    /// loopback host: the real API counts a minute.
    #[arg(long, hide = true, value_name = "SECS")]
    pub budget_window: Option<f64>,
}

/// The TUI's archive: the recent history is read from it at once, and what is fetched is written to it.
#[derive(Debug, Clone, Default, Args)]
pub struct TuiArchive {
    /// The archive the TUI reads its history from and writes to (default: auditui/<host>.sqlite in the
    /// user's data directory; for the demo, a demo archive of its own)
    #[arg(
        id = "tui_archive",
        long = "archive",
        value_name = "PATH",
        conflicts_with = "no_archive"
    )]
    pub path: Option<PathBuf>,

    /// Keep everything in memory: no archive read or written
    #[arg(long)]
    pub no_archive: bool,
}

impl TuiArchive {
    /// Takes the option `id` from `other` (written before the subcommand).
    fn take(&mut self, other: &TuiArchive, id: &str) {
        match id {
            "tui_archive" => self.path = other.path.clone(),
            "no_archive" => self.no_archive = other.no_archive,
            _ => {}
        }
    }
}

/// Where the archive is: `--archive PATH`, or one file per API host in the user's data directory.
#[derive(Debug, Clone, Default, Args)]
pub struct ArchivePath {
    /// The archive file (default: auditui/<host>.sqlite in the user's data directory)
    #[arg(long, value_name = "PATH")]
    pub archive: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Read `cli.api`, where these end whichever side of `sync` they were written.
    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub archive: ArchivePath,

    /// With an empty archive, start this long ago (15m, 2h, 7d) or at this time; default 24h.
    /// Starts more than a year back begin at the oldest entry (the API searches one year back)
    #[arg(long, value_name = "WHEN", conflicts_with = "from_start")]
    pub since: Option<String>,

    /// With an empty archive, start at the oldest entry the API holds
    #[arg(long)]
    pub from_start: bool,

    /// Stop once caught up (for cron) instead of following on
    #[arg(long)]
    pub once: bool,

    /// Stop at this time (or this long ago): entries after it are stored up to the end of their page
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// First fetch the gaps between the stretches the archive holds
    #[arg(long)]
    pub fill_gaps: bool,

    /// Requests per minute the sync may spend (the API allows 60 per organisation, shared)
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub budget: u32,

    /// Seconds between polls when caught up
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub interval: f64,
}

#[derive(Debug, Clone, Args)]
pub struct ArchiveArgs {
    /// Read `cli.api` (the host names the default archive).
    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub archive: ArchivePath,

    #[command(subcommand)]
    pub action: ArchiveAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ArchiveAction {
    /// Entries, size, first and last entry, covered stretches and gaps, last sync, writer
    Status,
    /// Delete entries older than a span (90d, 12h)
    Prune {
        /// How much to keep, counted back from now
        #[arg(long, value_name = "SPAN")]
        keep: String,
    },
    /// Add saved JSON lines / arrays / {"log": ...} files, skipping entries already held
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// The entry as received, one JSON object per line
    Jsonl,
    /// One row per entry, with a header
    Csv,
    /// OCSF 1.3 events, one per line
    Ocsf,
    /// Elastic Common Schema documents, one per line
    Ecs,
    /// Timesketch JSONL
    Timesketch,
    /// Only the number of matches
    Count,
    /// A table of the values of `--by`: count, share, first and last seen.
    Counts,
}

impl QueryFormat {
    /// The entry format, for every choice but `count` and `counts`.
    pub fn entry_format(self) -> Option<crate::formats::Format> {
        use crate::formats::Format;
        Some(match self {
            QueryFormat::Jsonl => Format::Jsonl,
            QueryFormat::Csv => Format::Csv,
            QueryFormat::Ocsf => Format::Ocsf,
            QueryFormat::Ecs => Format::Ecs,
            QueryFormat::Timesketch => Format::Timesketch,
            QueryFormat::Count | QueryFormat::Counts => return None,
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Files of entries; `-` reads standard input
    #[arg(required_unless_present = "archive", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Query this archive (using its indexes) instead of files
    #[arg(long, value_name = "PATH", conflicts_with = "files")]
    pub archive: Option<PathBuf>,

    /// Only entries matching this query (may begin with `-`: `--filter -type:auth:login`)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,

    /// Output format (ocsf, ecs and timesketch: see README "Formats")
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: QueryFormat,

    /// With --format counts: the field to count by (user, type, ip, ua or data.KEY)
    #[arg(long, value_name = "FIELD", value_parser = crate::commands::query_counts::CountBy::parse,
        required_if_eq("format", "counts"))]
    pub by: Option<crate::commands::query_counts::CountBy>,

    /// The case whose marks `is:marked` in --filter stands for
    #[arg(long, value_name = "NAME", value_parser = case_name)]
    pub case: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Read `cli.api`, where these end whichever side of `evidence` they were written.
    #[command(flatten)]
    pub api: ApiArgs,

    /// Only entries matching this query (the filter bar's language)
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,

    /// Start of the window: this long ago (2h, 7d) or this time (2026-11-24T09:00, UTC unless an offset is
    /// given). Required when reading from the API
    // Its own id: the TUI's --since written before `evidence` is refused, not silently dropped.
    #[arg(id = "window_since", long = "since", value_name = "WHEN")]
    pub since: Option<String>,

    /// End of the window (excluded), in the same forms; default: now
    #[arg(id = "window_until", long = "until", value_name = "WHEN")]
    pub until: Option<String>,

    /// The case this evidence belongs to: recorded in the manifest, its marks and notes in the
    /// timelines, and `is:marked` in --filter stands for its marks. A case never stored is only a name
    #[arg(long, value_name = "NAME", value_parser = case_name)]
    pub case: Option<String>,

    /// Only the case's marked entries (of the window or the files)
    #[arg(long, requires = "case")]
    pub marked: bool,

    /// Directory to write the bundle into (created; must be new or empty)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,

    /// Read saved entries (JSON lines, JSON arrays, {"log": entry}) from these files instead of the API
    #[arg(long = "input", value_name = "FILE", num_args = 1..)]
    pub inputs: Vec<PathBuf>,

    /// Entries shown in the timelines when none is marked (entries.jsonl and entries.csv hold them all)
    #[arg(long, value_name = "N", default_value_t = crate::evidence::DEFAULT_TIMELINE_LIMIT)]
    pub timeline_limit: usize,

    /// Requests per minute the fetch may spend (the API allows 60 per organisation, shared)
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub budget: u32,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The bundle's directory
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn api_options_work_before_and_after_the_subcommand() {
        let cli = Cli::try_parse_args(["auditui", "--region", "eu", "doctor"]).unwrap();
        assert_eq!(cli.api.region, Some(Region::Eu));
        let cli = Cli::try_parse_args(["auditui", "doctor", "--region", "eu"]).unwrap();
        assert_eq!(cli.api.region, Some(Region::Eu));
        let cli =
            Cli::try_parse_args(["auditui", "tail", "--base-url", "http://127.0.0.1:9"]).unwrap();
        assert_eq!(cli.api.base_url.as_deref(), Some("http://127.0.0.1:9"));
        let cli = Cli::try_parse_args(["auditui", "--token-file", "t", "tail"]).unwrap();
        assert_eq!(cli.api.token_file, Some(PathBuf::from("t")));
    }

    #[test]
    fn watch_options_work_before_and_after_the_subcommand_that_watches() {
        for args in [
            ["auditui", "demo", "--since", "2h", "--budget", "20"],
            ["auditui", "--since", "2h", "--budget", "20", "demo"],
            ["auditui", "--since", "2h", "demo", "--budget", "20"],
        ] {
            let cli = Cli::try_parse_args(args).unwrap();
            let Some(Command::Demo(demo)) = cli.command else {
                panic!("demo expected");
            };
            assert_eq!(
                (demo.watch.since.as_deref(), demo.watch.budget),
                (Some("2h"), 20),
                "{args:?}"
            );
        }
        let cli =
            Cli::try_parse_args(["auditui", "--budget", "9", "tail", "--type", "a:b"]).unwrap();
        let Some(Command::Tail(tail)) = cli.command else {
            panic!("tail expected");
        };
        assert_eq!(
            (tail.watch.budget, tail.watch.log_type.as_deref()),
            (9, Some("a:b"))
        );
        let cli = Cli::try_parse_args(["auditui", "--since", "2h", "--budget", "20"]).unwrap();
        assert_eq!(
            (cli.watch.since.as_deref(), cli.watch.budget),
            (Some("2h"), 20)
        );
    }

    #[test]
    fn an_option_that_does_not_apply_to_the_subcommand_is_refused_wherever_written() {
        for (args, flag) in [
            (&["auditui", "--budget", "100", "doctor"][..], "--budget"),
            (
                &["auditui", "--type", "auth:failed", "doctor"][..],
                "--type",
            ),
            (&["auditui", "--region", "eu", "demo"][..], "--region"),
            (&["auditui", "--since", "1h", "query", "f"][..], "--since"),
            (
                &["auditui", "--export-dir", "x", "tail"][..],
                "--export-dir",
            ),
        ] {
            let err = Cli::try_parse_args(args).unwrap_err();
            assert!(
                err.to_string().contains(&format!("{flag} does not apply")),
                "{err}"
            );
        }
        for args in [
            &["auditui", "doctor", "--budget", "100"][..],
            &["auditui", "demo", "--region", "eu"][..],
            &["auditui", "query", "f", "--base-url", "http://127.0.0.1:1"][..],
        ] {
            assert!(Cli::try_parse_args(args).is_err(), "{args:?}");
        }
        let twice = Cli::try_parse_args(["auditui", "--budget", "5", "tail", "--budget", "6"]);
        assert!(
            twice
                .unwrap_err()
                .to_string()
                .contains("both before and after")
        );
    }

    #[test]
    fn each_help_lists_only_the_options_that_apply() {
        let help = |sub: &str| {
            let mut command = Cli::command();
            command.build();
            command
                .find_subcommand_mut(sub)
                .unwrap()
                .render_long_help()
                .to_string()
        };
        for sub in ["demo", "query", "simulate", "completions", "man"] {
            let text = help(sub);
            for api in ["--region", "--base-url", "--token-file"] {
                assert!(!text.contains(api), "{sub} --help lists {api}");
            }
        }
        for sub in ["doctor", "query", "simulate", "completions", "man"] {
            assert!(
                !help(sub).contains("--budget"),
                "{sub} --help lists --budget"
            );
        }
        assert!(help("tail").contains("--region") && help("doctor").contains("--token-file"));
        for sub in ["demo", "tail", "query", "doctor"] {
            assert!(help(sub).contains("--color"), "--color applies everywhere");
        }
    }

    #[test]
    fn the_colour_choice_reaches_clap_before_parsing() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            clap_colour(&args(&["auditui", "--color", "never", "tail"])),
            clap::ColorChoice::Never
        );
        assert_eq!(
            clap_colour(&args(&["auditui", "tail", "--color=always"])),
            clap::ColorChoice::Always
        );
        assert_eq!(
            clap_colour(&args(&["auditui", "query", "--", "--color=never"])),
            clap::ColorChoice::Auto
        );
    }

    #[test]
    fn no_color_is_honoured_unless_colour_is_forced() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(ColorChoice::Auto.enabled(true, None));
        assert!(
            ColorChoice::Auto.enabled(true, empty),
            "an empty NO_COLOR does not count"
        );
        assert!(!ColorChoice::Auto.enabled(true, set));
        assert!(!ColorChoice::Auto.enabled(false, None), "not a terminal");
        assert!(ColorChoice::Always.enabled(false, set));
        assert!(!ColorChoice::Never.enabled(true, None));
    }

    #[test]
    fn the_evidence_window_is_written_after_the_subcommand() {
        let cli =
            Cli::try_parse_args(["auditui", "evidence", "--since", "2h", "-o", "out"]).unwrap();
        let Some(Command::Evidence(args)) = cli.command else {
            panic!("evidence expected");
        };
        assert_eq!(args.since.as_deref(), Some("2h"));
        let err =
            Cli::try_parse_args(["auditui", "--since", "2h", "evidence", "-o", "out"]).unwrap_err();
        assert!(err.to_string().contains("does not apply"), "{err}");
        let cli =
            Cli::try_parse_args(["auditui", "--region", "eu", "evidence", "-o", "o"]).unwrap();
        assert_eq!(cli.api.region, Some(Region::Eu));
    }

    #[test]
    fn the_case_goes_to_the_tui_it_opens_wherever_it_is_written() {
        let cli = Cli::try_parse_args(["auditui", "--case", "kestrel"]).unwrap();
        assert_eq!(cli.case.name.as_deref(), Some("kestrel"));
        for argv in [
            ["auditui", "--case", "kestrel", "demo"],
            ["auditui", "demo", "--case", "kestrel"],
        ] {
            let cli = Cli::try_parse_args(argv).unwrap();
            let Some(Command::Demo(demo)) = cli.command else {
                panic!("demo expected");
            };
            assert_eq!(demo.case.name.as_deref(), Some("kestrel"), "{argv:?}");
        }
        let cli = Cli::try_parse_args(["auditui", "--case", "k", "open", "a.jsonl"]).unwrap();
        let Some(Command::Open(open)) = cli.command else {
            panic!("open expected");
        };
        assert_eq!(open.case.name.as_deref(), Some("k"));
        let err = Cli::try_parse_args(["auditui", "--case", "k", "tail"]).unwrap_err();
        assert!(err.to_string().contains("does not apply"), "{err}");
        let err = Cli::try_parse_args(["auditui", "--case", "a/b"]).unwrap_err();
        assert!(err.to_string().contains("a case name is"), "{err}");
        let err = Cli::try_parse_args(["auditui", "evidence", "--marked", "-o", "o"]).unwrap_err();
        assert!(err.to_string().contains("--case"), "{err}");
    }

    #[test]
    fn there_is_no_token_option() {
        assert!(Cli::try_parse_from(["auditui", "--token", "secret"]).is_err());
    }
}
