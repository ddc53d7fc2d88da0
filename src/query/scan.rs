//! `auditui query`'s engine: streams saved entries (JSON lines, `{"log": entry}` envelopes, JSON arrays)
//! through a query and writes the matches, using every core.
//!
//! JSON lines are read in large blocks; each block is cut at line ends into one part per core. A line
//! first meets the [`Prefilter`] (raw text, no parsing); only lines it cannot rule out are parsed and
//! matched in full. A line the prefilter rules out is still checked to look like one object (`{`...`}`),
//! so truncated or garbled lines are reported as malformed; a line that looks like an object but is
//! subtly invalid JSON and cannot match is skipped without a report (parsing every line to find those
//! would cost most of the speed).

use std::io::{self, Read, Write};
use std::sync::mpsc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::prefilter::{Prefilter, Verdict};
use super::{Matcher, Query};
pub use crate::entry::Malformed;
use crate::entry::{Record, compact_json};
use crate::export;

/// What to write for each match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The entry's text as received, one per line.
    Jsonl,
    /// CSV rows (the caller writes the header).
    Csv,
    /// One of the schemas of [`crate::formats`] (OCSF, ECS, Timesketch).
    Mapped(crate::formats::Format),
    /// Nothing: only count.
    Count,
}

/// The outcome of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub matched: u64,
    pub malformed: Vec<Malformed>,
}

/// How a scan runs. The defaults are right outside tests.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rule out lines on their raw text before parsing.
    pub prefilter: bool,
    pub threads: usize,
    /// Bytes read at a time.
    pub block: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prefilter: true,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            block: 4 << 20,
        }
    }
}

/// The per-core state: a matcher (with its caches) and the prefilter.
struct Worker<'q> {
    matcher: Matcher<'q>,
    /// Scratch space for the prefilter's lower-cased copy of a region.
    lower: Vec<u8>,
    prefilter: Option<&'q Prefilter>,
    output: Output,
}

#[derive(Default)]
struct Part {
    matched: u64,
    lines: u64,
    /// (line index within the part, reason)
    malformed: Vec<(u64, String)>,
    out: Vec<u8>,
}

/// Scans one input, writing matches to `out`.
pub fn scan(
    input: impl Read + Send,
    query: &Query,
    output: Output,
    out: &mut impl Write,
) -> io::Result<Report> {
    scan_with(input, query, output, out, Options::default())
}

/// [`scan`] with explicit options.
pub fn scan_with(
    mut input: impl Read + Send,
    query: &Query,
    output: Output,
    out: &mut impl Write,
    options: Options,
) -> io::Result<Report> {
    let block = options.block.max(1);
    let mut first = Vec::with_capacity(block);
    let at_end = fill(&mut input, &mut first, block)?;
    if is_whole_document(&first) {
        input.read_to_end(&mut first)?;
        return scan_document(&first, query, output, out);
    }
    let prefilter = if options.prefilter {
        Prefilter::new(query)
    } else {
        None
    };
    let mut workers: Vec<Worker<'_>> = (0..options.threads.max(1))
        .map(|_| Worker {
            matcher: Matcher::new(query),
            lower: Vec::new(),
            prefilter: prefilter.as_ref(),
            output,
        })
        .collect();
    let mut report = Report::default();
    let mut lines_before = 0u64;
    std::thread::scope(|scope| {
        // Reading the next block overlaps with scanning this one.
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
        let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(2);
        scope.spawn(move || read_blocks(input, first, at_end, block, &full_tx, &empty_rx));
        for filled in full_rx {
            let buf = filled?;
            for part in scan_parallel(&buf, &mut workers) {
                report.matched += part.matched;
                report
                    .malformed
                    .extend(part.malformed.into_iter().map(|(line, reason)| Malformed {
                        line: lines_before + line + 1,
                        reason,
                    }));
                lines_before += part.lines;
                out.write_all(&part.out)?;
            }
            // The reader may have finished: a recycled buffer is then simply dropped.
            let _ = empty_tx.send(buf);
        }
        Ok(report)
    })
}

