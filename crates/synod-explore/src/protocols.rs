//! The protocols the explorer can search, wired from a scenario: how to build their nodes
//! (exactly as `synod-protocols` builds them for the simulator), which nodes may crash, and
//! the properties checked in every state.
//!
//! The properties are the state forms of the live checks `synod run` has, under the same
//! names, so that a counterexample replays to a violation of the same property:
//!
//! - paxos: **agreement** (no two nodes know different chosen values) and **validity** (a
//!   chosen value was proposed);
//! - raft: **election safety** (at most one leader per term), **log matching** (two logs with
//!   an entry of the same index and term are identical up to it), **state machine safety**
//!   (committed prefixes agree), **leader completeness** (a leader's log holds every entry a
//!   server committed in a term not after the leader's), and the linearizability of the
//!   client history under the KV model;
//! - register: **agreement** among decided servers, and linearizability.
//!
//! This module is the explorer's only protocol-specific code; a protocol registry can take
//! it over as one descriptor per protocol.

use crate::model::{Bounds, Invariant, NodeView, Sometimes, Spec, View};
use std::sync::Arc;
use synod_check::ModelKind;
use synod_core::{NodeId, Time};
use synod_protocols::kv::KvClient;
use synod_protocols::paxos::{self, PaxosNode};
use synod_protocols::raft::{self, RaftConfig, RaftNode, RaftServer, Role};
use synod_protocols::register::{self, RegisterNode};
use synod_protocols::scenario::{Scenario, ScenarioError};

/// The protocols `synod explore` searches.
pub const EXPLORABLE: &[&str] = &["paxos", "raft", "register"];

/// The explorer's defaults for a protocol given by name (not by scenario file): small enough
/// to exhaust in seconds. Paxos: 3 nodes. Raft: 3 servers and one client with one request.
/// The register: Stateright's 2 clients (its default).
pub fn small_defaults(s: &mut Scenario) {
    match s.protocol.as_str() {
        "paxos" => {
            s.cluster.nodes.get_or_insert(3);
        }
        "raft" => {
            s.cluster.nodes.get_or_insert(3);
            s.cluster.clients.get_or_insert(1);
            s.workload.requests_per_client = 1;
        }
        _ => {}
    }
}

/// The default bounds of each protocol (docs/explore.md explains the choice).
///
/// - paxos: an unordered network, one crash, one timer firing (one ballot, which crashes
///   and restarts may interrupt anywhere).
/// - raft: an unordered network, no crash, four timer firings and 10 steps: elections, a
///   leader's replication and the client's request completing, within a depth that
///   exhausts in seconds (each further step multiplies the states by about 2.5).
/// - register: Stateright's model exactly: an unordered network, no faults, no bound.
pub fn default_bounds(protocol: &str) -> Bounds {
    match protocol {
        "paxos" => Bounds {
            max_crashes: 1,
            max_timers: Some(1),
            ..Bounds::default()
        },
        "raft" => Bounds {
            max_timers: Some(4),
            max_depth: Some(10),
            ..Bounds::default()
        },
        _ => Bounds::default(),
    }
}

