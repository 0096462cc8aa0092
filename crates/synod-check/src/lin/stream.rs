//! The streaming check: a history checked as it happens, in memory bounded by the operations in
//! flight, not by its length.
//!
//! The whole-history search (`search`) needs every operation of a key before it starts. A run
//! of a million requests would keep a million operations for it. The streaming check keeps,
//! per key, only the *frontier*: every configuration the operations so far may have left the
//! key in, as (model state, set of operations still in flight that are already linearized).
//! This is Lowe's just-in-time linearization ("Testing for linearizability", 2017), the
//! algorithm of Knossos's `linear` checker, over the same [`Model`]s as the search:
//!
//! - an **invocation** adds the operation to the key's operations in flight; nothing is
//!   decided yet (it may take effect at any point before it returns);
//! - a **return** forces the operation: each configuration that has not linearized it must do
//!   so now, after any sequence of other operations in flight (linearized early, just in time
//!   for this one); the configurations where its output is possible make the new frontier;
//!   an empty frontier refutes the key at this operation;
//! - an operation with an **indefinite** result (a timeout, Jepsen's `:info`) or none stays in
//!   flight for good: it may take effect whenever another operation needs it, or never.
//!
//! Three rules keep the frontier small, each exact: a read-only operation
//! ([`Model::is_read_only`]) that is possible in a configuration is linearized there at once
//! (moving it earlier changes no state and breaks no real-time order: the search's "reads
//! first" rule); identical configurations are kept once; and a configuration that has done
//! every read another has, with the same state and the same state-changing definite
//! operations, and used only a subset of its indefinite ones, makes the other redundant
//! (dominance: indefinite operations are optional).
//!
//! When a key has no operation in flight its frontier is just the set of states its history
//! may have left it in; between such points the frontier also remembers which operations in
//! flight took effect early. Under fifty concurrent clients a key is rarely quiet, so the
//! check never waits for quiet points: it moves forward at every return.
//!
//! An operation's output is needed to linearize it early, so the events of a key wait in a
//! short queue until the operation invoked first among them has returned (or the history
//! ends). The queue is as long as the events of the key during its longest operation in
//! flight.
//!
//! Bounds: a key whose frontier would exceed [`StreamLimits::max_configs`] configurations, or
//! whose one return would take more than [`StreamLimits::max_steps`] model steps, gives up (the
//! verdict is then `unknown` unless another key is refuted), and its events are dropped from
//! then on. No clock, no thread: like the search, the verdict is a function of the history.

use super::{Candidate, CheckReport, Explanation, GaveUp, Incomplete, ModelError, Verdict};
use crate::history::{HistoryError, Operation, Output, Value};
use crate::memo::{hash_state, mix};
use crate::model::{Encoded, Model};
use std::collections::{BTreeMap, VecDeque};
use std::mem::size_of;
use synod_core::{ClientOp, ClientResult, NodeId};

/// Bounds of a streaming check, per key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// Configurations a key's frontier may hold.
    pub max_configs: usize,
    /// Model steps one return may take to compute the new frontier.
    pub max_steps: u64,
}

impl Default for StreamLimits {
    /// 65,536 configurations, 2,000,000 steps per return: far above what synod's runs need
    /// (a handful of configurations, tens of steps), small enough to stay in a few MiB.
    fn default() -> Self {
        StreamLimits {
            max_configs: 1 << 16,
            max_steps: 2_000_000,
        }
    }
}

/// What a streaming check held at its largest, for the figures a run prints.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// The most configurations one key's frontier held.
    pub max_frontier: usize,
    /// The most operations in flight (invoked, not yet returned) on one key, counting those
    /// that will never return.
    pub max_in_flight: usize,
    /// The most events one key's queue held, waiting for an output.
    pub max_queued: usize,
    /// The most operations the check held at once, over all keys (in flight or queued).
    pub max_held: usize,
    /// Model steps taken, over all keys.
    pub steps: u64,
    /// The most bytes one key's frontier and the configurations of one return's search held.
    pub max_bytes: usize,
}

/// A configuration: a state, and the operations in flight (slots) linearized so far, sorted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Config<S> {
    state: S,
    lin: Vec<u32>,
}

