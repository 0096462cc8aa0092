//! Raft as the registry lists it: the scenario keys it takes, and the system it builds
//! (servers `n1`..`nN` or the names given, then the clients).

use super::{BUGS, Bug, RaftChecker, RaftConfig, RaftNode, RaftServer};
use crate::kv::{self, Workload};
use crate::protocol::Protocol;
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, sim_config};
use std::rc::Rc;
use synod_core::{NodeId, Time};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// Raft, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "raft",
    summary: "Raft replicated KV: elections with randomized timeouts, heartbeats, log replication, persistence (the default)",
    docs: "docs/protocols/raft.md",
    bugs: BUGS,
    checks: &[
        "log matching",
        "leader append-only",
        "leader completeness",
        "state machine safety",
    ],
    counts: &[
        ("nodes", "servers (default 5)"),
        ("clients", "clients (default 3)"),
        ("names", "the servers' names, in order (default n1..nN)"),
    ],
    build,
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
    let names: Vec<String> = match (&s.cluster.names, s.cluster.nodes) {
        (Some(names), Some(n)) if names.len() != n as usize => {
            return Err(s.error(
                None,
                format!(
                    "key `cluster.names` lists {} names but `cluster.nodes` is {n}",
                    names.len()
                ),
            ));
        }
        (Some(names), _) => names.clone(),
        (None, n) => (1..=n.unwrap_or(5)).map(|i| format!("n{i}")).collect(),
    };
    if names.is_empty() {
        return Err(s.error(None, "raft needs at least one node (`cluster.nodes` >= 1)"));
    }
    let t = &s.timing;
    let election = t
        .election_timeout_ms
        .map_or((Time::ms(150), Time::ms(300)), |r| r.times());
    if election.0 > election.1 {
        return Err(s.error(
            None,
            "key `timing.election_timeout_ms`: min is greater than max",
        ));
    }
    if election.0 == Time::ZERO {
        return Err(s.error(None, "key `timing.election_timeout_ms`: min must be > 0"));
    }
    let heartbeat = t.heartbeat_ms.map_or(Time::ms(50), Time::ms_f64);
    if heartbeat >= election.0 {
        return Err(s.error(
            None,
            format!(
                "key `timing.heartbeat_ms`: the heartbeat interval ({heartbeat}) must be below the election timeout's minimum ({}), or followers start elections under a live leader",
                election.0
            ),
        ));
    }
    let max_entries = match t.max_append_entries {
        None => 64,
        Some(n) if (1..=1_000_000).contains(&n) => n as usize,
        Some(n) => {
            return Err(s.error(
                None,
                format!("key `timing.max_append_entries`: must be between 1 and 1000000, got {n}"),
            ));
        }
    };
    let cfg = RaftConfig {
        servers: names.len(),
        election_timeout: election,
        heartbeat,
        max_entries,
        bug,
    };
    let servers = (0..names.len() as u32).map(NodeId).collect();
    let clients = s.cluster.clients.unwrap_or(3);
    let sim = simulation(
        sim_config(s),
        cfg,
        specs(&names),
        clients,
        s.workload.clone(),
        true,
    );
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}

/// The node specs of a Raft system's servers, named `names`.
pub fn specs(names: &[String]) -> Vec<NodeSpec> {
    names
        .iter()
        .map(|n| NodeSpec {
            name: n.clone(),
            role: "server".into(),
            client: false,
        })
        .collect()
}

/// A simulation of a Raft system: the servers `servers` (as many as `cfg.servers`), then
/// `clients` clients. With `checks`, the live Figure 3 checks that read the servers' logs are
/// installed (log matching, leader append-only, leader completeness, state machine safety of
/// committed entries).
pub fn simulation(
    sim: SimConfig,
    cfg: RaftConfig,
    servers: Vec<NodeSpec>,
    clients: u32,
    workload: Workload,
    checks: bool,
) -> Sim<RaftNode> {
    let cfg = Rc::new(cfg);
    let n = cfg.servers;
    let contacts: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let mut s = kv::simulation(
        sim,
        servers,
        clients,
        contacts,
        workload,
        move |id, durable| RaftServer::new(cfg.clone(), id, durable),
    );
    if checks {
        let mut checker = RaftChecker::new(n);
        s.set_state_check(Box::new(move |nodes| checker.check(nodes)));
    }
    s
}
