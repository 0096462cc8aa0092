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

/// What an insertion did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Insert {
    /// Recorded: explore it.
    Fresh,
    /// Already recorded (or dominated): do not explore it again.
    Seen,
    /// Recording it would take the tables past the memory the search may use; the
    /// configuration was not recorded.
    Full,
}

/// Bytes the tables of a search may still grow by. Every growth is charged before it
/// happens, so a search never allocates past its bound: it stops with [`Insert::Full`].
#[derive(Copy, Clone, Debug)]
pub(crate) struct Room(pub(crate) usize);

impl Room {
    /// Charges `bytes`; false (charging nothing) if there is not that much room.
    fn take(&mut self, bytes: usize) -> bool {
        match self.0.checked_sub(bytes) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => false,
        }
    }
}

/// Makes room in `v` for `extra` more elements: doubles its capacity, or, when doubling does
/// not fit in `room`, grows by what does (at least `extra`). False if even that does not fit.
fn reserve<T>(v: &mut Vec<T>, extra: usize, room: &mut Room) -> bool {
    let need = v.len() + extra;
    if need <= v.capacity() {
        return true;
    }
    let size = std::mem::size_of::<T>().max(1);
    let doubled = (v.capacity() * 2).max(need).max(64);
    let affordable = v.capacity() + room.0 / size;
    let new_cap = doubled.min(affordable);
    if new_cap < need || !room.take((new_cap - v.capacity()) * size) {
        return false;
    }
    v.reserve_exact(new_cap - v.len());
    true
}

/// Where a compressed bitset lives in an [`Arena`]: `lo` leading words that are all ones
/// (not stored), then `len` stored words, then zeros. The form is canonical (the first stored
/// word is not all ones, the last is not zero; see [`Bits`]), so equal sets have equal spans
/// and words.
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
    /// Stores the set `bits`; `None` (storing nothing) if there is no room for it.
    fn push(&mut self, bits: &Bits, room: &mut Room) -> Option<Span> {
        let (lo, stored) = bits.shape();
        let offset = u32::try_from(self.words.len()).ok()?;
        u32::try_from(self.words.len() + stored.len()).ok()?;
        if !reserve(&mut self.words, stored.len(), room) {
            return None;
        }
        self.words.extend_from_slice(stored);
        Some(Span {
            offset,
            lo: lo as u32,
            len: stored.len() as u32,
        })
    }

    fn stored(&self, span: Span) -> &[u64] {
        &self.words[span.offset as usize..(span.offset + span.len) as usize]
    }

    fn equals(&self, span: Span, bits: &Bits) -> bool {
        let (lo, stored) = bits.shape();
        span.lo as usize == lo && self.stored(span) == stored
    }

    /// True if the set at `span` is a subset of `bits`.
    fn subset_of(&self, span: Span, bits: &Bits) -> bool {
        let (lo, stored) = bits.shape();
        let span_lo = span.lo as usize;
        // The span's leading full words must be full in `bits` too.
        if span_lo > lo {
            return false;
        }
        // Word `span_lo + i` of `bits`: full below `lo`, then its stored words, then zeros.
        self.stored(span).iter().enumerate().all(|(i, s)| {
            let j = span_lo + i;
            let b = if j < lo {
                !0
            } else {
                stored.get(j - lo).copied().unwrap_or(0)
            };
            s & !b == 0
        })
    }

    fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// A set of operations (bit positions) that keeps its compressed shape as it changes: `lo`
/// leading words that are all ones, and `hi` one past the last word that is not zero (at least
/// `lo`). A configuration's set differs from the one before by one bit, so keeping the shape
/// costs a few word reads per change, where finding it would read every word: the memo stores
/// and compares only the words in between.
#[derive(Clone, Debug)]
pub(crate) struct Bits {
    words: Vec<u64>,
    lo: usize,
    hi: usize,
}

impl Bits {
    /// The empty set over `n` positions.
    pub(crate) fn new(n: usize) -> Self {
        Bits {
            words: vec![0; n.div_ceil(64)],
            lo: 0,
            hi: 0,
        }
    }

