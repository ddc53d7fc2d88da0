//! The simulator as an HTTP server: the documented answers to bad queries, its live activity, its
//! incident storyline and its knobs. Waits are on conditions, each with an overall timeout.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use auditui::client::{ApiError, Client, ClientOptions, Token};
use auditui::entry::Entry;
use auditui::simulator::storyline::{INTRUDER_ACCOUNT, INTRUDER_IP};
use auditui::simulator::{self, Burst, SERVICE_USER, SimConfig, SimHandle};
use uuid::Uuid;

const TOKEN: &str = "sim-test-token";

fn config() -> SimConfig {
    SimConfig {
        events_per_sec: 0.0,
        history: Duration::ZERO,
        rate_limit_per_min: 0,
        accept_token: TOKEN.into(),
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> SimHandle {
    simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts")
}

fn client(sim: &SimHandle) -> Client {
    Client::new(ClientOptions {
        base_url: sim.base_url(),
        token: Token::new(TOKEN).unwrap(),
        user_agent: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

/// Waits until `condition` holds, checking every 20 ms, failing after `limit`.
async fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let result = tokio::time::timeout(limit, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(result.is_ok(), "timed out waiting for {what}");
}

async fn wait_for<T, F: Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut attempt: impl FnMut() -> F,
) -> T {
    tokio::time::timeout(limit, async {
        loop {
            if let Some(value) = attempt().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test]
async fn bad_queries_get_400_json_with_a_reason() {
    let sim = start(config()).await;
    let http = reqwest::Client::new();
    let nil = Uuid::nil();
    let cases = [
        ("/api/v1/logs/audit?take=10".to_string(), 400, "from"),
        (
            "/api/v1/logs/audit?from=nope&take=10".to_string(),
            400,
            "UUID",
        ),
        (format!("/api/v1/logs/audit?from={nil}"), 400, "take"),
        (
            format!("/api/v1/logs/audit?from={nil}&take=0"),
            400,
            "between 1 and 1000",
        ),
        (
            format!("/api/v1/logs/audit?from={nil}&take=1001"),
            400,
            "between 1 and 1000",
        ),
        (
            format!("/api/v1/logs/audit?from={nil}&take=ten"),
            400,
            "between 1 and 1000",
        ),
        ("/api/v1/logs/audit/search".to_string(), 400, "time"),
        (
            "/api/v1/logs/audit/search?time=yesterday".to_string(),
            400,
            "epoch",
        ),
        (
            "/api/v1/logs/audit/search?time=0".to_string(),
            400,
            "last year",
        ),
        (
            "/api/v1/logs/audit/latest?log_type=no%3Asuch".to_string(),
            404,
            "No audit log entries",
        ),
        ("/api/v2/nothing".to_string(), 404, "Not found"),
    ];
    for (path, status, text) in cases {
        let response = http
            .get(format!("{}{path}", sim.base_url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(text), "{path}: {body}");
    }
}

#[tokio::test]
async fn missing_or_wrong_bearer_tokens_get_401_json_on_every_endpoint() {
    let sim = start(config()).await;
    let http = reqwest::Client::new();
    let paths = [
        "/api/v1/logs/audit?from=00000000-0000-0000-0000-000000000000&take=1",
        "/api/v1/logs/audit/latest",
        "/api/v1/logs/audit/earliest",
        "/api/v1/logs/audit/search?time=1",
        "/api/whoami",
    ];
    for path in paths {
        for auth in [None, Some("Bearer nope"), Some(TOKEN)] {
            let mut request = http.get(format!("{}{path}", sim.base_url()));
            if let Some(value) = auth {
                request = request.header("Authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{path} {auth:?}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"], "Unauthorized");
        }
    }
    assert!(
        sim.self_log_ids().is_empty(),
        "refused calls are not logged"
    );
}

#[tokio::test]
async fn activity_arrives_live_and_stops_while_paused_but_self_logging_goes_on() {
    let sim = start(SimConfig {
        events_per_sec: 40.0,
        ..config()
    })
    .await;
    wait_until("live activity", Duration::from_secs(10), || {
        sim.ground_truth().len() >= 20
    })
    .await;

    sim.pause_activity();
    let seen = sim.activity_ticks();
    wait_until("the pause to be seen", Duration::from_secs(10), || {
        sim.activity_ticks() >= seen + 2
    })
    .await;
    let frozen = sim.ground_truth();
    let seen = sim.activity_ticks();
    wait_until("more rounds while paused", Duration::from_secs(10), || {
        sim.activity_ticks() >= seen + 5
    })
    .await;
    assert_eq!(sim.ground_truth(), frozen);
    let api = client(&sim);
    api.latest(None).await.unwrap();
    assert_eq!(sim.self_log_ids().len(), 1);

    sim.resume_activity();
    wait_until("activity after resuming", Duration::from_secs(10), || {
        sim.ground_truth().len() > frozen.len()
    })
    .await;
}

#[tokio::test]
async fn bursts_add_n_entries_every_s_seconds() {
    let sim = start(SimConfig {
        burst: Some(Burst {
            size: 250,
            every: Duration::from_millis(200),
        }),
        ..config()
    })
    .await;
    wait_until("two bursts", Duration::from_secs(15), || {
        sim.ground_truth().len() >= 500
    })
    .await;
}

#[tokio::test]
async fn the_rate_limit_resets_when_its_window_ends() {
    let sim = start(SimConfig {
        rate_limit_per_min: 3,
        rate_window: Duration::from_millis(400),
        ..config()
    })
    .await;
    sim.emit(1);
    let api = client(&sim);
    let mut limited = None;
    for _ in 0..4 {
        if let Err(err) = api.latest(None).await {
            limited = Some(err);
            break;
        }
    }
    let limited = limited.expect("the fourth call within the window is refused");
    assert!(matches!(
        limited,
        ApiError::RateLimited {
            retry_after: Some(_)
        }
    ));
    let api2 = api.clone();
    wait_for("the window to reset", Duration::from_secs(10), || {
        let api = api2.clone();
        async move { api.latest(None).await.ok() }
    })
    .await;
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..4], [200, 200, 200, 429]);
    assert_eq!(statuses.last(), Some(&200));
    let admitted_in_first_window = statuses.iter().take_while(|s| **s == 200).count();
    assert_eq!(admitted_in_first_window, 3);
}

#[tokio::test]
async fn every_request_is_recorded_with_its_path_and_status() {
    let sim = start(config()).await;
    let api = client(&sim);
    let _ = api.latest(Some("auth:login")).await;
    let _ = api.whoami().await;
    let records = sim.requests();
    let seen: Vec<(&str, u16)> = records
        .iter()
        .map(|r| (r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("/api/v1/logs/audit/latest?log_type=auth%3Alogin", 404),
            ("/api/whoami", 200)
        ]
    );
    assert!(records[0].at <= records[1].at);
}

async fn all_entries(api: &Client) -> Vec<Entry> {
    let mut all = Vec::new();
    let mut cursor = Uuid::nil();
    loop {
        let batch = api.page(cursor, 1000, None).await.unwrap();
        assert!(batch.rejected.is_empty());
        let done = batch
            .entries
            .iter()
            .all(|e| e.kind == "api:audit_log_fetch" && e.user == SERVICE_USER);
        if let Some(last) = batch.last_id() {
            cursor = last;
        }
        all.extend(batch.entries);
        if done {
            return all;
        }
    }
}

#[tokio::test]
async fn the_history_holds_the_start_of_an_incident() {
    let sim = start(SimConfig {
        history: Duration::from_secs(2 * 3600),
        events_per_sec: 0.3,
        ..config()
    })
    .await;
    sim.pause_activity();
    let api = client(&sim);
    let all = all_entries(&api).await;
    assert!(all.len() > 1500, "{}", all.len());
    let from_intruder: Vec<&Entry> = all.iter().filter(|e| e.ip == INTRUDER_IP).collect();
    let victim = &from_intruder[0].user;
    let position = |kind: &str| {
        from_intruder
            .iter()
            .position(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} from the intruder"))
    };
    let failures = from_intruder
        .iter()
        .take_while(|e| e.kind == "auth:failed")
        .count();
    assert!(failures >= 6, "{failures}");
    assert!(position("auth:login") < position("api:token_mgmt_rotate"));
    assert!(position("api:token_mgmt_rotate") < position("admin:add_users"));
    let hint = sim.storyline_hint();
    assert!(
        hint.contains(victim.as_str()) && hint.contains(INTRUDER_IP),
        "{hint}"
    );
    let added = &from_intruder[position("admin:add_users")];
    assert_eq!(&added.user, victim);
    assert_eq!(added.data_value()["emails"][0], INTRUDER_ACCOUNT);
    let users: HashSet<&str> = all.iter().map(|e| e.user.as_str()).collect();
    assert!(users.len() >= 24, "a workspace of dozens: {}", users.len());
    let kinds: HashSet<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.len() >= 15, "{kinds:?}");
}

#[tokio::test]
async fn timestamps_vary_in_form_and_sometimes_disagree_with_id_order() {
    let sim = start(SimConfig {
        history: Duration::from_secs(3 * 3600),
        events_per_sec: 0.5,
        ..config()
    })
    .await;
    sim.pause_activity();
    let all = all_entries(&client(&sim)).await;
    let stamp = |e: &Entry| {
        let raw: serde_json::Value = serde_json::from_str(e.raw.get()).unwrap();
        raw["timestamp"].as_str().unwrap().to_owned()
    };
    let stamps: Vec<String> = all.iter().map(stamp).collect();
    let zoned = stamps.iter().filter(|t| t.ends_with('Z')).count();
    let offset = stamps
        .iter()
        .filter(|t| t.len() > 19 && (t[19..].contains('+') || t[19..].contains('-')))
        .count();
    let bare = stamps.len() - zoned - offset;
    assert!(bare > stamps.len() * 3 / 4, "mostly without a zone");
    assert!(
        zoned > 0 && offset > 0,
        "{zoned} with Z, {offset} with an offset"
    );
    let digits: HashSet<usize> = stamps
        .iter()
        .map(|t| {
            t.split_once('.')
                .map(|(_, f)| f.chars().take_while(char::is_ascii_digit).count())
                .unwrap_or(0)
        })
        .collect();
    assert!(digits.len() >= 8, "fraction lengths {digits:?}");
    let inversions = all.windows(2).filter(|w| w[0].ts > w[1].ts).count();
    assert!(inversions > 0, "ids and timestamps never disagree");
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
}

#[tokio::test]
async fn the_incident_goes_on_live_after_the_start() {
    let sim = start(SimConfig {
        history: Duration::from_secs(3600),
        // Played ten times as fast: the live part's first event comes 2 s in instead of 20.
        story_speed: 10.0,
        ..config()
    })
    .await;
    sim.pause_activity();
    let before: HashSet<Uuid> = sim.ground_truth().into_iter().collect();
    sim.resume_activity();
    // The live part starts 20 s in (of story time): an intruder's login from the same address.
    let api = client(&sim);
    let login = wait_for("the intruder's live login", Duration::from_secs(60), || {
        let api = api.clone();
        async move {
            let batch = api.latest(Some("auth:login")).await.ok()?;
            batch
                .entries
                .into_iter()
                .find(|e| e.user == INTRUDER_ACCOUNT && e.ip == INTRUDER_IP)
        }
    })
    .await;
    assert!(!before.contains(&login.id));
}

#[tokio::test]
async fn search_answers_with_and_without_a_trailing_slash() {
    let sim = start(SimConfig {
        history: Duration::from_secs(600),
        events_per_sec: 1.0,
        ..config()
    })
    .await;
    sim.pause_activity();
    let http = reqwest::Client::new();
    let mut bodies = Vec::new();
    let recent = chrono::Utc::now().timestamp() - 300;
    for path in ["/api/v1/logs/audit/search", "/api/v1/logs/audit/search/"] {
        let answer = http
            .get(format!("{}{path}?time={recent}", sim.base_url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        bodies.push(answer.text().await.unwrap());
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn the_documented_types_appear_and_some_repeat_the_caller_in_data() {
    let sim = start(SimConfig {
        history: Duration::from_secs(6 * 3600),
        events_per_sec: 1.0,
        ..config()
    })
    .await;
    sim.pause_activity();
    let all = all_entries(&client(&sim)).await;
    let kinds: HashSet<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "api:client_matter_management",
        "api:history_fetch",
        "api:vault_list_projects",
        "api:vault_get_metadata",
        "admin:fetch_workspace_history_item",
    ] {
        assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
    }
    let repeated = all
        .iter()
        .find(|e| e.kind == "api:history_fetch")
        .expect("a history fetch");
    let data = repeated.data_value();
    assert_eq!(data["ip"], repeated.ip.as_str());
    assert_eq!(data["user_agent"], repeated.user_agent.as_str());
    assert_eq!(data["site"], "app.harvey.ai");
}
