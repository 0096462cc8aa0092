//! Scheduling the partitions of a check: interleaved in slices, on as many threads as the
//! caller gives it, with the same answer whatever the number.
//!
//! Every partition (key) gets its own resumable search. Work is handed out in **slices**:
//! slice `r` of key `k` is the task `(r, k)`; keys are numbered small first, and slices grow
//! from a few thousand steps to a few hundred thousand as rounds go by. One worker takes the
//! tasks in the order `(r, k)`: round-robin over the keys, so a hard key never holds up an
//! easy one. Several workers take them in the same order, each task after the previous slice
//! of its key.
//!
//! **The verdict does not depend on the number of workers.** Each key's search is
//! deterministic and its slices run in order, so whether a key is linearizable, refuted or out
//! of steps is a function of the key alone. The first refuted key is the one whose refuting
//! slice `(r, k)` is least, as one worker would meet it; once some key is refuted, tasks after
//! its `(r, k)` are dropped, and tasks before it still run (one of them may refute an earlier
//! key). So the reported key and its explanation are those one worker finds. Only the
//! caller's `stop` (a timeout) and the memory bound, which depend on how fast and how much
//! at once the workers go, can change an answer, and only into `unknown` (or into the
//! refutation of another key: a refutation found is always true).
//!
//! **Memory.** Each key's search counts the bytes of its tables, lists and stacks. A slice
//! may grow them by its share of what is left under the bound (all of it with one worker,
//! split among the workers otherwise); a search that would need more stops cleanly and its
//! key gives up, freeing its tables for the others. So the search structures never hold more
//! than the bound, and nothing aborts.
//!
//! The crate starts no thread: [`Check::work`] is what each of the caller's threads runs.

use super::search::{KeySearch, Order, Outcome, Partition, Start};
use crate::history::History;
use crate::memo::Room;
use crate::model::Model;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Limits of a check. With none, a check runs until it has a verdict.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Search steps each key may take before it gives up.
    pub max_steps: Option<u64>,
    /// Bytes the search structures of all keys may hold at once.
    pub max_memory: Option<usize>,
}

/// Why a key's search gave up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GaveUp {
    /// It used its step budget (the number of steps).
    Steps(u64),
    /// Its tables could not grow under the memory bound; the bytes its search held then.
    Memory(usize),
    /// The caller stopped the check (a timeout) before the key was done.
    Stopped,
}

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GaveUp::Steps(n) => write!(f, "ran out of steps after {n}"),
            GaveUp::Memory(bytes) => write!(
                f,
                "reached the memory bound with its search holding {}",
                super::show_bytes(*bytes)
            ),
            GaveUp::Stopped => f.write_str("was stopped by the timeout"),
        }
    }
}

/// Where a key's search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyEnd {
    Linearizable(Vec<u32>),
    Violation(Vec<u32>),
    /// Refuted before searching: this operation is possible in no reachable state.
    Impossible(u32),
    GaveUp(GaveUp, Vec<u32>),
    /// Not finished when the workers stopped: the caller stopped the check, or another key
    /// was refuted first. The longest prefix found so far.
    Unfinished(Vec<u32>),
}

impl KeyEnd {
    /// The end of a search that ended with `outcome`; `longest` is its longest prefix and
    /// `bytes` what it held, for when it ran out of memory.
    fn from_outcome(outcome: Outcome, longest: impl FnOnce() -> Vec<u32>, bytes: usize) -> Self {
        match outcome {
            Outcome::Linearizable(order) => KeyEnd::Linearizable(order),
            Outcome::Violation(best) => KeyEnd::Violation(best),
            Outcome::Impossible(op) => KeyEnd::Impossible(op),
            Outcome::OutOfMemory => KeyEnd::GaveUp(GaveUp::Memory(bytes), longest()),
        }
    }
}

/// A slice to run: slice `round` of key `k`, which may grow the key's search structures by
/// `share` bytes (`reserved` of them counted against the bound while it runs), and what the
/// search held before it.
struct Task {
    round: u32,
    k: u32,
    share: usize,
    reserved: usize,
    held_before: usize,
}

/// The orders each key is searched in (see `search`).
const ORDERS: [Order; 2] = [Order::Lazy, Order::Eager];

/// Steps of slice `round` of a key.
fn slice_steps(round: u32) -> u64 {
    const FIRST: u64 = 1 << 12;
    const LARGEST: u64 = 1 << 18;
    FIRST.checked_shl(round).map_or(LARGEST, |s| s.min(LARGEST))
}

