//! Merging a store built elsewhere (a block of a file parsed on a loader thread) into this one: the
//! block's interned values are mapped once, then its columns are copied, so the app loop spends a copy
//! per entry, not a parse.

use super::{Appended, Interner, Store};

/// For each value of `from`, its number in `to` (interned there when new).
fn mapping(from: &Interner, to: &mut Interner) -> Vec<u32> {
    from.values().map(|v| to.intern(v)).collect()
}

impl Store {
    /// Adds every entry of `block` not already held, as [`Store::append`] would. Entries older than
    /// the newest held (a second file interleaving with the first) are merged into id order.
    pub fn absorb(&mut self, mut block: Store) -> Appended {
        let kinds = mapping(&block.kinds, &mut self.kinds);
        let users = mapping(&block.users, &mut self.users);
        let ips = mapping(&block.ips, &mut self.ips);
        let uas = mapping(&block.uas, &mut self.uas);
        self.reserve(block.len());
        let after_all = match (self.ids.last(), block.ids.first()) {
            (Some(last), Some(first)) => first > last,
            _ => true,
        };
        if after_all {
            return self.absorb_after(block, [&kinds, &users, &ips, &uas]);
        }
        let mut result = Appended::default();
        let sorted = self.ids.len();
        let last = self.ids.last().copied();
        for i in 0..block.len() {
            let id = block.ids[i];
            if last.is_some_and(|last| id <= last) {
                if self.ids[..sorted].binary_search(&id).is_ok() {
                    result.duplicates += 1;
                    continue;
                }
                result.reordered = true;
            }
            let (kind, user, ip, ua) = (
                kinds[block.kind[i] as usize],
                users[block.user[i] as usize],
                ips[block.ip[i] as usize],
                uas[block.ua[i] as usize],
            );
            self.ids.push(id);
            self.ts.push(block.ts[i]);
            self.kind.push(kind);
            self.user.push(user);
            self.ip.push(ip);
            self.ua.push(ua);
            if !self.unmarked {
                self.first_seen.push(user, ip, ua, kind);
            }
            self.arena.push_str(block.data_json(i as u32));
            self.data_end.push(self.arena.len() as u64);
            if let Some(oddity) = block.oddities.remove(&id) {
                self.oddities.insert(id, oddity);
            }
            result.added += 1;
        }
        // The block's bounds hold for the entries taken (a subset): wider than needed is still correct.
        self.skew.min = self.skew.min.min(block.skew.min);
        self.skew.max = self.skew.max.max(block.skew.max);
        self.skew.all_v7 &= block.skew.all_v7;
        if result.reordered {
            self.sort_by_id();
        }
        result
    }

    /// [`Store::absorb`] of a block whose every id sorts after every id held (the common case: a file
    /// read in order): no look-ups, each column extended in bulk and the `data` arena in one copy.
    fn absorb_after(&mut self, block: Store, maps: [&[u32]; 4]) -> Appended {
        let [kinds, users, ips, uas] = maps;
        let from = self.ids.len();
        let base = self.arena.len() as u64;
        self.ids.extend_from_slice(&block.ids);
        self.ts.extend_from_slice(&block.ts);
        let map = |column: &mut Vec<u32>, values: &[u32], to: &[u32]| {
            column.extend(values.iter().map(|&v| to[v as usize]));
        };
        map(&mut self.kind, &block.kind, kinds);
        map(&mut self.user, &block.user, users);
        map(&mut self.ip, &block.ip, ips);
        map(&mut self.ua, &block.ua, uas);
        // A block being gathered for another store stays without marks, as it started.
        let marked = if self.unmarked { from } else { self.ids.len() };
        for i in from..marked {
            self.first_seen
                .push(self.user[i], self.ip[i], self.ua[i], self.kind[i]);
        }
        self.arena.push_str(&block.arena);
        self.data_end
            .extend(block.data_end.iter().map(|&end| base + end));
        self.oddities.extend(block.oddities);
        self.skew.min = self.skew.min.min(block.skew.min);
        self.skew.max = self.skew.max.max(block.skew.max);
        self.skew.all_v7 &= block.skew.all_v7;
        Appended {
            added: block.ids.len(),
            ..Appended::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Entry;
    use crate::generate::{BENCH_END, Generator};

    fn lines(seed: u64, n: usize) -> Vec<String> {
        let mut generator = Generator::new(seed, n as u64, 24, BENCH_END);
        (0..n).map(|_| generator.next_line()).collect()
    }

    fn store_of(lines: &[String]) -> Store {
        let mut store = Store::new();
        store.append(lines.iter().filter_map(|l| Entry::parse(l).ok()).collect());
        store
    }

    fn json(store: &Store) -> Vec<String> {
        (0..store.len() as u32)
            .map(|i| store.get(i).json_line())
            .collect()
    }

    #[test]
    fn absorbing_blocks_holds_what_appending_the_same_entries_holds() {
        let a = lines(3, 900);
        let b = lines(4, 700);
        // In order, then interleaving (another file), then repeating what is held.
        let blocks = [&a[..400], &a[400..], &b[..], &a[100..300]];
        let mut absorbed = Store::new();
        let mut appended = Store::new();
        let mut results = Vec::new();
        for block in blocks {
            let got = absorbed.absorb(store_of(block));
            let expected =
                appended.append(block.iter().filter_map(|l| Entry::parse(l).ok()).collect());
            assert_eq!(got.added, expected.added);
            assert_eq!(got.duplicates, expected.duplicates);
            results.push(got);
        }
        assert!(!results[1].reordered);
        assert!(results[2].reordered);
        assert_eq!(results[3].added, 0);
        assert!(results[3].duplicates > 190);
        assert_eq!(json(&absorbed), json(&appended));
        for i in 0..absorbed.len() {
            assert_eq!(
                absorbed.first_seen().flags(i),
                appended.first_seen().flags(i)
            );
        }
    }
}