/// One operation of a key while the check holds it.
struct Slot<I, O> {
    op: Operation,
    /// The model's reading of it, once its invocation is processed (`None` before, or when
    /// the model drops it).
    enc: Option<Encoded<I, O>>,
    /// Its output is known (it returned, or the history ended).
    settled: bool,
    /// A definite operation that changes no state.
    read_only: bool,
    /// Its events still queued (invocation, return).
    events: u8,
    /// In flight: invoked (processed), not yet returned, or never returning.
    flying: bool,
}

/// How a key stands.
enum KeyState {
    Checking,
    Refuted,
    GaveUp(GaveUp),
}

/// The streaming check of one key.
struct KeyStream<M: Model> {
    key: Option<String>,
    slots: Vec<Option<Slot<M::Input, M::Output>>>,
    free: Vec<u32>,
    /// Events not processed yet: (is return, slot).
    queue: VecDeque<(bool, u32)>,
    /// Operations in flight whose invocation is processed, in order of invocation.
    in_flight: Vec<u32>,
    frontier: Vec<Config<M::State>>,
    status: KeyState,
    /// Operations of the key the model checks.
    operations: usize,
}

/// A check of a history fed one event at a time: see the [module documentation](self).
///
/// ```
/// use synod_check::{CasRegister, Output, Stream, Value};
///
/// let mut s = Stream::new(CasRegister::new(), "stale").unwrap();
/// s.invoke(0, None, "write", None, Value::Int(1), 1).unwrap();
/// s.complete(0, None, Output::Ok { value: Value::Nil }, 2).unwrap();
/// s.invoke(1, None, "read", None, Value::Nil, 3).unwrap();
/// s.complete(1, None, Output::Ok { value: Value::Nil }, 4).unwrap();
/// let report = s.finish().unwrap();
/// assert_eq!(report.verdict.label(), "NOT linearizable");
/// ```
pub struct Stream<M: Model> {
    model: M,
    name: String,
    limits: StreamLimits,
    /// The keys, in order of their first operation.
    keys: Vec<KeyStream<M>>,
    /// Each key's position in `keys`.
    index: BTreeMap<Option<String>, usize>,
    /// Each client's outstanding operation: its key's position, slot and op id.
    outstanding: BTreeMap<u64, (usize, u32, Option<u64>)>,
    /// The first key refuted, and why.
    refuted: Option<Box<Explanation>>,
    /// The first operation the model could not read.
    error: Option<ModelError>,
    operations: usize,
    held: usize,
    stats: StreamStats,
}

impl<M: Model> Stream<M> {
    /// A streaming check with `model`, for the history called `name` (in messages). Fails if
    /// the model needs to see the whole history first ([`Model::streaming`]); such a model
    /// can still stream once its [`Model::observe`] has seen every operation:
    /// [`Stream::observed`].
    pub fn new(mut model: M, name: &str) -> Result<Self, String> {
        if !model.streaming() {
            return Err(format!(
                "the {} model needs the whole history before it checks (it learns which values are read); it cannot stream",
                model.name()
            ));
        }
        Ok(Stream::observed(model, name))
    }

    /// A streaming check with a `model` that has already observed every operation of the
    /// history (for models that cannot stream otherwise, and for tests).
    pub fn observed(model: M, name: &str) -> Self {
        Stream {
            model,
            name: name.to_string(),
            limits: StreamLimits::default(),
            keys: Vec::new(),
            index: BTreeMap::new(),
            outstanding: BTreeMap::new(),
            refuted: None,
            error: None,
            operations: 0,
            held: 0,
            stats: StreamStats::default(),
        }
    }

