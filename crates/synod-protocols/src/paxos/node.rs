//! [`PaxosNode`]: one process holding an optional proposer, acceptor and learner part. Its
//! handlers dispatch each message to the role it is for, and narrate what that role does and
//! why, under the role's name (`[acceptor Taziri]`, `[proposer Amastan]`, `[learner Itri]`).

use super::Bug;
use super::acceptor::Acceptor;
use super::layout::Config;
use super::msg::{Ballot, Epoch, Msg, ShowAccepted, ShowBallot, Value};
use super::proposer::{Phase, Proposer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use synod_core::{Ctx, Decision, Level, NodeId, NodeStatus, Process, Time, TimerId};

/// What a node's timers carry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// A proposer's start delay or retry timeout.
    Attempt,
    /// A learner (on a node with no proposer) asks whether a value was chosen.
    Ask,
}

/// What survives a crash: the acceptor's promise and accepted proposal, the highest round the
/// proposer tried, and the value the node learned was chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Durable {
    /// The acceptor's whole state.
    pub acceptor: Acceptor,
    /// The highest round the proposer tried or saw (so it never reuses a ballot).
    pub max_round: u32,
    /// The chosen value, once learned.
    pub decided: Option<Value>,
}

/// A Paxos node: any of proposer, acceptor and learner.
#[derive(Clone)]
pub struct PaxosNode {
    cfg: Arc<Config>,
    id: NodeId,
    /// The proposer part, if the node proposes.
    pub proposer: Option<Proposer>,
    /// The acceptor part, if the node accepts.
    pub acceptor: Option<Acceptor>,
    /// Whether the node is a learner (emits `decide`).
    pub learner: bool,
    /// The chosen value, once this node knows it.
    pub decided: Option<Value>,
    restarted: bool,
    ask_timer: Option<TimerId>,
}

impl fmt::Debug for PaxosNode {
    /// The node's state for debugging synod itself; the shared configuration is left out.
    /// People read `inspect` (`view.rs`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaxosNode")
            .field("id", &self.id)
            .field("proposer", &self.proposer)
            .field("acceptor", &self.acceptor)
            .field("learner", &self.learner)
            .field("decided", &self.decided)
            .field("restarted", &self.restarted)
            .finish()
    }
}

/// Equality and hashing for the explorer (synod-core's `Explorable`): the node's own state;
/// the configuration every node shares is left out.
impl PartialEq for PaxosNode {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.proposer == other.proposer
            && self.acceptor == other.acceptor
            && self.learner == other.learner
            && self.decided == other.decided
            && self.restarted == other.restarted
            && self.ask_timer == other.ask_timer
    }
}

impl Eq for PaxosNode {}

impl Hash for PaxosNode {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.id.hash(h);
        self.proposer.hash(h);
        self.acceptor.hash(h);
        self.learner.hash(h);
        self.decided.hash(h);
        self.restarted.hash(h);
        self.ask_timer.hash(h);
    }
}

type C<'a, 'b> = Ctx<'a, Msg, Timer>;

/// Narrate as `[role name]`: the label shows which part of the node speaks.
fn say(ctx: &mut C<'_, '_>, level: Level, role: &str, name: &str, text: fmt::Arguments<'_>) {
    if ctx.log_enabled(level) {
        ctx.set_label(format_args!("{role:<8} {name}"));
        ctx.log(level, text);
        ctx.set_label(name);
    }
}

/// A value as `decide` events carry it: quoted, so that `"n5" vs "n1"` in a violation reads as
/// two values, not two nodes.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

fn draw(ctx: &mut C<'_, '_>, (lo, hi): (Time, Time), factor: u64) -> Time {
    let base = ctx.rng().range_inclusive(lo.as_micros(), hi.as_micros());
    Time::micros(base * factor)
}

