//! The meaning of each kind of term, checked on the store's engine (`View`) and on the streaming
//! `Matcher` alike.

use auditui::entry::Entry;
use auditui::query::{Matcher, Query};
use auditui::store::{Store, View};
use auditui::timestamp::{UnixNanos, parse_timestamp};

/// 2026-11-24T12:00:00Z
const NOW: UnixNanos = 1_795_521_600_000_000_000;

/// (n, minutes before NOW, type, user, ip, user agent, data)
const ENTRIES: &[(u8, i64, &str, &str, &str, &str, &str)] = &[
    (
        1,
        300,
        "auth:login",
        "alice@example.com",
        "203.0.113.7",
        "Mozilla/5.0 (X11)",
        r#"{"site":"eu"}"#,
    ),
    (
        2,
        250,
        "auth:failed",
        "Eve@Evil.example",
        "10.1.2.3",
        "python-requests/2.31",
        r#"{"reason":"bad password"}"#,
    ),
    (
        3,
        200,
        "api:audit_log_fetch",
        "svc-audit@example.com",
        "10.200.0.9",
        "auditui/0.1",
        r#"{"route":"/api/v1/logs/audit","take":1000}"#,
    ),
    (
        4,
        100,
        "admin:add_users",
        "alice@example.com",
        "2001:db8::5",
        "Mozilla/5.0 (Mac)",
        r#"{"added":["bob@example.com"],"n":{"deep":"Needle"}}"#,
    ),
    (
        5,
        50,
        "auth:logout",
        "bob@example.com",
        "198.51.100.1",
        "curl/8.4",
        r#"{ "route" : "/api/v2/other" }"#,
    ),
    (
        6,
        20,
        "user:outlook_add_in_ask",
        "carol@example.com",
        "",
        "Outlook",
        r#"{"text":"caf\u00e9 \"quoted\""}"#,
    ),
    (
        7,
        5,
        "auth:login",
        "eve@evil.example",
        "10.9.9.9",
        "python-requests/2.32",
        "null",
    ),
];

fn entries() -> Vec<Entry> {
    ENTRIES
        .iter()
        .map(|&(n, ago, kind, user, ip, ua, data)| {
            let ts = NOW - ago * 60_000_000_000;
            let id_ms = (ts / 1_000_000) as u128;
            let id = (id_ms << 80) | (0x7 << 76) | u128::from(n);
            let ts_text = chrono::DateTime::from_timestamp_nanos(ts)
                .format("%Y-%m-%dT%H:%M:%S%.6f")
                .to_string();
            let text = format!(
                r#"{{"id":"{}","timestamp":"{ts_text}","type":"{kind}","user":"{user}","ip":"{ip}","user_agent":"{ua}","data":{data}}}"#,
                uuid::Uuid::from_u128(id)
            );
            Entry::parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
        })
        .collect()
}

fn numbers_from_view(store: &Store, query: &Query) -> Vec<u8> {
    View::new(store, query)
        .indices()
        .iter()
        .map(|&i| (store.get(i).id().as_u128() & 0xff) as u8)
        .collect()
}

fn numbers_from_matcher(entries: &[Entry], query: &Query) -> Vec<u8> {
    let mut matcher = Matcher::new(query);
    entries
        .iter()
        .filter(|e| matcher.matches(&e.row()))
        .map(|e| (e.id.as_u128() & 0xff) as u8)
        .collect()
}

