//! `auditui query`: filter saved entries from files or standard input.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, QueryArgs, QueryFormat};
use crate::commands::query_archive;
use crate::commands::query_counts::{CountBy, write_counts};
use crate::entry::Record;
use crate::export;
use crate::query::Query;
use crate::query::scan::{Output, scan};
use crate::sanitize::{ScreenSafe, clean, clean_truncated};
use crate::store::load::load_lines;
use crate::store::{Store, View};

/// Malformed lines listed one by one before only a count is given.
const LISTED: usize = 20;

pub async fn run(_cli: &Cli, args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let now = crate::clock::now();
    let text = args.filter.as_deref().unwrap_or("");
    let marked = match &args.case {
        Some(name) => match crate::case::find(name, args.archive.as_deref())? {
            Some((_, case)) => case.marks.keys().copied().collect(),
            None => {
                anyhow::bail!("--case: no stored case {name} (auditui case list shows the cases)")
            }
        },
        None => std::collections::BTreeSet::new(),
    };
    let query = match Query::parse(text, now) {
        Ok(query) => query.with_marked(std::sync::Arc::new(marked)),
        Err(err) => {
            eprintln!("auditui: --filter: {err}");
            eprintln!("  {}", clean_truncated(text, 200));
            eprintln!("  {}^", " ".repeat(err.column.saturating_sub(1)));
            return Ok(ExitCode::from(2));
        }
    };
    let output = match args.format {
        QueryFormat::Jsonl => Output::Jsonl,
        QueryFormat::Csv => Output::Csv,
        QueryFormat::Count => Output::Count,
        QueryFormat::Ocsf | QueryFormat::Ecs | QueryFormat::Timesketch => {
            Output::Mapped(args.format.entry_format().expect("an entry format"))
        }
        QueryFormat::Counts => Output::Jsonl,
    };
    let by = match args.format {
        QueryFormat::Counts => args.by.clone(),
        _ => None,
    };
    // The scan is CPU-bound and uses its own threads: keep it off the async workers.
    let files = args.files.clone();
    let archive = args.archive.clone();
    tokio::task::spawn_blocking(move || match archive {
        Some(archive) => run_archive(&archive, &query, output, by.as_ref()),
        None => run_blocking(&files, &query, output, by.as_ref()),
    })
    .await?
}

/// `query --archive`: a count the indexes answer is printed at once; otherwise the entries the indexes
/// select are scanned as one JSON-lines input would be.
fn run_archive(
    path: &std::path::Path,
    query: &Query,
    output: Output,
    by: Option<&CountBy>,
) -> anyhow::Result<ExitCode> {
    if output == Output::Count
        && by.is_none()
        && let Some(count) = query_archive::indexed_count(path, query)?
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{count}")?;
        stdout.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let (lines, reader) = query_archive::selected_lines(path, query)?;
    let code = run_inputs(
        vec![(
            clean(&path.display().to_string()).into_owned(),
            Box::new(lines),
        )],
        false,
        query,
        output,
        by,
    )?;
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the archive reader stopped"))??;
    Ok(code)
}

fn run_blocking(
    files: &[std::path::PathBuf],
    query: &Query,
    output: Output,
    by: Option<&CountBy>,
) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<(String, Box<dyn Read + Send>)> = Vec::new();
    for path in files {
        let raw_name = path.display().to_string();
        // A file name is quoted on stderr and may hold control characters.
        let name = clean(&raw_name).into_owned();
        let input: Box<dyn Read + Send> = if raw_name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path).with_context(|| format!("cannot open {name}"))?)
        };
        inputs.push((name, input));
    }
    run_inputs(inputs, files.len() > 1, query, output, by)
}