impl PaxosNode {
    /// Node `id` of the cluster `cfg`, fresh (`None`) or restarted from what survived a crash.
    pub fn new(cfg: Arc<Config>, id: NodeId, durable: Option<Durable>) -> Self {
        let restarted = durable.is_some();
        let d = durable.unwrap_or_default();
        let acceptor = cfg.acceptors.contains(&id).then(|| {
            if cfg.bug == Some(Bug::ForgetPromise) {
                Acceptor::default()
            } else {
                d.acceptor.clone()
            }
        });
        let proposer = cfg.proposers.contains(&id).then(|| {
            let mut p = Proposer::new(cfg.values[id.index()].clone(), d.max_round);
            if d.decided.is_some() {
                p.phase = Phase::Done;
            }
            p
        });
        PaxosNode {
            learner: cfg.learners.contains(&id),
            cfg,
            id,
            proposer,
            acceptor,
            decided: d.decided,
            restarted,
            ask_timer: None,
        }
    }

    fn name(&self) -> &str {
        self.cfg.name(self.id)
    }

    /// This node's number in ballots (its id + 1).
    fn number(&self) -> u32 {
        self.id.0 + 1
    }

    fn arm(&mut self, ctx: &mut C<'_, '_>, after: Time) {
        if let Some(p) = &mut self.proposer {
            if let Some(t) = p.timer.take() {
                ctx.cancel_timer(t);
            }
            p.timer = Some(ctx.set_timer(after, Timer::Attempt));
        }
    }

    fn retry_delay(&self, ctx: &mut C<'_, '_>) -> Time {
        let attempts = self.proposer.as_ref().map_or(0, |p| p.attempts);
        draw(ctx, self.cfg.timeout, 1 << attempts.min(3))
    }

    // ---- acceptor ----

    fn on_prepare(&mut self, ctx: &mut C<'_, '_>, from: NodeId, ballot: Ballot) {
        let cfg = self.cfg.clone();
        let Some(a) = &mut self.acceptor else {
            return ctx.debug(format_args!(
                "not an acceptor: ignoring p1a from {}",
                cfg.name(from)
            ));
        };
        let reply = a.on_prepare(ballot);
        let (me, them) = (cfg.name(self.id), cfg.name(from));
        match &reply {
            Msg::Promise {
                accepted: Some((b, v)),
                ..
            } => say(
                ctx,
                Level::Info,
                "acceptor",
                me,
                format_args!(
                    "p1a Prepare({ballot}) from {them}: promised, last accepted {b} {v:?}"
                ),
            ),
            Msg::Promise { accepted: None, .. } => say(
                ctx,
                Level::Info,
                "acceptor",
                me,
                format_args!("p1a Prepare({ballot}) from {them}: promised, nothing accepted yet"),
            ),
            _ => say(
                ctx,
                Level::Info,
                "acceptor",
                me,
                format_args!(
                    "p1a Prepare({ballot}) from {them}: rejected, already promised {}",
                    a.promised
                ),
            ),
        }
        if matches!(reply, Msg::Promise { .. }) {
            ctx.vote(from, &Epoch(ballot));
        }
        ctx.send(from, reply);
        self.notice_ballot(ctx, from, ballot);
    }

    fn on_accept(&mut self, ctx: &mut C<'_, '_>, from: NodeId, ballot: Ballot, value: Value) {
        let cfg = self.cfg.clone();
        let Some(a) = &mut self.acceptor else {
            return ctx.debug(format_args!(
                "not an acceptor: ignoring p2a from {}",
                cfg.name(from)
            ));
        };
        let reply = a.on_accept(ballot, &value);
        let (me, them) = (cfg.name(self.id), cfg.name(from));
        match &reply {
            Msg::Accepted { .. } => say(
                ctx,
                Level::Info,
                "acceptor",
                me,
                format_args!("p2a Accept({ballot}, {value:?}) from {them}: accepted"),
            ),
            _ => say(
                ctx,
                Level::Info,
                "acceptor",
                me,
                format_args!(
                    "p2a Accept({ballot}, {value:?}) from {them}: rejected, promised {}",
                    a.promised
                ),
            ),
        }
        ctx.send(from, reply);
        self.notice_ballot(ctx, from, ballot);
    }

    // ---- proposer ----

