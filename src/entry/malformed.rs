//! A saved line that is not an entry, as `query` and the bulk loader report it.

/// A line (or array element) that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number in its input.
    pub line: u64,
    pub reason: String,
}
