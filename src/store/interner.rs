//! Distinct strings stored once, referred to by small integers.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

#[derive(Debug, Default, Clone)]
pub struct Interner {
    index: HashMap<Box<str>, u32, FxBuildHasher>,
    values: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.index.get(text) {
            return id;
        }
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
        self.values.push(text.into());
        self.index.insert(text.into(), id);
        id
    }

    pub fn get(&self, id: u32) -> &str {
        &self.values[id as usize]
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| &**v)
    }

    /// Bytes held on the heap (approximate: strings twice, table slots).
    pub fn heap_bytes(&self) -> usize {
        let strings: usize = self.values.iter().map(|v| v.len()).sum();
        2 * strings
            + self.values.capacity() * size_of::<Box<str>>()
            + self.index.capacity() * (size_of::<Box<str>>() + size_of::<u32>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_and_back() {
        let mut interner = Interner::default();
        let a = interner.intern("alice@example.com");
        let b = interner.intern("bob@example.com");
        assert_ne!(a, b);
        assert_eq!(interner.intern("alice@example.com"), a);
        assert_eq!(interner.get(b), "bob@example.com");
        assert_eq!(interner.len(), 2);
    }
}
