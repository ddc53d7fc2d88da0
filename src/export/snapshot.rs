//! The TUI's export of a view to a file: a snapshot taken on the app loop (cheap), written on another
//! thread (slow), in any of the formats, never over an existing file, owner-only.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::formats::{self, Format as ExportFormat};
use crate::store::Store;

/// A view as it was when the export was asked for: the store (shared, not copied) and the positions of
/// the entries shown. Entries arriving later are not in it.
pub struct ExportJob {
    store: Arc<Store>,
    indices: Vec<u32>,
    format: ExportFormat,
    path: PathBuf,
}

impl ExportJob {
    pub fn new(
        store: Arc<Store>,
        indices: Vec<u32>,
        format: ExportFormat,
        path: PathBuf,
    ) -> ExportJob {
        ExportJob {
            store,
            indices,
            format,
            path,
        }
    }

    pub fn count(&self) -> usize {
        self.indices.len()
    }

    /// Writes every entry of the snapshot to a new file (never over an existing one); returns the count
    /// and the path actually written. Blocking: run it off the app loop.
    pub fn write(self) -> io::Result<(usize, PathBuf)> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::owner_only::create_dir_all(dir)?;
        }
        let (file, path) = create_new(&self.path)?;
        let mut out = BufWriter::new(file);
        formats::write_header(&mut out, self.format)?;
        for &index in &self.indices {
            let entry = self.store.get(index);
            formats::write_entry(&mut out, self.format, &entry.row(), &entry.json_line())?;
        }
        out.flush()?;
        Ok((self.indices.len(), path))
    }
}

/// Opens `path`, or `name-2.ext`, `name-3.ext`... when it exists.
fn create_new(path: &Path) -> io::Result<(File, PathBuf)> {
    let stem = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let ext = path
        .extension()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut candidate = path.to_owned();
    let mut n = 1;
    loop {
        match crate::owner_only::create_new(&candidate) {
            Ok(file) => return Ok((file, candidate)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && n < 100 => {
                n += 1;
                candidate = path.with_file_name(format!("{stem}-{n}.{ext}"));
            }
            Err(err) => return Err(err),
        }
    }
}
