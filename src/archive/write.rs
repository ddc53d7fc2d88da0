//! The one writer: pages and their cursor in one transaction, imports, pruning.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::Archive;
use super::coverage::{self, Stretch};
use super::error::{ArchiveError, OnArchive};
use super::lock::WriterLock;
use super::packed::{Packed, Packer};
use crate::entry::{Entry, Rejected};
use crate::timestamp::UnixNanos;

/// Where the stretch being followed begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Just after an id already stored: the stretch ending there grows.
    Resume(Uuid),
    /// The first entry at or after this time (`/search`).
    Since(UnixNanos),
    /// The oldest entry of the log.
    Earliest,
    /// The newest entry (`/latest`).
    Latest,
}

/// What one commit stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Committed {
    pub stored: u64,
    /// Entries already in the archive (a page reaching into a stretch fetched before).
    pub already_held: u64,
    pub rejected: u64,
}

/// The archive opened by its only writer.
pub struct Writer {
    archive: Archive,
    _lock: WriterLock,
    users: FxHashMap<String, i64>,
    types: FxHashMap<String, i64>,
    packer: Box<Packer>,
    seed: Option<Seed>,
    /// The stretch being grown, once its first page is stored.
    current: Option<Stretch>,
}

const STATE_CURSOR: &str = "cursor";
const STATE_LAST_SYNC: &str = "last_sync";
const STATE_REPEATED: &str = "repeated_entries";

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("archive", &self.archive)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Writer {
    pub(super) fn new(archive: Archive, lock: WriterLock) -> Result<Writer, ArchiveError> {
        Ok(Writer {
            archive,
            _lock: lock,
            users: FxHashMap::default(),
            types: FxHashMap::default(),
            packer: Box::default(),
            seed: None,
            current: None,
        })
    }

    /// Reading through the writer's own connection.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// Remembers the User-Agent of a session that fetches into this archive (before its first request:
    /// the API logs each of its fetches with it), so readers can tell its fetches from others'.
    pub fn remember_agent(&mut self, agent: &str, at: UnixNanos) -> Result<(), ArchiveError> {
        self.archive
            .conn
            .execute(
                "INSERT INTO sessions (agent, last_seen) VALUES (?1, ?2)
                 ON CONFLICT (agent) DO UPDATE SET last_seen = max(last_seen, ?2)",
                params![agent, at],
            )
            .on(&self.archive.path)?;
        Ok(())
    }

    /// Where the last followed stretch ends: the position a restart resumes after.
    pub fn cursor(&self) -> Result<Option<Uuid>, ArchiveError> {
        let blob: Option<Vec<u8>> = self
            .archive
            .conn
            .query_row(
                "SELECT value FROM sync_state WHERE key = ?1",
                [STATE_CURSOR],
                |row| row.get(0),
            )
            .optional()
            .on(&self.archive.path)?;
        Ok(blob.and_then(|b| Uuid::from_slice(&b).ok()))
    }

    /// Starts following from `seed`; the next [`Writer::commit_page`] begins or grows its stretch.
    pub fn follow(&mut self, seed: Seed) -> Result<(), ArchiveError> {
        self.current = match seed {
            Seed::Resume(id) => {
                let stretches = self.archive.stretches()?;
                coverage::containing(&stretches, id).copied()
            }
            _ => None,
        };
        self.seed = Some(seed);
        Ok(())
    }

    /// Stores one page the API answered and the position after it, all or nothing. `position` is the
    /// highest id the page held (rejected entries included).
    pub fn commit_page(
        &mut self,
        entries: &[Entry],
        rejected: &[Rejected],
        position: Uuid,
    ) -> Result<Committed, ArchiveError> {
        let now = wall_now();
        let path = self.archive.path.clone();
        let mut stretch = match self.current {
            Some(stretch) => stretch,
            None => self.new_stretch(entries, rejected, position),
        };
        let stretches = self.archive.stretches()?;
        let hi_ts = entries.iter().map(|e| e.ts).max().unwrap_or(stretch.hi_ts);
        let (grown, absorbed) = coverage::extend(stretch, position, hi_ts, &stretches);
        stretch = grown;
        let result = (|| {
            let tx = self
                .archive
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (mut committed, held) = insert_entries(
                &tx,
                &mut self.users,
                &mut self.types,
                &mut self.packer,
                entries,
            )?;
            committed.rejected = insert_rejected(&tx, rejected, now)?;
            for lo in &absorbed {
                tx.execute(
                    "DELETE FROM coverage WHERE lo = ?1",
                    [lo.as_bytes().as_slice()],
                )?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO coverage (lo, hi, lo_ts, hi_ts) VALUES (?1, ?2, ?3, ?4)",
                params![
                    stretch.lo.as_bytes().as_slice(),
                    stretch.hi.as_bytes().as_slice(),
                    stretch.lo_ts,
                    stretch.hi_ts
                ],
            )?;
            // The cursor is where following resumes: the end of the newest stretch, which filling an
            // older gap does not move.
            let cursor = stretches
                .iter()
                .filter(|s| !absorbed.contains(&s.lo) && s.lo != stretch.lo)
                .map(|s| s.hi)
                .chain([stretch.hi])
                .max()
                .unwrap_or(position);
            set_state(&tx, STATE_CURSOR, &cursor.as_bytes().as_slice())?;
            set_state(&tx, STATE_LAST_SYNC, &now)?;
            // An entry already held is a repeat unless it lies in another stretch that paging ran
            // into (an imported entry fetched later counts too): the stream never delivers one twice.
            let repeats = held
                .iter()
                .filter(|id| {
                    !stretches
                        .iter()
                        .any(|s| s.lo != stretch.lo && s.lo <= **id && **id <= s.hi)
                })
                .count() as i64;
            if repeats > 0 {
                tx.execute(
                    "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = value + ?2",
                    params![STATE_REPEATED, repeats],
                )?;
            }
            tx.commit()?;
            Ok(committed)
        })();
        match result {
            Ok(committed) => {
                self.current = Some(stretch);
                Ok(committed)
            }
            Err(err) => {
                // Names interned inside the rolled-back transaction are gone again.
                self.users.clear();
                self.types.clear();
                Err(ArchiveError::from_sqlite(&path, err))
            }
        }
    }

    /// Records that the followed stream was seen caught up at `at`: the stretch covers time until then.
    pub fn caught_up(&mut self, at: UnixNanos) -> Result<(), ArchiveError> {
        let Some(stretch) = self.current.as_mut() else {
            return Ok(());
        };
        stretch.hi_ts = stretch.hi_ts.max(at);
        self.archive
            .conn
            .execute(
                "UPDATE coverage SET hi_ts = max(hi_ts, ?2) WHERE lo = ?1",
                params![stretch.lo.as_bytes().as_slice(), at],
            )
            .on(&self.archive.path)?;
        Ok(())
    }

    fn new_stretch(&self, entries: &[Entry], rejected: &[Rejected], position: Uuid) -> Stretch {
        let lo = entries
            .iter()
            .map(|e| e.id)
            .chain(rejected.iter().filter_map(|r| r.id))
            .min()
            .unwrap_or(position);
        let first_ts = entries.iter().map(|e| e.ts).min();
        let lo_ts = match self.seed {
            Some(Seed::Since(at)) => at,
            Some(Seed::Earliest) => UnixNanos::MIN,
            Some(Seed::Resume(_)) | Some(Seed::Latest) | None => first_ts.unwrap_or(wall_now()),
        };
        Stretch {
            lo,
            hi: position,
            lo_ts,
            hi_ts: first_ts.unwrap_or(lo_ts),
        }
    }

    /// Adds entries from a saved file, skipping those already held. Imported entries make no stretch:
    /// coverage means fetched contiguously from the API.
    pub fn import(&mut self, entries: &[Entry]) -> Result<Committed, ArchiveError> {
        let path = self.archive.path.clone();
        let result = (|| {
            let tx = self
                .archive
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (committed, _) = insert_entries(
                &tx,
                &mut self.users,
                &mut self.types,
                &mut self.packer,
                entries,
            )?;
            tx.commit()?;
            Ok(committed)
        })();
        result.map_err(|err| {
            self.users.clear();
            self.types.clear();
            ArchiveError::from_sqlite(&path, err)
        })
    }

    /// Deletes the entries older than `before`, and the coverage of that time; returns how many went.
    pub fn prune(&mut self, before: UnixNanos) -> Result<u64, ArchiveError> {
        let path = self.archive.path.clone();
        let result = (|| {
            let tx = self
                .archive
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let removed = tx.execute("DELETE FROM entries WHERE ts < ?1", [before])?;
            tx.execute("DELETE FROM coverage WHERE hi_ts < ?1", [before])?;
            // A stretch cut by the cut-off now covers from the cut-off, starting at its first kept entry.
            tx.execute(
                "UPDATE coverage SET lo_ts = ?1,
                     lo = coalesce((SELECT min(id) FROM entries WHERE id >= coverage.lo AND ts >= ?1), lo)
                 WHERE lo_ts < ?1",
                [before],
            )?;
            tx.commit()?;
            Ok(removed as u64)
        })();
        let removed = result.map_err(|err| ArchiveError::from_sqlite(&path, err))?;
        self.current = None;
        Ok(removed)
    }
}

