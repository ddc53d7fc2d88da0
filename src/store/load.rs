//! Bulk loading of saved entries (JSON lines) into a store: lines are parsed on every core, then
//! appended in order.

use super::Store;
use crate::entry::{Malformed, Record};

/// Lines parsed per round: enough to keep every core busy, small enough to keep records in cache.
const ROUND: usize = 1 << 16;

/// Loads JSON lines (one entry per line). Lines that are not entries are reported with their number.
pub fn load_lines(bytes: &[u8], threads: usize) -> (Store, Vec<Malformed>) {
    let mut store = Store::new();
    let mut malformed = Vec::new();
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    store.reserve(lines.len());
    // Parsing runs on every core, one round ahead of the appending, which is sequential.
    let parsers = threads.max(1);
    let rounds: Vec<(usize, &[&[u8]])> = lines
        .chunks(ROUND)
        .enumerate()
        .map(|(r, chunk)| (r * ROUND, chunk))
        .collect();
    std::thread::scope(|scope| {
        let spawn = |(first, chunk)| spawn_round(scope, first, chunk, parsers);
        let mut pending = rounds.first().map(|&r| spawn(r));
        for next in 1..=rounds.len() {
            let Some(handles) = pending.take() else {
                break;
            };
            pending = rounds.get(next).map(|&r| spawn(r));
            let mut records = Vec::with_capacity(ROUND);
            for handle in handles {
                for result in handle.join().unwrap_or_default() {
                    match result {
                        Ok(record) => records.push(record),
                        Err((index, reason)) => malformed.push(Malformed {
                            line: index as u64 + 1,
                            reason,
                        }),
                    }
                }
            }
            store.append_records(records);
        }
    });
    store.shrink_to_fit();
    (store, malformed)
}

/// Parses JSON lines, on the calling thread, into a block for [`Store::absorb`]: first-seen marks are
/// left to the store that absorbs it (they depend on everything before). Also says how many line ends
/// `bytes` holds, so that the next block's lines can be numbered on.
pub fn load_block(bytes: &[u8]) -> (Store, Vec<Malformed>, u64) {
    let mut store = Store::new();
    store.unmarked = true;
    store.reserve(bytes.len() / 256);
    let mut malformed = Vec::new();
    // Entries come in id order, as a file is written: each goes straight into the columns. Those that
    // do not (a file put together by hand) are merged in at the end.
    let mut late = Vec::new();
    let mut line_number = 0u64;
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for end in ends {
        line_number += 1;
        let line = bytes[start..end].trim_ascii();
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        match Record::parse_line(line) {
            Ok(record) if store.ids.last().is_none_or(|&last| record.id > last) => {
                store.push(&record);
            }
            Ok(record) => late.push(record),
            Err(rejected) => malformed.push(Malformed {
                line: line_number,
                reason: rejected.reason,
            }),
        }
    }
    if !late.is_empty() {
        store.append_records(late);
    }
    // The last "line" counted is what follows the last line end.
    (store, malformed, line_number - 1)
}

type Parsed<'a> = Vec<Result<Record<'a>, (usize, String)>>;

fn spawn_round<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    first: usize,
    chunk: &'env [&'env [u8]],
    parsers: usize,
) -> Vec<std::thread::ScopedJoinHandle<'scope, Parsed<'env>>> {
    let per = chunk.len().div_ceil(parsers).max(1);
    chunk
        .chunks(per)
        .enumerate()
        .map(|(k, part)| scope.spawn(move || parse_part(part, first + k * per)))
        .collect()
}

fn parse_part<'a>(lines: &[&'a [u8]], first: usize) -> Parsed<'a> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim_ascii();
            if line.is_empty() {
                return None;
            }
            Some(Record::parse_line(line).map_err(|r| (first + i, r.reason)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use crate::generate::{BENCH_END, Generator};

    #[test]
    fn bulk_load_holds_what_appending_entries_holds() {
        let mut generator = Generator::new(9, 2000, 24, BENCH_END);
        let text: String = (0..2000).map(|_| generator.next_line() + "\n").collect();
        let (loaded, malformed) = load_lines(text.as_bytes(), 3);
        let mut appended = Store::new();
        appended.append(text.lines().filter_map(|l| Entry::parse(l).ok()).collect());
        assert_eq!(loaded.len(), appended.len());
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].line, 1000);
        for i in (0..loaded.len() as u32).step_by(37) {
            assert_eq!(loaded.get(i).json_line(), appended.get(i).json_line());
        }
    }

    #[test]
    fn a_block_out_of_id_order_holds_what_appending_holds_and_numbers_its_lines() {
        let mut generator = Generator::new(11, 600, 24, BENCH_END);
        let mut lines: Vec<String> = (0..600).map(|_| generator.next_line()).collect();
        // Out of order: the second half first, a line repeated, and a line of rubbish at line 301.
        lines.rotate_left(300);
        lines.insert(300, "not json".into());
        lines.push(lines[10].clone());
        let text = lines.join("\n") + "\n";
        let (block, malformed, line_ends) = load_block(text.as_bytes());
        let mut appended = Store::new();
        appended.append(text.lines().filter_map(|l| Entry::parse(l).ok()).collect());
        assert_eq!(line_ends, lines.len() as u64);
        assert_eq!(block.len(), appended.len());
        for i in 0..block.len() as u32 {
            assert_eq!(block.get(i).json_line(), appended.get(i).json_line());
        }
        let numbers: Vec<u64> = malformed.iter().map(|m| m.line).collect();
        assert_eq!(numbers, [301]);
    }
}
