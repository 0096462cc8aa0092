//! The simulator: a world of processes, one event queue ordered by (time, sequence number), one
//! seeded generator for the network and a derived one per node. `run` is a loop over `step`.

use crate::fault::{Fault, FaultDisplay, On, ScheduledFault, Target};
use crate::net::{NetConfig, Topology};
use crate::queue::{Lane, Queue, Queued};
use crate::schedule::{ScheduleStep, StepDisplay};
use crate::stats::{KindMemo, Stats};
use crate::timers::TimerIndex;
use std::fmt;
use synod_core::inspect::{Inspect, Inspection};
use synod_core::view::StateView;
use synod_core::{
    ClientEvent, Ctx, DropReason, Env, Event, EventKind, Leadership, Level, Message, NodeId,
    NodeStatus, Observer, Process, ProtocolEvent, SimRng, Time, TimerId, Violation,
};

/// The most entries (messages, timers, scheduled faults and requests) a run may have queued at
/// once. Past it the run stops instead of exhausting memory: with [`MESSAGE_STORM`] when the
/// protocol's own messages and timers fill the queue, with [`OVERLOADED`] when the scenario's
/// schedule does.
pub const MAX_QUEUED: usize = 1_000_000;

/// The property a run breaks when the protocol's messages and timers overflow the queue: it
/// sends faster than the network delivers (a message storm), a bug of the protocol.
pub const MESSAGE_STORM: &str = "bounded message storm";

/// The property of a run stopped because the scenario schedules more faults and requests than
/// the simulator holds at once: a limit of the simulator under an absurd fault load, not a
/// property of the protocol (`synod check` counts such runs as aborted, not as violations).
pub const OVERLOADED: &str = "simulator capacity";

/// A process of the cluster, as the simulator knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// Its name in narration and scenarios (`n1`, `acceptor 2`, `Taziri`).
    pub name: String,
    /// Its role (`server`, `acceptor`, `client`, ...).
    pub role: String,
    /// Whether it is a client: the run can end when every client is done.
    pub client: bool,
}

/// How a run is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The seed every random draw derives from.
    pub seed: u64,
    /// The network.
    pub net: NetConfig,
    /// The run ends at this virtual time at the latest.
    pub until: Time,
    /// After every client is done, run this much longer (lets replicas catch up) and stop.
    pub settle: Time,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            net: NetConfig::default(),
            until: Time::ms(10_000),
            settle: Time::ms(500),
        }
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Nothing left to happen.
    Quiescent,
    /// Every client finished (and the settle time passed).
    ClientsDone,
    /// The time limit was reached.
    TimeLimit,
    /// A safety check failed.
    Violation(Violation),
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndReason::Quiescent => f.write_str("quiescent (nothing left to happen)"),
            EndReason::ClientsDone => f.write_str("every client is done"),
            EndReason::TimeLimit => f.write_str("time limit reached"),
            EndReason::Violation(v) => write!(f, "stopped: {v}"),
        }
    }
}

/// What one step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An event was processed.
    Event,
    /// The run is over.
    End(EndReason),
}

enum Ev<M, T> {
    Start(NodeId),
    Deliver {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: M,
    },
    /// A timer: its owner, the owner's incarnation when it was set, and its payload; `None`
    /// once cancelled (it stays queued until its time, and is then discarded).
    Timer(TimerId, Option<(NodeId, u32, T)>),
    /// A fault, and for one a moment fired ([`Fault::When`]) the number of repairs before it
    /// was queued: a repair in between cancels it.
    Fault(Fault, Option<u32>),
    Request(NodeId, synod_core::ClientOp),
}

/// Fans events out to observers and numbers them.
struct Tracer {
    observers: Vec<Box<dyn Observer>>,
    level: Option<Level>,
    /// Some observer wants `state` events (the processes are asked for their view).
    wants_state: bool,
    seq: u64,
    violation: Option<Violation>,
}

impl Tracer {
    /// Number the event and show it to the observers. Inlined, so that with no observers (a
    /// benchmark, a fast campaign) an event costs an increment and a test, and is never built.
    #[inline]
    fn emit(&mut self, labels: &[String], time: Time, node: Option<NodeId>, kind: EventKind<'_>) {
        if !matches!(kind, EventKind::Log { .. }) {
            self.seq += 1;
        }
        self.emit_at(self.seq, labels, time, node, kind);
    }

    /// Emit an event that carries `seq` rather than a number of its own (log, state).
    #[inline]
    fn emit_at(
        &mut self,
        seq: u64,
        labels: &[String],
        time: Time,
        node: Option<NodeId>,
        kind: EventKind<'_>,
    ) {
        if !self.observers.is_empty() {
            self.dispatch(seq, labels, time, node, kind);
        }
    }

    /// Show the event to every observer.
    #[inline(never)]
    fn dispatch(
        &mut self,
        seq: u64,
        labels: &[String],
        time: Time,
        node: Option<NodeId>,
        kind: EventKind<'_>,
    ) {
        let label = node
            .and_then(|n| labels.get(n.index()))
            .map_or("", String::as_str);
        self.fan_out(Event {
            seq,
            time,
            node,
            label,
            kind,
        });
    }

    /// Emit a line of narration that no node says: a cluster observer's (`label` names the
    /// speaker). It carries the number of the event being handled, as log lines do.
    fn emit_said(&mut self, label: &str, time: Time, text: &dyn fmt::Display) {
        if self.observers.is_empty() {
            return;
        }
        self.fan_out(Event {
            seq: self.seq,
            time,
            node: None,
            label,
            kind: EventKind::Log {
                level: Level::Info,
                text,
            },
        });
    }

    fn fan_out(&mut self, ev: Event<'_>) {
        let mut found = None;
        for o in &mut self.observers {
            if let Err(v) = o.event(&ev) {
                found.get_or_insert(v);
            }
        }
        if let Some(v) = found {
            self.violate(v);
        }
    }

    /// Record the first violation of the run, and tell the observers (the trace shows where
    /// the run stopped and why). Later ones are ignored: the run stops at the first.
    fn violate(&mut self, v: Violation) {
        if self.violation.is_some() {
            return;
        }
        let ev = Event {
            seq: v.seq,
            time: v.time,
            node: None,
            label: "",
            kind: EventKind::Violation {
                property: &v.property,
                detail: &v.detail,
            },
        };
        for o in &mut self.observers {
            let _ = o.event(&ev);
        }
        self.violation = Some(v);
    }
}

/// Everything but the processes: what a process's context acts on.
struct World<M, T> {
    now: Time,
    qseq: u64,
    queue: Queue<Ev<M, T>>,
    net: NetConfig,
    topo: Topology,
    net_rng: SimRng,
    /// The queue slot of every live timer, for `cancel_timer`.
    timers: TimerIndex,
    next_timer: u64,
    next_msg: u64,
    held: Vec<Vec<(NodeId, u64, M)>>,
    /// Per node: the instant of its last send and how many it sent then (for staggering).
    sends_now: Vec<(Time, u32)>,
    up: Vec<bool>,
    incarnation: Vec<u32>,
    labels: Vec<String>,
    tracer: Tracer,
    stats: Stats,
    kind_memo: KindMemo,
    is_client: Vec<bool>,
    done: Vec<bool>,
    clients_left: usize,
    clients_done_at: Option<Time>,
    last_leader: Option<NodeId>,
    /// The node that most recently gave its vote ([`Target::Voter`]).
    last_voter: Option<NodeId>,
    /// The node that most recently started trying to lead ([`Target::Seeker`]).
    last_seeker: Option<NodeId>,
    /// Faults waiting for a protocol's moment ([`Fault::When`]), in the order they were armed.
    armed: Vec<Armed>,
    /// How many repairs have struck: a fault fired before the latest does not strike.
    repairs: u32,
    /// When the last fault, scheduled or fired by a moment, is undone: a run whose clients
    /// are done still waits for it.
    faults_end: Time,
    /// Under a schedule: the clock handlers read (the end of time), and no random loss,
    /// duplication or latency.
    scheduled: bool,
    /// Each node's clock (see [`Fault::Skew`]).
    clocks: Vec<Clock>,
}

/// A node's clock: it read `base_local` at real time `base_real`, and since then runs
/// `factor` times slower than real time (1.0: a true clock, which reads real time exactly).
#[derive(Clone, Copy, Debug)]
struct Clock {
    base_real: Time,
    base_local: Time,
    factor: f64,
}

impl Clock {
    const TRUE: Clock = Clock {
        base_real: Time::ZERO,
        base_local: Time::ZERO,
        factor: 1.0,
    };

