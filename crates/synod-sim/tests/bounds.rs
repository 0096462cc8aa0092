//! The queue bound: a run stops before exhausting memory, and says whose fault it is: the
//! protocol's (a message storm, a violation) or the scenario's (more scheduled faults than the
//! simulator holds, a limit of the simulator).

mod common;

use serde::Serialize;
use std::fmt;
use synod_core::{Ctx, Message, NodeId, Process, Time};
use synod_sim::{
    EndReason, Fault, MAX_QUEUED, MESSAGE_STORM, OVERLOADED, ScheduledFault, Sim, SimConfig,
};

#[derive(Clone, Debug, Serialize)]
struct Ping;

impl fmt::Display for Ping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ping")
    }
}

impl Message for Ping {
    fn kind(&self) -> &'static str {
        "Ping"
    }
}

/// Answers every message with ten: its traffic grows without bound.
#[derive(Debug)]
struct Amplifier;

impl Process for Amplifier {
    type Msg = Ping;
    type Timer = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Ping, ()>) {
        if ctx.id() == NodeId(0) {
            ctx.send(NodeId(1), Ping);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Ping, ()>, from: NodeId, _msg: Ping) {
        for _ in 0..10 {
            ctx.send(from, Ping);
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Ping, ()>, _t: ()) {}

    fn durable(&self) {}
}

fn amplifiers() -> Sim<Amplifier> {
    Sim::new(
        SimConfig::default(),
        common::servers(2),
        Box::new(|_id, _durable| Amplifier),
    )
}

fn stopped_by(end: EndReason) -> String {
    match end {
        EndReason::Violation(v) => v.property,
        other => panic!("expected the queue bound to stop the run, got {other}"),
    }
}

#[test]
fn a_protocol_that_amplifies_its_traffic_is_stopped_as_a_message_storm() {
    let mut s = amplifiers();
    let property = stopped_by(s.run());
    assert_eq!(property, MESSAGE_STORM);
    let v = s.violation().unwrap();
    assert!(
        v.detail.contains("the protocol's messages and timers"),
        "{v}"
    );
}

#[test]
fn a_schedule_larger_than_the_queue_stops_the_run_as_overloaded_not_as_a_storm() {
    // The chatty test protocol, quiet here: the faults alone fill the queue.
    let mut s = common::sim(3, 0, SimConfig::default());
    for i in 0..=MAX_QUEUED as u64 {
        s.schedule(ScheduledFault {
            at: Time::micros(1 + i % 1_000),
            fault: Fault::Loss(0.0),
        });
    }
    let property = stopped_by(s.run());
    assert_eq!(property, OVERLOADED);
    let v = s.violation().unwrap();
    assert!(v.detail.contains("scheduled faults and requests"), "{v}");
}
