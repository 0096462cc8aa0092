//! Raft as `synod explore` searches it: the servers and clients exactly as [`super::build`]
//! lays them out, and the properties in every state, named as the live checks name them so
//! that a counterexample replays to a violation of the same property:
//!
//! - **election safety**: at most one leader per term;
//! - **log matching**: two logs with an entry of the same index and term are identical up to
//!   it;
//! - **state machine safety**: committed prefixes agree;
//! - **leader completeness**: a leader's log holds every entry a server committed in a term
//!   not after the leader's;
//! - and the linearizability of the client history under the KV model.
//!
//! Default bounds: an unordered network, no crash, four timer firings and 10 steps: elections
//! (a pre-vote round, then the vote), a leader's replication and the client's request
//! completing, within a depth that exhausts in seconds (each further step multiplies the states
//! by about 3.6). Compacted log prefixes are committed, so the log properties compare what both
//! logs still hold. `synod explore raft` starts
//! from 3 servers and one client with one request. docs/explore.md says more.

use super::build::{scenario_config, specs};
use super::{Log, RaftNode, RaftServer, Role};
use crate::explore::Explore;
use crate::kv::{self, KvNode};
use crate::scenario::{Scenario, ScenarioError};
use std::sync::Arc;
use synod_check::ModelKind;
use synod_core::NodeId;
use synod_explore::model::{NodeView, View};
use synod_explore::{Bounds, Invariant, Search, Sometimes, Spec};

/// How the explorer searches Raft: 3 servers, one client, one request by default.
pub const EXPLORE: Explore = Explore {
    small: &[
        ("cluster.nodes", 3),
        ("cluster.clients", 1),
        ("workload.requests_per_client", 1),
    ],
    bounds: Bounds {
        max_timers: Some(4),
        max_depth: Some(10),
        ..Bounds::UNBOUNDED
    },
    build,
    history_checks: &["one vote per term", "lease safety"],
};

/// A server's log, up or crashed (a crashed server keeps its log).
fn log_of<'a>(n: &NodeView<'a, RaftNode>) -> Option<&'a Log> {
    match n {
        NodeView::Up(KvNode::Server(s)) => Some(s.log()),
        NodeView::Down(Some(d)) => Some(&d.log),
        _ => None,
    }
}

fn server(p: &RaftNode) -> Option<&RaftServer> {
    match p {
        KvNode::Server(s) => Some(s),
        KvNode::Client(_) => None,
    }
}

/// The servers that are up, with their ids.
fn servers<'a>(v: &'a View<'_, RaftNode>) -> Vec<(NodeId, &'a RaftServer)> {
    v.up()
        .filter_map(|(id, p)| server(p).map(|s| (id, s)))
        .collect()
}

/// Whether two logs disagree at index `k`: different entries where both hold one, else
/// different terms where both know one (a snapshot's last index); an index one of them has
/// compacted away and the other holds is not compared (compacted entries are committed).
fn differ(a: &Log, b: &Log, k: u64) -> bool {
    match (a.get(k), b.get(k)) {
        (Some(x), Some(y)) => x != y,
        _ => matches!((a.term_at(k), b.term_at(k)), (Some(x), Some(y)) if x != y),
    }
}

