//! The event queue: entries taken in (time, sequence number) order, the order that makes a run
//! a function of its seed.
//!
//! A binary heap of the entries themselves would move whole entries (a message can be a hundred
//! bytes) on every sift, a dozen times per push and pop. Here heaps order small keys (time,
//! sequence number, slot) and the entries stay put in a slab of slots, reused through a free
//! list: each entry is written once when pushed and read once when popped.
//!
//! Timers wait apart from messages ([`Lane::Timers`]). Most timers are cancelled before they
//! fire (a client's request timeout, cancelled by the reply), and a cancelled timer stays
//! queued until its time comes; in a busy run they outnumber the messages in flight several
//! times over. Kept apart, they do not deepen the heap every message goes through (nor push it
//! out of the processor's first-level cache). Better still, a timer due after every timer
//! already queued (each new request timeout is: same length, set later) just goes to the back
//! of a first-in first-out line, taken from the front in O(1); the other timers go to a heap
//! of their own. The next entry is the earliest of the places' first, kept up to date as
//! entries come and go, so the order is exactly the one a single heap gives: (time, sequence
//! number), and no two entries share a sequence number.
//!
//! (Measured by instruction counts on the Raft and Multi-Paxos benches, the standard binary
//! heap of 24-byte keys beat a 4-ary heap, a calendar queue of small heaps, radix heaps on
//! (time, sequence number) and on time alone, and sorted lanes. A run's queued times spread
//! over thousands of microseconds, so a radix heap moves each key about as many times as the
//! heap has levels; the others pay more per level, per bucket or per insertion than the binary
//! heap's few instructions.)
//!
//! Messages, though, mostly wait in a wheel ([`Wheel`]) rather than a heap: one bucket per
//! microsecond of the next [`WHEEL_SPAN`] (longer than a message's default latency, 1 to 10 ms),
//! each a first-in first-out list threaded through the slots. Time is counted in whole
//! microseconds, so the entries of one bucket share their time, and a new entry has a higher
//! sequence number than every entry already queued: appended at its bucket's back it is in
//! (time, sequence number) order without a comparison. The next entry is the first of the first
//! bucket in use, found in a bitmap of the buckets in use a 64-bucket word at a time (entries
//! are a few dozen microseconds apart in a busy run, so one or two words). What does not fit
//! the wheel (due further ahead, or earlier than the last entry taken, or an entry put back
//! with its old sequence number) waits in the main heap, and the order is still exactly (time,
//! sequence number). On the Multi-Paxos bench (a million events) the queue's pushes and pops
//! fell from 406 M to 286 M instructions, counted by callgrind: the heap's pop, sifting a key
//! down some eight levels, was most of them.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use synod_core::Time;

/// Which heap an entry waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    /// Messages, starts, scheduled faults and requests.
    Main,
    /// Timers.
    Timers,
}

/// A queued entry: what happens (`ev`), when, and its sequence number (unique, in push order;
/// it breaks ties between entries due at the same time, and is the id the REPL shows).
pub(crate) struct Queued<E> {
    pub(crate) time: Time,
    pub(crate) seq: u64,
    pub(crate) ev: E,
}

/// An entry's place in the order, and the slot it is kept in. Ordered by time, then sequence
/// number (the slot never decides: sequence numbers are unique).
#[derive(Clone, Copy)]
struct Key {
    time: Time,
    seq: u64,
    /// As wide as the other fields: a key is then written and read as three whole words (a
    /// narrower field leaves padding that makes the processor stall when the heap reads back
    /// a key it just wrote).
    slot: u64,
}

