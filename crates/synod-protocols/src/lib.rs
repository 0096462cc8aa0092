//! # synod-protocols: the protocols, and the scenarios that run them
//!
//! **Contract: this crate does no IO.** Protocols are [`synod_core::Process`]es; scenarios are
//! parsed from text the caller read.
//!
//! - [`kv`]: the KV contract, the client workload every store shares, and the single-server
//!   store (`kv`), the baseline the replicated stores must behave like.
//! - [`multipaxos`]: the KV store replicated with Multi-Paxos (acceptors, leaders, replicas).
//! - [`paxos`]: single-decree Paxos (proposers, acceptors, learners agreeing on one value).
//! - [`raft`]: Raft (Ongaro and Ousterhout, 2014) replicating the KV store.
//! - [`register`]: single-decree Paxos serving a register, Stateright's model (for the
//!   side-by-side of `synod explore`).
//! - [`scenario`]: the scenario format (docs/scenarios.md).
//! - [`system`]: from a scenario to a runnable system; the one place protocols meet the
//!   simulator.
//! - [`harness`]: run a system with every check on, and judge its expectations.

pub mod campaign;
pub mod harness;
pub mod kv;
pub mod multipaxos;
pub mod paxos;
pub mod raft;
pub mod register;
pub mod scenario;
pub mod system;

/// Every planted bug: (protocol, name, what it breaks).
pub fn bugs() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all = Vec::new();
    for (protocol, list) in [
        ("paxos", paxos::BUGS),
        ("multipaxos", multipaxos::BUGS),
        ("raft", raft::BUGS),
    ] {
        all.extend(list.iter().map(|(name, why)| (protocol, *name, *why)));
    }
    all
}
