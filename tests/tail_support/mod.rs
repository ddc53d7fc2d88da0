//! Running the real `auditui tail` binary against an in-process simulator.

#![allow(dead_code)] // each test file uses its own part of the helpers

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use auditui::simulator::{self, DEMO_TOKEN, SimConfig, SimHandle};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub const AUDIT_PATH: &str = "/api/v1/logs/audit";

pub async fn start_simulator(config: SimConfig) -> SimHandle {
    simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

/// A running `auditui tail`, its stdout read line by line as it comes.
pub struct Tail {
    child: Child,
    /// Holds the tail's log (written at debug level, every crate included).
    log_dir: tempfile::TempDir,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: JoinHandle<String>,
    /// Every line read so far.
    pub output: Vec<String>,
    /// The ids of those lines (JSON lines only).
    pub ids: HashSet<Uuid>,
}

impl Tail {
    pub fn start(sim: &SimHandle, args: &[&str]) -> Tail {
        let log_dir = tempfile::tempdir().expect("a log directory");
        let mut child = Command::new(env!("CARGO_BIN_EXE_auditui"))
            .arg("tail")
            .args(["--base-url", &sim.base_url()])
            .arg("--log-file")
            .arg(log_dir.path().join("tail.log"))
            .args(args)
            .env("HARVEY_API_TOKEN", DEMO_TOKEN)
            .env("AUDITUI_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("auditui runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        Tail {
            child,
            log_dir,
            lines,
            stderr,
            output: Vec::new(),
            ids: HashSet::new(),
        }
    }

    /// Reads lines until `done` holds for what was read; panics after `limit`.
    pub async fn read_until(&mut self, limit: Duration, what: &str, done: impl Fn(&Tail) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            if !self.read_line_before(deadline, what).await {
                panic!(
                    "no {what} within {limit:?} ({} lines read); stderr:\n{}",
                    self.output.len(),
                    self.stop_text().await
                );
            }
        }
    }

    /// Reads whatever lines come for `span`: the tail may write nothing for a while (waiting on its
    /// budget), which must not end the reading early or late.
    pub async fn read_for(&mut self, span: Duration, what: &str) {
        let until = Instant::now() + span;
        while Instant::now() < until && self.read_line_before(until, what).await {}
    }

    /// Reads one line; false when `deadline` came first. Panics when the tail exited.
    async fn read_line_before(&mut self, deadline: Instant, what: &str) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.lines.recv()).await {
            Ok(Some(line)) => {
                if line.starts_with('{') {
                    self.ids.insert(id_of(&line));
                }
                self.output.push(line);
                true
            }
            Ok(None) => panic!(
                "tail exited before {what}; stderr:\n{}",
                self.stop_text().await
            ),
            Err(_) => false,
        }
    }

    /// Asks the tail to stop (SIGTERM, as `kill` does), reads the rest of its output, returns its
    /// exit status success and its stderr.
    pub async fn terminate(self) -> (Vec<String>, bool, String) {
        self.signal("TERM").await
    }

    /// Sends `signal` (`TERM`, `KILL`) to the tail, then as [`Tail::finish`].
    pub async fn signal(self, signal: &str) -> (Vec<String>, bool, String) {
        if let Some(pid) = self.child.id() {
            let sent = std::process::Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .status()
                .expect("kill runs");
            assert!(sent.success());
        }
        self.finish().await
    }

    /// Waits for the tail to end by itself; returns its lines, whether it succeeded, and its stderr.
    /// The token must appear in none of its output and nowhere in its debug-level log.
    pub async fn finish(self) -> (Vec<String>, bool, String) {
        let (lines, ok, stderr, _) = self.finish_with_log().await;
        (lines, ok, stderr)
    }

    /// As [`Tail::finish`], with the text of the tail's log as well.
    pub async fn finish_with_log(mut self) -> (Vec<String>, bool, String, String) {
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("tail ends within 30 s")
            .expect("wait works");
        while let Some(line) = self.lines.recv().await {
            self.output.push(line);
        }
        let stderr = self.stderr.await.unwrap_or_default();
        let log = std::fs::read_to_string(self.log_dir.path().join("tail.log"))
            .expect("the tail keeps a log");
        let stdout = self.output.join("\n");
        for (place, text) in [("stdout", &stdout), ("stderr", &stderr), ("the log", &log)] {
            assert!(!text.contains(DEMO_TOKEN), "the token appears in {place}");
        }
        (self.output, status.success(), stderr, log)
    }

    async fn stop_text(&mut self) -> String {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        (&mut self.stderr).await.unwrap_or_default()
    }
}

/// The id of a JSON line.
pub fn id_of(line: &str) -> Uuid {
    let value: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    Uuid::parse_str(value["id"].as_str().expect("an id")).expect("a uuid")
}

pub fn ids(lines: &[String]) -> Vec<Uuid> {
    lines.iter().map(|l| id_of(l)).collect()
}

/// Whether every id of `wanted` is among `seen` (checked in full only once the count allows it).
pub fn covers(seen: &HashSet<Uuid>, wanted: &[Uuid]) -> bool {
    seen.len() >= wanted.len() && wanted.iter().all(|id| seen.contains(id))
}

/// The arrival times of the audit requests the simulator served.
pub fn audit_request_times(sim: &SimHandle) -> Vec<Instant> {
    let mut times: Vec<Instant> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(AUDIT_PATH))
        .map(|r| r.at)
        .collect();
    times.sort();
    times
}

/// The most requests in any 60-second window.
pub fn busiest_minute(times: &[Instant]) -> usize {
    busiest_window(times, Duration::from_secs(60))
}

/// The most requests in any window of this length.
pub fn busiest_window(times: &[Instant], window: Duration) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|&&t| t < times[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

pub fn state_path(dir: &Path) -> String {
    dir.join("tail.state").to_str().unwrap().to_owned()
}

/// Asserts that `delivered` is exactly `truth`, saying how it differs when it is not.
pub fn assert_same_stream(delivered: &[Uuid], truth: &[Uuid]) {
    let seen: HashSet<&Uuid> = delivered.iter().collect();
    let wanted: HashSet<&Uuid> = truth.iter().collect();
    let missing: Vec<&Uuid> = truth.iter().filter(|id| !seen.contains(id)).collect();
    let extra: Vec<&Uuid> = delivered.iter().filter(|id| !wanted.contains(id)).collect();
    let repeated = delivered.len() - seen.len();
    let disordered = delivered.windows(2).filter(|w| w[0] >= w[1]).count();
    assert!(
        missing.is_empty() && extra.is_empty() && repeated == 0 && disordered == 0,
        "delivered {} of {} entries: {} missing (first {:?}), {} not generated (first {:?}), \
         {repeated} repeated, {disordered} out of order",
        delivered.len(),
        truth.len(),
        missing.len(),
        missing.iter().take(3).collect::<Vec<_>>(),
        extra.len(),
        extra.iter().take(3).collect::<Vec<_>>(),
    );
}
