//! # synod-sim: the deterministic simulator
//!
//! **Contract: this crate does no IO of its own and reads no clock.** Time is virtual; every
//! random draw comes from one seed (a ChaCha8 stream for the network, and one derived stream per
//! node); every collection whose order can reach the output is ordered. The same scenario, seed
//! and program give a byte-identical trace.
//!
//! The pieces, one concern each:
//! - [`sim`]: the world, its event queue ordered by (time, sequence number) and the step loop;
//!   `run` is a loop over `step`. The queue (`queue`) keeps the entries in place, lists the
//!   messages due soon in a wheel of one-microsecond buckets and heaps the keys of the rest.
//! - [`net`]: latency, loss, duplication and the topology (cut links, held and slow nodes).
//! - [`fault`]: the fault vocabulary, in pairs: crash / restart, partition / heal,
//!   hold / release.
//! - [`fault_plan`]: random fault schedules drawn from a seed (what `synod check` throws at a
//!   protocol).
//! - [`schedule`]: an exact schedule of deliveries, drops, timers, crashes and restarts (the
//!   replay of an explorer's counterexample).
//! - [`stats`]: counters of a run.
//! - [`trace_out`]: the JSON-lines trace and the narrated human form, written to a writer the
//!   caller gives.
//!
//! The simulator knows nothing about any protocol: it is generic over
//! [`synod_core::Process`].

pub mod fault;
pub mod fault_plan;
pub mod net;
mod queue;
pub mod schedule;
pub mod shared;
pub mod sim;
pub mod stats;
mod timers;
pub mod trace_out;

pub use fault::{Fault, On, ScheduledFault, Target};
pub use fault_plan::{FaultKind, FaultPlan, random_faults, random_faults_named};
pub use net::{NetConfig, Topology};
pub use schedule::{ScheduleStep, StepDisplay};
pub use shared::Shared;
pub use sim::{
    Builder, EndReason, MAX_QUEUED, MESSAGE_STORM, NodeSpec, OVERLOADED, Pending, PendingKind, Sim,
    SimConfig, Simulation, StateCheck, Step,
};
pub use stats::{KindStats, Stats};
