//! The core tutorial's pinger, grown into a protocol that synod runs: each node pings the next
//! in a ring and counts the pongs it gets back, a count it keeps across crashes. It lives in a
//! test crate, outside synod, to show that a protocol needs nothing but its own code and one
//! line in a registry; docs/writing-a-protocol.md quotes it (a test keeps the quotes exact).

use serde::Serialize;
use std::fmt;
use synod_core::{Ctx, Message, NodeId, NodeStatus, Process, Time};
use synod_protocols::protocol::{Campaign, FaultVerb, Protocol, no_rules};
use synod_protocols::scenario::{Scenario, ScenarioError};
use synod_protocols::settings::{Kind, Setting};
use synod_protocols::system::{System, sim_config};
use synod_sim::{Fault, NodeSpec, Sim, Target};

// --- Messages, state and handlers: the tutorial's pinger -------------------------------------

/// The messages of the ring.
#[derive(Clone, Debug, Serialize)]
pub enum Msg {
    /// "Are you there?", with the pongs the sender has counted so far.
    Ping(u32),
    /// The answer.
    Pong(u32),
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Ping(n) => write!(f, "Ping({n})"),
            Msg::Pong(n) => write!(f, "Pong({n})"),
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Ping(_) => "Ping",
            Msg::Pong(_) => "Pong",
        }
    }
}

/// What survives a crash: how many pongs this node has ever received.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    pongs: u32,
}

/// One node of the ring.
#[derive(Debug)]
pub struct Pinger {
    next: NodeId,
    interval: Time,
    durable: Durable,
    outstanding: bool,
}

/// The pinger's only timer.
#[derive(Clone, Debug)]
pub enum Timer {
    /// Time to ping again.
    Tick,
}

impl Pinger {
    /// A node that pings `next` every `interval`, fresh (`None`) or restarted from what
    /// survived a crash.
    pub fn new(next: NodeId, interval: Time, durable: Option<Durable>) -> Self {
        Pinger {
            next,
            interval,
            durable: durable.unwrap_or_default(),
            outstanding: false,
        }
    }
}

impl Process for Pinger {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
        ctx.info(format_args!(
            "starting with {} pongs so far",
            self.durable.pongs
        ));
        ctx.set_timer(self.interval, Timer::Tick);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Ping(n) => ctx.send(from, Msg::Pong(n)),
            Msg::Pong(_) => {
                self.durable.pongs += 1;
                self.outstanding = false;
                ctx.debug(format_args!("pong {} in all", self.durable.pongs));
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, _timer: Timer) {
        if !self.outstanding {
            self.outstanding = true;
            ctx.send(self.next, Msg::Ping(self.durable.pongs));
        }
        ctx.set_timer(self.interval, Timer::Tick);
    }

    fn durable(&self) -> Durable {
        self.durable.clone()
    }

    fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "pinger".into(),
            facts: vec![("pongs", self.durable.pongs.to_string())],
            ..NodeStatus::default()
        }
    }
}

// --- Planted bugs -----------------------------------------------------------------------------

synod_protocols::planted_bugs! {
    /// A planted bug of the pinger. Run with `bug = "NAME"`.
    pub enum Bug {
        /// `forget-pongs`: a restarted node starts counting from zero.
        ForgetPongs = "forget-pongs": "a restarted node forgets the pongs it counted (its count is not durable)",
    }
}

// --- A live check of its own -------------------------------------------------------------------

/// The property the pinger's own check reports.
pub const PONGS_ONLY_GROW: &str = "pongs only grow";

/// After every event: no node's pong count ever goes down, across crashes included. `seen`
/// keeps the last count of each node (a down node keeps its last one).
fn pongs_only_grow(
    seen: &mut Vec<u32>,
    nodes: &mut dyn Iterator<Item = Option<&Pinger>>,
) -> Option<(String, String)> {
    for (i, node) in nodes.enumerate() {
        if seen.len() <= i {
            seen.push(0);
        }
        let Some(p) = node else { continue };
        if p.durable.pongs < seen[i] {
            return Some((
                PONGS_ONLY_GROW.to_string(),
                format!(
                    "p{} counted {} pongs, now {}",
                    i + 1,
                    seen[i],
                    p.durable.pongs
                ),
            ));
        }
        seen[i] = p.durable.pongs;
    }
    None
}

// --- Settings ---------------------------------------------------------------------------------

/// `cluster.nodes`: how many pingers in the ring.
pub const NODES: Setting = Setting {
    key: "cluster.nodes",
    kind: Kind::Count {
        default: 3,
        min: 2,
        max: 100,
        why_max: "a ring of a hundred shows all there is to see",
    },
    doc: "pingers in the ring (`p1`..`pN`)",
};

/// `timing.interval_ms`: how often a node pings.
pub const INTERVAL: Setting = Setting {
    key: "timing.interval_ms",
    kind: Kind::Ms { default: 10.0 },
    doc: "how often a node pings the next",
};

// --- A fault action of its own ------------------------------------------------------------------

/// `isolate = "p2"`: cut one node off from all the others, both ways.
pub const ISOLATE: FaultVerb = FaultVerb {
    key: "isolate",
    doc: "cut one node off from all the others (a partition of it against the rest)",
    expand: |node, names| {
        let id = names
            .iter()
            .position(|n| n == node)
            .ok_or_else(|| format!("no node `{node}` (nodes: {})", names.join(", ")))?;
        let (alone, rest): (Vec<_>, Vec<_>) = (0..names.len())
            .map(|i| Target::Node(NodeId(i as u32)))
            .partition(|t| *t == Target::Node(NodeId(id as u32)));
        Ok(vec![Fault::Partition(vec![alone, rest])])
    },
};

// --- The descriptor and the builder ---------------------------------------------------------------

/// The pinger, as a registry lists it.
pub const PROTOCOL: Protocol = Protocol {
    name: "pinger",
    summary: "the core tutorial's pinger: a ring of nodes that ping the next and count the pongs",
    docs: "",
    bugs: BUGS,
    checks: &[PONGS_ONLY_GROW],
    settings: &[&[NODES, INTERVAL]],
    validate: no_rules,
    faults: &[ISOLATE],
    campaign: Campaign::DEFAULT,
    legend: &[("Pong(3)", "a reply to the ping numbered 3")],
    build,
    reference_model: false,
    explore: None,
};

fn build(s: &Scenario) -> Result<System, ScenarioError> {
    let bug = s.planted(Bug::from_name)?;
    let n = s.settings.count(&NODES) as u32;
    let interval = s.settings.time(&INTERVAL);
    let specs = (1..=n)
        .map(|i| NodeSpec {
            name: format!("p{i}"),
            role: "pinger".into(),
            client: false,
        })
        .collect();
    let mut sim = Sim::<Pinger>::new(
        sim_config(s),
        specs,
        Box::new(move |id, durable| {
            let kept = if bug == Some(Bug::ForgetPongs) {
                None
            } else {
                durable
            };
            Pinger::new(NodeId((id.0 + 1) % n), interval, kept)
        }),
    );
    let mut seen = Vec::new();
    sim.set_state_check(Box::new(move |_, nodes| pongs_only_grow(&mut seen, nodes)));
    Ok(System::new(sim, (0..n).map(NodeId).collect()))
}
