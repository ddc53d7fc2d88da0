//! The real `auditui doctor` binary against an in-process simulator.

use std::process::{Command, Output};
use std::time::Duration;

use auditui::simulator::{self, SimConfig, SimHandle};

const TOKEN: &str = "doctor-test-token-a1b2";
const LIMITED: &str = "doctor-limited-token-c3d4";

async fn start() -> SimHandle {
    let config = SimConfig {
        events_per_sec: 0.0,
        history: Duration::from_secs(600),
        rate_limit_per_min: 0,
        accept_token: TOKEN.into(),
        limited_token: Some(LIMITED.into()),
        ..SimConfig::default()
    };
    simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Runs `auditui doctor` with `token` in the environment (none: unset), isolated from the user's
/// config file and log directory.
async fn doctor(base_url: String, token: Option<&'static str>) -> (Output, String) {
    let output = tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_auditui"));
        command
            .args(["--base-url", &base_url, "doctor", "--log-file"])
            .arg(home.path().join("auditui.log"))
            .env("XDG_CONFIG_HOME", home.path())
            .env_remove("HARVEY_API_TOKEN");
        if let Some(token) = token {
            command.env("HARVEY_API_TOKEN", token);
        }
        command.output().unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_green_with_the_right_token() {
    let sim = start().await;
    let (output, text) = doctor(sim.base_url(), Some(TOKEN)).await;
    assert!(output.status.success(), "{text}");
    for line in [
        "✓ configuration",
        "✓ host reachable",
        "✓ token accepted",
        "✓ audit-log access",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(
        text.contains("email=audit-bot@hartwell-lane.example"),
        "{text}"
    );
    assert!(text.contains("token from HARVEY_API_TOKEN"), "{text}");
    assert!(text.contains("All checks passed."), "{text}");
    assert!(!text.contains(TOKEN), "the token was printed:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_reported_as_rejected() {
    let sim = start().await;
    let (output, text) = doctor(sim.base_url(), Some("wrong-token-9z")).await;
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("✓ host reachable"), "{text}");
    assert!(text.contains("✗ token accepted"), "{text}");
    assert!(text.contains("token rejected (401)"), "{text}");
    assert!(
        !text.contains("wrong-token-9z"),
        "the token was printed:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_audit_permission_is_told_which_role_it_needs() {
    let sim = start().await;
    let (output, text) = doctor(sim.base_url(), Some(LIMITED)).await;
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("✓ token accepted"), "{text}");
    assert!(text.contains("✗ audit-log access"), "{text}");
    assert!(text.contains("Organization admin"), "{text}");
    assert!(
        text.contains("permission list"),
        "the token's own permissions are named: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_says_how_to_set_one() {
    let sim = start().await;
    let (output, text) = doctor(sim.base_url(), None).await;
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("export HARVEY_API_TOKEN="), "{text}");
    assert!(text.contains("auditui demo"), "{text}");
    assert!(
        sim.requests().is_empty(),
        "nothing was sent without a token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_is_reported_and_the_rest_skipped() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (output, text) = doctor(format!("http://127.0.0.1:{port}"), Some(TOKEN)).await;
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("✗ host reachable"), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
    assert!(text.contains("- token accepted    skipped"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}
