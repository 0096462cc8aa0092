//! Scenarios: TOML files that say which protocol to run, with how many processes of each role,
//! what the clients do, how the network behaves, which faults strike when, and what the run is
//! expected to show. Every key has a default. docs/scenarios.md documents every key.
//!
//! Errors name the file, the line and the key: a scenario is user input, and a person should be
//! able to fix it from the message alone.
//!
//! - this file: the [`Scenario`] and what is done with one (overrides, resolving node names,
//!   warnings, the exact `schedule` of an explorer's counterexample);
//! - [`source`]: reading the TOML document with its spans, in the user's words;
//! - `parse`: the scenario format, one section at a time, and the protocol's own keys;
//! - `write`: [`Scenario::to_toml`], for saved and shrunk scenarios.

mod parse;
pub mod source;
mod write;

pub use parse::{CORE_KEYS, parse, parse_ms};

use crate::protocol::Protocol;
use crate::settings::{Kind, Settings, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use synod_core::{ClientOp, NodeId, Time};
use synod_sim::{Fault, NetConfig, NodeSpec, On, ScheduleStep, ScheduledFault, Target};

/// The protocol `synod run` runs with no argument: the richest one synod has.
pub const DEFAULT_PROTOCOL: &str = "raft";

/// The largest scenario file synod reads: 16 MiB. Parsing is linear in the size, but a file
/// this large is a mistake (a generated schedule gone wrong), and refusing it keeps memory
/// bounded by a number the user did not have to type.
pub const MAX_BYTES: usize = 16 << 20;

/// A scenario that cannot be used, and where (also used for warnings).
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

/// A note of the scenario (`[[note]]`): a sentence the narration, the viewer, the REPL and
/// the game show when the clock reaches `at` (the story a scenario tells, step by step).
#[derive(Clone, Debug, PartialEq)]
pub struct NoteSpec {
    /// When it is shown.
    pub at: Time,
    /// What it says (runs of white space, line breaks included, read as one space).
    pub text: String,
    /// The line of its `at_ms` (0 for notes not read from a file).
    pub line: usize,
}

/// What a run is expected to show. Unset expectations are not checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
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

/// A fault as written, waiting for node names to be known.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// When it fires.
    pub at: Time,
    /// The fault, with nodes still named.
    pub action: FaultAction,
    /// `for_ms`: the fault undoes itself after this long, on the nodes it struck (`None`:
    /// it stays until another fault undoes it).
    pub lasts: Option<Time>,
    /// The line of its action's key (0 for faults not read from a file).
    pub line: usize,
    /// `when` and `after_ms`: the fault waits, from `at`, for a protocol's moment and strikes
    /// that long after it ([`Fault::When`]); `None`: it strikes at `at`.
    pub when: Option<Moment>,
}

/// A protocol's moment a fault waits for (`when = "leads"`, `after_ms = 2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    /// `leads`: a node takes the lead; `seeks`: a node starts trying to (a Raft candidate, a
    /// Paxos proposer's Phase 1, a VR view change); `votes`: a node gives its vote (a Raft
    /// vote, a promise, a `DoViewChange`).
    pub on: On,
    /// How long after the moment the fault strikes.
    pub after: Time,
    /// How long after `at` it waits for the moment (`within_ms`), and no longer (`None`: to
    /// the end of the run).
    pub within: Option<Time>,
}

impl FaultSpec {
    /// A fault at `at` that stays (no `for_ms`), not read from a file.
    pub fn new(at: Time, action: FaultAction) -> FaultSpec {
        FaultSpec {
            at,
            action,
            lasts: None,
            line: 0,
            when: None,
        }
    }

