//! `auditui evidence` and `auditui verify` end to end: a bundle of the simulator's incident, checked by
//! `verify` and by `sha256sum -c`, damaged one byte at a time, and full of hostile text kept inert.

mod evidence_support;

use auditui::sanitize::is_unsafe;
use auditui::simulator::storyline::INTRUDER_IP;
use evidence_support::{
    BUNDLE_FILES, TOKEN, copy_bundle, start_simulator, text, verify, write_bundle,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_of_the_incident_verifies_and_names_each_damaged_file() {
    let sim = start_simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let filter = format!("ip:{INTRUDER_IP}");
    let bundle = write_bundle(
        &sim,
        dir.path(),
        "incident",
        &["--since", "55m", "--filter", &filter, "--case", "kestrel"],
    )
    .await;

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["counts"]["by_type"]["auth:failed"], 8,
        "{manifest:#}"
    );
    assert_eq!(manifest["counts"]["by_type"]["admin:add_users"], 1);
    assert_eq!(manifest["coverage"]["complete"], true);
    assert_eq!(manifest["case"], "kestrel");
    assert_eq!(manifest["source"]["service_user"]["type"], "service_user");
    assert_eq!(manifest["query"]["filter"], filter);
    assert!(
        manifest["made_by"]
            .as_str()
            .unwrap()
            .starts_with("auditui evidence --base-url")
    );
    let total = manifest["counts"]["total"].as_u64().unwrap();
    let jsonl = std::fs::read_to_string(bundle.join("entries.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count() as u64, total);
    assert!(jsonl.lines().all(|l| l.contains(INTRUDER_IP)));

    let checked = verify(&bundle).await;
    assert!(
        checked.status.success(),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    assert!(
        text(&checked.stdout).contains("intact (6 files"),
        "{}",
        text(&checked.stdout)
    );

    let sums = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&bundle)
        .output()
        .expect("sha256sum runs (coreutils)");
    assert!(
        sums.status.success(),
        "{}{}",
        text(&sums.stdout),
        text(&sums.stderr)
    );
    assert_eq!(
        text(&sums.stdout).matches(": OK").count(),
        6,
        "{}",
        text(&sums.stdout)
    );

    for name in BUNDLE_FILES {
        let damaged = dir.path().join(format!("damaged-{name}"));
        copy_bundle(&bundle, &damaged);
        let path = damaged.join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let checked = verify(&damaged).await;
        let said = text(&checked.stdout);
        assert!(
            !checked.status.success(),
            "{name} flipped, verify passed: {said}"
        );
        assert!(
            said.contains(&format!("changed: {name}")),
            "{name} flipped: {said}"
        );
    }

    for name in BUNDLE_FILES {
        let bytes = std::fs::read(bundle.join(name)).unwrap();
        assert!(!text(&bytes).contains(TOKEN), "{name} holds the token");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_entries_stay_inert_in_every_file_but_the_raw_one_keeps_them_exact() {
    let sim = start_simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = write_bundle(
        &sim,
        dir.path(),
        "all",
        &["--since", "30m", "--filter", "ip:203.0.113.66"],
    )
    .await;
    let jsonl = std::fs::read_to_string(bundle.join("entries.jsonl")).unwrap();
    assert!(
        jsonl.lines().count() >= 5,
        "the hostile entries are in the window: {jsonl}"
    );
    assert!(
        jsonl.contains(r"\u001b]0;auditui pwned"),
        "raw entries keep the API's text"
    );
    for name in BUNDLE_FILES.iter().filter(|n| **n != "entries.jsonl") {
        let content = std::fs::read_to_string(bundle.join(name)).unwrap();
        let live: Vec<char> = content
            .chars()
            .filter(|&c| c != '\n' && is_unsafe(c))
            .collect();
        assert!(live.is_empty(), "{name} holds live characters {live:?}");
    }
    let md = std::fs::read_to_string(bundle.join("timeline.md")).unwrap();
    assert!(md.contains(r"` user:\x1b[5mblink\x1b[0m `"), "{md}");
    let html = std::fs::read_to_string(bundle.join("timeline.html")).unwrap();
    assert!(
        html.contains(r"invoice\u{202e}fdp.exe"),
        "bidi override shown as an escape"
    );
    let csv = std::fs::read_to_string(bundle.join("entries.csv")).unwrap();
    assert!(
        !csv.contains("\nFAKE 2026"),
        "a line break in a value cannot forge a row"
    );
    sim.shutdown().await;
}
