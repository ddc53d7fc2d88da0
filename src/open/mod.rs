//! `auditui open`'s loader: saved files (JSON lines, arrays, `{"log": ...}`) and archive files read on
//! a thread of their own, block by block, each block parsed into a [`Store`] of its own and sent to the
//! app loop, which merges it ([`Store::absorb`]). The first block is small, so rows are on screen before
//! the file is read; the channel is bounded, so a slow screen slows the reading rather than filling
//! memory. A line that is not an entry is counted and listed, never fatal.

mod lines;

use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc::{self, Receiver, Sender, error::TryRecvError};

use crate::archive::{Archive, Select};
use crate::history::stores::{read_stores, threads};
use crate::poller::{PollControl, PollEvent};
use crate::store::Store;

/// Blocks in flight between the loader and the app loop.
const IN_FLIGHT: usize = 4;
/// Entries per block read from an archive (the first block is smaller, see [`FIRST_ENTRIES`]).
const ARCHIVE_BLOCK: usize = 32_768;
const FIRST_ENTRIES: usize = 1_000;
/// Bad lines kept to be listed; beyond these only the count goes on.
pub const LISTED: usize = 1_000;

/// One block of what the files hold, and where the loading stands after it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub block: Store,
    pub bad: Vec<BadLine>,
    pub progress: Progress,
}

/// How far the loading has got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub files: usize,
    /// Entries read so far (before merging: an entry in two files counts twice here).
    pub read: u64,
    /// Lines or elements that are not entries.
    pub bad: u64,
    pub bytes_read: u64,
    pub bytes_total: u64,
    /// Everything has been read.
    pub done: bool,
}

/// A line (or array element, or stored entry) that is not an entry, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub file: PathBuf,
    /// 1-based line number; 0 inside an array, an envelope or an archive.
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.display().to_string();
        let file = crate::sanitize::clean(&file);
        let reason = crate::sanitize::clean(&self.reason);
        match self.line {
            0 => write!(f, "{file}: {reason}"),
            line => write!(f, "{file}:{line}: {reason}"),
        }
    }
}

/// What a file is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Archive,
    /// A JSON array or a `{"log": ...}` envelope: read whole.
    Whole,
    JsonLines,
}

/// Starts loading `paths` on a thread of its own. The link is the poller's: its messages are
/// [`PollEvent::Loaded`] blocks, the last one with `progress.done`; `PollControl::Stop` (or dropping
/// the receiver) ends it between two blocks, or after the last.
pub fn spawn(paths: Vec<PathBuf>) -> (Receiver<PollEvent>, Sender<PollControl>) {
    let (events, receiver) = mpsc::channel(IN_FLIGHT);
    let (control, controls) = mpsc::channel(8);
    let threads = threads();
    let spawned = std::thread::Builder::new()
        .name("open".into())
        .spawn(move || {
            let mut loader = Loader {
                events,
                controls,
                threads,
                progress: Progress {
                    files: paths.len(),
                    bytes_total: paths.iter().map(|p| size_of_file(p)).sum(),
                    ..Progress::default()
                },
            };
            loader.run(&paths);
        });
    if let Err(err) = spawned {
        tracing::error!("cannot start the loader thread: {err}");
    }
    (receiver, control)
}

fn size_of_file(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// What the file at `path` holds, from its first bytes.
pub fn kind_of(path: &Path) -> std::io::Result<Kind> {
    let mut head = [0u8; 4096];
    let mut file = File::open(path)?;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = &head[..got];
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(Kind::Archive);
    }
    let text = head.trim_ascii_start();
    if text.starts_with(b"[") {
        return Ok(Kind::Whole);
    }
    // JSON lines start with a whole object on the first line; an envelope is one object, often
    // spread over several lines, whose key is `log`.
    if text.starts_with(b"{") {
        let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let whole_line = serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok();
        let envelope = if whole_line {
            serde_json::from_slice::<Envelope>(first_line).is_ok()
        } else {
            text[1..].trim_ascii_start().starts_with(b"\"log\"")
        };
        if envelope {
            return Ok(Kind::Whole);
        }
    }
    Ok(Kind::JsonLines)
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    #[allow(dead_code)] // only its presence is checked
    log: &'a serde_json::value::RawValue,
}

struct Loader {
    events: Sender<PollEvent>,
    controls: Receiver<PollControl>,
    threads: usize,
    progress: Progress,
}

