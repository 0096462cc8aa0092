//! One Raft server (Figure 2): follower, candidate or leader.
//!
//! Handlers follow the paper's rules in order: a message with a higher term first turns the
//! node into a follower of that term ("Rules for Servers, all servers"); then the handler for
//! the message kind runs (`handle_request_vote`, `handle_append_entries`, ...).

use super::log::{Entry, Log};
use super::msg::RaftMsg;
use super::{Bug, RaftConfig, RaftTimer};
use crate::kv::{Command, Reply, Request, Sessions, Store};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use synod_core::view::Changed;
use synod_core::{Ctx, Level, NodeId, NodeStatus, Process, Time};

type RCtx<'a, 'b> = Ctx<'a, RaftMsg, RaftTimer>;

/// What a Raft server keeps on disk (Figure 2, "persistent state on all servers"): written
/// before answering any message, and all that survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// The latest term this server has seen.
    pub current_term: u64,
    /// The candidate it voted for in `current_term`, if any.
    pub voted_for: Option<NodeId>,
    /// The log.
    pub log: Log,
}

/// A server's role.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Answers leaders and candidates; starts an election when it hears from no leader.
    Follower,
    /// Asks for votes in its term.
    Candidate,
    /// Takes client requests and replicates the log.
    Leader,
}

impl Role {
    /// `follower`, `candidate`, `leader`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// The leader's view of one follower (Figure 2, "volatile state on leaders").
#[derive(Clone, Debug, Default)]
struct Progress {
    /// The next index to send.
    next: u64,
    /// The highest index known to be replicated there.
    matched: u64,
    /// After a mismatch: one probe at a time until the logs match again; otherwise entries
    /// are pipelined (sent as they arrive, `next` advanced optimistically).
    probing: bool,
    /// Pipelined `AppendEntries` with entries not yet answered. At most [`MAX_INFLIGHT`]:
    /// entries that arrive meanwhile wait and go out together (batching). Reset by each
    /// heartbeat, so that a lost message cannot stall the pipeline.
    inflight: u32,
}

/// How many `AppendEntries` with entries a leader pipelines to one follower before it waits
/// for an answer.
pub const MAX_INFLIGHT: u32 = 4;

/// A `term N` epoch as printed in role events.
struct TermEpoch(u64);

impl fmt::Display for TermEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "term {}", self.0)
    }
}

/// A Raft server.
pub struct RaftServer {
    cfg: Rc<RaftConfig>,
    me: NodeId,
    d: Durable,
    role: Role,
    leader: Option<NodeId>,
    commit_index: u64,
    last_applied: u64,
    store: Store,
    sessions: Sessions,
    election_deadline: Time,
    election_armed: bool,
    votes: Vec<bool>,
    progress: Vec<Progress>,
    /// Leader: the log index holding each client's latest request, to not append a retry twice.
    in_log: BTreeMap<NodeId, (u64, u64)>,
    /// Scratch space for counting replicas.
    scratch: Vec<u64>,
    /// Leader, narration only: the highest index it said it may not commit yet, being of an
    /// older term (5.4.2), so that it says it once.
    told_waiting: u64,
    /// Planted bug `forget-vote-on-restart`, narration only: the vote the restart forgot.
    forgot_vote: Option<NodeId>,
    /// For the live checks: the lowest log index changed since the checker last looked.
    pub(super) dirty_from: Cell<u64>,
    /// For the view: the lowest log index changed since the last report (see `view.rs`).
    pub(super) view_log: Changed,
}

impl std::fmt::Debug for RaftServer {
    /// The server's state for debugging synod itself (configuration and checker bookkeeping
    /// left out); people read `inspect` (`view.rs`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftServer")
            .field("me", &self.me)
            .field("durable", &self.d)
            .field("role", &self.role)
            .field("leader", &self.leader)
            .field("commit_index", &self.commit_index)
            .field("last_applied", &self.last_applied)
            .field("store", &self.store)
            .field("progress", &self.progress)
            .finish()
    }
}

/// No log change since the checker last looked.
pub(super) const CLEAN: u64 = u64::MAX;

