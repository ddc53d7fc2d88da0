//! `tail --state FILE`: killed mid-stream and restarted, nothing is lost and nothing repeated.

mod tail_support;

use std::collections::HashSet;
use std::time::Duration;

use auditui::simulator::{Burst, SimConfig};
use tail_support::{Tail, assert_same_stream, ids, start_simulator, state_path};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_state_loses_and_repeats_nothing() {
    let sim = start_simulator(SimConfig {
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
    })
    .await;
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

    let mut first = Tail::start(&sim, &args);
    first
        .read_until(Duration::from_secs(60), "a first burst", |tail| {
            tail.output.len() > 1500
        })
        .await;
    let (first_lines, _, first_err) = first.terminate().await;
    assert!(
        std::fs::read_to_string(&state).is_ok(),
        "the position was saved: {first_err}"
    );

    let first_seen: HashSet<Uuid> = ids(&first_lines).into_iter().collect();
    // The stream goes on while the tail is down.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut second = Tail::start(&sim, &args);
    second
        .read_until(Duration::from_secs(60), "the resumed stream", |tail| {
            !tail.output.is_empty()
        })
        .await;
    sim.pause_activity();
    let truth = sim.ground_truth();
    second
        .read_until(Duration::from_secs(90), "catching up", |tail| {
            first_seen.len() + tail.ids.len() >= truth.len()
                && truth
                    .iter()
                    .all(|id| first_seen.contains(id) || tail.ids.contains(id))
        })
        .await;
    let (second_lines, _, second_err) = second.terminate().await;
    eprintln!("first run:\n{first_err}\nsecond run:\n{second_err}");

    let first_ids = ids(&first_lines);
    let second_ids = ids(&second_lines);
    let overlap: HashSet<_> = first_ids
        .iter()
        .filter(|id| second_ids.contains(id))
        .collect();
    assert!(overlap.is_empty(), "{} entries repeated", overlap.len());
    let mut all = first_ids;
    all.extend(second_ids);
    assert_same_stream(&all, &sim.ground_truth());
}
