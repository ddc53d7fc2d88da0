//! One module per subcommand: each turns parsed arguments into a run of the library parts.

pub mod archive;
pub mod case;
pub mod demo;
pub mod doctor;
pub mod evidence;
pub mod live;
pub mod open;
pub mod query;
pub mod query_archive;
pub mod query_counts;
pub mod shell;
pub mod simulate;
pub mod sync;
pub mod tail;
pub mod verify;

/// Whether `err` is, at its root, a write to a reader that went away (`auditui query ... | head`): the
/// reader has all it wanted, so the run ends quietly with success.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The TUI needs a terminal on stdin and stdout; without one, say so and point to the headless commands.
pub fn require_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(
        "the TUI needs a terminal (stdin and stdout); for scripts and pipes use `auditui tail` \
         (stream entries) or `auditui query FILE` (filter saved ones)"
    )
}

/// Opens the case `name` (where the TUI keeps it: in `archive` when the TUI reads one, else the cases
/// file of the data directory) and restores it into `state`; the state then saves it as it changes.
pub fn attach_case(
    state: &mut crate::app::state::State,
    name: &str,
    archive: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::case::{CaseStore, Kind};
    let (path, kind) = match archive {
        Some(path) => (path.to_owned(), Kind::Archive),
        None => (
            crate::case::standalone_path()
                .ok_or_else(|| anyhow::anyhow!("no data directory to keep the case in"))?,
            Kind::Standalone,
        ),
    };
    let store = CaseStore::open(&path, kind)?;
    if let Some(case) = store.load(name)? {
        state.restore_case(&case);
    }
    state.case = Some(crate::app::state::CaseLink {
        name: name.to_owned(),
        store: path,
        kind,
    });
    Ok(())
}

/// After the TUI: says (on the restored terminal) that the case's last change was lost, and fails.
pub fn report_unsaved(unsaved: Option<&str>) -> anyhow::Result<std::process::ExitCode> {
    match unsaved {
        Some(why) => anyhow::bail!("{why}"),
        None => Ok(std::process::ExitCode::SUCCESS),
    }
}
