//! Randomized fault campaigns: one scenario, many seeds, a random fault schedule drawn from each
//! seed, every check on; failures shrunk to a small scenario anyone can replay.
//!
//! The result for a seed depends only on the base scenario, the plan and the seed: never on how
//! many seeds run in parallel or in which shard.

use crate::judge::{self, Checks, Report};
use crate::scenario::{FaultAction, FaultSpec, Scenario};
use crate::system;
use synod_core::{NodeId, Time};
use synod_sim::{EndReason, FaultKind, FaultPlan, NodeSpec, OVERLOADED, random_faults_named};

/// The least time a campaign run goes on after its last repair and its last request.
pub const CATCH_UP: Time = Time::ms(1_500);

/// How a campaign draws faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Kinds of fault to draw.
    pub kinds: Vec<FaultKind>,
    /// Faults drawn per seed.
    pub intensity: u32,
    /// Faults strike in `[0, window)`; everything is repaired at `window`.
    pub window: Time,
    /// The longest a single fault lasts.
    pub max_fault: Time,
    /// After the window, how long the protocol has to finish every request (liveness bound).
    pub liveness: Time,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            kinds: FaultKind::ALL.iter().map(|(k, _)| *k).collect(),
            intensity: 4,
            window: Time::ms(2_000),
            max_fault: Time::ms(600),
            liveness: Time::ms(4_000),
        }
    }
}

/// Parse `crash,partition,loss,...` into fault kinds (`restart` is accepted: crashes always
/// restart at the end of their fault). The opt-in kinds (`skew`, `membership`, `transfer`) are
/// taken too; whether a protocol takes the orders is checked by [`check_kinds`].
pub fn parse_kinds(list: &str) -> Result<Vec<FaultKind>, String> {
    let every = || FaultKind::ALL.iter().chain(&FaultKind::OPT_IN);
    let valid = || every().map(|(_, n)| *n).collect::<Vec<_>>().join(", ");
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "restart" {
            continue;
        }
        match every().find(|(_, n)| *n == name) {
            Some((k, _)) if !kinds.contains(k) => kinds.push(*k),
            Some(_) => {}
            None => {
                return Err(format!(
                    "unknown fault `{name}` (valid: {}, restart)",
                    valid()
                ));
            }
        }
    }
    if kinds.is_empty() {
        return Err(format!(
            "give at least one fault kind (valid: {}, restart)",
            valid()
        ));
    }
    Ok(kinds)
}

/// The orders (`[[fault]]` verbs of the protocol's own) each opt-in kind needs.
const ORDERS: &[(FaultKind, &[&str])] = &[
    (FaultKind::Membership, &["add", "remove"]),
    (FaultKind::Transfer, &["transfer"]),
];

/// Refuse kinds whose orders the scenario's protocol does not take (`membership` for Paxos).
pub fn check_kinds(kinds: &[FaultKind], s: &Scenario) -> Result<(), String> {
    for (kind, verbs) in ORDERS {
        let takes = |v: &&str| s.protocol.faults.iter().any(|f| f.key == *v);
        if kinds.contains(kind) && !verbs.iter().all(takes) {
            return Err(format!(
                "`{}`: protocol {} takes no {} orders",
                kind.name(),
                s.protocol.name,
                verbs.join("/")
            ));
        }
    }
    Ok(())
}

/// How one seed went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check and expectation held.
    Pass,
    /// A property failed.
    Fail {
        /// The property (a safety property, or the expectation that failed).
        property: String,
        /// What happened.
        detail: String,
    },
    /// The run was stopped by a limit of the simulator (the fault schedule is more than it
    /// holds at once), so it says nothing about the protocol: not judged.
    Aborted {
        /// Why, as the simulator said it.
        reason: String,
    },
}

/// The result of one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// How it went.
    pub outcome: Outcome,
    /// Events processed (for finding the slowest seed).
    pub events: u64,
}

/// The scenario a campaign runs for `seed`: the base with the seed, the drawn faults, the
/// campaign's time limit and the expectations every run must meet.
pub fn scenario_for(base: &Scenario, plan: &Plan, seed: u64) -> Result<Scenario, String> {
    let mut s = base.clone();
    s.seed = seed;
    s.until = plan.window + plan.liveness;
    // After the repair, servers that were cut off or down need time to catch up before their
    // stores are compared.
    s.settle = s.settle.max(CATCH_UP);
    let plan = FaultPlan {
        kinds: plan.kinds.clone(),
        window: plan.window,
        count: plan.intensity,
        max_duration: plan.max_fault,
        latency: (s.net.latency_min, s.net.latency_max),
    };
    let (mut s, specs) = drawn_into(s, &plan)?;
    let has_clients = specs.iter().any(|sp| sp.client);
    let e = &mut s.expect;
    if has_clients {
        e.all_requests_complete.get_or_insert(true);
        e.linearizable.get_or_insert(true);
        e.converged.get_or_insert(true);
    } else {
        e.decided.get_or_insert(true);
    }
    Ok(s)
}

