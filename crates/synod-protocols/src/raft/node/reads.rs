//! Linearizable reads without the log (Ongaro's dissertation, 6.4 and 6.4.1), with
//! `raft.reads = "read_index"` or `"lease"`; `"log"` (the default) sends reads through the log
//! like writes.
//!
//! **ReadIndex** (6.4): the leader notes its commit index as the read's index, confirms that it
//! still leads by a round of heartbeats a majority answers (rounds are numbered; every
//! `AppendEntries` carries the latest round and every answer echoes it), waits until it has
//! applied up to the read index, and answers from its store. It must first have committed an
//! entry of its term (its no-op): before that its commit index may lag the last leader's.
//!
//! **Lease** (6.4.1): a round that a majority answered also gives the leader a lease from the
//! moment the round *began*: with CheckQuorum, those followers refuse to vote for anyone else
//! for an election timeout after hearing from it (4.2.3), so no other leader can exist until
//! then, as measured on their clocks. The lease lasts `election_timeout.min / (1 + drift)` on
//! the leader's clock, `timing.clock_drift_percent` bounding how much faster a follower's
//! clock may run. Within it a read is answered at once; without it, by ReadIndex. The bound is
//! an assumption: a clock skewed beyond it breaks linearizability (`scenarios/raft-lease-read-
//! skew.toml` shows it).

use super::*;
use std::collections::VecDeque;

/// How many unconfirmed rounds the leader remembers the start of (for the lease). A leader cut
/// off from its majority starts one per heartbeat; older ones are forgotten, which only shortens
/// the lease a late answer could have given.
const MAX_ROUNDS: usize = 64;

/// A read waiting for its round and its index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PendingRead {
    client: NodeId,
    req_id: u64,
    key: String,
    /// The heartbeat round that must be confirmed.
    round: u64,
    /// The commit index when it arrived.
    index: u64,
}

/// A leader's reads in progress and its lease.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Reads {
    /// Rounds begun in this term.
    round: u64,
    /// Rounds not yet confirmed by a majority, with the time each began (leader's clock).
    started: VecDeque<(u64, Time)>,
    pending: VecDeque<PendingRead>,
    /// Reads may be answered without a round until this time (leader's clock).
    lease_until: Time,
    /// A `TimeoutNow` went out in this term: no lease until the term ends (see
    /// [`Reads::forgo_lease`]).
    no_lease: bool,
}

impl Reads {
    /// The latest round begun (every `AppendEntries` carries it).
    pub(crate) fn round(&self) -> u64 {
        self.round
    }

    /// Begin a round at `now`; returns its number.
    pub(crate) fn start_round(&mut self, now: Time) -> u64 {
        self.round += 1;
        self.started.push_back((self.round, now));
        if self.started.len() > MAX_ROUNDS {
            self.started.pop_front();
        }
        self.round
    }

    /// No more reads by lease (a leadership transfer begins).
    pub(crate) fn drop_lease(&mut self) {
        self.lease_until = Time::ZERO;
    }

    /// No lease for the rest of the term: a `TimeoutNow` went out. Its target's election may
    /// come however late (a slow or held target), and voters grant a transfer's votes even
    /// while they hear from their leader (3.10), so the followers' promise a lease rests on no
    /// longer holds, even after the transfer is abandoned. (A new term starts with fresh
    /// `Reads`.)
    pub(crate) fn forgo_lease(&mut self) {
        self.drop_lease();
        self.no_lease = true;
    }
}

