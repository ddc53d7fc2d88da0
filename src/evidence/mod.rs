//! The evidence bundle: the entries of an investigation, a manifest that says where they came from, the
//! SHA-256 of every file, and timelines to hand over (Markdown, a self-contained HTML page, Timesketch).
//!
//! Writing is pure apart from the files themselves: the caller gathers the entries (in id order) and
//! describes their source; [`write_bundle`] lays the bundle out and [`verify::verify`] checks one.

mod digest;
mod html;
mod inert;
mod manifest;
mod markdown;
mod summary;
mod timesketch;
pub(crate) mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::entry::{Entry, Rejected};
use crate::export::{self, Row, format_utc};
use crate::sanitize::clean;
use crate::timestamp::UnixNanos;

use self::manifest::{
    Counts, CoverageInfo, FORMAT, FileInfo, GapInfo, Manifest, MarkInfo, QueryInfo, RawInfo,
    RejectedInfo, SourceInfo, TimelineInfo, Tool,
};
use self::summary::Summary;

pub const ENTRIES_JSONL: &str = "entries.jsonl";
pub const ENTRIES_CSV: &str = "entries.csv";
pub const TIMELINE_MD: &str = "timeline.md";
pub const TIMELINE_HTML: &str = "timeline.html";
pub const TIMELINE_JSONL: &str = "timeline.jsonl";
pub const MANIFEST: &str = "manifest.json";
pub const SUMS: &str = "SHA256SUMS";

/// Entries shown in the timelines when nothing is marked (every entry is in `entries.*` regardless).
pub const DEFAULT_TIMELINE_LIMIT: usize = 1000;

/// Whether the source yielded every entry of the window.
#[derive(Debug, Clone, PartialEq)]
pub enum Coverage {
    Complete,
    Gaps(Vec<Gap>),
    /// The source cannot tell (saved files): why.
    Unknown(String),
}

/// A stretch of the window the source could not account for.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub from: Option<UnixNanos>,
    pub until: Option<UnixNanos>,
    pub after_id: Option<Uuid>,
    pub before_id: Option<Uuid>,
    pub reason: String,
}

/// Where the entries came from and what was asked for.
#[derive(Debug, Clone)]
pub struct Source {
    /// The command line or TUI key that asked for the bundle.
    pub made_by: String,
    pub case: Option<String>,
    /// The API's base URL, or the files read.
    pub host: String,
    pub region: Option<String>,
    /// `whoami`'s answer for the token's service user (the caller keeps the token out of it).
    pub service_user: Option<serde_json::Map<String, serde_json::Value>>,
    pub filter: String,
    pub since_given: Option<String>,
    pub until_given: Option<String>,
    /// The resolved window, `[since, until)` in UTC.
    pub since: Option<UnixNanos>,
    pub until: Option<UnixNanos>,
    pub coverage: Coverage,
}

/// Everything one bundle is made of.
#[derive(Debug, Clone, Copy)]
pub struct BundleInput<'a> {
    /// The matching entries, in id order.
    pub entries: &'a [Entry],
    /// Ids of entries whose raw text was not kept (their `raw` was rebuilt from the fields).
    pub without_raw: &'a BTreeSet<Uuid>,
    pub rejected: &'a [Rejected],
    /// Marked entries and their notes. When any is marked, the timelines show the marked entries.
    pub marks: &'a BTreeMap<Uuid, Option<String>>,
    pub source: &'a Source,
    pub created: UnixNanos,
    pub timeline_limit: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{0} already holds files: an evidence bundle goes into a new or empty directory")]
    NotEmpty(PathBuf),
    #[error("cannot write the bundle in {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes the bundle into `dir` (created if absent, refused if not empty) and returns its manifest.
