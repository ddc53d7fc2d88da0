//! Putting text on the user's clipboard: the native clipboard where there is a display, OSC 52 (the
//! terminal's own clipboard escape, which travels over SSH and through tmux) otherwise.

use std::io::Write;

use crossterm::clipboard::CopyToClipboard;

/// Terminals cap how much an OSC 52 sequence may carry (xterm's default is about 100 kB of base64, some
/// are lower); past this the copy is refused with a message rather than silently truncated.
pub const OSC52_MAX_ENCODED_BYTES: usize = 100_000;

/// How a copy reached the clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMethod {
    Native,
    Osc52,
}

impl CopyMethod {
    pub fn describe(self) -> &'static str {
        match self {
            CopyMethod::Native => "system clipboard",
            CopyMethod::Osc52 => "OSC 52",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopyError {
    #[error("too large for OSC 52 ({encoded}/{limit} bytes): export to a file")]
    TooLarge { encoded: usize, limit: usize },
    #[error("cannot write to the terminal: {0}")]
    Terminal(String),
}

/// The size of the base64 text carrying `len` bytes.
pub fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Where the app loop's copies go: the user's clipboard, or a test's stand-in.
pub trait Copier {
    /// Puts `text` on the clipboard.
    fn copy(&mut self, text: &str) -> Result<CopyMethod, CopyError>;

    /// The most bytes a copy can carry, when the way it travels caps it (OSC 52); `None` when only
    /// memory does. Asked before a copy is built, so a large view is refused before it costs anything.
    fn max_bytes(&self) -> Option<usize>;
}

/// The raw bytes whose base64 fits in an OSC 52 sequence.
pub const OSC52_MAX_BYTES: usize = OSC52_MAX_ENCODED_BYTES / 4 * 3;

/// Where copies go. The native clipboard, when used, is kept open for the life of the program: on X11 the
/// copied text is served by its owner and vanishes when it is dropped.
pub struct Clipboard {
    native: Option<arboard::Clipboard>,
}

impl Clipboard {
    /// Opens the native clipboard only when a display is there to own it.
    pub fn open() -> Clipboard {
        let native = if has_display() {
            match arboard::Clipboard::new() {
                Ok(clipboard) => Some(clipboard),
                Err(err) => {
                    tracing::info!("native clipboard unavailable, using OSC 52: {err}");
                    None
                }
            }
        } else {
            None
        };
        Clipboard { native }
    }
}

impl Copier for Clipboard {
    /// The native clipboard when there is one, else OSC 52 written to the terminal (stdout, which the
    /// TUI draws on; the sequence goes out whole between two frames).
    fn copy(&mut self, text: &str) -> Result<CopyMethod, CopyError> {
        if let Some(native) = self.native.as_mut() {
            match native.set_text(text) {
                Ok(()) => return Ok(CopyMethod::Native),
                Err(err) => tracing::warn!("native clipboard failed, trying OSC 52: {err}"),
            }
        }
        copy_osc52(text, &mut std::io::stdout())
    }

    fn max_bytes(&self) -> Option<usize> {
        self.native.is_none().then_some(OSC52_MAX_BYTES)
    }
}

/// Writes the OSC 52 sequence for `text`, refusing payloads over the limit.
pub fn copy_osc52(text: &str, terminal: &mut impl Write) -> Result<CopyMethod, CopyError> {
    let encoded = encoded_len(text.len());
    if encoded > OSC52_MAX_ENCODED_BYTES {
        return Err(CopyError::TooLarge {
            encoded,
            limit: OSC52_MAX_ENCODED_BYTES,
        });
    }
    crossterm::execute!(terminal, CopyToClipboard::to_clipboard_from(text))
        .map_err(|e| CopyError::Terminal(e.to_string()))?;
    Ok(CopyMethod::Osc52)
}

fn has_display() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return std::env::var_os("SSH_CONNECTION").is_none();
    }
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_writes_the_base64_text_to_the_clipboard_selection() {
        let mut out = Vec::new();
        let method = copy_osc52("hello", &mut out).unwrap();
        assert_eq!(method, CopyMethod::Osc52);
        assert_eq!(out, b"\x1b]52;c;aGVsbG8=\x1b\\");
    }

    #[test]
    fn osc52_refuses_what_the_terminal_would_drop() {
        let mut out = Vec::new();
        let raw_limit = OSC52_MAX_BYTES;
        assert!(copy_osc52(&"x".repeat(raw_limit), &mut out).is_ok());
        out.clear();
        let err = copy_osc52(&"x".repeat(raw_limit + 1), &mut out).unwrap_err();
        assert!(matches!(err, CopyError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("export to a file"));
        assert!(out.is_empty(), "nothing written when refused");
    }

    #[test]
    fn hostile_text_cannot_break_out_of_the_sequence() {
        let mut out = Vec::new();
        copy_osc52("\u{1b}]0;pwned\u{7}\u{1b}\\", &mut out).unwrap();
        let body = out
            .strip_prefix(b"\x1b]52;c;")
            .and_then(|b| b.strip_suffix(b"\x1b\\"))
            .unwrap();
        assert!(!body.is_empty());
        assert!(
            body.iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
        );
    }
}
