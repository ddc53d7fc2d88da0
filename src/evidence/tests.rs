use super::verify::{Finding, verify};
use super::*;
use crate::sanitize::is_unsafe;

const HOSTILE_USER: &str = "=HYPERLINK(\"http://evil.example\")\u{1b}]0;pwned\u{7}";
const HOSTILE_AGENT: &str = "<script>alert(1)</script>[click](http://evil.example) <img src=http://evil.example/x.png>\u{202e}";

fn entry(n: u32, ts: &str, kind: &str, user: &str, agent: &str) -> Entry {
    let value = serde_json::json!({
        "id": format!("0194f5a3-7b2c-7def-8123-{n:012}"),
        "timestamp": ts,
        "type": kind,
        "user": user,
        "ip": "203.0.113.7",
        "user_agent": agent,
        "data": {"note": "line\nbreak ``` `code` | pipe"},
    });
    Entry::parse(&value.to_string()).unwrap()
}

fn entries() -> Vec<Entry> {
    vec![
        entry(
            1,
            "2026-11-24T09:00:00",
            "auth:failed",
            "victim@firm.example",
            "python",
        ),
        entry(
            2,
            "2026-11-24T09:01:00",
            "auth:login",
            "victim@firm.example",
            "Firefox",
        ),
        entry(
            3,
            "2026-11-24T09:02:00",
            "admin:add_users",
            HOSTILE_USER,
            HOSTILE_AGENT,
        ),
        entry(
            4,
            "2026-11-24T09:03:30",
            "auth:logout",
            "victim@firm.example",
            "Firefox",
        ),
    ]
}

fn source() -> Source {
    Source {
        made_by: "auditui evidence --filter user:victim -o out".into(),
        case: Some("kestrel <b>case</b>".into()),
        host: "http://127.0.0.1:8787".into(),
        region: None,
        service_user: None,
        filter: "user:victim".into(),
        since_given: Some("2026-11-24T09:00".into()),
        until_given: Some("2026-11-24T09:05".into()),
        since: Some(1_795_510_800_000_000_000),
        until: Some(1_795_511_100_000_000_000),
        coverage: Coverage::Complete,
    }
}

fn write(dir: &Path, entries: &[Entry], marks: &BTreeMap<Uuid, Option<String>>) -> Manifest {
    let source = source();
    let input = BundleInput {
        entries,
        without_raw: &BTreeSet::new(),
        rejected: &[],
        marks,
        source: &source,
        created: 1_795_512_000_000_000_000,
        timeline_limit: DEFAULT_TIMELINE_LIMIT,
    };
    write_bundle(dir, &input).unwrap()
}

fn bundle_files() -> [&'static str; 7] {
    [
        ENTRIES_JSONL,
        ENTRIES_CSV,
        TIMELINE_MD,
        TIMELINE_HTML,
        TIMELINE_JSONL,
        MANIFEST,
        SUMS,
    ]
}

#[test]
fn a_fresh_bundle_verifies_and_its_manifest_counts_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let entries = entries();
    let manifest = write(&out, &entries, &BTreeMap::new());
    assert_eq!(manifest.counts.total, 4);
    assert_eq!(manifest.counts.by_user["victim@firm.example"], 3);
    assert_eq!(manifest.counts.by_type["auth:failed"], 1);
    assert_eq!(
        manifest.first_id.as_deref(),
        Some("0194f5a3-7b2c-7def-8123-000000000001")
    );
    assert_eq!(
        manifest.last_id.as_deref(),
        Some("0194f5a3-7b2c-7def-8123-000000000004")
    );
    assert_eq!(
        manifest.query.since_utc.as_deref(),
        Some("2026-11-24T09:00:00.000000Z")
    );
    assert!(manifest.coverage.complete);
    assert_eq!(manifest.files.len(), 5);
    let report = verify(&out).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.intact.len(), 6);
    let jsonl = std::fs::read_to_string(out.join(ENTRIES_JSONL)).unwrap();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(
        lines,
        entries.iter().map(|e| e.raw.get()).collect::<Vec<_>>()
    );
}

#[test]
fn a_bundle_is_not_written_over_other_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.txt"), "x").unwrap();
    let source = source();
    let input = BundleInput {
        entries: &entries(),
        without_raw: &BTreeSet::new(),
        rejected: &[],
        marks: &BTreeMap::new(),
        source: &source,
        created: 0,
        timeline_limit: 10,
    };
    let err = write_bundle(dir.path(), &input).unwrap_err();
    assert!(err.to_string().contains("new or empty directory"), "{err}");
}

#[test]
fn one_flipped_byte_in_any_file_is_named() {
    for name in bundle_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &entries(), &BTreeMap::new());
        let path = dir.path().join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let report = verify(dir.path()).unwrap();
        assert!(
            report
                .findings
                .iter()
                .any(|f| matches!(f, Finding::Changed { file, .. } if file == name)),
            "{name}: {:?}",
            report.findings
        );
        // Only the flipped file is blamed (the manifest's recount follows from a changed entries.jsonl).
        for finding in &report.findings {
            assert!(
                finding.file() == name || (name == ENTRIES_JSONL && finding.file() == MANIFEST),
                "{name}: {finding}"
            );
        }
    }
}

