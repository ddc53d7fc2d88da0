//! `auditui demo`: the simulator in-process on a free loopback port, and the TUI on it.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, DemoArgs};
use crate::config::{Connection, Token};
use crate::simulator::{self, SimConfig};

pub async fn run(cli: &Cli, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    super::require_terminal()?;
    crate::logging::init(cli.log_file.as_deref());
    // A fresh token each run: the simulator listens on loopback only, but nothing else should use it.
    let token = format!("demo-{:032x}", rand::random::<u128>());
    let config = SimConfig::from_knobs(&args.sim, token.clone()).map_err(anyhow::Error::msg)?;
    let handle = simulator::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .context("cannot start the simulator on a loopback port")?;
    let export = super::live::TuiExport::resolve(&args.export, None, cli.color)?;
    let connection = Connection {
        base_url: handle.base_url(),
        token: Token::new(token)?,
    };
    // The demo never writes a real archive: it keeps one of its own.
    let archive = match (&args.archive.path, args.archive.no_archive) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => dirs::data_dir().map(|d| d.join("auditui").join("demo.sqlite")),
    };
    if args.reset_archive
        && let Some(path) = &archive
    {
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => anyhow::bail!("cannot reset the demo archive {}: {e}", file.display()),
            }
        }
    }
    let outcome = super::live::watch(
        connection,
        &args.watch,
        &export,
        "demo (simulator)",
        archive,
        args.case.name.as_deref(),
    )
    .await;
    handle.shutdown().await;
    outcome
}
