//! Single-decree Paxos as `synod explore` searches it: the nodes exactly as [`super::build`]
//! lays them out, and the properties in every state, named as the live checks name them so
//! that a counterexample replays to a violation of the same property:
//!
//! - **agreement**: no two nodes know different chosen values (a crashed node counts with
//!   what it kept);
//! - **validity**: a chosen value was proposed.
//!
//! Default bounds: an unordered network, one crash, one timer firing (one ballot, which
//! crashes and restarts may interrupt anywhere). docs/explore.md says more.

use super::layout::layout;
use super::{PaxosNode, Value};
use crate::explore::Explore;
use crate::scenario::{Scenario, ScenarioError};
use std::sync::Arc;
use synod_core::NodeId;
use synod_explore::model::{NodeView, View};
use synod_explore::{Bounds, Invariant, Search, Sometimes, Spec};

/// How the explorer searches Paxos: 3 nodes by default.
pub const EXPLORE: Explore = Explore {
    small: &[("cluster.nodes", 3)],
    bounds: Bounds {
        max_crashes: 1,
        max_timers: Some(1),
        ..Bounds::UNBOUNDED
    },
    build,
    history_checks: &[],
};

/// The value a node knows was chosen, up or crashed.
fn decided(v: &NodeView<'_, PaxosNode>) -> Option<Value> {
    match v {
        NodeView::Up(p) => p.decided.clone(),
        NodeView::Down(d) => d.decided.clone(),
    }
}

fn build(s: &Scenario, bounds: Bounds) -> Result<Box<dyn Search>, ScenarioError> {
    let cfg = Arc::new(layout(s)?);
    let names = cfg.names.clone();
    let n = names.len();
    let candidates = cfg.candidates();
    let learners = cfg.learners.clone();
    let build_cfg = cfg.clone();
    let agreement_names = names.clone();
    let validity_names = names.clone();
    Ok(Box::new(Spec {
        protocol: s.protocol.name.into(),
        crashable: vec![true; n],
        clients: Vec::new(),
        seed: s.seed,
        build: Box::new(move |id, d| PaxosNode::new(build_cfg.clone(), id, d)),
        invariants: vec![
            Invariant::new("agreement", move |v: &View<'_, PaxosNode>| {
                let mut first: Option<(NodeId, Value)> = None;
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
            Invariant::new("validity", move |v: &View<'_, PaxosNode>| {
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
            Sometimes::new(
                "a proposer leads a ballot (phase 2)",
                |v: &View<'_, PaxosNode>| {
                    v.up()
                        .any(|(_, p)| p.proposer.as_ref().is_some_and(|q| q.leader))
                },
            ),
            Sometimes::new("a value is decided", |v: &View<'_, PaxosNode>| {
                v.up().any(|(_, p)| p.decided.is_some())
            }),
            Sometimes::new(
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
    }))
}
