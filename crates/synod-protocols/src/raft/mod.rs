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
//! - **Persistence**: current term, vote, log and snapshot ([`Durable`]); everything else is
//!   rebuilt.
//! - **Clients**: the shared [`crate::kv::KvClient`]; followers answer with the leader they know, request
//!   ids make retries exactly-once.
//!
//! And what the paper's later sections and Ongaro's dissertation ("Consensus: Bridging Theory
//! and Practice", 2014) add, as etcd's and TiKV's Raft have it:
//!
//! - **Log compaction** (paper section 7): snapshots of the store and the client sessions,
//!   `InstallSnapshot` to followers behind the leader's first index.
//! - **Membership changes** (dissertation 4.1, with the fix Ongaro published in 2015): one
//!   server added or removed at a time, by a configuration entry used as soon as it is logged.
//! - **Leadership transfer** (3.10): `TimeoutNow` to an up-to-date follower.
//! - **PreVote** (9.6) and **CheckQuorum** (6.2, 4.2.3): no term inflation by a server cut off
//!   in a minority, and a leader cut off from its majority steps down.
//! - **Reads** (6.4, 6.4.1): through the log, by ReadIndex, or by a lease.
//!
//! Files: [`log`] (the log and the snapshot), [`config`] (configurations), [`msg`]
//! (messages), [`node`] (one server, with `snapshot`, `admin` and `reads`), `check` (the live
//! Figure 3 checks that need the servers' logs), `observer` (the narration of the moment an
//! entry becomes committed), [`build`] (the scenario keys it takes and the
//! system it builds), [`explore`] (how `synod explore` searches it), `view` (the state
//! `synod view` draws).

pub mod build;
mod check;
pub mod config;
pub mod explore;
#[cfg(test)]
mod later_tests;
pub mod log;
pub mod msg;
pub mod node;
mod observer;
#[cfg(test)]
mod tests;
mod view;

pub use build::{PROTOCOL, simulation, specs};
pub use check::RaftChecker;
pub use config::Members;
pub use log::{Entry, Log, Snapshot};
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
        /// `change-before-term-commit`.
        ChangeBeforeTermCommit = "change-before-term-commit": "a new leader changes the membership before committing an entry of its term (the single-server change bug, dissertation 4.1)",
        /// `snapshot-drops-sessions`.
        SnapshotDropsSessions = "snapshot-drops-sessions": "snapshots leave out the client sessions: a server restored from one applies a retried request twice (section 7)",
        /// `stale-lease-read`.
        StaleLeaseRead = "stale-lease-read": "with lease reads on, a leader's lease runs an election timeout from the answers, not from the round's start and without the clock-drift margin: under timer skew it reads after another leader wrote (6.4.1)",
        /// `pre-vote-grants-real-vote`.
        PreVoteGrantsRealVote = "pre-vote-grants-real-vote": "a candidate takes its pre-votes for real votes and leads the next term: two can win one term (9.6)",
    }
}

/// How a leader serves reads (`raft.reads`, dissertation 6.4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// Through the log, like writes (Figure 2's way; the default).
    Log,
    /// ReadIndex: at the commit index, once a round of heartbeats confirms leadership (6.4).
    ReadIndex,
    /// By lease, when a confirmed round began less than a lease ago; else ReadIndex (6.4.1).
    Lease,
}

impl ReadMode {
    /// Every mode with its name in `raft.reads`.
    pub const ALL: [(ReadMode, &'static str); 3] = [
        (ReadMode::Log, "log"),
        (ReadMode::ReadIndex, "read_index"),
        (ReadMode::Lease, "lease"),
    ];

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<ReadMode> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(m, _)| *m)
    }
}

/// How the servers are set up; shared by all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct RaftConfig {
    /// Number of servers (spares included); they are nodes `0..servers`, the clients come
    /// after.
    pub servers: usize,
    /// The servers' names, by node id, as narration names them (`n1`, `Taziri`).
    pub names: Vec<String>,
    /// The configuration every server starts with (the servers not in it are spares that an
    /// `add` brings in).
    pub initial: Members,
    /// The range election timeouts are drawn from.
    pub election_timeout: (Time, Time),
    /// The leader's heartbeat interval.
    pub heartbeat: Time,
    /// At most this many entries per `AppendEntries`.
    pub max_entries: usize,
    /// PreVote (dissertation 9.6).
    pub pre_vote: bool,
    /// CheckQuorum, and disregarding votes while a leader is heard (dissertation 6.2, 4.2.3).
    pub check_quorum: bool,
    /// Snapshot after this many applied entries (section 7); 0: never.
    pub snapshot_every: u64,
    /// How reads are served (6.4).
    pub reads: ReadMode,
    /// How much faster, in percent, one server's clock may run than another's: a lease lasts
    /// `election_timeout.0 / (1 + drift)` (6.4.1).
    pub clock_drift_percent: u64,
    /// A planted bug, if any.
    pub bug: Option<Bug>,
}

impl RaftConfig {
    /// The defaults, for `servers` servers named `n1`..`nN`, all in the configuration.
    pub fn with_servers(servers: usize) -> RaftConfig {
        RaftConfig {
            servers,
            names: (1..=servers).map(|i| format!("n{i}")).collect(),
            initial: Members::new((0..servers as u32).map(synod_core::NodeId)),
            ..RaftConfig::default()
        }
    }
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            servers: 5,
            names: (1..=5).map(|i| format!("n{i}")).collect(),
            initial: Members::new((0..5).map(synod_core::NodeId)),
            election_timeout: (Time::ms(150), Time::ms(300)),
            heartbeat: Time::ms(50),
            max_entries: 64,
            pre_vote: true,
            check_quorum: true,
            snapshot_every: build::DEFAULT_SNAPSHOT_EVERY,
            reads: ReadMode::Log,
            clock_drift_percent: 100,
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
    /// CheckQuorum: step down unless a majority answered within an election timeout (if
    /// still leader of this term).
    CheckQuorum(u64),
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
