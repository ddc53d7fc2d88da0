//! How an entry's text is stored: as received, but with the parts its columns already hold (its id,
//! user and type) replaced by one-byte markers, which [`unpack`] puts back byte for byte.
//!
//! Every occurrence of the id's text (canonical, lower-case), then of the user name, then of the type
//! name is replaced by the byte 1, 2 and 3 respectively. The text of an entry is valid JSON, which cannot
//! hold those bytes unescaped, so each marker stands only for what it replaced, and replacing the markers
//! back (3, then 2, then 1) restores the text exactly. A name is left in place when it is empty or holds
//! a control character (then it could overlap a marker). An id spelled otherwise (upper case) stays too.
//! SQL readers use [`super::schema::RESTORED_RAW`], which does the same.

use std::borrow::Cow;

use uuid::Uuid;

const ID: char = '\u{1}';
const USER: char = '\u{2}';
const TYPE: char = '\u{3}';

fn packable(name: &str) -> bool {
    !name.is_empty() && !name.bytes().any(|b| b < 0x20)
}

/// The text to store for an entry with this id, user and type.
pub fn pack<'a>(raw: &'a str, id: &Uuid, user: &str, kind: &str) -> Cow<'a, str> {
    // Text with a marker byte already in it (not JSON as parsed) is stored as it is.
    if raw.contains([ID, USER, TYPE]) {
        return Cow::Borrowed(raw);
    }
    let mut text = Cow::Borrowed(raw);
    let mut id_text = [0u8; 36];
    let id_text: &str = id.hyphenated().encode_lower(&mut id_text);
    for (needle, marker) in [(id_text, ID), (user, USER), (kind, TYPE)] {
        if packable(needle)
            && let Some(replaced) = replace_all(&text, needle, marker)
        {
            text = Cow::Owned(replaced);
        }
    }
    text
}

/// `text` with every occurrence of `needle` (left to right, not overlapping) replaced by `marker`, or
/// `None` when it holds none: one search, and one copy only when there is something to replace.
fn replace_all(text: &str, needle: &str, marker: char) -> Option<String> {
    let mut found = memchr::memmem::find_iter(text.as_bytes(), needle.as_bytes()).peekable();
    found.peek()?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in found {
        // A needle of valid UTF-8 found in valid UTF-8 begins and ends on character boundaries.
        if at < last {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push(marker);
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// The text as received, from what [`pack`] stored.
pub fn unpack<'a>(stored: &'a str, id: &Uuid, user: &str, kind: &str) -> Cow<'a, str> {
    if !stored.contains([ID, USER, TYPE]) {
        return Cow::Borrowed(stored);
    }
    let id_text = id.hyphenated().to_string();
    let mut text = stored.to_owned();
    for (marker, value) in [(TYPE, kind), (USER, user), (ID, id_text.as_str())] {
        if text.contains(marker) {
            text = text.replace(marker, value);
        }
    }
    Cow::Owned(text)
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
        for (raw, user, kind) in cases {
            let packed = pack(raw, &id, user, kind);
            assert_eq!(unpack(&packed, &id, user, kind), raw, "{raw}");
        }
        let packed = pack(cases[0].0, &id, "a@b", "auth:login");
        assert_eq!(
            packed,
            "{\"id\": \"\u{1}\", \"user\": \"\u{2}\", \"type\": \"\u{3}\", \"data\": {\"u\": \"\u{2}\"}}"
        );
    }
}
