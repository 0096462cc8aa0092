//! The live checks of Raft's Figure 3 that need the servers' logs, kept incremental so that
//! they can run after every event:
//!
//! - **Log matching**: an entry is identified by (index, term). Each such pair must always
//!   hold the same command and follow an entry of the same term; by induction, two logs with
//!   the same entry at an index are identical up to it. Only entries changed since the last
//!   look are checked (each server marks the lowest index it changed). Entries every server
//!   has compacted into a snapshot (section 7) can appear in no log again and are forgotten.
//! - **Leader append-only**: while a node leads a term, its log never shrinks nor rewrites its
//!   last entry.
//! - **Leader completeness**: when a node becomes leader, its log holds every entry committed
//!   so far (entries before its snapshot are in the snapshot: its last index must carry the
//!   committed term).
//! - **State machine safety** (of commits): no two servers commit different entries at one
//!   index. (The `apply` events are checked by the generic checker too.) And of the state
//!   machines themselves: two servers seen at the same applied index hold the same store and
//!   the same client sessions (section 6.3 makes the sessions part of the replicated state). A
//!   server restored from a snapshot (section 7), by `InstallSnapshot` or by a restart, must
//!   come back to the state the others had at the snapshot's index; one that comes back without
//!   what a snapshot left out is caught as it comes back, not only when a retried request
//!   happens to show it (TigerBeetle's simulator compares replica state checksums op by op for
//!   the same reason).
//! - **One vote per term** (section 5.2: "each server will vote for at most one candidate in a
//!   given term"): a server never votes for two candidates in one term, across crashes too.
//!   That is what its durable `votedFor` is for; election safety rests on it, but two leaders
//!   of one term follow from a second vote only when that vote makes a second majority.
//! - **Lease safety** (dissertation 6.4.1): no leader answers a read by its lease once another
//!   server has led a later term. The lease is the promise that no other leader exists while it
//!   holds (the followers that answered the leader's round refuse to vote for an election
//!   timeout, and the lease ends before, on any clock within the drift bound); a lease read
//!   after a newer leader was elected may miss what that leader wrote, whether or not a
//!   client's history happens to show it.
//!
//! None of them counts servers: commits are read from the servers' commit indices, so the
//! checks hold whatever the configuration, across membership changes. What a majority is
//! belongs to the protocol, and a protocol that miscounts one (the planted
//! `change-before-term-commit`) is caught by what it breaks: a committed entry lost.

use super::RaftNode;
use super::log::Entry;
use super::node::{CLEAN, Role};
use crate::kv::KvNode;
use crate::kv::contract::{Sessions, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use synod_core::NodeId;

/// The term of a committed index the checker could not read: the server that committed it
/// first had compacted it already. (Servers compact in the event after a commit, so this does
/// not happen; the checker stays sound if it does, checking less.)
const UNKNOWN: u64 = u64::MAX;

/// Incremental state of the Raft-specific live checks.
#[derive(Debug)]
pub struct RaftChecker {
    /// (index, term) -> (term of the entry before, the entry), shared with the log that held
    /// it first.
    entries: BTreeMap<(u64, u64), (u64, Arc<Entry>)>,
    /// The committed indices as runs: (first index, term, who committed it first). A log's
    /// terms never decrease along it, so a run per term keeps this small.
    committed: Vec<(u64, u64, usize)>,
    /// The highest committed index seen.
    committed_to: u64,
    /// The commit index seen at each server.
    seen_commit: Vec<u64>,
    /// The first index each server's log holds (its snapshot's last index plus one), as last
    /// seen (a down server keeps its last: its durable log is what it will restart with).
    first: Vec<u64>,
    /// For each server leading now: (term, log length, last term) when last looked.
    leading: Vec<Option<(u64, u64, u64)>>,
    /// The highest term any server has been seen leading, and who led it.
    led: (u64, usize),
    /// Each server's vote as last seen: (term, the candidate it voted for). A server seen down
    /// keeps its last: its durable `votedFor` is what it must restart with.
    last_vote: Vec<(u64, Option<NodeId>)>,
    /// The state machine after an applied index (fingerprints of the store and of the client
    /// sessions), and who was seen holding it first.
    states: BTreeMap<u64, (StateFingerprint, usize)>,
    /// The applied index each server was last seen at.
    seen_applied: Vec<u64>,
    /// The servers' names, by node id, for the violations' details.
    names: Vec<String>,
}

/// A state machine as fingerprints: of the store, and of the client sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StateFingerprint {
    store: u64,
    sessions: u64,
}

impl StateFingerprint {
    fn of(store: &Store, sessions: &Sessions) -> Self {
        StateFingerprint {
            store: synod_check::fingerprint(store),
            sessions: synod_check::fingerprint(sessions),
        }
    }
}