/// Add to `s` the faults `plan` draws for its seed, on its servers (every node that is not a
/// client), written out as `[[fault]]`s so that the scenario replays them. Also returns the
/// nodes.
fn drawn_into(mut s: Scenario, plan: &FaultPlan) -> Result<(Scenario, Vec<NodeSpec>), String> {
    let specs = system::build(&s)
        .map_err(|e| e.to_string())?
        .sim
        .specs()
        .to_vec();
    let servers: Vec<NodeId> = specs
        .iter()
        .enumerate()
        .filter(|(_, sp)| !sp.client)
        .map(|(i, _)| NodeId(i as u32))
        .collect();
    let names: Vec<String> = specs.iter().map(|sp| sp.name.clone()).collect();
    s.faults.extend(
        random_faults_named(s.seed, &servers, &names, plan)
            .iter()
            .map(|f| FaultSpec {
                at: f.at,
                action: FaultAction::from_fault(&f.fault, &names),
                line: 0,
            }),
    );
    s.faults.sort_by_key(|f| f.at);
    Ok((s, specs))
}

/// `s` with the faults `plan` draws for its seed added to its schedule (sweeps in tests).
pub fn with_random_faults(s: &Scenario, plan: &FaultPlan) -> Result<Scenario, String> {
    drawn_into(s.clone(), plan).map(|(s, _)| s)
}

/// Run a scenario with every check on, and judge it.
pub fn run_judged(s: &Scenario) -> Result<Report, String> {
    let mut sys = system::build(s).map_err(|e| e.to_string())?;
    let checks = Checks::attach(&mut sys);
    let end = sys.sim.run();
    Ok(judge::judge(&sys, &checks, s, end))
}

/// Run a scenario with every check on and reduce the result to an outcome.
pub fn judge_scenario(s: &Scenario) -> Result<SeedResult, String> {
    let report = run_judged(s)?;
    let events = report.stats.events;
    let outcome = match &report.end {
        EndReason::Violation(v) if v.property == OVERLOADED => Outcome::Aborted {
            reason: v.to_string(),
        },
        EndReason::Violation(v) if s.expect.violation.as_deref() != Some(v.property.as_str()) => {
            Outcome::Fail {
                property: v.property.clone(),
                detail: v.to_string(),
            }
        }
        _ => match report.verdicts.iter().find(|v| !v.held) {
            Some(v) => Outcome::Fail {
                property: v.name.clone(),
                detail: v.detail.clone(),
            },
            None => Outcome::Pass,
        },
    };
    Ok(SeedResult {
        seed: s.seed,
        outcome,
        events,
    })
}

/// Run one seed of a campaign.
pub fn run_seed(base: &Scenario, plan: &Plan, seed: u64) -> Result<SeedResult, String> {
    judge_scenario(&scenario_for(base, plan, seed)?)
}

/// The seeds of a campaign, computed when asked for, never stored: a campaign of 10^9 seeds
/// holds none of them in memory. Shard `k` of `n` (1-based) of `from ..= from + count - 1`
/// takes every n-th seed from the k-th, so shards are disjoint, cover the range, and take about
/// as long as each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    first: u64,
    step: u64,
    len: u64,
}

impl Seeds {
    /// The seeds of shard `(k, n)` of the `count` seeds from `from`; `None` when there are no
    /// seeds (`count` is 0) or the range goes past the largest seed (`from + count - 1`
    /// overflows). The shard itself may be empty (`k > count`).
    pub fn new(from: u64, count: u64, shard: (u64, u64)) -> Option<Seeds> {
        let (k, n) = shard;
        from.checked_add(count.checked_sub(1)?)?;
        let skip = k.saturating_sub(1);
        let len = if skip < count {
            (count - skip - 1) / n.max(1) + 1
        } else {
            0
        };
        Some(Seeds {
            first: from.saturating_add(skip),
            step: n.max(1),
            len,
        })
    }

    /// How many seeds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th seed (`i < len`).
    pub fn nth(&self, i: u64) -> u64 {
        self.first + i * self.step
    }

    /// Every seed, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len).map(|i| self.nth(i))
    }
}

