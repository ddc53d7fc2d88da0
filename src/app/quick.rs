//! Quick narrowing: edits of the query text (so the user sees and can change what was done) that set one
//! key to the selected row's value, or step through time windows. The text is read with the query
//! parser, so a quick edit understands exactly what the filter bar applies.

use crate::query::{Query, Term, Test};
use crate::timestamp::UnixNanos;

/// The time windows `cycle_window` steps through; `None` is "all time".
pub const WINDOWS: [Option<&str>; 5] = [Some("5m"), Some("15m"), Some("1h"), Some("24h"), None];

/// Any fixed instant: terms are compared with each other as parsed at the same time.
const AT: UnixNanos = 1_000_000 * 1_000_000_000;

/// The keys quick narrowing sets.
fn is_key(test: &Test, key: &str) -> bool {
    matches!(
        (key, test),
        ("user", Test::User(_))
            | ("type", Test::Type(_))
            | ("ip", Test::Ip(_))
            | ("since", Test::Since(_))
    )
}

/// The terms of a query with the text each was typed as, or `None` when the text does not parse.
fn typed_terms(text: &str) -> Option<Vec<(Term, String)>> {
    let query = Query::parse(text, AT).ok()?;
    let chars: Vec<char> = text.chars().collect();
    let terms = query.terms();
    let starts: Vec<usize> = terms.iter().map(|t| t.column - 1).collect();
    Some(
        terms
            .iter()
            .enumerate()
            .map(|(i, term)| {
                let end = starts.get(i + 1).copied().unwrap_or(chars.len());
                let typed: String = chars[starts[i]..end].iter().collect();
                (term.clone(), typed.trim_end().to_owned())
            })
            .collect(),
    )
}

/// The one term of `typed`, parsed.
fn parse_term(typed: &str) -> Option<Term> {
    Query::parse(typed, AT).ok()?.terms().first().cloned()
}

/// `key:value`, quoted (with `\"` and `\\` escaped) when the value holds spaces or quotes.
pub fn term(key: &str, value: &str) -> String {
    if value.contains(|c: char| c.is_whitespace() || c == '"') {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("{key}:\"{escaped}\"")
    } else {
        format!("{key}:{value}")
    }
}

/// Narrows to `key:value`, replacing other positive terms on the same key (which would widen, as the
/// same key repeated means OR). If that term is already there (however it was written), removes it: the
/// key toggles. Text that does not parse is left as typed, with the term added.
pub fn toggle_term(text: &str, key: &str, value: &str) -> String {
    let wanted = term(key, value);
    let Some(terms) = typed_terms(text) else {
        return join(text.trim_end(), &wanted);
    };
    let wanted_test = parse_term(&wanted).map(|t| t.test);
    let had = terms
        .iter()
        .any(|(t, _)| !t.negated && Some(&t.test) == wanted_test.as_ref());
    let mut kept: Vec<String> = terms
        .into_iter()
        .filter(|(t, _)| t.negated || !is_key(&t.test, key))
        .map(|(_, typed)| typed)
        .collect();
    if !had {
        kept.push(wanted);
    }
    kept.join(" ")
}

fn join(text: &str, term: &str) -> String {
    if text.is_empty() {
        term.to_owned()
    } else {
        format!("{text} {term}")
    }
}

/// The window after the one the query has now (by its `since:` term), and the query with it.
pub fn cycle_window(text: &str) -> (Option<&'static str>, String) {
    let Some(terms) = typed_terms(text) else {
        let next = WINDOWS[0];
        return (
            next,
            join(
                text.trim_end(),
                &format!("since:{}", next.unwrap_or_default()),
            ),
        );
    };
    let current = terms
        .iter()
        .find(|(t, _)| !t.negated && is_key(&t.test, "since"))
        .map(|(t, _)| t.test.clone());
    let next = match current {
        None => WINDOWS[0],
        Some(current) => {
            let at = WINDOWS.iter().position(|w| {
                w.and_then(|w| parse_term(&format!("since:{w}")))
                    .is_some_and(|t| t.test == current)
            });
            match at {
                Some(i) => WINDOWS[(i + 1) % WINDOWS.len()],
                None => WINDOWS[0],
            }
        }
    };
    let mut kept: Vec<String> = terms
        .into_iter()
        .filter(|(t, _)| t.negated || !is_key(&t.test, "since"))
        .map(|(_, typed)| typed)
        .collect();
    if let Some(window) = next {
        kept.push(format!("since:{window}"));
    }
    (next, kept.join(" "))
}

