//! The poller task end to end against a scripted in-memory API, on tokio's paused clock: virtual time
//! advances only when every task waits, so minutes of polling run in milliseconds and nothing sleeps.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use uuid::Uuid;

use super::schedule::BUDGET_WINDOW;
use super::stream::FETCH_TYPE;
use super::*;
use crate::entry::{Batch, Entry};

const AGENT: &str = "auditui/test (session 42)";
const SERVICE: &str = "svc@example.com";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    Latest,
    Earliest,
    Search(i64),
    Page(Uuid),
}

/// An audit log in memory that, like the API, logs every call as the caller's own fetch entry.
#[derive(Default)]
struct World {
    entries: Vec<Entry>,
    next: u64,
    /// Faults to answer with, one per call, before answering normally.
    faults: VecDeque<Option<SourceError>>,
    calls: Vec<(Instant, Call)>,
    /// Pages to answer with a full page of entries without a readable id, before answering normally.
    stuck_pages: usize,
}

impl World {
    fn add(&mut self, kind: &str, agent: &str) -> Uuid {
        self.next += 1;
        let id = Uuid::from_u128(0x0194_f5a3_7b2c_7000_8000_0000_0000_0000 + u128::from(self.next));
        let entry = Entry::parse(&format!(
            r#"{{"id":"{id}","timestamp":"2025-02-11T16:08:44","type":"{kind}","user":"{SERVICE}","user_agent":"{agent}"}}"#
        ))
        .unwrap();
        self.entries.push(entry);
        id
    }

    fn add_activity(&mut self, n: usize) -> Vec<Uuid> {
        (0..n)
            .map(|_| self.add("auth:login", "Mozilla/5.0"))
            .collect()
    }

    fn answer(&mut self, call: Call, take: u16) -> Result<Batch, SourceError> {
        self.calls.push((Instant::now(), call));
        if let Some(Some(fault)) = self.faults.pop_front() {
            return Err(fault);
        }
        if matches!(call, Call::Page(_)) && self.stuck_pages > 0 {
            self.stuck_pages -= 1;
            let rejected = (0..take)
                .map(|_| crate::entry::Rejected {
                    id: None,
                    reason: "`id` is not a UUID".into(),
                    excerpt: r#"{"id": "x"}"#.into(),
                })
                .collect();
            return Ok(Batch {
                entries: Vec::new(),
                rejected,
            });
        }
        let answer = match call {
            Call::Latest => self.entries.last().cloned().into_iter().collect(),
            Call::Earliest => self.entries.first().cloned().into_iter().collect(),
            Call::Search(_) => Vec::new(),
            Call::Page(from) => self
                .entries
                .iter()
                .filter(|e| e.id > from)
                .take(usize::from(take))
                .cloned()
                .collect(),
        };
        self.add(FETCH_TYPE, AGENT);
        Ok(Batch {
            entries: answer,
            rejected: Vec::new(),
        })
    }
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<World>>, Duration);

impl Fake {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.lock().unwrap()
    }
}

impl AuditSource for Fake {
    async fn page(&self, from: Uuid, take: u16, _: Option<&str>) -> Result<Batch, SourceError> {
        tokio::time::sleep(self.1).await;
        self.world().answer(Call::Page(from), take)
    }
    async fn latest(&self, _: Option<&str>) -> Result<Batch, SourceError> {
        self.world().answer(Call::Latest, 1)
    }
    async fn earliest(&self, _: Option<&str>) -> Result<Batch, SourceError> {
        self.world().answer(Call::Earliest, 1)
    }
    async fn search(&self, epoch_secs: i64, _: Option<&str>) -> Result<Batch, SourceError> {
        self.world().answer(Call::Search(epoch_secs), 1)
    }
}

fn config(start: Start) -> PollerConfig {
    let mut config = PollerConfig::new(start);
    config.self_filter = SelfFilter {
        agents: vec![AGENT.into()],
        user: Some(SERVICE.into()),
    };
    config.page_size = 100;
    config.backoff = Box::new(|attempt, _| Duration::from_secs(u64::from(attempt)));
    config
}

/// Everything the consumer saw.
#[derive(Default)]
struct Seen {
    entries: Vec<Uuid>,
    statuses: Vec<PollStatus>,
    positions: Vec<Uuid>,
    /// The whoami fields told, and how many events came before them.
    identified: Option<(serde_json::Map<String, serde_json::Value>, usize)>,
    events: usize,
    stopped: Option<Option<StopReason>>,
}

