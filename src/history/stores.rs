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
            (in_chunk, want) = (0, usize::MAX);
            loop {
                match pass_on(parsers.ready()) {
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

    #[test]
    fn an_entry_spread_over_lines_becomes_one_line() {
        let mut chunk = Vec::new();
        push_line(&mut chunk, "{\n  \"id\": \"a\\nb\"\n}");
        push_line(&mut chunk, "{}");
        assert_eq!(chunk, b"{   \"id\": \"a\\nb\" }\n{}\n");
    }
}
