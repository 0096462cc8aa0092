//! Scenarios: TOML files that say which protocol to run, with how many processes of each role,
//! what the clients do, how the network behaves, which faults strike when, and what the run is
//! expected to show. Every field has a default. docs/scenarios.md documents every key.
//!
//! Errors name the file, the line and the key: a scenario is user input, and a person should be
//! able to fix it from the message alone.

use crate::kv::Workload;
use serde::Deserialize;
use std::fmt;
use synod_core::{ClientOp, NodeId, Time};
use synod_sim::{Fault, NetConfig, ScheduleStep, ScheduledFault, Target};
use toml::Spanned;

/// The protocols synod runs, by name.
pub const PROTOCOLS: &[&str] = &["kv", "paxos", "multipaxos", "raft", "register"];

/// Protocols that are reference models rather than stores: they run and are explored, but a
/// client may wait forever by design (the register answers only the put that is chosen) and
/// they take no requests from outside, so fault campaigns and scripted store sessions leave
/// them out.
pub const MODELS: &[&str] = &["register"];

/// The protocol `synod run` runs with no argument: the richest one synod has.
pub const DEFAULT_PROTOCOL: &str = "raft";

/// A scenario that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file (or `<built-in NAME>`).
    pub file: String,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A latency or timeout range in milliseconds: `{ min = 1, max = 10 }`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RangeMs {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl RangeMs {
    /// The range as times.
    pub fn times(&self) -> (Time, Time) {
        (Time::ms_f64(self.min), Time::ms_f64(self.max))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    nodes: Option<Spanned<i64>>,
    clients: Option<Spanned<i64>>,
    acceptors: Option<Spanned<i64>>,
    leaders: Option<Spanned<i64>>,
    replicas: Option<Spanned<i64>>,
    proposers: Option<Spanned<i64>>,
    learners: Option<Spanned<i64>>,
    names: Option<Spanned<Vec<String>>>,
    values: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMix {
    get: Option<u32>,
    put: Option<u32>,
    delete: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    requests_per_client: Option<Spanned<i64>>,
    keys: Option<Spanned<Vec<String>>>,
    values: Option<Spanned<i64>>,
    mix: Option<Spanned<RawMix>>,
    client_timeout_ms: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    latency_ms: Option<Spanned<RangeMs>>,
    loss: Option<Spanned<f64>>,
    duplicate: Option<Spanned<f64>>,
    stagger_ms: Option<Spanned<f64>>,
}

/// Protocol timing; each protocol reads the keys it knows and ignores the others.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// Raft: election timeout range (default 150-300).
    pub election_timeout_ms: Option<RangeMs>,
    /// Raft and Multi-Paxos: heartbeat interval (default 50).
    pub heartbeat_ms: Option<f64>,
    /// Paxos: delay before a proposer's first attempt.
    pub start_delay_ms: Option<RangeMs>,
    /// Paxos: a proposer's retry timeout (randomized, with backoff).
    pub proposer_timeout_ms: Option<RangeMs>,
    /// Multi-Paxos: a standby's leader-failure timeout.
    pub leader_timeout_ms: Option<RangeMs>,
    /// Multi-Paxos: slots in flight at once.
    pub window: Option<i64>,
    /// Raft: at most this many entries per AppendEntries (default 64).
    pub max_append_entries: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawGroups {
    Text(String),
    Lists(Vec<Vec<String>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOneWay {
    from: Vec<String>,
    to: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlow {
    node: String,
    factor: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    at_ms: f64,
    crash: Option<String>,
    restart: Option<String>,
    partition: Option<RawGroups>,
    one_way: Option<RawOneWay>,
    heal: Option<bool>,
    hold: Option<String>,
    release: Option<String>,
    slow: Option<RawSlow>,
    loss: Option<f64>,
    duplicate: Option<f64>,
    latency_ms: Option<RangeMs>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    at_ms: f64,
    client: String,
    op: String,
    key: String,
    value: Option<String>,
}

/// A client request from outside the workload (`[[request]]`, as `synod repl`'s `save`
/// writes them), waiting for node names to be known.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSpec {
    /// When the client is asked.
    pub at: Time,
    /// The client, by name.
    pub client: String,
    /// The operation (`put`, `get`, `delete`, with its key and value).
    pub op: ClientOp,
    /// The line of its `[[request]]` table.
    pub line: usize,
}

/// One step of an exact schedule, with nodes named: `deliver 12`, `deliver 12 keep`,
/// `drop 12`, `fire 7`, `crash n2`, `restart n2` (docs/scenarios.md, `schedule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepSpec {
    /// Deliver message `msg_id` (a copy stays in flight with `keep`).
    Deliver {
        /// The message, by its trace id.
        msg_id: u64,
        /// Whether a copy stays in flight.
        keep: bool,
    },
    /// Lose message `msg_id`.
    Drop {
        /// The message, by its trace id.
        msg_id: u64,
    },
    /// Fire timer `timer`.
    Fire {
        /// The timer, by its trace id.
        timer: u64,
    },
    /// Crash the named node.
    Crash(String),
    /// Restart the named node.
    Restart(String),
}

impl StepSpec {
    /// Parse a step as a scenario writes it.
    pub fn parse(text: &str) -> Result<StepSpec, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let id = |w: &str| -> Result<u64, String> {
            w.parse::<u64>().map_err(|_| {
                format!(
                    "`{w}` is not an id (a whole number, as the trace numbers messages and timers)"
                )
            })
        };
        match words.as_slice() {
            ["deliver", m] => Ok(StepSpec::Deliver {
                msg_id: id(m)?,
                keep: false,
            }),
            ["deliver", m, "keep"] => Ok(StepSpec::Deliver {
                msg_id: id(m)?,
                keep: true,
            }),
            ["drop", m] => Ok(StepSpec::Drop { msg_id: id(m)? }),
            ["fire", t] => Ok(StepSpec::Fire { timer: id(t)? }),
            ["crash", n] => Ok(StepSpec::Crash((*n).to_string())),
            ["restart", n] => Ok(StepSpec::Restart((*n).to_string())),
            _ => Err(format!(
                "unknown step `{text}` (expected `deliver ID`, `deliver ID keep`, `drop ID`, `fire ID`, `crash NODE` or `restart NODE`)"
            )),
        }
    }

    /// The step `step` of the simulator, with nodes named.
    pub fn from_step(step: &ScheduleStep, names: &[String]) -> StepSpec {
        let name = |id: &NodeId| {
            names
                .get(id.index())
                .cloned()
                .unwrap_or_else(|| format!("#{id}"))
        };
        match step {
            ScheduleStep::Deliver { msg_id, keep } => StepSpec::Deliver {
                msg_id: *msg_id,
                keep: *keep,
            },
            ScheduleStep::Drop { msg_id } => StepSpec::Drop { msg_id: *msg_id },
            ScheduleStep::Fire { timer } => StepSpec::Fire { timer: timer.0 },
            ScheduleStep::Crash(n) => StepSpec::Crash(name(n)),
            ScheduleStep::Restart(n) => StepSpec::Restart(name(n)),
        }
    }
}

impl fmt::Display for StepSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepSpec::Deliver { msg_id, keep } => {
                write!(f, "deliver {msg_id}{}", if *keep { " keep" } else { "" })
            }
            StepSpec::Drop { msg_id } => write!(f, "drop {msg_id}"),
            StepSpec::Fire { timer } => write!(f, "fire {timer}"),
            StepSpec::Crash(n) => write!(f, "crash {n}"),
            StepSpec::Restart(n) => write!(f, "restart {n}"),
        }
    }
}