pub fn write_bundle(dir: &Path, input: &BundleInput<'_>) -> Result<Manifest, BundleError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    if std::fs::read_dir(dir)
        .map_err(io_error(dir))?
        .next()
        .is_some()
    {
        return Err(BundleError::NotEmpty(dir.to_owned()));
    }
    let timeline = timeline_entries(input);
    let summary = Summary::of(input.entries);
    let files: [(&str, Vec<u8>); 5] = [
        (ENTRIES_JSONL, entries_jsonl(input.entries)),
        (ENTRIES_CSV, entries_csv(input.entries)),
        (
            TIMELINE_MD,
            markdown::render(input, &timeline, &summary).into_bytes(),
        ),
        (
            TIMELINE_HTML,
            html::render(input, &timeline, &summary).into_bytes(),
        ),
        (
            TIMELINE_JSONL,
            timesketch::render(input.entries, input.marks).into_bytes(),
        ),
    ];
    let mut infos = BTreeMap::new();
    for (name, bytes) in &files {
        write_file(dir, name, bytes)?;
        infos.insert(
            (*name).to_owned(),
            FileInfo {
                sha256: digest::sha256_hex(bytes),
                bytes: bytes.len() as u64,
            },
        );
    }
    let manifest = build_manifest(input, &summary, timeline.len(), infos);
    let manifest_text = manifest_json(&manifest);
    write_file(dir, MANIFEST, manifest_text.as_bytes())?;
    let manifest_hash = digest::sha256_hex(manifest_text.as_bytes());
    let mut sums: Vec<(&str, &str)> = manifest
        .files
        .iter()
        .map(|(name, info)| (name.as_str(), info.sha256.as_str()))
        .collect();
    sums.push((MANIFEST, &manifest_hash));
    write_file(dir, SUMS, digest::format_sums(sums).as_bytes())?;
    Ok(manifest)
}

/// The manifest as written: indented JSON, hidden characters as escapes, a final newline.
pub fn manifest_json(manifest: &Manifest) -> String {
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serializes");
    inert::json_text(text) + "\n"
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BundleError> {
    let path = dir.join(name);
    let mut file = std::fs::File::create_new(&path).map_err(io_error(&path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&path))
}

/// The entries the timelines show, in time order (id order among equal times).
fn timeline_entries<'a>(input: &BundleInput<'a>) -> Vec<&'a Entry> {
    let mut chosen: Vec<&Entry> = if input.marks.is_empty() {
        input.entries.iter().take(input.timeline_limit).collect()
    } else {
        input
            .entries
            .iter()
            .filter(|e| input.marks.contains_key(&e.id))
            .collect()
    };
    chosen.sort_by_key(|e| (e.ts, e.id));
    chosen
}

fn entries_jsonl(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        export::write_json_line(&mut out, entry).expect("writing to memory");
    }
    out
}

/// CSV through the export writer (formula-safe), with control characters as visible escapes: a CSV is
/// read in spreadsheets and terminals, and `entries.jsonl` keeps the exact text.
fn entries_csv(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    export::write_csv_header(&mut out).expect("writing to memory");
    for entry in entries {
        let (kind, user, ip) = (clean(&entry.kind), clean(&entry.user), clean(&entry.ip));
        let (agent, data) = (clean(&entry.user_agent), clean(entry.data.get()));
        let row = Row {
            id: entry.id,
            ts: entry.ts,
            ts_readable: entry.ts_readable,
            kind: &kind,
            user: &user,
            ip: &ip,
            user_agent: &agent,
            data: &data,
        };
        export::write_csv_row(&mut out, &row).expect("writing to memory");
    }
    out
}

