//! `auditui tail`.

use std::process::ExitCode;

use crate::cli::{Cli, TailArgs};

pub async fn run(_cli: &Cli, _args: &TailArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tail` is not built yet")
}