/// A step of a scenario's `schedule`, where it was written, and the comment written after it.
/// Two specs are equal when their steps are: the line and the comment do not change the run.
#[derive(Clone, Debug)]
pub struct ScheduleSpec {
    /// The step.
    pub step: StepSpec,
    /// A comment to write after it (what the step does, for a person reading the file).
    pub note: Option<String>,
    /// The line it was written on (0 if it was not read from a file).
    pub line: usize,
}

impl PartialEq for ScheduleSpec {
    fn eq(&self, other: &Self) -> bool {
        self.step == other.step
    }
}

/// What a run is expected to show. Unset expectations are not checked.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Every client request returned (none pending or timed out at the end).
    pub all_requests_complete: Option<bool>,
    /// The client history is linearizable.
    pub linearizable: Option<bool>,
    /// The stores of the servers that are up are identical at the end.
    pub converged: Option<bool>,
    /// Single-decree Paxos: every live learner decided.
    pub decided: Option<bool>,
    /// The run must stop on a violation of this property (for planted-bug scenarios).
    pub violation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    protocol: Option<Spanned<String>>,
    seed: Option<Spanned<i64>>,
    until_ms: Option<Spanned<f64>>,
    settle_ms: Option<Spanned<f64>>,
    bug: Option<Spanned<String>>,
    schedule: Option<Vec<Spanned<String>>>,
    // The Gleam emulations' own keys, kept working.
    num_nodes: Option<Spanned<i64>>,
    num_clients: Option<Spanned<i64>>,
    #[serde(default)]
    cluster: RawCluster,
    #[serde(default)]
    workload: RawWorkload,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    timing: Timing,
    #[serde(default)]
    fault: Vec<Spanned<RawFault>>,
    #[serde(default)]
    request: Vec<Spanned<RawRequest>>,
    #[serde(default)]
    expect: Expect,
}

