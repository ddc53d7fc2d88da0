//! `auditui` with no subcommand: the investigation TUI on the live API.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::app::action::{Action, Notice};
use crate::app::keymap::Keymap;
use crate::app::run::{PollerLink, run as run_app};
use crate::app::state::{ArchiveWindow, State};
use crate::archive::Seed;
use crate::cli::{Cli, ExportArgs, WatchArgs};
use crate::client::{Client, ClientOptions};
use crate::config::{self, Connection};
use crate::history::{self, History, Role};
use crate::poller::{self, PollerConfig, Start, client_backoff, session_agent};
use crate::timespec::parse_instant;

/// How far back the TUI starts when neither `--since` nor `--from-start` is given: enough recent
/// activity to read at once, little enough to fetch in a few requests.
const DEFAULT_LOOKBACK_NANOS: i64 = 3600 * 1_000_000_000;
/// How far back the archived history shown at once reaches without `--since`.
const ARCHIVE_LOOKBACK_NANOS: i64 = 24 * 3600 * 1_000_000_000;

pub async fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    super::require_terminal()?;
    crate::logging::init(cli.log_file.as_deref());
    let connection = config::resolve(&cli.api)?;
    let label = host_of(&connection.base_url);
    let export = TuiExport::resolve(&cli.export, cli.api.config.as_deref(), cli.color)?;
    let archive = match (&cli.archive.path, cli.archive.no_archive) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => crate::archive::default_path(&connection.base_url),
    };
    let case = cli.case.name.as_deref();
    watch(connection, &cli.watch, &export, &label, archive, case).await
}

/// Where and how the TUI exports, and whether it draws in colour.
pub struct TuiExport {
    pub dir: std::path::PathBuf,
    pub format: crate::formats::Format,
    pub colour: bool,
}

impl TuiExport {
    /// From the options, the config file (`config`, else the default one) and the default folder.
    pub fn resolve(
        args: &ExportArgs,
        config: Option<&std::path::Path>,
        colour: crate::cli::ColorChoice,
    ) -> anyhow::Result<TuiExport> {
        use std::io::IsTerminal;
        Ok(TuiExport {
            dir: config::export_dir(args.export_dir.as_deref(), config)?,
            format: args.export_format,
            colour: colour.enabled(
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            ),
        })
    }
}

/// The poller the app loop starts (after the screen is taken), as the loop takes it.
pub type PollerStart = std::pin::Pin<Box<dyn std::future::Future<Output = PollerLink> + Send>>;

/// Follows the audit log at `connection` in the TUI until the user quits, in the case `case` when one
/// is named (kept in the archive when the TUI reads one).
pub async fn watch(
    connection: Connection,
    watch: &WatchArgs,
    export: &TuiExport,
    label: &str,
    archive: Option<std::path::PathBuf>,
    case: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (mut state, poller) = prepare(connection, watch, export, label, archive)?;
    if let Some(name) = case {
        // The case is kept in the archive when the TUI could open it.
        let used = state.archive.as_ref().map(|window| window.path.clone());
        super::attach_case(&mut state, name, used.as_deref())?;
    }
    let finished = run_app(state, poller).await?;
    super::report_unsaved(finished.unsaved.as_deref())
}

