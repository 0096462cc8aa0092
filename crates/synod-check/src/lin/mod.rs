//! The linearizability checker: Wing & Gong's search as Lowe improved it, with memoization of
//! (set of linearized operations, model state) and P-compositionality, searching the
//! partitions (keys) interleaved and on as many threads as the caller gives it, in bounded
//! memory.
//!
//! A history is linearizable if each operation can be given a point between its invocation and
//! its return such that executing the operations one at a time, in the order of their points,
//! against the [`Model`] gives every definite output the history records. An operation that
//! never returned or returned an indefinite result may take effect at any point after its
//! invocation, or never.
//!
//! - `search`: the search of one partition, resumable in slices and bounded in memory;
//! - `schedule`: the partitions' searches interleaved in slices, on the caller's threads,
//!   with an answer that does not depend on their number.
//!
//! The library reads no clock and starts no thread: a [`Budget`] bounds the work by steps per
//! key, by memory and/or by a `stop` closure the caller supplies (the CLI passes one that looks
//! at the wall clock); [`check_with`] hands the work to threads the caller starts. Running out
//! gives [`Verdict::Unknown`], naming each key that gave up and why.

mod schedule;
mod search;
pub mod stream;

use crate::history::{History, Operation};
use crate::model::Model;
use schedule::{Check, KeyEnd};
pub use schedule::{GaveUp, Limits};
use search::Partition;
use std::collections::BTreeMap;
use std::fmt;

/// How much work a check may do, for [`check`] on the caller's thread.
///
/// ```
/// use synod_check::Budget;
/// let budget = Budget::unlimited().with_max_steps(1_000_000).with_max_memory(1 << 30);
/// let mut polls = 0;
/// let budget = Budget::unlimited().with_stop(move || { polls += 1; polls > 10 });
/// ```
pub struct Budget<'a> {
    limits: Limits,
    stop: Option<Box<dyn FnMut() -> bool + 'a>>,
    steps: u64,
}

impl<'a> Budget<'a> {
    /// No limit: the search runs until it has a verdict.
    pub fn unlimited() -> Self {
        Budget {
            limits: Limits::default(),
            stop: None,
            steps: 0,
        }
    }

    /// At most `max` search steps for each key; a key that uses them gives up.
    pub fn with_max_steps(mut self, max: u64) -> Self {
        self.limits.max_steps = Some(max);
        self
    }

    /// At most `bytes` of search structures (memo tables, lists, stacks) held at once, over
    /// all keys; a key whose search would need more gives up.
    pub fn with_max_memory(mut self, bytes: usize) -> Self {
        self.limits.max_memory = Some(bytes);
        self
    }

    /// Asks `stop` between slices of the search (every few thousand steps); the check gives
    /// up when it returns true.
    pub fn with_stop(mut self, stop: impl FnMut() -> bool + 'a) -> Self {
        self.stop = Some(Box::new(stop));
        self
    }

    /// The limits on steps and memory.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The steps used so far, over every check this budget was used for.
    pub fn steps_used(&self) -> u64 {
        self.steps
    }
}

impl fmt::Debug for Budget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("limits", &self.limits)
            .field("has_stop", &self.stop.is_some())
            .field("steps", &self.steps)
            .finish()
    }
}

/// `1.5 MiB`: a byte count as a person reads it.
pub fn show_bytes(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
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
    /// Set when `blocked` is possible in no state that any order of the partition's
    /// operations reaches (found before searching; the prefix is then empty).
    pub never_possible: Option<NeverPossible>,
    /// Set by the streaming check ([`stream`]), which keeps no prefix: `state` then lists
    /// every state the key's earlier operations may have left it in (joined by `or`), and the
    /// candidates are the operations in flight when `blocked` returned.
    pub streamed: bool,
}

