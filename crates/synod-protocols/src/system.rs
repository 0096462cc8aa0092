//! From a scenario to a runnable system: the protocol's processes laid out as nodes, the fault
//! schedule resolved against their names, and the live checks attached. This is the only place
//! where protocols are wired to the simulator.

use crate::kv::{KvClient, KvNode, KvServer};
use crate::paxos::{self, PaxosNode};
use crate::raft;
use crate::scenario::{Scenario, ScenarioError};
use std::sync::Arc;
use synod_core::{NodeId, Time};
use synod_sim::{NodeSpec, Sim, SimConfig, Simulation};

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

/// Reject counts the protocol has no use for, so a typo'd scenario does not silently run
/// something else.
pub(crate) fn only_counts(s: &Scenario, allowed: &[&str]) -> Result<(), ScenarioError> {
    let c = &s.cluster;
    let given = [
        ("nodes", c.nodes.is_some()),
        ("clients", c.clients.is_some()),
        ("acceptors", c.acceptors.is_some()),
        ("leaders", c.leaders.is_some()),
        ("replicas", c.replicas.is_some()),
        ("proposers", c.proposers.is_some()),
        ("learners", c.learners.is_some()),
        ("names", c.names.is_some()),
        ("values", c.values.is_some()),
    ];
    for (key, set) in given {
        if set && !allowed.contains(&key) {
            return Err(s.error(
                None,
                format!(
                    "key `cluster.{key}` does not apply to protocol {} (it takes: {})",
                    s.protocol,
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Client specs named `client 1` .. `client N`.
pub fn client_specs(n: u32) -> Vec<NodeSpec> {
    (1..=n)
        .map(|i| NodeSpec {
            name: format!("client {i}"),
            role: "client".into(),
            client: true,
        })
        .collect()
}

fn kv(s: &Scenario) -> Result<System, ScenarioError> {
    only_counts(s, &["clients"])?;
    if s.bug.is_some() {
        return Err(s.error(None, "protocol kv has no planted bugs"));
    }
    let clients = s.cluster.clients.unwrap_or(3);
    let mut specs = vec![NodeSpec {
        name: "server".into(),
        role: "server".into(),
        client: false,
    }];
    specs.extend(client_specs(clients));
    let faults = s.resolve_faults(&specs.iter().map(|n| n.name.clone()).collect::<Vec<_>>())?;
    let workload = s.workload.clone();
    let server = NodeId(0);
    let mut sim = Sim::<KvNode>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| {
            if id == server {
                KvNode::Server(KvServer {
                    durable: durable.flatten().unwrap_or_default(),
                })
            } else {
                KvNode::Client(
                    KvClient::new(workload.clone(), vec![server]).with_names(vec!["server".into()]),
                )
            }
        }),
    );
    for f in faults {
        sim.schedule(f);
    }
    Ok(System {
        sim: Box::new(sim),
        servers: vec![server],
    })
}

fn paxos(s: &Scenario) -> Result<System, ScenarioError> {
    only_counts(
        s,
        &[
            "nodes",
            "proposers",
            "acceptors",
            "learners",
            "names",
            "values",
        ],
    )?;
    let cfg = Arc::new(paxos::layout(s)?);
    let specs = cfg.specs();
    let faults = s.resolve_faults(&cfg.names)?;
    let servers = (0..specs.len() as u32).map(NodeId).collect();
    let check = paxos::check::validity(cfg.candidates(), cfg.names.clone());
    let shared = cfg.clone();
    let mut sim = Sim::<PaxosNode>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| PaxosNode::new(shared.clone(), id, durable)),
    );
    sim.set_state_check(Box::new(check));
    sim.seed_handlers_from_state();
    for f in faults {
        sim.schedule(f);
    }
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}

fn raft(s: &Scenario) -> Result<System, ScenarioError> {
    only_counts(s, &["nodes", "clients", "names"])?;
    let bug = match &s.bug {
        Some(b) => Some(raft::Bug::parse(b).map_err(|m| s.error(None, m))?),
        None => None,
    };
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
    let cfg = raft::RaftConfig {
        servers: names.len(),
        election_timeout: election,
        heartbeat,
        max_entries,
        bug,
    };
    let specs = raft::specs(&names, s.cluster.clients.unwrap_or(3));
    let faults = s.resolve_faults(&specs.iter().map(|n| n.name.clone()).collect::<Vec<_>>())?;
    let servers = (0..names.len() as u32).map(NodeId).collect();
    let mut sim = raft::simulation(sim_config(s), cfg, specs, s.workload.clone(), true);
    for f in faults {
        sim.schedule(f);
    }
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}

/// Multi-Paxos KV: `acceptor 1..`, `leader 1..`, `replica 1..`, then `client 1..`. Clients
/// know the leaders (first contact: `leader 1`). The servers whose stores must converge are
/// the leaders and the replicas: standby leaders learn every chosen slot too, so that they can
/// take over with an up-to-date store.
fn multipaxos(s: &Scenario) -> Result<System, ScenarioError> {
    use crate::multipaxos::{self as mp, Durable, Node};
    use std::sync::Arc;
    use synod_core::Time;
    only_counts(s, &["acceptors", "leaders", "replicas", "clients"])?;
    let bug = match s.bug.as_deref() {
        None => None,
        Some(name) => Some(mp::Bug::from_name(name).ok_or_else(|| {
            let valid: Vec<&str> = mp::BUGS.iter().map(|(n, _)| *n).collect();
            s.error(
                None,
                format!(
                    "unknown bug `{name}` for protocol multipaxos (valid: {})",
                    valid.join(", ")
                ),
            )
        })?),
    };
    let c = &s.cluster;
    let count = |v: Option<u32>, default: u32, what: &str| -> Result<u32, ScenarioError> {
        match v.unwrap_or(default) {
            0 => Err(s.error(
                None,
                format!("key `cluster.{what}`: multipaxos needs at least one, got 0"),
            )),
            n => Ok(n),
        }
    };
    let n_acc = count(c.acceptors, 3, "acceptors")?;
    let n_lead = count(c.leaders, 1, "leaders")?;
    let n_rep = count(c.replicas, 2, "replicas")?;
    let n_cli = c.clients.unwrap_or(3);
    let t = &s.timing;
    let window = match t.window {
        None => 10,
        Some(w) if (1..=1_000_000).contains(&w) => w as usize,
        Some(w) => {
            return Err(s.error(
                None,
                format!(
                    "key `timing.window`: the slots a leader keeps in flight must be between 1 and 1000000, got {w}"
                ),
            ));
        }
    };
    let heartbeat = Time::ms_f64(t.heartbeat_ms.unwrap_or(50.0));
    let leader_timeout = t
        .leader_timeout_ms
        .map_or((Time::ms(150), Time::ms(300)), |r| r.times());
    if leader_timeout.1 <= heartbeat {
        return Err(s.error(
            None,
            format!(
                "key `timing.leader_timeout_ms`: must exceed the heartbeat ({heartbeat}), or standbys take over from a healthy leader"
            ),
        ));
    }
    let mut specs = Vec::new();
    let ids = |n: u32, role: &str, specs: &mut Vec<NodeSpec>| -> Vec<NodeId> {
        (1..=n)
            .map(|i| {
                specs.push(NodeSpec {
                    name: format!("{role} {i}"),
                    role: role.into(),
                    client: false,
                });
                NodeId(specs.len() as u32 - 1)
            })
            .collect()
    };
    let acceptors = ids(n_acc, "acceptor", &mut specs);
    let leaders = ids(n_lead, "leader", &mut specs);
    let replicas = ids(n_rep, "replica", &mut specs);
    specs.extend(client_specs(n_cli));
    let faults = s.resolve_faults(&specs.iter().map(|n| n.name.clone()).collect::<Vec<_>>())?;
    let cfg = Arc::new(mp::Config {
        acceptors: acceptors.clone(),
        leaders: leaders.clone(),
        replicas: replicas.clone(),
        window,
        heartbeat,
        leader_timeout,
        catch_up_batch: 64,
        bug,
    });
    let workload = s.workload.clone();
    let names: Vec<String> = specs.iter().map(|sp| sp.name.clone()).collect();
    let first_replica = n_acc + n_lead;
    let first_client = first_replica + n_rep;
    let mut sim = Sim::<Node>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| {
            let i = id.0;
            if i < n_acc {
                match durable {
                    Some(Durable::Acceptor(a)) => Node::Acceptor(a),
                    _ => Node::Acceptor(mp::Acceptor::default()),
                }
            } else if i < first_replica {
                let d = match durable {
                    Some(Durable::Leader(d)) => Some(d),
                    _ => None,
                };
                Node::Leader(Box::new(mp::Leader::new(cfg.clone(), i - n_acc + 1, d)))
            } else if i < first_client {
                Node::Replica(mp::Replica::new(cfg.clone()))
            } else {
                Node::Client(
                    KvClient::new(workload.clone(), cfg.leaders.clone()).with_names(names.clone()),
                )
            }
        }),
    );
    for f in faults {
        sim.schedule(f);
    }
    let mut servers = leaders;
    servers.extend(replicas);
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}

/// Build the system a scenario describes.
pub fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let mut system = build_protocol(s)?;
    let names: Vec<String> = system.sim.specs().iter().map(|n| n.name.clone()).collect();
    for (at, client, op) in s.resolve_requests(&names)? {
        system.sim.schedule_request(at, client, op);
    }
    if !s.schedule.is_empty() {
        system.sim.set_schedule(s.resolve_schedule(&names)?);
    }
    Ok(system)
}

fn build_protocol(s: &Scenario) -> Result<System, ScenarioError> {
    match s.protocol.as_str() {
        "kv" => kv(s),
        "paxos" => paxos(s),
        "raft" => raft(s),
        "multipaxos" => multipaxos(s),
        "register" => crate::register::system(s),
        other => Err(s.error(None, format!("protocol `{other}` is not available"))),
    }
}
