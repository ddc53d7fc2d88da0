//! The evidence key's bundle: a snapshot of the marks (or of the view) taken on the loop, cheap, and
//! written by [`crate::evidence::write_bundle`] on another thread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use crate::app::action::Notice;
use crate::app::keymap::{Command, Context};
use crate::app::state::State;
use crate::entry::Entry;
use crate::evidence::{self, BundleInput, Coverage, Source};
use crate::sanitize::clean;
use crate::store::Store;
use crate::timestamp::UnixNanos;

/// What one press of the evidence key writes.
pub struct EvidenceJob {
    store: Arc<Store>,
    /// Store positions of the entries, in id order.
    indices: Vec<u32>,
    marks: BTreeMap<Uuid, Option<String>>,
    source: Source,
    created: UnixNanos,
    dir: PathBuf,
    /// Where the raw text of the entries may be read.
    archive: Option<PathBuf>,
}

impl State {
    /// The bundle of the marks when there are any (those loaded), else of the view.
    pub fn evidence_job(&self, dir: PathBuf) -> EvidenceJob {
        let marks = self.marks.notes().clone();
        let indices = if marks.is_empty() {
            self.view.indices().to_vec()
        } else {
            let mut found: Vec<u32> = marks
                .keys()
                .filter_map(|id| self.store.position_of(*id))
                .collect();
            found.sort_unstable();
            found
        };
        let (since, until) = self.query.time_window();
        // The view's window: the filter's, else what is loaded, up to now.
        let (since, until) = if marks.is_empty() {
            let first = (!self.store.is_empty()).then(|| self.store.get(0).ts());
            (since.or(first), Some(until.unwrap_or(self.now)))
        } else {
            (since, until)
        };
        let key = self.keymap.hint(Context::List, Command::Evidence);
        let source = Source {
            made_by: format!("auditui TUI, evidence key {key}"),
            case: self.case.as_ref().map(|c| c.name.clone()),
            host: self.source.clone(),
            region: None,
            service_user: self.service_user.clone(),
            filter: self.filter.applied.clone(),
            since_given: None,
            until_given: None,
            since,
            until,
            coverage: Coverage::Unknown(if marks.is_empty() {
                "written from the entries the TUI had loaded for the view".into()
            } else {
                "the marked entries the TUI had loaded".into()
            }),
        };
        EvidenceJob {
            store: Arc::clone(&self.store),
            indices,
            marks,
            source,
            created: self.now,
            dir,
            archive: self.archive.as_ref().map(|window| window.path.clone()),
        }
    }
}

impl EvidenceJob {
    /// The entries' text as the API sent it, from the archive (none without one, or when it cannot be
    /// read: the lines are then rebuilt, and said to be).
    fn raw_from_archive(&self) -> BTreeMap<Uuid, String> {
        let mut raw = BTreeMap::new();
        let Some(path) = &self.archive else {
            return raw;
        };
        let archive = match crate::archive::Archive::open_read(path) {
            Ok(archive) => archive,
            Err(err) => {
                tracing::warn!("evidence: raw entries not read from the archive: {err}");
                return raw;
            }
        };
        let Ok(mut statement) = archive.connection().prepare(&format!(
            "SELECT {} FROM entries e WHERE e.id = ?1",
            crate::archive::RESTORED_RAW
        )) else {
            return raw;
        };
        for &i in &self.indices {
            let id = self.store.get(i).id();
            if let Ok(text) =
                statement.query_row([id.as_bytes().as_slice()], |r| r.get::<_, String>(0))
            {
                raw.insert(id, text);
            }
        }
        raw
    }

    /// For a bundle of the view, what the archive holds of its window: complete, or the gaps. A bundle of
    /// marks is a choice, not a window: its coverage stays unknown.
    fn archive_coverage(&self) -> Option<Coverage> {
        let (Some(path), Some(since), true) =
            (&self.archive, self.source.since, self.marks.is_empty())
        else {
            return None;
        };
        let archive = crate::archive::Archive::open_read(path).ok()?;
        let held = archive.coverage(since, self.source.until).ok()?;
        Some(if held.is_complete() {
            Coverage::Complete
        } else if held.gaps.is_empty() {
            Coverage::Unknown(
                "the archive holds no stretch fetched from the API in the window".into(),
            )
        } else {
            Coverage::Gaps(
                held.gaps
                    .iter()
                    .map(|&(from, until)| crate::evidence::Gap {
                        from: Some(from),
                        until: Some(until),
                        after_id: None,
                        before_id: None,
                        reason: "not fetched into the archive".into(),
                    })
                    .collect(),
            )
        })
    }

    /// Writes the bundle; the notice says where, or why not. Blocking: run it off the app loop.
    pub fn write(mut self) -> Notice {
        let raw = self.raw_from_archive();
        if let Some(coverage) = self.archive_coverage() {
            self.source.coverage = coverage;
        }
        let mut without_raw = BTreeSet::new();
        // The store keeps the fields, not the bytes received: a line the archive does not hold is
        // rebuilt from them, and the manifest says which.
        let entries: Vec<Entry> = self
            .indices
            .iter()
            .filter_map(|&i| {
                let stored = self.store.get(i);
                if let Some(entry) = raw.get(&stored.id()).and_then(|r| Entry::parse(r).ok()) {
                    return Some(entry);
                }
                without_raw.insert(stored.id());
                Entry::parse(&stored.json_line()).ok()
            })
            .collect();
        let missing = self
            .marks
            .keys()
            .filter(|id| !entries.iter().any(|e| e.id == **id))
            .count();
        let input = BundleInput {
            entries: &entries,
            without_raw: &without_raw,
            rejected: &[],
            marks: &self.marks,
            source: &self.source,
            created: self.created,
            timeline_limit: evidence::DEFAULT_TIMELINE_LIMIT,
        };
        let dir = self.dir.display().to_string();
        let dir = clean(&dir);
        let notice = match evidence::write_bundle(&self.dir, &input) {
            Ok(manifest) => Notice {
                text: format!(
                    "evidence: {} entries ({} marked{}) written to {dir} · check it with auditui verify {dir}",
                    manifest.counts.total,
                    manifest.counts.marked,
                    if missing > 0 {
                        format!(", {missing} marked but not loaded left out")
                    } else {
                        String::new()
                    }
                ),
                is_error: false,
            },
            Err(err) => Notice {
                text: format!("evidence not written: {}", clean(&err.to_string())),
                is_error: true,
            },
        };
        tracing::info!("{}", notice.text);
        notice
    }
}