    /// The set with these words.
    #[cfg(test)]
    pub(crate) fn from_words(words: &[u64]) -> Self {
        let lo = words.iter().take_while(|w| **w == !0).count();
        let hi = words
            .iter()
            .rposition(|w| *w != 0)
            .map_or(lo, |h| (h + 1).max(lo));
        Bits {
            words: words.to_vec(),
            lo,
            hi,
        }
    }

    /// (leading full words, the words after them up to the last that is not zero).
    fn shape(&self) -> (usize, &[u64]) {
        (self.lo, &self.words[self.lo..self.hi])
    }

    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    #[inline]
    pub(crate) fn insert(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] |= 1 << (i % 64);
        if w >= self.hi {
            self.hi = w + 1;
        }
        if w == self.lo && self.words[w] == !0 {
            while self.lo < self.words.len() && self.words[self.lo] == !0 {
                self.lo += 1;
            }
            self.hi = self.hi.max(self.lo);
        }
    }

    #[inline]
    pub(crate) fn remove(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] &= !(1 << (i % 64));
        if w < self.lo {
            // A full word is full no more (and is not zero: it lost one bit).
            self.lo = w;
        } else if self.words[w] == 0 && w + 1 == self.hi {
            while self.hi > self.lo && self.words[self.hi - 1] == 0 {
                self.hi -= 1;
            }
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// An open-addressing index: slots of (tag, entry index + 1), 0 marking an empty slot. The
/// tag is the high half of the hash and picks the home slot, so the index can be rebuilt
/// from the tags alone. It doubles at half full; when doubling does not fit in the room it
/// keeps filling, up to seven eighths, before it refuses.
struct Slots {
    slots: Vec<(u32, u32)>,
}

impl Slots {
    fn new() -> Self {
        Slots {
            slots: vec![(0, 0); 64],
        }
    }

    fn tag(hash: u64) -> u32 {
        (hash >> 32) as u32
    }

    /// Probes from `hash`'s home slot; `matches(entry)` is asked about entries with the same
    /// tag. Returns the slot of the match (and true), or the empty slot that ends the probe.
    #[inline]
    fn probe(&self, hash: u64, mut matches: impl FnMut(usize) -> bool) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let tag = Slots::tag(hash);
        let mut i = tag as usize & mask;
        loop {
            let (t, idx) = self.slots[i];
            if idx == 0 {
                return (i, false);
            }
            if t == tag && matches((idx - 1) as usize) {
                return (i, true);
            }
            i = (i + 1) & mask;
        }
    }

    /// Makes way for one more entry (making `entries`). `None` if the index is too full
    /// and cannot grow within `room`; `Some(true)` if it was rebuilt (slots found before are
    /// stale).
    fn make_room(&mut self, entries: usize, room: &mut Room) -> Option<bool> {
        let len = self.slots.len();
        if entries * 2 <= len {
            return Some(false);
        }
        // The new index is allocated while the old one is still alive: charge it whole, and
        // give the old one back once it is gone.
        let entry = std::mem::size_of::<(u32, u32)>();
        if room.take(len * 2 * entry) {
            self.slots = regrow(&self.slots);
            room.0 += len * entry;
            return Some(true);
        }
        (entries * 8 <= len * 7).then_some(false)
    }

    fn set(&mut self, i: usize, hash: u64, entry: usize) {
        self.slots[i] = (Slots::tag(hash), entry as u32 + 1);
    }

    fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

/// An index twice the size of `slots` holding the same entries.
fn regrow(slots: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let new_len = slots.len() * 2;
    let mask = new_len - 1;
    let mut grown = vec![(0u32, 0u32); new_len];
    for &(tag, idx) in slots.iter().filter(|s| s.1 != 0) {
        let mut i = tag as usize & mask;
        while grown[i].1 != 0 {
            i = (i + 1) & mask;
        }
        grown[i] = (tag, idx);
    }
    grown
}

/// The set of explored configurations: each a bitset (the linearized operations) and a
/// state.
pub(crate) struct Memo<S> {
    slots: Slots,
    states: Vec<S>,
    spans: Vec<Span>,
    arena: Arena,
    /// Heap bytes the stored states hold, as the model counts them.
    state_heap: usize,
}

impl<S: Clone + Eq> Memo<S> {
    pub(crate) fn new() -> Self {
        Memo {
            slots: Slots::new(),
            states: Vec::new(),
            spans: Vec::new(),
            arena: Arena::default(),
            state_heap: 0,
        }
    }

    /// Records the configuration unless it is there already or there is no room for it.
    /// `state_heap` is the heap memory a copy of `state` holds.
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        bits: &Bits,
        state: &S,
        state_heap: usize,
        room: &mut Room,
    ) -> Insert {
        let (i, found) = self.slots.probe(hash, |e| {
            self.states[e] == *state && self.arena.equals(self.spans[e], bits)
        });
        if found {
            return Insert::Seen;
        }
        let entries = self.states.len() + 1;
        if u32::try_from(entries).is_err()
            || !room.take(state_heap)
            || !reserve(&mut self.states, 1, room)
            || !reserve(&mut self.spans, 1, room)
        {
            return Insert::Full;
        }
        let i = match self.slots.make_room(entries, room) {
            None => return Insert::Full,
            Some(true) => self.slots.probe(hash, |_| false).0,
            Some(false) => i,
        };
        let Some(span) = self.arena.push(bits, room) else {
            return Insert::Full;
        };
        self.states.push(state.clone());
        self.spans.push(span);
        self.state_heap += state_heap;
        self.slots.set(i, hash, entries - 1);
        Insert::Fresh
    }

    /// Bytes held by the table.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.bytes()
            + self.states.capacity() * std::mem::size_of::<S>()
            + self.spans.capacity() * std::mem::size_of::<Span>()
            + self.arena.bytes()
            + self.state_heap
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
    slots: Slots,
    key_state: Vec<S>,
    key_bits: Vec<Span>,
    /// The most recent pending set of each key (an index into `set_*`), or `u32::MAX`.
    key_head: Vec<u32>,
    set_bits: Vec<Span>,
    set_next: Vec<u32>,
    arena: Arena,
    state_heap: usize,
}

