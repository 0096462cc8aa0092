//! Randomized fault campaigns: one scenario, many seeds, a fault schedule drawn from each seed
//! by the campaign's nemeses ([`crate::nemesis`]) while the clients keep working, every check
//! on; failures shrunk to a small scenario anyone can replay.
//!
//! A seed's run: the clients issue requests from the start until the end of the fault window
//! (`workload.until_ms`, unless the scenario sets its own workload window), the nemeses strike
//! inside the window, everything is repaired at its end (`repair = true`), and the protocol
//! then has the liveness period to finish what the clients started. The run is judged for
//! safety (live), linearizability, completion and convergence, and counted for
//! [`Coverage`].
//!
//! The result for a seed depends only on the base scenario, the plan and the seed: never on how
//! many seeds run in parallel or in which shard.

use crate::judge::{self, Checks, Report};
use crate::nemesis::{self, Draw, Mix};
use crate::protocol::Protocol;
use crate::scenario::{FaultAction, FaultSpec, Moment, Scenario};
use crate::settings::{Setting, Value};
use crate::system;
use synod_core::{Event, EventKind, Leadership, NodeId, Observer, SimRng, Time, Violation};
use synod_sim::{
    EndReason, FaultKind, FaultPlan, OVERLOADED, On, Shared, Target, random_faults_named,
};

/// The setting by which a protocol states how far apart its servers' clocks may drift, in
/// percent (Raft's lease reads rest on it, dissertation 6.4.1). A protocol that has it is
/// never given a clock slower than it allows.
pub const CLOCK_DRIFT_KEY: &str = "timing.clock_drift_percent";

/// The key of a protocol's servers that start outside its configuration (Raft's
/// `cluster.spares`): the last servers named. A nemesis that adds servers takes them from these
/// ([`crate::nemesis::Draw::spares`]).
pub const SPARES_KEY: &str = "cluster.spares";

/// How many of `s`'s servers are spares ([`SPARES_KEY`]; none for a protocol without them).
pub fn spares(s: &Scenario) -> usize {
    s.protocol
        .setting(SPARES_KEY)
        .map_or(0, |k| s.settings.count(k) as usize)
}

/// The slowest a campaign's nemeses may make a clock run for `s`, as a factor: 2 (half speed)
/// for a protocol that assumes nothing of clocks, else `1 + drift` where the scenario's
/// [`CLOCK_DRIFT_KEY`] allows less. A clock only ever runs slow, so two clocks then stay within
/// the drift: a campaign that broke the protocol's stated assumption would report bugs that
/// are not there.
pub fn clock_bound(s: &Scenario) -> f64 {
    let drift = s
        .protocol
        .setting(CLOCK_DRIFT_KEY)
        .map(|k| s.settings.count(k));
    match drift {
        Some(percent) => (1.0 + percent as f64 / 100.0).min(2.0),
        None => 2.0,
    }
}

/// The least time a campaign run goes on after its last repair and its last request.
pub const CATCH_UP: Time = Time::ms(1_500);

/// How a campaign draws faults and drives the clients.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The nemeses, and how they are mixed.
    pub mix: Mix,
    /// Faults drawn per seed (swarm: on average).
    pub intensity: u32,
    /// Faults strike in `[0, window)`; everything is repaired at `window`; the clients issue
    /// requests until then.
    pub window: Time,
    /// The longest a single fault lasts.
    pub max_fault: Time,
    /// After the window, how long the protocol has to finish every request (liveness bound).
    pub liveness: Time,
    /// Requests per second each client aims at through the window (0: back to back).
    pub rate: u32,
    /// Swarm testing of the configuration ([`Vary`]): each seed draws the settings the
    /// scenario does not give (`--fixed-config` turns it off).
    pub vary: bool,
    /// Whether the protocol's [`crate::protocol::Story`]s are told on their share of the
    /// seeds, where the plan is otherwise its default campaign's (its own mix, the
    /// configuration drawn): a campaign of another `--nemesis` tells none whatever this says.
    pub stories: bool,
}

impl Plan {
    /// The default campaign of `protocol` (its descriptor's [`crate::protocol::Campaign`]).
    pub fn for_protocol(protocol: &'static Protocol) -> Plan {
        Plan::of(&protocol.campaign)
    }

    /// The plan a descriptor's campaign gives, its own nemeses included (every registered
    /// descriptor's mix parses, as tests/campaign.rs checks; were one not to, every nemesis
    /// would swarm).
    fn of(c: &crate::protocol::Campaign) -> Plan {
        Plan {
            mix: nemesis::parse(c.nemesis, c.nemeses)
                .unwrap_or_else(|_| Mix::Swarm(nemesis::available(c.nemeses).collect())),
            intensity: c.intensity,
            window: c.window,
            max_fault: c.max_fault,
            liveness: c.liveness,
            rate: c.rate,
            vary: true,
            stories: true,
        }
    }

    /// Whether a campaign of `protocol` with this plan tells the protocol's stories: only its
    /// default campaign does (its own mix, the configuration drawn, stories not turned off),
    /// and only with faults (`--intensity 0` asks for none, and a story is faults too).
    fn tells_stories(&self, protocol: &Protocol) -> bool {
        let c = &protocol.campaign;
        self.vary
            && self.stories
            && self.intensity > 0
            && !c.stories.is_empty()
            && nemesis::parse(c.nemesis, c.nemeses).is_ok_and(|own| own == self.mix)
    }

