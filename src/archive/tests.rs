#![allow(clippy::single_range_in_vec_init)] // a list of pages that holds one page
use std::ops::ControlFlow;

use uuid::Uuid;

use super::*;
use crate::entry::{Entry, Rejected};

const T0: i64 = 1_764_000_000_000_000_000;
const SECOND: i64 = 1_000_000_000;

/// An entry with id `n` (ids order as `n` does), `n` seconds after T0.
fn entry(n: u128, user: &str, kind: &str) -> Entry {
    let id = Uuid::from_u128((0x0194_f5a3_7b2c_7000_8000u128 << 48) + n);
    let ts = chrono::DateTime::from_timestamp_nanos(T0 + n as i64 * SECOND)
        .format("%Y-%m-%dT%H:%M:%S%.6f");
    Entry::parse(&format!(
        r#"{{"data": {{"n": {n}}}, "id": "{id}", "ip": "203.0.113.{}", "timestamp": "{ts}", "type": "{kind}", "user": "{user}", "user_agent": "ua", "extra": true}}"#,
        n % 250
    ))
    .unwrap()
}

fn entries(range: std::ops::Range<u128>) -> Vec<Entry> {
    range
        .map(|n| {
            let user = ["ann@x", "bob@x", "cy@x"][(n % 3) as usize];
            let kind = ["auth:login", "auth:failed"][(n % 2) as usize];
            entry(n, user, kind)
        })
        .collect()
}

fn read_all(archive: &Archive, select: &Select) -> Vec<Entry> {
    let mut out = Vec::new();
    archive
        .entries(select, |e| {
            out.push(e.unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

fn store(path: &std::path::Path, seed: Seed, pages: &[std::ops::Range<u128>]) {
    let mut writer = Archive::open_write(path, "test").unwrap();
    writer.follow(seed).unwrap();
    for page in pages {
        let page = entries(page.clone());
        let last = page.last().unwrap().id;
        writer.commit_page(&page, &[], last).unwrap();
    }
}

#[test]
fn entries_come_back_whole_in_id_order_and_selections_use_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Since(T0)).unwrap();
    let mut page = entries(0..30);
    page.reverse();
    writer.commit_page(&page, &[], page[0].id).unwrap();
    drop(writer);

    let archive = Archive::open_read(&path).unwrap();
    let all = read_all(&archive, &Select::default());
    assert_eq!(all, entries(0..30), "every byte as received, in id order");
    assert_eq!(all[0].raw.get(), entries(0..1)[0].raw.get());

    let select = Select {
        users: vec!["ann@x".into()],
        types: vec!["auth:failed".into()],
        ..Select::default()
    };
    let picked: Vec<u128> = read_all(&archive, &select)
        .iter()
        .map(|e| e.id.as_u128() & 0xff)
        .collect();
    assert_eq!(picked, vec![3, 9, 15, 21, 27]);
    assert_eq!(archive.count(&select).unwrap(), 5);
    let window = Select {
        since: Some(T0 + 10 * SECOND),
        until: Some(T0 + 20 * SECOND),
        ..Select::default()
    };
    assert_eq!(archive.count(&window).unwrap(), 10);
    let recent = Select {
        limit: Some(3),
        newest_first: true,
        ..Select::default()
    };
    let newest: Vec<_> = read_all(&archive, &recent).iter().map(|e| e.id).collect();
    assert_eq!(newest, vec![page[0].id, page[1].id, page[2].id]);
    let after = Select {
        after: Some(page[5].id),
        ..Select::default()
    };
    assert_eq!(archive.count(&after).unwrap(), 5);
}

#[test]
fn pages_grow_one_stretch_and_the_cursor_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    store(&path, Seed::Since(T0), &[0..10, 10..20]);
    let archive = Archive::open_read(&path).unwrap();
    let stretches = archive.stretches().unwrap();
    assert_eq!(stretches.len(), 1);
    assert_eq!(stretches[0].lo, entries(0..1)[0].id);
    assert_eq!(stretches[0].hi, entries(19..20)[0].id);
    assert_eq!(stretches[0].lo_ts, T0);
    let coverage = archive.coverage(T0, Some(T0 + 19 * SECOND)).unwrap();
    assert!(coverage.is_complete(), "{coverage:?}");
    assert!(
        !archive
            .coverage(T0 - SECOND, Some(T0 + 5 * SECOND))
            .unwrap()
            .is_complete()
    );

    // A restart resumes after the cursor and grows the same stretch.
    let mut writer = Archive::open_write(&path, "test").unwrap();
    let cursor = writer.cursor().unwrap().unwrap();
    assert_eq!(cursor, entries(19..20)[0].id);
    writer.follow(Seed::Resume(cursor)).unwrap();
    let page = entries(20..25);
    writer.commit_page(&page, &[], page[4].id).unwrap();
    let stretches = writer.archive().stretches().unwrap();
    assert_eq!(stretches.len(), 1);
    assert_eq!(stretches[0].hi, page[4].id);
    assert_eq!(writer.archive().status().unwrap().repeated, 0);
}

#[test]
fn filling_a_gap_joins_the_stretches_on_either_side() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    store(&path, Seed::Since(T0), &[0..10]);
    store(&path, Seed::Since(T0 + 50 * SECOND), &[50..60]);
    assert_eq!(
        Archive::open_read(&path)
            .unwrap()
            .stretches()
            .unwrap()
            .len(),
        2
    );
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Resume(entries(9..10)[0].id)).unwrap();
    let part = entries(10..20);
    writer.commit_page(&part, &[], part[9].id).unwrap();
    assert_eq!(
        writer.cursor().unwrap(),
        Some(entries(59..60)[0].id),
        "filling a gap leaves the cursor at the newest stretch"
    );
    // The last page runs into the later stretch: those entries are held already, not repeats.
    let page = entries(20..55);
    let committed = writer
        .commit_page(&page, &[], page.last().unwrap().id)
        .unwrap();
    assert_eq!((committed.stored, committed.already_held), (30, 5));
    let status = writer.archive().status().unwrap();
    assert_eq!(status.stretches.len(), 1);
    assert_eq!(status.stretches[0].hi, entries(59..60)[0].id);
    assert_eq!(status.repeated, 0);
    assert_eq!(status.entries, 60);
    assert_eq!(writer.cursor().unwrap(), Some(entries(59..60)[0].id));
}