impl Key {
    /// (time, sequence number) as one number, compared in one go rather than field by field.
    fn order(&self) -> u128 {
        (u128::from(self.time.as_micros()) << 64) | u128::from(self.seq)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

/// Where entries wait: the main heap, the timers' heap, the timers' line and the wheel.
const MAIN: usize = 0;
const TIMER_HEAP: usize = 1;
const TIMER_LINE: usize = 2;
const WHEEL: usize = 3;

/// The microseconds the wheel spans, from the time of the last entry taken: a power of two.
pub(crate) const WHEEL_SPAN: u64 = 1 << 14;

/// No slot: the end of a bucket's list.
const NIL: u32 = u32::MAX;

/// Buckets in the wheel.
const BUCKETS: usize = WHEEL_SPAN as usize;

/// Main-lane entries due within [`WHEEL_SPAN`] of the last entry taken, one bucket per
/// microsecond (bucket `time % WHEEL_SPAN`): every entry waiting here is due in
/// `base..base + WHEEL_SPAN`, and `base` only grows as entries are taken in order, so two
/// entries of one bucket always share their time. A bucket lists its entries' slots in the
/// order they came, which is their sequence number order (only new entries come here).
struct Wheel {
    /// The time (microseconds) of the last entry taken from the queue.
    base: u64,
    /// The buckets, allocated at the first entry.
    buckets: Option<Box<Buckets>>,
    /// Per slot: the next slot in its bucket (`NIL` for the last), for slots in the wheel.
    links: Vec<u32>,
    /// Entries waiting here.
    len: usize,
    /// The first entry here, kept up to date.
    first: Option<Key>,
}

/// The wheel's buckets: fixed-size arrays, indexed by a masked time without bounds checks.
struct Buckets {
    /// Per bucket: its first and last slot (meaningful only while its bit in `used` is set).
    heads: [u32; BUCKETS],
    tails: [u32; BUCKETS],
    /// One bit per bucket in use.
    used: [u64; BUCKETS / 64],
}

impl Wheel {
    fn new() -> Self {
        Wheel {
            base: 0,
            buckets: None,
            links: Vec::new(),
            len: 0,
            first: None,
        }
    }

    /// Whether an entry due at `time` may wait here.
    fn fits(&self, time: u64) -> bool {
        time.wrapping_sub(self.base) < WHEEL_SPAN
    }

    fn bucket(time: u64) -> usize {
        (time & (WHEEL_SPAN - 1)) as usize
    }

    /// Append `key`'s slot to its bucket. The key must [`Wheel::fits`] and be the newest yet;
    /// `links` must have room for its slot.
    #[inline]
    fn push(&mut self, key: Key) {
        let w = self.buckets.get_or_insert_with(|| {
            Box::new(Buckets {
                heads: [0; BUCKETS],
                tails: [0; BUCKETS],
                used: [0; BUCKETS / 64],
            })
        });
        let b = Self::bucket(key.time.as_micros());
        let slot = key.slot as u32;
        self.links[slot as usize] = NIL;
        let (word, bit) = (b / 64, 1u64 << (b % 64));
        if w.used[word] & bit == 0 {
            w.used[word] |= bit;
            w.heads[b] = slot;
        } else {
            self.links[w.tails[b] as usize] = slot;
        }
        w.tails[b] = slot;
        self.len += 1;
        if self.first.is_none_or(|f| key.time < f.time) {
            // Not earlier: a later entry (this one is the newest), so the first stays first.
            self.first = Some(key);
        }
    }

    /// The first bucket in use at or cyclically after the bucket of `base`: the earliest.
    #[inline]
    fn first_bucket(&self) -> Option<usize> {
        let w = self.buckets.as_deref().filter(|_| self.len > 0)?;
        let from = Self::bucket(self.base);
        let mut i = from / 64;
        let mut word = w.used[i] & (!0u64 << (from % 64));
        // One lap, and the starting word again for the buckets below `from` in it.
        for _ in 0..=w.used.len() {
            if word != 0 {
                return Some(i * 64 + word.trailing_zeros() as usize);
            }
            i = (i + 1) % w.used.len();
            word = w.used[i];
        }
        None
    }

    /// Unlink `slot` from bucket `b` (it must be there), `prev` being the slot before it in
    /// the bucket (`NIL`: it is the first).
    fn unlink(&mut self, b: usize, prev: u32, slot: u32) {
        let Some(w) = self.buckets.as_deref_mut() else {
            return;
        };
        let b = b % BUCKETS;
        let next = self.links[slot as usize];
        if prev == NIL {
            w.heads[b] = next;
        } else {
            self.links[prev as usize] = next;
        }
        if next == NIL {
            if prev == NIL {
                w.used[b / 64] &= !(1u64 << (b % 64));
            } else {
                w.tails[b] = prev;
            }
        }
        self.len -= 1;
    }

    /// The first slot of bucket `b`, if it is in use.
    fn head(&self, b: usize) -> Option<u32> {
        let w = self.buckets.as_deref()?;
        let b = b % BUCKETS;
        (w.used[b / 64] & (1u64 << (b % 64)) != 0).then_some(w.heads[b])
    }
}

/// Entries in (time, sequence number) order.
pub(crate) struct Queue<E> {
    /// Min-heaps of keys (`Reverse` turns the standard max-heap around): `MAIN`, `TIMER_HEAP`.
    heaps: [BinaryHeap<Reverse<Key>>; 2],
    /// Timers in order, each due at or after the one before (`TIMER_LINE`).
    line: VecDeque<Key>,
    /// The next key and where it waits: the earliest of the places' first keys, kept up to
    /// date on every push and pop (the simulator looks at the next entry several times per
    /// step).
    head: Option<(usize, Key)>,
    /// The earliest first key of the places other than the wheel, kept up to date likewise
    /// (most entries come and go through the wheel, leaving it as it is).
    others: Option<(usize, Key)>,
    /// The entries, by slot; `None` for a free slot.
    slots: Vec<Option<Queued<E>>>,
    /// Free slots, reused last-freed first (the most likely to be in cache).
    free: Vec<u32>,
    /// The wheel of messages due soon.
    wheel: Wheel,
    /// The highest sequence number queued so far: only newer entries go to the wheel.
    newest: u64,
}

impl<E> Queue<E> {
    /// An empty queue.
    pub(crate) fn new() -> Self {
        Queue {
            heaps: [BinaryHeap::new(), BinaryHeap::new()],
            line: VecDeque::new(),
            head: None,
            others: None,
            slots: Vec::new(),
            free: Vec::new(),
            wheel: Wheel::new(),
            newest: 0,
        }
    }

    /// How many entries are queued.
    pub(crate) fn len(&self) -> usize {
        self.heaps[MAIN].len() + self.heaps[TIMER_HEAP].len() + self.line.len() + self.wheel.len
    }

    /// Queue an entry in `lane`; returns the slot it is kept in while queued.
    #[inline]
    pub(crate) fn push(&mut self, q: Queued<E>, lane: Lane) -> u32 {
        let (time, seq) = (q.time, q.seq);
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(q);
                s
            }
            None => {
                self.slots.push(Some(q));
                self.wheel.links.push(NIL);
                (self.slots.len() - 1) as u32
            }
        };
        let key = Key {
            time,
            seq,
            slot: u64::from(slot),
        };
        let fresh = seq > self.newest;
        self.newest = self.newest.max(seq);
        let place = match lane {
            Lane::Main if fresh && self.wheel.fits(time.as_micros()) => WHEEL,
            Lane::Main => MAIN,
            Lane::Timers if self.line.back().is_none_or(|last| *last < key) => TIMER_LINE,
            Lane::Timers => TIMER_HEAP,
        };
        match place {
            WHEEL => self.wheel.push(key),
            TIMER_LINE => self.line.push_back(key),
            _ => self.heaps[place].push(Reverse(key)),
        }
        if place != WHEEL && self.others.is_none_or(|(_, o)| key < o) {
            self.others = Some((place, key));
        }
        if self.head.is_none_or(|(_, h)| key < h) {
            self.head = Some((place, key));
        }
        slot
    }

