//! The linearizability checker: Wing & Gong's search as Lowe improved it, with memoization of
//! (set of linearized operations, model state) and P-compositionality.
//!
//! A history is linearizable if each operation can be given a point between its invocation and
//! its return such that executing the operations one at a time, in the order of their points,
//! against the [`Model`] gives every definite output the history records. An operation that
//! never returned or returned an indefinite result may take effect at any point after its
//! invocation, or never.
//!
//! The search, per partition (one key), walks a doubly linked list of call and return entries
//! in the history's order. At a call it tries to linearize the operation now (step the model,
//! remove the call and its return from the list, start again from the head); at a return it
//! backtracks, since that operation should have been linearized before. On top of that:
//!
//! - **Memoization.** A configuration (set of linearized operations, state) is explored once.
//!   The sets are compressed (leading all-ones words are not stored), so a configuration of a
//!   partition with thousands of operations takes a few words.
//! - **Pending operations** (indefinite outputs) have no return entry: the search succeeds
//!   once every definite operation is linearized. Two pending operations with equal inputs are
//!   interchangeable, so the later-invoked one is only tried after the earlier one.
//! - **Dominance.** Pending operations are optional, so a configuration that has used a
//!   superset of another's pending operations, with the same definite operations and state,
//!   can reach nothing the other cannot: it is not explored.
//! - **Two orders.** An eager search tries candidates in history order (quick to find a
//!   linearization where indefinite operations took effect soon after their invocation); a
//!   lazy one tries definite candidates before pending ones (configurations with fewer pending
//!   operations come first and dominate the rest, which makes exhausting a non-linearizable
//!   history fast). With pending operations both run, alternating in chunks of steps, and the
//!   first to finish gives the verdict: at most twice the work of the better one, and the
//!   result is deterministic.
//!
//! The library reads no clock: a [`Budget`] bounds the work by a step count and/or a `stop`
//! closure the caller supplies (the CLI passes one that looks at the wall clock). Running out
//! gives [`Verdict::Unknown`].

use crate::history::{History, Operation};
use crate::memo::{Dominance, Memo, hash_state, mix};
use crate::model::Model;
use std::collections::BTreeMap;
use std::fmt;

/// How much work a check may do.
///
/// ```
/// use synod_check::Budget;
/// let mut budget = Budget::unlimited().with_max_steps(1_000_000);
/// let mut polls = 0;
/// let mut budget = Budget::unlimited().with_stop(move || { polls += 1; polls > 10 });
/// ```
pub struct Budget<'a> {
    max_steps: Option<u64>,
    stop: Option<Box<dyn FnMut() -> bool + 'a>>,
    steps: u64,
}

/// How often (in steps) the `stop` closure is asked.
const POLL_EVERY: u64 = 1 << 12;

impl<'a> Budget<'a> {
    /// No limit: the search runs until it has a verdict.
    pub fn unlimited() -> Self {
        Budget {
            max_steps: None,
            stop: None,
            steps: 0,
        }
    }

    /// At most `max` search steps in all (over every partition and every check this budget
    /// is used for).
    pub fn with_max_steps(mut self, max: u64) -> Self {
        self.max_steps = Some(max);
        self
    }

    /// Asks `stop` every few thousand steps; the search gives up when it returns true.
    pub fn with_stop(mut self, stop: impl FnMut() -> bool + 'a) -> Self {
        self.stop = Some(Box::new(stop));
        self
    }

    /// The steps used so far.
    pub fn steps_used(&self) -> u64 {
        self.steps
    }

    /// Counts a step; false when the budget is spent.
    #[inline]
    fn tick(&mut self) -> bool {
        self.steps += 1;
        if let Some(max) = self.max_steps
            && self.steps > max
        {
            return false;
        }
        if self.steps % POLL_EVERY == 0
            && let Some(stop) = &mut self.stop
        {
            return !stop();
        }
        true
    }
}

impl fmt::Debug for Budget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("max_steps", &self.max_steps)
            .field("has_stop", &self.stop.is_some())
            .field("steps", &self.steps)
            .finish()
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some order of the operations, each at a point between its invocation and return,
    /// explains every output.
    Linearizable,
    /// No such order exists; the explanation shows where the search got furthest.
    NotLinearizable(Box<Explanation>),
    /// The budget ran out before a verdict.
    Unknown(Incomplete),
}