impl RaftServer {
    /// A server, fresh (`None`) or restarted from what it kept on disk.
    pub fn new(cfg: Rc<RaftConfig>, me: NodeId, durable: Option<Durable>) -> Self {
        let mut d = durable.unwrap_or_default();
        let mut forgot_vote = None;
        if cfg.bug == Some(Bug::ForgetVoteOnRestart) {
            forgot_vote = d.voted_for.take();
        }
        let n = cfg.servers;
        RaftServer {
            cfg,
            me,
            d,
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            store: Store::default(),
            sessions: Sessions::default(),
            election_deadline: Time::ZERO,
            election_armed: false,
            votes: vec![false; n],
            progress: vec![Progress::default(); n],
            in_log: BTreeMap::new(),
            scratch: Vec::with_capacity(n),
            told_waiting: 0,
            forgot_vote,
            dirty_from: Cell::new(1),
            view_log: Changed::default(),
        }
    }

    /// The current term.
    pub fn term(&self) -> u64 {
        self.d.current_term
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.d.log
    }

    /// The commit index.
    pub fn commit_index(&self) -> u64 {
        self.commit_index
    }

    /// The index of the last applied entry.
    pub fn last_applied(&self) -> u64 {
        self.last_applied
    }

    /// The vote cast in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.d.voted_for
    }

    /// The leader this server knows of.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The store (the state machine).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The exactly-once sessions of the state machine.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// A leader's view of each other server (Figure 2, "volatile state on leaders"): the server,
    /// its `nextIndex` and its `matchIndex`. Empty unless this server leads.
    pub fn progress(&self) -> impl Iterator<Item = (NodeId, u64, u64)> + '_ {
        let leads = self.role == Role::Leader;
        self.peers().filter(move |_| leads).map(|p| {
            (
                p,
                self.progress[p.index()].next,
                self.progress[p.index()].matched,
            )
        })
    }

    /// A server's name, as the scenario names it (`n3`, `Taziri`).
    fn name(&self, id: NodeId) -> &str {
        self.cfg.names.get(id.index()).map_or("?", String::as_str)
    }

    fn majority(&self) -> usize {
        self.cfg.servers / 2 + 1
    }

    fn mark_dirty(&self, from: u64) {
        if from < self.dirty_from.get() {
            self.dirty_from.set(from);
        }
        self.view_log.mark(from);
    }

    fn set_label(&self, ctx: &mut RCtx<'_, '_>) {
        ctx.set_label(format_args!(
            "{} {} t{}",
            self.name(self.me),
            self.role.name(),
            self.d.current_term
        ));
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.me;
        (0..self.cfg.servers as u32)
            .map(NodeId)
            .filter(move |p| *p != me)
    }

    /// Draw a new election deadline (section 5.2: randomized, so that split votes are rare).
    fn reset_election_timer(&mut self, ctx: &mut RCtx<'_, '_>) {
        let (lo, hi) = self.cfg.election_timeout;
        let after = Time::micros(ctx.rng().range_inclusive(lo.as_micros(), hi.as_micros()));
        self.election_deadline = ctx.now() + after;
        if !self.election_armed {
            self.election_armed = true;
            ctx.set_timer(after, RaftTimer::Election);
        }
    }

    /// Step down (or stay) as a follower of `term`.
    fn become_follower(&mut self, ctx: &mut RCtx<'_, '_>, term: u64, leader: Option<NodeId>) {
        let was = self.role;
        if term > self.d.current_term {
            self.d.current_term = term;
            self.d.voted_for = None;
        }
        self.role = Role::Follower;
        self.leader = leader;
        if was != Role::Follower {
            ctx.role("follower", &TermEpoch(self.d.current_term));
        }
        self.set_label(ctx);
        if was == Role::Leader {
            self.in_log.clear();
            self.reset_election_timer(ctx);
        }
    }

    /// Section 5.2: a follower that hears from no leader for an election timeout becomes a
    /// candidate, votes for itself and asks every other server for its vote.
    fn start_election(&mut self, ctx: &mut RCtx<'_, '_>) {
        self.d.current_term += 1;
        self.d.voted_for = Some(self.me);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes.iter_mut().for_each(|v| *v = false);
        self.votes[self.me.index()] = true;
        ctx.seeks("candidate", &TermEpoch(self.d.current_term));
        self.set_label(ctx);
        ctx.warn(format_args!(
            "election timeout: no leader heard from; starts election for term {} (last log {}@t{})",
            self.d.current_term,
            self.d.log.last_index(),
            self.d.log.last_term()
        ));
        self.reset_election_timer(ctx);
        let msg = RaftMsg::RequestVote {
            term: self.d.current_term,
            last_log_index: self.d.log.last_index(),
            last_log_term: self.d.log.last_term(),
        };
        let peers: Vec<NodeId> = self.peers().collect();
        ctx.broadcast(peers, &msg);
        if self.majority() <= 1 {
            self.become_leader(ctx);
        }
    }

    /// Sections 5.2 and 5.4.1: grant at most one vote per term, and only to a candidate whose
    /// log is at least as up-to-date as this one.
    fn handle_request_vote(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let cur = self.d.current_term;
        let free = self.d.voted_for.is_none() || self.d.voted_for == Some(from);
        let unchecked = self.cfg.bug == Some(Bug::VoteWithoutUpToDateCheck);
        let up_to_date = unchecked || self.d.log.is_behind_or_equal(last_log_term, last_log_index);
        let granted = term == cur && free && up_to_date;
        if granted {
            self.d.voted_for = Some(from);
            self.reset_election_timer(ctx);
        }
        if granted && unchecked && ctx.log_enabled(Level::Info) {
            // The planted bug says what it skips; a vote the check would have refused is the
            // one that breaks Raft, and is shown as a warning.
            let (mine, mine_t) = (self.d.log.last_index(), self.d.log.last_term());
            let behind = !self.d.log.is_behind_or_equal(last_log_term, last_log_index);
            let level = if behind { Level::Warn } else { Level::Info };
            let compare = if behind { "is behind" } else { "vs" };
            ctx.log(
                level,
                format_args!(
                    "RequestVote from {} for term {term}: yes (BUG vote-without-up-to-date-check: log not compared; its log {last_log_index}@t{last_log_term} {compare} mine {mine}@t{mine_t})",
                    self.name(from)
                ),
            );
        } else if ctx.log_enabled(Level::Info) {
            let why = if term < cur {
                format!("no: its term {term} is stale")
            } else if !free {
                format!(
                    "no: already voted for {} in term {cur}",
                    self.d.voted_for.map_or("nobody", |v| self.name(v))
                )
            } else if !up_to_date {
                format!(
                    "no: its log ({last_log_index}@t{last_log_term}) is behind mine ({}@t{})",
                    self.d.log.last_index(),
                    self.d.log.last_term()
                )
            } else {
                format!("yes (its log {last_log_index}@t{last_log_term} is up to date)")
            };
            ctx.info(format_args!(
                "RequestVote from {} for term {term}: {why}",
                self.name(from)
            ));
        }
        ctx.send(from, RaftMsg::Vote { term: cur, granted });
    }

    fn handle_vote(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId, term: u64, granted: bool) {
        if self.role != Role::Candidate || term != self.d.current_term {
            ctx.debug(format_args!("ignoring stale vote from {}", self.name(from)));
            return;
        }
        if !granted {
            return;
        }
        self.votes[from.index()] = true;
        let n = self.votes.iter().filter(|v| **v).count();
        if n >= self.majority() {
            ctx.info(format_args!(
                "has {n}/{} votes for term {}",
                self.cfg.servers, self.d.current_term
            ));
            self.become_leader(ctx);
        }
    }

    /// Section 5.2/5.4.2: a new leader sends heartbeats at once, and appends a no-op so that it
    /// can commit (it may only commit entries of its own term by counting replicas).
    fn become_leader(&mut self, ctx: &mut RCtx<'_, '_>) {
        self.role = Role::Leader;
        self.leader = Some(self.me);
        let next = self.d.log.last_index() + 1;
        for p in &mut self.progress {
            *p = Progress {
                next,
                matched: 0,
                probing: false,
                inflight: 0,
            };
        }
        self.in_log.clear();
        self.told_waiting = 0;
        ctx.leads("leader", &TermEpoch(self.d.current_term));
        self.set_label(ctx);
        let idx = self.d.log.push(Entry {
            term: self.d.current_term,
            req: None,
            cmd: Command::Noop,
        });
        self.mark_dirty(idx);
        self.progress[self.me.index()].matched = idx;
        ctx.info(format_args!(
            "becomes leader of term {}; appends no-op at index {idx} and sends heartbeats every {}",
            self.d.current_term, self.cfg.heartbeat
        ));
        for p in self.peers() {
            self.send_append(ctx, p);
        }
        ctx.set_timer(
            self.cfg.heartbeat,
            RaftTimer::Heartbeat(self.d.current_term),
        );
        self.maybe_commit(ctx);
    }

    /// Send `to` the entries from its next index on (none: a heartbeat). While pipelining, the
    /// next index advances at once, without waiting for the answer.
    fn send_append(&mut self, ctx: &mut RCtx<'_, '_>, to: NodeId) {
        let pr = &self.progress[to.index()];
        let prev = pr.next - 1;
        let entries = self.d.log.slice(pr.next, self.cfg.max_entries);
        let n = entries.len() as u64;
        let probing = pr.probing;
        let msg = RaftMsg::AppendEntries {
            term: self.d.current_term,
            prev_log_index: prev,
            prev_log_term: self.d.log.term_at(prev).unwrap_or(0),
            entries,
            leader_commit: self.commit_index,
        };
        if !probing {
            let pr = &mut self.progress[to.index()];
            pr.next = prev + n + 1;
            if n > 0 {
                pr.inflight += 1;
            }
        }
        ctx.send(to, msg);
    }

    /// Section 5.3: the consistency check, conflict resolution, and the commit index.
    #[allow(clippy::too_many_arguments)]
    fn handle_append_entries(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        prev: u64,
        prev_term: u64,
        entries: Vec<Arc<Entry>>,
        leader_commit: u64,
    ) {
        let cur = self.d.current_term;
        let len = entries.len() as u64;
        let reject = |conflict_index: u64, conflict_term: u64| RaftMsg::AppendReply {
            term: cur,
            success: false,
            prev_log_index: prev,
            len,
            match_index: 0,
            conflict_index,
            conflict_term,
        };
        if term < cur {
            ctx.debug(format_args!(
                "ignoring AppendEntries from {} of stale term {term}",
                self.name(from)
            ));
            ctx.send(from, reject(0, 0));
            return;
        }
        if self.role == Role::Leader {
            // Two leaders in one term: election safety is broken (a planted bug); ignore.
            ctx.warn(format_args!(
                "AppendEntries from {}, another leader of term {term}!",
                self.name(from)
            ));
            return;
        }
        if self.role == Role::Candidate {
            ctx.info(format_args!(
                "AppendEntries from {}, leader of term {term}: steps down",
                self.name(from)
            ));
            self.become_follower(ctx, term, Some(from));
        }
        if self.leader != Some(from) {
            self.leader = Some(from);
            ctx.info(format_args!(
                "follows {}, leader of term {term}",
                self.name(from)
            ));
        }
        self.reset_election_timer(ctx);

        // The consistency check: the log must hold prev at prev_term.
        let skip_check = self.cfg.bug == Some(Bug::NoConsistencyCheck);
        match self.d.log.term_at(prev) {
            None => {
                let last = self.d.log.last_index();
                if ctx.log_enabled(Level::Info) {
                    ctx.info(format_args!(
                        "AppendEntries from {} after index {prev}, which it lacks (log ends at {last}): refused, asks for {}",
                        self.name(from),
                        last + 1
                    ));
                }
                ctx.send(from, reject(last + 1, 0));
                return;
            }
            Some(t) if t != prev_term && skip_check => {
                if ctx.log_enabled(Level::Info) {
                    ctx.warn(format_args!(
                        "AppendEntries from {} after index {prev}@t{prev_term}, but its entry {prev} has term {t}: accepted anyway (BUG no-consistency-check: prevLogIndex/prevLogTerm not checked)",
                        self.name(from)
                    ));
                }
            }
            Some(t) if t != prev_term => {
                let first = self.d.log.first_index_of_term_at(prev);
                if ctx.log_enabled(Level::Info) {
                    ctx.info(format_args!(
                        "AppendEntries from {} after index {prev}@t{prev_term}, but its entry {prev} has term {t}: refused (its term-{t} entries start at {first})",
                        self.name(from)
                    ));
                }
                ctx.send(from, reject(first, t));
                return;
            }
            Some(_) => {}
        }

        // Store the entries; a conflicting suffix (same index, other term) is replaced.
        let n = entries.len() as u64;
        let mut replaced = None;
        let mut fresh = 0;
        for (k, e) in entries.into_iter().enumerate() {
            let idx = prev + 1 + k as u64;
            match self.d.log.term_at(idx) {
                Some(t) if t == e.term => continue,
                Some(_) => {
                    replaced.get_or_insert((idx, self.d.log.last_index()));
                    self.d.log.truncate_from(idx);
                    self.d.log.push_shared(e);
                }
                None => {
                    self.d.log.push_shared(e);
                }
            }
            self.mark_dirty(idx);
            fresh += 1;
        }
        let matched = prev + n;
        // Coverage (what a campaign counts): a discarded suffix, and entries the cluster
        // committed while this follower was behind.
        if let Some((i, j)) = replaced {
            ctx.truncate(i, j + 1 - i);
        }
        if fresh > 0 && prev < leader_commit {
            ctx.catch_up(prev + 1, matched.min(leader_commit));
        }
        let old_commit = self.commit_index;
        let new_commit = leader_commit.min(matched);
        if new_commit > self.commit_index {
            self.commit_index = new_commit;
            ctx.commit(new_commit);
        }
        // The story (info) is what changed: new entries, a higher commit index; a heartbeat
        // or a repeat of entries already stored is a detail (debug). The entries it applies
        // are narrated after it, one line each.
        let level = if fresh > 0 || self.commit_index > old_commit {
            Level::Info
        } else {
            Level::Debug
        };
        if ctx.log_enabled(level) {
            let mut entries = match n {
                0 => "heartbeat".to_string(),
                1 => format!("entry {}", prev + 1),
                _ => format!("entries {}..{}", prev + 1, prev + n),
            };
            if n > 0 && fresh == 0 {
                entries.push_str(" (already stored)");
            }
            let replaced = match replaced {
                Some((i, j)) if i == j => format!(" (replaced conflicting entry {i})"),
                Some((i, j)) => format!(" (replaced conflicting entries {i}..{j})"),
                None => String::new(),
            };
            ctx.log(
                level,
                format_args!(
                    "AppendEntries from {}: {entries}, commit {leader_commit}{replaced}",
                    self.name(from)
                ),
            );
        }
        self.apply_committed(ctx);
        ctx.send(
            from,
            RaftMsg::AppendReply {
                term: cur.max(term),
                success: true,
                prev_log_index: prev,
                len,
                match_index: matched,
                conflict_index: 0,
                conflict_term: 0,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_append_reply(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        success: bool,
        prev: u64,
        len: u64,
        match_index: u64,
        conflict_index: u64,
        conflict_term: u64,
    ) {
        if self.role != Role::Leader || term != self.d.current_term {
            return;
        }
        let i = from.index();
        let pr = &mut self.progress[i];
        if success && len > 0 && !pr.probing && match_index <= pr.matched {
            // A duplicate, or an answer overtaken by a later one: it answers nothing still in
            // flight. Reacting to it would send again for every copy, and under duplication
            // the copies multiply (a message storm).
            return;
        }
        if len > 0 && !pr.probing {
            pr.inflight = pr.inflight.saturating_sub(1);
        }
        if success {
            let advanced = match_index > pr.matched;
            pr.matched = pr.matched.max(match_index);
            pr.next = pr.next.max(pr.matched + 1);
            if pr.probing || (pr.inflight == 0 && pr.next > pr.matched + 1) {
                // Nothing else is on the way: resend what the follower lacks (an entry was
                // lost, or rejected because it overtook an earlier one).
                pr.next = pr.matched + 1;
            }
            pr.probing = false;
            if advanced {
                self.maybe_commit(ctx);
            }
            let pr = &self.progress[i];
            if pr.next <= self.d.log.last_index() && pr.inflight < MAX_INFLIGHT {
                self.send_append(ctx, from);
            }
            return;
        }
        if prev < pr.matched || (pr.probing && prev + 1 != pr.next) {
            return; // a stale answer
        }
        if !pr.probing && conflict_term == 0 && pr.inflight > 0 && conflict_index > pr.matched {
            // The follower's log is short, but earlier entries are still on their way (this
            // message overtook them): wait for their answers rather than probe.
            return;
        }
        // Fast back-off: skip the follower's whole conflicting term at once.
        let hint = if conflict_term > 0 {
            match self.d.log.last_index_of_term(conflict_term) {
                Some(j) => j + 1,
                None => conflict_index,
            }
        } else {
            conflict_index
        };
        let next = hint.max(pr.matched + 1).min(prev.max(1));
        let next = next.max(pr.matched + 1);
        if ctx.log_enabled(Level::Debug) {
            ctx.debug(format_args!(
                "{} has no match at {prev}: backs off to {next}",
                self.name(from)
            ));
        }
        let pr = &mut self.progress[i];
        pr.next = next;
        pr.probing = true;
        pr.inflight = 0;
        self.send_append(ctx, from);
    }

    /// Section 5.3/5.4.2: commit the highest index stored on a majority, but only if it holds
    /// an entry of the current term (older entries are then committed with it).
    fn maybe_commit(&mut self, ctx: &mut RCtx<'_, '_>) -> bool {
        self.progress[self.me.index()].matched = self.d.log.last_index();
        self.scratch.clear();
        self.scratch.extend(self.progress.iter().map(|p| p.matched));
        self.scratch.sort_unstable_by(|a, b| b.cmp(a));
        let n = self.scratch[self.majority() - 1];
        if n <= self.commit_index {
            return false;
        }
        let term_ok = self.d.log.term_at(n) == Some(self.d.current_term);
        if !term_ok && self.cfg.bug != Some(Bug::CommitOldTerm) {
            // Figure 8: an older term's entry on a majority can still be overwritten by a
            // later leader, so it is not committed by counting; an entry of this term will
            // commit it. Said once per index.
            if n > self.told_waiting && ctx.log_enabled(Level::Info) {
                self.told_waiting = n;
                let on = self.progress.iter().filter(|p| p.matched >= n).count();
                ctx.info(format_args!(
                    "index {n} (term {}) is on {on}/{}, a majority, but only entries of my term {} commit by counting: waiting (5.4.2)",
                    self.d.log.term_at(n).unwrap_or(0),
                    self.cfg.servers,
                    self.d.current_term
                ));
            }
            return false;
        }
        let old = self.commit_index;
        self.commit_index = n;
        ctx.commit(n);
        if ctx.log_enabled(Level::Info) {
            let on = self.progress.iter().filter(|p| p.matched >= n).count();
            let which = if n == old + 1 {
                format!("index {n}")
            } else {
                format!("indices {}..{n}", old + 1)
            };
            let servers = self.cfg.servers;
            if term_ok {
                ctx.info(format_args!(
                    "{which} replicated on {on}/{servers}, committed"
                ));
            } else {
                ctx.warn(format_args!(
                    "{which} replicated on {on}/{servers}, committed (BUG commit-old-term: index {n} is of term {}, not my term {}: committed by counting replicas, which 5.4.2 forbids)",
                    self.d.log.term_at(n).unwrap_or(0),
                    self.d.current_term
                ));
            }
        }
        self.apply_committed(ctx);
        true
    }

    /// Apply the committed entries in order; the leader answers the clients.
    fn apply_committed(&mut self, ctx: &mut RCtx<'_, '_>) {
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let idx = self.last_applied;
            let Some(e) = self.d.log.get(idx) else {
                break;
            };
            // Every server applies; only the leader answers, so only it copies the result.
            let noop;
            let result = match e.req {
                Some((client, req_id)) => {
                    let (result, fresh) =
                        self.sessions
                            .apply_ref(&mut self.store, client, req_id, &e.cmd);
                    if !fresh {
                        ctx.dedup(client, req_id);
                    }
                    result
                }
                None => {
                    noop = self.store.apply(&e.cmd);
                    &noop
                }
            };
            ctx.apply(idx, &e.cmd, result);
            // Every server narrates what it applies (no-ops change nothing and are left out);
            // the leader also answers the client.
            let Some((client, req_id)) = e.req else {
                continue;
            };
            let leads = self.role == Role::Leader;
            if ctx.log_enabled(Level::Info) {
                let reply = if leads { ", replies to client" } else { "" };
                ctx.info(format_args!("applies {idx}: {} -> {result}{reply}", e.cmd));
            }
            if leads {
                let result = result.clone();
                ctx.send(client, RaftMsg::Reply(Reply::Done { req_id, result }));
            }
        }
    }

    /// Section 8: only the leader takes requests; others answer with the leader they know.
    fn handle_request(&mut self, ctx: &mut RCtx<'_, '_>, req: Request) {
        if self.role != Role::Leader {
            if ctx.log_enabled(Level::Debug) {
                ctx.debug(format_args!(
                    "{req} from a client, but not the leader: hints {}",
                    self.leader.map_or("nobody", |l| self.name(l))
                ));
            }
            ctx.send(
                req.client,
                RaftMsg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: self.leader,
                }),
            );
            return;
        }
        if let Some(&(rid, idx)) = self.in_log.get(&req.client) {
            let same = self
                .d
                .log
                .get(idx)
                .is_some_and(|e| e.req == Some((req.client, req.req_id)));
            if rid == req.req_id && same && idx > self.last_applied {
                ctx.debug(format_args!(
                    "{req} again: already at index {idx}, waiting for it to commit"
                ));
                return;
            }
        }
        let idx = self.d.log.push(Entry {
            term: self.d.current_term,
            req: Some((req.client, req.req_id)),
            cmd: req.cmd,
        });
        self.mark_dirty(idx);
        self.in_log.insert(req.client, (req.req_id, idx));
        if ctx.log_enabled(Level::Info) {
            if let Some(e) = self.d.log.get(idx) {
                let cmd = &e.cmd;
                ctx.info(format_args!("appends {cmd} at index {idx}"));
            }
        }
        self.progress[self.me.index()].matched = idx;
        for p in self.peers() {
            let pr = &self.progress[p.index()];
            if !pr.probing && pr.next <= idx && pr.inflight < MAX_INFLIGHT {
                self.send_append(ctx, p);
            }
        }
        self.maybe_commit(ctx);
    }
}

