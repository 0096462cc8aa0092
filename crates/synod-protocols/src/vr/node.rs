//! A node of a VR system (a replica or a client, the shared KV workload), and the system a
//! scenario describes: the replicas `n1..nN` (or `cluster.names`), then `client 1..`.
//!
//! The node only dispatches: the replica is a [`Process`] of its own ([`VrReplica`]) and the
//! client is the shared [`KvClient`].

use super::check::VrChecker;
use super::msg::VrMsg;
use super::replica::{Durable, VrReplica, VrTimer};
use super::{Bug, VrConfig};
use crate::kv::{ClientTimer, KvClient, Workload};
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, client_specs, only_counts, sim_config};
use std::rc::Rc;
use synod_core::{ClientOp, Ctx, NodeId, NodeStatus, Process, Time};
use synod_sim::{NodeSpec, Sim, SimConfig};

/// The timers of a VR system: a replica's or a client's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VrNodeTimer {
    /// A replica's timer.
    Replica(VrTimer),
    /// A client's request timeout.
    Client(ClientTimer),
}

impl From<VrTimer> for VrNodeTimer {
    fn from(t: VrTimer) -> Self {
        VrNodeTimer::Replica(t)
    }
}

impl From<ClientTimer> for VrNodeTimer {
    fn from(t: ClientTimer) -> Self {
        VrNodeTimer::Client(t)
    }
}

/// A node of a VR system: a replica or a client.
#[derive(Debug)]
// A handful of nodes per run: the size of the client variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum VrNode {
    /// A replica.
    Replica(Box<VrReplica>),
    /// A client (the shared KV workload).
    Client(KvClient),
}

type NCtx<'a> = Ctx<'a, VrMsg, VrNodeTimer>;

impl Process for VrNode {
    type Msg = VrMsg;
    type Timer = VrNodeTimer;
    type Durable = Option<Durable>;

    fn on_start(&mut self, ctx: &mut NCtx<'_>) {
        match self {
            VrNode::Replica(r) => r.on_start(ctx),
            VrNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut NCtx<'_>, from: NodeId, msg: VrMsg) {
        match (self, msg) {
            (VrNode::Replica(r), msg) => r.on_message(ctx, from, msg),
            (VrNode::Client(c), VrMsg::Reply(reply)) => c.on_reply(ctx, from, reply),
            (VrNode::Client(_), msg) => ctx.debug(format_args!("ignoring unexpected {msg}")),
        }
    }

    fn on_timer(&mut self, ctx: &mut NCtx<'_>, timer: VrNodeTimer) {
        match (self, timer) {
            (VrNode::Replica(r), VrNodeTimer::Replica(t)) => r.on_timer(ctx, t),
            (VrNode::Client(c), VrNodeTimer::Client(t)) => c.on_timer(ctx, t),
            _ => {}
        }
    }

    fn durable(&self) -> Option<Durable> {
        match self {
            VrNode::Replica(_) => Some(Durable),
            VrNode::Client(_) => None,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            VrNode::Replica(r) => r.node_status(),
            VrNode::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut NCtx<'_>, op: ClientOp) -> bool {
        match self {
            VrNode::Client(c) => c.request(ctx, &op),
            VrNode::Replica(_) => false,
        }
    }
}

/// The node specs of a VR system: the replicas (named `names`), then `client 1..clients`.
pub fn specs(names: &[String], clients: u32) -> Vec<NodeSpec> {
    let mut specs: Vec<NodeSpec> = names
        .iter()
        .map(|n| NodeSpec {
            name: n.clone(),
            role: "replica".into(),
            client: false,
        })
        .collect();
    specs.extend(client_specs(clients));
    specs
}

/// A simulation of a VR system: `specs` lists the replicas first, then the clients. With
/// `checks`, the live VR checks that read the replicas are installed.
pub fn simulation(
    sim: SimConfig,
    cfg: VrConfig,
    specs: Vec<NodeSpec>,
    workload: Workload,
    checks: bool,
) -> Sim<VrNode> {
    let cfg = Rc::new(cfg);
    let n = cfg.replicas;
    let replicas: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let names: Vec<String> = specs.iter().map(|sp| sp.name.clone()).collect();
    let build_cfg = cfg.clone();
    let mut s = Sim::<VrNode>::new(
        sim,
        specs,
        Box::new(move |id, durable| {
            if id.index() < n {
                VrNode::Replica(Box::new(VrReplica::new(
                    build_cfg.clone(),
                    id,
                    durable.flatten(),
                )))
            } else {
                VrNode::Client(
                    KvClient::new(workload.clone(), replicas.clone()).with_names(names.clone()),
                )
            }
        }),
    );
    if checks {
        let mut checker = VrChecker::new(n);
        s.set_state_check(Box::new(move |nodes| checker.check(nodes)));
    }
    s
}

/// The system a scenario describes. Settings: `cluster.nodes` (default 5), `cluster.names`,
/// `cluster.clients` (default 3); `timing.heartbeat_ms` (default 50) and
/// `timing.election_timeout_ms` (the view-change timeout, default 150-300).
pub fn build(s: &Scenario) -> Result<System, ScenarioError> {
    only_counts(s, &["nodes", "clients", "names"])?;
    let t = &s.timing;
    for (key, set) in [
        ("max_append_entries", t.max_append_entries.is_some()),
        ("start_delay_ms", t.start_delay_ms.is_some()),
        ("proposer_timeout_ms", t.proposer_timeout_ms.is_some()),
        ("leader_timeout_ms", t.leader_timeout_ms.is_some()),
        ("window", t.window.is_some()),
    ] {
        if set {
            return Err(s.error(
                None,
                format!(
                    "key `timing.{key}` does not apply to protocol vr (it takes: heartbeat_ms, election_timeout_ms)"
                ),
            ));
        }
    }
    let bug = match &s.bug {
        Some(b) => Some(Bug::parse(b).map_err(|m| s.error(None, m))?),
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
        return Err(s.error(None, "vr needs at least one replica (`cluster.nodes` >= 1)"));
    }
    let timeout = t
        .election_timeout_ms
        .map_or((Time::ms(150), Time::ms(300)), |r| r.times());
    if timeout.0 == Time::ZERO || timeout.0 > timeout.1 {
        return Err(s.error(
            None,
            "key `timing.election_timeout_ms` (vr: the view-change timeout): needs 0 < min <= max",
        ));
    }
    let heartbeat = t.heartbeat_ms.map_or(Time::ms(50), Time::ms_f64);
    if heartbeat == Time::ZERO || heartbeat >= timeout.0 {
        return Err(s.error(
            None,
            format!(
                "key `timing.heartbeat_ms`: the primary's Commit interval ({heartbeat}) must be above 0 and below the view-change timeout's minimum ({}), or backups start view changes under a live primary",
                timeout.0
            ),
        ));
    }
    let cfg = VrConfig {
        replicas: names.len(),
        view_change_timeout: timeout,
        heartbeat,
        bug,
    };
    let specs = specs(&names, s.cluster.clients.unwrap_or(3));
    let faults = s.resolve_faults(&specs.iter().map(|n| n.name.clone()).collect::<Vec<_>>())?;
    let servers = (0..names.len() as u32).map(NodeId).collect();
    let mut sim = simulation(sim_config(s), cfg, specs, s.workload.clone(), true);
    for f in faults {
        sim.schedule(f);
    }
    Ok(System {
        sim: Box::new(sim),
        servers,
    })
}
