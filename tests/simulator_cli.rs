//! `auditui simulate` as a user runs it: it prints where it listens and which token to use, answers as
//! API.md says, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const TOKEN: &str = "cli-sim-token";

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_simulator() -> (Running, String) {
    spawn_simulator_with(&[])
}

fn spawn_simulator_with(extra: &[&str]) -> (Running, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args([
            "simulate",
            "--port",
            "0",
            "--accept-token",
            TOKEN,
            "--history-hours",
            "0.5",
            "--log-file",
        ])
        .arg(dir.path().join("sim.log"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let running = Running { child, lines };
    let mut printed = Vec::new();
    let base = loop {
        let line = running
            .lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the simulator prints its address");
        printed.push(line.clone());
        if let Some(at) = line.find("http://127.0.0.1:") {
            break line[at..].trim().to_owned();
        }
    };
    // The rest of the banner: the token and a curl line to try.
    while !printed.iter().any(|l| l.contains("curl")) {
        let line = running
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("the banner goes on");
        printed.push(line);
    }
    let banner = printed.join("\n");
    assert!(
        banner.contains(&format!("bearer token: {TOKEN}")),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("Authorization: Bearer {TOKEN}")),
        "{banner}"
    );
    (running, base)
}

#[tokio::test]
async fn simulate_serves_latest_to_the_right_token_and_401_json_to_a_wrong_one() {
    let (running, base) = spawn_simulator();
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/logs/audit/latest");
    let ok = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    let entry = &body["log"];
    for field in [
        "id",
        "timestamp",
        "type",
        "user",
        "ip",
        "user_agent",
        "data",
    ] {
        assert!(entry.get(field).is_some(), "{field} missing in {body}");
    }

    let wrong = http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    drop(running);
}

#[tokio::test]
async fn simulate_flags_give_a_token_without_the_permission_and_the_older_latest() {
    let (running, base) =
        spawn_simulator_with(&["--limited-token", "lim-token", "--legacy-latest"]);
    let http = reqwest::Client::new();
    let latest = format!("{base}/api/v1/logs/audit/latest");
    // --legacy-latest: a bare array of up to 100 recent entries.
    let body: serde_json::Value = http
        .get(&latest)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = body
        .as_array()
        .unwrap_or_else(|| panic!("a bare array: {body}"));
    assert!(
        !entries.is_empty() && entries.len() <= 100,
        "{}",
        entries.len()
    );
    assert!(entries.iter().all(|e| e["id"].is_string()), "{body}");
    // --limited-token: whoami answers, the audit log is refused with 403.
    let whoami = http
        .get(format!("{base}/api/whoami"))
        .bearer_auth("lim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status().as_u16(), 200);
    let refused = http
        .get(&latest)
        .bearer_auth("lim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    // Any other token is still unknown.
    let wrong = http.get(&latest).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    drop(running);
}

#[cfg(unix)]
#[test]
fn simulate_stops_cleanly_on_ctrl_c_and_on_sigterm() {
    for signal in ["-INT", "-TERM"] {
        stops_cleanly_on(signal);
    }
}

#[cfg(unix)]
fn stops_cleanly_on(signal: &str) {
    let (mut running, _) = spawn_simulator();
    let pid = running.child.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{signal}: {status:?}");
}
