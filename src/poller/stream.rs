//! Where the poller stands in the stream, and what each answer adds to it.
//!
//! Pure: the position (the cursor), which request comes next, and how a seed or a page becomes the
//! entries to deliver. Every entry is delivered once, in id order: whatever a page holds at or below the
//! cursor is dropped as already delivered, and the cursor moves to the highest id seen, rejected
//! entries with a readable id included. A rejected entry without a readable id has no place the cursor
//! can pass: when it is the newest of a page, the next page holds it again, and it is reported once. A
//! full page of them cannot move the cursor at all: that is an error (retried and shown as one), never
//! the end of the stream.

use uuid::Uuid;

use crate::entry::{Batch, Entry, Rejected};
use crate::timestamp::UnixNanos;

/// Entries per page: the most the API gives.
pub const PAGE_SIZE: u16 = 1000;

/// The type of the tool's own requests in the stream.
pub const FETCH_TYPE: &str = "api:audit_log_fetch";

/// Where following starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The newest entry (`/latest`).
    Latest,
    /// The first entry at or after this time (`/search?time=`).
    Since(UnixNanos),
    /// The oldest entry (`/earliest`).
    Earliest,
    /// Just after this id, already delivered (a saved position).
    After(Uuid),
}

/// The request the stream needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Latest,
    Earliest,
    /// `/search?time=` in UTC epoch seconds.
    Search {
        epoch_secs: i64,
    },
    Page {
        from: Uuid,
        take: u16,
    },
}

/// What one answer adds, ready to send on.
#[derive(Debug, Default)]
pub struct Delivery {
    /// New entries, ascending by id, the tool's own hidden unless asked for.
    pub entries: Vec<Entry>,
    pub rejected: Vec<Rejected>,
    /// The tool's own entries hidden from `entries`.
    pub self_hidden: u64,
    /// The new position, when it moved.
    pub position: Option<Uuid>,
    /// More entries are already waiting (a full page, or a seed still to be paged from).
    pub more: bool,
}

/// Recognizes the tool's own `api:audit_log_fetch` entries, and only those: another integration's
/// fetches stay visible.
#[derive(Debug, Clone, Default)]
pub struct SelfFilter {
    /// The User-Agents that are this tool's own: the one this session sends (unique per session) and,
    /// when resuming a saved position, the one of the run that saved it (its last fetches come after).
    pub agents: Vec<String>,
    /// The service user behind the token, when known.
    pub user: Option<String>,
}

impl SelfFilter {
    pub fn is_own(&self, entry: &Entry) -> bool {
        if entry.kind != FETCH_TYPE {
            return false;
        }
        if !self.agents.is_empty() && !entry.user_agent.is_empty() {
            // The agent, unique to a session, says it precisely when the API records it.
            return self.agents.contains(&entry.user_agent);
        }
        // Without an agent to compare, the service user is the best evidence there is.
        self.user.as_ref().is_some_and(|user| entry.user == *user)
    }
}

pub struct Stream {
    start: Start,
    cursor: Option<Uuid>,
    take: u16,
    filter: SelfFilter,
    show_self: bool,
    /// The rejected entries without a readable id in the last answer: the API serves them again when
    /// the cursor could not move past them.
    unplaced: Vec<Rejected>,
}

impl Stream {
    pub fn new(start: Start, filter: SelfFilter, show_self: bool) -> Stream {
        let cursor = match start {
            Start::After(id) => Some(id),
            _ => None,
        };
        Stream {
            start,
            cursor,
            take: PAGE_SIZE,
            filter,
            show_self,
            unplaced: Vec::new(),
        }
    }

    /// A smaller page size (tests).
    pub fn with_page_size(mut self, take: u16) -> Stream {
        self.take = take.clamp(1, PAGE_SIZE);
        self
    }

    /// The last id delivered (or passed over), once known.
    pub fn cursor(&self) -> Option<Uuid> {
        self.cursor
    }