    /// The same check with other bounds.
    pub fn with_limits(mut self, limits: StreamLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The figures so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// Operations fed so far.
    pub fn operations(&self) -> usize {
        self.operations
    }

    /// Client `client` invokes an operation at point `at` (points must grow from call to
    /// call; at equal points, feed invocations before returns). As
    /// [`HistoryBuilder::invoke`](crate::HistoryBuilder::invoke).
    pub fn invoke(
        &mut self,
        client: u64,
        op_id: Option<u64>,
        f: impl Into<String>,
        key: Option<String>,
        value: Value,
        at: u64,
    ) -> Result<(), HistoryError> {
        if let Some((k, slot, _)) = self.outstanding.get(&client) {
            let previous = self.keys[*k].slot(*slot).op.call;
            return Err(HistoryError::TwoOutstanding {
                file: self.name.clone(),
                line: at,
                client,
                previous,
            });
        }
        let op = Operation {
            client,
            f: f.into(),
            key,
            value,
            output: Output::Unknown,
            call: at,
            ret: None,
        };
        let part = self.model.partition(&op);
        let k = match self.index.get(&part) {
            Some(&k) => k,
            None => {
                let k = self.keys.len();
                self.keys
                    .push(KeyStream::new(part.clone(), self.model.init()));
                self.index.insert(part, k);
                k
            }
        };
        let slot = self.keys[k].add(op);
        self.outstanding.insert(client, (k, slot, op_id));
        self.operations += 1;
        self.held += 1;
        self.stats.max_held = self.stats.max_held.max(self.held);
        Ok(())
    }

    /// Client `client`'s outstanding operation returns `output` at point `at`. As
    /// [`HistoryBuilder::complete`](crate::HistoryBuilder::complete).
    pub fn complete(
        &mut self,
        client: u64,
        op_id: Option<u64>,
        output: Output,
        at: u64,
    ) -> Result<(), HistoryError> {
        let Some((part, slot, invoked_id)) = self.outstanding.remove(&client) else {
            return Err(HistoryError::ReturnWithoutInvoke {
                file: self.name.clone(),
                line: at,
                client,
            });
        };
        if op_id.is_some() && op_id != invoked_id {
            let call = self.keys[part].slot(slot).op.call;
            self.outstanding.insert(client, (part, slot, invoked_id));
            return Err(HistoryError::Mismatch {
                file: self.name.clone(),
                line: at,
                reason: format!(
                    "client {client} returns op {} but its outstanding operation is op {} (line {call})",
                    op_id.unwrap_or_default(),
                    invoked_id.map_or_else(|| "without id".to_string(), |i| i.to_string()),
                ),
            });
        }
        let ks = &mut self.keys[part];
        let s = ks.slot_mut(slot);
        s.op.output = output;
        s.op.ret = Some(at);
        s.settled = true;
        s.events += 1;
        ks.queue.push_back((true, slot));
        self.pump(part, false);
        Ok(())
    }

    /// synod's client `invoke` event.
    pub fn invoke_client_op(
        &mut self,
        client: NodeId,
        op_id: u64,
        op: &ClientOp,
        at: u64,
    ) -> Result<(), HistoryError> {
        let (f, key, value) = crate::history::client_op_fields(op);
        self.invoke(u64::from(client.0), Some(op_id), f, key, value, at)
    }

    /// synod's client `return` event.
    pub fn complete_client_op(
        &mut self,
        client: NodeId,
        op_id: u64,
        result: &ClientResult,
        at: u64,
    ) -> Result<(), HistoryError> {
        let output = crate::history::client_output(result);
        self.complete(u64::from(client.0), Some(op_id), output, at)
    }

    /// The history ended: operations still outstanding never returned. The verdict, or the
    /// first operation the model could not read.
    pub fn finish(mut self) -> Result<CheckReport, ModelError> {
        for k in 0..self.keys.len() {
            self.pump(k, true);
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut undecided = Vec::new();
        let mut linearizable = 0;
        for ks in &self.keys {
            match ks.status {
                KeyState::Checking => linearizable += 1,
                KeyState::GaveUp(why) => undecided.push((ks.key.clone(), why)),
                KeyState::Refuted => {}
            }
        }
        let verdict = match self.refuted {
            Some(why) => Verdict::NotLinearizable(why),
            None if undecided.is_empty() => Verdict::Linearizable,
            None => Verdict::Unknown(Incomplete {
                undecided,
                linearizable,
            }),
        };
        Ok(CheckReport {
            verdict,
            operations: self.operations,
            partitions: self.keys.len(),
            steps: self.stats.steps,
            peak_bytes: self.stats.max_bytes,
            keys: Vec::new(),
        })
    }

    /// Processes the queued events of key `part` that can be processed: all of them at the
    /// end of the history, otherwise up to the first invocation whose output is not known.
    fn pump(&mut self, part: usize, end: bool) {
        loop {
            let ks = &mut self.keys[part];
            self.stats.max_queued = self.stats.max_queued.max(ks.queue.len());
            let Some(&(is_ret, slot)) = ks.queue.front() else {
                return;
            };
            if !is_ret && !end && !ks.slot(slot).settled {
                return;
            }
            ks.queue.pop_front();
            ks.slot_mut(slot).events -= 1;
            if matches!(ks.status, KeyState::Checking) {
                if is_ret {
                    self.on_return(part, slot);
                } else {
                    self.on_invoke(part, slot);
                }
            }
            let ks = &mut self.keys[part];
            // (A key that stopped may have released it already.)
            if let Some(s) = &ks.slots[slot as usize]
                && s.events == 0
                && !s.flying
            {
                ks.release(slot);
                self.held -= 1;
            }
        }
    }

    /// The invocation of `slot`, whose output is known (or never will be).
    fn on_invoke(&mut self, part: usize, slot: u32) {
        let ks = &mut self.keys[part];
        let s = ks.slots[slot as usize].as_mut().expect("live slot");
        match self.model.encode(&s.op) {
            Err(reason) => {
                if self.error.is_none() {
                    self.error = Some(ModelError {
                        file: self.name.clone(),
                        line: s.op.call,
                        model: self.model.name(),
                        operation: s.op.to_string(),
                        reason,
                    });
                }
                self.held -= ks.stop(KeyState::GaveUp(GaveUp::Stopped));
            }
            // Dropped by the model: it constrains nothing.
            Ok(None) => {}
            Ok(Some(enc)) => {
                s.read_only = enc
                    .output
                    .as_ref()
                    .is_some_and(|o| self.model.is_read_only(&enc.input, o));
                s.enc = Some(enc);
                s.flying = true;
                ks.operations += 1;
                ks.in_flight.push(slot);
                ks.on_invoke(&self.model, slot);
                self.stats.max_in_flight = self.stats.max_in_flight.max(ks.in_flight.len());
                self.stats.max_frontier = self.stats.max_frontier.max(ks.frontier.len());
            }
        }
    }

    /// The return of `slot`.
    fn on_return(&mut self, part: usize, slot: u32) {
        let ks = &mut self.keys[part];
        match ks.on_return(&self.model, slot, self.limits, &mut self.stats) {
            Ok(()) => {}
            Err(Fail::Refuted(why)) => {
                self.held -= ks.stop(KeyState::Refuted);
                if self.refuted.is_none() {
                    self.refuted = Some(why);
                }
            }
            Err(Fail::GaveUp(why)) => self.held -= ks.stop(KeyState::GaveUp(why)),
        }
    }
}

/// Why a key stopped.
enum Fail {
    Refuted(Box<Explanation>),
    GaveUp(GaveUp),
}

impl<M: Model> KeyStream<M> {
    fn new(key: Option<String>, init: M::State) -> Self {
        KeyStream {
            key,
            slots: Vec::new(),
            free: Vec::new(),
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            frontier: vec![Config {
                state: init,
                lin: Vec::new(),
            }],
            status: KeyState::Checking,
            operations: 0,
        }
    }

    fn slot(&self, slot: u32) -> &Slot<M::Input, M::Output> {
        self.slots[slot as usize].as_ref().expect("live slot")
    }

    /// Holds a newly invoked operation; queues its invocation.
    fn add(&mut self, op: Operation) -> u32 {
        let s = Slot {
            op,
            enc: None,
            settled: false,
            read_only: false,
            events: 1,
            flying: false,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(s);
                i
            }
            None => {
                self.slots.push(Some(s));
                (self.slots.len() - 1) as u32
            }
        };
        self.queue.push_back((false, slot));
        slot
    }

    fn slot_mut(&mut self, slot: u32) -> &mut Slot<M::Input, M::Output> {
        self.slots[slot as usize].as_mut().expect("live slot")
    }

    fn release(&mut self, slot: u32) {
        self.slots[slot as usize] = None;
        self.free.push(slot);
    }

    /// Stops checking the key: frees its frontier; its operations in flight are released as
    /// their events leave the queue (or now, if none is queued).
    /// Returns how many operations it released.
    fn stop(&mut self, status: KeyState) -> usize {
        self.status = status;
        self.frontier = Vec::new();
        let mut released = 0;
        for o in std::mem::take(&mut self.in_flight) {
            let s = self.slot_mut(o);
            s.flying = false;
            if s.events == 0 {
                self.release(o);
                released += 1;
            }
        }
        released
    }

    fn input(&self, slot: u32) -> (&M::Input, Option<&M::Output>) {
        let enc = self.slot(slot).enc.as_ref().expect("encoded");
        (&enc.input, enc.output.as_ref())
    }

    /// Linearizes in `c` every read-only operation in flight that is possible in its state
    /// (exact: see the module documentation).
    fn saturate(&self, model: &M, c: &mut Config<M::State>, steps: &mut u64) {
        for &o in &self.in_flight {
            if self.slot(o).read_only && c.lin.binary_search(&o).is_err() {
                *steps += 1;
                let (input, output) = self.input(o);
                if model.step(&c.state, input, output).is_some() {
                    let at = c.lin.binary_search(&o).unwrap_err();
                    c.lin.insert(at, o);
                }
            }
        }
    }

    /// An invocation: the frontier of a key's first operation starts from the initial state;
    /// a read possible now is linearized now.
    fn on_invoke(&mut self, model: &M, slot: u32) {
        if !self.slot(slot).read_only {
            return;
        }
        let mut frontier = std::mem::take(&mut self.frontier);
        let (input, output) = self.input(slot);
        for c in &mut frontier {
            if model.step(&c.state, input, output).is_some() {
                let at = c.lin.binary_search(&slot).unwrap_err();
                c.lin.insert(at, slot);
            }
        }
        dedupe(&mut frontier);
        self.frontier = frontier;
    }

    /// A return: the new frontier, or why there is none.
    fn on_return(
        &mut self,
        model: &M,
        slot: u32,
        limits: StreamLimits,
        stats: &mut StreamStats,
    ) -> Result<(), Fail> {
        let s = self.slot(slot);
        if s.enc.as_ref().is_none_or(|e| e.output.is_none()) {
            // Dropped by the model, or indefinite: it stays in flight (or was never there).
            return Ok(());
        }
        let mut steps = 0u64;
        let mut next: Vec<Config<M::State>> = Vec::new();
        let mut index: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        let mut push = |c: Config<M::State>, next: &mut Vec<Config<M::State>>| {
            let h = config_hash(&c.state, &c.lin);
            let same = index.entry(h).or_default();
            if !same.iter().any(|&i| next[i] == c) {
                same.push(next.len());
                next.push(c);
            }
        };
        let any_indefinite = self.in_flight.iter().any(|&o| self.kind(o) == INDEFINITE);
        let old = std::mem::take(&mut self.frontier);
        let mut seen: BTreeMap<u64, Vec<Seen<M::State>>> = BTreeMap::new();
        let mut seen_bytes = 0;
        for c in &old {
            if let Ok(at) = c.lin.binary_search(&slot) {
                let mut done = c.clone();
                done.lin.remove(at);
                push(done, &mut next);
                continue;
            }
            // Linearize `slot` after any sequence of other operations in flight: a search
            // over configurations, those that used fewer indefinite operations first, so
            // that a configuration dominated by one already explored is skipped.
            let mut work: BTreeMap<usize, Vec<Config<M::State>>> = BTreeMap::new();
            work.entry(0).or_default().push(c.clone());
            while let Some(mut entry) = work.first_entry() {
                let Some(mut node) = entry.get_mut().pop() else {
                    entry.remove();
                    continue;
                };
                self.saturate(model, &mut node, &mut steps);
                // Without indefinite operations, a configuration is only ever dominated by an
                // equal one (reads are saturated alike): compare the sets whole.
                let parts = if any_indefinite {
                    self.split(&node.lin)
                } else {
                    [Vec::new(), node.lin.clone(), Vec::new()]
                };
                let h = config_hash(&node.state, &parts[1]);
                let same = seen.entry(h).or_default();
                let dominated = same.iter().any(|(state, seen_parts)| {
                    *state == node.state
                        && seen_parts[1] == parts[1]
                        && subset(&parts[0], &seen_parts[0])
                        && subset(&seen_parts[2], &parts[2])
                });
                if dominated {
                    continue;
                }
                seen_bytes += size_of::<Config<M::State>>() + node.lin.len() * 4 * 2;
                same.push((node.state.clone(), parts));
                steps += 1;
                if steps > limits.max_steps {
                    return Err(Fail::GaveUp(GaveUp::Steps(steps)));
                }
                if let Ok(at) = node.lin.binary_search(&slot) {
                    // A read, placed as soon as it was possible: no other place does better.
                    let mut done = node;
                    done.lin.remove(at);
                    push(done, &mut next);
                    continue;
                }
                let (input, output) = self.input(slot);
                if let Some(after) = model.step(&node.state, input, output) {
                    let mut done = Config {
                        state: after,
                        lin: node.lin.clone(),
                    };
                    self.saturate(model, &mut done, &mut steps);
                    if let Ok(at) = done.lin.binary_search(&slot) {
                        // A read: saturating placed it a second time.
                        done.lin.remove(at);
                    }
                    push(done, &mut next);
                    if next.len() > limits.max_configs {
                        return Err(Fail::GaveUp(GaveUp::Memory(self.bytes(&next))));
                    }
                }
                let used = if any_indefinite {
                    node.lin
                        .iter()
                        .filter(|&&o| self.kind(o) == INDEFINITE)
                        .count()
                } else {
                    0
                };
                for &o in self.in_flight.iter().rev() {
                    if o == slot || self.slot(o).read_only || node.lin.binary_search(&o).is_ok() {
                        continue;
                    }
                    steps += 1;
                    let (input, output) = self.input(o);
                    if let Some(after) = model.step(&node.state, input, output) {
                        let mut lin = node.lin.clone();
                        let at = lin.binary_search(&o).unwrap_err();
                        lin.insert(at, o);
                        let used = used + usize::from(self.kind(o) == INDEFINITE);
                        work.entry(used)
                            .or_default()
                            .push(Config { state: after, lin });
                    }
                }
            }
        }
        stats.steps += steps;
        stats.max_bytes = stats.max_bytes.max(seen_bytes + self.bytes(&next));
        self.in_flight.retain(|&o| o != slot);
        self.slot_mut(slot).flying = false;
        if next.is_empty() {
            let why = self.explain(model, slot, &old);
            return Err(Fail::Refuted(Box::new(why)));
        }
        self.prune(&mut next);
        stats.max_frontier = stats.max_frontier.max(next.len());
        self.frontier = next;
        Ok(())
    }

    /// Removes configurations another one makes redundant: same state and same
    /// state-changing definite operations linearized, at least the same reads done, and at
    /// most the same indefinite operations used.
    fn prune(&self, frontier: &mut Vec<Config<M::State>>) {
        if frontier.len() < 2 {
            return;
        }
        let parts: Vec<[Vec<u32>; 3]> = frontier.iter().map(|c| self.split(&c.lin)).collect();
        let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, c) in frontier.iter().enumerate() {
            let h = config_hash(&c.state, &parts[i][1]);
            groups.entry(h).or_default().push(i);
        }
        let mut dead = vec![false; frontier.len()];
        for members in groups.values() {
            for &b in members {
                for &a in members {
                    if a == b || dead[a] || dead[b] {
                        continue;
                    }
                    let (pa, pb) = (&parts[a], &parts[b]);
                    let same = frontier[a].state == frontier[b].state && pa[1] == pb[1];
                    if same && subset(&pb[0], &pa[0]) && subset(&pa[2], &pb[2]) {
                        dead[b] = true; // a does all b can
                    }
                }
            }
        }
        let mut i = 0;
        frontier.retain(|_| {
            i += 1;
            !dead[i - 1]
        });
    }

