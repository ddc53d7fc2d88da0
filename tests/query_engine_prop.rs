//! The store's engine (columns, tables over distinct values, id-time binary search, arena scans, appends
//! in batches) against a plain predicate evaluated entry by entry, on random entries and random queries.

use std::net::IpAddr;

use auditui::entry::Entry;
use auditui::query::{IpPattern, Query, Test, TypePattern};
use auditui::store::{Store, View, compact_json};
use proptest::prelude::*;

/// 2026-11-24T10:00:00Z
const BASE_MS: i64 = 1_795_514_400_000;
const NOW: i64 = BASE_MS * 1_000_000 + 7_200_000_000_000;

const USERS: &[&str] = &[
    "alice@example.com",
    "Bob@Example.com",
    "carol.alice@corp.example",
    "",
    "eve@x",
];
const TYPES: &[&str] = &[
    "auth:login",
    "auth:logout",
    "api:audit_log_fetch",
    "admin:add_users",
    "AUTH:failed",
];
const IPS: &[&str] = &[
    "10.0.0.1",
    "10.2.3.4",
    "203.0.113.7",
    "2001:db8::1",
    "",
    "junk",
];
const UAS: &[&str] = &[
    "python-requests/2.31",
    "Mozilla/5.0",
    "curl/8",
    "auditui/0.1",
];
const DATA: &[&str] = &[
    "null",
    r#"{"route":"/api/v1/logs"}"#,
    r#"{ "route" : "/API/v2/x", "n": 12 }"#,
    r#"{"nested":{"k":"Alpha"},"n":7}"#,
    r#"{"k":"caf\u00e9 \"q\""}"#,
    r#"[1,2]"#,
];

#[derive(Debug, Clone)]
struct Spec {
    id_ms: i64,
    id_low: u16,
    skew_ms: i64,
    user: usize,
    kind: usize,
    ip: usize,
    ua: usize,
    data: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0i64..7_200_000,
        any::<u16>(),
        prop_oneof![-5i64..5, -600_000i64..600_000],
        0..USERS.len(),
        0..TYPES.len(),
        0..IPS.len(),
        0..UAS.len(),
        0..DATA.len(),
    )
        .prop_map(|(id_ms, id_low, skew_ms, user, kind, ip, ua, data)| Spec {
            id_ms,
            id_low,
            skew_ms,
            user,
            kind,
            ip,
            ua,
            data,
        })
}

fn entry(spec: &Spec) -> Entry {
    let ms = BASE_MS + spec.id_ms;
    let id = ((ms as u128) << 80) | (0x7 << 76) | (0b10 << 62) | u128::from(spec.id_low);
    let ts = (ms + spec.skew_ms) * 1_000_000;
    let ts_text = chrono::DateTime::from_timestamp_nanos(ts)
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let text = format!(
        r#"{{"id":"{}","timestamp":"{ts_text}","type":"{}","user":"{}","ip":"{}","user_agent":"{}","data":{}}}"#,
        uuid::Uuid::from_u128(id),
        TYPES[spec.kind],
        USERS[spec.user],
        IPS[spec.ip],
        UAS[spec.ua],
        DATA[spec.data]
    );
    Entry::parse(&text).expect("generated entries parse")
}

fn term() -> impl Strategy<Value = String> {
    let minute = (0i64..130).prop_map(|m| {
        chrono::DateTime::from_timestamp_millis(BASE_MS + m * 60_000)
            .expect("in range")
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    });
    let body = prop_oneof![
        prop::sample::select(vec!["alice", "ALICE", "example", "bob@", "x", "corp"])
            .prop_map(|v| format!("user:{v}")),
        prop::sample::select(vec![
            "auth:login",
            "auth:*",
            "*:*users",
            "AUTH:FAILED",
            "a?i:*",
            "api"
        ])
        .prop_map(|v| format!("type:{v}")),
        prop::sample::select(vec![
            "10.0.0.0/8",
            "10.0.0.1",
            "2001:db8::/32",
            "0.0.0.0/0",
            "203.0.113.7"
        ])
        .prop_map(|v| format!("ip:{v}")),
        prop::sample::select(vec!["python", "MOZ", "/"]).prop_map(|v| format!("ua:{v}")),
        prop::sample::select(vec![
            "route:/api",
            "route:V2",
            "n:1",
            "nested.k:alp",
            "k:\"é \\\"q\""
        ])
        .prop_map(|v| format!("data.{v}")),
        minute.clone().prop_map(|m| format!("since:{m}")),
        minute.prop_map(|m| format!("until:{m}")),
        prop::sample::select(vec![
            "alice", "auth", "python", "route", "alpha", "zzz", "\"caf\""
        ])
        .prop_map(str::to_owned),
    ];
    (any::<bool>(), body).prop_map(
        |(negated, body)| {
            if negated { format!("-{body}") } else { body }
        },
    )
}

// ---- The plain predicate: each term's meaning written out directly. ----