impl Verdict {
    /// True for [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }

    /// `linearizable`, `NOT linearizable` or `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable(_) => "NOT linearizable",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// Where a check stopped when its budget ran out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// The partition being searched.
    pub partition: Option<String>,
    /// Partitions whose search had finished (all linearizable).
    pub partitions_done: usize,
}

/// One operation of the longest linearizable prefix, with the state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixStep {
    /// The operation.
    pub op: Operation,
    /// The model's state after it, as [`Model::show_state`] prints it.
    pub state_after: String,
}

/// An operation that could come next after the longest prefix, and whether the model
/// accepts it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The operation.
    pub op: Operation,
    /// True if the model can apply it in the state after the prefix (the search then found
    /// that nothing linearizable follows); false if it cannot.
    pub possible: bool,
}

/// Why a partition is not linearizable: the longest linearizable prefix the search found,
/// and what cannot come after it.
///
/// After the prefix, `blocked` is the operation that returns first among those not yet
/// placed, so it, or another operation invoked before that return (the `candidates`), must
/// come next; none of them leads to a linearization. Usually every candidate is impossible
/// in `state`, which shows the offending read or write at a glance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The model's name.
    pub model: &'static str,
    /// The partition (key); `None` when the model has a single object.
    pub partition: Option<String>,
    /// Operations in the partition (after the model dropped those that cannot matter).
    pub operations: usize,
    /// The state before any operation.
    pub initial_state: String,
    /// The longest linearizable prefix found, in linearization order.
    pub prefix: Vec<PrefixStep>,
    /// The state after the prefix.
    pub state: String,
    /// The first operation to return among those not in the prefix.
    pub blocked: Operation,
    /// Every operation not in the prefix that was invoked before `blocked` returned
    /// (including `blocked`), in order of invocation.
    pub candidates: Vec<Candidate>,
}

impl Explanation {
    /// The explanation as text, showing at most the last `max_prefix` operations of the prefix.
    pub fn render(&self, max_prefix: usize) -> String {
        let mut out = String::new();
        let place = match &self.partition {
            Some(k) => format!("key {k:?}"),
            None => "the history".to_string(),
        };
        out.push_str(&format!(
            "  {place} is not linearizable under the {} model ({} operations)\n",
            self.model, self.operations
        ));
        out.push_str(&format!(
            "  longest linearizable prefix: {} operations, starting from state {}\n",
            self.prefix.len(),
            self.initial_state
        ));
        let skip = self.prefix.len().saturating_sub(max_prefix);
        if skip > 0 {
            out.push_str(&format!("    ... {skip} earlier operations\n"));
        }
        let width = self
            .prefix
            .iter()
            .skip(skip)
            .map(|s| s.op.to_string().len())
            .chain(self.candidates.iter().map(|c| c.op.to_string().len()))
            .max()
            .unwrap_or(0);
        for step in &self.prefix[skip..] {
            out.push_str(&format!(
                "    {}  {:width$}  => {}\n",
                span(&step.op),
                step.op.to_string(),
                step.state_after
            ));
        }
        let ret = self.blocked.ret.unwrap_or(0);
        out.push_str(&format!(
            "  then the state is {}, and this operation must take effect before it returns at {ret}:\n",
            self.state
        ));
        out.push_str(&format!("    {}  {}\n", span(&self.blocked), self.blocked));
        out.push_str("  but none of the operations invoked by then can come next:\n");
        for c in &self.candidates {
            let why = if c.possible {
                "possible, but nothing linearizable follows".to_string()
            } else {
                format!("impossible in state {}", self.state)
            };
            out.push_str(&format!(
                "    {}  {:width$}  {why}\n",
                span(&c.op),
                c.op.to_string()
            ));
        }
        out
    }
}

/// `  12..20  `: where an operation was invoked and returned.
fn span(op: &Operation) -> String {
    let ret = op.ret.map_or(String::new(), |r| r.to_string());
    format!("{:>6}..{:<6}", op.call, ret)
}

