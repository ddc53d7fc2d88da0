//! Cases: the marks, notes, filter history and committed filter of one investigation, kept under a name
//! so that reopening the case restores them.
//!
//! A case lives in the archive the TUI reads (its own tables, schema version 3, see
//! [`crate::archive::schema`]) when there is one, otherwise in `auditui/cases.sqlite` in the user's data
//! directory, which holds the same tables and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use uuid::Uuid;

use crate::archive::schema::{self, VersionCheck};
use crate::timestamp::UnixNanos;

/// What one investigation keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    /// Marked entries, each with its note (if any).
    pub marks: BTreeMap<Uuid, Option<String>>,
    /// The filter history, oldest first.
    pub filters: Vec<String>,
    /// The filter committed last (what the view shows when the case is reopened).
    pub filter: String,
}

/// One line of `auditui case list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub name: String,
    pub marks: u64,
    pub notes: u64,
    pub updated: UnixNanos,
}

/// Which kind of file holds the cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An archive: the case tables come with its schema (version 3 and later).
    Archive,
    /// `cases.sqlite`: the case tables alone.
    Standalone,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(
        "the case store {path} is damaged ({detail}): move it aside to start afresh, or restore it from a copy"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error("{path} was written by a newer auditui (schema version {found}): upgrade auditui")]
    Newer { path: PathBuf, found: i64 },
    #[error("cannot use the case store {path}: {detail}")]
    Unusable { path: PathBuf, detail: String },
    #[error(
        "a case name is letters, digits, `.`, `_` and `-` (at most 64), not {0:?}: try kestrel-2026-11"
    )]
    BadName(String),
}

/// The version `cases.sqlite` carries in `user_version`.
const STANDALONE_VERSION: i64 = 1;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `auditui/cases.sqlite` in the user's data directory.
pub fn standalone_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("auditui").join("cases.sqlite"))
}

/// Refuses names that would be awkward in a directory name or on a terminal.
pub fn check_name(name: &str) -> Result<(), CaseError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && !name.starts_with('.');
    if fine {
        Ok(())
    } else {
        Err(CaseError::BadName(name.to_owned()))
    }
}

/// An open case store.
pub struct CaseStore {
    conn: Connection,
    path: PathBuf,
}

impl CaseStore {
    /// Opens (creating the file and its tables when needed) the case store at `path`.
    pub fn open(path: &Path, kind: Kind) -> Result<CaseStore, CaseError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::owner_only::create_dir_all(dir).map_err(|e| unusable(path, e))?;
        }
        if !path.exists() {
            crate::owner_only::create_new(path).map_err(|e| unusable(path, e))?;
        }
        let mut conn = Connection::open(path).map_err(|e| sql_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| sql_error(path, e))?;
        match kind {
            Kind::Archive => match schema::check(&conn).map_err(|e| sql_error(path, e))? {
                VersionCheck::Current => {}
                VersionCheck::Newer(found) => {
                    return Err(CaseError::Newer {
                        path: path.to_owned(),
                        found,
                    });
                }
                VersionCheck::Older(found) => {
                    schema::migrate(&mut conn, found).map_err(|e| sql_error(path, e))?
                }
            },
            Kind::Standalone => {
                let version: i64 = conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .map_err(|e| sql_error(path, e))?;
                match version {
                    0 => {
                        let tx = conn.transaction().map_err(|e| sql_error(path, e))?;
                        tx.execute_batch(schema::V3)
                            .and_then(|()| {
                                tx.execute_batch(&format!(
                                    "PRAGMA user_version = {STANDALONE_VERSION}"
                                ))
                            })
                            .and_then(|()| tx.commit())
                            .map_err(|e| sql_error(path, e))?;
                    }
                    STANDALONE_VERSION => {}
                    found => {
                        return Err(CaseError::Newer {
                            path: path.to_owned(),
                            found,
                        });
                    }
                }
            }
        }
        let store = CaseStore {
            conn,
            path: path.to_owned(),
        };
        // A file whose header reads but whose tables do not is damaged all the same.
        store
            .conn
            .query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0))
            .map_err(|e| sql_error(path, e))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The case of that name, if it was ever saved here.
    pub fn load(&self, name: &str) -> Result<Option<Case>, CaseError> {
        load_on(&self.conn, &self.path, name)
    }

    /// Replaces what is stored of the case, in one transaction.
    pub fn save(&mut self, case: &Case, now: UnixNanos) -> Result<(), CaseError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_error(&path, e))?;
        let write = || -> rusqlite::Result<()> {
            tx.execute(
                "INSERT INTO cases (name, filter, updated) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET filter = excluded.filter, updated = excluded.updated",
                params![case.name, case.filter, now],
            )?;
            tx.execute("DELETE FROM case_marks WHERE case_name = ?1", [&case.name])?;
            tx.execute(
                "DELETE FROM case_filters WHERE case_name = ?1",
                [&case.name],
            )?;
            let mut mark =
                tx.prepare("INSERT INTO case_marks (case_name, id, note) VALUES (?1, ?2, ?3)")?;
            for (id, note) in &case.marks {
                mark.execute(params![case.name, id.as_bytes().as_slice(), note])?;
            }
            let mut filter =
                tx.prepare("INSERT INTO case_filters (case_name, seq, text) VALUES (?1, ?2, ?3)")?;
            for (seq, text) in case.filters.iter().enumerate() {
                filter.execute(params![case.name, seq as i64, text])?;
            }
            Ok(())
        };
        write().map_err(|e| sql_error(&path, e))?;
        tx.commit().map_err(|e| sql_error(&path, e))
    }

    /// Every case stored here, by name.
    pub fn list(&self) -> Result<Vec<CaseSummary>, CaseError> {
        list_on(&self.conn, &self.path)
    }
}

