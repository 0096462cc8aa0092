//! # synod-core: the actor model
//!
//! **Contract: this crate does no IO.** It reads no clock, no file, no socket and no OS
//! randomness. Time and randomness come in through [`Ctx`]; everything a process does goes out
//! through it. That is what lets one protocol run unchanged under the deterministic simulator,
//! the REPL, the web game and hand-driven unit tests, and replay byte for byte from a seed.
//!
//! ## Writing a protocol, in four steps
//!
//! A protocol is a set of actors. Each is a [`Process`]: a state machine that reacts to its
//! start, to messages and to timers. Here is a whole (tiny) protocol: a pinger that counts the
//! pongs it has received, and keeps that count across crashes.
//!
//! **1. Messages.** One enum for every message of the protocol. `Display` is the one-line
//! summary the narration prints; `kind` names the variant for statistics.
//!
//! ```
//! use serde::Serialize;
//! use std::fmt;
//! use synod_core::Message;
//!
//! #[derive(Clone, Debug, Serialize)]
//! pub enum Msg { Ping(u32), Pong(u32) }
//!
//! impl fmt::Display for Msg {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         match self {
//!             Msg::Ping(n) => write!(f, "Ping({n})"),
//!             Msg::Pong(n) => write!(f, "Pong({n})"),
//!         }
//!     }
//! }
//!
//! impl Message for Msg {
//!     fn kind(&self) -> &'static str {
//!         match self { Msg::Ping(_) => "Ping", Msg::Pong(_) => "Pong" }
//!     }
//! }
//! ```
//!
//! **2. State, split in two.** What survives a crash is the `Durable` type; everything else is
//! rebuilt by the constructor. A driver restarts a crashed node by calling the constructor with
//! the durable state it kept, so volatile state cannot survive by accident.
//!
//! **3. Handlers.** React to inputs through the context: send, set timers, narrate.
//!
//! ```
//! # use serde::Serialize; use std::fmt; use synod_core::Message;
//! # #[derive(Clone, Debug, Serialize)] pub enum Msg { Ping(u32), Pong(u32) }
//! # impl fmt::Display for Msg { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") } }
//! # impl Message for Msg { fn kind(&self) -> &'static str { "m" } }
//! use synod_core::{Ctx, NodeId, Process, Time};
//!
//! /// Survives crashes: how many pongs this node has ever received.
//! #[derive(Clone, Debug, Default)]
//! pub struct Durable { pongs: u32 }
//!
//! pub struct Pinger { peer: NodeId, durable: Durable, outstanding: bool }
//!
//! impl Pinger {
//!     /// Start fresh (`None`) or restart from what survived a crash.
//!     pub fn new(peer: NodeId, durable: Option<Durable>) -> Self {
//!         Pinger { peer, durable: durable.unwrap_or_default(), outstanding: false }
//!     }
//! }
//!
//! #[derive(Clone, Debug)]
//! pub enum Timer { Tick }
//!
//! impl Process for Pinger {
//!     type Msg = Msg;
//!     type Timer = Timer;
//!     type Durable = Durable;
//!
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) {
//!         ctx.info(format_args!("starting with {} pongs so far", self.durable.pongs));
//!         ctx.set_timer(Time::ms(10), Timer::Tick);
//!     }
//!
//!     fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
//!         match msg {
//!             Msg::Ping(n) => ctx.send(from, Msg::Pong(n)),
//!             Msg::Pong(n) => {
//!                 self.durable.pongs += 1;
//!                 self.outstanding = false;
//!                 ctx.info(format_args!("Pong({n}) from {from}: {} in all", self.durable.pongs));
//!             }
//!         }
//!     }
//!
//!     fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, _timer: Timer) {
//!         if !self.outstanding {
//!             self.outstanding = true;
//!             ctx.send(self.peer, Msg::Ping(self.durable.pongs));
//!         }
//!         ctx.set_timer(Time::ms(10), Timer::Tick);
//!     }
//!
//!     fn durable(&self) -> Durable { self.durable.clone() }
//! }
//! ```
//!
//! **4. Drive it.** The simulator (`synod-sim`) runs many processes over a faulty network. For a
//! unit test, [`testing::Harness`] drives one process by hand and records what it did:
//!
//! ```
//! # use serde::Serialize; use std::fmt; use synod_core::{Message, Ctx, NodeId, Process, Time};
//! # #[derive(Clone, Debug, Serialize)] pub enum Msg { Ping(u32), Pong(u32) }
//! # impl fmt::Display for Msg { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") } }
//! # impl Message for Msg { fn kind(&self) -> &'static str { "m" } }
//! # #[derive(Clone, Debug, Default)] pub struct Durable { pongs: u32 }
//! # pub struct Pinger { peer: NodeId, durable: Durable, outstanding: bool }
//! # impl Pinger { pub fn new(peer: NodeId, durable: Option<Durable>) -> Self { Pinger { peer, durable: durable.unwrap_or_default(), outstanding: false } } }
//! # #[derive(Clone, Debug)] pub enum Timer { Tick }
//! # impl Process for Pinger { type Msg = Msg; type Timer = Timer; type Durable = Durable;
//! #   fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) { ctx.set_timer(Time::ms(10), Timer::Tick); }
//! #   fn on_message(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, from: NodeId, msg: Msg) {
//! #     match msg { Msg::Ping(n) => ctx.send(from, Msg::Pong(n)), Msg::Pong(_) => { self.durable.pongs += 1; self.outstanding = false; } } }
//! #   fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg, Timer>, _t: Timer) {
//! #     if !self.outstanding { self.outstanding = true; ctx.send(self.peer, Msg::Ping(self.durable.pongs)); } }
//! #   fn durable(&self) -> Durable { self.durable.clone() } }
//! use synod_core::testing::Harness;
//!
//! let mut node = Harness::new(NodeId(0), Pinger::new(NodeId(1), None), 42);
//! node.start().fire(Timer::Tick);
//! assert!(matches!(node.take_sent()[..], [(NodeId(1), Msg::Ping(0))]));
//!
//! node.deliver(NodeId(1), Msg::Pong(0));
//! // A crash keeps only the durable part: the count survives, `outstanding` does not.
//! let kept = node.process.durable();
//! let restarted = Pinger::new(NodeId(1), Some(kept));
//! assert_eq!(restarted.durable().pongs, 1);
//! assert!(!restarted.outstanding);
//! ```
//!
//! The simulator adds the network, faults, the trace and the checkers; see the `synod-sim`
//! crate and docs/trace.md.

mod ids;
pub mod inspect;
pub mod observe;
mod process;
mod rng;
pub mod testing;
mod trace;
pub mod view;

pub use ids::{NodeId, Time, TimerId};
pub use observe::{
    DropReason, Event, EventKind, Observer, TRACE_SCHEMA_VERSION, TraceMsg, Violation,
};
pub use process::{Ctx, Decision, Env, Message, NodeStatus, Process, ShowStore};
pub use rng::SimRng;
pub use trace::{ClientEvent, ClientOp, ClientResult, Leadership, Level, ProtocolEvent};