impl fmt::Display for Explanation {
    /// [`Explanation::render`] with the last 20 operations of the prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(20))
    }
}

/// A verdict and what it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The verdict.
    pub verdict: Verdict,
    /// Operations in the history.
    pub operations: usize,
    /// Partitions (keys) checked or to check.
    pub partitions: usize,
    /// Search steps used.
    pub steps: u64,
    /// The largest memo table of any partition, in bytes.
    pub peak_memo_bytes: usize,
}

impl CheckReport {
    /// One line for a run's summary: `linearizable (120 operations, 5 keys)`,
    /// `NOT linearizable at key "a" (120 operations, 5 keys)`, `unknown: ...`.
    pub fn summary(&self) -> String {
        let keys = if self.partitions == 1 { "key" } else { "keys" };
        let counts = format!("{} operations, {} {keys}", self.operations, self.partitions);
        match &self.verdict {
            Verdict::NotLinearizable(why) => match &why.partition {
                Some(k) => format!("NOT linearizable at key {k:?} ({counts})"),
                None => format!("NOT linearizable ({counts})"),
            },
            Verdict::Unknown(_) => format!("unknown: the budget ran out ({counts})"),
            Verdict::Linearizable => format!("linearizable ({counts})"),
        }
    }
}

/// The model does not understand an operation of the history.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: the {model} model cannot check `{operation}`: {reason}")]
pub struct ModelError {
    /// The history's name.
    pub file: String,
    /// The operation's invocation point (line).
    pub line: u64,
    /// The model.
    pub model: &'static str,
    /// The operation.
    pub operation: String,
    /// What the model does not understand.
    pub reason: String,
}

/// One partition's operations, encoded.
struct Partition<I, O> {
    key: Option<String>,
    /// Index in the history of each operation.
    ops: Vec<usize>,
    inputs: Vec<I>,
    outputs: Vec<Option<O>>,
}

/// Checks `history` against `model`, one partition at a time, within `budget`.
///
/// Stops at the first partition that is not linearizable (partitions are searched in key
/// order) or when the budget runs out.
pub fn check<M: Model>(
    model: &mut M,
    history: &History,
    budget: &mut Budget<'_>,
) -> Result<CheckReport, ModelError> {
    for op in &history.operations {
        model.observe(op);
    }
    let mut parts: BTreeMap<Option<String>, Partition<M::Input, M::Output>> = BTreeMap::new();
    for (index, op) in history.operations.iter().enumerate() {
        let encoded = model.encode(op).map_err(|reason| ModelError {
            file: history.name.clone(),
            line: op.call,
            model: model.name(),
            operation: op.to_string(),
            reason,
        })?;
        let Some(encoded) = encoded else { continue };
        let key = model.partition(op);
        let part = parts.entry(key.clone()).or_insert_with(|| Partition {
            key,
            ops: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        });
        part.ops.push(index);
        part.inputs.push(encoded.input);
        part.outputs.push(encoded.output);
    }
    let mut report = CheckReport {
        verdict: Verdict::Linearizable,
        operations: history.operations.len(),
        partitions: parts.len(),
        steps: 0,
        peak_memo_bytes: 0,
    };
    let start_steps = budget.steps_used();
    for (done, part) in parts.values().enumerate() {
        let result = search(model, history, part, budget);
        report.peak_memo_bytes = report.peak_memo_bytes.max(result.memo_bytes);
        match result.outcome {
            Outcome::Linearizable => {}
            Outcome::OutOfBudget => {
                report.verdict = Verdict::Unknown(Incomplete {
                    partition: part.key.clone(),
                    partitions_done: done,
                });
                break;
            }
            Outcome::Violation(best) => {
                report.verdict =
                    Verdict::NotLinearizable(Box::new(explain(model, history, part, &best)));
                break;
            }
        }
    }
    report.steps = budget.steps_used() - start_steps;
    Ok(report)
}

enum Outcome {
    Linearizable,
    /// The longest linearizable prefix found (indices into the partition).
    Violation(Vec<u32>),
    OutOfBudget,
}

