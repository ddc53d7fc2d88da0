//! Making untrusted text safe to put on a terminal.
//!
//! Every string from the API may hold escape sequences, bells, C1 controls, bidi overrides or line
//! breaks. Before such text reaches the screen (or a clipboard escape sequence, or a status line), each of
//! those characters is replaced by a visible escape such as `\n`, `\x1b` or `\u{202e}`, so it is shown,
//! never acted on.
//!
//! A server may also echo the API token back (in whoami fields, an error body, an entry). The token is
//! registered once, where the connection is resolved ([`register_secret`]); [`scrub`] replaces it by
//! `<token>`, and [`clean`] (what every surface uses for server text: screen, stderr, log) scrubs first.
//! Exports and copies scrub it too (see `export` and `Entry::json_line`).

use std::borrow::Cow;
use std::fmt::Write;
use std::io;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a scrubbed secret is shown as.
pub const REDACTED: &str = "<token>";

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
static ANY_SECRET: AtomicBool = AtomicBool::new(false);

/// Registers a secret (the API token) that [`scrub`] and [`clean`] remove from every text from now on.
/// Secrets shorter than 4 characters are not registered: replacing them would mangle ordinary text.
pub fn register_secret(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_owned());
        ANY_SECRET.store(true, Ordering::Release);
    }
}

/// The text with every registered secret replaced by [`REDACTED`]. Borrowed when none occurs.
pub fn scrub(text: &str) -> Cow<'_, str> {
    if !ANY_SECRET.load(Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if memchr::memmem::find(out.as_bytes(), secret.as_bytes()).is_some() {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

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
        // other invisible format characters: soft hyphen, Mongolian vowel separator, invisible
        // operators, deprecated shaping controls, and tag characters (whole hidden words after a name)
        | '\u{ad}' | '\u{180e}' | '\u{2061}'..='\u{2064}' | '\u{206a}'..='\u{206f}'
        | '\u{e0000}'..='\u{e007f}'
        // interlinear annotation controls
        | '\u{fff9}'..='\u{fffb}')
}

/// The text with every registered secret scrubbed and every unsafe character written as a visible escape.
/// Borrowed when nothing changed.
pub fn clean(text: &str) -> Cow<'_, str> {
    match scrub(text) {
        Cow::Borrowed(text) => escape(text),
        Cow::Owned(text) => Cow::Owned(escape(&text).into_owned()),
    }
}

fn escape(text: &str) -> Cow<'_, str> {
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

/// JSON text with every registered secret scrubbed and every unsafe character inside its strings written
/// as a JSON escape (`\u202e`, `\u001b`; a surrogate pair past U+FFFF), so it pastes inert and still
/// parses to the same values. Line breaks and tabs are kept: in JSON they can only lay the text out.
pub fn clean_json(text: &str) -> Cow<'_, str> {
    let scrubbed = scrub(text);
    if !scrubbed
        .chars()
        .any(|c| is_unsafe(c) && !matches!(c, '\n' | '\t'))
    {
        return scrubbed;
    }
    let mut out = String::with_capacity(scrubbed.len() + 16);
    for c in scrubbed.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\t') {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
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

/// A writer for output that is data when piped but a screen when it is a terminal (`tail`, `query`).
/// When active, every unsafe character except the line break becomes a visible escape, and bytes that are
/// not UTF-8 become `\xNN`; inactive, it passes bytes through untouched (files and pipes stay lossless).
pub struct ScreenSafe<W: io::Write> {
    inner: W,
    active: bool,
    /// The start of a UTF-8 sequence cut by the end of the last write.
    pending: Vec<u8>,
}

impl<W: io::Write> ScreenSafe<W> {
    /// Escapes only when `active`: pass `std::io::IsTerminal::is_terminal(&stdout)`.
    pub fn new(inner: W, active: bool) -> ScreenSafe<W> {
        ScreenSafe {
            inner,
            active,
            pending: Vec::new(),
        }
    }

