//! The explored system: its states, the choices each state offers (actions), and the step that
//! runs the protocol's own handler for a choice.
//!
//! A state holds every node (its process, or the durable state of a crashed one), the
//! messages in flight, the timers set, the client
//! history (as [`History`] keeps it) and how much of each fault budget the path to it spent.
//! The choices: deliver any message in flight (on an ordered network, only the oldest of each
//! link), deliver a copy and keep it in flight, lose it, fire any timer, crash a node, restart
//! a crashed one; the budgets bound the faults.
//!
//! A delivery that changes nothing (same process, nothing sent, no timer touched) is not a
//! step: the message stays in flight, as in Stateright. Properties that read
//! only the nodes and the history cannot tell the difference, and the search saves a state per
//! ignored message.

use crate::history::History;
use crate::intern::Interner;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use synod_check::ModelKind;
use synod_core::fingerprint::{self, finish, mix};
use synod_core::{
    ClientEvent, ClientOp, ClientResult, Ctx, Env, Explorable, Level, NodeId, ProtocolEvent,
    SimRng, Time, TimerId,
};
use synod_sim::ScheduleStep;

/// How the network may deliver what is in flight.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// Any message in flight may come next; each is delivered once (Stateright's
    /// `unordered_nonduplicating`).
    Unordered,
    /// Any message may come next, any number of times: a delivered message stays in flight
    /// (Stateright's `unordered_duplicating`). The network is a set.
    Duplicating,
    /// Per link (sender, receiver), messages arrive in the order sent, once each
    /// (Stateright's `ordered`).
    Ordered,
}

impl NetworkKind {
    /// All kinds, as `--network` names them.
    pub const ALL: [NetworkKind; 3] = [
        NetworkKind::Unordered,
        NetworkKind::Duplicating,
        NetworkKind::Ordered,
    ];

    /// `unordered`, `duplicating`, `ordered`.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Unordered => "unordered",
            NetworkKind::Duplicating => "duplicating",
            NetworkKind::Ordered => "ordered",
        }
    }
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The bounds of a search: which faults, how many along one path, how deep.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Network semantics.
    pub network: NetworkKind,
    /// Crashes along a path (a crashed node may restart any time; restarts are free).
    pub max_crashes: u32,
    /// Messages lost along a path.
    pub max_drops: u32,
    /// Extra copies delivered along a path (for networks that do not duplicate already).
    pub max_duplicates: u32,
    /// Timer firings along a path (`None`: any number).
    pub max_timers: Option<u32>,
    /// Steps from the initial state (`None`: no bound).
    pub max_depth: Option<u32>,
}

impl Bounds {
    /// An unordered network, no faults, no bound on timers or depth (Stateright's defaults);
    /// a constant, so that a protocol's descriptor can name its bounds as a change of it.
    pub const UNBOUNDED: Bounds = Bounds {
        network: NetworkKind::Unordered,
        max_crashes: 0,
        max_drops: 0,
        max_duplicates: 0,
        max_timers: None,
        max_depth: None,
    };
}

impl Default for Bounds {
    /// [`Bounds::UNBOUNDED`].
    fn default() -> Self {
        Bounds::UNBOUNDED
    }
}

