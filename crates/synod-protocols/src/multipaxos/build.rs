//! Multi-Paxos KV as the registry lists it: the scenario keys it takes, and the system it
//! builds: `acceptor 1..`, `leader 1..`, `replica 1..`, then `client 1..`. Clients know the
//! leaders (first contact: `leader 1`). The servers whose stores must converge are the leaders
//! and the replicas: standby leaders learn every chosen slot too, so that they can take over
//! with an up-to-date store.

use super::{Acceptor, BUGS, Bug, Config, Durable, Leader, Replica, Server};
use crate::kv;
use crate::protocol::Protocol;
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, sim_config};
use std::sync::Arc;
use synod_core::{NodeId, Time};
use synod_sim::NodeSpec;

/// Multi-Paxos KV, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "multipaxos",
    summary: "Multi-Paxos replicated KV: acceptors, leaders (with standbys) and replicas",
    docs: "docs/protocols/multipaxos.md",
    bugs: BUGS,
    checks: &[],
    counts: &[
        ("acceptors", "acceptors (default 3)"),
        (
            "leaders",
            "leaders: one active, the others standbys (default 1)",
        ),
        ("replicas", "replicas (default 2)"),
        ("clients", "clients (default 3)"),
    ],
    build,
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
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
    let cfg = Arc::new(Config {
        acceptors: acceptors.clone(),
        leaders: leaders.clone(),
        replicas: replicas.clone(),
        window,
        heartbeat,
        leader_timeout,
        catch_up_batch: 64,
        bug,
    });
    let first_replica = n_acc + n_lead;
    let sim = kv::simulation(
        sim_config(s),
        specs,
        n_cli,
        leaders.clone(),
        s.workload.clone(),
        move |id, durable| {
            let i = id.0;
            if i < n_acc {
                match durable {
                    Some(Durable::Acceptor(a)) => Server::Acceptor(a),
                    _ => Server::Acceptor(Acceptor::default()),
                }
            } else if i < first_replica {
                let d = match durable {
                    Some(Durable::Leader(d)) => Some(d),
                    _ => None,
                };
                Server::Leader(Box::new(Leader::new(cfg.clone(), i - n_acc + 1, d)))
            } else {
                Server::Replica(Replica::new(cfg.clone()))
            }
        },
    );
    let mut servers = leaders;
    servers.extend(replicas);
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}
