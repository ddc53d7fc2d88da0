//! How `auditui tail` ends: `--max`, `--for`, a rejected token; and what it writes where.

mod tail_support;

use std::time::Duration;

use auditui::simulator::SimConfig;
use tail_support::{Tail, ids, start_simulator};

fn quiet() -> SimConfig {
    SimConfig {
        events_per_sec: 50.0,
        history: Duration::from_secs(120),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_writes_that_many_entries_and_exits_cleanly() {
    let sim = start_simulator(quiet()).await;
    let (lines, ok, stderr) = Tail::start(&sim, &["--from-start", "--max", "7"])
        .finish()
        .await;
    assert!(ok, "{stderr}");
    assert_eq!(ids(&lines), sim.ground_truth()[..7]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn for_stops_after_the_duration() {
    let sim = start_simulator(quiet()).await;
    let started = std::time::Instant::now();
    let (lines, ok, stderr) = Tail::start(&sim, &["--for", "2s", "--interval", "0.5"])
        .finish()
        .await;
    assert!(ok, "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(!lines.is_empty());
    assert!(stderr.contains("wrote"), "a summary on stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_fails_with_advice_and_no_output() {
    let sim = start_simulator(SimConfig {
        accept_token: "another-token".into(),
        ..quiet()
    })
    .await;
    let (lines, ok, stderr) = Tail::start(&sim, &[]).finish().await;
    assert!(!ok);
    assert!(lines.is_empty());
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("demo-token"), "the token is never shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_leaves_an_error_line_naming_the_reason_in_the_log() {
    let sim = start_simulator(SimConfig {
        accept_token: "another-token".into(),
        ..quiet()
    })
    .await;
    // `finish` checks the token appears nowhere in the log.
    let (_, ok, stderr, log) = Tail::start(&sim, &[]).finish_with_log().await;
    assert!(!ok, "{stderr}");
    let stop = log
        .lines()
        .find(|line| line.contains("ERROR"))
        .unwrap_or_else(|| panic!("no ERROR line in the log:\n{log}"));
    assert!(stop.contains("token rejected"), "{stop}");
    assert!(stop.contains("401"), "{stop}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_output_has_a_header_and_one_row_per_entry() {
    let sim = start_simulator(quiet()).await;
    let (lines, ok, stderr) = Tail::start(&sim, &["--from-start", "--max", "3", "--format", "csv"])
        .finish()
        .await;
    assert!(ok, "{stderr}");
    assert_eq!(lines[0], auditui::export::CSV_HEADER);
    let first_ids: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let truth: Vec<String> = sim.ground_truth()[..3]
        .iter()
        .map(|id| id.to_string())
        .collect();
    assert_eq!(first_ids, truth);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_is_filtered_by_the_server() {
    let sim = start_simulator(quiet()).await;
    let (lines, ok, stderr) = Tail::start(
        &sim,
        &["--from-start", "--type", "auth:login", "--max", "5"],
    )
    .finish()
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(lines.len(), 5);
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["type"], "auth:login", "{line}");
    }
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.path.contains("log_type=auth%3Alogin")
                || r.path.contains("log_type=auth:login")),
        "the type went to the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_starts_at_the_first_entry_of_that_time() {
    let sim = start_simulator(quiet()).await;
    let (lines, ok, stderr) = Tail::start(&sim, &["--since", "1m", "--max", "20"])
        .finish()
        .await;
    assert!(ok, "{stderr}");
    let minute_ago = chrono::Utc::now() - chrono::Duration::seconds(75);
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let ts = auditui::timestamp::parse_datetime(first["timestamp"].as_str().unwrap()).unwrap();
    assert!(
        ts >= minute_ago,
        "first entry at {ts}, not within the last minute"
    );
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.path.contains("/search?time=")),
        "seeded by search"
    );
    let truth = sim.ground_truth();
    let delivered = ids(&lines);
    let start = truth.iter().position(|id| *id == delivered[0]).unwrap();
    assert_eq!(
        delivered,
        truth[start..start + 20],
        "then the stream in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_ends_the_tail_quietly() {
    use tokio::io::AsyncBufReadExt;
    let sim = start_simulator(quiet()).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["tail", "--base-url", &sim.base_url(), "--from-start"])
        .args(["--interval", "0.2"])
        .env("HARVEY_API_TOKEN", auditui::simulator::DEMO_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.next_line().await.unwrap().is_some());
    drop(lines);
    // New entries keep coming, so the tail writes again and finds the pipe closed.
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the tail ends once its reader is gone")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_the_api_hangs_is_obeyed_at_once() {
    // An API that accepts connections and never answers: the tail's first call hangs.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(["tail", "--base-url", &base_url])
        .env("HARVEY_API_TOKEN", auditui::simulator::DEMO_TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (_hanging, _) = tokio::time::timeout(Duration::from_secs(30), listener.accept())
        .await
        .expect("the tail calls the API")
        .unwrap();
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    // Well under the client's 30 s request timeout.
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the tail stops without waiting for the hung call")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_state_cuts_the_partial_line_a_killed_run_left_in_the_file() {
    let sim = start_simulator(quiet()).await;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.jsonl");
    let state = tail_support::state_path(dir.path());
    std::fs::write(&out_path, "{\"whole\":1}\n{\"data\": {\"event_id\": 92").unwrap();
    // As `auditui tail ... >> out.jsonl` opens it.
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(&out_path)
        .unwrap();
    let stderr = tail_into(&sim, &state, &[], out).await;
    assert!(stderr.contains("cut a partial last line"), "{stderr}");
    let text = std::fs::read_to_string(&out_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "{\"whole\":1}");
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_begins_with_a_dash_is_a_filter_not_an_option() {
    let sim = start_simulator(quiet()).await;
    let (lines, ok, stderr) = Tail::start(
        &sim,
        &[
            "--from-start",
            "--max",
            "20",
            "--filter",
            "-type:auth:login",
        ],
    )
    .finish()
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(lines.len(), 20, "{stderr}");
    for line in &lines {
        let entry: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
        assert_ne!(entry["type"], "auth:login", "{line}");
    }
}

/// `auditui tail --from-start --max 3 --state STATE` and `extra`, stdout opened on `out` (as `>` or `>>`
/// open it); succeeds, and gives what it wrote on stderr.
async fn tail_into(
    sim: &auditui::simulator::SimHandle,
    state: &str,
    extra: &[&str],
    out: std::fs::File,
) -> String {
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_auditui"))
        .arg("tail")
        .args(["--base-url", &sim.base_url()])
        .args(["--from-start", "--max", "3", "--state", state])
        .args(extra)
        .env("HARVEY_API_TOKEN", auditui::simulator::DEMO_TOKEN)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr).into_owned();
    assert!(status.status.success(), "{stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_csv_run_into_an_empty_file_writes_its_header_and_one_appending_does_not() {
    let sim = start_simulator(quiet()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = tail_support::state_path(dir.path());
    let (first, second) = (dir.path().join("1.csv"), dir.path().join("2.csv"));
    // As `> 1.csv`, then `> 2.csv` (a batch file per run, as a loader such as ClickHouse reads), then
    // `>> 2.csv`.
    tail_into(
        &sim,
        &state,
        &["--format", "csv"],
        std::fs::File::create(&first).unwrap(),
    )
    .await;
    tail_into(
        &sim,
        &state,
        &["--format", "csv"],
        std::fs::File::create(&second).unwrap(),
    )
    .await;
    let append = std::fs::OpenOptions::new()
        .append(true)
        .open(&second)
        .unwrap();
    tail_into(&sim, &state, &["--format", "csv"], append).await;
    let header = auditui::export::CSV_HEADER;
    let first = std::fs::read_to_string(first).unwrap();
    let second = std::fs::read_to_string(second).unwrap();
    let first: Vec<&str> = first.lines().collect();
    let second: Vec<&str> = second.lines().collect();
    assert_eq!(first.len(), 4, "{first:?}");
    assert_eq!(first[0], header);
    assert_eq!(
        second.len(),
        7,
        "one header, then two runs' rows: {second:?}"
    );
    assert_eq!(second[0], header);
    assert!(!second[1..].contains(&header), "{second:?}");
    let mut rows: Vec<&str> = first[1..].iter().chain(&second[1..]).copied().collect();
    let written = rows.len();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!(rows.len(), written, "nothing written twice");
}