impl Seen {
    fn take(&mut self, event: PollEvent) {
        self.events += 1;
        match event {
            PollEvent::Identified(fields) => self.identified = Some((fields, self.events - 1)),
            PollEvent::Entries(entries) => self.entries.extend(entries.iter().map(|e| e.id)),
            PollEvent::Rejected(_) | PollEvent::Loaded(_) | PollEvent::Archive(_) => {}
            PollEvent::Position(id) => self.positions.push(id),
            PollEvent::Status(status) => self.statuses.push(status),
            PollEvent::Stopped { reason } => self.stopped = Some(reason),
        }
    }

    fn last_status(&self) -> &PollStatus {
        self.statuses.last().expect("a status was sent")
    }
}

/// Reads events until `done` holds (or the poller stops); fails after an hour of virtual time.
async fn read_until(
    events: &mut mpsc::Receiver<PollEvent>,
    seen: &mut Seen,
    done: impl Fn(&Seen) -> bool,
) {
    let waited = timeout(Duration::from_secs(3600), async {
        while !done(seen) && seen.stopped.is_none() {
            match events.recv().await {
                Some(event) => seen.take(event),
                None => break,
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "condition not reached in an hour: {} entries, last status {:?}",
        seen.entries.len(),
        seen.statuses.last()
    );
}

/// Reads events until the poller says it is caught up.
async fn until_live(events: &mut mpsc::Receiver<PollEvent>, seen: &mut Seen) {
    read_until(events, seen, |s| {
        s.statuses
            .last()
            .is_some_and(|st| st.state == ConnState::Live)
    })
    .await;
}

fn assert_within_budget(calls: &[(Instant, Call)], budget: usize) {
    for (i, (at, _)) in calls.iter().enumerate() {
        let in_window = calls[i..]
            .iter()
            .take_while(|(t, _)| *t < *at + BUDGET_WINDOW)
            .count();
        assert!(
            in_window <= budget,
            "{in_window} requests in the window from call {i}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_service_user_it_is_given_is_told_first_and_once() {
    let fake = Fake::default();
    fake.world().add_activity(3);
    let mut cfg = config(Start::Latest);
    let serde_json::Value::Object(fields) = serde_json::json!({"email": SERVICE}) else {
        unreachable!()
    };
    cfg.service_user = Some(fields.clone());
    let (mut events, _control) = spawn(fake.clone(), cfg);
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    assert_eq!(seen.identified, Some((fields, 0)));

    // Not given, not told.
    let (mut events, _control) = spawn(fake, config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    assert_eq!(seen.identified, None);
}

#[tokio::test(start_paused = true)]
async fn every_entry_once_in_order_through_bursts_faults_and_self_logging() {
    let fake = Fake::default();
    let mut expected = fake.world().add_activity(3);
    let seed = expected[2];
    expected.drain(..2);
    let mut cfg = config(Start::Latest);
    cfg.budget_per_minute = 10;
    let (mut events, _control) = spawn(fake.clone(), cfg);
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| !s.entries.is_empty()).await;
    for burst in [1500, 0, 250, 999, 1] {
        {
            let mut world = fake.world();
            expected.extend(world.add_activity(burst));
            world.faults.extend([
                Some(SourceError::retry("server error (500)")),
                None,
                Some(SourceError::rate_limited(Some(Duration::from_secs(7)))),
                Some(SourceError::retry("timed out")),
            ]);
        }
        let want = expected.len();
        read_until(&mut events, &mut seen, |s| s.entries.len() >= want).await;
    }
    assert_eq!(seen.entries.first(), Some(&seed));
    assert_eq!(seen.entries, expected, "every entry once, in id order");
    let calls = fake.world().calls.clone();
    assert_within_budget(&calls, 10);
    read_until(&mut events, &mut seen, |s| {
        s.statuses
            .last()
            .is_some_and(|st| st.state == ConnState::Live && st.retries == 15)
    })
    .await;
    let status = seen.last_status();
    assert_eq!(status.received, expected.len() as u64);
    assert_eq!(status.retries, 15);
    assert_eq!(status.rate_limited, 5);
    assert!(status.self_hidden > 0);
    assert_eq!(status.lag, Some(Duration::ZERO));
    assert_eq!(status.budget_per_minute, 10);
}

#[tokio::test(start_paused = true)]
async fn caught_up_it_sends_one_request_per_idle_interval_despite_its_own_entries() {
    let fake = Fake::default();
    fake.world().add_activity(5);
    let (mut events, _control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    let before = fake.world().calls.len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let made = fake.world().calls.len() - before;
    assert!(
        (11..=13).contains(&made),
        "{made} requests in 60 s at a 5 s interval"
    );
    let calls = fake.world().calls.clone();
    for pair in calls[before - 1..].windows(2) {
        assert_eq!(pair[1].0 - pair[0].0, Duration::from_secs(5));
    }
    while let Ok(event) = events.try_recv() {
        seen.take(event);
    }
    assert_eq!(
        seen.entries.len(),
        1,
        "only the seed: own fetches are hidden"
    );
    assert!(seen.last_status().self_hidden >= 11);
}

#[tokio::test(start_paused = true)]
async fn a_consumer_that_stops_reading_holds_the_poller_back_and_loses_nothing() {
    let fake = Fake::default();
    let mut expected = fake.world().add_activity(1);
    let mut cfg = config(Start::Latest);
    cfg.budget_per_minute = 600;
    let (mut events, _control) = spawn(fake.clone(), cfg);
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| !s.entries.is_empty()).await;
    // 200 pages waiting, and a consumer that reads nothing for ten minutes.
    expected.extend(fake.world().add_activity(20_000));
    let before = fake.world().calls.len();
    tokio::time::sleep(Duration::from_secs(600)).await;
    let made = fake.world().calls.len() - before;
    // Each page sends at least one event: once the channel is full, the next delivery waits.
    assert!(
        made <= EVENT_CAPACITY + 1,
        "{made} requests while nothing was read: the poller did not wait for its consumer"
    );
    read_until(&mut events, &mut seen, |s| {
        s.entries.len() >= expected.len()
    })
    .await;
    assert_eq!(seen.entries, expected, "every entry once, in id order");
}

#[tokio::test(start_paused = true)]
async fn rate_limit_retry_after_is_waited_out() {
    let fake = Fake::default();
    fake.world().add_activity(1);
    fake.world().faults.extend([
        None,
        Some(SourceError::rate_limited(Some(Duration::from_secs(42)))),
    ]);
    let (mut events, _control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    let calls = fake.world().calls.clone();
    assert_eq!(calls.len(), 3, "seed, limited page, page again");
    assert!(calls[2].0 - calls[1].0 >= Duration::from_secs(42));
    assert!(
        seen.statuses
            .iter()
            .any(|s| s.state == ConnState::Retrying { attempt: 1 }
                && s.last_error.as_deref() == Some("rate limited (429)"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_network_fault_reads_as_offline_with_the_next_try_and_the_whole_error() {
    let fake = Fake::default();
    fake.world().add_activity(1);
    let long = format!("network error: {}", "connection refused; ".repeat(20));
    fake.world()
        .faults
        .extend([None, Some(SourceError::offline(long.clone()))]);
    let (mut events, _control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    let retrying = seen
        .statuses
        .iter()
        .find(|s| matches!(s.state, ConnState::Retrying { .. }))
        .expect("a retrying status");
    assert!(retrying.offline);
    assert!(retrying.retry_at.is_some(), "when it tries again");
    assert_eq!(
        retrying.last_error.as_deref(),
        Some(long.as_str()),
        "not cut off"
    );
    let last = seen.last_status();
    assert!(!last.offline && last.retry_at.is_none(), "back online");
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_fails_and_stops_with_the_reason() {
    let fake = Fake::default();
    fake.world().faults.push_back(Some(SourceError::refused(
        Refusal::TokenRejected,
        "token rejected (401)\u{1b}[31m",
    )));
    let (mut events, _control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |_| false).await;
    assert_eq!(seen.last_status().state, ConnState::Failed);
    let Some(Some(StopReason::TokenRejected(reason))) = seen.stopped.clone() else {
        panic!("stopped as a rejected token: {:?}", seen.stopped);
    };
    assert!(reason.starts_with("token rejected (401)"));
    assert!(!reason.contains('\u{1b}'), "error text is sanitized");
    assert_eq!(fake.world().calls.len(), 1, "no retry of a fatal error");
}

#[tokio::test(start_paused = true)]
async fn pause_holds_polling_and_resume_and_stop_are_obeyed() {
    let fake = Fake::default();
    fake.world().add_activity(1);
    let (mut events, control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    control.send(PollControl::Pause).await.unwrap();
    read_until(&mut events, &mut seen, |s| {
        s.last_status().state == ConnState::Paused
    })
    .await;
    let before = fake.world().calls.len();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(fake.world().calls.len(), before, "no request while paused");
    let id = fake.world().add_activity(1)[0];
    control.send(PollControl::Resume).await.unwrap();
    read_until(&mut events, &mut seen, |s| s.entries.contains(&id)).await;
    control.send(PollControl::Stop).await.unwrap();
    read_until(&mut events, &mut seen, |_| false).await;
    assert_eq!(seen.stopped, Some(None));
}

#[tokio::test(start_paused = true)]
async fn a_new_interval_takes_effect() {
    let fake = Fake::default();
    let (mut events, control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    control
        .send(PollControl::SetInterval(Duration::from_secs(20)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = fake.world().calls.len();
    tokio::time::sleep(Duration::from_secs(100)).await;
    let made = fake.world().calls.len() - before;
    assert!((4..=6).contains(&made), "{made} requests in 100 s at 20 s");
}

#[tokio::test(start_paused = true)]
async fn an_empty_log_is_followed_from_the_beginning() {
    let fake = Fake::default();
    let (mut events, _control) = spawn(fake.clone(), config(Start::Earliest));
    let mut seen = Seen::default();
    until_live(&mut events, &mut seen).await;
    let id = fake.world().add_activity(1)[0];
    read_until(&mut events, &mut seen, |s| s.entries.contains(&id)).await;
    let calls = fake.world().calls.clone();
    assert_eq!(calls[0].1, Call::Earliest);
    assert_eq!(calls[1].1, Call::Page(Uuid::nil()));
    let unique: HashSet<_> = seen.entries.iter().collect();
    assert_eq!(unique.len(), seen.entries.len());
}

#[tokio::test(start_paused = true)]
async fn a_saved_position_resumes_without_a_seed_or_a_repeat() {
    let fake = Fake::default();
    let ids = fake.world().add_activity(10);
    let (mut events, _control) = spawn(fake.clone(), config(Start::After(ids[4])));
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| s.entries.len() >= 5).await;
    assert_eq!(seen.entries, ids[5..]);
    assert_eq!(fake.world().calls[0].1, Call::Page(ids[4]));
    assert!(seen.positions.windows(2).all(|p| p[0] < p[1]));
}

#[tokio::test(start_paused = true)]
async fn stop_cuts_a_slow_request_short() {
    let fake = Fake(Arc::default(), Duration::from_secs(600));
    fake.world().add_activity(1);
    let (mut events, control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| !s.entries.is_empty()).await;
    // The page after the seed is now in flight for ten minutes.
    let asked = Instant::now();
    control.send(PollControl::Stop).await.unwrap();
    read_until(&mut events, &mut seen, |_| false).await;
    assert_eq!(seen.stopped, Some(None));
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_page_that_cannot_move_the_cursor_is_shown_as_an_error_and_never_as_caught_up() {
    let fake = Fake::default();
    let seed = fake.world().add_activity(1);
    fake.world().stuck_pages = 3;
    let (mut events, _control) = spawn(fake.clone(), config(Start::Latest));
    let mut seen = Seen::default();
    read_until(&mut events, &mut seen, |s| !s.entries.is_empty()).await;
    let later = fake.world().add_activity(2);
    read_until(&mut events, &mut seen, |s| s.entries.len() >= 3).await;
    let stuck: Vec<&PollStatus> = seen
        .statuses
        .iter()
        .filter(|st| {
            st.last_error
                .as_deref()
                .is_some_and(|e| e.contains("stuck"))
        })
        .collect();
    assert!(!stuck.is_empty(), "{:?}", seen.statuses);
    assert!(
        stuck
            .iter()
            .all(|st| matches!(st.state, ConnState::Retrying { .. })),
        "{stuck:?}"
    );
    let first_stuck = seen
        .statuses
        .iter()
        .position(|st| st.last_error.is_some())
        .unwrap();
    assert!(
        seen.statuses[..first_stuck]
            .iter()
            .all(|st| st.state != ConnState::Live),
        "said caught up while stuck: {:?}",
        seen.statuses
    );
    assert_eq!(seen.entries, [seed, later].concat());
}
