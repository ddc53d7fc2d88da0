//! `auditui archive status|prune|import`: looking after the archive file.

use std::process::ExitCode;

use anyhow::Context;

use crate::archive::{Archive, Status, Stretch};
use crate::cli::{ArchiveAction, ArchiveArgs, Cli};
use crate::commands::sync::archive_path;
use crate::progress::Progress;
use crate::sanitize::{clean, clean_truncated};
use crate::timespec::parse_duration;
use crate::timestamp::UnixNanos;

/// Malformed entries listed one by one before only a count is given.
const LISTED: usize = 20;
/// Entries stored per transaction by an import.
const IMPORT_CHUNK: usize = 20_000;

pub fn run(cli: &Cli, args: &ArchiveArgs) -> anyhow::Result<ExitCode> {
    let path = archive_path(cli, &args.archive)?;
    match &args.action {
        ArchiveAction::Status => {
            let archive = Archive::open_read(&path)?;
            print!(
                "{}",
                describe(
                    &path.display().to_string(),
                    &archive.status()?,
                    crate::clock::now()
                )
            );
        }
        ArchiveAction::Prune { keep } => {
            let span = parse_duration(keep).context("--keep")?;
            let span = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
            let before = crate::clock::now().saturating_sub(span);
            let mut writer = Archive::open_write(&path, "auditui archive prune")?;
            let removed = writer.prune(before)?;
            println!("removed {removed} entries older than {}", time(before));
        }
        ArchiveAction::Import { files } => {
            let mut writer = Archive::open_write(&path, "auditui archive import")?;
            let (mut stored, mut held, mut listed) = (0u64, 0u64, 0usize);
            let progress = Progress::on_stderr("import");
            for file in files {
                let name = clean(&file.display().to_string()).into_owned();
                progress.set(stored + held, &format!("entries, reading {name}"));
                let saved =
                    crate::saved::read(file).with_context(|| format!("cannot read {name}"))?;
                for chunk in saved.entries.chunks(IMPORT_CHUNK) {
                    let committed = writer.import(chunk)?;
                    stored += committed.stored;
                    held += committed.already_held;
                    progress.set(stored + held, &format!("entries, storing {name}"));
                }
                for (line, bad) in &saved.malformed {
                    if listed < LISTED {
                        progress.say(&format!(
                            "auditui: {name}:{line}: skipped, {}",
                            clean_truncated(&bad.reason, 200)
                        ));
                    }
                    listed += 1;
                }
            }
            progress.finish();
            println!("imported {stored} entries ({held} held already, {listed} malformed skipped)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn time(ts: UnixNanos) -> String {
    if ts == UnixNanos::MIN {
        return "the start of the log".into();
    }
    chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn stretch_line(s: &Stretch) -> String {
    format!(
        "  {} .. {}  ({} .. {})\n",
        time(s.lo_ts),
        time(s.hi_ts),
        s.lo,
        s.hi
    )
}

/// The status report, as printed.
pub fn describe(name: &str, status: &Status, now: UnixNanos) -> String {
    let mut out = format!("archive      {}\n", clean(name));
    out += &format!("entries      {}\n", status.entries);
    let per_entry = |bytes: u64| {
        if status.entries == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}", bytes as f64 / status.entries as f64)
        }
    };
    out += &format!(
        "size         {} bytes on disk, {} per entry (JSON text: {} per entry)\n",
        status.bytes_on_disk,
        per_entry(status.bytes_on_disk),
        per_entry(status.json_bytes)
    );
    let end = |e: &Option<(uuid::Uuid, UnixNanos)>| match e {
        Some((id, ts)) => format!("{} {id}", time(*ts)),
        None => "-".into(),
    };
    out += &format!(
        "first        {}\nlast         {}\n",
        end(&status.first),
        end(&status.last)
    );
    out += &format!("malformed    {}\n", status.rejected);
    out += &format!(
        "covered      {} stretch(es) fetched whole\n",
        status.stretches.len()
    );
    for s in &status.stretches {
        out += &stretch_line(s);
    }
    let gaps: Vec<_> = status.stretches.windows(2).collect();
    if gaps.is_empty() {
        out += "gaps         none between stretches\n";
    } else {
        out += &format!(
            "gaps         {} (auditui sync --fill-gaps fetches them)\n",
            gaps.len()
        );
        for pair in gaps {
            out += &format!("  {} .. {}\n", time(pair[0].hi_ts), time(pair[1].lo_ts));
        }
    }
    out += &match status.last_sync {
        Some(at) => format!(
            "last sync    {} ({}s ago)\n",
            time(at),
            (now - at).max(0) / 1_000_000_000
        ),
        None => "last sync    never\n".into(),
    };
    out += &format!(
        "writer       {}\n",
        status.writer.as_deref().map(clean).unwrap_or("none".into())
    );
    if status.repeated > 0 {
        out += &format!("repeated     {} entries fetched twice\n", status.repeated);
    }
    out
}