impl Process for RaftServer {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = Durable;

    /// Start, or restart from disk.
    fn on_start(&mut self, ctx: &mut RCtx<'_, '_>) {
        self.set_label(ctx);
        if self.d.log.last_index() == 0 && self.d.current_term == 0 {
            ctx.info("starting as a follower, empty log");
        } else if ctx.log_enabled(Level::Info) {
            let forgot = match self.forgot_vote {
                Some(v) => format!(
                    " (BUG forget-vote-on-restart: its vote for {} was not read back)",
                    self.name(v)
                ),
                None => String::new(),
            };
            let line = format!(
                "restarting from disk: term {}, voted for {}{forgot}, log of {} entries (last term {}); commit index and store are rebuilt",
                self.d.current_term,
                self.d.voted_for.map_or("nobody", |v| self.name(v)),
                self.d.log.last_index(),
                self.d.log.last_term()
            );
            if forgot.is_empty() {
                ctx.info(line);
            } else {
                ctx.warn(line);
            }
        }
        self.reset_election_timer(ctx);
    }

    /// A timer fired.
    fn on_timer(&mut self, ctx: &mut RCtx<'_, '_>, timer: RaftTimer) {
        match timer {
            RaftTimer::Election => {
                self.election_armed = false;
                if self.role == Role::Leader {
                    return;
                }
                let now = ctx.now();
                if now >= self.election_deadline {
                    self.start_election(ctx);
                } else {
                    self.election_armed = true;
                    ctx.set_timer(self.election_deadline - now, RaftTimer::Election);
                }
            }
            RaftTimer::Heartbeat(term) => {
                if self.role == Role::Leader && term == self.d.current_term {
                    for p in self.peers() {
                        self.progress[p.index()].inflight = 0;
                        self.send_append(ctx, p);
                    }
                    ctx.set_timer(self.cfg.heartbeat, RaftTimer::Heartbeat(term));
                }
            }
            RaftTimer::Client(_) => {}
        }
    }

