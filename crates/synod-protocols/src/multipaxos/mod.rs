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
//! - [`observer`]: the narration of the moment each slot is chosen.
//! - `view`: the state `synod view` draws (slot tables, stores).
//!
//! Nodes are laid out `acceptor 1..`, `leader 1..`, `replica 1..`, then `client 1..`
//! ([`build`], which also lists the scenario keys it takes).
//! docs/protocols/multipaxos.md maps the code to Paxos Made Simple.

pub mod acceptor;
pub mod build;
pub mod leader;
pub mod learner;
pub mod observer;
pub mod replica;
pub mod types;
mod view;

#[cfg(test)]
mod tests;

pub use acceptor::Acceptor;
pub use build::PROTOCOL;
pub use leader::{Leader, LeaderDurable, Mode};
pub use replica::Replica;
pub use types::{BUGS, Ballot, Bug, Config, Entry, Epoch, Msg, Slot, Timer};

use crate::kv::KvNode;
use synod_core::inspect::Inspect;
use synod_core::view::StateView;
use synod_core::{Ctx, NodeId, NodeStatus, Process};

/// A server of a Multi-Paxos KV cluster: an acceptor, a leader or a replica.
#[derive(Clone, Debug)]
pub enum Server {
    /// An acceptor.
    Acceptor(Acceptor),
    /// A leader (active or standby).
    Leader(Box<Leader>),
    /// A replica.
    Replica(Replica),
}

/// A node of a Multi-Paxos KV cluster: a server, or a client (the shared KV workload).
pub type Node = KvNode<Server>;

/// What a server keeps across a crash.
#[derive(Clone, Debug)]
pub enum Durable {
    /// An acceptor keeps everything: its promise and what it accepted.
    Acceptor(Acceptor),
    /// A leader keeps the highest round it used.
    Leader(LeaderDurable),
    /// Replicas keep nothing (they catch up from the leader).
    Nothing,
}

impl Process for Server {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        match self {
            Server::Acceptor(a) if a.promised == Ballot::ZERO => {
                ctx.info(format_args!("starting: nothing promised or accepted yet"))
            }
            Server::Acceptor(a) => ctx.info(format_args!(
                "starting from disk: promised ballot {}, {} slot(s) accepted",
                a.promised,
                a.accepted.iter().filter(|x| x.is_some()).count()
            )),
            Server::Leader(l) => l.on_start(ctx),
            Server::Replica(r) => r.on_start(ctx),
        }
    }

    // Inlined into the simulator's dispatch: the message is then moved once, not once per
    // layer (node, server, role), on every delivery.
    #[inline(always)]
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match self {
            Server::Acceptor(a) => match msg {
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
            Server::Leader(l) => l.on_message(ctx, from, msg),
            Server::Replica(r) => r.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, timer: Timer) {
        if let Server::Leader(l) = self {
            l.on_timer(ctx, timer);
        }
    }

    fn durable(&self) -> Durable {
        match self {
            Server::Acceptor(a) => Durable::Acceptor(a.clone()),
            Server::Leader(l) => Durable::Leader(l.durable()),
            Server::Replica(_) => Durable::Nothing,
        }
    }

    fn view(&self, v: &mut StateView) {
        Server::view(self, v);
    }

    fn inspect(&self, out: &mut Inspect<'_>) {
        Server::inspect(self, out);
    }

    fn inspect_durable(d: &Durable, out: &mut Inspect<'_>) {
        view::inspect_durable(d, out);
    }

    fn status(&self) -> NodeStatus {
        match self {
            Server::Acceptor(a) => a.status(),
            Server::Leader(l) => l.status(),
            Server::Replica(r) => r.status(),
        }
    }
}
