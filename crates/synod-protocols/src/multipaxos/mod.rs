//! # Multi-Paxos replicated KV
//!
//! A key-value store replicated with Multi-Paxos that clients use exactly like the
//! single-server store ([`crate::kv`]): same operations, same results, same error strings. It
//! grows from a Gleam emulation (3 acceptors, 2 replicas, 1 leader, clients issuing 5 random
//! requests) and keeps its shape and narration, without its limits: standby leaders take over
//! when the leader fails, Phase 2 is pipelined, and replicas catch up on what they missed.
//!
//! Roles, one file each:
//! - [`acceptor`]: promises and accepts; all its state is durable.
//! - [`leader`]: proposer + learner + state machine; serves clients; Phase 1 once per ballot
//!   for all slots, Phase 2 per slot with a window of slots in flight; heartbeats, failover.
//! - [`replica`]: applies chosen commands in slot order to its own store, catches up on gaps.
//! - [`learner`]: the log and the store, shared by leaders and replicas.
//!
//! Nodes are laid out `acceptor 1..`, `leader 1..`, `replica 1..`, then `client 1..`
//! ([`build`], which also lists the scenario keys it takes).
//! docs/protocols/multipaxos.md maps the code to Paxos Made Simple.

pub mod acceptor;
pub mod build;
pub mod leader;
pub mod learner;
pub mod replica;
pub mod types;

#[cfg(test)]
mod tests;

pub use acceptor::Acceptor;
pub use build::PROTOCOL;
pub use leader::{Leader, LeaderDurable, Mode};
pub use replica::Replica;
pub use types::{BUGS, Ballot, Bug, Config, Entry, Epoch, Msg, Slot, Timer};

use crate::kv::KvClient;
use synod_core::{ClientOp, Ctx, NodeId, NodeStatus, Process};

/// A node of a Multi-Paxos KV cluster.
#[derive(Clone, Debug)]
pub enum Node {
    /// An acceptor.
    Acceptor(Acceptor),
    /// A leader (active or standby).
    Leader(Box<Leader>),
    /// A replica.
    Replica(Replica),
    /// A client (the shared KV workload).
    Client(KvClient),
}

/// What a node keeps across a crash.
#[derive(Clone, Debug)]
pub enum Durable {
    /// An acceptor keeps everything: its promise and what it accepted.
    Acceptor(Acceptor),
    /// A leader keeps the highest round it used.
    Leader(LeaderDurable),
    /// Replicas and clients keep nothing (replicas catch up from the leader).
    Nothing,
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        match self {
            Node::Acceptor(a) if a.promised == Ballot::ZERO => {
                ctx.info(format_args!("starting: nothing promised or accepted yet"))
            }
            Node::Acceptor(a) => ctx.info(format_args!(
                "starting from disk: promised ballot {}, {} slot(s) accepted",
                a.promised,
                a.accepted.iter().filter(|x| x.is_some()).count()
            )),
            Node::Leader(l) => l.on_start(ctx),
            Node::Replica(r) => r.on_start(ctx),
            Node::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match self {
            Node::Acceptor(a) => match msg {
                Msg::Prepare { ballot, from_slot } => {
                    a.handle_prepare(ctx, from, ballot, from_slot)
                }
                Msg::Accept {
                    ballot,
                    slot,
                    entry,
                } => a.handle_accept(ctx, from, ballot, slot, entry),
                other => ctx.debug(format_args!("ignoring unexpected {other}")),
            },
            Node::Leader(l) => l.on_message(ctx, from, msg),
            Node::Replica(r) => r.on_message(ctx, from, msg),
            Node::Client(c) => match msg {
                Msg::Reply(reply) => c.on_reply(ctx, from, reply),
                other => ctx.debug(format_args!("ignoring unexpected {other}")),
            },
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, timer: Timer) {
        match (self, timer) {
            (Node::Client(c), Timer::Client(t)) => c.on_timer(ctx, t),
            (Node::Leader(l), t) => l.on_timer(ctx, t),
            _ => {}
        }
    }

    fn durable(&self) -> Durable {
        match self {
            Node::Acceptor(a) => Durable::Acceptor(a.clone()),
            Node::Leader(l) => Durable::Leader(l.durable()),
            Node::Replica(_) | Node::Client(_) => Durable::Nothing,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            Node::Acceptor(a) => a.status(),
            Node::Leader(l) => l.status(),
            Node::Replica(r) => r.status(),
            Node::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, op: ClientOp) -> bool {
        match self {
            Node::Client(c) => c.request(ctx, &op),
            _ => false,
        }
    }
}
