//! Reading an archive: entries in id order for a selection, counts, coverage, and its status.

use std::ops::ControlFlow;

use rusqlite::{OptionalExtension, ToSql};
use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::Archive;
use super::coverage::{self, Coverage, Stretch};
use super::error::{ArchiveError, OnArchive};
use super::lock;
use super::packed;
use super::schema::{HOUR_NANOS, HOUR_OF_TS, RESTORED_RAW};
use super::write::wall_now;
use crate::entry::{Entry, Rejected};
use crate::poller::FETCH_TYPE;
use crate::timestamp::UnixNanos;

/// Which entries to read. Empty lists select everything; conditions combine with AND, the items of
/// one list with OR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Select {
    /// Timestamps at or after this.
    pub since: Option<UnixNanos>,
    /// Timestamps before this.
    pub until: Option<UnixNanos>,
    /// Exact user names.
    pub users: Vec<String>,
    /// Exact entry types.
    pub types: Vec<String>,
    /// Only these interned user ids ([`Archive::user_names`]); `Some` of an empty list selects nothing.
    pub user_ids: Option<Vec<i64>>,
    /// Only these interned type ids ([`Archive::type_names`]); `Some` of an empty list selects nothing.
    pub type_ids: Option<Vec<i64>>,
    /// Exact ids.
    pub ids: Vec<Uuid>,
    /// Only ids above this one (to page on from a previous read).
    pub after: Option<Uuid>,
    /// At most this many entries.
    pub limit: Option<u64>,
    /// Newest first instead of id order (for "the most recent N").
    pub newest_first: bool,
    /// Leave out the `api:audit_log_fetch` entries of the sessions the archive remembers
    /// ([`Archive::own_agents`]): auditui's own requests, hidden as the live views hide them.
    pub without_own_fetches: bool,
}

impl Select {
    /// Whether it selects by user or type: then it reads the index that leads with the hour
    /// (`entries_by_hour`), and names the hours to read.
    fn by_name(&self) -> bool {
        !self.users.is_empty()
            || !self.types.is_empty()
            || self.user_ids.is_some()
            || self.type_ids.is_some()
    }

