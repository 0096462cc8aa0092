//! The simulator asks processes for their view only when an observer records states, writes
//! what changed as `state` lines numbered like the input that changed it, and writes the
//! violation that stops a run as a `violation` line (docs/trace.md).

mod common;

use serde::Serialize;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use synod_core::view::StateView;
use synod_core::{Ctx, Event, EventKind, Message, NodeId, Observer, Process, Time, Violation};
use synod_sim::trace_out::{JsonTrace, json_header};
use synod_sim::{EndReason, Fault, ScheduledFault, Shared, Sim, SimConfig, Target};

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

/// Pings the next node every millisecond; counts what it receives (volatile) and keeps a log
/// of one entry per ten pings received (durable).
struct Pinger {
    n: u32,
    received: u64,
    log: Vec<u64>,
    views: Rc<Cell<u32>>,
}

impl Process for Pinger {
    type Msg = Ping;
    type Timer = ();
    type Durable = Vec<u64>;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Ping, ()>) {
        ctx.set_timer(Time::ms(1), ());
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Ping, ()>, _from: NodeId, _msg: Ping) {
        self.received += 1;
        if self.received % 10 == 0 {
            self.log.push(self.received);
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Ping, ()>, _t: ()) {
        let next = NodeId((ctx.id().0 + 1) % self.n);
        ctx.send(next, Ping);
        ctx.set_timer(Time::ms(1), ());
    }
    fn durable(&self) -> Vec<u64> {
        self.log.clone()
    }
    fn view(&self, v: &mut StateView) {
        self.views.set(self.views.get() + 1);
        v.field("received", self.received);
        for (i, at) in self.log.iter().enumerate() {
            v.row("log", i as u64 + 1, *at, |c| {
                c.cell(at);
            });
        }
    }
}

fn sim(views: &Rc<Cell<u32>>) -> Sim<Pinger> {
    let n = 3;
    let specs = common::servers(n);
    let views = views.clone();
    let mut s = Sim::new(
        SimConfig {
            until: Time::ms(60),
            ..SimConfig::default()
        },
        specs,
        Box::new(move |_, durable| Pinger {
            n,
            received: 0,
            log: durable.unwrap_or_default(),
            views: views.clone(),
        }),
    );
    s.schedule(ScheduledFault {
        at: Time::ms(30),
        fault: Fault::Crash(Target::Node(NodeId(1))),
    });
    s.schedule(ScheduledFault {
        at: Time::ms(40),
        fault: Fault::Restart(Target::Node(NodeId(1))),
    });
    s
}

fn lines(trace: &Shared<JsonTrace<Vec<u8>>>) -> Vec<serde_json::Value> {
    let t = trace.borrow();
    String::from_utf8(t.writer().clone())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn traced(s: &mut Sim<Pinger>) -> Shared<JsonTrace<Vec<u8>>> {
    let header = json_header(1, "pinger", s.specs());
    let out = Shared::new(JsonTrace::new(Vec::new(), &header).unwrap());
    s.add_observer(Box::new(out.clone()));
    out
}

#[test]
fn state_lines_carry_what_changed_numbered_like_the_input_that_changed_it() {
    let views = Rc::new(Cell::new(0));
    let mut s = sim(&views);
    let out = traced(&mut s);
    s.run();
    let lines = lines(&out);
    let states: Vec<&serde_json::Value> = lines.iter().filter(|l| l["kind"] == "state").collect();
    let delivers = lines.iter().filter(|l| l["kind"] == "deliver").count();
    // Every delivery changes `received`; a timer changes nothing; starts report the first
    // state (3), the restart reports the volatile count going back to 0 (1).
    assert_eq!(states.len(), delivers + 3 + 1, "{states:?}");
    for st in &states {
        let input = lines
            .iter()
            .find(|l| l["seq"] == st["seq"] && l["kind"] != "state" && l["kind"] != "log")
            .unwrap_or_else(|| panic!("no event with the seq of {st}"));
        assert!(
            ["deliver", "start", "restart"].contains(&input["kind"].as_str().unwrap()),
            "{st} is numbered like {input}"
        );
        assert_eq!(st["node"], input["node"]);
    }
    // The log's rows appear as they are appended, once each, and survive the crash.
    let rows: Vec<(u64, String)> = states
        .iter()
        .flat_map(|st| {
            let node = st["node"].as_u64().unwrap();
            st["set"]
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with("log/"))
                .map(move |k| (node, k.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(rows.contains(&(1, "log/1".to_string())), "{rows:?}");
    let mut unique = rows.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        rows.len(),
        "a row was written twice: {rows:?}"
    );
    let restart = lines.iter().position(|l| l["kind"] == "restart").unwrap();
    let after = lines[restart..]
        .iter()
        .find(|l| l["kind"] == "state")
        .unwrap();
    assert_eq!(after["node"], 1);
    assert_eq!(after["set"]["received"], "0", "{after}");
    assert!(views.get() > 0);
}

#[test]
fn without_an_observer_of_states_no_process_is_asked() {
    let views = Rc::new(Cell::new(0));
    let mut s = sim(&views);
    // An observer that wants narration but not states.
    struct Quiet;
    impl Observer for Quiet {
        fn level(&self) -> Option<synod_core::Level> {
            Some(synod_core::Level::Trace)
        }
        fn event(&mut self, _ev: &Event<'_>) -> Result<(), Violation> {
            Ok(())
        }
    }
    s.add_observer(Box::new(Quiet));
    s.run();
    assert!(s.stats().events > 100);
    assert_eq!(views.get(), 0);
}

/// Fails the run at the 20th delivery.
struct Tripwire(u32);

impl Observer for Tripwire {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        if let EventKind::Deliver { .. } = ev.kind {
            self.0 += 1;
            if self.0 == 20 {
                return Err(Violation {
                    property: "tripwire".into(),
                    seq: ev.seq,
                    time: ev.time,
                    detail: "the 20th delivery".into(),
                });
            }
        }
        Ok(())
    }
}

#[test]
fn the_violation_that_stops_a_run_is_in_the_trace() {
    let views = Rc::new(Cell::new(0));
    let mut s = sim(&views);
    let out = traced(&mut s);
    s.add_observer(Box::new(Tripwire(0)));
    let end = s.run();
    let EndReason::Violation(v) = end else {
        panic!("{end:?}")
    };
    let lines = lines(&out);
    let found: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["kind"] == "violation").collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let line = found[0];
    assert_eq!(line["property"], "tripwire");
    assert_eq!(line["detail"], "the 20th delivery");
    assert_eq!(line["seq"].as_u64(), Some(v.seq));
    assert!(line.get("node").is_none());
    let delivery = lines
        .iter()
        .find(|l| l["seq"] == line["seq"] && l["kind"] == "deliver")
        .expect("the violation names the delivery it was found at");
    assert_eq!(delivery["time_us"], line["time_us"]);
}
