//! A run killed in the middle of a write leaves a partial last line in the output file; the next run
//! would append to it and make it garbage (`{"data": {"event_id": 92{"data": ...`). On start with
//! `--state`, when stdout is a regular file, the partial line is cut off (the saved position is only
//! moved after a whole chunk is written, so its entries are written again), or, when the file cannot be
//! read back, the run begins with a newline so that the torn line stays alone. A pipe cannot be mended:
//! the reader gets the partial line, then a line break, then whole lines.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// What was done to the output before the first write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mend {
    /// Not a regular file (a terminal, a pipe): nothing to do.
    NotAFile,
    /// Empty: nothing written yet (a fresh `>` redirect), so a CSV header belongs at its top.
    Empty,
    /// Ending in a line break.
    Whole,
    /// A partial last line of this many bytes was cut off.
    Cut(u64),
    /// The file could not be read back: a line break was written after what is there.
    Newline,
}

/// How far back a partial line is looked for at a time.
const STEP: u64 = 64 * 1024;

/// Mends `out` (writable, opened on the output) using `read_back` (the same file opened for reading,
/// when that is possible).
pub(super) fn mend(out: &mut File, read_back: Option<File>) -> io::Result<Mend> {
    let meta = out.metadata()?;
    if !meta.is_file() {
        return Ok(Mend::NotAFile);
    }
    let len = meta.len();
    if len == 0 {
        return Ok(Mend::Empty);
    }
    let Some(mut reader) = read_back else {
        out.write_all(b"\n")?;
        return Ok(Mend::Newline);
    };
    let mut end = len;
    let mut buf = Vec::new();
    let keep = loop {
        let start = end.saturating_sub(STEP);
        buf.resize((end - start) as usize, 0);
        reader.seek(SeekFrom::Start(start))?;
        reader.read_exact(&mut buf)?;
        if end == len && buf.last() == Some(&b'\n') {
            return Ok(Mend::Whole);
        }
        if let Some(at) = memchr::memrchr(b'\n', &buf) {
            break start + at as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    out.set_len(keep)?;
    // Without O_APPEND the offset would still point past the cut.
    out.seek(SeekFrom::End(0))?;
    Ok(Mend::Cut(len - keep))
}

/// [`mend`] applied to this process's stdout.
#[cfg(unix)]
pub(super) fn mend_stdout() -> io::Result<Mend> {
    use std::os::fd::AsFd;
    let mut out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    if !out.metadata()?.is_file() {
        return Ok(Mend::NotAFile);
    }
    let read_back = File::open("/proc/self/fd/1")
        .or_else(|_| File::open("/dev/stdout"))
        .ok();
    mend(&mut out, read_back)
}

#[cfg(not(unix))]
pub(super) fn mend_stdout() -> io::Result<Mend> {
    Ok(Mend::NotAFile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    fn mended(content: &[u8], readable: bool) -> (Mend, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, content).unwrap();
        // As `>>` opens it: write-only, appending.
        let mut out = OpenOptions::new().append(true).open(&path).unwrap();
        let read_back = readable.then(|| File::open(&path).unwrap());
        let mend = mend(&mut out, read_back).unwrap();
        out.write_all(b"{\"next\":1}\n").unwrap();
        (mend, std::fs::read(&path).unwrap())
    }

    #[test]
    fn a_torn_last_line_is_cut_before_the_next_run_appends() {
        let (m, after) = mended(b"{\"a\":1}\n{\"data\": {\"event_id\": 92", true);
        assert_eq!(m, Mend::Cut(24));
        assert_eq!(after, b"{\"a\":1}\n{\"next\":1}\n");
    }

    #[test]
    fn a_torn_line_longer_than_a_step_is_cut_whole() {
        let mut content = b"{\"a\":1}\n".to_vec();
        content.extend(std::iter::repeat_n(b'x', 3 * STEP as usize + 17));
        let (m, after) = mended(&content, true);
        assert_eq!(m, Mend::Cut(3 * STEP + 17));
        assert_eq!(after, b"{\"a\":1}\n{\"next\":1}\n");
        let (m, after) = mended(&[b'y'; 100], true);
        assert_eq!(m, Mend::Cut(100));
        assert_eq!(after, b"{\"next\":1}\n");
    }

    #[test]
    fn whole_or_empty_files_are_left_alone() {
        assert_eq!(mended(b"", true), (Mend::Empty, b"{\"next\":1}\n".to_vec()));
        assert_eq!(
            mended(b"{\"a\":1}\n", true),
            (Mend::Whole, b"{\"a\":1}\n{\"next\":1}\n".to_vec())
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_back_gets_a_line_break_first() {
        let (m, after) = mended(b"{\"a\":1}\n{\"torn", false);
        assert_eq!(m, Mend::Newline);
        assert_eq!(after, b"{\"a\":1}\n{\"torn\n{\"next\":1}\n");
    }
}
