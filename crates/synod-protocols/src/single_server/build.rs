//! From a scenario to the single-server system: one node named `server`, then the clients
//! `client 1`..`client N`, who all send to the server.

use super::{Node, Server};
use crate::kv::{KvClient, client_specs};
use crate::protocol::Protocol;
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, sim_config};
use synod_core::NodeId;
use synod_sim::{NodeSpec, Sim};

/// The single-server store, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "kv",
    summary: "the single-server store, the baseline every replicated store must behave like",
    docs: "",
    bugs: &[],
    checks: &[],
    counts: &[("clients", "clients (default 3)")],
    build,
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let clients = s.cluster.clients.unwrap_or(3);
    let mut specs = vec![NodeSpec {
        name: "server".into(),
        role: "server".into(),
        client: false,
    }];
    specs.extend(client_specs(clients));
    let workload = s.workload.clone();
    let server = NodeId(0);
    let sim = Sim::<Node>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| {
            if id == server {
                Node::Server(Server {
                    durable: durable.flatten().unwrap_or_default(),
                })
            } else {
                Node::Client(
                    KvClient::new(workload.clone(), vec![server]).with_names(vec!["server".into()]),
                )
            }
        }),
    );
    Ok(System {
        sim: Box::new(sim),
        servers: vec![server],
    })
}