    /// The co-located acceptor heard `ballot` from another proposer: a proposer with a lower
    /// ballot in progress steps down; one still waiting stands back for a timeout, giving the
    /// other time to finish.
    fn notice_ballot(&mut self, ctx: &mut C<'_, '_>, from: NodeId, ballot: Ballot) {
        if from == self.id {
            return;
        }
        let Some(p) = &mut self.proposer else { return };
        p.saw(ballot);
        if p.phase == Phase::Done || ballot <= p.ballot || ballot <= p.seen {
            return;
        }
        p.seen = ballot;
        if p.active() {
            let why = format!(
                "{} is running the higher ballot {ballot}",
                self.cfg.name(from)
            );
            self.step_down(ctx, &why);
        } else {
            let wait = self.retry_delay(ctx);
            self.arm(ctx, wait);
            say(
                ctx,
                Level::Debug,
                "proposer",
                self.name(),
                format_args!(
                    "{} is running ballot {ballot}: standing back, next try in {wait}",
                    self.cfg.name(from)
                ),
            );
        }
    }

    fn step_down(&mut self, ctx: &mut C<'_, '_>, why: &str) {
        let Some(p) = &mut self.proposer else { return };
        let old = p.ballot;
        p.phase = Phase::Waiting;
        p.leader = false;
        p.attempts += 1;
        ctx.role("step down", &Epoch(old));
        let wait = self.retry_delay(ctx);
        self.arm(ctx, wait);
        say(
            ctx,
            Level::Info,
            "proposer",
            self.name(),
            format_args!("abandoning ballot {old}: {why}; stepping down, next try in {wait}"),
        );
    }

    fn start_attempt(&mut self, ctx: &mut C<'_, '_>) {
        let number = self.number();
        let cfg = self.cfg.clone();
        let Some(p) = &mut self.proposer else { return };
        let retry = p.ballot.is_some();
        let ballot = p.next_ballot(number);
        p.phase = Phase::Preparing {
            promises: Vec::new(),
            highest: None,
        };
        p.leader = false;
        let value = p.value.clone();
        ctx.seeks("proposer", &Epoch(ballot));
        say(
            ctx,
            Level::Info,
            "proposer",
            cfg.name(self.id),
            format_args!(
                "{} ballot {ballot} (my value {value:?}): p1a Prepare({ballot}) to {} acceptors",
                if retry { "retrying with" } else { "starting" },
                cfg.acceptors.len()
            ),
        );
        ctx.broadcast(cfg.acceptors.iter().copied(), &Msg::Prepare { ballot });
        let wait = self.retry_delay(ctx);
        self.arm(ctx, wait);
    }

    fn on_promise(
        &mut self,
        ctx: &mut C<'_, '_>,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    ) {
        let cfg = self.cfg.clone();
        let Some(p) = &mut self.proposer else { return };
        let Some(n) = p.record_promise(from, ballot, accepted) else {
            let why = if ballot != p.ballot {
                "not my current ballot"
            } else if matches!(p.phase, Phase::Preparing { .. }) {
                "a duplicate"
            } else {
                "late, phase 1 is over"
            };
            return say(
                ctx,
                Level::Debug,
                "proposer",
                cfg.name(self.id),
                format_args!(
                    "p1b Promise({ballot}) from {}: {why}, ignored",
                    cfg.name(from)
                ),
            );
        };
        let (quorum, total) = (cfg.quorum(), cfg.acceptors.len());
        if n < quorum {
            say(
                ctx,
                Level::Debug,
                "proposer",
                cfg.name(self.id),
                format_args!(
                    "p1b Promise({ballot}) from {}: {n}/{quorum} promises",
                    cfg.name(from)
                ),
            );
            let wait = self.retry_delay(ctx);
            return self.arm(ctx, wait);
        }
        if n > quorum {
            return;
        }
        let (value, at) = p.value_to_propose(cfg.bug == Some(Bug::IgnoreP1bValues));
        let reported = match &p.phase {
            Phase::Preparing { highest, .. } => highest.clone(),
            _ => None,
        };
        p.phase = Phase::Accepting {
            value: value.clone(),
            accepted: Vec::new(),
        };
        p.leader = true;
        ctx.leads("leader", &Epoch(ballot));
        let me = cfg.name(self.id);
        match (at, reported) {
            (Some(at), _) => say(
                ctx,
                Level::Info,
                "proposer",
                me,
                format_args!(
                    "p1b quorum {n}/{total} for ballot {ballot}: must propose {value:?} (accepted at {at}); p2a Accept to {total} acceptors"
                ),
            ),
            (None, Some((b, v))) => say(
                ctx,
                Level::Warn,
                "proposer",
                me,
                format_args!(
                    "p1b quorum {n}/{total} for ballot {ballot}: proposing my own {value:?} (BUG ignore-p1b-values: the reported {v:?}, accepted at {b}, is ignored; P2c requires proposing it); p2a Accept to {total} acceptors"
                ),
            ),
            (None, None) => say(
                ctx,
                Level::Info,
                "proposer",
                me,
                format_args!(
                    "p1b quorum {n}/{total} for ballot {ballot}: nothing accepted yet, free to propose my own {value:?}; p2a Accept to {total} acceptors"
                ),
            ),
        }
        ctx.broadcast(
            cfg.acceptors.iter().copied(),
            &Msg::Accept { ballot, value },
        );
        let wait = self.retry_delay(ctx);
        self.arm(ctx, wait);
    }