fn invariant<P: synod_core::Explorable>(
    name: &str,
    check: impl Fn(&View<'_, P>) -> Option<String> + Send + Sync + 'static,
) -> Invariant<P> {
    Invariant {
        name: name.to_string(),
        check: Box::new(check),
    }
}

fn sometimes<P: synod_core::Explorable>(
    name: &str,
    reached: impl Fn(&View<'_, P>) -> bool + Send + Sync + 'static,
) -> Sometimes<P> {
    Sometimes {
        name: name.to_string(),
        reached: Box::new(reached),
    }
}

/// Single-decree Paxos as the scenario lays it out.
pub fn paxos(s: &Scenario, bounds: Bounds) -> Result<Spec<PaxosNode>, ScenarioError> {
    let cfg = Arc::new(paxos::layout(s)?);
    let names = cfg.names.clone();
    let n = names.len();
    let candidates = cfg.candidates();
    let build_cfg = cfg.clone();
    fn decided(v: &NodeView<'_, PaxosNode>) -> Option<paxos::Value> {
        match v {
            NodeView::Up(p) => p.decided.clone(),
            NodeView::Down(d) => d.decided.clone(),
        }
    }
    let agreement_names = names.clone();
    let validity_names = names.clone();
    let learners = cfg.learners.clone();
    Ok(Spec {
        protocol: "paxos".into(),
        crashable: vec![true; n],
        clients: Vec::new(),
        seed: s.seed,
        build: Box::new(move |id, d| PaxosNode::new(build_cfg.clone(), id, d)),
        invariants: vec![
            invariant("agreement", move |v: &View<'_, PaxosNode>| {
                let mut first: Option<(NodeId, paxos::Value)> = None;
                for (id, node) in v.nodes() {
                    let Some(value) = decided(&node) else {
                        continue;
                    };
                    match &first {
                        None => first = Some((id, value)),
                        Some((by, f)) if *f != value => {
                            return Some(format!(
                                "instance 0: {} decided {f:?} but {} decided {value:?}",
                                agreement_names[by.index()],
                                agreement_names[id.index()]
                            ));
                        }
                        Some(_) => {}
                    }
                }
                None
            }),
            invariant("validity", move |v: &View<'_, PaxosNode>| {
                v.up().find_map(|(id, p)| {
                    let value = p.decided.as_ref()?;
                    (!candidates.contains(value)).then(|| {
                        format!(
                            "{} decided {value:?}, which no proposer proposed",
                            validity_names[id.index()]
                        )
                    })
                })
            }),
        ],
        sometimes: vec![
            sometimes(
                "a proposer leads a ballot (phase 2)",
                |v: &View<'_, PaxosNode>| {
                    v.up()
                        .any(|(_, p)| p.proposer.as_ref().is_some_and(|q| q.leader))
                },
            ),
            sometimes("a value is decided", |v: &View<'_, PaxosNode>| {
                v.up().any(|(_, p)| p.decided.is_some())
            }),
            sometimes(
                "every learner knows the decision",
                move |v: &View<'_, PaxosNode>| {
                    v.nodes()
                        .filter(|(id, _)| learners.contains(id))
                        .all(|(_, n)| decided(&n).is_some())
                },
            ),
        ],
        lin: None,
        prefix: s.resolve_schedule(&names)?,
        names,
        bounds,
    })
}