#[test]
fn an_entry_fetched_twice_in_one_stretch_is_counted_as_a_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Earliest).unwrap();
    let page = entries(0..10);
    writer.commit_page(&page, &[], page[9].id).unwrap();
    let again = entries(8..12);
    writer.commit_page(&again, &[], again[3].id).unwrap();
    assert_eq!(writer.archive().status().unwrap().repeated, 2);
}

#[test]
fn malformed_entries_are_kept_and_counted_and_move_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Latest).unwrap();
    let bad = Rejected {
        id: Some(Uuid::from_u128(u128::MAX - 1)),
        reason: "bad timestamp".into(),
        excerpt: "{\"id\": ...".into(),
    };
    writer
        .commit_page(&entries(0..2), std::slice::from_ref(&bad), bad.id.unwrap())
        .unwrap();
    assert_eq!(writer.cursor().unwrap(), bad.id);
    let archive = Archive::open_read(&path).unwrap();
    assert_eq!(archive.rejected().unwrap(), vec![bad]);
    assert_eq!(archive.status().unwrap().rejected, 1);
}

#[test]
fn import_skips_entries_already_held_and_makes_no_stretch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    assert_eq!(writer.import(&entries(0..10)).unwrap().stored, 10);
    let again = writer.import(&entries(5..15)).unwrap();
    assert_eq!((again.stored, again.already_held), (5, 5));
    assert!(writer.archive().stretches().unwrap().is_empty());
}