fn ci_contains(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p.eq_ignore_ascii_case(t) => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn in_block(pattern: &IpPattern, ip: &str) -> bool {
    let Ok(addr) = ip.parse::<IpAddr>() else {
        return false;
    };
    match *pattern {
        IpPattern::Addr(a) => a == addr,
        IpPattern::Cidr { network, prefix } => match (network, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix == 0 || (u32::from(n) >> (32 - prefix)) == (u32::from(a) >> (32 - prefix))
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                prefix == 0
                    || (u128::from(n) >> (128 - prefix)) == (u128::from(a) >> (128 - prefix))
            }
            _ => false,
        },
    }
}

fn data_value(data: &str, path: &[String]) -> Option<String> {
    let mut at: serde_json::Value = serde_json::from_str(data).ok()?;
    for segment in path {
        at = match at {
            serde_json::Value::Object(mut map) => map.remove(segment)?,
            serde_json::Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?.clone(),
            _ => return None,
        };
    }
    Some(match at {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

fn holds(test: &Test, e: &Entry) -> bool {
    match test {
        Test::User(n) => ci_contains(&e.user, n),
        Test::Type(TypePattern::Exact(t)) => e.kind.eq_ignore_ascii_case(t),
        Test::Type(TypePattern::Glob(g)) => glob(g.as_bytes(), e.kind.as_bytes()),
        Test::Ip(p) => in_block(p, &e.ip),
        Test::Ua(n) => ci_contains(&e.user_agent, n),
        Test::Data { path, needle } => {
            data_value(&compact_json(e.data.get()), path).is_some_and(|v| ci_contains(&v, needle))
        }
        Test::Since(t) => e.ts >= *t,
        Test::Until(t) => e.ts < *t,
        Test::New(_) => unreachable!("not generated: it depends on the entries before"),
        Test::Marked => unreachable!("not generated: it depends on the marks given"),
        Test::Text(w) => {
            [&e.user, &e.kind, &e.ip, &e.user_agent]
                .iter()
                .any(|v| word_near(v, w))
                || ci_contains(&compact_json(e.data.get()), w)
        }
    }
}

/// The bare-word rule, written independently: contained, or (for a plain word) within 1 edit (4 to 7
/// characters) or 2 (8 or more) of a letters-and-digits run of the field or of one of its beginnings.
fn word_near(value: &str, word: &str) -> bool {
    if ci_contains(value, word) {
        return true;
    }
    let w: Vec<char> = word.to_ascii_lowercase().chars().collect();
    if !w.iter().all(|c| c.is_alphanumeric()) {
        return false;
    }
    let k = match w.len() {
        0..=3 => return false,
        4..=7 => 1,
        _ => 2,
    };
    value
        .to_ascii_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .any(|token| {
            let t: Vec<char> = token.chars().collect();
            (1..=t.len()).any(|m| m + k >= w.len() && m <= w.len() + k && osa(&w, &t[..m]) <= k)
        })
}

fn osa(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, slot) in d[0].iter_mut().enumerate() {
        *slot = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn key(test: &Test, index: usize) -> String {
    match test {
        Test::User(_) => "user".into(),
        Test::Type(_) => "type".into(),
        Test::Ip(_) => "ip".into(),
        Test::Ua(_) => "ua".into(),
        Test::Data { path, .. } => format!("data.{}", path.join(".")),
        Test::Since(_) => "since".into(),
        Test::Until(_) => "until".into(),
        Test::New(_) => "new".into(),
        Test::Marked => "marked".into(),
        Test::Text(_) => format!("word {index}"),
    }
}

fn plain_match(query: &Query, e: &Entry) -> bool {
    let terms = query.terms();
    let keys: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| key(&t.test, i))
        .collect();
    keys.iter().all(|k| {
        let mine: Vec<_> = terms
            .iter()
            .zip(&keys)
            .filter(|(_, tk)| *tk == k)
            .map(|(t, _)| t)
            .collect();
        let positives: Vec<_> = mine.iter().filter(|t| !t.negated).collect();
        (positives.is_empty() || positives.iter().any(|t| holds(&t.test, e)))
            && !mine.iter().filter(|t| t.negated).any(|t| holds(&t.test, e))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_plain_predicate(
        specs in prop::collection::vec(spec(), 0..120),
        batch_sizes in prop::collection::vec(1usize..40, 1..8),
        terms in prop::collection::vec(term(), 0..4),
    ) {
        let text = terms.join(" ");
        let query = Query::parse(&text, NOW).expect("generated queries parse");
        let entries: Vec<Entry> = specs.iter().map(entry).collect();

        let mut store = Store::new();
        let mut view = View::new(&store, &query);
        let mut rest = entries.as_slice();
        for size in batch_sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            let from = store.len() as u32;
            // Sending a batch twice must change nothing.
            let appended = store.append(batch.iter().chain(batch).cloned().collect());
            if appended.reordered {
                view.refilter(&store, &query);
            } else {
                view.extend(&store, &query, from);
            }
        }

        let mut expected: Vec<u128> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in &entries {
            if seen.insert(e.id) && plain_match(&query, e) {
                expected.push(e.id.as_u128());
            }
        }
        expected.sort_unstable();
        let got: Vec<u128> = view.indices().iter().map(|&i| store.get(i).id().as_u128()).collect();
        prop_assert_eq!(&got, &expected, "query {:?}", text);
        let fresh = View::new(&store, &query);
        prop_assert_eq!(view.indices(), fresh.indices());
        prop_assert_eq!(store.len(), seen.len());
    }
}