/// Raft with the scenario's servers and clients (the same configuration `synod run` builds).
pub fn raft(s: &Scenario, bounds: Bounds) -> Result<Spec<RaftNode>, ScenarioError> {
    // Validate exactly as the simulator's builder does (names, counts, timing, the bug).
    synod_protocols::system::build(s)?;
    let names: Vec<String> = match (&s.cluster.names, s.cluster.nodes) {
        (Some(names), _) => names.clone(),
        (None, n) => (1..=n.unwrap_or(5)).map(|i| format!("n{i}")).collect(),
    };
    let bug = s
        .bug
        .as_deref()
        .map(raft::Bug::parse)
        .transpose()
        .map_err(|m| s.error(None, m))?;
    let t = &s.timing;
    let cfg = Arc::new(RaftConfig {
        servers: names.len(),
        election_timeout: t
            .election_timeout_ms
            .map_or((Time::ms(150), Time::ms(300)), |r| r.times()),
        heartbeat: t.heartbeat_ms.map_or(Time::ms(50), Time::ms_f64),
        max_entries: t
            .max_append_entries
            .map_or(64, |m| m.clamp(1, 1_000_000) as usize),
        bug,
    });
    let specs = raft::specs(&names, s.cluster.clients.unwrap_or(3));
    let all: Vec<String> = specs.iter().map(|n| n.name.clone()).collect();
    let servers = names.len();
    let server_ids: Vec<NodeId> = (0..servers as u32).map(NodeId).collect();
    let workload = s.workload.clone();
    let build_names = all.clone();
    let build = move |id: NodeId, durable: Option<Option<raft::Durable>>| {
        if id.index() < servers {
            RaftNode::Server(Box::new(RaftServer::new(
                cfg.clone(),
                id,
                durable.flatten(),
            )))
        } else {
            RaftNode::Client(
                KvClient::new(workload.clone(), server_ids.clone()).with_names(build_names.clone()),
            )
        }
    };
    fn log_of<'a>(n: &NodeView<'a, RaftNode>) -> Option<&'a raft::Log> {
        match n {
            NodeView::Up(RaftNode::Server(s)) => Some(s.log()),
            NodeView::Down(Some(d)) => Some(&d.log),
            _ => None,
        }
    }
    fn server(p: &RaftNode) -> Option<&RaftServer> {
        match p {
            RaftNode::Server(s) => Some(s),
            RaftNode::Client(_) => None,
        }
    }
    Ok(Spec {
        protocol: "raft".into(),
        crashable: (0..all.len()).map(|i| i < servers).collect(),
        clients: (servers..all.len()).map(|i| NodeId(i as u32)).collect(),
        seed: s.seed,
        build: Box::new(build),
        invariants: vec![
            invariant("election safety", |v: &View<'_, RaftNode>| {
                let leaders: Vec<(NodeId, u64)> = v
                    .up()
                    .filter_map(|(id, p)| server(p).map(|s| (id, s)))
                    .filter(|(_, s)| s.role() == Role::Leader)
                    .map(|(id, s)| (id, s.term()))
                    .collect();
                leaders.iter().enumerate().find_map(|(i, (a, t))| {
                    leaders[i + 1..].iter().find(|(_, u)| u == t).map(|(b, _)| {
                        format!(
                            "two leaders in term {t}: node {} and node {}",
                            a.0 + 1,
                            b.0 + 1
                        )
                    })
                })
            }),
            invariant("log matching", |v: &View<'_, RaftNode>| {
                let logs: Vec<(NodeId, &raft::Log)> = v
                    .nodes()
                    .filter_map(|(id, n)| log_of(&n).map(|l| (id, l)))
                    .collect();
                for (i, (a, la)) in logs.iter().enumerate() {
                    for (b, lb) in &logs[i + 1..] {
                        let top = la.last_index().min(lb.last_index());
                        // The highest index where both hold an entry of the same term: the
                        // logs must be identical up to there.
                        let Some(m) = (1..=top).rev().find(|&k| la.term_at(k) == lb.term_at(k))
                        else {
                            continue;
                        };
                        if let Some(k) = (1..=m).find(|&k| la.get(k) != lb.get(k)) {
                            return Some(format!(
                                "node {} and node {} both hold an entry of term {} at index {m}, but differ at index {k}",
                                a.0 + 1,
                                b.0 + 1,
                                la.term_at(m).unwrap_or(0)
                            ));
                        }
                    }
                }
                None
            }),
            invariant("state machine safety", |v: &View<'_, RaftNode>| {
                let servers: Vec<(NodeId, &RaftServer)> = v
                    .up()
                    .filter_map(|(id, p)| server(p).map(|s| (id, s)))
                    .collect();
                for (i, (a, sa)) in servers.iter().enumerate() {
                    for (b, sb) in &servers[i + 1..] {
                        let top = sa.commit_index().min(sb.commit_index());
                        if let Some(k) = (1..=top).find(|&k| sa.log().get(k) != sb.log().get(k)) {
                            return Some(format!(
                                "index {k} is committed at node {} as term {} and at node {} as term {}",
                                a.0 + 1,
                                sa.log().term_at(k).unwrap_or(0),
                                b.0 + 1,
                                sb.log().term_at(k).unwrap_or(0)
                            ));
                        }
                    }
                }
                None
            }),
            invariant("leader completeness", |v: &View<'_, RaftNode>| {
                let servers: Vec<(NodeId, &RaftServer)> = v
                    .up()
                    .filter_map(|(id, p)| server(p).map(|s| (id, s)))
                    .collect();
                for (l, leader) in servers.iter().filter(|(_, s)| s.role() == Role::Leader) {
                    let term = leader.term();
                    // A server in a term not after the leader's learned its commits from
                    // leaders of terms not after it: those entries must be in its log.
                    for (c, s) in servers.iter().filter(|(_, s)| s.term() <= term) {
                        for k in 1..=s.commit_index() {
                            let t = s.log().term_at(k);
                            if leader.log().term_at(k) != t {
                                return Some(format!(
                                    "node {} leads term {term} but its log lacks index {k} (term {}), committed at node {}",
                                    l.0 + 1,
                                    t.unwrap_or(0),
                                    c.0 + 1
                                ));
                            }
                        }
                    }
                }
                None
            }),
        ],
        sometimes: vec![
            sometimes("a leader is elected", |v: &View<'_, RaftNode>| {
                v.up()
                    .any(|(_, p)| server(p).is_some_and(|s| s.role() == Role::Leader))
            }),
            sometimes("an entry is committed", |v: &View<'_, RaftNode>| {
                v.up()
                    .any(|(_, p)| server(p).is_some_and(|s| s.commit_index() > 0))
            }),
            sometimes("a client request completes", |v: &View<'_, RaftNode>| {
                v.history().completed() > 0
            }),
        ],
        lin: Some(ModelKind::Kv),
        prefix: s.resolve_schedule(&all)?,
        names: all,
        bounds,
    })
}

