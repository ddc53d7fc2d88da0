//! A cheap, sound test on the raw text of a JSON line that rules out most lines a query cannot match,
//! before any JSON parsing.
//!
//! It rests on one fact: in a line without a backslash, every JSON string appears verbatim, so a field
//! whose value contains a needle puts the needle in the line, and every `"` delimits a string, so the
//! text `"timestamp"` followed by `:` is a key. Lines with a backslash (escapes can hide any character)
//! are never ruled out here. Passing the prefilter proves nothing: candidates are parsed and matched in
//! full.

use aho_corasick::{AhoCorasick, Input};
use memchr::memmem;

use super::{IpPattern, Query, Test, TypePattern};
use crate::timestamp::{UnixNanos, parse_timestamp};

/// For each constrained key, the literals one of which the line must contain (ASCII case ignored).
pub struct Prefilter {
    groups: Vec<AhoCorasick>,
    /// The same literals, lower-cased, for scans over a lower-cased copy of a whole region.
    literals: Vec<Vec<memmem::Finder<'static>>>,
    window: (Option<UnixNanos>, Option<UnixNanos>),
    /// The window's bounds in the API's timestamp spelling, compared as text when a timestamp has it.
    window_text: (Option<[u8; 26]>, Option<[u8; 26]>),
    timestamp_key: memmem::Finder<'static>,
}

/// What the prefilter says about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The line cannot hold a matching entry (if it is a valid entry at all).
    Excluded,
    /// The line must be parsed and matched.
    Candidate,
}

/// The literal every value matching this test contains, when there is one the line must show.
fn literal(test: &Test) -> Option<String> {
    let plain = |s: &str| !s.is_empty();
    match test {
        Test::User(n) | Test::Ua(n) => plain(n).then(|| n.clone()),
        Test::Type(TypePattern::Exact(name)) => plain(name).then(|| name.clone()),
        Test::Type(TypePattern::Glob(glob)) => glob
            .split(['*', '?'])
            .max_by_key(|part| part.len())
            .filter(|part| !part.is_empty())
            .map(str::to_owned),
        Test::Ip(IpPattern::Addr(addr)) if addr.is_ipv4() => Some(addr.to_string()),
        // A value that is not a string may sit in `data` with spacing or structure the needle would have
        // to cross: only needles that fit inside one JSON token are safe.
        Test::Data { needle, .. }
            if !needle.is_empty() && !needle.bytes().any(|b| b"{}[],:\" \t\r\n".contains(&b)) =>
        {
            Some(needle.clone())
        }
        _ => None,
    }
}

impl Prefilter {
    /// The prefilter of a query, or `None` when it could rule nothing out.
    pub fn new(query: &Query) -> Option<Prefilter> {
        let mut groups = Vec::new();
        let mut all_literals = Vec::new();
        for group in query.groups() {
            if group.positive.is_empty() {
                continue;
            }
            let literals: Option<Vec<String>> = group.positive.iter().map(|t| literal(t)).collect();
            if let Some(literals) = literals {
                let finder = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&literals)
                    .ok()?;
                groups.push(finder);
                all_literals.push(
                    literals
                        .iter()
                        .map(|l| memmem::Finder::new(l.as_bytes()).into_owned())
                        .collect(),
                );
            }
        }
        let window = query.time_window();
        if groups.is_empty() && window == (None, None) {
            return None;
        }
        Some(Prefilter {
            groups,
            literals: all_literals,
            window,
            window_text: (window.0.and_then(usual_text), window.1.and_then(usual_text)),
            timestamp_key: memmem::Finder::new(b"\"timestamp\"").into_owned(),
        })
    }

    /// Judges one line (trimmed; an object or an envelope).
    pub fn check(&self, line: &[u8]) -> Verdict {
        if memchr::memchr(b'\\', line).is_some() {
            return Verdict::Candidate;
        }
        for finder in &self.groups {
            if finder.find(Input::new(line)).is_none() {
                return Verdict::Excluded;
            }
        }
        if self.window != (None, None) {
            return self.check_time(line);
        }
        Verdict::Candidate
    }

    fn check_time(&self, line: &[u8]) -> Verdict {
        let mut value = None;
        for at in self.timestamp_key.find_iter(line) {
            let rest = &line[at + 11..];
            let rest = trim_start(rest);
            if rest.first() != Some(&b':') {
                continue;
            }
            if value.is_some() {
                // Two `timestamp` keys (one nested in `data`?): only a full parse can tell.
                return Verdict::Candidate;
            }
            value = Some(trim_start(&rest[1..]));
        }
        let Some(value) = value else {
            return Verdict::Candidate;
        };
        let Some(text) = value
            .strip_prefix(b"\"")
            .and_then(|v| memchr::memchr(b'"', v).map(|end| &v[..end]))
        else {
            return Verdict::Candidate;
        };
        if let Some(verdict) = self.compare_usual(text) {
            return verdict;
        }
        let Some(ts) = std::str::from_utf8(text)
            .ok()
            .and_then(|t| parse_timestamp(t).ok())
        else {
            return Verdict::Candidate;
        };
        let (low, high) = self.window;
        if low.is_some_and(|l| ts < l) || high.is_some_and(|h| ts >= h) {
            Verdict::Excluded
        } else {
            Verdict::Candidate
        }
    }
}

