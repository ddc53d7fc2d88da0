//! `auditui sync`: follows the API into the archive, one page and its cursor per transaction.
//!
//! It backfills from `--since` (or the oldest entry), resumes after the archive's own cursor on every
//! later run, fills the gaps between stretches when asked, and keeps following until stopped (`--once`
//! stops when caught up, `--until` at the end of a window). It stores every entry, its own
//! `api:audit_log_fetch` requests included: the archive is the log as the API holds it. Each run's
//! User-Agent is remembered in the archive, so readers can leave those fetches out
//! ([`crate::archive::Select::without_own_fetches`]).

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use uuid::Uuid;

use crate::archive::{self, Archive, Seed, Writer};
use crate::cli::{ArchivePath, Cli, SyncArgs};
use crate::client::{Client, ClientOptions};
use crate::entry::{Entry, Rejected};
use crate::poller::{self, ConnState, PollControl, PollEvent, PollerConfig, Start, session_agent};
use crate::progress::Progress;
use crate::sanitize::clean;
use crate::timespec::parse_instant;
use crate::timestamp::UnixNanos;
use crate::{config, logging};

const DAY: i64 = 86_400 * 1_000_000_000;
/// How far back `/search` reaches, less a day of margin: earlier starts begin at the oldest entry.
const SEARCH_REACH: i64 = 364 * DAY;

/// The archive a command works on: `--archive`, or the host's default file.
pub fn archive_path(cli: &Cli, archive: &ArchivePath) -> anyhow::Result<PathBuf> {
    if let Some(path) = &archive.archive {
        return Ok(path.clone());
    }
    let connection = config::resolve(&cli.api)?;
    archive::default_path(&connection.base_url)
        .context("no data directory is known for this user: pass --archive PATH")
}

pub async fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_file.as_deref());
    let now = crate::clock::now();
    let until = args
        .until
        .as_deref()
        .map(|text| parse_instant(text, now))
        .transpose()
        .context("--until")?;
    let since = args
        .since
        .as_deref()
        .map(|text| parse_instant(text, now))
        .transpose()
        .context("--since")?;
    let interval = Duration::try_from_secs_f64(args.interval)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| {
            format!(
                "--interval must be a positive number of seconds, not {}",
                args.interval
            )
        })?;
    let connection = config::resolve(&cli.api)?;
    let path = archive_path(cli, &args.archive)?;
    let mut writer = Archive::open_write(&path, "auditui sync")?;
    // Remembered before the first request, so readers can leave this session's fetches out (they are
    // stored: the archive is the log as the API holds it).
    let agent = session_agent();
    writer.remember_agent(&agent, now)?;
    let client = Client::new(ClientOptions {
        user_agent: Some(agent),
        ..ClientOptions::from_connection(&connection)
    })?;
    let name = clean(&path.display().to_string()).into_owned();
    let mut stop = Box::pin(stop_requested()?);
    let mut totals = Totals::default();

    if args.fill_gaps {
        let stretches = writer.archive().stretches()?;
        for pair in stretches.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            eprintln!(
                "auditui: sync: filling the gap after {} up to {}",
                before.hi, after.lo
            );
            writer.follow(Seed::Resume(before.hi))?;
            let config = poller_config(Start::After(before.hi), args.budget, interval);
            let goal = Goal::Reach(after.lo);
            match follow(
                &mut writer,
                client.clone(),
                config,
                goal,
                &mut stop,
                &mut totals,
            )
            .await?
            {
                Ended::Done => {}
                ended => return Ok(finish(&name, &totals, ended)),
            }
        }
    }

    let (start, seed) = plan_start(writer.cursor()?, since, args.from_start, now);
    if let (Start::Earliest, Some(_)) = (&start, since) {
        eprintln!(
            "auditui: sync: --since is more than a year back, beyond /search: starting at the oldest entry"
        );
    }
    writer.follow(seed)?;
    let config = poller_config(start, args.budget, interval);
    let goal = Goal::Follow {
        once: args.once,
        until,
    };
    let ended = follow(&mut writer, client, config, goal, &mut stop, &mut totals).await?;
    Ok(finish(&name, &totals, ended))
}

/// Where following starts: after the archive's cursor when it has one, else the backfill asked for.
fn plan_start(
    cursor: Option<Uuid>,
    since: Option<UnixNanos>,
    from_start: bool,
    now: UnixNanos,
) -> (Start, Seed) {
    match (cursor, since, from_start) {
        (Some(cursor), _, _) => (Start::After(cursor), Seed::Resume(cursor)),
        (None, _, true) => (Start::Earliest, Seed::Earliest),
        (None, Some(at), false) if at < now - SEARCH_REACH => (Start::Earliest, Seed::Earliest),
        (None, Some(at), false) => (Start::Since(at), Seed::Since(at)),
        (None, None, false) => (Start::Since(now - DAY), Seed::Since(now - DAY)),
    }
}

fn poller_config(start: Start, budget: u32, interval: Duration) -> PollerConfig {
    let mut config = PollerConfig::new(start);
    config.budget_per_minute = budget;
    config.interval = interval;
    config.show_self = true;
    config
}