/// The states an operation was tried in, when it is possible in none of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeverPossible {
    /// How many states some order of the partition's operations reaches.
    pub reachable: usize,
    /// A few of them, as the model shows them.
    pub examples: Vec<String>,
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
        if let Some(never) = &self.never_possible {
            let more = if never.reachable > never.examples.len() {
                ", ..."
            } else {
                ""
            };
            out.push_str(&format!(
                "  this operation is possible in no state that any order of the key's operations reaches:\n    {}  {}\n  ({} states reachable: {}{more})\n",
                span(&self.blocked),
                self.blocked,
                never.reachable,
                never.examples.join(", ")
            ));
            return out;
        }
        if self.streamed {
            out.push_str(&format!(
                "  checked as it streamed: the {} operations before this one left the key in state {}\n",
                self.operations.saturating_sub(1),
                self.state
            ));
            out.push_str(&format!(
                "  and in none of them can this operation take effect before it returns at {}, even after operations still in flight:\n",
                self.blocked.ret.unwrap_or(0)
            ));
            out.push_str(&format!("    {}  {}\n", span(&self.blocked), self.blocked));
            out.push_str("  the operations in flight then:\n");
            for c in &self.candidates {
                let why = if c.possible {
                    "possible in one of those states, but nothing linearizable follows"
                } else {
                    "impossible in each of those states"
                };
                out.push_str(&format!("    {}  {}  {why}\n", span(&c.op), c.op));
            }
            return out;
        }
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

/// Where a check stopped without a verdict: no key was refuted, and some were not decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// Each key that was not decided (`None` for a single object), and why.
    pub undecided: Vec<(Option<String>, GaveUp)>,
    /// Keys found linearizable.
    pub linearizable: usize,
}

impl fmt::Display for Incomplete {
    /// `key "b" ran out of steps after 20000000; 4 keys linearizable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, why)) in self.undecided.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match key {
                Some(k) => write!(f, "key {k:?} {why}")?,
                None => write!(f, "the history {why}")?,
            }
        }
        if self.linearizable > 0 {
            let keys = if self.linearizable == 1 {
                "key"
            } else {
                "keys"
            };
            write!(f, "; {} {keys} linearizable", self.linearizable)?;
        }
        Ok(())
    }
}

/// What became of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// A linearization was found.
    Linearizable,
    /// No linearization exists (this is the key the verdict explains).
    NotLinearizable,
    /// Its search gave up.
    GaveUp(GaveUp),
    /// Not searched to the end: another key was refuted first, so the verdict did not need it.
    Skipped,
}

/// One key's search: its operations, outcome, cost, and the order it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyReport {
    /// The key (`None` for a single object).
    pub key: Option<String>,
    /// The operations the model checks for this key (indices into the history), in history
    /// order.
    pub operations: Vec<usize>,
    /// What became of it.
    pub status: KeyStatus,
    /// Search steps used.
    pub steps: u64,
    /// The most memory its search structures held, in bytes.
    pub peak_bytes: usize,
    /// A linearization (indices into the history, in order; pending operations that never
    /// took effect are left out) if the key is linearizable; otherwise the longest
    /// linearizable prefix the search found.
    pub order: Vec<usize>,
    /// With [`Detail::States`], the model's state after each operation of `order`.
    pub states: Vec<String>,
    /// The state before any operation, as the model shows it.
    pub initial_state: String,
}

/// How much a report says about each key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// Verdicts, orders and costs.
    #[default]
    Verdicts,
    /// Also the state after each operation of each key's order (for pictures).
    States,
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
    /// Search steps used, over all keys.
    pub steps: u64,
    /// The most memory the search structures of all keys held at once, in bytes.
    pub peak_bytes: usize,
    /// Each key, smallest first (the order the search takes them in).
    pub keys: Vec<KeyReport>,
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
            Verdict::Unknown(why) => format!("unknown: {why} ({counts})"),
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

/// The work of a check, for the caller's threads: each runs [`Work::work`].
pub trait Work: Sync {
    /// Works on the check until there is nothing left to do or `stop` (asked between slices)
    /// says so.
    fn work(&self, stop: &mut dyn FnMut() -> bool);

    /// Keys with a search to run: more threads than this cannot help.
    fn keys(&self) -> usize;
}

impl<M: Model> Work for Check<'_, M>
where
    M: Sync,
    M::Input: Sync,
    M::Output: Sync,
    M::State: Send,
{
    fn work(&self, stop: &mut dyn FnMut() -> bool) {
        Check::work(self, stop);
    }

    fn keys(&self) -> usize {
        self.searching()
    }
}