impl<S: Clone + Eq> Dominance<S> {
    pub(crate) fn new() -> Self {
        Dominance {
            slots: Slots::new(),
            key_state: Vec::new(),
            key_bits: Vec::new(),
            key_head: Vec::new(),
            set_bits: Vec::new(),
            set_next: Vec::new(),
            arena: Arena::default(),
            state_heap: 0,
        }
    }

    /// The slot of key (dbits, state), and whether it holds it (else it is empty).
    fn slot(&self, hash: u64, dbits: &Bits, state: &S) -> (usize, bool) {
        self.slots.probe(hash, |k| {
            self.key_state[k] == *state && self.arena.equals(self.key_bits[k], dbits)
        })
    }

    /// True if key `k` holds a subset of `pbits`.
    fn key_dominates(&self, k: usize, pbits: &Bits) -> bool {
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
    fn dominated(&self, hash: u64, dbits: &Bits, state: &S, pbits: &Bits) -> bool {
        let (i, found) = self.slot(hash, dbits, state);
        found && self.key_dominates((self.slots.slots[i].1 - 1) as usize, pbits)
    }

    /// Records the configuration (dbits, pbits, state), or answers [`Insert::Seen`],
    /// recording nothing, if one recorded before dominates it.
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        dbits: &Bits,
        state: &S,
        state_heap: usize,
        pbits: &Bits,
        room: &mut Room,
    ) -> Insert {
        let (i, found) = self.slot(hash, dbits, state);
        let k = if found {
            let k = (self.slots.slots[i].1 - 1) as usize;
            if self.key_dominates(k, pbits) {
                return Insert::Seen;
            }
            k
        } else {
            let keys = self.key_state.len() + 1;
            if u32::try_from(keys).is_err()
                || !room.take(state_heap)
                || !reserve(&mut self.key_state, 1, room)
                || !reserve(&mut self.key_bits, 1, room)
                || !reserve(&mut self.key_head, 1, room)
            {
                return Insert::Full;
            }
            let i = match self.slots.make_room(keys, room) {
                None => return Insert::Full,
                Some(true) => self.slots.probe(hash, |_| false).0,
                Some(false) => i,
            };
            let Some(span) = self.arena.push(dbits, room) else {
                return Insert::Full;
            };
            self.key_state.push(state.clone());
            self.key_bits.push(span);
            self.key_head.push(u32::MAX);
            self.state_heap += state_heap;
            self.slots.set(i, hash, keys - 1);
            keys - 1
        };
        if u32::try_from(self.set_next.len() + 1).is_err()
            || !reserve(&mut self.set_bits, 1, room)
            || !reserve(&mut self.set_next, 1, room)
        {
            return Insert::Full;
        }
        let Some(span) = self.arena.push(pbits, room) else {
            return Insert::Full;
        };
        self.set_bits.push(span);
        self.set_next.push(self.key_head[k]);
        self.key_head[k] = (self.set_next.len() - 1) as u32;
        Insert::Fresh
    }

