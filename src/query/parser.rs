//! From the typed line to terms. Every malformed piece is an error naming its column; nothing is guessed.

use std::net::IpAddr;

use super::{IpPattern, QueryError, Term, Test, TypePattern};
use crate::store::first_seen::{NEW_ANY, NEW_IP, NEW_TYPE, NEW_UA};
use crate::timespec::parse_instant;
use crate::timestamp::UnixNanos;

const KEYS_HELP: &str = "expected user, type, ip, ua, data.<path>, since, until, is:new, is:marked or new:ip|ua|type (quote the words to search for them as text)";

struct Cursor {
    chars: Vec<char>,
    at: usize,
}

impl Cursor {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }
    fn column(&self) -> usize {
        self.at + 1
    }
    fn at_space_or_end(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }
}

/// Messages quote the user's text, which may be pasted from anywhere: they are made safe to print here.
fn error(column: usize, message: impl Into<String>) -> QueryError {
    let message = message.into();
    QueryError {
        column,
        message: crate::sanitize::clean(&message).into_owned(),
    }
}

pub(super) fn parse(text: &str, now: UnixNanos) -> Result<Vec<Term>, QueryError> {
    let mut cur = Cursor {
        chars: text.chars().collect(),
        at: 0,
    };
    let mut terms = Vec::new();
    loop {
        while cur.peek().is_some_and(char::is_whitespace) {
            cur.at += 1;
        }
        if cur.peek().is_none() {
            return Ok(terms);
        }
        terms.push(term(&mut cur, now)?);
    }
}

fn term(cur: &mut Cursor, now: UnixNanos) -> Result<Term, QueryError> {
    let column = cur.column();
    let negated = cur.peek() == Some('-');
    if negated {
        cur.at += 1;
        if cur.at_space_or_end() {
            return Err(error(column, "`-` needs a term right after it (-user:bob)"));
        }
    }
    if cur.peek() == Some('"') {
        let phrase = quoted(cur)?;
        if phrase.is_empty() {
            return Err(error(
                column,
                "empty quotes: put the text to search between them",
            ));
        }
        return Ok(Term {
            negated,
            column,
            test: Test::Text(phrase),
        });
    }
    let key_column = cur.column();
    let mut word = String::new();
    while let Some(c) = cur.peek() {
        if c.is_whitespace() || c == ':' {
            break;
        }
        if c == '"' {
            return Err(error(
                cur.column(),
                "unexpected quote inside a word: quote the whole value",
            ));
        }
        word.push(c);
        cur.at += 1;
    }
    if cur.peek() != Some(':') {
        return Ok(Term {
            negated,
            column,
            test: Test::Text(word),
        });
    }
    cur.at += 1;
    let value_column = cur.column();
    let value = if cur.peek() == Some('"') {
        quoted(cur)?
    } else {
        let mut value = String::new();
        while let Some(c) = cur.peek() {
            if c.is_whitespace() {
                break;
            }
            if c == '"' {
                return Err(error(
                    cur.column(),
                    "unexpected quote inside a value: quote the whole value",
                ));
            }
            value.push(c);
            cur.at += 1;
        }
        value
    };
    let test = key_test(&word, key_column, &value, value_column, now)?;
    Ok(Term {
        negated,
        column,
        test,
    })
}

/// Reads `"..."` (with `\"` and `\\`), the cursor on the opening quote.
fn quoted(cur: &mut Cursor) -> Result<String, QueryError> {
    let open = cur.column();
    cur.at += 1;
    let mut value = String::new();
    loop {
        match cur.peek() {
            None => return Err(error(open, "unterminated quote: add the closing \"")),
            Some('"') => {
                cur.at += 1;
                break;
            }
            Some('\\') if matches!(cur.chars.get(cur.at + 1), Some('"' | '\\')) => {
                value.push(cur.chars[cur.at + 1]);
                cur.at += 2;
            }
            Some(c) => {
                value.push(c);
                cur.at += 1;
            }
        }
    }
    if !cur.at_space_or_end() {
        return Err(error(
            cur.column(),
            "expected a space after the closing quote",
        ));
    }
    Ok(value)
}