/// A key's search: started at its first slice (so that it allocates only when its turn
/// comes and its lists fit under the memory bound), dropped when it is over (freeing its
/// tables for the others).
enum Slot<S> {
    NotStarted,
    Running(Box<KeySearch<S>>),
    Over,
}

/// The shared state of the workers.
struct Board {
    /// Tasks ready to run: (round, key).
    ready: BTreeSet<(u32, u32)>,
    /// Slices running, and the room they were handed.
    running: usize,
    reserved: usize,
    /// Bytes held by each key's search, as of the end of its last slice, and their sum.
    bytes: Vec<usize>,
    total: usize,
    peak: usize,
    /// The least refuting task so far.
    best: Option<(u32, u32)>,
    stopped: bool,
    ends: Vec<Option<KeyEnd>>,
    steps: Vec<u64>,
    key_peak: Vec<usize>,
}

/// A check in progress: the partitions of a history and their searches.
pub struct Check<'a, M: Model> {
    model: &'a M,
    history: &'a History,
    /// Partitions, smallest first.
    pub(crate) parts: Vec<Partition<M::Input, M::Output>>,
    searches: Vec<Mutex<Slot<M::State>>>,
    limits: Limits,
    workers: usize,
    board: Mutex<Board>,
}

/// What a finished check hands back to be reported.
pub(crate) struct Finished {
    pub(crate) ends: Vec<KeyEnd>,
    pub(crate) steps: Vec<u64>,
    pub(crate) key_peak: Vec<usize>,
    pub(crate) peak: usize,
    /// The refuted key, if any.
    pub(crate) refuted: Option<usize>,
}

impl<'a, M: Model> Check<'a, M> {
    /// Prepares the searches of `parts` (in any order) for `workers` workers.
    pub(crate) fn new(
        model: &'a M,
        history: &'a History,
        mut parts: Vec<Partition<M::Input, M::Output>>,
        limits: Limits,
        workers: usize,
    ) -> Self {
        parts.sort_by(|a, b| a.ops.len().cmp(&b.ops.len()).then(a.key.cmp(&b.key)));
        let n = parts.len();
        Check {
            model,
            history,
            parts,
            searches: (0..n).map(|_| Mutex::new(Slot::NotStarted)).collect(),
            limits,
            workers: workers.max(1),
            board: Mutex::new(Board {
                ready: (0..n as u32).map(|k| (0, k)).collect(),
                running: 0,
                reserved: 0,
                key_peak: vec![0; n],
                bytes: vec![0; n],
                total: 0,
                peak: 0,
                best: None,
                stopped: false,
                ends: vec![None; n],
                steps: vec![0; n],
            }),
        }
    }

    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        // A worker that panicked cannot leave the board half-updated in a way that matters
        // for another: each update is a few assignments. Carry on with what is there.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Works on the check until there is nothing left to do: runs slices, in order, until
    /// every key is done, a refutation makes the rest moot, or `stop` (asked after every
    /// slice) says so. Call it from each of the caller's threads, `workers` of them.
    pub fn work(&self, stop: &mut dyn FnMut() -> bool) {
        while let Some(Task {
            round,
            k,
            share,
            reserved,
            held_before,
        }) = self.next_task()
        {
            let ku = k as usize;
            let part = &self.parts[ku];
            let mut slot = self.searches[ku].lock().unwrap_or_else(|e| e.into_inner());
            if matches!(*slot, Slot::NotStarted) {
                let need = KeySearch::start_bytes(self.model, part);
                *slot = if need > share {
                    Slot::Over
                } else {
                    match KeySearch::start(self.model, self.history, part, &ORDERS) {
                        Start::Search(search) => Slot::Running(search),
                        Start::Done(outcome) => {
                            drop(slot);
                            let end = KeyEnd::from_outcome(outcome, Vec::new, 0);
                            self.end_task(round, k, reserved, 0, 0, Some(end));
                            continue;
                        }
                    }
                };
                if matches!(*slot, Slot::Over) {
                    drop(slot);
                    let end = KeyEnd::GaveUp(GaveUp::Memory(need), Vec::new());
                    self.end_task(round, k, reserved, 0, 0, Some(end));
                    continue;
                }
            }
            let Slot::Running(search) = &mut *slot else {
                drop(slot);
                self.end_task(round, k, reserved, 0, 0, None);
                continue;
            };
            let before = search.steps;
            let mut steps = slice_steps(round);
            if let Some(max) = self.limits.max_steps {
                steps = steps.min(max.saturating_sub(search.steps));
            }
            let held = search.bytes();
            let mut room = Room(share.saturating_sub(held.saturating_sub(held_before)));
            let outcome = search.run(self.model, part, steps, &mut room);
            let bytes = search.bytes();
            let used = search.steps - before;
            let end = match outcome {
                Some(outcome) => Some(KeyEnd::from_outcome(outcome, || search.longest(), bytes)),
                None if self.limits.max_steps.is_some_and(|max| search.steps >= max) => Some(
                    KeyEnd::GaveUp(GaveUp::Steps(search.steps), search.longest()),
                ),
                None => None,
            };
            if end.is_some() {
                *slot = Slot::Over; // frees the key's tables for the others
            }
            drop(slot);
            self.end_task(round, k, reserved, bytes, used, end);
            if stop() {
                self.board().stopped = true;
                return;
            }
        }
    }