/// The TUI's state, over the archive whose history the app loop reads first, and the poller to start:
/// one writing through to the archive, one following the archive a `sync` writes, or (without an
/// archive) one in memory only.
pub fn prepare(
    connection: Connection,
    watch: &WatchArgs,
    export: &TuiExport,
    label: &str,
    archive: Option<std::path::PathBuf>,
) -> anyhow::Result<(State, PollerStart)> {
    let now = crate::clock::now();
    let start = match (&watch.since, watch.from_start) {
        (Some(since), _) => {
            let (start, note) =
                poller::stream::start_since(parse_instant(since, now).context("--since")?, now);
            if let Some(note) = note {
                eprintln!("auditui: {note}");
                tracing::info!("{note}");
            }
            start
        }
        (None, true) => Start::Earliest,
        (None, false) => Start::Since(now - DEFAULT_LOOKBACK_NANOS),
    };
    let interval = Duration::try_from_secs_f64(watch.interval)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| {
            format!(
                "--interval must be a positive number of seconds, not {}",
                watch.interval
            )
        })?;
    let agent = session_agent();
    let client = Client::new(ClientOptions {
        user_agent: Some(agent.clone()),
        ..ClientOptions::from_connection(&connection)
    })?;
    // Kept to leave it out of whoami's answer, which an evidence bundle records.
    let token = connection.token.clone();
    let mut config = PollerConfig::new(start);
    config.log_type = watch.log_type.clone();
    config.budget_per_minute = watch.budget;
    config.interval = interval;
    config.show_self = watch.show_self;
    config.backoff = client_backoff();

    let mut state = new_state(export, label);
    state.status.budget_per_minute = watch.budget;
    // The archived history of the window is on screen at once; without an explicit --since the API
    // is asked for the last hour at most, the rest of the day coming from the archive.
    let window_start = match (&watch.since, config.start.clone()) {
        (Some(_), Start::Since(at)) => at,
        (_, Start::Earliest) => i64::MIN,
        _ => now - ARCHIVE_LOOKBACK_NANOS,
    };
    let hide_own = !watch.show_self;
    // The archive is opened here (taking the writer lock, or finding who holds it); its history is read
    // by the app loop in the background once the screen is open, and the poller starts once its first
    // rows are on screen.
    let history = archive.and_then(|path| match history::open(&path) {
        Ok(history) => {
            let holder = match &history.role {
                Role::Writer(_) => None,
                Role::Follower { holder, .. } => Some(holder.clone()),
            };
            state.archive = Some(ArchiveWindow::new(path, window_start, hide_own, holder));
            Some(history)
        }
        Err(err) => {
            tracing::warn!("archive not used: {err}");
            state.update(Action::Report(Notice {
                text: format!("archive not used: {err}"),
                is_error: true,
            }));
            None
        }
    });
    let poller: PollerStart = match history {
        None => Box::pin(async move {
            (config.self_filter, config.service_user) =
                poller::identify(&client, agent, &token).await;
            poller::spawn(client, config)
        }),
        Some(History { note, role, newest }) => {
            state.status.archive = Some(note.clone());
            match role {
                Role::Writer(mut writer) => {
                    let (resume, seed) = history::plan(&writer, window_start)?;
                    if let Start::After(_) = resume {
                        config.start = resume;
                    }
                    let seed = match (&config.start, seed) {
                        (Start::Since(at), Seed::Since(_)) => Seed::Since(*at),
                        (Start::Earliest, _) => Seed::Earliest,
                        (_, seed) => seed,
                    };
                    writer.follow(seed)?;
                    let fetcher = history::Fetcher {
                        client: client.clone(),
                        budget_per_minute: config.budget_per_minute,
                        interval: config.interval,
                        log_type: config.log_type.clone(),
                        live_seed: seed,
                    };
                    // Remembered before the first request, so a later session over the archive
                    // can leave this one's fetches out (as `sync` does).
                    writer.remember_agent(&agent, now)?;
                    // Earlier sessions' last fetches are logged after they stopped: they arrive
                    // here and are hidden like this session's own.
                    let earlier = writer.archive().own_agents()?;
                    // The archive keeps every entry, this tool's own fetches included (as
                    // `sync` does): they are hidden on the way to the screen instead.
                    config.show_self = true;
                    Box::pin(async move {
                        (config.self_filter, config.service_user) =
                            poller::identify(&client, agent, &token).await;
                        for earlier in earlier {
                            if !config.self_filter.agents.contains(&earlier) {
                                config.self_filter.agents.push(earlier);
                            }
                        }
                        let own = hide_own.then(|| config.self_filter.clone());
                        let link = poller::spawn(client, config);
                        history::write_through(writer, link, note, own, fetcher)
                    })
                }
                Role::Follower { archive, .. } => Box::pin(async move {
                    history::follow(archive, window_start, newest, interval, note, hide_own)
                }),
            }
        }
    };
    Ok((state, poller))
}

/// The TUI's state before anything is loaded: the user's keymap (the defaults, and a notice saying
/// why, when it cannot be read), the export settings and the colour choice.
pub fn new_state(export: &TuiExport, label: &str) -> State {
    let (keymap, keymap_problem) = match Keymap::load(Keymap::user_path().as_deref()) {
        Ok(keymap) => (keymap, None),
        Err(err) => (Keymap::defaults(), Some(err.to_string())),
    };
    let mut state = State::new(keymap, label, crate::clock::now());
    state.json_export = export.format;
    state.export_dir = export.dir.clone();
    state.colour = export.colour;
    if let Some(problem) = keymap_problem {
        tracing::warn!("keymap ignored: {problem}");
        state.update(Action::Report(Notice {
            text: format!("default keys in use: {problem}"),
            is_error: true,
        }));
    }
    state
}

/// `api.harvey.ai` from `https://api.harvey.ai`, for the header.
fn host_of(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_names_the_host_only() {
        assert_eq!(host_of("https://eu.api.harvey.ai"), "eu.api.harvey.ai");
        assert_eq!(host_of("http://127.0.0.1:8787/prefix"), "127.0.0.1:8787");
    }
}