    /// The stories `protocol`'s campaign of this plan tells, as the summary names them
    /// (`figure8's story on 25 seeds in 100`): none unless the configuration is drawn and the
    /// plan tells them.
    pub fn stories_told(&self, protocol: &Protocol) -> Vec<String> {
        if !self.tells_stories(protocol) {
            return Vec::new();
        }
        protocol
            .campaign
            .stories
            .iter()
            .filter(|s| s.fits(self.window))
            .map(|s| format!("{}'s story on {} seeds in 100", s.nemesis, s.percent))
            .collect()
    }
}

impl Default for Plan {
    /// [`crate::protocol::Campaign::DEFAULT`] with the built-in nemeses.
    fn default() -> Self {
        Plan::of(&crate::protocol::Campaign::DEFAULT)
    }
}

/// Parse `crash,partition,loss,...` (the `--faults` of synod's first campaigns) into fault
/// kinds (`restart` is accepted: crashes always restart at the end of their fault). The opt-in
/// kinds (`skew`, `membership`, `transfer`) are taken too; whether a protocol takes the orders
/// is checked by [`check_kinds`].
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

/// The fixed mix of the nemeses named like `kinds` (`--faults`): the random ones of synod's
/// first campaigns, `skew`, and the protocol's own `membership` and `transfer` (`own`, its
/// descriptor's [`crate::protocol::Campaign::nemeses`]; see [`check_kinds`]).
pub fn kinds_mix(kinds: &[FaultKind], own: &'static [crate::nemesis::Nemesis]) -> Mix {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    nemesis::parse(&names.join(","), own).unwrap_or_else(|_| Mix::Fixed(Vec::new()))
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

/// How often the interesting things happened in a run (FoundationDB's coverage counters): a
/// campaign whose counters stay at zero did not test what it seems to test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// A new leader took over while client requests were in flight.
    pub leader_changes_in_flight: u64,
    /// Uncommitted log entries were discarded (a `truncate` event).
    pub truncations: u64,
    /// A node that was behind received entries committed without it (`catch-up`).
    pub catch_ups: u64,
    /// A retried request was recognized and not executed again (`dedup`).
    pub dedups: u64,
    /// A cut left the leader unable to reach a majority.
    pub leader_isolations: u64,
    /// A new leader took over while a read was in flight.
    pub reads_in_leader_change: u64,
}

impl Coverage {
    /// The counters' names (as `--json` writes them) and what each counts, in order.
    pub const COUNTERS: [(&'static str, &'static str); 6] = [
        (
            "leader_changes_in_flight",
            "leader changes while requests were in flight",
        ),
        ("truncations", "uncommitted entries truncated"),
        ("catch_ups", "follower catch-ups"),
        ("dedups", "retries deduplicated"),
        ("leader_isolations", "partitions that isolated a leader"),
        ("reads_in_leader_change", "reads during a leadership change"),
    ];

    /// The counters, in the order of [`Coverage::COUNTERS`].
    pub fn values(&self) -> [u64; 6] {
        [
            self.leader_changes_in_flight,
            self.truncations,
            self.catch_ups,
            self.dedups,
            self.leader_isolations,
            self.reads_in_leader_change,
        ]
    }

    /// Counters from values in the order of [`Coverage::COUNTERS`].
    pub fn from_values(v: [u64; 6]) -> Coverage {
        Coverage {
            leader_changes_in_flight: v[0],
            truncations: v[1],
            catch_ups: v[2],
            dedups: v[3],
            leader_isolations: v[4],
            reads_in_leader_change: v[5],
        }
    }
}

/// Counts [`Coverage`] from a run's events.
#[derive(Default)]
struct CoverageWatch {
    c: Coverage,
    /// Leaders announced so far (the first one is an election, not a change).
    leads: u64,
    /// Client operations in flight: (client, op id, is a read).
    in_flight: Vec<(NodeId, u64, bool)>,
}

impl Observer for CoverageWatch {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        match ev.kind {
            EventKind::Invoke { op_id, op } => {
                if let Some(n) = ev.node {
                    self.in_flight.push((n, op_id, op.f == "get"));
                }
            }
            EventKind::Return { op_id, .. } => {
                if let Some(i) = self
                    .in_flight
                    .iter()
                    .position(|(n, id, _)| Some(*n) == ev.node && *id == op_id)
                {
                    self.in_flight.swap_remove(i);
                }
            }
            EventKind::Role {
                leadership: Leadership::Leads,
                ..
            } => {
                if self.leads > 0 {
                    if !self.in_flight.is_empty() {
                        self.c.leader_changes_in_flight += 1;
                    }
                    if self.in_flight.iter().any(|(_, _, read)| *read) {
                        self.c.reads_in_leader_change += 1;
                    }
                }
                self.leads += 1;
            }
            EventKind::Truncate { .. } => self.c.truncations += 1,
            EventKind::CatchUp { .. } => self.c.catch_ups += 1,
            EventKind::Dedup { .. } => self.c.dedups += 1,
            _ => {}
        }
        Ok(())
    }
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
    /// What the run exercised.
    pub coverage: Coverage,
}

