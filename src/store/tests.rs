use super::*;

pub(crate) fn entry(id: u128, ts: &str, kind: &str, user: &str) -> Entry {
    let text = format!(
        r#"{{"id":"{}","timestamp":"{ts}","type":"{kind}","user":"{user}","ip":"10.0.0.1","user_agent":"ua","data":{{"n":{id}}}}}"#,
        Uuid::from_u128(id)
    );
    Entry::parse(&text).unwrap()
}

#[test]
fn appends_in_id_order_and_drops_duplicates() {
    let mut store = Store::new();
    let first = store.append(vec![
        entry(3, "2025-01-01T00:00:03", "a:b", "u"),
        entry(1, "2025-01-01T00:00:01", "a:b", "u"),
        entry(1, "2025-01-01T00:00:01", "a:b", "u"),
    ]);
    assert_eq!(
        first,
        Appended {
            added: 2,
            duplicates: 1,
            reordered: false
        }
    );
    let second = store.append(vec![
        entry(2, "2025-01-01T00:00:02", "c:d", "v"),
        entry(3, "2025-01-01T00:00:03", "a:b", "u"),
        entry(4, "2025-01-01T00:00:04", "a:b", "w"),
    ]);
    assert_eq!(
        second,
        Appended {
            added: 2,
            duplicates: 1,
            reordered: true
        }
    );
    let ids: Vec<u128> = (0..store.len() as u32)
        .map(|i| store.get(i).id().as_u128())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let two = store.get(1);
    assert_eq!(
        (two.kind(), two.user(), two.data_json()),
        ("c:d", "v", r#"{"n":2}"#)
    );
    assert_eq!(store.get(3).data_json(), r#"{"n":4}"#);
    assert_eq!(store.position_of(Uuid::from_u128(3)), Some(2));
    assert_eq!(store.position_of(Uuid::from_u128(9)), None);
}

#[test]
fn stored_entries_write_back_every_field() {
    let text = r#"{"zeta": [1, {"b": null}], "data": {"route": "/api/v1/x", "n": 1.5}, "id": "0194f5a3-7b2c-7def-8123-456789abcdef", "ip": "203.0.113.7", "timestamp": "2025-02-11T16:08:44.324452", "type": "auth:login", "user": "a@example.com", "user_agent": "Mozilla \"5\"", "alpha": "x"}"#;
    let mut store = Store::new();
    store.append(vec![Entry::parse(text).unwrap()]);
    let stored = store.get(0);
    let line = stored.json_line();
    assert_eq!(
        line,
        r#"{"data":{"route":"/api/v1/x","n":1.5},"id":"0194f5a3-7b2c-7def-8123-456789abcdef","ip":"203.0.113.7","timestamp":"2025-02-11T16:08:44.324452","type":"auth:login","user":"a@example.com","user_agent":"Mozilla \"5\"","zeta":[1,{"b":null}],"alpha":"x"}"#
    );
    let original: serde_json::Value = serde_json::from_str(text).unwrap();
    let back: serde_json::Value = serde_json::from_str(&stored.pretty_json()).unwrap();
    assert_eq!(original, back);
    let row = stored.row();
    assert_eq!(row.user_agent, "Mozilla \"5\"");
    assert_eq!(row.data, r#"{"route":"/api/v1/x","n":1.5}"#);
}

#[test]
fn unusual_timestamps_are_written_back_as_received() {
    let cases = [
        "2025-02-11T16:08:44.324452",
        "2025-02-11T16:08:44Z",
        "2025-02-11T18:08:44.5+02:00",
        "2025-02-11T16:08:44.123456789",
        "2025-02-11T16:08:44",
    ];
    for (i, ts) in cases.into_iter().enumerate() {
        let mut store = Store::new();
        store.append(vec![entry(i as u128 + 1, ts, "a", "u")]);
        let back: serde_json::Value = serde_json::from_str(&store.get(0).json_line()).unwrap();
        assert_eq!(back["timestamp"], ts);
    }
}

#[test]
fn memory_accounting_counts_the_arena() {
    let mut store = Store::new();
    let before = store.heap_bytes();
    store.append(
        (1..=100)
            .map(|i| entry(i, "2025-01-01T00:00:00.000001", "a:b", "u"))
            .collect(),
    );
    assert!(store.heap_bytes() > before + 100 * 40);
}

#[test]
fn json_line_exports_give_back_values_and_shape_exactly() {
    let id = "0194f5a3-7b2c-7def-8123-456789abcdef";
    let cases = [
        // A big integer next to an escaped string stays an integer, digit for digit.
        format!(
            r#"{{"data":{{"big":123456789012345678901234567890,"s":"a\"b\u00e9"}},"id":"{id}","ip":"1.2.3.4","timestamp":"2025-02-11T16:08:44.324452","type":"x","user":"u","user_agent":"a"}}"#
        ),
        // null stays null, and an absent field stays absent.
        format!(
            r#"{{"data":null,"id":"{id}","timestamp":"2025-02-11T16:08:44.324452","type":"x","user":null,"user_agent":null}}"#
        ),
        format!(r#"{{"id":"{id}","ip":"","timestamp":"2025-02-11T16:08:44.324452","type":"x"}}"#),
        // An unreadable timestamp is written back as it came.
        format!(r#"{{"data":{{}},"id":"{id}","timestamp":1739290124,"type":"x","user":"u"}}"#),
        format!(r#"{{"data":{{}},"id":"{id}","type":"x","user":"u"}}"#),
    ];
    for text in cases {
        let mut store = Store::new();
        store.append(vec![Entry::parse(&text).unwrap()]);
        let back = store.get(0).json_line();
        let want: serde_json::Value = serde_json::from_str(&text).unwrap();
        let got: serde_json::Value = serde_json::from_str(&back).unwrap();
        assert_eq!(got, want, "{text}\n{back}");
        assert!(
            !back.contains("e29") && !back.contains("1.2345"),
            "integers stay integers: {back}"
        );
        // The bulk loader stores the same.
        let (loaded, malformed) = super::load::load_lines(text.as_bytes(), 1);
        assert!(malformed.is_empty(), "{malformed:?}");
        assert_eq!(loaded.get(0).json_line(), back);
    }
}

#[test]
fn goto_lands_on_the_first_entry_of_the_view_at_or_after_a_time() {
    // UUIDv7 ids whose times agree with the timestamps, one entry a minute from 00:00.
    let v7 = |ms: u128, n: u128| (ms << 80) | (7 << 76) | n;
    let base_ms: u128 = 1_735_689_600_000;
    let entries: Vec<Entry> = (0..30u128)
        .map(|m| {
            let ts = format!("2025-01-01T00:{m:02}:00");
            let user = if m % 2 == 0 { "even" } else { "odd" };
            entry(v7(base_ms + m * 60_000, m), &ts, "a:b", user)
        })
        .collect();
    let mut store = Store::new();
    store.append(entries);
    let minute = |m: i64| 1_735_689_600_000_000_000 + m * 60_000_000_000;
    let all = View::new(&store, &crate::query::Query::default());
    let odd = View::new(&store, &crate::query::Query::parse("user:odd", 0).unwrap());
    let cases = [
        (&all, minute(0), 0),
        (&all, minute(10), 10),
        (&all, minute(10) + 1, 11),
        (&all, minute(-5), 0),
        (&all, minute(29), 29),
        (&all, minute(30), 30),
        // In the odd minutes only: 10:00 lands on 11:00, the 6th of the view.
        (&odd, minute(10), 5),
        (&odd, minute(11), 5),
        (&odd, minute(40), 15),
    ];
    for (view, t, expected) in cases {
        assert_eq!(view.first_at_or_after(&store, t), expected, "{t}");
    }
}

#[test]
fn is_marked_keeps_the_marked_entries_in_the_store_and_in_a_stream() {
    let mut store = Store::new();
    let entries: Vec<Entry> = (1..=5)
        .map(|n| entry(n, &format!("2025-01-01T00:00:0{n}"), "a:b", "u"))
        .collect();
    store.append(entries.clone());
    let marked: std::sync::Arc<std::collections::BTreeSet<Uuid>> =
        std::sync::Arc::new([2, 4].into_iter().map(Uuid::from_u128).collect());
    let cases: [(&str, Vec<u128>); 4] = [
        ("is:marked", vec![2, 4]),
        ("-is:marked", vec![1, 3, 5]),
        ("is:marked user:u", vec![2, 4]),
        ("is:marked user:nobody", vec![]),
    ];
    for (text, want) in cases {
        let query = crate::query::Query::parse(text, 0)
            .unwrap()
            .with_marked(marked.clone());
        assert!(query.uses_marks(), "{text}");
        let view = View::new(&store, &query);
        let got: Vec<u128> = view
            .indices()
            .iter()
            .map(|&i| store.get(i).id().as_u128())
            .collect();
        assert_eq!(got, want, "store: {text}");
        let mut matcher = crate::query::Matcher::new(&query);
        let streamed: Vec<u128> = entries
            .iter()
            .filter(|e| matcher.matches(&e.row()))
            .map(|e| e.id.as_u128())
            .collect();
        assert_eq!(streamed, want, "stream: {text}");
    }
    let unmarked = View::new(&store, &crate::query::Query::parse("is:marked", 0).unwrap());
    assert!(unmarked.is_empty(), "without marks given nothing is marked");
}
