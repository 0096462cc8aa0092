//! The leader: proposer, learner and state machine in one process (as in the emulation).
//!
//! - **Phase 1, once per ballot, for all slots.** A leader that takes over sends
//!   `Prepare(ballot, from_slot)` to the acceptors. From a majority of promises it re-proposes,
//!   for every slot it does not know to be chosen, the value accepted at the highest ballot,
//!   and fills the gaps with no-ops (Paxos Made Simple, 3).
//! - **Phase 2, per slot, pipelined.** Up to `window` slots are in flight at once; a slot is
//!   chosen when a majority accepted it. Chosen slots are applied in slot order; the leader
//!   answers the client and tells the replicas and the other leaders.
//! - **Failure.** The active leader sends heartbeats. A standby that hears none for a
//!   randomized timeout starts Phase 1 with a higher ballot; a leader that meets a higher
//!   ballot steps down.

use super::learner::Learner;
use super::types::{Ballot, Bug, Config, Entry, Epoch, Msg, Name, Slot, Timer};
use crate::kv::{Command, Reply, Request};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use synod_core::{Ctx, NodeId, NodeStatus, Time, TimerId};

/// What a leader keeps across a crash: the highest round it used, so that it never reuses a
/// ballot (two different proposals in one ballot would break Paxos).
#[derive(Clone, Debug, Default)]
pub struct LeaderDurable {
    /// The highest round this leader has started Phase 1 in.
    pub max_round: u64,
}

/// Where a leader stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Learns chosen slots and watches the active leader's heartbeats.
    Standby,
    /// Running Phase 1 for its ballot.
    Candidate,
    /// Phase 1 done: proposes in Phase 2.
    Active,
}

/// A slot proposed and not chosen yet.
#[derive(Clone, Debug)]
struct InFlight {
    entry: Entry,
    acks: Acks,
    sent: Time,
}

/// The acceptors that accepted a slot, in the order they answered. A slot needs a majority,
/// so a handful are kept inline, without the allocation a `Vec` makes for every slot; past
/// [`Acks::INLINE`] (a cluster of more acceptors) they all move to a vector, so the list is
/// always one slice. Prints as a list.
#[derive(Clone)]
struct Acks {
    /// The first `len` acceptors, while they fit.
    first: [NodeId; Acks::INLINE],
    len: usize,
    /// All of them, once they do not fit in `first` (empty until then).
    spilled: Vec<NodeId>,
}

impl Default for Acks {
    fn default() -> Self {
        Acks {
            first: [NodeId(0); Acks::INLINE],
            len: 0,
            spilled: Vec::new(),
        }
    }
}

impl Acks {
    const INLINE: usize = 7;

    fn len(&self) -> usize {
        self.len
    }

    fn as_slice(&self) -> &[NodeId] {
        if self.len <= Self::INLINE {
            &self.first[..self.len]
        } else {
            &self.spilled
        }
    }

    fn iter(&self) -> impl Iterator<Item = &NodeId> {
        self.as_slice().iter()
    }

    fn contains(&self, id: &NodeId) -> bool {
        self.as_slice().contains(id)
    }

    fn push(&mut self, id: NodeId) {
        if self.len < Self::INLINE {
            self.first[self.len] = id;
        } else {
            if self.len == Self::INLINE {
                self.spilled.extend_from_slice(&self.first);
            }
            self.spilled.push(id);
        }
        self.len += 1;
    }
}

