//! `auditui query --archive PATH`: the query language over an archive, through its indexes.
//!
//! The terms on users, types and time become conditions on the archive's interned ids and time index:
//! each user and type name the archive holds is tested once against the query (the same tests the
//! stream matcher runs), so the selection agrees with `query` over the same entries as JSON lines. A
//! count whose terms are all of that kind is answered by the indexes alone, never reading an entry's
//! text; anything else streams the selected entries' text through the ordinary scan.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::archive::{Archive, ArchiveError, Select};
use crate::query::text::{contains_ignore_ascii_case, type_matches};
use crate::query::{Query, Test};

/// What the archive's indexes can select for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub select: Select,
    /// Every term was turned into the selection: its count is the query's count.
    pub exact: bool,
}

impl Plan {
    /// The selection for `query` over `archive`. A query that depends on the entries before each one
    /// (`is:new`) selects everything: its answer needs them all.
    pub fn new(archive: &Archive, query: &Query) -> Result<Plan, ArchiveError> {
        if query.uses_history() {
            return Ok(Plan {
                select: Select::default(),
                exact: false,
            });
        }
        let (since, until) = query.time_window();
        let groups = query.groups();
        let on = |g: &&crate::query::Group<'_>, user: bool| {
            matches!(
                (g.positive.first().or(g.negative.first()), user),
                (Some(Test::User(_)), true) | (Some(Test::Type(_)), false)
            )
        };
        let user_groups: Vec<_> = groups.iter().filter(|g| on(g, true)).collect();
        let type_groups: Vec<_> = groups.iter().filter(|g| on(g, false)).collect();
        let user_ids = held_by_all(
            &user_groups,
            || archive.user_names(),
            |t, name| match t {
                Test::User(needle) => contains_ignore_ascii_case(name, needle),
                _ => false,
            },
        )?;
        let type_ids = held_by_all(
            &type_groups,
            || archive.type_names(),
            |t, name| match t {
                Test::Type(pattern) => type_matches(pattern, name),
                _ => false,
            },
        )?;
        let exact = query.terms().iter().all(|t| {
            matches!(
                t.test,
                Test::User(_) | Test::Type(_) | Test::Since(_) | Test::Until(_)
            )
        });
        Ok(Plan {
            select: Select {
                since,
                until,
                user_ids,
                type_ids,
                ..Select::default()
            },
            exact,
        })
    }
}

/// The count of a query every term of which the indexes answer, or `None` when the entries must be
/// read.
pub fn indexed_count(path: &Path, query: &Query) -> anyhow::Result<Option<u64>> {
    let archive = Archive::open_read(path)?;
    let plan = Plan::new(&archive, query)?;
    if !plan.exact {
        return Ok(None);
    }
    Ok(Some(archive.count(&plan.select)?))
}

/// The text of the entries the indexes select for `query`, one per line in id order, written by a
/// thread of its own into a pipe (an archive may hold more than memory): the scan reads the other end.
pub fn selected_lines(
    path: &Path,
    query: &Query,
) -> anyhow::Result<(
    io::PipeReader,
    std::thread::JoinHandle<Result<(), ArchiveError>>,
)> {
    let archive = Archive::open_read(path)?;
    let plan = Plan::new(&archive, query)?;
    let (reader, writer) = io::pipe()?;
    let path: PathBuf = path.to_owned();
    let handle = std::thread::spawn(move || {
        let mut out = BufWriter::with_capacity(1 << 20, writer);
        let mut failed = None;
        archive.raw_entries(&plan.select, |text| {
            // The API's JSON may be spread over lines (only whitespace can hold a line break in JSON
            // text): a line each, as a JSON-lines export writes it.
            let written = if text.contains('\n') {
                out.write_all(text.replace(['\n', '\r'], " ").as_bytes())
            } else {
                out.write_all(text.as_bytes())
            };
            match written.and_then(|()| out.write_all(b"\n")) {
                Ok(()) => ControlFlow::Continue(()),
                // The reader stopped (an error there is reported by the scan).
                Err(err) => {
                    failed = Some(err);
                    ControlFlow::Break(())
                }
            }
        })?;
        if failed.is_none() {
            out.flush().map_err(|e| ArchiveError::from_io(&path, e))?;
        }
        Ok(())
    });
    Ok((reader, handle))
}