    /// Bytes held by the table.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.bytes()
            + self.key_state.capacity() * std::mem::size_of::<S>()
            + (self.key_bits.capacity() + self.set_bits.capacity()) * std::mem::size_of::<Span>()
            + (self.key_head.capacity() + self.set_next.capacity()) * 4
            + self.arena.bytes()
            + self.state_heap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: Room = Room(usize::MAX / 4);

    #[test]
    fn memo_finds_exact_configurations_even_with_equal_hashes() {
        let mut room = ROOM;
        let mut m = Memo::new();
        let b = Bits::from_words;
        assert_eq!(
            m.insert(42, &b(&[1, 0]), &7u32, 0, &mut room),
            Insert::Fresh
        );
        assert_eq!(m.insert(42, &b(&[1, 0]), &7, 0, &mut room), Insert::Seen);
        assert_eq!(
            m.insert(42, &b(&[1, 1]), &7, 0, &mut room),
            Insert::Fresh,
            "same hash, different set"
        );
        assert_eq!(
            m.insert(42, &b(&[1, 0]), &8, 0, &mut room),
            Insert::Fresh,
            "same hash, different state"
        );
        for i in 0..5000u64 {
            assert_eq!(
                m.insert(mix(i), &b(&[i, 0]), &0, 0, &mut room),
                Insert::Fresh
            );
        }
        for i in 0..5000u64 {
            assert_eq!(
                m.insert(mix(i), &b(&[i, 0]), &0, 0, &mut room),
                Insert::Seen
            );
        }
        assert!(m.bytes() > 5000 * 16);
    }

    #[test]
    fn tables_stop_at_their_room_and_stay_usable() {
        // Room for the first growth steps only: inserts succeed, then report Full, and
        // what was recorded is still found.
        let start = Memo::<u32>::new().bytes();
        let mut room = Room(64 * 1024);
        let mut m = Memo::new();
        let mut recorded = 0u64;
        loop {
            match m.insert(
                mix(recorded),
                &Bits::from_words(&[recorded, 1]),
                &0u32,
                0,
                &mut room,
            ) {
                Insert::Fresh => recorded += 1,
                Insert::Full => break,
                Insert::Seen => unreachable!("distinct configurations"),
            }
            assert!(recorded < 100_000, "the room must run out");
        }
        assert!(recorded > 500, "{recorded} recorded");
        assert!(
            m.bytes() <= start + 64 * 1024,
            "{} bytes held, room was {}",
            m.bytes(),
            start + 64 * 1024
        );
        for i in 0..recorded {
            let bits = Bits::from_words(&[i, 1]);
            assert_eq!(m.insert(mix(i), &bits, &0, 0, &mut room), Insert::Seen);
        }
        // The index filled past half before giving up rather than stop at its last doubling.
        let mut d = Dominance::new();
        let mut room = Room(0);
        let mut n = 0u64;
        let empty = Bits::from_words(&[0]);
        while d.insert(mix(n), &Bits::from_words(&[n]), &0u32, 0, &empty, &mut room)
            == Insert::Fresh
        {
            n += 1;
        }
        assert!(n == 0 || n >= 1, "no room, no growth");
    }

