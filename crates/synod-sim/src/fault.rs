//! Faults: what a scenario schedules, the REPL injects, or a campaign draws at random.
//!
//! The vocabulary comes in pairs, as in turmoil: crash / restart, partition / heal,
//! hold / release, slow / (slow 1.0), skew / (skew 1.0); `repair` undoes them all at once, and
//! a fault that lasts (`Lasting`) undoes itself.

use std::fmt;
use synod_core::{Leadership, NodeId, Time};

/// A protocol's moment that a fault may wait for ([`Fault::When`]): what a node announces
/// through its typed events ([`synod_core::ProtocolEvent`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum On {
    /// A node takes the lead ([`Leadership::Leads`]).
    Leads,
    /// A node starts trying to lead ([`Leadership::Seeks`]): a candidate, a proposer's
    /// Phase 1, a view change.
    Seeks,
    /// A node gives its vote ([`synod_core::ProtocolEvent::Vote`]): a Raft vote granted, a
    /// promise, a `DoViewChange`. `voter` is then that node.
    Votes,
}

impl On {
    /// Every moment, in the order the scenario format lists them.
    pub const ALL: [On; 3] = [On::Leads, On::Seeks, On::Votes];

    /// `leads`, `seeks`, `votes`: as a scenario's `when` writes it.
    pub fn name(self) -> &'static str {
        match self {
            On::Leads => "leads",
            On::Seeks => "seeks",
            On::Votes => "votes",
        }
    }

    /// The moment named `name` (`leads`, `seeks`, `votes`), as a scenario's `when` writes it.
    pub fn named(name: &str) -> Option<On> {
        On::ALL.into_iter().find(|on| on.name() == name)
    }

    /// The moment a role change announces, if any (a node that follows announces none).
    pub fn of_role(leadership: Leadership) -> Option<On> {
        match leadership {
            Leadership::Leads => Some(On::Leads),
            Leadership::Seeks => Some(On::Seeks),
            Leadership::Follows => None,
        }
    }
}

/// A node a fault acts on: a fixed node, or a role resolved when the fault fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// This node.
    Node(NodeId),
    /// Whichever node leads when the fault fires (the most recent to announce itself leader
    /// that still believes it leads). No leader: the fault is skipped, with a warning.
    Leader,
    /// The node that most recently gave its vote ([`On::Votes`]). A fault waiting for a vote
    /// aims at the node whose vote released it, even if another votes before it strikes.
    /// Nobody voted: the fault is skipped, with a warning.
    Voter,
    /// The node that most recently started trying to lead ([`On::Seeks`]: a candidate, a
    /// proposer's Phase 1, a view change). A fault waiting for that moment aims at the node
    /// whose attempt released it, even if another starts one before it strikes. Nobody tried:
    /// the fault is skipped, with a warning.
    Seeker,
    /// Every server (`*`): a fault on one node strikes each server in turn; in a partition,
    /// the group of every server that no other group names. Clients are never included.
    All,
}

impl Target {
    /// The targets a fault names by role rather than by node, with the names scenario files,
    /// the REPL and the trace give them: what a server may not be called.
    pub const ROLES: [(&'static str, Target); 3] = [
        ("leader", Target::Leader),
        ("voter", Target::Voter),
        ("seeker", Target::Seeker),
    ];

    /// The role named `name` (`leader`, `voter`, `seeker`), if it names one.
    pub fn role(name: &str) -> Option<Target> {
        Target::ROLES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
    }

    /// This role's name (`None` for a node or `*`).
    pub fn role_name(&self) -> Option<&'static str> {
        Target::ROLES
            .iter()
            .find(|(_, t)| t == self)
            .map(|(n, _)| *n)
    }
}