#[derive(Debug, Clone, Copy)]
enum Goal {
    /// Follow the live stream, stopping when caught up (`once`) or past `until`.
    Follow {
        once: bool,
        until: Option<UnixNanos>,
    },
    /// Fill a gap: stop once paging reaches the stretch that starts at this id.
    Reach(Uuid),
}

#[derive(Debug)]
enum Ended {
    Done,
    Signal(&'static str),
    Failed(String),
}

#[derive(Debug, Default)]
struct Totals {
    stored: u64,
    already_held: u64,
    rejected: u64,
}

fn finish(name: &str, totals: &Totals, ended: Ended) -> ExitCode {
    let why = match &ended {
        Ended::Done => "done".to_owned(),
        Ended::Signal(why) => (*why).to_owned(),
        Ended::Failed(reason) => format!("stopped: {}", clean(reason)),
    };
    eprintln!(
        "auditui: sync: {why}; stored {} entries ({} held already, {} malformed) in {name}",
        totals.stored, totals.already_held, totals.rejected
    );
    match ended {
        Ended::Failed(_) => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    }
}

/// Runs one poller into the writer until the goal is met, a signal comes, or the poller stops.
async fn follow<F: Future<Output = &'static str> + Unpin>(
    writer: &mut Writer,
    client: Client,
    config: PollerConfig,
    goal: Goal,
    stop: &mut F,
    totals: &mut Totals,
) -> anyhow::Result<Ended> {
    let (mut events, control) = poller::spawn(client, config);
    let progress = Progress::on_stderr("sync");
    let mut entries: Vec<Entry> = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    let ended = loop {
        let event = tokio::select! {
            biased;
            why = &mut *stop => break Ended::Signal(why),
            event = events.recv() => event,
        };
        let Some(event) = event else {
            break Ended::Failed("the poller ended without saying why".into());
        };
        match event {
            PollEvent::Entries(batch) => entries.extend(batch),
            PollEvent::Rejected(batch) => rejected.extend(batch),
            // Only `auditui open`'s loader sends blocks; sync's poller is not told who it is.
            PollEvent::Loaded(_) | PollEvent::Archive(_) | PollEvent::Identified(_) => {}
            PollEvent::Position(position) => {
                let newest = entries.iter().map(|e| e.ts).max();
                let committed = writer.commit_page(&entries, &rejected, position)?;
                totals.stored += committed.stored;
                totals.already_held += committed.already_held;
                totals.rejected += committed.rejected;
                if let Some(newest) = newest {
                    let now = crate::clock::now();
                    progress.set(
                        totals.stored,
                        &format!(
                            "entries stored, at {} ({} behind)",
                            crate::clock::Zone::Utc.format(newest, "%Y-%m-%d %H:%M:%S UTC"),
                            crate::clock::ago(now, newest)
                        ),
                    );
                }
                entries.clear();
                rejected.clear();
                match goal {
                    Goal::Reach(lo) if position >= lo => break Ended::Done,
                    Goal::Follow {
                        until: Some(until), ..
                    } if newest.is_some_and(|ts| ts >= until) => {
                        break Ended::Done;
                    }
                    _ => {}
                }
            }
            PollEvent::Status(status) => {
                if status.state == ConnState::Live {
                    let now = crate::clock::now();
                    writer.caught_up(now)?;
                    match goal {
                        Goal::Follow { once: true, .. } | Goal::Reach(_) => break Ended::Done,
                        Goal::Follow {
                            until: Some(until), ..
                        } if now >= until => break Ended::Done,
                        _ => {}
                    }
                }
            }
            PollEvent::Stopped { reason } => {
                break match reason {
                    Some(reason) => Ended::Failed(reason.to_string()),
                    None => Ended::Done,
                };
            }
        }
    };
    progress.finish();
    let _ = control.send(PollControl::Stop).await;
    drop(events);
    Ok(ended)
}

/// Resolves when the user asks to stop (Ctrl-C, SIGTERM), with why.
fn stop_requested() -> std::io::Result<impl Future<Output = &'static str>> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        let why = tokio::select! {
            _ = interrupt.recv() => "interrupted",
            _ = terminate.recv() => "terminated",
        };
        #[cfg(not(unix))]
        let why = {
            let _ = tokio::signal::ctrl_c().await;
            "interrupted"
        };
        why
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixNanos = 1_764_000_000_000_000_000;

    #[test]
    fn the_start_is_the_cursor_then_the_backfill_asked_for() {
        let cursor = Uuid::from_u128(7);
        let cases = [
            (
                (Some(cursor), Some(NOW - DAY), true),
                (Start::After(cursor), Seed::Resume(cursor)),
            ),
            ((None, None, true), (Start::Earliest, Seed::Earliest)),
            (
                (None, Some(NOW - 2 * DAY), false),
                (Start::Since(NOW - 2 * DAY), Seed::Since(NOW - 2 * DAY)),
            ),
            (
                (None, Some(NOW - 400 * DAY), false),
                (Start::Earliest, Seed::Earliest),
            ),
            (
                (None, None, false),
                (Start::Since(NOW - DAY), Seed::Since(NOW - DAY)),
            ),
        ];
        for ((cursor, since, from_start), expected) in cases {
            assert_eq!(
                plan_start(cursor, since, from_start, NOW),
                expected,
                "{since:?}"
            );
        }
    }
}
