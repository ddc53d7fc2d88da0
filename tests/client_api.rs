//! The client against the simulator over real HTTP: every answer the API can give, and every way a call
//! can fail.

use std::collections::BTreeSet;
use std::time::Duration;

use auditui::client::{ApiError, Client, ClientOptions, Token};
use auditui::entry::{Batch, Entry};
use auditui::simulator::storyline::hostile_strings;
use auditui::simulator::{self, Faults, LatestShape, SERVICE_USER, SimConfig, SimHandle};
use uuid::Uuid;

const TOKEN: &str = "sim-test-token-5f2e";
const LIMITED: &str = "sim-limited-token-77";

/// A simulator with no live activity and no limit: only what a test puts in it.
fn quiet() -> SimConfig {
    SimConfig {
        events_per_sec: 0.0,
        history: Duration::from_secs(3600),
        rate_limit_per_min: 0,
        accept_token: TOKEN.into(),
        limited_token: Some(LIMITED.into()),
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimHandle {
    let sim = simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    sim.pause_activity();
    sim
}

fn client_with(base_url: &str, token: &str, timeout: Duration) -> Client {
    Client::new(ClientOptions {
        base_url: base_url.into(),
        token: Token::new(token).unwrap(),
        user_agent: None,
        timeout,
    })
    .unwrap()
}

fn client(sim: &SimHandle, token: &str) -> Client {
    client_with(&sim.base_url(), token, Duration::from_secs(10))
}

/// Every entry after `from`, page by page, retrying broken bodies (they are transient). Each call adds
/// its own fetch entry to the log, so the end is a page holding nothing but those.
async fn drain(client: &Client, from: Uuid, take: u16) -> Batch {
    let mut all = Batch::default();
    let mut cursor = from;
    for _ in 0..10_000 {
        let batch = match client.page(cursor, take, None).await {
            Ok(batch) => batch,
            Err(ApiError::BadBody(_)) => continue,
            Err(err) => panic!("page failed: {err}"),
        };
        let only_own = batch.rejected.is_empty() && batch.entries.iter().all(is_own);
        if let Some(last) = batch.last_id() {
            cursor = last;
        }
        all.entries.extend(batch.entries);
        all.rejected.extend(batch.rejected);
        if only_own {
            return all;
        }
    }
    panic!("the log never ran out");
}

/// One of the service user's own fetch entries (other integrations' fetches are activity).
fn is_own(entry: &Entry) -> bool {
    entry.kind == "api:audit_log_fetch" && entry.user == SERVICE_USER
}

fn ids(entries: &[Entry]) -> Vec<Uuid> {
    entries.iter().map(|e| e.id).collect()
}

#[tokio::test]
async fn page_answers_ids_strictly_after_from_in_ascending_order() {
    let sim = start(quiet()).await;
    sim.emit(50);
    let truth = sim.ground_truth();
    let api = client(&sim, TOKEN);
    let batch = api.page(truth[10], 7, None).await.unwrap();
    assert_eq!(ids(&batch.entries), &truth[11..18]);
    let everything = drain(&api, Uuid::nil(), 13).await;
    let got = ids(&everything.entries);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
    let activity: Vec<Uuid> = everything
        .entries
        .iter()
        .filter(|e| !is_own(e))
        .map(|e| e.id)
        .collect();
    assert_eq!(activity, truth);
}

#[tokio::test]
async fn page_filters_by_log_type_on_the_server() {
    let sim = start(quiet()).await;
    sim.emit(300);
    let api = client(&sim, TOKEN);
    let batch = api
        .page(Uuid::nil(), 1000, Some("auth:login"))
        .await
        .unwrap();
    assert!(!batch.entries.is_empty());
    assert!(batch.entries.iter().all(|e| e.kind == "auth:login"));
}

#[tokio::test]
async fn take_outside_1_to_1000_is_refused_before_sending() {
    let sim = start(quiet()).await;
    let api = client(&sim, TOKEN);
    for take in [0, 1001, u16::MAX] {
        let err = api.page(Uuid::nil(), take, None).await.unwrap_err();
        assert!(
            matches!(err, ApiError::BadRequest(ref m) if m.contains("take")),
            "{err}"
        );
    }
    assert!(sim.requests().is_empty());
    assert!(api.page(Uuid::nil(), 1000, None).await.is_ok());
}

#[tokio::test]
async fn latest_answers_the_newest_entry_in_the_current_shape() {
    let sim = start(quiet()).await;
    sim.emit(20);
    let newest = *sim.ground_truth().last().unwrap();
    let batch = client(&sim, TOKEN).latest(None).await.unwrap();
    assert_eq!(ids(&batch.entries), [newest]);
}

#[tokio::test]
async fn latest_in_the_older_bare_array_shape_is_understood() {
    let sim = start(SimConfig {
        latest_shape: LatestShape::BareArray,
        ..quiet()
    })
    .await;
    sim.emit(150);
    let truth = sim.ground_truth();
    let batch = client(&sim, TOKEN).latest(None).await.unwrap();
    assert_eq!(batch.entries.len(), 100);
    assert_eq!(batch.last_id(), truth.last().copied());
    let got: BTreeSet<Uuid> = ids(&batch.entries).into_iter().collect();
    let want: BTreeSet<Uuid> = truth[truth.len() - 100..].iter().copied().collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn earliest_and_search_find_their_entries() {
    let sim = start(SimConfig {
        events_per_sec: 0.2,
        ..quiet()
    })
    .await;
    let api = client(&sim, TOKEN);
    let all = drain(&api, Uuid::nil(), 1000).await.entries;
    let earliest = api.earliest(None).await.unwrap();
    assert_eq!(ids(&earliest.entries), [all[0].id]);

    let pivot = all[all.len() / 2].ts;
    let secs = pivot.div_euclid(1_000_000_000) + 1;
    let found = api.search(secs, None).await.unwrap();
    let want = all
        .iter()
        .find(|e| e.ts >= secs * 1_000_000_000)
        .expect("some entry is later");
    assert_eq!(ids(&found.entries), [want.id]);
}

#[tokio::test]
async fn a_seed_that_finds_nothing_is_an_empty_batch() {
    let sim = start(SimConfig {
        history: Duration::ZERO,
        ..quiet()
    })
    .await;
    let api = client(&sim, TOKEN);
    assert!(api.latest(None).await.unwrap().is_empty());
    assert!(api.earliest(Some("no:such_type")).await.unwrap().is_empty());
    let tomorrow = chrono::Utc::now().timestamp() + 86_400;
    assert!(api.search(tomorrow, None).await.unwrap().is_empty());
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [404, 404, 404]);
}

#[tokio::test]
async fn a_bad_query_reports_the_servers_text() {
    let sim = start(quiet()).await;
    let api = client(&sim, TOKEN);
    let two_years_ago = chrono::Utc::now().timestamp() - 2 * 366 * 86_400;
    let err = api.search(two_years_ago, None).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::BadRequest("Invalid parameter: time must be within the last year".into())
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_wrong_token_is_rejected_without_showing_it() {
    let sim = start(quiet()).await;
    let wrong = "wrong-token-do-not-print";
    let api = client(&sim, wrong);
    let errors = [
        api.latest(None).await.unwrap_err(),
        api.page(Uuid::nil(), 10, None).await.unwrap_err(),
        api.whoami().await.unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err, ApiError::Unauthorized);
        let shown = format!("{err} {err:?} {api:?}");
        assert!(shown.contains("HARVEY_API_TOKEN"));
        assert!(!shown.contains(wrong), "{shown}");
    }
}

#[tokio::test]
async fn a_token_without_audit_permission_gets_forbidden_but_whoami_answers() {
    let sim = start(quiet()).await;
    let api = client(&sim, LIMITED);
    assert_eq!(api.latest(None).await.unwrap_err(), ApiError::Forbidden);
    assert!(
        ApiError::Forbidden
            .to_string()
            .contains("Territory admin or Organization admin")
    );
    let who = api.whoami().await.unwrap();
    assert!(who.contains_key("email"));
}

#[tokio::test]
async fn whoami_returns_the_service_user_object() {
    let sim = start(quiet()).await;
    let who = client(&sim, TOKEN).whoami().await.unwrap();
    assert_eq!(who["email"], SERVICE_USER);
}

#[tokio::test]
async fn over_the_rate_limit_is_429_with_retry_after() {
    let sim = start(SimConfig {
        rate_limit_per_min: 2,
        ..quiet()
    })
    .await;
    let api = client(&sim, TOKEN);
    api.latest(None).await.unwrap();
    api.latest(None).await.unwrap();
    let err = api.latest(None).await.unwrap_err();
    let wait = err.retry_after().expect("Retry-After parsed");
    assert!(matches!(err, ApiError::RateLimited { .. }));
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    assert!(err.is_retryable());
    // whoami is not an audit endpoint: not counted.
    assert!(api.whoami().await.is_ok());
}

#[tokio::test]
async fn a_server_error_is_500_and_retryable() {
    let sim = start(SimConfig {
        error_rate: 1.0,
        ..quiet()
    })
    .await;
    let err = client(&sim, TOKEN).latest(None).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::Server {
            status: 500,
            message: "Unexpected server error".into()
        }
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_outage_can_be_switched_on_and_off_while_running() {
    let sim = start(quiet()).await;
    sim.emit(3);
    let api = client(&sim, TOKEN);
    assert!(api.latest(None).await.is_ok());
    sim.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let err = api.latest(None).await.unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 500, .. }), "{err}");
    sim.set_faults(Faults::default());
    assert!(api.latest(None).await.is_ok());
}

