//! The protocols synod ships: the one list. `synod run --help`, `synod check --bug list`, the
//! scenario parser and the docs tables all read it, so a protocol added here is everywhere.

use crate::protocol::Registry;
use crate::{multipaxos, paxos, raft, register, single_server, vr};

/// Every protocol synod ships, in the order listings show them. Adding a protocol is one line
/// here (and its folder); docs/writing-a-protocol.md walks through it.
pub const PROTOCOLS: Registry<'static> = Registry::new(&[
    &single_server::PROTOCOL,
    &paxos::PROTOCOL,
    &multipaxos::PROTOCOL,
    &raft::PROTOCOL,
    &vr::PROTOCOL,
    &register::PROTOCOL,
]);
