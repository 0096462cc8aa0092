//! # synod-explore: every interleaving, not one per seed
//!
//! The explorer runs the same [`Process`](synod_core::Process) code as the simulator, but
//! instead of following one schedule it searches them all: from each state it tries every
//! message that could be delivered next, every timer that could fire, and (within bounds)
//! every loss, duplicate, crash and restart. States are remembered by fingerprint, so each is
//! expanded once. It answers "no violation exists within these bounds", or gives the shortest
//! path to one, which `synod explore` writes as a scenario that `synod run` replays and
//! `synod repl` steps through.
//!
//! - [`model`]: states, the choices they offer, the step that runs a handler ([`Spec`],
//!   [`Bounds`], [`NetworkKind`]).
//! - [`search`]: breadth-first on all cores, depth-first on one; deterministic results.
//! - [`history`]: the client history as a state keeps it, and its linearizability check.
//! - [`table`]: the concurrent table of visited fingerprints.
//! - [`intern`]: the stores of distinct node states, messages and histories that states
//!   refer to by id.
//!
//! The explorer knows no protocol: a protocol that can be explored builds its [`Spec`] (its
//! nodes, its properties) from a scenario, through the optional hook of its descriptor in
//! `synod-protocols`, and hands it over as a [`Search`].
//!
//! docs/explore.md says what is explored, what is not, and how the explorer compares with
//! Stateright.
//!
//! **Contract:** no clock, no IO, no OS randomness. Threads, yes: the search starts scoped
//! threads and joins them before it returns; its results do not depend on how many.

pub mod history;
pub mod intern;
pub mod model;
pub mod search;
pub mod table;

pub use model::{Bounds, Invariant, NetworkKind, Sometimes, Spec};
pub use search::{Counterexample, End, Options, Outcome, PathStep, Progress, Strategy, explore};

/// What one exploration found, with what a report needs to name things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The protocol.
    pub protocol: String,
    /// Node names, by id.
    pub names: Vec<String>,
    /// The result.
    pub outcome: Outcome,
}

/// A system ready to explore, its process type erased: what a protocol's explorability hook
/// returns, so that a driver (the command line) can search any protocol that has one.
/// Implemented by every [`Spec`].
pub trait Search: Send + Sync {
    /// Node names, by id (the names a counterexample's schedule uses).
    fn names(&self) -> &[String];
    /// Search every interleaving within the spec's bounds.
    fn search(&self, opts: &Options) -> Report;
}

impl<P: synod_core::Explorable> Search for Spec<P> {
    fn names(&self) -> &[String] {
        &self.names
    }

    fn search(&self, opts: &Options) -> Report {
        Report {
            protocol: self.protocol.clone(),
            names: self.names.clone(),
            outcome: explore(self, opts),
        }
    }
}
