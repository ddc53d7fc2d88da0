//! JSON lines read in blocks cut at line ends: each block parsed on every core into a store of its own.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{BadLine, Cancelled, Loader, bad};
use crate::store::load::load_lines;

/// The first block: small, so the first rows are on screen at once.
const FIRST_BLOCK: usize = 256 * 1024;
/// Later blocks: large enough that each costs the app loop one merge, not thousands.
const BLOCK: usize = 8 * 1024 * 1024;

pub(super) fn read(loader: &mut Loader, path: &Path) -> Result<(), Cancelled> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) => {
            let bad_lines = vec![bad(path, 0, format!("cannot read: {err}"))];
            return loader.send(crate::store::Store::new(), bad_lines, 0);
        }
    };
    let mut carry: Vec<u8> = Vec::new();
    let mut lines_before = 0u64;
    let mut want = FIRST_BLOCK;
    loop {
        let mut buf = std::mem::take(&mut carry);
        let start = buf.len();
        buf.resize(start + want, 0);
        let mut filled = start;
        let mut error = None;
        while filled < buf.len() {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let at_end = filled < buf.len();
        buf.truncate(filled);
        let read_now = (filled - start) as u64;
        // A block ends at its last line end; the rest of the line starts the next block.
        let cut = if at_end {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)
        };
        if cut == 0 && !at_end {
            // One line longer than a block: read on until it ends.
            carry = buf;
            want = BLOCK;
            continue;
        }
        carry = buf[cut..].to_vec();
        buf.truncate(cut);
        let (block, malformed) = load_lines(&buf, loader.threads);
        let mut bad_lines: Vec<BadLine> = malformed
            .into_iter()
            .map(|m| bad(path, lines_before + m.line, m.reason))
            .collect();
        lines_before += memchr::memchr_iter(b'\n', &buf).count() as u64;
        if let Some(err) = &error {
            bad_lines.push(bad(path, 0, format!("reading stopped: {err}")));
        }
        drop(buf);
        loader.send(block, bad_lines, read_now)?;
        if at_end {
            return Ok(());
        }
        want = BLOCK;
    }
}
