//! One Raft server (Figure 2): follower, pre-candidate, candidate or leader.
//!
//! Handlers follow the paper's rules in order: a message with a higher term first turns the
//! node into a follower of that term ("Rules for Servers, all servers"); then the handler for
//! the message kind runs (`handle_request_vote`, `handle_append_entries`, ...). What the paper
//! leaves to its later sections and to Ongaro's dissertation lives in the submodules:
//! `snapshot` (log compaction, section 7), `admin` (membership changes, dissertation 4.1, and
//! leadership transfer, 3.10) and `reads` (ReadIndex and lease reads, 6.4).

mod admin;
mod reads;
mod snapshot;

use super::config::Members;
use super::log::{Entry, Log, SharedSnapshot};
use super::msg::RaftMsg;
use super::{Bug, RaftConfig, RaftTimer, ReadMode};
use crate::kv::{Command, Reply, Request, Sessions, Store};
use reads::Reads;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use synod_core::view::Changed;
use synod_core::{ClientResult, Ctx, Level, NodeId, NodeStatus, Process, Time};

type RCtx<'a, 'b> = Ctx<'a, RaftMsg, RaftTimer>;

/// What a Raft server keeps on disk (Figure 2, "persistent state on all servers", and the
/// snapshot of section 7): written before answering any message, and all that survives a
/// crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Durable {
    /// The latest term this server has seen.
    pub current_term: u64,
    /// The candidate it voted for in `current_term`, if any.
    pub voted_for: Option<NodeId>,
    /// The log (after the snapshot, if there is one).
    pub log: Log,
    /// The latest snapshot: the state machine as of the log's first index minus one.
    pub snapshot: Option<SharedSnapshot>,
}

/// A server's role.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Answers leaders and candidates; starts an election when it hears from no leader.
    Follower,
    /// Asks whether it could win an election before starting one (PreVote, dissertation
    /// 9.6): its term does not move until a majority says yes.
    PreCandidate,
    /// Asks for votes in its term.
    Candidate,
    /// Takes client requests and replicates the log.
    Leader,
}

impl Role {
    /// `follower`, `pre-candidate`, `candidate`, `leader`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// The leader's view of one follower (Figure 2, "volatile state on leaders").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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
    /// Heard from since the last CheckQuorum (any answer of this term).
    active: bool,
    /// The latest read round it answered (see `reads`).
    round: u64,
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
    cfg: Arc<RaftConfig>,
    me: NodeId,
    d: Durable,
    role: Role,
    leader: Option<NodeId>,
    commit_index: u64,
    last_applied: u64,
    store: Store,
    sessions: Sessions,
    /// The configuration in use: the latest in the log, else the snapshot's, else the initial
    /// one (dissertation 4.1: committed or not).
    config: Members,
    /// The index of the entry that set `config` (the snapshot's last index, or 0 for the
    /// initial configuration).
    config_index: u64,
    /// The other members of `config`: whom a leader replicates to and a candidate asks.
    peers: Vec<NodeId>,
    election_deadline: Time,
    election_armed: bool,
    /// When (on this server's clock) it last heard from a leader of its term, or started.
    contact: Time,
    /// Votes (or pre-votes) received, by node.
    votes: Vec<bool>,
    progress: Vec<Progress>,
    /// Leader: the log index holding each client's latest request, to not append a retry twice.
    in_log: BTreeMap<NodeId, (u64, u64)>,
    /// Leader: the index of its no-op, the first entry of its term. Once it is committed the
    /// leader knows every committed entry (reads, membership changes wait for it).
    term_start: u64,
    /// Leader: a leadership transfer in progress.
    transfer: Option<admin::Transfer>,
    /// Leader: read requests served without the log, and the lease.
    reads: Reads,
    /// Scratch space for counting replicas.
    scratch: Vec<u64>,
    /// Leader, narration only: the highest index it said it may not commit yet, being of an
    /// older term (5.4.2), so that it says it once.
    told_waiting: u64,
    /// Planted bug `forget-vote-on-restart`, narration only: the vote the restart forgot.
    forgot_vote: Option<NodeId>,
    /// For the live checks: the lowest log index changed since the checker last looked.
    pub(super) dirty_from: AtomicU64,
    /// For the live checks: reads answered by the lease since the checker last looked.
    pub(super) lease_reads: AtomicU64,
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
            .field("config", &self.config)
            .field("store", &self.store)
            .field("progress", &self.progress)
            .finish()
    }
}