/// Sends blocks of whole lines (the tail of each block starts the next one) until the input ends.
fn read_blocks(
    mut input: impl Read,
    mut buf: Vec<u8>,
    mut at_end: bool,
    block: usize,
    full: &mpsc::SyncSender<io::Result<Vec<u8>>>,
    empty: &mpsc::Receiver<Vec<u8>>,
) {
    let mut carry = Vec::new();
    loop {
        if !at_end {
            match memchr::memrchr(b'\n', &buf) {
                Some(nl) => {
                    carry.extend_from_slice(&buf[nl + 1..]);
                    buf.truncate(nl + 1);
                }
                None => {
                    // One line longer than a block: read on until it ends.
                    let target = buf.len().max(1) * 2;
                    match fill(&mut input, &mut buf, target) {
                        Ok(ended) => at_end = ended,
                        Err(e) => {
                            let _ = full.send(Err(e));
                            return;
                        }
                    }
                    continue;
                }
            }
        }
        if full.send(Ok(buf)).is_err() || at_end {
            return;
        }
        buf = empty.recv().unwrap_or_default();
        buf.clear();
        buf.append(&mut carry);
        match fill(&mut input, &mut buf, block) {
            Ok(ended) => at_end = ended,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// Reads until `buf` holds `target` bytes or the input ends; says whether it ended. (Reads into spare
/// capacity: no zero-filling of large blocks.)
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let start = buf.len();
    if start >= target {
        return Ok(false);
    }
    buf.reserve(target - start);
    input
        .by_ref()
        .take((target - start) as u64)
        .read_to_end(buf)?;
    Ok(buf.len() < target)
}

/// A JSON array, or one object spread over lines (`{` alone on the first line): not line-oriented.
fn is_whole_document(head: &[u8]) -> bool {
    let text = trim(head);
    if text.first() == Some(&b'[') {
        return true;
    }
    let first_line = memchr::memchr(b'\n', text).map_or(text, |nl| &text[..nl]);
    trim(first_line) == b"{"
}

fn scan_parallel(block: &[u8], workers: &mut [Worker<'_>]) -> Vec<Part> {
    let n = workers.len();
    let mut cuts = vec![0usize];
    for k in 1..n {
        let target = (block.len() * k / n).max(*cuts.last().unwrap_or(&0));
        let cut = memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |nl| target + nl + 1);
        cuts.push(cut.max(*cuts.last().unwrap_or(&0)));
    }
    cuts.push(block.len());
    if n == 1 {
        return vec![workers[0].scan_lines(block)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = workers
            .iter_mut()
            .zip(cuts.windows(2))
            .map(|(worker, w)| {
                let part = &block[w[0]..w[1]];
                scope.spawn(move || worker.scan_lines(part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The bounds of `bytes[start..end]` without surrounding whitespace.
fn trimmed(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while start < end && is_space(bytes[start]) {
        start += 1;
    }
    while end > start && is_space(bytes[end - 1]) {
        end -= 1;
    }
    (start, end)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    log: &'a RawValue,
}

impl Worker<'_> {
    fn scan_lines(&mut self, part: &[u8]) -> Part {
        let mut result = Part::default();
        let mut lower = std::mem::take(&mut self.lower);
        let mut region = self.prefilter.map(|p| p.region(part, &mut lower));
        let mut start = 0;
        while start < part.len() {
            let end = memchr::memchr(b'\n', &part[start..]).map_or(part.len(), |nl| start + nl);
            let (from, to) = trimmed(part, start, end);
            let line = &part[from..to];
            let index = result.lines;
            result.lines += 1;
            start = end + 1;
            if line.is_empty() {
                continue;
            }
            if let Some(region) = region.as_mut() {
                let looks_whole = line[0] == b'{' && line[line.len() - 1] == b'}';
                if looks_whole && region.check(from, to) == Verdict::Excluded {
                    continue;
                }
            }
            if let Err(reason) = self.line(line, &mut result) {
                result.malformed.push((index, reason));
            }
        }
        drop(region);
        self.lower = lower;
        result
    }

    /// Parses and matches one line in full.
    fn line(&mut self, line: &[u8], part: &mut Part) -> Result<(), String> {
        let raw: &RawValue =
            serde_json::from_slice(line).map_err(|e| format!("not valid JSON: {e}"))?;
        self.value(raw, part)
    }

    /// An entry, an envelope or an array of either.
    fn value(&mut self, raw: &RawValue, part: &mut Part) -> Result<(), String> {
        let text = raw.get();
        if text.starts_with('[') {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
            let mut first_error = None;
            for item in items {
                if let Err(reason) = self.value(item, part) {
                    first_error.get_or_insert(reason);
                }
            }
            return first_error.map_or(Ok(()), Err);
        }
        match Record::parse(raw) {
            Ok(record) => {
                self.emit(&record, text, part);
                Ok(())
            }
            Err(rejected) => match serde_json::from_str::<Envelope>(text) {
                Ok(envelope) if envelope.log.get() == "null" => Ok(()),
                Ok(envelope) => self.value(envelope.log, part),
                Err(_) => Err(rejected.reason),
            },
        }
    }

    fn emit(&mut self, record: &Record<'_>, text: &str, part: &mut Part) {
        let data = record.data.map_or("null", |d| d.get());
        let row = crate::entry::Row {
            id: uuid::Uuid::from_u128(record.id),
            ts: record.ts,
            ts_readable: record.ts_readable,
            kind: &record.kind,
            user: &record.user,
            ip: &record.ip,
            user_agent: &record.ua,
            data,
        };
        if !self.matcher.matches(&row) {
            return;
        }
        part.matched += 1;
        match self.output {
            Output::Count => {}
            Output::Jsonl => {
                if text.contains(['\n', '\r']) {
                    part.out.extend_from_slice(compact_json(text).as_bytes());
                } else {
                    part.out.extend_from_slice(text.as_bytes());
                }
                part.out.push(b'\n');
            }
            Output::Csv => {
                // Writing into a Vec cannot fail.
                let _ = export::write_csv_row(&mut part.out, &row);
            }
            Output::Mapped(format) => {
                let _ = crate::formats::write_entry(&mut part.out, format, &row, text);
            }
        }
    }
}

/// A whole JSON document (array, or objects spread over lines): parsed value by value.
fn scan_document(
    buf: &[u8],
    query: &Query,
    output: Output,
    out: &mut impl Write,
) -> io::Result<Report> {
    let mut worker = Worker {
        matcher: Matcher::new(query),
        lower: Vec::new(),
        prefilter: None,
        output,
    };
    let mut part = Part::default();
    // Values come in order: count newlines incrementally.
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut line_of = |offset: usize| {
        if offset > counted_to {
            line += memchr::memchr_iter(b'\n', &buf[counted_to..offset]).count() as u64;
            counted_to = offset;
        }
        line
    };
    let mut values = serde_json::Deserializer::from_slice(buf).into_iter::<&RawValue>();
    loop {
        let offset = values.byte_offset();
        match values.next() {
            None => break,
            Some(Ok(raw)) => {
                let elements: Vec<&RawValue> = if raw.get().starts_with('[') {
                    match serde_json::from_str(raw.get()) {
                        Ok(items) => items,
                        Err(e) => {
                            part.malformed
                                .push((line_of(offset), format!("not valid JSON: {e}")));
                            continue;
                        }
                    }
                } else {
                    vec![raw]
                };
                for element in elements {
                    let at = element.get().as_ptr() as usize - buf.as_ptr() as usize;
                    if let Err(reason) = worker.value(element, &mut part) {
                        part.malformed.push((line_of(at), reason));
                    }
                }
            }
            Some(Err(e)) => {
                // The rest of the document cannot be resynchronised.
                part.malformed
                    .push((e.line() as u64, format!("not valid JSON: {e}")));
                break;
            }
        }
    }
    out.write_all(&part.out)?;
    Ok(Report {
        matched: part.matched,
        malformed: part
            .malformed
            .into_iter()
            .map(|(line, reason)| Malformed { line, reason })
            .collect(),
    })
}
