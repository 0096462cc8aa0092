//! The search's memo tables: the configurations (set of linearized operations, model state)
//! already explored. Open-addressing hash sets over `Vec`s rather than the standard hash map:
//! no per-entry allocation, exact comparison on a hash match (so a collision can never hide a
//! linearization), and no iteration order that could reach the output.

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

/// Where a compressed bitset lives in an [`Arena`]: `lo` leading words that are all ones
/// (not stored), then `len` stored words, then zeros. The form is canonical (the first stored
/// word is not all ones, the last is not zero), so equal sets have equal spans and words.
///
/// The linearized set of a configuration is nearly always "every operation up to some point,
/// and a few around it", so a set over thousands of operations takes a word or two.
#[derive(Copy, Clone, Debug)]
struct Span {
    offset: u32,
    lo: u32,
    len: u32,
}

/// Storage for compressed bitsets.
#[derive(Default)]
struct Arena {
    words: Vec<u64>,
}

impl Arena {
    /// The span `bits` would have, before storing: (lo, stored words).
    fn shape(bits: &[u64]) -> (usize, &[u64]) {
        let lo = bits.iter().take_while(|w| **w == !0).count();
        let hi = bits
            .iter()
            .rposition(|w| *w != 0)
            .map_or(lo, |h| (h + 1).max(lo));
        (lo, &bits[lo..hi])
    }

    fn push(&mut self, bits: &[u64]) -> Span {
        let (lo, stored) = Arena::shape(bits);
        let offset = self.words.len() as u32;
        self.words.extend_from_slice(stored);
        Span {
            offset,
            lo: lo as u32,
            len: stored.len() as u32,
        }
    }

    fn stored(&self, span: Span) -> &[u64] {
        &self.words[span.offset as usize..(span.offset + span.len) as usize]
    }

    fn equals(&self, span: Span, bits: &[u64]) -> bool {
        let (lo, stored) = Arena::shape(bits);
        span.lo as usize == lo && self.stored(span) == stored
    }

    /// True if the set at `span` is a subset of `bits`.
    fn subset_of(&self, span: Span, bits: &[u64]) -> bool {
        let lo = span.lo as usize;
        bits[..lo].iter().all(|w| *w == !0)
            && self
                .stored(span)
                .iter()
                .zip(&bits[lo..])
                .all(|(s, b)| s & !b == 0)
    }

    fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// The set of explored configurations: each a bitset (the linearized operations) and a
/// state.
pub(crate) struct Memo<S> {
    /// (hash, entry index + 1); index 0 marks an empty slot.
    slots: Vec<(u64, u32)>,
    states: Vec<S>,
    spans: Vec<Span>,
    arena: Arena,
}

impl<S: Copy + Eq> Memo<S> {
    pub(crate) fn new() -> Self {
        Memo {
            slots: vec![(0, 0); 1024],
            states: Vec::new(),
            spans: Vec::new(),
            arena: Arena::default(),
        }
    }

    /// Inserts the configuration; returns false if it was already there.
    pub(crate) fn insert(&mut self, hash: u64, bits: &[u64], state: S) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = (hash >> 7) as usize & mask;
        loop {
            let (h, idx) = self.slots[i];
            if idx == 0 {
                break;
            }
            if h == hash {
                let e = (idx - 1) as usize;
                if self.states[e] == state && self.arena.equals(self.spans[e], bits) {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        self.states.push(state);
        self.spans.push(self.arena.push(bits));
        self.slots[i] = (hash, self.states.len() as u32);
        if self.states.len() * 2 > self.slots.len() {
            self.slots = regrow(&self.slots);
        }
        true
    }

    /// Bytes held by the table.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u64, u32)>()
            + self.states.capacity() * std::mem::size_of::<S>()
            + self.spans.capacity() * std::mem::size_of::<Span>()
            + self.arena.bytes()
    }
}

/// The explored configurations when some operations are pending, with dominance.
///
/// Pending operations are optional: whatever completes a configuration also completes one
/// with the same linearized definite operations D and the same state s that has *more*
/// pending operations still available. So a configuration (D, P', s) need not be explored
/// when (D, P, s) with P ⊆ P' was explored before (it failed, or its search is still under
/// way higher up the stack and covers everything (D, P', s) could reach). Entries are keyed
/// by (D, s) and hold the list of pending sets P seen with it.
pub(crate) struct Dominance<S> {
    /// (hash, key index + 1); 0 marks an empty slot.
    slots: Vec<(u64, u32)>,
    key_state: Vec<S>,
    key_bits: Vec<Span>,
    /// The most recent pending set of each key (an index into `set_*`), or `u32::MAX`.
    key_head: Vec<u32>,
    set_bits: Vec<Span>,
    set_next: Vec<u32>,
    arena: Arena,
}

impl<S: Copy + Eq> Dominance<S> {
    pub(crate) fn new() -> Self {
        Dominance {
            slots: vec![(0, 0); 1024],
            key_state: Vec::new(),
            key_bits: Vec::new(),
            key_head: Vec::new(),
            set_bits: Vec::new(),
            set_next: Vec::new(),
            arena: Arena::default(),
        }
    }

