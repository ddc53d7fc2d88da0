//! `auditui tail`: the poller's entries to stdout as JSON lines or CSV, status and errors to stderr.

mod output;
mod torn;

use std::future::Future;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use self::output::{Flow, Output};
use crate::cli::{Cli, TailArgs};
use crate::client::{Client, ClientOptions};
use crate::poller::state_file;
use crate::poller::{
    self, PollControl, PollEvent, PollerConfig, Start, identify_self_resuming, session_agent,
};
use crate::query::Query;
use crate::sanitize::{ScreenSafe, clean_truncated};
use crate::timespec::parse_duration;
use crate::{config, logging};

pub async fn run(cli: &Cli, args: &TailArgs) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_file.as_deref());
    let Plan {
        mut config,
        run_for,
        resumed,
        filter,
        agent,
        earlier_agents,
    } = plan(args)?;
    // Installed before the first request, so a stop is always a clean one.
    let mut stop = Box::pin(stop_requested(run_for).context("cannot watch for Ctrl-C")?);
    let connection = config::resolve(&cli.api)?;
    if let Some(secs) = args.budget_window {
        config.budget_window = test_budget_window(secs, &connection.base_url)?;
    }
    let client = Client::new(ClientOptions {
        user_agent: Some(agent.clone()),
        ..ClientOptions::from_connection(&connection)
    })?;
    // `whoami` can hang up to the client's timeout: a stop asked meanwhile is obeyed at once.
    config.self_filter = tokio::select! {
        why = &mut stop => {
            eprintln!("auditui: {why}: stopping before the first request");
            return Ok(ExitCode::SUCCESS);
        }
        filter = identify_self_resuming(&client, agent.clone(), earlier_agents.clone()) => filter,
    };
    // Whether what this run writes continues what an earlier one wrote (then no second CSV header).
    let mut continues = resumed;
    if args.state.is_some() {
        // A run killed mid-write left a partial line: never append to it.
        match torn::mend_stdout() {
            // A resumed run into an empty file (`> batch.csv` each time) starts a file of its own.
            Ok(torn::Mend::Empty) => continues = false,
            Ok(torn::Mend::Cut(bytes)) => eprintln!(
                "auditui: cut a partial last line of {bytes} bytes from the output file (left by a killed run; its entries follow again)"
            ),
            Ok(torn::Mend::Newline) => eprintln!(
                "auditui: the output file could not be read back; began with a line break so a partial last line stays alone"
            ),
            Ok(_) => {}
            Err(err) => {
                eprintln!("auditui: could not check the output file for a partial line: {err}")
            }
        }
    }
    // Entries are data for a pipe, but hostile: a terminal gets their controls escaped.
    let stdout = io::stdout();
    let screen = ScreenSafe::new(stdout.lock(), stdout.is_terminal());
    let output =
        Output::new(screen, args, continues, filter.as_ref(), agent)?.remembering(earlier_agents);
    let (events, control) = poller::spawn(client, config);
    follow(output, events, control, stop).await
}

/// Resolves when the user asks to stop (Ctrl-C, SIGTERM) or `--for` has elapsed, with why.
fn stop_requested(run_for: Option<Duration>) -> io::Result<impl Future<Output = &'static str>> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        let elapsed = async {
            match run_for {
                Some(span) => tokio::time::sleep(span).await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        let why = tokio::select! {
            _ = interrupt.recv() => "interrupted",
            _ = terminate.recv() => "terminated",
            () = elapsed => "--for elapsed",
        };
        #[cfg(not(unix))]
        let why = tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupted",
            () = elapsed => "--for elapsed",
        };
        why
    })
}

/// What the arguments ask for, checked before any request.
#[derive(Debug)]
struct Plan {
    config: PollerConfig,
    run_for: Option<Duration>,
    /// The position saved by an earlier run, when resuming.
    resumed: bool,
    filter: Option<Query>,
    /// This session's User-Agent, unique to it.
    agent: String,
    /// The User-Agents of the runs before this one (from the state file), newest first.
    earlier_agents: Vec<String>,
}

