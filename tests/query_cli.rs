//! `auditui query` as a user runs it: files and standard input, the three formats, malformed lines and
//! a malformed filter.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const A: &str = r#"{"id":"01a1e6ce-4ad3-7b00-b45a-8916678623f9","timestamp":"2026-11-17T00:00:41.687930","type":"auth:login","user":"alice@example.com","ip":"10.0.0.1","user_agent":"curl/8","data":{"site":"eu"}}"#;
const B: &str = r#"{"data": {"route": "/api/v1/logs/audit"}, "id": "01a1e6ce-fda5-70e7-864e-e06bab9330ae", "ip": "10.0.0.2", "timestamp": "2026-11-17T00:01:27.458102", "type": "api:audit_log_fetch", "user": "svc@example.com", "user_agent": "auditui/0.1", "extra": 1}"#;

fn auditui(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auditui"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    child.wait_with_output().expect("the binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn matching_lines_come_out_unchanged_from_files_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.jsonl");
    std::fs::write(&file, format!("{A}\n{B}\n")).unwrap();
    let envelope = format!("{{\"log\": {B}}}\n");
    let out = auditui(
        &["query", file.to_str().unwrap(), "-", "--filter", "user:svc"],
        &envelope,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // B is in both inputs: written once, as received.
    assert_eq!(text(&out.stdout), format!("{B}\n"));
}

#[test]
fn count_and_csv_formats() {
    let input = format!("{A}\n{B}\n");
    let count = auditui(&["query", "-", "--format", "count"], &input);
    assert_eq!(text(&count.stdout), "2\n");
    let csv = auditui(
        &["query", "-", "--format", "csv", "--filter", "type:auth:*"],
        &input,
    );
    let stdout = text(&csv.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], auditui::export::CSV_HEADER);
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with("01a1e6ce-4ad3-7b00-b45a-8916678623f9,2026-11-17T00:00:41.687930Z,auth:login,alice@example.com"));
}

#[test]
fn malformed_lines_are_reported_by_number_and_the_run_goes_on() {
    let input = format!("{A}\n{{\"id\": \"cut\n\n{B}\nnot json\n");
    let out = auditui(&["query", "-", "--format", "count"], &input);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "2\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("-:2: skipped, not valid JSON"), "{stderr}");
    assert!(stderr.contains("-:5: skipped, not valid JSON"), "{stderr}");
    assert!(stderr.contains("2 malformed entries skipped"), "{stderr}");
}

#[test]
fn a_malformed_filter_names_the_column_and_fails() {
    let out = auditui(&["query", "-", "--filter", "user:a since:"], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`since:` needs a duration or a timestamp at column 14"),
        "{stderr}"
    );
    assert!(stderr.contains("             ^"), "{stderr}");
}

/// Hostile names (a file saved from elsewhere, a filter pasted from a chat) must not drive the terminal:
/// every way `query` quotes them on stderr shows their control characters as visible escapes.
#[test]
fn file_names_and_filter_text_on_stderr_are_sanitized() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("evil\u{1b}]0;pwned\u{7}\u{202e}.jsonl");
    std::fs::write(&hostile, format!("{A}\nnot json\n")).unwrap();
    let missing = dir.path().join("gone\u{1b}[2J.jsonl");
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "malformed line in a hostile file",
            vec!["query", hostile.to_str().unwrap(), "--format", "count"],
            "evil\\x1b]0;pwned\\x07\\u{202e}.jsonl:2: skipped",
        ),
        (
            "missing hostile file",
            vec!["query", missing.to_str().unwrap()],
            "cannot open",
        ),
        (
            "unknown hostile filter key",
            vec!["query", "-", "--filter", "ev\u{1b}[31mil:x"],
            "unknown key `ev\\x1b[31mil`",
        ),
    ];
    for (case, args, expected) in cases {
        let out = auditui(&args, "");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{case}: {stderr:?}");
        assert!(
            !stderr.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{case}: raw control character on stderr: {stderr:?}"
        );
    }
}

/// An `auth:failed` entry carries an attacker's chosen user name and user agent. Piped, the output stays
/// byte for byte what was saved (see the first test); on a terminal, no control character is left alive.
#[test]
fn output_to_a_terminal_shows_hostile_controls_as_escapes() {
    use std::io::Read;
    let hostile = r#"{"id":"01a1e6ce-4ad3-7b00-b45a-8916678623f9","timestamp":"2026-11-17T00:00:41","type":"auth:failed","user":"\u001b]52;c;cm0gLXJmIH4=\u0007x","ip":"10.0.0.1","user_agent":"ua","data":{"n":"\u009b2J\u202e"}}"#;
    for format in ["csv", "jsonl"] {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        let mut child = Command::new(env!("CARGO_BIN_EXE_auditui"))
            .args(["query", "-", "--format", format])
            .stdin(Stdio::piped())
            .stdout(Stdio::from(pty.slave))
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // JSON admits raw C1 and bidi characters in strings; CSV cells hold ESC and BEL decoded.
        let line = hostile
            .replace(r"\u009b", "\u{9b}")
            .replace(r"\u202e", "\u{202e}");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut master = std::fs::File::from(pty.master);
        let mut shown = Vec::new();
        // Reading ends with EIO once the child has exited and closed the terminal.
        let _ = master.read_to_end(&mut shown);
        assert!(child.wait().unwrap().success());
        let shown = text(&shown);
        assert!(shown.contains("auth:failed"), "{format}: {shown:?}");
        assert!(
            !shown.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "{format}: raw control on the terminal: {shown:?}"
        );
    }
}