    /// The SQL condition and its parameters; `hours` are those the archive holds in the window, when
    /// it selects by name.
    fn clause(&self, hours: Option<&[i64]>) -> (String, Vec<Box<dyn ToSql>>) {
        let mut parts: Vec<String> = Vec::new();
        let mut params: Vec<Box<dyn ToSql>> = Vec::new();
        let placeholders = |params: &mut Vec<Box<dyn ToSql>>, values: Vec<Box<dyn ToSql>>| {
            let start = params.len();
            params.extend(values);
            (start + 1..=params.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(since) = self.since {
            let p = placeholders(&mut params, vec![Box::new(since)]);
            parts.push(format!("e.ts >= {p}"));
        }
        if let Some(until) = self.until {
            let p = placeholders(&mut params, vec![Box::new(until)]);
            parts.push(format!("e.ts < {p}"));
        }
        if let Some(after) = self.after {
            let p = placeholders(&mut params, vec![Box::new(after.as_bytes().to_vec())]);
            parts.push(format!("e.id > {p}"));
        }
        if !self.ids.is_empty() {
            let values = self
                .ids
                .iter()
                .map(|id| Box::new(id.as_bytes().to_vec()) as Box<dyn ToSql>)
                .collect();
            let p = placeholders(&mut params, values);
            parts.push(format!("e.id IN ({p})"));
        }
        if !self.users.is_empty() {
            let values = self
                .users
                .iter()
                .map(|u| Box::new(u.clone()) as Box<dyn ToSql>)
                .collect();
            let p = placeholders(&mut params, values);
            parts.push(format!(
                "e.user_id IN (SELECT id FROM users WHERE name IN ({p}))"
            ));
        }
        if !self.types.is_empty() {
            let values = self
                .types
                .iter()
                .map(|t| Box::new(t.clone()) as Box<dyn ToSql>)
                .collect();
            let p = placeholders(&mut params, values);
            parts.push(format!(
                "e.type_id IN (SELECT id FROM types WHERE name IN ({p}))"
            ));
        }
        // Ids and hours are integers of the archive's own: written into the SQL, not bound one by one.
        if let Some(hours) = hours {
            parts.push(format!("{HOUR_OF_TS} IN ({})", join_numbers(hours)));
        }
        for (column, ids) in [("user_id", &self.user_ids), ("type_id", &self.type_ids)] {
            if let Some(ids) = ids {
                parts.push(format!("e.{column} IN ({})", join_numbers(ids)));
            }
        }
        if self.without_own_fetches {
            let p = placeholders(&mut params, vec![Box::new(FETCH_TYPE)]);
            parts.push(format!(
                "NOT (e.type_id IN (SELECT id FROM types WHERE name = {p}) \
                 AND json_extract({RESTORED_RAW}, '$.user_agent') IN (SELECT agent FROM sessions))"
            ));
        }
        let clause = if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        };
        (clause, params)
    }
}

fn join_numbers(numbers: &[i64]) -> String {
    numbers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `auditui archive status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub entries: u64,
    pub bytes_on_disk: u64,
    /// Total length of the entries' JSON text as received.
    pub json_bytes: u64,
    pub first: Option<(Uuid, UnixNanos)>,
    pub last: Option<(Uuid, UnixNanos)>,
    pub stretches: Vec<Stretch>,
    pub rejected: u64,
    /// Wall-clock time of the last page stored by a sync.
    pub last_sync: Option<UnixNanos>,
    /// Entries a sync fetched although they were held already (0 unless something went wrong).
    pub repeated: u64,
    pub writer: Option<String>,
}

fn name_of(names: &FxHashMap<i64, String>, id: i64) -> &str {
    names.get(&id).map_or("", String::as_str)
}

fn uuid_of(blob: Vec<u8>) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(&blob).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
    })
}

impl Archive {
    /// Calls `each` with every selected entry, in id order (or newest first when asked). A stored entry
    /// that no longer parses comes as `Err` with its reason: counted by the caller, never a crash.
    pub fn entries(
        &self,
        select: &Select,
        mut each: impl FnMut(Result<Entry, Rejected>) -> ControlFlow<()>,
    ) -> Result<(), ArchiveError> {
        self.raw_entries(select, |text| each(Entry::parse(text)))
    }

    /// Calls `each` with the text of every selected entry as received, in id order (or newest first).
    pub fn raw_entries(
        &self,
        select: &Select,
        mut each: impl FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(), ArchiveError> {
        let (clause, params) = self.clause_of(select)?;
        let order = if select.newest_first { "DESC" } else { "ASC" };
        let limit = select
            .limit
            .map(|n| format!(" LIMIT {n}"))
            .unwrap_or_default();
        let sql = format!(
            "SELECT e.id, e.user_id, e.type_id, e.raw FROM entries e{clause} ORDER BY e.id {order}{limit}"
        );
        // The names the stored text leaves out ([`packed`]), looked up once.
        let users: FxHashMap<i64, String> = self.user_names()?.into_iter().collect();
        let types: FxHashMap<i64, String> = self.type_names()?.into_iter().collect();
        let mut stmt = self.conn.prepare(&sql).on(&self.path)?;
        let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
        let mut rows = stmt.query(refs.as_slice()).on(&self.path)?;
        // Each entry's text is put back into this one buffer.
        let mut text = String::new();
        while let Some(row) = rows.next().on(&self.path)? {
            let id = uuid_of(row.get(0).on(&self.path)?).on(&self.path)?;
            let user: i64 = row.get(1).on(&self.path)?;
            let kind: i64 = row.get(2).on(&self.path)?;
            let raw = row.get_ref(3).on(&self.path)?;
            let stored = raw.as_str().unwrap_or("");
            packed::unpack_into(
                stored,
                &id,
                name_of(&users, user),
                name_of(&types, kind),
                &mut text,
            );
            if each(&text).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// How many entries the selection holds, counted by the indexes.
    pub fn count(&self, select: &Select) -> Result<u64, ArchiveError> {
        let (clause, params) = self.clause_of(select)?;
        let mut sql = format!("SELECT count(*) FROM entries e{clause}");
        if let Some(limit) = select.limit {
            sql = format!("SELECT min(({sql}), {limit})");
        }
        let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
        let count: i64 = self
            .conn
            .query_row(&sql, refs.as_slice(), |row| row.get(0))
            .on(&self.path)?;
        Ok(count as u64)
    }

    pub(super) fn clause_of(
        &self,
        select: &Select,
    ) -> Result<(String, Vec<Box<dyn ToSql>>), ArchiveError> {
        let hours = if select.by_name() {
            Some(self.hours(select.since, select.until)?)
        } else {
            None
        };
        Ok(select.clause(hours.as_deref()))
    }

    /// The hours (of `ts`, [`HOUR_OF_TS`]) that hold entries, in the window `[since, until)`: one step
    /// through the index per hour held, not per entry.
    pub fn hours(
        &self,
        since: Option<UnixNanos>,
        until: Option<UnixNanos>,
    ) -> Result<Vec<i64>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {HOUR_OF_TS} FROM entries e INDEXED BY entries_by_hour
                 WHERE {HOUR_OF_TS} >= ?1 ORDER BY 1 LIMIT 1"
            ))
            .on(&self.path)?;
        // Division truncates alike here and in SQL, and never decreases as the time grows: the hours of
        // the window's entries lie between those of its ends.
        let last = until.map_or(i64::MAX, |until| until / HOUR_NANOS);
        let mut next = since.map_or(i64::MIN, |since| since / HOUR_NANOS);
        let mut hours = Vec::new();
        while let Some(hour) = stmt
            .query_row([next], |row| row.get::<_, i64>(0))
            .optional()
            .on(&self.path)?
        {
            if hour > last {
                break;
            }
            hours.push(hour);
            match hour.checked_add(1) {
                Some(after) => next = after,
                None => break,
            }
        }
        Ok(hours)
    }

    /// Every user name interned, with its id (what [`Select::user_ids`] holds).
    pub fn user_names(&self) -> Result<Vec<(i64, String)>, ArchiveError> {
        self.names("users")
    }

    /// Every entry type interned, with its id (what [`Select::type_ids`] holds).
    pub fn type_names(&self) -> Result<Vec<(i64, String)>, ArchiveError> {
        self.names("types")
    }

    fn names(&self, table: &str) -> Result<Vec<(i64, String)>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id, name FROM {table}"))
            .on(&self.path)?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .on(&self.path)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().on(&self.path)
    }

    /// The User-Agents of the sessions that wrote this archive, most recently seen first.
    pub fn own_agents(&self) -> Result<Vec<String>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT agent FROM sessions ORDER BY last_seen DESC, agent")
            .on(&self.path)?;
        let rows = stmt.query_map([], |row| row.get(0)).on(&self.path)?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .on(&self.path)
    }

    /// Every stretch held, in id order.
    pub fn stretches(&self) -> Result<Vec<Stretch>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT lo, hi, lo_ts, hi_ts FROM coverage ORDER BY lo")
            .on(&self.path)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(Stretch {
                    lo: uuid_of(row.get(0)?)?,
                    hi: uuid_of(row.get(1)?)?,
                    lo_ts: row.get(2)?,
                    hi_ts: row.get(3)?,
                })
            })
            .on(&self.path)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().on(&self.path)
    }

    /// Which parts of the time window `[from, to]` were fetched whole (`to` defaults to now).
    pub fn coverage(
        &self,
        from: UnixNanos,
        to: Option<UnixNanos>,
    ) -> Result<Coverage, ArchiveError> {
        Ok(coverage::window(
            &self.stretches()?,
            from,
            to.unwrap_or_else(wall_now),
        ))
    }

    /// The malformed entries stored, oldest first.
    pub fn rejected(&self) -> Result<Vec<Rejected>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, reason, excerpt FROM rejected ORDER BY seq")
            .on(&self.path)?;
        let rows = stmt
            .query_map([], |row| {
                let id: Option<Vec<u8>> = row.get(0)?;
                Ok(Rejected {
                    id: id.and_then(|b| Uuid::from_slice(&b).ok()),
                    reason: row.get(1)?,
                    excerpt: row.get(2)?,
                })
            })
            .on(&self.path)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().on(&self.path)
    }

    fn state_i64(&self, key: &str) -> Result<Option<i64>, ArchiveError> {
        self.conn
            .query_row(
                "SELECT value FROM sync_state WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()
            .on(&self.path)
    }

    /// The newest entry held (by id) and its timestamp.
    pub fn newest(&self) -> Result<Option<(Uuid, UnixNanos)>, ArchiveError> {
        self.end("DESC")
    }

    fn end(&self, order: &str) -> Result<Option<(Uuid, UnixNanos)>, ArchiveError> {
        self.conn
            .query_row(
                &format!("SELECT id, ts FROM entries ORDER BY id {order} LIMIT 1"),
                [],
                |row| Ok((uuid_of(row.get(0)?)?, row.get(1)?)),
            )
            .optional()
            .on(&self.path)
    }

    /// Entries, size, ends, coverage and writer, for `auditui archive status`.
    pub fn status(&self) -> Result<Status, ArchiveError> {
        let (entries, json_bytes): (i64, i64) = self
            .conn
            .query_row(
                // The length of the text as received: each marker stands for 36 characters of id, or
                // for the user's or type's name.
                "SELECT count(*), coalesce(sum(length(e.raw)
                     + 35 * (length(e.raw) - length(replace(e.raw, char(1), '')))
                     + (length(u.name) - 1) * (length(e.raw) - length(replace(e.raw, char(2), '')))
                     + (length(t.name) - 1) * (length(e.raw) - length(replace(e.raw, char(3), '')))), 0)
                 FROM entries e JOIN users u ON u.id = e.user_id JOIN types t ON t.id = e.type_id",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .on(&self.path)?;
        let rejected: i64 = self
            .conn
            .query_row("SELECT count(*) FROM rejected", [], |row| row.get(0))
            .on(&self.path)?;
        let (pages, page_size): (i64, i64) = self
            .conn
            .query_row(
                "SELECT page_count, page_size FROM pragma_page_count, pragma_page_size",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .on(&self.path)?;
        Ok(Status {
            entries: entries as u64,
            bytes_on_disk: (pages * page_size) as u64,
            json_bytes: json_bytes as u64,
            first: self.end("ASC")?,
            last: self.end("DESC")?,
            stretches: self.stretches()?,
            rejected: rejected as u64,
            last_sync: self.state_i64("last_sync")?,
            repeated: self.state_i64("repeated_entries")?.unwrap_or(0) as u64,
            writer: lock::holder(&self.path),
        })
    }
}
