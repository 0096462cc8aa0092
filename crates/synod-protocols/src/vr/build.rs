//! VR as the registry lists it: the scenario keys it takes, and the system it builds (replicas
//! `n1`..`nN` or the names given, then the clients).

use super::check::{
    ONE_PRIMARY_PER_VIEW, PRIMARY_COMPLETENESS, STATE_MACHINE_SAFETY, VIEW_COMPLETENESS,
};
use super::{BUGS, Bug, VrChecker, VrConfig, VrNode, VrReplica};
use crate::kv::{self, Workload};
use crate::protocol::{Campaign, Protocol};
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings, Value};
use crate::system::{System, sim_config};
use std::rc::Rc;
use synod_core::{NodeId, Time};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// The most replicas a VR scenario may have. The primary keeps what every backup acknowledged,
/// a view change has every replica tell every other (and send its whole log to the new
/// primary), and the live checks read every replica after each event. Measured in a debug
/// build: 500 replicas run the default 10 s of virtual time in 1.3 s of CPU, and 18 s when the
/// primary crashes (the view change is 250,000 `StartViewChange`s).
pub const MAX_REPLICAS: u64 = 500;

/// `cluster.nodes`.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 5,
        min: 1,
        max: MAX_REPLICAS,
        why_max: "every view change gathers whole logs from a majority and the checks read every replica after each event: beyond 500, runs take minutes",
    },
    doc: "replicas, `2f + 1` of them (named `n1`..`nN` unless `cluster.names` names them); the primary of view `v` is replica `v mod N`",
};

/// `cluster.names`.
pub const NAMES: Setting = Setting {
    key: "cluster.names",
    kind: Kind::Names,
    doc: "the replicas' names, in replica order (default `n1`..`nN`); as many as `cluster.nodes` if both are given",
};

/// `timing.view_change_timeout_ms`.
pub const VIEW_CHANGE_TIMEOUT: Setting = Setting {
    key: "timing.view_change_timeout_ms",
    kind: Kind::RangeMs {
        default: (150.0, 300.0),
    },
    doc: "a backup that hears nothing from its primary this long starts a view change, and a view change that takes this long moves on to the next view (4.2); drawn at random from the range; min above 0",
};

/// `timing.commit_interval_ms`.
pub const COMMIT_INTERVAL: Setting = Setting {
    key: "timing.commit_interval_ms",
    kind: Kind::Ms { default: 50.0 },
    doc: "how often an idle primary sends `Commit` (4.1) and a replica resends what may have been lost; below the view-change timeout's min",
};

/// VR's own keys.
pub const SETTINGS: &[Setting] = &[NODES, NAMES, VIEW_CHANGE_TIMEOUT, COMMIT_INTERVAL];

/// Viewstamped Replication, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "vr",
    summary: "Viewstamped Replication replicated KV: primary by view number, view changes, recovery without a disk",
    docs: "docs/protocols/vr.md",
    bugs: BUGS,
    checks: &[
        STATE_MACHINE_SAFETY,
        PRIMARY_COMPLETENESS,
        ONE_PRIMARY_PER_VIEW,
        VIEW_COMPLETENESS,
    ],
    settings: &[SETTINGS, kv::CLIENT_SETTINGS],
    validate,
    faults: &[],
    // Recovery without a disk needs a majority of normal replicas to answer: a replica that
    // restarted is not back until then, and a partition can keep it from them (seed 1613 of a
    // 20,000-seed campaign had a third replica crash while one restarted 360 ms earlier was
    // still cut off from the answers it needed; more than f replicas without state is beyond
    // VR's failure model, not a bug). Two seconds: under `comeback`, whose cuts last up to
    // 800 ms, one second was not always enough (seed 1566 of 20,000 had two restarted
    // replicas still recovering when a third crashed).
    campaign: Campaign {
        recovery: Time::ms(2_000),
        // Measured against the swarm and other mixes on every VR bug (docs/checking.md,
        // "Choosing the default"): a primary cut off alone keeps appending what its clients
        // send, and `comeback` brings it back to a view change its successor misses, where
        // the last-normal view must rank the logs; bursts of loss make clients retry, what
        // the client table is for; `bounce-leader` restarts a primary whose next successor
        // may lag, and whose recovery then meets a view change. Over 5,000 ms the last two
        // stories took seeds from each other; 20,000 ms with as many faults a second gives
        // each room.
        nemesis: "comeback,loss,bounce-leader",
        window: Time::ms(20_000),
        intensity: 80,
        vary,
        ..Campaign::DEFAULT
    },
    legend: &[
        (
            "[n2 primary v1]",
            "n2 speaks, as primary of view 1 (or backup, view-change, recovering)",
        ),
        (
            "v1",
            "view 1, whose primary is replica 1 mod n + 1 (n2 of 5)",
        ),
        ("op 7", "op-number 7: the 7th operation of the log"),
        ("commit 27", "commit-number 27: ops up to 27 are committed"),
        (
            "3/5",
            "3 of the 5 replicas: PrepareOks, or answers in a view change",
        ),
        ("ops 2..3", "ops 2 to 3, both included"),
    ],
    build,
    reference_model: false,
    explore: None,
};

