//! `auditui sync`, the real binary against the simulator on loopback: killed with SIGKILL at random
//! moments during bursts and restarted, the archive ends with every entry once; a restart spends almost
//! nothing; a second writer is refused by name; `--until` ends the run.

mod tail_support;

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use auditui::archive::{Archive, Select};
use auditui::simulator::{Burst, DEMO_TOKEN, SimConfig, SimHandle};
use rand::RngExt;
use tail_support::{AUDIT_PATH, assert_same_stream, start_simulator};
use tokio::process::{Child, Command};
use uuid::Uuid;

fn sync(sim: &SimHandle, archive: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_auditui"))
        .arg("sync")
        .args(["--base-url", &sim.base_url()])
        .arg("--archive")
        .arg(archive)
        .arg("--log-file")
        .arg(archive.with_extension("log"))
        .args(args)
        .env("HARVEY_API_TOKEN", DEMO_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("auditui runs")
}

/// Waits for a run to end by itself; its success and stderr.
async fn finish(child: Child) -> (bool, String) {
    let output = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("sync ends within 90 s")
        .expect("wait works");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains(DEMO_TOKEN), "the token appears on stderr");
    (output.status.success(), stderr)
}

fn stored_ids(archive: &Path) -> (Vec<Uuid>, Vec<Uuid>) {
    let reader = Archive::open_read(archive).unwrap();
    let mut ids = Vec::new();
    reader
        .entries(&Select::default(), |entry| {
            ids.push(entry.unwrap().id);
            ControlFlow::Continue(())
        })
        .unwrap();
    let rejected = reader
        .rejected()
        .unwrap()
        .into_iter()
        .filter_map(|r| r.id)
        .collect();
    (ids, rejected)
}

fn audit_requests(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path.starts_with(AUDIT_PATH))
        .count()
}

