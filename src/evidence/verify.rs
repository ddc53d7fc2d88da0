//! `auditui verify DIR`: recomputes every hash of a bundle, checks `SHA256SUMS` and `manifest.json`
//! against each other and against the files, rechecks the manifest's counts against `entries.jsonl`, and
//! says exactly what was changed, added or is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::digest::{parse_sums, sha256_hex};
use super::manifest::{FORMAT, Manifest};
use super::summary::Summary;
use super::{ENTRIES_JSONL, MANIFEST, SUMS};
use crate::entry::Entry;
use crate::sanitize::clean;

/// One difference between the bundle as written and as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Changed { file: String, detail: String },
    Missing { file: String },
    Added { file: String },
}

impl Finding {
    #[cfg(test)]
    pub fn file(&self) -> &str {
        match self {
            Finding::Changed { file, .. } | Finding::Missing { file } | Finding::Added { file } => {
                file
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // File names come from the directory or the bundle's own lists: shown, never acted on.
        match self {
            Finding::Changed { file, detail } => {
                write!(f, "changed: {}: {}", clean(file), clean(detail))
            }
            Finding::Missing { file } => write!(f, "missing: {}", clean(file)),
            Finding::Added { file } => write!(f, "added: {}", clean(file)),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Files whose hash matched.
    pub intact: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }

    fn changed(&mut self, file: &str, detail: impl Into<String>) {
        self.findings.push(Finding::Changed {
            file: file.into(),
            detail: detail.into(),
        });
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the bundle {}: {source}", clean(&.path.display().to_string()))]
pub struct VerifyError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// A file's bytes, `None` when it does not exist.
fn read(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, VerifyError> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(VerifyError { path, source }),
    }
}

/// A name a bundle may list: a plain file name, no path.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

pub fn verify(dir: &Path) -> Result<Report, VerifyError> {
    let mut report = Report::default();
    if !dir.is_dir() {
        return Err(VerifyError {
            path: dir.to_owned(),
            source: io::Error::new(io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let sums: Option<BTreeMap<String, String>> = match read(dir, SUMS)? {
        None => {
            report.findings.push(Finding::Missing { file: SUMS.into() });
            None
        }
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let (pairs, bad) = parse_sums(&text);
            for line in bad {
                report.changed(
                    SUMS,
                    format!("line {} is not `<sha256>  <name>`", line.line),
                );
            }
            Some(pairs.into_iter().collect())
        }
    };
    let manifest = check_manifest(dir, sums.as_ref(), &mut report)?;
    let listed: BTreeSet<String> = manifest
        .iter()
        .flat_map(|m| m.files.keys().cloned())
        .chain(sums.iter().flat_map(|s| s.keys().cloned()))
        .filter(|name| name != MANIFEST)
        .collect();
    for name in &listed {
        check_file(dir, name, manifest.as_ref(), sums.as_ref(), &mut report)?;
    }
    for name in present_files(dir)? {
        if name != MANIFEST && name != SUMS && !listed.contains(&name) {
            report.findings.push(Finding::Added { file: name });
        }
    }
    if let Some(manifest) = &manifest
        && let Some(bytes) = read(dir, ENTRIES_JSONL)?
    {
        recount(manifest, &bytes, &mut report);
    }
    Ok(report)
}

fn check_manifest(
    dir: &Path,
    sums: Option<&BTreeMap<String, String>>,
    report: &mut Report,
) -> Result<Option<Manifest>, VerifyError> {
    let Some(bytes) = read(dir, MANIFEST)? else {
        report.findings.push(Finding::Missing {
            file: MANIFEST.into(),
        });
        return Ok(None);
    };
    let actual = sha256_hex(&bytes);
    match sums.map(|s| s.get(MANIFEST)) {
        Some(Some(expected)) if *expected != actual => report.changed(
            MANIFEST,
            format!("sha256 is {actual}, {SUMS} says {expected}"),
        ),
        Some(Some(_)) => report.intact.push(MANIFEST.into()),
        Some(None) => report.changed(SUMS, format!("does not list {MANIFEST}")),
        None => {}
    }
    match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(manifest) if manifest.format == FORMAT => Ok(Some(manifest)),
        Ok(manifest) => {
            report.changed(
                MANIFEST,
                format!("format is {:?}, not {FORMAT:?}", manifest.format),
            );
            Ok(Some(manifest))
        }
        Err(err) => {
            report.changed(MANIFEST, format!("not a readable manifest: {err}"));
            Ok(None)
        }
    }
}

fn check_file(
    dir: &Path,
    name: &str,
    manifest: Option<&Manifest>,
    sums: Option<&BTreeMap<String, String>>,
    report: &mut Report,
) -> Result<(), VerifyError> {
    let in_manifest = manifest.and_then(|m| m.files.get(name));
    let in_sums = sums.and_then(|s| s.get(name));
    if manifest.is_some() && in_manifest.is_none() {
        report.changed(SUMS, format!("lists {name}, which {MANIFEST} does not"));
        return Ok(());
    }
    if sums.is_some() && in_sums.is_none() {
        report.changed(SUMS, format!("does not list {name}"));
    }
    if !is_plain_name(name) {
        let list = if in_manifest.is_some() {
            MANIFEST
        } else {
            SUMS
        };
        report.changed(
            list,
            format!("lists {name:?}, which is not a file of the bundle"),
        );
        return Ok(());
    }
    let Some(bytes) = read(dir, name)? else {
        report.findings.push(Finding::Missing { file: name.into() });
        return Ok(());
    };
    let actual = sha256_hex(&bytes);
    let manifest_hash = in_manifest.map(|info| info.sha256.as_str());
    let sums_hash = in_sums.map(String::as_str);
    let matches_manifest = manifest_hash.is_none_or(|h| h == actual);
    let matches_sums = sums_hash.is_none_or(|h| h == actual);
    if let (false, Some(expected)) = (matches_manifest, manifest_hash) {
        report.changed(
            name,
            format!("sha256 is {actual}, {MANIFEST} says {expected}"),
        );
    } else if let (false, Some(expected)) = (matches_sums, sums_hash) {
        // The file matches the manifest: the sums line is what changed, unless there is no manifest to
        // tell which of the two is right.
        if manifest.is_some() {
            report.changed(
                SUMS,
                format!("its line for {name} does not match the file or {MANIFEST}"),
            );
        } else {
            report.changed(name, format!("sha256 is {actual}, {SUMS} says {expected}"));
        }
    } else {
        report.intact.push(name.into());
    }
    if let Some(info) = in_manifest
        && info.bytes != bytes.len() as u64
        && matches_manifest
    {
        report.changed(
            MANIFEST,
            format!(
                "says {name} has {} bytes, it has {}",
                info.bytes,
                bytes.len()
            ),
        );
    }
    Ok(())
}

/// The names of everything in the bundle directory (a sub-directory ends in `/`).
fn present_files(dir: &Path) -> Result<Vec<String>, VerifyError> {
    let error = |source| VerifyError {
        path: dir.to_owned(),
        source,
    };
    let mut names = Vec::new();
    for item in std::fs::read_dir(dir).map_err(error)? {
        let item = item.map_err(error)?;
        let mut name = item.file_name().to_string_lossy().into_owned();
        if item.file_type().map_err(error)?.is_dir() {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// The manifest's counts and ids against the entries the bundle holds.
fn recount(manifest: &Manifest, jsonl: &[u8], report: &mut Report) {
    let text = String::from_utf8_lossy(jsonl);
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match Entry::parse(line) {
            Ok(entry) => entries.push(entry),
            Err(rejected) => report.changed(
                ENTRIES_JSONL,
                format!("line {} is not an entry: {}", index + 1, rejected.reason),
            ),
        }
    }
    let summary = Summary::of(&entries);
    let counts = &manifest.counts;
    let mut disagree = |what: &str, says: String, holds: String| {
        if says != holds {
            report.changed(
                MANIFEST,
                format!("{what} says {says}, {ENTRIES_JSONL} holds {holds}"),
            );
        }
    };
    disagree(
        "counts.total",
        counts.total.to_string(),
        summary.total.to_string(),
    );
    disagree(
        "counts.by_type",
        format!("{:?}", counts.by_type),
        format!("{:?}", summary.by_type),
    );
    disagree(
        "counts.by_user",
        format!("{:?}", counts.by_user),
        format!("{:?}", summary.by_user),
    );
    let id = |e: Option<&Entry>| e.map(|e| e.id.to_string());
    disagree(
        "first_id",
        format!("{:?}", manifest.first_id),
        format!("{:?}", id(entries.first())),
    );
    disagree(
        "last_id",
        format!("{:?}", manifest.last_id),
        format!("{:?}", id(entries.last())),
    );
    if entries.windows(2).any(|w| w[0].id >= w[1].id) {
        report.changed(ENTRIES_JSONL, "entries are not in ascending id order");
    }
}
