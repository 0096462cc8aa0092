//! # The Paxos register (Stateright's model)
//!
//! Single-decree Paxos serving a register to clients, modelled as in the Paxos example of
//! Stateright (a model checker for Rust actors): servers `0..N` run Paxos with one ballot per
//! client put, clients `N..` each put a value and then read the register. It exists for an
//! honest side-by-side with Stateright (docs/explore.md): `synod explore register` searches
//! the same state space, and must find the same number of states.
//!
//! - [`msg`]: ballots, proposals and the messages (put/get and their answers; Prepare,
//!   Prepared, Accept, Accepted, Decided).
//! - [`server`]: a server, acceptor of every ballot and leader of its own.
//! - [`client`]: a client that puts, then gets.
//! - [`build`]: the scenario keys it takes and the system it builds ([`PROTOCOL`]).
//! - [`explore`]: how `synod explore` searches it.
//!
//! Clients' operations are `put` and `get` on the key `r`; only the put whose value is chosen
//! is ever answered, so the history is checked with synod's KV model (put-if-absent), which on
//! these histories agrees with a plain register. The protocol has no timers: a put that
//! reaches a server busy with another proposal, or a get that reaches an undecided server, is
//! ignored, and under the simulator that client waits forever (the explorer keeps such a
//! message in flight until a server can act on it). That is why its descriptor marks it a
//! reference model. docs/protocols/register.md has more.

pub mod build;
pub mod client;
pub mod explore;
pub mod msg;
pub mod server;

pub use build::{Layout, PROTOCOL, layout};
pub use client::RegisterClient;
pub use msg::{Ballot, Proposal, RegisterMsg, Value};
pub use server::{Durable, RegisterServer};

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use synod_core::{ClientOp, Ctx, Decision, NodeId, NodeStatus, Process};

/// The names of a run's nodes, by id, for narration. Every node of a run holds the same, so
/// they are equal whatever they hold and hash to nothing: two states of the explorer differ
/// only in what the nodes did.
#[derive(Clone, Default)]
pub struct Names(pub Arc<[String]>);

impl Names {
    /// The name of node `id` (`node 7` if it has none).
    pub fn of(&self, id: NodeId) -> String {
        self.0
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| format!("node {id}"))
    }
}

impl PartialEq for Names {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Names {}

impl Hash for Names {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl fmt::Debug for Names {
    /// Left out of `inspect`: the REPL names the node already.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

/// A node of the register: a server or a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
// A handful of nodes per run: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum RegisterNode {
    /// A Paxos server.
    Server(RegisterServer),
    /// A client that puts, then gets.
    Client(RegisterClient),
}

impl Process for RegisterNode {
    type Msg = RegisterMsg;
    type Timer = ();
    type Durable = Option<Durable>;

    fn on_start(&mut self, ctx: &mut Ctx<'_, RegisterMsg, ()>) {
        match self {
            RegisterNode::Server(s) => ctx.debug(format_args!(
                "server up: ballot {}, {}",
                s.ballot,
                if s.decided { "decided" } else { "undecided" }
            )),
            RegisterNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, RegisterMsg, ()>, from: NodeId, msg: RegisterMsg) {
        match self {
            RegisterNode::Server(s) => s.on_message(ctx, from, msg),
            RegisterNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, RegisterMsg, ()>, _timer: ()) {}

    fn durable(&self) -> Option<Durable> {
        match self {
            RegisterNode::Server(s) => Some(s.durable()),
            RegisterNode::Client(_) => None,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            RegisterNode::Server(s) => {
                let decision = match (s.decided, s.accepted) {
                    (true, Some((_, p))) => Decision::Decided(p.value.to_string()),
                    _ => Decision::Pending,
                };
                NodeStatus {
                    role: if s.proposal.is_some() {
                        "leader"
                    } else {
                        "server"
                    }
                    .into(),
                    epoch: format!("ballot {}", s.ballot),
                    leader: s.proposal.is_some() && !s.decided,
                    facts: vec![("decided", decision.to_string())],
                    decision: Some(decision),
                    config: None,
                    ..NodeStatus::default()
                }
            }
            RegisterNode::Client(c) => c.status(),
        }
    }

    /// The register's clients take no requests from outside: each puts, then gets.
    fn on_client_request(&mut self, _ctx: &mut Ctx<'_, RegisterMsg, ()>, _op: ClientOp) -> bool {
        false
    }
}
