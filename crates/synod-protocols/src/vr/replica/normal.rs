//! Normal operation (section 4.1): the primary orders requests with op-numbers, backups
//! append them strictly in order, and an op prepared on `f + 1` replicas is committed and
//! executed.

use super::{MAX_PENDING, Ops, Status, VCtx, VrReplica};
use crate::kv::{Reply, Request};
use crate::vr::Bug;
use crate::vr::client_table::Admission;
use crate::vr::msg::VrMsg;
use synod_core::{Level, NodeId};

impl VrReplica {
    /// Steps 1-3: only the primary takes requests; it consults the client table, gives a new
    /// request the next op-number and sends `Prepare` to the backups.
    pub(super) fn on_request(&mut self, ctx: &mut VCtx<'_>, req: Request) {
        if !self.is_primary() {
            // The client learns the primary from the view-number, as in the paper's replies.
            let primary = (self.status == Status::Normal).then(|| self.primary_of(self.view));
            if ctx.log_enabled(Level::Debug) {
                ctx.debug(format_args!(
                    "{req} from a client, but not the primary: hints {}",
                    primary.map_or("nobody".to_string(), |p| self.name(p).to_string())
                ));
            }
            ctx.send(
                req.client,
                VrMsg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: primary,
                }),
            );
            return;
        }
        // The planted bug takes every request for a new one, and says so where the table
        // knew it (`ignored`: the op-number holding it).
        let (admission, ignored) = if self.bug(Bug::NoClientTable) {
            (Admission::New, self.table.holds(&req))
        } else {
            (self.table.admit(&mut self.store, &req, self.commit), None)
        };
        match admission {
            Admission::Stale => {
                ctx.debug(format_args!(
                    "{req}: older than the client's latest, dropped"
                ));
            }
            Admission::InLog(op) => {
                ctx.debug(format_args!(
                    "{req} again: already op {op}, waiting for it to commit"
                ));
                // Coverage (what a campaign counts): a retry recognized, not executed again.
                ctx.dedup(req.client, req.req_id);
            }
            Admission::Executed(result) => {
                ctx.info(format_args!(
                    "{req} again: executed already, answers {result} from the client table"
                ));
                ctx.dedup(req.client, req.req_id);
                ctx.send(
                    req.client,
                    VrMsg::Reply(Reply::Done {
                        req_id: req.req_id,
                        result,
                    }),
                );
            }
            Admission::New => {
                self.append(req);
                let op = self.op();
                if let Some(req) = self.log.last() {
                    self.table.prepared(req, op);
                    if ctx.log_enabled(Level::Info) {
                        let bug = match ignored {
                            Some(was) => format!(
                                " (BUG no-client-table: a retry, the client table holds it as op {was}; it will be executed again)"
                            ),
                            None => String::new(),
                        };
                        ctx.info(format_args!(
                            "op {op}: {}, sends Prepare to the backups{bug}",
                            req.cmd
                        ));
                    }
                }
                for b in self.peers() {
                    self.send_prepare(ctx, b, op);
                }
                self.sent_since_tick = true;
                self.maybe_commit(ctx);
            }
        }
    }

    pub(super) fn send_prepare(&self, ctx: &mut VCtx<'_>, to: NodeId, op: u64) {
        if let Some(entry) = self.log.get(op as usize - 1) {
            ctx.send(
                to,
                VrMsg::Prepare {
                    view: self.view,
                    op,
                    entry: entry.clone(),
                    commit: self.commit,
                },
            );
        }
    }

    /// Step 4: a backup appends ops strictly in order (a later one waits for the earlier
    /// ones) and acknowledges with `PrepareOk`.
    pub(super) fn on_prepare(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        op: u64,
        entry: Request,
        commit: u64,
    ) {
        if !self.accept_from_primary(ctx, from, view, "Prepare") {
            return;
        }
        if self.awaiting_state() {
            // Joined this view by state transfer and still waiting for `NewState`: its log past
            // the commit-number may not be the view's, so it keeps the op until the state
            // arrives (see `join_by_state_transfer`).
            if self.pending.len() < MAX_PENDING {
                self.pending.insert(op, entry);
            }
            ctx.debug(format_args!(
                "Prepare op {op}: keeps it until the state it asked for arrives (joined view {} by state transfer)",
                self.view
            ));
            self.learn_commit(ctx, commit);
            self.ask_state(ctx);
            return;
        }
        let last = self.op();
        if op <= last {
            // A duplicate, or a resend after a lost PrepareOk: acknowledge again.
            ctx.debug(format_args!(
                "Prepare op {op} again: holds it, PrepareOk up to {last}"
            ));
        } else if op == last + 1 || self.bug(Bug::PrepareOutOfOrder) {
            // (The planted bug appends an early op at once, in the place of a missing one.)
            self.append(entry);
            self.prepared_last();
            let at = self.op();
            let added = self.drain_pending();
            if ctx.log_enabled(Level::Info) {
                if let Some(e) = self.log.get(at as usize - 1) {
                    let more = match added {
                        0 => String::new(),
                        1 => format!(", then op {} that came early", at + 1),
                        _ => format!(", then ops {}..{} that came early", at + 1, at + added),
                    };
                    let misplaced = if at == op {
                        String::new()
                    } else {
                        let missing = if at + 1 == op {
                            format!("op {at}")
                        } else {
                            format!("ops {at}..{}", op - 1)
                        };
                        format!(
                            " appended as op {at} (BUG prepare-out-of-order: {missing} missing, not waited for)"
                        )
                    };
                    ctx.info(format_args!(
                        "Prepare from {}: op {op}: {}{misplaced}{more}; PrepareOk",
                        self.name(from),
                        e.cmd
                    ));
                }
            }
        } else {
            if self.pending.len() < MAX_PENDING {
                self.pending.insert(op, entry);
            }
            ctx.debug(format_args!(
                "Prepare op {op} before op {}: keeps it until the earlier ones arrive",
                last + 1
            ));
            self.learn_commit(ctx, commit);
            return;
        }
        ctx.send(
            from,
            VrMsg::PrepareOk {
                view: self.view,
                op: self.op(),
            },
        );
        self.learn_commit(ctx, commit);
    }

    /// Record the client-table entry of the op just appended.
    pub(super) fn prepared_last(&mut self) {
        let op = self.op();
        if let Some(req) = self.log.last() {
            self.table.prepared(req, op);
        }
    }

    /// Append the kept `Prepare`s that now follow the log; returns how many.
    pub(super) fn drain_pending(&mut self) -> u64 {
        let mut added = 0;
        while let Some(e) = self.pending.remove(&(self.op() + 1)) {
            self.append(e);
            self.prepared_last();
            added += 1;
        }
        let op = self.op();
        self.pending.retain(|n, _| *n > op);
        added
    }

    /// Shared checks of a message from a primary (`Prepare`, `Commit`): it must come from the
    /// primary of a view at least as recent as this replica's. A primary of a later view, or
    /// of this view while this replica still changes views, means that view started without
    /// this replica: it joins by state transfer (5.2). Returns whether to go on.
    pub(super) fn accept_from_primary(
        &mut self,
        ctx: &mut VCtx<'_>,
        from: NodeId,
        view: u64,
        what: &str,
    ) -> bool {
        if self.ignores(ctx, from, view, what) {
            return false;
        }
        if from != self.primary_of(view) {
            ctx.warn(format_args!(
                "{what} of view {view} from {}, which is not its primary: ignored",
                self.name(from)
            ));
            return false;
        }
        if view > self.view || self.status == Status::ViewChange {
            self.join_by_state_transfer(ctx, from, view);
        }
        self.reset_deadline(ctx);
        true
    }

    /// Step 5: the primary counts `PrepareOk`s; an op prepared on `f + 1` replicas (itself
    /// included) is committed, with every earlier op.
    pub(super) fn on_prepare_ok(&mut self, ctx: &mut VCtx<'_>, from: NodeId, view: u64, op: u64) {
        if !self.is_primary() || view != self.view {
            ctx.debug(format_args!(
                "ignoring PrepareOk of view {view} from {}",
                self.name(from)
            ));
            return;
        }
        let op = op.min(self.op());
        if let Some(acked) = self.acked.get_mut(from.index()) {
            if op > *acked {
                *acked = op;
                self.maybe_commit(ctx);
            }
        }
    }

    /// Commit the highest op a quorum holds, and execute up to it.
    pub(super) fn maybe_commit(&mut self, ctx: &mut VCtx<'_>) {
        if self.acked.len() != self.cfg.replicas {
            self.reset_acks();
        }
        let me = self.me.index();
        self.acked[me] = self.op();
        let mut acked = self.acked.clone();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        let n = acked[self.quorum() - 1];
        if n <= self.commit {
            return;
        }
        if ctx.log_enabled(Level::Info) {
            let on = self.acked.iter().filter(|a| **a >= n).count();
            ctx.info(format_args!(
                "{} prepared on {on}/{}: committed",
                Ops(self.commit + 1, n),
                self.cfg.replicas
            ));
        }
        self.execute_up_to(ctx, n);
    }

    /// Steps 5 and 7: execute the committed ops in order; the primary replies to the clients
    /// and records the results in the client table.
    pub(super) fn execute_up_to(&mut self, ctx: &mut VCtx<'_>, k: u64) {
        let k = k.min(self.op());
        if k <= self.commit {
            return;
        }
        let primary = self.is_primary();
        let first = self.commit + 1;
        while self.commit < k {
            let n = self.commit + 1;
            let Some(req) = self.log.get(n as usize - 1) else {
                break;
            };
            let result = if self.bug(Bug::NoClientTable) {
                self.store.apply(&req.cmd)
            } else {
                self.table.execute(&mut self.store, req)
            };
            self.commit = n;
            ctx.apply(n, &req.cmd, &result);
            if primary {
                if ctx.log_enabled(Level::Info) {
                    ctx.info(format_args!(
                        "executes op {n}: {} -> {result}, replies to the client",
                        req.cmd
                    ));
                }
                ctx.send(
                    req.client,
                    VrMsg::Reply(Reply::Done {
                        req_id: req.req_id,
                        result,
                    }),
                );
            }
        }
        ctx.commit(self.commit);
        if !primary && ctx.log_enabled(Level::Info) {
            ctx.info(format_args!(
                "commit-number {}: executes {}",
                self.commit,
                Ops(first, self.commit)
            ));
        }
    }

    /// Step 7: a backup learns the commit-number and executes what it holds up to it.
    pub(super) fn learn_commit(&mut self, ctx: &mut VCtx<'_>, commit: u64) {
        self.known_commit = self.known_commit.max(commit);
        // Joining a view by state transfer, the log past the commit-number may not be the
        // view's: nothing more is executed until the view's log arrives.
        if !self.awaiting_state() {
            self.execute_up_to(ctx, self.known_commit);
        }
    }

    /// Step 6's `Commit`, at a backup.
    pub(super) fn on_commit(&mut self, ctx: &mut VCtx<'_>, from: NodeId, view: u64, commit: u64) {
        if !self.accept_from_primary(ctx, from, view, "Commit") {
            return;
        }
        ctx.debug(format_args!(
            "Commit from {}: commit-number {commit}",
            self.name(from)
        ));
        self.learn_commit(ctx, commit);
        if self.known_commit > self.op() && !self.pending.contains_key(&(self.op() + 1)) {
            self.ask_state(ctx);
        }
    }
}