/// The cases in a file, read without changing it: none when it has no case tables (an archive older
/// than version 3).
pub fn list_at(path: &Path) -> Result<Vec<CaseSummary>, CaseError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| sql_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sql_error(path, e))?;
    let has_cases: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'cases'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| sql_error(path, e))?;
    if has_cases == 0 {
        return Ok(Vec::new());
    }
    list_on(&conn, path)
}

/// The case of that name on a connection, if it was ever saved there.
fn load_on(conn: &Connection, path: &Path, name: &str) -> Result<Option<Case>, CaseError> {
    let filter: Option<String> = conn
        .query_row("SELECT filter FROM cases WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| sql_error(path, e))?;
    let Some(filter) = filter else {
        return Ok(None);
    };
    let mut marks = BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT id, note FROM case_marks WHERE case_name = ?1")
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([name], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(|e| sql_error(path, e))?;
    for row in rows {
        let (id, note) = row.map_err(|e| sql_error(path, e))?;
        let id = Uuid::from_slice(&id).map_err(|_| CaseError::Damaged {
            path: path.to_owned(),
            detail: format!("a mark of case {name} has an id of {} bytes", id.len()),
        })?;
        marks.insert(id, note);
    }
    let mut statement = conn
        .prepare("SELECT text FROM case_filters WHERE case_name = ?1 ORDER BY seq")
        .map_err(|e| sql_error(path, e))?;
    let filters = statement
        .query_map([name], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_error(path, e))?;
    Ok(Some(Case {
        name: name.to_owned(),
        marks,
        filters,
        filter,
    }))
}

/// Where cases may be stored: the cases file, every archive in the data directory, and `extra`.
pub fn locations(extra: Option<&Path>) -> Vec<(PathBuf, Kind)> {
    let mut found = Vec::new();
    if let Some(path) = standalone_path() {
        found.push((path, Kind::Standalone));
    }
    if let Some(dir) = dirs::data_dir().map(|d| d.join("auditui"))
        && let Ok(listing) = std::fs::read_dir(&dir)
    {
        let mut archives: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "sqlite")
                    && p.file_name().is_some_and(|n| n != "cases.sqlite")
            })
            .collect();
        archives.sort();
        found.extend(archives.into_iter().map(|p| (p, Kind::Archive)));
    }
    if let Some(extra) = extra
        && !found.iter().any(|(p, _)| p == extra)
    {
        found.push((extra.to_owned(), Kind::Archive));
    }
    found
}

/// The stored case of that name, read without changing any file: the first of [`locations`] holding it.
pub fn find(name: &str, extra: Option<&Path>) -> Result<Option<(PathBuf, Case)>, CaseError> {
    for (path, _) in locations(extra) {
        if !path.exists() || !list_at(&path)?.iter().any(|c| c.name == name) {
            continue;
        }
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| sql_error(&path, e))?;
        if let Some(case) = load_on(&conn, &path, name)? {
            return Ok(Some((path, case)));
        }
    }
    Ok(None)
}

fn list_on(conn: &Connection, path: &Path) -> Result<Vec<CaseSummary>, CaseError> {
    let mut statement = conn
        .prepare(
            "SELECT name, updated,
                (SELECT count(*) FROM case_marks m WHERE m.case_name = c.name),
                (SELECT count(*) FROM case_marks m WHERE m.case_name = c.name AND m.note IS NOT NULL)
             FROM cases c ORDER BY name",
        )
        .map_err(|e| sql_error(path, e))?;
    statement
        .query_map([], |r| {
            Ok(CaseSummary {
                name: r.get(0)?,
                updated: r.get(1)?,
                marks: r.get::<_, i64>(2)? as u64,
                notes: r.get::<_, i64>(3)? as u64,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| sql_error(path, e))
}

fn unusable(path: &Path, err: impl std::fmt::Display) -> CaseError {
    CaseError::Unusable {
        path: path.to_owned(),
        detail: err.to_string(),
    }
}

/// A damaged file is named as such; anything else (locked, read-only, full) as unusable.
fn sql_error(path: &Path, err: rusqlite::Error) -> CaseError {
    match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) =>
        {
            CaseError::Damaged {
                path: path.to_owned(),
                detail: err.to_string(),
            }
        }
        rusqlite::Error::SqliteFailure(_, Some(message))
            if message.starts_with("no such table") =>
        {
            CaseError::Damaged {
                path: path.to_owned(),
                detail: format!("it has no case tables: {message}"),
            }
        }
        _ => unusable(path, err),
    }
}

#[cfg(test)]
mod tests;
