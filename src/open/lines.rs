//! JSON lines read in blocks cut at line ends. One thread reads; a worker per core parses whole blocks,
//! each into a store of its own; the reading thread hands the parsed blocks to the app loop in file
//! order. No block waits for another to be parsed, so every core stays busy while the app loop merges.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::{BadLine, Cancelled, Loader, bad};
use crate::entry::Malformed;
use crate::store::Store;
use crate::store::load::load_block;

/// The first block: small, so the first rows are on screen at once.
const FIRST_BLOCK: usize = 256 * 1024;
/// Later blocks: large enough that each costs the app loop one merge, not thousands; small enough that
/// the blocks in flight stay a few MiB (8 MiB blocks measured 10-15 MiB more peak resident memory).
const BLOCK: usize = 4 * 1024 * 1024;

/// A block to parse, and where to say what it held.
struct Job {
    bytes: Vec<u8>,
    done: SyncSender<Parsed>,
}

/// A parsed block: its entries, its bad lines (numbered from 1 within the block), how many lines it
/// held, and its bytes (given back to be read into again).
struct Parsed {
    block: Store,
    malformed: Vec<Malformed>,
    lines: u64,
    bytes: Vec<u8>,
}

pub(super) fn read(loader: &mut Loader, path: &Path) -> Result<(), Cancelled> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) => {
            let bad_lines = vec![bad(path, 0, format!("cannot read: {err}"))];
            return loader.send(Store::new(), bad_lines, 0);
        }
    };
    let workers = loader.threads.max(1);
    let (jobs, queue) = sync_channel::<Job>(workers);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = &queue;
            scope.spawn(move || parse_jobs(queue));
        }
        // Dropping `jobs` on the way out ends the workers.
        Reading::new(file, path, jobs, workers).run(loader)
    })
}

/// A worker: parses blocks until the reading ends.
fn parse_jobs(queue: &Mutex<Receiver<Job>>) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(Job { bytes, done }) = next else {
            return;
        };
        let (block, malformed, lines) = load_block(&bytes);
        let parsed = Parsed {
            block,
            malformed,
            lines,
            bytes,
        };
        if done.send(parsed).is_err() {
            return;
        }
    }
}

/// The reading side: cuts the file into blocks, hands them out, and passes what comes back on in order.
struct Reading<'p> {
    file: File,
    path: &'p Path,
    jobs: SyncSender<Job>,
    /// Blocks handed out, oldest first, each with its size.
    pending: VecDeque<(Receiver<Parsed>, u64)>,
    /// Blocks handed out at most at once: one queued for each worker besides the one it parses.
    most_pending: usize,
    /// Buffers given back, to be read into again.
    spare: Vec<Vec<u8>>,
    lines_before: u64,
    /// The read failed: said with the last block.
    error: Option<std::io::Error>,
}

impl<'p> Reading<'p> {
    fn new(file: File, path: &'p Path, jobs: SyncSender<Job>, workers: usize) -> Self {
        Reading {
            file,
            path,
            jobs,
            pending: VecDeque::new(),
            most_pending: workers + 1,
            spare: Vec::new(),
            lines_before: 0,
            error: None,
        }
    }

    fn run(mut self, loader: &mut Loader) -> Result<(), Cancelled> {
        let mut carry: Vec<u8> = Vec::new();
        let mut want = FIRST_BLOCK;
        loop {
            let mut buf = self.spare.pop().unwrap_or_default();
            buf.clear();
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
        while !self.pending.is_empty() {
            self.pass_on(loader, true)?;
        }
        Ok(())
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
        let (done, parsed) = sync_channel(1);
        if self.jobs.send(Job { bytes, done }).is_err() {
            // The workers are gone (a panic): nothing more can be parsed.
            return Err(Cancelled);
        }
        self.pending.push_back((parsed, size));
        while !self.pending.is_empty() {
            let full = self.pending.len() >= self.most_pending;
            if !self.pass_on(loader, full)? {
                break;
            }
        }
        Ok(())
    }

    /// Passes the oldest block on to the app loop once it is parsed (waiting for it when `wait`);
    /// whether one was passed on.
    fn pass_on(&mut self, loader: &mut Loader, wait: bool) -> Result<bool, Cancelled> {
        let Some((parsed, size)) = self.pending.front() else {
            return Ok(false);
        };
        let size = *size;
        let parsed = if wait {
            parsed.recv().map_err(|_| Cancelled)?
        } else {
            match parsed.try_recv() {
                Ok(parsed) => parsed,
                Err(std::sync::mpsc::TryRecvError::Empty) => return Ok(false),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return Err(Cancelled),
            }
        };
        self.pending.pop_front();
        let Parsed {
            block,
            malformed,
            lines,
            bytes,
        } = parsed;
        self.spare.push(bytes);
        let before = self.lines_before;
        self.lines_before += lines;
        let mut bad_lines: Vec<BadLine> = malformed
            .into_iter()
            .map(|m| bad(self.path, before + m.line, m.reason))
            .collect();
        if self.pending.is_empty()
            && let Some(err) = self.error.take()
        {
            bad_lines.push(bad(self.path, 0, format!("reading stopped: {err}")));
        }
        loader.send(block, bad_lines, size)?;
        Ok(true)
    }
}
