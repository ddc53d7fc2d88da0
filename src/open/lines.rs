//! JSON lines read in blocks cut at line ends: each block cut into one part per core, each part parsed
//! on a thread of its own into a store of its own, sent to the app loop to be absorbed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{BadLine, Cancelled, Loader, bad};
use crate::store::load::load_block;

/// The first block: small, so the first rows are on screen at once.
const FIRST_BLOCK: usize = 256 * 1024;
/// Later blocks: large enough that each costs the app loop one merge, not thousands; small enough that
/// the blocks in flight stay a few MiB (8 MiB blocks measured 10-15 MiB more peak resident memory).
const BLOCK: usize = 4 * 1024 * 1024;

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
        let parts = split_at_lines(&buf, loader.threads);
        let parsed: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts[1..]
                .iter()
                .map(|&part| scope.spawn(move || load_block(part)))
                .collect();
            let first = load_block(parts[0]);
            std::iter::once(first)
                .chain(handles.into_iter().map(|h| h.join().unwrap_or_default()))
                .collect()
        });
        let mut line_starts = Vec::with_capacity(parts.len());
        let mut sizes = Vec::with_capacity(parts.len());
        for part in &parts {
            line_starts.push(lines_before);
            lines_before += memchr::memchr_iter(b'\n', part).count() as u64;
            sizes.push(part.len() as u64);
        }
        drop(parts);
        drop(buf);
        let last = parsed.len() - 1;
        // Each part counts its own bytes; the last also what was read past the cut (the next block's).
        let mut credited = 0;
        let parts = parsed.into_iter().zip(line_starts).zip(sizes).enumerate();
        for (k, (((block, malformed), before), size)) in parts {
            let mut bad_lines: Vec<BadLine> = malformed
                .into_iter()
                .map(|m| bad(path, before + m.line, m.reason))
                .collect();
            let mut bytes = size.min(read_now - credited);
            if k == last {
                if let Some(err) = &error {
                    bad_lines.push(bad(path, 0, format!("reading stopped: {err}")));
                }
                bytes = read_now - credited;
            }
            credited += bytes;
            loader.send(block, bad_lines, bytes)?;
        }
        if at_end {
            return Ok(());
        }
        want = BLOCK;
    }
}

/// `bytes` cut at line ends into at most `n` parts of about the same size (at least one part, none empty
/// unless `bytes` is).
fn split_at_lines(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::with_capacity(n.max(1));
    let mut rest = bytes;
    for k in (1..n.max(1)).rev() {
        let want = rest.len() / (k + 1);
        let Some(end) = memchr::memchr(b'\n', &rest[want..]).map(|i| want + i + 1) else {
            break;
        };
        if end == rest.len() {
            // No line left for another part.
            break;
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::split_at_lines;

    #[test]
    fn parts_end_at_line_ends_and_hold_every_byte_once() {
        let text = b"one\ntwo two\nthree\nfour four four\nfive\n";
        for n in 1..=6 {
            let parts = split_at_lines(text, n);
            assert!(!parts.is_empty() && parts.len() <= n, "{n}: {parts:?}");
            assert_eq!(parts.concat(), text, "{n}");
            assert!(parts.iter().all(|p| p.ends_with(b"\n")), "{n}: {parts:?}");
        }
        assert_eq!(split_at_lines(text, 2).len(), 2);
        // A single line cannot be cut.
        assert_eq!(
            split_at_lines(b"only one line", 4),
            vec![&b"only one line"[..]]
        );
    }
}