fn bursty() -> SimConfig {
    SimConfig {
        seed: 11,
        events_per_sec: 20.0,
        burst: Some(Burst {
            size: 2000,
            every: Duration::from_secs(2),
        }),
        rate_limit_per_min: 0,
        error_rate: 0.05,
        malformed_rate: 0.02,
        history: Duration::from_secs(300),
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing_and_repeats_nothing() {
    let sim = start_simulator(bursty()).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.sqlite");
    let args = ["--from-start", "--budget", "600", "--interval", "0.2"];
    let mut rng = rand::rng();
    let mut kills = 0;
    for _ in 0..8 {
        let mut child = sync(&sim, &archive, &args);
        let wait = Duration::from_millis(rng.random_range(150..1200));
        tokio::time::sleep(wait).await;
        child.start_kill().expect("SIGKILL is sent");
        let status = child.wait().await.unwrap();
        // Killed, not ended for its own reasons (which would make the test prove nothing).
        assert!(!status.success(), "sync ended by itself: {status:?}");
        kills += 1;
    }
    assert_eq!(kills, 8);
    let (mid, _) = stored_ids(&archive);
    assert!(
        mid.len() > 1000,
        "the killed runs stored something: {}",
        mid.len()
    );

    sim.pause_activity();
    let ticks = sim.activity_ticks();
    while sim.activity_ticks() < ticks + 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (ok, stderr) = finish(sync(&sim, &archive, &["--once", "--budget", "600"])).await;
    assert!(ok, "{stderr}");

    let reader = Archive::open_read(&archive).unwrap();
    let status = reader.status().unwrap();
    let cursor = status.stretches.last().expect("a stretch").hi;
    assert_eq!(
        status.stretches.len(),
        1,
        "one stretch: {:?}",
        status.stretches
    );
    assert_eq!(status.repeated, 0, "no entry was fetched twice");
    let (ids, rejected) = stored_ids(&archive);
    let unique: HashSet<&Uuid> = rejected.iter().collect();
    assert_eq!(
        unique.len(),
        rejected.len(),
        "a malformed entry stored twice"
    );
    let mut stored: Vec<Uuid> = ids.into_iter().chain(rejected).collect();
    stored.sort();
    let mut truth: Vec<Uuid> = sim
        .ground_truth()
        .into_iter()
        .chain(sim.self_log_ids())
        .chain(sim.malformed_ids())
        .filter(|id| *id <= cursor)
        .collect();
    truth.sort();
    assert_same_stream(&stored, &truth);
    assert_eq!(
        status.stretches[0].lo, truth[0],
        "from the first entry of the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reads_the_archive_first_and_spends_at_most_three_requests() {
    let sim = start_simulator(SimConfig {
        rate_limit_per_min: 0,
        history: Duration::from_secs(3 * 3600),
        events_per_sec: 5.0,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.sqlite");
    let (ok, stderr) = finish(sync(
        &sim,
        &archive,
        &["--since", "4h", "--once", "--budget", "600"],
    ))
    .await;
    assert!(ok, "{stderr}");
    // The whole history is there before any request of the next run.
    let held = Archive::open_read(&archive)
        .unwrap()
        .count(&Select::default())
        .unwrap();
    assert!(held > 5000, "{held}");
    let before = audit_requests(&sim);
    let (ok, stderr) = finish(sync(&sim, &archive, &["--once", "--budget", "600"])).await;
    assert!(ok, "{stderr}");
    let spent = audit_requests(&sim) - before;
    assert!(
        (1..=3).contains(&spent),
        "the restart spent {spent} requests: {stderr}"
    );
    assert!(stderr.contains("done; stored"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_is_refused_naming_the_first() {
    let sim = start_simulator(SimConfig {
        history: Duration::from_secs(600),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.sqlite");
    let first = sync(&sim, &archive, &["--interval", "0.5"]);
    let pid = first.id().unwrap();
    let lock = format!("{}.lock", archive.display());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("auditui sync")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first sync never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (ok, stderr) = finish(sync(&sim, &archive, &[])).await;
    assert!(!ok);
    assert!(
        stderr.contains(&format!("already has a writer (pid {pid} (auditui sync)")),
        "{stderr}"
    );
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn until_ends_the_sync_at_the_end_of_its_window() {
    let sim = start_simulator(SimConfig {
        rate_limit_per_min: 0,
        history: Duration::from_secs(3600),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.sqlite");
    let (ok, stderr) = finish(sync(
        &sim,
        &archive,
        &["--since", "50m", "--until", "40m", "--budget", "600"],
    ))
    .await;
    assert!(ok, "{stderr}");
    let reader = Archive::open_read(&archive).unwrap();
    let window_end = auditui::clock::now() - 40 * 60 * 1_000_000_000;
    let late = Select {
        since: Some(window_end + 60 * 1_000_000_000),
        ..Select::default()
    };
    // What lies past the window is at most the rest of the page that crossed its end.
    let past = reader.count(&late).unwrap();
    assert!(
        past < 1000,
        "{past} entries past the window: it went on polling"
    );
    let all = reader.count(&Select::default()).unwrap();
    assert!(
        sim.len() as u64 > all + 1000,
        "it stopped well before the newest entry"
    );
    assert!(reader.count(&Select::default()).unwrap() > 0);
}

#[tokio::test]
async fn the_archive_remembers_each_sync_session_so_readers_can_leave_its_fetches_out() {
    let sim = start_simulator(SimConfig {
        seed: 5,
        events_per_sec: 2.0,
        rate_limit_per_min: 0,
        history: Duration::from_secs(600),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.sqlite");
    for _ in 0..2 {
        let (ok, stderr) = finish(sync(
            &sim,
            &archive,
            &["--since", "5m", "--once", "--budget", "600"],
        ))
        .await;
        assert!(ok, "{stderr}");
    }
    let reader = Archive::open_read(&archive).unwrap();
    let agents = reader.own_agents().unwrap();
    assert_eq!(agents.len(), 2, "{agents:?}");
    let fetches = |select: &Select| {
        let mut agents_seen = Vec::new();
        reader
            .entries(select, |entry| {
                let entry = entry.unwrap();
                if entry.kind == "api:audit_log_fetch" {
                    agents_seen.push(entry.user_agent);
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        agents_seen
    };
    let stored = fetches(&Select::default());
    assert!(
        stored.iter().any(|a| *a == agents[1]),
        "the second run stored the first run's fetches: {agents:?}"
    );
    let shown = fetches(&Select {
        without_own_fetches: true,
        ..Select::default()
    });
    assert!(shown.len() < stored.len());
    assert!(
        shown.iter().all(|a| !agents.contains(a)),
        "no fetch of a remembered session is left: {shown:?}"
    );
}