    fn on_accepted(&mut self, ctx: &mut C<'_, '_>, from: NodeId, ballot: Ballot) {
        let cfg = self.cfg.clone();
        let Some(p) = &mut self.proposer else { return };
        let Some(n) = p.record_accepted(from, ballot) else {
            let why = if ballot != p.ballot {
                "not my current ballot"
            } else if matches!(p.phase, Phase::Accepting { .. }) {
                "a duplicate"
            } else {
                "late, the value is already chosen"
            };
            return say(
                ctx,
                Level::Debug,
                "proposer",
                cfg.name(self.id),
                format_args!(
                    "p2b Accepted({ballot}) from {}: {why}, ignored",
                    cfg.name(from)
                ),
            );
        };
        let (quorum, total) = (cfg.quorum(), cfg.acceptors.len());
        if n < quorum {
            say(
                ctx,
                Level::Debug,
                "proposer",
                cfg.name(self.id),
                format_args!(
                    "p2b Accepted({ballot}) from {}: {n}/{quorum} accepted",
                    cfg.name(from)
                ),
            );
            let wait = self.retry_delay(ctx);
            return self.arm(ctx, wait);
        }
        let Phase::Accepting { value, .. } = std::mem::replace(&mut p.phase, Phase::Done) else {
            return;
        };
        if let Some(t) = p.timer.take() {
            ctx.cancel_timer(t);
        }
        let targets: Vec<NodeId> = cfg
            .decide_targets()
            .into_iter()
            .filter(|t| *t != self.id)
            .collect();
        say(
            ctx,
            Level::Info,
            "proposer",
            cfg.name(self.id),
            format_args!(
                "p2b quorum {n}/{total} for ballot {ballot}: {value:?} is chosen; p3 Decide to {} nodes",
                targets.len()
            ),
        );
        ctx.broadcast(
            targets,
            &Msg::Decide {
                value: value.clone(),
            },
        );
        self.learn(ctx, None, value);
    }

    fn on_reject(
        &mut self,
        ctx: &mut C<'_, '_>,
        from: NodeId,
        phase: u8,
        ballot: Ballot,
        promised: Ballot,
    ) {
        let Some(p) = &mut self.proposer else { return };
        p.saw(promised);
        if !p.active() || ballot != p.ballot {
            return say(
                ctx,
                Level::Debug,
                "proposer",
                self.name(),
                format_args!(
                    "p{phase}b Reject({ballot}) from {}: not my current ballot, ignored",
                    self.cfg.name(from)
                ),
            );
        }
        let why = format!(
            "p{phase}b Reject from {}, which promised the higher ballot {promised}",
            self.cfg.name(from)
        );
        self.step_down(ctx, &why);
    }

