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
//!
//! Clients' operations are `put` and `get` on the key `r`; only the put whose value is chosen
//! is ever answered, so the history is checked with synod's KV model (put-if-absent), which on
//! these histories agrees with a plain register. The protocol has no timers: a put that
//! reaches a server busy with another proposal, or a get that reaches an undecided server, is
//! ignored, and under the simulator that client waits forever (the explorer keeps such a
//! message in flight until a server can act on it). docs/protocols/register.md has more.

pub mod client;
pub mod msg;
pub mod server;

pub use client::RegisterClient;
pub use msg::{Ballot, Proposal, RegisterMsg, Value};
pub use server::{Durable, RegisterServer};

use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, client_specs, only_counts, sim_config};
use synod_core::{ClientOp, Ctx, NodeId, NodeStatus, Process};
use synod_sim::{NodeSpec, Sim};

/// The planted bugs of this protocol: none (it is a reference model).
pub const BUGS: &[(&str, &str)] = &[];

/// A node of the register: a server or a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
                let mut st = NodeStatus {
                    role: if s.proposal.is_some() {
                        "leader"
                    } else {
                        "server"
                    }
                    .into(),
                    epoch: format!("ballot {}", s.ballot),
                    leader: s.proposal.is_some() && !s.decided,
                    facts: Vec::new(),
                };
                st.facts.push((
                    "decided",
                    match (s.decided, s.accepted) {
                        (true, Some((_, p))) => format!("{:?}", p.value),
                        _ => "-".into(),
                    },
                ));
                st
            }
            RegisterNode::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, _ctx: &mut Ctx<'_, RegisterMsg, ()>, _op: ClientOp) -> bool {
        false
    }
}

/// How a register cluster is laid out: `servers` servers named `n1..`, then the clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Number of servers (nodes `0..servers`).
    pub servers: u32,
    /// Number of clients (the nodes after the servers).
    pub clients: u32,
    /// The node specs, servers first.
    pub specs: Vec<NodeSpec>,
}

impl Layout {
    /// Node `id` as it starts: fresh, or a server restarted from its durable state.
    pub fn node(&self, id: NodeId, durable: Option<Durable>) -> RegisterNode {
        if id.0 < self.servers {
            RegisterNode::Server(RegisterServer::new(id, self.servers, durable))
        } else {
            RegisterNode::Client(RegisterClient::new(id, self.servers))
        }
    }
}

/// The layout a scenario asks for: `cluster.nodes` servers (default 3) and `cluster.clients`
/// clients (default 2, as Stateright's example checks by default).
pub fn layout(s: &Scenario) -> Result<Layout, ScenarioError> {
    only_counts(s, &["nodes", "clients"])?;
    if let Some(bug) = &s.bug {
        return Err(s.error(
            None,
            format!("protocol register has no planted bugs (asked for `{bug}`)"),
        ));
    }
    let servers = s.cluster.nodes.unwrap_or(3);
    let clients = s.cluster.clients.unwrap_or(2);
    if clients > 26 {
        return Err(s.error(
            None,
            format!("key `cluster.clients`: the register has one letter per client, at most 26, got {clients}"),
        ));
    }
    let mut specs: Vec<NodeSpec> = (1..=servers)
        .map(|i| NodeSpec {
            name: format!("n{i}"),
            role: "server".into(),
            client: false,
        })
        .collect();
    specs.extend(client_specs(clients));
    Ok(Layout {
        servers,
        clients,
        specs,
    })
}

/// The register system a scenario describes.
pub fn system(s: &Scenario) -> Result<System, ScenarioError> {
    let layout = layout(s)?;
    let names: Vec<String> = layout.specs.iter().map(|n| n.name.clone()).collect();
    let faults = s.resolve_faults(&names)?;
    let servers = (0..layout.servers).map(NodeId).collect();
    let build = layout.clone();
    let mut sim = Sim::<RegisterNode>::new(
        sim_config(s),
        layout.specs,
        Box::new(move |id, durable| build.node(id, durable.flatten())),
    );
    sim.seed_handlers_from_state();
    for f in faults {
        sim.schedule(f);
    }
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}
