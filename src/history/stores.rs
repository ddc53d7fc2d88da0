//! An archive's entries read into stores: the calling thread steps through SQLite and puts back each
//! entry's stored text ([`Archive::raw_entries`]); a worker per core parses them, chunk by chunk, as
//! `open` parses JSON lines. Parsing was most of a load's time when this thread did it all (a million
//! entries: 7.4 CPU seconds, mostly `serde_json` and the allocator).

use std::ops::ControlFlow;

use crate::archive::{Archive, ArchiveError, Select};
use crate::entry::Malformed;
use crate::store::Store;
use crate::store::parsers::{Parsed, Parsers, WorkerLost, with_parsers};

/// Text handed to a worker at once (later chunks; the first holds `first` entries).
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Parsing threads for a load: one per core, up to 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Calls `each` with the entries `select` picks, in id order, parsed in chunks by `threads` workers:
/// first a chunk of `first` entries (so that rows are on screen at once), then chunks of a few MiB,
/// each with the stored entries that no longer parse. `each` breaking stops the reading; what it
/// returns is what came last.
pub fn read_stores(
    archive: &Archive,
    select: &Select,
    threads: usize,
    first: usize,
    mut each: impl FnMut(Store, Vec<Malformed>) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, ArchiveError> {
    with_parsers(threads, |parsers: &mut Parsers<()>| {
        // Gives a parsed chunk to `each`: what it said, or `None` when no chunk was ready.
        let mut pass_on = |parsed: Result<Option<(Parsed, ())>, WorkerLost>| match parsed {
            Ok(Some((parsed, ()))) => Ok(Some(each(parsed.block, parsed.malformed))),
            Ok(None) => Ok(None),
            Err(WorkerLost) => Err(lost(archive)),
        };
        let mut chunk = parsers.buffer();
        let mut in_chunk = 0;
        let mut want = first.max(1);
        let mut stopped = Ok(ControlFlow::Continue(()));
        archive.raw_entries(select, |text| {
            push_line(&mut chunk, text);
            in_chunk += 1;
            if in_chunk < want && chunk.len() < CHUNK_BYTES {
                return ControlFlow::Continue(());
            }
            let next = parsers.buffer();
            parsers.hand_out(std::mem::replace(&mut chunk, next), ());
            // The first chunk is passed on as soon as it is parsed, not after the next is read.
            let mut wait = want == first.max(1);
            (in_chunk, want) = (0, usize::MAX);
            loop {
                let parsed = if wait {
                    parsers.wait()
                } else {
                    parsers.ready()
                };
                wait = false;
                match pass_on(parsed) {
                    Ok(Some(ControlFlow::Continue(()))) => {}
                    Ok(None) => return ControlFlow::Continue(()),
                    other => {
                        stopped = other.map(|_| ControlFlow::Break(()));
                        return ControlFlow::Break(());
                    }
                }
            }
        })?;
        if stopped.as_ref().map_or(true, |flow| flow.is_break()) {
            return stopped;
        }
        if in_chunk > 0 {
            parsers.hand_out(chunk, ());
        }
        while let Some(flow) = pass_on(parsers.wait())? {
            if flow.is_break() {
                return Ok(flow);
            }
        }
        Ok(ControlFlow::Continue(()))
    })
}

/// One entry's text as one line. JSON text holds a line end only as white space between tokens (a
/// string cannot hold one unescaped), so one becomes a space.
fn push_line(chunk: &mut Vec<u8>, text: &str) {
    let start = chunk.len();
    chunk.extend_from_slice(text.as_bytes());
    if memchr::memchr(b'\n', &chunk[start..]).is_some() {
        for byte in &mut chunk[start..] {
            if *byte == b'\n' {
                *byte = b' ';
            }
        }
    }
    chunk.push(b'\n');
}

fn lost(archive: &Archive) -> ArchiveError {
    ArchiveError::Other {
        path: archive.path().to_owned(),
        detail: "a parsing thread stopped; the load is incomplete".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use crate::generate::{BENCH_END, Generator};

    #[test]
    fn an_entry_spread_over_lines_becomes_one_line() {
        let mut chunk = Vec::new();
        push_line(&mut chunk, "{\n  \"id\": \"a\\nb\"\n}");
        push_line(&mut chunk, "{}");
        assert_eq!(chunk, b"{   \"id\": \"a\\nb\" }\n{}\n");
    }

    /// An archive of 20,000 generated entries (about 7 MB of text: more than one chunk) with the
    /// stored text of the 5,001st broken.
    fn archive_with_one_broken(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("a.sqlite");
        let mut generator = Generator::new(5, 20_100, 24, BENCH_END);
        let entries: Vec<Entry> = std::iter::from_fn(|| Some(generator.next_line()))
            .filter_map(|line| Entry::parse(&line).ok())
            .take(20_000)
            .collect();
        let mut writer = Archive::open_write(&path, "test").unwrap();
        writer.import(&entries).unwrap();
        drop(writer);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let broken = conn
            .execute(
                "UPDATE entries SET raw = '{\"id\": 1' \
                 WHERE id = (SELECT id FROM entries ORDER BY id LIMIT 1 OFFSET 5000)",
                [],
            )
            .unwrap();
        assert_eq!(broken, 1);
        path
    }

    #[test]
    fn stores_hold_what_parsing_entry_by_entry_holds_in_id_order_with_the_broken_one_counted() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open_read(&archive_with_one_broken(dir.path())).unwrap();
        let mut one_by_one = Store::new();
        let mut rejected = 0;
        let mut parsed = Vec::new();
        archive
            .entries(&Select::default(), |entry| {
                match entry {
                    Ok(entry) => parsed.push(entry),
                    Err(_) => rejected += 1,
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        one_by_one.append(parsed);
        assert_eq!((one_by_one.len(), rejected), (19_999, 1));

        // Chunks gathered into blocks, and the blocks into a store, as the loads do (the blocks keep
        // no first-seen marks: the store that takes them marks them).
        let (mut gathered, mut block, mut sizes, mut malformed) =
            (Store::new(), Store::new(), Vec::new(), 0);
        let flow = read_stores(&archive, &Select::default(), 3, 100, |chunk, bad| {
            sizes.push(chunk.len());
            malformed += bad.len();
            if block.is_empty() {
                block = chunk;
            } else {
                block.absorb(chunk);
            }
            if block.len() >= 7_000 {
                gathered.absorb(std::mem::take(&mut block));
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        gathered.absorb(block);
        assert!(flow.is_continue());
        assert_eq!(malformed, 1);
        assert_eq!(sizes[0], 100, "the first chunk is small: {sizes:?}");
        assert!(
            sizes.len() >= 3,
            "the rest in chunks of a few MiB: {sizes:?}"
        );
        assert_eq!(gathered.len(), one_by_one.len());
        for i in 0..gathered.len() as u32 {
            assert_eq!(gathered.get(i).json_line(), one_by_one.get(i).json_line());
            assert_eq!(gathered.get(i).first_seen(), one_by_one.get(i).first_seen());
        }
    }

    #[test]
    fn the_reading_stops_when_told() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open_read(&archive_with_one_broken(dir.path())).unwrap();
        let mut chunks = 0;
        let flow = read_stores(&archive, &Select::default(), 2, 100, |_, _| {
            chunks += 1;
            ControlFlow::Break(())
        })
        .unwrap();
        assert!(flow.is_break());
        assert_eq!(chunks, 1);
    }
}
