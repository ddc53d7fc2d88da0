//! Writing a bundle with the real `auditui evidence` binary from an in-process simulator.

#![allow(dead_code)] // each test file uses its own part of the helpers

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use auditui::simulator::{self, SimConfig, SimHandle};

/// A token no file of a bundle may hold.
pub const TOKEN: &str = "evidence-test-token-6c1f0a";

pub const BUNDLE_FILES: [&str; 7] = [
    "entries.jsonl",
    "entries.csv",
    "timeline.md",
    "timeline.html",
    "timeline.jsonl",
    "manifest.json",
    "SHA256SUMS",
];

/// A simulator with an hour of history (the incident and the hostile entries lie in it).
pub async fn start_simulator() -> SimHandle {
    let config = SimConfig {
        history: Duration::from_secs(3600),
        accept_token: TOKEN.into(),
        rate_limit_per_min: 0,
        ..SimConfig::default()
    };
    simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

pub fn auditui() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_auditui"));
    command.env_remove("HARVEY_API_TOKEN").kill_on_drop(true);
    command
}

/// Runs `auditui evidence` against the simulator; the bundle goes to `dir/name`.
pub async fn write_bundle(sim: &SimHandle, dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        auditui()
            .arg("evidence")
            .args(["--base-url", &sim.base_url(), "--log-file"])
            .arg(dir.join(format!("{name}.log")))
            .args(args)
            .arg("-o")
            .arg(&out)
            .env("HARVEY_API_TOKEN", TOKEN)
            .output(),
    )
    .await
    .expect("evidence finishes")
    .expect("auditui runs");
    assert!(
        output.status.success(),
        "evidence failed: {}",
        text(&output.stderr)
    );
    out
}

pub async fn verify(dir: &Path) -> Output {
    auditui()
        .arg("verify")
        .arg(dir)
        .output()
        .await
        .expect("auditui runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of a bundle directory, to damage.
pub fn copy_bundle(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        std::fs::copy(item.path(), to.join(item.file_name())).unwrap();
    }
}
