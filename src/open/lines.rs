//! JSON lines read in blocks cut at line ends. One thread reads; a worker per core parses whole blocks,
//! each into a store of its own; the reading thread hands the parsed blocks to the app loop in file
//! order. No block waits for another to be parsed, so every core stays busy while the app loop merges.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{BadLine, Cancelled, Loader, bad};
use crate::store::Store;
use crate::store::parsers::{Parsed, Parsers, with_parsers};

/// The first block: small, so the first rows are on screen at once.
const FIRST_BLOCK: usize = 256 * 1024;
/// Later blocks: large enough that each costs the app loop one merge, not thousands; small enough that
/// the blocks in flight stay a few MiB (8 MiB blocks measured 10-15 MiB more peak resident memory).
const BLOCK: usize = 4 * 1024 * 1024;

pub(super) fn read(loader: &mut Loader, path: &Path) -> Result<(), Cancelled> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) => {
            let bad_lines = vec![bad(path, 0, format!("cannot read: {err}"))];
            return loader.send(Store::new(), bad_lines, 0);
        }
    };
    with_parsers(loader.threads, |parsers| {
        Reading {
            file,
            path,
            parsers,
            lines_before: 0,
            error: None,
        }
        .run(loader)
    })
}

/// The reading side: cuts the file into blocks, hands them out, and passes what comes back on in order.
struct Reading<'p, 'q> {
    file: File,
    path: &'p Path,
    /// Each block handed out goes with its size in bytes.
    parsers: &'q mut Parsers<u64>,
    lines_before: u64,
    /// The read failed: said after the last block.
    error: Option<std::io::Error>,
}

impl Reading<'_, '_> {
    fn run(mut self, loader: &mut Loader) -> Result<(), Cancelled> {
        let mut carry: Vec<u8> = Vec::new();
        let mut want = FIRST_BLOCK;
        loop {
            let mut buf = self.parsers.buffer();
            buf.extend_from_slice(&carry);
            carry.clear();
            let at_end = self.fill(&mut buf, want);
            // A block ends at its last line end; the rest of the line starts the next block.
            let cut = if at_end {
                buf.len()
            } else {
                memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)
            };
            want = BLOCK;
            if cut == 0 && !at_end {
                // One line longer than a block: read on until it ends.
                carry = buf;
                continue;
            }
            carry.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            self.hand_out(buf, loader)?;
            if at_end {
                break;
            }
        }
        loop {
            let parsed = self.parsers.wait().map_err(|_| Cancelled)?;
            let Some((parsed, size)) = parsed else {
                break;
            };
            self.pass_on(parsed, size, loader)?;
        }
        match self.error.take() {
            Some(err) => {
                let stopped = bad(self.path, 0, format!("reading stopped: {err}"));
                loader.send(Store::new(), vec![stopped], 0)
            }
            None => Ok(()),
        }
    }

    /// Reads up to `want` more bytes onto `buf`; true at the end of the file (or a read error).
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> bool {
        let goal = buf.len() + want;
        let mut reader = (&self.file).take(want as u64);
        loop {
            match reader.read_to_end(buf) {
                Ok(_) => return buf.len() < goal,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return true;
                }
            }
        }
    }

    /// Hands a block to the workers, passing on what is parsed meanwhile.
    fn hand_out(&mut self, bytes: Vec<u8>, loader: &mut Loader) -> Result<(), Cancelled> {
        let size = bytes.len() as u64;
        self.parsers.hand_out(bytes, size);
        while let Some((parsed, size)) = self.parsers.ready().map_err(|_| Cancelled)? {
            self.pass_on(parsed, size, loader)?;
        }
        Ok(())
    }

    /// Passes a parsed block on to the app loop, its lines numbered on from the blocks before.
    fn pass_on(&mut self, parsed: Parsed, size: u64, loader: &mut Loader) -> Result<(), Cancelled> {
        let Parsed {
            block,
            malformed,
            lines,
        } = parsed;
        let before = self.lines_before;
        self.lines_before += lines;
        let bad_lines: Vec<BadLine> = malformed
            .into_iter()
            .map(|m| bad(self.path, before + m.line, m.reason))
            .collect();
        loader.send(block, bad_lines, size)
    }
}
