//! `auditui tail`: the poller's entries to stdout as JSON lines or CSV, status and errors to stderr.

use std::future::Future;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use uuid::Uuid;

use crate::cli::{Cli, TailArgs, TailFormat};
use crate::client::{Client, ClientOptions};
use crate::entry::{Entry, Rejected};
use crate::export::{write_csv_header, write_csv_row, write_json_line};
use crate::poller::state_file::{self, SavedPosition};
use crate::poller::{
    self, ConnState, PollControl, PollEvent, PollStatus, PollerConfig, Start,
    identify_self_resuming, session_agent,
};
use crate::query::{Fields, Matcher, Query};
use crate::sanitize::clean_truncated;
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
        earlier_agent,
    } = plan(args)?;
    // Installed before the first request, so a stop is always a clean one.
    let stop = stop_requested(run_for).context("cannot watch for Ctrl-C")?;
    let connection = config::resolve(&cli.api)?;
    let client = Client::new(ClientOptions {
        user_agent: Some(agent.clone()),
        ..ClientOptions::from_connection(&connection)
    })?;
    config.self_filter = identify_self_resuming(&client, agent.clone(), earlier_agent).await;
    let out = BufWriter::new(io::stdout().lock());
    let output = Output::new(out, args, resumed, filter.as_ref(), agent)?;
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
    /// The User-Agent of the run whose saved position this one resumes.
    earlier_agent: Option<String>,
}

fn plan(args: &TailArgs) -> anyhow::Result<Plan> {
    let watch = &args.watch;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
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
        earlier_agent: saved.and_then(|s| s.agent),
    })
}

fn describe_type(log_type: Option<&str>) -> String {
    match log_type {
        Some(t) => format!("--type {}", clean_truncated(t, 60)),
        None => "every type".into(),
    }
}

/// Whether to go on after an event.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    /// `--max` reached.
    Done,
    /// The poller stopped; `Some` holds why, when it was a failure.
    Stopped(Option<String>),
}

/// Writes what the poller delivers and keeps the state file in step with what was written.
struct Output<'q, W: Write> {
    out: W,
    /// `--filter`: entries it rejects are passed over (and the position still moves past them).
    filter: Option<Matcher<'q>>,
    format: TailFormat,
    max: Option<u64>,
    state: Option<PathBuf>,
    log_type: Option<String>,
    /// Saved with the position, so that the run resuming it knows this one's fetches.
    agent: String,
    written: u64,
    /// The position last saved: a batch whose last entry was written needs no second save.
    saved: Option<Uuid>,
    last: Option<PollStatus>,
}

impl<'q, W: Write> Output<'q, W> {
    fn new(
        out: W,
        args: &TailArgs,
        resumed: bool,
        filter: Option<&'q Query>,
        agent: String,
    ) -> io::Result<Output<'q, W>> {
        let mut output = Output {
            out,
            filter: filter.map(Matcher::new),
            format: args.format,
            max: args.max,
            state: args.state.clone(),
            log_type: args.watch.log_type.clone(),
            agent,
            written: 0,
            saved: None,
            last: None,
        };
        // A resumed run appends to what the last one wrote: one header only.
        if output.format == TailFormat::Csv && !resumed {
            write_csv_header(&mut output.out)?;
            output.out.flush()?;
        }
        Ok(output)
    }

    /// Takes one event; `err` receives the status lines.
    fn take(&mut self, event: PollEvent, err: &mut impl Write) -> anyhow::Result<Flow> {
        match event {
            PollEvent::Entries(entries) => return self.write_entries(&entries),
            PollEvent::Rejected(rejected) => report_rejected(&rejected, err),
            PollEvent::Position(id) => self.save(id)?,
            PollEvent::Status(status) => {
                if let Some(line) = status_line(self.last.as_ref(), &status) {
                    let _ = writeln!(err, "auditui: {line}");
                }
                self.last = Some(status);
            }
            PollEvent::Stopped { reason } => return Ok(Flow::Stopped(reason)),
        }
        Ok(Flow::Continue)
    }

    fn write_entries(&mut self, entries: &[Entry]) -> anyhow::Result<Flow> {
        let mut last = None;
        let mut flow = Flow::Continue;
        for entry in entries {
            if self.max.is_some_and(|max| self.written >= max) {
                flow = Flow::Done;
                break;
            }
            last = Some(entry.id);
            if let Some(filter) = &mut self.filter
                && !filter.matches(&fields(entry))
            {
                continue;
            }
            match self.format {
                TailFormat::Jsonl => write_json_line(&mut self.out, entry)?,
                TailFormat::Csv => write_csv_row(&mut self.out, &entry.row())?,
            }
            self.written += 1;
        }
        if self.max.is_some_and(|max| self.written >= max) {
            flow = Flow::Done;
        }
        self.out.flush()?;
        // Saved now, not only at the batch's position: a stop before that must not repeat these.
        if let Some(id) = last {
            self.save(id)?;
        }
        Ok(flow)
    }

    fn save(&mut self, cursor: Uuid) -> anyhow::Result<()> {
        if self.saved == Some(cursor) {
            return Ok(());
        }
        if let Some(path) = &self.state {
            let position = SavedPosition {
                cursor,
                log_type: self.log_type.clone(),
                agent: Some(self.agent.clone()),
            };
            state_file::save(path, &position)?;
        }
        self.saved = Some(cursor);
        Ok(())
    }

    fn summary(&self) -> String {
        let status = self.last.clone().unwrap_or_default();
        format!(
            "wrote {} entries ({} rejected, {} own fetches hidden, {} retries, {} rate-limited)",
            self.written, status.rejected, status.self_hidden, status.retries, status.rate_limited
        )
    }
}

