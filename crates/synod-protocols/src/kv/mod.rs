//! # The KV store every synod protocol but single-decree Paxos replicates
//!
//! - [`contract`]: the commands, the store with its exact results and error strings,
//!   exactly-once sessions, and the request and reply every KV protocol carries.
//! - [`client`]: the client workload every KV protocol shares.
//! - [`node`]: [`KvNode`], a node of any KV protocol: one of its servers, or a client.
//!
//! The single-server store (`kv`), the baseline the replicated stores must behave like, is a
//! protocol of its own: [`crate::single_server`].

pub mod client;
pub mod contract;
pub mod node;

pub use client::{
    CLIENT_SETTINGS, CLIENTS, ClientTimer, KvClient, LOOP, MAX_CLIENTS, RATE, REQUESTS, UNTIL,
    WINDOW_SETTINGS, Workload, client_specs, workload,
};
pub use contract::{Answer, Command, Reply, Request, Sessions, Store};
pub use node::{KvMessage, KvNode, KvTimer, layout, nodes, simulation};
