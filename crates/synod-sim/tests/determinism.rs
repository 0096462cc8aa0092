//! Same seed, same trace, byte for byte; another seed, another trace.

mod common;

use common::sim;
use synod_core::{NodeId, Time};
use synod_sim::trace_out::{JsonTrace, json_header};
use synod_sim::{Fault, NetConfig, ScheduledFault, Shared, SimConfig, Target};

fn trace(seed: u64) -> Vec<u8> {
    let config = SimConfig {
        seed,
        until: Time::ms(200),
        net: NetConfig {
            loss: 0.1,
            duplicate: 0.1,
            ..NetConfig::default()
        },
        ..SimConfig::default()
    };
    let mut s = sim(4, 30, config);
    let header = json_header(seed, "chatter", s.specs());
    let out = Shared::new(JsonTrace::new(Vec::new(), &header).unwrap());
    s.add_observer(Box::new(out.clone()));
    s.schedule(ScheduledFault {
        at: Time::ms(5),
        fault: Fault::Crash(Target::Node(NodeId(2))),
    });
    s.schedule(ScheduledFault {
        at: Time::ms(15),
        fault: Fault::Restart(Target::Node(NodeId(2))),
    });
    s.run();
    drop(s);
    let mut t = out.borrow_mut();
    t.finish().unwrap();
    t.writer().clone()
}

#[test]
fn the_same_seed_gives_a_byte_identical_json_trace() {
    let a = trace(42);
    let b = trace(42);
    assert!(a.len() > 10_000, "a real trace, {} bytes", a.len());
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_another_trace() {
    assert_ne!(trace(42), trace(43));
}

#[test]
fn the_trace_starts_with_its_schema_version() {
    let t = trace(1);
    let first = String::from_utf8(t)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let header: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(header["schema"], "synod-trace");
    assert_eq!(header["version"], 1);
    assert_eq!(header["nodes"][0]["name"], "n1");
}
