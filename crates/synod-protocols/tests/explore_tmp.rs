use synod_core::{NodeId, Time};
use synod_protocols::harness::{self, Checks};
use synod_protocols::scenario;
use synod_protocols::system;
use synod_sim::{EndReason, FaultKind, FaultPlan, random_faults};

fn one(seed: u64, bug: &str, extra: &str, kinds: &[FaultKind], count: u32, maxd: u64) -> Option<String> {
    let text = format!("bug = {bug:?}\nprotocol = \"raft\"\nseed = {seed}\nuntil_ms = 8000\n{extra}\n");
    let s = scenario::parse("<x>", &text).unwrap();
    let mut sys = system::build(&s).unwrap();
    let servers: Vec<NodeId> = sys.servers.clone();
    let plan = FaultPlan { kinds: kinds.to_vec(), window: Time::ms(2000), count, max_duration: Time::ms(maxd), latency: (Time::ms(1), Time::ms(10)) };
    for f in random_faults(seed, &servers, &plan) { sys.sim.schedule(f); }
    let checks = Checks::attach(&mut sys);
    let end = sys.sim.run();
    let _ = harness::judge(&sys, &checks, &s, end.clone());
    match end { EndReason::Violation(v) => Some(v.property), _ => None }
}

#[test]
fn explore() {
    let bug = std::env::var("BUG").unwrap();
    let extra = std::env::var("EXTRA").unwrap_or_default().replace("\\n", "\n");
    let count: u32 = std::env::var("COUNT").map(|c| c.parse().unwrap()).unwrap_or(8);
    let maxd: u64 = std::env::var("MAXD").map(|c| c.parse().unwrap()).unwrap_or(600);
    let kinds: Vec<FaultKind> = std::env::var("KINDS").unwrap().split(',').map(|k| FaultKind::ALL.iter().find(|(_, n)| *n == k).unwrap().0).collect();
    let mut hits = vec![];
    for seed in 0..300 { if let Some(p) = one(seed, &bug, &extra, &kinds, count, maxd) { hits.push((seed, p)); } }
    println!("HITS {} {:?}", hits.len(), &hits[..hits.len().min(10)]);
}
