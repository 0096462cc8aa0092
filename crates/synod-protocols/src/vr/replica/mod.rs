//! One VR replica (section 4, Figure 2): its state, and a handler per message of the paper.
//!
//! The replica is a [`Process`] over [`VrMsg`] and [`VrTimer`]; a node of a run is a
//! [`crate::kv::KvNode`] of it (a replica, or a client of the shared workload). Nodes are named
//! in narration as the scenario names them (`n3`, `Taziri`).
//!
//! This file holds the state (Figure 2), the timers and the dispatch; the handlers are grouped
//! by the paper's sections, one file each: `normal.rs` (normal operation, 4.1),
//! `view_change.rs` (4.2), `recovery.rs` (4.3) and `state_transfer.rs` (5.2).

mod normal;
mod recovery;
mod state_transfer;
mod view_change;

use super::client_table::ClientTable;
use super::msg::VrMsg;
use super::{Bug, VrConfig, VrTimer};
use crate::kv::{Request, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;
use synod_core::inspect::Inspect;
use synod_core::view::{Changed, StateView};
use synod_core::{Ctx, Level, NodeId, NodeStatus, Process, Time};

pub(super) type VCtx<'a> = Ctx<'a, VrMsg, VrTimer>;

/// What a replica keeps across a crash: none of its protocol state. VR needs no disk (section
/// 4.3): a replica that restarts recovers its state from the others. The value only tells the
/// builder that the replica is restarting, not starting for the first time, so that it runs
/// the recovery protocol instead of joining view 0 with an empty log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable;

/// A replica's status (Figure 2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Processing requests in its view, as the primary or as a backup.
    Normal,
    /// Changing to a new view (4.2).
    ViewChange,
    /// Restarted with nothing and recovering its state from the others (4.3).
    Recovering,
}

/// At most this many out-of-order `Prepare`s a backup keeps while it waits for an earlier one.
pub const MAX_PENDING: usize = 1024;

/// At most this many `Prepare`s the primary resends to one silent backup per commit interval.
pub const MAX_RESEND: u64 = 8;

/// A `view N` epoch as printed in role events.
struct ViewEpoch(u64);

impl fmt::Display for ViewEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "view {}", self.0)
    }
}

/// `op 4` or `ops 4..6`.
pub(super) struct Ops(u64, u64);

impl fmt::Display for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == self.1 {
            write!(f, "op {}", self.0)
        } else {
            write!(f, "ops {}..{}", self.0, self.1)
        }
    }
}

/// A `RecoveryResponse` as the recovering replica keeps it.
#[derive(Clone, Debug)]
pub(super) struct Answer {
    view: u64,
    /// The primary's log and commit-number.
    state: Option<(Vec<Request>, u64)>,
}

/// A `DoViewChange` as the new primary keeps it.
#[derive(Clone, Debug)]
pub(super) struct DoViewChange {
    log: Vec<Request>,
    last_normal: u64,
    commit: u64,
}

/// A VR replica.
pub struct VrReplica {
    cfg: Rc<VrConfig>,
    /// The replica number `i` is the node id.
    me: NodeId,
    status: Status,
    view: u64,
    /// The latest view in which the status was normal (`v'` of `DoViewChange`).
    last_normal: u64,
    /// The log; an op's op-number is its position, from 1. The op-number is `log.len()`.
    log: Vec<Request>,
    /// The commit-number: ops up to it are committed and executed.
    commit: u64,
    store: Store,
    table: ClientTable,
    /// Bumped whenever the log is replaced or truncated (not on appends), for the live checks.
    generation: u64,

    // Primary.
    /// While primary: the highest op each replica acknowledged in this view (its own: its
    /// op-number). Empty otherwise, so that only primaries hold a table the size of the group.
    acked: Vec<u64>,
    /// The op-number at the previous tick: a backup that still lacks one of those ops
    /// has lost a `Prepare` (or its `PrepareOk` was lost).
    op_at_tick: u64,
    /// Whether a `Prepare` went out since the last tick (then no `Commit` is needed).
    sent_since_tick: bool,