/// What a seed's configuration is drawn with: swarm testing of the configuration (Groce et
/// al., 2012, applied to settings as TigerBeetle's VOPR draws its clusters' sizes and
/// timeouts). Each seed may shape the workload (one hot key, short client timeouts that make
/// clients retry while their first try is in flight) and the protocol's own settings
/// ([`crate::protocol::Campaign::vary`]), but never a key the scenario gives: a campaign of a
/// scenario file keeps what the file says.
pub struct Vary<'a> {
    /// The generator of the seed's configuration (neither the simulator's nor the faults').
    pub rng: &'a mut SimRng,
    base: &'a Scenario,
    s: &'a mut Scenario,
    reshaped: bool,
}

impl Vary<'_> {
    /// Set the protocol's setting `key` to `value`, unless the scenario gives it (or the
    /// protocol has no such setting).
    pub fn set(&mut self, key: &str, value: Value) {
        let Some(setting): Option<&'static Setting> = self.base.protocol.setting(key) else {
            return;
        };
        if self.base.settings.given(setting) {
            return;
        }
        self.reshaped |= key.starts_with("cluster.");
        self.s.settings.set(setting, value, None);
    }

    /// Whether the seed's scenario has `key` at `value` (given or drawn), for draws that
    /// depend on each other (Raft's lease reads need CheckQuorum).
    pub fn is(&self, key: &str, value: &Value) -> bool {
        self.s
            .settings
            .iter()
            .any(|(k, v)| k.key == key && v == value)
    }

    /// With probability `chance`, a client timeout of 40 ms to `longest_ms` (uniform, whole
    /// milliseconds): clients that retry while their first try may still be applied, the
    /// exactly-once paths.
    pub fn short_timeouts(&mut self, chance: f64, longest_ms: u64) {
        if self.rng.chance(chance) {
            let ms = 40.0 + self.rng.below(longest_ms.saturating_sub(40) + 1) as f64;
            self.set("workload.client_timeout_ms", Value::Ms(ms));
        }
    }

    /// One of `options`, uniformly.
    pub fn pick<T: Clone>(&mut self, options: &[T]) -> T {
        options[self.rng.below(options.len() as u64) as usize].clone()
    }
}

/// The workload's share of the configuration swarm, for every protocol with clients: a third
/// of the seeds send every request to one key (so that a stale read or a request applied twice
/// meets the next operation on that key), and a third give clients a short timeout (so that
/// they retry while their first try may still be applied: the exactly-once paths).
fn vary_workload(v: &mut Vary<'_>) {
    if v.rng.chance(1.0 / 3.0) {
        v.set("workload.keys", Value::List(vec!["a".into()]));
    }
    v.short_timeouts(1.0 / 3.0, 100);
}

/// A campaign made ready to run seeds: the base scenario with the campaign's workload, and the
/// servers the nemeses strike, worked out once.
#[derive(Clone, Debug)]
pub struct Runner {
    base: Scenario,
    plan: Plan,
    servers: Vec<String>,
    has_clients: bool,
    /// The protocol's stories with their mixes, if the plan tells them.
    stories: Vec<(&'static crate::protocol::Story, Mix)>,
}

impl Runner {
    /// Ready `base` for `plan`: the clients work through the fault window (unless `base` sets
    /// its own workload window), and the servers are named.
    pub fn new(base: &Scenario, plan: &Plan) -> Result<Runner, String> {
        let mut s = base.clone();
        s.until = plan.window + plan.liveness;
        // After the repair, servers that were cut off or down need time to catch up before
        // their stores are compared.
        s.settle = s.settle.max(CATCH_UP);
        let p = s.protocol;
        (p.campaign.prepare)(&mut s);
        let own_window = crate::kv::WINDOW_SETTINGS
            .iter()
            .any(|k| s.settings.given(k));
        if !own_window && let Some(until) = p.setting(crate::kv::UNTIL.key) {
            s.settings
                .set(until, Value::Ms(plan.window.as_ms_f64()), None);
            if plan.rate > 0
                && let Some(rate) = p.setting(crate::kv::RATE.key)
            {
                s.settings
                    .set(rate, Value::Count(u64::from(plan.rate)), None);
            }
        }
        let (servers, has_clients) = servers_of(&s)?;
        let mut stories = Vec::new();
        if plan.tells_stories(p) {
            for story in p.campaign.stories {
                let mix = nemesis::parse(story.nemesis, p.campaign.nemeses)
                    .map_err(|e| format!("{}'s story `{}`: {e}", p.name, story.nemesis))?;
                stories.push((story, mix));
            }
        }
        Ok(Runner {
            base: s,
            plan: plan.clone(),
            servers,
            has_clients,
            stories,
        })
    }

    /// The story told on `seed`, if any: drawn from a generator of its own, so that the seeds
    /// that tell none draw what they drew before the protocol had stories.
    fn story(&self, seed: u64) -> Option<&(&'static crate::protocol::Story, Mix)> {
        if self.stories.is_empty() {
            return None;
        }
        let mut roll = SimRng::derive(seed, u64::MAX - 2).below(100);
        self.stories
            .iter()
            .find(|(story, _)| {
                let hit = roll < u64::from(story.percent);
                roll = roll.saturating_sub(u64::from(story.percent));
                hit
            })
            // A story the window cannot hold is not told: its seeds draw the mix.
            .filter(|(story, _)| story.fits(self.plan.window))
    }