    /// Where the first key of the places other than the wheel waits, and that key.
    fn others_first(&self) -> Option<(usize, Key)> {
        let mut next = self.line.front().map(|k| (TIMER_LINE, *k));
        for place in [MAIN, TIMER_HEAP] {
            if let Some(Reverse(k)) = self.heaps[place].peek() {
                if next.is_none_or(|(_, n)| *k < n) {
                    next = Some((place, *k));
                }
            }
        }
        next
    }

    /// Where the next key waits, and that key.
    fn next(&self) -> Option<(usize, Key)> {
        match (self.wheel.first, self.others) {
            (Some(w), Some((_, o))) if w < o => Some((WHEEL, w)),
            (Some(w), None) => Some((WHEEL, w)),
            (_, others) => others,
        }
    }

    /// The next entry, without taking it.
    pub(crate) fn peek(&self) -> Option<&Queued<E>> {
        let (_, k) = self.head?;
        self.slots[k.slot as usize].as_ref()
    }

    /// Take the next entry.
    pub(crate) fn pop(&mut self) -> Option<Queued<E>> {
        let slot = self.pop_slot()?;
        self.take_slot(slot)
    }

    /// Drop the next entry where it lies (a cancelled timer), rather than moving it out.
    pub(crate) fn discard(&mut self) {
        if let Some(slot) = self.pop_slot() {
            self.free.push(slot);
            self.slots[slot as usize] = None;
        }
    }

