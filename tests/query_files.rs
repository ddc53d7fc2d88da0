//! `auditui query` over several files: entries merged in id order, each once, whatever the files repeat.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const A: &str = "0194f5a3-7b2c-7def-8123-00000000000";

fn line(n: u32, user: &str) -> String {
    format!(
        r#"{{"id": "{A}{n}", "timestamp": "2025-02-11T16:08:4{n}", "type": "auth:login", "user": "{user}"}}"#
    )
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(file, "{l}").unwrap();
    }
    path
}

fn query(files: &[&Path], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .arg("query")
        .args(files)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn query_over_several_files_writes_each_entry_once_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    // The second file repeats two entries of the first and holds entries between and before them.
    let a = write(
        dir.path(),
        "a.jsonl",
        &[line(2, "eve"), line(4, "eve"), line(6, "bob")],
    );
    let b = write(
        dir.path(),
        "b.jsonl",
        &[
            line(1, "eve"),
            line(4, "eve"),
            line(5, "bob"),
            line(6, "bob"),
        ],
    );
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["id"].as_str().unwrap()[A.len()..].to_owned()
            })
            .collect()
    };
    assert_eq!(ids(&query(&[&a, &b], &[])), ["1", "2", "4", "5", "6"]);
    assert_eq!(
        ids(&query(&[&a, &b], &["--filter", "user:eve"])),
        ["1", "2", "4"]
    );
    assert_eq!(query(&[&a, &b], &["--format", "count"]).trim(), "5");
    assert_eq!(
        query(&[&a, &b], &["--filter", "user:bob", "--format", "count"]).trim(),
        "2"
    );
    let csv = query(&[&b, &a], &["--format", "csv"]);
    assert_eq!(csv.lines().count(), 1 + 5, "a header and five rows:\n{csv}");
    // One file is still written as it is read.
    assert_eq!(ids(&query(&[&b], &[])), ["1", "4", "5", "6"]);
}