fn build_manifest(
    input: &BundleInput<'_>,
    summary: &Summary,
    shown: usize,
    files: BTreeMap<String, FileInfo>,
) -> Manifest {
    let source = input.source;
    let (complete, gaps, note) = match &source.coverage {
        Coverage::Complete => (true, Vec::new(), None),
        Coverage::Gaps(gaps) => (false, gaps.iter().map(gap_info).collect(), None),
        Coverage::Unknown(why) => (false, Vec::new(), Some(why.clone())),
    };
    let marked = input
        .entries
        .iter()
        .filter(|e| input.marks.contains_key(&e.id))
        .count() as u64;
    let reserialized: Vec<String> = input
        .entries
        .iter()
        .filter(|e| input.without_raw.contains(&e.id))
        .map(|e| e.id.to_string())
        .collect();
    let note = match (complete, note) {
        (false, None) if !gaps.is_empty() => Some(format!(
            "{} gap(s) in the window: entries there may be missing from this bundle",
            gaps.len()
        )),
        (_, note) => note,
    };
    Manifest {
        format: FORMAT.into(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        made_by: source.made_by.clone(),
        case: source.case.clone(),
        created_at: format_utc(input.created),
        source: SourceInfo {
            host: source.host.clone(),
            region: source.region.clone(),
            service_user: source.service_user.clone(),
        },
        query: QueryInfo {
            filter: source.filter.clone(),
            since_given: source.since_given.clone(),
            until_given: source.until_given.clone(),
            since_utc: source.since.map(format_utc),
            until_utc: source.until.map(format_utc),
        },
        coverage: CoverageInfo {
            complete,
            gaps,
            note,
        },
        counts: Counts {
            total: summary.total,
            by_type: summary.by_type.clone(),
            by_user: summary.by_user.clone(),
            rejected: input.rejected.len() as u64,
            marked,
        },
        first_id: input.entries.first().map(|e| e.id.to_string()),
        last_id: input.entries.last().map(|e| e.id.to_string()),
        raw: RawInfo {
            as_received: summary.total - reserialized.len() as u64,
            note: if reserialized.is_empty() {
                "every line of entries.jsonl is the entry as the source sent it".into()
            } else {
                format!(
                    "{} entries had no raw form kept: their lines in entries.jsonl are rebuilt from the parsed fields",
                    reserialized.len()
                )
            },
            reserialized,
        },
        rejected: input
            .rejected
            .iter()
            .map(|r| RejectedInfo {
                id: r.id.map(|id| id.to_string()),
                reason: r.reason.clone(),
            })
            .collect(),
        timeline: TimelineInfo {
            selection: if input.marks.is_empty() {
                "all"
            } else {
                "marked"
            }
            .into(),
            shown: shown as u64,
            left_out: if input.marks.is_empty() {
                (input.entries.len() - shown) as u64
            } else {
                0
            },
        },
        marks: input
            .marks
            .iter()
            .map(|(id, note)| MarkInfo {
                id: id.to_string(),
                note: note.clone(),
                in_bundle: input.entries.binary_search_by_key(id, |e| e.id).is_ok(),
            })
            .collect(),
        files,
    }
}

fn gap_info(gap: &Gap) -> GapInfo {
    GapInfo {
        from_utc: gap.from.map(format_utc),
        until_utc: gap.until.map(format_utc),
        after_id: gap.after_id.map(|id| id.to_string()),
        before_id: gap.before_id.map(|id| id.to_string()),
        reason: gap.reason.clone(),
    }
}

/// The window as one line for the timelines: `since → until` in UTC, open ends said so.
fn window_text(source: &Source) -> String {
    let end = |t: Option<UnixNanos>, open: &str| t.map_or_else(|| open.to_owned(), format_utc);
    format!(
        "{} → {}",
        end(source.since, "the beginning"),
        end(source.until, "the end")
    )
}

/// The coverage as one line for the timelines.
fn coverage_text(coverage: &Coverage) -> String {
    match coverage {
        Coverage::Complete => "complete: every entry of the window was read".into(),
        Coverage::Gaps(gaps) => format!(
            "{} gap(s): entries may be missing (see manifest.json)",
            gaps.len()
        ),
        Coverage::Unknown(why) => format!("unknown: {why}"),
    }
}

#[cfg(test)]
mod tests;