    /// The scenario of `seed`: the base with the seed, the faults its nemeses draw, the final
    /// repair and the expectations every run must meet.
    pub fn scenario(&self, seed: u64) -> Scenario {
        let mut s = self.base.clone();
        s.seed = seed;
        let plan = &self.plan;
        let story = self.story(seed);
        let mut servers = std::borrow::Cow::Borrowed(&self.servers);
        if plan.vary {
            let mut rng = SimRng::derive(seed, u64::MAX - 1);
            let mut v = Vary {
                rng: &mut rng,
                base: &self.base,
                s: &mut s,
                reshaped: false,
            };
            if self.has_clients {
                vary_workload(&mut v);
            }
            (self.base.protocol.campaign.vary)(&mut v);
            if let Some((story, _)) = story {
                (story.shape)(&mut v);
            }
            let reshaped = v.reshaped;
            if (self.base.protocol.validate)(&s.settings).is_err() {
                // What was drawn does not fit what the scenario gives (a heartbeat above the
                // drawn election timeout, names for another cluster size): this seed keeps
                // the scenario's configuration.
                s.settings = self.base.settings.clone();
            } else if reshaped {
                // The cluster's shape was drawn: name its servers again.
                if let Ok((names, _)) = servers_of(&s) {
                    servers = std::borrow::Cow::Owned(names);
                }
            }
        }
        let mut rng = SimRng::derive(seed, u64::MAX);
        let mut drawn = Vec::new();
        let mut d = Draw::new(
            &mut rng,
            &servers,
            plan.window,
            plan.max_fault,
            (s.net.latency_min, s.net.latency_max),
            &mut drawn,
        );
        d.slowest_clock = clock_bound(&s);
        d.spares = spares(&s).min(servers.len());
        if plan.window > Time::ZERO && !servers.is_empty() {
            match story {
                // A story is drawn once (its nemesis draws the whole schedule).
                Some((_, mix)) => mix.draw(&mut d, 1),
                None => plan.mix.draw(&mut d, plan.intensity),
            }
        }
        drawn.sort_by_key(|f| f.at);
        let recovery = self.base.protocol.campaign.recovery;
        let drawn = at_most_a_minority_down(drawn, servers.len(), recovery);
        s.faults.extend(drawn);
        s.faults.sort_by_key(|f| f.at);
        s.faults
            .push(FaultSpec::new(plan.window, FaultAction::Repair));
        let e = &mut s.expect;
        if self.has_clients {
            e.all_requests_complete.get_or_insert(true);
            e.linearizable.get_or_insert(true);
            e.converged.get_or_insert(true);
        } else {
            e.decided.get_or_insert(true);
        }
        s
    }

    /// Run one seed.
    pub fn run(&self, seed: u64) -> Result<SeedResult, String> {
        judge_scenario(&self.scenario(seed))
    }
}

/// The servers' names of the cluster `s` builds, and whether it has clients.
fn servers_of(s: &Scenario) -> Result<(Vec<String>, bool), String> {
    let sys = system::build(s).map_err(|e| e.to_string())?;
    let specs = sys.sim.specs();
    let servers = specs
        .iter()
        .filter(|sp| !sp.client)
        .map(|sp| sp.name.clone())
        .collect();
    Ok((servers, specs.iter().any(|sp| sp.client)))
}

/// Drop the drawn crashes that would have a majority of the servers down at once: the failure
/// model of every protocol here allows a minority to fail (and Viewstamped Replication, which
/// recovers without a disk, cannot recover a majority that crashed together: that is its
/// design, not a bug). A crash of `leader`, `voter` or `seeker` counts as one more node down, whoever
/// it strikes; a crash that waits for a moment counts from its arming to the end of its wait,
/// its delay and its length (to the end of the seed if its wait is unbounded); a node that
/// restarted counts as down for `recovery` more (the protocol's
/// [`crate::protocol::Campaign::recovery`]: a diskless VR replica is not back until others
/// have answered its recovery).
fn at_most_a_minority_down(
    drawn: Vec<FaultSpec>,
    servers: usize,
    recovery: Time,
) -> Vec<FaultSpec> {
    // (A single server may still crash: it is the baseline, durable, and restarts.)
    let minority = (servers.saturating_sub(1) / 2).max(1);
    // The crashes in force: who, and until when.
    let mut down: Vec<(String, Time)> = Vec::new();
    let mut out = Vec::with_capacity(drawn.len());
    for f in drawn {
        if let (FaultAction::Crash(node), Some(d)) = (&f.action, f.lasts) {
            down.retain(|(_, end)| *end > f.at);
            // A crash that waits for a moment may strike any time after it is armed and
            // before its wait runs out: it counts as down for all of that.
            let end = match f.when {
                Some(Moment {
                    after,
                    within: Some(w),
                    ..
                }) => f.at + w + after + d + recovery,
                Some(_) => Time::MAX,
                None => f.at + d + recovery,
            };
            // A node already down is crashed again: it stays one entry (its latest end), so
            // that the list holds at most a minority whatever the intensity.
            let already = (Target::role(node).is_none())
                .then(|| down.iter().position(|(n, _)| n == node))
                .flatten();
            match already {
                Some(i) => down[i].1 = down[i].1.max(end),
                None if down.len() >= minority => continue,
                None => down.push((node.clone(), end)),
            }
        }
        out.push(f);
    }
    out
}

/// The scenario a campaign runs for `seed` (see [`Runner::scenario`]).
pub fn scenario_for(base: &Scenario, plan: &Plan, seed: u64) -> Result<Scenario, String> {
    Ok(Runner::new(base, plan)?.scenario(seed))
}

/// `s` with the faults of synod's first fault plans added to its schedule, each fault and its
/// undoing as two `[[fault]]`s and the final repair spelled out (the protocols' sweeps in
/// tests).
pub fn with_random_faults(s: &Scenario, plan: &FaultPlan) -> Result<Scenario, String> {
    let mut s = s.clone();
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
            .map(|f| FaultSpec::from_fault(f.at, &f.fault, &names)),
    );
    s.faults.sort_by_key(|f| f.at);
    Ok(s)
}