/// The hidden `--budget-window` of end-to-end tests: a positive number of seconds, to loopback only.
fn test_budget_window(secs: f64, base_url: &str) -> anyhow::Result<Duration> {
    let window = Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|w| *w >= Duration::from_secs(1))
        .with_context(|| format!("--budget-window must be at least 1 second, not {secs}"))?;
    anyhow::ensure!(
        config::is_loopback_url(base_url),
        "--budget-window is for tests against the simulator on a loopback host; the API counts a minute"
    );
    Ok(window)
}

fn plan(args: &TailArgs) -> anyhow::Result<Plan> {
    let watch = &args.watch;
    let now = crate::clock::now();
    let filter = match &args.filter {
        Some(text) => Some(Query::parse(text, now).map_err(|e| anyhow::anyhow!("--filter: {e}"))?),
        None => None,
    };
    let run_for = args
        .run_for
        .as_deref()
        .map(parse_duration)
        .transpose()
        .context("--for")?;
    let saved = match &args.state {
        Some(path) => state_file::load(path)?,
        None => None,
    };
    if let Some(saved) = &saved
        && saved.log_type != watch.log_type
    {
        anyhow::bail!(
            "the state file was written while following {}, not {}: pass the same --type, or another --state",
            describe_type(saved.log_type.as_deref()),
            describe_type(watch.log_type.as_deref()),
        );
    }
    let mut config = PollerConfig::from_watch(watch, now)?;
    if let Some(note) = &config.start_note
        && saved.is_none()
    {
        eprintln!("auditui: {note}");
    }
    // A saved position wins over --since and --from-start: resuming must neither skip nor repeat.
    if let Some(saved) = &saved {
        config.start = Start::After(saved.cursor);
    }
    Ok(Plan {
        config,
        run_for,
        resumed: saved.is_some(),
        filter,
        agent: session_agent(),
        earlier_agents: saved.map(|s| s.agents()).unwrap_or_default(),
    })
}

fn describe_type(log_type: Option<&str>) -> String {
    match log_type {
        Some(t) => format!("--type {}", clean_truncated(t, 60)),
        None => "every type".into(),
    }
}

/// Follows the events until the poller stops, `--max` is reached, or `stop` resolves.
async fn follow<W: Write>(
    mut output: Output<'_, W>,
    mut events: tokio::sync::mpsc::Receiver<PollEvent>,
    control: tokio::sync::mpsc::Sender<PollControl>,
    stop: impl Future<Output = &'static str>,
) -> anyhow::Result<ExitCode> {
    tokio::pin!(stop);
    let mut err = io::stderr();
    let code = loop {
        tokio::select! {
            biased;
            why = &mut stop => {
                let _ = writeln!(err, "auditui: {why}: stopping");
                break ExitCode::SUCCESS;
            }
            event = events.recv() => {
                let Some(event) = event else {
                    anyhow::bail!("the poller ended without saying why");
                };
                match output.take(event, &mut err) {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Done) => break ExitCode::SUCCESS,
                    Ok(Flow::Stopped(None)) => break ExitCode::SUCCESS,
                    Ok(Flow::Stopped(Some(reason))) => {
                        let _ = writeln!(err, "auditui: stopped: {reason}");
                        break ExitCode::FAILURE;
                    }
                    Err(e) if is_broken_pipe(&e) => break ExitCode::SUCCESS,
                    Err(e) => return Err(e),
                }
            }
        }
    };
    let _ = control.send(PollControl::Stop).await;
    let _ = writeln!(err, "auditui: {}", output.summary());
    Ok(code)
}