/// A state predicate that must hold in every reachable state; returns what is wrong.
pub type CheckFn<P> = Box<dyn Fn(&View<'_, P>) -> Option<String> + Send + Sync>;

/// A state predicate the search should reach at least once.
pub type ReachFn<P> = Box<dyn Fn(&View<'_, P>) -> bool + Send + Sync>;

/// Builds a node: fresh (`None`) or restarted from its durable state.
pub type BuildFn<P> =
    Box<dyn Fn(NodeId, Option<<P as synod_core::Process>::Durable>) -> P + Send + Sync>;

/// An "always" property.
pub struct Invariant<P: Explorable> {
    /// Its name, as the live checks of `synod run` name the same property.
    pub name: String,
    /// The check.
    pub check: CheckFn<P>,
}

impl<P: Explorable> Invariant<P> {
    /// The property `name`, broken in a state where `check` says what is wrong.
    pub fn new(
        name: &str,
        check: impl Fn(&View<'_, P>) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Invariant {
            name: name.to_string(),
            check: Box::new(check),
        }
    }
}

/// A "sometimes" property: a state the search is expected to reach. One never reached means
/// the model is too weak to say much (bounds too tight, a bug that blocks progress).
pub struct Sometimes<P: Explorable> {
    /// What is reached (`a value is decided`).
    pub name: String,
    /// The predicate.
    pub reached: ReachFn<P>,
}

impl<P: Explorable> Sometimes<P> {
    /// The state `name`, reached where `reached` holds.
    pub fn new(name: &str, reached: impl Fn(&View<'_, P>) -> bool + Send + Sync + 'static) -> Self {
        Sometimes {
            name: name.to_string(),
            reached: Box::new(reached),
        }
    }
}

/// The system to explore: its nodes, how to build them, and what to check.
pub struct Spec<P: Explorable> {
    /// The protocol's name.
    pub protocol: String,
    /// Node names, by id.
    pub names: Vec<String>,
    /// Which nodes may crash (servers; never clients, whose history would lose meaning).
    pub crashable: Vec<bool>,
    /// The client nodes, whose operations make the history.
    pub clients: Vec<NodeId>,
    /// The seed the nodes' random streams derive from, as in the simulator.
    pub seed: u64,
    /// Builds node processes.
    pub build: BuildFn<P>,
    /// Always-properties, checked in every state.
    pub invariants: Vec<Invariant<P>>,
    /// Sometimes-properties.
    pub sometimes: Vec<Sometimes<P>>,
    /// The model the client history must be linearizable under, if the protocol has clients.
    pub lin: Option<ModelKind>,
    /// The bounds.
    pub bounds: Bounds,
    /// Steps taken before the search starts (a scenario's `schedule`): the search explores
    /// every continuation of the state they lead to.
    pub prefix: Vec<ScheduleStep>,
}

/// A node in a state: running, or crashed with what it kept.
pub enum NodeVal<P: Explorable> {
    /// Running.
    Up(P),
    /// Crashed, with what it kept.
    Down(P::Durable),
}

impl<P: Explorable> PartialEq for NodeVal<P> {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (NodeVal::Up(a), NodeVal::Up(b)) => a == b,
            (NodeVal::Down(a), NodeVal::Down(b)) => a == b,
            _ => false,
        }
    }
}

impl<P: Explorable> Eq for NodeVal<P> {}

impl<P: Explorable> Hash for NodeVal<P> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            NodeVal::Up(p) => {
                h.write_u8(1);
                p.hash(h);
            }
            NodeVal::Down(d) => {
                h.write_u8(2);
                d.hash(h);
            }
        }
    }
}

/// A message in flight.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Envelope<M> {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The message.
    pub msg: M,
}

/// A timer set and not yet fired or cancelled.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PendingTimer<T> {
    /// Its node.
    pub node: NodeId,
    /// Its id at that node.
    pub id: TimerId,
    /// What it carries.
    pub timer: T,
}

/// How much of each fault budget a path has spent.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spent {
    /// Crashes.
    pub crashes: u32,
    /// Messages lost.
    pub drops: u32,
    /// Extra copies delivered.
    pub duplicates: u32,
    /// Timers fired.
    pub timers: u32,
}

/// One explored state: ids of interned values (see [`crate::intern`]).
pub struct State<P: Explorable> {
    /// One id per node, then one per message in flight.
    ids: Vec<u32>,
    /// The timers set, as interned ids.
    timers: Vec<u32>,
    history: u32,
    spent: Spent,
    net_hash: u64,
    timer_hash: u64,
    _p: PhantomData<fn() -> P>,
}

impl<P: Explorable> Clone for State<P> {
    fn clone(&self) -> Self {
        State {
            ids: self.ids.clone(),
            timers: self.timers.clone(),
            history: self.history,
            spent: self.spent,
            net_hash: self.net_hash,
            timer_hash: self.timer_hash,
            _p: PhantomData,
        }
    }
}