    /// What the clock reads at real time `now` (rounded down, so that a timer set for `d`
    /// never finds less than `d` elapsed when it fires).
    fn local(&self, now: Time) -> Time {
        let real = now.as_micros().saturating_sub(self.base_real.as_micros());
        let elapsed = if self.factor == 1.0 {
            real
        } else {
            (real as f64 / self.factor).floor() as u64
        };
        self.base_local + Time::micros(elapsed)
    }

    /// The real time a timer set for `after` on this clock takes (rounded up).
    fn real(&self, after: Time) -> Time {
        if self.factor == 1.0 {
            after
        } else {
            Time::micros((after.as_micros() as f64 * self.factor).ceil() as u64)
        }
    }
}

/// A fault waiting for a protocol's moment ([`Fault::When`]).
struct Armed {
    /// The moment.
    on: On,
    /// How long after the moment it strikes.
    after: Time,
    /// The last time the moment may come (`None`: any time).
    until: Option<Time>,
    /// What strikes.
    fault: Fault,
}

impl<M: Message, T> World<M, T> {
    /// The clock node `i`'s handlers read: the end of time under a schedule (as under the
    /// explorer, which abstracts timing and so clock skew too), the node's own clock otherwise.
    fn handler_now(&self, i: usize) -> Time {
        if self.scheduled {
            Time::MAX
        } else {
            self.clocks[i].local(self.now)
        }
    }

    /// `node` announced `moment`: every armed fault waiting for it is queued to strike its
    /// delay from now (after the event that announced it, which is emitted first). A fault
    /// released by a vote is bound to that voter, and one released by an attempt to lead to
    /// that seeker: `voter` or `seeker` names it when the fault strikes.
    #[cold]
    fn fire_armed(&mut self, moment: On, node: NodeId) {
        let now = self.now;
        // A fault whose wait ran out is gone, whatever it waited for.
        self.armed.retain(|a| a.until.is_none_or(|t| now <= t));
        let mut i = 0;
        while i < self.armed.len() {
            if self.armed[i].on == moment {
                let Armed {
                    after, mut fault, ..
                } = self.armed.remove(i);
                let bound = match moment {
                    On::Votes => Some(Target::Voter),
                    On::Seeks => Some(Target::Seeker),
                    On::Leads => None,
                };
                if let Some(bound) = bound {
                    fault.targets_mut(&mut |t| {
                        if *t == bound {
                            *t = Target::Node(node);
                        }
                    });
                }
                self.faults_end = self.faults_end.max(now + after + fault.span());
                let repairs = self.repairs;
                self.push(now + after, Ev::Fault(fault, Some(repairs)));
            } else {
                i += 1;
            }
        }
    }

    fn push(&mut self, time: Time, ev: Ev<M, T>) {
        self.qseq += 1;
        self.enqueue(Queued {
            time,
            seq: self.qseq,
            ev,
        });
    }

    /// Queue an entry (new, or put back), keeping the index of live timers up to date.
    fn enqueue(&mut self, q: Queued<Ev<M, T>>) {
        let (lane, live_timer) = match &q.ev {
            Ev::Timer(id, live) => (Lane::Timers, live.is_some().then_some(*id)),
            _ => (Lane::Main, None),
        };
        let slot = self.queue.push(q, lane);
        if let Some(id) = live_timer {
            self.timers.put(id.0, slot);
        }
    }

    fn drop_msg(&mut self, from: NodeId, to: NodeId, msg_id: u64, msg: &M, reason: DropReason) {
        self.stats.dropped(msg.kind(), reason);
        let now = self.now;
        self.tracer.emit(
            &self.labels,
            now,
            Some(from),
            EventKind::Drop {
                to,
                msg_id,
                msg,
                reason,
            },
        );
    }

    /// Put a message on the wire: partition, loss, latency, duplication. `not_before` keeps
    /// released messages in their original order.
    fn route(&mut self, from: NodeId, to: NodeId, msg_id: u64, msg: M, not_before: Time) -> Time {
        self.route_after(from, to, msg_id, msg, Time::ZERO, not_before)
    }

    /// [`World::route`], with the message leaving `delay` after now.
    fn route_after(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: M,
        delay: Time,
        not_before: Time,
    ) -> Time {
        if self.topo.is_cut(from, to) {
            self.drop_msg(from, to, msg_id, &msg, DropReason::Partitioned);
            return not_before;
        }
        // Under a schedule the schedule says when a message arrives, if ever: no loss, no
        // duplicate, no latency drawn.
        if !self.scheduled && self.net_rng.chance(self.net.loss) {
            self.drop_msg(from, to, msg_id, &msg, DropReason::Lost);
            return not_before;
        }
        let at = if self.scheduled {
            self.now.max(not_before)
        } else {
            (self.now + delay + self.topo.latency(&self.net, &mut self.net_rng, from, to))
                .max(not_before)
        };
        if !self.scheduled && self.net_rng.chance(self.net.duplicate) {
            self.stats.duplicated(msg.kind());
            let again =
                self.now + delay + self.topo.latency(&self.net, &mut self.net_rng, from, to);
            self.push(
                again.max(not_before),
                Ev::Deliver {
                    from,
                    to,
                    msg_id,
                    msg: msg.clone(),
                },
            );
        }
        self.push(
            at,
            Ev::Deliver {
                from,
                to,
                msg_id,
                msg,
            },
        );
        at
    }

    fn release(&mut self, node: NodeId) {
        self.topo.set_held(node, false);
        let held = std::mem::take(&mut self.held[node.index()]);
        let mut floor = self.now;
        for (to, msg_id, msg) in held {
            floor = self.route(node, to, msg_id, msg, floor);
        }
    }
}

impl<M: Message, T: fmt::Debug> Env<M, T> for World<M, T> {
    fn send(&mut self, from: NodeId, to: NodeId, msg: M) {
        self.stats.counters(&mut self.kind_memo, msg.kind()).sent += 1;
        self.next_msg += 1;
        let msg_id = self.next_msg;
        let now = self.now;
        self.tracer.emit(
            &self.labels,
            now,
            Some(from),
            EventKind::Send {
                to,
                msg_id,
                msg: &msg,
            },
        );
        if to.index() >= self.up.len() {
            self.drop_msg(from, to, msg_id, &msg, DropReason::NoSuchNode);
        } else if self.topo.is_held(from) {
            self.held[from.index()].push((to, msg_id, msg));
        } else if self.net.stagger > Time::ZERO {
            // The k-th message a node sends at this instant leaves k staggers later.
            let (at, k) = &mut self.sends_now[from.index()];
            if *at == self.now {
                *k += 1;
            } else {
                (*at, *k) = (self.now, 0);
            }
            let delay = Time::micros(self.net.stagger.as_micros() * u64::from(*k));
            self.route_after(from, to, msg_id, msg, delay, Time::ZERO);
        } else {
            self.route(from, to, msg_id, msg, Time::ZERO);
        }
    }

    fn set_timer(&mut self, node: NodeId, after: Time, timer: T) -> TimerId {
        self.next_timer += 1;
        let id = TimerId(self.next_timer);
        let at = self.now + self.clocks[node.index()].real(after);
        let owner = (node, self.incarnation[node.index()], timer);
        self.push(at, Ev::Timer(id, Some(owner)));
        id
    }

    fn cancel_timer(&mut self, node: NodeId, id: TimerId) {
        let Some(slot) = self.timers.get(id.0) else {
            return;
        };
        if let Some(Queued {
            ev: Ev::Timer(_, live @ Some(_)),
            ..
        }) = self.queue.get_mut(slot)
        {
            if live.as_ref().is_some_and(|(owner, _, _)| *owner == node) {
                *live = None;
                self.timers.remove(id.0);
            }
        }
    }

    fn log_enabled(&self, level: Level) -> bool {
        self.tracer.level.is_some_and(|max| level <= max)
    }

    fn observed(&self) -> bool {
        !self.tracer.observers.is_empty()
    }

    fn log(&mut self, node: NodeId, level: Level, text: &dyn fmt::Display) {
        let now = self.now;
        self.tracer.emit(
            &self.labels,
            now,
            Some(node),
            EventKind::Log { level, text },
        );
    }

