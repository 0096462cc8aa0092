//! The search of one partition (one key): Wing & Gong's algorithm as Lowe improved it, over a
//! doubly linked list of call and return entries, resumable in slices of steps and bounded in
//! memory.
//!
//! At a call entry the search tries to linearize the operation now (step the model, remove
//! the call and its return from the list, start again from the head); at a return entry it
//! backtracks, since that operation should have been linearized before. On top of that:
//!
//! - **Memoization.** A configuration (set of linearized operations, model state) is explored
//!   once. The sets are compressed (leading all-ones words are not stored), so a configuration
//!   of a partition with thousands of operations takes a few words. Only stable configurations
//!   are recorded, those where no read can be placed (below): they are the branch points.
//! - **Reads first, without branching.** An operation that never changes the state (a read,
//!   a failed compare-and-set, a put that found the key taken: [`Model::is_read_only`]) and
//!   can be linearized now is linearized now, and the search does not try the alternatives:
//!   whatever completes the configuration without it completes the configuration with it,
//!   since moving it to the front of any completion changes no state and breaks no real-time
//!   order (every operation that returned before it was invoked is already linearized). This
//!   is Lowe's "linearize reads as soon as possible" made exact; it collapses the orderings
//!   of concurrent reads, which are most of the search on histories with many clients.
//! - **Pending operations** (indefinite outputs) have no return entry: the search succeeds
//!   once every definite operation is linearized. Two pending operations with equal inputs
//!   are interchangeable, so the later-invoked one is only tried after the earlier one.
//! - **Dominance.** Pending operations are optional, so a configuration that has used a
//!   superset of another's pending operations, with the same definite operations and state,
//!   can reach nothing the other cannot: it is not explored.
//! - **Two orders.** An eager search tries candidates in history order (quick to find a
//!   linearization where indefinite operations took effect soon after their invocation); a
//!   lazy one tries definite candidates before pending ones (configurations with fewer pending
//!   operations come first and dominate the rest, which makes exhausting a non-linearizable
//!   history fast). With pending operations both run, alternating in chunks of steps, and the
//!   first to finish gives the outcome: at most twice the work of the better one, and the
//!   result is deterministic.

use crate::history::History;
use crate::memo::{Bits, Dominance, Insert, Memo, Room, hash_state, mix};
use crate::model::Model;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::mem::size_of;

/// One partition's operations, encoded.
pub(crate) struct Partition<I, O> {
    pub(crate) key: Option<String>,
    /// Index in the history of each operation.
    pub(crate) ops: Vec<usize>,
    pub(crate) inputs: Vec<I>,
    pub(crate) outputs: Vec<Option<O>>,
}

impl<I, O> Partition<I, O> {
    pub(crate) fn new(key: Option<String>) -> Self {
        Partition {
            key,
            ops: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }
}

/// How a partition's search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A linearization of every definite operation (and the pending ones it uses), as
    /// partition-local indices in order.
    Linearizable(Vec<u32>),
    /// No linearization: the longest linearizable prefix found.
    Violation(Vec<u32>),
    /// No linearization, found before searching: this operation is possible in no state
    /// that any order of the partition's operations reaches (see [`never_possible`]).
    Impossible(u32),
    /// The tables could not grow within the memory the search was given.
    OutOfMemory,
}

pub(crate) const NONE: u32 = u32::MAX;

/// The call/return entries of a partition in history order, as a doubly linked list with a
/// head sentinel (0) and a tail sentinel (`len + 1`).
#[derive(Clone)]
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// The partition-local operation of each entry.
    op: Vec<u32>,
    /// For a call entry, its return entry (0 if the operation is pending); `NONE` for a
    /// return entry.
    ret_of: Vec<u32>,
}