    pub fn next_request(&self) -> Request {
        if let Some(from) = self.cursor {
            return Request::Page {
                from,
                take: self.take,
            };
        }
        match self.start {
            Start::Latest => Request::Latest,
            Start::Earliest => Request::Earliest,
            Start::Since(at) => Request::Search {
                epoch_secs: at.div_euclid(1_000_000_000),
            },
            Start::After(from) => Request::Page {
                from,
                take: self.take,
            },
        }
    }

    /// Takes the answer to [`Stream::next_request`]. An error means the answer is unusable and the same
    /// request must be made again.
    pub fn accept(&mut self, batch: Batch) -> Result<Delivery, Unusable> {
        match self.next_request() {
            Request::Page { take, .. } => self.accept_page(batch, take),
            _ => self.accept_seed(batch),
        }
    }

    fn accept_seed(&mut self, batch: Batch) -> Result<Delivery, Unusable> {
        if batch.is_empty() {
            // Nothing found: no entries yet, or (for a time) none that recent.
            self.cursor = Some(match self.start {
                Start::Since(at) => floor_id(at),
                _ => Uuid::nil(),
            });
            return Ok(Delivery {
                position: self.cursor,
                more: true,
                ..Delivery::default()
            });
        }
        if batch.last_id().is_none() {
            return Err(Unusable(
                "the starting entry has no readable id; cannot tell where to follow from".into(),
            ));
        }
        let mut delivery = self.deliver(batch);
        delivery.more = true;
        Ok(delivery)
    }

    fn accept_page(&mut self, batch: Batch, take: u16) -> Result<Delivery, Unusable> {
        let full = batch.len() >= usize::from(take);
        if full && batch.last_id().is_none() {
            // Nothing on a full page can move the cursor: the same page would come back for ever, and
            // whatever follows it would never be reached. That is a fault, not the end of the stream.
            let first = batch.rejected.first().map_or("", |r| r.reason.as_str());
            return Err(Unusable(format!(
                "stuck: a full page of {} entries holds no readable id, so the stream cannot move past \
                 it (first: {})",
                batch.len(),
                crate::sanitize::clean_truncated(first, 120)
            )));
        }
        let mut delivery = self.deliver(batch);
        delivery.more = full;
        Ok(delivery)
    }

    fn deliver(&mut self, batch: Batch) -> Delivery {
        let cursor = self.cursor;
        let after = |id: &Uuid| cursor.is_none_or(|c| *id > c);
        let Batch {
            mut entries,
            mut rejected,
        } = batch;
        entries.retain(|e| after(&e.id));
        entries.sort_by_key(|e| e.id);
        entries.dedup_by_key(|e| e.id);
        let unplaced = rejected.iter().filter(|r| r.id.is_none()).cloned();
        let mut reported = std::mem::replace(&mut self.unplaced, unplaced.collect());
        rejected.retain(|r| match r.id {
            Some(id) => after(&id),
            None => match reported.iter().position(|seen| seen == r) {
                Some(i) => {
                    reported.swap_remove(i);
                    false
                }
                None => true,
            },
        });
        let last = entries
            .iter()
            .map(|e| e.id)
            .chain(rejected.iter().filter_map(|r| r.id))
            .max();
        let before = entries.len();
        if !self.show_self {
            entries.retain(|e| !self.filter.is_own(e));
        }
        let self_hidden = (before - entries.len()) as u64;
        if let Some(last) = last {
            self.cursor = Some(last);
        }
        Delivery {
            entries,
            rejected,
            self_hidden,
            position: last,
            more: false,
        }
    }
}

/// An answer that parsed but cannot be used: ask again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unusable(pub String);