fn set_state(
    tx: &rusqlite::Transaction,
    key: &str,
    value: &dyn rusqlite::ToSql,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}

fn intern(
    tx: &rusqlite::Transaction,
    cache: &mut FxHashMap<String, i64>,
    table: &str,
    name: &str,
) -> rusqlite::Result<i64> {
    if let Some(&id) = cache.get(name) {
        return Ok(id);
    }
    tx.prepare_cached(&format!("INSERT OR IGNORE INTO {table} (name) VALUES (?1)"))?
        .execute([name])?;
    let id: i64 = tx
        .prepare_cached(&format!("SELECT id FROM {table} WHERE name = ?1"))?
        .query_row([name], |row| row.get(0))?;
    cache.insert(name.to_owned(), id);
    Ok(id)
}

fn insert_entries(
    tx: &rusqlite::Transaction,
    users: &mut FxHashMap<String, i64>,
    types: &mut FxHashMap<String, i64>,
    packer: &mut Packer,
    entries: &[Entry],
) -> rusqlite::Result<(Committed, Vec<Uuid>)> {
    let mut committed = Committed::default();
    let mut held = Vec::new();
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO entries (id, ts, type_id, user_id, raw, hour)
         VALUES (?1, ?2, ?3, ?4, ?5, ?2 / 3600000000000)",
    )?;
    for entry in entries {
        let user = intern(tx, users, "users", &entry.user)?;
        let kind = intern(tx, types, "types", &entry.kind)?;
        let raw = entry.raw.get();
        let text = match packer.pack(raw, &entry.id, &entry.user, &entry.kind) {
            Packed::AsReceived => raw,
            Packed::Replaced(text) => text,
        };
        let changed = insert.execute(params![
            entry.id.as_bytes().as_slice(),
            entry.ts,
            kind,
            user,
            text
        ])?;
        if changed == 1 {
            committed.stored += 1;
        } else {
            committed.already_held += 1;
            held.push(entry.id);
        }
    }
    Ok((committed, held))
}

fn insert_rejected(
    tx: &rusqlite::Transaction,
    rejected: &[Rejected],
    now: UnixNanos,
) -> rusqlite::Result<u64> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO rejected (id, reason, excerpt, stored_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in rejected {
        insert.execute(params![
            r.id.map(|id| id.as_bytes().to_vec()),
            r.reason,
            r.excerpt,
            now
        ])?;
    }
    Ok(rejected.len() as u64)
}

pub(super) fn wall_now() -> UnixNanos {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}