fn key_test(
    key: &str,
    key_column: usize,
    value: &str,
    column: usize,
    now: UnixNanos,
) -> Result<Test, QueryError> {
    let lower = key.to_ascii_lowercase();
    let needs_value = |what: &str| error(column, format!("`{key}:` needs {what}"));
    if let Some(path) = lower.strip_prefix("data.").map(|_| &key[5..]) {
        let path: Vec<String> = path.split('.').map(String::from).collect();
        if path.iter().any(String::is_empty) {
            return Err(error(
                key_column,
                "`data.` needs a path of field names separated by dots (data.route)",
            ));
        }
        if value.is_empty() {
            return Err(needs_value("a value"));
        }
        return Ok(Test::Data {
            path,
            needle: value.to_ascii_lowercase(),
        });
    }
    match lower.as_str() {
        "user" | "ua" | "type" | "ip" if value.is_empty() => Err(needs_value("a value")),
        "user" => Ok(Test::User(value.to_ascii_lowercase())),
        "ua" => Ok(Test::Ua(value.to_ascii_lowercase())),
        "type" => {
            let pattern = value.to_ascii_lowercase();
            Ok(Test::Type(if pattern.contains(['*', '?']) {
                TypePattern::Glob(pattern)
            } else {
                TypePattern::Exact(pattern)
            }))
        }
        "ip" => ip_pattern(value)
            .map(Test::Ip)
            .ok_or_else(|| {
                error(
                    column,
                    format!(
                        "`ip:` needs an address (203.0.113.7), its first octets (185.220) or a CIDR block (10.0.0.0/8), found {value:?}"
                    ),
                )
            }),
        "since" | "until" if value.is_empty() => Err(needs_value("a duration or a timestamp")),
        "since" | "until" => {
            let t = parse_instant(value, now).map_err(|_| {
                error(
                    column,
                    format!(
                        "`{key}:` needs a duration (15m, 2h, 7d) or a timestamp (2026-11-24T09:00), found {value:?}"
                    ),
                )
            })?;
            Ok(if lower == "since" {
                Test::Since(t)
            } else {
                Test::Until(t)
            })
        }
        "is" => match value.to_ascii_lowercase().as_str() {
            "new" => Ok(Test::New(NEW_ANY)),
            "marked" => Ok(Test::Marked),
            _ => Err(error(
                column,
                format!("`is:` knows only `is:new` and `is:marked`, found {value:?}"),
            )),
        },
        "new" => match value.to_ascii_lowercase().as_str() {
            "ip" => Ok(Test::New(NEW_IP)),
            "ua" => Ok(Test::New(NEW_UA)),
            "type" => Ok(Test::New(NEW_TYPE)),
            _ => Err(error(column, format!("`new:` needs ip, ua or type, found {value:?}"))),
        },
        "" => Err(error(key_column, format!("a term needs a key before `:`: {KEYS_HELP}"))),
        _ => Err(error(key_column, format!("unknown key `{key}`: {KEYS_HELP}"))),
    }
}

fn ip_pattern(value: &str) -> Option<IpPattern> {
    match value.split_once('/') {
        None => value
            .parse()
            .ok()
            .map(IpPattern::Addr)
            .or_else(|| ipv4_octets(value))
            .or_else(|| ipv6_groups(value)),
        Some((addr, prefix)) => {
            let network: IpAddr = addr.parse().ok()?;
            if !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let prefix: u8 = prefix.parse().ok()?;
            let max = if network.is_ipv4() { 32 } else { 128 };
            (prefix <= max).then_some(IpPattern::Cidr { network, prefix })
        }
    }
}

/// The first one to three octets of an IPv4 address (`185.220`, or `185.220.` as it is typed): the block
/// they start, so a partial address narrows the view while it is being typed.
fn ipv4_octets(value: &str) -> Option<IpPattern> {
    let octets: Vec<&str> = value
        .strip_suffix('.')
        .unwrap_or(value)
        .split('.')
        .collect();
    if octets.len() > 3 {
        return None;
    }
    let mut network = [0u8; 4];
    for (slot, octet) in network.iter_mut().zip(&octets) {
        // Same rules as a full address: decimal, no leading zero.
        let decimal = !octet.is_empty() && octet.bytes().all(|b| b.is_ascii_digit());
        if !decimal || (octet.len() > 1 && octet.starts_with('0')) {
            return None;
        }
        *slot = octet.parse().ok()?;
    }
    Some(IpPattern::Cidr {
        network: IpAddr::from(network),
        prefix: 8 * octets.len() as u8,
    })
}

