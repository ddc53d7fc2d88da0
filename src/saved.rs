//! Saved files of entries: JSON lines, a JSON array, or `{"log": ...}`, read whole into entries.
//!
//! A malformed line or element is counted with its place and reason; the rest of the file is kept.

use std::path::Path;

use crate::entry::{Entry, Rejected, parse_seed};

/// What a file held.
#[derive(Debug, Default)]
pub struct SavedFile {
    pub entries: Vec<Entry>,
    /// Each malformed entry with its line number (JSON lines) or 0 (inside an array or envelope).
    pub malformed: Vec<(usize, Rejected)>,
}

/// Reads a saved file of entries.
pub fn read(path: &Path) -> std::io::Result<SavedFile> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(parse(&text))
}

/// Parses the text of a saved file: an array or an envelope when the whole text is one, else JSON lines.
pub fn parse(text: &str) -> SavedFile {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || (trimmed.starts_with('{') && is_envelope(trimmed)))
        && let Ok(batch) = parse_seed(trimmed)
    {
        return SavedFile {
            entries: batch.entries,
            malformed: batch.rejected.into_iter().map(|r| (0, r)).collect(),
        };
    }
    let mut saved = SavedFile::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Entry::parse(line) {
            Ok(entry) => saved.entries.push(entry),
            Err(rejected) => saved.malformed.push((index + 1, rejected)),
        }
    }
    saved
}

/// `{"log": ...}` as a whole, not a first JSON line.
fn is_envelope(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        #[allow(dead_code)] // only its presence is checked
        log: &'a serde_json::value::RawValue,
    }
    serde_json::from_str::<Envelope>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"{"id": "0194f5a3-7b2c-7def-8123-000000000001", "timestamp": "2025-02-11T16:08:44", "type": "a:b"}"#;
    const B: &str = r#"{"id": "0194f5a3-7b2c-7def-8123-000000000002", "timestamp": "2025-02-11T16:08:45", "type": "a:b"}"#;

    #[test]
    fn every_saved_shape_is_read_and_bad_lines_are_counted_with_their_place() {
        let lines = parse(&format!("{A}\n{{\"id\": 3}}\n\n{B}\n"));
        assert_eq!(lines.entries.len(), 2);
        assert_eq!(lines.malformed.len(), 1);
        assert_eq!(lines.malformed[0].0, 2);
        assert_eq!(parse(&format!("[{A}, {B}]")).entries.len(), 2);
        assert_eq!(parse(&format!("{{\"log\": {A}}}")).entries.len(), 1);
        assert_eq!(parse(&format!("{{\"log\": [{A}, {B}]}}")).entries.len(), 2);
        let one_line = parse(A);
        assert_eq!(one_line.entries.len(), 1);
    }
}
