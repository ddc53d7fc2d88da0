//! `tail --state FILE`: stopped mid-stream and restarted, nothing is lost and nothing repeated; killed
//! with SIGKILL, nothing is lost and at most the last chunk of output is written again.

mod tail_support;

use std::collections::HashSet;
use std::time::Duration;

use auditui::simulator::{Burst, SimConfig, SimHandle};
use tail_support::{Tail, assert_same_stream, ids, start_simulator, state_path};
use uuid::Uuid;

/// What `tail` promises a kill -9 can repeat at most: one chunk of output (see `tail --help`).
const CHUNK_BYTES: usize = 64 * 1024;

/// Two runs of the tail on one state file, the first ended by `signal` mid-stream; the lines of each
/// and the stderr of both.
async fn two_runs(sim: &SimHandle, signal: &str) -> (Vec<String>, Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let state = state_path(dir.path());
    let args = [
        "--from-start",
        "--budget",
        "40",
        "--interval",
        "1",
        "--state",
        &state,
    ];

    let mut first = Tail::start(sim, &args);
    first
        .read_until(Duration::from_secs(60), "a first burst", |tail| {
            tail.output.len() > 1500
        })
        .await;
    let (mut first_lines, _, first_err) = first.signal(signal).await;
    assert!(
        std::fs::read_to_string(&state).is_ok(),
        "the position was saved: {first_err}"
    );
    // A kill can cut the last line short; its entry was not saved as written, so it comes again.
    if first_lines
        .last()
        .is_some_and(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
    {
        first_lines.pop();
    }
    let first_seen: HashSet<Uuid> = ids(&first_lines).into_iter().collect();

    // The stream goes on while the tail is down.
    sim.emit(500);
    let mut second = Tail::start(sim, &args);
    second
        .read_until(Duration::from_secs(60), "the resumed stream", |tail| {
            !tail.output.is_empty()
        })
        .await;
    sim.pause_activity();
    let truth = sim.ground_truth();
    second
        .read_until(Duration::from_secs(90), "catching up", |tail| {
            truth
                .iter()
                .all(|id| first_seen.contains(id) || tail.ids.contains(id))
        })
        .await;
    let (second_lines, _, second_err) = second.terminate().await;
    let stderr = format!("first run:\n{first_err}\nsecond run:\n{second_err}");
    (first_lines, second_lines, stderr)
}

fn bursty() -> SimConfig {
    SimConfig {
        seed: 5,
        events_per_sec: 20.0,
        burst: Some(Burst {
            size: 3000,
            every: Duration::from_secs(5),
        }),
        error_rate: 0.1,
        malformed_rate: 0.02,
        history: Duration::from_secs(300),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_state_loses_and_repeats_nothing() {
    let sim = start_simulator(bursty()).await;
    let (first_lines, second_lines, stderr) = two_runs(&sim, "TERM").await;
    eprintln!("{stderr}");

    let first_ids = ids(&first_lines);
    let second_ids: HashSet<Uuid> = ids(&second_lines).into_iter().collect();
    let overlap = first_ids
        .iter()
        .filter(|id| second_ids.contains(id))
        .count();
    assert_eq!(overlap, 0, "entries repeated");
    let mut all = first_ids;
    all.extend(ids(&second_lines));
    assert_same_stream(&all, &sim.ground_truth());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_kill_9_loses_nothing_and_repeats_at_most_the_last_chunk() {
    let sim = start_simulator(bursty()).await;
    let (first_lines, second_lines, stderr) = two_runs(&sim, "KILL").await;
    eprintln!("{stderr}");

    // What is written twice is the end of the first run and the start of the second, no more than
    // one chunk of it.
    let first_ids = ids(&first_lines);
    let second_ids = ids(&second_lines);
    let repeated = (0..=first_ids.len().min(second_ids.len()))
        .rev()
        .find(|&n| first_ids[first_ids.len() - n..] == second_ids[..n])
        .unwrap_or(0);
    let repeated_bytes: usize = first_lines[first_lines.len() - repeated..]
        .iter()
        .map(|l| l.len() + 1)
        .sum();
    assert!(
        repeated_bytes <= CHUNK_BYTES,
        "{repeated} entries ({repeated_bytes} bytes) written again"
    );
    eprintln!("{repeated} entries ({repeated_bytes} bytes) written again after the kill");
    let mut all = first_ids;
    all.extend(second_ids.into_iter().skip(repeated));
    assert_same_stream(&all, &sim.ground_truth());
}
