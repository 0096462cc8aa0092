//! The messages of Raft (Figure 2) and of its clients.

use super::log::{Entry, SharedSnapshot};
use crate::kv::{KvMessage, Reply, Request};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use synod_core::Message;

/// A message between Raft nodes, or between a node and a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RaftMsg {
    /// A would-be candidate asks whether it would get the vote (dissertation 9.6): nothing
    /// changes at the receiver.
    PreVote {
        /// The term it would stand in: one above its own.
        term: u64,
        /// The index of its last log entry.
        last_log_index: u64,
        /// The term of its last log entry.
        last_log_term: u64,
    },
    /// The answer to a `PreVote`.
    PreVoteReply {
        /// The term asked about if granted; the voter's own term if not (a higher one tells
        /// the asker it is behind).
        term: u64,
        /// Whether the voter would grant its vote.
        granted: bool,
    },
    /// A candidate asks for a vote (section 5.2).
    RequestVote {
        /// The candidate's term.
        term: u64,
        /// The index of the candidate's last log entry.
        last_log_index: u64,
        /// The term of the candidate's last log entry.
        last_log_term: u64,
        /// The election was asked for by the leader (`TimeoutNow`, dissertation 3.10): voters
        /// that still hear a leader vote anyway.
        transfer: bool,
    },
    /// The answer to a `RequestVote`.
    Vote {
        /// The voter's current term, for the candidate to update itself.
        term: u64,
        /// Whether the vote is granted.
        granted: bool,
    },
    /// A leader replicates entries, or (with none) sends a heartbeat (section 5.3).
    AppendEntries {
        /// The leader's term.
        term: u64,
        /// The index of the entry just before the new ones.
        prev_log_index: u64,
        /// The term of that entry (the consistency check).
        prev_log_term: u64,
        /// The entries to store (empty for a heartbeat), shared with the leader's log.
        entries: Vec<Arc<Entry>>,
        /// The leader's commit index.
        leader_commit: u64,
        /// The leader's latest read round (echoed, it confirms leadership for reads, 6.4).
        round: u64,
    },
    /// The answer to an `AppendEntries`.
    AppendReply {
        /// The follower's current term.
        term: u64,
        /// Whether the follower's log matched at `prev_log_index` and now holds the entries.
        success: bool,
        /// The `prev_log_index` of the request answered (to recognize stale answers).
        prev_log_index: u64,
        /// How many entries the request answered carried (0: a heartbeat).
        len: u64,
        /// On success, the index up to which the follower's log matches the leader's.
        match_index: u64,
        /// On failure, where the leader should try next (the fast back-off hint): the first
        /// index of the conflicting term, or one past the follower's last entry; 0 when the
        /// request was refused for its stale term, which says nothing of the log.
        conflict_index: u64,
        /// On failure, the term of the follower's conflicting entry (0 if its log is short).
        conflict_term: u64,
        /// The read round of the request answered.
        round: u64,
    },
    /// A leader sends its snapshot to a follower that needs entries it compacted away
    /// (section 7; in one message, not in chunks).
    InstallSnapshot {
        /// The leader's term.
        term: u64,
        /// The snapshot: last included index and term, configuration, store, sessions.
        snapshot: SharedSnapshot,
        /// The leader's latest read round.
        round: u64,
    },
    /// The answer to an `InstallSnapshot`.
    SnapshotReply {
        /// The follower's current term.
        term: u64,
        /// The index up to which its state now matches the leader's; 0 when the request was
        /// refused for its stale term.
        match_index: u64,
        /// The read round of the request answered.
        round: u64,
    },
    /// A leader hands over its leadership (dissertation 3.10): the receiver, whose log is up
    /// to date, starts an election at once.
    TimeoutNow {
        /// The leader's term.
        term: u64,
    },
    /// A client request.
    Request(Request),
    /// A reply to a client.
    Reply(Reply),
}

impl KvMessage for RaftMsg {
    fn into_reply(self) -> Result<Reply, RaftMsg> {
        match self {
            RaftMsg::Reply(r) => Ok(r),
            other => Err(other),
        }
    }
}

impl From<Request> for RaftMsg {
    fn from(r: Request) -> Self {
        RaftMsg::Request(r)
    }
}

impl fmt::Display for RaftMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => write!(
                f,
                "PreVote(t{term}, last log {last_log_index}@t{last_log_term})"
            ),
            RaftMsg::PreVoteReply { term, granted } => {
                write!(
                    f,
                    "PreVoteReply(t{term}, {})",
                    if *granted { "yes" } else { "no" }
                )
            }
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                transfer,
            } => write!(
                f,
                "RequestVote(t{term}, last log {last_log_index}@t{last_log_term}{})",
                if *transfer { ", transfer" } else { "" }
            ),
            RaftMsg::Vote { term, granted } => {
                write!(f, "Vote(t{term}, {})", if *granted { "yes" } else { "no" })
            }
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ..
            } => {
                write!(
                    f,
                    "AppendEntries(t{term}, prev {prev_log_index}@t{prev_log_term}, "
                )?;
                match entries.len() {
                    0 => f.write_str("heartbeat")?,
                    1 => write!(f, "entry {}", prev_log_index + 1)?,
                    n => write!(
                        f,
                        "entries {}..{}",
                        prev_log_index + 1,
                        prev_log_index + n as u64
                    )?,
                }
                write!(f, ", commit {leader_commit})")
            }
            RaftMsg::AppendReply {
                term,
                success: true,
                match_index,
                ..
            } => write!(f, "AppendReply(t{term}, ok, match {match_index})"),
            RaftMsg::AppendReply {
                term,
                conflict_index,
                conflict_term,
                ..
            } => write!(
                f,
                "AppendReply(t{term}, mismatch, retry from {conflict_index} (t{conflict_term}))"
            ),
            RaftMsg::InstallSnapshot { term, snapshot, .. } => write!(
                f,
                "InstallSnapshot(t{term}, up to {}@t{})",
                snapshot.last_index, snapshot.last_term
            ),
            RaftMsg::SnapshotReply {
                term, match_index, ..
            } => write!(f, "SnapshotReply(t{term}, match {match_index})"),
            RaftMsg::TimeoutNow { term } => write!(f, "TimeoutNow(t{term})"),
            RaftMsg::Request(r) => r.fmt(f),
            RaftMsg::Reply(r) => r.fmt(f),
        }
    }
}

impl Message for RaftMsg {
    fn kind(&self) -> &'static str {
        match self {
            RaftMsg::PreVote { .. } => "PreVote",
            RaftMsg::PreVoteReply { .. } => "PreVoteReply",
            RaftMsg::RequestVote { .. } => "RequestVote",
            RaftMsg::Vote { .. } => "Vote",
            RaftMsg::AppendEntries { .. } => "AppendEntries",
            RaftMsg::AppendReply { .. } => "AppendReply",
            RaftMsg::InstallSnapshot { .. } => "InstallSnapshot",
            RaftMsg::SnapshotReply { .. } => "SnapshotReply",
            RaftMsg::TimeoutNow { .. } => "TimeoutNow",
            RaftMsg::Request(_) => "Request",
            RaftMsg::Reply(_) => "Reply",
        }
    }
}
