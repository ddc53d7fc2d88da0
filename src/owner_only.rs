//! Files and folders that only their owner can read: exports, state files and the log hold audit data
//! (who did what, from where), which the rest of a shared machine has no business reading.
//!
//! On Unix, files are created with mode 0600 and folders with 0700 (the umask can only remove bits);
//! elsewhere, the platform's defaults apply.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

/// The permission bits of what this module creates.
pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options
}

/// Creates `path`, failing if it exists.
pub fn create_new(path: &Path) -> io::Result<File> {
    options().write(true).create_new(true).open(path)
}

/// Creates or truncates `path`. A file that exists keeps its mode: see [`restrict`].
pub fn create(path: &Path) -> io::Result<File> {
    options().write(true).create(true).truncate(true).open(path)
}

/// Opens `path` for appending, creating it if needed.
pub fn append(path: &Path) -> io::Result<File> {
    options().create(true).append(true).open(path)
}

/// Creates `dir` and its missing parents; the folders it creates are the owner's only.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)
}

/// Takes group and other permissions away from an existing file (one an older version created 0644).
pub fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_folders_are_created_for_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!(mode(&nested), DIR_MODE);
        for (name, open) in [
            ("new", create_new as fn(&Path) -> io::Result<File>),
            ("created", create),
            ("appended", append),
        ] {
            let path = nested.join(name);
            open(&path).unwrap();
            assert_eq!(mode(&path), FILE_MODE, "{name}");
        }
        assert!(
            create_new(&nested.join("new")).is_err(),
            "never over an existing file"
        );
    }

    #[test]
    fn an_old_readable_file_is_restricted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.log");
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        restrict(&append(&path).unwrap()).unwrap();
        assert_eq!(mode(&path), 0o600);
    }
}