    /// A simulator fault as a scenario writes it, with nodes named (a fault that lasts keeps
    /// its duration as `for_ms`).
    pub fn from_fault(at: Time, fault: &Fault, names: &[String]) -> FaultSpec {
        match fault {
            Fault::Lasting(inner, d) => FaultSpec {
                lasts: Some(*d),
                ..FaultSpec::from_fault(at, inner, names)
            },
            Fault::When {
                on,
                after,
                within,
                fault,
            } => FaultSpec {
                when: Some(Moment {
                    on: *on,
                    after: *after,
                    within: *within,
                }),
                ..FaultSpec::from_fault(at, fault, names)
            },
            f => FaultSpec::new(at, FaultAction::from_fault(f, names)),
        }
    }
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
    /// `skew = { node = "n1", factor = 2 }`: the node's clock (what it reads and its timers)
    /// runs twice as slow; below 1, fast.
    Skew(String, f64),
    /// `loss = 0.2`.
    Loss(f64),
    /// `duplicate = 0.1`.
    Duplicate(f64),
    /// `latency_ms = { min, max }`.
    Latency(Time, Time),
    /// `ring = "n1,n2,n3,n4,n5"`: a majority ring in that order.
    Ring(Vec<String>),
    /// `repair = true`: heal, restart, release, and speed, timers and network back to normal.
    Repair,
    /// A fault action of the protocol's own (a [`crate::protocol::FaultVerb`]): its key and
    /// value.
    Protocol(&'static str, String),
}

impl FaultAction {
    /// The fault as a scenario writes it, with nodes named (for saved and shrunk scenarios).
    pub fn from_fault(fault: &Fault, names: &[String]) -> FaultAction {
        let name = |t: &Target| match t {
            Target::Node(id) => names
                .get(id.index())
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
            Target::All => "*".to_string(),
            role => role.role_name().unwrap_or("?").to_string(),
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
            Fault::Skew(t, x) => FaultAction::Skew(name(t), *x),
            Fault::Ring(r) => FaultAction::Ring(group(r)),
            Fault::Repair => FaultAction::Repair,
            // The duration and the moment are the spec's (`FaultSpec::from_fault`).
            Fault::Lasting(inner, _) | Fault::When { fault: inner, .. } => {
                FaultAction::from_fault(inner, names)
            }
            // A protocol's order is written back as the verb that expands to it.
            Fault::Admin { verb, arg, .. } => FaultAction::Protocol(verb, arg.clone()),
        }
    }
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
    /// The protocol.
    pub protocol: &'static Protocol,
    /// The seed: any of 0 ..= 18446744073709551615, the same range as `--seed`.
    pub seed: u64,
    /// The time limit.
    pub until: Time,
    /// How long to run on after every client is done.
    pub settle: Time,
    /// A planted bug to run with (see `synod check --bug list`).
    pub bug: Option<String>,
    /// The protocol's own keys (`[cluster]`, `[timing]`, `[workload]`, ...), as given.
    pub settings: Settings,
    /// The network.
    pub net: NetConfig,
    /// The fault schedule.
    pub faults: Vec<FaultSpec>,
    /// Client requests from outside the workload.
    pub requests: Vec<RequestSpec>,
    /// An exact schedule to follow instead of the clock (a counterexample of `synod explore`);
    /// empty for an ordinary timed run.
    pub schedule: Vec<ScheduleSpec>,
    /// The notes, in the order written.
    pub notes: Vec<NoteSpec>,
    /// Expectations.
    pub expect: Expect,
}

impl Scenario {
    /// The defaults of `protocol`, read from `file` (for messages).
    pub fn defaults(file: &str, protocol: &'static Protocol) -> Scenario {
        Scenario {
            file: file.to_string(),
            name: protocol.name.to_string(),
            description: String::new(),
            protocol,
            seed: 1,
            until: Time::ms(10_000),
            settle: Time::ms(500),
            bug: None,
            settings: Settings::default(),
            net: NetConfig::default(),
            faults: Vec::new(),
            requests: Vec::new(),
            schedule: Vec::new(),
            notes: Vec::new(),
            expect: Expect::default(),
        }
    }

    /// Run with the planted bug `name` (`--bug NAME`): refused if the protocol has no such bug.
    pub fn set_bug(&mut self, name: &str) -> Result<(), String> {
        let p = self.protocol;
        if p.bug(name).is_none() {
            return Err(if p.bugs.is_empty() {
                format!("protocol {p} has no planted bugs")
            } else {
                format!(
                    "protocol {p} has no planted bug `{name}` (it has: {})",
                    p.bug_names()
                )
            });
        }
        self.bug = Some(name.to_string());
        Ok(())
    }

    /// The planted bug to run with, as the protocol's own type (its `Bug::from_name`, see
    /// [`crate::planted_bugs!`]); an error if `bug` names none of the protocol's bugs.
    pub fn planted<B>(&self, from_name: fn(&str) -> Option<B>) -> Result<Option<B>, ScenarioError> {
        match &self.bug {
            None => Ok(None),
            Some(name) => match from_name(name) {
                Some(b) => Ok(Some(b)),
                None => Err(self.error(
                    None,
                    format!(
                        "protocol {} has no planted bug `{name}` (it has: {})",
                        self.protocol,
                        self.protocol.bug_names()
                    ),
                )),
            },
        }
    }