impl<P: Explorable> State<P> {
    /// The budgets spent so far.
    pub fn spent(&self) -> Spent {
        self.spent
    }
}

/// A node as properties see it.
pub enum NodeView<'a, P: Explorable> {
    /// Running.
    Up(&'a P),
    /// Crashed, with what it kept.
    Down(&'a P::Durable),
}

/// What properties read of a state.
pub struct View<'a, P: Explorable> {
    ex: &'a Explorer<'a, P>,
    s: &'a State<P>,
}

impl<'a, P: Explorable> View<'a, P> {
    fn n(&self) -> usize {
        self.ex.spec.names.len()
    }

    /// Every node, in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, NodeView<'a, P>)> + use<'a, P> {
        let ex = self.ex;
        self.s.ids[..self.n()]
            .iter()
            .enumerate()
            .map(move |(i, id)| {
                let v = match ex.nodes.get(*id) {
                    NodeVal::Up(p) => NodeView::Up(p),
                    NodeVal::Down(d) => NodeView::Down(d),
                };
                (NodeId(i as u32), v)
            })
    }

    /// The running nodes, in id order.
    pub fn up(&self) -> impl Iterator<Item = (NodeId, &'a P)> + use<'a, P> {
        self.nodes().filter_map(|(id, v)| match v {
            NodeView::Up(p) => Some((id, p)),
            NodeView::Down(_) => None,
        })
    }

    /// Each node: the process, or `None` if it is down (the shape of the simulator's state
    /// checks).
    pub fn live(&self) -> impl Iterator<Item = Option<&'a P>> + use<'a, P> {
        self.nodes().map(|(_, v)| match v {
            NodeView::Up(p) => Some(p),
            NodeView::Down(_) => None,
        })
    }

    /// The client history.
    pub fn history(&self) -> &'a History {
        self.ex.hists.get(self.s.history)
    }

    /// The messages in flight: (from, to, message).
    pub fn in_flight(&self) -> impl Iterator<Item = (NodeId, NodeId, &'a P::Msg)> + use<'a, P> {
        let ex = self.ex;
        self.s.ids[self.n()..].iter().map(move |id| {
            let e = ex.msgs.get(*id);
            (e.from, e.to, &e.msg)
        })
    }
}

/// A choice a state offers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Deliver message `.0` of the network.
    Deliver(usize),
    /// Deliver a copy of message `.0` and keep it in flight.
    DeliverCopy(usize),
    /// Lose message `.0`.
    Drop(usize),
    /// Fire timer `.0` of the state's timers.
    Fire(usize),
    /// Crash the node.
    Crash(NodeId),
    /// Restart the crashed node.
    Restart(NodeId),
}

enum ClientEv {
    Invoke(u64, ClientOp),
    Return(u64, ClientResult),
}

/// What a handler did, collected while it runs (the explorer's [`Env`]).
struct Effects<M, T> {
    me: NodeId,
    nodes: usize,
    /// Every send, in order (including to nodes that do not exist).
    sends: Vec<(NodeId, M)>,
    /// Timers set and not cancelled: (id, timer, ordinal among all timers set).
    sets: Vec<(TimerId, T, u64)>,
    /// Timers set in all.
    set_count: u64,
    /// Pending timers cancelled.
    cancels: Vec<TimerId>,
    /// Timer ids in use at this node.
    used: Vec<u64>,
    client: Vec<ClientEv>,
}

impl<M, T> Effects<M, T> {
    fn new() -> Self {
        Effects {
            me: NodeId(0),
            nodes: 0,
            sends: Vec::new(),
            sets: Vec::new(),
            set_count: 0,
            cancels: Vec::new(),
            used: Vec::new(),
            client: Vec::new(),
        }
    }

    fn reset<'t, X: 't>(
        &mut self,
        me: NodeId,
        nodes: usize,
        pending: impl Iterator<Item = &'t PendingTimer<X>>,
    ) {
        self.me = me;
        self.nodes = nodes;
        self.sends.clear();
        self.sets.clear();
        self.set_count = 0;
        self.cancels.clear();
        self.used.clear();
        self.used
            .extend(pending.filter(|t| t.node == me).map(|t| t.id.0));
        self.client.clear();
    }

