//! The filter language of the filter bar and `auditui query --filter`.
//!
//! - `user:alice` substring of the user's email; `ua:python` substring of the user agent;
//!   `data.route:/api/v1` substring of the value at that path inside `data` (a string's content, or the
//!   compact JSON of anything else). Substrings ignore ASCII case.
//! - `type:auth:login` exact, `type:auth:*` glob (`*`, `?`); only the first colon separates key and value.
//! - `ip:203.0.113.7` one address, `ip:10.0.0.0/8` or `ip:2001:db8::/32` a block.
//! - `since:15m`, `since:2026-11-24T09:00` (timestamp at or after); `until:` (strictly before).
//! - `is:new`: the entry shows its user from a new IP, with a new user agent or doing a new type of
//!   thing (within everything loaded); `new:ip`, `new:ua`, `new:type` one of them.
//! - `is:marked`: the entry is among the marks of the investigation ([`Query::with_marked`]); without
//!   marks given, nothing is marked.
//! - `-key:value` negates; `"quoted values"` hold spaces (`\"` and `\\` inside).
//! - Bare words: contained in the user, type, IP, user agent or `data`'s compact JSON (ASCII case
//!   ignored), or a typo away from one of the words of a user, type, IP or user agent (see [`word`]).
//!
//! A query is a list of terms. Terms on different keys must all hold (AND); positive terms repeated on the
//! same key are alternatives (OR); a negated term (`-key:value`) must not hold. Bare words are free text
//! and each must hold. Parsing resolves everything that does not depend on the entries (times, CIDR
//! blocks, lower-cased needles), so a query is checked once, when typed.

mod matcher;
mod parser;
pub mod prefilter;
pub mod scan;
pub(crate) mod text;
pub mod word;

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use uuid::Uuid;

use crate::timestamp::UnixNanos;

pub use matcher::Matcher;
pub use text::{contains_ignore_ascii_case, glob_match, ip_in};

/// A parsed query. `Default` matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    terms: Vec<Term>,
    /// The marked entries `is:marked` stands for (the investigation's, not the text's).
    marked: Arc<BTreeSet<Uuid>>,
}

/// One term of a query, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// `-key:value`.
    pub negated: bool,
    /// 1-based column of the term's first character.
    pub column: usize,
    pub test: Test,
}

/// What a term checks. Needles are stored ASCII-lower-cased: matching ignores ASCII case.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `user:` substring of the email.
    User(String),
    /// `type:` exact name, or a glob with `*`/`?`.
    Type(TypePattern),
    /// `ip:` one address or a CIDR block (the first octets of an IPv4 address are read as their block).
    Ip(IpPattern),
    /// `ua:` substring of the user agent.
    Ua(String),
    /// `data.a.b:` substring of the value at that path inside `data`.
    Data { path: Vec<String>, needle: String },
    /// `since:`: timestamp at or after.
    Since(UnixNanos),
    /// `until:`: timestamp strictly before.
    Until(UnixNanos),
    /// A bare word or quoted phrase: see [`word`].
    Text(String),
    /// `is:new` (mask [`NEW_ANY`](crate::store::first_seen::NEW_ANY)), `new:ip`, `new:ua`, `new:type`:
    /// the entry shows its user somewhere new (see [`crate::store::first_seen`]). It depends on what was
    /// loaded before the entry, so only a store can answer it.
    New(u8),
    /// `is:marked`: among the marks the query was given ([`Query::with_marked`]).
    Marked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypePattern {
    Exact(String),
    Glob(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpPattern {
    Addr(IpAddr),
    Cidr { network: IpAddr, prefix: u8 },
}

/// Which terms combine with OR: the same key, and for `data.` the same path. Free-text words never do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupKey<'a> {
    User,
    Type,
    Ip,
    Ua,
    Data(&'a [String]),
    Since,
    Until,
    New,
    Marked,
    /// Index of the term: each word is its own group.
    Text(usize),
}

impl Test {
    pub fn group_key(&self, index: usize) -> GroupKey<'_> {
        match self {
            Test::User(_) => GroupKey::User,
            Test::Type(_) => GroupKey::Type,
            Test::Ip(_) => GroupKey::Ip,
            Test::Ua(_) => GroupKey::Ua,
            Test::Data { path, .. } => GroupKey::Data(path),
            Test::Since(_) => GroupKey::Since,
            Test::Until(_) => GroupKey::Until,
            Test::New(_) => GroupKey::New,
            Test::Marked => GroupKey::Marked,
            Test::Text(_) => GroupKey::Text(index),
        }
    }
}

/// Terms sharing a key: at least one positive must hold (when there are any), no negative may.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    pub positive: Vec<&'a Test>,
    pub negative: Vec<&'a Test>,
}

