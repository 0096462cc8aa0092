//! The actor model: a [`Process`] reacts to its start, to messages and to timers, and acts on the
//! world only through its [`Ctx`].

use crate::ids::{NodeId, Time, TimerId};
use crate::inspect::Inspect;
use crate::rng::SimRng;
use crate::trace::{ClientEvent, ClientOp, ClientResult, Leadership, Level, ProtocolEvent};
use crate::view::StateView;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A message type of a protocol.
///
/// `Display` is the one-line summary the narration prints (`p1a Prepare(3.2)`); `Serialize` is
/// the body written to the JSON trace; `kind` names the variant for statistics and filters.
pub trait Message: Clone + fmt::Debug + fmt::Display + Serialize + 'static {
    /// A short name for the message's kind, such as `p1a` or `AppendEntries`.
    fn kind(&self) -> &'static str;
}

/// One actor of a protocol: a state machine driven by three inputs.
///
/// Handlers cannot fail: a stale or unexpected message is ignored (and may be narrated).
///
/// **Crashes are structural.** A process declares the part of its state that survives a crash
/// as [`Process::Durable`]. When a node crashes, the driver keeps only `durable()`, drops the
/// process, and on restart builds a new one from that durable state (see the driver's builder).
/// Volatile state cannot leak across a crash because the value holding it no longer exists.
pub trait Process: 'static {
    /// The messages this protocol's processes exchange (one type for every role).
    type Msg: Message;
    /// What a timer carries back to its process when it fires.
    type Timer: Clone + fmt::Debug + 'static;
    /// The state that survives a crash, as if written to disk before any message is sent.
    type Durable: Clone + fmt::Debug + 'static;

    /// The node starts: at time zero, and again after each restart.
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self::Msg, Self::Timer>);

    /// A message from `from` arrives.
    fn on_message(
        &mut self,
        ctx: &mut Ctx<'_, Self::Msg, Self::Timer>,
        from: NodeId,
        msg: Self::Msg,
    );

    /// A timer set by this process fires (cancelled timers never do).
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self::Msg, Self::Timer>, timer: Self::Timer);

    /// The durable part of the state, taken when the node crashes.
    fn durable(&self) -> Self::Durable;

    /// What viewers show about this node: role, epoch, progress.
    fn status(&self) -> NodeStatus {
        NodeStatus::default()
    }

    /// Report the protocol state that viewers draw (`synod view`): fields such as `term` and
    /// tables such as the log, one row per index (see [`StateView`]). Drivers call it after
    /// every input the node handles, and only when an observer records states (the JSON
    /// trace); the default reports nothing.
    fn view(&self, _view: &mut StateView) {}

    /// Describe this node's state for people (the REPL's `inspect`, see [`crate::inspect`]):
    /// fields named as the protocol's paper names them, nodes by name (`out.node`), logs as
    /// `index:term:command` rows. The default shows what [`Process::view`] reports.
    fn inspect(&self, out: &mut Inspect<'_>) {
        out.from_view(|v| self.view(v));
    }

    /// Describe what a crashed node kept (its durable state), as [`Process::inspect`] does a
    /// live one. The default shows the durable state as `Debug` prints it: a protocol meant
    /// for people describes it.
    fn inspect_durable(durable: &Self::Durable, out: &mut Inspect<'_>)
    where
        Self: Sized,
    {
        out.field("durable", format_args!("{durable:?}"));
    }

    /// A client operation asked for from outside (the REPL's `request`, the web page). Returns
    /// false when this process is not a client that can take it now.
    fn on_client_request(
        &mut self,
        _ctx: &mut Ctx<'_, Self::Msg, Self::Timer>,
        _op: ClientOp,
    ) -> bool {
        false
    }

    /// An operator's order, in the protocol's own words: a `[[fault]]` verb of its own such as
    /// Raft's `add = "n6"` (a membership change) or `transfer = "n3"` (a leadership transfer),
    /// with its argument as written. Returns false when this process takes no such orders (the
    /// driver notes the order as skipped); a process that takes it but cannot carry it out now
    /// (it is not the leader, a change is in progress) narrates why and returns true.
    fn on_admin(
        &mut self,
        _ctx: &mut Ctx<'_, Self::Msg, Self::Timer>,
        _verb: &str,
        _arg: &str,
    ) -> bool {
        false
    }
}

/// A snapshot of a node for status displays, for resolving role references such as
/// `crash = "leader"` in a scenario, and for the expectations judged at the end of a run. The
/// parts the checks read are typed; `facts` are for people.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStatus {
    /// The node's role now (`leader`, `follower`, `acceptor`, `client`, ...); empty if it has one
    /// fixed role.
    pub role: String,
    /// The ballot or term it is in, as printed; empty if none.
    pub epoch: String,
    /// True if it believes it leads (a fault target `leader` resolves to such a node).
    pub leader: bool,
    /// The replicated store's contents, for a node that keeps one: the `converged`
    /// expectation compares them across the servers that are up.
    pub store: Option<BTreeMap<String, String>>,
    /// For a learner of single-decree consensus: whether it decided, and what. The `decided`
    /// expectation reads it.
    pub decision: Option<Decision>,
    /// Further facts, in display order (`log`, `commit`, `applied`, ...).
    pub facts: Vec<(&'static str, String)>,
    /// For a server of a protocol whose membership changes: the configuration it uses, and
    /// the log index of the entry that set it (0: the initial one). The `converged`
    /// expectation compares only the servers of the newest configuration a server up holds:
    /// a removed server need never hear that it was removed (Raft dissertation, 4.2.2).
    pub config: Option<(u64, Vec<NodeId>)>,
}