/// The lowest UUIDv7 of the millisecond of `at`: paging from it gives the entries created from `at` on.
pub fn floor_id(at: UnixNanos) -> Uuid {
    let millis = at.div_euclid(1_000_000).clamp(0, (1 << 48) - 1) as u128;
    Uuid::from_u128((millis << 80) | (0x7 << 76) | (0b10 << 62))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: &str = "auditui/0.1 (session 1234abcd)";
    const SERVICE: &str = "svc-token@example.com";

    /// A v7-shaped id whose order follows `n`.
    fn id(n: u64) -> Uuid {
        Uuid::from_u128(0x0194_f5a3_7b2c_7000_8000_0000_0000_0000 + u128::from(n))
    }

    fn entry_with(n: u64, kind: &str, user: &str, agent: &str) -> Entry {
        Entry::parse(&format!(
            r#"{{"id":"{}","timestamp":"2025-02-11T16:08:44","type":"{kind}","user":"{user}","user_agent":"{agent}"}}"#,
            id(n)
        ))
        .unwrap()
    }

    fn entry(n: u64) -> Entry {
        entry_with(n, "auth:login", "a@example.com", "Mozilla/5.0")
    }

    fn own(n: u64) -> Entry {
        entry_with(n, FETCH_TYPE, SERVICE, AGENT)
    }

    fn rejected(n: Option<u64>) -> Rejected {
        Rejected {
            id: n.map(id),
            reason: "bad timestamp".into(),
            excerpt: "{..}".into(),
        }
    }

    fn batch(entries: Vec<Entry>, rejected: Vec<Rejected>) -> Batch {
        Batch { entries, rejected }
    }

    fn ids(entries: &[Entry]) -> Vec<Uuid> {
        entries.iter().map(|e| e.id).collect()
    }

    fn filter() -> SelfFilter {
        SelfFilter {
            agents: vec![AGENT.into()],
            user: Some(SERVICE.into()),
        }
    }

    #[test]
    fn each_start_asks_its_seed() {
        let cases = [
            (Start::Latest, Request::Latest),
            (Start::Earliest, Request::Earliest),
            (
                Start::Since(1_700_000_000_999_999_999),
                Request::Search {
                    epoch_secs: 1_700_000_000,
                },
            ),
            (
                Start::After(id(5)),
                Request::Page {
                    from: id(5),
                    take: PAGE_SIZE,
                },
            ),
        ];
        for (start, request) in cases {
            let stream = Stream::new(start.clone(), filter(), false);
            assert_eq!(stream.next_request(), request, "{start:?}");
        }
    }

    #[test]
    fn the_seed_entry_is_delivered_and_paging_follows_from_it() {
        let mut stream = Stream::new(Start::Latest, filter(), false);
        let d = stream.accept(batch(vec![entry(7)], vec![])).unwrap();
        assert_eq!(ids(&d.entries), vec![id(7)]);
        assert!(d.more);
        assert_eq!(d.position, Some(id(7)));
        assert_eq!(
            stream.next_request(),
            Request::Page {
                from: id(7),
                take: PAGE_SIZE
            }
        );
    }

    #[test]
    fn the_older_latest_array_is_delivered_in_id_order() {
        let mut stream = Stream::new(Start::Latest, filter(), false);
        let d = stream
            .accept(batch(vec![entry(9), entry(3), entry(5)], vec![]))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(3), id(5), id(9)]);
        assert_eq!(stream.cursor(), Some(id(9)));
    }

    #[test]
    fn a_seed_that_finds_nothing_pages_from_the_right_place() {
        let at: UnixNanos = 1_764_000_000_123_456_789;
        let cases = [
            (Start::Latest, Uuid::nil()),
            (Start::Earliest, Uuid::nil()),
            (Start::Since(at), floor_id(at)),
        ];
        for (start, from) in cases {
            let mut stream = Stream::new(start.clone(), filter(), false);
            let d = stream.accept(Batch::default()).unwrap();
            assert!(d.entries.is_empty() && d.more, "{start:?}");
            assert_eq!(stream.cursor(), Some(from), "{start:?}");
        }
    }

    #[test]
    fn floor_id_sorts_below_every_v7_id_of_its_millisecond_and_above_earlier_ones() {
        let at: UnixNanos = 1_764_000_000_123_456_789;
        let floor = floor_id(at);
        assert_eq!(floor.get_version_num(), 7);
        assert_eq!(
            crate::entry::id_time_millis(&floor),
            Some(1_764_000_000_123)
        );
        let same_ms = Uuid::from_u128(floor.as_u128() + 1);
        let earlier = floor_id(at - 1_000_000);
        assert!(earlier < floor && floor < same_ms);
    }

    #[test]
    fn a_seed_without_a_readable_id_is_unusable() {
        let mut stream = Stream::new(Start::Latest, filter(), false);
        assert!(stream.accept(batch(vec![], vec![rejected(None)])).is_err());
        assert_eq!(stream.next_request(), Request::Latest);
    }

    #[test]
    fn full_pages_ask_for_more_and_short_pages_say_caught_up() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false).with_page_size(3);
        let d = stream
            .accept(batch(vec![entry(1), entry(2), entry(3)], vec![]))
            .unwrap();
        assert!(d.more);
        let d = stream.accept(batch(vec![entry(4)], vec![])).unwrap();
        assert!(!d.more);
        assert_eq!(stream.cursor(), Some(id(4)));
        let d = stream.accept(Batch::default()).unwrap();
        assert!(!d.more && d.position.is_none());
        assert_eq!(stream.cursor(), Some(id(4)));
    }

    #[test]
    fn rejected_entries_move_the_cursor_and_keep_the_rest_of_the_page() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false).with_page_size(4);
        let d = stream
            .accept(batch(
                vec![entry(1), entry(3)],
                vec![rejected(Some(2)), rejected(Some(4))],
            ))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(1), id(3)]);
        assert_eq!(d.rejected.len(), 2);
        assert_eq!(d.position, Some(id(4)));
        assert!(d.more, "a full page counts its rejected entries");
    }

    #[test]
    fn a_page_out_of_order_is_delivered_in_id_order() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false).with_page_size(3);
        let d = stream
            .accept(batch(vec![entry(3), entry(1), entry(2)], vec![]))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(1), id(2), id(3)]);
        assert_eq!(d.position, Some(id(3)));
        assert!(d.more);
    }

    #[test]
    fn nothing_at_or_below_the_cursor_is_delivered_again() {
        let mut stream = Stream::new(Start::After(id(5)), filter(), false);
        let d = stream
            .accept(batch(
                vec![entry(4), entry(5), entry(6), entry(6)],
                vec![rejected(Some(5)), rejected(None)],
            ))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(6)]);
        assert_eq!(
            d.rejected,
            vec![rejected(None)],
            "an unpositioned rejection is still reported"
        );
    }

    #[test]
    fn an_unreadable_entry_served_again_by_the_next_page_is_reported_once() {
        let unreadable = |excerpt: &str| Rejected {
            id: None,
            reason: "`id` is not a UUID".into(),
            excerpt: excerpt.into(),
        };
        let mut stream = Stream::new(Start::After(id(0)), filter(), false);
        let d = stream
            .accept(batch(vec![entry(1)], vec![unreadable("{\"id\":2")]))
            .unwrap();
        assert_eq!(d.rejected.len(), 1);
        // The cursor stopped at 1: the API answers the unreadable entry again, then what came after.
        let d = stream
            .accept(batch(
                vec![entry(3)],
                vec![unreadable("{\"id\":2"), unreadable("{\"id\":4")],
            ))
            .unwrap();
        assert_eq!(d.rejected, vec![unreadable("{\"id\":4")]);
        let d = stream
            .accept(batch(vec![], vec![unreadable("{\"id\":4")]))
            .unwrap();
        assert!(d.rejected.is_empty(), "{:?}", d.rejected);
        let d = stream
            .accept(batch(vec![entry(5)], vec![unreadable("{\"id\":4")]))
            .unwrap();
        assert!(
            d.rejected.is_empty(),
            "still the same one: {:?}",
            d.rejected
        );
        assert_eq!(ids(&d.entries), vec![id(5)]);
    }

    #[test]
    fn a_full_page_that_cannot_move_the_cursor_is_an_error_not_caught_up() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false).with_page_size(2);
        let err = stream
            .accept(batch(vec![], vec![rejected(None), rejected(None)]))
            .unwrap_err();
        assert!(
            err.0.contains("stuck") && err.0.contains("no readable id"),
            "{err}"
        );
        assert_eq!(stream.cursor(), Some(id(0)));
        // A short page of them is the end for now: the next one may move on.
        let d = stream.accept(batch(vec![], vec![rejected(None)])).unwrap();
        assert!(!d.more && d.position.is_none());
        assert_eq!(d.rejected.len(), 1);
    }

    #[test]
    fn a_full_page_of_rejected_entries_with_ids_moves_the_cursor_and_asks_for_more() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false).with_page_size(2);
        let d = stream
            .accept(batch(vec![], vec![rejected(Some(1)), rejected(Some(2))]))
            .unwrap();
        assert!(d.more);
        assert_eq!(stream.cursor(), Some(id(2)));
    }

    #[test]
    fn own_fetches_are_hidden_counted_and_still_move_the_cursor() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), false);
        let d = stream
            .accept(batch(vec![entry(1), own(2), own(3)], vec![]))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(1)]);
        assert_eq!(d.self_hidden, 2);
        assert_eq!(stream.cursor(), Some(id(3)));
    }

    #[test]
    fn show_self_keeps_own_fetches() {
        let mut stream = Stream::new(Start::After(id(0)), filter(), true);
        let d = stream
            .accept(batch(vec![entry(1), own(2)], vec![]))
            .unwrap();
        assert_eq!(ids(&d.entries), vec![id(1), id(2)]);
        assert_eq!(d.self_hidden, 0);
    }

    #[test]
    fn only_this_sessions_fetches_are_own() {
        let other_agent = "another-integration/2.0";
        let cases = [
            ("this session's fetch", own(1), filter(), true),
            (
                "another integration's fetch, same service user",
                entry_with(1, FETCH_TYPE, SERVICE, other_agent),
                filter(),
                false,
            ),
            (
                "another session of this tool",
                entry_with(1, FETCH_TYPE, SERVICE, "auditui/0.1 (session ffff)"),
                filter(),
                false,
            ),
            (
                "not a fetch, same agent",
                entry_with(1, "auth:login", SERVICE, AGENT),
                filter(),
                false,
            ),
            (
                "agent not recorded: the service user decides",
                entry_with(1, FETCH_TYPE, SERVICE, ""),
                filter(),
                true,
            ),
            (
                "agent not recorded, another user",
                entry_with(1, FETCH_TYPE, "other@example.com", ""),
                filter(),
                false,
            ),
            (
                "no agent known: the service user decides",
                entry_with(1, FETCH_TYPE, SERVICE, other_agent),
                SelfFilter {
                    agents: Vec::new(),
                    user: Some(SERVICE.into()),
                },
                true,
            ),
            (
                "the run this one resumes",
                entry_with(1, FETCH_TYPE, SERVICE, "auditui/0.1 (session 0ld)"),
                SelfFilter {
                    agents: vec![AGENT.into(), "auditui/0.1 (session 0ld)".into()],
                    user: None,
                },
                true,
            ),
            (
                "nothing known: nothing hidden",
                own(1),
                SelfFilter::default(),
                false,
            ),
        ];
        for (name, entry, filter, expected) in cases {
            assert_eq!(filter.is_own(&entry), expected, "{name}");
        }
    }
}