    fn protocol_event(&mut self, node: NodeId, event: ProtocolEvent<'_>) {
        if let ProtocolEvent::Role { leadership, .. } = event {
            match leadership {
                Leadership::Leads => self.last_leader = Some(node),
                Leadership::Seeks => self.last_seeker = Some(node),
                Leadership::Follows => {}
            }
            if !self.armed.is_empty()
                && let Some(on) = On::of_role(leadership)
            {
                self.fire_armed(on, node);
            }
        }
        if let ProtocolEvent::Vote { .. } = event {
            // A signal for faults, not part of the trace: it takes no number, so traces read
            // as they did before votes were announced.
            self.last_voter = Some(node);
            if !self.armed.is_empty() {
                self.fire_armed(On::Votes, node);
            }
            return;
        }
        if self.tracer.observers.is_empty() {
            // Nobody sees the event: it only takes its number.
            self.tracer.seq += 1;
            return;
        }
        let kind = match event {
            ProtocolEvent::Decide { instance, value } => EventKind::Decide { instance, value },
            ProtocolEvent::Apply {
                index,
                command,
                result,
            } => EventKind::Apply {
                index,
                command,
                result,
            },
            ProtocolEvent::Role {
                role,
                epoch,
                leadership,
            } => EventKind::Role {
                role,
                epoch,
                leadership,
            },
            ProtocolEvent::Commit { index } => EventKind::Commit { index },
            ProtocolEvent::Truncate { from, count } => EventKind::Truncate { from, count },
            ProtocolEvent::CatchUp { from, to } => EventKind::CatchUp { from, to },
            ProtocolEvent::Dedup { client, req_id } => EventKind::Dedup { client, req_id },
            ProtocolEvent::Vote { .. } => unreachable!("votes return above"),
        };
        let now = self.now;
        self.tracer.emit(&self.labels, now, Some(node), kind);
    }

    fn client_event(&mut self, node: NodeId, event: ClientEvent<'_>) {
        if self.tracer.observers.is_empty() {
            // Nobody sees the event: it only takes its number.
            self.tracer.seq += 1;
            return;
        }
        let kind = match event {
            ClientEvent::Invoke { op_id, op } => EventKind::Invoke { op_id, op },
            ClientEvent::Return { op_id, result } => EventKind::Return { op_id, result },
        };
        let now = self.now;
        self.tracer.emit(&self.labels, now, Some(node), kind);
    }

    fn client_done(&mut self, node: NodeId) {
        let i = node.index();
        if self.is_client.get(i) == Some(&true) && !self.done[i] {
            self.done[i] = true;
            self.clients_left -= 1;
            if self.clients_left == 0 {
                self.clients_done_at = Some(self.now);
            }
        }
    }

    fn set_label(&mut self, node: NodeId, label: &dyn fmt::Display) {
        if let Some(l) = self.labels.get_mut(node.index()) {
            *l = label.to_string();
        }
    }
}

enum Slot<P: Process> {
    Up(P),
    Down(P::Durable),
}

/// Builds a node: from scratch (`None`) or, after a crash, from the durable state it kept.
pub type Builder<P> = Box<dyn FnMut(NodeId, Option<<P as Process>::Durable>) -> P>;

/// A protocol's observer of the whole cluster, run after every input a node handles when
/// narration at `info` is wanted: given the node that just handled it and every node in id
/// order (`None` for a node that is down), it pushes lines that no single node could say (a
/// value is chosen the moment a majority of acceptors accepted it, before anyone knows). The
/// simulator prints them as said by [`OBSERVER`]. It knows the protocol's types; the simulator
/// knows none.
pub type ClusterNarrator<P> =
    Box<dyn FnMut(NodeId, &mut dyn Iterator<Item = Option<&P>>, &mut Vec<String>)>;

/// Who speaks the lines of a [`ClusterNarrator`] in the narration (`[observer]`).
pub const OBSERVER: &str = "observer";

/// A state check run after every step over every node in id order (`None` for a node that is
/// down), for protocol invariants that need the processes' state, such as Raft's log matching.
/// It is told which node handled the step: only that node's state changed, so a check may look
/// at it alone. (A crash has no step of its own: it only takes the node out of the iterator, as
/// `None`, until the restart's first step. A check that counts the nodes that are down must
/// look at them all.) Returns (property, detail). The nodes
/// come as an iterator so that the check costs no allocation on the simulator's hot path.
pub type StateCheck<P> =
    Box<dyn FnMut(NodeId, &mut dyn Iterator<Item = Option<&P>>) -> Option<(String, String)>>;

/// One entry of the event queue, as the REPL's `queue` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its id (stable while it is queued): `deliver ID`, `drop ID`, `fire ID` take it.
    pub id: u64,
    /// When it is due.
    pub time: Time,
    /// What it is.
    pub what: PendingKind,
}

/// What a queued entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PendingKind {
    /// A node's first start.
    Start {
        /// The node.
        node: NodeId,
    },
    /// A message in flight.
    Deliver {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Message id (as in the trace).
        msg_id: u64,
        /// Its kind.
        kind: &'static str,
        /// The message, as narrated.
        text: String,
    },
    /// A timer.
    Timer {
        /// Its node.
        node: NodeId,
        /// The timer's payload, as printed by `Debug`.
        text: String,
    },
    /// A scheduled fault.
    Fault {
        /// The fault, as printed.
        text: String,
    },
    /// A scheduled client request.
    Request {
        /// The client.
        node: NodeId,
        /// The operation, as printed.
        text: String,
    },
}

/// A deterministic simulation of one cluster running protocol `P`.
pub struct Sim<P: Process> {
    config: SimConfig,
    specs: Vec<NodeSpec>,
    nodes: Vec<Slot<P>>,
    rngs: Vec<SimRng>,
    build: Builder<P>,
    world: World<P::Msg, P::Timer>,
    state_check: Option<StateCheck<P>>,
    narrator: Option<ClusterNarrator<P>>,
    /// The narrator's lines of the current input.
    said: Vec<String>,
    /// The scenario's notes, by time, and the first not shown yet.
    notes: Vec<(Time, String)>,
    next_note: usize,
    /// Each node's last reported protocol state (only when an observer wants states).
    views: Vec<StateView>,
    ended: Option<EndReason>,
    /// An exact schedule, and how many of its steps were taken.
    schedule: Option<(Vec<ScheduleStep>, usize)>,
    /// Under a schedule: each handler's generator comes from the fingerprint of its node.
    state_rng: Option<StateRng<P>>,
}

/// The fingerprint a handler's generator is derived from, under a schedule.
type StateRng<P> = Box<dyn Fn(&P) -> u64>;

impl<P: Process> Sim<P> {
    /// A cluster of `specs.len()` nodes, built by `build`, each started at time zero in id
    /// order.
    pub fn new(config: SimConfig, specs: Vec<NodeSpec>, mut build: Builder<P>) -> Self {
        let n = specs.len();
        let nodes = (0..n)
            .map(|i| Slot::Up(build(NodeId(i as u32), None)))
            .collect();
        let rngs = (0..n)
            .map(|i| SimRng::derive(config.seed, i as u64 + 1))
            .collect();
        let is_client: Vec<bool> = specs.iter().map(|s| s.client).collect();
        let clients_left = is_client.iter().filter(|c| **c).count();
        let mut world = World {
            now: Time::ZERO,
            qseq: 0,
            queue: Queue::new(),
            net: config.net.clone(),
            topo: Topology::new(n),
            net_rng: SimRng::new(config.seed),
            timers: TimerIndex::default(),
            next_timer: 0,
            next_msg: 0,
            held: (0..n).map(|_| Vec::new()).collect(),
            sends_now: vec![(Time::MAX, 0); n],
            up: vec![true; n],
            incarnation: vec![0; n],
            labels: specs.iter().map(|s| s.name.clone()).collect(),
            tracer: Tracer {
                observers: Vec::new(),
                level: None,
                wants_state: false,
                seq: 0,
                violation: None,
            },
            stats: Stats::default(),
            kind_memo: KindMemo::default(),
            is_client,
            done: vec![false; n],
            clients_left,
            clients_done_at: None,
            last_leader: None,
            last_voter: None,
            last_seeker: None,
            armed: Vec::new(),
            repairs: 0,
            faults_end: Time::ZERO,
            scheduled: false,
            clocks: vec![Clock::TRUE; n],
        };
        for i in 0..n {
            world.push(Time::ZERO, Ev::Start(NodeId(i as u32)));
        }
        Sim {
            config,
            specs,
            nodes,
            rngs,
            build,
            world,
            state_check: None,
            narrator: None,
            said: Vec::new(),
            notes: Vec::new(),
            next_note: 0,
            views: (0..n).map(|_| StateView::default()).collect(),
            ended: None,
            schedule: None,
            state_rng: None,
        }
    }

    /// Follow `steps` instead of the clock (a counterexample of the explorer; see
    /// [`crate::schedule`]). Set it before the first step. Every node still starts first, and
    /// scheduled faults and requests still apply at their times between steps; step `k`
    /// happens at `k` ms.
    pub fn set_schedule(&mut self, steps: Vec<ScheduleStep>) {
        self.world.scheduled = true;
        self.schedule = Some((steps, 0));
    }