impl Entries {
    /// The list of `events` (which must end with a return).
    fn new(events: &[(u64, bool, u32)], ops: usize) -> Self {
        let m = events.len();
        let mut entries = Entries {
            next: (1..=m as u32 + 1).chain([NONE]).collect(),
            prev: [NONE].into_iter().chain(0..=m as u32).collect(),
            op: Vec::with_capacity(m + 2),
            ret_of: vec![NONE; m + 2],
        };
        entries.op.push(NONE);
        let mut call_entry = vec![NONE; ops];
        for (k, &(_, is_ret, op)) in events.iter().enumerate() {
            let e = k + 1;
            entries.op.push(op);
            if is_ret {
                entries.ret_of[call_entry[op as usize] as usize] = e as u32;
            } else {
                call_entry[op as usize] = e as u32;
                entries.ret_of[e] = 0;
            }
        }
        entries.op.push(NONE);
        entries
    }

    /// Removes call entry `e` and its return entry from the list.
    #[inline]
    fn lift(&mut self, e: usize) {
        let (p, n) = (self.prev[e] as usize, self.next[e]);
        self.next[p] = n;
        self.prev[n as usize] = p as u32;
        let r = self.ret_of[e] as usize;
        if r != 0 {
            let (p, n) = (self.prev[r] as usize, self.next[r]);
            self.next[p] = n;
            self.prev[n as usize] = p as u32;
        }
    }

    /// Puts back what `lift(e)` removed (entries are restored in reverse order of removal).
    #[inline]
    fn unlift(&mut self, e: usize) {
        let r = self.ret_of[e] as usize;
        if r != 0 {
            self.next[self.prev[r] as usize] = r as u32;
            self.prev[self.next[r] as usize] = r as u32;
        }
        self.next[self.prev[e] as usize] = e as u32;
        self.prev[self.next[e] as usize] = e as u32;
    }

    fn bytes(&self) -> usize {
        (self.next.capacity() + self.prev.capacity() + self.op.capacity() + self.ret_of.capacity())
            * 4
    }
}

/// The order of events in a partition: (point, is return, local op). At equal points calls
/// come before returns, so operations touching at one point count as concurrent.
pub(crate) fn events<I, O>(history: &History, part: &Partition<I, O>) -> Vec<(u64, bool, u32)> {
    let mut ev = Vec::with_capacity(part.ops.len() * 2);
    for (i, &h) in part.ops.iter().enumerate() {
        let op = &history.operations[h];
        ev.push((op.call, false, i as u32));
        if part.outputs[i].is_some() {
            ev.push((op.ret.unwrap_or(u64::MAX), true, i as u32));
        }
    }
    ev.sort_unstable();
    ev
}

/// What the searches of a partition share: the operations' bit positions, hash keys and
/// symmetry constraints.
struct Layout {
    /// Whether each operation is pending (no definite output).
    pending: Vec<bool>,
    /// Whether each operation leaves every state it is possible in unchanged.
    read_only: Vec<bool>,
    /// Bit position of each operation in its set: definite operations and pending ones are
    /// numbered separately, so that the two sets can be compared separately.
    pos: Vec<usize>,
    /// Definite and pending operations.
    definite: usize,
    pendings: usize,
    /// Per-operation keys of the incremental (Zobrist) hash of the linearized set.
    zobrist: Vec<u64>,
    /// An operation that must be linearized before this one, since the two are
    /// interchangeable and this order is always possible (see `symmetric_predecessors`), or
    /// `NONE`.
    same_before: Vec<u32>,
    /// Definite operations, each of which must be linearized.
    returns: usize,
}

impl Layout {
    fn new<M: Model>(
        model: &M,
        part: &Partition<M::Input, M::Output>,
        events: &[(u64, bool, u32)],
    ) -> Layout {
        let n = part.ops.len();
        let pending: Vec<bool> = part.outputs.iter().map(Option::is_none).collect();
        let read_only = (0..n)
            .map(|o| {
                part.outputs[o]
                    .as_ref()
                    .is_some_and(|out| model.is_read_only(&part.inputs[o], out))
            })
            .collect();
        let read_only: Vec<bool> = read_only;
        let mut pos = vec![0usize; n];
        let (mut definite, mut pendings) = (0, 0);
        for (o, p) in pos.iter_mut().enumerate() {
            let counter = if pending[o] {
                &mut pendings
            } else {
                &mut definite
            };
            *p = *counter;
            *counter += 1;
        }
        let same_before = symmetric_predecessors(part, events, &read_only);
        Layout {
            pending,
            read_only,
            pos,
            definite,
            pendings,
            zobrist: (0..n as u64).map(|i| mix(i ^ 0x5eed)).collect(),
            same_before,
            returns: events.iter().filter(|e| e.1).count(),
        }
    }

