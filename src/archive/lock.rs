//! The writer lock: one writer per archive, and a refusal that names the process holding it.
//!
//! An OS file lock on `<archive>.lock`, which holds the pid and command of its holder. The lock goes
//! with the process: a writer killed with SIGKILL leaves no stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::ArchiveError;
use crate::sanitize::clean_truncated;

/// Held for as long as the writer lives.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// The lock file of an archive.
pub fn lock_path(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl WriterLock {
    /// Takes the lock for `what` (for example "auditui sync"), or says who holds it.
    pub fn acquire(archive: &Path, what: &str) -> Result<WriterLock, ArchiveError> {
        let path = lock_path(archive);
        let io_err = |e| ArchiveError::from_io(archive, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(ArchiveError::Busy {
                    path: archive.to_owned(),
                    holder: holder_of(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let started = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let note = format!("pid {} ({what}) since {started}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(note.as_bytes()))
            .map_err(io_err)?;
        Ok(WriterLock { _file: file })
    }
}

/// Who holds the lock, as its holder wrote it.
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    match text.trim() {
        "" => "a process that has not said who it is yet".into(),
        note => clean_truncated(note, 120).into_owned(),
    }
}

/// Who holds the writer lock of `archive` now, if anyone.
pub fn holder(archive: &Path) -> Option<String> {
    let mut file = File::open(lock_path(archive)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(_) => Some(holder_of(&mut file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.sqlite");
        let first = WriterLock::acquire(&archive, "auditui sync").unwrap();
        let err = WriterLock::acquire(&archive, "auditui sync").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {} (auditui sync)", std::process::id())),
            "{text}"
        );
        assert!(holder(&archive).unwrap().contains("auditui sync"));
        drop(first);
        assert_eq!(holder(&archive), None);
        WriterLock::acquire(&archive, "auditui sync").unwrap();
    }
}
