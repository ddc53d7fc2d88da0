//! `auditui doctor`.

use std::process::ExitCode;

use crate::cli::Cli;

pub async fn run(_cli: &Cli) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`doctor` is not built yet")
}