/// The reader of stdout went away (`| head`): a normal end.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Command;
    use crate::poller::state_file::SavedPosition;
    use uuid::Uuid;

    pub(super) fn tail_args(argv: &[&str]) -> TailArgs {
        let cli = Cli::parse_from(["auditui", "tail"].iter().chain(argv));
        match cli.command {
            Some(Command::Tail(args)) => args,
            _ => unreachable!("tail parses as tail"),
        }
    }

    #[test]
    fn the_start_follows_the_arguments_and_a_saved_position_wins() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let state_arg = state.to_str().unwrap();
        assert_eq!(plan(&tail_args(&[])).unwrap().config.start, Start::Latest);
        assert_eq!(
            plan(&tail_args(&["--from-start"])).unwrap().config.start,
            Start::Earliest
        );
        assert!(matches!(
            plan(&tail_args(&["--since", "30d"])).unwrap().config.start,
            Start::Since(_)
        ));
        // Further back than /search reaches: the oldest entry instead, with a note.
        let old = plan(&tail_args(&["--since", "2020-11-24T09:00"])).unwrap();
        assert_eq!(old.config.start, Start::Earliest);
        assert!(old.config.start_note.unwrap().contains("/earliest"));
        let plan_with_state = plan(&tail_args(&["--since", "2h", "--state", state_arg])).unwrap();
        assert!(matches!(plan_with_state.config.start, Start::Since(_)));
        assert!(!plan_with_state.resumed);
        let saved = SavedPosition {
            cursor: Uuid::from_u128(77),
            log_type: None,
            agent: Some("auditui/0.1 (session 77)".into()),
            earlier_agents: vec!["auditui/0.1 (session 66)".into()],
        };
        state_file::save(&state, &saved).unwrap();
        let resumed = plan(&tail_args(&["--since", "2h", "--state", state_arg])).unwrap();
        assert_eq!(resumed.config.start, Start::After(Uuid::from_u128(77)));
        assert!(resumed.resumed);
        assert_eq!(
            resumed.earlier_agents,
            ["auditui/0.1 (session 77)", "auditui/0.1 (session 66)"]
        );
        assert_ne!(resumed.agent, "auditui/0.1 (session 77)");
    }

    #[test]
    fn a_compressed_budget_window_is_only_for_the_simulator() {
        let args = tail_args(&["--budget-window", "15"]);
        assert_eq!(args.budget_window, Some(15.0));
        let cases = [
            (15.0, "http://127.0.0.1:8787", Ok(Duration::from_secs(15))),
            (15.0, "http://localhost:1", Ok(Duration::from_secs(15))),
            (
                15.0,
                "https://api.harvey.ai",
                Err("for tests against the simulator"),
            ),
            (0.5, "http://127.0.0.1:8787", Err("at least 1 second")),
            (f64::NAN, "http://127.0.0.1:8787", Err("at least 1 second")),
        ];
        for (secs, url, expected) in cases {
            match (test_budget_window(secs, url), expected) {
                (Ok(window), Ok(want)) => assert_eq!(window, want),
                (Err(err), Err(want)) => assert!(err.to_string().contains(want), "{err}"),
                (got, want) => panic!("{secs} {url}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        state_file::save(
            &state,
            &SavedPosition {
                cursor: Uuid::from_u128(1),
                log_type: Some("auth:login".into()),
                agent: None,
                earlier_agents: Vec::new(),
            },
        )
        .unwrap();
        let cases: [(Vec<&str>, &str); 5] = [
            (vec!["--interval", "0"], "--interval must be a positive"),
            (vec!["--for", "soon"], "--for"),
            (vec!["--since", "yesterday"], "--since"),
            (
                vec!["--state", state.to_str().unwrap()],
                "written while following --type auth:login, not every type",
            ),
            (vec!["--filter", "since:"], "--filter: "),
        ];
        for (argv, message) in cases {
            let err = plan(&tail_args(&argv)).unwrap_err();
            assert!(format!("{err:#}").contains(message), "{argv:?}: {err:#}");
        }
    }
}