    fn bytes(&self) -> usize {
        self.pending.capacity()
            + self.read_only.capacity()
            + self.pos.capacity() * size_of::<usize>()
            + self.zobrist.capacity() * 8
            + self.same_before.capacity() * 4
    }
}

/// For each operation, an identical one (same input, same output) that may be required to be
/// linearized first, or `NONE`.
///
/// Two identical operations X and Y with X invoked first and returning first (or both never
/// returning, like every pending operation) can swap places in any linearization: the model
/// sees the same sequence of steps, X fits where Y was (later than Y's invocation, which is
/// after X's) and Y where X was (before X's return, which is before Y's). So some
/// linearization, if any exists, has X before Y, and the search only tries Y once X is placed.
/// Swapping a pair of identical operations that violates such a constraint lowers the number
/// of inversions against the order of invocation, so all the constraints can hold at once.
/// Pending operations are optional, and the constraint also covers using one of them and not
/// the other: the earlier-invoked one can always stand in for the later.
///
/// Reads are left out (they are placed without branching anyway). Each operation points at
/// the latest earlier identical one that returns before it, looked for among the last few.
fn symmetric_predecessors<I: Eq + Hash, O: Eq + Hash>(
    part: &Partition<I, O>,
    events: &[(u64, bool, u32)],
    read_only: &[bool],
) -> Vec<u32> {
    const LOOK_BACK: usize = 32;
    let n = part.ops.len();
    // Rank of each operation's return in the list (pending: never).
    let mut ret_rank = vec![usize::MAX; n];
    for (rank, &(_, is_ret, op)) in events.iter().enumerate() {
        if is_ret {
            ret_rank[op as usize] = rank;
        }
    }
    let mut same_before = vec![NONE; n];
    let mut groups: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for &(_, is_ret, op) in events {
        let o = op as usize;
        if is_ret || read_only[o] {
            continue;
        }
        let h = hash_state(&(&part.inputs[o], &part.outputs[o]));
        let members = groups.entry(h).or_default();
        same_before[o] = members
            .iter()
            .rev()
            .take(LOOK_BACK)
            .find(|&&x| {
                let x = x as usize;
                part.inputs[x] == part.inputs[o]
                    && part.outputs[x] == part.outputs[o]
                    && ret_rank[x] <= ret_rank[o]
            })
            .copied()
            .unwrap_or(NONE);
        members.push(op);
    }
    same_before
}

/// In what order a search tries the candidates of a configuration.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Order {
    /// In history order, pending operations among the definite ones: finds linearizations
    /// where indefinite operations took effect soon after their invocation quickly.
    Eager,
    /// Definite operations first, then pending ones: configurations that use fewer pending
    /// operations come first and dominate those that use more, which makes exhaustive
    /// searches (violations) fast.
    Lazy,
}

/// Which candidates a scan of the current configuration tries.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Pass {
    /// Looks for a read-only operation to linearize without branching.
    Reads,
    /// Tries the definite operations that change the state (and, in the eager order, the
    /// pending ones among them).
    Definite,
    /// Lazy order only: tries the pending operations.
    Pending,
}

/// An entry of the search stack: the call entry linearized, the state before it, and
/// whether it was forced (a read linearized without branching: backtracking goes past it).
struct Placed<S> {
    entry: u32,
    forced: bool,
    before: S,
}

