//! Logs go to a file, never to the screen: a TUI owns the terminal, and `tail` owns stdout.
//!
//! The file is the owner's only (it names users and addresses) and capped: past [`LOG_CAP_BYTES`] it is
//! renamed to `auditui.log.1` (replacing the previous one) and a new one begun, so a `tail` left running
//! for months keeps at most twice the cap on disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

use crate::owner_only;

/// The size at which the log is rotated.
pub const LOG_CAP_BYTES: u64 = 10 * 1024 * 1024;

/// Where the log goes when `--log-file` is not given.
pub fn default_log_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("auditui")
        .join("auditui.log")
}

/// Sends `tracing` output to `path` (appending), filtered by `AUDITUI_LOG` (default `info`).
/// Failing to open the log is not fatal: the program runs without one and says so on stderr.
pub fn init(path: Option<&Path>) {
    let path = path.map(Path::to_path_buf).unwrap_or_else(default_log_path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = owner_only::create_dir_all(dir);
    }
    let file = match CappedLog::open(path.clone(), LOG_CAP_BYTES) {
        Ok(file) => file,
        Err(err) => {
            eprintln!(
                "auditui: not logging: cannot open {}: {err}",
                crate::sanitize::clean(&path.display().to_string())
            );
            return;
        }
    };
    let filter = EnvFilter::try_from_env("AUDITUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// A log file that is rotated once it would grow past its cap.
pub struct CappedLog {
    path: PathBuf,
    cap: u64,
    file: File,
    size: u64,
}

impl CappedLog {
    pub fn open(path: PathBuf, cap: u64) -> io::Result<CappedLog> {
        let file = owner_only::append(&path)?;
        owner_only::restrict(&file)?;
        let size = file.metadata()?.len();
        Ok(CappedLog {
            path,
            cap,
            file,
            size,
        })
    }

    /// The older log, kept after one rotation.
    pub fn rotated_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(".1");
        path.with_file_name(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, Self::rotated_path(&self.path))?;
        self.file = owner_only::append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for CappedLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.cap {
            // A failed rotation must not stop logging: keep appending to the current file.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_at_its_cap_and_keeps_one_older_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auditui.log");
        let mut log = CappedLog::open(path.clone(), 100).unwrap();
        for i in 0..30 {
            writeln!(log, "line {i:02} of the log").unwrap();
        }
        let size = |p: &Path| std::fs::metadata(p).unwrap().len();
        assert!(size(&path) <= 100, "{}", size(&path));
        let older = CappedLog::rotated_path(&path);
        assert!(size(&older) <= 100);
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.ends_with("line 29 of the log\n"), "{current}");
        assert!(!dir.path().join("auditui.log.2").exists());
    }

    #[test]
    fn a_reopened_log_counts_what_it_already_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auditui.log");
        std::fs::write(&path, "x".repeat(90)).unwrap();
        let mut log = CappedLog::open(path.clone(), 100).unwrap();
        writeln!(log, "twenty bytes of text").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "twenty bytes of text\n"
        );
        assert_eq!(
            std::fs::read_to_string(CappedLog::rotated_path(&path))
                .unwrap()
                .len(),
            90
        );
    }
}
