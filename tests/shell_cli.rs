//! The binary as a shell user meets it: pipes that close early, no terminal, formats on stdout,
//! completions and the manual page.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn auditui() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auditui"))
}

const ENTRY: &str = r#"{"id":"01a1e6ce-4ad3-7b00-b45a-8916678623f9","timestamp":"2026-11-17T00:00:41.687930","type":"auth:login","user":"alice@example.com","ip":"10.0.0.1","user_agent":"curl/8","data":{"site":"eu"}}"#;

#[test]
fn query_into_a_pipe_closed_early_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("full.jsonl");
    // Far more than a pipe buffer, so the writer meets the closed pipe.
    let text = format!("{ENTRY}\n").repeat(50_000);
    std::fs::write(&file, text).unwrap();
    let mut child = auditui()
        .args(["query", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        stderr, "",
        "nothing to say when the reader has what it wanted"
    );
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_tui_without_a_terminal_says_so_and_points_to_tail_and_query() {
    let out = auditui()
        .args(["demo"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the TUI needs a terminal"), "{stderr}");
    assert!(
        stderr.contains("auditui tail") && stderr.contains("auditui query"),
        "{stderr}"
    );
    assert!(!stderr.contains("os error"), "{stderr}");
}

#[test]
fn query_writes_each_siem_format() {
    for (format, key) in [
        ("ocsf", "class_uid"),
        ("ecs", "@timestamp"),
        ("timesketch", "timestamp_desc"),
    ] {
        let mut child = auditui()
            .args(["query", "-", "--format", format])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{ENTRY}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let value: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert!(value.get(key).is_some(), "{format}: {stdout}");
    }
}

#[test]
fn completions_and_the_manual_page_go_to_stdout() {
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["man"],
    ] {
        let out = auditui().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("tail") && stdout.contains("query"),
            "{args:?}"
        );
    }
}

#[test]
fn an_option_before_its_subcommand_works_and_one_that_does_not_apply_is_refused() {
    let out = auditui()
        .args(["--budget", "100", "doctor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--budget does not apply to `auditui doctor`"),
        "{stderr}"
    );
}