    /// The next task to run; `None` when this worker is done.
    fn next_task(&self) -> Option<Task> {
        let mut b = self.board();
        if b.stopped {
            return None;
        }
        let &(round, k) = b.ready.first()?;
        if b.best.is_some_and(|best| (round, k) > best) {
            // Everything left comes after the refutation one worker would find first.
            b.ready.clear();
            return None;
        }
        b.ready.remove(&(round, k));
        let (share, reserved) = match self.limits.max_memory {
            None => (usize::MAX / 4, 0),
            Some(max) => {
                let free = max.saturating_sub(b.total + b.reserved);
                let share = free / self.workers.saturating_sub(b.running).max(1);
                (share, share)
            }
        };
        b.running += 1;
        b.reserved += reserved;
        Some(Task {
            round,
            k,
            share,
            reserved,
            held_before: b.bytes[k as usize],
        })
    }

    /// Records the end of slice `(round, k)`.
    fn end_task(
        &self,
        round: u32,
        k: u32,
        reserved: usize,
        bytes: usize,
        used: u64,
        end: Option<KeyEnd>,
    ) {
        let mut b = self.board();
        let ku = k as usize;
        b.running -= 1;
        b.reserved -= reserved;
        b.steps[ku] += used;
        b.key_peak[ku] = b.key_peak[ku].max(bytes);
        b.total = b.total - b.bytes[ku] + bytes;
        b.peak = b.peak.max(b.total);
        match end {
            None => {
                b.bytes[ku] = bytes;
                b.ready.insert((round + 1, k));
            }
            Some(end) => {
                b.total -= bytes;
                b.bytes[ku] = 0;
                let refuted = matches!(end, KeyEnd::Violation(_) | KeyEnd::Impossible(_));
                if refuted && b.best.is_none_or(|best| (round, k) < best) {
                    b.best = Some((round, k));
                }
                b.ends[ku] = Some(end);
            }
        }
    }

    /// The outcome of every key once the workers are done. Keys left unfinished gave up
    /// because the caller stopped the check, or were not needed after a refutation (their
    /// longest prefix so far is kept either way).
    pub(crate) fn finish(&self) -> Finished {
        let mut b = self.board();
        let refuted = b.best.map(|(_, k)| k as usize);
        let n = self.parts.len();
        let mut ends = Vec::with_capacity(n);
        for k in 0..n {
            let end = match b.ends[k].take() {
                Some(end) => end,
                None => {
                    let slot = self.searches[k].lock().unwrap_or_else(|e| e.into_inner());
                    KeyEnd::Unfinished(match &*slot {
                        Slot::Running(search) => search.longest(),
                        Slot::NotStarted | Slot::Over => Vec::new(),
                    })
                }
            };
            ends.push(end);
        }
        Finished {
            ends,
            steps: std::mem::take(&mut b.steps),
            key_peak: std::mem::take(&mut b.key_peak),
            peak: b.peak,
            refuted,
        }
    }

    /// Keys whose search has not ended.
    pub(crate) fn searching(&self) -> usize {
        self.board().ends.iter().filter(|e| e.is_none()).count()
    }

    /// The history being checked.
    pub(crate) fn history(&self) -> &History {
        self.history
    }

    /// The model.
    pub(crate) fn model(&self) -> &M {
        self.model
    }
}
