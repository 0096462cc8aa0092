//! # synod-protocols: the protocols, and the scenarios that run them
//!
//! **Contract: this crate does no IO.** Protocols are [`synod_core::Process`]es; scenarios are
//! parsed from text the caller read.
//!
//! - [`protocol`]: what a protocol tells synod about itself ([`protocol::Protocol`]) and the
//!   [`protocol::Registry`] that lists them; [`PROTOCOLS`] is the one list synod ships.
//! - [`kv`]: the KV contract and the client workload every store shares.
//! - One folder per protocol, each with its descriptor and builder in `build.rs`:
//!   [`single_server`] (`kv`, the baseline the replicated stores must behave like),
//!   [`paxos`] (single-decree Paxos), [`multipaxos`] (Multi-Paxos KV), [`raft`] (Raft KV),
//!   [`vr`] (Viewstamped Replication KV), [`register`] (single-decree Paxos serving a register:
//!   Stateright's model, a reference model for `synod explore`'s side-by-side).
//! - [`scenario`]: the scenario format (docs/scenarios.md); [`settings`]: the keys each protocol
//!   owns in it, with their defaults and checks.
//! - [`system`]: from a scenario to a runnable system.
//! - [`judge`]: run a system with every check on, and judge its expectations.
//! - [`campaign`]: many seeds of random faults, judged, and failures shrunk.
//! - [`explore`]: the explorability hook of a protocol's descriptor, and a counterexample of
//!   `synod explore` as a scenario (each explorable protocol's wiring is its `explore.rs`).
//! - [`view`]: what the protocols' views for `synod view` share (each protocol's is its
//!   `view.rs`).

pub mod campaign;
pub mod explore;
pub mod judge;
pub mod kv;
pub mod multipaxos;
pub mod nemesis;
pub mod paxos;
pub mod protocol;
pub mod raft;
pub mod register;
mod registry;
pub mod scenario;
pub mod settings;
pub mod single_server;
pub mod system;
pub mod view;
pub mod vr;

pub use registry::PROTOCOLS;
