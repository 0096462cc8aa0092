//! # synod-explore: every interleaving, not one per seed
//!
//! The explorer runs the same [`Process`](synod_core::Process) code as the simulator, but
//! instead of following one schedule it searches them all: from each state it tries every
//! message that could be delivered next, every timer that could fire, and (within bounds)
//! every loss, duplicate, crash and restart. States are remembered by fingerprint, so each is
//! expanded once. It answers "no violation exists within these bounds", or gives the shortest
//! path to one, as a scenario that `synod run` replays and `synod repl` steps through.
//!
//! - [`model`]: states, the choices they offer, the step that runs a handler ([`Spec`],
//!   [`Bounds`], [`NetworkKind`]).
//! - [`search`]: breadth-first on all cores, depth-first on one; deterministic results.
//! - [`history`]: the client history as a state keeps it, and its linearizability check.
//! - [`table`]: the concurrent table of visited fingerprints.
//! - [`intern`]: the stores of distinct node states, messages and histories that states
//!   refer to by id.
//! - [`protocols`]: paxos, raft and the register, wired with their properties.
//!
//! docs/explore.md says what is explored, what is not, and how the explorer compares with
//! Stateright.
//!
//! **Contract:** no clock, no IO, no OS randomness. Threads, yes: the search starts scoped
//! threads and joins them before it returns; its results do not depend on how many.

pub mod history;
pub mod intern;
pub mod model;
pub mod protocols;
pub mod search;
pub mod table;

pub use model::{Bounds, NetworkKind, Spec};
pub use search::{Counterexample, End, Options, Outcome, PathStep, Progress, Strategy, explore};

use synod_protocols::scenario::{Expect, Scenario, ScenarioError, ScheduleSpec, StepSpec};

/// What one exploration found, with what a report needs to name things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The protocol.
    pub protocol: String,
    /// Node names, by id.
    pub names: Vec<String>,
    /// The result.
    pub outcome: Outcome,
}

/// Explore the system `scenario` describes, within `bounds`.
pub fn explore_scenario(
    scenario: &Scenario,
    bounds: Bounds,
    opts: &Options,
) -> Result<Report, ScenarioError> {
    fn go<P: synod_core::Explorable>(spec: Spec<P>, opts: &Options) -> Report {
        let outcome = explore(&spec, opts);
        Report {
            protocol: spec.protocol,
            names: spec.names,
            outcome,
        }
    }
    match scenario.protocol.as_str() {
        "paxos" => Ok(go(protocols::paxos(scenario, bounds)?, opts)),
        "raft" => Ok(go(protocols::raft(scenario, bounds)?, opts)),
        "register" => Ok(go(protocols::register(scenario, bounds)?, opts)),
        other => Err(scenario.error(
            None,
            format!(
                "protocol `{other}` is not explorable (explorable: {}): its processes do not implement synod_core::Explorable yet",
                protocols::EXPLORABLE.join(", ")
            ),
        )),
    }
}

/// The scenario that replays `cx`: the explored scenario with the counterexample's exact
/// schedule, no random faults or loss, and the expectation that the run stops on the same
/// property (or, for linearizability, that the history is not linearizable).
pub fn counterexample_scenario(
    scenario: &Scenario,
    names: &[String],
    cx: &Counterexample,
) -> Scenario {
    let mut s = scenario.clone();
    let slug: String = cx
        .property
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.name = format!("{}-{slug}", scenario.name);
    s.description = format!(
        "Found by synod explore: {} violated after {} steps{} ({})",
        cx.property,
        cx.path.len(),
        if scenario.schedule.is_empty() {
            String::new()
        } else {
            format!(" that follow the scenario's {}", scenario.schedule.len())
        },
        cx.detail
    );
    s.faults.clear();
    s.requests.clear();
    s.net.loss = 0.0;
    s.net.duplicate = 0.0;
    // The scenario's own schedule (the prefix the search started from), then the path.
    s.schedule.extend(cx.path.iter().map(|p| ScheduleSpec {
        step: StepSpec::from_step(&p.step, names),
        note: Some(p.text.clone()),
        line: 0,
    }));
    s.expect = if cx.property == "linearizability" {
        Expect {
            linearizable: Some(false),
            ..Expect::default()
        }
    } else {
        Expect {
            violation: Some(cx.property.clone()),
            ..Expect::default()
        }
    };
    s
}