impl Prefilter {
    /// The window test on text in the API's spelling (fixed width, zero-padded, UTC): text order is time
    /// order. `None` when the text has another spelling.
    fn compare_usual(&self, text: &[u8]) -> Option<Verdict> {
        if !is_usual_shape(text) {
            return None;
        }
        let (low, high) = self.window_text;
        let (low_set, high_set) = (self.window.0.is_some(), self.window.1.is_some());
        if low_set != low.is_some() || high_set != high.is_some() {
            return None;
        }
        let before = low.is_some_and(|l| text < &l[..]);
        let after = high.is_some_and(|h| text >= &h[..]);
        Some(if before || after {
            Verdict::Excluded
        } else {
            Verdict::Candidate
        })
    }

    /// Judges the lines of a whole region at once: the literals are searched in one lower-cased copy of
    /// the region instead of line by line.
    pub fn region<'r>(&'r self, region: &'r [u8], lower: &'r mut Vec<u8>) -> RegionScan<'r> {
        lower.clear();
        if !self.literals.is_empty() {
            // A plain indexed loop: the compiler vectorises it.
            lower.resize(region.len(), 0);
            for (to, from) in lower.iter_mut().zip(region) {
                *to = from.to_ascii_lowercase();
            }
        }
        RegionScan {
            prefilter: self,
            region,
            lower,
            next: self
                .literals
                .iter()
                .map(|finders| vec![0usize; finders.len()])
                .collect(),
            next_backslash: 0,
        }
    }
}

/// A prefilter walking the lines of one region in order.
pub struct RegionScan<'r> {
    prefilter: &'r Prefilter,
    region: &'r [u8],
    lower: &'r [u8],
    /// Per literal: where its next occurrence at or after the current line starts (`usize::MAX`: none).
    next: Vec<Vec<usize>>,
    next_backslash: usize,
}

impl RegionScan<'_> {
    /// Judges the line at `start..end` of the region (lines must come in order). The line is the trimmed
    /// text the caller will parse.
    pub fn check(&mut self, start: usize, end: usize) -> Verdict {
        if self.next_backslash < start {
            self.next_backslash =
                memchr::memchr(b'\\', &self.region[start..]).map_or(usize::MAX, |at| start + at);
        }
        if self.next_backslash < end {
            return Verdict::Candidate;
        }
        for (finders, next) in self.prefilter.literals.iter().zip(&mut self.next) {
            let mut found = false;
            for (finder, at) in finders.iter().zip(next.iter_mut()) {
                if *at < start {
                    *at = finder
                        .find(&self.lower[start..])
                        .map_or(usize::MAX, |hit| start + hit);
                }
                if at.saturating_add(finder.needle().len()) <= end {
                    found = true;
                }
            }
            if !found {
                return Verdict::Excluded;
            }
        }
        if self.prefilter.window != (None, None) {
            return self.prefilter.check_time(&self.region[start..end]);
        }
        Verdict::Candidate
    }
}