/// One depth-first search over a partition in one order, resumable.
struct Search<S> {
    order: Order,
    entries: Entries,
    /// The linearized definite operations, and the pending ones.
    dbits: Bits,
    pbits: Bits,
    /// Explored configurations when there are no pending operations.
    memo: Memo<S>,
    /// Explored configurations, with dominance, when there are.
    dominance: Dominance<S>,
    remaining: usize,
    stack: Vec<Placed<S>>,
    best: Vec<u32>,
    unsaved_max: bool,
    state: S,
    /// Incremental hash of the linearized definite operations.
    zob: u64,
    pass: Pass,
    entry: usize,
}

/// What one run of steps ended with.
enum Step {
    /// The slice of steps is used up.
    Paused,
    Done(Outcome),
}

impl<S: Clone + Eq + std::hash::Hash> Search<S> {
    fn new(layout: &Layout, entries: Entries, order: Order, init: S, ops: usize) -> Self {
        let entry = entries.next[0] as usize;
        Search {
            order,
            entries,
            dbits: Bits::new(layout.definite),
            pbits: Bits::new(layout.pendings),
            memo: Memo::new(),
            dominance: Dominance::new(),
            remaining: layout.returns,
            stack: Vec::with_capacity(ops),
            best: Vec::with_capacity(ops),
            unsaved_max: false,
            state: init,
            zob: 0,
            pass: Pass::Reads,
            entry,
        }
    }

    fn bytes(&self, heap: usize) -> usize {
        self.memo.bytes()
            + self.dominance.bytes()
            + self.entries.bytes()
            + self.dbits.bytes()
            + self.pbits.bytes()
            + self.stack.capacity() * (size_of::<Placed<S>>() + heap)
            + self.best.capacity() * 4
    }

    /// The partition-local operations linearized now, in order.
    fn placed(&self) -> Vec<u32> {
        let ops = &self.entries.op;
        self.stack.iter().map(|p| ops[p.entry as usize]).collect()
    }

    /// The longest linearizable prefix found so far.
    fn longest(&self) -> Vec<u32> {
        if self.unsaved_max || self.stack.len() > self.best.len() {
            self.placed()
        } else {
            self.best.clone()
        }
    }

    /// Runs at most `steps` steps (counting them in `used`).
    fn run<M: Model<State = S>>(
        &mut self,
        model: &M,
        part: &Partition<M::Input, M::Output>,
        layout: &Layout,
        steps: u64,
        used: &mut u64,
        room: &mut Room,
    ) -> Step {
        let any_pending = layout.pendings > 0;
        let lazy = self.order == Order::Lazy && any_pending;
        let head = |s: &Self| s.entries.next[0] as usize;
        for _ in 0..steps {
            if self.remaining == 0 {
                return Step::Done(Outcome::Linearizable(self.placed()));
            }
            *used += 1;
            let entry = self.entry;
            let op = self.entries.op[entry] as usize;
            let is_call = self.entries.ret_of[entry] != NONE;
            if !is_call {
                // The first return of the list: every candidate of this pass was tried.
                match self.pass {
                    Pass::Reads => {
                        // No read can be placed: the configuration is stable, a branch point.
                        // Only these are memoized (the reads forced on the way here follow
                        // from the configuration they were forced in, without choice).
                        let h = mix(self.zob ^ hash_state(&self.state));
                        let heap = model.state_heap_bytes(&self.state);
                        let inserted = if any_pending {
                            let (d, p) = (&self.dbits, &self.pbits);
                            self.dominance.insert(h, d, &self.state, heap, p, room)
                        } else {
                            self.memo.insert(h, &self.dbits, &self.state, heap, room)
                        };
                        match inserted {
                            Insert::Fresh => {
                                self.pass = Pass::Definite;
                                self.entry = head(self);
                                continue;
                            }
                            // Explored before, and failed (or dominated by one that did).
                            Insert::Seen => {}
                            Insert::Full => return Step::Done(Outcome::OutOfMemory),
                        }
                    }
                    Pass::Definite if lazy => {
                        self.pass = Pass::Pending;
                        self.entry = head(self);
                        continue;
                    }
                    _ => {}
                }
                if let Some(outcome) = self.backtrack(layout) {
                    return Step::Done(outcome);
                }
                continue;
            }
            let read_only = layout.read_only[op];
            let pending = layout.pending[op];
            let tried = match self.pass {
                Pass::Reads => read_only,
                Pass::Definite => !(read_only || lazy && pending),
                Pass::Pending => pending,
            };
            if !tried {
                self.entry = self.entries.next[entry] as usize;
                continue;
            }
            let prior = layout.same_before[op];
            let allowed = prior == NONE || self.placed_op(layout, prior as usize);
            let next_state = if allowed {
                model.step(&self.state, &part.inputs[op], part.outputs[op].as_ref())
            } else {
                None
            };
            let Some(next_state) = next_state else {
                self.entry = self.entries.next[entry] as usize;
                continue;
            };
            self.mark(layout, op, true);
            if !pending {
                self.zob ^= layout.zobrist[op];
                self.remaining -= 1;
            }
            let before = std::mem::replace(&mut self.state, next_state);
            self.stack.push(Placed {
                entry: entry as u32,
                forced: self.pass == Pass::Reads,
                before,
            });
            self.entries.lift(entry);
            if self.stack.len() > self.best.len() {
                self.unsaved_max = true;
            }
            self.pass = Pass::Reads;
            self.entry = head(self);
        }
        Step::Paused
    }

