//! Making untrusted text safe to put on a terminal.
//!
//! Every string from the API may hold escape sequences, bells, C1 controls, bidi overrides or line
//! breaks. Before such text reaches the screen (or a clipboard escape sequence, or a status line), each of
//! those characters is replaced by a visible escape such as `\n`, `\x1b` or `\u{202e}`, so it is shown,
//! never acted on.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach the terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // bidi embeddings, overrides and isolates, and the marks that steer them
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // line and paragraph separators, which some terminals treat as line breaks
        | '\u{2028}' | '\u{2029}'
        // zero-width characters that hide text, and the byte-order mark
        | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'
        // interlinear annotation controls
        | '\u{fff9}'..='\u{fffb}')
}

/// The text with every unsafe character written as a visible escape. Borrowed when nothing changed.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`clean`], but cut to at most `max_chars` characters of output, ending in `…` when cut.
pub fn clean_truncated(text: &str, max_chars: usize) -> Cow<'_, str> {
    let cleaned = clean(text);
    if cleaned.chars().count() <= max_chars {
        return cleaned;
    }
    let mut out: String = cleaned.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        let cases = [
            ("plain text", "plain text"),
            ("a\nb", "a\\nb"),
            ("tab\there", "tab\\there"),
            ("cr\rlf", "cr\\rlf"),
            ("\u{1b}[2J\u{1b}]0;pwned\u{7}", "\\x1b[2J\\x1b]0;pwned\\x07"),
            ("c1 \u{9b}31m", "c1 \\x9b31m"),
            ("del\u{7f}", "del\\x7f"),
            ("nul\u{0}", "nul\\x00"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("\u{2066}iso\u{2069}", "\\u{2066}iso\\u{2069}"),
            ("zero\u{200b}width", "zero\\u{200b}width"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("émoji ✓ 日本", "émoji ✓ 日本"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn nothing_unsafe_survives() {
        let hostile: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!clean(&hostile).chars().any(is_unsafe));
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(clean("alice@example.com"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(clean_truncated("abcdef", 4), "abc…");
        assert_eq!(clean_truncated("abcd", 4), "abcd");
        assert_eq!(clean_truncated("a\nb", 3), "a\\…");
        assert_eq!(clean_truncated("日本語テキスト", 3), "日本…");
    }
}