/// Scans each input (named for messages) through the query. `several` inputs may repeat and interleave
/// entries.
fn run_inputs(
    inputs: Vec<(String, Box<dyn Read + Send>)>,
    several: bool,
    query: &Query,
    output: Output,
    by: Option<&CountBy>,
) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    // Matches are data for a pipe, but entries are hostile: a terminal gets their controls escaped.
    let on_terminal = stdout.is_terminal();
    let mut stdout = BufWriter::with_capacity(1 << 20, ScreenSafe::new(stdout.lock(), on_terminal));
    // Counts, and terms that depend on the entries before each one (`new:ip`), need every entry in
    // order in a store: the scan then gathers all entries, and the store filters them.
    let in_store = by.is_some() || query.uses_history();
    // Several files may repeat and interleave entries: their matches are gathered into a store, which
    // keeps each once, in id order.
    let merged = !in_store && several;
    let everything = Query::default();
    let (scan_query, scan_output) = if in_store {
        (&everything, Output::Jsonl)
    } else if merged {
        (query, Output::Jsonl)
    } else {
        (query, output)
    };
    let mut gathered = Vec::new();
    let out: &mut dyn Write = if in_store || merged {
        &mut gathered
    } else {
        &mut stdout
    };
    let mut out = out;
    if scan_output == Output::Csv {
        export::write_csv_header(&mut out)?;
    }
    let mut matched = 0u64;
    let mut malformed = 0usize;
    for (name, input) in inputs {
        let report = scan(input, scan_query, scan_output, &mut out)
            .with_context(|| format!("cannot read {name}"))?;
        matched += report.matched;
        for bad in report
            .malformed
            .iter()
            .take(LISTED.saturating_sub(malformed))
        {
            eprintln!(
                "auditui: {name}:{}: skipped, {}",
                bad.line,
                clean_truncated(&bad.reason, 200)
            );
        }
        if report.malformed.len() > LISTED {
            eprintln!(
                "auditui: {name}: {} malformed lines skipped in all",
                report.malformed.len()
            );
        }
        malformed += report.malformed.len();
    }
    if merged {
        write_merged(&gathered, query, output, &mut stdout)?;
    } else if in_store {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let (store, _) = load_lines(&gathered, threads);
        let view = View::new(&store, query);
        match by {
            Some(by) => write_counts(&store, &view, by, &mut stdout)?,
            None => write_view(&store, &view, output, &mut stdout)?,
        }
    } else if output == Output::Count {
        writeln!(out, "{matched}")?;
    }
    stdout.flush()?;
    if malformed > 0 {
        eprintln!(
            "auditui: {malformed} malformed entries skipped (listed above with their line numbers)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The matches of several files (JSON lines as the scan wrote them), each entry once (its first
/// spelling), in id order: JSON lines are written unchanged, other formats from a store.
fn write_merged(
    gathered: &[u8],
    query: &Query,
    output: Output,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut lines: Vec<(u128, &[u8])> = gathered
        .split(|&b| b == b'\n')
        .filter_map(|line| Record::parse_line(line).ok().map(|r| (r.id, line)))
        .collect();
    // Stable: of two spellings of one entry, the first file's is kept.
    lines.sort_by_key(|&(id, _)| id);
    lines.dedup_by_key(|&mut (id, _)| id);
    match output {
        Output::Jsonl => {
            for (_, line) in lines {
                out.write_all(line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Output::Count => writeln!(out, "{}", lines.len()),
        Output::Csv | Output::Mapped(_) => {
            let mut text = Vec::with_capacity(gathered.len());
            for (_, line) in lines {
                text.extend_from_slice(line);
                text.push(b'\n');
            }
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
            let (store, _) = load_lines(&text, threads);
            write_view(&store, &View::new(&store, query), output, out)
        }
    }
}

/// The entries of a view filtered in a store, in id order (JSON lines are written back whole, keys in
/// the API's order).
fn write_view(store: &Store, view: &View, output: Output, out: &mut impl Write) -> io::Result<()> {
    match output {
        Output::Count => writeln!(out, "{}", view.len()),
        Output::Csv => {
            export::write_csv_header(out)?;
            for &i in view.indices() {
                export::write_csv_row(out, &store.get(i).row())?;
            }
            Ok(())
        }
        Output::Jsonl => {
            for &i in view.indices() {
                writeln!(out, "{}", store.get(i).json_line())?;
            }
            Ok(())
        }
        Output::Mapped(format) => {
            crate::formats::write_header(out, format)?;
            for &i in view.indices() {
                let entry = store.get(i);
                crate::formats::write_entry(out, format, &entry.row(), &entry.json_line())?;
            }
            Ok(())
        }
    }
}
