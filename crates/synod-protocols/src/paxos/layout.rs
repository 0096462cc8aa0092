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

/// Lay out the cluster a scenario describes.
pub fn layout(s: &Scenario) -> Result<Config, ScenarioError> {
    let c = &s.cluster;
    let separate = c.proposers.is_some() || c.acceptors.is_some() || c.learners.is_some();
    let (names, proposers, acceptors, learners) = if separate {
        if c.nodes.is_some() {
            return Err(s.error(
                None,
                "give either `cluster.nodes` (every node plays all three roles) or separate \
                 `cluster.proposers`, `cluster.acceptors` and `cluster.learners`, not both",
            ));
        }
        let (p, a, l) = (
            c.proposers.unwrap_or(3),
            c.acceptors.unwrap_or(3),
            c.learners.unwrap_or(3),
        );
        let mut names = Vec::new();
        names.extend((1..=p).map(|i| format!("p{i}")));
        names.extend((1..=a).map(|i| format!("a{i}")));
        names.extend((1..=l).map(|i| format!("l{i}")));
        let ids = |from: u32, n: u32| (from..from + n).map(NodeId).collect::<Vec<_>>();
        (names, ids(0, p), ids(p, a), ids(p + a, l))
    } else {
        let n = c
            .nodes
            .or(c.names.as_ref().map(|n| n.len() as u32))
            .unwrap_or(5);
        let all: Vec<NodeId> = (0..n).map(NodeId).collect();
        (
            (1..=n).map(|i| format!("n{i}")).collect(),
            all.clone(),
            all.clone(),
            all,
        )
    };
    let names = match &c.names {
        Some(given) if given.len() != names.len() => {
            return Err(s.error(
                None,
                format!(
                    "key `cluster.names`: {} names given for {} nodes ({})",
                    given.len(),
                    names.len(),
                    if separate {
                        "proposers, then acceptors, then learners"
                    } else {
                        "every node plays all three roles"
                    }
                ),
            ));
        }
        Some(given) => given.clone(),
        None => names,
    };
    let mut values = vec![String::new(); names.len()];
    match &c.values {
        Some(v) if v.len() != proposers.len() => {
            return Err(s.error(
                None,
                format!(
                    "key `cluster.values`: {} values given for {} proposers (one each, in order)",
                    v.len(),
                    proposers.len()
                ),
            ));
        }
        Some(v) => {
            for (p, val) in proposers.iter().zip(v) {
                values[p.index()] = val.clone();
            }
        }
        None => {
            for p in &proposers {
                values[p.index()] = names[p.index()].clone();
            }
        }
    }
    let bug = s.planted(Bug::from_name)?;
    let t = &s.timing;
    let timeout = t.proposer_timeout_ms.map_or(DEFAULT_TIMEOUT, |r| r.times());
    if timeout.1 == Time::ZERO {
        return Err(s.error(
            None,
            "key `timing.proposer_timeout_ms`: max must be > 0, or proposers would retry forever at once",
        ));
    }
    Ok(Config {
        names,
        proposers,
        acceptors,
        learners,
        values,
        start_delay: t.start_delay_ms.map_or(DEFAULT_START_DELAY, |r| r.times()),
        timeout,
        bug,
    })
}