    /// Under a schedule: (steps taken, steps in all).
    pub fn schedule_progress(&self) -> Option<(usize, usize)> {
        self.schedule.as_ref().map(|(s, k)| (*k, s.len()))
    }

    /// The time step `k` (from 1) of a schedule happens at.
    fn step_time(k: usize) -> Time {
        Time::ms(k as u64)
    }

    /// One step under a schedule: first any start, fault or request due before the next
    /// step, then the step itself.
    fn step_scheduled(&mut self) -> Step {
        let Some((taken, total)) = self.schedule_progress() else {
            return self.finish(EndReason::Quiescent);
        };
        let next_at = Self::step_time(taken + 1);
        let control = self
            .world
            .queue
            .iter()
            .filter(|q| {
                matches!(q.ev, Ev::Start(_) | Ev::Fault(..) | Ev::Request(..)) && q.time < next_at
            })
            .map(|q| (q.time, q.seq))
            .min();
        if let Some((_, seq)) = control {
            if let Some(q) = self.take_queued(seq) {
                self.handle(q);
                return Step::Event;
            }
        }
        if taken >= total {
            return self.finish(EndReason::Quiescent);
        }
        let Some(step) = self.schedule.as_mut().map(|(steps, k)| {
            *k += 1;
            steps[*k - 1]
        }) else {
            return self.finish(EndReason::Quiescent);
        };
        self.world.now = self.world.now.max(next_at);
        let found = match step {
            ScheduleStep::Deliver { msg_id, keep } => {
                let id = self.world.queue.iter().find_map(|q| match &q.ev {
                    Ev::Deliver { msg_id: m, .. } if *m == msg_id => Some(q.seq),
                    _ => None,
                });
                match id.and_then(|id| self.take_queued(id)) {
                    Some(mut q) => {
                        if keep {
                            if let Ev::Deliver {
                                from,
                                to,
                                msg_id,
                                msg,
                            } = &q.ev
                            {
                                let copy = Ev::Deliver {
                                    from: *from,
                                    to: *to,
                                    msg_id: *msg_id,
                                    msg: msg.clone(),
                                };
                                self.world.stats.duplicated(msg.kind());
                                self.world.push(q.time, copy);
                            }
                        }
                        q.time = self.world.now;
                        self.handle(q);
                        true
                    }
                    None => false,
                }
            }
            ScheduleStep::Drop { msg_id } => {
                let id = self.world.queue.iter().find_map(|q| match &q.ev {
                    Ev::Deliver { msg_id: m, .. } if *m == msg_id => Some(q.seq),
                    _ => None,
                });
                id.is_some_and(|id| self.drop_pending(id))
            }
            ScheduleStep::Fire { timer } => {
                // Set, not cancelled, and its owner up in the incarnation that set it.
                let w = &self.world;
                let id = w.queue.iter().find_map(|q| match &q.ev {
                    Ev::Timer(t, Some((node, inc, _)))
                        if *t == timer
                            && w.up[node.index()]
                            && w.incarnation[node.index()] == *inc =>
                    {
                        Some(q.seq)
                    }
                    _ => None,
                });
                match id.and_then(|id| self.take_queued(id)) {
                    Some(mut q) => {
                        q.time = self.world.now;
                        self.handle(q);
                        true
                    }
                    None => false,
                }
            }
            ScheduleStep::Crash(n) => {
                let ok = self.is_up(n);
                if ok {
                    self.apply_fault(&Fault::Crash(Target::Node(n)));
                }
                ok
            }
            ScheduleStep::Restart(n) => {
                let ok = n.index() < self.nodes.len() && !self.is_up(n);
                if ok {
                    self.apply_fault(&Fault::Restart(Target::Node(n)));
                }
                ok
            }
        };
        if !found {
            let names = self.names();
            let text = format!(
                "schedule step {} (`{}`) cannot be taken: {}; the schedule stops here",
                taken + 1,
                StepDisplay {
                    step: &step,
                    names: &names
                },
                match step {
                    ScheduleStep::Deliver { .. } | ScheduleStep::Drop { .. } =>
                        "no such message is in flight",
                    ScheduleStep::Fire { .. } => "no such timer is set",
                    ScheduleStep::Crash(_) => "the node is not up",
                    ScheduleStep::Restart(_) => "the node is not down",
                }
            );
            self.warn_now(&text);
            if let Some((steps, k)) = &mut self.schedule {
                *k = steps.len();
            }
            return self.finish(EndReason::Quiescent);
        }
        Step::Event
    }

    /// Watch the run. Add observers before the first step to see every event.
    pub fn add_observer(&mut self, o: Box<dyn Observer>) {
        let t = &mut self.world.tracer;
        t.level = t.level.max(o.level());
        t.wants_state |= o.wants_state();
        t.observers.push(o);
    }

    /// Check the processes' state after every step.
    pub fn set_state_check(&mut self, check: StateCheck<P>) {
        self.state_check = Some(check);
    }

    /// Narrate what the whole cluster shows after every step (see [`ClusterNarrator`]).
    pub fn set_narrator(&mut self, narrator: ClusterNarrator<P>) {
        self.narrator = Some(narrator);
    }

    /// Show `text` when the clock reaches `at` (a scenario's `[[note]]`): a `note` event
    /// before the events due at that time. A note takes no place in the queue: it neither
    /// keeps a run going nor changes what happens, and one due after the run ends is never
    /// shown. Notes at one time are shown in the order they were added.
    pub fn schedule_note(&mut self, at: Time, text: String) {
        let pos = self.notes[self.next_note..].partition_point(|(t, _)| *t <= at);
        self.notes.insert(self.next_note + pos, (at, text));
    }

    /// Show the notes due at or before `t`.
    #[inline]
    fn notes_until(&mut self, t: Time) {
        // Most runs have no notes, or none left: a test, not a call.
        if self.next_note < self.notes.len() {
            self.show_notes_until(t);
        }
    }

    fn show_notes_until(&mut self, t: Time) {
        while let Some((at, text)) = self.notes.get(self.next_note) {
            if *at > t {
                break;
            }
            let time = (*at).max(self.world.now);
            self.world
                .tracer
                .emit(&self.world.labels, time, None, EventKind::Note { text });
            self.next_note += 1;
        }
    }

    /// Schedule a fault. A run whose clients are done still waits for every scheduled fault
    /// (and then the settle time), so that the end state is judged after the last repair.
    pub fn schedule(&mut self, f: ScheduledFault) {
        // A fault that lasts ends with its undoing: that is when the schedule is over (a fault
        // that waits for a moment counts from its arming, and again once it fires).
        let w = &mut self.world;
        w.faults_end = w.faults_end.max(f.at + f.fault.span());
        w.push(f.at, Ev::Fault(f.fault, None));
    }

    /// Schedule a client request (a scenario's `[[request]]`): at `at`, client `node` is asked
    /// to perform `op`, exactly as [`Sim::client_request`] asks it. Like a scheduled fault, it
    /// comes before the events due at the same time that are queued after it.
    pub fn schedule_request(&mut self, at: Time, node: NodeId, op: synod_core::ClientOp) {
        self.world.push(at, Ev::Request(node, op));
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The nodes, by id.
    pub fn specs(&self) -> &[NodeSpec] {
        &self.specs
    }

    /// Node names, by id.
    pub fn names(&self) -> Vec<String> {
        self.specs.iter().map(|s| s.name.clone()).collect()
    }

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.world.now
    }

    /// The sequence number of the last event.
    pub fn seq(&self) -> u64 {
        self.world.tracer.seq
    }

    /// Statistics so far.
    pub fn stats(&self) -> &Stats {
        &self.world.stats
    }

    /// The process at `id`, if it is up.
    pub fn process(&self, id: NodeId) -> Option<&P> {
        match self.nodes.get(id.index()) {
            Some(Slot::Up(p)) => Some(p),
            _ => None,
        }
    }