/// Run a scenario with every check on, and judge it.
pub fn run_judged(s: &Scenario) -> Result<Report, String> {
    let mut sys = system::build(s).map_err(|e| e.to_string())?;
    let checks = Checks::attach(&mut sys);
    let end = sys.sim.run();
    Ok(judge::judge(&sys, &checks, s, end))
}

/// Run a scenario with every check on and reduce the result to an outcome, counting what it
/// exercised.
pub fn judge_scenario(s: &Scenario) -> Result<SeedResult, String> {
    let mut sys = system::build(s).map_err(|e| e.to_string())?;
    let checks = Checks::attach(&mut sys);
    let watch = Shared::new(CoverageWatch::default());
    sys.sim.add_observer(Box::new(watch.clone()));
    let end = sys.sim.run();
    let report = judge::judge(&sys, &checks, s, end);
    let mut coverage = watch.borrow().c;
    coverage.leader_isolations = report.stats.leader_isolations;
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
        coverage,
    })
}

/// Run one seed of a campaign.
pub fn run_seed(base: &Scenario, plan: &Plan, seed: u64) -> Result<SeedResult, String> {
    Runner::new(base, plan)?.run(seed)
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
/// restart, a heal, loss back to the network's, the network's own latency, the repair): what
/// "N faults" counts when a failure is shrunk. A protocol's own fault verb (`isolate = "n1"`,
/// `remove = "n2"`) strikes: it stands for faults of the simulator's vocabulary, and its undoing
/// is one of those (`heal`, `restart`); except `add`, which undoes a `remove` (the `membership`
/// nemesis draws the pair).
pub fn strikes(action: &FaultAction, s: &Scenario) -> bool {
    match action {
        FaultAction::Crash(_)
        | FaultAction::Partition(_)
        | FaultAction::OneWay(..)
        | FaultAction::Hold(_)
        | FaultAction::Ring(_) => true,
        FaultAction::Protocol(verb, _) => *verb != "add",
        FaultAction::Restart(_)
        | FaultAction::Heal
        | FaultAction::Release(_)
        | FaultAction::Repair => false,
        FaultAction::Slow(_, factor) | FaultAction::Skew(_, factor) => *factor != 1.0,
        FaultAction::Loss(p) => *p != s.net.loss,
        FaultAction::Duplicate(p) => *p != s.net.duplicate,
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
    /// Trial runs it made.
    pub trials: u64,
}

/// The shrinker's state: the smallest failing scenario so far, and the test that a candidate
/// still fails the same way.
struct Shrinker<'a> {
    best: Scenario,
    property: &'a str,
    keep_going: &'a mut dyn FnMut() -> bool,
    stopped: bool,
    trials: u64,
}

/// How many other seeds [`Shrinker::remove_faults_reseeded`] tries a removal under.
const RESEEDS: u64 = 64;

impl Shrinker<'_> {
    /// Whether `candidate` fails with the same property; if so it becomes the best.
    fn try_(&mut self, candidate: Scenario) -> bool {
        if self.stopped || !(self.keep_going)() {
            self.stopped = true;
            return false;
        }
        self.trials += 1;
        let same = matches!(
            judge_scenario(&candidate),
            Ok(SeedResult { outcome: Outcome::Fail { property: p, .. }, .. }) if p == self.property
        );
        if same {
            self.best = candidate;
        }
        same
    }

    /// The indices of the faults that may be removed or changed: every one but the repair.
    fn movable(&self) -> Vec<usize> {
        (0..self.best.faults.len())
            .filter(|&i| !matches!(self.best.faults[i].action, FaultAction::Repair))
            .collect()
    }

    /// When the final repair strikes (the end of the fault window), if there is one.
    fn repair_at(&self) -> Option<Time> {
        self.best
            .faults
            .iter()
            .rev()
            .find(|f| matches!(f.action, FaultAction::Repair))
            .map(|f| f.at)
    }

    /// Remove faults, in halves, then quarters, ... then one at a time (ddmin, Zeller and
    /// Hildebrandt 2002, by its complements), until no single removal keeps the failure.
    fn remove_faults(&mut self) {
        let mut chunk = (self.movable().len() / 2).max(1);
        loop {
            let mut removed = false;
            let mut start = 0;
            loop {
                let movable = self.movable();
                if start >= movable.len() || self.stopped {
                    break;
                }
                let gone: Vec<usize> = movable[start..(start + chunk).min(movable.len())].to_vec();
                let mut candidate = self.best.clone();
                let mut k = 0;
                candidate.faults.retain(|_| {
                    let keep = !gone.contains(&k);
                    k += 1;
                    keep
                });
                if self.try_(candidate) {
                    removed = true;
                } else {
                    start += chunk;
                }
            }
            if self.stopped || (chunk == 1 && !removed) {
                return;
            }
            chunk = (chunk / 2).max(1);
        }
    }

    /// A fault that no removal could take out may be needed only for its noise. The seed
    /// drives every latency and every timer a node draws, from streams: taking a fault out
    /// changes when later messages arrive and timers fire, and the failure may go with that
    /// noise rather than with the fault. So each removal is tried again under other seeds
    /// (a scenario's seed names its randomness only; a campaign writes its configuration
    /// out), and the first that fails the same way is kept, with its seed; then the plain
    /// removals run again under it. (Hypothesis's shrinker, likewise, may rewrite the random
    /// choices a failure does not depend on.)
    fn remove_faults_reseeded(&mut self) {
        while !self.stopped {
            let base = self.best.clone();
            let mut removed = false;
            'faults: for i in self.movable() {
                for k in 1..=RESEEDS {
                    let mut candidate = base.clone();
                    candidate.faults.remove(i);
                    candidate.seed = base.seed.wrapping_add(k);
                    if self.try_(candidate) {
                        removed = true;
                        break 'faults;
                    }
                    if self.stopped {
                        return;
                    }
                }
            }
            if !removed {
                return;
            }
            self.remove_faults();
        }
    }

    /// Shorten each fault that undoes itself, halving its duration while the failure stays.
    fn shorten(&mut self) {
        for i in self.movable() {
            while let Some(d) = self.best.faults[i].lasts {
                let shorter = Time::micros(d.as_micros() / 2);
                if shorter < Time::ms(1) || self.stopped {
                    break;
                }
                let mut candidate = self.best.clone();
                candidate.faults[i].lasts = Some(shorter);
                if !self.try_(candidate) {
                    break;
                }
            }
        }
    }

    /// Bring each fault earlier, halving the gap to the fault before it, while the failure
    /// stays.
    fn earlier(&mut self) {
        for i in self.movable() {
            let prev = if i == 0 {
                Time::ZERO
            } else {
                self.best.faults[i - 1].at
            };
            self.halve_towards(i, prev);
        }
    }

    /// Bring fault `i` earlier, halving its distance to `floor` each time, while the failure
    /// stays (and until it is within 1 ms of it).
    fn halve_towards(&mut self, i: usize, floor: Time) {
        loop {
            let at = self.best.faults[i].at;
            let earlier =
                Time::micros(floor.as_micros() + (at.as_micros() - floor.as_micros()) / 2);
            if earlier >= at || at - earlier < Time::ms(1) || self.stopped {
                break;
            }
            let mut candidate = self.best.clone();
            candidate.faults[i].at = earlier;
            if !self.try_(candidate) {
                break;
            }
        }
    }

    /// Bring the final repair as early as the faults before it allow: to the end of the last
    /// one, or halfway there.
    fn repair_earlier(&mut self) {
        let Some(i) = self
            .best
            .faults
            .iter()
            .rposition(|f| matches!(f.action, FaultAction::Repair))
        else {
            return;
        };
        let floor = self.best.faults[..i]
            .iter()
            .map(|f| f.at + f.lasts.unwrap_or(Time::ZERO))
            .max()
            .unwrap_or(Time::ZERO)
            .max(Time::ms(1));
        self.halve_towards(i, floor);
    }

    /// Fewer clients, and fewer requests: halve `cluster.clients`, then bring the end of the
    /// workload window earlier (or halve `requests_per_client`), while the failure stays.
    fn fewer_requests(&mut self) {
        let p = self.best.protocol;
        if let Some(clients) = p.setting(crate::kv::CLIENTS.key) {
            loop {
                let n = self.best.settings.count(clients);
                if n <= 1 || self.stopped {
                    break;
                }
                let mut candidate = self.best.clone();
                candidate
                    .settings
                    .set(clients, Value::Count((n / 2).max(1)), None);
                if !self.try_(candidate) {
                    // One fewer, when half is too few.
                    let mut candidate = self.best.clone();
                    candidate.settings.set(clients, Value::Count(n - 1), None);
                    if !self.try_(candidate) {
                        break;
                    }
                }
            }
        }
        if let Some(until) = p.setting(crate::kv::UNTIL.key)
            && self.best.settings.given(until)
        {
            loop {
                let t = self.best.settings.time(until);
                let half = Time::micros(t.as_micros() / 2);
                if half < Time::ms(1) || self.stopped {
                    break;
                }
                let mut candidate = self.best.clone();
                candidate
                    .settings
                    .set(until, Value::Ms(half.as_ms_f64()), None);
                if !self.try_(candidate) {
                    break;
                }
            }
        } else if let Some(requests) = p.setting(crate::kv::REQUESTS.key) {
            loop {
                let n = self.best.settings.count(requests);
                if n <= 1 || self.stopped {
                    break;
                }
                let mut candidate = self.best.clone();
                candidate.settings.set(requests, Value::Count(n / 2), None);
                if !self.try_(candidate) {
                    break;
                }
            }
        }
    }
}

