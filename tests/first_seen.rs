//! First seen on the demo's own data: the incident (an admin's account used from an address never seen
//! before) comes up with `new:ip`, and `is:new` selects only entries that show a user somewhere new.

use auditui::query::Query;
use auditui::simulator::storyline::INTRUDER_IP;
use auditui::simulator::{SimConfig, history_lines};
use auditui::store::first_seen::{NEW_ANY, NEW_IP};
use auditui::store::load::load_lines;
use auditui::store::{Store, View};

const START_MS: u64 = 1_795_600_000_000;
const NOW: i64 = START_MS as i64 * 1_000_000;

fn demo_store() -> Store {
    let lines = history_lines(&SimConfig::default(), START_MS).join("\n");
    load_lines(lines.as_bytes(), 2).0
}

fn view(store: &Store, text: &str) -> View {
    View::new(store, &Query::parse(text, NOW).expect("parses"))
}

#[test]
fn new_ip_holds_the_intruders_first_entry_and_not_the_rest() {
    let store = demo_store();
    let new_ip = view(&store, "new:ip");
    let ips: Vec<&str> = new_ip
        .indices()
        .iter()
        .map(|&i| store.get(i).ip())
        .collect();
    assert!(ips.contains(&INTRUDER_IP), "{ips:?}");
    // The demo's people work from a random address 8% of the time: each such entry is news.
    assert!(
        new_ip.len() * 10 < store.len(),
        "new:ip is a minority: {} of {}",
        new_ip.len(),
        store.len()
    );
    // Only the first entry of the victim from that address is news; the rest of the incident is not.
    let intruder = view(&store, &format!("ip:{INTRUDER_IP}"));
    let victim = store.get(intruder.indices()[0]).user().to_owned();
    let firsts = view(&store, &format!("new:ip ip:{INTRUDER_IP} user:{victim}"));
    assert_eq!(firsts.len(), 1);
    assert_eq!(firsts.indices()[0], intruder.indices()[0]);
}

#[test]
fn is_new_holds_exactly_for_entries_that_bring_a_new_pair_for_a_known_user() {
    let store = demo_store();
    let is_new = view(&store, "is:new");
    let not_new = view(&store, "-is:new");
    assert_eq!(is_new.len() + not_new.len(), store.len());
    // Recomputed plainly from the entries in order.
    let mut users = std::collections::HashSet::new();
    let mut pairs = std::collections::HashSet::new();
    let mut expected = Vec::new();
    for i in 0..store.len() as u32 {
        let e = store.get(i);
        let known = !users.insert(e.user().to_owned());
        let mut new = false;
        for (dim, value) in [("ip", e.ip()), ("ua", e.user_agent()), ("type", e.kind())] {
            new |= pairs.insert((e.user().to_owned(), dim, value.to_owned())) && known;
        }
        if new {
            expected.push(i);
        }
        assert_eq!(e.first_seen() & NEW_ANY != 0, new, "entry {i}");
    }
    assert_eq!(is_new.indices(), expected.as_slice());
    let new_ip = view(&store, "new:ip");
    assert!(
        new_ip
            .indices()
            .iter()
            .all(|&i| store.get(i).first_seen() & NEW_IP != 0)
    );
}

#[test]
fn first_seen_is_the_same_whether_entries_came_at_once_in_batches_or_out_of_order() {
    let lines = history_lines(&SimConfig::default(), START_MS);
    let whole = load_lines(lines.join("\n").as_bytes(), 2).0;
    let flags = |s: &Store| {
        (0..s.len() as u32)
            .map(|i| s.get(i).first_seen())
            .collect::<Vec<_>>()
    };
    let mut batches = Store::new();
    let entries: Vec<auditui::entry::Entry> = lines
        .iter()
        .map(|l| auditui::entry::Entry::parse(l).expect("demo entries parse"))
        .collect();
    // The second half first, then the first half: positions move and the index is rebuilt.
    let (early, late) = entries.split_at(entries.len() / 2);
    for chunk in late.chunks(500) {
        batches.append(chunk.to_vec());
    }
    batches.append(early.to_vec());
    assert_eq!(flags(&batches), flags(&whole));
}