/// A fault as written, waiting for node names to be known.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// When it fires.
    pub at: Time,
    /// The fault, with nodes still named.
    pub action: FaultAction,
    /// The line of its `[[fault]]` table.
    pub line: usize,
}

/// A fault with its nodes named as written.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// `crash = "n1"` or `"leader"`.
    Crash(String),
    /// `restart = "n1"`.
    Restart(String),
    /// `partition = "n1,n2 | n3,n4,n5"` or `[["n1","n2"],["n3","n4","n5"]]`.
    Partition(Vec<Vec<String>>),
    /// `one_way = { from = [..], to = [..] }`.
    OneWay(Vec<String>, Vec<String>),
    /// `heal = true`.
    Heal,
    /// `hold = "n1"`.
    Hold(String),
    /// `release = "n1"`.
    Release(String),
    /// `slow = { node = "n1", factor = 5 }`.
    Slow(String, f64),
    /// `loss = 0.2`.
    Loss(f64),
    /// `duplicate = 0.1`.
    Duplicate(f64),
    /// `latency_ms = { min, max }`.
    Latency(Time, Time),
}

impl FaultAction {
    /// The fault as a scenario writes it, with nodes named (for saved and shrunk scenarios).
    pub fn from_fault(fault: &Fault, names: &[String]) -> FaultAction {
        let name = |t: &Target| match t {
            Target::Node(id) => names
                .get(id.index())
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
            Target::Leader => "leader".to_string(),
        };
        let group = |g: &[Target]| g.iter().map(name).collect::<Vec<_>>();
        match fault {
            Fault::Crash(t) => FaultAction::Crash(name(t)),
            Fault::Restart(t) => FaultAction::Restart(name(t)),
            Fault::Partition(gs) => FaultAction::Partition(gs.iter().map(|g| group(g)).collect()),
            Fault::OneWay { from, to } => FaultAction::OneWay(group(from), group(to)),
            Fault::Heal => FaultAction::Heal,
            Fault::Hold(t) => FaultAction::Hold(name(t)),
            Fault::Release(t) => FaultAction::Release(name(t)),
            Fault::Slow(t, x) => FaultAction::Slow(name(t), *x),
            Fault::Loss(p) => FaultAction::Loss(*p),
            Fault::Duplicate(p) => FaultAction::Duplicate(*p),
            Fault::Latency(a, b) => FaultAction::Latency(*a, *b),
        }
    }
}

/// Process counts: each protocol reads the ones it has and applies its own defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Servers of a symmetric protocol (Paxos, Raft).
    pub nodes: Option<u32>,
    /// Clients.
    pub clients: Option<u32>,
    /// Multi-Paxos / Paxos acceptors.
    pub acceptors: Option<u32>,
    /// Multi-Paxos leaders (one active, the rest standbys).
    pub leaders: Option<u32>,
    /// Multi-Paxos replicas.
    pub replicas: Option<u32>,
    /// Paxos proposers.
    pub proposers: Option<u32>,
    /// Paxos learners.
    pub learners: Option<u32>,
    /// Names for the servers, in order (default n1..nN).
    pub names: Option<Vec<String>>,
    /// Paxos: the value each proposer proposes, in order (default: its name).
    pub values: Option<Vec<String>>,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Where it came from (a path, or `<built-in NAME>`), for messages.
    pub file: String,
    /// Its name.
    pub name: String,
    /// What it shows, for a person.
    pub description: String,
    /// The protocol (one of [`PROTOCOLS`]).
    pub protocol: String,
    /// The seed.
    pub seed: u64,
    /// The time limit.
    pub until: Time,
    /// How long to run on after every client is done.
    pub settle: Time,
    /// A planted bug to run with (see `synod check --bug list`).
    pub bug: Option<String>,
    /// Process counts.
    pub cluster: Cluster,
    /// The client workload.
    pub workload: Workload,
    /// The network.
    pub net: NetConfig,
    /// Protocol timing.
    pub timing: Timing,
    /// The fault schedule.
    pub faults: Vec<FaultSpec>,
    /// Client requests from outside the workload.
    pub requests: Vec<RequestSpec>,
    /// An exact schedule to follow instead of the clock (a counterexample of `synod explore`);
    /// empty for an ordinary timed run.
    pub schedule: Vec<ScheduleSpec>,
    /// Expectations.
    pub expect: Expect,
}

impl Scenario {
    /// The defaults for `protocol`, as `synod run PROTOCOL` uses them.
    pub fn builtin(protocol: &str) -> Result<Scenario, ScenarioError> {
        parse(
            &format!("<built-in {protocol}>"),
            &format!("protocol = {protocol:?}\n"),
        )
    }

