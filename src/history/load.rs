//! Reading a stretch of the archive off the app loop: a thread of its own opens the file read-only,
//! reads the entries of a time range in id order, parses them into blocks and sends each with a
//! progress count. The first block is small, so rows are on screen at once; the channel is bounded, so
//! a slow screen slows the reading rather than filling memory. The last block says what of the window
//! the archive does not hold.

use std::ops::ControlFlow;
use std::path::PathBuf;

use tokio::sync::mpsc::Sender;
use uuid::Uuid;

use super::stores::{read_stores, threads};
use crate::archive::{Archive, ArchiveError, Select};
use crate::poller::PollEvent;
use crate::store::Store;
use crate::timestamp::UnixNanos;

/// Entries in the first block, then in each later one.
const FIRST_BLOCK: usize = 1_000;
const BLOCK: usize = 32_768;
/// A widening load's blocks double up to this: each of its blocks lands before the entries held, which
/// costs the app loop a merge of everything, so fewer and larger blocks are cheaper.
const WIDE_BLOCK_MAX: usize = 262_144;

/// The size of the block after one of `limit` entries.
fn next_limit(limit: usize, widening: bool) -> usize {
    match (limit, widening) {
        (FIRST_BLOCK, _) | (_, false) => BLOCK,
        (limit, true) => (limit * 2).min(WIDE_BLOCK_MAX),
    }
}

/// A time range of the archive to read: timestamps in `[from, to)` (`to` open when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    pub path: PathBuf,
    pub from: UnixNanos,
    pub to: Option<UnixNanos>,
    /// Leave out the fetches of the sessions that wrote the archive (as the live view hides its own).
    pub hide_own: bool,
}

/// A part of the window the archive holds no stretch of: `[from, to)`, between the stretch ending at
/// `after` (none: the window starts before every stretch) and the one starting at `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    pub from: UnixNanos,
    pub to: UnixNanos,
    pub after: Option<Uuid>,
    pub before: Option<Uuid>,
}

/// What the archive brings to the app loop: a block of a load, or the end of a fetch of missing parts.
#[derive(Debug, Clone)]
pub enum ArchiveEvent {
    Block(Box<Block>),
    /// Fetching the missing parts of the window starting at `window` ended; what it still lacks.
    Fetched {
        window: UnixNanos,
        missing: Vec<Missing>,
        error: Option<String>,
    },
}

/// One block of a load, and where the load stands after it.
#[derive(Debug, Clone)]
pub struct Block {
    /// The range asked for (`from` names the load).
    pub from: UnixNanos,
    pub to: Option<UnixNanos>,
    pub block: Store,
    pub read: u64,
    /// Entries the range holds (counted before reading).
    pub total: u64,
    pub done: bool,
    /// On the last block: what of the window from `from` to now no stretch holds.
    pub missing: Vec<Missing>,
    /// Why the load stopped short.
    pub error: Option<String>,
}

/// Starts reading `request` on a thread of its own; its blocks go to `events`. It stops early when the
/// receiver is gone.
pub fn spawn(request: LoadRequest, events: Sender<PollEvent>) {
    let spawned = std::thread::Builder::new()
        .name("archive-load".into())
        .spawn(move || run(&request, &events));
    if let Err(err) = spawned {
        tracing::error!("cannot start the archive loader thread: {err}");
    }
}

fn run(request: &LoadRequest, events: &Sender<PollEvent>) {
    let send = |block: Block| {
        events
            .blocking_send(PollEvent::Archive(ArchiveEvent::Block(Box::new(block))))
            .is_ok()
    };
    let mut last = Block {
        from: request.from,
        to: request.to,
        block: Store::new(),
        read: 0,
        total: 0,
        done: true,
        missing: Vec::new(),
        error: None,
    };
    match read(request, &send) {
        Ok(Some((read, total, missing))) => {
            last.read = read;
            last.total = total;
            last.missing = missing;
        }
        Ok(None) => return,
        Err(err) => {
            tracing::warn!("archive not read: {err}");
            last.error = Some(err.to_string());
        }
    }
    send(last);
}

