//! The string tests behind the terms, shared by the store's engine and the streaming matcher so that both
//! mean exactly the same thing.

use std::net::IpAddr;

use super::{IpPattern, TypePattern};

/// Whether `haystack` contains `needle_lower` (already ASCII-lower-cased), ignoring ASCII case.
pub fn contains_ignore_ascii_case(haystack: &str, needle_lower: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle_lower.as_bytes());
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    (0..=last_start).any(|at| {
        hay[at].to_ascii_lowercase() == first
            && hay[at..at + needle.len()]
                .iter()
                .zip(needle)
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

/// Glob match ignoring ASCII case: `*` any run of characters (colons included), `?` one character.
pub fn glob_match(pattern_lower: &str, text: &str) -> bool {
    let p: Vec<char> = pattern_lower.chars().collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

pub fn type_matches(pattern: &TypePattern, kind: &str) -> bool {
    match pattern {
        TypePattern::Exact(name) => kind.eq_ignore_ascii_case(name),
        TypePattern::Glob(glob) => glob_match(glob, kind),
    }
}

/// Whether the entry's `ip` text is this address or inside this block. Text that is not an address
/// matches nothing.
pub fn ip_in(pattern: &IpPattern, ip: &str) -> bool {
    let Ok(addr) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    // `::ffff:185.220.101.47` is 185.220.101.47 reached over IPv6: the same address for an investigator.
    let addr = unmapped(addr);
    match *pattern {
        IpPattern::Addr(want) => addr == unmapped(want),
        IpPattern::Cidr { network, prefix } => match (network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        },
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries; any other unchanged.
pub fn unmapped(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The value at `path` inside `data` (compact JSON text, see [`crate::store::compact_json`]), as the
/// text a substring test sees: a string's content, or the JSON text of anything else as it stands in
/// `data`. `None` when the path leads nowhere.
pub fn data_at_compact(data: &str, path: &[String]) -> Option<String> {
    use serde_json::value::RawValue;
    let mut at: &RawValue = serde_json::from_str(data).ok()?;
    for segment in path {
        let text = at.get();
        at = if text.starts_with('{') {
            let map: Vec<(std::borrow::Cow<'_, str>, &RawValue)> =
                serde_json::from_str::<ObjectMembers<'_>>(text).ok()?.0;
            map.into_iter().rev().find(|(k, _)| k == segment)?.1
        } else if text.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
            items.get(segment.parse::<usize>().ok()?).copied()?
        } else {
            return None;
        };
    }
    let text = at.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()
    } else {
        Some(text.to_owned())
    }
}

/// An object's members in order, values left as JSON text.
struct ObjectMembers<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de> serde::Deserialize<'de> for ObjectMembers<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = ObjectMembers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                #[derive(serde::Deserialize)]
                struct Key<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
                let mut members = Vec::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    members.push((key, map.next_value()?));
                }
                Ok(ObjectMembers(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_ignores_ascii_case_only() {
        let cases = [
            ("Alice@Example.com", "alice", true),
            ("alice@example.com", "ex", true),
            ("bob@example.com", "alice", false),
            ("x", "", true),
            ("", "a", false),
            ("ÉLAN", "élan", false),
            ("aaab", "aab", true),
        ];
        for (hay, needle, expected) in cases {
            assert_eq!(
                contains_ignore_ascii_case(hay, needle),
                expected,
                "{hay} / {needle}"
            );
        }
    }

    #[test]
    fn globs_cross_colons_and_ignore_case() {
        let cases = [
            ("auth:*", "auth:login", true),
            ("auth:*", "AUTH:Logout", true),
            ("auth:*", "api:auth:x", false),
            ("*:login", "auth:login", true),
            ("a*c*e", "abcde", true),
            ("a*c*e", "abcd", false),
            ("auth:log?n", "auth:login", true),
            ("*", "", true),
            ("admin:*_users", "admin:fetch_workspace_users", true),
        ];
        for (glob, text, expected) in cases {
            assert_eq!(glob_match(glob, text), expected, "{glob} / {text}");
        }
    }

    #[test]
    fn ip_blocks_of_both_families() {
        let v4: IpPattern = IpPattern::Cidr {
            network: "10.0.0.0".parse().unwrap(),
            prefix: 8,
        };
        let v6 = IpPattern::Cidr {
            network: "2001:db8::".parse().unwrap(),
            prefix: 32,
        };
        let all = IpPattern::Cidr {
            network: "0.0.0.0".parse().unwrap(),
            prefix: 0,
        };
        let one = IpPattern::Addr("2001:db8::1".parse().unwrap());
        let cases = [
            (v4, "10.200.3.4", true),
            (v4, "11.0.0.1", false),
            (v4, "2001:db8::1", false),
            (v4, "not an ip", false),
            (v6, "2001:db8:ffff::1", true),
            (v6, "2001:db9::1", false),
            (all, "203.0.113.7", true),
            (one, "2001:0db8:0:0::1", true),
            (one, "2001:db8::2", false),
            (v4, "::ffff:10.1.2.3", true),
            (v4, "::ffff:11.1.2.3", false),
            (
                IpPattern::Addr("185.220.101.47".parse().unwrap()),
                "::ffff:185.220.101.47",
                true,
            ),
            (
                IpPattern::Addr("::ffff:185.220.101.47".parse().unwrap()),
                "185.220.101.47",
                true,
            ),
        ];
        for (pattern, ip, expected) in cases {
            assert_eq!(ip_in(&pattern, ip), expected, "{pattern:?} / {ip}");
        }
    }

    #[test]
    fn data_paths_reach_nested_values() {
        let data = r#"{"route":"/api/v1/x","n":5,"nested":{"list":[{"k":"v"}]}}"#;
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        let cases = [
            (data, "route", Some("/api/v1/x")),
            (data, "n", Some("5")),
            (data, "nested.list.0.k", Some("v")),
            (data, "nested.list", Some(r#"[{"k":"v"}]"#)),
            (data, "missing", None),
            (data, "route.deeper", None),
            (data, "nested.list.x", None),
            ("null", "route", None),
            (r#"{"a\u0062":"esc\"aped"}"#, "ab", Some("esc\"aped")),
        ];
        for (data, p, expected) in cases {
            assert_eq!(data_at_compact(data, &path(p)).as_deref(), expected, "{p}");
        }
    }
}