impl fmt::Debug for Acks {
    /// `[NodeId(1), NodeId(2)]`, as the `Vec` it replaces printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A leader (active or standby).
#[derive(Clone, Debug)]
pub struct Leader {
    cfg: Arc<Config>,
    index: u32,
    durable: LeaderDurable,
    restarted: bool,
    learner: Learner,
    mode: Mode,
    ballot: Ballot,
    highest: Ballot,
    known_leader: Option<NodeId>,
    heard: bool,
    timeout: Option<TimerId>,
    promised_by: Vec<NodeId>,
    prepare_sent: Time,
    reported: BTreeMap<Slot, (Ballot, Entry)>,
    from_slot: Slot,
    next_slot: Slot,
    inflight: DenseMap<Slot, InFlight>,
    queue: VecDeque<Request>,
    pending: DenseMap<NodeId, u64>,
    chosen_hint: Slot,
}

impl Leader {
    /// Leader number `index` (1-based), fresh (`None`) or restarted from what it kept.
    pub fn new(cfg: Arc<Config>, index: u32, durable: Option<LeaderDurable>) -> Leader {
        Leader {
            learner: Learner::new(
                false,
                cfg.bug == Some(Bug::ApplyRetryTwice),
                cfg.first_client(),
            ),
            cfg,
            index,
            restarted: durable.is_some(),
            durable: durable.unwrap_or_default(),
            mode: Mode::Standby,
            ballot: Ballot::ZERO,
            highest: Ballot::ZERO,
            known_leader: None,
            heard: false,
            timeout: None,
            promised_by: Vec::new(),
            prepare_sent: Time::ZERO,
            reported: BTreeMap::new(),
            from_slot: 1,
            next_slot: 1,
            inflight: DenseMap::default(),
            queue: VecDeque::new(),
            pending: DenseMap::default(),
            chosen_hint: 0,
        }
    }

    /// What survives a crash.
    pub fn durable(&self) -> LeaderDurable {
        self.durable.clone()
    }

    /// Where it stands.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Its ballot (the one it leads, or last tried to).
    pub fn ballot(&self) -> Ballot {
        self.ballot
    }

    /// What it learned: the chosen slots and its copy of the store.
    pub fn learner(&self) -> &Learner {
        &self.learner
    }

    /// The leader it believes active (itself when active).
    pub fn known_leader(&self) -> Option<NodeId> {
        self.known_leader
    }

    /// The highest round it has started Phase 1 in (kept on disk).
    pub fn max_round(&self) -> u64 {
        self.durable.max_round
    }

    /// A candidate's promises so far: the acceptors that promised its ballot.
    pub fn promised_by(&self) -> &[NodeId] {
        &self.promised_by
    }

    /// The next slot it will propose a new request in.
    pub fn next_slot(&self) -> Slot {
        self.next_slot
    }

    /// The requests waiting for a free slot of the window.
    pub fn queued(&self) -> impl Iterator<Item = &Request> {
        self.queue.iter()
    }

    /// The slots it proposed and has not seen chosen yet, with the acceptors that accepted
    /// each.
    pub fn in_flight_by(&self) -> impl Iterator<Item = (Slot, &Entry, &[NodeId])> {
        self.inflight
            .iter()
            .map(|(slot, f)| (*slot, &f.entry, f.acks.as_slice()))
    }

    /// The slots it proposed and has not seen chosen yet: slot, entry, acceptors that
    /// accepted it.
    pub fn in_flight(&self) -> impl Iterator<Item = (Slot, &Entry, usize)> {
        self.inflight
            .iter()
            .map(|(slot, f)| (*slot, &f.entry, f.acks.len()))
    }

    /// The node starts: the configured first leader runs Phase 1 at once, as in the
    /// emulation; every other leader (and a restarted one) waits as a standby.
    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        ctx.set_timer(self.cfg.heartbeat, Timer::Tick);
        if self.index == 1 && !self.restarted {
            ctx.info(format_args!(
                "starting as the configured leader ({} acceptors, quorum {})",
                self.cfg.acceptors.len(),
                self.cfg.quorum()
            ));
            self.start_phase1(ctx);
        } else {
            ctx.info(format_args!(
                "starting as a standby (highest round used so far: {})",
                self.durable.max_round
            ));
            self.arm_timeout(ctx);
        }
    }

