use std::process::ExitCode;

use auditui::cli::{Cli, Command};
use auditui::commands;
use auditui::sanitize::clean;

fn main() -> ExitCode {
    auditui::terminal::install_safe_panic_hook();
    let cli = Cli::parse_args();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("auditui: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            None => commands::live::run(&cli).await,
            Some(Command::Demo(args)) => commands::demo::run(&cli, args).await,
            Some(Command::Simulate(args)) => commands::simulate::run(&cli, args).await,
            Some(Command::Tail(args)) => commands::tail::run(&cli, args).await,
            Some(Command::Query(args)) => commands::query::run(&cli, args).await,
            Some(Command::Open(args)) => commands::open::run(&cli, args).await,
            Some(Command::Doctor(_)) => commands::doctor::run(&cli).await,
            Some(Command::Completions(args)) => {
                commands::shell::to_stdout(|out| commands::shell::completions(args, out))
            }
            Some(Command::Man) => commands::shell::to_stdout(|out| commands::shell::man(out)),
            Some(Command::Evidence(args)) => commands::evidence::run(&cli, args).await,
            Some(Command::Verify(args)) => commands::verify::run(args),
            Some(Command::Sync(args)) => commands::sync::run(&cli, args).await,
            Some(Command::Archive(args)) => commands::archive::run(&cli, args),
            Some(Command::Case(args)) => commands::case::run(args),
        }
    });
    match result {
        Ok(code) => code,
        // `auditui query ... | head`: the reader has what it wanted.
        Err(err) if commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // The chain may quote untrusted text (file names, server answers): show it, never run it.
            eprintln!("auditui: {}", clean(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}
