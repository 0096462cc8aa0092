//! Hash-consing: each distinct node state, message in flight and client history is stored
//! once, and explored states refer to them by a 32-bit id.
//!
//! A search meets millions of states but only thousands of distinct node states and messages:
//! most steps change one node and one or two messages. With interning, a state is a few short
//! arrays of ids, copying it copies those ids, and nothing is reference-counted across threads.
//!
//! Ids are given in the order values are first met, which depends on how threads interleave;
//! nothing observable depends on them. Fingerprints use each value's content hash, kept next
//! to it, and the order of a state's arrays follows the (deterministic) search, not the ids.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use synod_core::fingerprint;

const SEGMENTS: usize = 27; // segment s holds 2^(s+5) values: 2^32 in all
const INDEX_SHARDS: usize = 64;
const EMPTY: u32 = u32::MAX;

#[derive(Default)]
struct Index {
    /// (content hash, id); `EMPTY` ids mark free slots.
    slots: Vec<(u64, u32)>,
    len: usize,
}

/// A segment of stored values, each with its content hash; allocated when first needed.
type Segment<T> = OnceLock<Box<[OnceLock<(T, u64)>]>>;

/// A concurrent, append-only store of distinct values.
pub struct Interner<T> {
    segments: Vec<Segment<T>>,
    index: Vec<Mutex<Index>>,
    next: AtomicU64,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            segments: (0..SEGMENTS).map(|_| OnceLock::new()).collect(),
            index: (0..INDEX_SHARDS)
                .map(|_| Mutex::new(Index::default()))
                .collect(),
            next: AtomicU64::new(0),
        }
    }
}

/// The segment and offset of `id`.
fn locate(id: u32) -> (usize, usize) {
    let i = u64::from(id) + 32;
    let s = 63 - i.leading_zeros() as usize - 5;
    (s, (i - (1u64 << (s + 5))) as usize)
}

impl<T: Hash + Eq> Interner<T> {
    /// The value `id` stands for, with its content hash.
    #[inline]
    pub fn entry(&self, id: u32) -> &(T, u64) {
        let (s, o) = locate(id);
        // Ids come only from `intern`, which stores the value before it hands the id out.
        self.segments[s]
            .get()
            .and_then(|seg| seg[o].get())
            .expect("an interned id names a stored value")
    }

    /// The value `id` stands for.
    #[inline]
    pub fn get(&self, id: u32) -> &T {
        &self.entry(id).0
    }

    /// The content hash of the value `id` stands for.
    #[inline]
    pub fn hash(&self, id: u32) -> u64 {
        self.entry(id).1
    }

    /// The id of `value`, storing it if it is new.
    pub fn intern(&self, value: T) -> u32 {
        let hash = fingerprint::of(&value);
        self.intern_hashed(value, hash)
    }

    /// [`Interner::intern`] with the content hash already computed.
    pub fn intern_hashed(&self, value: T, hash: u64) -> u32 {
        let shard = &self.index[(hash >> 58) as usize % INDEX_SHARDS];
        let mut ix = shard.lock().unwrap_or_else(|e| e.into_inner());
        if !ix.slots.is_empty() {
            let mask = ix.slots.len() - 1;
            let mut i = (hash as usize) & mask;
            loop {
                let (h, id) = ix.slots[i];
                if id == EMPTY {
                    break;
                }
                if h == hash && self.entry(id).0 == value {
                    return id;
                }
                i = (i + 1) & mask;
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let id = u32::try_from(id).unwrap_or(EMPTY - 1).min(EMPTY - 1);
        let (s, o) = locate(id);
        let seg = self.segments[s]
            .get_or_init(|| (0..(1usize << (s + 5))).map(|_| OnceLock::new()).collect());
        // A slot is set once: its id was just taken from the counter.
        let _ = seg[o].set((value, hash));
        if (ix.len + 1) * 4 > ix.slots.len() * 3 {
            let cap = (ix.slots.len() * 2).max(16);
            let old = std::mem::replace(&mut ix.slots, vec![(0, EMPTY); cap]);
            for (h, i) in old.into_iter().filter(|(_, i)| *i != EMPTY) {
                let mut j = (h as usize) & (cap - 1);
                while ix.slots[j].1 != EMPTY {
                    j = (j + 1) & (cap - 1);
                }
                ix.slots[j] = (h, i);
            }
        }
        let mask = ix.slots.len() - 1;
        let mut j = (hash as usize) & mask;
        while ix.slots[j].1 != EMPTY {
            j = (j + 1) & mask;
        }
        ix.slots[j] = (hash, id);
        ix.len += 1;
        id
    }

    /// How many distinct values are stored.
    pub fn len(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_get_one_id_and_ids_find_their_values() {
        let i: Interner<String> = Interner::default();
        let a = i.intern("a".to_string());
        let b = i.intern("b".to_string());
        assert_ne!(a, b);
        assert_eq!(i.intern("a".to_string()), a);
        assert_eq!(i.get(b), "b");
        assert_eq!(i.hash(a), fingerprint::of(&"a".to_string()));
        for k in 0..5000u32 {
            let id = i.intern(k.to_string());
            assert_eq!(i.get(id), &k.to_string());
        }
        assert_eq!(i.len(), 5002);
    }

    #[test]
    fn segments_tile_the_ids() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(31), (0, 31));
        assert_eq!(locate(32), (1, 0));
        assert_eq!(locate(95), (1, 63));
        assert_eq!(locate(96), (2, 0));
    }
}