struct SearchResult {
    outcome: Outcome,
    memo_bytes: usize,
}

const NONE: u32 = u32::MAX;

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
}

/// The order of events in a partition: (point, is return, local op). At equal points calls
/// come before returns, so operations touching at one point count as concurrent.
fn events<I, O>(history: &History, part: &Partition<I, O>) -> Vec<(u64, bool, u32)> {
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

/// What the two searches of a partition share: the operations' bit positions, hash keys and
/// symmetry constraints.
struct Layout {
    /// Whether each operation is pending (no definite output).
    pending: Vec<bool>,
    /// Bit position of each operation: definite ones in the first `dwords` words, pending
    /// ones after, so that the two sets can be compared separately.
    pos: Vec<usize>,
    dwords: usize,
    pwords: usize,
    /// Per-operation keys of the incremental (Zobrist) hash of the linearized set.
    zobrist: Vec<u64>,
    /// For a pending operation, the previous pending operation with an equal input (tried
    /// first, since the two are interchangeable), or `NONE`.
    same_before: Vec<u32>,
    /// Definite operations, each of which must be linearized.
    returns: usize,
}

impl Layout {
    fn new<I: Eq, O>(part: &Partition<I, O>, events: &[(u64, bool, u32)]) -> Layout {
        let n = part.ops.len();
        let pending: Vec<bool> = part.outputs.iter().map(Option::is_none).collect();
        let nd = pending.iter().filter(|p| !**p).count();
        let dwords = nd.div_ceil(64).max(1);
        let pwords = (n - nd).div_ceil(64);
        let mut pos = vec![0usize; n];
        let (mut next_d, mut next_p) = (0, dwords * 64);
        for (o, p) in pos.iter_mut().enumerate() {
            let counter = if pending[o] { &mut next_p } else { &mut next_d };
            *p = *counter;
            *counter += 1;
        }
        let mut same_before = vec![NONE; n];
        let mut last_of_input: Vec<(&I, u32)> = Vec::new();
        for &(_, is_ret, op) in events {
            let o = op as usize;
            if is_ret || !pending[o] {
                continue;
            }
            match last_of_input
                .iter_mut()
                .find(|(i, _)| **i == part.inputs[o])
            {
                Some(slot) => {
                    same_before[o] = slot.1;
                    slot.1 = op;
                }
                None => last_of_input.push((&part.inputs[o], op)),
            }
        }
        Layout {
            pending,
            pos,
            dwords,
            pwords,
            zobrist: (0..n as u64).map(|i| mix(i ^ 0x5eed)).collect(),
            same_before,
            returns: events.iter().filter(|e| e.1).count(),
        }
    }
}

/// In what order a search tries the candidates of a configuration.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Order {
    /// In history order, pending operations among the definite ones: finds linearizations
    /// where indefinite operations took effect soon after their invocation quickly.
    Eager,
    /// Definite operations first, then pending ones: configurations that use fewer pending
    /// operations come first and dominate those that use more, which makes exhaustive
    /// searches (violations) fast.
    Lazy,
}

/// One depth-first search over a partition, resumable in chunks of steps.
struct Search<'a, M: Model> {
    model: &'a M,
    part: &'a Partition<M::Input, M::Output>,
    layout: &'a Layout,
    order: Order,
    entries: Entries,
    bits: Vec<u64>,
    /// Explored configurations when there are no pending operations.
    memo: Memo<M::State>,
    /// Explored configurations, with dominance, when there are.
    dominance: Dominance<M::State>,
    remaining: usize,
    stack: Vec<(u32, M::State)>,
    best: Vec<u32>,
    unsaved_max: bool,
    state: M::State,
    /// Incremental hash of the linearized definite operations.
    zob: u64,
    /// In `Order::Lazy`, whether this pass over the candidates tries the pending ones.
    pending_pass: bool,
    entry: usize,
}