    #[test]
    fn compressed_sets_compare_exactly() {
        let mut room = ROOM;
        let mut a = Arena::default();
        let b = Bits::from_words;
        let full_prefix = b(&[!0u64, !0, 0b101, 0, 0]);
        let span = a.push(&full_prefix, &mut room).unwrap();
        assert_eq!((span.lo, span.len), (2, 1));
        assert!(a.equals(span, &full_prefix));
        assert!(!a.equals(span, &b(&[!0, !0, 0b101, 1, 0])));
        assert!(!a.equals(span, &b(&[!0, !0 - 1, 0b101, 0, 0])));
        assert!(a.subset_of(span, &b(&[!0, !0, 0b111, 0, 4])));
        assert!(
            a.subset_of(span, &b(&[!0, !0, !0, 0, 4])),
            "a full word holds any"
        );
        assert!(!a.subset_of(span, &b(&[!0, !0 - 1, 0b111, 0, 0])));
        let empty = a.push(&b(&[0, 0]), &mut room).unwrap();
        assert_eq!((empty.lo, empty.len), (0, 0));
        assert!(a.equals(empty, &b(&[0, 0])) && a.subset_of(empty, &b(&[0, 0])));
        let all = a.push(&b(&[!0, !0]), &mut room).unwrap();
        assert_eq!((all.lo, all.len), (2, 0));
        assert!(a.equals(all, &b(&[!0, !0])) && !a.equals(all, &b(&[!0, 0])));
        assert!(a.subset_of(all, &b(&[!0, !0])) && !a.subset_of(all, &b(&[!0, 7])));
    }

    #[test]
    fn bits_keep_their_shape_as_they_change() {
        // Against the shape found by scanning, over a walk of inserts and removes.
        let mut bits = Bits::new(300);
        let mut x = 7u64;
        for _ in 0..20_000 {
            x = mix(x);
            // Mostly a growing prefix, as a search's linearized set is.
            let i = (x % 300) as usize;
            let i = if x % 3 == 0 { i } else { i / 2 };
            if bits.contains(i) && x % 5 < 2 {
                bits.remove(i);
            } else {
                bits.insert(i);
            }
            let scanned = Bits::from_words(&bits.words);
            assert_eq!((bits.lo, bits.hi), (scanned.lo, scanned.hi));
        }
    }

    #[test]
    fn dominance_prunes_supersets_of_failed_pending_sets() {
        let mut room = ROOM;
        let mut d = Dominance::new();
        let b = |w: u64| Bits::from_words(&[w]);
        assert!(!d.dominated(5, &b(0b1), &3u32, &b(0b000)));
        assert_eq!(
            d.insert(5, &b(0b1), &3, 0, &b(0b010), &mut room),
            Insert::Fresh
        );
        assert_eq!(
            d.insert(5, &b(0b1), &3, 0, &b(0b110), &mut room),
            Insert::Seen,
            "dominated: not recorded"
        );
        assert!(d.dominated(5, &b(0b1), &3, &b(0b010)));
        assert!(d.dominated(5, &b(0b1), &3, &b(0b110)), "a superset");
        assert!(!d.dominated(5, &b(0b1), &3, &b(0b100)), "not a superset");
        assert!(!d.dominated(5, &b(0b1), &4, &b(0b110)), "another state");
        assert!(
            !d.dominated(5, &b(0b11), &3, &b(0b110)),
            "another definite set"
        );
        assert_eq!(
            d.insert(5, &b(0b1), &3, 0, &b(0b000), &mut room),
            Insert::Fresh
        );
        assert!(
            d.dominated(5, &b(0b1), &3, &b(0b100)),
            "the empty set fails: all fail"
        );
        for i in 0..3000u64 {
            assert_eq!(
                d.insert(mix(i), &b(i), &0, 0, &b(1), &mut room),
                Insert::Fresh
            );
        }
        assert!(d.dominated(mix(77), &b(77), &0, &b(3)));
        assert!(d.bytes() > 3000 * 16);
    }
}
