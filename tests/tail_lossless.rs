//! The done-when test of the live tail: against a hostile simulator (bursts far over a page between
//! polls, 10% server errors, malformed entries and broken bodies, a 60/min rate limit), the real
//! binary delivers every generated entry exactly once, in id order, within its request budget.

mod tail_support;

use std::time::Duration;

use auditui::simulator::{Burst, SimConfig};
use tail_support::{
    Tail, assert_same_stream, audit_request_times, busiest_minute, covers, ids, start_simulator,
};

/// The default budget; with a 1 s interval the poller would like 60 a minute, so the budget binds.
const BUDGET: usize = 30;

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
    let live_until = std::time::Instant::now() + Duration::from_secs(75);
    tail.read_until(Duration::from_secs(100), "75 s of live following", |_| {
        std::time::Instant::now() >= live_until
    })
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
         {BUDGET}); {failures} answered 500; {} malformed entries with readable ids",
        delivered.len(),
        requests.len(),
        busiest_minute(&requests),
        sim.malformed_ids().len(),
    );
    assert!(failures > 0, "the server failed some requests");
    assert!(
        stderr.contains("retrying"),
        "retries are reported: {stderr}"
    );
    assert!(
        sim.malformed_ids().is_empty() || stderr.contains("rejected entry"),
        "malformed entries are reported"
    );
}