    /// A message arrives.
    #[inline]
    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(req) => self.handle_request(ctx, from, req),
            Msg::Promise { ballot, accepted } => self.handle_promise(ctx, from, ballot, accepted),
            Msg::Accepted { ballot, slot } => self.handle_accepted(ctx, from, ballot, slot),
            Msg::Nack { promised } => {
                self.highest = self.highest.max(promised);
                if self.mode != Mode::Standby && promised > self.ballot {
                    self.step_down(ctx, promised, "an acceptor promised");
                }
            }
            Msg::Heartbeat { ballot, chosen } => self.handle_heartbeat(ctx, from, ballot, chosen),
            Msg::Decision { slot, entry } => {
                self.inflight.remove(slot);
                if self.learner.learn(ctx, slot, entry) {
                    self.apply_ready(ctx);
                }
                // A slot of its window another leader decided frees room, as its own decision
                // would: without this, requests queued behind a full window of such slots
                // wait forever (their retries are taken for duplicates of queued requests).
                self.fill(ctx);
            }
            Msg::Decisions { entries } => {
                let n = entries.len();
                let mut new = 0;
                for (slot, entry) in entries {
                    self.inflight.remove(slot);
                    new += usize::from(self.learner.learn(ctx, slot, entry));
                }
                if new > 0 {
                    ctx.info(format_args!(
                        "caught up on {new} of {n} slot(s) from {}",
                        Name(&self.cfg, from)
                    ));
                }
                self.apply_ready(ctx);
                self.fill(ctx);
            }
            Msg::CatchUp { from: slot } => {
                let entries = self.learner.entries_from(slot, self.cfg.catch_up_batch);
                if !entries.is_empty() {
                    ctx.debug(format_args!(
                        "sending {} chosen slot(s) from slot {slot} on to {}",
                        entries.len(),
                        Name(&self.cfg, from)
                    ));
                    ctx.send(from, Msg::Decisions { entries });
                }
            }
            other => ctx.debug(format_args!("ignoring unexpected {other}")),
        }
    }

    /// A timer fires.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Tick => {
                ctx.set_timer(self.cfg.heartbeat, Timer::Tick);
                self.tick(ctx);
            }
            Timer::LeaderTimeout => {
                self.timeout = None;
                if self.mode != Mode::Standby {
                    return;
                }
                if self.heard {
                    self.heard = false;
                    self.arm_timeout(ctx);
                } else {
                    match self.known_leader {
                        Some(l) => ctx.warn(format_args!(
                            "no heartbeat from {} lately: starting Phase 1",
                            Name(&self.cfg, l)
                        )),
                        None => ctx.warn(format_args!("no leader heard of: starting Phase 1")),
                    }
                    self.start_phase1(ctx);
                }
            }
            Timer::Client(_) => {}
        }
    }

    fn arm_timeout(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        if let Some(t) = self.timeout.take() {
            ctx.cancel_timer(t);
        }
        let (lo, hi) = self.cfg.leader_timeout;
        let after = Time::micros(ctx.rng().range_inclusive(lo.as_micros(), hi.as_micros()));
        self.timeout = Some(ctx.set_timer(after, Timer::LeaderTimeout));
    }

    /// Phase 1a: a new ballot, higher than any this leader used or saw.
    fn start_phase1(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        let round = self.durable.max_round.max(self.highest.round) + 1;
        self.durable.max_round = round;
        self.ballot = Ballot {
            round,
            leader: self.index,
        };
        self.highest = self.highest.max(self.ballot);
        self.mode = Mode::Candidate;
        self.promised_by.clear();
        self.reported.clear();
        self.inflight.clear();
        self.from_slot = self.learner.prefix() + 1;
        self.prepare_sent = ctx.now();
        ctx.seeks("candidate", &Epoch(self.ballot));
        ctx.info(format_args!(
            "Phase 1: Prepare(ballot {}) to {} acceptors, asking what they accepted from slot {} on",
            self.ballot,
            self.cfg.acceptors.len(),
            self.from_slot
        ));
        let msg = Msg::Prepare {
            ballot: self.ballot,
            from_slot: self.from_slot,
        };
        ctx.broadcast(self.cfg.acceptors.iter().copied(), &msg);
    }

    fn handle_promise(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        from: NodeId,
        ballot: Ballot,
        accepted: Vec<(Slot, Ballot, Entry)>,
    ) {
        if self.mode != Mode::Candidate || ballot != self.ballot || self.promised_by.contains(&from)
        {
            ctx.debug(format_args!("ignoring stale promise for ballot {ballot}"));
            return;
        }
        self.promised_by.push(from);
        for (slot, b, entry) in accepted {
            if self.learner.knows(slot) {
                continue;
            }
            match self.reported.get(&slot) {
                Some((have, _)) if *have >= b => {}
                _ => {
                    self.reported.insert(slot, (b, entry));
                }
            }
        }
        if self.promised_by.len() >= self.cfg.quorum() {
            self.become_active(ctx);
        }
    }

    /// Phase 1 succeeded: re-propose what acceptors reported, fill the gaps, then serve.
    fn become_active(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        self.mode = Mode::Active;
        self.known_leader = Some(ctx.id());
        if let Some(t) = self.timeout.take() {
            ctx.cancel_timer(t);
        }
        ctx.leads("leader", &Epoch(self.ballot));
        ctx.info(format_args!(
            "Phase 1 complete: {} promises (need {}): leading in ballot {}",
            self.promised_by.len(),
            self.cfg.quorum(),
            self.ballot
        ));
        let reported = std::mem::take(&mut self.reported);
        let top = reported
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(self.learner.top());
        if self.cfg.bug == Some(Bug::SkipPhase1Values) {
            // Planted bug: the reported values are dropped and their slots reused.
            if !reported.is_empty() {
                ctx.warn(format_args!(
                    "BUG skip-phase1-values: the {} proposal(s) the acceptors reported accepted (in slots {}..{}) are dropped, and slots from {} on are reused for new requests; Paxos requires re-proposing them",
                    reported.len(),
                    reported.keys().next().copied().unwrap_or(0),
                    reported.keys().next_back().copied().unwrap_or(0),
                    self.from_slot
                ));
            }
            self.next_slot = self.from_slot;
        } else {
            let mut reported = reported;
            for slot in self.from_slot..=top {
                if self.learner.knows(slot) {
                    continue;
                }
                let entry = match reported.remove(&slot) {
                    Some((b, entry)) => {
                        ctx.info(format_args!(
                            "slot {slot}: re-proposing {} (accepted in ballot {b})",
                            entry.cmd
                        ));
                        entry
                    }
                    None => {
                        ctx.info(format_args!(
                            "slot {slot}: nothing accepted, filling the gap with NOOP"
                        ));
                        Entry::noop()
                    }
                };
                if let Some((client, req)) = entry.origin {
                    let p = self.pending.get(client).map_or(req, |p| req.max(*p));
                    self.pending.insert(client, p);
                }
                self.propose(ctx, slot, entry);
            }
            self.next_slot = top + 1;
        }
        self.send_heartbeats(ctx);
        self.fill(ctx);
    }

    fn step_down(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, higher: Ballot, why: &str) {
        ctx.warn(format_args!(
            "{why} ballot {higher}, higher than my {}: stepping down",
            self.ballot
        ));
        ctx.role("step down", &Epoch(self.ballot));
        self.mode = Mode::Standby;
        self.known_leader = self.cfg.leader_of(higher);
        self.inflight.clear();
        self.reported.clear();
        self.pending.clear();
        for req in std::mem::take(&mut self.queue) {
            ctx.send(
                req.client,
                Msg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: self.known_leader,
                }),
            );
        }
        self.heard = false;
        self.arm_timeout(ctx);
    }

    fn handle_heartbeat(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        from: NodeId,
        ballot: Ballot,
        chosen: Slot,
    ) {
        if ballot < self.highest {
            ctx.debug(format_args!("ignoring heartbeat of old ballot {ballot}"));
            return;
        }
        self.highest = ballot;
        self.known_leader = Some(from);
        self.heard = true;
        if self.mode != Mode::Standby && ballot > self.ballot {
            self.step_down(ctx, ballot, "heard a leader with");
        }
        // As a replica does: ask for what the previous heartbeat already reported chosen.
        let prefix = self.learner.prefix();
        if prefix < self.chosen_hint {
            ctx.debug(format_args!(
                "behind: slots up to {} are chosen, I know up to {prefix}; asking for slot {} on",
                self.chosen_hint,
                prefix + 1
            ));
            ctx.catch_up(prefix + 1, self.chosen_hint);
            ctx.send(from, Msg::CatchUp { from: prefix + 1 });
        }
        self.chosen_hint = chosen;
    }

    fn handle_request(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, req: Request) {
        if self.mode == Mode::Standby {
            match self.known_leader {
                Some(l) => ctx.debug(format_args!(
                    "not the leader: sending {} to {} for {}",
                    Name(&self.cfg, from),
                    Name(&self.cfg, l),
                    req.cmd
                )),
                None => ctx.debug(format_args!("not the leader, and no leader known")),
            }
            ctx.send(
                from,
                Msg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: self.known_leader,
                }),
            );
            return;
        }
        if let (Command::Get { key }, true) = (
            &req.cmd,
            self.mode == Mode::Active && self.cfg.bug == Some(Bug::ReadFromLeaderStore),
        ) {
            // Planted bug: a read answered from this leader's store, as if it still led. Another
            // leader may have taken over (this one cut off) and chosen writes it never saw.
            let result = self.learner.store().read(key);
            ctx.info(format_args!(
                "{} from {}: answers {result} from its own store (bug read-from-leader-store)",
                req.cmd,
                Name(&self.cfg, req.client)
            ));
            ctx.send(
                from,
                Msg::Reply(Reply::Done {
                    req_id: req.req_id,
                    result,
                }),
            );
            return;
        }
        if self
            .pending
            .get(req.client)
            .is_some_and(|r| *r >= req.req_id)
        {
            ctx.debug(format_args!(
                "request #{} of {} is already in progress",
                req.req_id,
                Name(&self.cfg, req.client)
            ));
            return;
        }
        self.pending.insert(req.client, req.req_id);
        self.queue.push_back(req);
        self.fill(ctx);
    }

    /// Propose queued requests while the window has room.
    fn fill(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        while self.mode == Mode::Active && self.inflight.len() < self.cfg.window {
            let Some(req) = self.queue.pop_front() else {
                return;
            };
            while self.learner.knows(self.next_slot) || self.inflight.contains_key(self.next_slot) {
                self.next_slot += 1;
            }
            let slot = self.next_slot;
            self.next_slot += 1;
            // The request is used up: its command moves into the entry rather than being copied.
            self.propose(
                ctx,
                slot,
                Entry::new(Some((req.client, req.req_id)), req.cmd),
            );
        }
    }

    /// Phase 2a for one slot.
    fn propose(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, slot: Slot, entry: Entry) {
        ctx.info(format_args!(
            "slot {slot}: Accept(ballot {}, {}) to {} acceptors",
            self.ballot,
            entry.cmd,
            self.cfg.acceptors.len()
        ));
        for &a in &self.cfg.acceptors {
            ctx.send(
                a,
                Msg::Accept {
                    ballot: self.ballot,
                    slot,
                    entry: entry.clone(),
                },
            );
        }
        self.inflight.insert(
            slot,
            InFlight {
                entry,
                acks: Acks::default(),
                sent: ctx.now(),
            },
        );
    }

    fn handle_accepted(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
    ) {
        if self.mode != Mode::Active || ballot != self.ballot {
            return;
        }
        let quorum = self.cfg.quorum();
        let Some(f) = self.inflight.get_mut(slot) else {
            return;
        };
        if f.acks.contains(&from) {
            return;
        }
        f.acks.push(from);
        if f.acks.len() < quorum {
            return;
        }
        let Some(f) = self.inflight.remove(slot) else {
            return;
        };
        ctx.info(format_args!(
            "slot {slot}: {}/{} accepted, chosen {}",
            f.acks.len(),
            self.cfg.acceptors.len(),
            f.entry.cmd
        ));
        for t in others(&self.cfg, ctx.id()) {
            ctx.send(
                t,
                Msg::Decision {
                    slot,
                    entry: f.entry.clone(),
                },
            );
        }
        self.learner.learn(ctx, slot, f.entry);
        let prefix = self.learner.prefix();
        if prefix < slot {
            ctx.info(format_args!(
                "slot {slot}: waiting for slot {} before applying",
                prefix + 1
            ));
        }
        self.apply_ready(ctx);
        self.fill(ctx);
    }

    /// Apply what can be applied; the active leader answers the clients.
    fn apply_ready(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        let active = self.mode == Mode::Active;
        let pending = &mut self.pending;
        self.learner.apply_ready(ctx, |ctx, entry, result| {
            if let (true, Some((client, req))) = (active, entry.origin) {
                if pending.get(client) == Some(&req) {
                    pending.remove(client);
                }
                ctx.send(
                    client,
                    Msg::Reply(Reply::Done {
                        req_id: req,
                        result: result.clone(),
                    }),
                );
            }
        });
    }

    fn send_heartbeats(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        let msg = Msg::Heartbeat {
            ballot: self.ballot,
            chosen: self.learner.prefix(),
        };
        ctx.broadcast(others(&self.cfg, ctx.id()), &msg);
    }

    fn tick(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        match self.mode {
            Mode::Standby => {}
            Mode::Candidate => {
                if ctx.now() - self.prepare_sent < self.cfg.heartbeat {
                    return;
                }
                self.prepare_sent = ctx.now();
                let missing: Vec<NodeId> = self
                    .cfg
                    .acceptors
                    .iter()
                    .copied()
                    .filter(|a| !self.promised_by.contains(a))
                    .collect();
                ctx.debug(format_args!(
                    "Phase 1 for ballot {}: re-sending Prepare to {} acceptor(s)",
                    self.ballot,
                    missing.len()
                ));
                let msg = Msg::Prepare {
                    ballot: self.ballot,
                    from_slot: self.from_slot,
                };
                ctx.broadcast(missing, &msg);
            }
            Mode::Active => {
                self.send_heartbeats(ctx);
                let now = ctx.now();
                let stale = self.cfg.heartbeat;
                let ballot = self.ballot;
                for (slot, f) in self.inflight.iter_mut() {
                    if now - f.sent < stale {
                        continue;
                    }
                    f.sent = now;
                    ctx.debug(format_args!(
                        "slot {slot}: no quorum yet ({} accepted), re-sending Accept",
                        f.acks.len()
                    ));
                    for &a in &self.cfg.acceptors {
                        if !f.acks.contains(&a) {
                            ctx.send(
                                a,
                                Msg::Accept {
                                    ballot,
                                    slot: *slot,
                                    entry: f.entry.clone(),
                                },
                            );
                        }
                    }
                }
            }
        }
    }

    /// What a status display shows.
    pub fn status(&self) -> NodeStatus {
        let role = match self.mode {
            Mode::Standby => "standby",
            Mode::Candidate => "candidate",
            Mode::Active => "leader",
        };
        NodeStatus {
            role: role.into(),
            // A standby shows the ballot it follows; the others their own.
            epoch: match (self.mode, self.highest) {
                (Mode::Standby, Ballot::ZERO) => String::new(),
                (Mode::Standby, b) => format!("ballot {b}"),
                _ => format!("ballot {}", self.ballot),
            },
            leader: self.mode == Mode::Active,
            facts: vec![
                ("chosen", self.learner.prefix().to_string()),
                ("in flight", self.inflight.len().to_string()),
                ("applied", self.learner.applied().to_string()),
            ],
            store: Some(self.learner.store().data().clone()),
            decision: None,
            config: None,
        }
    }
}