/// The register of Stateright's Paxos example.
pub fn register(s: &Scenario, bounds: Bounds) -> Result<Spec<RegisterNode>, ScenarioError> {
    let layout = register::layout(s)?;
    let names: Vec<String> = layout.specs.iter().map(|n| n.name.clone()).collect();
    let servers = layout.servers as usize;
    let n = names.len();
    let agreement_names = names.clone();
    Ok(Spec {
        protocol: "register".into(),
        crashable: (0..n).map(|i| i < servers).collect(),
        clients: (servers..n).map(|i| NodeId(i as u32)).collect(),
        seed: s.seed,
        build: Box::new(move |id, d| layout.node(id, d.flatten())),
        invariants: vec![invariant("agreement", move |v: &View<'_, RegisterNode>| {
            let mut first: Option<(NodeId, char)> = None;
            for (id, node) in v.nodes() {
                let chosen = match node {
                    NodeView::Up(RegisterNode::Server(s)) if s.decided => s.accepted,
                    NodeView::Down(Some(d)) if d.decided => d.accepted,
                    _ => None,
                };
                let Some((_, p)) = chosen else { continue };
                match first {
                    None => first = Some((id, p.value)),
                    Some((by, f)) if f != p.value => {
                        return Some(format!(
                            "instance 0: {} decided {f:?} but {} decided {:?}",
                            agreement_names[by.index()],
                            agreement_names[id.index()],
                            p.value
                        ));
                    }
                    Some(_) => {}
                }
            }
            None
        })],
        sometimes: vec![
            sometimes("a value is chosen", |v: &View<'_, RegisterNode>| {
                v.up()
                    .any(|(_, p)| matches!(p, RegisterNode::Server(s) if s.decided))
            }),
            sometimes(
                "a get returns the chosen value",
                |v: &View<'_, RegisterNode>| {
                    v.history()
                        .clients
                        .iter()
                        .any(|c| c.ops.iter().any(|o| o.op.f == "get" && o.result.is_some()))
                },
            ),
        ],
        lin: Some(ModelKind::Kv),
        prefix: s.resolve_schedule(&names)?,
        names,
        bounds,
    })
}