/// Reads and sends the blocks; `None` when the receiver went away, else what was read and what the
/// window lacks.
fn read(
    request: &LoadRequest,
    send: &impl Fn(Block) -> bool,
) -> Result<Option<(u64, u64, Vec<Missing>)>, ArchiveError> {
    let archive = Archive::open_read(&request.path)?;
    let since = (request.from > UnixNanos::MIN).then_some(request.from);
    let select = Select {
        since,
        until: request.to,
        // Read in id order, SQLite walks the table from its first row, testing each timestamp: a day at
        // the end of a year would come after a scan of the year. Starting at the window's first id
        // (found by the time index) makes the first rows cost what the window holds.
        after: match since {
            Some(since) => first_id_since(&archive, since)?
                .map(|id| Uuid::from_u128(id.as_u128().saturating_sub(1))),
            None => None,
        },
        without_own_fetches: request.hide_own,
        ..Select::default()
    };
    // Counted without leaving the own fetches out: that needs every entry's JSON, a whole scan before
    // the first row, while this count is the time index's alone. The total is an upper bound until
    // the last block, which gives the true one.
    let total = archive.count(&Select {
        without_own_fetches: false,
        after: None,
        ..select.clone()
    })?;
    let mut block = Store::new();
    let mut limit = FIRST_BLOCK;
    let mut read = 0u64;
    // Sends what is gathered; false when the receiver is gone.
    let flush = |block: &mut Store, read: u64| {
        send(Block {
            from: request.from,
            to: request.to,
            block: std::mem::take(block),
            read,
            total: total.max(read),
            done: false,
            missing: Vec::new(),
            error: None,
        })
    };
    let flow = read_stores(
        &archive,
        &select,
        threads(),
        FIRST_BLOCK,
        |chunk, malformed| {
            for bad in malformed {
                tracing::warn!(
                    "archived entry skipped: {}",
                    crate::sanitize::clean(&bad.reason)
                );
            }
            read += chunk.len() as u64;
            if block.is_empty() {
                block = chunk;
            } else {
                block.absorb(chunk);
            }
            if block.len() >= limit {
                if !flush(&mut block, read) {
                    return ControlFlow::Break(());
                }
                limit = next_limit(limit, request.to.is_some());
            }
            ControlFlow::Continue(())
        },
    )?;
    if flow.is_break() || (!block.is_empty() && !flush(&mut block, read)) {
        return Ok(None);
    }
    let missing = missing(&archive, request.from, crate::clock::now())?;
    Ok(Some((read, read, missing)))
}

/// The lowest id among the entries at or after `since`, by the time index.
fn first_id_since(archive: &Archive, since: UnixNanos) -> Result<Option<Uuid>, ArchiveError> {
    let blob: Option<Vec<u8>> = archive
        .connection()
        .query_row(
            "SELECT min(id) FROM entries INDEXED BY entries_by_ts WHERE ts >= ?1",
            [since],
            |row| row.get(0),
        )
        .map_err(|err| ArchiveError::from_sqlite(archive.path(), err))?;
    Ok(blob.and_then(|b| Uuid::from_slice(&b).ok()))
}

/// What of the window `[from, now]` the archive holds no stretch of. The part after the newest stretch
/// is left out: the live stream (this process's poller, or the `sync` writing the archive) fills it.
pub fn missing(
    archive: &Archive,
    from: UnixNanos,
    now: UnixNanos,
) -> Result<Vec<Missing>, ArchiveError> {
    let stretches = archive.stretches()?;
    let coverage = archive.coverage(from, Some(now))?;
    let mut missing = Vec::new();
    for (a, b) in coverage.gaps {
        if b >= now {
            continue;
        }
        // The stretch the gap follows ends at `a`, the one it precedes starts at `b`.
        let after = stretches
            .iter()
            .filter(|s| s.hi_ts <= a && a > from)
            .max_by_key(|s| s.hi_ts)
            .map(|s| s.hi);
        let before = stretches
            .iter()
            .filter(|s| s.lo_ts >= b)
            .min_by_key(|s| s.lo_ts)
            .map(|s| s.lo);
        missing.push(Missing {
            from: a,
            to: b,
            after,
            before,
        });
    }
    Ok(missing)
}
