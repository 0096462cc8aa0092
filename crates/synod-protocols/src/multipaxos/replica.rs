//! The replica: a learner that keeps its own copy of the store. It applies chosen commands in
//! slot order, and when a leader's heartbeat shows it is behind (a lost decision, a crash) it
//! asks for the slots it misses instead of stalling on the gap.

use super::learner::Learner;
use super::types::{Bug, Config, Msg, Name, Slot, Timer};
use crate::kv::Reply;
use std::sync::Arc;
use synod_core::{Ctx, NodeId, NodeStatus};

/// A replica. Its state is volatile: after a crash it catches up from the leader.
#[derive(Clone, Debug)]
pub struct Replica {
    cfg: Arc<Config>,
    learner: Learner,
    leader: Option<NodeId>,
    /// The `chosen up to` of the previous heartbeat (see `maybe_catch_up`).
    chosen_hint: Slot,
}

impl Replica {
    /// A replica with an empty store.
    pub fn new(cfg: Arc<Config>) -> Replica {
        let out_of_order = cfg.bug == Some(Bug::ReplicaOutOfOrder);
        Replica {
            learner: Learner::new(
                out_of_order,
                cfg.bug == Some(Bug::ApplyRetryTwice),
                cfg.first_client(),
            ),
            cfg,
            leader: None,
            chosen_hint: 0,
        }
    }

    /// What it learned: the chosen slots and its store.
    pub fn learner(&self) -> &Learner {
        &self.learner
    }

    /// The leader it last heard a heartbeat from.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The node starts (or restarts, empty).
    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        ctx.info(format_args!(
            "starting with an empty store; learning from {} leader(s)",
            self.cfg.leaders.len()
        ));
    }

    /// A message arrives.
    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Decision { slot, entry } => {
                if self.learner.learn(ctx, slot, entry) {
                    self.learner.apply_ready(ctx, |_, _, _| {});
                }
            }
            Msg::Decisions { entries } => {
                let n = entries.len();
                let mut new = 0;
                for (slot, entry) in entries {
                    new += usize::from(self.learner.learn(ctx, slot, entry));
                }
                if new > 0 {
                    ctx.info(format_args!(
                        "caught up on {new} of {n} slot(s) from {}",
                        Name(&self.cfg, from)
                    ));
                }
                self.learner.apply_ready(ctx, |_, _, _| {});
            }
            Msg::Heartbeat { chosen, .. } => {
                self.leader = Some(from);
                self.maybe_catch_up(ctx, from, chosen);
            }
            Msg::Request(req) => ctx.send(
                from,
                Msg::Reply(Reply::NotLeader {
                    req_id: req.req_id,
                    leader: self.leader,
                }),
            ),
            other => ctx.debug(format_args!("ignoring unexpected {other}")),
        }
    }

    /// Ask for missing slots when the *previous* heartbeat already reported them chosen: a
    /// heartbeat interval is ample time for their decisions to arrive, so what is still
    /// missing was lost (or this replica crashed), and waiting one beat avoids asking for
    /// decisions that are merely still in flight.
    fn maybe_catch_up(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, leader: NodeId, chosen: Slot) {
        let prefix = self.learner.prefix();
        if prefix < self.chosen_hint {
            ctx.info(format_args!(
                "behind: slots up to {} are chosen, I know up to {prefix}; asking {} for slot {} on",
                self.chosen_hint,
                Name(&self.cfg, leader),
                prefix + 1
            ));
            ctx.catch_up(prefix + 1, self.chosen_hint);
            ctx.send(leader, Msg::CatchUp { from: prefix + 1 });
        }
        self.chosen_hint = chosen;
    }

    /// What a status display shows.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "replica".into(),
            epoch: String::new(),
            leader: false,
            facts: vec![("applied", self.learner.applied().to_string())],
            store: Some(self.learner.store().data().clone()),
            decision: None,
            config: None,
        }
    }
}