    fn is_empty(&self) -> bool {
        self.sends.is_empty()
            && self.set_count == 0
            && self.cancels.is_empty()
            && self.client.is_empty()
    }
}

impl<M, T> Env<M, T> for Effects<M, T> {
    fn send(&mut self, _from: NodeId, to: NodeId, msg: M) {
        self.sends.push((to, msg));
    }
    fn set_timer(&mut self, _node: NodeId, _after: Time, timer: T) -> TimerId {
        // The smallest id free at this node: two schedules that reach the same timers give
        // them the same ids.
        let mut id = 1;
        while self.used.contains(&id) {
            id += 1;
        }
        self.used.push(id);
        self.set_count += 1;
        self.sets.push((TimerId(id), timer, self.set_count));
        TimerId(id)
    }
    fn cancel_timer(&mut self, _node: NodeId, id: TimerId) {
        if let Some(i) = self.sets.iter().position(|(t, _, _)| *t == id) {
            self.sets.remove(i);
        } else if self.used.contains(&id.0) {
            self.cancels.push(id);
        } else {
            return;
        }
        self.used.retain(|u| *u != id.0);
    }
    fn log_enabled(&self, _level: Level) -> bool {
        false
    }
    fn log(&mut self, _node: NodeId, _level: Level, _text: &dyn fmt::Display) {}
    fn protocol_event(&mut self, _node: NodeId, _event: ProtocolEvent<'_>) {}
    fn client_event(&mut self, _node: NodeId, event: ClientEvent<'_>) {
        self.client.push(match event {
            ClientEvent::Invoke { op_id, op } => ClientEv::Invoke(op_id, op.clone()),
            ClientEvent::Return { op_id, result } => ClientEv::Return(op_id, result.clone()),
        });
    }
    fn client_done(&mut self, _node: NodeId) {}
    fn set_label(&mut self, _node: NodeId, _label: &dyn fmt::Display) {}
}

/// Per-thread scratch space for running handlers.
pub struct Scratch<P: Explorable> {
    fx: Effects<P::Msg, P::Timer>,
}

impl<P: Explorable> Default for Scratch<P> {
    fn default() -> Self {
        Scratch { fx: Effects::new() }
    }
}

/// The simulator's ids for what is in flight, kept alongside a state while a path is
/// replayed, so that the path can be written as a schedule the simulator follows.
#[derive(Clone, Debug, Default)]
pub struct Track {
    next_msg: u64,
    next_timer: u64,
    net: Vec<u64>,
    timers: Vec<u64>,
}

/// A successor state, and whether an operation returned on the way (the history may have
/// stopped being linearizable).
pub struct Next<P: Explorable> {
    /// The state.
    pub state: State<P>,
    /// An operation returned.
    pub returned: bool,
}

/// A search's view of a [`Spec`]: the spec, and the stores of the values its states share.
pub struct Explorer<'a, P: Explorable> {
    /// What is explored.
    pub spec: &'a Spec<P>,
    nodes: Interner<NodeVal<P>>,
    msgs: Interner<Envelope<P::Msg>>,
    hists: Interner<History>,
    timers: Interner<PendingTimer<P::Timer>>,
}

impl<'a, P: Explorable> Explorer<'a, P> {
    /// An explorer of `spec`, with empty stores.
    pub fn new(spec: &'a Spec<P>) -> Self {
        Explorer {
            spec,
            nodes: Interner::default(),
            msgs: Interner::default(),
            hists: Interner::default(),
            timers: Interner::default(),
        }
    }

    fn n(&self) -> usize {
        self.spec.names.len()
    }

    fn node_name(&self, id: NodeId) -> &str {
        self.spec.names.get(id.index()).map_or("?", String::as_str)
    }

    /// A read-only view of `state` for properties.
    pub fn view<'s>(&'s self, state: &'s State<P>) -> View<'s, P>
    where
        'a: 's,
    {
        View { ex: self, s: state }
    }

