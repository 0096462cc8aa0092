//! The numbers and values Multi-Paxos passes around: ballots, log entries, messages, timers and
//! the configuration every process shares.

use crate::kv::{ClientTimer, Command, KvMessage, KvTimer, Reply, Request};
use serde::Serialize;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use synod_core::{Message, NodeId, Time};

/// A ballot number: a round, made unique by the index of the leader that owns it (Paxos Made
/// Simple, 2.2: "different proposers use disjoint sets of numbers"). Ordered by round, then
/// leader. Printed `round.leader`, e.g. `2.1`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ballot {
    /// The round, increased by each new Phase 1.
    pub round: u64,
    /// The 1-based index of the leader owning the ballot (`leader 2` owns `x.2`).
    pub leader: u32,
}

impl Ballot {
    /// Lower than every ballot a leader uses: what a fresh acceptor has promised.
    pub const ZERO: Ballot = Ballot {
        round: 0,
        leader: 0,
    };
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.leader)
    }
}

/// A ballot as a `role` event's epoch: `ballot 2.1`.
pub struct Epoch(pub Ballot);

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ballot {}", self.0)
    }
}

/// A log slot (1-based).
pub type Slot = u64;

/// What a slot holds: a client's command with its request id (for exactly-once), or a no-op
/// that fills a gap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// The client and its request id; `None` for a no-op.
    pub origin: Option<(NodeId, u64)>,
    /// The command.
    pub cmd: Command,
}

/// A [`Proposal`] behind a shared pointer: it travels to every acceptor and learner, and is
/// kept by each of them, so copies share one allocation (the benchmark's hot path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry(Arc<Proposal>);

impl Entry {
    /// The entry for `cmd` from request `origin` (`None`: a no-op).
    pub fn new(origin: Option<(NodeId, u64)>, cmd: Command) -> Entry {
        Entry(Arc::new(Proposal { origin, cmd }))
    }

    /// A no-op, proposed for a slot in which no value was accepted.
    pub fn noop() -> Entry {
        Entry::new(None, Command::Noop)
    }

    /// The entry carrying a client request.
    pub fn from_request(req: &Request) -> Entry {
        Entry::new(Some((req.client, req.req_id)), req.cmd.clone())
    }
}

impl Deref for Entry {
    type Target = Proposal;
    fn deref(&self) -> &Proposal {
        &self.0
    }
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl fmt::Display for Entry {
    /// `PUT "a" = "val_3" (node 7 #2)`: the command and the request it came from, by node id
    /// (the events name the client: see the learner).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin {
            Some((client, req)) => write!(f, "{} (node {client} #{req})", self.cmd),
            None => self.cmd.fmt(f),
        }
    }
}

/// The messages of Multi-Paxos KV (every role uses the one type).
#[derive(Clone, Debug, Serialize)]
pub enum Msg {
    /// Client to leader.
    Request(Request),
    /// Leader to client.
    Reply(Reply),
    /// p1a: leader to acceptors, "promise me `ballot`, and tell me what you accepted from
    /// `from_slot` on".
    Prepare {
        /// The new ballot.
        ballot: Ballot,
        /// The first slot the leader does not know to be chosen.
        from_slot: Slot,
    },
    /// p1b: acceptor to leader, the promise and what it accepted (slot, ballot, entry).
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// Accepted proposals from the slot asked for on.
        accepted: Vec<(Slot, Ballot, Entry)>,
    },
    /// p2a: leader to acceptors, "accept `entry` in `slot` at `ballot`".
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The proposed entry.
        entry: Entry,
    },
    /// p2b: acceptor to leader.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
    },
    /// An acceptor refuses a Prepare or an Accept: it promised a higher ballot.
    Nack {
        /// The ballot it promised.
        promised: Ballot,
    },
    /// Leader to replicas and the other leaders: `slot` is chosen.
    Decision {
        /// The slot.
        slot: Slot,
        /// The chosen entry.
        entry: Entry,
    },
    /// Leader to the other leaders and the replicas: "I lead in `ballot`; slots up to
    /// `chosen` are chosen".
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// Every slot up to this one is chosen and known to the leader.
        chosen: Slot,
    },
    /// A learner that missed decisions asks a leader for the slots from `from` on.
    CatchUp {
        /// The first slot it is missing.
        from: Slot,
    },
    /// A leader's answer to `CatchUp`: chosen entries by slot.
    Decisions {
        /// (slot, entry), in slot order.
        entries: Vec<(Slot, Entry)>,
    },
}

impl KvMessage for Msg {
    fn into_reply(self) -> Result<Reply, Msg> {
        match self {
            Msg::Reply(r) => Ok(r),
            other => Err(other),
        }
    }
}