    /// A message arrived.
    fn on_message(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId, msg: RaftMsg) {
        // All servers: a higher term makes this node a follower of that term.
        let term = match &msg {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::Vote { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendReply { term, .. } => Some(*term),
            _ => None,
        };
        if let Some(t) = term {
            if t > self.d.current_term
                && self.role == Role::Leader
                && self.cfg.bug == Some(Bug::KeepLeadingOnHigherTerm)
                && matches!(msg, RaftMsg::AppendReply { .. })
            {
                // Planted bug: Figure 2 says "set currentTerm = T, convert to follower"; this
                // leader does the first half only, and leads on in a term another node won.
                ctx.warn(format_args!(
                    "sees term {t} from {} (was t{}): adopts it and keeps leading (bug keep-leading-on-higher-term)",
                    self.name(from),
                    self.d.current_term
                ));
                self.d.current_term = t;
                self.d.voted_for = None;
                ctx.leads("leader", &TermEpoch(t));
                self.set_label(ctx);
                ctx.set_timer(self.cfg.heartbeat, RaftTimer::Heartbeat(t));
            } else if t > self.d.current_term {
                if ctx.log_enabled(Level::Info) {
                    let what = match self.role {
                        Role::Follower => "adopts it",
                        Role::Candidate => "gives up its candidacy, follower",
                        Role::Leader => "steps down to follower",
                    };
                    ctx.info(format_args!(
                        "sees term {t} from {} (was t{}): {what}",
                        self.name(from),
                        self.d.current_term
                    ));
                }
                self.become_follower(ctx, t, None);
            }
        }
        match msg {
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } => self.handle_request_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::Vote { term, granted } => self.handle_vote(ctx, from, term, granted),
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.handle_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            ),
            RaftMsg::AppendReply {
                term,
                success,
                prev_log_index,
                len,
                match_index,
                conflict_index,
                conflict_term,
            } => self.handle_append_reply(
                ctx,
                from,
                term,
                success,
                prev_log_index,
                len,
                match_index,
                conflict_index,
                conflict_term,
            ),
            RaftMsg::Request(req) => self.handle_request(ctx, req),
            RaftMsg::Reply(r) => ctx.debug(format_args!("ignoring unexpected {r}")),
        }
    }

    /// What survives a crash.
    fn durable(&self) -> Durable {
        self.d.clone()
    }

    /// What a status display shows.
    fn status(&self) -> NodeStatus {
        NodeStatus {
            role: self.role.name().into(),
            epoch: format!("term {}", self.d.current_term),
            leader: self.role == Role::Leader,
            facts: vec![
                (
                    "log",
                    format!(
                        "{} entries, last term {}",
                        self.d.log.last_index(),
                        self.d.log.last_term()
                    ),
                ),
                ("commit", self.commit_index.to_string()),
                ("applied", self.last_applied.to_string()),
            ],
            store: Some(self.store.data().clone()),
            decision: None,
        }
    }
    /// What `synod view` draws (`view.rs`).
    fn view(&self, v: &mut synod_core::view::StateView) {
        RaftServer::view(self, v);
    }

    /// Figure 2's state, as the paper names it (`view.rs`).
    fn inspect(&self, out: &mut synod_core::inspect::Inspect<'_>) {
        RaftServer::inspect(self, out);
    }

    /// Figure 2's persistent state (`view.rs`).
    fn inspect_durable(d: &Durable, out: &mut synod_core::inspect::Inspect<'_>) {
        super::view::inspect_durable(d, out);
    }
}