impl RaftChecker {
    /// A checker for the servers named `names` (nodes `0..names.len()`).
    pub fn new(names: Vec<String>) -> Self {
        let servers = names.len();
        RaftChecker {
            entries: BTreeMap::new(),
            committed: Vec::new(),
            committed_to: 0,
            seen_commit: vec![0; servers],
            first: vec![1; servers],
            leading: vec![None; servers],
            led: (0, 0),
            last_vote: vec![(0, None); servers],
            states: BTreeMap::new(),
            seen_applied: vec![0; servers],
            names,
        }
    }

    /// A node's name (a candidate may be any node the servers know).
    fn name(&self, id: NodeId) -> String {
        self.names
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| format!("node {}", id.index()))
    }

    /// The term committed at `idx`, and who committed it first.
    fn committed_at(&self, idx: u64) -> Option<(u64, usize)> {
        if idx == 0 || idx > self.committed_to {
            return None;
        }
        let run = self
            .committed
            .partition_point(|(start, _, _)| *start <= idx)
            - 1;
        let (_, term, by) = self.committed[run];
        Some((term, by))
    }

    /// Record that `idx` (the next index) is committed with `term`, by server `by`.
    fn commit(&mut self, idx: u64, term: u64, by: usize) {
        debug_assert_eq!(idx, self.committed_to + 1);
        if self.committed.last().is_none_or(|(_, t, _)| *t != term) {
            self.committed.push((idx, term, by));
        }
        self.committed_to = idx;
    }

    /// Check every server's state; `Some((property, detail))` on a violation.
    pub fn check<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = Option<&'a RaftNode>>,
    ) -> Option<(String, String)> {
        let low_water = self.low_water();
        for (i, node) in nodes.into_iter().enumerate().take(self.seen_commit.len()) {
            if let Some(v) = self.look(i, node) {
                return Some(v);
            }
        }
        self.forget_before(low_water);
        None
    }

    /// Check the state of `acted`, the node that just handled an event, as [`Self::check`]
    /// would: in the simulator only the node that handles an event changes, so looking at the
    /// others again finds what the last look found. A crash only takes a node out of the
    /// iterator, with no event of its own: what [`Self::check`] does for a down server (forget
    /// that it led) waits for its restart, whose first event is its own; nothing reads that
    /// in between, and a down server keeps the log and vote it will restart with.
    pub fn check_acted<'a>(
        &mut self,
        acted: NodeId,
        mut nodes: impl Iterator<Item = Option<&'a RaftNode>>,
    ) -> Option<(String, String)> {
        let i = acted.index();
        if i >= self.seen_commit.len() {
            return None; // a client
        }
        let first_before = self.first[i];
        let node = nodes.nth(i).flatten();
        let v = self.look(i, node);
        // The lowest first index can only have moved if this server's did.
        if v.is_none() && self.first[i] != first_before {
            let low_water = self
                .first
                .iter()
                .enumerate()
                .map(|(j, f)| if j == i { first_before } else { *f })
                .min()
                .unwrap_or(1);
            self.forget_before(low_water);
        }
        v
    }

    /// The lowest first index of the servers' logs, as last seen.
    fn low_water(&self) -> u64 {
        self.first.iter().copied().min().unwrap_or(1)
    }

    /// No log holds an entry before every server's first index any more: forget them, if the
    /// lowest first index moved above `low_water`.
    fn forget_before(&mut self, low_water: u64) {
        let now_low = self.low_water();
        if now_low > low_water {
            self.entries = self.entries.split_off(&(now_low, 0));
            // A server restores at its snapshot's index, the one before its first: states
            // before every such index are looked at no more.
            self.states = self.states.split_off(&(now_low - 1));
        }
    }

    /// Check server `i` (`None`: down); `Some((property, detail))` on a violation.
    fn look(&mut self, i: usize, node: Option<&RaftNode>) -> Option<(String, String)> {
        let fail = |p: &str, d: String| Some((p.to_string(), d));
        let Some(KvNode::Server(s)) = node else {
            self.leading[i] = None;
            return None;
        };
        let log = s.log();
        self.first[i] = log.first_index();

        // Log matching, on the entries changed since the last look.
        let from = s.dirty_from.load(Ordering::Relaxed);
        // A server rebuilt from its disk (a restart marks its whole log) or from a leader's
        // snapshot (which marks the log from its first index) has a new state machine, even
        // where its applied index is the one last seen.
        let rebuilt = from != CLEAN && from <= log.first_index();
        if from != CLEAN {
            s.dirty_from.store(CLEAN, Ordering::Relaxed);
            for idx in from.max(log.first_index())..=log.last_index() {
                let Some(e) = log.get_shared(idx) else { break };
                let prev_term = log.term_at(idx - 1).unwrap_or(0);
                match self.entries.get(&(idx, e.term)) {
                    None => {
                        self.entries
                            .insert((idx, e.term), (prev_term, Arc::clone(e)));
                    }
                    Some((pt, earlier)) if *pt != prev_term || earlier != e => {
                        return fail(
                            "log matching",
                            format!(
                                "{} holds {e} at index {idx} after an entry of term {prev_term}, but another log holds {earlier} there after term {pt}",
                                self.names[i]
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }

        // Committed entries never change. Indices compacted away are known only where the
        // snapshot ends.
        let commit = s.commit_index();
        if commit < self.seen_commit[i] {
            self.seen_commit[i] = commit; // restarted: commit index is volatile
        }
        for idx in self.seen_commit[i] + 1..=commit {
            let t = log.term_at(idx);
            match (self.committed_at(idx), t) {
                (None, t) if idx == self.committed_to + 1 => {
                    self.commit(idx, t.unwrap_or(UNKNOWN), i);
                }
                (Some((t0, by)), Some(t)) if t0 != t && t0 != UNKNOWN => {
                    return fail(
                        "state machine safety",
                        format!(
                            "index {idx} committed with term {t0} by {} but with term {t} by {}",
                            self.names[by], self.names[i]
                        ),
                    );
                }
                // Compacted into a snapshot received from a leader that committed it: its
                // last index carries the term and is checked.
                _ => {}
            }
        }
        self.seen_commit[i] = commit;

        // Lease safety. A server that became leader did so in an earlier event than any
        // read it answers, so the newest leader is known by the time a read is looked at.
        // (A load first, as for `dirty_from`: most looks find no read, and a plain load is
        // cheaper than a swap on every server after every event.)
        let term = s.term();
        let read_by_lease = s.lease_reads.load(Ordering::Relaxed) > 0;
        if read_by_lease {
            s.lease_reads.store(0, Ordering::Relaxed);
        }
        if read_by_lease && self.led.0 > term {
            let (newer, by) = self.led;
            return fail(
                "lease safety",
                format!(
                    "{}, leader of term {term}, answered a read by its lease after {} led term {newer}",
                    self.names[i], self.names[by]
                ),
            );
        }

        // One vote per term. A server restarted without its vote (the planted
        // `forget-vote-on-restart`) has not broken it until it votes again.
        let vote = s.voted_for();
        match self.last_vote[i] {
            (t, Some(voted)) if t == term => {
                if let Some(again) = vote.filter(|v| *v != voted) {
                    return fail(
                        "one vote per term",
                        format!(
                            "{} voted for {} in term {term}, and then for {}",
                            self.names[i],
                            self.name(voted),
                            self.name(again)
                        ),
                    );
                }
            }
            _ => self.last_vote[i] = (term, vote),
        }

        // The state machines agree at each applied index: looked at whenever a server's
        // applied index moves (it applied entries, installed a snapshot, or restarted) or its
        // state machine was rebuilt at the same index (it restarted, or installed a snapshot,
        // just where it was).
        let applied = s.last_applied();
        if applied != self.seen_applied[i] || rebuilt {
            self.seen_applied[i] = applied;
            let state = StateFingerprint::of(s.store(), s.sessions());
            match self.states.get(&applied) {
                None => {
                    self.states.insert(applied, (state, i));
                }
                Some(&(reference, by)) if reference != state => {
                    let what = match (
                        reference.store == state.store,
                        reference.sessions == state.sessions,
                    ) {
                        (true, _) => "client sessions",
                        (false, true) => "store",
                        (false, false) => "store and client sessions",
                    };
                    let restored = s.snapshot().is_some_and(|sn| sn.last_index == applied);
                    let other = if by == i {
                        "what it held there before".to_string()
                    } else {
                        format!("{}'s there", self.names[by])
                    };
                    return fail(
                        "state machine safety",
                        format!(
                            "{}{} holds after index {applied} a state machine whose {what} differ from {other} (here: store {}, {} client sessions)",
                            self.names[i],
                            if restored {
                                ", restored from a snapshot,"
                            } else {
                                ""
                            },
                            s.store(),
                            s.sessions().len()
                        ),
                    );
                }
                Some(_) => {}
            }
        }

        // Leader completeness and leader append-only.
        if s.role() != Role::Leader {
            self.leading[i] = None;
            return None;
        }
        if term > self.led.0 {
            self.led = (term, i);
        }
        let (len, last) = (log.last_index(), log.last_term());
        match self.leading[i] {
            Some((t, l, lt)) if t == term => {
                // An entry before the snapshot was committed, so it was not rewritten.
                if len < l || matches!(log.term_at(l), Some(t) if t != lt) {
                    return fail(
                        "leader append-only",
                        format!(
                            "{}, leader of term {term}, had {l} entries (last of term {lt}) and now has {len}",
                            self.names[i]
                        ),
                    );
                }
            }
            _ => {
                let from = log.snapshot_index().max(1);
                for idx in from..=self.committed_to {
                    let (t, by) = self.committed_at(idx).unwrap_or((0, i));
                    if t != UNKNOWN && log.term_at(idx) != Some(t) {
                        return fail(
                            "leader completeness",
                            format!(
                                "{} leads term {term} but its log lacks index {idx} (term {t}), committed by {}",
                                self.names[i], self.names[by]
                            ),
                        );
                    }
                }
            }
        }
        self.leading[i] = Some((term, len, last));
        None
    }
}
