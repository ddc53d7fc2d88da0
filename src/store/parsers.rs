//! Blocks of JSON lines parsed by a worker per core and given back in the order they were handed out.
//! The thread that reads (a file, an archive) hands out a block and goes on reading while the workers
//! parse; at most one block waits for each worker besides the one it parses, so memory stays a few
//! blocks whatever the input's size, and the buffers come back to be filled again.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use super::Store;
use super::load::load_block;
use crate::entry::Malformed;

/// A block of JSON lines, parsed: its entries, its bad lines (numbered from 1 within the block) and how
/// many line ends it held.
pub struct Parsed {
    pub block: Store,
    pub malformed: Vec<Malformed>,
    pub lines: u64,
}

/// A worker stopped (it panicked): what it held cannot be given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLost;

/// A parsed block and its buffer, to be filled again.
type Done = (Parsed, Vec<u8>);

struct Job {
    bytes: Vec<u8>,
    done: SyncSender<Done>,
}

/// The handing-out side; each block goes with a `T` of the caller's (what it covers of the input).
pub struct Parsers<T> {
    jobs: SyncSender<Job>,
    pending: VecDeque<(Receiver<Done>, T)>,
    most_pending: usize,
    spare: Vec<Vec<u8>>,
}

/// Runs `work` with `workers` parsing threads (at least one), which end when it returns.
pub fn with_parsers<T, R>(workers: usize, work: impl FnOnce(&mut Parsers<T>) -> R) -> R {
    let workers = workers.max(1);
    let (jobs, queue) = sync_channel::<Job>(workers);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = &queue;
            scope.spawn(move || parse_jobs(queue));
        }
        let mut parsers = Parsers {
            jobs,
            pending: VecDeque::new(),
            most_pending: workers + 1,
            spare: Vec::new(),
        };
        let result = work(&mut parsers);
        // Closing the queue ends the workers, which the scope then waits for.
        drop(parsers);
        result
    })
}

fn parse_jobs(queue: &Mutex<Receiver<Job>>) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(Job { bytes, done }) = next else {
            return;
        };
        if done.send((parse(&bytes), bytes)).is_err() {
            return;
        }
    }
}

fn parse(bytes: &[u8]) -> Parsed {
    let (block, malformed, lines) = load_block(bytes);
    Parsed {
        block,
        malformed,
        lines,
    }
}

impl<T> Parsers<T> {
    /// An empty buffer to fill with the next block (one given back, when there is one).
    pub fn buffer(&mut self) -> Vec<u8> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf
    }

    /// Hands a block of JSON lines to the workers. Should every worker be gone, it is parsed here.
    pub fn hand_out(&mut self, bytes: Vec<u8>, tag: T) {
        let (done, parsed) = sync_channel(1);
        if let Err(std::sync::mpsc::SendError(Job { bytes, done })) =
            self.jobs.send(Job { bytes, done })
        {
            // The channel has room for it: it is this block's own.
            let _ = done.send((parse(&bytes), bytes));
        }
        self.pending.push_back((parsed, tag));
    }

    /// The oldest block handed out, once it is parsed: without waiting, unless as many blocks are out
    /// as may be (then a reader that hands out after each call never runs ahead of the workers).
    pub fn ready(&mut self) -> Result<Option<(Parsed, T)>, WorkerLost> {
        let full = self.pending.len() >= self.most_pending;
        self.take(full)
    }

    /// The oldest block handed out, waiting until it is parsed; `None` when none is out.
    pub fn wait(&mut self) -> Result<Option<(Parsed, T)>, WorkerLost> {
        self.take(true)
    }

    fn take(&mut self, wait: bool) -> Result<Option<(Parsed, T)>, WorkerLost> {
        let Some((parsed, _)) = self.pending.front() else {
            return Ok(None);
        };
        let (parsed, bytes) = if wait {
            parsed.recv().map_err(|_| WorkerLost)?
        } else {
            match parsed.try_recv() {
                Ok(parsed) => parsed,
                Err(TryRecvError::Empty) => return Ok(None),
                Err(TryRecvError::Disconnected) => return Err(WorkerLost),
            }
        };
        let (_, tag) = self.pending.pop_front().ok_or(WorkerLost)?;
        self.spare.push(bytes);
        Ok(Some((parsed, tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{BENCH_END, Generator};

    /// `n` generated entries from the `from`-th on, as JSON lines (the generator's deliberately broken
    /// lines left out).
    fn lines(from: usize, n: usize) -> Vec<u8> {
        let mut generator = Generator::new(7, 8_000, 24, BENCH_END);
        let mut out = Vec::new();
        let good = std::iter::from_fn(|| Some(generator.next_line()))
            .filter(|line| crate::entry::Entry::parse(line).is_ok());
        for line in good.skip(from).take(n) {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn blocks_come_back_in_the_order_handed_out_whatever_their_sizes() {
        // Sizes that finish out of order: a large block first, then small ones.
        let sizes = [3_000, 10, 1, 700, 0, 2_000, 5, 5, 300];
        let mut got = Vec::new();
        with_parsers(3, |parsers: &mut Parsers<usize>| {
            let mut from = 0;
            for (k, &n) in sizes.iter().enumerate() {
                let mut buf = parsers.buffer();
                buf.extend_from_slice(&lines(from, n));
                from += n;
                parsers.hand_out(buf, k);
                while let Some((parsed, k)) = parsers.ready().unwrap() {
                    got.push((k, parsed.block.len(), parsed.lines));
                }
                assert!(parsers.pending.len() <= parsers.most_pending);
            }
            while let Some((parsed, k)) = parsers.wait().unwrap() {
                got.push((k, parsed.block.len(), parsed.lines));
            }
        });
        let want: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(k, &n)| (k, n, n as u64))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_block_handed_out_after_the_workers_are_gone_is_parsed_all_the_same() {
        with_parsers(1, |parsers: &mut Parsers<()>| {
            // Stand-in for workers that stopped: a queue nobody reads.
            let (jobs, queue) = sync_channel::<Job>(1);
            drop(queue);
            parsers.jobs = jobs;
            parsers.hand_out(lines(0, 50), ());
            let (parsed, ()) = parsers.wait().unwrap().expect("the block");
            assert_eq!(parsed.block.len(), 50);
            assert!(parsers.wait().unwrap().is_none());
        });
    }
}
