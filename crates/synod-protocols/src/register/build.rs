//! The register as the registry lists it: the scenario keys it takes and the system it builds
//! (servers `n1`..`nN`, then the clients).

use super::{Names, RegisterClient, RegisterNode, RegisterServer};
use crate::kv::client_specs;
use crate::protocol::{Campaign, Protocol, no_rules};
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{Kind, Setting};
use crate::system::{System, sim_config};
use synod_core::NodeId;
use synod_sim::{NodeSpec, Sim};

/// `cluster.nodes`.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: 9,
        why_max: "a reference model for the explorer: its state space grows far beyond what can be searched long before",
    },
    doc: "servers `n1`..`nN`",
};

/// `cluster.clients`.
pub const CLIENTS: Setting = Setting {
    key: "cluster.clients",
    kind: Kind::Count {
        default: 2,
        min: 1,
        max: 26,
        why_max: "each client puts its own letter, `A` to `Z`",
    },
    doc: "clients `client 1`.., each putting its letter (`A`, `B`, ...) then reading",
};

/// The register, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "register",
    summary: "single-decree Paxos serving a register: Stateright's Paxos model, for `synod explore`'s side-by-side",
    docs: "docs/protocols/register.md",
    bugs: &[],
    checks: &[],
    settings: &[&[NODES, CLIENTS]],
    validate: no_rules,
    faults: &[],
    campaign: Campaign::DEFAULT,
    legend: &[
        (
            "1.0",
            "ballot 1.0: round 1 led by the server of node id 0, n1 (the higher round wins, then the higher id)",
        ),
        (
            "#3",
            "request 3: a client's put is its node id, its get twice that",
        ),
        (
            "'A'",
            "a value: each client puts its own letter (client 1 `A`, client 2 `B`, ...)",
        ),
        (
            "p1a, p1b",
            "Phase 1: Prepare(ballot), and the Prepared that reports what was accepted",
        ),
        (
            "p2a, p2b",
            "Phase 2: Accept(ballot, proposal), and Accepted; then Decided to the others",
        ),
    ],
    build,
    reference_model: true,
    explore: Some(super::explore::EXPLORE),
};

/// How a register cluster is laid out: `servers` servers named `n1..`, then the clients.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Number of servers (nodes `0..servers`).
    pub servers: u32,
    /// The node specs, servers first.
    pub specs: Vec<NodeSpec>,
    /// Every node's name, by id.
    pub names: Names,
}

impl Layout {
    /// Node `id` as it starts: fresh, or a server restarted from its durable state.
    pub fn node(&self, id: NodeId, durable: Option<super::Durable>) -> RegisterNode {
        if id.0 < self.servers {
            RegisterNode::Server(RegisterServer::new(
                id,
                self.servers,
                self.names.clone(),
                durable,
            ))
        } else {
            RegisterNode::Client(RegisterClient::new(id, self.servers, self.names.clone()))
        }
    }
}

/// The layout a scenario asks for: `cluster.nodes` servers and `cluster.clients` clients.
pub fn layout(s: &Scenario) -> Result<Layout, ScenarioError> {
    let servers = s.settings.count(&NODES) as u32;
    let mut specs: Vec<NodeSpec> = (1..=servers)
        .map(|i| NodeSpec {
            name: format!("n{i}"),
            role: "server".into(),
            client: false,
        })
        .collect();
    specs.extend(client_specs(s.settings.count(&CLIENTS) as u32));
    let names = Names(specs.iter().map(|n| n.name.clone()).collect());
    Ok(Layout {
        servers,
        specs,
        names,
    })
}

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let layout = layout(s)?;
    let servers = (0..layout.servers).map(NodeId).collect();
    let nodes = layout.clone();
    let mut sim = Sim::<RegisterNode>::new(
        sim_config(s),
        layout.specs,
        Box::new(move |id, durable| nodes.node(id, durable.flatten())),
    );
    // Under a schedule (an explorer's counterexample), handlers draw as the explorer did (the
    // register draws nothing, but a schedule's replay is the same for every protocol).
    sim.seed_handlers_from_state();
    Ok(System::new(sim, servers))
}
