//! Quick narrowing: edits of the query text (so the user sees and can change what was done) that set one
//! key to the selected row's value, or step through time windows.

/// The time windows `cycle_window` steps through; `None` is "all time".
pub const WINDOWS: [Option<&str>; 5] = [Some("5m"), Some("15m"), Some("1h"), Some("24h"), None];

/// Splits a query into its terms, keeping quoted values whole.
fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                current.push(c);
                current.extend(chars.next());
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
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

fn has_key(term: &str, key: &str) -> bool {
    term.strip_prefix(key)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Narrows to `key:value`, replacing other positive terms on the same key (which would widen, as the
/// same key repeated means OR). If exactly that term is already there, removes it: the key toggles.
pub fn toggle_term(text: &str, key: &str, value: &str) -> String {
    let wanted = term(key, value);
    let mut terms = terms(text);
    let had = terms.contains(&wanted);
    terms.retain(|t| !has_key(t, key));
    if !had {
        terms.push(wanted);
    }
    terms.join(" ")
}

/// The window after the one the query has now (by its `since:` term), and the query with it.
pub fn cycle_window(text: &str) -> (Option<&'static str>, String) {
    let mut terms = terms(text);
    let current = terms
        .iter()
        .find(|t| has_key(t, "since"))
        .map(|t| t["since:".len()..].to_owned());
    let next = match current {
        None => WINDOWS[0],
        Some(current) => {
            let at = WINDOWS.iter().position(|w| *w == Some(current.as_str()));
            match at {
                Some(i) => WINDOWS[(i + 1) % WINDOWS.len()],
                None => WINDOWS[0],
            }
        }
    };
    terms.retain(|t| !has_key(t, "since"));
    if let Some(window) = next {
        terms.push(format!("since:{window}"));
    }
    (next, terms.join(" "))
}

/// Whether the query depends on the clock (`since:15m`), and so must be re-read as time passes.
pub fn is_relative(text: &str) -> bool {
    terms(text).iter().any(|t| {
        let t = t.trim_start_matches('-');
        (has_key(t, "since") || has_key(t, "until")) && t.ends_with(['s', 'm', 'h', 'd'])
    })
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
    }

    #[test]
    fn relative_times_are_detected() {
        assert!(is_relative("user:a since:15m"));
        assert!(is_relative("-until:2h"));
        assert!(!is_relative("since:2026-11-24T09:00"));
        assert!(!is_relative("user:since"));
    }
}
