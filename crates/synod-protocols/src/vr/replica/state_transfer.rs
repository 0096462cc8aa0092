//! State transfer (section 5.2): a replica that lacks ops, or hears from the primary of a view
//! it was not part of, fetches them with `GetState` and `NewState`.

use super::{Ops, Status, VCtx, VrReplica};
use crate::kv::Request;
use crate::vr::msg::VrMsg;
use synod_core::NodeId;

impl VrReplica {
    /// A replica that hears from the primary of a view it is not normal in: ops after its
    /// commit-number may not be in that view's log, so it asks the primary for its log after
    /// the commit-number, and is normal in the view.
    ///
    /// Until `NewState` brings that log, the replica keeps its own log whole and its
    /// last-normal view as they were, and neither appends, acknowledges nor executes anything
    /// of the view (it keeps the view's `Prepare`s): as far as a view change can tell, the
    /// primary's message has not arrived yet. The paper (5.2) truncates the log to the
    /// commit-number at once and takes the view; the `comeback` nemesis found that this loses
    /// committed ops when the view's primary crashes before it answers `GetState`: ops this
    /// replica had acknowledged, committed by the old primary past the commit-number it knew,
    /// are dropped, and the next view change takes the short log, ranked by the new view,
    /// over the logs that still hold them.
    pub(super) fn join_by_state_transfer(
        &mut self,
        ctx: &mut VCtx<'_>,
        primary: NodeId,
        view: u64,
    ) {
        ctx.info(format_args!(
            "hears from {}, primary of view {view}, while {} view {}: asks for its log after op {}, the commit-number (GetState, 5.2)",
            self.name(primary),
            match self.status {
                Status::ViewChange => "changing to",
                _ => "normal in",
            },
            self.view,
            self.commit
        ));
        self.acked = Vec::new();
        self.pending.clear();
        self.view = view;
        self.status = Status::Normal;
        self.known_commit = self.commit;
        self.state_asked = None;
        self.announce(ctx);
        self.ask_state(ctx);
    }

    /// Whether this replica joined its view by state transfer and waits for `NewState`.
    pub(super) fn awaiting_state(&self) -> bool {
        self.status == Status::Normal && self.last_normal < self.view
    }

    /// Send `GetState` to the primary, at most once per commit interval.
    pub(super) fn ask_state(&mut self, ctx: &mut VCtx<'_>) {
        let now = ctx.now();
        if self
            .state_asked
            .is_some_and(|t| now < t + self.cfg.commit_interval)
        {
            return;
        }
        self.state_asked = Some(now);
        let p = self.primary_of(self.view);
        // Joining the view, the log past the commit-number may not be the view's.
        let op = if self.awaiting_state() {
            self.commit
        } else {
            self.op()
        };
        ctx.debug(format_args!(
            "asks {} for the ops after {op} (GetState)",
            self.name(p)
        ));
        ctx.send(
            p,
            VrMsg::GetState {
                view: self.view,
                op,
            },
        );
    }

    /// A replica answers `GetState` only in normal status and in the asker's view.
    pub(super) fn on_get_state(&mut self, ctx: &mut VCtx<'_>, from: NodeId, view: u64, op: u64) {
        if self.status != Status::Normal || view != self.view {
            ctx.debug(format_args!(
                "ignoring GetState of view {view} from {}",
                self.name(from)
            ));
            return;
        }
        let entries = self.log.get(op as usize..).unwrap_or_default().to_vec();
        ctx.send(
            from,
            VrMsg::NewState {
                view,
                after: op,
                entries,
                op: self.op(),
                commit: self.commit,
            },
        );
    }

    /// `NewState`: append the ops this replica lacks, acknowledge them, execute what is
    /// committed.
    pub(super) fn on_new_state(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        after: u64,
        entries: Vec<Request>,
        commit: u64,
    ) {
        if self.status != Status::Normal
            || view != self.view
            || self.is_primary()
            || after > self.op()
        {
            ctx.debug(format_args!(
                "ignoring NewState of view {view} from {}",
                self.name(from)
            ));
            return;
        }
        let joining = self.awaiting_state();
        let before = if joining {
            // Joining the view: the primary's log replaces this one's after the commit-number
            // it asked from (ops up to it are committed, the same in every log).
            let mut log = std::mem::take(&mut self.log);
            self.note_replaced(ctx, &log, after, &entries);
            log.truncate(after as usize);
            let kept = std::mem::take(&mut self.pending);
            self.replace_log(log);
            self.pending = kept;
            self.last_normal = view;
            after
        } else {
            self.op()
        };
        for (k, e) in entries.into_iter().enumerate() {
            if after + 1 + k as u64 > self.op() {
                self.append(e);
                self.prepared_last();
            }
        }
        self.drain_pending();
        self.state_asked = None;
        // Coverage: ops committed while this replica was behind, now in its log.
        let caught = commit.min(self.op());
        if caught > before {
            ctx.catch_up(before + 1, caught);
        }
        if joining {
            ctx.info(format_args!(
                "NewState from {}: its log after op {after} is now the primary's ({}), commit {commit}; normal in view {view}",
                self.name(from),
                if self.op() > before {
                    Ops(before + 1, self.op()).to_string()
                } else {
                    "no ops".to_string()
                }
            ));
        } else if self.op() > before {
            ctx.info(format_args!(
                "NewState from {}: {}, commit {commit}",
                self.name(from),
                Ops(before + 1, self.op())
            ));
        }
        self.learn_commit(ctx, commit);
        ctx.send(
            self.primary_of(view),
            VrMsg::PrepareOk {
                view,
                op: self.op(),
            },
        );
    }

    /// Coverage (what a campaign counts) of a view's log about to replace this replica's (the
    /// one a new primary chose, or `StartView`'s) with commit-number `commit`: what it replaces
    /// past this replica's commit-number, and the committed ops it brings that it lacked.
    pub(super) fn note_view_log(&self, ctx: &mut VCtx<'_>, log: &[Request], commit: u64) {
        let (old_op, len) = (self.op(), log.len() as u64);
        let kept = self.commit.min(len);
        self.note_replaced(ctx, &self.log, kept, &log[kept as usize..]);
        if commit > old_op && len > old_op {
            ctx.catch_up(old_op + 1, commit.min(len));
        }
    }

    /// Coverage (what a campaign counts): the ops of `old` after `from` that `new` (the ops
    /// that replace them, from `from + 1` on) does not hold, discarded uncommitted.
    pub(super) fn note_replaced(
        &self,
        ctx: &mut VCtx<'_>,
        old: &[Request],
        from: u64,
        new: &[Request],
    ) {
        let tail = old.get(from as usize..).unwrap_or_default();
        let same = tail.iter().zip(new).take_while(|(a, b)| a == b).count();
        let dropped = tail.len() - same;
        if dropped > 0 {
            ctx.truncate(from + same as u64 + 1, dropped as u64);
        }
    }
}
