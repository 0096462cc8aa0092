//! Multi-Paxos KV as the registry lists it: the scenario keys it takes, and the system it
//! builds: `acceptor 1..`, `leader 1..`, `replica 1..`, then `client 1..`. Clients know the
//! leaders (first contact: `leader 1`). The servers whose stores must converge are the leaders
//! and the replicas: standby leaders learn every chosen slot too, so that they can take over
//! with an up-to-date store.

use super::observer::SlotObserver;
use super::{Acceptor, BUGS, Bug, Config, Durable, Leader, Replica, Server};
use crate::kv;
use crate::nemesis::{Draw, Nemesis};
use crate::protocol::{Campaign, Protocol};
use crate::scenario::{FaultAction, Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings, Value};
use crate::system::{System, sim_config};
use std::sync::Arc;
use synod_core::{NodeId, Time};
use synod_sim::NodeSpec;

/// The most servers of one role: every leader sends each slot to every acceptor and learner,
/// and the runs of thousands of servers are too slow to be useful.
pub const MAX_PER_ROLE: u64 = 100;

const WHY_MAX: &str =
    "every slot goes to every acceptor, leader and replica: the work grows with the count";

/// `cluster.acceptors`.
pub const ACCEPTORS: Setting = Setting {
    key: "cluster.acceptors",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: MAX_PER_ROLE,
        why_max: WHY_MAX,
    },
    doc: "acceptors (`acceptor 1`..)",
};

/// `cluster.leaders`.
pub const LEADERS: Setting = Setting {
    key: "cluster.leaders",
    kind: Kind::Count {
        default: 1,
        min: 1,
        max: MAX_PER_ROLE,
        why_max: WHY_MAX,
    },
    doc: "leaders: one active, the others standbys (`leader 1`..)",
};

/// `cluster.replicas`.
pub const REPLICAS: Setting = Setting {
    key: "cluster.replicas",
    kind: Kind::Count {
        default: 2,
        min: 1,
        max: MAX_PER_ROLE,
        why_max: WHY_MAX,
    },
    doc: "replicas (`replica 1`..)",
};

/// `timing.window`.
pub const WINDOW: Setting = Setting {
    key: "timing.window",
    kind: Kind::Count {
        default: 10,
        min: 1,
        max: 1_000_000,
        why_max: "a limit against typos",
    },
    doc: "the slots a leader keeps in flight at once",
};

/// `timing.heartbeat_ms`.
pub const HEARTBEAT: Setting = Setting {
    key: "timing.heartbeat_ms",
    kind: Kind::Ms { default: 50.0 },
    doc: "the active leader's heartbeat (and retransmission) interval",
};

/// `timing.leader_timeout_ms`.
pub const LEADER_TIMEOUT: Setting = Setting {
    key: "timing.leader_timeout_ms",
    kind: Kind::RangeMs {
        default: (150.0, 300.0),
    },
    doc: "a standby's randomized leader-failure timeout; its max above the heartbeat",
};

/// Multi-Paxos's own keys.
pub const SETTINGS: &[Setting] = &[
    ACCEPTORS,
    LEADERS,
    REPLICAS,
    WINDOW,
    HEARTBEAT,
    LEADER_TIMEOUT,
];

/// Multi-Paxos KV, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "multipaxos",
    summary: "Multi-Paxos replicated KV: acceptors, leaders (with standbys) and replicas",
    docs: "docs/protocols/multipaxos.md",
    bugs: BUGS,
    checks: &[],
    settings: &[SETTINGS, kv::CLIENT_SETTINGS],
    validate,
    faults: &[],
    campaign: Campaign {
        prepare: with_standby,
        // Measured against the swarm and other mixes on every Multi-Paxos bug
        // (docs/checking.md, "Choosing the default"): two leaders at once (`split-leaders`)
        // is when a promise must stop the old one, and an acceptor that ignores it is caught;
        // bursts of loss make clients retry, at the other leader too. Five seconds of it with
        // twenty faults meet every planted bug on most seeds.
        nemesis: "split-leaders,isolate-leader,loss",
        window: Time::ms(5_000),
        intensity: 20,
        nemeses: &[SPLIT_LEADERS],
        vary,
        ..Campaign::DEFAULT
    },
    legend: &[
        (
            "1.2",
            "ballot 1.2: round 1 of leader 2 (the higher round wins, then the higher leader)",
        ),
        (
            "slot 3",
            "position 3 of the replicated log: one Paxos instance, one command",
        ),
        (
            "2/3 accepted",
            "2 of the 3 acceptors accepted the slot's command: a majority, so it is chosen",
        ),
    ],
    build,
    reference_model: false,
    explore: None,
};