impl<'a> Group<'a> {
    /// Combines the outcomes of this group's tests.
    pub fn holds(&self, mut test: impl FnMut(&'a Test) -> bool) -> bool {
        (self.positive.is_empty() || self.positive.iter().any(|t| test(t)))
            && !self.negative.iter().any(|t| test(t))
    }
}

impl Query {
    /// Parses a query typed at time `now` (for `since:15m`).
    pub fn parse(text: &str, now: UnixNanos) -> Result<Query, QueryError> {
        parser::parse(text, now).map(|terms| Query {
            terms,
            marked: Arc::default(),
        })
    }

    /// The query with `is:marked` standing for these entries.
    pub fn with_marked(mut self, marked: Arc<BTreeSet<Uuid>>) -> Query {
        self.marked = marked;
        self
    }

    /// The entries `is:marked` stands for.
    pub fn marked(&self) -> &BTreeSet<Uuid> {
        &self.marked
    }

    /// Whether a term is `is:marked`: then the view changes when the marks do.
    pub fn uses_marks(&self) -> bool {
        self.terms.iter().any(|t| matches!(t.test, Test::Marked))
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether a term depends on the entries before each one (`is:new`, `new:ip`): then only a store,
    /// which holds them in order, can evaluate the query.
    pub fn uses_history(&self) -> bool {
        self.terms.iter().any(|t| matches!(t.test, Test::New(_)))
    }

    /// The terms grouped by key, in order of first appearance.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut keys: Vec<GroupKey<'_>> = Vec::new();
        let mut groups: Vec<Group<'_>> = Vec::new();
        for (i, term) in self.terms.iter().enumerate() {
            let key = term.test.group_key(i);
            let at = match keys.iter().position(|k| *k == key) {
                Some(at) => at,
                None => {
                    keys.push(key);
                    groups.push(Group {
                        positive: Vec::new(),
                        negative: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[at];
            if term.negated {
                group.negative.push(&term.test);
            } else {
                group.positive.push(&term.test);
            }
        }
        groups
    }

    /// The time window `[since, until)` every matching entry lies in, from the positive and negated
    /// `since:`/`until:` terms. `None` bounds are open.
    pub fn time_window(&self) -> (Option<UnixNanos>, Option<UnixNanos>) {
        let mut low: Option<UnixNanos> = None;
        let mut high: Option<UnixNanos> = None;
        for group in self.groups() {
            let (is_since, is_until) = match group.positive.first().or(group.negative.first()) {
                Some(Test::Since(_)) => (true, false),
                Some(Test::Until(_)) => (false, true),
                _ => continue,
            };
            let times = |tests: &[&Test]| -> Vec<UnixNanos> {
                tests
                    .iter()
                    .filter_map(|t| match t {
                        Test::Since(t) | Test::Until(t) => Some(*t),
                        _ => None,
                    })
                    .collect()
            };
            let pos = times(&group.positive);
            let neg = times(&group.negative);
            // since: OR of `ts >= t` is `ts >= min`; each `-since:t` is `ts < t`.
            // until: OR of `ts < t` is `ts < max`; each `-until:t` is `ts >= t`.
            let (lo, hi) = if is_since {
                (pos.iter().copied().min(), neg.iter().copied().min())
            } else if is_until {
                (neg.iter().copied().max(), pos.iter().copied().max())
            } else {
                (None, None)
            };
            if let Some(lo) = lo {
                low = Some(low.map_or(lo, |l| l.max(lo)));
            }
            if let Some(hi) = hi {
                high = Some(high.map_or(hi, |h| h.min(hi)));
            }
        }
        (low, high)
    }
}

/// A query that cannot be understood: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// 1-based column (in characters).
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}
