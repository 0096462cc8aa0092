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
    for n in &mut s.notes {
        n.line = 0;
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

/// Seeds have one range everywhere: the largest seed `--seed` takes is written by `to_toml`
/// (as `synod check --out` and the REPL's `save` write scenarios) and read back.
#[test]
fn the_largest_seed_roundtrips() {
    let mut s = PROTOCOLS.scenario("raft").unwrap();
    s.seed = u64::MAX;
    let text = s.to_toml();
    assert!(text.contains("seed = 18446744073709551615\n"), "{text}");
    roundtrip(&s);
}

/// Settings, node names with spaces and fractional times survive the trip too.
#[test]
fn settings_names_and_fractions_roundtrip() {
    let s = PROTOCOLS
        .parse(
            "t.toml",
            "protocol = \"raft\"\nuntil_ms = 2500.125\n[cluster]\nnames = [\"Taziri the first\", \"n2\", \"n3\"]\n\
             [timing]\nheartbeat_ms = 12.5\nelection_timeout_ms = { min = 100, max = 250.5 }\n\
             [workload]\nmix = { put = 3 }\nkeys = [\"x\"]\n",
        )
        .unwrap();
    roundtrip(&s);
}
