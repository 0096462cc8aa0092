//! A system: a scenario built into a simulation. Each protocol's builder (its `build.rs`,
//! named by its [`crate::protocol::Protocol`] descriptor) lays out its processes; this module
//! holds what every builder shares.

use crate::scenario::{Scenario, ScenarioError};
use synod_core::NodeId;
use synod_sim::{SimConfig, Simulation};

/// A system ready to run.
pub struct System {
    /// The simulation.
    pub sim: Box<dyn Simulation>,
    /// The servers whose stores must converge (replicas, Raft nodes, the single server).
    pub servers: Vec<NodeId>,
}

/// The simulator configuration a scenario asks for.
pub fn sim_config(s: &Scenario) -> SimConfig {
    SimConfig {
        seed: s.seed,
        net: s.net.clone(),
        until: s.until,
        settle: s.settle,
    }
}

/// Build the system a scenario describes: its protocol's builder lays out the nodes, then the
/// scenario's `[[fault]]`s and `[[request]]`s are scheduled against the node names.
pub fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let mut system = (s.protocol.build)(s)?;
    let names: Vec<String> = system.sim.specs().iter().map(|n| n.name.clone()).collect();
    for f in s.resolve_faults(&names)? {
        system.sim.schedule(f);
    }
    for (at, client, op) in s.resolve_requests(&names)? {
        system.sim.schedule_request(at, client, op);
    }
    Ok(system)
}