/// Shrink a failing scenario while the same property still fails: remove faults (in halves,
/// then one at a time), shorten the ones that remain, bring them and the final repair earlier,
/// and use fewer clients and requests. `keep_going` is asked before every trial run; when it
/// says no, shrinking stops with the smallest failing scenario found so far (the caller caps
/// the time it takes, or stops on Ctrl-C). The final repair is kept: without it, any fault
/// left unrepaired would fail `converged` or `all_requests_complete` and hide the failure that
/// was found. `synod run` on the result shows the failure and exits 1; its description says in
/// one sentence what happens.
pub fn shrink(failing: &Scenario, property: &str, keep_going: &mut dyn FnMut() -> bool) -> Shrunk {
    let mut sh = Shrinker {
        best: failing.clone(),
        property,
        keep_going,
        stopped: false,
        trials: 0,
    };
    sh.remove_faults();
    sh.fewer_requests();
    sh.remove_faults();
    sh.remove_faults_reseeded();
    sh.shorten();
    sh.earlier();
    sh.repair_earlier();
    let _ = sh.repair_at();
    let mut best = sh.best;
    best.name = format!(
        "{}-seed{}-{}",
        best.protocol,
        failing.seed,
        property.replace(' ', "-")
    );
    best.description = describe_found(&best, failing.seed, property);
    Shrunk {
        scenario: best,
        finished: !sh.stopped,
        trials: sh.trials,
    }
}

