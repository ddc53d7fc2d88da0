//! Ingest speed and size of the archive: generates N entries (src/generate.rs, seed 1), stores them in
//! pages of 1000 (each page and its cursor one transaction, as `sync` does), prints entries/s and bytes
//! per entry against the JSON text. `cargo run --release --example archive_ingest -- 200000 /tmp/a.sqlite`

use std::time::Instant;

use auditui::archive::{Archive, Seed};
use auditui::entry::Entry;
use auditui::generate::Generator;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let path = std::path::PathBuf::from(args.next().unwrap_or("/tmp/archive_ingest.sqlite".into()));
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut generator = Generator::new(1, count, 24, auditui::clock::now());
    let mut pages = Vec::new();
    let mut json_bytes = 0u64;
    for _ in 0..count.div_ceil(1000) {
        // The generator truncates a line now and then on purpose: left out, as sync would reject it.
        let page: Vec<Entry> = (0..1000)
            .filter_map(|_| {
                let line = generator.next_line();
                let entry = Entry::parse(&line).ok()?;
                json_bytes += line.len() as u64 + 1;
                Some(entry)
            })
            .collect();
        pages.push(page);
    }
    let mut writer = Archive::open_write(&path, "archive_ingest")?;
    writer.follow(Seed::Earliest)?;
    let started = Instant::now();
    let cpu_started = cpu_time();
    for page in &mut pages {
        page.sort_by_key(|e| e.id);
        let last = page.last().expect("a full page").id;
        writer.commit_page(page, &[], last)?;
    }
    let took = started.elapsed();
    let cpu = cpu_time() - cpu_started;
    let status = writer.archive().status()?;
    drop(writer);
    let stored = status.entries;
    println!(
        "{stored} entries in {:.2} s: {:.0} entries/s ({:.2} s on the CPU: {:.0} entries per CPU second); \
         {:.0} bytes/entry on disk vs {:.0} of JSON text ({:.2}x)",
        took.as_secs_f64(),
        stored as f64 / took.as_secs_f64(),
        cpu,
        stored as f64 / cpu,
        status.bytes_on_disk as f64 / stored as f64,
        json_bytes as f64 / stored as f64,
        status.bytes_on_disk as f64 / json_bytes as f64
    );
    Ok(())
}

/// Seconds this thread (the writer's: SQLite runs in it) has spent on a CPU, from Linux's schedstat; 0
/// elsewhere. On a shared machine the wall clock also counts the time other processes held the cores.
fn cpu_time() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}
