//! The saved stream position of `tail --state FILE`: where a restart resumes, with no loss and no repeat.
//!
//! Saved atomically (a temporary file in the same directory, synced, then renamed over the old one), so
//! the file always holds either the previous position or the new one, never a torn write. `tail` saves
//! right after each chunk of output it flushes, so the position is never ahead of what was written; a
//! kill -9 between a flush and its save makes the next run repeat that one chunk.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the state file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPosition {
    /// The last entry written (or passed over): the stream resumes after it.
    pub cursor: Uuid,
    /// The `--type` the position was followed with.
    #[serde(default)]
    pub log_type: Option<String>,
    /// The User-Agent of the run that saved it: its last fetch entries come after the position, and
    /// the run that resumes hides them as its own.
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("cannot read the state file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the state file {path} is not one auditui wrote ({detail}); move it away or pass another --state"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot save the position to {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The saved position, or `None` when the file does not exist yet.
pub fn load(path: &Path) -> Result<Option<SavedPosition>, StateFileError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| StateFileError::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        })
}

/// Replaces the saved position atomically.
pub fn save(path: &Path, position: &SavedPosition) -> Result<(), StateFileError> {
    let fail = |source| StateFileError::Write {
        path: path.to_owned(),
        source,
    };
    let mut text = serde_json::to_string(position).map_err(|e| fail(e.into()))?;
    text.push('\n');
    let temp = temp_path(path);
    let written = crate::owner_only::create(&temp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    if let Err(err) = written.and_then(|()| fs::rename(&temp, path)) {
        let _ = fs::remove_file(&temp);
        return Err(fail(err));
    }
    // The rename itself reaches the disk when the directory is synced; not every platform allows it.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let _ = File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(n: u128) -> SavedPosition {
        SavedPosition {
            cursor: Uuid::from_u128(n),
            log_type: Some("auth:login".into()),
            agent: Some("auditui/0.1 (session 1)".into()),
        }
    }

    #[test]
    fn a_missing_file_means_no_saved_position() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&dir.path().join("tail.state")).unwrap(), None);
    }

    #[test]
    fn saving_replaces_the_position_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tail.state");
        save(&path, &position(1)).unwrap();
        save(&path, &position(2)).unwrap();
        assert_eq!(load(&path).unwrap(), Some(position(2)));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("tail.state")]);
    }

    #[test]
    fn a_file_from_before_agents_were_saved_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tail.state");
        fs::write(
            &path,
            r#"{"cursor":"00000000-0000-0000-0000-000000000005"}"#,
        )
        .unwrap();
        let saved = load(&path).unwrap().unwrap();
        assert_eq!(saved.cursor, Uuid::from_u128(5));
        assert_eq!(saved.agent, None);
    }

    #[test]
    fn a_file_auditui_did_not_write_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tail.state");
        for text in ["", "{\"cursor\": 5}", "not json"] {
            fs::write(&path, text).unwrap();
            let err = load(&path).unwrap_err();
            assert!(matches!(err, StateFileError::Corrupt { .. }), "{text:?}");
            assert!(err.to_string().contains("another --state"));
        }
    }

    #[test]
    fn saving_into_a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("tail.state");
        let err = save(&path, &position(1)).unwrap_err();
        assert!(matches!(err, StateFileError::Write { .. }));
    }
}