/// One fault.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Crash a node: it loses everything but its durable state.
    Crash(Target),
    /// Restart a crashed node from its durable state.
    Restart(Target),
    /// Cut every link between nodes of different groups, both ways. Nodes in no group keep
    /// all their links. Adds to cuts already in place.
    Partition(Vec<Vec<Target>>),
    /// Cut the links from each of `from` to each of `to`, in that direction only.
    OneWay {
        /// Senders whose messages are cut.
        from: Vec<Target>,
        /// Receivers they can no longer reach.
        to: Vec<Target>,
    },
    /// Restore every link.
    Heal,
    /// Hold a node's outgoing messages (they wait, they are not lost).
    Hold(Target),
    /// Release a held node: its held messages go out in the order they were sent.
    Release(Target),
    /// Multiply the latency of messages to and from a node (1.0 restores it).
    Slow(Target, f64),
    /// Set the probability that a message is lost.
    Loss(f64),
    /// Set the probability that a message is delivered twice.
    Duplicate(f64),
    /// Set the latency range.
    Latency(Time, Time),
    /// Make a node's clock run slow (`factor` > 1) or fast (< 1): the time it reads and its
    /// timers run `factor` times slower than real time (1.0 restores a true rate). What a
    /// protocol assumes of clock drift (a lease, an election timeout) is tested by this; the
    /// `skew` nemesis of a campaign and `skew = [...]` in a `[[fault]]` both strike it.
    Skew(Target, f64),
    /// A majority ring (Jepsen's `majorities-ring`): the nodes, in this order, each keep the
    /// links to their nearest neighbours on both sides and lose the rest, so that every node
    /// still sees a majority but no two see the same one. Adds to cuts already in place.
    Ring(Vec<Target>),
    /// Undo everything at once: heal, restart every crashed node, release every held one, and
    /// bring speed, clocks, loss, duplication and latency back to the scenario's network.
    Repair,
    /// A fault that undoes itself after a while: its targets are resolved when it strikes
    /// (`crash leader` crashes whoever leads then) and the same nodes are restored when it
    /// ends (a crash by a restart, a cut by a heal, a held node by a release, a speed or skew
    /// by 1, loss, duplication or latency by the scenario's network).
    Lasting(Box<Fault>, Time),
    /// An operator's order to a node, in the protocol's own words (Raft's `add n6`, `remove
    /// n2`, `transfer n3`): the node carries it out or refuses it ([`synod_core::Process::on_admin`]).
    /// `verb` is the protocol's fault verb that expands to it (a `[[fault]]` key), `arg` its
    /// value, so that a saved scenario writes it back as the same verb.
    Admin {
        /// The node told (usually the leader).
        to: Target,
        /// The verb: `add`, `remove`, `transfer`.
        verb: &'static str,
        /// Its argument, as written (a node name).
        arg: String,
    },
    /// A fault that waits for a protocol's moment instead of a time: armed when it strikes,
    /// it fires `after` the next time a node announces `on` (takes the lead, or starts trying
    /// to: a candidate, a proposer's Phase 1, a view change), through the typed
    /// [`synod_core::ProtocolEvent::Role`] every protocol emits. Jepsen's nemeses strike at
    /// random times; the schedules a bug needs (a voter that restarts between two candidates'
    /// requests, a new leader that dies before its first round completes) last a few
    /// milliseconds, and random times almost never meet them. A `repair` cancels what has not
    /// struck, armed or fired, and the run waits for a fired fault's undoing as for a scheduled
    /// one's. Its inner fault's targets are resolved when it strikes (`crash leader` under `on
    /// = Leads` crashes whoever leads then: the node that just took the lead, unless it lost
    /// the lead within the delay; nobody, and the fault is skipped, if no one leads). With
    /// `within`, it waits that long after it is armed and no longer: a moment that comes later
    /// finds it gone (so that a campaign knows when a crash that waits may be in force).
    When {
        /// The moment it waits for.
        on: On,
        /// How long after that moment it strikes.
        after: Time,
        /// How long after it is armed it gives up waiting (`None`: to the end of the run).
        within: Option<Time>,
        /// The fault it strikes (often a [`Fault::Lasting`]).
        fault: Box<Fault>,
    },
}

impl Fault {
    /// Every target this fault names, inner faults' included, to change in place.
    pub fn targets_mut(&mut self, f: &mut impl FnMut(&mut Target)) {
        match self {
            Fault::Crash(t)
            | Fault::Restart(t)
            | Fault::Hold(t)
            | Fault::Release(t)
            | Fault::Slow(t, _)
            | Fault::Skew(t, _)
            | Fault::Admin { to: t, .. } => f(t),
            Fault::Partition(groups) => groups.iter_mut().flatten().for_each(f),
            Fault::OneWay { from, to } => from.iter_mut().chain(to.iter_mut()).for_each(f),
            Fault::Ring(order) => order.iter_mut().for_each(f),
            Fault::Lasting(inner, _) | Fault::When { fault: inner, .. } => inner.targets_mut(f),
            Fault::Heal
            | Fault::Loss(_)
            | Fault::Duplicate(_)
            | Fault::Latency(..)
            | Fault::Repair => {}
        }
    }

