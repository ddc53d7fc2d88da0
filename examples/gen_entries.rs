//! Writes a realistic set of audit entries as JSON lines, for benchmarks and end-to-end comparisons.
//!
//! cargo run --release --example gen_entries -- COUNT OUT.jsonl [HOURS] [SEED]

use std::fs::File;
use std::io::BufWriter;

use auditui::generate::{BENCH_END, Generator};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_entries COUNT OUT.jsonl [HOURS (default 168)] [SEED (default 1)]");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let hours: u64 = args
        .get(2)
        .map_or(168, |h| h.parse().expect("HOURS is a number"));
    let seed: u64 = args
        .get(3)
        .map_or(1, |s| s.parse().expect("SEED is a number"));
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    Generator::new(seed, count, hours, BENCH_END).write_lines(&mut out, count)?;
    Ok(())
}