/// The interned ids of the names that every group in `groups` holds for, `test` deciding each of the
/// group's tests on a name; `None` (no condition) when no group is about this column, and the names
/// are then not read.
fn held_by_all(
    groups: &[&crate::query::Group<'_>],
    names: impl FnOnce() -> Result<Vec<(i64, String)>, ArchiveError>,
    test: impl Fn(&Test, &str) -> bool,
) -> Result<Option<Vec<i64>>, ArchiveError> {
    if groups.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        names()?
            .into_iter()
            .filter(|(_, name)| groups.iter().all(|g| g.holds(|t| test(t, name))))
            .map(|(id, _)| id)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Seed;
    use crate::entry::Entry;

    fn entry(n: u128, user: &str, kind: &str, ts: &str) -> Entry {
        let id = uuid::Uuid::from_u128(0x0194_f5a3_7b2c_7def_8123_0000_0000_0000 + n);
        Entry::parse(&format!(
            r#"{{"data":{{}},"id":"{id}","ip":"203.0.113.7","timestamp":"{ts}","type":"{kind}","user":"{user}","user_agent":"ua"}}"#
        ))
        .unwrap()
    }

    fn archive_of(entries: &[Entry]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let mut writer = Archive::open_write(&path, "test").unwrap();
        writer.follow(Seed::Earliest).unwrap();
        let last = entries.iter().map(|e| e.id).max().unwrap();
        writer.commit_page(entries, &[], last).unwrap();
        (dir, path)
    }

    #[test]
    fn user_type_and_time_terms_are_counted_by_the_indexes_as_the_stream_matcher_counts() {
        let entries = [
            entry(1, "Alice@firm.example", "auth:login", "2026-11-24T09:00:00"),
            entry(
                2,
                "alice@firm.example",
                "auth:logout",
                "2026-11-24T10:00:00",
            ),
            entry(3, "bob@firm.example", "auth:login", "2026-11-24T11:00:00"),
            entry(
                4,
                "malice@firm.example",
                "api:create_query",
                "2026-11-24T12:00:00",
            ),
        ];
        let (_dir, path) = archive_of(&entries);
        let now = crate::clock::now();
        for (text, expected) in [
            ("", 4),
            ("user:alice", 3),
            ("user:alice type:auth:*", 2),
            ("-user:alice", 1),
            ("user:bob user:malice", 2),
            ("type:auth:login -user:bob", 1),
            ("since:2026-11-24T10:00 until:2026-11-24T12:00", 2),
            ("user:nobody", 0),
        ] {
            let query = Query::parse(text, now).unwrap();
            let streamed = entries
                .iter()
                .filter(|e| crate::query::Matcher::new(&query).matches(&e.row()))
                .count() as u64;
            assert_eq!(streamed, expected, "{text}: the stream matcher");
            assert_eq!(
                indexed_count(&path, &query).unwrap(),
                Some(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn terms_the_indexes_cannot_answer_leave_the_count_to_the_scan_over_a_narrowed_selection() {
        let entries = [
            entry(1, "alice@firm.example", "auth:login", "2026-11-24T09:00:00"),
            entry(2, "bob@firm.example", "auth:login", "2026-11-24T10:00:00"),
        ];
        let (_dir, path) = archive_of(&entries);
        let query = Query::parse("user:bob ip:203.0.113.7", crate::clock::now()).unwrap();
        assert_eq!(indexed_count(&path, &query).unwrap(), None);
        let (mut reader, handle) = selected_lines(&path, &query).unwrap();
        let mut text = String::new();
        io::Read::read_to_string(&mut reader, &mut text).unwrap();
        handle.join().unwrap().unwrap();
        assert_eq!(text, format!("{}\n", entries[1].raw.get()));
    }
}
