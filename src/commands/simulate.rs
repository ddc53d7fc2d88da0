//! `auditui simulate`: serve the simulator on loopback until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, SimulateArgs};
use crate::simulator::{self, SimConfig};

pub async fn run(cli: &Cli, args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    crate::logging::init(cli.log_file.as_deref());
    let mut config =
        SimConfig::from_knobs(&args.sim, args.accept_token.clone()).map_err(anyhow::Error::msg)?;
    config.limited_token = args.limited_token.clone();
    if args.legacy_latest {
        config.latest_shape = simulator::LatestShape::BareArray;
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let handle = simulator::start(config, addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (try another --port, or 0 for any)"))?;
    // Listen for Ctrl-C before saying where we are: a signal right after the banner must stop us cleanly.
    let stop = stop_signal()?;
    let base = handle.base_url();
    // The simulator's token guards nothing: printing it is how the user learns it.
    let token = &args.accept_token;
    println!("Simulated Harvey Audit Log API on {base}");
    println!(
        "  {} entries of history; bearer token: {token}",
        handle.len()
    );
    println!("  {}", handle.storyline_hint());
    println!();
    println!("Try:");
    println!("  curl -H \"Authorization: Bearer {token}\" {base}/api/v1/logs/audit/latest");
    println!("  HARVEY_API_TOKEN={token} auditui --base-url {base} doctor");
    println!();
    println!("Ctrl-C stops it.");
    stop.await;
    eprintln!("stopping the simulator");
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C (and on SIGTERM on unix). The handlers are in place when this returns.
#[cfg(unix)]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
