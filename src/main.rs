use std::process::ExitCode;

use clap::Parser;

use auditui::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("auditui: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => Err(anyhow::anyhow!("the live TUI is not built yet")),
            Some(Command::Demo(_)) => Err(anyhow::anyhow!("demo is not built yet")),
            Some(Command::Simulate(_)) => Err(anyhow::anyhow!("simulate is not built yet")),
            Some(Command::Tail(_)) => Err(anyhow::anyhow!("tail is not built yet")),
            Some(Command::Query(_)) => Err(anyhow::anyhow!("query is not built yet")),
            Some(Command::Doctor) => Err(anyhow::anyhow!("doctor is not built yet")),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("auditui: {err:#}");
            ExitCode::FAILURE
        }
    }
}