    /// What linearizing operation `o` did: [`READ`], [`DEFINITE`] or [`INDEFINITE`].
    fn kind(&self, o: u32) -> usize {
        let s = self.slot(o);
        if s.read_only {
            READ
        } else if s.enc.as_ref().is_some_and(|e| e.output.is_none()) {
            INDEFINITE
        } else {
            DEFINITE
        }
    }

    /// The operations of `lin` by kind (each list sorted).
    fn split(&self, lin: &[u32]) -> [Vec<u32>; 3] {
        let mut parts = [Vec::new(), Vec::new(), Vec::new()];
        for &o in lin {
            parts[self.kind(o)].push(o);
        }
        parts
    }

    fn bytes(&self, frontier: &[Config<M::State>]) -> usize {
        frontier
            .iter()
            .map(|c| size_of::<Config<M::State>>() + c.lin.capacity() * 4)
            .sum()
    }

    /// Why no configuration lets `slot` return as it did.
    fn explain(&self, model: &M, slot: u32, old: &[Config<M::State>]) -> Explanation {
        const SHOWN: usize = 6;
        let mut states: Vec<&M::State> = Vec::new();
        for c in old {
            if !states.contains(&&c.state) {
                states.push(&c.state);
            }
        }
        let mut shown: Vec<String> = states
            .iter()
            .take(SHOWN)
            .map(|s| model.show_state(s))
            .collect();
        if states.len() > SHOWN {
            shown.push("...".into());
        }
        let candidates = self
            .in_flight
            .iter()
            .chain([&slot])
            .map(|&o| {
                let (input, output) = self.input(o);
                Candidate {
                    op: self.slot(o).op.clone(),
                    possible: states
                        .iter()
                        .any(|s| model.step(s, input, output).is_some()),
                }
            })
            .collect();
        Explanation {
            model: model.name(),
            partition: self.key.clone(),
            operations: self.operations,
            initial_state: model.show_state(&model.init()),
            prefix: Vec::new(),
            state: shown.join(" or "),
            blocked: self.slot(slot).op.clone(),
            candidates,
            never_possible: None,
            streamed: true,
        }
    }
}