    /// Take the next key out of the order; returns the slot its entry is kept in (not freed).
    fn pop_slot(&mut self) -> Option<u32> {
        let (place, k) = self.head?;
        match place {
            WHEEL => {
                // The first entry of the first bucket in use.
                let b = Wheel::bucket(k.time.as_micros());
                self.wheel.unlink(b, NIL, k.slot as u32);
            }
            TIMER_LINE => {
                self.line.pop_front()?;
            }
            _ => {
                self.heaps[place].pop()?;
            }
        }
        // Every entry left is due at or after this one: the wheel's span starts here.
        self.wheel.base = self.wheel.base.max(k.time.as_micros());
        if place == WHEEL {
            self.wheel.first = self.wheel_first();
        } else {
            self.others = self.others_first();
        }
        self.head = self.next();
        Some(k.slot as u32)
    }

    /// The wheel's first entry, found afresh.
    fn wheel_first(&self) -> Option<Key> {
        let slot = self.wheel.head(self.wheel.first_bucket()?)?;
        let q = self.slots[slot as usize].as_ref()?;
        Some(Key {
            time: q.time,
            seq: q.seq,
            slot: u64::from(slot),
        })
    }

    /// The entry kept in `slot`, to change in place (it keeps its place in the order).
    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut Queued<E>> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Queued<E>> {
        self.slots.iter().flatten()
    }

