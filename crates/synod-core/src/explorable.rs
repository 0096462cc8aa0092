//! What the explorer needs of a process to search every interleaving of a protocol, on top of
//! what the simulator needs.
//!
//! The explorer (the `synod-explore` crate, `synod explore`) runs the same handlers as the
//! simulator, but instead of one schedule it follows every schedule: from each state it tries
//! every message that could be delivered next and every timer that could fire, and it must
//! recognise a state it has seen before. So a process must be cloned (one state, many
//! successors), hashed (states are remembered by a 64-bit fingerprint) and compared (a
//! delivery that changes nothing is not a step), and it must be `Send + Sync` because the
//! search runs on every core. For protocol authors that is derive-level work:
//!
//! ```text
//! #[derive(Clone, PartialEq, Eq, Hash)]
//! ```
//!
//! on the process, its messages, timers and durable state, and `Arc` instead of `Rc` for any
//! configuration the nodes share. [`Explorable`] is implemented for every process that meets
//! these bounds; nothing else is asked.
//!
//! **What equality must mean.** Two process values that compare equal must behave the same
//! from then on. Leave out of `Eq` and `Hash` only what cannot change behaviour: scratch space
//! and bookkeeping for checkers. Write those two impls by hand in that case, and keep them in
//! agreement (equal values hash equally).
//!
//! **How the explorer differs from the simulator, as a handler sees it:**
//!
//! - *Time is abstracted.* Every handler reads the clock as [`Time::MAX`](crate::Time::MAX),
//!   and any timer that is set may fire at any step, whatever its delay. A deadline computed
//!   as `ctx.now() + after` has therefore passed whenever its timer fires, and a duration
//!   measured as `ctx.now() - then` is zero. Protocols whose safety rests on measured time
//!   (leases) cannot be explored faithfully; timeouts that only trigger retries and elections
//!   can.
//! - *Randomness is a per-state deterministic stream.* A handler's `ctx.rng()` is derived from
//!   the seed and the fingerprint of the node's state before the handler
//!   ([`fingerprint::of`](crate::fingerprint::of)), so what it draws is a function of the
//!   state and need not be remembered apart from it; the simulator does the same when it
//!   replays a counterexample, so the replay draws the same values. A randomized timeout only
//!   delays a timer, and under the explorer every order of timers is tried anyway.
//! - *Timer ids are reused.* A node's timers get the smallest ids free at that node, so that
//!   two schedules reaching the same state give it the same ids. Treat a [`TimerId`](crate::TimerId)
//!   as a handle for `cancel_timer` only, as the simulator's docs already ask.
//! - *Narration is off* (`ctx.log_enabled` is false), so formatting costs nothing; a
//!   counterexample is narrated when it is replayed.

use crate::process::Process;
use std::hash::Hash;

/// A process the explorer can search: cloneable, hashable, comparable and shareable across
/// threads, with messages, timers and durable state that are too. Implemented for every
/// [`Process`] that meets the bounds: derive them (see the module docs).
pub trait Explorable:
    Process<
        Msg: Eq + Hash + Send + Sync,
        Timer: Eq + Hash + Send + Sync,
        Durable: Eq + Hash + Send + Sync,
    > + Clone
    + Eq
    + Hash
    + Send
    + Sync
{
}

impl<P> Explorable for P
where
    P: Process + Clone + Eq + Hash + Send + Sync,
    P::Msg: Eq + Hash + Send + Sync,
    P::Timer: Eq + Hash + Send + Sync,
    P::Durable: Eq + Hash + Send + Sync,
{
}
