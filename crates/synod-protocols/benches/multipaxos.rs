//! Multi-Paxos KV throughput: one leader, 3 acceptors, 2 replicas, 50 clients, 100,000
//! requests, tracing and checks off. Prints simulated requests per wall-clock second.
//!
//! `cargo bench -p synod-protocols --bench multipaxos`
#![allow(clippy::disallowed_methods)]
#![allow(missing_docs)]

use std::time::Instant;
use synod_protocols::harness::Checks;
use synod_protocols::scenario;
use synod_protocols::system;

fn main() {
    run(false);
    run(true);
}

/// One run; `checks` attaches the live safety checks and the history recorder.
fn run(checks: bool) {
    let clients = 50u64;
    let requests = 100_000u64;
    let text = format!(
        "protocol = \"multipaxos\"\nseed = 1\nuntil_ms = 100000000\n\
         [cluster]\nacceptors = 3\nleaders = 1\nreplicas = 2\nclients = {clients}\n\
         [workload]\nrequests_per_client = {}\n\
         [timing]\nwindow = 64\n",
        requests / clients
    );
    let s = scenario::parse("<bench>", &text).expect("bench scenario");
    let mut sys = system::build(&s).expect("bench system");
    let _checks = checks.then(|| Checks::attach(&mut sys));
    let started = Instant::now();
    let end = sys.sim.run();
    let wall = started.elapsed().as_secs_f64();
    assert!(sys.sim.clients_done(), "run ended early: {end}");
    let stats = sys.sim.stats();
    println!(
        "multipaxos{}: {requests} requests by {clients} clients in {wall:.3} s wall ({} simulated): \
         {:.0} requests/s, {} events ({:.0} events/s)",
        if checks { " (live checks on)" } else { "" },
        sys.sim.now(),
        requests as f64 / wall,
        stats.events,
        stats.events as f64 / wall
    );
}
