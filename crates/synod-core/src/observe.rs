//! The trace as observers see it: every event of a run, borrowed, in order.
//!
//! Drivers (the simulator) emit [`Event`]s to [`Observer`]s: the JSON trace writer, the human
//! printer, the live safety checkers and the history recorder. Events borrow their payloads, so
//! a run with no observers builds nothing, and one observer can render only what it wants.

use crate::ids::{NodeId, Time, TimerId};
use crate::process::Message;
use crate::trace::{ClientOp, ClientResult, Leadership, Level};
use crate::view::StateChange;
use std::fmt;

/// The version of the JSON trace schema written in the header line (docs/trace.md).
pub const TRACE_SCHEMA_VERSION: u32 = 1;

/// A message as the trace sees it, whatever the protocol's message type.
pub trait TraceMsg: fmt::Display {
    /// The message's kind (`p1a`, `AppendEntries`).
    fn kind(&self) -> &'static str;
    /// The message as JSON.
    fn to_json(&self) -> String;
}

impl<M: Message> TraceMsg for M {
    fn kind(&self) -> &'static str {
        Message::kind(self)
    }
    fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"unserializable\":{:?}}}", e.to_string()))
    }
}

/// Why a message was not delivered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// Lost by the network (the configured loss probability).
    Lost,
    /// The link was cut by a partition when the message was sent.
    Partitioned,
    /// The receiver was down when the message arrived.
    NodeDown,
    /// Dropped by hand (the REPL's `drop`).
    Manual,
    /// The receiver does not exist.
    NoSuchNode,
}

impl DropReason {
    /// The name used in the trace.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::NodeDown => "node down",
            DropReason::Manual => "dropped by hand",
            DropReason::NoSuchNode => "no such node",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened.
#[derive(Clone, Copy)]
pub enum EventKind<'a> {
    /// The node starts for the first time.
    Start,
    /// The node crashes: only its durable state is kept.
    Crash,
    /// The node restarts from its durable state.
    Restart,
    /// The node sends a message.
    Send {
        /// Receiver.
        to: NodeId,
        /// Unique per copy in flight (duplicates get their own id).
        msg_id: u64,
        /// The message.
        msg: &'a dyn TraceMsg,
    },
    /// A message arrives at the node.
    Deliver {
        /// Sender.
        from: NodeId,
        /// The id given when it was sent.
        msg_id: u64,
        /// The message.
        msg: &'a dyn TraceMsg,
    },
    /// A message is not delivered (the event's node is the sender).
    Drop {
        /// Intended receiver.
        to: NodeId,
        /// The id given when it was sent.
        msg_id: u64,
        /// The message.
        msg: &'a dyn TraceMsg,
        /// Why.
        reason: DropReason,
    },
    /// A timer fires at the node.
    Timer {
        /// Its id.
        id: TimerId,
        /// What it carries, as printed by `Debug`.
        timer: &'a dyn fmt::Debug,
    },
    /// A line of narration by the node. Log lines do not take a sequence number of their own:
    /// they carry the number of the event being handled.
    Log {
        /// Its level.
        level: Level,
        /// Its text.
        text: &'a dyn fmt::Display,
    },
    /// A fault injected by the scenario, the REPL or the player (node is `None`).
    Fault {
        /// The fault, as printed (`crash n1`, `partition n1,n2 | n3,n4,n5`).
        fault: &'a dyn fmt::Display,
    },
    /// A client invokes an operation.
    Invoke {
        /// Unique per client.
        op_id: u64,
        /// The operation.
        op: &'a ClientOp,
    },
    /// A client operation returns.
    Return {
        /// The id given at invocation.
        op_id: u64,
        /// How it ended.
        result: &'a ClientResult,
    },
    /// A learner learns the value chosen for an instance or slot.
    Decide {
        /// The instance or slot.
        instance: u64,
        /// The value.
        value: &'a dyn fmt::Display,
    },
    /// A replica applies a command.
    Apply {
        /// The slot or log index.
        index: u64,
        /// The command.
        command: &'a dyn fmt::Display,
        /// The state machine's answer.
        result: &'a dyn fmt::Display,
    },
    /// A node takes a role in an epoch.
    Role {
        /// The role, as the protocol names it.
        role: &'static str,
        /// The ballot or term.
        epoch: &'a dyn fmt::Display,
        /// What it means for leadership: the part checkers read.
        leadership: Leadership,
    },
    /// Raft's commit index advances.
    Commit {
        /// The new commit index.
        index: u64,
    },
    /// A node discards log entries it had not committed.
    Truncate {
        /// The first index discarded.
        from: u64,
        /// How many.
        count: u64,
    },
    /// A node that was behind catches up on entries committed without it.
    CatchUp {
        /// The first entry received.
        from: u64,
        /// The last.
        to: u64,
    },
    /// A retried client request is recognized and not executed again.
    Dedup {
        /// The client.
        client: NodeId,
        /// Its request id.
        req_id: u64,
    },
    /// The node's protocol state changed (see [`crate::view`]). Like log lines, state lines do
    /// not take a sequence number of their own: they carry the number of the input (delivery,
    /// timer, start) whose handling changed the state. Sent only to observers that ask for
    /// them ([`Observer::wants_state`]).
    State {
        /// What changed since the node's previous report.
        changes: &'a [StateChange],
    },
    /// A note of the scenario (`[[note]]`), shown when the clock reaches its time (node is
    /// `None`): what the scenario's author says is happening.
    Note {
        /// The note's text.
        text: &'a str,
    },
    /// A safety check failed here and the run stops (node is `None`). It carries the number
    /// of the event at which the violation was detected.
    Violation {
        /// The property (`agreement`, `leader completeness`, ...).
        property: &'a str,
        /// What exactly is wrong.
        detail: &'a str,
    },
}