    /// How long after it strikes (or, waiting for a moment, after it is armed, as if the
    /// moment came at once) the fault is over: its delay and its durations, nested.
    pub fn span(&self) -> Time {
        match self {
            Fault::Lasting(inner, d) => *d + inner.span(),
            Fault::When { after, fault, .. } => *after + fault.span(),
            _ => Time::ZERO,
        }
    }
}

/// A fault with the time it fires.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledFault {
    /// When.
    pub at: Time,
    /// What.
    pub fault: Fault,
}

/// Prints faults with node names: `crash n1`, `partition n1,n2 | n3,n4,n5`.
pub struct FaultDisplay<'a> {
    /// The fault.
    pub fault: &'a Fault,
    /// Node names by id.
    pub names: &'a [String],
}

impl FaultDisplay<'_> {
    fn target(&self, f: &mut fmt::Formatter<'_>, t: &Target) -> fmt::Result {
        match t {
            Target::Node(id) => match self.names.get(id.index()) {
                Some(name) => f.write_str(name),
                None => write!(f, "#{id}"),
            },
            Target::All => f.write_str("*"),
            role => f.write_str(role.role_name().unwrap_or("?")),
        }
    }
    fn group(&self, f: &mut fmt::Formatter<'_>, g: &[Target]) -> fmt::Result {
        for (i, t) in g.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            self.target(f, t)?;
        }
        Ok(())
    }
}

impl fmt::Display for FaultDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault {
            Fault::Crash(t) => {
                f.write_str("crash ")?;
                self.target(f, t)
            }
            Fault::Restart(t) => {
                f.write_str("restart ")?;
                self.target(f, t)
            }
            Fault::Partition(groups) => {
                f.write_str("partition ")?;
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    self.group(f, g)?;
                }
                Ok(())
            }
            Fault::OneWay { from, to } => {
                f.write_str("one-way partition ")?;
                self.group(f, from)?;
                f.write_str(" -> ")?;
                self.group(f, to)
            }
            Fault::Heal => f.write_str("heal"),
            Fault::Hold(t) => {
                f.write_str("hold ")?;
                self.target(f, t)
            }
            Fault::Release(t) => {
                f.write_str("release ")?;
                self.target(f, t)
            }
            Fault::Slow(t, x) => {
                f.write_str("slow ")?;
                self.target(f, t)?;
                write!(f, " x{x}")
            }
            Fault::Loss(p) => write!(f, "loss {p}"),
            Fault::Duplicate(p) => write!(f, "duplicate {p}"),
            Fault::Latency(lo, hi) => write!(f, "latency {lo}..{hi}"),
            Fault::Skew(t, x) => {
                f.write_str("skew ")?;
                self.target(f, t)?;
                write!(f, " x{x}")
            }
            Fault::Ring(ring) => {
                f.write_str("majority ring ")?;
                for (i, t) in ring.iter().enumerate() {
                    if i > 0 {
                        f.write_str("-")?;
                    }
                    self.target(f, t)?;
                }
                Ok(())
            }
            Fault::Repair => f.write_str(
                "repair (heal, restart, release; speed, timers and network back to normal)",
            ),
            Fault::Lasting(inner, d) => {
                let inner = FaultDisplay {
                    fault: inner,
                    names: self.names,
                };
                write!(f, "{inner} for {d}")
            }
            Fault::Admin { to, verb, arg } => {
                write!(f, "{verb} {arg} (told to ")?;
                self.target(f, to)?;
                f.write_str(")")
            }
            Fault::When {
                on,
                after,
                within,
                fault,
            } => {
                let inner = FaultDisplay {
                    fault,
                    names: self.names,
                };
                write!(f, "armed: {inner}, ")?;
                if *after > Time::ZERO {
                    write!(f, "{after} after a node next {}", on.name())?;
                } else {
                    write!(f, "when a node next {}", on.name())?;
                }
                match within {
                    Some(w) => write!(f, " within {w}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A role's name reads back as the role, and a node or `*` is no role.
    #[test]
    fn role_names_round_trip() {
        for (name, role) in Target::ROLES {
            assert_eq!(Target::role(name), Some(role.clone()));
            assert_eq!(role.role_name(), Some(name));
        }
        assert_eq!(Target::role("n1"), None);
        assert_eq!(Target::role("*"), None);
        assert_eq!(Target::Node(NodeId(0)).role_name(), None);
        assert_eq!(Target::All.role_name(), None);
    }
}