/// What a shrunk scenario shows, in one sentence: "Found by synod check (seed 48, planted bug
/// X): n4 is cut off from n1, n2 at 27.6ms for 120.0ms; everything is repaired at 300.0ms;
/// leader completeness fails."
pub fn describe(s: &Scenario, property: &str) -> String {
    describe_found(s, s.seed, property)
}

/// [`describe`], for a scenario found by the campaign's seed `found` (its own seed, which
/// names its randomness, may differ: [`shrink`] tries other seeds).
fn describe_found(s: &Scenario, found: u64, property: &str) -> String {
    let mut parts: Vec<String> = s
        .faults
        .iter()
        .filter(|f| {
            // An order that does not count as a fault (`add`) is still part of the story, and
            // so is a heal between cuts (cuts add up until one).
            strikes(&f.action, s)
                || matches!(
                    f.action,
                    FaultAction::Repair | FaultAction::Protocol(..) | FaultAction::Heal
                )
        })
        .map(|f| {
            let what = match &f.action {
                FaultAction::Repair => return format!("everything is repaired at {}", f.at),
                a => happening(a),
            };
            // A fault that waits: "n2 crashes 1.2ms after a node starts an election (armed at
            // 120.0ms)".
            let when = match f.when {
                Some(m) => {
                    let moment = match m.on {
                        On::Leads => "takes the lead",
                        On::Seeks => "starts an election",
                        On::Votes => "gives its vote",
                    };
                    let wait = m
                        .within
                        .map(|w| format!(", waiting {w}"))
                        .unwrap_or_default();
                    // "held when a node gives its vote", rather than "0.0ms after".
                    let after = if m.after == Time::ZERO {
                        "when".to_string()
                    } else {
                        format!("{} after", m.after)
                    };
                    format!("{after} a node {moment} (armed at {}{wait})", f.at)
                }
                None => format!("at {}", f.at),
            };
            match f.lasts {
                // Under a tenth of a millisecond (a crash and an immediate restart) the
                // millisecond form would read "for 0.0ms".
                Some(d) if d < Time::micros(50) => {
                    format!("{what} {when} for {} us", d.as_micros())
                }
                Some(d) => format!("{what} {when} for {d}"),
                None => format!("{what} {when}"),
            }
        })
        .collect();
    if parts.is_empty() {
        parts.push("no fault strikes".into());
    }
    let reseeded = if s.seed == found {
        String::new()
    } else {
        format!("; replayed with seed {}", s.seed)
    };
    format!(
        "Found by synod check (seed {found}{}{reseeded}): {}; then {property} fails.",
        s.bug
            .as_ref()
            .map(|b| format!(", planted bug {b}"))
            .unwrap_or_default(),
        parts.join("; ")
    )
}

