//! Making the bundle's own text inert wherever it is read: JSON with invisible and control characters
//! written as `\u` escapes, Markdown that cannot open a link or raw HTML, and HTML-escaped text.

use std::fmt::Write;

use crate::sanitize::{clean, clean_truncated, is_unsafe};

/// Serialized JSON with every unsafe character (bidi overrides, zero-width, C1...) written as a `\u`
/// escape. The value is unchanged; only how it is spelt. Outside strings JSON is ASCII, so only string
/// contents are touched; the line breaks of indented JSON stay (inside strings, serde writes `\n`).
pub fn json_text(serialized: String) -> String {
    let hidden = |c: char| c != '\n' && is_unsafe(c);
    if !serialized.chars().any(hidden) {
        return serialized;
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        if hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// HTML text and attribute content: controls as visible escapes, then `& < > " '` as entities.
pub fn html(text: &str, max_chars: usize) -> String {
    let cleaned = clean_truncated(text, max_chars);
    let mut out = String::with_capacity(cleaned.len() + 8);
    for c in cleaned.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text as a Markdown code span: inside one, nothing is a link, an autolink, emphasis or raw
/// HTML. The fence is longer than any run of backticks in the text; controls (line breaks included) are
/// visible escapes, so the span cannot be ended by a new block.
pub fn markdown(text: &str, max_chars: usize) -> String {
    let cleaned = clean_truncated(text, max_chars);
    let longest_run = cleaned.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // A space each side keeps a leading or trailing backtick from joining the fence.
    format!("{fence} {cleaned} {fence}")
}

/// Text for a Markdown line that the bundle itself writes but that quotes the user (the query): a code
/// span too.
pub fn markdown_plain(text: &str) -> String {
    markdown(&clean(text), usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_the_value_and_spells_hidden_characters_as_escapes() {
        let value = serde_json::json!({"u": "a\u{202e}b\u{200b}c\u{e0041}", "plain": "é"});
        let text = json_text(value.to_string());
        assert!(
            text.contains('é'),
            "visible characters stay as they are: {text}"
        );
        assert!(text.contains(r"a\u202eb\u200bc\udb40\udc41"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\"\u{1b}[2J", 200),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\\x1b[2J"
        );
        assert!(html(&"A".repeat(500), 10).ends_with('…'));
    }

    #[test]
    fn markdown_spans_outlast_backticks_and_line_breaks() {
        assert_eq!(markdown("plain", 100), "` plain `");
        assert_eq!(markdown("a`b``c", 100), "``` a`b``c ```");
        let hostile = markdown("[x](http://evil)\n# head <img src=x>", 100);
        assert_eq!(hostile, "` [x](http://evil)\\n# head <img src=x> `");
        assert!(!hostile.contains('\n'));
    }
}
