//! # synod-serve: the checked protocols as a real replicated KV store
//!
//! The same `Process` implementations that synod's simulator runs and checks, driven by real
//! IO: TCP between servers, real timers, randomness seeded from the OS (and logged), and
//! durable state in a write-ahead log that is fsynced before anything a server says leaves it.
//! docs/serve.md is the user's guide; this is the map.
//!
//! - [`protocol`]: what the runtime needs from a protocol; [`raft`]: Raft's glue (its journal).
//! - [`wal`]: the write-ahead log (checksummed frames, group commit, torn-tail recovery).
//! - [`node`]: the event loop and the WAL thread (nothing leaves before it is durable).
//! - [`transport`]: TCP between servers, with link cuts for fault tests.
//! - [`http`]: the HTTP/JSON API; [`client`]: an HTTP client with leader discovery, retries and
//!   exactly-once sessions.
//! - [`config`], [`serve`]: `synod serve`; [`cluster`]: `synod cluster up`.
//! - [`torture`]: real faults (SIGKILL, SIGSTOP, link cuts) under client load, judged by
//!   synod's linearizability checker; [`load`]: the load generator that also drives etcd.
//!
//! **Contract: IO lives here.** This crate opens sockets, writes and fsyncs files, reads the
//! clock and starts threads and processes; the protocol crates stay pure, and a protocol runs
//! here unchanged.

pub mod client;
pub mod cluster;
pub mod config;
pub mod http;
pub mod load;
pub mod node;
pub mod protocol;
pub mod raft;
pub mod serve;
pub mod torture;
pub mod transport;
pub mod wal;