/// A model's partition.
type Parts<M> = Partition<<M as Model>::Input, <M as Model>::Output>;

/// Reads the history into partitions (after showing the model every operation).
fn partitions<M: Model>(model: &mut M, history: &History) -> Result<Vec<Parts<M>>, ModelError> {
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
        let part = parts
            .entry(key.clone())
            .or_insert_with(|| Partition::new(key));
        part.ops.push(index);
        part.inputs.push(encoded.input);
        part.outputs.push(encoded.output);
    }
    Ok(parts.into_values().collect())
}

/// Checks `history` against `model` on the caller's thread, within `budget`.
///
/// The keys are searched interleaved, smallest first, in slices of steps: the first key
/// refuted answers "not linearizable"; a key that gives up (steps, memory) does not stop the
/// others; the answer is `unknown` only when no key was refuted and some key gave up.
pub fn check<M: Model>(
    model: &mut M,
    history: &History,
    budget: &mut Budget<'_>,
) -> Result<CheckReport, ModelError> {
    let parts = partitions(model, history)?;
    let model: &M = model;
    let check = Check::new(model, history, parts, budget.limits, 1);
    let mut never = || false;
    let stop: &mut dyn FnMut() -> bool = match &mut budget.stop {
        Some(stop) => stop.as_mut(),
        None => &mut never,
    };
    check.work(stop);
    let report = report(&check, Detail::Verdicts);
    budget.steps += report.steps;
    Ok(report)
}

/// Checks `history` against `model` on threads the caller starts: `drive` is handed the
/// work and must run [`Work::work`] on each of `workers` threads (no more than
/// [`Work::keys`] are useful; on its own thread for one) and return when they are done.
///
/// The verdict and its explanation do not depend on `workers` or on how the threads are
/// scheduled, unless the caller's `stop` or the memory bound cuts the check short (which can
/// only give `unknown`, or a refutation of another key: every refutation found is true).
pub fn check_with<M>(
    model: &mut M,
    history: &History,
    limits: Limits,
    workers: usize,
    detail: Detail,
    drive: &mut dyn FnMut(&dyn Work),
) -> Result<CheckReport, ModelError>
where
    M: Model + Sync,
    M::Input: Sync,
    M::Output: Sync,
    M::State: Send,
{
    let parts = partitions(model, history)?;
    let model: &M = model;
    // More workers than keys find nothing to do; counting them would shrink the memory each
    // slice may use.
    let workers = workers.clamp(1, parts.len().max(1));
    let check = Check::new(model, history, parts, limits, workers);
    drive(&check);
    Ok(report(&check, detail))
}