#[test]
fn prune_removes_old_entries_and_their_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    store(&path, Seed::Since(T0), &[0..20]);
    let mut writer = Archive::open_write(&path, "test").unwrap();
    assert_eq!(writer.prune(T0 + 5 * SECOND).unwrap(), 5);
    let status = writer.archive().status().unwrap();
    assert_eq!(status.entries, 15);
    assert_eq!(status.stretches[0].lo, entries(5..6)[0].id);
    assert_eq!(status.stretches[0].lo_ts, T0 + 5 * SECOND);
}

#[test]
fn a_second_writer_is_refused_and_readers_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "auditui sync").unwrap();
    writer.import(&entries(0..3)).unwrap();
    let err = Archive::open_write(&path, "auditui sync").unwrap_err();
    assert!(matches!(err, ArchiveError::Busy { .. }), "{err}");
    assert!(err.to_string().contains("auditui sync"), "{err}");
    assert_eq!(
        Archive::open_read(&path)
            .unwrap()
            .count(&Select::default())
            .unwrap(),
        3
    );
    assert!(
        Archive::open_read(&path)
            .unwrap()
            .status()
            .unwrap()
            .writer
            .is_some()
    );
}

/// Bytes of the file and its WAL, to prove an error left them alone.
fn snapshot(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn bad_files_get_a_clear_error_naming_them_and_are_left_untouched() {
    let dir = tempfile::tempdir().unwrap();

    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let short = dir.path().join("short.sqlite");
    std::fs::write(&short, b"SQLite format 3\0").unwrap();

    // A real archive cut in half.
    let truncated = dir.path().join("truncated.sqlite");
    store(&truncated, Seed::Earliest, &[0..3000]);
    Archive::open_write(&truncated, "test").unwrap(); // checkpoints the WAL on close
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let newer = dir.path().join("newer.sqlite");
    store(&newer, Seed::Earliest, &[0..3]);
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();

    let cases = [
        (
            &garbage,
            "is damaged or is not an auditui archive (not an SQLite database)",
        ),
        (&short, "shorter than an SQLite header"),
        (&truncated, "truncated"),
        (&newer, "written by a newer auditui (schema version 99"),
    ];
    for (path, message) in cases {
        let before = snapshot(path);
        let write_err = Archive::open_write(path, "test").unwrap_err().to_string();
        let read_err = Archive::open_read(path).unwrap_err().to_string();
        for err in [&write_err, &read_err] {
            assert!(err.contains(message), "{path:?}: {err}");
            assert!(err.contains(&path.display().to_string()), "{err}");
        }
        assert_eq!(snapshot(path), before, "{path:?} was changed");
    }
    let missing = Archive::open_read(&dir.path().join("none.sqlite")).unwrap_err();
    assert!(
        missing.to_string().contains("run `auditui sync`"),
        "{missing}"
    );
}

#[test]
fn a_full_disk_stores_nothing_of_the_batch_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Earliest).unwrap();
    let page = entries(0..10);
    writer.commit_page(&page, &[], page[9].id).unwrap();
    // The file may not grow past what it has: the next big page finds the disk full.
    let pages: i64 = writer
        .archive()
        .connection()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    writer
        .archive()
        .connection()
        .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
        .unwrap();
    let big = entries(10..5000);
    let err = writer
        .commit_page(&big, &[], big.last().unwrap().id)
        .unwrap_err();
    assert!(matches!(err, ArchiveError::Full { .. }), "{err}");
    assert!(err.to_string().contains("is full"), "{err}");
    assert_eq!(
        writer.cursor().unwrap(),
        Some(page[9].id),
        "the cursor did not move"
    );
    assert_eq!(writer.archive().count(&Select::default()).unwrap(), 10);
    assert_eq!(writer.archive().stretches().unwrap()[0].hi, page[9].id);
    // Once there is room again, the same page goes in whole.
    writer
        .archive()
        .connection()
        .execute_batch("PRAGMA max_page_count = 1000000")
        .unwrap();
    writer
        .commit_page(&big, &[], big.last().unwrap().id)
        .unwrap();
    assert_eq!(writer.archive().count(&Select::default()).unwrap(), 5000);
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_is_named_with_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("ro");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let path = locked.join("a.sqlite");
    let result = Archive::open_write(&path, "test");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Root ignores permissions: there is nothing to refuse then.
    if nix_is_root() {
        return;
    }
    let err = result.unwrap_err().to_string();
    assert!(err.contains("cannot write the archive"), "{err}");
    assert!(err.contains("check the permissions"), "{err}");
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn the_default_archive_is_one_file_per_host() {
    let a = default_path("https://eu.api.harvey.ai").unwrap();
    assert!(a.ends_with("auditui/eu.api.harvey.ai.sqlite"), "{a:?}");
    let b = default_path("http://127.0.0.1:8787/prefix").unwrap();
    assert!(b.ends_with("auditui/127.0.0.1_8787.sqlite"), "{b:?}");
}

