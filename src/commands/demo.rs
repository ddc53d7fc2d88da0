//! `auditui demo`.

use std::process::ExitCode;

use crate::cli::{Cli, DemoArgs};

pub async fn run(_cli: &Cli, _args: &DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`demo` is not built yet")
}
