//! An exact schedule: which queued message or timer the simulator processes at each step,
//! instead of the earliest one. Counterexamples found by the explorer are replayed this way
//! (a scenario's `schedule`, docs/scenarios.md).
//!
//! Entries name what the trace names: messages by their id (`msg_id`, numbered in the order
//! they are sent) and timers by theirs (numbered in the order they are set), both of which
//! follow from the schedule itself. Under a schedule every handler reads the clock as
//! [`Time::MAX`](synod_core::Time::MAX), as under the explorer: a timer fires when the
//! schedule says, and any deadline computed from the clock has passed by then. The trace's
//! own time advances one millisecond per step, so that the narration reads as numbered
//! steps.

use std::fmt;
use synod_core::{NodeId, TimerId};

/// One step of a schedule.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScheduleStep {
    /// Deliver message `msg_id` now. With `keep`, a copy stays in flight (a duplicate).
    Deliver {
        /// The message's id.
        msg_id: u64,
        /// Whether a copy stays in flight.
        keep: bool,
    },
    /// The network loses message `msg_id`.
    Drop {
        /// The message's id.
        msg_id: u64,
    },
    /// Timer `timer` fires now.
    Fire {
        /// The timer's id.
        timer: TimerId,
    },
    /// The node crashes (keeps only its durable state).
    Crash(NodeId),
    /// The node restarts from its durable state.
    Restart(NodeId),
}

/// A step as a scenario writes it, with nodes named: `deliver 12`, `deliver 12 keep`,
/// `drop 12`, `fire 7`, `crash n2`, `restart n2`.
pub struct StepDisplay<'a> {
    /// The step.
    pub step: &'a ScheduleStep,
    /// Node names, by id.
    pub names: &'a [String],
}

impl fmt::Display for StepDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |id: &NodeId| {
            self.names
                .get(id.index())
                .cloned()
                .unwrap_or_else(|| format!("#{id}"))
        };
        match self.step {
            ScheduleStep::Deliver { msg_id, keep } => {
                write!(f, "deliver {msg_id}{}", if *keep { " keep" } else { "" })
            }
            ScheduleStep::Drop { msg_id } => write!(f, "drop {msg_id}"),
            ScheduleStep::Fire { timer } => write!(f, "fire {}", timer.0),
            ScheduleStep::Crash(n) => write!(f, "crash {}", name(n)),
            ScheduleStep::Restart(n) => write!(f, "restart {}", name(n)),
        }
    }
}