/// The learners a leader informs: the other leaders and the replicas.
fn others(cfg: &Config, me: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    cfg.leaders
        .iter()
        .copied()
        .filter(move |l| *l != me)
        .chain(cfg.replicas.iter().copied())
}

/// A key of a [`DenseMap`]: a number, and keys come in rough order (slots, node ids).
trait DenseKey: Copy + Ord + fmt::Debug {
    /// The key as a number.
    fn index(self) -> u64;
}

impl DenseKey for Slot {
    fn index(self) -> u64 {
        self
    }
}

impl DenseKey for NodeId {
    fn index(self) -> u64 {
        u64::from(self.0)
    }
}

/// A map for the leader's per-slot and per-client bookkeeping, which it updates several times
/// per request: the keys in use are few and close together (the slots in flight, the client
/// ids), so a window of entries from the lowest key in use on does what a `BTreeMap` does
/// without searching. A key far below the rest (a slot that stays in flight while many later
/// ones are chosen) would stretch the window with every key added meanwhile, so when the
/// window is mostly empty its lowest entries move to a `BTreeMap` aside: memory stays bounded
/// by the keys in use. Iterates and prints in key order, as a `BTreeMap` does.
#[derive(Clone)]
struct DenseMap<K, V> {
    /// The key of `window[0]`.
    base: u64,
    /// Entries for keys `base..base + window.len()`.
    window: VecDeque<Option<(K, V)>>,
    /// Entries with keys below `base`.
    aside: BTreeMap<K, V>,
    /// Entries in `window`.
    filled: usize,
}