    /// Whether `id` is up.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.world.up.get(id.index()).copied().unwrap_or(false)
    }

    /// The status of every node (`None` for a node that is down).
    pub fn statuses(&self) -> Vec<Option<NodeStatus>> {
        self.nodes
            .iter()
            .map(|s| match s {
                Slot::Up(p) => Some(p.status()),
                Slot::Down(_) => None,
            })
            .collect()
    }

    /// The topology (cut links, held and slow nodes).
    pub fn topology(&self) -> &Topology {
        &self.world.topo
    }

    /// Whether every client has finished its workload (true when there are no clients).
    pub fn clients_done(&self) -> bool {
        self.world.clients_left == 0
    }

    /// The violation that stopped the run, if one did.
    pub fn violation(&self) -> Option<&Violation> {
        self.world.tracer.violation.as_ref()
    }

    /// Why the run ended, once it has.
    pub fn ended(&self) -> Option<&EndReason> {
        self.ended.as_ref()
    }

    /// Run until the run ends; returns why.
    pub fn run(&mut self) -> EndReason {
        loop {
            if let Step::End(reason) = self.step() {
                return reason;
            }
        }
    }

    /// When the run stops taking events: the time limit, or the settle time after the clients.
    fn deadline(&self) -> (Time, EndReason) {
        match self.world.clients_done_at {
            Some(at) if self.world.is_client.iter().any(|c| *c) => {
                let settle = at.max(self.world.faults_end) + self.config.settle;
                if settle < self.config.until {
                    (settle, EndReason::ClientsDone)
                } else {
                    (self.config.until, EndReason::TimeLimit)
                }
            }
            _ => (self.config.until, EndReason::TimeLimit),
        }
    }

    fn finish(&mut self, reason: EndReason) -> Step {
        if matches!(reason, EndReason::TimeLimit | EndReason::ClientsDone) {
            // The clock stands at the deadline: the notes it passed are shown.
            let now = self.world.now;
            self.notes_until(now);
        }
        self.ended = Some(reason.clone());
        Step::End(reason)
    }

    /// Process the next event.
    pub fn step(&mut self) -> Step {
        if let Some(reason) = &self.ended {
            return Step::End(reason.clone());
        }
        if let Some(v) = &self.world.tracer.violation {
            let v = v.clone();
            return self.finish(EndReason::Violation(v));
        }
        if self.schedule.is_some() {
            return self.step_scheduled();
        }
        // Cancelled timers stay queued until their time; discard them here so that a run whose
        // only pending events are cancelled timers is quiescent.
        let next_time = loop {
            match self.world.queue.peek() {
                Some(Queued {
                    ev: Ev::Timer(_, None),
                    ..
                }) => self.world.queue.discard(),
                next => break next.map(|q| q.time),
            }
        };
        if self.world.queue.len() > MAX_QUEUED {
            return self.overflow();
        }
        let (deadline, why) = self.deadline();
        let Some(next_time) = next_time else {
            return self.finish(EndReason::Quiescent);
        };
        if next_time > deadline {
            self.world.now = self.world.now.max(deadline);
            return self.finish(why);
        }
        self.notes_until(next_time);
        let Some(q) = self.world.queue.pop() else {
            return self.finish(EndReason::Quiescent);
        };
        self.handle(q);
        Step::Event
    }

    /// The queue holds more than [`MAX_QUEUED`] entries: the run stops with a violation.
    #[cold]
    fn overflow(&mut self) -> Step {
        // Who filled the queue decides whose fault it is: counted once, as the run stops.
        let scheduled = (self.world.queue.iter())
            .filter(|q| matches!(q.ev, Ev::Fault(..) | Ev::Request(..)))
            .count();
        let queued = self.world.queue.len();
        let (property, detail) = if 2 * scheduled >= queued {
            (
                OVERLOADED,
                format!(
                    "{queued} entries are queued, {scheduled} of them the scenario's scheduled faults and requests: more than the simulator holds at once ({MAX_QUEUED}); the run stops here"
                ),
            )
        } else {
            (
                MESSAGE_STORM,
                format!(
                    "{queued} entries are queued, {} of them the protocol's messages and timers: more than the simulator holds at once ({MAX_QUEUED}); the protocol sends faster than the network delivers (a message storm); the run stops here",
                    queued - scheduled
                ),
            )
        };
        let t = &mut self.world.tracer;
        let v = Violation {
            property: property.into(),
            seq: t.seq,
            time: self.world.now,
            detail,
        };
        t.violate(v.clone());
        self.finish(EndReason::Violation(v))
    }

    /// Process one queued entry at its time.
    fn handle(&mut self, q: Queued<Ev<P::Msg, P::Timer>>) {
        self.world.now = q.time;
        self.world.stats.events += 1;
        match q.ev {
            Ev::Start(node) => {
                let now = self.world.now;
                self.world
                    .tracer
                    .emit(&self.world.labels, now, Some(node), EventKind::Start);
                self.call(node, |p, ctx| p.on_start(ctx));
            }
            Ev::Deliver {
                from,
                to,
                msg_id,
                msg,
            } => {
                if !self.world.up[to.index()] {
                    self.world
                        .drop_msg(from, to, msg_id, &msg, DropReason::NodeDown);
                } else {
                    let w = &mut self.world;
                    w.stats.counters(&mut w.kind_memo, msg.kind()).delivered += 1;
                    let now = self.world.now;
                    self.world.tracer.emit(
                        &self.world.labels,
                        now,
                        Some(to),
                        EventKind::Deliver {
                            from,
                            msg_id,
                            msg: &msg,
                        },
                    );
                    self.call(to, |p, ctx| p.on_message(ctx, from, msg));
                }
            }
            Ev::Timer(id, live) => {
                self.world.timers.remove(id.0);
                if let Some((node, inc, timer)) = live {
                    let i = node.index();
                    if self.world.up[i] && self.world.incarnation[i] == inc {
                        let now = self.world.now;
                        self.world.tracer.emit(
                            &self.world.labels,
                            now,
                            Some(node),
                            EventKind::Timer { id, timer: &timer },
                        );
                        self.call(node, |p, ctx| p.on_timer(ctx, timer));
                    }
                }
            }
            Ev::Fault(f, None) => self.apply_fault(&f),
            Ev::Fault(f, Some(repairs)) if repairs == self.world.repairs => self.apply_fault(&f),
            Ev::Fault(f, Some(_)) => {
                let names = self.names();
                let text = format!(
                    "fault skipped: `{}`: a repair came between its moment and its strike",
                    FaultDisplay {
                        fault: &f,
                        names: &names
                    }
                );
                self.warn_now(&text);
            }
            Ev::Request(node, op) => {
                let shown = op.to_string();
                if !self.client_request(node, op) {
                    let now = self.world.now;
                    let text =
                        format!("request skipped: cannot {shown} now (down, or not a client)");
                    self.world.tracer.emit(
                        &self.world.labels,
                        now,
                        Some(node),
                        EventKind::Log {
                            level: Level::Warn,
                            text: &text,
                        },
                    );
                }
            }
        }
    }

    fn call(&mut self, node: NodeId, f: impl FnOnce(&mut P, &mut Ctx<'_, P::Msg, P::Timer>)) {
        let i = node.index();
        // The input being handled (a delivery, a timer, a start) was emitted just before.
        let input = self.world.tracer.seq;
        if let Slot::Up(p) = &mut self.nodes[i] {
            if let (true, Some(f)) = (self.world.scheduled, &self.state_rng) {
                self.rngs[i] = SimRng::derive(self.config.seed, f(p));
            }
            let now = self.world.handler_now(i);
            let mut ctx = Ctx::new(node, now, &mut self.rngs[i], &mut self.world);
            f(p, &mut ctx);
        }
        if self.world.tracer.wants_state {
            self.report_state(node, input);
        }
        if let Some(narrate) = &mut self.narrator {
            if self.world.log_enabled(Level::Info) {
                let mut live = self.nodes.iter().map(|s| match s {
                    Slot::Up(p) => Some(p),
                    Slot::Down(_) => None,
                });
                narrate(node, &mut live, &mut self.said);
                let now = self.world.now;
                for text in self.said.drain(..) {
                    self.world.tracer.emit_said(OBSERVER, now, &text);
                }
            }
        }
        if let Some(check) = &mut self.state_check {
            let mut live = self.nodes.iter().map(|s| match s {
                Slot::Up(p) => Some(p),
                Slot::Down(_) => None,
            });
            if let Some((property, detail)) = check(node, &mut live) {
                let t = &mut self.world.tracer;
                let v = Violation {
                    property,
                    seq: t.seq,
                    time: self.world.now,
                    detail,
                };
                t.violate(v);
            }
        }
    }

    /// Ask `node` for its protocol state and emit what changed since its last report, as a
    /// `state` event numbered like the input `seq` that changed it.
    fn report_state(&mut self, node: NodeId, seq: u64) {
        let i = node.index();
        let Slot::Up(p) = &self.nodes[i] else {
            return;
        };
        let changes = self.views[i].report(|v| p.view(v));
        if !changes.is_empty() {
            let now = self.world.now;
            self.world.tracer.emit_at(
                seq,
                &self.world.labels,
                now,
                Some(node),
                EventKind::State { changes },
            );
        }
    }

    /// The queue, in the order it will be processed (cancelled timers and timers of crashed
    /// incarnations left out).
    pub fn pending(&self) -> Vec<Pending> {
        let names = self.names();
        let mut out: Vec<(Time, u64, PendingKind)> = self
            .world
            .queue
            .iter()
            .filter_map(|q| {
                let what = match &q.ev {
                    Ev::Start(node) => PendingKind::Start { node: *node },
                    Ev::Deliver {
                        from,
                        to,
                        msg_id,
                        msg,
                    } => PendingKind::Deliver {
                        from: *from,
                        to: *to,
                        msg_id: *msg_id,
                        kind: msg.kind(),
                        text: msg.to_string(),
                    },
                    Ev::Timer(_, live) => {
                        let (node, inc, t) = live.as_ref()?;
                        if self.world.incarnation[node.index()] != *inc {
                            return None;
                        }
                        PendingKind::Timer {
                            node: *node,
                            text: format!("{t:?}"),
                        }
                    }
                    Ev::Request(node, op) => PendingKind::Request {
                        node: *node,
                        text: op.to_string(),
                    },
                    Ev::Fault(f, _) => PendingKind::Fault {
                        text: FaultDisplay {
                            fault: f,
                            names: &names,
                        }
                        .to_string(),
                    },
                };
                Some((q.time, q.seq, what))
            })
            .collect();
        out.sort_by_key(|(t, seq, _)| (*t, *seq));
        out.into_iter()
            .map(|(time, id, what)| Pending { id, time, what })
            .collect()
    }

    fn take_queued(&mut self, id: u64) -> Option<Queued<Ev<P::Msg, P::Timer>>> {
        self.world.queue.remove(id)
    }

    /// Process queued entry `id` now, ahead of its turn (a hand-driven schedule: the REPL's
    /// `deliver` and `fire`). Virtual time does not move. Returns false if there is no such
    /// entry.
    pub fn process_now(&mut self, id: u64) -> bool {
        match self.take_queued(id) {
            Some(mut q) if self.ended.is_none() => {
                q.time = self.world.now;
                self.handle(q);
                true
            }
            Some(q) => {
                self.world.enqueue(q);
                false
            }
            None => false,
        }
    }

    /// Drop the message in flight with queue id `id` (the REPL's `drop`). Returns false if
    /// `id` is not a message in flight.
    pub fn drop_pending(&mut self, id: u64) -> bool {
        match self.take_queued(id) {
            Some(Queued {
                ev:
                    Ev::Deliver {
                        from,
                        to,
                        msg_id,
                        msg,
                    },
                ..
            }) => {
                self.world
                    .drop_msg(from, to, msg_id, &msg, DropReason::Manual);
                true
            }
            Some(other) => {
                self.world.enqueue(other);
                false
            }
            None => false,
        }
    }

    /// Ask client `id` to perform `op` (the REPL's `request`). Returns false if the node is
    /// down or is not a client that accepts it.
    pub fn client_request(&mut self, id: NodeId, op: synod_core::ClientOp) -> bool {
        let i = id.index();
        let mut accepted = false;
        let input = self.world.tracer.seq;
        if let Some(Slot::Up(p)) = self.nodes.get_mut(i) {
            if let (true, Some(f)) = (self.world.scheduled, &self.state_rng) {
                self.rngs[i] = SimRng::derive(self.config.seed, f(p));
            }
            let now = self.world.handler_now(i);
            let mut ctx = Ctx::new(id, now, &mut self.rngs[i], &mut self.world);
            accepted = p.on_client_request(&mut ctx, op);
        }
        if accepted && self.world.tracer.wants_state {
            self.report_state(id, input);
        }
        accepted
    }

    /// The time of the next entry that will be processed (cancelled timers and timers of
    /// crashed incarnations left out), if any.
    pub fn next_due(&self) -> Option<Time> {
        if let Some((steps, k)) = &self.schedule {
            // Under a schedule, what comes next is the next step (or a scheduled fault).
            let control = self
                .world
                .queue
                .iter()
                .filter(|q| matches!(q.ev, Ev::Start(_) | Ev::Fault(..) | Ev::Request(..)))
                .map(|q| q.time)
                .min();
            let step = (*k < steps.len()).then(|| Self::step_time(k + 1));
            return match (control, step) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        self.world
            .queue
            .iter()
            .filter(|q| match &q.ev {
                Ev::Timer(_, live) => live
                    .as_ref()
                    .is_some_and(|(node, inc, _)| self.world.incarnation[node.index()] == *inc),
                _ => true,
            })
            .map(|q| q.time)
            .min()
    }

    /// Move the clock forward to `t` without processing anything, so that a driver (the REPL)
    /// can apply an input between two events exactly as a fault scheduled at `t` fires: after
    /// every event before `t`, before every event at or after it. Refused (false, nothing
    /// changes) if `t` is before now or an entry is due before `t`.
    pub fn advance_to(&mut self, t: Time) -> bool {
        if t < self.world.now || self.next_due().is_some_and(|due| due < t) {
            return false;
        }
        self.notes_until(t);
        self.world.now = t;
        true
    }

    /// Move the time limit (the REPL's `run MS` past the scenario's end). A run that ended
    /// at its time limit or after its clients may go on; one stopped by a violation may not.
    pub fn set_until(&mut self, until: Time) {
        self.config.until = until;
        if matches!(
            self.ended,
            Some(EndReason::TimeLimit | EndReason::ClientsDone)
        ) {
            self.ended = None;
            self.world.clients_done_at = None;
        }
    }

    /// Resolve a fault target now. `None` if it names nothing (no leader at the moment) or
    /// more than one node (`*`: see [`Sim::resolve_all`]).
    pub fn resolve(&self, t: &Target) -> Option<NodeId> {
        match t {
            Target::Node(id) => Some(*id),
            Target::Leader => {
                let leads = |id: NodeId| self.process(id).is_some_and(|p| p.status().leader);
                match self.world.last_leader {
                    Some(id) if leads(id) => Some(id),
                    _ => (0..self.nodes.len() as u32)
                        .map(NodeId)
                        .find(|id| leads(*id)),
                }
            }
            Target::Voter => self.world.last_voter,
            Target::Seeker => self.world.last_seeker,
            Target::All => None,
        }
    }

    /// The servers (every node that is not a client), in id order.
    fn servers(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.specs.len() as u32)
            .map(NodeId)
            .filter(|id| !self.world.is_client[id.index()])
    }

    /// Resolve targets now: `*` is every server.
    pub fn resolve_all(&self, ts: &[Target]) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(ts.len());
        for t in ts {
            match t {
                Target::All => out.extend(self.servers()),
                t => out.extend(self.resolve(t)),
            }
        }
        out
    }

    /// The groups of a partition, resolved: a group holding `*` takes every server that no
    /// other group names.
    fn resolve_groups(&self, groups: &[Vec<Target>]) -> Vec<Vec<NodeId>> {
        let mut out: Vec<Vec<NodeId>> = groups
            .iter()
            .map(|g| {
                let named: Vec<Target> = g.iter().filter(|t| **t != Target::All).cloned().collect();
                self.resolve_all(&named)
            })
            .collect();
        let named: Vec<NodeId> = out.iter().flatten().copied().collect();
        for (g, resolved) in groups.iter().zip(out.iter_mut()) {
            if g.contains(&Target::All) {
                resolved.extend(self.servers().filter(|s| !named.contains(s)));
            }
        }
        out
    }

    /// Apply a fault now (the REPL and the web game inject faults this way).
    pub fn apply_fault(&mut self, fault: &Fault) {
        let now = self.world.now;
        let names = self.names();
        let shown = FaultDisplay {
            fault,
            names: &names,
        };
        self.world.tracer.emit(
            &self.world.labels,
            now,
            None,
            EventKind::Fault { fault: &shown },
        );
        self.strike(fault, &names);
    }

    /// Strike a fault that undoes itself: resolve its targets now, strike it on them, and
    /// return the faults that undo it on the same nodes.
    fn strike_lasting(&mut self, fault: &Fault, names: &[String]) -> Vec<Fault> {
        let node = |id: NodeId| Target::Node(id);
        let each = |sim: &Self, t: &Target| -> Vec<NodeId> {
            match t {
                Target::All => sim.servers().collect(),
                t => sim.resolve(t).into_iter().collect(),
            }
        };
        let mut undo = Vec::new();
        let mut struck = Vec::new();
        match fault {
            Fault::Crash(t) | Fault::Hold(t) => {
                let ids = each(self, t);
                if ids.is_empty() {
                    self.note_skipped(fault, names);
                }
                for id in ids {
                    let (now, later) = match fault {
                        Fault::Crash(_) => (Fault::Crash(node(id)), Fault::Restart(node(id))),
                        _ => (Fault::Hold(node(id)), Fault::Release(node(id))),
                    };
                    struck.push(now);
                    undo.push(later);
                }
            }
            Fault::Slow(t, x) | Fault::Skew(t, x) => {
                let ids = each(self, t);
                if ids.is_empty() {
                    self.note_skipped(fault, names);
                }
                for id in ids {
                    let (now, later) = match fault {
                        Fault::Slow(..) => (Fault::Slow(node(id), *x), Fault::Slow(node(id), 1.0)),
                        _ => (Fault::Skew(node(id), *x), Fault::Skew(node(id), 1.0)),
                    };
                    struck.push(now);
                    undo.push(later);
                }
            }
            Fault::Partition(groups) => {
                let groups = self.resolve_groups(groups);
                let groups = groups
                    .into_iter()
                    .map(|g| g.into_iter().map(node).collect())
                    .collect();
                struck.push(Fault::Partition(groups));
                undo.push(Fault::Heal);
            }
            Fault::OneWay { from, to } => {
                let (from, to) = (self.resolve_all(from), self.resolve_all(to));
                struck.push(Fault::OneWay {
                    from: from.into_iter().map(node).collect(),
                    to: to.into_iter().map(node).collect(),
                });
                undo.push(Fault::Heal);
            }
            Fault::Ring(ring) => {
                let ring = self.resolve_all(ring);
                struck.push(Fault::Ring(ring.into_iter().map(node).collect()));
                undo.push(Fault::Heal);
            }
            // Back to the scenario's network, not to the value at the strike: two bursts that
            // overlap would otherwise leave the first one's value behind for good when the
            // second ends.
            Fault::Loss(p) => {
                undo.push(Fault::Loss(self.config.net.loss));
                struck.push(Fault::Loss(*p));
            }
            Fault::Duplicate(p) => {
                undo.push(Fault::Duplicate(self.config.net.duplicate));
                struck.push(Fault::Duplicate(*p));
            }
            Fault::Latency(lo, hi) => {
                let net = &self.config.net;
                undo.push(Fault::Latency(net.latency_min, net.latency_max));
                struck.push(Fault::Latency(*lo, *hi));
            }
            // Nothing to undo: these undo faults themselves.
            Fault::Restart(_)
            | Fault::Heal
            | Fault::Release(_)
            | Fault::Repair
            | Fault::Admin { .. } => {
                struck.push(fault.clone());
            }
            Fault::Lasting(..) | Fault::When { .. } => struck.push(fault.clone()),
        }
        for f in &struck {
            self.strike(f, names);
        }
        undo
    }

    /// Do what a fault does (its event was emitted by the caller).
    fn strike(&mut self, fault: &Fault, names: &[String]) {
        match fault {
            Fault::Crash(t) | Fault::Restart(t) => {
                let ids = self.resolve_all(std::slice::from_ref(t));
                if ids.is_empty() {
                    self.note_skipped(fault, names);
                }
                for id in ids {
                    match fault {
                        Fault::Crash(_) => self.crash(id),
                        _ => self.restart(id),
                    }
                }
            }
            Fault::Partition(groups) => {
                let groups = self.resolve_groups(groups);
                for (i, a) in groups.iter().enumerate() {
                    for (j, b) in groups.iter().enumerate() {
                        if i != j {
                            for &x in a {
                                for &y in b {
                                    self.world.topo.cut(x, y);
                                }
                            }
                        }
                    }
                }
                self.count_leader_isolation();
            }
            Fault::OneWay { from, to } => {
                let (from, to) = (self.resolve_all(from), self.resolve_all(to));
                for &x in &from {
                    for &y in &to {
                        self.world.topo.cut(x, y);
                    }
                }
                self.count_leader_isolation();
            }
            Fault::Ring(ring) => {
                let ring = self.resolve_all(ring);
                for (a, b) in ring_cuts(ring.len()) {
                    self.world.topo.cut(ring[a], ring[b]);
                    self.world.topo.cut(ring[b], ring[a]);
                }
                self.count_leader_isolation();
            }
            Fault::Heal => self.world.topo.heal(),
            Fault::Hold(t) | Fault::Release(t) | Fault::Slow(t, _) | Fault::Skew(t, _) => {
                let ids = self.resolve_all(std::slice::from_ref(t));
                if ids.is_empty() {
                    self.note_skipped(fault, names);
                }
                for id in ids {
                    match fault {
                        Fault::Hold(_) => self.world.topo.set_held(id, true),
                        Fault::Release(_) => self.world.release(id),
                        Fault::Slow(_, x) => self.world.topo.set_slow(id, *x),
                        Fault::Skew(_, x) => self.set_skew(id, *x),
                        _ => {}
                    }
                }
            }
            Fault::Loss(p) => self.world.net.loss = *p,
            Fault::Duplicate(p) => self.world.net.duplicate = *p,
            Fault::Latency(lo, hi) => {
                self.world.net.latency_min = *lo;
                self.world.net.latency_max = *hi;
            }
            Fault::Repair => {
                self.world.armed.clear();
                self.world.repairs += 1;
                self.world.topo.heal();
                let all: Vec<NodeId> = (0..self.specs.len() as u32).map(NodeId).collect();
                for &id in &all {
                    self.restart(id);
                }
                for &id in &all {
                    if self.world.topo.is_held(id) {
                        self.world.release(id);
                    }
                    self.world.topo.set_slow(id, 1.0);
                    self.set_skew(id, 1.0);
                }
                let net = &self.config.net;
                self.world.net.loss = net.loss;
                self.world.net.duplicate = net.duplicate;
                self.world.net.latency_min = net.latency_min;
                self.world.net.latency_max = net.latency_max;
            }
            Fault::Lasting(inner, d) => {
                let undo = self.strike_lasting(inner, names);
                let at = self.world.now + *d;
                for f in undo {
                    self.world.push(at, Ev::Fault(f, None));
                }
            }
            Fault::When {
                on,
                after,
                within,
                fault,
            } => {
                self.world.armed.push(Armed {
                    on: *on,
                    after: *after,
                    until: within.map(|w| self.world.now + w),
                    fault: (**fault).clone(),
                });
            }
            Fault::Admin { to, verb, arg } => {
                let taken = match self.resolve(to) {
                    Some(id) => self.admin(id, verb, arg),
                    None => false,
                };
                if !taken {
                    let text = format!(
                        "fault skipped: `{}`: no such node is up, or it takes no orders",
                        FaultDisplay { fault, names }
                    );
                    self.warn_now(&text);
                }
            }
        }
    }

    /// Re-base `id`'s clock so that from now on it runs `factor` times slower than real time
    /// (see [`Fault::Skew`]); what it reads so far is kept, so a clock never jumps.
    fn set_skew(&mut self, id: NodeId, factor: f64) {
        let now = self.world.now;
        let clock = &mut self.world.clocks[id.index()];
        *clock = Clock {
            base_real: now,
            base_local: clock.local(now),
            factor,
        };
    }

    /// Count a cut that leaves the leader unable to reach a majority of the servers (itself
    /// included), both ways: the coverage a campaign reports as "partitions that isolated a
    /// leader".
    fn count_leader_isolation(&mut self) {
        let Some(leader) = self.resolve(&Target::Leader) else {
            return;
        };
        let servers: Vec<NodeId> = self.servers().collect();
        let topo = &self.world.topo;
        let reach = servers
            .iter()
            .filter(|&&s| s == leader || (!topo.is_cut(leader, s) && !topo.is_cut(s, leader)))
            .count();
        if reach < servers.len() / 2 + 1 {
            self.world.stats.leader_isolations += 1;
        }
    }

    /// Hand an operator's order to `id` (see [`Fault::Admin`]); false if it is down or does
    /// not take orders.
    fn admin(&mut self, id: NodeId, verb: &str, arg: &str) -> bool {
        if !self.is_up(id) {
            return false;
        }
        let mut taken = false;
        self.call(id, |p, ctx| taken = p.on_admin(ctx, verb, arg));
        taken
    }

    fn note_skipped(&mut self, fault: &Fault, names: &[String]) {
        let text = format!(
            "fault skipped: `{}` names no node right now",
            FaultDisplay { fault, names }
        );
        self.warn_now(&text);
    }

    /// A warning of the driver's (a fault it skips, a schedule that stops), at the current
    /// time.
    fn warn_now(&mut self, text: &str) {
        let now = self.world.now;
        self.world.tracer.emit(
            &self.world.labels,
            now,
            None,
            EventKind::Log {
                level: Level::Warn,
                text: &text,
            },
        );
    }

    /// Crash `id` now: keep its durable state, drop the rest. Crashing a down node does nothing.
    pub fn crash(&mut self, id: NodeId) {
        let i = id.index();
        if let Some(Slot::Up(p)) = self.nodes.get(i) {
            let durable = p.durable();
            self.nodes[i] = Slot::Down(durable);
            self.world.up[i] = false;
            self.world.incarnation[i] += 1;
            let now = self.world.now;
            self.world
                .tracer
                .emit(&self.world.labels, now, Some(id), EventKind::Crash);
        }
    }

    /// Restart `id` from its durable state. Restarting a node that is up does nothing.
    pub fn restart(&mut self, id: NodeId) {
        let i = id.index();
        if let Some(Slot::Down(d)) = self.nodes.get(i) {
            let d = d.clone();
            self.nodes[i] = Slot::Up((self.build)(id, Some(d)));
            self.world.up[i] = true;
            self.world.labels[i] = self.specs[i].name.clone();
            let now = self.world.now;
            self.world
                .tracer
                .emit(&self.world.labels, now, Some(id), EventKind::Restart);
            self.call(id, |p, ctx| p.on_start(ctx));
        }
    }
}

