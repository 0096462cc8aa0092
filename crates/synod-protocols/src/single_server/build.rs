//! From a scenario to the single-server system: one node named `server`, then the clients
//! `client 1`..`client N`, who all send to the server.

use super::Server;
use crate::kv;
use crate::protocol::{Campaign, Protocol, no_rules};
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, sim_config};
use synod_core::NodeId;
use synod_sim::NodeSpec;

/// The single-server store, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "kv",
    summary: "the single-server store, the baseline every replicated store must behave like",
    docs: "",
    bugs: &[],
    checks: &[],
    settings: &[kv::CLIENT_SETTINGS],
    validate: no_rules,
    faults: &[],
    campaign: Campaign::DEFAULT,
    legend: &[(
        "PUT \"a\" = \"v\" -> OK",
        "a command and the store's answer (a value, OK or ERROR ...)",
    )],
    build,
    reference_model: false,
    explore: None,
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let server = NodeSpec {
        name: "server".into(),
        role: "server".into(),
        client: false,
    };
    let sim = kv::simulation(
        sim_config(s),
        vec![server],
        s.settings.count(&kv::CLIENTS) as u32,
        vec![NodeId(0)],
        kv::workload(&s.settings),
        |_, durable| Server {
            durable: durable.unwrap_or_default(),
        },
    );
    Ok(System::new(sim, vec![NodeId(0)]))
}