/// A version 1 archive, as the first auditui with an archive wrote it: no table of sessions.
fn version_1_archive(path: &std::path::Path) {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(schema::V1).unwrap();
    tx.execute_batch("PRAGMA user_version = 1").unwrap();
    tx.commit().unwrap();
}

#[test]
fn the_archive_remembers_the_agents_of_every_session_that_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    for (n, agent) in ["auditui/0.1 (session 1)", "auditui/0.1 (session 2)"]
        .into_iter()
        .enumerate()
    {
        let mut writer = Archive::open_write(&path, "test").unwrap();
        writer.remember_agent(agent, T0 + n as i64).unwrap();
        writer.remember_agent(agent, T0 + n as i64).unwrap();
    }
    let archive = Archive::open_read(&path).unwrap();
    assert_eq!(
        archive.own_agents().unwrap(),
        ["auditui/0.1 (session 2)", "auditui/0.1 (session 1)"],
        "newest first, each once"
    );
}

#[test]
fn reading_can_leave_out_the_fetches_of_remembered_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let fetch = |n: u128, agent: &str| {
        let id = Uuid::from_u128((0x0194_f5a3_7b2c_7000_8000u128 << 48) + n);
        Entry::parse(&format!(
            r#"{{"data": {{"route": "/api/v1/logs/audit"}}, "id": "{id}", "timestamp": "2025-11-24T16:00:0{n}", "type": "api:audit_log_fetch", "user": "svc@x", "user_agent": "{agent}"}}"#
        ))
        .unwrap()
    };
    let page = vec![
        entry(1, "ann@x", "auth:login"),
        fetch(2, "auditui/0.1 (session 1)"),
        fetch(3, "another-integration/2.0"),
        fetch(4, "auditui/0.1 (session 2)"),
        entry(5, "bob@x", "auth:login"),
    ];
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer
        .remember_agent("auditui/0.1 (session 1)", T0)
        .unwrap();
    writer
        .remember_agent("auditui/0.1 (session 2)", T0)
        .unwrap();
    writer.follow(Seed::Earliest).unwrap();
    writer.commit_page(&page, &[], page[4].id).unwrap();
    drop(writer);
    let archive = Archive::open_read(&path).unwrap();
    let select = Select::default();
    assert_eq!(read_all(&archive, &select).len(), 5, "all are stored");
    let hidden = Select {
        without_own_fetches: true,
        ..Select::default()
    };
    let kept: Vec<Uuid> = read_all(&archive, &hidden).iter().map(|e| e.id).collect();
    assert_eq!(kept, [page[0].id, page[2].id, page[4].id]);
    assert_eq!(archive.count(&hidden).unwrap(), 3);
}