/// The links a majority ring of `n` nodes cuts, as pairs of positions (both directions are
/// cut): each node keeps its `d` nearest neighbours on both sides, with `d` the least that
/// lets it see a majority (itself and `d` on each side).
pub fn ring_cuts(n: usize) -> Vec<(usize, usize)> {
    let majority = n / 2 + 1;
    let d = (majority - 1).div_ceil(2).max(1);
    let mut cuts = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let dist = (b - a).min(n - (b - a));
            if dist > d {
                cuts.push((a, b));
            }
        }
    }
    cuts
}

impl<P: Process + std::hash::Hash> Sim<P> {
    /// Under a schedule, give each handler a generator derived from the seed and the
    /// fingerprint of its node's state before the handler, as the explorer does, so that a
    /// counterexample replays with the draws it was found with. (Timed runs keep one stream
    /// per node.) Protocols the explorer searches turn this on when they are built.
    pub fn seed_handlers_from_state(&mut self) {
        self.state_rng = Some(Box::new(|p: &P| synod_core::fingerprint::of(p)));
    }
}

/// A simulation with its protocol type erased, for drivers that handle any protocol (the CLI,
/// the REPL, the web game).
pub trait Simulation {
    /// Process the next event.
    fn step(&mut self) -> Step;
    /// Run to the end.
    fn run(&mut self) -> EndReason;
    /// Watch the run.
    fn add_observer(&mut self, o: Box<dyn Observer>);
    /// Schedule a fault.
    fn schedule(&mut self, f: ScheduledFault);
    /// Schedule a client request.
    fn schedule_request(&mut self, at: Time, node: NodeId, op: synod_core::ClientOp);
    /// Show a note when the clock reaches `at`.
    fn schedule_note(&mut self, at: Time, text: String);
    /// Apply a fault now.
    fn apply_fault(&mut self, f: &Fault);
    /// The nodes.
    fn specs(&self) -> &[NodeSpec];
    /// The configuration.
    fn config(&self) -> &SimConfig;
    /// Virtual time now.
    fn now(&self) -> Time;
    /// Statistics so far.
    fn stats(&self) -> &Stats;
    /// Every node's status (`None` when down).
    fn statuses(&self) -> Vec<Option<NodeStatus>>;
    /// Whether every client is done.
    fn clients_done(&self) -> bool;
    /// The violation that stopped the run.
    fn violation(&self) -> Option<&Violation>;
    /// The queue, in processing order.
    fn pending(&self) -> Vec<Pending>;
    /// Process queued entry `id` now.
    fn process_now(&mut self, id: u64) -> bool;
    /// Drop the message in flight `id`.
    fn drop_pending(&mut self, id: u64) -> bool;
    /// Ask a client to perform an operation.
    fn client_request(&mut self, id: NodeId, op: synod_core::ClientOp) -> bool;
    /// A node's state, described by its protocol for people (`None` when down).
    fn inspect(&self, id: NodeId) -> Option<Inspection>;
    /// What a crashed node kept (its durable state), described by its protocol (`None` when
    /// up).
    fn inspect_durable(&self, id: NodeId) -> Option<Inspection>;
    /// Crash a node now.
    fn crash(&mut self, id: NodeId);
    /// Restart a crashed node now.
    fn restart(&mut self, id: NodeId);
    /// Whether a node is up.
    fn is_up(&self, id: NodeId) -> bool;
    /// The topology.
    fn topology(&self) -> &Topology;
    /// Why the run ended, once it has.
    fn ended(&self) -> Option<&EndReason>;
    /// The sequence number of the last event.
    fn seq(&self) -> u64;
    /// Move the time limit.
    fn set_until(&mut self, until: Time);
    /// The time of the next entry that will be processed.
    fn next_due(&self) -> Option<Time>;
    /// Move the clock forward to `t` between events (false if something is due before `t`).
    fn advance_to(&mut self, t: Time) -> bool;
    /// Follow an exact schedule instead of the clock.
    fn set_schedule(&mut self, steps: Vec<ScheduleStep>);
    /// Under a schedule: (steps taken, steps in all).
    fn schedule_progress(&self) -> Option<(usize, usize)>;
}

