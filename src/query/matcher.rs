//! A query tested on one entry at a time, for streams (`auditui query`) where there is no store. The
//! outcome of the tests on users, types, IPs and user agents is remembered per distinct value, as the
//! store does, so long streams cost a hash look-up per field.
//!
//! `is:new` and `new:` terms depend on the entries before each one, which a stream does not hold in
//! order: here they never hold. Callers with such a query use the store ([`Query::uses_history`]).

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::text::{self, data_at_compact, type_matches};
use super::word::BareWord;
use super::{Group, Query, Test};
use crate::entry::{Row, compact_json};
use crate::timestamp::UnixNanos;

#[derive(Clone, Copy)]
enum Column {
    User,
    Kind,
    Ip,
    Ua,
}

type Cache = HashMap<Box<str>, bool, FxBuildHasher>;

pub struct Matcher<'q> {
    query: &'q Query,
    groups: Vec<Group<'q>>,
    window: (Option<UnixNanos>, Option<UnixNanos>),
    /// The bare words, in order.
    words: Vec<BareWord>,
    /// Per column: the outcome of every column-only group, by value.
    caches: [Cache; 4],
    /// Per word: does a column value fuzzy-match, by (column, value).
    word_caches: Vec<[Cache; 4]>,
    needs_data: bool,
}

impl<'q> Matcher<'q> {
    pub fn new(query: &'q Query) -> Self {
        let words: Vec<BareWord> = query
            .terms()
            .iter()
            .filter_map(|t| match &t.test {
                Test::Text(w) => Some(BareWord::new(w)),
                _ => None,
            })
            .collect();
        let needs_data = query.terms().iter().any(|t| {
            matches!(
                t.test,
                Test::Text(_) | Test::Data { .. } | Test::New(_) | Test::Marked
            )
        });
        Matcher {
            query,
            groups: query.groups(),
            window: query.time_window(),
            caches: Default::default(),
            word_caches: (0..words.len()).map(|_| Default::default()).collect(),
            words,
            needs_data,
        }
    }

    pub fn query(&self) -> &'q Query {
        self.query
    }

    pub fn matches(&mut self, f: &Row<'_>) -> bool {
        let (low, high) = self.window;
        if low.is_some_and(|l| f.ts < l) || high.is_some_and(|h| f.ts >= h) {
            return false;
        }
        for (column, value) in [
            (Column::User, f.user),
            (Column::Kind, f.kind),
            (Column::Ip, f.ip),
            (Column::Ua, f.user_agent),
        ] {
            let groups = &self.groups;
            let cache = &mut self.caches[column as usize];
            let ok = match cache.get(value) {
                Some(&ok) => ok,
                None => {
                    let ok = groups
                        .iter()
                        .filter(|g| {
                            let first = g.positive.first().or(g.negative.first());
                            first.is_some_and(|t| column_test(column, t, value).is_some())
                        })
                        .all(|g| g.holds(|t| column_test(column, t, value).unwrap_or(false)));
                    cache.insert(value.into(), ok);
                    ok
                }
            };
            if !ok {
                return false;
            }
        }
        if !self.needs_data {
            return true;
        }
        let data = compact_json(f.data);
        let mut word = 0;
        for term in self.query.terms() {
            let Test::Text(_) = &term.test else {
                continue;
            };
            let caches = &mut self.word_caches[word];
            let w = &self.words[word];
            word += 1;
            let mut hit = false;
            for (column, value) in [
                (Column::User, f.user),
                (Column::Kind, f.kind),
                (Column::Ip, f.ip),
                (Column::Ua, f.user_agent),
            ] {
                let cache = &mut caches[column as usize];
                let found = match cache.get(value) {
                    Some(&found) => found,
                    None => {
                        let found = w.matches(value);
                        cache.insert(value.into(), found);
                        found
                    }
                };
                if found {
                    hit = true;
                    break;
                }
            }
            hit = hit || text::contains_ignore_ascii_case(&data, w.lower());
            if hit == term.negated {
                return false;
            }
        }
        self.groups.iter().all(|g| {
            let is_data = g
                .positive
                .iter()
                .chain(&g.negative)
                .any(|t| matches!(t, Test::Data { .. } | Test::New(_) | Test::Marked));
            !is_data
                || g.holds(|t| match t {
                    Test::Marked => self.query.marked().contains(&f.id),
                    Test::Data { path, needle } => data_at_compact(&data, path)
                        .is_some_and(|v| text::contains_ignore_ascii_case(&v, needle)),
                    _ => false,
                })
        })
    }
}

/// The outcome of a column test on a value; `None` for tests on other columns (they do not constrain
/// this one).
fn column_test(column: Column, test: &Test, value: &str) -> Option<bool> {
    match (column, test) {
        (Column::User, Test::User(n)) | (Column::Ua, Test::Ua(n)) => {
            Some(text::contains_ignore_ascii_case(value, n))
        }
        (Column::Kind, Test::Type(p)) => Some(type_matches(p, value)),
        (Column::Ip, Test::Ip(p)) => Some(text::ip_in(p, value)),
        _ => None,
    }
}