    /// Whether operation `op` is linearized.
    #[inline]
    fn placed_op(&self, layout: &Layout, op: usize) -> bool {
        let set = if layout.pending[op] {
            &self.pbits
        } else {
            &self.dbits
        };
        set.contains(layout.pos[op])
    }

    /// Marks operation `op` linearized (or not).
    #[inline]
    fn mark(&mut self, layout: &Layout, op: usize, placed: bool) {
        let set = if layout.pending[op] {
            &mut self.pbits
        } else {
            &mut self.dbits
        };
        if placed {
            set.insert(layout.pos[op]);
        } else {
            set.remove(layout.pos[op]);
        }
    }

    /// No candidate of the current configuration leads to a linearization: undo the last
    /// choice (and the reads forced after it) and go on with the next candidate. `Some` when
    /// there is nothing left to undo: the partition is not linearizable.
    fn backtrack(&mut self, layout: &Layout) -> Option<Outcome> {
        if self.unsaved_max {
            // In place: the list keeps the capacity it was made with, which the memory
            // accounting counted.
            let ops = &self.entries.op;
            self.best.clear();
            self.best
                .extend(self.stack.iter().map(|p| ops[p.entry as usize]));
            self.unsaved_max = false;
        }
        loop {
            let Some(placed) = self.stack.pop() else {
                return Some(Outcome::Violation(std::mem::take(&mut self.best)));
            };
            let e = placed.entry as usize;
            let op = self.entries.op[e] as usize;
            self.mark(layout, op, false);
            let pending = layout.pending[op];
            if !pending {
                self.zob ^= layout.zobrist[op];
                self.remaining += 1;
            }
            self.state = placed.before;
            self.entries.unlift(e);
            if placed.forced {
                continue;
            }
            self.pass = if pending && self.order == Order::Lazy {
                Pass::Pending
            } else {
                Pass::Definite
            };
            self.entry = self.entries.next[e] as usize;
            return None;
        }
    }
}

/// Model steps the check for impossible operations may take, and bytes of states it may
/// hold, before it gives up (it is a shortcut: without it the search finds the same answer,
/// slower; and it runs outside the memory bound, so it stays small).
const REACH_STEPS: usize = 1 << 18;
const REACH_BYTES: usize = 8 << 20;