impl<'a, M: Model> Search<'a, M> {
    fn new(
        model: &'a M,
        part: &'a Partition<M::Input, M::Output>,
        layout: &'a Layout,
        entries: Entries,
        order: Order,
    ) -> Self {
        let entry = entries.next[0] as usize;
        Search {
            model,
            part,
            layout,
            order,
            entries,
            bits: vec![0; layout.dwords + layout.pwords],
            memo: Memo::new(),
            dominance: Dominance::new(),
            remaining: layout.returns,
            stack: Vec::new(),
            best: Vec::new(),
            unsaved_max: false,
            state: model.init(),
            zob: 0,
            pending_pass: false,
            entry,
        }
    }

    fn memo_bytes(&self) -> usize {
        self.memo.bytes() + self.dominance.bytes()
    }

    /// Runs at most `chunk` steps; `None` if the search is not over yet.
    fn run(&mut self, budget: &mut Budget<'_>, chunk: u64) -> Option<Outcome> {
        let layout = self.layout;
        let (dwords, pwords) = (layout.dwords, layout.pwords);
        let lazy = self.order == Order::Lazy && pwords > 0;
        for _ in 0..chunk {
            if self.remaining == 0 {
                return Some(Outcome::Linearizable);
            }
            if !budget.tick() {
                return Some(Outcome::OutOfBudget);
            }
            let entry = self.entry;
            let op = self.entries.op[entry] as usize;
            let is_call = self.entries.ret_of[entry] != NONE;
            if is_call {
                let pending = layout.pending[op];
                if lazy && pending != self.pending_pass {
                    self.entry = self.entries.next[entry] as usize;
                    continue;
                }
                let prior = layout.same_before[op];
                let allowed = prior == NONE || {
                    let b = layout.pos[prior as usize];
                    self.bits[b / 64] >> (b % 64) & 1 == 1
                };
                if allowed
                    && let Some(next_state) = self.model.step(
                        self.state,
                        &self.part.inputs[op],
                        self.part.outputs[op].as_ref(),
                    )
                {
                    let b = layout.pos[op];
                    self.bits[b / 64] |= 1 << (b % 64);
                    let z = if pending {
                        self.zob
                    } else {
                        self.zob ^ layout.zobrist[op]
                    };
                    let h = mix(z ^ hash_state(&next_state));
                    let fresh = if pwords == 0 {
                        self.memo.insert(h, &self.bits, next_state)
                    } else {
                        let (d, p) = self.bits.split_at(dwords);
                        self.dominance.insert(h, d, next_state, p)
                    };
                    if fresh {
                        self.stack.push((entry as u32, self.state));
                        self.state = next_state;
                        self.zob = z;
                        self.entries.lift(entry);
                        if !pending {
                            self.remaining -= 1;
                        }
                        if self.stack.len() > self.best.len() {
                            self.unsaved_max = true;
                        }
                        self.pending_pass = false;
                        self.entry = self.entries.next[0] as usize;
                        continue;
                    }
                    self.bits[b / 64] &= !(1 << (b % 64));
                }
                self.entry = self.entries.next[entry] as usize;
            } else if lazy && !self.pending_pass {
                // Every definite candidate is tried: now the pending ones.
                self.pending_pass = true;
                self.entry = self.entries.next[0] as usize;
            } else {
                // A return: its operation had to be linearized before here, and no candidate
                // leads to a linearization. Backtrack.
                if self.unsaved_max {
                    self.best.clear();
                    let ops = &self.entries.op;
                    self.best
                        .extend(self.stack.iter().map(|&(e, _)| ops[e as usize]));
                    self.unsaved_max = false;
                }
                let Some((e, prev_state)) = self.stack.pop() else {
                    return Some(Outcome::Violation(std::mem::take(&mut self.best)));
                };
                let e = e as usize;
                let op = self.entries.op[e] as usize;
                let b = layout.pos[op];
                self.bits[b / 64] &= !(1 << (b % 64));
                let pending = layout.pending[op];
                self.pending_pass = lazy && pending;
                if !pending {
                    self.zob ^= layout.zobrist[op];
                    self.remaining += 1;
                }
                self.state = prev_state;
                self.entries.unlift(e);
                self.entry = self.entries.next[e] as usize;
            }
        }
        None
    }
}

/// Steps each search runs before the other gets its turn.
const CHUNK: u64 = 1 << 14;

