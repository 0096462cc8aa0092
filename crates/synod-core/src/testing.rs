//! A hand-driven harness for one process: feed it inputs, read back what it did.
//!
//! Protocol unit tests ("a promise carries the last accepted proposal") drive a single process
//! through exact inputs with [`Harness`], without a simulator or a network.

use crate::ids::{NodeId, Time, TimerId};
use crate::process::{Ctx, Env, Process};
use crate::rng::SimRng;
use crate::trace::{ClientEvent, Level, ProtocolEvent};
use std::fmt;

/// Everything a process did, recorded in order.
#[derive(Debug)]
pub struct Recorder<M, T> {
    /// Messages sent: (to, message).
    pub sent: Vec<(NodeId, M)>,
    /// Timers set and not cancelled: (id, delay, timer).
    pub timers: Vec<(TimerId, Time, T)>,
    /// Narration lines, with their level.
    pub logs: Vec<(Level, String)>,
    /// Protocol and client events rendered as `kind key=value ...`.
    pub events: Vec<String>,
    /// Whether the client said it is done.
    pub done: bool,
    /// The current label, if the process set one.
    pub label: Option<String>,
    next_timer: u64,
}

impl<M, T> Default for Recorder<M, T> {
    fn default() -> Self {
        Recorder {
            sent: Vec::new(),
            timers: Vec::new(),
            logs: Vec::new(),
            events: Vec::new(),
            done: false,
            label: None,
            next_timer: 0,
        }
    }
}

impl<M, T> Env<M, T> for Recorder<M, T> {
    fn send(&mut self, _from: NodeId, to: NodeId, msg: M) {
        self.sent.push((to, msg));
    }
    fn set_timer(&mut self, _node: NodeId, after: Time, timer: T) -> TimerId {
        self.next_timer += 1;
        let id = TimerId(self.next_timer);
        self.timers.push((id, after, timer));
        id
    }
    fn cancel_timer(&mut self, _node: NodeId, id: TimerId) {
        self.timers.retain(|(t, _, _)| *t != id);
    }
    fn log_enabled(&self, _level: Level) -> bool {
        true
    }
    fn log(&mut self, _node: NodeId, level: Level, text: &dyn fmt::Display) {
        self.logs.push((level, text.to_string()));
    }
    fn protocol_event(&mut self, _node: NodeId, event: ProtocolEvent<'_>) {
        self.events.push(match event {
            ProtocolEvent::Decide { instance, value } => format!("decide {instance} {value}"),
            ProtocolEvent::Apply {
                index,
                command,
                result,
            } => format!("apply {index} {command} -> {result}"),
            ProtocolEvent::Role {
                role,
                epoch,
                leadership,
            } => format!("role {role} {epoch} ({})", leadership.name()),
            ProtocolEvent::Commit { index } => format!("commit {index}"),
            ProtocolEvent::Truncate { from, count } => format!("truncate {from} +{count}"),
            ProtocolEvent::CatchUp { from, to } => format!("catch-up {from}..{to}"),
            ProtocolEvent::Dedup { client, req_id } => format!("dedup {client} #{req_id}"),
            ProtocolEvent::Vote { candidate, epoch } => format!("vote {candidate} {epoch}"),
        });
    }
    fn client_event(&mut self, _node: NodeId, event: ClientEvent<'_>) {
        self.events.push(match event {
            ClientEvent::Invoke { op_id, op } => format!("invoke {op_id} {op}"),
            ClientEvent::Return { op_id, result } => format!("return {op_id} {result}"),
        });
    }
    fn client_done(&mut self, _node: NodeId) {
        self.done = true;
    }
    fn set_label(&mut self, _node: NodeId, label: &dyn fmt::Display) {
        self.label = Some(label.to_string());
    }
}

/// One process, driven by hand.
pub struct Harness<P: Process> {
    /// The process under test.
    pub process: P,
    /// What it has done since the last [`Harness::clear`].
    pub out: Recorder<P::Msg, P::Timer>,
    /// Its id.
    pub id: NodeId,
    /// The time handlers see.
    pub now: Time,
    rng: SimRng,
}

impl<P: Process> Harness<P> {
    /// Wrap `process` as node `id`, with a generator seeded by `seed`.
    pub fn new(id: NodeId, process: P, seed: u64) -> Self {
        Harness {
            process,
            out: Recorder::default(),
            id,
            now: Time::ZERO,
            rng: SimRng::derive(seed, id.0 as u64),
        }
    }

    /// Call `on_start`.
    pub fn start(&mut self) -> &mut Self {
        let mut ctx = Ctx::new(self.id, self.now, &mut self.rng, &mut self.out);
        self.process.on_start(&mut ctx);
        self
    }

    /// Deliver `msg` from `from`.
    pub fn deliver(&mut self, from: NodeId, msg: P::Msg) -> &mut Self {
        let mut ctx = Ctx::new(self.id, self.now, &mut self.rng, &mut self.out);
        self.process.on_message(&mut ctx, from, msg);
        self
    }

    /// Fire `timer` (whether or not it was set).
    pub fn fire(&mut self, timer: P::Timer) -> &mut Self {
        let mut ctx = Ctx::new(self.id, self.now, &mut self.rng, &mut self.out);
        self.process.on_timer(&mut ctx, timer);
        self
    }

    /// Hand it an operator's order (see [`Process::on_admin`]); returns what it returned.
    pub fn admin(&mut self, verb: &str, arg: &str) -> bool {
        let mut ctx = Ctx::new(self.id, self.now, &mut self.rng, &mut self.out);
        self.process.on_admin(&mut ctx, verb, arg)
    }

    /// Take the messages sent so far.
    pub fn take_sent(&mut self) -> Vec<(NodeId, P::Msg)> {
        std::mem::take(&mut self.out.sent)
    }

    /// Forget everything recorded so far.
    pub fn clear(&mut self) -> &mut Self {
        let next_timer = self.out.next_timer;
        self.out = Recorder::default();
        self.out.next_timer = next_timer;
        self
    }
}