impl RaftServer {
    /// A read request at the leader, with `raft.reads` `read_index` or `lease`.
    pub(super) fn read(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        client: NodeId,
        req_id: u64,
        key: String,
    ) {
        let now = ctx.now();
        let term_committed = self.commit_index >= self.term_start;
        if self.cfg.reads == ReadMode::Lease
            && term_committed
            && now < self.reads.lease_until
            && self.last_applied >= self.commit_index
        {
            let index = self.commit_index;
            let until = self.reads.lease_until;
            self.lease_reads.fetch_add(1, Ordering::Relaxed);
            self.answer_read(ctx, client, req_id, &key, |r| {
                format!("by its lease (until {until}), at index {index}: {r}")
            });
            return;
        }
        let round = self.reads.start_round(now);
        let index = self.commit_index;
        if ctx.log_enabled(Level::Info) {
            ctx.info(format_args!(
                "GET {key:?}: read index {}, confirms its leadership with heartbeat round {round}",
                index.max(self.term_start)
            ));
        }
        self.reads.pending.push_back(PendingRead {
            client,
            req_id,
            key,
            round,
            index,
        });
        for p in self.peer_list() {
            self.send_append(ctx, p);
        }
        self.advance_reads(ctx);
    }

    /// The latest round a majority of the configuration answered.
    fn quorum_round(&mut self) -> u64 {
        self.scratch.clear();
        for m in self.config.iter() {
            self.scratch.push(if m == self.me {
                self.reads.round
            } else {
                self.progress[m.index()].round
            });
        }
        if self.scratch.is_empty() {
            return 0;
        }
        self.scratch.sort_unstable_by(|a, b| b.cmp(a));
        self.scratch[self.config.majority() - 1]
    }

    /// Rounds were answered or entries applied: extend the lease, answer the reads that can
    /// be.
    pub(super) fn advance_reads(&mut self, ctx: &mut RCtx<'_, '_>) {
        if self.role != Role::Leader || self.cfg.reads == ReadMode::Log {
            return;
        }
        let q = self.quorum_round();
        let mut began = None;
        while let Some(&(r, at)) = self.reads.started.front() {
            if r > q {
                break;
            }
            began = Some(at);
            self.reads.started.pop_front();
        }
        if let Some(at) = began {
            if self.cfg.reads == ReadMode::Lease && self.transfer.is_none() && !self.reads.no_lease
            {
                let until = if self.cfg.bug == Some(Bug::StaleLeaseRead) {
                    // The planted bug: the lease runs a whole election timeout from when the
                    // answers came, not from when the round began, and trusts every clock to
                    // keep time. Under timer skew it outlives the followers' promise.
                    ctx.now() + self.min_timeout()
                } else {
                    let min = self.min_timeout().as_micros();
                    at + Time::micros(min * 100 / (100 + self.cfg.clock_drift_percent))
                };
                self.reads.lease_until = self.reads.lease_until.max(until);
            }
        }
        while let Some(r) = self.reads.pending.front() {
            let index = r.index.max(self.term_start);
            if r.round > q || index > self.last_applied {
                break;
            }
            let Some(r) = self.reads.pending.pop_front() else {
                break;
            };
            let round = r.round;
            self.answer_read(ctx, r.client, r.req_id, &r.key, |res| {
                format!(
                    "by ReadIndex (index {index}, round {round} confirmed by a majority): {res}"
                )
            });
        }
    }

    /// Answer a read from the store.
    fn answer_read(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        client: NodeId,
        req_id: u64,
        key: &str,
        how: impl FnOnce(&ClientResult) -> String,
    ) {
        let result = self.store.read(key);
        if ctx.log_enabled(Level::Info) {
            ctx.info(format_args!("answers GET {key:?} {}", how(&result)));
        }
        ctx.send(client, RaftMsg::Reply(Reply::Done { req_id, result }));
    }

    /// No longer the leader: the reads waiting are refused (their clients look for the new
    /// leader), and the lease is gone.
    pub(super) fn drop_reads(&mut self, ctx: &mut RCtx<'_, '_>) {
        let reads = std::mem::take(&mut self.reads);
        for r in reads.pending {
            ctx.send(
                r.client,
                RaftMsg::Reply(Reply::NotLeader {
                    req_id: r.req_id,
                    leader: None,
                }),
            );
        }
    }
}
