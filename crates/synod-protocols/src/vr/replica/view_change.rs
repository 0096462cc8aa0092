//! View changes (section 4.2): `StartViewChange`, `DoViewChange`, `StartView`; the new
//! primary takes the log with the largest last-normal view, then the largest op-number.

use super::{DoViewChange, Status, VCtx, VrReplica};
use crate::kv::Request;
use crate::vr::Bug;
use crate::vr::msg::VrMsg;
use synod_core::{Level, NodeId};

impl VrReplica {
    /// Step 1: move to `view` with status view-change and tell every replica.
    pub(super) fn start_view_change(&mut self, ctx: &mut VCtx<'_>, view: u64) {
        self.view = view;
        self.status = Status::ViewChange;
        self.svc_from.clear();
        self.dvc.clear();
        self.dvc_sent = false;
        self.acked = Vec::new();
        self.pending.clear();
        self.state_asked = None;
        self.announce(ctx);
        let msg = VrMsg::StartViewChange { view };
        ctx.broadcast(self.peers(), &msg);
        self.reset_deadline(ctx);
        self.maybe_send_do_view_change(ctx);
    }

    /// Step 1 also: a `StartViewChange` (or `DoViewChange`) of a later view makes a replica
    /// join that view change. Returns whether the message is for the view change this
    /// replica is in now.
    pub(super) fn join_view_change(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        what: &str,
    ) -> bool {
        if self.ignores(ctx, from, view, what) {
            return false;
        }
        if view > self.view {
            ctx.info(format_args!(
                "{what} for view {view} from {}: joins the view change (4.2)",
                self.name(from)
            ));
            self.start_view_change(ctx, view);
            return true;
        }
        if self.status == Status::Normal {
            // The view started, and the sender missed its StartView: the primary says it again.
            if self.is_primary() {
                ctx.debug(format_args!(
                    "{what} of view {view} from {}, which started: sends StartView again",
                    self.name(from)
                ));
                let msg = self.start_view_msg();
                ctx.send(from, msg);
            }
            return false;
        }
        true
    }

    pub(super) fn on_start_view_change(&mut self, ctx: &mut VCtx<'_>, from: NodeId, view: u64) {
        if self.join_view_change(ctx, from, view, "StartViewChange") {
            self.svc_from.insert(from);
            self.maybe_send_do_view_change(ctx);
        }
    }

    pub(super) fn do_view_change_msg(&self) -> VrMsg {
        VrMsg::DoViewChange {
            view: self.view,
            log: self.log.clone(),
            last_normal: self.last_normal,
            op: self.op(),
            commit: self.commit,
        }
    }

    pub(super) fn start_view_msg(&self) -> VrMsg {
        VrMsg::StartView {
            view: self.view,
            log: self.log.clone(),
            op: self.op(),
            commit: self.commit,
        }
    }

    /// Step 2: with `StartViewChange` from `f` others, send `DoViewChange` (the log, the last
    /// normal view, the op- and commit-numbers) to the primary of the new view.
    pub(super) fn maybe_send_do_view_change(&mut self, ctx: &mut VCtx<'_>) {
        if self.status != Status::ViewChange || self.dvc_sent {
            return;
        }
        let others = self.svc_from.iter().filter(|&&j| j != self.me).count();
        if others + 1 < self.quorum() {
            return;
        }
        self.dvc_sent = true;
        let p = self.primary_of(self.view);
        if ctx.log_enabled(Level::Info) {
            ctx.info(format_args!(
                "StartViewChange from {others} others: DoViewChange to {}, the primary of view {} (last normal view {}, op {}, commit {})",
                if p == self.me {
                    "itself".to_string()
                } else {
                    self.name(p).to_string()
                },
                self.view,
                self.last_normal,
                self.op(),
                self.commit
            ));
        }
        if p == self.me {
            self.dvc.insert(
                self.me,
                DoViewChange {
                    log: self.log.clone(),
                    last_normal: self.last_normal,
                    commit: self.commit,
                },
            );
            self.maybe_start_view(ctx);
        } else {
            ctx.vote(p, &self.view);
            let msg = self.do_view_change_msg();
            ctx.send(p, msg);
        }
    }