fn is_usual_shape(text: &[u8]) -> bool {
    const DIGITS: [usize; 19] = [
        0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 18, 20, 21, 22, 23, 24, 25,
    ];
    text.len() == 26
        && text[4] == b'-'
        && text[7] == b'-'
        && text[10] == b'T'
        && text[13] == b':'
        && text[16] == b':'
        && text[19] == b'.'
        // A leap second (`:60`) sorts before the next minute it stands for: parse those.
        && (b'0'..=b'5').contains(&text[17])
        && DIGITS.iter().all(|&i| text[i].is_ascii_digit())
}

/// `t` in the API's spelling, rounded up to the microsecond: for text `x` with microsecond precision,
/// `x >= usual_text(t)` exactly when its time is `>= t`.
fn usual_text(t: UnixNanos) -> Option<[u8; 26]> {
    let micros = t.div_euclid(1000) + i64::from(t.rem_euclid(1000) != 0);
    let text = chrono::DateTime::from_timestamp_micros(micros)?
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    text.as_bytes().try_into().ok()
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    &bytes[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixNanos = 1_795_521_600_000_000_000;
    const LINE: &str = r#"{"data": {"route": "/api/v1/x", "n": 15}, "id": "01a2-x", "ip": "10.1.2.3", "timestamp": "2026-11-24T10:30:00.000001", "type": "auth:login", "user": "Alice@Example.com", "user_agent": "curl/8"}"#;

    fn verdict(query: &str, line: &str) -> Option<Verdict> {
        let query = Query::parse(query, NOW).unwrap();
        let prefilter = Prefilter::new(&query)?;
        let alone = prefilter.check(line.as_bytes());
        // The same line inside a region, between two others.
        let region = format!("{LINE}\n{line}\n{LINE}");
        let mut lower = Vec::new();
        let mut scan = prefilter.region(region.as_bytes(), &mut lower);
        scan.check(0, LINE.len());
        let start = LINE.len() + 1;
        assert_eq!(
            scan.check(start, start + line.len()),
            alone,
            "{query:?} in a region"
        );
        Some(alone)
    }

    #[test]
    fn lines_are_excluded_only_when_they_cannot_match() {
        use Verdict::{Candidate, Excluded};
        let nested = LINE.replace(r#""n": 15"#, r#""timestamp": "2020-01-01""#);
        let escaped = LINE.replace("Alice@", r"Alice\u0040");
        let cases: Vec<(&str, &str, Option<Verdict>)> = vec![
            ("", LINE, None),
            ("alice", LINE, None),
            ("-user:alice", LINE, None),
            ("user:alice", LINE, Some(Candidate)),
            ("user:ALICE@EXAMPLE", LINE, Some(Candidate)),
            ("user:bob", LINE, Some(Excluded)),
            ("user:bob user:alice", LINE, Some(Candidate)),
            ("user:alice type:auth:*", LINE, Some(Candidate)),
            ("user:alice type:api:*", LINE, Some(Excluded)),
            ("type:*", LINE, None),
            ("ip:10.1.2.3", LINE, Some(Candidate)),
            ("ip:10.1.2.4", LINE, Some(Excluded)),
            ("ip:10.0.0.0/8", LINE, None),
            ("data.route:/api/v2", LINE, Some(Excluded)),
            ("data.n:15", LINE, Some(Candidate)),
            (r#"data.route:"/api/v1/x""#, LINE, Some(Candidate)),
            ("since:2026-11-24T10:00", LINE, Some(Candidate)),
            ("since:2026-11-24T11:00", LINE, Some(Excluded)),
            ("until:2026-11-24T10:30", LINE, Some(Excluded)),
            ("since:2026-11-24T11:00", &nested, Some(Candidate)),
            ("user:alice@", &escaped, Some(Candidate)),
            ("user:bob", &escaped, Some(Candidate)),
            (
                "since:2026-11-24T11:00",
                r#"{"log": null}"#,
                Some(Candidate),
            ),
        ];
        for (query, line, expected) in cases {
            assert_eq!(verdict(query, line), expected, "{query:?} on {line}");
        }
    }
}
