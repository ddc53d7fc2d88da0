//! `auditui simulate`.

use std::process::ExitCode;

use crate::cli::{Cli, SimulateArgs};

pub async fn run(_cli: &Cli, _args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`simulate` is not built yet")
}