/// The report of a check whose workers are done.
fn report<M: Model>(check: &Check<'_, M>, detail: Detail) -> CheckReport {
    let finished = check.finish();
    let (model, history) = (check.model(), check.history());
    let mut keys = Vec::with_capacity(check.parts.len());
    let mut undecided = Vec::new();
    let mut linearizable = 0;
    for (k, (part, end)) in check.parts.iter().zip(&finished.ends).enumerate() {
        let (status, order) = match end {
            // Refuted before searching: there is no prefix to show.
            KeyEnd::Impossible(_) if finished.refuted == Some(k) => {
                (KeyStatus::NotLinearizable, &[][..])
            }
            KeyEnd::Impossible(_) => (KeyStatus::Skipped, &[][..]),
            KeyEnd::Linearizable(order) => {
                linearizable += 1;
                (KeyStatus::Linearizable, &order[..])
            }
            KeyEnd::Violation(best) if finished.refuted == Some(k) => {
                (KeyStatus::NotLinearizable, without_pending_tail(part, best))
            }
            // Refuted too, but after the key the verdict explains: the verdict did not need
            // it (and a single worker would not have got there).
            KeyEnd::Violation(best) => (KeyStatus::Skipped, &best[..]),
            KeyEnd::GaveUp(why, longest) => {
                undecided.push((part.key.clone(), *why));
                (KeyStatus::GaveUp(*why), &longest[..])
            }
            KeyEnd::Unfinished(longest) if finished.refuted.is_some() => {
                (KeyStatus::Skipped, &longest[..])
            }
            KeyEnd::Unfinished(longest) => {
                undecided.push((part.key.clone(), GaveUp::Stopped));
                (KeyStatus::GaveUp(GaveUp::Stopped), &longest[..])
            }
        };
        let states = match detail {
            Detail::Verdicts => Vec::new(),
            Detail::States => replay(model, history, part, order),
        };
        keys.push(KeyReport {
            key: part.key.clone(),
            operations: part.ops.clone(),
            status,
            steps: finished.steps[k],
            peak_bytes: finished.key_peak[k],
            order: order.iter().map(|&i| part.ops[i as usize]).collect(),
            states,
            initial_state: model.show_state(&model.init()),
        });
    }
    let verdict = match finished.refuted {
        Some(k) => {
            let part = &check.parts[k];
            Verdict::NotLinearizable(Box::new(match &finished.ends[k] {
                KeyEnd::Impossible(op) => explain_impossible(model, history, part, *op),
                KeyEnd::Violation(best) => explain(model, history, part, best),
                _ => unreachable!("the refuted key ended in a violation"),
            }))
        }
        None if undecided.is_empty() => Verdict::Linearizable,
        None => Verdict::Unknown(Incomplete {
            undecided,
            linearizable,
        }),
    };
    CheckReport {
        verdict,
        operations: history.operations.len(),
        partitions: check.parts.len(),
        steps: finished.steps.iter().sum(),
        peak_bytes: finished.peak,
        keys,
    }
}

/// The state after each operation of `order` (which the search placed in this order, so each
/// step succeeds), as a person reads it, and the state after all of them.
fn states_along<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    order: &[u32],
) -> (Vec<String>, String) {
    let mut state = model.init();
    let mut writer: Option<&Operation> = None;
    let show = |state: &M::State, writer: Option<&Operation>| match writer {
        Some(op) => model.show_state_written(state, op),
        None => model.show_state(state),
    };
    let mut shown = Vec::with_capacity(order.len());
    for &i in order {
        let i = i as usize;
        let (input, output) = (&part.inputs[i], part.outputs[i].as_ref());
        if let Some(next) = model.step(&state, input, output) {
            // The operation that put the partition in its state: the last that changed it,
            // or a definite write (of the same state).
            let writes = output.is_some_and(|o| !model.is_read_only(input, o));
            if next != state || writes {
                writer = Some(&history.operations[part.ops[i]]);
            }
            state = next;
        }
        shown.push(show(&state, writer));
    }
    let last = show(&state, writer);
    (shown, last)
}

/// The states along `order`, for a report with [`Detail::States`].
fn replay<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    order: &[u32],
) -> Vec<String> {
    states_along(model, history, part, order).0
}

/// The longest prefix without the pending operations at its end: they explain nothing (they
/// are optional, and the search places them eagerly), so the explanation shows them among the
/// candidates instead.
fn without_pending_tail<'b, I, O>(part: &Partition<I, O>, best: &'b [u32]) -> &'b [u32] {
    let keep = best
        .iter()
        .rposition(|&i| part.outputs[i as usize].is_some())
        .map_or(0, |last| last + 1);
    &best[..keep]
}