/// One fault, as a clause: `n4 is cut off from n1, n2, n3`.
fn happening(a: &FaultAction) -> String {
    let who = |n: &str| match n {
        "*" => "every server".to_string(),
        n if Target::role(n).is_some() => format!("the {n}"),
        n => n.to_string(),
    };
    let group = |g: &[String]| {
        let names: Vec<String> = g
            .iter()
            .map(|n| match n.as_str() {
                "*" => "the rest".to_string(),
                n => who(n),
            })
            .collect();
        names.join(", ")
    };
    match a {
        FaultAction::Crash(n) => format!("{} crashes", who(n)),
        FaultAction::Restart(n) => format!("{} restarts", who(n)),
        FaultAction::Partition(gs) if gs.len() == 2 => {
            // "n4 is cut off from n1, n2"; "the leader, n1 are cut off" would read as an
            // apposition: "the leader and n1 are cut off from the rest".
            let side = group(&gs[0]);
            match side.rsplit_once(", ") {
                Some((most, last)) => {
                    format!("{most} and {last} are cut off from {}", group(&gs[1]))
                }
                None => format!("{side} is cut off from {}", group(&gs[1])),
            }
        }
        FaultAction::Partition(gs) => {
            let gs: Vec<String> = gs.iter().map(|g| format!("{{{}}}", group(g))).collect();
            format!("the servers split into {}", gs.join(" | "))
        }
        FaultAction::OneWay(a, b) => format!("{} cannot reach {}", group(a), group(b)),
        FaultAction::Heal => "the network heals".into(),
        FaultAction::Hold(n) => format!("{}'s messages are held", who(n)),
        FaultAction::Release(n) => format!("{}'s messages are released", who(n)),
        FaultAction::Slow(n, x) => format!("{}'s messages are {x}x slower", who(n)),
        FaultAction::Skew(n, x) if *x >= 1.0 => format!("{}'s clock runs {x}x slow", who(n)),
        FaultAction::Skew(n, x) => {
            let fast = ((1.0 / x) * 100.0).round() / 100.0;
            format!("{}'s clock runs {fast}x fast", who(n))
        }
        FaultAction::Loss(p) => format!("{}% of messages are lost", (p * 100.0).round()),
        FaultAction::Duplicate(p) => format!("{}% of messages are duplicated", (p * 100.0).round()),
        FaultAction::Latency(lo, hi) => format!("latency widens to {lo}..{hi}"),
        FaultAction::Ring(r) => format!("the servers form a majority ring {}", r.join("-")),
        FaultAction::Repair => "everything is repaired".into(),
        // A protocol's orders go to whichever server leads (Raft's `add`, `remove`,
        // `transfer`).
        FaultAction::Protocol(key, value) => format!("the leader is told to `{key} {value}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Moment;

    fn crash(at: u64, node: &str, lasts: u64) -> FaultSpec {
        FaultSpec {
            at: Time::ms(at),
            action: FaultAction::Crash(node.into()),
            lasts: Some(Time::ms(lasts)),
            line: 0,
            when: None,
        }
    }

    fn kept(drawn: Vec<FaultSpec>, servers: usize, recovery: u64) -> Vec<(u64, String)> {
        at_most_a_minority_down(drawn, servers, Time::ms(recovery))
            .into_iter()
            .map(|f| match f.action {
                FaultAction::Crash(n) => (f.at.as_micros() / 1_000, n),
                a => panic!("{a:?}"),
            })
            .collect()
    }

    #[test]
    fn a_cut_reads_as_a_sentence() {
        let cut = |a: &[&str], b: &[&str]| {
            let g = |x: &[&str]| x.iter().map(|n| n.to_string()).collect::<Vec<_>>();
            happening(&FaultAction::Partition(vec![g(a), g(b)]))
        };
        assert_eq!(cut(&["n4"], &["n1", "n2"]), "n4 is cut off from n1, n2");
        assert_eq!(
            cut(&["leader", "n1"], &["*"]),
            "the leader and n1 are cut off from the rest"
        );
        assert_eq!(
            cut(&["n1", "n2", "n3"], &["n4", "n5"]),
            "n1, n2 and n3 are cut off from n4, n5"
        );
    }

    #[test]
    fn crashes_that_would_take_a_majority_down_are_dropped() {
        let drawn = vec![crash(10, "n1", 50), crash(20, "n2", 5), crash(70, "n2", 5)];
        // n2 at 20 ms would join n1 (down until 60 ms): 2 of 3 down. At 70 ms n1 is back.
        assert_eq!(
            kept(drawn.clone(), 3, 0),
            [(10, "n1".into()), (70, "n2".into())]
        );
        // Counted down 15 ms longer after its restart, n1 still is at 70 ms.
        assert_eq!(kept(drawn.clone(), 3, 15), [(10, "n1".into())]);
        // Five servers may lose two.
        assert_eq!(kept(drawn, 5, 0).len(), 3);
    }

    #[test]
    fn a_crash_that_waits_for_a_moment_counts_as_down_from_its_arming() {
        let mut waits = crash(10, "n1", 2);
        waits.when = Some(Moment {
            on: On::Seeks,
            after: Time::ms(1),
            within: None,
        });
        // It may strike at any time after 10 ms, while n2 is down: n2's crash is dropped.
        assert_eq!(
            kept(vec![waits.clone(), crash(500, "n2", 5)], 3, 0),
            [(10, "n1".into())]
        );
        // A crash in force when it is armed leaves no room for it.
        assert_eq!(
            kept(vec![crash(5, "n2", 50), waits], 3, 0),
            [(5, "n2".into())]
        );
    }

    #[test]
    fn a_crash_that_waits_a_while_counts_as_down_until_its_wait_and_crash_are_over() {
        let mut waits = crash(10, "voter", 2);
        waits.when = Some(Moment {
            on: On::Votes,
            after: Time::ms(1),
            within: Some(Time::ms(100)),
        });
        // At worst the vote comes at 110 ms, the crash at 111 ms, the restart at 113 ms (and
        // 20 ms of recovery): n2 may crash from 133 ms on, not before.
        for (at, kept_n2) in [(50, false), (132, false), (133, true), (500, true)] {
            let got = kept(vec![waits.clone(), crash(at, "n2", 5)], 3, 20);
            assert_eq!(got.len() == 2, kept_n2, "n2 at {at} ms: {got:?}");
        }
    }
}
