//! A scenario written out by `Scenario::to_toml` (as `synod check` and the REPL's `save` do)
//! parses back to the same scenario.

#![allow(clippy::disallowed_methods)]

use synod_protocols::PROTOCOLS;
use synod_protocols::campaign::{Plan, scenario_for};
use synod_protocols::scenario::Scenario;

fn normalized(mut s: Scenario) -> Scenario {
    s.file = String::new();
    for f in &mut s.faults {
        f.line = 0;
    }
    for r in &mut s.requests {
        r.line = 0;
    }
    s
}

fn roundtrip(s: &Scenario) {
    let text = s.to_toml();
    let back = PROTOCOLS
        .parse("roundtrip.toml", &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(normalized(back), normalized(s.clone()), "\n{text}");
}

#[test]
fn every_example_scenario_roundtrips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            roundtrip(&PROTOCOLS.parse(&path.display().to_string(), &text).unwrap());
            n += 1;
        }
    }
    assert!(n > 0);
}

#[test]
fn campaign_scenarios_with_every_fault_kind_roundtrip() {
    for protocol in PROTOCOLS.iter() {
        let base = PROTOCOLS.scenario(protocol.name).unwrap();
        for seed in 1..30 {
            roundtrip(&scenario_for(&base, &Plan::default(), seed).unwrap());
        }
    }
}