    /// Take the entry with sequence number `seq`, wherever it is in the order.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<Queued<E>> {
        let slot = if let Some(i) = self.line.iter().position(|k| k.seq == seq) {
            // The line stays in order without it.
            self.line.remove(i)?.slot
        } else if let Some(heap) =
            (self.heaps.iter_mut()).find(|h| h.iter().any(|Reverse(k)| k.seq == seq))
        {
            let slot = heap.iter().find(|Reverse(k)| k.seq == seq)?.0.slot;
            heap.retain(|Reverse(k)| k.slot != slot);
            slot
        } else {
            // In the wheel, if anywhere: walk its bucket to it.
            let (slot, time) = (self.slots.iter().enumerate())
                .find_map(|(i, q)| q.as_ref().filter(|q| q.seq == seq).map(|q| (i, q.time)))?;
            let b = Wheel::bucket(time.as_micros());
            let (mut prev, mut at) = (NIL, self.wheel.head(b)?);
            while at != NIL && at as usize != slot {
                (prev, at) = (at, self.wheel.links[at as usize]);
            }
            if at == NIL {
                return None;
            }
            self.wheel.unlink(b, prev, at);
            self.wheel.first = self.wheel_first();
            slot as u64
        };
        self.others = self.others_first();
        self.head = self.next();
        self.take_slot(slot as u32)
    }

    /// Free `slot` and return its entry.
    fn take_slot(&mut self, slot: u32) -> Option<Queued<E>> {
        self.free.push(slot);
        self.slots[slot as usize].take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries of both lanes mix in every test: odd numbers are timers.
    fn lane(seq: u64) -> Lane {
        if seq % 2 == 1 {
            Lane::Timers
        } else {
            Lane::Main
        }
    }

    fn q(time: u64, seq: u64) -> Queued<u64> {
        Queued {
            time: Time::micros(time),
            seq,
            ev: seq * 10,
        }
    }

    #[test]
    fn entries_come_out_by_time_then_sequence_number() {
        let mut queue = Queue::new();
        for (t, s) in [(5, 1), (3, 2), (5, 3), (3, 4), (0, 5), (9, 6)] {
            queue.push(q(t, s), lane(s));
        }
        let order: Vec<(u64, u64, u64)> = std::iter::from_fn(|| queue.pop())
            .map(|e| (e.time.as_micros(), e.seq, e.ev))
            .collect();
        assert_eq!(
            order,
            [
                (0, 5, 50),
                (3, 2, 20),
                (3, 4, 40),
                (5, 1, 10),
                (5, 3, 30),
                (9, 6, 60)
            ]
        );
    }

    #[test]
    fn any_mix_of_pushes_pops_and_removals_keeps_the_order() {
        // A model: the entries kept sorted by (time, seq). Most pushes are at or after the
        // last time taken, as in a simulation; some are before it (a driver's hand); times
        // repeat, so ties are common; some are at the very end of time.
        let mut rng = synod_core::SimRng::new(7);
        let mut queue = Queue::new();
        let mut model: Vec<(u64, u64)> = Vec::new();
        let mut now = 0u64;
        for seq in 1..=20_000u64 {
            match rng.below(20) {
                0..=9 => {
                    // Around the wheel's far edge too: just inside and just past its span.
                    let t = match rng.below(50) {
                        0 => now.saturating_sub(rng.below(100)),
                        // (Only behind many others, lest the clock jump to the end early.)
                        1 if model.len() > 50 => u64::MAX - rng.below(3),
                        2 => now.saturating_add(WHEEL_SPAN - 1 - rng.below(3)),
                        3 => now.saturating_add(WHEEL_SPAN + rng.below(3)),
                        4..=20 => now.saturating_add(rng.below(4)),
                        _ => now.saturating_add(rng.below(1_000)),
                    };
                    queue.push(q(t, seq), lane(seq));
                    model.push((t, seq));
                }
                10..=18 => {
                    model.sort_unstable();
                    let want = (!model.is_empty()).then(|| model.remove(0));
                    assert_eq!(queue.peek().map(|e| (e.time.as_micros(), e.seq)), want);
                    // Now and then dropped where it lies (as a cancelled timer is): what
                    // follows, the length and the entries left show it went.
                    let got = if seq % 5 == 0 {
                        queue.discard();
                        want
                    } else {
                        queue.pop().map(|e| (e.time.as_micros(), e.seq))
                    };
                    assert_eq!(got, want);
                    if let Some((t, _)) = got {
                        now = t;
                    }
                }
                _ => {
                    if !model.is_empty() {
                        let i = rng.below(model.len() as u64) as usize;
                        let (t, s) = model[i];
                        let got = queue.remove(s);
                        let seen = got.as_ref().map(|e| (e.time.as_micros(), e.ev));
                        assert_eq!(seen, Some((t, s * 10)));
                        if rng.below(2) == 0 {
                            // Put back, as the REPL does with an entry it will not drop.
                            queue.push(got.unwrap_or_else(|| q(t, s)), lane(s));
                        } else {
                            model.swap_remove(i);
                        }
                    }
                }
            }
            assert_eq!(queue.len(), model.len());
            assert_eq!(queue.iter().count(), model.len());
        }
    }

    #[test]
    fn slots_are_reused_and_removal_keeps_the_order() {
        let mut queue = Queue::new();
        for s in 1..=4 {
            queue.push(q(10 - s, s), lane(s));
        }
        assert_eq!(queue.pop().map(|e| e.seq), Some(4));
        queue.push(q(1, 5), lane(5));
        assert_eq!(queue.slots.len(), 4, "the freed slot is reused");
        assert_eq!(queue.remove(2).map(|e| e.ev), Some(20));
        assert!(queue.remove(2).is_none());
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.iter().count(), 3);
        assert_eq!(queue.peek().map(|e| e.seq), Some(5));
        let rest: Vec<u64> = std::iter::from_fn(|| queue.pop()).map(|e| e.seq).collect();
        assert_eq!(rest, [5, 3, 1]);
        assert!(queue.pop().is_none() && queue.peek().is_none());
    }
}
