//! The done-when test of the live tail: against a hostile simulator (bursts far over a page between
//! polls, 10% server errors, malformed entries and broken bodies, a 60/min rate limit), the real
//! binary delivers every generated entry exactly once, in id order, within its request budget.

mod tail_support;

use std::time::Duration;

use auditui::simulator::{Burst, SimConfig};
use tail_support::{
    Tail, assert_same_stream, audit_request_times, busiest_minute, covers, ids, start_simulator,
};
use uuid::Uuid;

/// Below what the poller would like (pages of 1000 to drain, a 1 s interval), so the budget binds; and
/// low enough that a slow machine (a debug build on shared cores, seconds per 1000-entry page) still
/// sends a minute's requests within the minute, which the lower bound below relies on.
const BUDGET: usize = 20;

fn hostile() -> SimConfig {
    SimConfig {
        seed: 11,
        events_per_sec: 20.0,
        burst: Some(Burst {
            size: 2500,
            every: Duration::from_secs(10),
        }),
        rate_limit_per_min: 60,
        error_rate: 0.1,
        slow_rate: 0.05,
        slow_delay: Duration::from_millis(800),
        malformed_rate: 0.02,
        history: Duration::from_secs(600),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_exactly_once_in_id_order_within_the_budget() {
    let sim = start_simulator(hostile()).await;
    let budget = BUDGET.to_string();
    let mut tail = Tail::start(
        &sim,
        &["--from-start", "--budget", &budget, "--interval", "1"],
    );
    // Let it follow a live stream through several bursts, then stop the activity and wait for the
    // tail to catch up with everything generated.
    tail.read_for(Duration::from_secs(75), "75 s of live following")
        .await;
    sim.pause_activity();
    let truth = sim.ground_truth();
    assert!(
        truth.len() > 5000,
        "bursts generated {} entries",
        truth.len()
    );
    tail.read_until(
        Duration::from_secs(90),
        "catching up with the ground truth",
        |tail| covers(&tail.ids, &truth),
    )
    .await;
    let (lines, _, stderr) = tail.terminate().await;

    let delivered = ids(&lines);
    let truth = sim.ground_truth();
    assert_same_stream(&delivered, &truth);

    let requests = audit_request_times(&sim);
    let busiest = busiest_minute(&requests);
    assert!(
        busiest <= BUDGET,
        "{busiest} requests in one minute, budget {BUDGET}"
    );
    assert!(
        busiest >= BUDGET - 2,
        "the budget was reached (so the test checks it): busiest minute {busiest}"
    );
    let failures = sim.requests().iter().filter(|r| r.status == 500).count();
    eprintln!(
        "{} entries delivered once in order; {} audit requests, at most {} in any minute (budget \
         {BUDGET}), the first {BUDGET} within {:?}; {failures} answered 500; {} malformed entries \
         with readable ids",
        delivered.len(),
        requests.len(),
        busiest_minute(&requests),
        requests.get(BUDGET - 1).map(|t| *t - requests[0]),
        sim.malformed_ids().len(),
    );
    assert!(failures > 0, "the server failed some requests");
    assert!(
        stderr.contains("retrying"),
        "retries are reported: {stderr}"
    );
    // Every malformed entry the tail has passed (those before the last one delivered) is reported
    // once, by id.
    let passed = *delivered.last().unwrap();
    let malformed: Vec<Uuid> = sim
        .malformed_ids()
        .into_iter()
        .filter(|id| *id < passed)
        .collect();
    assert!(
        !malformed.is_empty(),
        "the simulator stored malformed entries"
    );
    for id in malformed {
        let reports = stderr.matches(&format!("rejected entry {id}")).count();
        assert_eq!(reports, 1, "malformed entry {id} reported {reports} times");
    }
}