/// The explanation of an operation that is possible in no reachable state.
fn explain_impossible<M: Model>(
    model: &M,
    history: &History,
    part: &Partition<M::Input, M::Output>,
    op: u32,
) -> Explanation {
    let blocked = history.operations[part.ops[op as usize]].clone();
    let states = search::reachable_states(model, part).unwrap_or_default();
    const EXAMPLES: usize = 6;
    Explanation {
        model: model.name(),
        partition: part.key.clone(),
        operations: part.ops.len(),
        initial_state: model.show_state(&model.init()),
        prefix: Vec::new(),
        state: model.show_state(&model.init()),
        candidates: vec![Candidate {
            op: blocked.clone(),
            possible: false,
        }],
        blocked,
        never_possible: Some(NeverPossible {
            reachable: states.len(),
            examples: states
                .iter()
                .take(EXAMPLES)
                .map(|s| model.show_state(s))
                .collect(),
        }),
        streamed: false,
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
    let best = without_pending_tail(part, best);
    let (states, state) = states_along(model, history, part, best);
    let mut placed = vec![false; part.ops.len()];
    let mut prefix = Vec::with_capacity(best.len());
    for (&i, state_after) in best.iter().zip(states) {
        placed[i as usize] = true;
        prefix.push(PrefixStep {
            op: op_of(i as usize),
            state_after,
        });
    }
    // The model state after the prefix, to ask which candidates could come next.
    let mut model_state = model.init();
    for &i in best {
        let i = i as usize;
        if let Some(next) = model.step(&model_state, &part.inputs[i], part.outputs[i].as_ref()) {
            model_state = next;
        }
    }
    let ev = search::events(history, part);
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
                            .step(&model_state, &part.inputs[i], part.outputs[i].as_ref())
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
        initial_state: model.show_state(&model.init()),
        prefix,
        state,
        blocked,
        candidates,
        never_possible: None,
        streamed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Output, Value, parse_jepsen_log};
    use crate::memo::mix;
    use crate::model::CasRegister;

    /// The verdict of each order alone (true: linearizable), for a one-partition history.
    fn verdicts_by_order(history: &History) -> [bool; 2] {
        let mut model = CasRegister::new();
        let parts = partitions(&mut model, history).expect("register operations");
        assert!(parts.len() <= 1);
        let Some(part) = parts.first() else {
            return [true, true];
        };
        [search::Order::Eager, search::Order::Lazy].map(|order| {
            let start = search::KeySearch::start_with(&model, history, part, &[order], false);
            let mut search = match start {
                search::Start::Done(outcome) => {
                    return matches!(outcome, search::Outcome::Linearizable(_));
                }
                search::Start::Search(search) => search,
            };
            let mut room = crate::memo::Room(usize::MAX / 4);
            loop {
                match search.run(&model, part, 1000, &mut room) {
                    None => continue,
                    Some(search::Outcome::Linearizable(_)) => return true,
                    Some(search::Outcome::Violation(_) | search::Outcome::Impossible(_)) => {
                        return false;
                    }
                    Some(search::Outcome::OutOfMemory) => unreachable!("no bound"),
                }
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
    fn an_operation_no_reachable_state_allows_is_refuted_before_searching() {
        let log = |lines: &[&str]| -> History {
            let text: String = lines
                .iter()
                .map(|l| format!("INFO  jepsen.util - {l}\n"))
                .collect();
            parse_jepsen_log("h.log", &text).expect("parses")
        };
        // A read of 7, and nobody writes 7: impossible whatever the order.
        let never = log(&[
            "0\t:invoke\t:write\t1",
            "1\t:invoke\t:read\tnil",
            "1\t:ok\t:read\t7",
            "0\t:ok\t:write\t1",
        ]);
        let report = check(&mut CasRegister::new(), &never, &mut Budget::unlimited()).unwrap();
        let Verdict::NotLinearizable(why) = &report.verdict else {
            panic!("read of an unwritten value accepted")
        };
        let never = why.never_possible.as_ref().expect("found before searching");
        assert_eq!(never.reachable, 2, "nil and 1");
        assert_eq!(report.steps, 0, "no search step");
        assert!(why.to_string().contains("possible in no state"), "{why}");
        // A stale read of a value that was written is possible in some state: the search,
        // not the shortcut, refutes it.
        let stale = log(&[
            "0\t:invoke\t:write\t1",
            "0\t:ok\t:write\t1",
            "0\t:invoke\t:write\t2",
            "0\t:ok\t:write\t2",
            "1\t:invoke\t:read\tnil",
            "1\t:ok\t:read\t1",
        ]);
        let report = check(&mut CasRegister::new(), &stale, &mut Budget::unlimited()).unwrap();
        let Verdict::NotLinearizable(why) = &report.verdict else {
            panic!("stale read accepted")
        };
        assert!(why.never_possible.is_none());
        assert!(report.steps > 0);
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
