//! Which entries show a user somewhere new: from an IP address, with a user agent, or doing a type of
//! thing not seen for that user before, in everything loaded (in id order, which is time order).
//!
//! A user's very first entry is the baseline, not news: it is marked only as the user's first. Every
//! later entry that brings a pair (user, IP), (user, user agent) or (user, type) not seen before is
//! marked new on that dimension. That is what `is:new` and `new:ip` select, and what the list marks.

use std::collections::HashSet;

use rustc_hash::FxBuildHasher;

/// An entry brings a new IP address for its user.
pub const NEW_IP: u8 = 1;
/// ...a new user agent.
pub const NEW_UA: u8 = 2;
/// ...a new type.
pub const NEW_TYPE: u8 = 4;
/// Any of the three.
pub const NEW_ANY: u8 = NEW_IP | NEW_UA | NEW_TYPE;
/// The user's first entry in everything loaded (the baseline of the others).
pub const FIRST_OF_USER: u8 = 8;

#[derive(Debug, Clone, Default)]
pub struct FirstSeen {
    /// Per store position, the flags above.
    flags: Vec<u8>,
    users: Vec<bool>,
    /// The (user, value) pairs seen, per dimension: IP, user agent, type.
    pairs: [Pairs; 3],
}

impl FirstSeen {
    /// Notes the entry at the next position (entries must come in store order).
    pub fn push(&mut self, user: u32, ip: u32, ua: u32, kind: u32) {
        let u = user as usize;
        if self.users.len() <= u {
            self.users.resize(u + 1, false);
        }
        let mut flags = 0;
        let known = self.users[u];
        for ((pairs, value), flag) in self
            .pairs
            .iter_mut()
            .zip([ip, ua, kind])
            .zip([NEW_IP, NEW_UA, NEW_TYPE])
        {
            if pairs.insert(user, value) && known {
                flags |= flag;
            }
        }
        if !known {
            self.users[u] = true;
            flags |= FIRST_OF_USER;
        }
        self.flags.push(flags);
    }

    /// The flags of the entry at `position`.
    pub fn flags(&self, position: usize) -> u8 {
        self.flags.get(position).copied().unwrap_or(0)
    }

    pub fn reserve(&mut self, more: usize) {
        self.flags.reserve(more);
    }

    pub fn heap_bytes(&self) -> usize {
        self.flags.capacity()
            + self.users.capacity()
            + self.pairs.iter().map(Pairs::heap_bytes).sum::<usize>()
    }
}

/// Words of bits [`Pairs`] may take (2 MiB): room for 4,096 values for each of 4,096 users, or 256 for
/// each of 65,536.
const MOST_WORDS: usize = 1 << 18;

/// A set of (user, value) pairs. Values are interned numbers, given in order of first appearance, so
/// the common ones are small: pairs of the first users and values are bits in a table (a look-up that
/// stays in cache), the others are hashed. The table grows while it is the only store and fits
/// [`MOST_WORDS`]; once a pair has been hashed it keeps its size, so that every pair has one place.
#[derive(Debug, Clone, Default)]
struct Pairs {
    /// `words` words per user, user after user: bit `v` of user `u`'s words is the pair (u, v).
    bits: Vec<u64>,
    words: usize,
    /// `user << 32 | value`, for the pairs beyond the table.
    rest: HashSet<u64, FxBuildHasher>,
}

impl Pairs {
    /// Adds the pair; whether it was new.
    fn insert(&mut self, user: u32, value: u32) -> bool {
        let (u, v) = (user as usize, value as usize);
        if !self.holds(u, v) && self.rest.is_empty() {
            self.grow(u, v);
        }
        if self.holds(u, v) {
            let word = &mut self.bits[u * self.words + v / 64];
            let bit = 1u64 << (v % 64);
            let new = *word & bit == 0;
            *word |= bit;
            return new;
        }
        self.rest.insert((u64::from(user) << 32) | u64::from(value))
    }

    fn users(&self) -> usize {
        self.bits.len().checked_div(self.words).unwrap_or(0)
    }

    fn holds(&self, u: usize, v: usize) -> bool {
        u < self.users() && v < self.words * 64
    }

    /// Makes room in the table for (u, v), doubling its sides, when it fits.
    fn grow(&mut self, u: usize, v: usize) {
        let words = self.words.max((v / 64 + 1).next_power_of_two());
        let users = self.users().max((u + 1).next_power_of_two()).max(64);
        if users.saturating_mul(words) > MOST_WORDS {
            return;
        }
        if words == self.words {
            self.bits.resize(users * words, 0);
            return;
        }
        let mut bits = vec![0u64; users * words];
        if self.words > 0 {
            for (to, from) in bits.chunks_mut(words).zip(self.bits.chunks(self.words)) {
                to[..self.words].copy_from_slice(from);
            }
        }
        self.bits = bits;
        self.words = words;
    }

    fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8 + self.rest.capacity() * 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_new_for_a_known_user_is_marked() {
        let mut seen = FirstSeen::default();
        // (user, ip, ua, type) in order, and the flags expected.
        let cases = [
            ((0, 0, 0, 0), FIRST_OF_USER),
            ((0, 0, 0, 0), 0),
            ((0, 1, 0, 0), NEW_IP),
            ((0, 1, 1, 1), NEW_UA | NEW_TYPE),
            ((1, 1, 1, 1), FIRST_OF_USER),
            ((1, 0, 0, 0), NEW_ANY),
            ((0, 1, 0, 0), 0),
            ((1, 0, 0, 0), 0),
        ];
        for (at, ((user, ip, ua, kind), _)) in cases.iter().enumerate() {
            seen.push(*user, *ip, *ua, *kind);
            assert_eq!(seen.flags(at), cases[at].1, "entry {at}");
        }
        assert_eq!(seen.flags(99), 0);
    }

    /// The table and the hashed pairs agree with a plain set, whatever the order the pairs come in.
    #[test]
    fn pairs_beyond_the_table_are_kept_as_well_as_those_in_it() {
        let mut pairs = Pairs::default();
        let mut plain = HashSet::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..200_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Mostly small numbers, and now and then one far beyond what the table can hold.
            let (user, value) = match round % 97 {
                96 => ((state >> 40) as u32, (state >> 8) as u32 % 1_000_000),
                _ => ((state >> 50) as u32 % 300, (state >> 20) as u32 % 700),
            };
            assert_eq!(
                pairs.insert(user, value),
                plain.insert((user, value)),
                "{round}"
            );
        }
        assert!(!pairs.rest.is_empty(), "some pairs went beyond the table");
        assert!(pairs.words > 1, "the table grew");
    }
}