    /// The slot of key (dbits, state), empty or holding it.
    fn slot(&self, hash: u64, dbits: &[u64], state: S) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (hash >> 7) as usize & mask;
        loop {
            let (h, idx) = self.slots[i];
            if idx == 0 {
                return i;
            }
            if h == hash {
                let k = (idx - 1) as usize;
                if self.key_state[k] == state && self.arena.equals(self.key_bits[k], dbits) {
                    return i;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// True if key `k` holds a subset of `pbits`.
    fn key_dominates(&self, k: usize, pbits: &[u64]) -> bool {
        let mut set = self.key_head[k];
        while set != u32::MAX {
            if self.arena.subset_of(self.set_bits[set as usize], pbits) {
                return true;
            }
            set = self.set_next[set as usize];
        }
        false
    }

    /// True if a configuration with the same definite set and state, and a subset of
    /// `pbits` as its pending set, was recorded.
    #[cfg(test)]
    fn dominated(&self, hash: u64, dbits: &[u64], state: S, pbits: &[u64]) -> bool {
        let (_, idx) = self.slots[self.slot(hash, dbits, state)];
        idx != 0 && self.key_dominates((idx - 1) as usize, pbits)
    }

    /// Records the configuration (dbits, pbits, state); returns false, recording nothing, if
    /// it is dominated by one recorded before.
    pub(crate) fn insert(&mut self, hash: u64, dbits: &[u64], state: S, pbits: &[u64]) -> bool {
        let i = self.slot(hash, dbits, state);
        let k = if self.slots[i].1 == 0 {
            self.key_state.push(state);
            let span = self.arena.push(dbits);
            self.key_bits.push(span);
            self.key_head.push(u32::MAX);
            self.slots[i] = (hash, self.key_state.len() as u32);
            if self.key_state.len() * 2 > self.slots.len() {
                self.slots = regrow(&self.slots);
            }
            self.key_state.len() - 1
        } else {
            let k = (self.slots[i].1 - 1) as usize;
            if self.key_dominates(k, pbits) {
                return false;
            }
            k
        };
        let span = self.arena.push(pbits);
        self.set_bits.push(span);
        self.set_next.push(self.key_head[k]);
        self.key_head[k] = (self.set_next.len() - 1) as u32;
        true
    }

    /// Bytes held by the table.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u64, u32)>()
            + self.key_state.capacity() * std::mem::size_of::<S>()
            + (self.key_bits.capacity() + self.set_bits.capacity()) * std::mem::size_of::<Span>()
            + (self.key_head.capacity() + self.set_next.capacity()) * 4
            + self.arena.bytes()
    }
}

/// A table twice the size of `slots` holding the same entries.
fn regrow(slots: &[(u64, u32)]) -> Vec<(u64, u32)> {
    let new_len = slots.len() * 2;
    let mask = new_len - 1;
    let mut grown = vec![(0u64, 0u32); new_len];
    for &(h, idx) in slots.iter().filter(|s| s.1 != 0) {
        let mut i = (h >> 7) as usize & mask;
        while grown[i].1 != 0 {
            i = (i + 1) & mask;
        }
        grown[i] = (h, idx);
    }
    grown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_finds_exact_configurations_even_with_equal_hashes() {
        let mut m = Memo::new();
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

    #[test]
    fn compressed_sets_compare_exactly() {
        let mut a = Arena::default();
        let full_prefix = [!0u64, !0, 0b101, 0, 0];
        let span = a.push(&full_prefix);
        assert_eq!((span.lo, span.len), (2, 1));
        assert!(a.equals(span, &full_prefix));
        assert!(!a.equals(span, &[!0, !0, 0b101, 1, 0]));
        assert!(!a.equals(span, &[!0, !0 - 1, 0b101, 0, 0]));
        assert!(a.subset_of(span, &[!0, !0, 0b111, 0, 4]));
        assert!(!a.subset_of(span, &[!0, !0 - 1, 0b111, 0, 0]));
        let empty = a.push(&[0, 0]);
        assert_eq!((empty.lo, empty.len), (0, 0));
        assert!(a.equals(empty, &[0, 0]) && a.subset_of(empty, &[0, 0]));
        let all = a.push(&[!0, !0]);
        assert_eq!((all.lo, all.len), (2, 0));
        assert!(a.equals(all, &[!0, !0]) && !a.equals(all, &[!0, 0]));
        assert!(a.subset_of(all, &[!0, !0]) && !a.subset_of(all, &[!0, 7]));
    }

    #[test]
    fn dominance_prunes_supersets_of_failed_pending_sets() {
        let mut d = Dominance::new();
        assert!(!d.dominated(5, &[0b1], 3u32, &[0b000]));
        assert!(d.insert(5, &[0b1], 3, &[0b010]));
        assert!(!d.insert(5, &[0b1], 3, &[0b110]), "dominated: not recorded");
        assert!(d.dominated(5, &[0b1], 3, &[0b010]));
        assert!(d.dominated(5, &[0b1], 3, &[0b110]), "a superset");
        assert!(!d.dominated(5, &[0b1], 3, &[0b100]), "not a superset");
        assert!(!d.dominated(5, &[0b1], 4, &[0b110]), "another state");
        assert!(
            !d.dominated(5, &[0b11], 3, &[0b110]),
            "another definite set"
        );
        assert!(d.insert(5, &[0b1], 3, &[0b000]));
        assert!(
            d.dominated(5, &[0b1], 3, &[0b100]),
            "the empty set fails: all fail"
        );
        for i in 0..3000u64 {
            assert!(d.insert(mix(i), &[i], 0, &[1]));
        }
        assert!(d.dominated(mix(77), &[77], 0, &[3]));
        assert!(d.bytes() > 3000 * 16);
    }
}
