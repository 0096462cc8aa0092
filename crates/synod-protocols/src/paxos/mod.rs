//! # Single-decree Paxos
//!
//! The synod protocol of Lamport's "Paxos Made Simple", as the Paxos simulators and the
//! BeatPaxos game teach it: proposers, acceptors and learners agree on one value while
//! messages are delayed, lost and partitioned and nodes crash and come back.
//!
//! - [`msg`]: ballots `(round, proposer)` and the messages p1a Prepare, p1b Promise, p2a
//!   Accept, p2b Accepted, p3 Decide, and the rejection carrying the higher ballot.
//! - [`acceptor`]: promise and accept; all of its state is durable.
//! - [`proposer`]: the two phases, the value rule (P2c), start delay, timeout and backoff.
//! - [`node`]: [`PaxosNode`], one process holding optional proposer, acceptor and learner
//!   parts; its handlers narrate what each role does and why.
//! - [`layout`]: from a scenario to nodes, names, values and timing ([`Config`]).
//! - [`check`]: the validity state check.
//! - [`sweep`]: one seed of a randomized fault sweep (tests, the benchmark).
//! - `view`: the state `synod view` draws (ballots, promises, what was accepted and decided).
//!
//! docs/protocols/paxos.md maps the code to the paper.

pub mod acceptor;
pub mod check;
pub mod layout;
pub mod msg;
pub mod node;
pub mod proposer;
pub mod sweep;
mod view;

pub use layout::{Bugs, Config, layout};
pub use msg::{Ballot, Msg, Value};
pub use node::{Durable, PaxosNode, Timer};

/// The planted bugs of this protocol: (name, what is wrong). Run with `bug = "NAME"`.
pub const BUGS: &[(&str, &str)] = &[
    (
        "ignore-p1b-values",
        "a proposer ignores the values reported in p1b and always proposes its own (breaks P2c)",
    ),
    (
        "forget-promise",
        "an acceptor restarts with no memory of its promise or of what it accepted (its state is not durable)",
    ),
];