impl<K, V> Default for DenseMap<K, V> {
    fn default() -> Self {
        DenseMap {
            base: 0,
            window: VecDeque::new(),
            aside: BTreeMap::new(),
            filled: 0,
        }
    }
}

impl<K: DenseKey, V> DenseMap<K, V> {
    fn len(&self) -> usize {
        self.filled + self.aside.len()
    }

    /// The window entry for `k`, if `k` is in the window's range.
    fn at(&self, k: K) -> Option<&Option<(K, V)>> {
        let i = k.index().checked_sub(self.base)?;
        self.window.get(usize::try_from(i).ok()?)
    }

    fn at_mut(&mut self, k: K) -> Option<&mut Option<(K, V)>> {
        let i = k.index().checked_sub(self.base)?;
        self.window.get_mut(usize::try_from(i).ok()?)
    }

    fn get(&self, k: K) -> Option<&V> {
        if k.index() < self.base {
            return self.aside.get(&k);
        }
        self.at(k)?.as_ref().map(|(_, v)| v)
    }

    fn get_mut(&mut self, k: K) -> Option<&mut V> {
        if k.index() < self.base {
            return self.aside.get_mut(&k);
        }
        self.at_mut(k)?.as_mut().map(|(_, v)| v)
    }

    fn contains_key(&self, k: K) -> bool {
        self.get(k).is_some()
    }