    // Backup.
    /// The highest commit-number heard from the primary of this view; ops up to it that the
    /// log lacks are fetched by state transfer.
    known_commit: u64,
    /// `Prepare`s that arrived before an earlier one, by op-number.
    pending: BTreeMap<u64, Request>,
    /// When this backup last sent `GetState` (at most one per commit interval).
    state_asked: Option<Time>,

    // View change.
    /// Who sent `StartViewChange` (or `DoViewChange`) for `view`.
    svc_from: BTreeSet<NodeId>,
    /// Whether this replica sent its `DoViewChange` for `view`.
    dvc_sent: bool,
    /// At the primary of `view`: the `DoViewChange` messages received, by sender.
    dvc: BTreeMap<NodeId, DoViewChange>,

    // Recovery.
    nonce: u64,
    /// `RecoveryResponse`s to `nonce`, by sender.
    responses: BTreeMap<NodeId, Answer>,

    deadline: Time,
    deadline_armed: bool,

    /// The first op-number changed since the last report to `synod view` (see `view.rs`).
    pub(super) view_log: Changed,
}

impl fmt::Debug for VrReplica {
    /// The replica's state for `inspect` (configuration and bookkeeping left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VrReplica")
            .field("me", &self.me)
            .field("status", &self.status)
            .field("view", &self.view)
            .field("last_normal", &self.last_normal)
            .field("op", &self.op())
            .field("commit", &self.commit)
            .field("log", &self.log)
            .field("store", &self.store)
            .field("acked", &self.acked)
            .finish()
    }
}

impl VrReplica {
    /// A replica starting for the first time (`None`: normal in view 0 with an empty log) or
    /// restarting after a crash (`Some`: it recovers, 4.3).
    pub fn new(cfg: Rc<VrConfig>, me: NodeId, restarted: Option<Durable>) -> Self {
        VrReplica {
            cfg,
            me,
            status: if restarted.is_some() {
                Status::Recovering
            } else {
                Status::Normal
            },
            view: 0,
            last_normal: 0,
            log: Vec::new(),
            commit: 0,
            store: Store::default(),
            table: ClientTable::default(),
            generation: 0,
            acked: Vec::new(),
            op_at_tick: 0,
            sent_since_tick: false,
            known_commit: 0,
            pending: BTreeMap::new(),
            state_asked: None,
            svc_from: BTreeSet::new(),
            dvc_sent: false,
            dvc: BTreeMap::new(),
            nonce: 0,
            responses: BTreeMap::new(),
            deadline: Time::ZERO,
            deadline_armed: false,
            view_log: Changed::default(),
        }
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The view-number.
    pub fn view(&self) -> u64 {
        self.view
    }

    /// The latest view in which the status was normal.
    pub fn last_normal(&self) -> u64 {
        self.last_normal
    }

    /// The op-number (the number of ops in the log).
    pub fn op(&self) -> u64 {
        self.log.len() as u64
    }

    /// The log.
    pub fn log(&self) -> &[Request] {
        &self.log
    }

    /// The commit-number.
    pub fn commit(&self) -> u64 {
        self.commit
    }

    /// The store (the state machine).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether this replica acts as the primary: normal status, and the primary of its view.
    pub fn is_primary(&self) -> bool {
        self.status == Status::Normal && self.primary_of(self.view) == self.me
    }

    /// Bumped whenever the log is replaced or truncated.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The nonce of the current recovery.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The primary of `view`: replicas take turns in the order of their numbers (4).
    pub fn primary_of(&self, view: u64) -> NodeId {
        NodeId((view % self.cfg.replicas as u64) as u32)
    }

    /// `f + 1`: a majority of the replicas.
    fn quorum(&self) -> usize {
        self.cfg.replicas / 2 + 1
    }

    fn bug(&self, b: Bug) -> bool {
        self.cfg.bug == Some(b)
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.me;
        (0..self.cfg.replicas as u32)
            .map(NodeId)
            .filter(move |p| *p != me)
    }

    /// The name of replica `id`, as the scenario names it.
    pub(super) fn name(&self, id: NodeId) -> &str {
        self.cfg.names.get(id.index()).map_or("?", String::as_str)
    }

    /// The role as narration, the status and the trace name it.
    pub fn role_name(&self) -> &'static str {
        match self.status {
            Status::Recovering => "recovering",
            Status::ViewChange => "view-change",
            Status::Normal if self.is_primary() => "primary",
            Status::Normal => "backup",
        }
    }

