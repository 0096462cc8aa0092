//! Single-decree Paxos as the registry lists it: the scenario keys it takes and the system it
//! builds (every node a server; no clients).

use super::node::PaxosNode;
use super::observer::ChosenObserver;
use super::{BUGS, check, layout};
use crate::protocol::{Campaign, Protocol};
use crate::scenario::{Scenario, ScenarioError};
use crate::system::{System, sim_config};
use std::sync::Arc;
use synod_core::{NodeId, Time};
use synod_sim::Sim;

/// Single-decree Paxos, as the registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "paxos",
    summary: "single-decree Paxos: proposers, acceptors and learners agree on one value",
    docs: "docs/protocols/paxos.md",
    bugs: BUGS,
    checks: &["validity"],
    settings: &[layout::SETTINGS],
    validate: layout::validate,
    faults: &[],
    // One decree is chosen within the first 200 ms or so, and then nothing more can go wrong:
    // faults are packed into that time. What breaks single-decree Paxos is an acceptor's
    // crash at the wrong moment (its promise and what it accepted must survive) while
    // proposers duel; crashes and crash storms, chosen by measurement over the planted bugs
    // (docs/checking.md, "Choosing the default").
    campaign: Campaign {
        window: Time::ms(200),
        max_fault: Time::ms(100),
        intensity: 12,
        nemesis: "crash,storm",
        ..Campaign::DEFAULT
    },
    legend: &[
        (
            "1.4",
            "ballot 1.4: round 1 of proposer n4 (the higher round wins, then the higher proposer)",
        ),
        (
            "[acceptor n2]",
            "the part of n2 that speaks: proposer, acceptor or learner",
        ),
        (
            "p1a, p1b",
            "Phase 1: Prepare(ballot), and the Promise that reports what was accepted",
        ),
        (
            "p2a, p2b, p3",
            "Phase 2: Accept(ballot, value), Accepted; then Decide(value) to the learners",
        ),
        (
            "\"n4\"",
            "a value, quoted (each proposer proposes its own: its name, or `values`)",
        ),
        ("3/5", "3 of the 5 acceptors: a majority"),
    ],
    build,
    reference_model: false,
    explore: Some(super::explore::EXPLORE),
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let cfg = Arc::new(layout::layout(s)?);
    let specs = cfg.specs();
    let servers = (0..specs.len() as u32).map(NodeId).collect();
    let check = check::validity(cfg.candidates(), cfg.names.clone());
    let shared = cfg.clone();
    let mut sim = Sim::<PaxosNode>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| PaxosNode::new(shared.clone(), id, durable)),
    );
    let mut check = check;
    sim.set_state_check(Box::new(move |_, nodes| check(nodes)));
    // Under a schedule (an explorer's counterexample), handlers draw as the explorer did.
    sim.seed_handlers_from_state();
    let mut observer = ChosenObserver::new(cfg.names.clone(), cfg.quorum());
    sim.set_narrator(Box::new(move |node, nodes, out| {
        observer.observe(node, nodes, out)
    }));
    Ok(System::new(sim, servers))
}