/// The app loop is gone or asked to stop.
struct Cancelled;

impl Loader {
    fn run(&mut self, paths: &[PathBuf]) {
        for path in paths {
            let result = match kind_of(path) {
                Ok(Kind::Archive) => self.archive(path),
                Ok(Kind::Whole) => self.whole(path),
                Ok(Kind::JsonLines) => lines::read(self, path),
                Err(err) => self.send(
                    Store::new(),
                    vec![bad(path, 0, format!("cannot read: {err}"))],
                    0,
                ),
            };
            if result.is_err() {
                return;
            }
        }
        self.progress.done = true;
        if self.send(Store::new(), Vec::new(), 0).is_err() {
            return;
        }
        // Done, not gone: the link stays open (a closed one reads as a poller that died) until the
        // app loop stops.
        while let Some(control) = self.controls.blocking_recv() {
            if control == PollControl::Stop {
                return;
            }
        }
    }

    /// Sends a block, having read `bytes` more of the input; `Err` when the loading should stop.
    fn send(&mut self, block: Store, bad: Vec<BadLine>, bytes: u64) -> Result<(), Cancelled> {
        match self.controls.try_recv() {
            Ok(PollControl::Stop) | Err(TryRecvError::Disconnected) => return Err(Cancelled),
            _ => {}
        }
        self.progress.read += block.len() as u64;
        self.progress.bad += bad.len() as u64;
        self.progress.bytes_read =
            (self.progress.bytes_read + bytes).min(self.progress.bytes_total);
        let loaded = Loaded {
            block,
            bad,
            progress: self.progress.clone(),
        };
        self.events
            .blocking_send(PollEvent::Loaded(Box::new(loaded)))
            .map_err(|_| Cancelled)
    }

    /// A JSON array or envelope: parsed whole (such files are pages, not days).
    fn whole(&mut self, path: &Path) -> Result<(), Cancelled> {
        let size = size_of_file(path);
        match crate::saved::read(path) {
            Ok(saved) => {
                let mut block = Store::new();
                block.append(saved.entries);
                let bad_lines = saved
                    .malformed
                    .into_iter()
                    .map(|(line, r)| bad(path, line as u64, r.reason))
                    .collect();
                self.send(block, bad_lines, size)
            }
            Err(err) => self.send(
                Store::new(),
                vec![bad(path, 0, format!("cannot read: {err}"))],
                size,
            ),
        }
    }

    /// An archive file, read-only, in id order.
    fn archive(&mut self, path: &Path) -> Result<(), Cancelled> {
        let size = size_of_file(path);
        let archive = match Archive::open_read(path) {
            Ok(archive) => archive,
            Err(err) => return self.send(Store::new(), vec![bad(path, 0, err.to_string())], size),
        };
        let total = archive.count(&Select::default()).unwrap_or(0).max(1);
        let mut block = Store::new();
        let mut bad_lines = Vec::new();
        let mut limit = FIRST_ENTRIES;
        let mut sent = 0u64;
        let mut credited = 0u64;
        let mut cancelled = false;
        let threads = self.threads;
        let result = read_stores(
            &archive,
            &Select::default(),
            threads,
            FIRST_ENTRIES,
            |chunk, malformed| {
                bad_lines.extend(malformed.into_iter().map(|m| bad(path, 0, m.reason)));
                if block.is_empty() {
                    block = chunk;
                } else {
                    block.absorb(chunk);
                }
                if block.len() < limit {
                    return ControlFlow::Continue(());
                }
                sent += block.len() as u64;
                let bytes = size * sent / total - credited;
                credited += bytes;
                let taken = std::mem::take(&mut block);
                if self
                    .send(taken, std::mem::take(&mut bad_lines), bytes)
                    .is_err()
                {
                    cancelled = true;
                    return ControlFlow::Break(());
                }
                limit = ARCHIVE_BLOCK;
                ControlFlow::Continue(())
            },
        );
        if cancelled {
            return Err(Cancelled);
        }
        if let Err(err) = result {
            bad_lines.push(bad(path, 0, err.to_string()));
        }
        self.send(block, bad_lines, size.saturating_sub(credited))
    }
}

fn bad(path: &Path, line: u64, reason: String) -> BadLine {
    BadLine {
        file: path.to_owned(),
        line,
        reason,
    }
}

#[cfg(test)]
mod tests;