    fn set_label(&self, ctx: &mut VCtx<'_>) {
        let (me, role) = (self.name(self.me), self.role_name());
        if self.status == Status::Recovering {
            ctx.set_label(format_args!("{me} {role}"));
        } else {
            ctx.set_label(format_args!("{me} {role} v{}", self.view));
        }
    }

    /// Announce the role through the typed contract and relabel: the primary of a view leads
    /// it (election safety holds VR to one per view, and a fault aimed at `leader` strikes
    /// it); a replica changing views seeks to start the new one; a backup follows.
    fn announce(&self, ctx: &mut VCtx<'_>) {
        let (role, epoch) = (self.role_name(), ViewEpoch(self.view));
        match self.status {
            Status::Normal if self.is_primary() => ctx.leads(role, &epoch),
            Status::ViewChange => ctx.seeks(role, &epoch),
            _ => ctx.role(role, &epoch),
        }
        self.set_label(ctx);
    }

    /// Whether this replica ignores a `what` of `view` from `from`: it is recovering and takes
    /// part in nothing (4.3), or the view is older than its own (4.2).
    fn ignores(&self, ctx: &mut VCtx<'_>, from: NodeId, view: u64, what: &str) -> bool {
        let ignore = self.status == Status::Recovering || view < self.view;
        if ignore {
            ctx.debug(format_args!(
                "ignoring {what} of view {view} from {}",
                self.name(from)
            ));
        }
        ignore
    }

    /// Start leading: no backup has acknowledged anything of this view yet.
    fn reset_acks(&mut self) {
        self.acked.clear();
        self.acked.resize(self.cfg.replicas, 0);
        self.acked[self.me.index()] = self.op();
        self.op_at_tick = self.op();
    }

    /// Replace the log (view change, recovery, state transfer from another view). What the
    /// backups acknowledged was about the old one.
    fn replace_log(&mut self, log: Vec<Request>) {
        self.log = log;
        self.view_log.mark(1);
        self.acked = Vec::new();
        self.generation += 1;
        self.pending.clear();
        self.table.rebuild(&self.log);
    }

    /// Append `req` to the log: it takes the next op-number.
    fn append(&mut self, req: Request) {
        self.log.push(req);
        self.view_log.mark(self.op());
    }

