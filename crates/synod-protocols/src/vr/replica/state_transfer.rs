//! State transfer (section 5.2): a replica that lacks ops, or hears from the primary of a view
//! it was not part of, fetches them with `GetState` and `NewState`.

use super::{Ops, Status, VCtx, VrReplica};
use crate::kv::Request;
use crate::vr::msg::VrMsg;
use synod_core::NodeId;

impl VrReplica {
    /// A replica that hears from the primary of a view it is not normal in: ops after its
    /// commit-number may not be in that view's log, so it keeps the committed prefix (which
    /// every later view's log starts with), is normal in the view, and asks for the rest.
    pub(super) fn join_by_state_transfer(
        &mut self,
        ctx: &mut VCtx<'_>,
        primary: NodeId,
        view: u64,
    ) {
        ctx.info(format_args!(
            "hears from {}, primary of view {view}, while {} view {}: keeps its {} committed ops and asks for the rest (GetState, 5.2)",
            self.name(primary),
            match self.status {
                Status::ViewChange => "changing to",
                _ => "normal in",
            },
            self.view,
            self.commit
        ));
        let mut log = std::mem::take(&mut self.log);
        log.truncate(self.commit as usize);
        self.replace_log(log);
        self.view = view;
        self.status = Status::Normal;
        self.last_normal = view;
        self.known_commit = self.commit;
        self.state_asked = None;
        self.announce(ctx);
        self.ask_state(ctx);
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
        ctx.debug(format_args!(
            "asks {} for the ops after {} (GetState)",
            self.name(p),
            self.op()
        ));
        ctx.send(
            p,
            VrMsg::GetState {
                view: self.view,
                op: self.op(),
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
        let before = self.op();
        for (k, e) in entries.into_iter().enumerate() {
            if after + 1 + k as u64 > self.op() {
                self.append(e);
                self.prepared_last();
            }
        }
        self.drain_pending();
        self.state_asked = None;
        if self.op() > before {
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
}