    /// Set the protocol's whole-number setting `key` (`cluster.nodes`) to `n`, as a command-line
    /// flag (`--nodes`) asks: refused, with the reason, if the protocol does not take the key,
    /// the value is out of range, or a rule across settings breaks.
    pub fn set_count(&mut self, key: &str, n: u64, flag: &str) -> Result<(), String> {
        let p = self.protocol;
        let Some(setting) = p.setting(key) else {
            let table = key.split_once('.').map_or("", |(t, _)| t);
            let taken: Vec<&str> = p
                .all_settings()
                .filter(|s| s.table() == table && matches!(s.kind, Kind::Count { .. }))
                .map(|s| s.name())
                .collect();
            return Err(format!(
                "{flag}: protocol {p} has no `{key}` (its [{table}] counts: {})",
                if taken.is_empty() {
                    "none".to_string()
                } else {
                    taken.join(", ")
                }
            ));
        };
        let value = Value::Count(n);
        setting
            .check(&value)
            .map_err(|e| format!("{flag}: key `{key}`: {e}"))?;
        let mut settings = self.settings.clone();
        settings.set(setting, value, None);
        (p.validate)(&settings).map_err(|e| format!("{flag}: key `{}`: {}", e.key, e.message))?;
        self.settings = settings;
        Ok(())
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
        let index = Names::new(names);
        let node = |n: &str, line: usize| -> Result<NodeId, ScenarioError> {
            index.get(n).ok_or_else(|| {
                self.error(
                    Some(line),
                    format!(
                        "key `schedule`: step names node `{n}`, which does not exist (nodes: {})",
                        index.list()
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
        let index = Names::new(names);
        self.requests
            .iter()
            .map(|r| match index.get(&r.client) {
                Some(id) => Ok((r.at, id, r.op.clone())),
                None => Err(self.error(
                    Some(r.line),
                    format!(
                        "request names client `{}`, which does not exist (nodes: {})",
                        r.client,
                        index.list()
                    ),
                )),
            })
            .collect()
    }

    /// Resolve the fault schedule against the node names of the built cluster.
    pub fn resolve_faults(&self, names: &[String]) -> Result<Vec<ScheduledFault>, ScenarioError> {
        let index = Names::new(names);
        let mut out = Vec::with_capacity(self.faults.len());
        for f in &self.faults {
            let l = f.line;
            let target = |name: &str| -> Result<Target, ScenarioError> {
                if name == "*" {
                    return Ok(Target::All);
                }
                if let Some(role) = Target::role(name) {
                    return Ok(role);
                }
                match index.get(name) {
                    Some(id) => Ok(Target::Node(id)),
                    None => Err(self.error(
                        Some(l),
                        format!(
                            "fault names node `{name}`, which does not exist (nodes: {}; or \"leader\", \"voter\", \"seeker\", or \"*\" for every server)",
                            index.list()
                        ),
                    )),
                }
            };
            let group = |g: &[String]| -> Result<Vec<Target>, ScenarioError> {
                g.iter().map(|n| target(n)).collect()
            };
            let fault = match &f.action {
                FaultAction::Crash(n) => Fault::Crash(target(n)?),
                FaultAction::Restart(n) => Fault::Restart(target(n)?),
                FaultAction::Partition(gs) => {
                    Fault::Partition(gs.iter().map(|g| group(g)).collect::<Result<_, _>>()?)
                }
                FaultAction::OneWay(a, b) => Fault::OneWay {
                    from: group(a)?,
                    to: group(b)?,
                },
                FaultAction::Heal => Fault::Heal,
                FaultAction::Hold(n) => Fault::Hold(target(n)?),
                FaultAction::Release(n) => Fault::Release(target(n)?),
                FaultAction::Slow(n, x) => Fault::Slow(target(n)?, *x),
                FaultAction::Skew(n, x) => Fault::Skew(target(n)?, *x),
                FaultAction::Loss(p) => Fault::Loss(*p),
                FaultAction::Duplicate(p) => Fault::Duplicate(*p),
                FaultAction::Latency(a, b) => Fault::Latency(*a, *b),
                FaultAction::Ring(r) => Fault::Ring(group(r)?),
                FaultAction::Repair => Fault::Repair,
                FaultAction::Protocol(key, value) => {
                    let verb = self.protocol.faults.iter().find(|v| v.key == *key);
                    let faults = match verb {
                        Some(v) => (v.expand)(value, names)
                            .map_err(|e| self.error(Some(l), format!("key `fault.{key}`: {e}")))?,
                        None => {
                            return Err(self.error(
                                Some(l),
                                format!(
                                    "key `fault.{key}`: protocol {} has no such fault",
                                    self.protocol
                                ),
                            ));
                        }
                    };
                    out.extend(faults.into_iter().map(|fault| ScheduledFault {
                        at: f.at,
                        fault: waiting(lasting(fault, f.lasts), f.when),
                    }));
                    continue;
                }
            };
            out.push(ScheduledFault {
                at: f.at,
                fault: waiting(lasting(fault, f.lasts), f.when),
            });
        }
        Ok(out)
    }

    /// What is suspicious but not wrong in this scenario, for the nodes `specs` it builds:
    /// a restart of a node that no fault crashed before, a fault, request or note after the
    /// time limit, a request to a node that is not a client. Each names the file and the line.
    /// (A second restart after one crash is not flagged: a campaign's final repair restarts
    /// every server, whether or not it is down.)
    pub fn warnings(&self, specs: &[NodeSpec]) -> Vec<ScenarioError> {
        let mut out = Vec::new();
        let mut order: Vec<&FaultSpec> = self.faults.iter().collect();
        order.sort_by_key(|f| f.at);
        let mut crashed: BTreeSet<&str> = BTreeSet::new();
        for f in order {
            match &f.action {
                FaultAction::Crash(n) => {
                    crashed.insert(n);
                }
                FaultAction::Restart(n)
                    if n != "*"
                        && Target::role(n).is_none()
                        && !crashed.contains(n.as_str())
                        && !crashed.iter().any(|c| Target::role(c).is_some()) =>
                {
                    out.push(self.error(
                        Some(f.line),
                        format!(
                            "restart of `{n}` at {}, which is up then (no crash before it): it does nothing",
                            f.at
                        ),
                    ));
                }
                _ => {}
            }
        }
        for f in &self.faults {
            if f.at > self.until {
                out.push(self.error(
                    Some(f.line),
                    format!(
                        "a fault at {}, after the run ends (until {}): it never strikes",
                        f.at, self.until
                    ),
                ));
            }
        }
        for n in &self.notes {
            if n.at > self.until {
                out.push(self.error(
                    Some(n.line),
                    format!(
                        "a note at {}, after the run ends (until {}): it is never shown",
                        n.at, self.until
                    ),
                ));
            }
        }
        let servers: BTreeSet<&str> = specs
            .iter()
            .filter(|s| !s.client)
            .map(|s| s.name.as_str())
            .collect();
        for r in &self.requests {
            if r.at > self.until {
                out.push(self.error(
                    Some(r.line),
                    format!(
                        "a request at {}, after the run ends (until {}): it is never made",
                        r.at, self.until
                    ),
                ));
            }
            if servers.contains(r.client.as_str()) {
                out.push(self.error(
                    Some(r.line),
                    format!(
                        "a request to `{}`, which is a server, not a client: it is skipped",
                        r.client
                    ),
                ));
            }
        }
        out.sort_by_key(|w| w.line);
        out
    }
}

/// `fault`, undone after `lasts` if it is given.
fn lasting(fault: Fault, lasts: Option<Time>) -> Fault {
    match lasts {
        Some(d) => Fault::Lasting(Box::new(fault), d),
        None => fault,
    }
}

/// `fault`, waiting for `when`'s moment if it is given.
fn waiting(fault: Fault, when: Option<Moment>) -> Fault {
    match when {
        Some(m) => Fault::When {
            on: m.on,
            after: m.after,
            within: m.within,
            fault: Box::new(fault),
        },
        None => fault,
    }
}

/// Node names and their ids, looked up in logarithmic time (a schedule may name nodes many
/// thousands of times).
struct Names<'a> {
    names: &'a [String],
    index: BTreeMap<&'a str, NodeId>,
}

impl<'a> Names<'a> {
    fn new(names: &'a [String]) -> Self {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), NodeId(i as u32)))
            .collect();
        Names { names, index }
    }

    fn get(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    /// The names, for a message: all of them, or the first few.
    fn list(&self) -> String {
        const SHOWN: usize = 12;
        let mut s = self.names[..self.names.len().min(SHOWN)].join(", ");
        if self.names.len() > SHOWN {
            s.push_str(&format!(", ... ({} in all)", self.names.len()));
        }
        s
    }
}
