//! Raft as the registry lists it: the scenario keys it takes, and the system it builds
//! (servers `n1`..`nN` or the names given, then the clients).

use super::{BUGS, Bug, CommitObserver, RaftChecker, RaftConfig, RaftNode, RaftServer};
use crate::kv::{self, Workload};
use crate::protocol::{Campaign, Protocol};
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings};
use crate::system::{System, sim_config};
use std::rc::Rc;
use synod_core::{NodeId, Time};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// The most servers a Raft scenario may have. Every server keeps the progress of every other
/// (memory grows with the square of the count), every election asks every server, and the live
/// checks read every server after each event: 500 servers run 10 s of virtual time in about a
/// second; 1,000 spend a minute in split votes and elect nobody.
pub const MAX_SERVERS: u64 = 500;

/// `cluster.nodes`.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 5,
        min: 1,
        max: MAX_SERVERS,
        why_max: "every server keeps state for every other and every election asks them all: beyond 500, runs take minutes and elections keep splitting",
    },
    doc: "servers (named `n1`..`nN` unless `cluster.names` names them)",
};

/// `cluster.names`.
pub const NAMES: Setting = Setting {
    key: "cluster.names",
    kind: Kind::Names,
    doc: "the servers' names, in order (default `n1`..`nN`); as many as `cluster.nodes` if both are given",
};

/// `timing.election_timeout_ms`.
pub const ELECTION_TIMEOUT: Setting = Setting {
    key: "timing.election_timeout_ms",
    kind: Kind::RangeMs {
        default: (150.0, 300.0),
    },
    doc: "the randomized election timeout (section 5.2); min above 0",
};

/// `timing.heartbeat_ms`.
pub const HEARTBEAT: Setting = Setting {
    key: "timing.heartbeat_ms",
    kind: Kind::Ms { default: 50.0 },
    doc: "the leader's heartbeat interval; below the election timeout's min",
};

/// `timing.max_append_entries`.
pub const MAX_APPEND_ENTRIES: Setting = Setting {
    key: "timing.max_append_entries",
    kind: Kind::Count {
        default: 64,
        min: 1,
        max: 1_000_000,
        why_max: "a limit against typos",
    },
    doc: "the most entries one AppendEntries carries",
};

/// Raft's own keys.
pub const SETTINGS: &[Setting] = &[
    NODES,
    NAMES,
    ELECTION_TIMEOUT,
    HEARTBEAT,
    MAX_APPEND_ENTRIES,
];

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
    settings: &[SETTINGS, kv::CLIENT_SETTINGS],
    validate,
    faults: &[],
    campaign: Campaign::DEFAULT,
    legend: &[
        (
            "[n4 leader t1]",
            "n4 speaks, as leader of term 1 (or follower, candidate)",
        ),
        ("t3", "term 3"),
        (
            "9@t1",
            "the end of a log: index 9, an entry of term 1 (votes compare these, 5.4.1)",
        ),
        ("3/5", "3 of the 5 servers: votes, or copies of an entry"),
        (
            "entry 8, commit 7",
            "an AppendEntries brought entry 8; its leader has committed up to index 7",
        ),
    ],
    build,
};

/// Raft's rules across keys.
fn validate(s: &Settings) -> Result<(), Invalid> {
    if let Some(names) = s.strings(&NAMES) {
        if s.given(&NODES) && names.len() as u64 != s.count(&NODES) {
            return Err(Invalid {
                key: NAMES.key,
                message: format!(
                    "{} names given, but `cluster.nodes` is {}",
                    names.len(),
                    s.count(&NODES)
                ),
            });
        }
        if names.len() as u64 > MAX_SERVERS {
            return Err(Invalid {
                key: NAMES.key,
                message: format!("{} names; at most {MAX_SERVERS} servers", names.len()),
            });
        }
    }
    let (lo, _) = s.range(&ELECTION_TIMEOUT);
    if lo == Time::ZERO {
        return Err(Invalid {
            key: ELECTION_TIMEOUT.key,
            message: "min must be above 0".into(),
        });
    }
    let heartbeat = s.time(&HEARTBEAT);
    if heartbeat >= lo {
        return Err(Invalid {
            key: if s.given(&HEARTBEAT) {
                HEARTBEAT.key
            } else {
                ELECTION_TIMEOUT.key
            },
            message: format!(
                "the heartbeat interval ({heartbeat}) must be below the election timeout's minimum ({lo}), or followers start elections under a live leader"
            ),
        });
    }
    Ok(())
}

/// The servers' names: as given, or `n1`..`nN`.
fn server_names(s: &Settings) -> Vec<String> {
    s.strings(&NAMES)
        .unwrap_or_else(|| (1..=s.count(&NODES)).map(|i| format!("n{i}")).collect())
}

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
    let st = &s.settings;
    let names = server_names(st);
    let cfg = RaftConfig {
        servers: names.len(),
        names: names.clone(),
        election_timeout: st.range(&ELECTION_TIMEOUT),
        heartbeat: st.time(&HEARTBEAT),
        max_entries: st.count(&MAX_APPEND_ENTRIES) as usize,
        bug,
    };
    let servers = (0..names.len() as u32).map(NodeId).collect();
    let sim = simulation(
        sim_config(s),
        cfg,
        specs(&names),
        st.count(&kv::CLIENTS) as u32,
        kv::workload(st),
        true,
    );
    Ok(System::new(sim, servers))
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
/// `clients` clients, with the observer that narrates when entries become committed. With
/// `checks`, the live Figure 3 checks that read the servers' logs are installed (log matching,
/// leader append-only, leader completeness, state machine safety of committed entries).
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
    let names = cfg.names.clone();
    let contacts: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let mut s = kv::simulation(
        sim,
        servers,
        clients,
        contacts,
        workload,
        move |id, durable| RaftServer::new(cfg.clone(), id, durable),
    );
    let mut observer = CommitObserver::new(names.clone());
    s.set_narrator(Box::new(move |node, nodes, out| {
        observer.observe(node, nodes, out)
    }));
    if checks {
        let mut checker = RaftChecker::new(names);
        s.set_state_check(Box::new(move |nodes| checker.check(nodes)));
    }
    s
}
