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
            | ("ua", Test::Ua(_))
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

/// Narrows to `key:value` like [`toggle_term`], but never removes it: choosing a value in the counts
/// panel always narrows to it.
pub fn narrow_term(text: &str, key: &str, value: &str) -> String {
    let toggled = toggle_term(text, key, value);
    if has_term(&toggled, false, key, value) {
        toggled
    } else {
        text.to_owned()
    }
}

/// Adds `-key:value` (unless the query already excludes it), and drops a positive term for the same
/// value, which would leave nothing.
pub fn exclude_term(text: &str, key: &str, value: &str) -> String {
    if has_term(text, true, key, value) {
        return text.to_owned();
    }
    let wanted = format!("-{}", term(key, value));
    let Some(terms) = typed_terms(text) else {
        return join(text.trim_end(), &wanted);
    };
    let same = parse_term(&term(key, value)).map(|t| t.test);
    let mut kept: Vec<String> = terms
        .into_iter()
        .filter(|(t, _)| t.negated || Some(&t.test) != same.as_ref())
        .map(|(_, typed)| typed)
        .collect();
    kept.push(wanted);
    kept.join(" ")
}

/// Whether the query holds `key:value` (negated or not), however it was written.
fn has_term(text: &str, negated: bool, key: &str, value: &str) -> bool {
    let Some(wanted) = parse_term(&term(key, value)) else {
        return false;
    };
    typed_terms(text).is_some_and(|terms| {
        terms
            .iter()
            .any(|(t, _)| t.negated == negated && t.test == wanted.test)
    })
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

/// What `filter_new` steps through: a new agent for the user first (the rarest, and how a stolen login
/// usually shows), then a new address, then anything new, then off.
pub const NEW_TERMS: [Option<&str>; 4] = [Some("new:ua"), Some("new:ip"), Some("is:new"), None];

/// The first-seen term after the one the query has now, and the query with it (other terms kept).
pub fn cycle_new(text: &str) -> (Option<&'static str>, String) {
    let Some(terms) = typed_terms(text) else {
        let next = NEW_TERMS[0].unwrap_or_default();
        return (Some(next), join(text.trim_end(), next));
    };
    let is_new = |t: &Term| !t.negated && matches!(t.test, Test::New(_));
    let current = terms
        .iter()
        .find(|(t, _)| is_new(t))
        .map(|(t, _)| t.test.clone());
    let next = match current {
        None => NEW_TERMS[0],
        Some(current) => {
            let at = NEW_TERMS
                .iter()
                .position(|n| n.and_then(parse_term).is_some_and(|t| t.test == current));
            at.map_or(NEW_TERMS[0], |i| NEW_TERMS[(i + 1) % NEW_TERMS.len()])
        }
    };
    let mut kept: Vec<String> = terms
        .into_iter()
        .filter(|(t, _)| !is_new(t))
        .map(|(_, typed)| typed)
        .collect();
    if let Some(term) = next {
        kept.push(term.to_owned());
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
    fn narrowing_never_removes_and_excluding_adds_a_negated_term_once() {
        let cases = [
            (narrow_term("", "ip", "1.2.3.4"), "ip:1.2.3.4"),
            (narrow_term("ip:1.2.3.4", "ip", "1.2.3.4"), "ip:1.2.3.4"),
            (
                narrow_term("user:bo ip:9.9.9.9", "ip", "1.2.3.4"),
                "user:bo ip:1.2.3.4",
            ),
            (narrow_term("ua:x", "ua", "curl/8"), "ua:curl/8"),
            (exclude_term("", "ip", "1.2.3.4"), "-ip:1.2.3.4"),
            (
                exclude_term("user:bo", "type", "auth:login"),
                "user:bo -type:auth:login",
            ),
            (exclude_term("-ip:1.2.3.4", "ip", "1.2.3.4"), "-ip:1.2.3.4"),
            (
                exclude_term("ip:1.2.3.4 user:bo", "ip", "1.2.3.4"),
                "user:bo -ip:1.2.3.4",
            ),
            (
                exclude_term("user:\"", "user", "a b"),
                "user:\" -user:\"a b\"",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn first_seen_terms_cycle_new_agent_new_address_anything_new_and_off() {
        let mut text = "user:bo".to_owned();
        let mut seen = Vec::new();
        for _ in 0..5 {
            let (term, next) = cycle_new(&text);
            seen.push((term, next.clone()));
            text = next;
        }
        let expected = [
            (Some("new:ua"), "user:bo new:ua"),
            (Some("new:ip"), "user:bo new:ip"),
            (Some("is:new"), "user:bo is:new"),
            (None, "user:bo"),
            (Some("new:ua"), "user:bo new:ua"),
        ];
        for (got, want) in seen.iter().zip(expected) {
            assert_eq!((got.0, got.1.as_str()), want);
        }
        assert_eq!(
            cycle_new("-new:ip").1,
            "-new:ip new:ua",
            "an exclusion stays"
        );
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
