//! Bulk loading of saved entries (JSON lines) into a store: lines are parsed on every core, then
//! appended in order.

use serde_json::value::RawValue;

use super::{Record, Store};
use crate::query::scan::Malformed;

/// Lines parsed per round: enough to keep every core busy, small enough to keep records in cache.
const ROUND: usize = 1 << 16;

/// Loads JSON lines (one entry per line). Lines that are not entries are reported with their number.
pub fn load_lines(bytes: &[u8], threads: usize) -> (Store, Vec<Malformed>) {
    let mut store = Store::new();
    let mut malformed = Vec::new();
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let threads = threads.max(1);
    for (round, chunk) in lines.chunks(ROUND).enumerate() {
        let per = chunk.len().div_ceil(threads);
        let parsed: Vec<Vec<Result<Record<'_>, (usize, String)>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .chunks(per.max(1))
                .enumerate()
                .map(|(k, part)| {
                    let first = round * ROUND + k * per;
                    scope.spawn(move || parse_part(part, first))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut records = Vec::with_capacity(chunk.len());
        for result in parsed.into_iter().flatten() {
            match result {
                Ok(record) => records.push(record),
                Err((index, reason)) => malformed.push(Malformed {
                    line: index as u64 + 1,
                    reason,
                }),
            }
        }
        store.append_records(records);
    }
    store.shrink_to_fit();
    (store, malformed)
}

fn parse_part<'a>(lines: &[&'a [u8]], first: usize) -> Vec<Result<Record<'a>, (usize, String)>> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim_ascii();
            if line.is_empty() {
                return None;
            }
            let parsed = serde_json::from_slice::<&RawValue>(line)
                .map_err(|e| format!("not valid JSON: {e}"))
                .and_then(|raw| Record::parse(raw).map_err(|r| r.reason));
            Some(parsed.map_err(|reason| (first + i, reason)))
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
}