#[tokio::test]
async fn a_broken_body_is_a_retryable_bad_body_error() {
    let sim = start(SimConfig {
        malformed_rate: 1.0,
        ..quiet()
    })
    .await;
    sim.emit(10);
    let api = client(&sim, TOKEN);
    for err in [
        api.page(Uuid::nil(), 100, None).await.unwrap_err(),
        api.latest(None).await.unwrap_err(),
    ] {
        assert!(matches!(err, ApiError::BadBody(_)), "{err}");
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn malformed_entries_are_rejected_one_by_one_and_nothing_is_lost() {
    let sim = start(SimConfig {
        malformed_rate: 0.3,
        history: Duration::ZERO,
        ..quiet()
    })
    .await;
    sim.emit(400);
    let api = client(&sim, TOKEN);
    let all = drain(&api, Uuid::nil(), 50).await;
    assert!(!all.rejected.is_empty());
    let activity: Vec<Uuid> = all
        .entries
        .iter()
        .filter(|e| !is_own(e))
        .map(|e| e.id)
        .collect();
    assert_eq!(activity, sim.ground_truth());
    let rejected: Vec<Uuid> = all.rejected.iter().filter_map(|r| r.id).collect();
    assert_eq!(rejected, sim.malformed_ids());
    assert!(all.rejected.iter().all(|r| !r.reason.is_empty()));
}

#[tokio::test]
async fn a_slow_answer_past_the_timeout_is_a_timeout() {
    let sim = start(SimConfig {
        slow_rate: 1.0,
        slow_delay: Duration::from_secs(5),
        ..quiet()
    })
    .await;
    let api = client_with(&sim.base_url(), TOKEN, Duration::from_millis(200));
    let err = api.latest(None).await.unwrap_err();
    assert_eq!(err, ApiError::Timeout);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let api = client_with(
        &format!("http://127.0.0.1:{port}"),
        TOKEN,
        Duration::from_secs(5),
    );
    let err = api.latest(None).await.unwrap_err();
    assert!(matches!(err, ApiError::Network(_)), "{err}");
    assert!(err.is_retryable());
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test]
async fn hostile_strings_arrive_intact_in_raw() {
    let sim = start(quiet()).await;
    let api = client(&sim, TOKEN);
    let all = drain(&api, Uuid::nil(), 1000).await;
    let values: Vec<serde_json::Value> = all
        .entries
        .iter()
        .map(|e| serde_json::from_str(e.raw.get()).unwrap())
        .collect();
    for hostile in hostile_strings() {
        let found = values.iter().any(|v| contains_string(v, &hostile));
        assert!(
            found,
            "{:?} did not arrive intact",
            &hostile[..hostile.len().min(40)]
        );
    }
    assert!(all.entries.iter().any(|e| e.kind.contains('\u{1b}')));
}

fn contains_string(value: &serde_json::Value, wanted: &str) -> bool {
    match value {
        serde_json::Value::String(s) => s == wanted,
        serde_json::Value::Array(items) => items.iter().any(|v| contains_string(v, wanted)),
        serde_json::Value::Object(map) => map.values().any(|v| contains_string(v, wanted)),
        _ => false,
    }
}

#[tokio::test]
async fn each_audit_call_is_logged_after_its_answer() {
    let sim = start(quiet()).await;
    sim.emit(5);
    let api = Client::new(ClientOptions {
        base_url: sim.base_url(),
        token: Token::new(TOKEN).unwrap(),
        user_agent: Some("auditui-test/1".into()),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let newest = api.latest(Some("api:create_query")).await.unwrap();
    assert_eq!(newest.entries.len(), 1);
    assert_eq!(newest.entries[0].kind, "api:create_query");
    let last_activity = *sim.ground_truth().last().unwrap();
    let after = api.page(last_activity, 10, None).await.unwrap();
    assert_eq!(after.entries.len(), 1, "the latest call's own entry");
    let fetch = &after.entries[0];
    assert_eq!(fetch.kind, "api:audit_log_fetch");
    assert_eq!(fetch.user, SERVICE_USER);
    assert_eq!(fetch.ip, "127.0.0.1");
    assert_eq!(fetch.user_agent, "auditui-test/1");
    assert_eq!(
        fetch.data_value()["route"],
        "/api/v1/logs/audit/latest?log_type=api%3Acreate_query"
    );
    assert_eq!(sim.self_log_ids().len(), 2);
}

#[tokio::test]
async fn the_default_user_agent_names_the_program_and_version() {
    let sim = start(quiet()).await;
    let api = client(&sim, TOKEN);
    api.latest(None).await.unwrap();
    let entry = api.latest(None).await.unwrap().entries.remove(0);
    assert_eq!(
        entry.user_agent,
        format!("auditui/{}", env!("CARGO_PKG_VERSION"))
    );
}
