//! The visited-state table: fingerprint -> (parent fingerprint, discovery key), shared by the
//! search threads.
//!
//! An open-addressing table of three words per state (24 bytes), split into shards behind
//! their own locks so that threads rarely wait for each other. Only fingerprints are kept, not
//! states: a path is rebuilt by walking parents back to the initial state and replaying the
//! actions forward (the discovery key names the action).
//!
//! The key decides which of several discoveries of one state in the same breadth-first level
//! is kept: the smallest, whatever thread found it first. That is what makes the search's
//! results independent of the number of threads and of timing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const SHARD_BITS: u32 = 8;
const SHARDS: usize = 1 << SHARD_BITS;

/// What an insertion found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    /// The state is new.
    New,
    /// It was known with a larger key; this discovery replaced it.
    Improved,
    /// It was known with a key at most this one.
    Known,
}

#[derive(Default)]
struct Shard {
    /// `[fingerprint, parent, key]`; fingerprint 0 marks an empty slot.
    slots: Vec<[u64; 3]>,
    len: usize,
}

impl Shard {
    fn find(&self, fp: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        loop {
            match self.slots[i][0] {
                0 => return None,
                f if f == fp => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![[0; 3]; cap]);
        let mask = cap - 1;
        for e in old.into_iter().filter(|e| e[0] != 0) {
            let mut i = (e[0] as usize) & mask;
            while self.slots[i][0] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = e;
        }
    }
}

/// The shared table of visited states.
pub struct Table {
    shards: Vec<Mutex<Shard>>,
    len: AtomicU64,
    bytes: AtomicU64,
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

/// Fingerprint 0 marks empty slots, so a state whose fingerprint is 0 is stored as 1.
fn stored(fp: u64) -> u64 {
    fp.max(1)
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            len: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn shard(&self, fp: u64) -> std::sync::MutexGuard<'_, Shard> {
        let s = &self.shards[(fp >> (64 - SHARD_BITS)) as usize];
        // A poisoned shard only means another search thread panicked; the data is intact.
        s.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record that `fp` was reached from `parent` with discovery `key`.
    pub fn insert(&self, fp: u64, parent: u64, key: u64) -> Insert {
        let fp = stored(fp);
        let mut s = self.shard(fp);
        if let Some(i) = s.find(fp) {
            return if key < s.slots[i][2] {
                s.slots[i] = [fp, parent, key];
                Insert::Improved
            } else {
                Insert::Known
            };
        }
        if (s.len + 1) * 4 > s.slots.len() * 3 {
            let before = s.slots.len();
            s.grow();
            let added = (s.slots.len() - before) * std::mem::size_of::<[u64; 3]>();
            self.bytes.fetch_add(added as u64, Ordering::Relaxed);
        }
        let mask = s.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        while s.slots[i][0] != 0 {
            i = (i + 1) & mask;
        }
        s.slots[i] = [fp, parent, key];
        s.len += 1;
        self.len.fetch_add(1, Ordering::Relaxed);
        Insert::New
    }

    /// The parent and key `fp` was recorded with.
    pub fn get(&self, fp: u64) -> Option<(u64, u64)> {
        let fp = stored(fp);
        let s = self.shard(fp);
        s.find(fp).map(|i| (s.slots[i][1], s.slots[i][2]))
    }

    /// The number of states recorded.
    pub fn len(&self) -> u64 {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no state is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The memory the table holds, in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_key_wins_whatever_the_order_of_insertion() {
        let t = Table::new();
        assert_eq!(t.insert(7, 1, 50), Insert::New);
        assert_eq!(t.insert(7, 2, 60), Insert::Known);
        assert_eq!(t.insert(7, 3, 40), Insert::Improved);
        assert_eq!(t.get(7), Some((3, 40)));
        assert_eq!(t.len(), 1);
        assert_eq!(t.get(8), None);
    }

    #[test]
    fn it_grows_and_finds_everything_again() {
        let t = Table::new();
        for i in 0..100_000u64 {
            let fp = synod_core::fingerprint::of(&i);
            assert_eq!(t.insert(fp, i, i), Insert::New);
        }
        assert_eq!(t.len(), 100_000);
        for i in 0..100_000u64 {
            assert_eq!(t.get(synod_core::fingerprint::of(&i)), Some((i, i)));
        }
        assert!(t.bytes() >= 100_000 * 24);
        // fingerprint 0 is stored, as 1
        assert_eq!(t.insert(0, 5, 5), Insert::New);
        assert_eq!(t.get(0), Some((5, 5)));
    }
}