/// A copy of the server, for the explorer. The checker's mark is copied as it is; the view's
/// bookkeeping starts afresh (a copy reports whole tables first).
impl Clone for RaftServer {
    fn clone(&self) -> Self {
        RaftServer {
            cfg: self.cfg.clone(),
            me: self.me,
            d: self.d.clone(),
            role: self.role,
            leader: self.leader,
            commit_index: self.commit_index,
            last_applied: self.last_applied,
            store: self.store.clone(),
            sessions: self.sessions.clone(),
            config: self.config.clone(),
            config_index: self.config_index,
            peers: self.peers.clone(),
            election_deadline: self.election_deadline,
            election_armed: self.election_armed,
            contact: self.contact,
            votes: self.votes.clone(),
            progress: self.progress.clone(),
            in_log: self.in_log.clone(),
            term_start: self.term_start,
            transfer: self.transfer,
            reads: self.reads.clone(),
            scratch: Vec::with_capacity(self.scratch.capacity()),
            told_waiting: self.told_waiting,
            forgot_vote: self.forgot_vote,
            dirty_from: AtomicU64::new(self.dirty_from.load(Ordering::Relaxed)),
            lease_reads: AtomicU64::new(self.lease_reads.load(Ordering::Relaxed)),
            view_log: self.view_log.clone(),
        }
    }
}

/// Equality and hashing for the explorer (synod-core's `Explorable`): the server's state
/// (with the snapshot, the configuration in use, the lease and reads in progress, a transfer
/// in progress, and when it last heard from a leader, all of which change what it does next),
/// without the shared configuration, the scratch space, what only narration reads
/// (`told_waiting`, `forgot_vote`; the explorer narrates nothing) and the bookkeeping of the
/// checker and the view (none changes behaviour).
impl PartialEq for RaftServer {
    fn eq(&self, o: &Self) -> bool {
        self.me == o.me
            && self.d == o.d
            && self.role == o.role
            && self.leader == o.leader
            && self.commit_index == o.commit_index
            && self.last_applied == o.last_applied
            && self.store == o.store
            && self.sessions == o.sessions
            && self.config == o.config
            && self.config_index == o.config_index
            && self.peers == o.peers
            && self.election_deadline == o.election_deadline
            && self.election_armed == o.election_armed
            && self.contact == o.contact
            && self.votes == o.votes
            && self.progress == o.progress
            && self.in_log == o.in_log
            && self.term_start == o.term_start
            && self.transfer == o.transfer
            && self.reads == o.reads
    }
}

impl Eq for RaftServer {}

impl Hash for RaftServer {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.me.hash(h);
        self.d.hash(h);
        self.role.hash(h);
        self.leader.hash(h);
        self.commit_index.hash(h);
        self.last_applied.hash(h);
        self.store.hash(h);
        self.sessions.hash(h);
        self.config.hash(h);
        self.config_index.hash(h);
        self.peers.hash(h);
        self.election_deadline.hash(h);
        self.election_armed.hash(h);
        self.contact.hash(h);
        self.votes.hash(h);
        self.progress.hash(h);
        self.in_log.hash(h);
        self.term_start.hash(h);
        self.transfer.hash(h);
        self.reads.hash(h);
    }
}

/// No log change since the checker last looked.
pub(super) const CLEAN: u64 = u64::MAX;

impl RaftServer {
    /// A server, fresh (`None`) or restarted from what it kept on disk.
    pub fn new(cfg: Arc<RaftConfig>, me: NodeId, durable: Option<Durable>) -> Self {
        let mut d = durable.unwrap_or_default();
        let mut forgot_vote = None;
        if cfg.bug == Some(Bug::ForgetVoteOnRestart) {
            forgot_vote = d.voted_for.take();
        }
        let n = cfg.servers;
        // The state machine starts from the snapshot: everything up to its last index is
        // committed and applied.
        let (store, sessions, applied) = match &d.snapshot {
            Some(s) => (s.store.clone(), s.sessions.clone(), s.last_index),
            None => (Store::default(), Sessions::default(), 0),
        };
        let config = cfg.initial.clone();
        let mut s = RaftServer {
            cfg,
            me,
            d,
            role: Role::Follower,
            leader: None,
            commit_index: applied,
            last_applied: applied,
            store,
            sessions,
            config,
            config_index: 0,
            peers: Vec::new(),
            election_deadline: Time::ZERO,
            election_armed: false,
            contact: Time::ZERO,
            votes: vec![false; n],
            progress: vec![Progress::default(); n],
            in_log: BTreeMap::new(),
            term_start: 0,
            transfer: None,
            reads: Reads::default(),
            scratch: Vec::with_capacity(n),
            told_waiting: 0,
            forgot_vote,
            dirty_from: AtomicU64::new(1),
            lease_reads: AtomicU64::new(0),
            view_log: Changed::default(),
        };
        s.reload_config();
        s
    }

    /// Use the latest configuration the log holds, else the snapshot's, else the initial one
    /// (after a restart, an append or a truncation).
    fn reload_config(&mut self) {
        let (config, index) = match self.d.log.last_config(self.d.log.last_index()) {
            Some((i, c)) => (c.clone(), i),
            None => match &self.d.snapshot {
                Some(s) => (s.config.clone(), s.last_index),
                None => (self.cfg.initial.clone(), 0),
            },
        };
        self.config = config;
        self.config_index = index;
        let me = self.me;
        self.peers = self.config.iter().filter(|p| *p != me).collect();
    }