    /// Draw a new view-change deadline from the configured range.
    fn reset_deadline(&mut self, ctx: &mut VCtx<'_>) {
        let (lo, hi) = self.cfg.view_change_timeout;
        let after = Time::micros(ctx.rng().range_inclusive(lo.as_micros(), hi.as_micros()));
        self.deadline = ctx.now() + after;
        if !self.deadline_armed {
            self.deadline_armed = true;
            ctx.set_timer(after, VrTimer::Deadline);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Start, timers, dispatch.

    /// Start: in view 0 with an empty log, or recovering after a crash (4.3).
    pub fn on_start(&mut self, ctx: &mut VCtx<'_>) {
        self.set_label(ctx);
        ctx.set_timer(self.cfg.commit_interval, VrTimer::Tick);
        if self.status == Status::Recovering {
            // The nonce comes from the node's seeded random stream, which the simulator keeps
            // across crashes: each recovery draws a fresh one, and a seed replays the run.
            self.nonce = ctx.rng().next_u64();
            ctx.role("recovering", &"no view");
            ctx.warn(format_args!(
                "restarts with nothing (VR keeps no state on disk): recovering, asks every replica with Recovery, nonce {:016x} (4.3)",
                self.nonce
            ));
            let msg = VrMsg::Recovery { nonce: self.nonce };
            ctx.broadcast(self.peers(), &msg);
            return;
        }
        if self.is_primary() {
            self.reset_acks();
            ctx.leads(self.role_name(), &ViewEpoch(0));
            ctx.info(format_args!(
                "starting in view 0 as its primary (view 0 mod {} = replica {}), empty log",
                self.cfg.replicas,
                self.me.0 + 1
            ));
        } else {
            ctx.info(format_args!(
                "starting in view 0 as a backup of {}, empty log",
                self.name(self.primary_of(0))
            ));
            self.reset_deadline(ctx);
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, ctx: &mut VCtx<'_>, timer: VrTimer) {
        match timer {
            VrTimer::Tick => {
                ctx.set_timer(self.cfg.commit_interval, VrTimer::Tick);
                self.tick(ctx);
            }
            VrTimer::Deadline => {
                self.deadline_armed = false;
                if self.status == Status::Recovering || self.is_primary() {
                    return;
                }
                let now = ctx.now();
                if now < self.deadline {
                    self.deadline_armed = true;
                    ctx.set_timer(self.deadline - now, VrTimer::Deadline);
                    return;
                }
                let next = self.view + 1;
                if self.status == Status::Normal {
                    ctx.warn(format_args!(
                        "no word from its primary {} within the view-change timeout: starts a view change to view {next} (4.2)",
                        self.name(self.primary_of(self.view))
                    ));
                } else {
                    ctx.warn(format_args!(
                        "the view change to view {} did not complete in time: moves on to view {next} (4.2)",
                        self.view
                    ));
                }
                self.start_view_change(ctx, next);
            }
            // A client's timer: a replica sets none.
            VrTimer::Client(_) => {}
        }
    }

    fn tick(&mut self, ctx: &mut VCtx<'_>) {
        match self.status {
            Status::Normal if self.is_primary() => {
                // 4.1, step 6: an idle primary tells the backups the commit-number.
                if !self.sent_since_tick {
                    let msg = VrMsg::Commit {
                        view: self.view,
                        commit: self.commit,
                    };
                    ctx.broadcast(self.peers(), &msg);
                }
                self.sent_since_tick = false;
                // A backup that has not acknowledged an op a commit interval old lost its Prepare (or
                // the PrepareOk was lost): send it the uncommitted ops it lacks again. (Ops up
                // to the commit-number it fetches itself, by state transfer.)
                let old = self.op_at_tick;
                for b in self.peers() {
                    let acked = self.acked.get(b.index()).copied().unwrap_or(0);
                    let from = acked.max(self.commit) + 1;
                    if from <= old {
                        let to = old.min(from + MAX_RESEND - 1);
                        if ctx.log_enabled(Level::Debug) {
                            ctx.debug(format_args!(
                                "{} has not acknowledged {}: sends it again",
                                self.name(b),
                                Ops(from, to)
                            ));
                        }
                        for n in from..=to {
                            self.send_prepare(ctx, b, n);
                        }
                    }
                }
                self.op_at_tick = self.op();
            }
            Status::Normal => {
                // A backup that knows of commits its log lacks fetches them (5.2), and so does
                // one that joined this view by state transfer until the state arrives.
                if self.known_commit > self.op() || self.awaiting_state() {
                    self.ask_state(ctx);
                }
            }
            Status::ViewChange => {
                // Messages may be lost: say again where this replica is in the view change.
                let msg = VrMsg::StartViewChange { view: self.view };
                ctx.broadcast(self.peers(), &msg);
                let p = self.primary_of(self.view);
                if self.dvc_sent && p != self.me {
                    let msg = self.do_view_change_msg();
                    ctx.send(p, msg);
                }
            }
            Status::Recovering => {
                let msg = VrMsg::Recovery { nonce: self.nonce };
                ctx.broadcast(self.peers(), &msg);
            }
        }
    }

    /// A message arrived.
    pub fn on_message(&mut self, ctx: &mut VCtx<'_>, from: NodeId, msg: VrMsg) {
        if from.index() >= self.cfg.replicas && !matches!(msg, VrMsg::Request(_)) {
            ctx.debug(format_args!("ignoring unexpected {msg}"));
            return;
        }
        match msg {
            VrMsg::Request(req) => self.on_request(ctx, req),
            VrMsg::Prepare {
                view,
                op,
                entry,
                commit,
            } => self.on_prepare(ctx, from, view, op, entry, commit),
            VrMsg::PrepareOk { view, op } => self.on_prepare_ok(ctx, from, view, op),
            VrMsg::Commit { view, commit } => self.on_commit(ctx, from, view, commit),
            VrMsg::StartViewChange { view } => self.on_start_view_change(ctx, from, view),
            VrMsg::DoViewChange {
                view,
                log,
                last_normal,
                op: _,
                commit,
            } => self.on_do_view_change(
                ctx,
                from,
                view,
                DoViewChange {
                    log,
                    last_normal,
                    commit,
                },
            ),
            VrMsg::StartView {
                view, log, commit, ..
            } => self.on_start_view(ctx, from, view, log, commit),
            VrMsg::Recovery { nonce } => self.on_recovery(ctx, from, nonce),
            VrMsg::RecoveryResponse { view, nonce, state } => {
                self.on_recovery_response(ctx, from, view, nonce, state)
            }
            VrMsg::GetState { view, op } => self.on_get_state(ctx, from, view, op),
            VrMsg::NewState {
                view,
                after,
                entries,
                commit,
                ..
            } => self.on_new_state(ctx, from, view, after, entries, commit),
            VrMsg::Reply(r) => ctx.debug(format_args!("ignoring unexpected {r}")),
        }
    }
}

impl Process for VrReplica {
    type Msg = VrMsg;
    type Timer = VrTimer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut VCtx<'_>) {
        VrReplica::on_start(self, ctx);
    }

    fn on_message(&mut self, ctx: &mut VCtx<'_>, from: NodeId, msg: VrMsg) {
        VrReplica::on_message(self, ctx, from, msg);
    }

    fn on_timer(&mut self, ctx: &mut VCtx<'_>, timer: VrTimer) {
        VrReplica::on_timer(self, ctx, timer);
    }

    fn durable(&self) -> Durable {
        Durable
    }

    /// The role, the view (none while recovering: the replica does not know it), whether it
    /// acts as the primary, the store, and the op- and commit-numbers for people.
    fn status(&self) -> NodeStatus {
        NodeStatus {
            role: self.role_name().into(),
            epoch: if self.status == Status::Recovering {
                String::new()
            } else {
                format!("view {}", self.view)
            },
            leader: self.is_primary(),
            store: Some(self.store.data().clone()),
            decision: None,
            config: None,
            facts: vec![
                ("op", self.op().to_string()),
                ("commit", self.commit.to_string()),
                ("last normal", format!("view {}", self.last_normal)),
            ],
        }
    }

    fn view(&self, v: &mut StateView) {
        self.report_view(v);
    }

    fn inspect(&self, out: &mut Inspect<'_>) {
        VrReplica::inspect(self, out);
    }

    fn inspect_durable(_: &Durable, out: &mut Inspect<'_>) {
        out.field(
            "kept",
            "nothing: VR keeps no state on disk; on restart the replica recovers it from the others (4.3)",
        );
    }
}
