//! `auditui query`: filter saved entries from files or standard input.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, QueryArgs, QueryFormat};
use crate::export;
use crate::query::Query;
use crate::query::scan::{Output, scan};
use crate::sanitize::{ScreenSafe, clean, clean_truncated};

/// Malformed lines listed one by one before only a count is given.
const LISTED: usize = 20;

pub async fn run(_cli: &Cli, args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let now = crate::clock::now();
    let text = args.filter.as_deref().unwrap_or("");
    let query = match Query::parse(text, now) {
        Ok(query) => query,
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
    };
    // The scan is CPU-bound and uses its own threads: keep it off the async workers.
    let files = args.files.clone();
    tokio::task::spawn_blocking(move || run_blocking(&files, &query, output)).await?
}

fn run_blocking(
    files: &[std::path::PathBuf],
    query: &Query,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    // Matches are data for a pipe, but entries are hostile: a terminal gets their controls escaped.
    let on_terminal = stdout.is_terminal();
    let mut out = BufWriter::with_capacity(1 << 20, ScreenSafe::new(stdout.lock(), on_terminal));
    if output == Output::Csv {
        export::write_csv_header(&mut out)?;
    }
    let mut matched = 0u64;
    let mut malformed = 0usize;
    for path in files {
        let raw_name = path.display().to_string();
        // A file name is quoted on stderr and may hold control characters.
        let name = clean(&raw_name);
        let input: Box<dyn Read + Send> = if raw_name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path).with_context(|| format!("cannot open {name}"))?)
        };
        let report =
            scan(input, query, output, &mut out).with_context(|| format!("cannot read {name}"))?;
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
    if output == Output::Count {
        writeln!(out, "{matched}")?;
    }
    out.flush()?;
    if malformed > 0 {
        eprintln!(
            "auditui: {malformed} malformed entries skipped (listed above with their line numbers)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
