//! The columns of one entry, borrowed from wherever it lives: shared by export, query, store and the TUI.

use uuid::Uuid;

use super::Entry;
use crate::timestamp::UnixNanos;

/// The columns of one entry, borrowed from wherever the entry lives (a parsed [`Entry`] or the store).
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub id: Uuid,
    pub ts: UnixNanos,
    /// False when the timestamp could not be read: `ts` is then the id's time.
    pub ts_readable: bool,
    pub kind: &'a str,
    pub user: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// `data` as compact or received JSON text.
    pub data: &'a str,
}

impl Entry {
    pub fn row(&self) -> Row<'_> {
        Row {
            id: self.id,
            ts: self.ts,
            ts_readable: self.ts_readable,
            kind: &self.kind,
            user: &self.user,
            ip: &self.ip,
            user_agent: &self.user_agent,
            data: self.data.get(),
        }
    }
}