#[test]
fn a_version_1_archive_is_migrated_keeping_its_entries_and_learns_agents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    version_1_archive(&path);
    {
        // As version 1's writer filled it: ten entries, their text whole, and the stretch they make.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let page = entries(0..10);
        for e in &page {
            conn.execute("INSERT OR IGNORE INTO users (name) VALUES (?1)", [&e.user])
                .unwrap();
            conn.execute("INSERT OR IGNORE INTO types (name) VALUES (?1)", [&e.kind])
                .unwrap();
            conn.execute(
                "INSERT INTO entries (id, ts, type_id, user_id, raw) VALUES (?1, ?2,
                     (SELECT id FROM types WHERE name = ?3), (SELECT id FROM users WHERE name = ?4), ?5)",
                rusqlite::params![e.id.as_bytes().as_slice(), e.ts, e.kind, e.user, e.raw.get()],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO coverage (lo, hi, lo_ts, hi_ts) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                page[0].id.as_bytes().as_slice(),
                page[9].id.as_bytes().as_slice(),
                i64::MIN,
                page[9].ts
            ],
        )
        .unwrap();
    }
    assert!(
        matches!(
            Archive::open_read(&path),
            Err(error::ArchiveError::Older { found: 1, .. })
        ),
        "a reader does not migrate"
    );
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer
        .remember_agent("auditui/0.1 (session 9)", T0)
        .unwrap();
    drop(writer);
    let archive = Archive::open_read(&path).unwrap();
    assert_eq!(read_all(&archive, &Select::default()).len(), 10);
    assert_eq!(archive.stretches().unwrap().len(), 1);
    assert_eq!(archive.own_agents().unwrap(), ["auditui/0.1 (session 9)"]);
    let version: i64 = archive
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
}