    /// Step 3: the new primary collects `DoViewChange` messages.
    pub(super) fn on_do_view_change(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        dvc: DoViewChange,
    ) {
        if !self.join_view_change(ctx, from, view, "DoViewChange") {
            return;
        }
        // The sender is in this view change too: it counts as its StartViewChange.
        self.svc_from.insert(from);
        if self.primary_of(view) == self.me {
            self.dvc.insert(from, dvc);
        }
        self.maybe_send_do_view_change(ctx);
        self.maybe_start_view(ctx);
    }

    /// Step 3, continued: with `f + 1` `DoViewChange` messages (its own among them) the new
    /// primary takes the log of the one with the largest last-normal view, and among those
    /// the largest op-number; the commit-number is the largest received. Then steps 4 and 5:
    /// it is normal, sends `StartView`, and executes the committed ops it had not.
    pub(super) fn maybe_start_view(&mut self, ctx: &mut VCtx<'_>) {
        let me = self.me;
        if self.status != Status::ViewChange
            || self.primary_of(self.view) != me
            || !self.dvc.contains_key(&me)
            || self.dvc.len() < self.quorum()
        {
            return;
        }
        let ignore_views = self.bug(Bug::IgnoreLastNormalView);
        let key = |d: &DoViewChange| {
            let last_normal = if ignore_views { 0 } else { d.last_normal };
            (last_normal, d.log.len())
        };
        // The first of the best in replica order (equal keys mean equal logs).
        let mut best = me;
        let mut best_key = None;
        for (&j, d) in &self.dvc {
            if best_key.is_none_or(|k| key(d) > k) {
                best = j;
                best_key = Some(key(d));
            }
        }
        let commit = self.dvc.values().map(|d| d.commit).max().unwrap_or(0);
        let senders: Vec<NodeId> = self.dvc.keys().copied().collect();
        let Some(chosen) = self.dvc.remove(&best) else {
            return;
        };
        if ctx.log_enabled(Level::Info) {
            let senders: Vec<String> = senders.iter().map(|&j| self.name(j).to_string()).collect();
            ctx.info(format_args!(
                "DoViewChange from {}: takes {} (last normal view {}, op {}), commit {commit}{}",
                senders.join(", "),
                if best == me {
                    "its own log".to_string()
                } else {
                    format!("the log of {}", self.name(best))
                },
                chosen.last_normal,
                chosen.log.len(),
                if ignore_views {
                    " (BUG ignore-last-normal-view: last normal views not compared, the longest log wins)"
                } else {
                    ""
                }
            ));
        }
        self.dvc.clear();
        self.note_view_log(ctx, &chosen.log, commit);
        self.replace_log(chosen.log);
        self.status = Status::Normal;
        self.last_normal = self.view;
        self.known_commit = commit;
        let op = self.op();
        self.reset_acks();
        self.announce(ctx);
        ctx.info(format_args!(
            "primary of view {}: sends StartView (op {op}, commit {}) and takes requests",
            self.view,
            commit.max(self.commit)
        ));
        self.execute_up_to(ctx, commit);
        let msg = self.start_view_msg();
        ctx.broadcast(self.peers(), &msg);
        self.sent_since_tick = true;
        self.maybe_commit(ctx);
    }

    /// Step 5: a replica takes the new view's log from `StartView`, executes what is
    /// committed, and acknowledges the ops that are not yet committed with `PrepareOk`.
    pub(super) fn on_start_view(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        log: Vec<Request>,
        commit: u64,
    ) {
        let stale = self.status == Status::Recovering
            || view < self.view
            || from != self.primary_of(view)
            || (view == self.view
                && self.status == Status::Normal
                && !self.awaiting_state()
                && (self.is_primary() || log.len() <= self.log.len()));
        if stale {
            ctx.debug(format_args!(
                "ignoring StartView of view {view} from {}",
                self.name(from)
            ));
            return;
        }
        self.view = view;
        self.status = Status::Normal;
        self.last_normal = view;
        self.state_asked = None;
        self.note_view_log(ctx, &log, commit);
        self.replace_log(log);
        self.known_commit = commit.max(self.commit);
        self.announce(ctx);
        let op = self.op();
        ctx.info(format_args!(
            "StartView from {}: view {view}, log of {op} ops, commit {commit}; normal as a backup",
            self.name(from)
        ));
        self.reset_deadline(ctx);
        self.execute_up_to(ctx, self.known_commit);
        if op > self.commit {
            ctx.send(from, VrMsg::PrepareOk { view, op });
        }
    }
}