fn build(s: &Scenario, bounds: Bounds) -> Result<Box<dyn Search>, ScenarioError> {
    let cfg = Arc::new(scenario_config(s)?);
    let st = &s.settings;
    let server_names: Arc<[String]> = cfg.names.clone().into();
    let n = cfg.servers;
    let contacts: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let build_cfg = cfg.clone();
    let all = kv::layout(specs(&cfg.names), st.count(&kv::CLIENTS) as u32);
    let build = kv::nodes(&all, contacts, kv::workload(st), move |id, durable| {
        RaftServer::new(build_cfg.clone(), id, durable)
    });
    let names: Vec<String> = all.iter().map(|n| n.name.clone()).collect();
    let name = move |id: NodeId| -> String { server_names[id.index()].clone() };
    let (n1, n2, n3, n4) = (name.clone(), name.clone(), name.clone(), name);
    Ok(Box::new(Spec {
        protocol: s.protocol.name.into(),
        crashable: (0..names.len()).map(|i| i < n).collect(),
        clients: (n..names.len()).map(|i| NodeId(i as u32)).collect(),
        seed: s.seed,
        build: Box::new(build),
        invariants: vec![
            Invariant::new("election safety", move |v: &View<'_, RaftNode>| {
                let leaders: Vec<(NodeId, u64)> = servers(v)
                    .into_iter()
                    .filter(|(_, s)| s.role() == Role::Leader)
                    .map(|(id, s)| (id, s.term()))
                    .collect();
                leaders.iter().enumerate().find_map(|(i, (a, t))| {
                    leaders[i + 1..]
                        .iter()
                        .find(|(_, u)| u == t)
                        .map(|(b, _)| format!("two leaders in term {t}: {} and {}", n1(*a), n1(*b)))
                })
            }),
            Invariant::new("log matching", move |v: &View<'_, RaftNode>| {
                let logs: Vec<(NodeId, &Log)> = v
                    .nodes()
                    .filter_map(|(id, n)| log_of(&n).map(|l| (id, l)))
                    .collect();
                for (i, (a, la)) in logs.iter().enumerate() {
                    for (b, lb) in &logs[i + 1..] {
                        let top = la.last_index().min(lb.last_index());
                        // Both know the terms from the later of their snapshots on (a
                        // snapshot's last index included); compacted entries are committed.
                        let low = la.snapshot_index().max(lb.snapshot_index());
                        // The highest index where both hold an entry of the same term: the
                        // logs must be identical up to there.
                        let Some(m) = (low.max(1)..=top)
                            .rev()
                            .find(|&k| la.term_at(k).is_some() && la.term_at(k) == lb.term_at(k))
                        else {
                            continue;
                        };
                        if let Some(k) = (low.max(1)..=m).find(|&k| differ(la, lb, k)) {
                            return Some(format!(
                                "{} and {} both hold an entry of term {} at index {m}, but differ at index {k}",
                                n2(*a),
                                n2(*b),
                                la.term_at(m).unwrap_or(0)
                            ));
                        }
                    }
                }
                None
            }),
            Invariant::new("state machine safety", move |v: &View<'_, RaftNode>| {
                let servers = servers(v);
                for (i, (a, sa)) in servers.iter().enumerate() {
                    for (b, sb) in &servers[i + 1..] {
                        let top = sa.commit_index().min(sb.commit_index());
                        if let Some(k) = (1..=top).find(|&k| differ(sa.log(), sb.log(), k)) {
                            return Some(format!(
                                "index {k} is committed at {} as term {} and at {} as term {}",
                                n3(*a),
                                sa.log().term_at(k).unwrap_or(0),
                                n3(*b),
                                sb.log().term_at(k).unwrap_or(0)
                            ));
                        }
                    }
                }
                None
            }),
            Invariant::new("leader completeness", move |v: &View<'_, RaftNode>| {
                let servers = servers(v);
                for (l, leader) in servers.iter().filter(|(_, s)| s.role() == Role::Leader) {
                    let term = leader.term();
                    // A server in a term not after the leader's learned its commits from
                    // leaders of terms not after it: those entries must be in its log.
                    for (c, s) in servers.iter().filter(|(_, s)| s.term() <= term) {
                        // Indices either has compacted are committed at both (state machine
                        // safety compares what both still hold).
                        let from = s.log().first_index().max(leader.log().first_index());
                        for k in from..=s.commit_index() {
                            let t = s.log().term_at(k);
                            if leader.log().term_at(k) != t {
                                return Some(format!(
                                    "{} leads term {term} but its log lacks index {k} (term {}), committed at {}",
                                    n4(*l),
                                    t.unwrap_or(0),
                                    n4(*c)
                                ));
                            }
                        }
                    }
                }
                None
            }),
        ],
        sometimes: vec![
            Sometimes::new("a leader is elected", |v: &View<'_, RaftNode>| {
                v.up()
                    .any(|(_, p)| server(p).is_some_and(|s| s.role() == Role::Leader))
            }),
            Sometimes::new("an entry is committed", |v: &View<'_, RaftNode>| {
                v.up()
                    .any(|(_, p)| server(p).is_some_and(|s| s.commit_index() > 0))
            }),
            Sometimes::new("a client request completes", |v: &View<'_, RaftNode>| {
                v.history().completed() > 0
            }),
        ],
        lin: Some(ModelKind::Kv),
        prefix: s.resolve_schedule(&names)?,
        names,
        bounds,
    }))
}
