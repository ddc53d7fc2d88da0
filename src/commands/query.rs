//! `auditui query`.

use std::process::ExitCode;

use crate::cli::{Cli, QueryArgs};

pub async fn run(_cli: &Cli, _args: &QueryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`query` is not built yet")
}
