//! The closing run of issue 13: 1,000 pathological pages from a stand-in of the API (shuffled,
//! duplicated, unreadable, odd-typed, late, huge) through the real page parser and the stream. Every
//! entry with a readable id is delivered exactly once (as an entry, or as a rejection when its other
//! fields are wrong), each delivery in id order, and the stream never stalls.

use std::collections::{BTreeMap, HashMap};

use auditui::entry::parse_page;
use auditui::poller::stream::{Request, SelfFilter, Start, Stream, floor_id};
use uuid::Uuid;

/// A small deterministic generator (no timing, no global state).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const START_MS: i64 = 1_764_000_000_000;
const TAKE: u16 = 50;
const PAGES: usize = 1000;

/// One stored entry: its id, the JSON the stand-in serves, and when it becomes visible.
struct Stored {
    json: String,
    visible_at: i64,
}

struct StandIn {
    rng: Lcg,
    /// By id: entries with a readable id.
    log: BTreeMap<Uuid, Stored>,
    /// Entries without a readable id, served among the others.
    unreadable: Vec<String>,
    now: i64,
    seq: u64,
}

impl StandIn {
    fn id_at(&mut self, millis: i64) -> Uuid {
        self.seq += 1;
        let rand = u128::from(self.seq) << 20 | u128::from(self.rng.below(1 << 20));
        Uuid::from_u128(floor_id(millis * 1_000_000).as_u128() | (rand & ((1 << 62) - 1)))
    }

    /// Writes the entries of the next 500 ms of activity.
    fn tick(&mut self) {
        self.now += 500;
        for _ in 0..self.rng.below(40) {
            let created = self.now - self.rng.below(500) as i64;
            let id = self.id_at(created);
            let kind = self.rng.below(100);
            let json = match kind {
                0..=59 => format!(
                    r#"{{"id":"{id}","timestamp":"2025-11-24T16:00:00.123456","type":"auth:login","user":"a@x","data":{{"n":{}}}}}"#,
                    self.rng.next()
                ),
                60..=69 => format!(
                    r#"{{"id":"{id}","timestamp":"2025-11-24T16:00:00.123456","type":"auth:login","user":{{"name":"obj"}}}}"#
                ),
                70..=79 => format!(r#"{{"id":"{id}","timestamp":1764000000,"type":"x","user":5}}"#),
                80..=89 => format!(
                    r#"{{"id":"{id}","timestamp":"20250211T160844Z","type":"odd:ts","ip":null}}"#
                ),
                90..=94 => format!(
                    r#"{{"id":"{id}","timestamp":"2025-11-24T16:00:00","type":"big","data":{{"blob":"{}"}}}}"#,
                    "x".repeat(200_000)
                ),
                _ => {
                    self.unreadable.push(format!(
                        r#"{{"id":"evt_{}","timestamp":"2025-11-24T16:00:00","type":"x"}}"#,
                        self.seq
                    ));
                    continue;
                }
            };
            // One in ten is committed late: visible up to 1.5 s after its id's time.
            let late = if self.rng.below(10) == 0 {
                self.rng.below(1500) as i64
            } else {
                0
            };
            self.log.insert(
                id,
                Stored {
                    json,
                    visible_at: created + late,
                },
            );
        }
    }

    /// A page as a hostile server might send it: after `from`, visible, shuffled, some repeated, some
    /// unreadable entries among them, at most `take`.
    fn page(&mut self, from: Uuid, take: u16) -> String {
        let now = self.now;
        let mut items: Vec<String> = self
            .log
            .range(Uuid::from_u128(from.as_u128() + 1)..)
            .filter(|(_, s)| s.visible_at <= now)
            .take(usize::from(take))
            .map(|(_, s)| s.json.clone())
            .collect();
        let room = usize::from(take).saturating_sub(items.len());
        let unreadable = self.unreadable.len().min(room).min(3);
        items.extend(self.unreadable.iter().rev().take(unreadable).cloned());
        if !items.is_empty() && items.len() < usize::from(take) && self.rng.below(3) == 0 {
            let dup = items[self.rng.below(items.len() as u64) as usize].clone();
            items.push(dup);
        }
        for i in (1..items.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
        format!("[{}]", items.join(","))
    }
}

#[test]
fn a_thousand_pathological_pages_deliver_every_readable_id_exactly_once_in_id_order() {
    let mut world = StandIn {
        rng: Lcg(13),
        log: BTreeMap::new(),
        unreadable: Vec::new(),
        now: START_MS,
        seq: 0,
    };
    let start = floor_id(START_MS * 1_000_000);
    let mut stream =
        Stream::new(Start::After(start), SelfFilter::default(), false).with_page_size(TAKE);
    let mut delivered: HashMap<Uuid, usize> = HashMap::new();
    let mut stuck = 0;
    for _ in 0..PAGES {
        let Request::Page { from, take } = stream.next_request() else {
            panic!("resuming pages only");
        };
        let body = world.page(from, take);
        let batch = parse_page(&body).expect("the page is a JSON array");
        match stream.accept(batch) {
            Ok(delivery) => {
                let entry_ids: Vec<Uuid> = delivery.entries.iter().map(|e| e.id).collect();
                assert!(
                    entry_ids.windows(2).all(|w| w[0] < w[1]),
                    "each delivery is in id order"
                );
                for id in entry_ids
                    .into_iter()
                    .chain(delivery.rejected.iter().filter_map(|r| r.id))
                {
                    *delivered.entry(id).or_default() += 1;
                }
                if !delivery.more {
                    world.tick();
                }
            }
            Err(_) => stuck += 1,
        }
    }
    // Let what is still late become visible, and drain it.
    for _ in 0..10 {
        world.tick_quiet();
        let Request::Page { from, take } = stream.next_request() else {
            unreachable!()
        };
        let batch = parse_page(&world.page(from, take)).unwrap();
        let delivery = stream.accept(batch).unwrap();
        for id in delivery
            .entries
            .iter()
            .map(|e| e.id)
            .chain(delivery.rejected.iter().filter_map(|r| r.id))
        {
            *delivered.entry(id).or_default() += 1;
        }
    }
    assert_eq!(stuck, 0, "no page without a readable id was full");
    let repeated: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "delivered twice: {repeated:?}");
    let missing: Vec<&Uuid> = world
        .log
        .keys()
        .filter(|id| !delivered.contains_key(id))
        .collect();
    assert!(missing.is_empty(), "{} never delivered", missing.len());
    assert!(world.log.len() > 2_000, "{} entries", world.log.len());
    assert_eq!(delivered.len(), world.log.len());
}

impl StandIn {
    /// Time passes with no new activity.
    fn tick_quiet(&mut self) {
        self.now += 500;
    }
}