    fn on_attempt_timer(&mut self, ctx: &mut C<'_, '_>) {
        let Some(p) = &mut self.proposer else { return };
        p.timer = None;
        match &p.phase {
            Phase::Done => {}
            Phase::Waiting => self.start_attempt(ctx),
            phase => {
                let progress = match phase {
                    Phase::Preparing { promises, .. } => {
                        format!("{}/{} promises", promises.len(), self.cfg.quorum())
                    }
                    Phase::Accepting { accepted, .. } => {
                        format!("{}/{} accepted", accepted.len(), self.cfg.quorum())
                    }
                    _ => String::new(),
                };
                let old = p.ballot;
                p.attempts += 1;
                if p.leader {
                    p.leader = false;
                    ctx.role("step down", &Epoch(old));
                }
                say(
                    ctx,
                    Level::Warn,
                    "proposer",
                    self.name(),
                    format_args!("ballot {old} timed out with {progress}"),
                );
                self.start_attempt(ctx);
            }
        }
    }

    // ---- learner ----

    /// The node learns `value` was chosen: from a p3 Decide (`from`), or from its own
    /// proposer's p2b quorum (`None`).
    fn learn(&mut self, ctx: &mut C<'_, '_>, from: Option<NodeId>, value: Value) {
        let cfg = self.cfg.clone();
        let me = cfg.name(self.id);
        let source = match from {
            Some(f) => format!("p3 Decide({value:?}) from {}", cfg.name(f)),
            None => "my own proposer's p2b quorum".to_string(),
        };
        match &self.decided {
            None => {
                if self.learner {
                    ctx.decide(0, &Quoted(&value));
                    say(
                        ctx,
                        Level::Info,
                        "learner",
                        me,
                        format_args!("{source}: decided {value:?}"),
                    );
                }
                if let Some(p) = &mut self.proposer {
                    if p.phase != Phase::Done {
                        p.phase = Phase::Done;
                        p.leader = false;
                        if let Some(t) = p.timer.take() {
                            ctx.cancel_timer(t);
                        }
                        say(
                            ctx,
                            Level::Debug,
                            "proposer",
                            me,
                            format_args!("{value:?} is chosen: no more proposals"),
                        );
                    }
                }
                if let Some(t) = self.ask_timer.take() {
                    ctx.cancel_timer(t);
                }
                self.decided = Some(value);
            }
            Some(known) if *known == value => say(
                ctx,
                Level::Debug,
                if self.learner { "learner" } else { "proposer" },
                me,
                format_args!("{source}: already knew"),
            ),
            Some(known) => {
                say(
                    ctx,
                    Level::Warn,
                    "learner",
                    me,
                    format_args!("{source} contradicts my decision {known:?}!"),
                );
                if self.learner {
                    ctx.decide(0, &Quoted(&value));
                }
            }
        }
    }

    fn on_ask_timer(&mut self, ctx: &mut C<'_, '_>) {
        self.ask_timer = None;
        if self.decided.is_some() {
            return;
        }
        say(
            ctx,
            Level::Debug,
            "learner",
            self.name(),
            format_args!("no decision heard yet: asking the proposers"),
        );
        ctx.broadcast(self.cfg.proposers.iter().copied(), &Msg::Query);
        let wait = draw(ctx, self.cfg.timeout, 2);
        self.ask_timer = Some(ctx.set_timer(wait, Timer::Ask));
    }
}