/// The stored text of every entry, as SQLite holds it.
fn stored_texts(archive: &Archive) -> Vec<String> {
    let mut stmt = archive
        .connection()
        .prepare("SELECT raw FROM entries ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn the_text_is_stored_without_its_id_user_and_type_and_every_reader_gets_it_back_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    store(&path, Seed::Earliest, &[0..20]);
    let archive = Archive::open_read(&path).unwrap();
    let expected = entries(0..20);
    let stored = stored_texts(&archive);
    for (text, entry) in stored.iter().zip(&expected) {
        assert!(
            text.len() + 36 + entry.user.len() - 2 + entry.kind.len() - 1 <= entry.raw.get().len(),
            "{text}"
        );
    }
    assert_eq!(read_all(&archive, &Select::default()), expected);
    let viewed: Vec<String> = archive
        .connection()
        .prepare("SELECT raw FROM entry_view ORDER BY ts_nanos")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let raw: Vec<&str> = expected.iter().map(|e| e.raw.get()).collect();
    assert_eq!(viewed, raw, "the view spells the text out as received");
    let status = archive.status().unwrap();
    assert_eq!(
        status.json_bytes,
        raw.iter().map(|r| r.len() as u64).sum::<u64>()
    );
}

#[test]
fn a_version_3_archive_is_migrated_to_the_packed_text_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.sqlite");
    let expected = entries(0..12);
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        for step in [
            schema::V1,
            "CREATE TABLE sessions (agent TEXT PRIMARY KEY NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;",
            schema::V3,
        ] {
            tx.execute_batch(step).unwrap();
        }
        tx.execute_batch("PRAGMA user_version = 3").unwrap();
        // As version 3 stored them: the text whole.
        for (n, e) in expected.iter().enumerate() {
            tx.execute("INSERT OR IGNORE INTO users (name) VALUES (?1)", [&e.user])
                .unwrap();
            tx.execute("INSERT OR IGNORE INTO types (name) VALUES (?1)", [&e.kind])
                .unwrap();
            tx.execute(
                "INSERT INTO entries VALUES (?1, ?2, (SELECT id FROM types WHERE name = ?3),
                     (SELECT id FROM users WHERE name = ?4), ?5)",
                rusqlite::params![
                    e.id.as_bytes().as_slice(),
                    n as i64,
                    e.kind,
                    e.user,
                    e.raw.get()
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    drop(Archive::open_write(&path, "test").unwrap());
    let archive = Archive::open_read(&path).unwrap();
    let stored = stored_texts(&archive);
    assert!(
        stored
            .iter()
            .all(|t| t.contains(['\u{1}']) && t.contains(['\u{2}']) && t.contains(['\u{3}'])),
        "{stored:?}"
    );
    let mut read = Vec::new();
    archive
        .raw_entries(&Select::default(), |t| {
            read.push(t.to_owned());
            ControlFlow::Continue(())
        })
        .unwrap();
    let raw: Vec<&str> = expected.iter().map(|e| e.raw.get()).collect();
    assert_eq!(read, raw);
    let index: String = archive
        .connection()
        .query_row(
            "SELECT group_concat(name) FROM sqlite_schema WHERE name LIKE 'entries_by_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, "entries_by_ts,entries_by_hour");
}

#[test]
fn selections_by_name_read_the_hours_held_and_agree_with_every_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hours.sqlite");
    // 60 entries 7 minutes apart: 7 hours, some of them holding no entry of a given user.
    let all: Vec<Entry> = (0..60u128)
        .map(|n| {
            let user = ["ann@x", "bob@x", "cy@x"][(n % 3) as usize];
            entry(
                n * 420,
                user,
                ["auth:login", "auth:failed"][(n % 2) as usize],
            )
        })
        .collect();
    let mut writer = Archive::open_write(&path, "test").unwrap();
    writer.follow(Seed::Since(T0)).unwrap();
    for page in all.chunks(16) {
        writer
            .commit_page(page, &[], page.last().unwrap().id)
            .unwrap();
    }
    drop(writer);
    let archive = Archive::open_read(&path).unwrap();
    let hour = schema::HOUR_NANOS;
    let last_ts = all.last().unwrap().ts;
    let ends = [None, Some(T0), Some(T0 + 1), Some(T0 - hour)]
        .into_iter()
        .chain((1..9).map(|k| Some(T0 + k * hour / 2 + 17 * SECOND)))
        .chain([
            Some(T0.div_euclid(hour) * hour + 3 * hour),
            Some(last_ts + 1),
        ]);
    let ends: Vec<Option<i64>> = ends.collect();
    for &since in &ends {
        for &until in &ends {
            let inside =
                |e: &&Entry| since.is_none_or(|s| e.ts >= s) && until.is_none_or(|u| e.ts < u);
            let mut expected_hours: Vec<i64> =
                all.iter().filter(inside).map(|e| e.ts / hour).collect();
            expected_hours.dedup();
            let held = archive.hours(since, until).unwrap();
            // The hours of the window's ends may hold entries outside it: they are read, and the
            // time condition leaves those out.
            assert!(
                expected_hours.iter().all(|h| held.contains(h)),
                "{since:?}..{until:?}: {held:?} lacks one of {expected_hours:?}"
            );
            assert!(held.windows(2).all(|w| w[0] < w[1]), "{held:?}");
            for (users, types) in [
                (vec!["ann@x"], vec!["auth:failed"]),
                (vec!["bob@x", "cy@x"], vec![]),
                (vec![], vec!["auth:login"]),
            ] {
                let select = Select {
                    since,
                    until,
                    users: users.iter().map(|u| u.to_string()).collect(),
                    types: types.iter().map(|t| t.to_string()).collect(),
                    ..Select::default()
                };
                let expected: Vec<Uuid> = all
                    .iter()
                    .filter(inside)
                    .filter(|e| users.is_empty() || users.contains(&e.user.as_str()))
                    .filter(|e| types.is_empty() || types.contains(&e.kind.as_str()))
                    .map(|e| e.id)
                    .collect();
                let read: Vec<Uuid> = read_all(&archive, &select).iter().map(|e| e.id).collect();
                assert_eq!(read, expected, "{since:?}..{until:?} {users:?} {types:?}");
                assert_eq!(archive.count(&select).unwrap(), expected.len() as u64);
            }
        }
    }
    // And SQLite reads the index that leads with the hour for them, not the whole table...
    let select = Select {
        users: vec!["ann@x".into()],
        types: vec!["auth:failed".into()],
        ..Select::default()
    };
    let (clause, params) = archive.clause_of(&select).unwrap();
    let refs: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| p.as_ref()).collect();
    let mut stmt = archive
        .connection()
        .prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM entries e{clause}"
        ))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map(refs.as_slice(), |row| row.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // ...from the index alone: a count by user and type never looks up a row.
    assert!(
        plan.iter()
            .any(|step| step.contains("COVERING INDEX entries_by_hour")),
        "{plan:?}"
    );
}