#[test]
fn each_term_selects_what_the_language_promises() {
    let cases: &[(&str, &[u8])] = &[
        ("", &[1, 2, 3, 4, 5, 6, 7]),
        ("user:alice", &[1, 4]),
        ("user:EVE", &[2, 7]),
        ("user:evil.example", &[2, 7]),
        ("-user:alice", &[2, 3, 5, 6, 7]),
        ("user:alice user:bob", &[1, 4, 5]),
        ("type:auth:login", &[1, 7]),
        ("type:AUTH:LOGIN", &[1, 7]),
        ("type:auth:*", &[1, 2, 5, 7]),
        ("type:*:log*", &[1, 5, 7]),
        ("type:auth", &[]),
        ("type:auth:* -type:auth:failed", &[1, 5, 7]),
        ("ip:203.0.113.7", &[1]),
        ("ip:10.0.0.0/8", &[2, 3, 7]),
        ("ip:10.0.0.0/8 -ip:10.9.0.0/16", &[2, 3]),
        ("ip:2001:db8::/32", &[4]),
        ("ip:0.0.0.0/0", &[1, 2, 3, 5, 7]),
        ("ip:10.", &[2, 3, 7]),
        ("ip:10.1", &[2]),
        ("ip:10.20", &[]),
        ("ip:10.200", &[3]),
        ("ua:python", &[2, 7]),
        ("ua:mozilla -ua:mac", &[1]),
        ("data.route:/api/v1", &[3]),
        ("data.route:/API/", &[3, 5]),
        ("-data.route:v2", &[1, 2, 3, 4, 6, 7]),
        ("data.n.deep:needle", &[4]),
        ("data.take:100", &[3]),
        ("data.added.0:bob", &[4]),
        ("data.text:café", &[6]),
        (r#"data.text:"\"quoted""#, &[6]),
        ("since:1h", &[5, 6, 7]),
        ("since:2026-11-24T10:20", &[4, 5, 6, 7]),
        ("until:3h", &[1, 2, 3]),
        ("since:4h until:1h", &[3, 4]),
        ("since:4h -since:1h", &[3, 4]),
        ("since:10m since:4h", &[3, 4, 5, 6, 7]),
        ("since:2026-11-24T13:00", &[]),
        ("user:alice type:admin:*", &[4]),
        ("user:eve type:auth:failed type:auth:login", &[2, 7]),
        ("user:eve since:1h", &[7]),
        ("alice", &[1, 4]),
        ("evil", &[2, 7]),
        ("logout", &[5]),
        ("outlook", &[6]),
        ("curl", &[5]),
        ("password", &[2]),
        ("\"bad password\"", &[2]),
        ("needle", &[4]),
        ("alice -needle", &[1]),
        ("eve python", &[2, 7]),
        ("zzzzqqq", &[]),
    ];
    let entries = entries();
    let mut store = Store::new();
    store.append(entries.clone());
    for &(text, expected) in cases {
        let query = Query::parse(text, NOW).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(
            numbers_from_view(&store, &query),
            expected,
            "view: {text:?}"
        );
        assert_eq!(
            numbers_from_matcher(&entries, &query),
            expected,
            "matcher: {text:?}"
        );
    }
}

#[test]
fn extending_a_view_filters_only_new_entries_and_agrees_with_a_full_filter() {
    let entries = entries();
    let query = Query::parse("type:auth:* -user:bob", NOW).unwrap();
    let mut store = Store::new();
    let mut view = View::new(&store, &query);
    for chunk in entries.chunks(3) {
        let from = store.len() as u32;
        let appended = store.append(chunk.to_vec());
        assert!(!appended.reordered);
        view.extend(&store, &query, from);
    }
    assert_eq!(view, View::new(&store, &query));
    assert_eq!(view.len(), 3);
}

#[test]
fn view_finds_entries_by_id() {
    let entries = entries();
    let mut store = Store::new();
    store.append(entries.clone());
    let view = View::new(&store, &Query::parse("type:auth:*", NOW).unwrap());
    assert_eq!(view.position_of(&store, entries[4].id), Some(2));
    assert_eq!(view.position_of(&store, entries[3].id), None);
}

#[test]
fn per_minute_counts_the_last_minutes_of_the_view() {
    let entries = entries();
    let mut store = Store::new();
    store.append(entries);
    let view = View::new(&store, &Query::default());
    // Entries 5 (50 minutes ago), 6 (20) and 7 (5) fall in the last hour.
    let counts = view.per_minute(&store, 60, NOW);
    assert_eq!(counts.iter().sum::<u64>(), 3);
    assert_eq!(counts[60 - 5], 1);
    assert_eq!(counts[60 - 20], 1);
    assert_eq!(counts[60 - 50], 1);
    assert_eq!(view.per_minute(&store, 0, NOW), Vec::<u64>::new());
    let later = parse_timestamp("2026-11-25T00:00").unwrap();
    assert_eq!(view.per_minute(&store, 10, later), vec![0; 10]);
}