/// Where a learner of single-decree consensus stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// It has not learned the chosen value yet.
    Pending,
    /// It learned this value was chosen.
    Decided(String),
}

impl fmt::Display for Decision {
    /// `-` while pending, the value quoted once decided.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Pending => f.write_str("-"),
            Decision::Decided(v) => write!(f, "{v:?}"),
        }
    }
}

/// A store's contents as synod prints them: `{a: val_1, c: val_7}`.
pub struct ShowStore<'a>(pub &'a BTreeMap<String, String>);

impl fmt::Display for ShowStore<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}: {v}")?;
        }
        f.write_str("}")
    }
}

impl NodeStatus {
    /// Everything a display shows after the role and epoch, in order: the facts, then the
    /// store and the decision.
    pub fn details(&self) -> Vec<(&'static str, String)> {
        let mut out = self.facts.clone();
        if let Some(store) = &self.store {
            out.push(("store", ShowStore(store).to_string()));
        }
        if let Some(d) = &self.decision {
            out.push(("decided", d.to_string()));
        }
        out
    }
}

/// The world as a process's context sees it. Implemented by drivers: the simulator, a
/// recording test harness ([`crate::testing::Harness`]).
pub trait Env<M, T> {
    /// Send `msg` from `from` to `to`.
    fn send(&mut self, from: NodeId, to: NodeId, msg: M);
    /// Deliver `timer` to `node` after `after`; returns an id to cancel it with.
    fn set_timer(&mut self, node: NodeId, after: Time, timer: T) -> TimerId;
    /// Cancel a timer; cancelling one that fired or was cancelled already does nothing.
    fn cancel_timer(&mut self, node: NodeId, id: TimerId);
    /// Whether narration at `level` is wanted (lets a process skip formatting).
    fn log_enabled(&self, level: Level) -> bool;
    /// Whether anyone observes the events processes emit (a trace, a checker, a history
    /// recorder). When nobody does, a process may skip building what it would emit only for
    /// them. Defaults to true.
    fn observed(&self) -> bool {
        true
    }
    /// A line of narration.
    fn log(&mut self, node: NodeId, level: Level, text: &dyn fmt::Display);
    /// A structured protocol event.
    fn protocol_event(&mut self, node: NodeId, event: ProtocolEvent<'_>);
    /// A client's invocation or return.
    fn client_event(&mut self, node: NodeId, event: ClientEvent<'_>);
    /// The client `node` has finished its workload.
    fn client_done(&mut self, node: NodeId);
    /// The label narration prints for `node` changed (for example `node 3 leader t2`).
    fn set_label(&mut self, node: NodeId, label: &dyn fmt::Display);
}

/// What a process may do while handling an input: the only door to the outside world.
pub struct Ctx<'a, M, T> {
    id: NodeId,
    now: Time,
    rng: &'a mut SimRng,
    env: &'a mut dyn Env<M, T>,
}

impl<'a, M: Clone, T> Ctx<'a, M, T> {
    /// A context for `id` at `now`; drivers build one per handler call.
    pub fn new(id: NodeId, now: Time, rng: &'a mut SimRng, env: &'a mut dyn Env<M, T>) -> Self {
        Ctx { id, now, rng, env }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The time on this node's clock: the virtual time, unless a clock-skew fault makes the
    /// node's clock run slow or fast (its timers then run at the same rate).
    pub fn now(&self) -> Time {
        self.now
    }

    /// This node's random generator, a stream derived from the run's seed.
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// Send a message.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.env.send(self.id, to, msg);
    }

    /// Send a copy of `msg` to each of `to`, in order.
    pub fn broadcast(&mut self, to: impl IntoIterator<Item = NodeId>, msg: &M) {
        for dst in to {
            self.env.send(self.id, dst, msg.clone());
        }
    }

    /// Have `timer` delivered back after `after`.
    pub fn set_timer(&mut self, after: Time, timer: T) -> TimerId {
        self.env.set_timer(self.id, after, timer)
    }

    /// Cancel a timer set earlier.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.env.cancel_timer(self.id, id);
    }

    /// Whether narration at `level` will be shown (to skip costly formatting).
    pub fn log_enabled(&self, level: Level) -> bool {
        self.env.log_enabled(level)
    }

    /// Whether anyone observes this run's events (to skip building what only observers see).
    pub fn observed(&self) -> bool {
        self.env.observed()
    }

