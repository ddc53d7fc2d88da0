//! The poller with the real client against the simulator: both `/latest` shapes, and the tool's own
//! fetch entries recognized by this session's User-Agent.

use std::collections::HashSet;
use std::time::Duration;

use auditui::client::{Client, ClientOptions, Token};
use auditui::poller::{
    self, ConnState, PollControl, PollEvent, PollStatus, PollerConfig, Start, identify_self,
    session_agent,
};
use auditui::simulator::{self, DEMO_TOKEN, LatestShape, SimConfig, SimHandle};
use tokio::sync::mpsc;
use uuid::Uuid;

const FETCH: &str = "api:audit_log_fetch";
const OTHER: &str = "another-integration/1.0";

async fn simulator(shape: LatestShape) -> SimHandle {
    simulator::start(
        SimConfig {
            events_per_sec: 10.0,
            rate_limit_per_min: 0,
            history: Duration::from_secs(300),
            latest_shape: shape,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// A running poller: its events, its control (the poller stops when that is dropped), its agent.
struct Following {
    events: mpsc::Receiver<PollEvent>,
    _control: mpsc::Sender<PollControl>,
    agent: String,
}

fn client(sim: &SimHandle, agent: &str) -> Client {
    Client::new(ClientOptions {
        base_url: sim.base_url(),
        token: Token::new(DEMO_TOKEN).unwrap(),
        user_agent: Some(agent.into()),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

async fn follow(sim: &SimHandle, show_self: bool) -> Following {
    let agent = session_agent();
    let client = client(sim, &agent);
    let mut config = PollerConfig::new(Start::Latest);
    config.self_filter = identify_self(&client, agent.clone()).await;
    config.show_self = show_self;
    config.budget_per_minute = 600;
    config.interval = Duration::from_millis(200);
    // What these tests watch is which fetches are hidden, not the one-second spacing (the schedule's
    // tests prove that): a 6 s budget window spaces requests 0.1 s apart.
    config.budget_window = Duration::from_secs(6);
    let (events, control) = poller::spawn(client, config);
    Following {
        events,
        _control: control,
        agent,
    }
}

#[derive(Default)]
struct Seen {
    /// Id, type and user agent of each entry delivered.
    entries: Vec<(Uuid, String, String)>,
    status: PollStatus,
}

async fn read_until(
    events: &mut mpsc::Receiver<PollEvent>,
    seen: &mut Seen,
    done: impl Fn(&Seen) -> bool,
) {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while !done(seen) {
            match events.recv().await.expect("poller runs") {
                PollEvent::Entries(entries) => seen
                    .entries
                    .extend(entries.into_iter().map(|e| (e.id, e.kind, e.user_agent))),
                PollEvent::Status(status) => seen.status = status,
                PollEvent::Stopped { reason } => panic!("poller stopped: {reason:?}"),
                PollEvent::Rejected(_)
                | PollEvent::Position(_)
                | PollEvent::Loaded(_)
                | PollEvent::Archive(_)
                | PollEvent::Identified(_) => {}
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "condition not reached; status {:?}",
        seen.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_from_latest_in_either_shape_hiding_only_its_own_fetches() {
    for shape in [LatestShape::Envelope, LatestShape::BareArray] {
        let sim = simulator(shape).await;
        let mut following = follow(&sim, false).await;
        let events = &mut following.events;
        let mut seen = Seen::default();
        read_until(events, &mut seen, |s| s.status.state == ConnState::Live).await;
        sim.emit(2500);
        sim.pause_activity();
        let truth = sim.ground_truth();
        let last = *truth.last().unwrap();
        read_until(events, &mut seen, |s| {
            s.entries.iter().any(|(id, ..)| *id == last)
        })
        .await;
        // Up to the newest of the truth: an activity tick under way when it was paused may add an
        // entry after the snapshot, which the same page can carry.
        let delivered: Vec<Uuid> = seen.entries.iter().map(|(id, ..)| *id).collect();
        let through = delivered.iter().position(|id| *id == last).unwrap() + 1;
        let delivered = &delivered[..through];
        let start = truth.len() - delivered.len();
        assert_eq!(
            delivered,
            &truth[start..],
            "{shape:?}: a contiguous, ordered run up to the newest"
        );
        let agent = &following.agent;
        assert!(
            seen.entries.iter().all(|(_, _, ua)| ua != agent),
            "{shape:?}: none of its own fetches"
        );
        read_until(events, &mut seen, |s| s.status.self_hidden >= 3).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_self_delivers_this_sessions_fetches_and_others_stay_visible() {
    let sim = simulator(LatestShape::Envelope).await;
    sim.pause_activity();
    let mut shown = follow(&sim, true).await;
    let mut seen = Seen::default();
    read_until(&mut shown.events, &mut seen, |s| {
        s.entries
            .iter()
            .filter(|(_, kind, _)| kind == FETCH)
            .count()
            >= 3
    })
    .await;
    let fetches: HashSet<Uuid> = sim.self_log_ids().into_iter().collect();
    for (id, kind, agent) in seen.entries.iter().filter(|(_, kind, _)| kind == FETCH) {
        assert!(fetches.contains(id), "{kind} {id} is a logged fetch");
        assert_eq!(*agent, shown.agent);
    }
    assert_eq!(seen.status.self_hidden, 0);
    drop(shown);

    let mut hidden = follow(&sim, false).await;
    let mut seen = Seen::default();
    read_until(&mut hidden.events, &mut seen, |s| s.status.self_hidden >= 2).await;
    client(&sim, OTHER).latest(None).await.unwrap();
    read_until(&mut hidden.events, &mut seen, |s| {
        s.entries
            .iter()
            .any(|(_, kind, agent)| kind == FETCH && agent == OTHER)
    })
    .await;
    assert!(
        seen.entries
            .iter()
            .all(|(_, _, agent)| *agent != hidden.agent),
        "none of its own fetches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_by_a_shared_limit_it_waits_and_loses_nothing() {
    // The organisation's limit is tighter than this poller's budget (another integration uses the
    // rest): 429s with Retry-After are waited out, and every entry still arrives once, in order. One
    // request a second is less than the poller's own spacing allows (0.1 s: a 6 s budget window).
    let sim = simulator::start(
        SimConfig {
            events_per_sec: 0.0,
            rate_limit_per_min: 1,
            rate_window: Duration::from_secs(1),
            history: Duration::from_secs(0),
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // Only the entries emitted here: the storyline's live events stay out.
    sim.pause_activity();
    sim.emit(1);
    let agent = session_agent();
    let client = client(&sim, &agent);
    let mut config = PollerConfig::new(Start::Earliest);
    config.self_filter = identify_self(&client, agent).await;
    config.budget_per_minute = 600;
    config.interval = Duration::from_millis(100);
    config.budget_window = Duration::from_secs(6);
    config.page_size = 400;
    let (mut events, _control) = poller::spawn(client, config);
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| !s.entries.is_empty()).await;
    sim.emit(2000);
    let truth = sim.ground_truth();
    let last = *truth.last().unwrap();
    read_until(&mut events, &mut seen, |s| {
        s.entries.iter().any(|(id, ..)| *id == last)
    })
    .await;
    let delivered: Vec<Uuid> = seen.entries.iter().map(|(id, ..)| *id).collect();
    assert!(
        delivered == truth,
        "{} delivered, {} generated",
        delivered.len(),
        truth.len()
    );
    assert!(seen.status.rate_limited > 0, "{:?}", seen.status);
    // Every 429 counted (the server may have answered more since the last status read).
    let limited = sim.requests().iter().filter(|r| r.status == 429).count() as u64;
    assert!(seen.status.rate_limited <= limited);
}