/// Every state that some sequence of the partition's operations reaches from the initial
/// state, in any order and ignoring real time (pending operations taking effect or not), or
/// `None` if finding them takes more than [`REACH_STEPS`] model steps.
pub(crate) fn reachable_states<M: Model>(
    model: &M,
    part: &Partition<M::Input, M::Output>,
) -> Option<Vec<M::State>> {
    let mut budget = REACH_STEPS;
    // The operations that can change a state, one of each kind.
    let mut seen_ops: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut writes = Vec::new();
    for o in 0..part.ops.len() {
        if let Some(out) = &part.outputs[o]
            && model.is_read_only(&part.inputs[o], out)
        {
            continue;
        }
        let same = seen_ops
            .entry(hash_state(&(&part.inputs[o], &part.outputs[o])))
            .or_default();
        if !same
            .iter()
            .any(|&x| part.inputs[x] == part.inputs[o] && part.outputs[x] == part.outputs[o])
        {
            same.push(o);
            writes.push(o);
        }
    }
    let mut states = vec![model.init()];
    let state_bytes = |s: &M::State| size_of::<M::State>() + model.state_heap_bytes(s) + 16;
    let mut bytes = state_bytes(&states[0]);
    let mut index: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    index.insert(hash_state(&states[0]), vec![0]);
    let mut next = 0;
    while next < states.len() {
        for &w in &writes {
            budget = budget.checked_sub(1)?;
            let Some(after) = model.step(&states[next], &part.inputs[w], part.outputs[w].as_ref())
            else {
                continue;
            };
            let same = index.entry(hash_state(&after)).or_default();
            if !same.iter().any(|&i| states[i] == after) {
                bytes += state_bytes(&after);
                if bytes > REACH_BYTES {
                    return None;
                }
                same.push(states.len());
                states.push(after);
            }
        }
        next += 1;
    }
    Some(states)
}

/// A definite operation that is possible in none of the [`reachable_states`]: whatever order
/// the operations take, this one cannot, so the partition is not linearizable. The one that
/// returns first, if several. A cheap exact shortcut for reads of values nobody wrote.
fn never_possible<M: Model>(
    model: &M,
    part: &Partition<M::Input, M::Output>,
    events: &[(u64, bool, u32)],
) -> Option<u32> {
    let states = reachable_states(model, part)?;
    let mut budget = REACH_STEPS;
    let mut checked: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for &(_, is_ret, op) in events {
        let o = op as usize;
        if !is_ret {
            continue;
        }
        let same = checked
            .entry(hash_state(&(&part.inputs[o], &part.outputs[o])))
            .or_default();
        if same
            .iter()
            .any(|&x| part.inputs[x] == part.inputs[o] && part.outputs[x] == part.outputs[o])
        {
            continue;
        }
        same.push(o);
        let mut possible = false;
        for s in &states {
            budget = budget.checked_sub(1)?;
            if model
                .step(s, &part.inputs[o], part.outputs[o].as_ref())
                .is_some()
            {
                possible = true;
                break;
            }
        }
        if !possible {
            return Some(op);
        }
    }
    None
}

/// Steps each order runs before the other gets its turn.
const CHUNK: u64 = 1 << 14;

/// The search of one partition, resumable in slices: with pending operations, two searches
/// (eager and lazy order) run in alternating chunks and the first to finish gives the
/// outcome. The alternation does not depend on how the work is sliced, so the outcome is the
/// same however the caller slices it.
pub(crate) struct KeySearch<S> {
    layout: Layout,
    searches: Vec<Search<S>>,
    /// The search whose chunk is running, and the steps left in its chunk.
    turn: usize,
    chunk_left: u64,
    /// Steps used so far.
    pub(crate) steps: u64,
    /// The heap bytes of a state (for the stack's accounting).
    state_heap: usize,
}

/// The start of a partition's search, or its outcome when there is nothing to search.
pub(crate) enum Start<S> {
    Search(Box<KeySearch<S>>),
    Done(Outcome),
}

impl<S: Clone + Eq + std::hash::Hash> KeySearch<S> {
    /// Prepares the search of `part` in the given orders (the first is used alone when
    /// nothing is pending), unless an operation is possible in no reachable state.
    pub(crate) fn start<M: Model<State = S>>(
        model: &M,
        history: &History,
        part: &Partition<M::Input, M::Output>,
        orders: &[Order],
    ) -> Start<S> {
        KeySearch::start_with(model, history, part, orders, true)
    }

