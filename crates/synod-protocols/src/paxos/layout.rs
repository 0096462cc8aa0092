//! From a scenario to a Paxos cluster: which node plays which roles, their names, the values
//! proposers propose, timing and planted bugs.
//!
//! With `nodes = N` (default 5) every node plays all three roles, named n1..nN. With separate
//! counts (`proposers`, `acceptors`, `learners`; a missing one defaults to 3) the nodes are laid
//! out as proposers, then acceptors, then learners, named p1.., a1.., l1... `names` renames
//! the nodes in that order; `values` gives each proposer its value (default: its name).

use super::Bug;
use super::msg::Value;
use crate::scenario::{Scenario, ScenarioError};
use crate::settings::{Invalid, Kind, Setting, Settings};
use synod_core::{NodeId, Time};
use synod_sim::NodeSpec;

/// What every node of a run shares: the layout, the values, timing and bugs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Node names, by id.
    pub names: Vec<String>,
    /// The proposers, in order.
    pub proposers: Vec<NodeId>,
    /// The acceptors, in order.
    pub acceptors: Vec<NodeId>,
    /// The learners, in order.
    pub learners: Vec<NodeId>,
    /// The value each node proposes if it is a proposer (by id; empty for others).
    pub values: Vec<Value>,
    /// A proposer's first attempt comes after a delay drawn from this range.
    pub start_delay: (Time, Time),
    /// A proposer's retry timeout is drawn from this range, times 2^failures (at most 8x).
    pub timeout: (Time, Time),
    /// The planted bug, if any.
    pub bug: Option<Bug>,
}

impl Config {
    /// `n` nodes playing every role, named n1..nN, with default timing.
    pub fn symmetric(n: u32) -> Config {
        let names: Vec<String> = (1..=n).map(|i| format!("n{i}")).collect();
        let all: Vec<NodeId> = (0..n).map(NodeId).collect();
        Config {
            values: names.clone(),
            names,
            proposers: all.clone(),
            acceptors: all.clone(),
            learners: all,
            start_delay: DEFAULT_START_DELAY,
            timeout: DEFAULT_TIMEOUT,
            bug: None,
        }
    }

    /// A majority of the acceptors.
    pub fn quorum(&self) -> usize {
        self.acceptors.len() / 2 + 1
    }

    /// The name of `id`.
    pub fn name(&self, id: NodeId) -> &str {
        self.names.get(id.index()).map_or("?", String::as_str)
    }

    /// Every node that must hear a p3 Decide: learners and proposers.
    pub fn decide_targets(&self) -> Vec<NodeId> {
        let mut t: Vec<NodeId> = self.learners.clone();
        t.extend(self.proposers.iter().copied());
        t.sort();
        t.dedup();
        t
    }

    /// The values a proposer may propose: a decided value must be one of them (validity).
    pub fn candidates(&self) -> Vec<Value> {
        self.proposers
            .iter()
            .map(|p| self.values[p.index()].clone())
            .collect()
    }

    /// The simulator's node specs: names and the roles each plays.
    pub fn specs(&self) -> Vec<NodeSpec> {
        (0..self.names.len())
            .map(|i| {
                let id = NodeId(i as u32);
                let mut roles = Vec::new();
                if self.proposers.contains(&id) {
                    roles.push("proposer");
                }
                if self.acceptors.contains(&id) {
                    roles.push("acceptor");
                }
                if self.learners.contains(&id) {
                    roles.push("learner");
                }
                NodeSpec {
                    name: self.names[i].clone(),
                    role: roles.join("+"),
                    client: false,
                }
            })
            .collect()
    }
}

/// Default start delay: 5-100 ms (the network's default latency is 1-10 ms).
pub const DEFAULT_START_DELAY: (Time, Time) = (Time::ms(5), Time::ms(100));
/// Default retry timeout: 60-120 ms, enough for two round trips at the default latency.
pub const DEFAULT_TIMEOUT: (Time, Time) = (Time::ms(60), Time::ms(120));

/// The most nodes a Paxos scenario may have: every proposer sends each phase to every acceptor
/// and the live checks read every node after each event (500 nodes decide in about a second
/// of wall time; 1,000 take more than ten).
pub const MAX_NODES: u64 = 500;

const WHY_MAX: &str = "every proposer sends each phase to every acceptor, and the live checks read every node after each event";

/// `cluster.nodes`.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 5,
        min: 1,
        max: MAX_NODES,
        why_max: WHY_MAX,
    },
    doc: "nodes that each play all three roles (`n1`..`nN`); or give the roles' counts instead",
};

/// `cluster.proposers`.
pub const PROPOSERS: Setting = Setting {
    key: "cluster.proposers",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: MAX_NODES,
        why_max: WHY_MAX,
    },
    doc: "proposers `p1`.., when roles are separate",
};

/// `cluster.acceptors`.
pub const ACCEPTORS: Setting = Setting {
    key: "cluster.acceptors",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: MAX_NODES,
        why_max: WHY_MAX,
    },
    doc: "acceptors `a1`.., when roles are separate",
};

/// `cluster.learners`.
pub const LEARNERS: Setting = Setting {
    key: "cluster.learners",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: MAX_NODES,
        why_max: WHY_MAX,
    },
    doc: "learners `l1`.., when roles are separate",
};