#[test]
fn added_and_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &entries(), &BTreeMap::new());
    std::fs::remove_file(dir.path().join(ENTRIES_CSV)).unwrap();
    std::fs::write(dir.path().join("extra.txt"), "planted").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let report = verify(dir.path()).unwrap();
    let mut said: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    said.sort();
    assert_eq!(
        said,
        ["added: extra.txt", "added: sub/", "missing: entries.csv"]
    );
}

#[test]
fn a_consistent_rewrite_is_caught_by_the_recount() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &entries(), &BTreeMap::new());
    // Drop an entry and rewrite both hash lists to match: the counts no longer add up.
    let jsonl = std::fs::read_to_string(dir.path().join(ENTRIES_JSONL)).unwrap();
    let fewer: String = jsonl.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join(ENTRIES_JSONL), &fewer).unwrap();
    let mut manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.path().join(MANIFEST)).unwrap()).unwrap();
    let info = manifest.files.get_mut(ENTRIES_JSONL).unwrap();
    info.sha256 = digest::sha256_hex(fewer.as_bytes());
    info.bytes = fewer.len() as u64;
    let text = manifest_json(&manifest);
    std::fs::write(dir.path().join(MANIFEST), &text).unwrap();
    let sums: Vec<(String, String)> = manifest
        .files
        .iter()
        .map(|(n, i)| (n.clone(), i.sha256.clone()))
        .chain([(MANIFEST.to_owned(), digest::sha256_hex(text.as_bytes()))])
        .collect();
    let sums_text = digest::format_sums(sums.iter().map(|(n, h)| (n.as_str(), h.as_str())));
    std::fs::write(dir.path().join(SUMS), sums_text).unwrap();
    let said: Vec<String> = verify(dir.path())
        .unwrap()
        .findings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        said.contains(
            &"changed: manifest.json: counts.total says 4, entries.jsonl holds 3".to_owned()
        ),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|s| s.starts_with("changed: manifest.json: first_id says")),
        "{said:?}"
    );
}

#[test]
fn hostile_text_stays_inert_in_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let entries = entries();
    let marks = BTreeMap::from([(
        entries[2].id,
        Some("note <i>x</i> [l](http://evil.example)".to_owned()),
    )]);
    write(dir.path(), &entries, &marks);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    // No file but the raw entries holds a control or invisible character (line breaks aside).
    for name in [
        ENTRIES_CSV,
        TIMELINE_MD,
        TIMELINE_HTML,
        TIMELINE_JSONL,
        MANIFEST,
        SUMS,
    ] {
        let text = read(name);
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && is_unsafe(c))
            .collect();
        assert!(bad.is_empty(), "{name} holds {bad:?}");
    }
    let html = read(TIMELINE_HTML);
    for live in ["<script", "<img", "<b>case", "<i>x", "href="] {
        assert!(!html.contains(live), "timeline.html holds {live}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("default-src &#39;none&#39;") || html.contains("default-src 'none'"));
    let md = read(TIMELINE_MD);
    for line in md.lines().filter(|l| l.contains("evil.example")) {
        // Every hostile value sits inside a code span: no link, image or HTML outside one.
        let outside = strip_code_spans(line);
        assert!(
            !outside.contains("evil") && !outside.contains('<'),
            "{line}"
        );
    }
    assert!(
        md.contains("Note: ` note <i>x</i> [l](http://evil.example) `"),
        "{md}"
    );
    let csv = read(ENTRIES_CSV);
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\\x1b]0;pwned\\x07\""),
        "{csv}"
    );
    let timeline = read(TIMELINE_JSONL);
    assert!(timeline.contains("\\u001b]0;pwned\\u0007") && timeline.contains("\\u202e"));
    let raw = read(ENTRIES_JSONL);
    assert!(
        raw.contains("\\u001b]0;pwned"),
        "the raw entries keep JSON's own escapes"
    );
}

/// The line with each code span (a run of backticks to the next run of the same length) removed.
fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(run);
        let after = &rest[start + run..];
        let mut search = 0;
        let end = loop {
            match after[search..].find(&fence) {
                Some(at) => {
                    let at = search + at;
                    let longer = after[at + run..].starts_with('`')
                        || (at > 0 && after[..at].ends_with('`'));
                    if !longer {
                        break Some(at);
                    }
                    search = at + after[at..].chars().take_while(|&c| c == '`').count();
                }
                None => break None,
            }
        };
        match end {
            Some(at) => rest = &after[at + run..],
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_timeline_shows_the_marked_entries_with_their_notes() {
    let dir = tempfile::tempdir().unwrap();
    let entries = entries();
    let marks = BTreeMap::from([
        (entries[3].id, Some("signed out".to_owned())),
        (entries[1].id, None),
    ]);
    let manifest = write(dir.path(), &entries, &marks);
    assert_eq!(manifest.timeline.selection, "marked");
    assert_eq!(manifest.counts.marked, 2);
    let md = std::fs::read_to_string(dir.path().join(TIMELINE_MD)).unwrap();
    let login = md.find("` auth:login `").unwrap();
    let logout = md.find("` auth:logout `").unwrap();
    assert!(login < logout, "time order");
    assert!(
        !md.contains("` auth:failed `")
            || md.find("` auth:failed `").unwrap() > md.find("## Summary").unwrap()
    );
    assert!(md.contains("Note: ` signed out `"));
    let html = std::fs::read_to_string(dir.path().join(TIMELINE_HTML)).unwrap();
    assert_eq!(html.matches("<tr class=\"entry\">").count(), 2);
    assert!(html.contains("<svg id=\"activity\""));
}
