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
    /// (user << 32 | value) pairs seen, per dimension: IP, user agent, type.
    pairs: [HashSet<u64, FxBuildHasher>; 3],
}

impl FirstSeen {
    /// Notes the entry at the next position (entries must come in store order).
    pub fn push(&mut self, user: u32, ip: u32, ua: u32, kind: u32) {
        let u = user as usize;
        if self.users.len() <= u {
            self.users.resize(u + 1, false);
        }
        let pair = |v: u32| (u64::from(user) << 32) | u64::from(v);
        let mut flags = 0;
        let known = self.users[u];
        for ((set, value), flag) in self
            .pairs
            .iter_mut()
            .zip([ip, ua, kind])
            .zip([NEW_IP, NEW_UA, NEW_TYPE])
        {
            if set.insert(pair(value)) && known {
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
            + self.pairs.iter().map(|s| s.capacity() * 9).sum::<usize>()
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
}
