//! How an entry's text is stored: as received, but with the parts its columns already hold (its id,
//! user and type) replaced by one-byte markers, which [`unpack_into`] puts back byte for byte ([`Packer`] does the replacing).
//!
//! Every occurrence of the id's text (canonical, lower-case), then of the user name, then of the type
//! name is replaced by the byte 1, 2 and 3 respectively. The text of an entry is valid JSON, which cannot
//! hold those bytes unescaped, so each marker stands only for what it replaced, and replacing the markers
//! back (3, then 2, then 1) restores the text exactly. A name is left in place when it is empty or holds
//! a control character (then it could overlap a marker). An id spelled otherwise (upper case) stays too.
//! SQL readers use [`super::schema::RESTORED_RAW`], which does the same.

use memchr::memmem::Finder;
use rustc_hash::FxHashMap;
use uuid::Uuid;

const ID: char = '\u{1}';
const USER: char = '\u{2}';
const TYPE: char = '\u{3}';

fn packable(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b < 0x20)
}

/// What [`Packer::pack`] made of a text.
#[derive(Debug, PartialEq, Eq)]
pub enum Packed<'p> {
    /// Nothing to replace: store the text as received.
    AsReceived,
    /// The packed text, in the packer's buffer.
    Replaced(&'p str),
}

/// Packs entries' texts for storing, with two buffers reused from one entry to the next and the
/// searchers for user and type names kept (a writer sees the same few thousand names again and again;
/// building a searcher per name per entry was a tenth of the ingest's time).
#[derive(Default)]
pub struct Packer {
    searchers: FxHashMap<Box<str>, Finder<'static>>,
    out: String,
    spare: String,
}

/// At most this many names' searchers are kept (hostile data could hold a new user name per entry).
const KEPT_SEARCHERS: usize = 1 << 16;

impl Packer {
    /// The text to store for an entry with this id, user and type.
    pub fn pack(&mut self, raw: &str, id: &Uuid, user: &str, kind: &str) -> Packed<'_> {
        // Text with a marker byte already in it (not JSON as parsed) is stored as it is.
        if raw.contains([ID, USER, TYPE]) {
            return Packed::AsReceived;
        }
        let Packer {
            searchers,
            out,
            spare,
        } = self;
        let mut id_text = [0u8; 36];
        let id_text: &str = id.hyphenated().encode_lower(&mut id_text);
        let id_searcher = Finder::new(id_text);
        let mut replaced = false;
        for (needle, marker) in [(id_text, ID), (user, USER), (kind, TYPE)] {
            if !packable(needle) {
                continue;
            }
            let searcher = if marker == ID {
                &id_searcher
            } else {
                if searchers.len() >= KEPT_SEARCHERS && !searchers.contains_key(needle) {
                    searchers.clear();
                }
                searchers
                    .entry(needle.into())
                    .or_insert_with(|| Finder::new(needle.as_bytes()).into_owned())
            };
            let text: &str = if replaced { out } else { raw };
            if replace_all(text, searcher, marker, spare) {
                std::mem::swap(out, spare);
                replaced = true;
            }
        }
        if replaced {
            Packed::Replaced(out)
        } else {
            Packed::AsReceived
        }
    }
}

/// Writes into `into` the `text` with every occurrence of the searcher's needle (left to right, not
/// overlapping) replaced by `marker`; false, writing nothing, when it holds none.
fn replace_all(text: &str, searcher: &Finder<'_>, marker: char, into: &mut String) -> bool {
    let mut found = searcher.find_iter(text.as_bytes()).peekable();
    if found.peek().is_none() {
        return false;
    }
    into.clear();
    let mut last = 0;
    for at in found {
        // A needle of valid UTF-8 found in valid UTF-8 begins and ends on character boundaries.
        if at < last {
            continue;
        }
        into.push_str(&text[last..at]);
        into.push(marker);
        last = at + searcher.needle().len();
    }
    into.push_str(&text[last..]);
    true
}

/// Writes into `out` (cleared first) the text as received, from what [`Packer::pack`] stored, in one
/// pass: a reader that reuses `out` allocates nothing once it has grown. Each marker stands for one
/// name, and no name put back holds a marker (names with control characters are never replaced), so
/// one pass puts back what packing replaced.
pub fn unpack_into(stored: &str, id: &Uuid, user: &str, kind: &str, out: &mut String) {
    out.clear();
    let mut id_text = [0u8; 36];
    let mut last = 0;
    for at in memchr::memchr3_iter(ID as u8, USER as u8, TYPE as u8, stored.as_bytes()) {
        // The markers are ASCII: each position is a character boundary.
        out.push_str(&stored[last..at]);
        match stored.as_bytes()[at] {
            b if b == ID as u8 => out.push_str(id.hyphenated().encode_lower(&mut id_text)),
            b if b == USER as u8 => out.push_str(user),
            _ => out.push_str(kind),
        }
        last = at + 1;
    }
    out.push_str(&stored[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_and_unpacking_gives_back_the_exact_text() {
        let id = Uuid::parse_str("0194f5a3-7b2c-7def-8123-456789abcdef").unwrap();
        let upper = id.hyphenated().to_string().to_uppercase();
        let cases = [
            (
                r#"{"id": "0194f5a3-7b2c-7def-8123-456789abcdef", "user": "a@b", "type": "auth:login", "data": {"u": "a@b"}}"#,
                "a@b",
                "auth:login",
            ),
            (
                &*format!(r#"{{"id":"{upper}","user":"a@b","type":"t"}}"#),
                "a@b",
                "t",
            ),
            (r#"{"user":"aaa","type":"a"}"#, "aa", "a"),
            (r#"{"user":"","type":""}"#, "", ""),
            (r#"{"user":"\u0002x","type":"y"}"#, "\u{2}x", "y"),
            (r#"{"user":"id","type":"user"}"#, "id", "user"),
        ];
        // One packer for all, as a writer uses it: what it keeps from one entry must not leak into the next.
        let mut packer = Packer::default();
        let mut reused = String::new();
        for (raw, user, kind) in cases.iter().chain(&cases) {
            let packed = match packer.pack(raw, &id, user, kind) {
                Packed::AsReceived => raw.to_string(),
                Packed::Replaced(text) => text.to_owned(),
            };
            // A buffer reused from one entry to the next, as a reader reuses it.
            unpack_into(&packed, &id, user, kind, &mut reused);
            assert_eq!(reused, *raw, "{raw}");
        }
        assert_eq!(
            packer.pack(r#"{"user":"x","type":"y"}"#, &id, "z", "w"),
            Packed::AsReceived
        );
        assert_eq!(
            packer.pack(cases[0].0, &id, "a@b", "auth:login"),
            Packed::Replaced(
                "{\"id\": \"\u{1}\", \"user\": \"\u{2}\", \"type\": \"\u{3}\", \"data\": {\"u\": \"\u{2}\"}}"
            )
        );
    }
}