/// The `split-leaders` nemesis: the active leader is cut off from the standby leaders, and
/// only from them, for 200-800 ms. The acceptors, replicas and clients still reach both sides
/// (they are Jepsen's bridge), so a standby stops hearing heartbeats and takes over while the
/// old leader, which has heard of no higher ballot, still proposes and answers: two leaders at
/// once, the duel that Paxos's promises exist to settle.
pub const SPLIT_LEADERS: Nemesis = Nemesis {
    name: "split-leaders",
    doc: "the leader is cut off from the standby leaders (only from them) for 200-800 ms: a standby takes over while the old leader still proposes and answers",
    draw: split_leaders,
    spares: 0,
};

fn split_leaders(d: &mut Draw<'_>) {
    let standbys: Vec<String> = d
        .servers
        .iter()
        .filter(|n| n.starts_with("leader "))
        .cloned()
        .collect();
    if standbys.len() < 2 {
        return;
    }
    let at = d.at();
    let lasts = d.past_an_election(at);
    d.push(
        at,
        FaultAction::Partition(vec![vec!["leader".into()], standbys]),
        Some(lasts),
    );
}

/// Multi-Paxos's share of a campaign's configuration swarm ([`crate::campaign::Vary`]): six
/// clients rather than three, and on half the seeds (besides the third that every protocol's
/// workload draws) a client timeout of 40-100 ms. Measured (docs/checking.md): more clients
/// keep more slots in flight, so replicas see more of them out of order and a deposed leader
/// more reads; short timeouts make clients retry at the other leader while their first try is
/// in flight, which is when a retry is chosen twice.
fn vary(v: &mut crate::campaign::Vary<'_>) {
    v.set(kv::CLIENTS.key, Value::Count(6));
    v.short_timeouts(0.5, 100);
}

/// A campaign's cluster: with one leader (the default, as in the Gleam original) nothing can
/// fail over, and a campaign would only ever see that one leader stall; a standby makes
/// failover, dueling ballots and stale leaders possible.
fn with_standby(s: &mut Scenario) {
    if !s.settings.given(&LEADERS) && s.settings.count(&LEADERS) < 2 {
        s.settings.set(&LEADERS, Value::Count(2), None);
    }
}

/// Multi-Paxos's rules across keys.
fn validate(s: &Settings) -> Result<(), Invalid> {
    let heartbeat = s.time(&HEARTBEAT);
    if s.range(&LEADER_TIMEOUT).1 <= heartbeat {
        return Err(Invalid {
            key: if s.given(&LEADER_TIMEOUT) {
                LEADER_TIMEOUT.key
            } else {
                HEARTBEAT.key
            },
            message: format!(
                "the leader timeout's max must exceed the heartbeat ({heartbeat}), or standbys take over from a healthy leader"
            ),
        });
    }
    Ok(())
}

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
    let st = &s.settings;
    let n_acc = st.count(&ACCEPTORS) as u32;
    let n_lead = st.count(&LEADERS) as u32;
    let n_rep = st.count(&REPLICAS) as u32;
    let n_cli = st.count(&kv::CLIENTS) as u32;
    let window = st.count(&WINDOW) as usize;
    let heartbeat = st.time(&HEARTBEAT);
    let leader_timeout = st.range(&LEADER_TIMEOUT);
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
    let names: Vec<String> = specs.iter().map(|n| n.name.clone()).collect();
    let mut observer = SlotObserver::new(names, cfg.quorum());
    let mut sim = kv::simulation(
        sim_config(s),
        specs,
        n_cli,
        leaders.clone(),
        kv::workload(st),
        move |id, durable| {
            let i = id.0;
            if i < n_acc {
                let mut a = match durable {
                    Some(Durable::Acceptor(a)) => a,
                    _ => Acceptor::default(),
                };
                a.ignore_promise = cfg.bug == Some(Bug::AcceptBelowPromise);
                Server::Acceptor(a)
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
    sim.set_narrator(Box::new(move |node, nodes, out| {
        observer.observe(node, nodes, out)
    }));
    let mut servers = leaders;
    servers.extend(replicas);
    Ok(System::new(sim, servers))
}
