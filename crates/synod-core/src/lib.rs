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
//!
//! **5. Make it explorable.** `synod explore` searches every interleaving of a protocol's
//! messages and timers instead of one schedule per seed (docs/explore.md). It runs the same
//! handlers; what it needs on top is that states can be cloned, hashed and compared, and
//! shared between threads: derives on the process and its types, and `Arc` rather than `Rc`
//! for shared configuration. Then the process is [`Explorable`]:
//!
//! ```
//! # use serde::Serialize; use std::fmt; use synod_core::{Message, Ctx, NodeId, Process, Time};
//! #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
//! pub enum Msg { Ping(u32), Pong(u32) }
//! # impl fmt::Display for Msg { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") } }
//! # impl Message for Msg { fn kind(&self) -> &'static str { "m" } }
//!
//! #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
//! pub struct Durable { pongs: u32 }
//!
//! #[derive(Clone, PartialEq, Eq, Hash)]
//! pub struct Pinger { peer: NodeId, durable: Durable, outstanding: bool }
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash)]
//! pub enum Timer { Tick }
//! # impl Process for Pinger { type Msg = Msg; type Timer = Timer; type Durable = Durable;
//! #   fn on_start(&mut self, ctx: &mut Ctx<'_, Msg, Timer>) { ctx.set_timer(Time::ms(10), Timer::Tick); }
//! #   fn on_message(&mut self, _ctx: &mut Ctx<'_, Msg, Timer>, _from: NodeId, _msg: Msg) {}
//! #   fn on_timer(&mut self, _ctx: &mut Ctx<'_, Msg, Timer>, _t: Timer) {}
//! #   fn durable(&self) -> Durable { self.durable.clone() } }
//!
//! fn explorable<P: synod_core::Explorable>() {}
//! explorable::<Pinger>();
//! ```
//!
//! Two things behave differently under the explorer, and a protocol should not be surprised
//! by them (the [`explorable`] module says more). **Time is abstracted**: any timer that is
//! set may fire at any step, and handlers read the clock as [`Time::MAX`], so a deadline
//! computed from `ctx.now()` has passed whenever its timer fires. **Randomness is a
//! per-state deterministic stream**: `ctx.rng()` is derived from the seed and the fingerprint
//! of the node's state before the handler, so a value drawn depends only on the state, and a
//! counterexample replays in the simulator (which derives it the same way under a schedule)
//! with the same draws. A randomized election timeout only delays a timer, so under the
//! explorer it changes nothing: every order of timeouts is tried anyway.

pub mod explorable;
pub mod fingerprint;
mod ids;
pub mod inspect;
pub mod observe;
mod process;
mod rng;
pub mod testing;
mod trace;
pub mod view;

pub use explorable::Explorable;
pub use ids::{NodeId, Time, TimerId};
pub use observe::{
    DropReason, Event, EventKind, Observer, TRACE_SCHEMA_VERSION, TraceMsg, Violation,
};
pub use process::{Ctx, Decision, Env, Message, NodeStatus, Process, ShowStore};
pub use rng::SimRng;
pub use trace::{ClientEvent, ClientOp, ClientResult, Leadership, Level, ProtocolEvent};