/// Searches one partition. With pending operations, two searches (eager and lazy order) run
/// in alternating chunks and the first to finish gives the outcome: each is fast on
/// histories where the other can be slow, and the alternation costs at most twice the faster.
fn search<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    budget: &mut Budget<'_>,
) -> SearchResult {
    search_with(model, history, part, budget, &[Order::Lazy, Order::Eager])
}

/// [`search`] with the given orders (the first is used alone when nothing is pending).
fn search_with<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    budget: &mut Budget<'_>,
    orders: &[Order],
) -> SearchResult {
    let mut ev = events(history, part);
    // A pending operation invoked after the last return can always be left out.
    let Some(last_ret) = ev.iter().rposition(|e| e.1) else {
        return SearchResult {
            outcome: Outcome::Linearizable,
            memo_bytes: 0,
        };
    };
    ev.truncate(last_ret + 1);
    let layout = Layout::new(part, &ev);
    let entries = Entries::new(&ev, part.ops.len());
    if layout.pwords == 0 || orders.len() == 1 {
        let mut only = Search::new(model, part, &layout, entries, orders[0]);
        let outcome = loop {
            if let Some(outcome) = only.run(budget, u64::MAX) {
                break outcome;
            }
        };
        return SearchResult {
            outcome,
            memo_bytes: only.memo_bytes(),
        };
    }
    let mut searches: Vec<Search<'_, M>> = orders
        .iter()
        .map(|&order| Search::new(model, part, &layout, entries.clone(), order))
        .collect();
    loop {
        for search in &mut searches {
            if let Some(outcome) = search.run(budget, CHUNK) {
                return SearchResult {
                    outcome,
                    memo_bytes: searches.iter().map(Search::memo_bytes).sum(),
                };
            }
        }
    }
}

