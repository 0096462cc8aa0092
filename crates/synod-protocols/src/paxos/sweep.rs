//! Sweeps over many seeds: each seed draws a random fault schedule (crashes, partitions, loss,
//! duplication, delays, slow and held nodes) during a fault window, after which everything is
//! repaired. A run passes if no safety check failed and every learner decided.

use crate::judge::Checks;
use crate::scenario::Scenario;
use crate::system;
use synod_core::{Decision, NodeId, Time};
use synod_sim::{EndReason, FaultKind, FaultPlan, random_faults};

/// What a sweep seed throws at the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// Fault kinds drawn.
    pub kinds: Vec<FaultKind>,
    /// Faults drawn per seed.
    pub count: u32,
    /// Faults strike in the first `window`; then everything is repaired.
    pub window: Time,
    /// The longest a fault lasts.
    pub max_duration: Time,
    /// The run's time limit.
    pub until: Time,
}

impl Default for SweepPlan {
    /// Every kind of fault, 8 per seed, in the first 300 ms (while proposers are at work: they
    /// start within 100 ms), each lasting up to 150 ms; runs end by 6 s.
    fn default() -> Self {
        SweepPlan {
            kinds: FaultKind::ALL.iter().map(|(k, _)| *k).collect(),
            count: 8,
            window: Time::ms(300),
            max_duration: Time::ms(150),
            until: Time::ms(6_000),
        }
    }
}

impl SweepPlan {
    /// Crash-heavy: 20 crashes, partitions and loss bursts per seed over a second (to catch
    /// planted bugs that need several crashes in a row).
    pub fn crash_heavy() -> Self {
        SweepPlan {
            kinds: vec![FaultKind::Crash, FaultKind::Partition, FaultKind::Loss],
            count: 20,
            window: Time::ms(1_000),
            max_duration: Time::ms(300),
            ..SweepPlan::default()
        }
    }
}

/// What a passing seed did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRun {
    /// Events simulated.
    pub events: u64,
    /// Ballots started (p1a broadcasts).
    pub ballots: u64,
}

/// Run the default 5-node Paxos cluster on `seed` under `plan`, with planted `bug` if any.
/// `Err` says why the seed failed: a safety violation, or learners that never decided.
pub fn run_seed(seed: u64, bug: Option<&str>, plan: &SweepPlan) -> Result<SeedRun, String> {
    let mut base = crate::PROTOCOLS
        .scenario("paxos")
        .map_err(|e| e.to_string())?;
    base.bug = bug.map(str::to_string);
    run_seed_on(&base, seed, plan)
}

/// Run the cluster of scenario `base` (its layout, network, timing and bug; not its faults)
/// on `seed` under `plan`.
pub fn run_seed_on(base: &Scenario, seed: u64, plan: &SweepPlan) -> Result<SeedRun, String> {
    let mut s = base.clone();
    s.seed = seed;
    s.until = plan.until;
    s.faults.clear();
    let mut sys = system::build(&s).map_err(|e| e.to_string())?;
    let servers: Vec<NodeId> = (0..sys.sim.specs().len() as u32).map(NodeId).collect();
    let faults = FaultPlan {
        kinds: plan.kinds.clone(),
        window: plan.window,
        count: plan.count,
        max_duration: plan.max_duration,
        latency: (s.net.latency_min, s.net.latency_max),
    };
    for f in random_faults(seed, &servers, &faults) {
        sys.sim.schedule(f);
    }
    let _checks = Checks::attach(&mut sys);
    if let EndReason::Violation(v) = sys.sim.run() {
        return Err(format!("seed {seed}: {v}"));
    }
    let undecided: Vec<String> = sys
        .sim
        .statuses()
        .iter()
        .zip(sys.sim.specs())
        .filter(|(st, _)| {
            st.as_ref()
                .is_none_or(|st| st.decision == Some(Decision::Pending))
        })
        .map(|(_, spec)| spec.name.clone())
        .collect();
    if undecided.is_empty() {
        let stats = sys.sim.stats();
        let p1a = stats
            .kinds
            .iter()
            .find(|k| k.kind == "p1a")
            .map_or(0, |k| k.sent);
        Ok(SeedRun {
            events: stats.events,
            ballots: p1a / servers.len() as u64,
        })
    } else {
        Err(format!(
            "seed {seed}: never decided (or down): {}",
            undecided.join(", ")
        ))
    }
}