/// The first one to seven groups of an IPv6 address (`2001:db8`, or `2001:db8:` as it is typed): the
/// block they start, as [`ipv4_octets`] does for IPv4.
fn ipv6_groups(value: &str) -> Option<IpPattern> {
    let trimmed = value.strip_suffix(':').unwrap_or(value);
    if !value.contains(':') || trimmed.is_empty() {
        return None;
    }
    let groups: Vec<&str> = trimmed.split(':').collect();
    if groups.len() > 7 {
        return None;
    }
    let mut network = [0u16; 8];
    for (slot, group) in network.iter_mut().zip(&groups) {
        let hex = (1..=4).contains(&group.len()) && group.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            return None;
        }
        *slot = u16::from_str_radix(group, 16).ok()?;
    }
    Some(IpPattern::Cidr {
        network: IpAddr::from(network),
        prefix: 16 * groups.len() as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;

    const NOW: UnixNanos = 1_795_000_000_000_000_000;
    const MIN: i64 = 60_000_000_000;

    fn tests(text: &str) -> Vec<(bool, Test)> {
        parse(text, NOW)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .into_iter()
            .map(|t| (t.negated, t.test))
            .collect()
    }

    #[test]
    fn each_key_parses_to_its_test() {
        let cidr = |n: &str, p| {
            Test::Ip(IpPattern::Cidr {
                network: n.parse().unwrap(),
                prefix: p,
            })
        };
        let cases: Vec<(&str, Vec<(bool, Test)>)> = vec![
            ("", vec![]),
            ("   ", vec![]),
            ("user:Alice", vec![(false, Test::User("alice".into()))]),
            (
                "type:auth:login",
                vec![(false, Test::Type(TypePattern::Exact("auth:login".into())))],
            ),
            (
                "type:auth:*",
                vec![(false, Test::Type(TypePattern::Glob("auth:*".into())))],
            ),
            (
                "ip:203.0.113.7",
                vec![(
                    false,
                    Test::Ip(IpPattern::Addr("203.0.113.7".parse().unwrap())),
                )],
            ),
            ("ip:10.0.0.0/8", vec![(false, cidr("10.0.0.0", 8))]),
            ("ip:2001:db8::/32", vec![(false, cidr("2001:db8::", 32))]),
            ("ip:185", vec![(false, cidr("185.0.0.0", 8))]),
            ("ip:185.220", vec![(false, cidr("185.220.0.0", 16))]),
            ("ip:185.220.", vec![(false, cidr("185.220.0.0", 16))]),
            ("ip:185.220.101", vec![(false, cidr("185.220.101.0", 24))]),
            ("ip:2001:db8", vec![(false, cidr("2001:db8::", 32))]),
            ("ip:2001:db8:", vec![(false, cidr("2001:db8::", 32))]),
            ("ip:fe80:0:0:1", vec![(false, cidr("fe80:0:0:1::", 64))]),
            ("ua:Python", vec![(false, Test::Ua("python".into()))]),
            (
                "data.route:/api/v1",
                vec![(
                    false,
                    Test::Data {
                        path: vec!["route".into()],
                        needle: "/api/v1".into(),
                    },
                )],
            ),
            (
                "data.a.b:x",
                vec![(
                    false,
                    Test::Data {
                        path: vec!["a".into(), "b".into()],
                        needle: "x".into(),
                    },
                )],
            ),
            ("since:15m", vec![(false, Test::Since(NOW - 15 * MIN))]),
            ("until:2h", vec![(false, Test::Until(NOW - 120 * MIN))]),
            (
                "since:2026-11-24T09:00",
                vec![(false, Test::Since(1_795_510_800_000_000_000))],
            ),
            ("-user:bob", vec![(true, Test::User("bob".into()))]),
            ("is:new", vec![(false, Test::New(NEW_ANY))]),
            ("is:marked", vec![(false, Test::Marked)]),
            ("-is:MARKED", vec![(true, Test::Marked)]),
            ("IS:New", vec![(false, Test::New(NEW_ANY))]),
            ("new:ip", vec![(false, Test::New(NEW_IP))]),
            ("-new:ua", vec![(true, Test::New(NEW_UA))]),
            ("new:type", vec![(false, Test::New(NEW_TYPE))]),
            ("hello", vec![(false, Test::Text("hello".into()))]),
            ("-noise", vec![(true, Test::Text("noise".into()))]),
            (
                r#""two words""#,
                vec![(false, Test::Text("two words".into()))],
            ),
            (
                r#"user:"john doe""#,
                vec![(false, Test::User("john doe".into()))],
            ),
            (
                r#"ua:"say \"hi\"""#,
                vec![(false, Test::Ua("say \"hi\"".into()))],
            ),
            (
                "USER:x  type:a:b",
                vec![
                    (false, Test::User("x".into())),
                    (false, Test::Type(TypePattern::Exact("a:b".into()))),
                ],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(tests(text), expected, "{text:?}");
        }
    }

    #[test]
    fn malformed_queries_name_the_column_and_what_was_expected() {
        let cases = [
            ("since:", 7, "`since:` needs a duration or a timestamp"),
            (
                "user:a since:",
                14,
                "`since:` needs a duration or a timestamp",
            ),
            ("since:yesterday", 7, "`since:` needs a duration (15m"),
            ("until:15x", 7, "`until:` needs a duration"),
            ("user:", 6, "`user:` needs a value"),
            ("type: x", 6, "`type:` needs a value"),
            ("usr:alice", 1, "unknown key `usr`"),
            ("-foo:bar", 2, "unknown key `foo`"),
            (":x", 1, "a term needs a key"),
            ("ip:300.1.1.1", 4, "`ip:` needs an address"),
            ("ip:10.0.0.0/33", 4, "`ip:` needs an address"),
            ("ip:10.0.0.0/x", 4, "`ip:` needs an address"),
            ("ip:185.256", 4, "`ip:` needs an address"),
            ("ip:2001:db8:12345", 4, "`ip:` needs an address"),
            ("ip:2001:xyz", 4, "`ip:` needs an address"),
            ("ip:185..1", 4, "`ip:` needs an address"),
            ("ip:185.020", 4, "`ip:` needs an address"),
            ("ip:.", 4, "`ip:` needs an address"),
            ("ip:1.2.3.4.", 4, "`ip:` needs an address"),
            ("ip:185.x", 4, "`ip:` needs an address"),
            ("user:\"open", 6, "unterminated quote"),
            ("\"open", 1, "unterminated quote"),
            ("\"a\"b", 4, "expected a space after the closing quote"),
            ("ab\"c\"", 3, "unexpected quote inside a word"),
            ("user:a\"b\"", 7, "unexpected quote inside a value"),
            ("x - y", 3, "`-` needs a term"),
            ("-", 1, "`-` needs a term"),
            ("data.:x", 1, "`data.` needs a path"),
            ("data.a..b:x", 1, "`data.` needs a path"),
            ("data.route:", 12, "`data.route:` needs a value"),
            ("\"\"", 1, "empty quotes"),
            ("is:old", 4, "`is:` knows only `is:new` and `is:marked`"),
            ("is:", 4, "`is:` knows only `is:new` and `is:marked`"),
            ("new:user", 5, "`new:` needs ip, ua or type"),
            ("é user:", 8, "`user:` needs a value"),
        ];
        for (text, column, message) in cases {
            let err = parse(text, NOW).expect_err(text);
            assert_eq!(err.column, column, "{text:?}: {err}");
            assert!(err.message.starts_with(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn error_display_reads_as_a_sentence() {
        let err = Query::parse("since:", NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`since:` needs a duration or a timestamp at column 7"
        );
    }

    #[test]
    fn same_key_terms_are_grouped_and_words_are_not() {
        let query = Query::parse("type:a:b user:x type:c:d -type:a:x w1 w2", NOW).unwrap();
        let groups = query.groups();
        let shape: Vec<(usize, usize)> = groups
            .iter()
            .map(|g| (g.positive.len(), g.negative.len()))
            .collect();
        assert_eq!(shape, vec![(2, 1), (1, 0), (1, 0), (1, 0)]);
    }

    #[test]
    fn time_window_combines_since_and_until() {
        let t = |m: i64| NOW - m * MIN;
        let cases = [
            ("", (None, None)),
            ("since:60m", (Some(t(60)), None)),
            ("since:60m since:30m", (Some(t(60)), None)),
            ("since:60m until:10m", (Some(t(60)), Some(t(10)))),
            ("until:10m until:20m", (None, Some(t(10)))),
            ("-since:10m", (None, Some(t(10)))),
            ("-until:10m", (Some(t(10)), None)),
            ("since:60m -since:10m", (Some(t(60)), Some(t(10)))),
        ];
        for (text, window) in cases {
            let query = Query::parse(text, NOW).unwrap();
            assert_eq!(query.time_window(), window, "{text:?}");
        }
    }
}
