//! A tiny protocol for testing the simulator: every node sends a numbered message to every
//! other node each millisecond, for a number of rounds, and counts what it receives.

#![allow(dead_code)]

use serde::Serialize;
use std::fmt;
use synod_core::{Ctx, Event, EventKind, Message, NodeId, Observer, Process, Time, Violation};
use synod_sim::{NodeSpec, Sim, SimConfig};

#[derive(Clone, Debug, Serialize)]
pub struct Chat(pub u32);

impl fmt::Display for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Chat({})", self.0)
    }
}

impl Message for Chat {
    fn kind(&self) -> &'static str {
        "Chat"
    }
}

/// Survives crashes: messages received over the node's whole life.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Durable {
    pub received_ever: u32,
}

pub struct Chatter {
    pub n: u32,
    pub rounds: u32,
    pub sent_rounds: u32,
    /// Volatile: lost on a crash.
    pub received_since_start: u32,
    pub durable: Durable,
}

impl Process for Chatter {
    type Msg = Chat;
    type Timer = ();
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Chat, ()>) {
        ctx.set_timer(Time::ms(1), ());
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Chat, ()>, _from: NodeId, _msg: Chat) {
        self.received_since_start += 1;
        self.durable.received_ever += 1;
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Chat, ()>, _t: ()) {
        if self.sent_rounds < self.rounds {
            self.sent_rounds += 1;
            let me = ctx.id();
            let others: Vec<NodeId> = (0..self.n).map(NodeId).filter(|id| *id != me).collect();
            ctx.broadcast(others, &Chat(self.sent_rounds));
            ctx.set_timer(Time::ms(1), ());
        }
    }

    fn durable(&self) -> Durable {
        self.durable.clone()
    }
}

/// Servers `n1`..`nN`.
pub fn server_specs(n: u32) -> Vec<NodeSpec> {
    (1..=n)
        .map(|i| NodeSpec {
            name: format!("n{i}"),
            role: "server".into(),
            client: false,
        })
        .collect()
}

pub fn sim(n: u32, rounds: u32, config: SimConfig) -> Sim<Chatter> {
    let specs = server_specs(n);
    Sim::new(
        config,
        specs,
        Box::new(move |_id, durable| Chatter {
            n,
            rounds,
            sent_rounds: 0,
            received_since_start: 0,
            durable: durable.unwrap_or_default(),
        }),
    )
}

/// Records deliveries and drops per directed link.
#[derive(Default)]
pub struct Links {
    pub delivered: Vec<(u32, u32, u64, Time)>,
    pub dropped: Vec<(u32, u32, String)>,
}

impl Observer for Links {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        match ev.kind {
            EventKind::Deliver { from, msg_id, .. } => {
                self.delivered
                    .push((from.0, ev.node.unwrap().0, msg_id, ev.time))
            }
            EventKind::Drop { to, reason, .. } => {
                self.dropped
                    .push((ev.node.unwrap().0, to.0, reason.to_string()))
            }
            _ => {}
        }
        Ok(())
    }
}

impl Links {
    pub fn count(&self, from: u32, to: u32) -> usize {
        self.delivered
            .iter()
            .filter(|(f, t, _, _)| *f == from && *t == to)
            .count()
    }
}