/// A configuration a return's search explored: its state and its operations by kind.
type Seen<S> = (S, [Vec<u32>; 3]);

/// A read done (a definite operation that changes no state).
const READ: usize = 0;
/// A definite operation that changes the state.
const DEFINITE: usize = 1;
/// An indefinite operation used.
const INDEFINITE: usize = 2;

/// Whether every element of sorted `a` is in sorted `b`.
fn subset(a: &[u32], b: &[u32]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

/// The hash of a state and a set of operations, a word at a time (the slice's own `Hash` feeds
/// the hasher byte by byte, which was most of the check's time).
fn config_hash<S: std::hash::Hash>(state: &S, lin: &[u32]) -> u64 {
    let mut h = hash_state(state);
    for &o in lin {
        h = (h ^ u64::from(o))
            .wrapping_mul(0xf135_7aea_2e62_a9c5)
            .rotate_left(26);
    }
    mix(h)
}

/// Removes repeated configurations, keeping the first of each.
fn dedupe<S: Clone + Eq + std::hash::Hash>(frontier: &mut Vec<Config<S>>) {
    let mut index: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut keep = vec![true; frontier.len()];
    for i in 0..frontier.len() {
        let same = index
            .entry(config_hash(&frontier[i].state, &frontier[i].lin))
            .or_default();
        if same.iter().any(|&j| frontier[j] == frontier[i]) {
            keep[i] = false;
        } else {
            same.push(i);
        }
    }
    let mut i = 0;
    frontier.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

/// Streams a whole `history` through a [`Stream`] in its order of events (at equal points,
/// invocations first, as the search orders them): the streaming check of a history that is
/// already whole, to compare with [`check`](super::check). `model` must be fresh; a model that
/// cannot stream ([`Model::streaming`]) observes the whole history first.
pub fn check_streamed<M: Model>(
    mut model: M,
    history: &crate::History,
    limits: StreamLimits,
) -> Result<CheckReport, ModelError> {
    let name = history.name.as_str();
    let mut stream = if model.streaming() {
        Stream::observed(model, name)
    } else {
        for op in &history.operations {
            model.observe(op);
        }
        Stream::observed(model, name)
    }
    .with_limits(limits);
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(history.operations.len() * 2);
    for (i, op) in history.operations.iter().enumerate() {
        events.push((op.call, false, i));
        if let Some(ret) = op.ret {
            events.push((ret, true, i));
        }
    }
    events.sort_unstable();
    let malformed = |e: HistoryError| ModelError {
        file: history.name.clone(),
        line: 0,
        model: "stream",
        operation: String::new(),
        reason: e.to_string(),
    };
    for (at, is_ret, i) in events {
        let op = &history.operations[i];
        if is_ret {
            stream
                .complete(op.client, None, op.output.clone(), at)
                .map_err(malformed)?;
        } else {
            let (f, key, value) = (op.f.clone(), op.key.clone(), op.value.clone());
            stream
                .invoke(op.client, None, f, key, value, at)
                .map_err(malformed)?;
        }
    }
    stream.finish()
}
