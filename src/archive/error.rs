//! What can go wrong with an archive file, said so that the user knows what to do next.
//!
//! Every error names the file. None of them leaves the file damaged: a failed write is a rolled-back
//! transaction, and a file this build cannot read safely (damaged, newer) is never written to.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use super::schema::SCHEMA_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "there is no archive at {path}: run `auditui sync` to make one, or pass another --archive"
    )]
    Missing { path: PathBuf },
    #[error(
        "the archive {path} is damaged or is not an auditui archive ({detail}); it was left as it is: \
         move it away (or restore a backup) and run `auditui sync` to start a new one"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the archive {path} was written by a newer auditui (schema version {found}; this one reads up to \
         {SCHEMA_VERSION}); it was left as it is: upgrade auditui, or pass another --archive"
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "the archive {path} was written by an older auditui (schema version {found}): open it once with \
         `auditui sync` or `auditui archive import` to upgrade it"
    )]
    Older { path: PathBuf, found: i64 },
    #[error(
        "cannot write the archive {path} ({detail}): check the permissions of the file and of its \
         directory (SQLite writes {path}-wal and {path}-shm beside it), or pass another --archive"
    )]
    ReadOnly { path: PathBuf, detail: String },
    #[error(
        "the disk holding the archive {path} is full: this batch was not stored, and what was stored \
         before is intact; free some space or run `auditui archive prune --keep 90d`, then run again"
    )]
    Full { path: PathBuf },
    #[error(
        "the archive {path} already has a writer ({holder}): only one sync may write it; stop that \
         one, or read the archive without writing (`auditui query --archive`)"
    )]
    Busy { path: PathBuf, holder: String },
    #[error("archive {path}: {detail}")]
    Other { path: PathBuf, detail: String },
}

impl ArchiveError {
    /// The error an SQLite failure on `path` is.
    pub fn from_sqlite(path: &Path, err: rusqlite::Error) -> ArchiveError {
        let path = path.to_owned();
        let detail = err.to_string();
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                ArchiveError::Corrupt { path, detail }
            }
            Some(ErrorCode::DiskFull) => ArchiveError::Full { path },
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                ArchiveError::ReadOnly { path, detail }
            }
            _ => ArchiveError::Other { path, detail },
        }
    }

    pub fn from_io(path: &Path, err: io::Error) -> ArchiveError {
        let path = path.to_owned();
        match err.kind() {
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                ArchiveError::ReadOnly {
                    path,
                    detail: err.to_string(),
                }
            }
            io::ErrorKind::StorageFull => ArchiveError::Full { path },
            io::ErrorKind::NotFound => ArchiveError::Missing { path },
            _ => ArchiveError::Other {
                path,
                detail: err.to_string(),
            },
        }
    }
}

/// Attaches the archive's path to SQLite results.
pub(crate) trait OnArchive<T> {
    fn on(self, path: &Path) -> Result<T, ArchiveError>;
}

impl<T> OnArchive<T> for rusqlite::Result<T> {
    fn on(self, path: &Path) -> Result<T, ArchiveError> {
        self.map_err(|e| ArchiveError::from_sqlite(path, e))
    }
}
