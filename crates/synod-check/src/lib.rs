//! # synod-check: checkers that read the trace
//!
//! **Contract: this crate does no IO and knows no protocol.** Checkers observe the events of a
//! run (or read a recorded history), so they work the same on a simulated run, a recorded trace,
//! or a history imported from elsewhere.
//!
//! - [`invariants`]: live safety checks over protocol events: agreement, state machine
//!   safety, election safety.
//! - [`recorder`]: collects the client history (invocations and returns) of a run.

pub mod invariants;
pub mod recorder;
