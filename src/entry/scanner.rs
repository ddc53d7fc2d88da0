//! The common shape of an entry read by hand, in one pass over its bytes: an object whose keys and text
//! fields are plain strings (no escapes) or `null`, the other values any JSON, checked. This is what the
//! API sends and what a saved file holds; serde's visitor spent most of a bulk load's time on it.
//!
//! The reader only ever accepts: whatever it is not sure of (an escape anywhere, a text field that is not
//! a string or `null`, a duplicate field, deep nesting, anything that is not JSON) gives `None`, and the
//! entry is read again by serde, which takes it or says why not. So the two accept the same entries with
//! the same fields, and every rejection keeps serde's reason (tests in `tests.rs` hold both to that).

use std::borrow::Cow;

use super::Shape;
use super::record::field_bit;
use super::record::{Json, Wire};

/// Nesting beyond this is left to serde (whose own limit is 128 levels).
const MAX_DEPTH: u32 = 100;

/// An entry object's fields, when it has the common shape (see the module's text).
pub(super) fn read(text: &str) -> Option<Wire<'_>> {
    let mut cursor = Cursor {
        text,
        b: text.as_bytes(),
        i: 0,
        spaced: false,
    };
    cursor.ws();
    cursor.eat(b'{')?;
    cursor.ws();
    let mut wire = Wire::default();
    if cursor.peek() == Some(b'}') {
        cursor.i += 1;
        return cursor.end().then_some(wire);
    }
    loop {
        let key = cursor.string()?;
        cursor.ws();
        cursor.eat(b':')?;
        cursor.ws();
        let bit = match (key, field_bit(key)) {
            (_, Some(bit)) => bit,
            ("timestamp", None) => {
                if wire.timestamp.is_some() {
                    return None;
                }
                wire.timestamp = Some(cursor.json()?);
                0
            }
            _ => {
                let value = cursor.json()?;
                wire.extras.push((Cow::Borrowed(key), value));
                0
            }
        };
        if bit != 0 {
            if wire.seen & bit != 0 {
                return None;
            }
            wire.seen |= bit;
            if bit == Shape::DATA {
                wire.data = Some(cursor.json()?);
            } else {
                let value = match cursor.peek()? {
                    b'"' => Some(Cow::Borrowed(cursor.string()?)),
                    b'n' => {
                        cursor.literal(b"null")?;
                        wire.null |= bit;
                        None
                    }
                    _ => return None,
                };
                *wire.text_slot(bit) = value;
            }
        }
        cursor.ws();
        match cursor.peek()? {
            b',' => {
                cursor.i += 1;
                cursor.ws();
            }
            b'}' => {
                cursor.i += 1;
                return cursor.end().then_some(wire);
            }
            _ => return None,
        }
    }
}

struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// Whitespace was skipped since last cleared (a value with none is already compact).
    spaced: bool,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `v` that are `"`, `\` or a control character, as high bits (exact up to the first one).
fn stops(v: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    zero(v ^ (ONES * u64::from(b'"')))
        | zero(v ^ (ONES * u64::from(b'\\')))
        | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS)
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    fn ws(&mut self) {
        let start = self.i;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
        self.spaced |= self.i != start;
    }

    /// Only whitespace is left.
    fn end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A string without escapes or control characters: its text, between the quotes.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let mut at = start;
        while let Some(chunk) = self.b.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().ok()?);
            let hits = stops(word);
            if hits != 0 {
                at += (hits.trailing_zeros() / 8) as usize;
                return self.close(start, at);
            }
            at += 8;
        }
        while let Some(&c) = self.b.get(at) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return self.close(start, at);
            }
            at += 1;
        }
        None
    }

    fn close(&mut self, start: usize, at: usize) -> Option<&'a str> {
        if self.b[at] != b'"' {
            return None;
        }
        self.i = at + 1;
        // Both ends sit next to an ASCII quote: character boundaries.
        self.text.get(start..at)
    }

    /// One JSON value, checked: its text, and whether it is already compact.
    fn json(&mut self) -> Option<Json<'a>> {
        let start = self.i;
        self.spaced = false;
        self.value(0)?;
        let text = self.text.get(start..self.i)?;
        Some(Json::checked(text, !self.spaced))
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.value(depth)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let depth = depth + 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.value(depth)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            self.ws();
                        }
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Record, Rejected, compact_json};
    use crate::generate::{BENCH_END, Generator};

    /// Everything a record holds, as text, the compaction of its values included.
    fn fields(result: &Result<Record<'_>, Rejected>) -> String {
        let record = match result {
            Ok(record) => record,
            Err(rejected) => return format!("rejected {rejected:?}"),
        };
        let json = |j: &Option<Json<'_>>| {
            j.map(|j| {
                let mut compact = String::new();
                j.compact_into(&mut compact);
                assert_eq!(compact, compact_json(j.get()), "{:?}", j.get());
                format!("{} / {compact}", j.get())
            })
        };
        let extras: Vec<_> = record
            .extras
            .iter()
            .map(|(k, v)| (k.to_string(), json(&Some(*v))))
            .collect();
        format!(
            "{:x} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            record.id,
            record.ts,
            json(&record.ts_json),
            record.ts_readable,
            record.kind,
            record.user,
            record.ip,
            record.ua,
            record.shape,
            json(&record.data),
            extras
        )
    }

    /// Both readers give the same record, or the same rejection; returns whether the hand reader took it.
    fn agree(text: &str) -> bool {
        let by_hand = read(text).is_some();
        assert_eq!(
            fields(&Record::read(text)),
            fields(&Record::read_by_serde(text)),
            "{text:?}"
        );
        by_hand
    }

    const BASE: &str = r#"{"data": {"route":"/api/v2/q","site":"us","n":[1,-2.5e3,{"a":null}]}, "id": "01a1e6cd-ab41-7b00-b45a-8916678623f9", "ip": "15.194.134.243", "timestamp": "2026-11-17T00:00:00.837930", "type": "api:x", "user": "ivan@example.com", "user_agent": "Splunk/9.3"}"#;

    #[test]
    fn the_generators_lines_are_read_alike_and_mostly_by_hand() {
        let mut generator = Generator::new(21, 20_000, 24, BENCH_END);
        let mut by_hand = 0;
        for _ in 0..20_000 {
            by_hand += usize::from(agree(&generator.next_line()));
        }
        assert!(by_hand > 19_000, "{by_hand} of 20000 read by hand");
    }

    #[test]
    fn pathological_entries_are_taken_or_rejected_alike() {
        let id = r#""id": "01a1e6cd-ab41-7b00-b45a-8916678623f9""#;
        let cases = [
            BASE.to_owned(),
            format!("{{{id}, \"type\": \"a\"}}"),
            format!("  \t{{ {id} ,\"type\" :\"a\" }}\r\n "),
            format!("{{{id}, \"type\": \"a\"}} x"),
            format!("{{{id}, \"type\": \"a\"}}}}"),
            format!("{{{id}, \"type\": \"a\",}}"),
            format!("{{{id}, \"type\": \"a\" \"user\": \"b\"}}"),
            format!(
                "{{{id}, \"type\": \"a\", \"user\": null, \"ip\": null, \"user_agent\": null}}"
            ),
            format!("{{{id}, \"type\": \"a\", \"user\": nul}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": 5}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": true}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": [\"x\"]}}"),
            format!("{{{id}, \"type\": null}}"),
            format!("{{{id}, \"type\": \"a\", \"type\": \"b\"}}"),
            format!("{{{id}, {id}, \"type\": \"a\"}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": 1, \"data\": 2}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": 1, \"timestamp\": 2}}"),
            format!("{{{id}, \"type\": \"a\", \"x\": 1, \"x\": [2]}}"),
            format!("{{{id}, \"type\": \"a\\u0062\"}}"),
            format!("{{{id}, \"ty\\u0070e\": \"a\"}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": \"q\\\"uote\"}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": \"tab\there\"}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": \"bell\u{7}\"}}"),
            format!("{{{id}, \"type\": \"a\", \"user\": \"del\u{7f} é ☃ 𝄞\"}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": \"ctl\u{1}\"}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": \"\\x\"}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": \"\\ud800\"}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": {{\"k\" : [ 1 , 2 ] , \"s\":\"a b\"}}}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": [1,]}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": {{\"k\":1,}}}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": {{\"k\"}}}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": {{1:2}}}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": [[[[]]],{{}},[{{}}]]}}"),
            format!(
                "{{{id}, \"type\": \"a\", \"data\": {}}}",
                "[".repeat(99) + &"]".repeat(99)
            ),
            format!(
                "{{{id}, \"type\": \"a\", \"data\": {}}}",
                "[".repeat(127) + &"]".repeat(127)
            ),
            format!(
                "{{{id}, \"type\": \"a\", \"data\": {}}}",
                "[".repeat(200) + &"]".repeat(200)
            ),
            format!(
                "{{{id}, \"type\": \"a\", \"data\": [0, -0, 0.5, 1e5, 1E+5, 2e-3, -12.25e10]}}"
            ),
            format!("{{{id}, \"type\": \"a\", \"data\": 01}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": -}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": 1.}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": .5}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": 1e}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": +1}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": 1e99999}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": 123456789012345678901234567890}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": NaN}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": tru}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": nulll}}"),
            format!("{{{id}, \"type\": \"a\", \"data\": [true,false,null]}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": \"2025-02-11T16:08:44Z\"}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": \"yesterday\"}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": 1739290124}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": null}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": \"2025-02-11T16:08:44\\u005a\"}}"),
            format!("{{{id}, \"type\": \"a\", \"timestamp\": \"\"}}"),
            r#"{"id": "not-a-uuid", "type": "a"}"#.to_owned(),
            r#"{"id": null, "type": "a"}"#.to_owned(),
            r#"{"id": 5, "type": "a"}"#.to_owned(),
            r#"{"type": "a"}"#.to_owned(),
            "{}".to_owned(),
            " { } ".to_owned(),
            "[]".to_owned(),
            "null".to_owned(),
            "\"text\"".to_owned(),
            "".to_owned(),
            "{".to_owned(),
            "\u{c}{}".to_owned(),
            BASE[..BASE.len() - 1].to_owned(),
            BASE[..BASE.len() / 2].to_owned(),
            BASE.replace(": ", ":").replace(", ", ","),
            BASE.replace(": ", " :\n").replace(", ", "\t,\r"),
            BASE.replace(
                "\"ip\"",
                "\"extra\": {\"deep\": [1, {\"x\": \"y\"}]}, \"ip\"",
            ),
        ];
        let mut by_hand = 0;
        for case in &cases {
            by_hand += usize::from(agree(case));
        }
        // The plain shapes above go by hand; escapes, odd values and duplicates do not.
        assert!(by_hand >= 25, "{by_hand} cases read by hand");
    }

    /// A tiny deterministic generator, so that a failure can be replayed.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn mutated_lines_are_taken_or_rejected_alike() {
        const PIECES: &[&str] = &[
            "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\t", "\n", "0", "-", "e", ".", "n",
            "null", "true", "\u{1}", "\u{7f}", "é", "a", "\\u0041", "\\n", "1e5", "{}", "[]",
            "\"\"",
        ];
        let mut generator = Generator::new(5, 400, 24, BENCH_END);
        let mut lines: Vec<String> = (0..400).map(|_| generator.next_line()).collect();
        lines.push(BASE.to_owned());
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut by_hand = 0;
        for round in 0..30_000 {
            let mut text = lines[round % lines.len()].clone();
            for _ in 0..1 + rng.below(3) {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.below(4) {
                    0 => text.insert_str(at, PIECES[rng.below(PIECES.len())]),
                    1 => {
                        if let Some(c) = text[at..].chars().next() {
                            text.replace_range(at..at + c.len_utf8(), "");
                        }
                    }
                    2 => {
                        if let Some(c) = text[at..].chars().next() {
                            let piece = PIECES[rng.below(PIECES.len())];
                            text.replace_range(at..at + c.len_utf8(), piece);
                        }
                    }
                    _ => text.truncate(at),
                }
            }
            by_hand += usize::from(agree(&text));
        }
        // Many mutations leave a line the hand reader still takes (a space, a value changed).
        assert!(by_hand > 3_000, "{by_hand} mutated lines read by hand");
    }
}
