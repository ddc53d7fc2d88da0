//! Logs go to a file, never to the screen: a TUI owns the terminal, and `tail` owns stdout.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

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
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match OpenOptions::new().create(true).append(true).open(&path) {
        Ok(file) => file,
        Err(err) => {
            eprintln!(
                "auditui: not logging: cannot open {}: {err}",
                path.display()
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
