//! The archive's tables, its schema version, and the migrations between versions.
//!
//! The version lives in SQLite's `user_version`. A file written by a newer auditui is refused, never
//! migrated backwards; an older one is migrated forward in one transaction, so an interrupted migration
//! leaves the file as it was.

use rusqlite::Connection;

/// The version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 6;

/// Version 1: entries keyed by their 16-byte id, the raw text as received, names interned.
pub(crate) const V1: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE types (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE entries (
    id BLOB PRIMARY KEY NOT NULL,
    ts INTEGER NOT NULL,
    type_id INTEGER NOT NULL REFERENCES types(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    raw TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX entries_by_ts ON entries (ts);
CREATE INDEX entries_by_user ON entries (user_id, type_id);
CREATE INDEX entries_by_type ON entries (type_id);
CREATE TABLE rejected (
    seq INTEGER PRIMARY KEY,
    id BLOB,
    reason TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    stored_at INTEGER NOT NULL
);
CREATE TABLE coverage (
    lo BLOB PRIMARY KEY NOT NULL,
    hi BLOB NOT NULL,
    lo_ts INTEGER NOT NULL,
    hi_ts INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_state (key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
CREATE VIEW entry_view AS
SELECT
    lower(substr(hex(e.id), 1, 8) || '-' || substr(hex(e.id), 9, 4) || '-' || substr(hex(e.id), 13, 4)
        || '-' || substr(hex(e.id), 17, 4) || '-' || substr(hex(e.id), 21, 12)) AS id,
    strftime('%Y-%m-%dT%H:%M:%f', e.ts / 1000000000.0, 'unixepoch') AS timestamp,
    e.ts AS ts_nanos,
    t.name AS type,
    u.name AS user,
    json_extract(e.raw, '$.ip') AS ip,
    json_extract(e.raw, '$.user_agent') AS user_agent,
    json_extract(e.raw, '$.data') AS data,
    e.raw AS raw
FROM entries e JOIN types t ON t.id = e.type_id JOIN users u ON u.id = e.user_id;
";

/// Version 2: the User-Agents of the sessions that wrote the archive (each `sync` run), so that readers
/// can leave out the `api:audit_log_fetch` entries of those sessions, as `tail --state` does.
const V2: &str = "
CREATE TABLE sessions (
    agent TEXT PRIMARY KEY NOT NULL,
    last_seen INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Version 3: the cases of investigations (marks, notes, filters), beside the entries they point at.
/// The same tables make the case store of the data directory when there is no archive.
pub const V3: &str = "
CREATE TABLE cases (
    name TEXT PRIMARY KEY NOT NULL,
    filter TEXT NOT NULL,
    updated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE case_marks (
    case_name TEXT NOT NULL REFERENCES cases(name) ON DELETE CASCADE,
    id BLOB NOT NULL,
    note TEXT,
    PRIMARY KEY (case_name, id)
) WITHOUT ROWID;
CREATE TABLE case_filters (
    case_name TEXT NOT NULL REFERENCES cases(name) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (case_name, seq)
) WITHOUT ROWID;
";

/// An entry's text as received, in SQL, from what [`super::packed::Packer`] stored in `e.raw` (a row of
/// `entries` named `e`): the markers replaced by the type's and user's names and the id's text.
pub const RESTORED_RAW: &str = "replace(replace(replace(e.raw,
        char(3), (SELECT name FROM types WHERE id = e.type_id)),
        char(2), (SELECT name FROM users WHERE id = e.user_id)),
        char(1), lower(substr(hex(e.id), 1, 8) || '-' || substr(hex(e.id), 9, 4) || '-'
            || substr(hex(e.id), 13, 4) || '-' || substr(hex(e.id), 17, 4) || '-' || substr(hex(e.id), 21, 12)))";

/// A name [`super::packed::Packer`] replaces in the text (not empty, no control character), in SQL.
const PACKABLE: &str =
    "(name <> '' AND name NOT GLOB ('*[' || char(1) || '-' || char(31) || ']*'))";

/// Version 4: the text of entries no longer repeats their id, user and type ([`super::packed`]), and the
/// index on the type alone goes (`entries_by_user` answers by type too, and a count by type reads it
/// whole): about 100 bytes less per entry.
fn v4() -> String {
    let id_text = "lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' \
        || substr(hex(id), 13, 4) || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21, 12))";
    format!(
        "
DROP INDEX entries_by_type;
UPDATE entries SET raw = replace(raw, {id_text}, char(1))
    WHERE instr(raw, char(1)) = 0 AND instr(raw, char(2)) = 0 AND instr(raw, char(3)) = 0;
UPDATE entries SET raw = replace(raw, (SELECT name FROM users WHERE id = user_id), char(2))
    WHERE instr(raw, char(2)) = 0 AND instr(raw, char(3)) = 0
      AND (SELECT {PACKABLE} FROM users WHERE id = user_id);
UPDATE entries SET raw = replace(raw, (SELECT name FROM types WHERE id = type_id), char(3))
    WHERE instr(raw, char(3)) = 0
      AND (SELECT {PACKABLE} FROM types WHERE id = type_id);
DROP VIEW entry_view;
{}
",
        entry_view()
    )
}

/// The view that spells every entry out, its text as received.
fn entry_view() -> String {
    format!(
        "CREATE VIEW entry_view AS
SELECT
    lower(substr(hex(e.id), 1, 8) || '-' || substr(hex(e.id), 9, 4) || '-' || substr(hex(e.id), 13, 4)
        || '-' || substr(hex(e.id), 17, 4) || '-' || substr(hex(e.id), 21, 12)) AS id,
    strftime('%Y-%m-%dT%H:%M:%f', e.ts / 1000000000.0, 'unixepoch') AS timestamp,
    e.ts AS ts_nanos,
    t.name AS type,
    u.name AS user,
    json_extract({RESTORED_RAW}, '$.ip') AS ip,
    json_extract({RESTORED_RAW}, '$.user_agent') AS user_agent,
    json_extract({RESTORED_RAW}, '$.data') AS data,
    {RESTORED_RAW} AS raw
FROM entries e JOIN types t ON t.id = e.type_id JOIN users u ON u.id = e.user_id;"
    )
}

/// The hour an entry's `ts` falls in, in SQL: the column that leads [`V6`]'s index (`ts / HOUR_NANOS`).
pub const HOUR_OF_TS: &str = "e.hour";

/// Nanoseconds in an hour: [`HOUR_OF_TS`]'s divisor.
pub const HOUR_NANOS: i64 = 3_600_000_000_000;

/// Version 5: the index on user and type leads with the entry's hour. Keyed by user first, every page
/// of 1,000 entries touched about as many of its pages, all over the file, and each commit wrote them
/// whole: ingest fell from 60,000 entries a second on 200,000 entries to 30,000 on a million. Keyed by
/// hour first, new entries land in the current hour's few pages. A selection by user or type names the
/// hours it reads (`Archive::hours`).
pub(crate) const V5: &str = "
DROP INDEX entries_by_user;
CREATE INDEX entries_by_hour ON entries (ts / 3600000000000, user_id, type_id);
";

/// Version 6: the hour is a column of its own, written with each entry. SQLite reads an index on the
/// expression `ts / 3600000000000` but never counts from it alone (it looks up every row it selects:
/// 0.9 s for a user's 200,000 entries among 10M); on a column, the index holds all a count by user and
/// type needs.
pub(crate) const V6: &str = "
ALTER TABLE entries ADD COLUMN hour INTEGER;
UPDATE entries SET hour = ts / 3600000000000;
DROP INDEX entries_by_hour;
CREATE INDEX entries_by_hour ON entries (hour, user_id, type_id);
";

/// Each migration takes the schema from version `index` to `index + 1`.
fn migrations() -> Vec<String> {
    vec![
        V1.to_owned(),
        V2.to_owned(),
        V3.to_owned(),
        v4(),
        V5.to_owned(),
        V6.to_owned(),
    ]
}

/// What opening found about the file's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionCheck {
    Current,
    /// Written by a newer auditui: this one must not touch it.
    Newer(i64),
    /// Older (0 is a new, empty file): migrations are due.
    Older(i64),
}

pub fn check(conn: &Connection) -> rusqlite::Result<VersionCheck> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok(match version {
        v if v == SCHEMA_VERSION => VersionCheck::Current,
        v if v > SCHEMA_VERSION => VersionCheck::Newer(v),
        v => VersionCheck::Older(v),
    })
}

/// Brings the schema from `from` to [`SCHEMA_VERSION`] in one transaction.
pub fn migrate(conn: &mut Connection, from: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process may have migrated between the check and the lock.
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version != from {
        return tx.commit();
    }
    for step in &migrations()[from.max(0) as usize..] {
        tx.execute_batch(step)?;
    }
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_migrates_to_the_current_version_and_a_newer_one_is_recognized() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(check(&conn).unwrap(), VersionCheck::Older(0));
        migrate(&mut conn, 0).unwrap();
        assert_eq!(check(&conn).unwrap(), VersionCheck::Current);
        conn.execute_batch("PRAGMA user_version = 9").unwrap();
        assert_eq!(check(&conn).unwrap(), VersionCheck::Newer(9));
    }

    #[test]
    fn the_view_spells_ids_and_times_as_the_api_does() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, 0).unwrap();
        let id = uuid::Uuid::parse_str("0194f5a3-7b2c-7def-8123-456789abcdef").unwrap();
        conn.execute_batch(
            "INSERT INTO users VALUES (1, 'a@b'); INSERT INTO types VALUES (1, 'auth:login');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO entries VALUES (?1, 1739290124324452000, 1, 1, '{\"ip\":\"203.0.113.7\"}', 483136)",
            [id.as_bytes().as_slice()],
        )
        .unwrap();
        let (text, ts, ip): (String, String, String) = conn
            .query_row("SELECT id, timestamp, ip FROM entry_view", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(text, id.to_string());
        assert_eq!(ts, "2025-02-11T16:08:44.324");
        assert_eq!(ip, "203.0.113.7");
    }
}
