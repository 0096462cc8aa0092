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
    /// What looks wrong in the scenario without being an error ([`Scenario::warnings`]), for
    /// the command line to print.
    pub warnings: Vec<ScenarioError>,
}

impl System {
    /// A system of `sim` whose stores must converge at `servers` (none for a protocol without
    /// a store): what a protocol's builder returns.
    pub fn new(sim: impl Simulation + 'static, servers: Vec<NodeId>) -> System {
        System {
            sim: Box::new(sim),
            servers,
            warnings: Vec::new(),
        }
    }
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
/// scenario's `[[fault]]`s and `[[request]]`s are scheduled against the node names, and its
/// `[[note]]`s to be shown at their times; its `schedule`, if any, replaces the clock.
pub fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let mut system = (s.protocol.build)(s)?;
    let names: Vec<String> = system.sim.specs().iter().map(|n| n.name.clone()).collect();
    // One name, one node: a server named like a client would take the client's faults.
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        let line = s
            .protocol
            .setting("cluster.names")
            .and_then(|k| s.settings.line(k));
        return Err(s.error(
            line,
            format!(
                "key `cluster.names`: `{}` would name two nodes, a server and a client (clients are `client 1`..`client N`); pick another name",
                w[0]
            ),
        ));
    }
    system.warnings = s.warnings(system.sim.specs());
    for f in s.resolve_faults(&names)? {
        system.sim.schedule(f);
    }
    for (at, client, op) in s.resolve_requests(&names)? {
        system.sim.schedule_request(at, client, op);
    }
    for n in &s.notes {
        system.sim.schedule_note(n.at, n.text.clone());
    }
    if !s.schedule.is_empty() {
        system.sim.set_schedule(s.resolve_schedule(&names)?);
    }
    Ok(system)
}
