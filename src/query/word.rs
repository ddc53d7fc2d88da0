//! Bare words: what a person means by typing `amara` or `Kestrel` in the filter bar.
//!
//! A field matches when it contains the word (ASCII case ignored): that always counts, and ranks first.
//! Beyond that, a typo is tolerated only inside one of the field's words: the field is cut into runs of
//! letters and digits (so `grace.adeyemi@hartwell-lane.example` is `grace`, `adeyemi`, `hartwell`,
//! `lane`, `example`), and the word may be a few edits away from one of them or from its beginning. A
//! word of three characters or fewer must be typed exactly; four to seven tolerate one edit (a letter
//! wrong, missing, extra, or two swapped); longer words two. A word holding punctuation itself
//! (`185.220`, `a@b`) is matched as typed only. Letters picked across a whole field, as a subsequence
//! matcher would, never match.

use std::ops::Range;

use crate::export::Row;

/// Why a field matched, best first: a field holding the word ranks before a near miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Why {
    /// The field contains the word (ASCII case ignored).
    Contains,
    /// One of the field's words is this many edits away from the word (or begins so).
    Typo { edits: u8 },
}

/// Where a word matched inside a field's text, and why: what a view highlights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordHit {
    pub why: Why,
    /// Byte range in the field's text.
    pub span: Range<usize>,
}

/// The fields a bare word is tested against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    User,
    Type,
    Ip,
    UserAgent,
    /// The compact JSON of `data` (substring only: it holds free text and ids, not names).
    Data,
}

/// A bare word, prepared once when the query is parsed or compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BareWord {
    lower: String,
    chars: Vec<char>,
    max_edits: usize,
}

impl BareWord {
    pub fn new(word: &str) -> BareWord {
        let lower = word.to_ascii_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        let plain = chars.iter().all(|c| c.is_alphanumeric());
        let max_edits = match chars.len() {
            _ if !plain => 0,
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        BareWord {
            lower,
            chars,
            max_edits,
        }
    }

    /// The word, ASCII-lower-cased.
    pub fn lower(&self) -> &str {
        &self.lower
    }

    /// The typos tolerated inside one of a field's words.
    pub fn max_edits(&self) -> usize {
        self.max_edits
    }

    /// Whether a user, type, IP or user agent matches.
    pub fn matches(&self, value: &str) -> bool {
        self.find(value).is_some()
    }

    /// The best match in a user, type, IP or user agent: the first place holding the word, else the
    /// closest of its words.
    pub fn find(&self, value: &str) -> Option<WordHit> {
        if let Some(at) = find_ignore_ascii_case(value, &self.lower) {
            return Some(WordHit {
                why: Why::Contains,
                span: at..at + self.lower.len(),
            });
        }
        if self.max_edits == 0 {
            return None;
        }
        let mut best: Option<WordHit> = None;
        for (start, token) in tokens(value) {
            let Some((edits, len)) = self.near(token) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| Why::Typo { edits } < b.why) {
                best = Some(WordHit {
                    why: Why::Typo { edits },
                    span: start..start + len,
                });
            }
        }
        best
    }

    /// The fewest edits from the word to `token` or to one of its beginnings, with that beginning's
    /// length in bytes, when within the tolerance.
    fn near(&self, token: &str) -> Option<(u8, usize)> {
        let token_chars: Vec<(usize, char)> = token
            .char_indices()
            .map(|(i, c)| (i, c.to_ascii_lowercase()))
            .collect();
        let n = self.chars.len();
        let k = self.max_edits;
        let shortest = n.saturating_sub(k).max(1);
        let longest = (n + k).min(token_chars.len());
        let letters: Vec<char> = token_chars.iter().map(|&(_, c)| c).collect();
        let mut best: Option<(u8, usize)> = None;
        for m in shortest..=longest {
            let d = edit_distance(&self.chars, &letters[..m]);
            // On a tie the longer beginning wins: the whole word rather than part of it.
            if d <= k && best.is_none_or(|(b, _)| (d as u8) <= b) {
                let bytes = token_chars.get(m).map_or(token.len(), |&(i, _)| i);
                best = Some((d as u8, bytes));
            }
        }
        best
    }
}

/// Byte offset of the first occurrence of `needle_lower` in `hay`, ASCII case ignored.
pub fn find_ignore_ascii_case(hay: &str, needle_lower: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&at| {
        h[at..at + n.len()]
            .iter()
            .zip(n)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// The runs of letters and digits of a field, with their byte offsets.
fn tokens(value: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = value.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.peek().is_some_and(|&(_, c)| !c.is_alphanumeric()) {
            rest.next();
        }
        let &(start, _) = rest.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = rest.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        Some((start, &value[start..end]))
    })
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: optimal string alignment.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; 3 * width];
    let (mut before, mut prev, mut cur) = (0, width, 2 * width);
    for (j, slot) in rows[prev..prev + width].iter_mut().enumerate() {
        *slot = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[before + j - 2] + 1);
            }
            rows[cur + j] = d;
        }
        (before, prev, cur) = (prev, cur, before);
    }
    rows[prev + b.len()]
}