    /// [`KeySearch::start`], with or without the shortcut for impossible operations.
    pub(crate) fn start_with<M: Model<State = S>>(
        model: &M,
        history: &History,
        part: &Partition<M::Input, M::Output>,
        orders: &[Order],
        shortcut: bool,
    ) -> Start<S> {
        let mut ev = events(history, part);
        // A pending operation invoked after the last return can always be left out.
        let Some(last_ret) = ev.iter().rposition(|e| e.1) else {
            return Start::Done(Outcome::Linearizable(Vec::new()));
        };
        ev.truncate(last_ret + 1);
        if let Some(op) = never_possible(model, part, &ev).filter(|_| shortcut) {
            return Start::Done(Outcome::Impossible(op));
        }
        let layout = Layout::new(model, part, &ev);
        let entries = Entries::new(&ev, part.ops.len());
        let orders = if layout.pendings == 0 {
            &orders[..1]
        } else {
            orders
        };
        let init = model.init();
        let state_heap = model.state_heap_bytes(&init);
        let searches = orders
            .iter()
            .map(|&order| {
                Search::new(
                    &layout,
                    entries.clone(),
                    order,
                    init.clone(),
                    part.ops.len(),
                )
            })
            .collect();
        Start::Search(Box::new(KeySearch {
            layout,
            searches,
            turn: 0,
            chunk_left: CHUNK,
            steps: 0,
            state_heap,
        }))
    }

    /// Runs up to `steps` more steps; `None` if the search is not over. The tables grow by
    /// at most `room` bytes.
    pub(crate) fn run<M: Model<State = S>>(
        &mut self,
        model: &M,
        part: &Partition<M::Input, M::Output>,
        steps: u64,
        room: &mut Room,
    ) -> Option<Outcome> {
        let mut left = steps;
        while left > 0 {
            let n = left.min(self.chunk_left);
            let mut used = 0;
            let search = &mut self.searches[self.turn];
            let step = search.run(model, part, &self.layout, n, &mut used, room);
            self.steps += used;
            left -= n.min(used.max(1));
            if let Step::Done(outcome) = step {
                return Some(outcome);
            }
            self.chunk_left -= n;
            if self.chunk_left == 0 {
                self.chunk_left = CHUNK;
                self.turn = (self.turn + 1) % self.searches.len();
            }
        }
        None
    }

    /// An upper bound on the bytes a search of `part` holds before its first step (what
    /// [`KeySearch::bytes`] says right after [`KeySearch::start`]), to be checked against the
    /// memory bound before anything is allocated.
    pub(crate) fn start_bytes<M: Model<State = S>>(
        model: &M,
        part: &Partition<M::Input, M::Output>,
    ) -> usize {
        let n = part.ops.len();
        let entries = (2 * n + 2) * 4 * 4;
        let words = (n.div_ceil(64) + 2) * 8;
        let stack = n * (size_of::<Placed<S>>() + model.state_heap_bytes(&model.init()));
        let tables = 2 * Memo::<S>::new().bytes() + Dominance::<S>::new().bytes() * 2;
        let search = entries + words + stack + n * 4 + tables;
        let layout = n * (2 + 2 * size_of::<usize>() + 4 + 8);
        layout + 2 * search
    }

    /// Bytes held by the search: its tables, lists and stacks.
    pub(crate) fn bytes(&self) -> usize {
        self.layout.bytes()
            + self
                .searches
                .iter()
                .map(|s| s.bytes(self.state_heap))
                .sum::<usize>()
    }

    /// The longest linearizable prefix any of its orders has found so far.
    pub(crate) fn longest(&self) -> Vec<u32> {
        self.searches
            .iter()
            .map(Search::longest)
            .max_by_key(Vec::len)
            .unwrap_or_default()
    }
}