    /// Narrate at `level`. Pass `format_args!(..)` to format only when the level is enabled.
    pub fn log(&mut self, level: Level, text: impl fmt::Display) {
        if self.env.log_enabled(level) {
            self.env.log(self.id, level, &text);
        }
    }

    /// Narrate the story of the run (`Level::Info`).
    pub fn info(&mut self, text: impl fmt::Display) {
        self.log(Level::Info, text);
    }

    /// Narrate a detail (`Level::Debug`).
    pub fn debug(&mut self, text: impl fmt::Display) {
        self.log(Level::Debug, text);
    }

    /// Narrate something a reader should notice (`Level::Warn`).
    pub fn warn(&mut self, text: impl fmt::Display) {
        self.log(Level::Warn, text);
    }

    /// Emit `decide`: this node learned the value chosen for `instance`.
    pub fn decide(&mut self, instance: u64, value: &dyn fmt::Display) {
        self.env
            .protocol_event(self.id, ProtocolEvent::Decide { instance, value });
    }

    /// Emit `apply`: this node applied `command` at `index`, answering `result`.
    pub fn apply(&mut self, index: u64, command: &dyn fmt::Display, result: &dyn fmt::Display) {
        self.env.protocol_event(
            self.id,
            ProtocolEvent::Apply {
                index,
                command,
                result,
            },
        );
    }

    /// Emit `role`: this node now plays `role` in `epoch`, neither leading nor trying to (a
    /// follower, a leader that stepped down).
    pub fn role(&mut self, role: &'static str, epoch: &dyn fmt::Display) {
        self.role_event(role, epoch, Leadership::Follows);
    }

    /// Emit `role` with [`Leadership::Leads`]: this node now leads in `epoch`, as `role` (its
    /// protocol's name for a leader: `leader`, `primary`). Election safety holds the protocol
    /// to at most one such node per epoch, and a fault aimed at `leader` strikes it.
    pub fn leads(&mut self, role: &'static str, epoch: &dyn fmt::Display) {
        self.role_event(role, epoch, Leadership::Leads);
    }

    /// Emit `role` with [`Leadership::Seeks`]: this node tries to lead in `epoch` (a
    /// candidate, a proposer starting Phase 1).
    pub fn seeks(&mut self, role: &'static str, epoch: &dyn fmt::Display) {
        self.role_event(role, epoch, Leadership::Seeks);
    }

    /// Emit `vote`: this node gives its vote (a Raft vote, a promise, a `DoViewChange`) to
    /// `candidate`, which seeks to lead in `epoch`. Faults may wait for it (a voter that
    /// crashes and restarts at once must remember its vote); traces leave it out. A vote for
    /// itself (a proposer's promise to its own Prepare, as a Raft candidate's own vote) is
    /// part of seeking, and is not announced.
    pub fn vote(&mut self, candidate: NodeId, epoch: &dyn fmt::Display) {
        if candidate != self.id {
            self.env
                .protocol_event(self.id, ProtocolEvent::Vote { candidate, epoch });
        }
    }

    fn role_event(&mut self, role: &'static str, epoch: &dyn fmt::Display, leadership: Leadership) {
        self.env.protocol_event(
            self.id,
            ProtocolEvent::Role {
                role,
                epoch,
                leadership,
            },
        );
    }

    /// Emit `commit`: the commit index advanced to `index`.
    pub fn commit(&mut self, index: u64) {
        self.env
            .protocol_event(self.id, ProtocolEvent::Commit { index });
    }

    /// Emit `truncate`: this node discards `count` uncommitted log entries from `from` on.
    pub fn truncate(&mut self, from: u64, count: u64) {
        self.env
            .protocol_event(self.id, ProtocolEvent::Truncate { from, count });
    }

    /// Emit `catch-up`: this node, behind, received entries `from..=to` committed without it.
    pub fn catch_up(&mut self, from: u64, to: u64) {
        self.env
            .protocol_event(self.id, ProtocolEvent::CatchUp { from, to });
    }

    /// Emit `dedup`: this node recognized a retry of request `req_id` of `client` and did not
    /// execute it again.
    pub fn dedup(&mut self, client: NodeId, req_id: u64) {
        self.env
            .protocol_event(self.id, ProtocolEvent::Dedup { client, req_id });
    }

    /// Record that this client invokes `op` as operation `op_id`.
    pub fn invoke(&mut self, op_id: u64, op: &ClientOp) {
        self.env
            .client_event(self.id, ClientEvent::Invoke { op_id, op });
    }

    /// Record that operation `op_id` of this client ended with `result`.
    pub fn complete(&mut self, op_id: u64, result: &ClientResult) {
        self.env
            .client_event(self.id, ClientEvent::Return { op_id, result });
    }

    /// Record that this client has finished its workload.
    pub fn client_done(&mut self) {
        self.env.client_done(self.id);
    }

    /// Change the label narration prints for this node (default: its name).
    pub fn set_label(&mut self, label: impl fmt::Display) {
        self.env.set_label(self.id, &label);
    }
}
