//! The register as `synod explore` searches it: Stateright's model exactly (an unordered
//! network, no faults, no bound), with **agreement** among decided servers (a crashed one
//! counts with what it kept) and the linearizability of the client history under the KV model.

use super::RegisterNode;
use super::build::layout;
use crate::explore::Explore;
use crate::scenario::{Scenario, ScenarioError};
use synod_check::ModelKind;
use synod_core::NodeId;
use synod_explore::model::{NodeView, View};
use synod_explore::{Bounds, Invariant, Search, Sometimes, Spec};

/// How the explorer searches the register: its own defaults (3 servers, 2 clients, as
/// Stateright's example checks by default), no bounds.
pub const EXPLORE: Explore = Explore {
    small: &[],
    bounds: Bounds::UNBOUNDED,
    build,
    history_checks: &[],
};

fn build(s: &Scenario, bounds: Bounds) -> Result<Box<dyn Search>, ScenarioError> {
    let layout = layout(s)?;
    let names: Vec<String> = layout.specs.iter().map(|n| n.name.clone()).collect();
    let servers = layout.servers as usize;
    let n = names.len();
    let agreement_names = names.clone();
    Ok(Box::new(Spec {
        protocol: s.protocol.name.into(),
        crashable: (0..n).map(|i| i < servers).collect(),
        clients: (servers..n).map(|i| NodeId(i as u32)).collect(),
        seed: s.seed,
        build: Box::new(move |id, d| layout.node(id, d.flatten())),
        invariants: vec![Invariant::new(
            "agreement",
            move |v: &View<'_, RegisterNode>| {
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
            },
        )],
        sometimes: vec![
            Sometimes::new("a value is chosen", |v: &View<'_, RegisterNode>| {
                v.up()
                    .any(|(_, p)| matches!(p, RegisterNode::Server(s) if s.decided))
            }),
            Sometimes::new(
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
    }))
}
