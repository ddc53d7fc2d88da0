//! Cases headless: `auditui case list` names each case with its marks and where it is kept, `evidence
//! --case NAME --marked` bundles the case's marks with their notes, `query --case` answers `is:marked`,
//! and a damaged case store stops the command with what to do.

use std::path::Path;
use std::process::{Command, Output};

use auditui::case::{Case, CaseStore, Kind};
use uuid::Uuid;

fn auditui(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env("HOME", data)
        .env_remove("HARVEY_API_TOKEN")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn id(n: u128) -> Uuid {
    Uuid::parse_str(&format!("0194f5a3-7b2c-7def-8123-{n:012}")).unwrap()
}

/// Five entries in a file, and a case in the data directory's cases file marking two with notes.
fn fixture(data: &Path) -> std::path::PathBuf {
    let file = data.join("saved.jsonl");
    let lines: String = (1..=5)
        .map(|n| {
            format!(
                "{{\"id\":\"{}\",\"timestamp\":\"2026-11-24T09:0{n}:00\",\"type\":\"auth:failed\",\"user\":\"u{n}@example.com\",\"ip\":\"185.220.101.47\"}}\n",
                id(n)
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let mut store =
        CaseStore::open(&data.join("auditui").join("cases.sqlite"), Kind::Standalone).unwrap();
    store
        .save(
            &Case {
                name: "kestrel".into(),
                marks: [(id(2), Some("first failure".to_owned())), (id(4), None)]
                    .into_iter()
                    .collect(),
                filters: vec!["ip:185.220".into()],
                filter: "ip:185.220".into(),
            },
            1_795_516_200_000_000_000,
        )
        .unwrap();
    file
}

#[test]
fn case_list_names_each_case_with_its_marks_and_where_it_is_kept() {
    let data = tempfile::tempdir().unwrap();
    let empty = auditui(data.path(), &["case", "list"]);
    assert!(empty.status.success());
    assert!(
        text(&empty.stderr).contains("no cases yet"),
        "{}",
        text(&empty.stderr)
    );
    fixture(data.path());
    let listed = auditui(data.path(), &["case", "list"]);
    let out = text(&listed.stdout);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        out.starts_with("kestrel\t2 marks (1 with a note)\tlast change 2026-11-24T"),
        "{out}"
    );
    assert!(
        out.contains("cases file") && out.contains("cases.sqlite"),
        "{out}"
    );
}

#[test]
fn evidence_of_a_case_holds_its_marked_entries_and_notes_and_verifies() {
    let data = tempfile::tempdir().unwrap();
    let file = fixture(data.path());
    let bundle = data.path().join("bundle");
    let made = auditui(
        data.path(),
        &[
            "evidence",
            "--input",
            file.to_str().unwrap(),
            "--case",
            "kestrel",
            "--marked",
            "-o",
            bundle.to_str().unwrap(),
        ],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["case"], "kestrel");
    assert_eq!(manifest["counts"]["total"], 2);
    assert_eq!(manifest["counts"]["marked"], 2);
    assert_eq!(manifest["marks"][0]["note"], "first failure");
    assert_eq!(manifest["marks"][0]["in_bundle"], true);
    let timeline = std::fs::read_to_string(bundle.join("timeline.md")).unwrap();
    assert!(timeline.contains("first failure"), "{timeline}");
    let checked = auditui(data.path(), &["verify", bundle.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", text(&checked.stdout));

    let unknown = auditui(
        data.path(),
        &[
            "evidence",
            "--input",
            file.to_str().unwrap(),
            "--case",
            "nobody",
            "--marked",
            "-o",
            "x",
        ],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no stored case nobody"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn query_answers_is_marked_from_the_case() {
    let data = tempfile::tempdir().unwrap();
    let file = fixture(data.path());
    let counted = auditui(
        data.path(),
        &[
            "query",
            file.to_str().unwrap(),
            "--case",
            "kestrel",
            "--filter",
            "-is:marked",
            "--format",
            "count",
        ],
    );
    assert!(counted.status.success(), "{}", text(&counted.stderr));
    assert_eq!(text(&counted.stdout).trim(), "3");
}

#[test]
fn a_damaged_case_store_stops_with_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    let file = fixture(data.path());
    std::fs::write(
        data.path().join("auditui").join("cases.sqlite"),
        b"not a database at all".repeat(60),
    )
    .unwrap();
    let out = auditui(
        data.path(),
        &[
            "query",
            file.to_str().unwrap(),
            "--case",
            "kestrel",
            "--filter",
            "is:marked",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("is damaged") && err.contains("move it aside"),
        "{err}"
    );
}
