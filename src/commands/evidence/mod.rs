//! `auditui evidence`: gathers the entries of a query and a window (from the API, or saved files) and
//! writes the evidence bundle.

mod fetch;
mod files;

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, EvidenceArgs, Region};
use crate::entry::{Entry, Rejected};
use crate::evidence::{self, BundleInput, Coverage, Source};
use crate::query::{Matcher, Query};
use crate::sanitize::clean;
use crate::timespec::parse_instant;
use crate::timestamp::UnixNanos;
use crate::{config, logging};

/// What the arguments ask for, checked before any request.
#[derive(Debug)]
struct Plan {
    query: Query,
    since: Option<UnixNanos>,
    until: UnixNanos,
}

#[cfg(test)]
fn plan(args: &EvidenceArgs, now: UnixNanos) -> anyhow::Result<Plan> {
    plan_marked(args, now, &BTreeMap::new())
}

/// The plan, `is:marked` standing for `marks` (the case's).
fn plan_marked(
    args: &EvidenceArgs,
    now: UnixNanos,
    marks: &BTreeMap<uuid::Uuid, Option<String>>,
) -> anyhow::Result<Plan> {
    let query = Query::parse(&args.filter, now)
        .map_err(|e| anyhow::anyhow!("--filter: {e}"))?
        .with_marked(std::sync::Arc::new(marks.keys().copied().collect()));
    let since = args
        .since
        .as_deref()
        .map(|t| parse_instant(t, now))
        .transpose()
        .context("--since")?;
    let until = args
        .until
        .as_deref()
        .map(|t| parse_instant(t, now))
        .transpose()
        .context("--until")?
        .unwrap_or(now);
    if since.is_none() && args.inputs.is_empty() {
        anyhow::bail!("--since is needed to read a window from the API (or pass --input FILE...)");
    }
    if let Some(since) = since
        && since >= until
    {
        anyhow::bail!("--since must be before --until: the window is empty");
    }
    Ok(Plan {
        query,
        since,
        until,
    })
}

/// What a source yielded for the window.
struct Gathered {
    entries: Vec<Entry>,
    rejected: Vec<Rejected>,
    coverage: Coverage,
    host: String,
    region: Option<String>,
    service_user: Option<serde_json::Map<String, serde_json::Value>>,
}

pub async fn run(cli: &Cli, args: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    logging::init(cli.log_file.as_deref());
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
    let marks = case_marks(args)?;
    let plan = plan_marked(args, now, &marks)?;
    let gathered = if args.inputs.is_empty() {
        let connection = config::resolve(&cli.api)?;
        let since = plan.since.expect("checked by plan");
        let mut gathered = fetch::window(&connection, since, plan.until, args.budget).await?;
        gathered.region = region_of(&connection.base_url);
        gathered
    } else {
        let inputs = args.inputs.clone();
        tokio::task::spawn_blocking(move || files::read(&inputs)).await??
    };
    let mut entries = select(gathered.entries, &plan);
    if args.marked {
        entries.retain(|e| marks.contains_key(&e.id));
    }
    let source = Source {
        made_by: command_line(),
        case: args.case.clone(),
        host: gathered.host,
        region: gathered.region,
        service_user: gathered.service_user,
        filter: args.filter.clone(),
        since_given: args.since.clone(),
        until_given: Some(args.until.clone().unwrap_or_else(|| "now".into())),
        since: plan.since,
        until: Some(plan.until),
        coverage: gathered.coverage,
    };
    let input = BundleInput {
        entries: &entries,
        without_raw: &BTreeSet::new(),
        rejected: &gathered.rejected,
        marks: &marks,
        source: &source,
        created: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(now),
        timeline_limit: args.timeline_limit,
    };
    let manifest = evidence::write_bundle(&args.output, &input)?;
    let dir = args.output.display().to_string();
    eprintln!(
        "auditui: wrote {} entries ({} rejected as malformed, coverage {}) to {}; check it with: auditui verify {}",
        manifest.counts.total,
        manifest.counts.rejected,
        if manifest.coverage.complete {
            "complete"
        } else {
            "incomplete"
        },
        clean(&dir),
        clean(&dir),
    );
    Ok(ExitCode::SUCCESS)
}