impl Process for PaxosNode {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        let cfg = self.cfg.clone();
        let me = cfg.name(self.id);
        if self.restarted {
            if let Some(a) = &self.acceptor {
                if cfg.bug == Some(Bug::ForgetPromise) {
                    say(
                        ctx,
                        Level::Warn,
                        "acceptor",
                        me,
                        format_args!(
                            "back from a crash with nothing promised or accepted (BUG forget-promise: its promise and accepted proposal were not kept on disk)"
                        ),
                    );
                } else {
                    say(
                        ctx,
                        Level::Info,
                        "acceptor",
                        me,
                        format_args!(
                            "back from a crash, kept on disk: promised {}, accepted {}",
                            ShowBallot(a.promised),
                            ShowAccepted(a.accepted.as_ref())
                        ),
                    );
                }
            }
            if let Some(v) = &self.decided {
                say(
                    ctx,
                    Level::Info,
                    if self.learner { "learner" } else { "proposer" },
                    me,
                    format_args!("back from a crash, still knows {v:?} was chosen"),
                );
            }
        }
        if self.decided.is_none() {
            if self.proposer.is_some() {
                let wait = draw(ctx, cfg.start_delay, 1);
                self.arm(ctx, wait);
                say(
                    ctx,
                    Level::Debug,
                    "proposer",
                    me,
                    format_args!("first attempt in {wait}"),
                );
            } else if self.learner {
                let wait = draw(ctx, cfg.timeout, 2);
                self.ask_timer = Some(ctx.set_timer(wait, Timer::Ask));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Prepare { ballot } => self.on_prepare(ctx, from, ballot),
            Msg::Accept { ballot, value } => self.on_accept(ctx, from, ballot, value),
            Msg::Promise { ballot, accepted } => self.on_promise(ctx, from, ballot, accepted),
            Msg::Accepted { ballot } => self.on_accepted(ctx, from, ballot),
            Msg::Reject {
                phase,
                ballot,
                promised,
            } => self.on_reject(ctx, from, phase, ballot, promised),
            Msg::Decide { value } => self.learn(ctx, Some(from), value),
            Msg::Query => match &self.decided {
                Some(v) => ctx.send(from, Msg::Decide { value: v.clone() }),
                None => ctx.debug(format_args!(
                    "p3 Query from {}: no decision yet",
                    self.cfg.name(from)
                )),
            },
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, timer: Timer) {
        match timer {
            Timer::Attempt => self.on_attempt_timer(ctx),
            Timer::Ask => self.on_ask_timer(ctx),
        }
    }

    fn view(&self, v: &mut synod_core::view::StateView) {
        PaxosNode::view(self, v);
    }

    /// A part per role (`view.rs`).
    fn inspect(&self, out: &mut synod_core::inspect::Inspect<'_>) {
        PaxosNode::inspect(self, out, self.cfg.quorum());
    }

    /// What it kept (`view.rs`).
    fn inspect_durable(d: &Durable, out: &mut synod_core::inspect::Inspect<'_>) {
        super::view::inspect_durable(d, out);
    }

    fn durable(&self) -> Durable {
        Durable {
            acceptor: self.acceptor.clone().unwrap_or_default(),
            max_round: self.proposer.as_ref().map_or(0, |p| p.max_round),
            decided: self.decided.clone(),
        }
    }

    fn status(&self) -> NodeStatus {
        let mut st = NodeStatus::default();
        if let Some(p) = &self.proposer {
            st.leader = p.leader;
            st.role = if p.leader { "leader" } else { "proposer" }.into();
            if p.ballot.is_some() {
                st.epoch = Epoch(p.ballot).to_string();
            }
            let phase = match &p.phase {
                Phase::Waiting => "waiting".to_string(),
                Phase::Preparing { promises, .. } => {
                    format!("p1 {}/{} promises", promises.len(), self.cfg.quorum())
                }
                Phase::Accepting { value, accepted } => format!(
                    "p2 {value:?} {}/{} accepted",
                    accepted.len(),
                    self.cfg.quorum()
                ),
                Phase::Done => "done".to_string(),
            };
            st.facts.push(("phase", phase));
        }
        if let Some(a) = &self.acceptor {
            if st.role.is_empty() {
                st.role = "acceptor".into();
                st.epoch = Epoch(a.promised).to_string();
            }
            st.facts
                .push(("promised", ShowBallot(a.promised).to_string()));
            st.facts
                .push(("accepted", ShowAccepted(a.accepted.as_ref()).to_string()));
        }
        if self.learner {
            if st.role.is_empty() {
                st.role = "learner".into();
            }
            st.decision = Some(match &self.decided {
                Some(v) => Decision::Decided(v.clone()),
                None => Decision::Pending,
            });
        }
        st
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_core::testing::Harness;

    fn b(round: u32, proposer: u32) -> Ballot {
        Ballot { round, proposer }
    }

    /// Node n1 of three nodes that play every role, started and past its start delay: it has
    /// sent p1a Prepare(1.1) to all three acceptors.
    fn preparing_n1(cfg: Config) -> Harness<PaxosNode> {
        let mut h = Harness::new(NodeId(0), PaxosNode::new(Arc::new(cfg), NodeId(0), None), 1);
        h.start().fire(Timer::Attempt);
        // The harness keeps fired timers in its list; forget the start delay that just fired.
        h.out.timers.remove(0);
        let sent = h.take_sent();
        assert_eq!(sent.len(), 3);
        assert!(
            sent.iter()
                .all(|(_, m)| *m == Msg::Prepare { ballot: b(1, 1) })
        );
        h
    }

    fn attempt_timers(h: &Harness<PaxosNode>) -> Vec<TimerId> {
        h.out
            .timers
            .iter()
            .filter(|t| t.2 == Timer::Attempt)
            .map(|t| t.0)
            .collect()
    }

    /// Paxos Made Simple, 2.4 (progress), and the bug the BeatPaxos author found: a proposer
    /// whose ballot is making progress re-arms its timeout on every p1b and p2b instead of
    /// timing out on itself, and a lone proposer runs exactly one ballot.
    #[test]
    fn proposer_does_not_time_out_on_its_own_ballot_while_it_makes_progress() {
        let mut h = preparing_n1(Config::symmetric(3));
        let before = attempt_timers(&h);
        assert_eq!(before.len(), 1);
        h.deliver(
            NodeId(1),
            Msg::Promise {
                ballot: b(1, 1),
                accepted: None,
            },
        );
        let after = attempt_timers(&h);
        assert_eq!(after.len(), 1, "exactly one pending timeout");
        assert_ne!(before, after, "the timeout was re-armed by the p1b");
        h.deliver(
            NodeId(0),
            Msg::Promise {
                ballot: b(1, 1),
                accepted: None,
            },
        );
        h.deliver(NodeId(0), Msg::Accepted { ballot: b(1, 1) });
        h.deliver(NodeId(2), Msg::Accepted { ballot: b(1, 1) });
        assert!(
            attempt_timers(&h).is_empty(),
            "a decided proposer has no timeout left"
        );
        let roles: Vec<&String> = h
            .out
            .events
            .iter()
            .filter(|e| e.starts_with("role"))
            .collect();
        assert_eq!(
            roles,
            [
                "role proposer ballot 1.1 (seeks)",
                "role leader ballot 1.1 (leads)"
            ]
        );
    }

    /// Paxos Made Simple, 2.3 (learning a chosen value): once a majority accepted, the proposer
    /// knows the value is chosen and tells every learner with p3 Decide.
    #[test]
    fn a_p2b_quorum_decides_and_sends_p3_to_every_other_learner() {
        let mut h = preparing_n1(Config::symmetric(3));
        h.deliver(
            NodeId(1),
            Msg::Promise {
                ballot: b(1, 1),
                accepted: None,
            },
        );
        h.deliver(
            NodeId(2),
            Msg::Promise {
                ballot: b(1, 1),
                accepted: None,
            },
        );
        let accepts = h.take_sent();
        assert!(accepts.iter().all(|(_, m)| *m
            == Msg::Accept {
                ballot: b(1, 1),
                value: "n1".into()
            }));
        h.deliver(NodeId(1), Msg::Accepted { ballot: b(1, 1) });
        h.deliver(NodeId(2), Msg::Accepted { ballot: b(1, 1) });
        let decide = Msg::Decide { value: "n1".into() };
        assert_eq!(
            h.take_sent(),
            [(NodeId(1), decide.clone()), (NodeId(2), decide)]
        );
        assert!(h.out.events.contains(&"decide 0 \"n1\"".to_string()));
        assert_eq!(h.process.decided.as_deref(), Some("n1"));
    }

    /// Paxos Made Simple, 2.4: a proposer abandons its proposal when it learns of a higher
    /// ballot (here from a rejection), and its next ballot is above the one it saw.
    #[test]
    fn proposer_steps_down_when_rejected_with_a_higher_ballot() {
        let mut h = preparing_n1(Config::symmetric(3));
        h.deliver(
            NodeId(2),
            Msg::Reject {
                phase: 1,
                ballot: b(1, 1),
                promised: b(4, 3),
            },
        );
        assert!(
            h.out
                .events
                .contains(&"role step down ballot 1.1 (follows)".to_string())
        );
        let p = h.process.proposer.as_ref().unwrap();
        assert_eq!(p.phase, Phase::Waiting);
        assert!(h.take_sent().is_empty());
        h.fire(Timer::Attempt);
        assert!(
            h.take_sent()
                .iter()
                .all(|(_, m)| *m == Msg::Prepare { ballot: b(5, 1) })
        );
    }

    /// Paxos Made Simple, 2.4: with one distinguished proposer at a time there is progress; a
    /// proposer that has not started yet and hears another's Prepare stands back instead of
    /// dueling it.
    #[test]
    fn a_waiting_proposer_stands_back_when_another_runs_a_ballot() {
        let cfg = Arc::new(Config::symmetric(3));
        let mut h = Harness::new(NodeId(0), PaxosNode::new(cfg, NodeId(0), None), 1);
        h.start();
        let before = attempt_timers(&h);
        h.deliver(NodeId(2), Msg::Prepare { ballot: b(1, 3) });
        assert_eq!(
            h.take_sent(),
            [(
                NodeId(2),
                Msg::Promise {
                    ballot: b(1, 3),
                    accepted: None
                }
            )]
        );
        assert_ne!(
            attempt_timers(&h),
            before,
            "its first attempt was pushed back"
        );
        h.fire(Timer::Attempt);
        assert!(
            h.take_sent()
                .iter()
                .all(|(_, m)| *m == Msg::Prepare { ballot: b(2, 1) })
        );
    }

    /// Paxos Made Simple, 2.3: an acceptor remembers its promise and accepted proposal across a
    /// crash; with the planted bug `forget-promise` it does not, and re-promises a lower ballot.
    #[test]
    fn acceptor_promise_survives_a_crash_unless_the_bug_is_planted() {
        for (forget, want_reject) in [(false, true), (true, false)] {
            let mut cfg = Config::symmetric(3);
            cfg.bug = forget.then_some(Bug::ForgetPromise);
            let cfg = Arc::new(cfg);
            let mut h = Harness::new(NodeId(1), PaxosNode::new(cfg.clone(), NodeId(1), None), 1);
            h.start()
                .deliver(NodeId(2), Msg::Prepare { ballot: b(3, 3) });
            let kept = h.process.durable();
            let mut h = Harness::new(NodeId(1), PaxosNode::new(cfg, NodeId(1), Some(kept)), 1);
            h.start()
                .deliver(NodeId(0), Msg::Prepare { ballot: b(2, 1) });
            let reply = &h.take_sent()[0].1;
            assert_eq!(
                matches!(reply, Msg::Reject { promised, .. } if *promised == b(3, 3)),
                want_reject,
                "{reply}"
            );
        }
    }

    /// Paxos Made Simple, 2.3: a proposer never reuses a ballot, even after a crash.
    #[test]
    fn a_restarted_proposer_never_reuses_a_ballot() {
        let cfg = Arc::new(Config::symmetric(3));
        let mut h = preparing_n1(Config::symmetric(3));
        let kept = h.process.durable();
        h = Harness::new(NodeId(0), PaxosNode::new(cfg, NodeId(0), Some(kept)), 2);
        h.start().fire(Timer::Attempt);
        assert!(
            h.take_sent()
                .iter()
                .all(|(_, m)| *m == Msg::Prepare { ballot: b(2, 1) })
        );
    }
}
