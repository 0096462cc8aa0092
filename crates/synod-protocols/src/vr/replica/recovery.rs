//! Recovery (section 4.3): a replica that restarted with nothing gets its state back from
//! `f + 1` replicas in normal status, one of them the primary of the latest view.

use super::{Answer, Status, VCtx, VrReplica};
use crate::kv::{Request, Store};
use crate::vr::Bug;
use crate::vr::client_table::ClientTable;
use crate::vr::msg::VrMsg;
use synod_core::NodeId;

impl VrReplica {
    /// Step 2: only a replica in normal status answers, and only the primary sends its state.
    pub(super) fn on_recovery(&mut self, ctx: &mut VCtx<'_>, from: NodeId, nonce: u64) {
        let answers = self.status == Status::Normal
            || (self.status == Status::ViewChange && self.bug(Bug::RecoveryAnswerInViewChange));
        if !answers {
            ctx.debug(format_args!(
                "Recovery from {}: does not answer while {} (4.3)",
                self.name(from),
                match self.status {
                    Status::ViewChange => "changing views",
                    _ => "recovering itself",
                }
            ));
            return;
        }
        let primary = self.primary_of(self.view) == self.me;
        if self.is_primary() {
            // The recovering replica lost its log: nothing it acknowledged before counts.
            if let Some(acked) = self.acked.get_mut(from.index()) {
                *acked = 0;
            }
        }
        ctx.info(format_args!(
            "Recovery from {}: answers with view {}{}{}",
            self.name(from),
            self.view,
            if primary {
                format!(" and its state (op {}, commit {})", self.op(), self.commit)
            } else {
                String::new()
            },
            if self.status == Status::ViewChange {
                " (BUG recovery-answer-in-view-change: answers while changing views, a view that has not started)"
            } else {
                ""
            }
        ));
        ctx.send(
            from,
            VrMsg::RecoveryResponse {
                view: self.view,
                nonce,
                state: primary.then(|| (self.log.clone(), self.op(), self.commit)),
            },
        );
        if self.status == Status::Normal && from == self.primary_of(self.view) {
            // The primary of this view restarted with nothing: it will never prepare another
            // op of this view, and it cannot recover until a later view has started. That is
            // the need for a view change of 4.2, step 1, noticed without waiting for the
            // timeout.
            ctx.warn(format_args!(
                "its primary {} is recovering: starts a view change to view {} (4.2)",
                self.name(from),
                self.view + 1
            ));
            self.start_view_change(ctx, self.view + 1);
        }
    }

    /// Step 3: with `f + 1` answers to its nonce, one of them from the primary of the latest
    /// view they name, the replica takes that primary's state and is normal again.
    pub(super) fn on_recovery_response(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        nonce: u64,
        state: Option<(Vec<Request>, u64, u64)>,
    ) {
        if self.status != Status::Recovering || nonce != self.nonce {
            ctx.debug(format_args!(
                "ignoring RecoveryResponse from {} (not for this recovery)",
                self.name(from)
            ));
            return;
        }
        if self.responses.get(&from).is_none_or(|a| view >= a.view) {
            self.responses.insert(
                from,
                Answer {
                    view,
                    state: state.map(|(log, _, k)| (log, k)),
                },
            );
        }
        let answered = self.responses.len();
        if answered < self.quorum() {
            return;
        }
        let latest = self.responses.values().map(|a| a.view).max().unwrap_or(0);
        let p = self.primary_of(latest);
        let from_primary = self
            .responses
            .get(&p)
            .is_some_and(|a| a.view == latest && a.state.is_some());
        let Some(Answer {
            state: Some((log, commit)),
            ..
        }) = from_primary.then(|| self.responses.remove(&p)).flatten()
        else {
            ctx.debug(format_args!(
                "{answered} answers, the latest view {latest}: waits for its primary {}",
                self.name(p)
            ));
            return;
        };
        self.responses.clear();
        self.view = latest;
        self.status = Status::Normal;
        self.last_normal = latest;
        self.store = Store::default();
        self.table = ClientTable::default();
        self.commit = 0;
        self.replace_log(log);
        self.known_commit = commit;
        self.announce(ctx);
        let op = self.op();
        ctx.info(format_args!(
            "{} answers to nonce {:016x}, the latest view {latest} from its primary {}: takes its log of {op} ops, commit {commit}; normal again as a backup (4.3)",
            answered,
            self.nonce,
            self.name(p)
        ));
        self.reset_deadline(ctx);
        self.execute_up_to(ctx, commit);
        if op > self.commit {
            ctx.send(p, VrMsg::PrepareOk { view: latest, op });
        }
    }
}
