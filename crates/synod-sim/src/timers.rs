//! Where each live timer waits in the event queue, by timer id: what `cancel_timer` needs to
//! find a timer. (Whether a timer is live, its owner and its payload are kept with the timer's
//! queue entry itself.)
//!
//! Timer ids are handed out in order, and nearly every timer lives briefly (a client's request
//! timeout, an election timeout), so the index is a window of slots from the oldest live id
//! to the newest: setting, cancelling and firing a timer cost O(1), not a search of a map. A
//! timer that lives long while many others come and go would hold the window's start back and
//! make it grow with every timer set meanwhile, so when the window is mostly dead the oldest
//! live entries move to a map aside: memory stays bounded by the timers alive.

use std::collections::{BTreeMap, VecDeque};

/// A window entry for an id that is no longer live.
const GONE: u32 = u32::MAX;

/// Live timers' queue slots, by timer id.
#[derive(Debug, Default)]
pub(crate) struct TimerIndex {
    /// The id of `window[0]`.
    base: u64,
    /// Slots of ids `base..base + window.len()` (`GONE` for ids no longer live).
    window: VecDeque<u32>,
    /// Live timers older than `base`.
    aside: BTreeMap<u64, u32>,
    /// Live entries in `window`.
    live: usize,
}

impl TimerIndex {
    /// Timer `id` waits in `slot`: a new id (the next after every id seen), or a live one that
    /// moved.
    pub(crate) fn put(&mut self, id: u64, slot: u32) {
        if id < self.base {
            self.aside.insert(id, slot);
            return;
        }
        if self.window.is_empty() {
            self.base = id;
        }
        let i = (id - self.base) as usize;
        if i == self.window.len() {
            // The common case: the next id after every id seen.
            self.window.push_back(slot);
            self.live += 1;
        } else {
            if i > self.window.len() {
                self.window.resize(i + 1, GONE);
            }
            if self.window[i] == GONE {
                self.live += 1;
            }
            self.window[i] = slot;
        }
        // Mostly dead: move the oldest entries aside (live ones to the map).
        while self.window.len() > 1024 + 8 * self.live {
            let Some(slot) = self.window.pop_front() else {
                break;
            };
            if slot != GONE {
                self.live -= 1;
                self.aside.insert(self.base, slot);
            }
            self.base += 1;
        }
    }

    /// The slot of live timer `id`.
    pub(crate) fn get(&self, id: u64) -> Option<u32> {
        if id < self.base {
            return self.aside.get(&id).copied();
        }
        let slot = *self.window.get((id - self.base) as usize)?;
        (slot != GONE).then_some(slot)
    }

    /// Timer `id` is no longer live (fired or cancelled); returns the slot it had.
    pub(crate) fn remove(&mut self, id: u64) -> Option<u32> {
        if id < self.base {
            return self.aside.remove(&id);
        }
        let entry = self.window.get_mut((id - self.base) as usize)?;
        let slot = std::mem::replace(entry, GONE);
        if slot == GONE {
            return None;
        }
        self.live -= 1;
        while self.window.front() == Some(&GONE) {
            self.window.pop_front();
            self.base += 1;
        }
        Some(slot)
    }

    /// How many ids the window spans (for tests of its bound).
    #[cfg(test)]
    fn span(&self) -> usize {
        self.window.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_are_found_until_they_fire_or_are_cancelled() {
        let mut t = TimerIndex::default();
        for id in 1..=5 {
            t.put(id, id as u32 * 10);
        }
        assert_eq!(t.get(3), Some(30));
        assert_eq!(t.remove(3), Some(30));
        assert_eq!((t.get(3), t.remove(3)), (None, None));
        t.put(4, 99); // a live timer moved to another slot
        assert_eq!(t.get(4), Some(99));
        for id in [1, 2] {
            t.remove(id);
        }
        assert_eq!(t.span(), 2, "the dead front is dropped: ids 4 and 5 remain");
        assert_eq!((t.get(5), t.get(6), t.get(1)), (Some(50), None, None));
    }

    #[test]
    fn a_long_lived_timer_does_not_make_the_window_grow_without_bound() {
        let mut t = TimerIndex::default();
        t.put(1, 7); // lives through everything below
        for id in 2..100_000u64 {
            t.put(id, (id % 1000) as u32);
            t.remove(id);
        }
        assert!(t.span() <= 1024 + 8, "window spans {} ids", t.span());
        assert_eq!(t.get(1), Some(7));
        t.put(1, 8);
        assert_eq!(t.remove(1), Some(8));
        assert_eq!(t.get(1), None);
        t.put(100_000, 3);
        assert_eq!(t.get(100_000), Some(3));
    }
}