    fn insert(&mut self, k: K, v: V) {
        // Every key aside stays below `base`: an empty window moves to `k` unless that would
        // put it below a key aside.
        let idx = k.index();
        let below_aside = (self.aside.last_key_value()).is_some_and(|(a, _)| a.index() >= idx);
        if self.window.is_empty() && !below_aside {
            self.base = idx;
        }
        if idx < self.base {
            // A little below the window (a client with a lower id than those waiting): the
            // window grows down to it. Far below: aside.
            let gap = self.base - idx;
            if below_aside || gap > self.window.len() as u64 + 64 {
                self.aside.insert(k, v);
                return;
            }
            for _ in 0..gap {
                self.window.push_front(None);
            }
            self.base = idx;
        }
        let i = (k.index() - self.base) as usize;
        if i >= self.window.len() {
            self.window.resize_with(i + 1, || None);
        }
        if self.window[i].replace((k, v)).is_none() {
            self.filled += 1;
        }
        // Mostly empty: move the lowest entries aside.
        while self.window.len() > 1024 + 8 * self.filled {
            if let Some(Some((k, v))) = self.window.pop_front() {
                self.filled -= 1;
                self.aside.insert(k, v);
            }
            self.base += 1;
        }
    }

    fn remove(&mut self, k: K) -> Option<V> {
        if k.index() < self.base {
            return self.aside.remove(&k);
        }
        let (_, v) = self.at_mut(k)?.take()?;
        self.filled -= 1;
        while let Some(None) = self.window.front() {
            self.window.pop_front();
            self.base += 1;
        }
        Some(v)
    }

