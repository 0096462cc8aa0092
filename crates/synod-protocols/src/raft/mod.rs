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
//! - **Clients**: the shared [`crate::kv::KvClient`]; followers answer with the leader they know, request
//!   ids make retries exactly-once, reads go through the log.
//!
//! Files: [`log`] (the log), [`msg`] (messages), [`node`] (one server), `check` (the live
//! Figure 3 checks that need the servers' logs), `observer` (the narration of the moment an
//! entry becomes committed), [`build`] (the scenario keys it takes and the system it builds),
//! `view` (the state `synod view` draws).

pub mod build;
mod check;
pub mod log;
pub mod msg;
pub mod node;
mod observer;
#[cfg(test)]
mod tests;
mod view;

pub use build::{PROTOCOL, simulation, specs};
pub use check::RaftChecker;
pub use log::{Entry, Log};
pub use msg::RaftMsg;
pub use node::{Durable, RaftServer, Role};
pub use observer::CommitObserver;

use crate::kv::{ClientTimer, KvNode, KvTimer};
use synod_core::Time;

crate::planted_bugs! {
    /// A planted bug of Raft. Run with `bug = "NAME"`.
    pub enum Bug {
        /// `commit-old-term`.
        CommitOldTerm = "commit-old-term": "a leader commits entries of an older term by counting replicas (breaks 5.4.2; Figure 8)",
        /// `vote-without-up-to-date-check`.
        VoteWithoutUpToDateCheck = "vote-without-up-to-date-check": "a node grants its vote without checking that the candidate's log is up to date (5.4.1)",
        /// `forget-vote-on-restart`.
        ForgetVoteOnRestart = "forget-vote-on-restart": "the vote is not persisted: after a restart a node may vote twice in one term",
        /// `no-consistency-check`.
        NoConsistencyCheck = "no-consistency-check": "a follower accepts AppendEntries without checking prevLogIndex/prevLogTerm (5.3)",
        /// `keep-leading-on-higher-term`.
        KeepLeadingOnHigherTerm = "keep-leading-on-higher-term": "a leader that sees a higher term in an AppendEntries reply adopts the term but does not step down (Figure 2: \"convert to follower\")",
    }
}

/// How the servers are set up; shared by all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct RaftConfig {
    /// Number of servers; they are nodes `0..servers`, the clients come after.
    pub servers: usize,
    /// The servers' names, by node id, as narration names them (`n1`, `Taziri`).
    pub names: Vec<String>,
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
            names: (1..=5).map(|i| format!("n{i}")).collect(),
            election_timeout: (Time::ms(150), Time::ms(300)),
            heartbeat: Time::ms(50),
            max_entries: 64,
            bug: None,
        }
    }
}

/// The timers of a Raft system.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl KvTimer for RaftTimer {
    fn into_client(self) -> Result<ClientTimer, RaftTimer> {
        match self {
            RaftTimer::Client(t) => Ok(t),
            other => Err(other),
        }
    }
}

/// A node of a Raft system: a server or a client.
pub type RaftNode = KvNode<RaftServer>;
