//! Bare words on the demo's own data (issue 10): a word matches what a person means. The word as a
//! substring of a field (any case) always matches; a typo is tolerated only inside one of a field's
//! words (of a user, type, IP or user agent; `data` is searched as typed), never by picking letters
//! across the whole field.

use auditui::query::Query;
use auditui::simulator::{SimConfig, history_lines};
use auditui::store::load::load_lines;
use auditui::store::{Store, View};

/// A fixed start, so the history is the same on every run (seed 7, as `auditui demo`).
const START_MS: u64 = 1_795_600_000_000;
const NOW: i64 = START_MS as i64 * 1_000_000;

fn demo_store() -> Store {
    let lines = history_lines(&SimConfig::default(), START_MS).join("\n");
    let (store, malformed) = load_lines(lines.as_bytes(), 2);
    assert!(malformed.is_empty(), "{malformed:?}");
    store
}

fn count(store: &Store, text: &str) -> usize {
    View::new(store, &Query::parse(text, NOW).expect("parses")).len()
}

/// Entries holding `needle` (ASCII case ignored) in user, type, IP, user agent or data: what a person
/// means by the word, counted without the engine.
fn containing(store: &Store, needle: &str) -> usize {
    let needle = needle.to_ascii_lowercase();
    (0..store.len() as u32)
        .filter(|&i| {
            let e = store.get(i);
            [e.user(), e.kind(), e.ip(), e.user_agent(), e.data_json()]
                .iter()
                .any(|f| f.to_ascii_lowercase().contains(&needle))
        })
        .count()
}

#[test]
fn a_bare_word_matches_the_entries_that_contain_it() {
    let store = demo_store();
    // Issue 10 measured `amara` at 15,138 entries and `Kestrel` at 2,396 where far fewer contain them.
    for word in [
        "amara", "Kestrel", "kestrel", "185.220", "login", "python", "adeyemi",
    ] {
        let expected = containing(&store, word);
        assert!(expected > 0, "{word} occurs in the demo");
        assert_eq!(count(&store, word), expected, "{word}");
    }
}

#[test]
fn a_typo_inside_a_word_of_a_field_still_finds_it() {
    let store = demo_store();
    for (typo, meant) in [
        ("amrara", "amara"),
        ("adeyemu", "adeyemi"),
        ("donwload", "download"),
        ("ftech", "fetch"),
    ] {
        let typed = count(&store, typo);
        let meant_in_columns = (0..store.len() as u32)
            .filter(|&i| {
                let e = store.get(i);
                [e.user(), e.kind(), e.ip(), e.user_agent()]
                    .iter()
                    .any(|f| f.to_ascii_lowercase().contains(meant))
            })
            .count();
        assert!(meant_in_columns > 0, "{meant} occurs in the demo");
        assert!(typed >= meant_in_columns, "{typo} finds {meant}");
        // ...but not half the log.
        assert!(typed < store.len() / 4, "{typo}: {typed}");
    }
}

#[test]
fn letters_picked_across_a_whole_address_do_not_match() {
    let store = demo_store();
    let grace = (0..store.len() as u32)
        .map(|i| store.get(i))
        .find(|e| e.user().starts_with("grace.adeyemi@"))
        .expect("the demo has grace.adeyemi");
    let query = Query::parse("amara", NOW).unwrap();
    let view = View::new(&store, &query);
    assert!(
        view.position_of(&store, grace.id()).is_none() || grace.data_json().contains("amara"),
        "amara matched {}",
        grace.user()
    );
}