    fn clear(&mut self) {
        self.window.clear();
        self.aside.clear();
        self.filled = 0;
    }

    /// Entries in key order.
    fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        let window = self.window.iter().flatten().map(|(k, v)| (k, v));
        self.aside.iter().chain(window)
    }

    /// Entries in key order, values mutable.
    fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        let window = self.window.iter_mut().flatten().map(|(k, v)| (&*k, v));
        self.aside.iter_mut().chain(window)
    }
}

impl<K: DenseKey, V: fmt::Debug> fmt::Debug for DenseMap<K, V> {
    /// As a `BTreeMap` prints: `{3: .., 4: ..}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod dense_map_tests {
    use super::*;

    #[test]
    fn a_dense_map_behaves_and_prints_like_a_btree_map() {
        // Keys mostly close together and increasing, as slots are; now and then far below
        // (a slot kept in flight) or far above, to exercise the map aside.
        let mut rng = synod_core::SimRng::new(11);
        let mut dense: DenseMap<Slot, u64> = DenseMap::default();
        let mut model: BTreeMap<Slot, u64> = BTreeMap::new();
        let mut next: Slot = 1;
        for step in 0..30_000u64 {
            let k = match rng.below(20) {
                0 => next.saturating_sub(rng.below(5_000)),
                1 => next + 3_000 + rng.below(3_000),
                _ => next.saturating_sub(rng.below(70)),
            };
            match rng.below(4) {
                0 | 1 => {
                    dense.insert(k, step);
                    model.insert(k, step);
                    next += 1;
                }
                2 => assert_eq!(dense.remove(k), model.remove(&k)),
                _ => {
                    if let Some(v) = dense.get_mut(k) {
                        *v += 1;
                    }
                    if let Some(v) = model.get_mut(&k) {
                        *v += 1;
                    }
                }
            }
            assert_eq!(dense.get(k), model.get(&k));
            assert_eq!(dense.contains_key(k + 1), model.contains_key(&(k + 1)));
            assert_eq!(dense.len(), model.len());
            if step % 1_000 == 0 {
                assert_eq!(format!("{dense:?}"), format!("{model:?}"));
                let ordered: Vec<(Slot, u64)> = dense.iter_mut().map(|(k, v)| (*k, *v)).collect();
                let want: Vec<(Slot, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(ordered, want);
                assert!(dense.window.len() <= 1024 + 8 * dense.len() + 1);
            }
        }
        dense.clear();
        assert_eq!((dense.len(), format!("{dense:?}")), (0, "{}".to_string()));
    }

    #[test]
    fn acks_count_find_and_print_like_a_vec() {
        let mut acks = Acks::default();
        let mut model = Vec::new();
        for i in [3, 1, 4, 15, 9, 2, 6, 5, 35, 8] {
            acks.push(NodeId(i));
            model.push(NodeId(i));
            assert_eq!(acks.len(), model.len());
            assert_eq!(acks.as_slice(), model.as_slice());
            assert_eq!(format!("{acks:?}"), format!("{model:?}"));
            assert_eq!(format!("{acks:#?}"), format!("{model:#?}"));
        }
        assert!(acks.contains(&NodeId(35)) && acks.contains(&NodeId(4)));
        assert!(!acks.contains(&NodeId(7)));
    }

    #[test]
    fn an_emptied_window_never_moves_above_a_key_aside() {
        let mut dense: DenseMap<Slot, &str> = DenseMap::default();
        dense.insert(5_000, "window");
        dense.insert(10, "aside");
        assert_eq!(dense.remove(5_000), Some("window"));
        dense.insert(8, "lower");
        dense.insert(12, "higher");
        assert_eq!(
            (dense.get(8), dense.get(10), dense.get(12)),
            (Some(&"lower"), Some(&"aside"), Some(&"higher"))
        );
        assert_eq!(
            format!("{dense:?}"),
            r#"{8: "lower", 10: "aside", 12: "higher"}"#
        );
    }
}
