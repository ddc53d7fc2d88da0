//! `auditui completions SHELL` and `auditui man`: what a packager or a user installs once.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn completions(args: &CompletionsArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "auditui", out);
    Ok(ExitCode::SUCCESS)
}

pub fn man(out: &mut impl Write) -> anyhow::Result<ExitCode> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes with `write`, to stdout; a reader that went away (`| head`) ends the run quietly.
pub fn to_stdout(
    write: impl FnOnce(&mut io::StdoutLock<'_>) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match write(&mut lock).and_then(|code| lock.flush().map(|()| code).map_err(Into::into)) {
        Err(err) if super::is_broken_pipe(&err) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_the_subcommands_and_their_options() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            completions(&CompletionsArgs { shell }, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            for word in ["tail", "query", "doctor", "since", "format", "ocsf"] {
                assert!(text.contains(word), "{shell:?} completion lacks {word}");
            }
        }
    }

    #[test]
    fn the_manual_page_is_roff_naming_the_subcommands() {
        let mut out = Vec::new();
        man(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH auditui"),
            "{}",
            &text[..80]
        );
        for word in ["tail", "query", "doctor", "demo"] {
            assert!(text.contains(word), "man page lacks {word}");
        }
    }
}
