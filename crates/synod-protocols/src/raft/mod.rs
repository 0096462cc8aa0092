//! # Raft: a replicated key-value store
//!
//! The protocol of the Raft paper (Ongaro and Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", 2014), Figures 2 and 3, replicating synod's KV store:
//!
//! - **Leader election** (section 5.2): randomized election timeouts, `RequestVote` with the
//!   up-to-date check (5.4.1), one vote per term, heartbeats (empty `AppendEntries`).
//! - **Log replication** (5.3): `AppendEntries` with the consistency check, conflict
//!   resolution, a fast back-off on mismatch and pipelining; a leader commits by counting
//!   replicas only entries of its own term (5.4.2), and appends a no-op when elected.
//! - **Persistence**: current term, vote and log ([`Durable`]); everything else is rebuilt.
//! - **Clients**: the shared [`KvClient`]; followers answer with the leader they know, request
//!   ids make retries exactly-once, reads go through the log.
//!
//! Files: [`log`] (the log), [`msg`] (messages), [`node`] (one server), `check` (the live
//! Figure 3 checks that need the servers' logs).

mod check;
pub mod log;
pub mod msg;
pub mod node;
#[cfg(test)]
mod tests;

pub use check::RaftChecker;
pub use log::{Entry, Log};
pub use msg::RaftMsg;
pub use node::{Durable, RaftServer, Role};

use crate::kv::{ClientTimer, KvClient, Workload};
use std::sync::Arc;
use synod_core::{ClientOp, Ctx, NodeId, NodeStatus, Process, Time};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// The planted bugs, by name, with what each breaks.
pub const BUGS: &[(&str, &str)] = &[
    (
        "commit-old-term",
        "a leader commits entries of an older term by counting replicas (breaks 5.4.2; Figure 8)",
    ),
    (
        "vote-without-up-to-date-check",
        "a node grants its vote without checking that the candidate's log is up to date (5.4.1)",
    ),
    (
        "forget-vote-on-restart",
        "the vote is not persisted: after a restart a node may vote twice in one term",
    ),
    (
        "no-consistency-check",
        "a follower accepts AppendEntries without checking prevLogIndex/prevLogTerm (5.3)",
    ),
];

/// A planted bug.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bug {
    /// `commit-old-term`.
    CommitOldTerm,
    /// `vote-without-up-to-date-check`.
    VoteWithoutUpToDateCheck,
    /// `forget-vote-on-restart`.
    ForgetVoteOnRestart,
    /// `no-consistency-check`.
    NoConsistencyCheck,
}

impl Bug {
    /// The bug named `name`, or an error listing the valid names.
    pub fn parse(name: &str) -> Result<Bug, String> {
        Ok(match name {
            "commit-old-term" => Bug::CommitOldTerm,
            "vote-without-up-to-date-check" => Bug::VoteWithoutUpToDateCheck,
            "forget-vote-on-restart" => Bug::ForgetVoteOnRestart,
            "no-consistency-check" => Bug::NoConsistencyCheck,
            other => {
                return Err(format!(
                    "protocol raft has no planted bug `{other}` (it has: {})",
                    BUGS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ));
            }
        })
    }
}

/// How the servers are set up; shared by all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct RaftConfig {
    /// Number of servers; they are nodes `0..servers`, the clients come after.
    pub servers: usize,
    /// The range election timeouts are drawn from.
    pub election_timeout: (Time, Time),
    /// The leader's heartbeat interval.
    pub heartbeat: Time,
    /// At most this many entries per `AppendEntries`.
    pub max_entries: usize,
    /// A planted bug, if any.
    pub bug: Option<Bug>,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            servers: 5,
            election_timeout: (Time::ms(150), Time::ms(300)),
            heartbeat: Time::ms(50),
            max_entries: 64,
            bug: None,
        }
    }
}

/// The timers of a Raft system.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftTimer {
    /// Check whether the election timeout has passed.
    Election,
    /// Send heartbeats (if still leader of this term).
    Heartbeat(u64),
    /// A client's request timeout.
    Client(ClientTimer),
}

impl From<ClientTimer> for RaftTimer {
    fn from(t: ClientTimer) -> Self {
        RaftTimer::Client(t)
    }
}

/// A node of a Raft system: a server or a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
// A handful of nodes per run: the size of the client variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum RaftNode {
    /// A Raft server.
    Server(Box<RaftServer>),
    /// A client (the shared KV workload).
    Client(KvClient),
}

impl Process for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = Option<Durable>;

    fn on_start(&mut self, ctx: &mut Ctx<'_, RaftMsg, RaftTimer>) {
        match self {
            RaftNode::Server(s) => s.on_start(ctx),
            RaftNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, RaftMsg, RaftTimer>, from: NodeId, msg: RaftMsg) {
        match (self, msg) {
            (RaftNode::Server(s), msg) => s.on_message(ctx, from, msg),
            (RaftNode::Client(c), RaftMsg::Reply(r)) => c.on_reply(ctx, from, r),
            (RaftNode::Client(_), msg) => ctx.debug(format_args!("ignoring unexpected {msg}")),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, RaftMsg, RaftTimer>, timer: RaftTimer) {
        match (self, timer) {
            (RaftNode::Client(c), RaftTimer::Client(t)) => c.on_timer(ctx, t),
            (RaftNode::Server(s), t) => s.on_timer(ctx, t),
            _ => {}
        }
    }

    fn durable(&self) -> Option<Durable> {
        match self {
            RaftNode::Server(s) => Some(s.durable()),
            RaftNode::Client(_) => None,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            RaftNode::Server(s) => s.status(),
            RaftNode::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, RaftMsg, RaftTimer>, op: ClientOp) -> bool {
        match self {
            RaftNode::Client(c) => c.request(ctx, &op),
            RaftNode::Server(_) => false,
        }
    }
}

/// The node specs of a Raft system: the servers (named `names`), then `client 1..clients`.
pub fn specs(names: &[String], clients: u32) -> Vec<NodeSpec> {
    let mut specs: Vec<NodeSpec> = names
        .iter()
        .map(|n| NodeSpec {
            name: n.clone(),
            role: "server".into(),
            client: false,
        })
        .collect();
    specs.extend(crate::system::client_specs(clients));
    specs
}

/// A simulation of a Raft system. With `checks`, the live Figure 3 checks that read the
/// servers' logs are installed (log matching, leader append-only, leader completeness, state
/// machine safety of committed entries).
pub fn simulation(
    sim: SimConfig,
    cfg: RaftConfig,
    specs: Vec<NodeSpec>,
    workload: Workload,
    checks: bool,
) -> Sim<RaftNode> {
    let cfg = Arc::new(cfg);
    let servers: Vec<NodeId> = (0..cfg.servers as u32).map(NodeId).collect();
    let n = cfg.servers;
    let build_cfg = cfg.clone();
    let names: Vec<String> = specs.iter().map(|sp| sp.name.clone()).collect();
    let mut s = Sim::<RaftNode>::new(
        sim,
        specs,
        Box::new(move |id, durable| {
            if id.index() < n {
                RaftNode::Server(Box::new(RaftServer::new(
                    build_cfg.clone(),
                    id,
                    durable.flatten(),
                )))
            } else {
                RaftNode::Client(
                    KvClient::new(workload.clone(), servers.clone()).with_names(names.clone()),
                )
            }
        }),
    );
    s.seed_handlers_from_state();
    if checks {
        let mut checker = RaftChecker::new(n);
        s.set_state_check(Box::new(move |nodes| checker.check(nodes)));
    }
    s
}