fn fields(entry: &Entry) -> Fields<'_> {
    Fields {
        ts: entry.ts,
        kind: &entry.kind,
        user: &entry.user,
        ip: &entry.ip,
        user_agent: &entry.user_agent,
        data: entry.data.get(),
    }
}

fn report_rejected(rejected: &[Rejected], err: &mut impl Write) {
    for r in rejected {
        let id =
            r.id.map_or_else(|| "without a readable id".into(), |id| id.to_string());
        let _ = writeln!(
            err,
            "auditui: rejected entry {id}: {}: {}",
            clean_truncated(&r.reason, 120),
            clean_truncated(&r.excerpt, 80)
        );
    }
}

/// The stderr line for a status, when it says something new: a change of state, or a new error.
fn status_line(previous: Option<&PollStatus>, status: &PollStatus) -> Option<String> {
    if previous.is_some_and(|p| p.state == status.state) {
        return None;
    }
    let error = status.last_error.as_deref().unwrap_or("unknown error");
    Some(match &status.state {
        ConnState::Connecting | ConnState::Failed => return None,
        ConnState::Live => format!(
            "live: caught up ({} received, {} rejected, {} own fetches hidden, {}/{} requests in the last minute)",
            status.received,
            status.rejected,
            status.self_hidden,
            status.requests_last_minute,
            status.budget_per_minute
        ),
        ConnState::CatchingUp => match status.lag {
            Some(lag) => format!("catching up: {} behind", human_duration(lag)),
            None => "catching up".into(),
        },
        ConnState::Retrying { attempt } => format!("retrying (attempt {attempt}) after: {error}"),
        ConnState::Paused => "paused".into(),
    })
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
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

    fn tail_args(argv: &[&str]) -> TailArgs {
        let cli = Cli::parse_from(["auditui", "tail"].iter().chain(argv));
        match cli.command {
            Some(Command::Tail(args)) => args,
            _ => unreachable!("tail parses as tail"),
        }
    }

    fn entry(n: u128) -> Entry {
        Entry::parse(&format!(
            r#"{{"id":"{}","timestamp":"2025-02-11T16:08:44","type":"auth:login","user":"a@b.c"}}"#,
            Uuid::from_u128(n)
        ))
        .unwrap()
    }

    fn output_for<'q>(args: &TailArgs, p: &'q Plan) -> io::Result<Output<'q, Vec<u8>>> {
        Output::new(
            Vec::new(),
            args,
            p.resumed,
            p.filter.as_ref(),
            p.agent.clone(),
        )
    }

    fn lines(out: &[u8]) -> Vec<String> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
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
            plan(&tail_args(&["--since", "2025-11-24T09:00"]))
                .unwrap()
                .config
                .start,
            Start::Since(1_763_974_800_000_000_000)
        ));
        let plan_with_state = plan(&tail_args(&["--since", "2h", "--state", state_arg])).unwrap();
        assert!(matches!(plan_with_state.config.start, Start::Since(_)));
        assert!(!plan_with_state.resumed);
        let saved = SavedPosition {
            cursor: Uuid::from_u128(77),
            log_type: None,
            agent: Some("auditui/0.1 (session 77)".into()),
        };
        state_file::save(&state, &saved).unwrap();
        let resumed = plan(&tail_args(&["--since", "2h", "--state", state_arg])).unwrap();
        assert_eq!(resumed.config.start, Start::After(Uuid::from_u128(77)));
        assert!(resumed.resumed);
        assert_eq!(
            resumed.earlier_agent.as_deref(),
            Some("auditui/0.1 (session 77)")
        );
        assert_ne!(resumed.agent, "auditui/0.1 (session 77)");
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

    #[test]
    fn entries_are_written_as_received_and_the_position_saved_after_each_batch() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap()]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let batch = vec![entry(1), entry(2)];
        let flow = output
            .take(PollEvent::Entries(batch.clone()), &mut err)
            .unwrap();
        assert_eq!(flow, Flow::Continue);
        assert_eq!(
            lines(&output.out),
            batch
                .iter()
                .map(|e| e.raw.get().to_owned())
                .collect::<Vec<_>>()
        );
        let saved = || state_file::load(&state).unwrap().unwrap().cursor;
        assert_eq!(saved(), Uuid::from_u128(2));
        let agent = state_file::load(&state).unwrap().unwrap().agent;
        assert_eq!(
            agent,
            Some(p.agent.clone()),
            "the next run will know this one's fetches"
        );
        output
            .take(PollEvent::Position(Uuid::from_u128(5)), &mut err)
            .unwrap();
        assert_eq!(saved(), Uuid::from_u128(5), "hidden entries move it too");
    }

    #[test]
    fn max_stops_mid_batch_and_saves_the_last_entry_written() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--max", "3", "--state", state.to_str().unwrap()]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let first = output
            .take(PollEvent::Entries(vec![entry(1), entry(2)]), &mut err)
            .unwrap();
        assert_eq!(first, Flow::Continue);
        let second = output
            .take(
                PollEvent::Entries(vec![entry(3), entry(4), entry(5)]),
                &mut err,
            )
            .unwrap();
        assert_eq!(second, Flow::Done);
        assert_eq!(lines(&output.out).len(), 3);
        let saved = state_file::load(&state).unwrap().unwrap();
        assert_eq!(saved.cursor, Uuid::from_u128(3));
    }

    #[test]
    fn the_filter_narrows_the_output_and_the_position_moves_past_what_it_drops() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tail.state");
        let args = tail_args(&["--state", state.to_str().unwrap(), "--filter", "user:bob"]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let by = |n: u128, user: &str| {
            Entry::parse(&format!(
                r#"{{"id":"{}","timestamp":"2025-02-11T16:08:44","type":"auth:login","user":"{user}"}}"#,
                Uuid::from_u128(n)
            ))
            .unwrap()
        };
        let batch = vec![by(1, "alice@x.y"), by(2, "bob@x.y"), by(3, "carol@x.y")];
        output
            .take(PollEvent::Entries(batch), &mut Vec::new())
            .unwrap();
        assert_eq!(lines(&output.out).len(), 1);
        assert!(lines(&output.out)[0].contains("bob@x.y"));
        let saved = state_file::load(&state).unwrap().unwrap();
        assert_eq!(saved.cursor, Uuid::from_u128(3));
    }

    #[test]
    fn csv_has_one_header_unless_resuming() {
        let args = tail_args(&["--format", "csv"]);
        let p = plan(&args).unwrap();
        let mut fresh = output_for(&args, &p).unwrap();
        fresh
            .take(PollEvent::Entries(vec![entry(1)]), &mut Vec::new())
            .unwrap();
        let fresh = lines(&fresh.out);
        assert_eq!(fresh[0], crate::export::CSV_HEADER);
        assert_eq!(fresh.len(), 2);
        let p = Plan {
            resumed: true,
            ..plan(&args).unwrap()
        };
        let resumed = output_for(&args, &p).unwrap();
        assert!(resumed.out.is_empty());
    }

    #[test]
    fn rejected_entries_and_state_changes_reach_stderr_sanitized() {
        let args = tail_args(&[]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let mut err = Vec::new();
        let rejected = Rejected {
            id: Some(Uuid::from_u128(9)),
            reason: "bad timestamp \u{1b}[2J".into(),
            excerpt: "{\"id\": \u{202e}".into(),
        };
        output
            .take(PollEvent::Rejected(vec![rejected]), &mut err)
            .unwrap();
        let retrying = PollStatus {
            state: ConnState::Retrying { attempt: 2 },
            last_error: Some("server answered 500: oops".into()),
            ..PollStatus::default()
        };
        output
            .take(PollEvent::Status(retrying.clone()), &mut err)
            .unwrap();
        output.take(PollEvent::Status(retrying), &mut err).unwrap();
        let text = String::from_utf8(err).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("rejected entry 00000000-0000-0000-0000-000000000009"));
        assert_eq!(
            text.matches("retrying (attempt 2) after: server answered 500")
                .count(),
            1,
            "an unchanged status is not repeated: {text}"
        );
        assert!(output.out.is_empty(), "nothing but entries on stdout");
    }

    #[test]
    fn a_failed_poller_stops_with_its_reason() {
        let args = tail_args(&[]);
        let p = plan(&args).unwrap();
        let mut output = output_for(&args, &p).unwrap();
        let flow = output
            .take(
                PollEvent::Stopped {
                    reason: Some("token rejected (401)".into()),
                },
                &mut Vec::new(),
            )
            .unwrap();
        assert_eq!(flow, Flow::Stopped(Some("token rejected (401)".into())));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let cases = [(5, "5s"), (75, "1m15s"), (7300, "2h01m")];
        for (secs, text) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), text);
        }
    }
}