    /// Distinct values stored: (node states, messages, histories).
    pub fn stored(&self) -> (u64, u64, u64) {
        (self.nodes.len(), self.msgs.len(), self.hists.len())
    }

    /// The state's fingerprint.
    pub fn fingerprint(&self, s: &State<P>) -> u64 {
        let n = self.n();
        let mut h = 0x0005_EED0_F571_7000_u64;
        for id in &s.ids[..n] {
            h = mix(h, self.nodes.hash(*id));
        }
        let net = match self.spec.bounds.network {
            NetworkKind::Unordered | NetworkKind::Duplicating => s.net_hash,
            // Order matters within a link: weigh each message by its place in its link.
            NetworkKind::Ordered => {
                let net = &s.ids[n..];
                net.iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let e = self.msgs.get(*id);
                        let place = net[..i]
                            .iter()
                            .filter(|o| {
                                let o = self.msgs.get(**o);
                                o.from == e.from && o.to == e.to
                            })
                            .count() as u64;
                        mix(self.msgs.hash(*id), place)
                    })
                    .fold(0u64, u64::wrapping_add)
            }
        };
        h = mix(h, net);
        h = mix(h, s.timer_hash);
        h = mix(h, self.hists.hash(s.history));
        h = mix(h, fingerprint::of(&s.spent));
        finish(h)
    }

    /// Where the search starts: the initial state, then the prefix's steps. With `track`,
    /// the simulator's ids are recorded. `Err` names a prefix step that cannot be taken.
    pub fn start(&self, track: Option<&mut Track>) -> Result<State<P>, String> {
        let mut own = Track::default();
        let track = track.unwrap_or(&mut own);
        let mut state = self.init(Some(&mut *track));
        let mut scratch = Scratch::default();
        let mut choices = Vec::new();
        for (k, want) in self.spec.prefix.iter().enumerate() {
            self.actions(&state, &mut choices);
            let action = choices
                .iter()
                .copied()
                .find(|a| self.describe(&state, *a, track).0 == *want);
            let next = action.and_then(|a| self.step(&state, a, &mut scratch, Some(&mut *track)));
            let Some(next) = next else {
                return Err(format!(
                    "step {} of the schedule cannot be taken there (nothing it names is pending, it changes nothing, or a bound forbids it)",
                    k + 1
                ));
            };
            state = next.state;
        }
        Ok(state)
    }

    /// The initial state: every node built and started, in id order, as the simulator starts
    /// them at time zero. With `track`, the simulator's ids are recorded.
    fn init(&self, mut track: Option<&mut Track>) -> State<P> {
        let n = self.n();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let p = (self.spec.build)(NodeId(i as u32), None);
            ids.push(self.nodes.intern(NodeVal::Up(p)));
        }
        let history = self
            .hists
            .intern(History::new(self.spec.clients.iter().copied()));
        let mut state = State {
            ids,
            timers: Vec::new(),
            history,
            spent: Spent::default(),
            net_hash: 0,
            timer_hash: 0,
            _p: PhantomData,
        };
        let mut scratch = Scratch::default();
        for i in 0..n {
            let id = NodeId(i as u32);
            let NodeVal::Up(p) = self.nodes.get(state.ids[i]) else {
                continue;
            };
            let mut p = p.clone();
            self.run(&state, id, &mut p, &mut scratch, |p, ctx| p.on_start(ctx));
            state = self
                .apply(&state, id, p, &scratch, None, track.as_deref_mut())
                .state;
        }
        state
    }

    /// Run one handler of node `id` (whose process is `p`) in `state`. What it did is left
    /// in `scratch`. Its random generator is derived from the seed and the fingerprint of
    /// the node's state, as the simulator derives it under a schedule
    /// (`Sim::seed_handlers_from_state`): draws are a function of the state.
    fn run(
        &self,
        state: &State<P>,
        id: NodeId,
        p: &mut P,
        scratch: &mut Scratch<P>,
        f: impl FnOnce(&mut P, &mut Ctx<'_, P::Msg, P::Timer>),
    ) {
        let mut rng = SimRng::derive(self.spec.seed, fingerprint::of(&*p));
        scratch.fx.reset(
            id,
            self.n(),
            state.timers.iter().map(|t| self.timers.get(*t)),
        );
        let mut ctx = Ctx::new(id, Time::MAX, &mut rng, &mut scratch.fx);
        f(p, &mut ctx);
    }

    /// The successor of `state` after node `id` ran a handler that left it as `p`, with its
    /// effects in `scratch`; `remove` is the message delivered (not kept in flight), if any.
    fn apply(
        &self,
        state: &State<P>,
        id: NodeId,
        p: P,
        scratch: &Scratch<P>,
        remove: Option<usize>,
        track: Option<&mut Track>,
    ) -> Next<P> {
        let fx = &scratch.fx;
        let n = self.n();
        let dup = self.spec.bounds.network == NetworkKind::Duplicating;
        let mut ids = Vec::with_capacity(state.ids.len() + fx.sends.len());
        ids.extend_from_slice(&state.ids[..n]);
        ids[id.index()] = self.nodes.intern(NodeVal::Up(p));
        // Messages: what was in flight, less the one delivered, plus what was sent.
        let mut net_hash = state.net_hash;
        for (i, m) in state.ids[n..].iter().enumerate() {
            if Some(i) == remove {
                net_hash = net_hash.wrapping_sub(self.msgs.hash(*m));
            } else {
                ids.push(*m);
            }
        }
        let mut sent_ids = Vec::new();
        for (k, (to, msg)) in fx.sends.iter().enumerate() {
            if to.index() >= n {
                continue; // the simulator drops it: no such node
            }
            let m = self.msgs.intern(Envelope {
                from: id,
                to: *to,
                msg: msg.clone(),
            });
            if dup && ids[n..].contains(&m) {
                continue; // a set: already in flight
            }
            net_hash = net_hash.wrapping_add(self.msgs.hash(m));
            ids.push(m);
            sent_ids.push(k as u64 + 1);
        }
        // Timers: the node's cancelled ones go, the ones it set come.
        let mut timers = Vec::with_capacity(state.timers.len() + fx.sets.len());
        let mut timer_hash = state.timer_hash;
        for t in &state.timers {
            let pt = self.timers.get(*t);
            if pt.node == id && fx.cancels.contains(&pt.id) {
                timer_hash = timer_hash.wrapping_sub(self.timers.hash(*t));
            } else {
                timers.push(*t);
            }
        }
        for (tid, timer, _) in &fx.sets {
            let t = self.timers.intern(PendingTimer {
                node: id,
                id: *tid,
                timer: timer.clone(),
            });
            timer_hash = timer_hash.wrapping_add(self.timers.hash(t));
            timers.push(t);
        }
        if let Some(t) = track {
            // Mirror the same edits on the simulator's ids.
            let mut net: Vec<u64> = t
                .net
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != remove)
                .map(|(_, m)| *m)
                .collect();
            net.extend(sent_ids.iter().map(|k| t.next_msg + k));
            t.next_msg += fx.sends.len() as u64;
            t.net = net;
            let mut tids: Vec<u64> = state
                .timers
                .iter()
                .zip(&t.timers)
                .filter(|(p, _)| {
                    let p = self.timers.get(**p);
                    !(p.node == id && fx.cancels.contains(&p.id))
                })
                .map(|(_, s)| *s)
                .collect();
            tids.extend(fx.sets.iter().map(|(_, _, k)| t.next_timer + k));
            t.next_timer += fx.set_count;
            t.timers = tids;
        }
        let mut history = state.history;
        let mut returned = false;
        if !fx.client.is_empty() {
            let mut h = self.hists.get(history).clone();
            for ev in &fx.client {
                match ev {
                    ClientEv::Invoke(op_id, op) => h.invoke(id, *op_id, op),
                    ClientEv::Return(op_id, r) => {
                        h.ret(id, *op_id, r);
                        returned = true;
                    }
                }
            }
            history = self.hists.intern(h);
        }
        Next {
            state: State {
                ids,
                timers,
                history,
                spent: state.spent,
                net_hash,
                timer_hash,
                _p: PhantomData,
            },
            returned,
        }
    }

    fn is_up(&self, state: &State<P>, id: NodeId) -> bool {
        matches!(self.nodes.get(state.ids[id.index()]), NodeVal::Up(_))
    }

    /// The choices `state` offers, in a fixed order.
    pub fn actions(&self, state: &State<P>, out: &mut Vec<Action>) {
        out.clear();
        let n = self.n();
        let b = &self.spec.bounds;
        let net = &state.ids[n..];
        let mut distinct = Vec::new();
        for (i, m) in net.iter().enumerate() {
            let first_of_kind = match b.network {
                NetworkKind::Ordered => {
                    let e = self.msgs.get(*m);
                    !net[..i].iter().any(|o| {
                        let o = self.msgs.get(*o);
                        o.from == e.from && o.to == e.to
                    })
                }
                _ => !net[..i].contains(m),
            };
            if first_of_kind {
                distinct.push(i);
            }
        }
        let deliverable: Vec<usize> = distinct
            .iter()
            .copied()
            .filter(|&i| self.is_up(state, self.msgs.get(net[i]).to))
            .collect();
        out.extend(deliverable.iter().map(|&i| Action::Deliver(i)));
        if b.network != NetworkKind::Duplicating && state.spent.duplicates < b.max_duplicates {
            out.extend(deliverable.iter().map(|&i| Action::DeliverCopy(i)));
        }
        if state.spent.drops < b.max_drops {
            out.extend(distinct.iter().map(|&i| Action::Drop(i)));
        }
        if b.max_timers.is_none_or(|m| state.spent.timers < m) {
            out.extend((0..state.timers.len()).map(Action::Fire));
        }
        if state.spent.crashes < b.max_crashes {
            for i in 0..n {
                let id = NodeId(i as u32);
                if self.is_up(state, id) && self.spec.crashable.get(i) == Some(&true) {
                    out.push(Action::Crash(id));
                }
            }
        }
        for i in 0..n {
            let id = NodeId(i as u32);
            if !self.is_up(state, id) {
                out.push(Action::Restart(id));
            }
        }
    }

    /// The state after `action`, or `None` when the action is a delivery that changes
    /// nothing.
    pub fn step(
        &self,
        state: &State<P>,
        action: Action,
        scratch: &mut Scratch<P>,
        track: Option<&mut Track>,
    ) -> Option<Next<P>> {
        let n = self.n();
        match action {
            Action::Deliver(i) | Action::DeliverCopy(i) => {
                let e = self.msgs.get(state.ids[n + i]);
                let NodeVal::Up(before) = self.nodes.get(state.ids[e.to.index()]) else {
                    return None;
                };
                let mut p = before.clone();
                let (from, msg) = (e.from, e.msg.clone());
                self.run(state, e.to, &mut p, scratch, |p, ctx| {
                    p.on_message(ctx, from, msg)
                });
                if scratch.fx.is_empty() && p == *before {
                    return None;
                }
                let keep = matches!(action, Action::DeliverCopy(_))
                    || self.spec.bounds.network == NetworkKind::Duplicating;
                let mut next = self.apply(state, e.to, p, scratch, (!keep).then_some(i), track);
                if matches!(action, Action::DeliverCopy(_)) {
                    next.state.spent.duplicates += 1;
                }
                Some(next)
            }
            Action::Drop(i) => {
                let mut next = state.clone();
                let m = next.ids.remove(n + i);
                next.net_hash = next.net_hash.wrapping_sub(self.msgs.hash(m));
                next.spent.drops += 1;
                if let Some(t) = track {
                    t.net.remove(i);
                }
                Some(Next {
                    state: next,
                    returned: false,
                })
            }
            Action::Fire(j) => {
                let fired = self.timers.get(state.timers[j]);
                let NodeVal::Up(before) = self.nodes.get(state.ids[fired.node.index()]) else {
                    return None;
                };
                // The timer is gone once it fires: take it out before the handler runs, so
                // that its id is free for the handler to reuse.
                let mut without = state.clone();
                let t = without.timers.remove(j);
                without.timer_hash = without.timer_hash.wrapping_sub(self.timers.hash(t));
                let mut track = track;
                if let Some(tr) = track.as_deref_mut() {
                    tr.timers.remove(j);
                }
                let mut p = before.clone();
                let timer = fired.timer.clone();
                self.run(&without, fired.node, &mut p, scratch, |p, ctx| {
                    p.on_timer(ctx, timer)
                });
                let mut next = self.apply(&without, fired.node, p, scratch, None, track);
                next.state.spent.timers += 1;
                Some(next)
            }
            Action::Crash(id) => {
                let i = id.index();
                let NodeVal::Up(p) = self.nodes.get(state.ids[i]) else {
                    return None;
                };
                let mut next = state.clone();
                next.ids[i] = self.nodes.intern(NodeVal::Down(p.durable()));
                let mut kept = Vec::with_capacity(next.timers.len());
                let mut kept_at = Vec::new();
                for (k, t) in next.timers.drain(..).enumerate() {
                    if self.timers.get(t).node == id {
                        next.timer_hash = next.timer_hash.wrapping_sub(self.timers.hash(t));
                    } else {
                        kept.push(t);
                        kept_at.push(k);
                    }
                }
                next.timers = kept;
                next.spent.crashes += 1;
                if let Some(t) = track {
                    let ids: Vec<u64> = kept_at.iter().map(|&k| t.timers[k]).collect();
                    t.timers = ids;
                }
                Some(Next {
                    state: next,
                    returned: false,
                })
            }
            Action::Restart(id) => {
                let NodeVal::Down(d) = self.nodes.get(state.ids[id.index()]) else {
                    return None;
                };
                let mut p = (self.spec.build)(id, Some(d.clone()));
                self.run(state, id, &mut p, scratch, |p, ctx| p.on_start(ctx));
                Some(self.apply(state, id, p, scratch, None, track))
            }
        }
    }

    /// The first always-property that `state` breaks: (name, what is wrong).
    pub fn violated(&self, state: &State<P>) -> Option<(String, String)> {
        let v = self.view(state);
        self.spec
            .invariants
            .iter()
            .find_map(|inv| (inv.check)(&v).map(|d| (inv.name.clone(), d)))
    }

    /// The step as a schedule entry (with the simulator's ids from `track`, taken before the
    /// step) and as a line for a person.
    pub fn describe(
        &self,
        state: &State<P>,
        action: Action,
        track: &Track,
    ) -> (ScheduleStep, String) {
        let n = self.n();
        match action {
            Action::Deliver(i) | Action::DeliverCopy(i) => {
                let e = self.msgs.get(state.ids[n + i]);
                let keep = matches!(action, Action::DeliverCopy(_));
                let msg_id = track.net[i];
                let what = format!(
                    "{} -> {}: {}{}",
                    self.node_name(e.from),
                    self.node_name(e.to),
                    e.msg,
                    if keep {
                        " (a copy stays in flight)"
                    } else {
                        ""
                    }
                );
                (
                    ScheduleStep::Deliver { msg_id, keep },
                    format!("deliver #{msg_id} {what}"),
                )
            }
            Action::Drop(i) => {
                let e = self.msgs.get(state.ids[n + i]);
                let msg_id = track.net[i];
                (
                    ScheduleStep::Drop { msg_id },
                    format!(
                        "lose #{msg_id} {} -> {}: {}",
                        self.node_name(e.from),
                        self.node_name(e.to),
                        e.msg
                    ),
                )
            }
            Action::Fire(j) => {
                let t = self.timers.get(state.timers[j]);
                let id = TimerId(track.timers[j]);
                (
                    ScheduleStep::Fire { timer: id },
                    format!("fire {id} at {}: {:?}", self.node_name(t.node), t.timer),
                )
            }
            Action::Crash(id) => (
                ScheduleStep::Crash(id),
                format!("crash {}", self.node_name(id)),
            ),
            Action::Restart(id) => (
                ScheduleStep::Restart(id),
                format!("restart {}", self.node_name(id)),
            ),
        }
    }
}
