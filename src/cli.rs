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
        or --token-file). `auditui demo` runs the same TUI against a built-in simulator: no token, no network."
)]
pub struct Cli {
    #[command(flatten)]
    pub api: ApiArgs,

    /// Where to write the log (never the screen). Default: auditui.log in the user's state or cache directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    #[command(flatten)]
    pub watch: WatchArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message on an error.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|err| err.exit())
    }

    /// Like clap's parse, but refuses the TUI's watch options (`--since`, `--budget`...) before a
    /// subcommand: they belong to the live TUI there, and would be silently ignored.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        if let Some(sub) = matches.subcommand_name() {
            let misplaced = command.get_arguments().find(|arg| {
                WATCH_IDS.contains(&arg.get_id().as_str())
                    && matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
            });
            if let Some(arg) = misplaced {
                let flag = arg.get_long().unwrap_or_default();
                return Err(command.error(
                    ErrorKind::ArgumentConflict,
                    format!("--{flag} goes after the subcommand: auditui {sub} --{flag} ..."),
                ));
            }
        }
        Ok(cli)
    }
}

/// The ids of [`WatchArgs`]' fields.
const WATCH_IDS: [&str; 6] = [
    "since",
    "from_start",
    "log_type",
    "show_self",
    "budget",
    "interval",
];

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
    /// Check the host, the token and the audit-log permission
    Doctor,
    /// Follow the API into the archive: backfill, then keep following (one writer per archive)
    Sync(SyncArgs),
    /// Look after the archive: status, prune, import saved files
    Archive(ArchiveArgs),
}

/// How to reach the API. The token is never taken from a command-line value.
#[derive(Debug, Clone, Default, Args)]
pub struct ApiArgs {
    /// Harvey region: us (api.harvey.ai), eu (eu.api.harvey.ai) or au (au.api.harvey.ai)
    #[arg(long, global = true, value_enum)]
    pub region: Option<Region>,

    /// Base URL of the API instead of a region (http:// only for loopback hosts)
    #[arg(long, global = true, value_name = "URL", conflicts_with = "region")]
    pub base_url: Option<String>,

    /// Read the API token from this file instead of HARVEY_API_TOKEN
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Configuration file (default: auditui/config.toml in the user's config directory)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
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

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub watch: WatchArgs,

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub watch: WatchArgs,

    /// Output format
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: TailFormat,

    /// Keep the stream position in this file, so a restart resumes with no loss and no repeat (after a
    /// kill -9, at most the last 64 KiB of output may be written again)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Only entries matching this query (the filter bar's language)
    #[arg(long, value_name = "EXPR")]
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
    Jsonl,
    Csv,
    Count,
}

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Files of entries; `-` reads standard input
    #[arg(required_unless_present = "archive", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Query this archive (using its indexes) instead of files
    #[arg(long, value_name = "PATH", conflicts_with = "files")]
    pub archive: Option<PathBuf>,

    /// Only entries matching this query
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: QueryFormat,
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
        let cli = Cli::parse_from(["auditui", "--region", "eu", "doctor"]);
        assert_eq!(cli.api.region, Some(Region::Eu));
        let cli = Cli::parse_from(["auditui", "tail", "--base-url", "http://127.0.0.1:9"]);
        assert_eq!(cli.api.base_url.as_deref(), Some("http://127.0.0.1:9"));
    }

    #[test]
    fn watch_options_belong_to_the_command_that_watches() {
        let cli = Cli::try_parse_args(["auditui", "demo", "--since", "2h"]).unwrap();
        let Some(Command::Demo(demo)) = cli.command else {
            panic!("demo expected");
        };
        assert_eq!(demo.watch.since.as_deref(), Some("2h"));
        let cli = Cli::try_parse_args(["auditui", "--since", "2h", "--budget", "20"]).unwrap();
        assert_eq!(
            (cli.watch.since.as_deref(), cli.watch.budget),
            (Some("2h"), 20)
        );
        let cli =
            Cli::try_parse_args(["auditui", "--region", "eu", "tail", "--type", "a:b"]).unwrap();
        assert_eq!(cli.api.region, Some(Region::Eu));
        for misplaced in [
            ["auditui", "--since", "2h", "demo"],
            ["auditui", "--budget", "9", "tail"],
            ["auditui", "--type", "auth:failed", "doctor"],
        ] {
            let err = Cli::try_parse_args(misplaced).unwrap_err();
            assert!(
                err.to_string().contains("goes after the subcommand"),
                "{err}"
            );
        }
    }

    #[test]
    fn there_is_no_token_option() {
        assert!(Cli::try_parse_from(["auditui", "--token", "secret"]).is_err());
    }
}