    /// The configuration as of `index` (for a snapshot taken there).
    fn config_at(&self, index: u64) -> Members {
        match self.d.log.last_config(index) {
            Some((_, c)) => c.clone(),
            None => match &self.d.snapshot {
                Some(s) => s.config.clone(),
                None => self.cfg.initial.clone(),
            },
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

    /// The configuration shared by every server.
    pub fn cfg(&self) -> &RaftConfig {
        &self.cfg
    }

    /// The configuration this server uses (the latest in its log).
    pub fn config(&self) -> &Members {
        &self.config
    }

    /// The latest snapshot, if it took or received one.
    pub fn snapshot(&self) -> Option<&SharedSnapshot> {
        self.d.snapshot.as_ref()
    }

    /// The exactly-once sessions of the state machine.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// A leader's view of each other server (Figure 2, "volatile state on leaders"): the server,
    /// its `nextIndex` and its `matchIndex`. Empty unless this server leads.
    pub fn progress(&self) -> impl Iterator<Item = (NodeId, u64, u64)> + '_ {
        let leads = self.role == Role::Leader;
        self.peers.iter().copied().filter(move |_| leads).map(|p| {
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

    fn mark_dirty(&self, from: u64) {
        if from < self.dirty_from.load(Ordering::Relaxed) {
            self.dirty_from.store(from, Ordering::Relaxed);
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

    /// The other members, as a list the caller may keep while it changes `self`.
    fn peer_list(&self) -> Vec<NodeId> {
        self.peers.clone()
    }

    /// The shortest election timeout: no follower that hears from its leader starts an
    /// election sooner.
    fn min_timeout(&self) -> Time {
        self.cfg.election_timeout.0
    }

    /// Whether it heard from a leader of its term within the shortest election timeout (or
    /// leads): the PreVote of a candidate is then refused (dissertation 9.6).
    fn hears_leader(&self, now: Time) -> bool {
        self.role == Role::Leader
            || (self.leader.is_some() && now < self.contact + self.min_timeout())
    }

    /// With CheckQuorum, a server that heard from a leader (or started) within the shortest
    /// election timeout, or that leads, disregards requests for votes (dissertation 4.2.3): a
    /// server cut off, or removed from the configuration, cannot depose a leader that a
    /// majority still hears; and a leader's lease (6.4.1) rests on it.
    fn votes_blocked(&self, now: Time) -> bool {
        self.cfg.check_quorum
            && (self.role == Role::Leader || now < self.contact + self.min_timeout())
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
            self.transfer = None;
            self.drop_reads(ctx);
            self.reset_election_timer(ctx);
        }
    }

    /// The election timeout passed: ask for pre-votes first (PreVote on), or start an
    /// election. A server outside the configuration (not yet added, or removed) never does,
    /// unless its removal is not yet committed: then, like a leader that removes itself
    /// (dissertation 4.2.2), it may still lead the cluster to commit it, counting votes in the
    /// new configuration without itself. (Otherwise a leader that appends its own removal and
    /// restarts holds the longest log, votes for nobody with a shorter one and never runs: the
    /// others could never elect a leader.)
    fn campaign(&mut self, ctx: &mut RCtx<'_, '_>) {
        let removal_pending = self.config_index > self.commit_index
            && self.config_at(self.config_index - 1).contains(self.me);
        if !self.config.contains(self.me) && !removal_pending {
            if ctx.log_enabled(Level::Debug) {
                ctx.debug(format_args!(
                    "election timeout, but not in the configuration ({}): stays a follower",
                    self.config.named(&self.cfg.names)
                ));
            }
            self.reset_election_timer(ctx);
            return;
        }
        if self.cfg.pre_vote {
            self.start_pre_vote(ctx);
        } else {
            self.start_election(ctx, false);
        }
    }

    /// Dissertation 9.6: before raising its term, a would-be candidate asks whether a majority
    /// would vote for it (its log is up to date and they hear no leader). A server cut off in
    /// a minority keeps asking without ever raising its term, so on rejoining it deposes
    /// nobody.
    fn start_pre_vote(&mut self, ctx: &mut RCtx<'_, '_>) {
        let next = self.d.current_term + 1;
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes.iter_mut().for_each(|v| *v = false);
        self.votes[self.me.index()] = true;
        ctx.seeks("pre-candidate", &TermEpoch(next));
        self.set_label(ctx);
        ctx.warn(format_args!(
            "election timeout: no leader heard from; asks for pre-votes for term {next} (last log {}@t{})",
            self.d.log.last_index(),
            self.d.log.last_term()
        ));
        self.reset_election_timer(ctx);
        let msg = RaftMsg::PreVote {
            term: next,
            last_log_index: self.d.log.last_index(),
            last_log_term: self.d.log.last_term(),
        };
        ctx.broadcast(self.peer_list(), &msg);
        self.count_pre_votes(ctx);
    }

    /// A PreVote (dissertation 9.6): would this server vote for the sender in `term`? Yes if
    /// `term` is above its own, the sender's log is up to date, and it has not heard from a
    /// leader within the shortest election timeout. Nothing changes here: no term, no vote.
    fn handle_pre_vote(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    ) {
        let cur = self.d.current_term;
        let now = ctx.now();
        let up_to_date = self.cfg.bug == Some(Bug::VoteWithoutUpToDateCheck)
            || self.d.log.is_behind_or_equal(last_log_term, last_log_index);
        let heard = self.hears_leader(now) || self.votes_blocked(now);
        let granted = term > cur && up_to_date && !heard;
        if ctx.log_enabled(Level::Info) {
            let why = if term <= cur {
                format!("no: term {term} is not above mine ({cur})")
            } else if heard {
                match (self.role, self.leader) {
                    (Role::Leader, _) => "no: I lead".to_string(),
                    (_, Some(l)) => format!(
                        "no: heard from leader {} {} ago",
                        self.name(l),
                        now - self.contact
                    ),
                    (_, None) => format!("no: started {} ago", now - self.contact),
                }
            } else if !up_to_date {
                format!(
                    "no: its log ({last_log_index}@t{last_log_term}) is behind mine ({}@t{})",
                    self.d.log.last_index(),
                    self.d.log.last_term()
                )
            } else if self.cfg.bug == Some(Bug::VoteWithoutUpToDateCheck) {
                format!(
                    "yes (BUG vote-without-up-to-date-check: log not compared; its log {last_log_index}@t{last_log_term}, mine {}@t{}; no leader heard)",
                    self.d.log.last_index(),
                    self.d.log.last_term()
                )
            } else {
                format!(
                    "yes (its log {last_log_index}@t{last_log_term} is up to date, no leader heard)"
                )
            };
            ctx.info(format_args!(
                "PreVote from {} for term {term}: {why}",
                self.name(from)
            ));
        }
        ctx.send(
            from,
            RaftMsg::PreVoteReply {
                term: if granted { term } else { cur },
                granted,
            },
        );
    }

    fn handle_pre_vote_reply(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        granted: bool,
    ) {
        if self.role != Role::PreCandidate || term != self.d.current_term + 1 || !granted {
            return;
        }
        if self.config.contains(from) {
            self.votes[from.index()] = true;
        }
        self.count_pre_votes(ctx);
    }

    /// With a majority of pre-votes, start the real election.
    fn count_pre_votes(&mut self, ctx: &mut RCtx<'_, '_>) {
        let votes = &self.votes;
        if self.role != Role::PreCandidate || !self.config.has_majority(|id| votes[id.index()]) {
            return;
        }
        let n = self.config.iter().filter(|id| votes[id.index()]).count();
        if self.cfg.bug == Some(Bug::PreVoteGrantsRealVote) {
            // The planted bug: the pre-votes are taken for real votes. Nobody promised
            // anything, so two pre-candidates can both "win" the next term.
            self.d.current_term += 1;
            self.d.voted_for = Some(self.me);
            ctx.info(format_args!(
                "has {n}/{} pre-votes for term {}: takes them for votes!",
                self.config.len(),
                self.d.current_term
            ));
            self.become_leader(ctx);
            return;
        }
        ctx.info(format_args!(
            "has {n}/{} pre-votes for term {}: starts the election",
            self.config.len(),
            self.d.current_term + 1
        ));
        self.start_election(ctx, false);
    }

    /// Section 5.2: a follower that hears from no leader for an election timeout becomes a
    /// candidate, votes for itself and asks every other member for its vote. `transfer`: the
    /// leader asked for it (`TimeoutNow`, dissertation 3.10), and voters honour it even if
    /// they hear a leader.
    fn start_election(&mut self, ctx: &mut RCtx<'_, '_>, transfer: bool) {
        self.d.current_term += 1;
        self.d.voted_for = Some(self.me);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes.iter_mut().for_each(|v| *v = false);
        self.votes[self.me.index()] = true;
        ctx.seeks("candidate", &TermEpoch(self.d.current_term));
        self.set_label(ctx);
        if !self.cfg.pre_vote && !transfer {
            ctx.warn(format_args!(
                "election timeout: no leader heard from; starts election for term {} (last log {}@t{})",
                self.d.current_term,
                self.d.log.last_index(),
                self.d.log.last_term()
            ));
        }
        self.reset_election_timer(ctx);
        let msg = RaftMsg::RequestVote {
            term: self.d.current_term,
            last_log_index: self.d.log.last_index(),
            last_log_term: self.d.log.last_term(),
            transfer,
        };
        ctx.broadcast(self.peer_list(), &msg);
        self.count_votes(ctx);
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
            // Figure 2: votedFor is persistent state, kept before the reply goes out.
            self.d.voted_for = Some(from);
            self.reset_election_timer(ctx);
            ctx.vote(from, &TermEpoch(cur));
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
        if self.config.contains(from) {
            self.votes[from.index()] = true;
        }
        self.count_votes(ctx);
    }

    /// With the votes of a majority of its configuration, a candidate leads.
    fn count_votes(&mut self, ctx: &mut RCtx<'_, '_>) {
        let votes = &self.votes;
        if self.role != Role::Candidate || !self.config.has_majority(|id| votes[id.index()]) {
            return;
        }
        let n = self.config.iter().filter(|id| votes[id.index()]).count();
        ctx.info(format_args!(
            "has {n}/{} votes for term {}",
            self.config.len(),
            self.d.current_term
        ));
        self.become_leader(ctx);
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
                ..Progress::default()
            };
        }
        self.in_log.clear();
        self.transfer = None;
        self.reads = Reads::default();
        self.told_waiting = 0;
        ctx.leads("leader", &TermEpoch(self.d.current_term));
        self.set_label(ctx);
        let idx = self
            .d
            .log
            .push(Entry::command(self.d.current_term, None, Command::Noop));
        self.term_start = idx;
        self.mark_dirty(idx);
        self.progress[self.me.index()].matched = idx;
        ctx.info(format_args!(
            "becomes leader of term {}; appends no-op at index {idx} and sends heartbeats every {}",
            self.d.current_term, self.cfg.heartbeat
        ));
        for p in self.peer_list() {
            self.send_append(ctx, p);
        }
        ctx.set_timer(
            self.cfg.heartbeat,
            RaftTimer::Heartbeat(self.d.current_term),
        );
        if self.cfg.check_quorum {
            ctx.set_timer(
                self.min_timeout(),
                RaftTimer::CheckQuorum(self.d.current_term),
            );
        }
        self.maybe_commit(ctx);
    }

    /// Send `to` the entries from its next index on (none: a heartbeat). While pipelining, the
    /// next index advances at once, without waiting for the answer.
    fn send_append(&mut self, ctx: &mut RCtx<'_, '_>, to: NodeId) {
        let pr = &self.progress[to.index()];
        if pr.next <= self.d.log.snapshot_index() {
            // The entries it needs were compacted away: it gets the snapshot (section 7).
            self.send_snapshot(ctx, to);
            return;
        }
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
            round: self.reads.round(),
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
        mut entries: Vec<Arc<Entry>>,
        leader_commit: u64,
        round: u64,
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
            round,
        };
        if term < cur {
            ctx.debug(format_args!(
                "ignoring AppendEntries from {} of stale term {term}",
                self.name(from)
            ));
            ctx.send(from, reject(0, 0));
            return;
        }
        if !self.accept_leader(ctx, from, term, "AppendEntries") {
            return;
        }

        // Entries up to the snapshot are committed, hence the leader's too: skip them, and
        // check consistency where the snapshot ends (section 7).
        let snap = self.d.log.snapshot_index();
        let (base, base_term) = if prev < snap {
            let skip = ((snap - prev) as usize).min(entries.len());
            entries.drain(..skip);
            (snap, self.d.log.term_at(snap).unwrap_or(0))
        } else {
            (prev, prev_term)
        };

        // The consistency check: the log must hold prev at prev_term.
        let skip_check = self.cfg.bug == Some(Bug::NoConsistencyCheck);
        match self.d.log.term_at(base) {
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
            Some(t) if t != base_term && skip_check => {
                if ctx.log_enabled(Level::Info) {
                    ctx.warn(format_args!(
                        "AppendEntries from {} after index {base}@t{base_term}, but its entry {base} has term {t}: accepted anyway (BUG no-consistency-check: prevLogIndex/prevLogTerm not checked)",
                        self.name(from)
                    ));
                }
            }
            Some(t) if t != base_term => {
                let first = self.d.log.first_index_of_term_at(base);
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
        let n = len;
        let mut replaced = None;
        let mut fresh = 0;
        let mut config_changed = false;
        for (k, e) in entries.into_iter().enumerate() {
            let idx = base + 1 + k as u64;
            match self.d.log.term_at(idx) {
                Some(t) if t == e.term => continue,
                Some(_) => {
                    replaced.get_or_insert((idx, self.d.log.last_index()));
                    config_changed |= idx <= self.config_index;
                    self.d.log.truncate_from(idx);
                    config_changed |= e.config.is_some();
                    self.d.log.push_shared(e);
                }
                None => {
                    config_changed |= e.config.is_some();
                    self.d.log.push_shared(e);
                }
            }
            self.mark_dirty(idx);
            fresh += 1;
        }
        if config_changed {
            self.reload_config();
            if ctx.log_enabled(Level::Info) {
                ctx.info(format_args!(
                    "now uses configuration {} (index {})",
                    self.config.named(&self.cfg.names),
                    self.config_index
                ));
            }
        }
        let matched = (prev + n).max(snap);
        // Coverage (what a campaign counts): a discarded suffix, and entries the cluster
        // committed while this follower was behind.
        if let Some((i, j)) = replaced {
            ctx.truncate(i, j + 1 - i);
        }
        if fresh > 0 && base < leader_commit {
            ctx.catch_up(base + 1, matched.min(leader_commit));
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
                round,
            },
        );
    }

    /// A message from `from`, leader of `term` (not below this server's term): a candidate
    /// steps down, a follower notes its leader and that it heard from it. False if this server
    /// leads the same term itself (two leaders in one term: only a planted bug gets there).
    fn accept_leader(
        &mut self,
        ctx: &mut RCtx<'_, '_>,
        from: NodeId,
        term: u64,
        what: &str,
    ) -> bool {
        if self.role == Role::Leader {
            // Two leaders in one term: election safety is broken (a planted bug); ignore.
            ctx.warn(format_args!(
                "{what} from {}, another leader of term {term}!",
                self.name(from)
            ));
            return false;
        }
        if matches!(self.role, Role::Candidate | Role::PreCandidate) {
            ctx.info(format_args!(
                "{what} from {}, leader of term {term}: steps down",
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
        self.contact = ctx.now();
        self.reset_election_timer(ctx);
        true
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
        round: u64,
    ) {
        if self.role != Role::Leader || term != self.d.current_term {
            return;
        }
        if !success && conflict_index == 0 {
            // A refusal of a request of an older term (Figure 2: "reply false if term <
            // currentTerm"), which carries the follower's term and no hint. It can reach this
            // leader in its own term: an answer to what it sent as leader of an earlier term, or
            // delayed past the election the follower's term was for. It answers nothing this
            // term sent: it says nothing of the follower's log (taken for a mismatch it would
            // send the log again from index 1, one round trip an entry at Figure 8's pace), is
            // counted in no `inflight`, and its `round` is of the older term's numbering (rounds
            // start again each term), so it confirms no read round of this one (6.4).
            return;
        }
        let i = from.index();
        self.heard_from(ctx, from, round);
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
                self.transfer_if_ready(ctx, from);
            }
            if self.role != Role::Leader {
                return; // the commit removed it from the configuration
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

    /// An answer of this term from `from`: it counts for CheckQuorum, and for the read rounds
    /// (`round`, the latest it saw) that confirm leadership.
    fn heard_from(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId, round: u64) {
        let pr = &mut self.progress[from.index()];
        pr.active = true;
        if round > pr.round {
            pr.round = round;
            self.advance_reads(ctx);
        }
    }

    /// Section 5.3/5.4.2: commit the highest index stored on a majority of the configuration,
    /// but only if it holds an entry of the current term (older entries are then committed
    /// with it). A leader outside the configuration (removing itself, dissertation 4.2.2) does
    /// not count itself.
    fn maybe_commit(&mut self, ctx: &mut RCtx<'_, '_>) -> bool {
        self.progress[self.me.index()].matched = self.d.log.last_index();
        self.scratch.clear();
        for m in self.config.iter() {
            self.scratch.push(self.progress[m.index()].matched);
        }
        if self.scratch.is_empty() {
            return false;
        }
        self.scratch.sort_unstable_by(|a, b| b.cmp(a));
        let n = self.scratch[self.config.majority() - 1];
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
            let on = (self.config.iter())
                .filter(|m| self.progress[m.index()].matched >= n)
                .count();
            let which = if n == old + 1 {
                format!("index {n}")
            } else {
                format!("indices {}..{n}", old + 1)
            };
            let servers = self.config.len();
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
        self.advance_reads(ctx);
        self.leave_if_removed(ctx);
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
            ctx.apply(idx, &Payload(e), result);
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
    /// A leader handing over its leadership takes none either (dissertation 3.10), and reads
    /// skip the log unless `raft.reads` is `log` (6.4).
    fn handle_request(&mut self, ctx: &mut RCtx<'_, '_>, req: Request) {
        let hint = match (self.role, self.transfer) {
            (Role::Leader, None) => None,
            (Role::Leader, Some(t)) => Some(Some(t.to)),
            // A server outside the configuration (removed, or a spare) that knows no leader
            // points at a member: clients that picked it would otherwise go round the
            // servers that are out and never reach the ones that are in.
            _ if self.leader.is_none() && !self.config.contains(self.me) => {
                Some(self.config.iter().next())
            }
            _ => Some(self.leader),
        };
        if let Some(hint) = hint {
            if ctx.log_enabled(Level::Debug) {
                let why = if self.role == Role::Leader {
                    "handing its leadership over"
                } else {
                    "not the leader"
                };
                ctx.debug(format_args!(
                    "{req} from a client, but {why}: hints {}",
                    hint.map_or("nobody", |l| self.name(l))
                ));
            }
            ctx.send(
                req.client,
                RaftMsg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: hint,
                }),
            );
            return;
        }
        if self.cfg.reads != ReadMode::Log {
            if let Command::Get { key } = &req.cmd {
                let key = key.clone();
                self.read(ctx, req.client, req.req_id, key);
                return;
            }
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
        let idx = self.d.log.push(Entry::command(
            self.d.current_term,
            Some((req.client, req.req_id)),
            req.cmd,
        ));
        self.mark_dirty(idx);
        self.in_log.insert(req.client, (req.req_id, idx));
        if ctx.log_enabled(Level::Info) {
            if let Some(e) = self.d.log.get(idx) {
                let cmd = &e.cmd;
                ctx.info(format_args!("appends {cmd} at index {idx}"));
            }
        }
        self.replicate(ctx);
    }

    /// A new entry is at the end of the leader's log: send it to every member not waiting for
    /// an answer, and commit it at once if the leader alone is a majority.
    fn replicate(&mut self, ctx: &mut RCtx<'_, '_>) {
        let idx = self.d.log.last_index();
        self.progress[self.me.index()].matched = idx;
        for p in self.peer_list() {
            let pr = &self.progress[p.index()];
            if !pr.probing && pr.next <= idx && pr.inflight < MAX_INFLIGHT {
                self.send_append(ctx, p);
            }
        }
        self.maybe_commit(ctx);
    }

    /// CheckQuorum: a leader that has not heard from a majority of its configuration within
    /// an election timeout steps down, rather than lead a minority that cannot commit (and so
    /// that clients look for the leader the majority elects).
    fn check_quorum(&mut self, ctx: &mut RCtx<'_, '_>) {
        let me = self.me;
        let progress = &self.progress;
        let alive = |id: NodeId| id == me || progress[id.index()].active;
        if !self.config.has_majority(alive) {
            let heard = self.config.iter().filter(|id| alive(*id)).count();
            ctx.warn(format_args!(
                "heard from {heard}/{} of the configuration within an election timeout: steps down (CheckQuorum)",
                self.config.len()
            ));
            let term = self.d.current_term;
            self.become_follower(ctx, term, None);
            return;
        }
        for p in &mut self.progress {
            p.active = false;
        }
        ctx.set_timer(
            self.min_timeout(),
            RaftTimer::CheckQuorum(self.d.current_term),
        );
    }
}

/// What an entry applies, as the `apply` event names it: the command, or the configuration.
struct Payload<'a>(&'a Entry);

impl fmt::Display for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.config {
            Some(c) => write!(f, "CONFIG {c}"),
            None => self.0.cmd.fmt(f),
        }
    }
}

impl Process for RaftServer {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = Durable;

    /// Start, or restart from disk.
    fn on_start(&mut self, ctx: &mut RCtx<'_, '_>) {
        self.set_label(ctx);
        // With lease reads, starting counts as hearing from a leader: a server that just
        // (re)started grants no vote for an election timeout, as if it had heard from the
        // leader it may have acknowledged just before it crashed, whose lease rests on it.
        if self.cfg.reads == ReadMode::Lease {
            self.contact = ctx.now();
        }
        if self.d.log.last_index() == 0 && self.d.current_term == 0 {
            if self.config.contains(self.me) {
                ctx.info("starting as a follower, empty log");
            } else {
                ctx.info(format_args!(
                    "starting as a follower, empty log, outside the configuration ({}): waits to be added",
                    self.config.named(&self.cfg.names)
                ));
            }
        } else if ctx.log_enabled(Level::Info) {
            let forgot = match self.forgot_vote {
                Some(v) => format!(
                    " (BUG forget-vote-on-restart: its vote for {} was not read back)",
                    self.name(v)
                ),
                None => String::new(),
            };
            let dropped = self.cfg.bug == Some(Bug::SnapshotDropsSessions);
            let snapshot = match &self.d.snapshot {
                Some(s) if dropped => format!(
                    ", snapshot up to index {} (store restored from it; BUG snapshot-drops-sessions: no client sessions in it)",
                    s.last_index
                ),
                Some(s) => format!(
                    ", snapshot up to index {} (store and {} client sessions restored from it)",
                    s.last_index,
                    s.sessions.len()
                ),
                None => String::new(),
            };
            let line = format!(
                "restarting from disk: term {}, voted for {}{forgot}, log of {} entries (last term {}){snapshot}; commit index and store are rebuilt",
                self.d.current_term,
                self.d.voted_for.map_or("nobody", |v| self.name(v)),
                self.d.log.last_index(),
                self.d.log.last_term()
            );
            if forgot.is_empty() && !(dropped && self.d.snapshot.is_some()) {
                ctx.info(line);
            } else {
                ctx.warn(line);
            }
        }
        self.reset_election_timer(ctx);
    }

    /// A timer fired.
    fn on_timer(&mut self, ctx: &mut RCtx<'_, '_>, timer: RaftTimer) {
        self.maybe_snapshot(ctx);
        match timer {
            RaftTimer::Election => {
                self.election_armed = false;
                if self.role == Role::Leader {
                    return;
                }
                let now = ctx.now();
                if now >= self.election_deadline {
                    self.campaign(ctx);
                } else {
                    self.election_armed = true;
                    ctx.set_timer(self.election_deadline - now, RaftTimer::Election);
                }
            }
            RaftTimer::Heartbeat(term) => {
                if self.role == Role::Leader && term == self.d.current_term {
                    self.transfer_timeout(ctx);
                    self.reads.start_round(ctx.now());
                    for p in self.peer_list() {
                        self.progress[p.index()].inflight = 0;
                        self.send_append(ctx, p);
                    }
                    ctx.set_timer(self.cfg.heartbeat, RaftTimer::Heartbeat(term));
                }
            }
            RaftTimer::CheckQuorum(term) => {
                if self.role == Role::Leader && term == self.d.current_term {
                    self.check_quorum(ctx);
                }
            }
            RaftTimer::Client(_) => {}
        }
    }

    /// A message arrived.
    fn on_message(&mut self, ctx: &mut RCtx<'_, '_>, from: NodeId, msg: RaftMsg) {
        // Snapshots are taken between events, as a real server takes them in the background,
        // not in the middle of a commit (the live checks then see every committed entry).
        self.maybe_snapshot(ctx);
        if let RaftMsg::PreVote { .. } | RaftMsg::RequestVote { .. } = &msg {
            self.tell_removed(ctx, from);
        }
        // Dissertation 4.2.3 (with CheckQuorum): a request for votes while a leader is heard
        // is disregarded, its higher term included, unless the leader itself asked for the
        // election (a leadership transfer).
        if let RaftMsg::RequestVote {
            term,
            transfer: false,
            ..
        } = &msg
        {
            let now = ctx.now();
            if *term > self.d.current_term && self.votes_blocked(now) {
                if ctx.log_enabled(Level::Info) {
                    let why = match (self.role, self.leader) {
                        (Role::Leader, _) => "it leads".to_string(),
                        (_, Some(l)) => {
                            format!(
                                "heard from leader {} {} ago",
                                self.name(l),
                                now - self.contact
                            )
                        }
                        (_, None) => format!("started {} ago", now - self.contact),
                    };
                    ctx.info(format_args!(
                        "RequestVote from {} for term {term}: disregarded, {why} (4.2.3)",
                        self.name(from)
                    ));
                }
                let cur = self.d.current_term;
                ctx.send(
                    from,
                    RaftMsg::Vote {
                        term: cur,
                        granted: false,
                    },
                );
                return;
            }
        }
        // All servers: a higher term makes this node a follower of that term. A PreVote and a
        // granted pre-vote carry a term nobody is in yet: they move no term.
        let term = match &msg {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::Vote { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendReply { term, .. }
            | RaftMsg::InstallSnapshot { term, .. }
            | RaftMsg::SnapshotReply { term, .. }
            | RaftMsg::TimeoutNow { term }
            | RaftMsg::PreVoteReply {
                term,
                granted: false,
            } => Some(*term),
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
                        Role::PreCandidate | Role::Candidate => "gives up its candidacy, follower",
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
            RaftMsg::PreVote {
                term,
                last_log_index,
                last_log_term,
            } => self.handle_pre_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::PreVoteReply { term, granted } => {
                self.handle_pre_vote_reply(ctx, from, term, granted)
            }
            RaftMsg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                ..
            } => self.handle_request_vote(ctx, from, term, last_log_index, last_log_term),
            RaftMsg::Vote { term, granted } => self.handle_vote(ctx, from, term, granted),
            RaftMsg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            } => self.handle_append_entries(
                ctx,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                round,
            ),
            RaftMsg::AppendReply {
                term,
                success,
                prev_log_index,
                len,
                match_index,
                conflict_index,
                conflict_term,
                round,
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
                round,
            ),
            RaftMsg::InstallSnapshot {
                term,
                snapshot,
                round,
            } => self.handle_install_snapshot(ctx, from, term, snapshot, round),
            RaftMsg::SnapshotReply {
                term,
                match_index,
                round,
            } => self.handle_snapshot_reply(ctx, from, term, match_index, round),
            RaftMsg::TimeoutNow { term } => self.handle_timeout_now(ctx, from, term),
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
        let mut facts = vec![
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
        ];
        if let Some(s) = &self.d.snapshot {
            facts.push(("snapshot", format!("up to {}", s.last_index)));
        }
        if self.config != self.cfg.initial {
            facts.push(("config", self.config.named(&self.cfg.names).to_string()));
        }
        // A server outside the configuration (a spare not yet added, a removed server) keeps
        // no replicated store: its stale copy is shown among the facts, and the `converged`
        // expectation leaves it out.
        let member = self.config.contains(self.me);
        if !member {
            facts.push(("outside the configuration, store", self.store.to_string()));
        }
        NodeStatus {
            role: self.role.name().into(),
            epoch: format!("term {}", self.d.current_term),
            leader: self.role == Role::Leader,
            facts,
            store: member.then(|| self.store.data().clone()),
            decision: None,
            config: Some((self.config_index, self.config.iter().collect())),
        }
    }

    /// An operator's order: `add`, `remove` (membership, dissertation 4.1) or `transfer`
    /// (leadership, 3.10), see `admin`.
    fn on_admin(&mut self, ctx: &mut RCtx<'_, '_>, verb: &str, arg: &str) -> bool {
        self.admin(ctx, verb, arg)
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