/// Builds the explanation of a violation from the longest prefix the search found.
fn explain<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    best: &[u32],
) -> Explanation {
    let op_of = |i: usize| history.operations[part.ops[i]].clone();
    // Pending operations at the end of the prefix explain nothing (they are optional, and
    // the search places them eagerly): show them among the candidates instead.
    let keep = best
        .iter()
        .rposition(|&i| part.outputs[i as usize].is_some())
        .map_or(0, |last| last + 1);
    let best = &best[..keep];
    let mut state = model.init();
    let mut prefix = Vec::with_capacity(best.len());
    let mut placed = vec![false; part.ops.len()];
    for &i in best {
        let i = i as usize;
        placed[i] = true;
        // The search stepped these in this order, so each step succeeds.
        state = model
            .step(state, &part.inputs[i], part.outputs[i].as_ref())
            .unwrap_or(state);
        prefix.push(PrefixStep {
            op: op_of(i),
            state_after: model.show_state(state),
        });
    }
    let ev = events(history, part);
    let blocked_pos = ev
        .iter()
        .position(|&(_, is_ret, op)| is_ret && !placed[op as usize]);
    let (blocked, candidates) = match blocked_pos {
        Some(pos) => {
            let blocked = ev[pos].2 as usize;
            let candidates = ev[..pos]
                .iter()
                .filter(|&&(_, is_ret, op)| !is_ret && !placed[op as usize])
                .map(|&(_, _, op)| {
                    let i = op as usize;
                    Candidate {
                        op: op_of(i),
                        possible: model
                            .step(state, &part.inputs[i], part.outputs[i].as_ref())
                            .is_some(),
                    }
                })
                .collect();
            (op_of(blocked), candidates)
        }
        // Cannot happen for a violation; keep the explanation well-formed regardless.
        None => (op_of(0), Vec::new()),
    };
    Explanation {
        model: model.name(),
        partition: part.key.clone(),
        operations: part.ops.len(),
        initial_state: model.show_state(model.init()),
        prefix,
        state: model.show_state(state),
        blocked,
        candidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Output, Value, parse_jepsen_log};
    use crate::model::CasRegister;

    /// The verdict of each order alone (true: linearizable), for a one-partition history.
    fn verdicts_by_order(history: &History) -> [bool; 2] {
        let mut model = CasRegister::new();
        for op in &history.operations {
            model.observe(op);
        }
        let mut part = Partition {
            key: None,
            ops: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        };
        for (i, op) in history.operations.iter().enumerate() {
            if let Some(e) = model.encode(op).expect("register operations") {
                part.ops.push(i);
                part.inputs.push(e.input);
                part.outputs.push(e.output);
            }
        }
        [Order::Eager, Order::Lazy].map(|order| {
            let r = search_with(&model, history, &part, &mut Budget::unlimited(), &[order]);
            match r.outcome {
                Outcome::Linearizable => true,
                Outcome::Violation(_) => false,
                Outcome::OutOfBudget => unreachable!("no budget"),
            }
        })
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix(self.0) % n
        }
    }

    /// A register history executed sequentially at effect points strictly inside each
    /// interval; some operations indefinite (and applied or not).
    fn register_history(seed: u64) -> History {
        let mut rng = Rng(seed);
        let clients = 1 + rng.below(4);
        let n = 1 + rng.below(25) as usize;
        let unknown = rng.below(40);
        let mut cursor = vec![0u64; clients as usize];
        let mut slots: Vec<(u64, u64, u64, u64)> = (0..n)
            .map(|_| {
                let c = rng.below(clients) as usize;
                let call = cursor[c] + rng.below(3);
                let d = 2 + rng.below(12);
                cursor[c] = call + d + 1;
                (call + 1 + rng.below(d - 1), call, call + d, c as u64)
            })
            .collect();
        slots.sort_unstable();
        let mut reg = Value::Nil;
        let mut operations = Vec::new();
        for (_, call, ret, client) in slots {
            let pending = rng.below(100) < unknown;
            let applies = !pending || rng.below(2) == 0;
            let v = Value::Int(rng.below(3) as i64);
            let (f, value, output) = match rng.below(3) {
                0 => ("read", Value::Nil, Output::Ok { value: reg.clone() }),
                1 => {
                    if applies {
                        reg = v.clone();
                    }
                    ("write", v, Output::Ok { value: Value::Nil })
                }
                _ => {
                    let from = Value::Int(rng.below(3) as i64);
                    let ok = reg == from;
                    if ok && applies {
                        reg = v.clone();
                    }
                    let out = if ok {
                        Output::Ok { value: Value::Nil }
                    } else {
                        Output::Fail { error: None }
                    };
                    ("cas", Value::List(vec![from, v]), out)
                }
            };
            operations.push(Operation {
                client,
                f: f.into(),
                key: None,
                value,
                output: if pending { Output::Unknown } else { output },
                call,
                ret: (!pending || rng.below(2) == 0).then_some(ret),
            });
        }
        operations.sort_by_key(|op| op.call);
        History {
            name: "gen".into(),
            operations,
        }
    }

    #[test]
    fn each_search_order_alone_is_exact_on_generated_histories() {
        let mut altered = 0;
        for seed in 0..3000 {
            let h = register_history(seed);
            assert_eq!(verdicts_by_order(&h), [true, true], "seed {seed}: {h:#?}");
            let read = h
                .operations
                .iter()
                .position(|op| op.f == "read" && !op.is_pending());
            if let Some(i) = read {
                let mut bad = h.clone();
                bad.operations[i].output = Output::Ok {
                    value: Value::Int(99),
                };
                assert_eq!(verdicts_by_order(&bad), [false, false], "seed {seed}");
                altered += 1;
            }
        }
        assert!(altered > 1000);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // reads the corpus
    fn each_search_order_alone_agrees_on_the_etcd_corpus() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jepsen-etcd");
        let verdicts = std::fs::read_to_string(format!("{dir}/verdicts.tsv")).expect("tsv");
        for line in verdicts.lines().skip(1) {
            let (file, expected) = line.split_once('\t').expect("two columns");
            let expected: bool = expected.trim().parse().expect("bool");
            let text = std::fs::read_to_string(format!("{dir}/{file}")).expect("file");
            let h = parse_jepsen_log(file, &text).expect("parses");
            assert_eq!(verdicts_by_order(&h), [expected; 2], "{file}");
        }
    }
}
