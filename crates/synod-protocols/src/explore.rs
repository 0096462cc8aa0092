//! What `synod explore` needs of a protocol: the optional [`Explore`] hook of its descriptor
//! ([`crate::protocol::Protocol::explore`]), and what every driver of the explorer shares:
//! [`explore`] (a scenario searched through its protocol's hook) and
//! [`counterexample_scenario`] (a counterexample as a scenario that `synod run` replays).
//!
//! A protocol is explorable when its processes are (synod-core's `Explorable`: clone, hash,
//! equality, `Send + Sync`) and its folder has an `explore.rs` that builds the explorer's
//! [`Spec`](synod_explore::Spec) from a scenario: the nodes exactly as its builder lays them
//! out, and its properties in state form, named as its live checks name them, so that a
//! counterexample replays to a violation of the same property. Its builder also calls
//! `Sim::seed_handlers_from_state`, so that under a schedule the simulator draws handler
//! randomness as the explorer did.

use crate::scenario::{Expect, Scenario, ScenarioError, ScheduleSpec, StepSpec};
use synod_explore::{Bounds, Counterexample, Options, Report, Search};

/// How the explorer searches a protocol.
pub struct Explore {
    /// `synod explore NAME` (the built-in scenario, not a file) starts from the protocol's
    /// defaults with these counts changed (`("cluster.nodes", 3)`): small enough to exhaust in
    /// seconds. Command-line flags apply after them.
    pub small: &'static [(&'static str, u64)],
    /// The bounds a search uses unless the command line says otherwise (docs/explore.md says
    /// why each protocol's are what they are).
    pub bounds: Bounds,
    /// The system a scenario describes, as the explorer searches it within `bounds`: its
    /// nodes, built as the protocol's builder builds them, and its properties.
    pub build: BuildSearch,
    /// Live checks of `synod run` that the search cannot run, because they need a run's
    /// history, which no state holds (what a server voted before it crashed and forgot, what
    /// a lease promised). A counterexample's replay may stop on one of them sooner than on the
    /// search's violation, and the written scenario then expects it.
    pub history_checks: &'static [&'static str],
}

/// Builds the system a scenario describes, as the explorer searches it within the bounds.
pub type BuildSearch = fn(&Scenario, Bounds) -> Result<Box<dyn Search>, ScenarioError>;

/// The hook of `s`'s protocol, or an error naming the protocols of `explorable` (a
/// comma-separated list, [`crate::protocol::Registry::explorable`]) that have one.
pub fn hook(s: &Scenario, explorable: &str) -> Result<&'static Explore, ScenarioError> {
    s.protocol.explore.as_ref().ok_or_else(|| {
        s.error(
            None,
            format!(
                "protocol {} is not explorable (explorable: {explorable}): its processes do not implement synod_core::Explorable, or it has no explore hook",
                s.protocol
            ),
        )
    })
}

/// Explore the system `s` describes within `bounds`, through its protocol's hook.
pub fn explore(s: &Scenario, bounds: Bounds, opts: &Options) -> Result<Report, ScenarioError> {
    let hook = hook(s, &crate::PROTOCOLS.explorable())?;
    Ok((hook.build)(s, bounds)?.search(opts))
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
