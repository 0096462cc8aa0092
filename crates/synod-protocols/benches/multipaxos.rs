//! Multi-Paxos KV throughput: one leader, 3 acceptors, 2 replicas, 50 clients, 100,000
//! requests, tracing off. Prints simulated requests per wall-clock second for several runs
//! (each run, then the best and the median; `-- --runs N` sets how many, default 5), the
//! peak resident memory of the first run and what it makes per request, then one run with the
//! live checks attached (`-- --no-checks` leaves it out).
//!
//! `cargo bench -p synod-protocols --bench multipaxos`
#![allow(clippy::disallowed_methods)]
#![allow(missing_docs)]

mod common;

use std::time::Instant;
use synod_protocols::PROTOCOLS;
use synod_protocols::judge::Checks;
use synod_protocols::system;

const CLIENTS: u64 = 50;
const REQUESTS: u64 = 100_000;

fn main() {
    common::bench("multipaxos", REQUESTS as f64, |checks, _| run(checks));
}

/// One run; `checks` attaches the live safety checks and the history recorder. Returns the
/// wall time in seconds.
fn run(checks: bool) -> f64 {
    let text = format!(
        "protocol = \"multipaxos\"\nseed = 1\nuntil_ms = 100000000\n\
         [cluster]\nacceptors = 3\nleaders = 1\nreplicas = 2\nclients = {CLIENTS}\n\
         [workload]\nrequests_per_client = {}\n\
         [timing]\nwindow = 64\n",
        REQUESTS / CLIENTS
    );
    let s = PROTOCOLS.parse("<bench>", &text).expect("bench scenario");
    let mut sys = system::build(&s).expect("bench system");
    let _checks = checks.then(|| Checks::attach(&mut sys));
    let started = Instant::now();
    let end = sys.sim.run();
    let wall = started.elapsed().as_secs_f64();
    assert!(sys.sim.clients_done(), "run ended early: {end}");
    let stats = sys.sim.stats();
    println!(
        "multipaxos{}: {REQUESTS} requests by {CLIENTS} clients in {wall:.3} s wall ({} simulated): \
         {:.0} requests/s, {} events ({:.0} events/s)",
        if checks { " (live checks on)" } else { "" },
        sys.sim.now(),
        REQUESTS as f64 / wall,
        stats.events,
        stats.events as f64 / wall
    );
    wall
}
