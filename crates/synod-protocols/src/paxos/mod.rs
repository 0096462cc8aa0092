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
//! - [`mod@layout`]: its keys, and from a scenario to nodes, names, values and timing ([`Config`]).
//! - [`build`]: the scenario keys it takes, and the system it builds ([`PROTOCOL`]).
//! - [`check`]: the validity state check.
//! - [`explore`]: how `synod explore` searches it (its properties in state form, its bounds).
//! - [`observer`]: the narration of the moment a value is chosen.
//! - [`sweep`]: one seed of a randomized fault sweep (tests, the benchmark).
//! - `view`: the state `synod view` draws (ballots, promises, what was accepted and decided).
//!
//! docs/protocols/paxos.md maps the code to the paper.

pub mod acceptor;
pub mod build;
pub mod check;
pub mod explore;
pub mod layout;
pub mod msg;
pub mod node;
pub mod observer;
pub mod proposer;
pub mod sweep;
mod view;

pub use build::PROTOCOL;
pub use layout::{Config, layout};
pub use msg::{Ballot, Msg, Value};
pub use node::{Durable, PaxosNode, Timer};

crate::planted_bugs! {
    /// A planted bug of single-decree Paxos. Run with `bug = "NAME"`.
    pub enum Bug {
        /// `ignore-p1b-values`: proposers ignore the values reported in p1b.
        IgnoreP1bValues = "ignore-p1b-values": "a proposer ignores the values reported in p1b and always proposes its own (breaks P2c)",
        /// `forget-promise`: acceptors lose their state on restart.
        ForgetPromise = "forget-promise": "an acceptor restarts with no memory of its promise or of what it accepted (its state is not durable)",
    }
}
