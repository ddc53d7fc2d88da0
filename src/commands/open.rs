//! `auditui open FILE...`: the TUI over saved files and archive files, with no network at all.

use std::process::ExitCode;

use anyhow::Context;

use crate::app::run::run as run_app;
use crate::cli::{Cli, OpenArgs};
use crate::sanitize::clean;

/// Bad lines printed one by one after the TUI closes, before only a count is given.
const PRINTED: usize = 20;

pub async fn run(cli: &Cli, args: &OpenArgs) -> anyhow::Result<ExitCode> {
    // A file that cannot be read is reported before the screen is taken.
    for path in &args.files {
        std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", clean(&path.display().to_string())))?;
    }
    super::require_terminal()?;
    crate::logging::init(cli.log_file.as_deref());
    let export =
        super::live::TuiExport::resolve(&args.export, cli.api.config.as_deref(), cli.color)?;
    let label = match args.files.as_slice() {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    };
    let mut state = super::live::new_state(&export, &label);
    if let Some(name) = &args.case.name {
        super::attach_case(&mut state, name, None)?;
    }
    let files = args.files.clone();
    let finished = run_app(state, async move { crate::open::spawn(files) }).await?;
    if let Some(opened) = &finished.state.opened
        && opened.progress.bad > 0
    {
        eprintln!(
            "auditui: {} lines were not entries and were skipped:",
            opened.progress.bad
        );
        for line in opened.bad.iter().take(PRINTED) {
            eprintln!("  {line}");
        }
        if opened.progress.bad > PRINTED as u64 {
            eprintln!(
                "  ... and {} more (listed in the log)",
                opened.progress.bad - PRINTED as u64
            );
        }
    }
    super::report_unsaved(finished.unsaved.as_deref())
}
