//! The TUI over the archive: the recent history read from it once the screen is open ([`load`]), then
//! new entries from one of two places. When this process can take the archive's writer lock, the poller follows the
//! API and every page is committed to the archive (with its cursor, as `sync` does) before the screen
//! gets it; when a `sync` holds the lock, the archive itself is followed and no API request is spent.

mod fill;
pub mod load;
pub mod stores;

pub use fill::{Fetcher, write_through};

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use crate::archive::{Archive, ArchiveError, Seed, Select, Writer};
use crate::entry::Entry;
use crate::poller::{ConnState, PollControl, PollEvent, PollStatus, Start};
use crate::timestamp::UnixNanos;

/// The archive as the TUI found it (its history is read afterwards, in the background: [`load`]).
pub struct History {
    /// What the status bar says about it: who writes it.
    pub note: String,
    pub role: Role,
    /// The newest entry held when it was opened: a follower reads what is added after it.
    pub newest: Option<Uuid>,
}

/// Who brings the new entries.
pub enum Role {
    /// This process writes the archive: the poller's pages go into it.
    Writer(Writer),
    /// A `sync` writes it (the holder named): this process reads what it adds.
    Follower { archive: Archive, holder: String },
}

/// Opens the archive at `path`: as its writer when nobody else is, else as a reader following the
/// writer. Nothing is read but its newest id, so this takes no time whatever the archive holds.
pub fn open(path: &Path) -> Result<History, ArchiveError> {
    let what = format!("the auditui TUI (pid {})", std::process::id());
    let role = match Archive::open_write(path, &what) {
        Ok(writer) => Role::Writer(writer),
        Err(ArchiveError::Busy { holder, .. }) => Role::Follower {
            archive: Archive::open_read(path)?,
            holder,
        },
        Err(err) => return Err(err),
    };
    let archive = match &role {
        Role::Writer(writer) => writer.archive(),
        Role::Follower { archive, .. } => archive,
    };
    let newest = archive.newest()?.map(|(id, _)| id);
    let note = describe(&role);
    Ok(History { note, role, newest })
}

/// The archived entries from `since` on (after `after`, when given), in id order, without the
/// remembered sessions' own fetches when `hide_own`; stored entries that no longer parse are skipped
/// and logged.
fn read_after(
    archive: &Archive,
    since: UnixNanos,
    after: Option<Uuid>,
    hide_own: bool,
) -> Result<Vec<Entry>, ArchiveError> {
    let mut entries = Vec::new();
    let select = Select {
        since: Some(since),
        after,
        without_own_fetches: hide_own,
        ..Select::default()
    };
    archive.entries(&select, |entry| {
        keep_parsed(entry, &mut entries);
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(entries)
}

/// An archived entry into `entries`; one that no longer parses is skipped, with a line in the log.
fn keep_parsed(entry: Result<Entry, crate::entry::Rejected>, entries: &mut Vec<Entry>) {
    match entry {
        Ok(entry) => entries.push(entry),
        Err(rejected) => tracing::warn!(
            "archived entry skipped: {}",
            crate::sanitize::clean(&rejected.reason)
        ),
    }
}

/// Who writes the archive, for the status bar (the range loaded is the app's to say).
fn describe(role: &Role) -> String {
    match role {
        Role::Writer(_) => "archive: writing".to_owned(),
        Role::Follower { holder, .. } => {
            format!("archive: following {}", crate::sanitize::clean(holder))
        }
    }
}

/// Where the poller starts when this process writes: after the archive's cursor when it falls inside
/// the window (nothing refetched), else at the window's start (a new stretch).
pub fn plan(writer: &Writer, since: UnixNanos) -> Result<(Start, Seed), ArchiveError> {
    Ok(match writer.cursor()? {
        Some(cursor) if id_nanos(cursor).is_some_and(|t| t >= since) => {
            (Start::After(cursor), Seed::Resume(cursor))
        }
        _ => (Start::Since(since), Seed::Since(since)),
    })
}

fn id_nanos(id: Uuid) -> Option<UnixNanos> {
    crate::entry::id_time_millis(&id).map(|ms| ms * 1_000_000)
}

/// Follows an archive another process writes: every `interval`, what it added after the newest entry
/// seen (without the writers' own fetches when `hide_own`). Spends no API request.
pub fn follow(
    archive: Archive,
    since: UnixNanos,
    last: Option<Uuid>,
    interval: Duration,
    note: String,
    hide_own: bool,
) -> (mpsc::Receiver<PollEvent>, mpsc::Sender<PollControl>) {
    let (to_app, from_archive) = mpsc::channel(16);
    let (control, mut controls) = mpsc::channel(8);
    tokio::spawn(async move {
        let mut last = last;
        let mut paused = false;
        let mut interval = interval;
        let mut received = 0u64;
        loop {
            if !paused {
                let found = read_after(&archive, since, last, hide_own);
                let mut status = PollStatus {
                    state: ConnState::Live,
                    last_ok: Some(crate::clock::now()),
                    archive: Some(note.clone()),
                    ..PollStatus::default()
                };
                match found {
                    Ok(entries) if !entries.is_empty() => {
                        last = entries.last().map(|e| e.id);
                        received += entries.len() as u64;
                        status.received = received;
                        if to_app.send(PollEvent::Entries(entries)).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => status.received = received,
                    Err(err) => status.last_error = Some(err.to_string()),
                }
                if to_app.send(PollEvent::Status(status)).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                message = controls.recv() => match message {
                    None | Some(PollControl::Stop) => return,
                    Some(PollControl::Pause) => paused = true,
                    Some(PollControl::Resume) => paused = false,
                    Some(PollControl::SetInterval(every)) => interval = every,
                    Some(PollControl::Fetch { .. }) => {}
                },
            }
        }
    });
    (from_archive, control)
}