#[test]
fn a_filter_that_begins_with_a_dash_is_a_filter_not_an_option() {
    let input = format!("{A}\n{B}\n");
    for filter in ["-type:auth:login", "-user:alice type:api:*"] {
        let out = auditui(&["query", "-", "--filter", filter], &input);
        assert!(out.status.success(), "{filter}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{B}\n"), "{filter}");
    }
}

#[test]
fn counts_by_a_column_or_a_data_key_list_values_most_first() {
    let c = A
        .replace("01a1e6ce-4ad3-7b00", "01a1e6cf-0000-7b00")
        .replace("00:00:41", "00:05:00");
    let input = format!("{A}\n{B}\n{c}\nnot json\n");
    let out = auditui(
        &["query", "-", "--format", "counts", "--by", "user"],
        &input,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("    COUNT   SHARE  FIRST SEEN"),
        "{stdout}"
    );
    assert!(lines[0].ends_with("USER"), "{stdout}");
    assert_eq!(
        lines[1],
        "        2   66.7%  2026-11-17T00:00:41.687930Z  2026-11-17T00:05:00.687930Z  alice@example.com"
    );
    assert!(lines[2].trim_start().starts_with("1   33.3%"), "{stdout}");
    assert!(lines[2].ends_with("svc@example.com"), "{stdout}");
    assert_eq!(lines[3], "3 entries, 2 distinct values");
    assert!(
        text(&out.stderr).contains("-:4: skipped"),
        "malformed lines still reported"
    );

    let out = auditui(
        &[
            "query",
            "-",
            "--format",
            "counts",
            "--by",
            "data.site",
            "--filter",
            "-ip:10.0.0.9",
        ],
        &input,
    );
    let stdout = text(&out.stdout);
    assert!(stdout.lines().nth(1).unwrap().ends_with("  eu"), "{stdout}");
    assert!(
        stdout.contains("3 entries, 1 distinct values, 1 entries without data.site"),
        "{stdout}"
    );
}

#[test]
fn counts_need_a_field_that_exists() {
    let out = auditui(&["query", "-", "--format", "counts"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--by"), "{}", text(&out.stderr));
    let out = auditui(&["query", "-", "--format", "counts", "--by", "email"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("expected user, type, ip, ua or data.KEY"));
}

#[test]
fn new_ip_is_answered_from_the_entries_in_order() {
    // alice from 10.0.0.1, then from 10.0.0.7 (new for her), then svc (first entry: the baseline).
    let c = A
        .replace("01a1e6ce-4ad3-7b00", "01a1e6cf-0000-7b00")
        .replace("10.0.0.1", "10.0.0.7");
    let input = format!("{c}\n{B}\n{A}\n");
    let out = auditui(&["query", "-", "--filter", "new:ip"], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].contains("01a1e6cf-0000-7b00") && lines[0].contains("10.0.0.7"),
        "{stdout}"
    );
    let out = auditui(
        &["query", "-", "--filter", "-is:new", "--format", "count"],
        &input,
    );
    assert_eq!(text(&out.stdout), "2\n");
}

#[test]
fn an_archive_answers_as_the_same_entries_as_json_lines_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.jsonl");
    let archive = dir.path().join("a.sqlite");
    std::fs::write(&file, format!("{A}\n{B}\n")).unwrap();
    let import = auditui(
        &[
            "archive",
            "--archive",
            archive.to_str().unwrap(),
            "import",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert!(import.status.success(), "{}", text(&import.stderr));
    let on = |source: &[&str], filter: &str, format: &str| {
        let mut args = vec!["query"];
        args.extend_from_slice(source);
        args.extend(["--filter", filter, "--format", format]);
        let out = auditui(&args, "");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let from_archive = ["--archive", archive.to_str().unwrap()];
    let from_file = [file.to_str().unwrap()];
    // Answered by the indexes, then by the scan of what they select, then by a store.
    for filter in [
        "",
        "user:ALICE type:auth:*",
        "-user:alice since:2026-11-17T00:01",
        "user:svc ip:10.0.0.2",
        "route",
        "is:new",
    ] {
        for format in ["count", "jsonl"] {
            assert_eq!(
                on(&from_archive, filter, format),
                on(&from_file, filter, format),
                "{filter} {format}"
            );
        }
    }
}