    /// An error about this scenario at `line`.
    pub fn error(&self, line: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.clone(),
            line,
            message: message.into(),
        }
    }

    /// Resolve the `schedule` against the node names of the built cluster.
    pub fn resolve_schedule(&self, names: &[String]) -> Result<Vec<ScheduleStep>, ScenarioError> {
        let node = |n: &str, line: usize| -> Result<NodeId, ScenarioError> {
            names
                .iter()
                .position(|x| x == n)
                .map(|i| NodeId(i as u32))
                .ok_or_else(|| {
                    self.error(
                        Some(line),
                        format!(
                            "key `schedule`: step names node `{n}`, which does not exist (nodes: {})",
                            names.join(", ")
                        ),
                    )
                })
        };
        self.schedule
            .iter()
            .map(|s| {
                Ok(match &s.step {
                    StepSpec::Deliver { msg_id, keep } => ScheduleStep::Deliver {
                        msg_id: *msg_id,
                        keep: *keep,
                    },
                    StepSpec::Drop { msg_id } => ScheduleStep::Drop { msg_id: *msg_id },
                    StepSpec::Fire { timer } => ScheduleStep::Fire {
                        timer: synod_core::TimerId(*timer),
                    },
                    StepSpec::Crash(n) => ScheduleStep::Crash(node(n, s.line)?),
                    StepSpec::Restart(n) => ScheduleStep::Restart(node(n, s.line)?),
                })
            })
            .collect()
    }

    /// Resolve the `[[request]]` tables against the node names of the built cluster.
    pub fn resolve_requests(
        &self,
        names: &[String],
    ) -> Result<Vec<(Time, NodeId, ClientOp)>, ScenarioError> {
        self.requests
            .iter()
            .map(|r| match names.iter().position(|n| *n == r.client) {
                Some(i) => Ok((r.at, NodeId(i as u32), r.op.clone())),
                None => Err(self.error(
                    Some(r.line),
                    format!(
                        "request names client `{}`, which does not exist (nodes: {})",
                        r.client,
                        names.join(", ")
                    ),
                )),
            })
            .collect()
    }

    /// Resolve the fault schedule against the node names of the built cluster.
    pub fn resolve_faults(&self, names: &[String]) -> Result<Vec<ScheduledFault>, ScenarioError> {
        let target = |name: &str, line: usize| -> Result<Target, ScenarioError> {
            if name == "leader" {
                return Ok(Target::Leader);
            }
            match names.iter().position(|n| n == name) {
                Some(i) => Ok(Target::Node(NodeId(i as u32))),
                None => Err(self.error(
                    Some(line),
                    format!(
                        "fault names node `{name}`, which does not exist (nodes: {}; or \"leader\")",
                        names.join(", ")
                    ),
                )),
            }
        };
        let group = |g: &[String], line: usize| -> Result<Vec<Target>, ScenarioError> {
            g.iter().map(|n| target(n, line)).collect()
        };
        self.faults
            .iter()
            .map(|f| {
                let l = f.line;
                let fault = match &f.action {
                    FaultAction::Crash(n) => Fault::Crash(target(n, l)?),
                    FaultAction::Restart(n) => Fault::Restart(target(n, l)?),
                    FaultAction::Partition(gs) => {
                        Fault::Partition(gs.iter().map(|g| group(g, l)).collect::<Result<_, _>>()?)
                    }
                    FaultAction::OneWay(a, b) => Fault::OneWay {
                        from: group(a, l)?,
                        to: group(b, l)?,
                    },
                    FaultAction::Heal => Fault::Heal,
                    FaultAction::Hold(n) => Fault::Hold(target(n, l)?),
                    FaultAction::Release(n) => Fault::Release(target(n, l)?),
                    FaultAction::Slow(n, x) => Fault::Slow(target(n, l)?, *x),
                    FaultAction::Loss(p) => Fault::Loss(*p),
                    FaultAction::Duplicate(p) => Fault::Duplicate(*p),
                    FaultAction::Latency(a, b) => Fault::Latency(*a, *b),
                };
                Ok(ScheduledFault { at: f.at, fault })
            })
            .collect()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parse and validate a scenario. `file` is used in messages only.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let err = |line: Option<usize>, message: String| ScenarioError {
        file: file.to_string(),
        line,
        message,
    };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let msg = e.message().trim().to_string();
        let shown = line
            .and_then(|l| text.lines().nth(l - 1))
            .map(|src| format!("{msg}\n    | {}", src.trim_end()))
            .unwrap_or(msg);
        err(line, shown)
    })?;
    let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));

    let protocol = match &raw.protocol {
        Some(p) => {
            let name = p.get_ref();
            if !PROTOCOLS.contains(&name.as_str()) {
                return Err(err(
                    at(p.span()),
                    format!(
                        "key `protocol`: unknown protocol `{name}` (valid: {})",
                        PROTOCOLS.join(", ")
                    ),
                ));
            }
            name.clone()
        }
        None => DEFAULT_PROTOCOL.to_string(),
    };

    let count = |v: &Option<Spanned<i64>>, key: &str| -> Result<Option<u32>, ScenarioError> {
        match v {
            None => Ok(None),
            Some(s) => {
                let n = *s.get_ref();
                if !(1..=10_000).contains(&n) {
                    Err(err(
                        at(s.span()),
                        format!("key `{key}`: must be between 1 and 10000, got {n}"),
                    ))
                } else {
                    Ok(Some(n as u32))
                }
            }
        }
    };
    let ms = |v: &Option<Spanned<f64>>, key: &str, default: Time| -> Result<Time, ScenarioError> {
        match v {
            None => Ok(default),
            Some(s) if *s.get_ref() < 0.0 || !s.get_ref().is_finite() => Err(err(
                at(s.span()),
                format!(
                    "key `{key}`: must be a time >= 0 in milliseconds, got {}",
                    s.get_ref()
                ),
            )),
            Some(s) => Ok(Time::ms_f64(*s.get_ref())),
        }
    };
    let prob = |v: &Option<Spanned<f64>>, key: &str| -> Result<f64, ScenarioError> {
        match v {
            None => Ok(0.0),
            Some(s) if !(0.0..=1.0).contains(s.get_ref()) => Err(err(
                at(s.span()),
                format!(
                    "key `{key}`: a probability must be between 0 and 1, got {}",
                    s.get_ref()
                ),
            )),
            Some(s) => Ok(*s.get_ref()),
        }
    };
    let range =
        |r: &RangeMs, key: &str, line: Option<usize>| -> Result<(Time, Time), ScenarioError> {
            if r.min < 0.0 || r.max < 0.0 {
                Err(err(
                    line,
                    format!(
                        "key `{key}`: times must be >= 0, got {{ min = {}, max = {} }}",
                        r.min, r.max
                    ),
                ))
            } else if r.min > r.max {
                Err(err(
                    line,
                    format!(
                        "key `{key}`: min ({}) is greater than max ({})",
                        r.min, r.max
                    ),
                ))
            } else {
                Ok(r.times())
            }
        };

    let seed = match &raw.seed {
        None => 1,
        Some(s) if *s.get_ref() < 0 => {
            return Err(err(
                at(s.span()),
                format!("key `seed`: must be >= 0, got {}", s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref() as u64,
    };

    let c = &raw.cluster;
    let mut cluster = Cluster {
        nodes: count(&c.nodes, "cluster.nodes")?,
        clients: count(&c.clients, "cluster.clients")?,
        acceptors: count(&c.acceptors, "cluster.acceptors")?,
        leaders: count(&c.leaders, "cluster.leaders")?,
        replicas: count(&c.replicas, "cluster.replicas")?,
        proposers: count(&c.proposers, "cluster.proposers")?,
        learners: count(&c.learners, "cluster.learners")?,
        names: None,
        values: None,
    };
    if let Some(n) = count(&raw.num_nodes, "num_nodes")? {
        cluster.nodes.get_or_insert(n);
    }
    if let Some(n) = count(&raw.num_clients, "num_clients")? {
        cluster.clients.get_or_insert(n);
    }
    if let Some(names) = &c.names {
        let list = names.get_ref();
        if list.is_empty() || list.iter().any(|n| n.trim().is_empty()) {
            return Err(err(
                at(names.span()),
                "key `cluster.names`: names must be non-empty".into(),
            ));
        }
        if let Some(dup) = list
            .iter()
            .enumerate()
            .find(|(i, n)| list[..*i].contains(n))
        {
            return Err(err(
                at(names.span()),
                format!("key `cluster.names`: `{}` appears twice", dup.1),
            ));
        }
        if list.iter().any(|n| n == "leader") {
            return Err(err(
                at(names.span()),
                "key `cluster.names`: `leader` is reserved for fault targets".into(),
            ));
        }
        cluster.names = Some(list.clone());
    }
    if let Some(values) = &c.values {
        if values.get_ref().iter().any(|v| v.trim().is_empty()) {
            return Err(err(
                at(values.span()),
                "key `cluster.values`: values must be non-empty".into(),
            ));
        }
        cluster.values = Some(values.get_ref().clone());
    }

    let w = &raw.workload;
    let mut workload = Workload::default();
    if let Some(n) = &w.requests_per_client {
        if *n.get_ref() < 0 || *n.get_ref() > 1_000_000 {
            return Err(err(
                at(n.span()),
                format!(
                    "key `workload.requests_per_client`: must be between 0 and 1000000, got {}",
                    n.get_ref()
                ),
            ));
        }
        workload.requests_per_client = *n.get_ref() as u32;
    }
    if let Some(k) = &w.keys {
        if k.get_ref().is_empty() {
            return Err(err(
                at(k.span()),
                "key `workload.keys`: give at least one key".into(),
            ));
        }
        workload.keys = k.get_ref().clone();
    }
    if let Some(v) = &w.values {
        if *v.get_ref() < 1 {
            return Err(err(
                at(v.span()),
                format!("key `workload.values`: must be >= 1, got {}", v.get_ref()),
            ));
        }
        workload.values = (*v.get_ref()).min(u32::MAX as i64) as u32;
    }
    if let Some(m) = &w.mix {
        let r = m.get_ref();
        workload.mix = [
            r.get.unwrap_or(0),
            r.put.unwrap_or(0),
            r.delete.unwrap_or(0),
        ];
        if workload.mix.iter().all(|x| *x == 0) {
            return Err(err(
                at(m.span()),
                "key `workload.mix`: at least one weight must be positive".into(),
            ));
        }
    }
    workload.timeout = ms(
        &w.client_timeout_ms,
        "workload.client_timeout_ms",
        workload.timeout,
    )?;
    if workload.timeout == Time::ZERO {
        return Err(err(
            None,
            "key `workload.client_timeout_ms`: must be > 0".into(),
        ));
    }

    let n = &raw.network;
    let mut net = NetConfig::default();
    if let Some(l) = &n.latency_ms {
        (net.latency_min, net.latency_max) =
            range(l.get_ref(), "network.latency_ms", at(l.span()))?;
    }
    net.loss = prob(&n.loss, "network.loss")?;
    net.duplicate = prob(&n.duplicate, "network.duplicate")?;
    net.stagger = ms(&n.stagger_ms, "network.stagger_ms", Time::ZERO)?;

    let t = &raw.timing;
    for (key, r) in [
        ("timing.election_timeout_ms", &t.election_timeout_ms),
        ("timing.start_delay_ms", &t.start_delay_ms),
        ("timing.proposer_timeout_ms", &t.proposer_timeout_ms),
        ("timing.leader_timeout_ms", &t.leader_timeout_ms),
    ] {
        if let Some(r) = r {
            range(r, key, None)?;
        }
    }
    if let Some(h) = t.heartbeat_ms {
        if h <= 0.0 {
            return Err(err(
                None,
                format!("key `timing.heartbeat_ms`: must be > 0, got {h}"),
            ));
        }
    }

    let mut faults = Vec::new();
    for f in &raw.fault {
        let line = line_of(text, f.span().start);
        let r = f.get_ref();
        let ferr = |m: String| err(Some(line), m);
        if r.at_ms < 0.0 || !r.at_ms.is_finite() {
            return Err(ferr(format!(
                "key `fault.at_ms`: a fault cannot happen at a negative time ({})",
                r.at_ms
            )));
        }
        let mut actions = Vec::new();
        if let Some(n) = &r.crash {
            actions.push(FaultAction::Crash(n.clone()));
        }
        if let Some(n) = &r.restart {
            actions.push(FaultAction::Restart(n.clone()));
        }
        if let Some(g) = &r.partition {
            let groups: Vec<Vec<String>> = match g {
                RawGroups::Text(s) => s
                    .split('|')
                    .map(|grp| {
                        grp.split(',')
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty())
                            .collect()
                    })
                    .collect(),
                RawGroups::Lists(l) => l.clone(),
            };
            if groups.len() < 2 || groups.iter().any(|g| g.is_empty()) {
                return Err(ferr("key `fault.partition`: give at least two non-empty groups, as \"n1,n2 | n3,n4,n5\"".into()));
            }
            actions.push(FaultAction::Partition(groups));
        }
        if let Some(o) = &r.one_way {
            actions.push(FaultAction::OneWay(o.from.clone(), o.to.clone()));
        }
        if let Some(h) = r.heal {
            if !h {
                return Err(ferr("key `fault.heal`: write `heal = true`".into()));
            }
            actions.push(FaultAction::Heal);
        }
        if let Some(n) = &r.hold {
            actions.push(FaultAction::Hold(n.clone()));
        }
        if let Some(n) = &r.release {
            actions.push(FaultAction::Release(n.clone()));
        }
        if let Some(s) = &r.slow {
            if !(s.factor > 0.0 && s.factor.is_finite()) {
                return Err(ferr(format!(
                    "key `fault.slow.factor`: must be > 0, got {}",
                    s.factor
                )));
            }
            actions.push(FaultAction::Slow(s.node.clone(), s.factor));
        }
        for (key, p, make) in [
            (
                "fault.loss",
                r.loss,
                FaultAction::Loss as fn(f64) -> FaultAction,
            ),
            ("fault.duplicate", r.duplicate, FaultAction::Duplicate),
        ] {
            if let Some(p) = p {
                if !(0.0..=1.0).contains(&p) {
                    return Err(ferr(format!(
                        "key `{key}`: a probability must be between 0 and 1, got {p}"
                    )));
                }
                actions.push(make(p));
            }
        }
        if let Some(l) = &r.latency_ms {
            let (a, b) = range(l, "fault.latency_ms", Some(line))?;
            actions.push(FaultAction::Latency(a, b));
        }
        if actions.len() != 1 {
            return Err(ferr(format!(
                "a [[fault]] needs exactly one action (crash, restart, partition, one_way, heal, hold, release, slow, loss, duplicate, latency_ms); this one has {}",
                actions.len()
            )));
        }
        faults.push(FaultSpec {
            at: Time::ms_f64(r.at_ms),
            action: actions.remove(0),
            line,
        });
    }

    let mut requests = Vec::new();
    for r in &raw.request {
        let line = line_of(text, r.span().start);
        let q = r.get_ref();
        let rerr = |m: String| err(Some(line), m);
        if q.at_ms < 0.0 || !q.at_ms.is_finite() {
            return Err(rerr(format!(
                "key `request.at_ms`: a request cannot happen at a negative time ({})",
                q.at_ms
            )));
        }
        let op = match (q.op.as_str(), &q.value) {
            ("put", Some(_)) | ("get" | "delete", None) => ClientOp {
                f: q.op.clone(),
                key: q.key.clone(),
                value: q.value.clone(),
            },
            ("put", None) => return Err(rerr("key `request.value`: a put needs a value".into())),
            ("get" | "delete", Some(_)) => {
                return Err(rerr(format!(
                    "key `request.value`: a {} takes no value",
                    q.op
                )));
            }
            (other, _) => {
                return Err(rerr(format!(
                    "key `request.op`: unknown operation `{other}` (put, get or delete)"
                )));
            }
        };
        requests.push(RequestSpec {
            at: Time::ms_f64(q.at_ms),
            client: q.client.clone(),
            op,
            line,
        });
    }

    let mut schedule = Vec::new();
    for step in raw.schedule.iter().flatten() {
        let line = line_of(text, step.span().start);
        let parsed = StepSpec::parse(step.get_ref())
            .map_err(|m| err(Some(line), format!("key `schedule`: {m}")))?;
        schedule.push(ScheduleSpec {
            step: parsed,
            note: None,
            line,
        });
    }

    let bug = raw.bug.as_ref().map(|b| b.get_ref().clone());
    Ok(Scenario {
        file: file.to_string(),
        name: raw.name.clone().unwrap_or_else(|| protocol.clone()),
        description: raw.description.clone().unwrap_or_default(),
        protocol,
        seed,
        until: ms(&raw.until_ms, "until_ms", Time::ms(10_000))?,
        settle: ms(&raw.settle_ms, "settle_ms", Time::ms(500))?,
        bug,
        cluster,
        workload,
        net,
        timing: raw.timing,
        faults,
        requests,
        schedule,
        expect: raw.expect,
    })
}

fn toml_str(s: &str) -> String {
    format!("{s:?}")
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn ms(t: Time) -> String {
    let us = t.as_micros();
    if us % 1000 == 0 {
        format!("{}", us / 1000)
    } else {
        format!("{}", us as f64 / 1000.0)
    }
}

impl Scenario {
    /// The scenario as a TOML file that parses back to the same scenario (every field written
    /// out, so the file does not depend on defaults that may change).
    pub fn to_toml(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o, "name = {}", toml_str(&self.name));
        if !self.description.is_empty() {
            let _ = writeln!(o, "description = {}", toml_str(&self.description));
        }
        let _ = writeln!(o, "protocol = {}", toml_str(&self.protocol));
        let _ = writeln!(o, "seed = {}", self.seed);
        let _ = writeln!(o, "until_ms = {}", ms(self.until));
        let _ = writeln!(o, "settle_ms = {}", ms(self.settle));
        if let Some(b) = &self.bug {
            let _ = writeln!(o, "bug = {}", toml_str(b));
        }
        if !self.schedule.is_empty() {
            o.push_str("schedule = [\n");
            for s in &self.schedule {
                let entry = toml_str(&s.step.to_string());
                match &s.note {
                    Some(n) => {
                        let note = n.replace(['\n', '\r'], " ");
                        let _ = writeln!(o, "  {entry:<22} # {note}", entry = format!("{entry},"));
                    }
                    None => {
                        let _ = writeln!(o, "  {entry},");
                    }
                }
            }
            o.push_str("]\n");
        }
        let c = &self.cluster;
        let counts = [
            ("nodes", c.nodes),
            ("clients", c.clients),
            ("acceptors", c.acceptors),
            ("leaders", c.leaders),
            ("replicas", c.replicas),
            ("proposers", c.proposers),
            ("learners", c.learners),
        ];
        if counts.iter().any(|(_, v)| v.is_some()) || c.names.is_some() || c.values.is_some() {
            o.push_str("\n[cluster]\n");
            for (k, v) in counts {
                if let Some(v) = v {
                    let _ = writeln!(o, "{k} = {v}");
                }
            }
            if let Some(n) = &c.names {
                let _ = writeln!(o, "names = {}", toml_list(n));
            }
            if let Some(v) = &c.values {
                let _ = writeln!(o, "values = {}", toml_list(v));
            }
        }
        let w = &self.workload;
        let _ = writeln!(o, "\n[workload]");
        let _ = writeln!(o, "requests_per_client = {}", w.requests_per_client);
        let _ = writeln!(o, "keys = {}", toml_list(&w.keys));
        let _ = writeln!(o, "values = {}", w.values);
        let _ = writeln!(
            o,
            "mix = {{ get = {}, put = {}, delete = {} }}",
            w.mix[0], w.mix[1], w.mix[2]
        );
        let _ = writeln!(o, "client_timeout_ms = {}", ms(w.timeout));
        let n = &self.net;
        let _ = writeln!(o, "\n[network]");
        let _ = writeln!(
            o,
            "latency_ms = {{ min = {}, max = {} }}",
            ms(n.latency_min),
            ms(n.latency_max)
        );
        let _ = writeln!(o, "loss = {}", n.loss);
        let _ = writeln!(o, "duplicate = {}", n.duplicate);
        if n.stagger > Time::ZERO {
            let _ = writeln!(o, "stagger_ms = {}", ms(n.stagger));
        }
        let t = &self.timing;
        let mut timing = String::new();
        for (k, r) in [
            ("election_timeout_ms", t.election_timeout_ms),
            ("start_delay_ms", t.start_delay_ms),
            ("proposer_timeout_ms", t.proposer_timeout_ms),
            ("leader_timeout_ms", t.leader_timeout_ms),
        ] {
            if let Some(r) = r {
                let _ = writeln!(timing, "{k} = {{ min = {}, max = {} }}", r.min, r.max);
            }
        }
        if let Some(h) = t.heartbeat_ms {
            let _ = writeln!(timing, "heartbeat_ms = {h}");
        }
        if let Some(w) = t.window {
            let _ = writeln!(timing, "window = {w}");
        }
        if let Some(m) = t.max_append_entries {
            let _ = writeln!(timing, "max_append_entries = {m}");
        }
        if !timing.is_empty() {
            let _ = write!(o, "\n[timing]\n{timing}");
        }
        for f in &self.faults {
            let _ = writeln!(o, "\n[[fault]]\nat_ms = {}", ms(f.at));
            let _ = match &f.action {
                FaultAction::Crash(n) => writeln!(o, "crash = {}", toml_str(n)),
                FaultAction::Restart(n) => writeln!(o, "restart = {}", toml_str(n)),
                FaultAction::Partition(gs) => {
                    let lists: Vec<String> = gs.iter().map(|g| toml_list(g)).collect();
                    writeln!(o, "partition = [{}]", lists.join(", "))
                }
                FaultAction::OneWay(a, b) => writeln!(
                    o,
                    "one_way = {{ from = {}, to = {} }}",
                    toml_list(a),
                    toml_list(b)
                ),
                FaultAction::Heal => writeln!(o, "heal = true"),
                FaultAction::Hold(n) => writeln!(o, "hold = {}", toml_str(n)),
                FaultAction::Release(n) => writeln!(o, "release = {}", toml_str(n)),
                FaultAction::Slow(n, x) => {
                    writeln!(o, "slow = {{ node = {}, factor = {x} }}", toml_str(n))
                }
                FaultAction::Loss(p) => writeln!(o, "loss = {p}"),
                FaultAction::Duplicate(p) => writeln!(o, "duplicate = {p}"),
                FaultAction::Latency(a, b) => {
                    writeln!(o, "latency_ms = {{ min = {}, max = {} }}", ms(*a), ms(*b))
                }
            };
        }
        for r in &self.requests {
            let _ = writeln!(
                o,
                "\n[[request]]\nat_ms = {}\nclient = {}\nop = {}\nkey = {}",
                ms(r.at),
                toml_str(&r.client),
                toml_str(&r.op.f),
                toml_str(&r.op.key)
            );
            if let Some(v) = &r.op.value {
                let _ = writeln!(o, "value = {}", toml_str(v));
            }
        }
        let e = &self.expect;
        let mut expect = String::new();
        for (k, v) in [
            ("all_requests_complete", e.all_requests_complete),
            ("linearizable", e.linearizable),
            ("converged", e.converged),
            ("decided", e.decided),
        ] {
            if let Some(v) = v {
                let _ = writeln!(expect, "{k} = {v}");
            }
        }
        if let Some(v) = &e.violation {
            let _ = writeln!(expect, "violation = {}", toml_str(v));
        }
        if !expect.is_empty() {
            let _ = write!(o, "\n[expect]\n{expect}");
        }
        o
    }
}