/// Whether a fault strikes (a crash, a partition, loss, ...) rather than undoes one (a
/// restart, a heal, loss back to 0, the network's own latency): what "N faults" counts when a
/// failure is shrunk. A protocol's own fault verb (`isolate = "n1"`, `remove = "n2"`) strikes:
/// it stands for faults of the simulator's vocabulary, and its undoing is one of those (`heal`,
/// `restart`); except `add`, which undoes a `remove` (the `membership` kind draws the pair).
pub fn strikes(action: &FaultAction, s: &Scenario) -> bool {
    match action {
        FaultAction::Crash(_)
        | FaultAction::Partition(_)
        | FaultAction::OneWay(..)
        | FaultAction::Hold(_) => true,
        FaultAction::Protocol(verb, _) => *verb != "add",
        FaultAction::Restart(_) | FaultAction::Heal | FaultAction::Release(_) => false,
        FaultAction::Slow(_, factor) | FaultAction::Skew(_, factor) => *factor != 1.0,
        FaultAction::Loss(p) | FaultAction::Duplicate(p) => *p > 0.0,
        FaultAction::Latency(min, max) => (*min, *max) != (s.net.latency_min, s.net.latency_max),
    }
}

/// How many of a scenario's faults strike (see [`strikes`]).
pub fn fault_count(s: &Scenario) -> usize {
    s.faults.iter().filter(|f| strikes(&f.action, s)).count()
}

/// What shrinking found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest failing scenario found.
    pub scenario: Scenario,
    /// Whether shrinking ran to the end (`false`: `keep_going` stopped it first; the scenario
    /// still fails, it may just not be the smallest).
    pub finished: bool,
}

/// Shrink a failing scenario: drop faults and bring repairs earlier while the same property
/// still fails. `keep_going` is asked before every trial run; when it says no, shrinking stops
/// with the smallest failing scenario found so far (the caller caps the time it takes, or stops
/// on Ctrl-C). `synod run` on the result shows the failure and exits 1.
pub fn shrink(failing: &Scenario, property: &str, keep_going: &mut dyn FnMut() -> bool) -> Shrunk {
    let stopped = std::cell::Cell::new(false);
    let mut fails = |s: &Scenario| {
        if stopped.get() || !keep_going() {
            stopped.set(true);
            return false;
        }
        matches!(judge_scenario(s), Ok(SeedResult { outcome: Outcome::Fail { property: p, .. }, .. }) if p == property)
    };
    let mut best = failing.clone();
    // The final repair (everything the campaign undoes at the end of its fault window) is kept
    // as it is: without it, any unrepaired fault would fail `converged` or
    // `all_requests_complete` trivially, and the shrunk scenario would show something else
    // than the failure that was found.
    let repair_at = best.faults.iter().map(|f| f.at).max().unwrap_or(Time::ZERO);
    let movable = |s: &Scenario, i: usize| s.faults[i].at < repair_at;
    // Remove faults one at a time, from the last, until no single removal keeps the failure.
    let mut changed = true;
    while changed && !stopped.get() {
        changed = false;
        let mut i = best.faults.len();
        while i > 0 && !stopped.get() {
            i -= 1;
            if !movable(&best, i) {
                continue;
            }
            let mut candidate = best.clone();
            candidate.faults.remove(i);
            if fails(&candidate) {
                best = candidate;
                changed = true;
            }
        }
    }
    // Shorten: bring each remaining fault's end (its repair) earlier, halving the gap.
    for i in 0..best.faults.len() {
        if !movable(&best, i) || stopped.get() {
            continue;
        }
        while let Some(prev) = best.faults[..i].last().map(|f| f.at) {
            let at = best.faults[i].at;
            let earlier = Time::micros(prev.as_micros() + (at.as_micros() - prev.as_micros()) / 2);
            if earlier >= at || at - earlier < Time::ms(1) {
                break;
            }
            let mut candidate = best.clone();
            candidate.faults[i].at = earlier;
            if fails(&candidate) {
                best = candidate;
            } else {
                break;
            }
        }
    }
    best.name = format!(
        "{}-seed{}-{}",
        best.protocol,
        best.seed,
        property.replace(' ', "-")
    );
    best.description = format!(
        "Found by synod check: {property} fails on seed {}{}; shrunk to {} fault(s).",
        best.seed,
        best.bug
            .as_ref()
            .map(|b| format!(" with planted bug {b}"))
            .unwrap_or_default(),
        fault_count(&best)
    );
    Shrunk {
        scenario: best,
        finished: !stopped.get(),
    }
}
