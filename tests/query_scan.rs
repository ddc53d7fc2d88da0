//! `auditui query`'s streaming engine: the prefiltered, parallel path gives exactly what parsing every
//! line gives, and both agree with the store's engine.

use auditui::entry::Entry;
use auditui::generate::{BENCH_END, Generator};
use auditui::query::Query;
use auditui::query::scan::{Options, Output, Report, scan_with};
use auditui::store::{Store, View};

const NOW: i64 = BENCH_END;

/// Generated lines plus the awkward ones real files hold.
fn awkward_file() -> String {
    let mut generator = Generator::new(11, 3000, 24, BENCH_END);
    let mut lines: Vec<String> = (0..3000).map(|_| generator.next_line()).collect();
    let id = |n: u32| format!("01a2{n:04x}-0000-7000-8000-000000000000");
    let hostile = [
        // The user hidden behind an escape.
        format!(
            r#"{{"id":"{}","timestamp":"2026-11-23T10:00:00.000001","type":"auth:login","user":"alice.smith\u0040lawfirm.example","ip":"10.0.0.1","user_agent":"x","data":{{}}}}"#,
            id(1)
        ),
        // A nested `timestamp` that lies about the time.
        format!(
            r#"{{"data":{{"timestamp":"2020-01-01T00:00:00"}},"id":"{}","timestamp":"2026-11-23T10:00:00.000002","type":"auth:login","user":"alice.kim@x.example","ip":"10.0.0.2","user_agent":"y"}}"#,
            id(2)
        ),
        // An envelope, as the seed endpoints answer.
        format!(
            r#"{{"log": {{"id":"{}","timestamp":"2026-11-23T10:00:00.000003","type":"auth:failed","user":"ALICE@x.example","ip":"10.0.0.3","user_agent":"z","data":null}}}}"#,
            id(3)
        ),
        // A page on one line.
        format!(
            r#"[{{"id":"{}","timestamp":"2026-11-23T10:00:00.000004","type":"auth:logout","user":"alice@y.example","ip":"10.0.0.4","user_agent":"z"}}]"#,
            id(4)
        ),
        r#"{"log": null}"#.to_string(),
        String::new(),
        "   ".to_string(),
        "{\"id\": \"truncated".to_string(),
        "not json at all".to_string(),
        format!(
            "{{\"id\":\"{}\",\"timestamp\":\"2026-11-23T11:00:00Z\",\"type\":\"auth:login\",\"user\":\"alice@crlf.example\",\"data\":{{\"route\":\"/api/v1/x\"}}}}\r",
            id(5)
        ),
        r#"{"id":"01a20000-0000-7000-8000-00000000dead","timestamp":"2026-11-23T11:00:00","user":"alice"}"#
            .to_string(),
        // Kept: an unreadable timestamp does not make a line malformed.
        r#"{"id":"01a20000-0000-7000-8000-00000000beef","timestamp":1764000000,"type":"auth:login","user":"alice"}"#
            .to_string(),
    ];
    for (i, line) in hostile.into_iter().enumerate() {
        lines.insert(100 + i * 251, line);
    }
    lines.join("\n") + "\n"
}

const QUERIES: &[&str] = &[
    "",
    "user:alice",
    "user:alice type:auth:*",
    "user:ALICE@ -type:auth:failed",
    "type:auth:login type:auth:logout",
    "ip:10.0.0.0/8",
    "ip:10.0.0.3",
    "ua:python",
    "data.route:/api/v1",
    "data.size:12",
    "since:2026-11-23T06:00 until:2026-11-23T12:00",
    "-since:2026-11-23T10:00",
    "user:alice since:2026-11-23T09:00",
    "alice kim",
    "docx",
];

fn run(text: &[u8], query: &str, output: Output, options: Options) -> (Report, String) {
    let query = Query::parse(query, NOW).unwrap();
    let mut out = Vec::new();
    let report = scan_with(text, &query, output, &mut out, options).unwrap();
    (report, String::from_utf8(out).unwrap())
}

