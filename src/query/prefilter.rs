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
    window: (Option<UnixNanos>, Option<UnixNanos>),
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
            }
        }
        let window = query.time_window();
        if groups.is_empty() && window == (None, None) {
            return None;
        }
        Some(Prefilter {
            groups,
            window,
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
        Prefilter::new(&query).map(|p| p.check(line.as_bytes()))
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