/// VR's rules across keys.
fn validate(s: &Settings) -> Result<(), Invalid> {
    s.check_names(&NAMES, &NODES)?;
    let (lo, _) = s.range(&VIEW_CHANGE_TIMEOUT);
    if lo == Time::ZERO {
        return Err(Invalid {
            key: VIEW_CHANGE_TIMEOUT.key,
            message: "min must be above 0".into(),
        });
    }
    let interval = s.time(&COMMIT_INTERVAL);
    if interval >= lo {
        return Err(Invalid {
            key: if s.given(&COMMIT_INTERVAL) {
                COMMIT_INTERVAL.key
            } else {
                VIEW_CHANGE_TIMEOUT.key
            },
            message: format!(
                "the commit interval ({interval}) must be below the view-change timeout's minimum ({lo}), or backups start view changes under a live primary"
            ),
        });
    }
    Ok(())
}

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
    let st = &s.settings;
    let names = st.node_names(&NAMES, &NODES);
    let cfg = VrConfig {
        replicas: names.len(),
        names: names.clone(),
        view_change_timeout: st.range(&VIEW_CHANGE_TIMEOUT),
        commit_interval: st.time(&COMMIT_INTERVAL),
        bug,
    };
    let replicas = (0..names.len() as u32).map(NodeId).collect();
    let sim = simulation(
        sim_config(s),
        cfg,
        specs(&names),
        st.count(&kv::CLIENTS) as u32,
        kv::workload(st),
        true,
    );
    Ok(System::new(sim, replicas))
}

/// The node specs of a VR system's replicas, named `names`.
pub fn specs(names: &[String]) -> Vec<NodeSpec> {
    names
        .iter()
        .map(|n| NodeSpec {
            name: n.clone(),
            role: "replica".into(),
            client: false,
        })
        .collect()
}

/// A simulation of a VR system: the replicas `replicas` (as many as `cfg.replicas`), then
/// `clients` clients that send to them (first to the primary of view 0). With `checks`, the
/// live VR checks that read the replicas are installed (state machine safety of committed ops,
/// primary completeness, one primary per view, view completeness).
pub fn simulation(
    sim: SimConfig,
    cfg: VrConfig,
    replicas: Vec<NodeSpec>,
    clients: u32,
    workload: Workload,
    checks: bool,
) -> Sim<VrNode> {
    let cfg = Rc::new(cfg);
    let names = cfg.names.clone();
    let contacts: Vec<NodeId> = (0..cfg.replicas as u32).map(NodeId).collect();
    let mut s = kv::simulation(
        sim,
        replicas,
        clients,
        contacts,
        workload,
        move |id, durable| VrReplica::new(cfg.clone(), id, durable),
    );
    if checks {
        let mut checker = VrChecker::new(names);
        s.set_state_check(Box::new(move |_, nodes| checker.check(nodes)));
    }
    s
}

/// VR's share of a campaign's configuration swarm ([`crate::campaign::Vary`]): eight clients
/// rather than three, and on seven seeds in ten (besides the third that every protocol's
/// workload draws) a client timeout of 40-200 ms. Measured
/// (docs/checking.md): a primary cut off alone takes one request from each client that still
/// believes in it, and clients that give up on it soon bring their requests to the next view,
/// so that the two logs differ where a view change must choose.
fn vary(v: &mut crate::campaign::Vary<'_>) {
    v.set(kv::CLIENTS.key, Value::Count(8));
    v.short_timeouts(0.7, 200);
}