/// Everything one word matches in an entry, best first: what the detail view and the log pane highlight.
pub fn explain(word: &BareWord, row: &Row<'_>) -> Vec<(Field, WordHit)> {
    let mut hits: Vec<(Field, WordHit)> = [
        (Field::User, row.user),
        (Field::Type, row.kind),
        (Field::Ip, row.ip),
        (Field::UserAgent, row.user_agent),
    ]
    .into_iter()
    .filter_map(|(field, value)| Some((field, word.find(value)?)))
    .collect();
    if let Some(at) = find_ignore_ascii_case(row.data, word.lower()) {
        hits.push((
            Field::Data,
            WordHit {
                why: Why::Contains,
                span: at..at + word.lower().len(),
            },
        ));
    }
    hits.sort_by_key(|(_, hit)| hit.why);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_word_matches_and_why() {
        let typo = |edits| Some(Why::Typo { edits });
        let cases = [
            (
                "amara",
                "amara.okafor@hartwell-lane.example",
                Some(Why::Contains),
            ),
            ("AMARA", "Amara.Okafor@x", Some(Why::Contains)),
            ("amara", "grace.adeyemi@hartwell-lane.example", None),
            ("amrara", "amara.okafor@x", typo(1)),
            ("kestrl", "Kestrel Holdings merger", typo(1)),
            ("kesterl", "Kestrel", typo(1)),
            ("kestrelx", "kestrel", typo(1)),
            (
                "hartwel",
                "grace@hartwell-lane.example",
                Some(Why::Contains),
            ),
            ("hartwrll", "grace@hartwell-lane.example", typo(1)),
            ("hartwxyz", "grace@hartwell-lane.example", None),
            // Short words are typed exactly.
            ("amr", "amara", None),
            ("lgn", "auth:login", None),
            // Words with punctuation are matched as typed.
            ("185.221", "185.220.101.47", None),
            ("185.220", "185.220.101.47", Some(Why::Contains)),
            ("python", "python-requests/2.31", Some(Why::Contains)),
            ("pyhton", "python-requests/2.31", typo(1)),
            ("requets", "python-requests/2.31", typo(1)),
            ("", "anything", Some(Why::Contains)),
        ];
        for (word, value, expected) in cases {
            let hit = BareWord::new(word).find(value);
            assert_eq!(hit.map(|h| h.why), expected, "{word} / {value}");
        }
    }

    #[test]
    fn the_hit_spans_what_matched() {
        let cases = [
            ("amara", "x.Amara@y", "Amara"),
            ("kestrl", "the Kestrel deal", "Kestrel"),
            ("hartwrll", "a@hartwell-lane", "hartwell"),
            // A typo in a word's beginning highlights that beginning.
            ("merjer", "mergers", "merger"),
        ];
        for (word, value, expected) in cases {
            let hit = BareWord::new(word).find(value).expect(word);
            assert_eq!(&value[hit.span], expected, "{word} / {value}");
        }
    }

    #[test]
    fn fields_are_cut_at_every_non_alphanumeric_character() {
        let cut: Vec<&str> = tokens("grace.adeyemi@hartwell-lane.example")
            .map(|(_, t)| t)
            .collect();
        assert_eq!(cut, ["grace", "adeyemi", "hartwell", "lane", "example"]);
        let cut: Vec<(usize, &str)> = tokens("..é1 b").collect();
        assert_eq!(cut, [(2, "é1"), (6, "b")]);
        assert_eq!(tokens("").count(), 0);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        let cases = [
            ("kestrel", "kestrel", 0),
            ("kesterl", "kestrel", 1),
            ("kestrl", "kestrel", 1),
            ("kestrelx", "kestrel", 1),
            ("kastrel", "kestrel", 1),
            ("", "abc", 3),
            ("abc", "", 3),
            ("ca", "abc", 3),
        ];
        for (a, b, d) in cases {
            assert_eq!(edit_distance(&chars(a), &chars(b)), d, "{a} / {b}");
        }
    }

    #[test]
    fn explain_lists_every_field_best_first() {
        let row = Row {
            id: uuid::Uuid::nil(),
            ts: 0,
            ts_readable: true,
            kind: "vault:download",
            user: "amar.singh@x",
            ip: "10.0.0.1",
            user_agent: "curl/8",
            data: r#"{"file":"Amara contract.pdf"}"#,
        };
        let hits = explain(&BareWord::new("amara"), &row);
        let fields: Vec<(Field, Why)> = hits.iter().map(|(f, h)| (*f, h.why)).collect();
        assert_eq!(
            fields,
            [
                (Field::Data, Why::Contains),
                (Field::User, Why::Typo { edits: 1 })
            ]
        );
        assert_eq!(&row.data[hits[0].1.span.clone()], "Amara");
    }
}
