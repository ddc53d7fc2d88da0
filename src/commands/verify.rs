//! `auditui verify DIR`: checks an evidence bundle and lists every difference, one a line.

use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::evidence::verify::verify;
use crate::sanitize::clean;

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let report = verify(&args.dir)?;
    let dir = args.dir.display().to_string();
    let dir = clean(&dir);
    for finding in &report.findings {
        println!("{finding}");
    }
    if report.is_intact() {
        println!(
            "{dir}: intact ({} files match their SHA-256 and the manifest)",
            report.intact.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "auditui: {dir}: {} difference(s) from the bundle as written",
            report.findings.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