impl<P: Process> Simulation for Sim<P> {
    fn pending(&self) -> Vec<Pending> {
        Sim::pending(self)
    }
    fn process_now(&mut self, id: u64) -> bool {
        Sim::process_now(self, id)
    }
    fn drop_pending(&mut self, id: u64) -> bool {
        Sim::drop_pending(self, id)
    }
    fn client_request(&mut self, id: NodeId, op: synod_core::ClientOp) -> bool {
        Sim::client_request(self, id, op)
    }
    fn inspect(&self, id: NodeId) -> Option<Inspection> {
        let p = self.process(id)?;
        let names = self.names();
        let mut out = Inspect::new(&names);
        p.inspect(&mut out);
        Some(out.finish())
    }
    fn inspect_durable(&self, id: NodeId) -> Option<Inspection> {
        let Some(Slot::Down(d)) = self.nodes.get(id.index()) else {
            return None;
        };
        let names = self.names();
        let mut out = Inspect::new(&names);
        P::inspect_durable(d, &mut out);
        Some(out.finish())
    }
    fn crash(&mut self, id: NodeId) {
        Sim::crash(self, id)
    }
    fn restart(&mut self, id: NodeId) {
        Sim::restart(self, id)
    }
    fn is_up(&self, id: NodeId) -> bool {
        Sim::is_up(self, id)
    }
    fn topology(&self) -> &Topology {
        Sim::topology(self)
    }
    fn ended(&self) -> Option<&EndReason> {
        Sim::ended(self)
    }
    fn seq(&self) -> u64 {
        Sim::seq(self)
    }
    fn set_until(&mut self, until: Time) {
        Sim::set_until(self, until)
    }
    fn next_due(&self) -> Option<Time> {
        Sim::next_due(self)
    }
    fn advance_to(&mut self, t: Time) -> bool {
        Sim::advance_to(self, t)
    }
    fn set_schedule(&mut self, steps: Vec<ScheduleStep>) {
        Sim::set_schedule(self, steps)
    }
    fn schedule_progress(&self) -> Option<(usize, usize)> {
        Sim::schedule_progress(self)
    }
    fn step(&mut self) -> Step {
        Sim::step(self)
    }
    fn run(&mut self) -> EndReason {
        Sim::run(self)
    }
    fn add_observer(&mut self, o: Box<dyn Observer>) {
        Sim::add_observer(self, o)
    }
    fn schedule_request(&mut self, at: Time, node: NodeId, op: synod_core::ClientOp) {
        Sim::schedule_request(self, at, node, op)
    }
    fn schedule(&mut self, f: ScheduledFault) {
        Sim::schedule(self, f)
    }
    fn schedule_note(&mut self, at: Time, text: String) {
        Sim::schedule_note(self, at, text)
    }
    fn apply_fault(&mut self, f: &Fault) {
        Sim::apply_fault(self, f)
    }
    fn specs(&self) -> &[NodeSpec] {
        Sim::specs(self)
    }
    fn config(&self) -> &SimConfig {
        Sim::config(self)
    }
    fn now(&self) -> Time {
        Sim::now(self)
    }
    fn stats(&self) -> &Stats {
        Sim::stats(self)
    }
    fn statuses(&self) -> Vec<Option<NodeStatus>> {
        Sim::statuses(self)
    }
    fn clients_done(&self) -> bool {
        Sim::clients_done(self)
    }
    fn violation(&self) -> Option<&Violation> {
        Sim::violation(self)
    }
}
