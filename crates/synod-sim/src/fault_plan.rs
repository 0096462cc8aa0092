//! Random fault schedules drawn from a seed, for sweeps over many seeds.
//!
//! A schedule strikes only during a fault window; at its end everything is repaired (heal,
//! restart every crashed node, release held nodes, restore speed, loss and duplication), so a
//! run can then be judged for liveness as well as safety.

use crate::fault::{Fault, ScheduledFault, Target};
use synod_core::{NodeId, SimRng, Time};

/// The kinds of fault a campaign may draw.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// Crash a node (it restarts later).
    Crash,
    /// Cut the cluster in two (healed later).
    Partition,
    /// A burst of message loss.
    Loss,
    /// A burst of duplication.
    Duplicate,
    /// A burst of wider latency (reordering).
    Delay,
    /// A node becomes slow for a while.
    Slow,
    /// A node's messages are held for a while, then released.
    Hold,
    /// A node's clock runs slow for a while (up to twice slow, never fast, so that any two
    /// clocks stay within a drift of 100%), then true again. Opt-in.
    Skew,
    /// An operator's membership change: the leader is told to remove a server, and to add it
    /// back when the fault ends (`remove` / `add` orders, [`Fault::Admin`]). Opt-in, for
    /// protocols that take those orders.
    Membership,
    /// An operator's leadership transfer: the leader is told to hand over to a server
    /// (`transfer` order). Opt-in, for protocols that take it.
    Transfer,
}