/// The marks and notes of `--case`, when it names a stored case (a name alone has none).
fn case_marks(args: &EvidenceArgs) -> anyhow::Result<BTreeMap<uuid::Uuid, Option<String>>> {
    let Some(name) = &args.case else {
        return Ok(BTreeMap::new());
    };
    match crate::case::find(name, None)? {
        Some((path, case)) => {
            eprintln!(
                "auditui: case {name}: {} marks, from {}",
                case.marks.len(),
                clean(&path.display().to_string())
            );
            Ok(case.marks)
        }
        None if args.marked => {
            anyhow::bail!("--marked: no stored case {name} (auditui case list shows the cases)")
        }
        None => Ok(BTreeMap::new()),
    }
}

/// The entries of the window that match, in id order, each once.
fn select(mut entries: Vec<Entry>, plan: &Plan) -> Vec<Entry> {
    let mut matcher = Matcher::new(&plan.query);
    entries.retain(|e| {
        plan.since.is_none_or(|since| e.ts >= since)
            && e.ts < plan.until
            && matcher.matches(&e.row())
    });
    entries.sort_by_key(|e| e.id);
    entries.dedup_by_key(|e| e.id);
    entries
}

fn region_of(base_url: &str) -> Option<String> {
    [Region::Us, Region::Eu, Region::Au]
        .into_iter()
        .find(|r| r.base_url() == base_url)
        .map(|r| format!("{r:?}").to_lowercase())
}

/// This process's command line, each argument quoted when the shell would need it. The token is never an
/// argument (only HARVEY_API_TOKEN or --token-file), so it cannot be in here.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().collect();
    let mut words = vec!["auditui".to_owned()];
    for arg in args.iter().skip(1) {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
        words.push(if plain {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        });
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Command;

    fn args(argv: &[&str]) -> EvidenceArgs {
        let cli = Cli::parse_from(["auditui", "evidence", "-o", "out"].iter().chain(argv));
        match cli.command {
            Some(Command::Evidence(args)) => args,
            _ => unreachable!("evidence parses as evidence"),
        }
    }

    const NOW: UnixNanos = 1_795_512_000_000_000_000;

    #[test]
    fn the_window_is_resolved_and_checked_before_any_request() {
        let window = plan(&args(&["--since", "2h", "--until", "1h"]), NOW).unwrap();
        assert_eq!(window.since, Some(NOW - 2 * 3_600_000_000_000));
        assert_eq!(window.until, NOW - 3_600_000_000_000);
        assert_eq!(plan(&args(&["--since", "2h"]), NOW).unwrap().until, NOW);
        let cases: [(&[&str], &str); 4] = [
            (&[], "--since is needed"),
            (&["--since", "1h", "--until", "2h"], "before --until"),
            (&["--since", "soon"], "--since"),
            (&["--since", "1h", "--filter", "since:"], "--filter: "),
        ];
        for (argv, message) in cases {
            let err = plan(&args(argv), NOW).unwrap_err();
            assert!(format!("{err:#}").contains(message), "{argv:?}: {err:#}");
        }
        assert!(
            plan(&args(&["--input", "saved.jsonl"]), NOW)
                .unwrap()
                .since
                .is_none()
        );
    }

    #[test]
    fn only_matching_entries_of_the_window_are_kept_in_id_order_once() {
        let entry = |n: u32, secs: i64, user: &str| {
            let ts = chrono::DateTime::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%S");
            Entry::parse(&format!(
                r#"{{"id":"0194f5a3-7b2c-7def-8123-{n:012}","timestamp":"{ts}","type":"a:b","user":"{user}"}}"#
            ))
            .unwrap()
        };
        let plan = Plan {
            query: Query::parse("user:alice", NOW).unwrap(),
            since: Some(100_000_000_000),
            until: 200_000_000_000,
        };
        let kept = select(
            vec![
                entry(3, 150, "alice"),
                entry(1, 120, "alice"),
                entry(2, 130, "bob"),
                entry(4, 99, "alice"),
                entry(5, 200, "alice"),
                entry(1, 120, "alice"),
            ],
            &plan,
        );
        let ids: Vec<u128> = kept.iter().map(|e| e.id.as_u128() & 0xffff).collect();
        assert_eq!(ids, vec![1, 3]);
    }

    #[test]
    fn regions_are_named_by_their_hosts() {
        assert_eq!(region_of("https://eu.api.harvey.ai").as_deref(), Some("eu"));
        assert_eq!(region_of("http://127.0.0.1:8787"), None);
    }
}
