//! The search's memo table: the set of configurations (set of linearized operations, model
//! state) already explored. An open-addressing hash set over `Vec`s: no `HashMap`, no
//! per-entry allocation, exact comparison on a hash match (so a collision can never hide a
//! linearization), and iteration order never reaches the output.

use std::hash::{Hash, Hasher};

/// A fast, deterministic hasher for small model states (the multiply-rotate of rustc's
/// FxHasher).
#[derive(Default)]
pub(crate) struct FxHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i).wrapping_mul(K).rotate_left(26);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hashes a model state.
pub(crate) fn hash_state<S: Hash>(s: &S) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// A well-mixed 64-bit value from `x` (splitmix64's finalizer): the per-operation keys of the
/// incremental (Zobrist) hash of the linearized set.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The set of explored configurations. Each entry is a bitset of `words` words and a state.
pub(crate) struct Memo<S> {
    words: usize,
    /// (hash, entry index + 1); index 0 marks an empty slot.
    slots: Vec<(u64, u32)>,
    states: Vec<S>,
    bits: Vec<u64>,
}

impl<S: Copy + Eq> Memo<S> {
    pub(crate) fn new(words: usize) -> Self {
        Memo {
            words,
            slots: vec![(0, 0); 1024],
            states: Vec::new(),
            bits: Vec::new(),
        }
    }

    /// Inserts the configuration; returns false if it was already there.
    pub(crate) fn insert(&mut self, hash: u64, bits: &[u64], state: S) -> bool {
        debug_assert_eq!(bits.len(), self.words);
        let mask = self.slots.len() - 1;
        let mut i = (hash >> 7) as usize & mask;
        loop {
            let (h, idx) = self.slots[i];
            if idx == 0 {
                break;
            }
            if h == hash {
                let e = (idx - 1) as usize;
                if self.states[e] == state
                    && self.bits[e * self.words..(e + 1) * self.words] == *bits
                {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        self.states.push(state);
        self.bits.extend_from_slice(bits);
        self.slots[i] = (hash, self.states.len() as u32);
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let new_len = self.slots.len() * 2;
        let mask = new_len - 1;
        let mut slots = vec![(0u64, 0u32); new_len];
        for &(h, idx) in self.slots.iter().filter(|s| s.1 != 0) {
            let mut i = (h >> 7) as usize & mask;
            while slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (h, idx);
        }
        self.slots = slots;
    }

    /// Bytes held by the table.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u64, u32)>()
            + self.states.capacity() * std::mem::size_of::<S>()
            + self.bits.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_finds_exact_configurations_even_with_equal_hashes() {
        let mut m = Memo::new(2);
        assert!(m.insert(42, &[1, 0], 7u32));
        assert!(!m.insert(42, &[1, 0], 7));
        assert!(m.insert(42, &[1, 1], 7), "same hash, different set");
        assert!(m.insert(42, &[1, 0], 8), "same hash, different state");
        for i in 0..5000u64 {
            assert!(m.insert(mix(i), &[i, 0], 0));
        }
        for i in 0..5000u64 {
            assert!(!m.insert(mix(i), &[i, 0], 0));
        }
        assert!(m.bytes() > 5000 * 16);
    }
}
