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
//! of their own. The next entry is the earliest of the three places' first, kept up to date as
//! entries come and go, so the order is exactly the one a single heap gives: (time, sequence
//! number), and no two entries share a sequence number.
//!
//! (Measured by instruction counts on the Raft and Multi-Paxos benches, the standard binary
//! heap of 24-byte keys beat a 4-ary heap, a calendar queue of small heaps, radix heaps on
//! (time, sequence number) and on time alone, and sorted lanes. A run's queued times spread
//! over thousands of microseconds, so a radix heap moves each key about as many times as the
//! heap has levels; the others pay more per level, per bucket or per insertion than the binary
//! heap's few instructions.)

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

/// Where entries wait: the main heap, the timers' heap and the timers' line.
const MAIN: usize = 0;
const TIMER_HEAP: usize = 1;
const TIMER_LINE: usize = 2;

/// Entries in (time, sequence number) order.
pub(crate) struct Queue<E> {
    /// Min-heaps of keys (`Reverse` turns the standard max-heap around): `MAIN`, `TIMER_HEAP`.
    heaps: [BinaryHeap<Reverse<Key>>; 2],
    /// Timers in order, each due at or after the one before (`TIMER_LINE`).
    line: VecDeque<Key>,
    /// The next key and where it waits: the earliest of the three places' first keys, kept up
    /// to date on every push and pop (the simulator looks at the next entry several times per
    /// step).
    head: Option<(usize, Key)>,
    /// The entries, by slot; `None` for a free slot.
    slots: Vec<Option<Queued<E>>>,
    /// Free slots, reused last-freed first (the most likely to be in cache).
    free: Vec<u32>,
}

impl<E> Queue<E> {
    /// An empty queue.
    pub(crate) fn new() -> Self {
        Queue {
            heaps: [BinaryHeap::new(), BinaryHeap::new()],
            line: VecDeque::new(),
            head: None,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// How many entries are queued.
    pub(crate) fn len(&self) -> usize {
        self.heaps[MAIN].len() + self.heaps[TIMER_HEAP].len() + self.line.len()
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
                (self.slots.len() - 1) as u32
            }
        };
        let key = Key {
            time,
            seq,
            slot: u64::from(slot),
        };
        let place = match lane {
            Lane::Main => MAIN,
            Lane::Timers if self.line.back().is_none_or(|last| *last < key) => TIMER_LINE,
            Lane::Timers => TIMER_HEAP,
        };
        if place == TIMER_LINE {
            self.line.push_back(key);
        } else {
            self.heaps[place].push(Reverse(key));
        }
        if self.head.is_none_or(|(_, h)| key < h) {
            self.head = Some((place, key));
        }
        slot
    }

    /// Where the next key waits, and that key.
    fn next(&self) -> Option<(usize, Key)> {
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

    /// The next entry, without taking it.
    pub(crate) fn peek(&self) -> Option<&Queued<E>> {
        let (_, k) = self.head?;
        self.slots[k.slot as usize].as_ref()
    }

    /// Take the next entry.
    pub(crate) fn pop(&mut self) -> Option<Queued<E>> {
        let (place, _) = self.head?;
        let k = if place == TIMER_LINE {
            self.line.pop_front()?
        } else {
            self.heaps[place].pop()?.0
        };
        self.head = self.next();
        self.take_slot(k.slot as u32)
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
        } else {
            let heap = (self.heaps.iter_mut()).find(|h| h.iter().any(|Reverse(k)| k.seq == seq))?;
            let slot = heap.iter().find(|Reverse(k)| k.seq == seq)?.0.slot;
            heap.retain(|Reverse(k)| k.slot != slot);
            slot
        };
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
                    let t = match rng.below(50) {
                        0 => now.saturating_sub(rng.below(100)),
                        1 => u64::MAX - rng.below(3),
                        2..=20 => now.saturating_add(rng.below(4)),
                        _ => now.saturating_add(rng.below(1_000)),
                    };
                    queue.push(q(t, seq), lane(seq));
                    model.push((t, seq));
                }
                10..=18 => {
                    model.sort_unstable();
                    let want = (!model.is_empty()).then(|| model.remove(0));
                    assert_eq!(queue.peek().map(|e| (e.time.as_micros(), e.seq)), want);
                    let got = queue.pop().map(|e| (e.time.as_micros(), e.seq));
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