/// Whether the query depends on the clock (`since:15m`, `until:"2h"`), and so must be re-read as time
/// passes: exactly when parsing it at two instants gives two queries.
pub fn is_relative(text: &str) -> bool {
    match (
        Query::parse(text, AT),
        Query::parse(text, AT + 1_000_000_000),
    ) {
        (Ok(a), Ok(b)) => a != b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_a_term_sets_the_key_or_removes_it() {
        let cases = [
            ("", "user", "a@b.c", "user:a@b.c"),
            ("type:auth:*", "user", "a@b.c", "type:auth:* user:a@b.c"),
            (
                "user:x type:auth:*",
                "user",
                "a@b.c",
                "type:auth:* user:a@b.c",
            ),
            ("user:a@b.c type:auth:*", "user", "a@b.c", "type:auth:*"),
            ("-user:bob", "user", "a@b.c", "-user:bob user:a@b.c"),
            ("", "user", "eve smith", "user:\"eve smith\""),
            (
                "user:\"eve smith\" ip:1.2.3.4",
                "ip",
                "1.2.3.4",
                "user:\"eve smith\"",
            ),
            ("username", "user", "x", "username user:x"),
            ("", "user", r#"a "b"\c"#, r#"user:"a \"b\"\\c""#),
            (r#"user:"a \" b" ip:1"#, "ip", "2", r#"user:"a \" b" ip:2"#),
            // The same term however it is written toggles off.
            ("User:A@B.C type:x", "user", "a@b.c", "type:x"),
            ("user:\"a@b.c\"", "user", "a@b.c", ""),
            // Text that does not parse keeps what was typed.
            ("user:\"open", "ip", "1.2.3.4", "user:\"open ip:1.2.3.4"),
        ];
        for (text, key, value, expected) in cases {
            assert_eq!(toggle_term(text, key, value), expected, "{text:?} {key}");
        }
    }

    #[test]
    fn windows_cycle_through_5m_15m_1h_24h_and_all() {
        let mut text = "user:a".to_owned();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let (window, next) = cycle_window(&text);
            seen.push(window);
            text = next;
        }
        assert_eq!(
            seen,
            [
                Some("5m"),
                Some("15m"),
                Some("1h"),
                Some("24h"),
                None,
                Some("5m")
            ]
        );
        assert_eq!(text, "user:a since:5m");
        assert_eq!(cycle_window("since:2026-11-24T09:00").1, "since:5m");
        // The window is read as the parser reads it, not as text.
        assert_eq!(
            cycle_window("since:\"15m\" user:a"),
            (Some("1h"), "user:a since:1h".into())
        );
        assert_eq!(cycle_window("since:900s"), (Some("1h"), "since:1h".into()));
        assert_eq!(
            cycle_window("-since:5m"),
            (Some("5m"), "-since:5m since:5m".into())
        );
    }

    #[test]
    fn relative_times_are_detected() {
        assert!(is_relative("user:a since:15m"));
        assert!(is_relative("-until:2h"));
        assert!(!is_relative("since:2026-11-24T09:00"));
        assert!(!is_relative("user:since"));
        // Any duration the parser reads slides, however it is written.
        assert!(is_relative("since:1w"));
        assert!(is_relative("since:\"15m\""));
        assert!(is_relative("since:1h30m"));
        assert!(!is_relative("since:15"), "does not parse: nothing to slide");
    }
}
