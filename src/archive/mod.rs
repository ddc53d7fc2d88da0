//! The investigation archive: every entry fetched once, kept in one SQLite file, read by many.
//!
//! One writer (`auditui sync`, or a TUI polling for itself) holds the [`lock::WriterLock`]; readers
//! open the file read-only and need no lock (WAL mode lets them read while the writer writes). Each page
//! the writer stores and its cursor are one transaction, so a kill at any moment loses and repeats
//! nothing. The schema is in [`schema`] and documented in the README.
//!
//! Reading, for other modules: [`Archive::open_read`], then [`Archive::entries`] (entries in id order
//! for a [`Select`]: time window, users, types), [`Archive::count`], and [`Archive::coverage`] (which
//! parts of a time window were fetched whole).

mod coverage;
mod error;
mod lock;
mod packed;
mod read;
pub(crate) mod schema;
mod write;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use coverage::{Coverage, Stretch};
pub use error::ArchiveError;
use error::OnArchive;
pub use lock::WriterLock;
pub use read::{Select, Status};
pub use schema::RESTORED_RAW;
use schema::VersionCheck;
pub use write::{Committed, Seed, Writer};

/// An open archive file.
pub struct Archive {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("path", &self.path).finish()
    }
}

/// How long a statement waits for the writer's lock before giving up (readers seldom wait at all).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Archive {
    /// Opens an existing archive for reading only: nothing this does can change the file.
    pub fn open_read(path: &Path) -> Result<Archive, ArchiveError> {
        if !path.exists() {
            return Err(ArchiveError::Missing {
                path: path.to_owned(),
            });
        }
        check_header(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .on(path)?;
        conn.busy_timeout(BUSY_TIMEOUT).on(path)?;
        let archive = Archive {
            conn,
            path: path.to_owned(),
        };
        match schema::check(&archive.conn).on(path)? {
            VersionCheck::Current => Ok(archive),
            VersionCheck::Newer(found) => Err(ArchiveError::Newer {
                path: path.to_owned(),
                found,
            }),
            VersionCheck::Older(0) => Err(ArchiveError::Corrupt {
                path: path.to_owned(),
                detail: "it holds no auditui tables".into(),
            }),
            VersionCheck::Older(found) => Err(ArchiveError::Older {
                path: path.to_owned(),
                found,
            }),
        }
    }

    /// Opens (creating it and its directory when needed) an archive for writing. Fails if another
    /// process writes it, naming that process; `what` is how this one is named to the next.
    pub fn open_write(path: &Path, what: &str) -> Result<Writer, ArchiveError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| ArchiveError::from_io(path, e))?;
        }
        let lock = WriterLock::acquire(path, what)?;
        check_header(path)?;
        let mut conn = Connection::open(path).on(path)?;
        conn.busy_timeout(BUSY_TIMEOUT).on(path)?;
        // Checked before anything could write: a newer file is left exactly as it is.
        match schema::check(&conn).on(path)? {
            VersionCheck::Current => {}
            VersionCheck::Newer(found) => {
                return Err(ArchiveError::Newer {
                    path: path.to_owned(),
                    found,
                });
            }
            VersionCheck::Older(found) => {
                if found == 0 {
                    // A new file: pages of 16 KiB waste less of each page on entries of a few
                    // hundred bytes than SQLite's 4 KiB (set before anything is written).
                    conn.execute_batch("PRAGMA page_size = 16384").on(path)?;
                }
                set_wal(&conn, path)?;
                schema::migrate(&mut conn, found).on(path)?;
            }
        }
        set_wal(&conn, path)?;
        // The writer's page cache: 64 MiB (SQLite's default is 2 MiB) keeps the upper pages of the
        // indexes, which every page of entries touches at scattered places, in memory.
        // A checkpoint copies every page changed since the last one back into the file: one every
        // 8,192 pages of log (128 MiB) instead of SQLite's 1,000 writes each index page, which every
        // commit touches, fewer times (measured: 92,000 entries a second on a million, 104,000 so).
        conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8192")
            .on(path)?;
        Writer::new(
            Archive {
                conn,
                path: path.to_owned(),
            },
            lock,
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for callers that run their own SQL (read-only for readers).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The default archive of an API host: `auditui/<host>.sqlite` in the user's data directory.
pub fn default_path(base_url: &str) -> Option<PathBuf> {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    let name: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dirs::data_dir().map(|dir| dir.join("auditui").join(format!("{name}.sqlite")))
}

fn set_wal(conn: &Connection, path: &Path) -> Result<(), ArchiveError> {
    // NORMAL is safe in WAL mode against a killed process: a commit is in the WAL once it returns.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .on(path)
}

/// Refuses a file that is not an SQLite database, or one cut short, before SQLite is let near it.
fn check_header(path: &Path) -> Result<(), ArchiveError> {
    let corrupt = |detail: String| ArchiveError::Corrupt {
        path: path.to_owned(),
        detail,
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ArchiveError::from_io(path, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| ArchiveError::from_io(path, e))?
        .len();
    if len == 0 {
        return Ok(());
    }
    let mut header = [0u8; 100];
    if len < 100 || file.read_exact(&mut header).is_err() {
        return Err(corrupt(format!(
            "only {len} bytes, shorter than an SQLite header"
        )));
    }
    if &header[..16] != b"SQLite format 3\0" {
        return Err(corrupt("not an SQLite database".into()));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes(
        header[28..32].try_into().expect("4 bytes"),
    ));
    // The page count is only valid when the "version-valid-for" number matches the change counter.
    let valid = header[92..96] == header[24..28];
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let wal_pending = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    let expected = pages * page_size;
    if valid && !wal_pending && len < expected {
        return Err(corrupt(format!(
            "truncated: {len} bytes where its header says {expected}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