impl From<Request> for Msg {
    fn from(r: Request) -> Self {
        Msg::Request(r)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Request(r) => r.fmt(f),
            Msg::Reply(r) => r.fmt(f),
            Msg::Prepare { ballot, from_slot } => {
                write!(f, "p1a Prepare(ballot {ballot}, from slot {from_slot})")
            }
            Msg::Promise { ballot, accepted } => write!(
                f,
                "p1b Promise(ballot {ballot}, {} accepted)",
                accepted.len()
            ),
            Msg::Accept {
                ballot,
                slot,
                entry,
            } => write!(f, "p2a Accept(slot {slot}, ballot {ballot}, {})", entry.cmd),
            Msg::Accepted { ballot, slot } => {
                write!(f, "p2b Accepted(slot {slot}, ballot {ballot})")
            }
            Msg::Nack { promised } => write!(f, "Nack(promised {promised})"),
            Msg::Decision { slot, entry } => write!(f, "Decision(slot {slot}, {})", entry.cmd),
            Msg::Heartbeat { ballot, chosen } => {
                write!(f, "Heartbeat(ballot {ballot}, chosen up to {chosen})")
            }
            Msg::CatchUp { from } => write!(f, "CatchUp(from slot {from})"),
            Msg::Decisions { entries } => match (entries.first(), entries.last()) {
                (Some((a, _)), Some((b, _))) => write!(f, "Decisions(slots {a}..{b})"),
                _ => f.write_str("Decisions(none)"),
            },
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::Reply(_) => "Reply",
            Msg::Prepare { .. } => "p1a",
            Msg::Promise { .. } => "p1b",
            Msg::Accept { .. } => "p2a",
            Msg::Accepted { .. } => "p2b",
            Msg::Nack { .. } => "Nack",
            Msg::Decision { .. } => "Decision",
            Msg::Heartbeat { .. } => "Heartbeat",
            Msg::CatchUp { .. } => "CatchUp",
            Msg::Decisions { .. } => "Decisions",
        }
    }
}

/// Timers of Multi-Paxos KV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A client waits for its reply.
    Client(ClientTimer),
    /// A leader's periodic tick: heartbeats and retransmissions.
    Tick,
    /// A standby checks that it heard from the leader lately.
    LeaderTimeout,
}

impl KvTimer for Timer {
    fn into_client(self) -> Result<ClientTimer, Timer> {
        match self {
            Timer::Client(t) => Ok(t),
            other => Err(other),
        }
    }
}

impl From<ClientTimer> for Timer {
    fn from(t: ClientTimer) -> Self {
        Timer::Client(t)
    }
}

crate::planted_bugs! {
    /// A deliberately broken variant, to show the checks catch it. Run with `bug = "NAME"`.
    pub enum Bug {
        /// A new leader ignores the values reported in Phase 1 and proposes fresh commands in
        /// their slots.
        SkipPhase1Values = "skip-phase1-values": "a new leader skips re-proposing the values acceptors reported in Phase 1 and reuses their slots",
        /// Replicas apply decisions as they arrive instead of in slot order.
        ReplicaOutOfOrder = "replica-out-of-order": "replicas apply chosen commands as they arrive instead of in slot order",
        /// The active leader answers a `get` from its own store, without a round of Phase 2
        /// that would show whether it still leads.
        ReadFromLeaderStore = "read-from-leader-store": "the leader answers get from its local store without confirming it still leads (a stale read after a partition; only the client history shows it)",
        /// Acceptors accept a Phase 2 proposal whatever ballot they promised.
        AcceptBelowPromise = "accept-below-promise": "an acceptor accepts a proposal below the ballot it promised (breaks P1a of Paxos Made Simple)",
        /// The state machine forgets the client sessions, so a request proposed twice (a
        /// retry at another leader, a duplicated message) is applied twice.
        ApplyRetryTwice = "apply-retry-twice": "a retried request that is chosen twice is applied twice (exactly-once broken; only the client history shows it)",
    }
}

/// What every process of a Multi-Paxos cluster knows: who plays which role, and the timing.
#[derive(Clone, Debug)]
pub struct Config {
    /// The acceptors, in order (`acceptor 1` first).
    pub acceptors: Vec<NodeId>,
    /// The leaders, in order; `leaders[0]` leads first.
    pub leaders: Vec<NodeId>,
    /// The replicas.
    pub replicas: Vec<NodeId>,
    /// Slots a leader keeps in flight at once.
    pub window: usize,
    /// The leader's heartbeat (and retransmission) interval.
    pub heartbeat: Time,
    /// A standby's randomized leader-failure timeout.
    pub leader_timeout: (Time, Time),
    /// Most slots sent in one catch-up answer.
    pub catch_up_batch: usize,
    /// A planted bug, if any.
    pub bug: Option<Bug>,
}

impl Config {
    /// Acceptors needed for a quorum: a majority.
    pub fn quorum(&self) -> usize {
        self.acceptors.len() / 2 + 1
    }

    /// The node id of `client 1`: clients come after every server.
    pub fn first_client(&self) -> u32 {
        (self.acceptors.len() + self.leaders.len() + self.replicas.len()) as u32
    }

    /// The node of the leader owning `ballot`.
    pub fn leader_of(&self, ballot: Ballot) -> Option<NodeId> {
        (ballot.leader as usize)
            .checked_sub(1)
            .and_then(|i| self.leaders.get(i).copied())
    }
}

/// A node as narration names it (`leader 2`, `replica 1`), formatted only when printed.
pub struct Name<'a>(pub &'a Config, pub NodeId);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Name(cfg, id) = self;
        for (role, list) in [
            ("acceptor", &cfg.acceptors),
            ("leader", &cfg.leaders),
            ("replica", &cfg.replicas),
        ] {
            if let Some(i) = list.iter().position(|n| n == id) {
                return write!(f, "{role} {}", i + 1);
            }
        }
        let first_client = cfg.acceptors.len() + cfg.leaders.len() + cfg.replicas.len();
        match (id.index()).checked_sub(first_client) {
            Some(i) => write!(f, "client {}", i + 1),
            None => write!(f, "node {id}"),
        }
    }
}