impl FaultKind {
    /// Every kind, with its name on the command line.
    pub const ALL: [(FaultKind, &'static str); 7] = [
        (FaultKind::Crash, "crash"),
        (FaultKind::Partition, "partition"),
        (FaultKind::Loss, "loss"),
        (FaultKind::Duplicate, "duplicate"),
        (FaultKind::Delay, "delay"),
        (FaultKind::Slow, "slow"),
        (FaultKind::Hold, "hold"),
    ];

    /// Kinds drawn only when asked for (`--faults skew,membership,transfer`): clock skew, and
    /// the operator's orders of protocols that take them. Not in [`FaultKind::ALL`], so that
    /// the default campaign of every protocol draws what it always drew.
    pub const OPT_IN: [(FaultKind, &'static str); 3] = [
        (FaultKind::Skew, "skew"),
        (FaultKind::Membership, "membership"),
        (FaultKind::Transfer, "transfer"),
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        (Self::ALL.iter().chain(&Self::OPT_IN))
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }
}

/// What a random schedule may contain.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// Kinds to draw from.
    pub kinds: Vec<FaultKind>,
    /// Faults strike in `[0, window)`; at `window` everything is repaired.
    pub window: Time,
    /// How many faults to draw (each lasts a while, then is undone).
    pub count: u32,
    /// The longest a fault lasts.
    pub max_duration: Time,
    /// The network's latency range, restored after a delay burst.
    pub latency: (Time, Time),
}

/// Draw a fault schedule for `servers` from `seed`. At most a minority of servers is down at
/// any moment, so a correct protocol can always make progress once messages flow.
pub fn random_faults(seed: u64, servers: &[NodeId], plan: &FaultPlan) -> Vec<ScheduledFault> {
    random_faults_named(seed, servers, &[], plan)
}

/// [`random_faults`], with the nodes' names by id: the orders ([`FaultKind::Membership`],
/// [`FaultKind::Transfer`]) name the server they are about, and are skipped without names.
pub fn random_faults_named(
    seed: u64,
    servers: &[NodeId],
    names: &[String],
    plan: &FaultPlan,
) -> Vec<ScheduledFault> {
    let mut rng = SimRng::derive(seed, u64::MAX);
    let mut out = Vec::new();
    if plan.kinds.is_empty() || servers.is_empty() || plan.window == Time::ZERO {
        return out;
    }
    let minority = (servers.len() - 1) / 2;
    // Intervals during which each crashed node is down, to keep the majority up.
    let mut down: Vec<(Time, Time)> = Vec::new();
    let node = |rng: &mut SimRng| servers[rng.below(servers.len() as u64) as usize];
    for _ in 0..plan.count {
        let kind = plan.kinds[rng.below(plan.kinds.len() as u64) as usize];
        let at = Time::micros(rng.below(plan.window.as_micros()));
        // Log-uniform durations from 1 ms to the maximum: many short faults (a crash and a quick
        // restart inside one election, a blip of loss) and some long ones.
        let max = plan.max_duration.as_micros().max(1_000) as f64;
        let dur = Time::micros((1_000.0 * (max / 1_000.0).powf(rng.unit())).round() as u64);
        let end = (at + dur).min(plan.window);
        let mut push = |at: Time, fault: Fault| out.push(ScheduledFault { at, fault });
        match kind {
            FaultKind::Crash => {
                let overlapping = down.iter().filter(|(a, b)| *a < end && at < *b).count();
                if overlapping < minority {
                    let n = node(&mut rng);
                    down.push((at, end));
                    push(at, Fault::Crash(Target::Node(n)));
                    push(end, Fault::Restart(Target::Node(n)));
                }
            }
            FaultKind::Partition => {
                let mut side_a = Vec::new();
                let mut side_b = Vec::new();
                for &s in servers {
                    if rng.chance(0.5) {
                        side_a.push(Target::Node(s));
                    } else {
                        side_b.push(Target::Node(s));
                    }
                }
                if !side_a.is_empty() && !side_b.is_empty() {
                    push(at, Fault::Partition(vec![side_a, side_b]));
                    push(end, Fault::Heal);
                }
            }
            FaultKind::Loss => {
                let p = 0.05 + 0.3 * rng.unit();
                push(at, Fault::Loss((p * 100.0).round() / 100.0));
                push(end, Fault::Loss(0.0));
            }
            FaultKind::Duplicate => {
                let p = 0.05 + 0.3 * rng.unit();
                push(at, Fault::Duplicate((p * 100.0).round() / 100.0));
                push(end, Fault::Duplicate(0.0));
            }
            FaultKind::Delay => {
                let (lo, hi) = plan.latency;
                push(at, Fault::Latency(lo, hi.scale(1.0 + 9.0 * rng.unit())));
                push(end, Fault::Latency(lo, hi));
            }
            FaultKind::Slow => {
                let n = node(&mut rng);
                let factor = (2.0 + 8.0 * rng.unit()).round();
                push(at, Fault::Slow(Target::Node(n), factor));
                push(end, Fault::Slow(Target::Node(n), 1.0));
            }
            FaultKind::Hold => {
                let n = node(&mut rng);
                push(at, Fault::Hold(Target::Node(n)));
                push(end, Fault::Release(Target::Node(n)));
            }
            FaultKind::Skew => {
                let n = node(&mut rng);
                // 1 to 2: a clock up to twice slow, never fast, so that any two clocks (even
                // two skewed at once) differ by at most 100%, the drift Raft's leases assume
                // by default (`timing.clock_drift_percent`).
                let factor = 1.0 + rng.unit();
                push(
                    at,
                    Fault::Skew(Target::Node(n), (factor * 100.0).round() / 100.0),
                );
                push(end, Fault::Skew(Target::Node(n), 1.0));
            }
            FaultKind::Membership | FaultKind::Transfer => {
                let n = node(&mut rng);
                let Some(name) = names.get(n.index()) else {
                    continue;
                };
                let order = |verb: &'static str| Fault::Admin {
                    to: Target::Leader,
                    verb,
                    arg: name.clone(),
                };
                if kind == FaultKind::Transfer {
                    push(at, order("transfer"));
                } else {
                    push(at, order("remove"));
                    push(end, order("add"));
                }
            }
        }
    }
    // Repair everything at the end of the window, whatever was drawn.
    let w = plan.window;
    out.push(ScheduledFault {
        at: w,
        fault: Fault::Heal,
    });
    for &s in servers {
        out.push(ScheduledFault {
            at: w,
            fault: Fault::Restart(Target::Node(s)),
        });
        out.push(ScheduledFault {
            at: w,
            fault: Fault::Release(Target::Node(s)),
        });
        out.push(ScheduledFault {
            at: w,
            fault: Fault::Slow(Target::Node(s), 1.0),
        });
        if plan.kinds.contains(&FaultKind::Skew) {
            out.push(ScheduledFault {
                at: w,
                fault: Fault::Skew(Target::Node(s), 1.0),
            });
        }
    }
    out.push(ScheduledFault {
        at: w,
        fault: Fault::Loss(0.0),
    });
    out.push(ScheduledFault {
        at: w,
        fault: Fault::Duplicate(0.0),
    });
    out.push(ScheduledFault {
        at: w,
        fault: Fault::Latency(plan.latency.0, plan.latency.1),
    });
    out.sort_by_key(|f| f.at);
    out
}