#[test]
fn prefiltered_parallel_scan_equals_parsing_every_line() {
    let file = awkward_file();
    let slow = Options {
        prefilter: false,
        threads: 1,
        block: 1 << 24,
    };
    let fast = Options {
        prefilter: true,
        threads: 3,
        block: 40_000,
    };
    for &query in QUERIES {
        for output in [Output::Jsonl, Output::Csv, Output::Count] {
            let (slow_report, slow_out) = run(file.as_bytes(), query, output, slow);
            let (fast_report, fast_out) = run(file.as_bytes(), query, output, fast);
            assert_eq!(fast_report.matched, slow_report.matched, "{query:?}");
            assert_eq!(fast_out, slow_out, "{query:?} {output:?}");
        }
    }
}

#[test]
fn every_malformed_line_is_reported_with_its_number_when_nothing_rules_it_out() {
    let file = awkward_file();
    let (report, _) = run(
        file.as_bytes(),
        "",
        Output::Count,
        Options {
            threads: 2,
            block: 50_000,
            ..Options::default()
        },
    );
    let numbers: Vec<u64> = report.malformed.iter().map(|m| m.line).collect();
    let expected: Vec<u64> = file
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim();
            !l.is_empty()
                && !l.starts_with("[")
                && !l.starts_with("{\"log\"")
                && Entry::parse(l).is_err()
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(numbers, expected);
    assert!(numbers.len() >= 4, "{numbers:?}");
    let reasons: Vec<&str> = report.malformed.iter().map(|m| m.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("missing field `type`")),
        "{reasons:?}"
    );
    // Truncated lines are caught even when the query rules them out by their text.
    let (filtered, _) = run(
        file.as_bytes(),
        "user:nobody-has-this",
        Output::Count,
        Options::default(),
    );
    assert_eq!(filtered.matched, 0);
    assert!(filtered.malformed.len() >= 3, "{:?}", filtered.malformed);
}

#[test]
fn scan_agrees_with_the_store_engine() {
    let file = awkward_file();
    let mut store = Store::new();
    let entries: Vec<Entry> = file
        .lines()
        .filter_map(|l| Entry::parse(l.trim()).ok())
        .collect();
    store.append(entries);
    let plain: String = file
        .lines()
        .filter(|l| Entry::parse(l.trim()).is_ok())
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    for &query in QUERIES {
        let (report, _) = run(plain.as_bytes(), query, Output::Count, Options::default());
        let view = View::new(&store, &Query::parse(query, NOW).unwrap());
        assert_eq!(report.matched, view.len() as u64, "{query:?}");
    }
}

#[test]
fn arrays_and_spread_out_objects_are_read_whole() {
    let mut generator = Generator::new(3, 50, 1, BENCH_END);
    let entries: Vec<serde_json::Value> = (0..50)
        .filter_map(|_| serde_json::from_str(&generator.next_line()).ok())
        .collect();
    let array = serde_json::to_string_pretty(&entries).unwrap();
    let (report, out) = run(array.as_bytes(), "", Output::Jsonl, Options::default());
    assert_eq!(report.matched, entries.len() as u64);
    assert!(report.malformed.is_empty());
    let back: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, entries);

    let envelopes: String = entries
        .iter()
        .take(3)
        .map(|e| serde_json::to_string_pretty(&serde_json::json!({ "log": e })).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let (report, _) = run(envelopes.as_bytes(), "", Output::Count, Options::default());
    assert_eq!(report.matched, 3);

    let broken = format!(
        "[{},\n{{\"id\": 5}}]",
        serde_json::to_string(&entries[0]).unwrap()
    );
    let (report, _) = run(broken.as_bytes(), "", Output::Count, Options::default());
    assert_eq!(report.matched, 1);
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 2);
}

#[test]
fn a_line_longer_than_a_block_is_read_whole() {
    let mut generator = Generator::new(5, 10, 1, BENCH_END);
    let lines: Vec<String> = (0..10).map(|_| generator.next_line()).collect();
    let text = lines.join("\n");
    let (report, _) = run(
        text.as_bytes(),
        "",
        Output::Count,
        Options {
            block: 16,
            ..Options::default()
        },
    );
    assert_eq!(report.matched, 10);
}