impl EventKind<'_> {
    /// The `kind` field of the JSON trace.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Crash => "crash",
            EventKind::Restart => "restart",
            EventKind::Send { .. } => "send",
            EventKind::Deliver { .. } => "deliver",
            EventKind::Drop { .. } => "drop",
            EventKind::Timer { .. } => "timer",
            EventKind::Log { .. } => "log",
            EventKind::Fault { .. } => "fault",
            EventKind::Invoke { .. } => "invoke",
            EventKind::Return { .. } => "return",
            EventKind::Decide { .. } => "decide",
            EventKind::Apply { .. } => "apply",
            EventKind::Role { .. } => "role",
            EventKind::Commit { .. } => "commit",
            EventKind::Truncate { .. } => "truncate",
            EventKind::CatchUp { .. } => "catch-up",
            EventKind::Dedup { .. } => "dedup",
            EventKind::State { .. } => "state",
            EventKind::Note { .. } => "note",
            EventKind::Violation { .. } => "violation",
        }
    }
}

/// One event of a run.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    /// Position in the run; strictly increasing except for log, state and violation events
    /// (see [`EventKind::Log`], [`EventKind::State`], [`EventKind::Violation`]).
    pub seq: u64,
    /// Virtual time.
    pub time: Time,
    /// The node it happened at (`None` for faults, notes, violations and the lines of a
    /// cluster observer).
    pub node: Option<NodeId>,
    /// The node's current label for narration (its name, or what it set); for an event at no
    /// node, who speaks (`observer`), or `""` for the fault schedule.
    pub label: &'a str,
    /// What happened.
    pub kind: EventKind<'a>,
}

/// A safety property that failed, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property's name (`agreement`, `election safety`, ...).
    pub property: String,
    /// The sequence number of the event at which it was detected.
    pub seq: u64,
    /// The virtual time of that event.
    pub time: Time,
    /// What exactly is wrong, for a person.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} violated at {} (event #{}): {}",
            self.property, self.time, self.seq, self.detail
        )
    }
}

/// Something that watches a run's events.
pub trait Observer {
    /// The most detailed narration level this observer wants (`None`: no narration). The
    /// driver formats narration only up to the most detailed level any observer wants.
    fn level(&self) -> Option<Level> {
        None
    }
    /// Whether this observer wants `state` events: the protocol state of each node after each
    /// input it handles. Asking costs the simulator a report per event, so only the JSON trace
    /// (what `synod view` draws from) asks.
    fn wants_state(&self) -> bool {
        false
    }
    /// Called for every event, in order. Returning a violation stops the run.
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation>;
}