/// `cluster.names`.
pub const NAMES: Setting = Setting {
    key: "cluster.names",
    kind: Kind::Names,
    doc: "the nodes' names, in order (proposers, then acceptors, then learners when roles are separate)",
};

/// `cluster.values`.
pub const VALUES: Setting = Setting {
    key: "cluster.values",
    kind: Kind::Strings { default: &[] },
    doc: "the value each proposer proposes, in order (default: its name)",
};

/// `timing.start_delay_ms`.
pub const START_DELAY: Setting = Setting {
    key: "timing.start_delay_ms",
    kind: Kind::RangeMs {
        default: (5.0, 100.0),
    },
    doc: "a proposer's delay before its first attempt",
};

/// `timing.proposer_timeout_ms`.
pub const PROPOSER_TIMEOUT: Setting = Setting {
    key: "timing.proposer_timeout_ms",
    kind: Kind::RangeMs {
        default: (60.0, 120.0),
    },
    doc: "a proposer's retry timeout, doubled on each retry (at most 8x); max above 0",
};

/// Paxos's keys.
pub const SETTINGS: &[Setting] = &[
    NODES,
    PROPOSERS,
    ACCEPTORS,
    LEARNERS,
    NAMES,
    VALUES,
    START_DELAY,
    PROPOSER_TIMEOUT,
];

/// Whether the roles are laid out separately (a role's count is given).
fn separate(s: &Settings) -> bool {
    s.given(&PROPOSERS) || s.given(&ACCEPTORS) || s.given(&LEARNERS)
}

/// The node count and the proposer count of the layout the settings ask for.
fn counts(s: &Settings) -> (u64, u64) {
    if separate(s) {
        let p = s.count(&PROPOSERS);
        (p + s.count(&ACCEPTORS) + s.count(&LEARNERS), p)
    } else {
        let n = match (s.given(&NODES), s.strings(&NAMES)) {
            (false, Some(names)) => names.len() as u64,
            _ => s.count(&NODES),
        };
        (n, n)
    }
}

/// Paxos's rules across keys.
pub fn validate(s: &Settings) -> Result<(), Invalid> {
    if separate(s) && s.given(&NODES) {
        return Err(Invalid {
            key: NODES.key,
            message: "give either `cluster.nodes` (every node plays all three roles) or separate \
                      `cluster.proposers`, `cluster.acceptors` and `cluster.learners`, not both"
                .into(),
        });
    }
    let (nodes, proposers) = counts(s);
    if nodes > MAX_NODES {
        return Err(Invalid {
            key: NODES.key,
            message: format!("{nodes} nodes in all; at most {MAX_NODES} ({WHY_MAX})"),
        });
    }
    if let Some(names) = s.strings(&NAMES) {
        if names.len() as u64 != nodes {
            return Err(Invalid {
                key: NAMES.key,
                message: format!(
                    "{} names given for {nodes} nodes ({})",
                    names.len(),
                    if separate(s) {
                        "proposers, then acceptors, then learners"
                    } else {
                        "every node plays all three roles"
                    }
                ),
            });
        }
    }
    if let Some(values) = s.strings(&VALUES) {
        if values.len() as u64 != proposers {
            return Err(Invalid {
                key: VALUES.key,
                message: format!(
                    "{} values given for {proposers} proposers (one each, in order)",
                    values.len()
                ),
            });
        }
    }
    if s.range(&PROPOSER_TIMEOUT).1 == Time::ZERO {
        return Err(Invalid {
            key: PROPOSER_TIMEOUT.key,
            message: "max must be > 0, or proposers would retry forever at once".into(),
        });
    }
    Ok(())
}

/// Lay out the cluster a scenario describes.
pub fn layout(s: &Scenario) -> Result<Config, ScenarioError> {
    let st = &s.settings;
    let ids = |from: u64, n: u64| {
        (from..from + n)
            .map(|i| NodeId(i as u32))
            .collect::<Vec<_>>()
    };
    let (names, proposers, acceptors, learners) = if separate(st) {
        let (p, a, l) = (
            st.count(&PROPOSERS),
            st.count(&ACCEPTORS),
            st.count(&LEARNERS),
        );
        let mut names = Vec::new();
        names.extend((1..=p).map(|i| format!("p{i}")));
        names.extend((1..=a).map(|i| format!("a{i}")));
        names.extend((1..=l).map(|i| format!("l{i}")));
        (names, ids(0, p), ids(p, a), ids(p + a, l))
    } else {
        let (n, _) = counts(st);
        let all = ids(0, n);
        (
            (1..=n).map(|i| format!("n{i}")).collect(),
            all.clone(),
            all.clone(),
            all,
        )
    };
    let names = st.strings(&NAMES).unwrap_or(names);
    let mut values = vec![String::new(); names.len()];
    match st.strings(&VALUES) {
        Some(v) => {
            for (p, val) in proposers.iter().zip(v) {
                values[p.index()] = val;
            }
        }
        None => {
            for p in &proposers {
                values[p.index()] = names[p.index()].clone();
            }
        }
    }
    Ok(Config {
        names,
        proposers,
        acceptors,
        learners,
        values,
        start_delay: st.range(&START_DELAY),
        timeout: st.range(&PROPOSER_TIMEOUT),
        bug: s.planted(Bug::from_name)?,
    })
}