    fn write_safe(&mut self, text: &str) -> io::Result<()> {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c != '\n' && is_unsafe(c) {
                push_escape(&mut out, c);
            } else {
                out.push(c);
            }
        }
        self.inner.write_all(out.as_bytes())
    }
}

impl<W: io::Write> io::Write for ScreenSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.active {
            return self.inner.write(buf);
        }
        self.pending.extend_from_slice(buf);
        let bytes = std::mem::take(&mut self.pending);
        let mut rest = &bytes[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.write_safe(text)?;
                    break;
                }
                Err(err) => {
                    let (good, bad) = rest.split_at(err.valid_up_to());
                    self.write_safe(std::str::from_utf8(good).unwrap_or_default())?;
                    match err.error_len() {
                        Some(len) => {
                            let mut escaped = String::new();
                            for b in &bad[..len] {
                                let _ = write!(escaped, "\\x{b:02x}");
                            }
                            self.inner.write_all(escaped.as_bytes())?;
                            rest = &bad[len..];
                        }
                        None => {
                            self.pending = bad.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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
            ("alice\u{e0061}\u{e0064}@x", "alice\\u{e0061}\\u{e0064}@x"),
            ("soft\u{ad}hy\u{180e}phen", "soft\\xadhy\\u{180e}phen"),
            ("a\u{2062}b\u{206e}c", "a\\u{2062}b\\u{206e}c"),
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
    fn screen_safe_output_escapes_controls_on_a_terminal_and_passes_bytes_elsewhere() {
        let hostile = "a,\u{1b}]52;c;eA==\u{7},\u{9b}2J \u{202e}é\n".as_bytes();
        let cases: [(bool, &[u8], &str); 3] = [
            (true, hostile, "a,\\x1b]52;c;eA==\\x07,\\x9b2J \\u{202e}é\n"),
            (true, b"bad \xff\x9b byte\n", "bad \\xff\\x9b byte\n"),
            (
                false,
                hostile,
                "a,\u{1b}]52;c;eA==\u{7},\u{9b}2J \u{202e}é\n",
            ),
        ];
        for (active, input, expected) in cases {
            // One byte per write: UTF-8 sequences cut between writes must still come out whole.
            let mut out = ScreenSafe::new(Vec::new(), active);
            for b in input {
                io::Write::write_all(&mut out, std::slice::from_ref(b)).unwrap();
            }
            let shown = String::from_utf8_lossy(&out.inner).into_owned();
            assert_eq!(shown, expected, "active {active}");
        }
    }

    #[test]
    fn json_keeps_its_values_and_loses_its_live_characters() {
        let value =
            serde_json::json!({"a": "\u{1b}]0;x\u{7} \u{202e} \u{9b} \u{7f} \u{e0041}", "b": [1]});
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let cleaned = clean_json(&pretty);
        assert!(
            !cleaned.chars().any(|c| is_unsafe(c) && c != '\n'),
            "{cleaned:?}"
        );
        assert!(
            cleaned.contains("\\u202e \\u009b \\u007f \\udb40\\udc41"),
            "{cleaned}"
        );
        let back: serde_json::Value = serde_json::from_str(&cleaned).unwrap();
        assert_eq!(back, value);
        assert!(matches!(clean_json("{\"a\": 1}"), Cow::Borrowed(_)));
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

    #[test]
    fn a_registered_token_never_survives_clean_or_scrub() {
        let token = "hv_live_0123456789abcdefSECRET";
        let echoed = format!("whoami: name=svc, token={token}, again {token}\x1b]0;x\x07");
        assert!(clean(&echoed).contains(token), "not yet registered");
        register_secret(token);
        let cleaned = clean(&echoed);
        assert!(!cleaned.contains(token), "{cleaned}");
        assert_eq!(cleaned.matches(REDACTED).count(), 2, "{cleaned}");
        assert!(cleaned.contains("\\x1b"), "still escaped: {cleaned}");
        assert!(!clean_truncated(&echoed, 40).contains("SECRET"));
        assert_eq!(scrub("no secret here"), "no secret here");
        register_secret("ab");
        assert_eq!(scrub("abab"), "abab", "too short to register");
    }
}
