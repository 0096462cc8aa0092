//! Viewstamped Replication throughput: 5 replicas, 50 clients, 100,000 requests, tracing off.
//! Prints simulated requests per wall-clock second for several runs with the live VR checks off
//! (each run, then the best and the median; `-- --runs N` sets how many, default 5), the peak
//! resident memory of the first run and what it makes per request, then one run with the
//! checks on (`-- --no-checks` leaves it out).
//!
//! `cargo bench -p synod-protocols --bench vr`
#![allow(clippy::disallowed_methods)]
#![allow(missing_docs)]

mod common;

use std::time::Instant;
use synod_core::Time;
use synod_protocols::kv::Workload;
use synod_protocols::vr::{self, VrConfig};
use synod_sim::SimConfig;

const CLIENTS: u32 = 50;
const PER_CLIENT: u32 = 2_000;

fn main() {
    common::bench("vr, live checks off", f64::from(CLIENTS * PER_CLIENT), run);
}

/// One run; `checks` installs the live VR checks, `kinds` prints the messages delivered by
/// kind. Returns the wall time in seconds.
fn run(checks: bool, kinds: bool) -> f64 {
    let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    let workload = Workload {
        requests_per_client: PER_CLIENT,
        ..Workload::default()
    };
    let config = SimConfig {
        seed: 1,
        until: Time::ms(10_000_000),
        ..SimConfig::default()
    };
    let mut sim = vr::simulation(
        config,
        VrConfig::default(),
        vr::specs(&names),
        CLIENTS,
        workload,
        checks,
    );
    let started = Instant::now();
    let end = sim.run();
    let wall = started.elapsed().as_secs_f64();
    assert!(sim.clients_done(), "run ended early: {end}");
    let requests = f64::from(CLIENTS * PER_CLIENT);
    let stats = sim.stats();
    println!(
        "vr, 5 replicas, {CLIENTS} clients, {requests} requests, tracing off, live checks {}: {:.0} requests/s ({wall:.2} s wall, {} events, {:.0} events/s, {} virtual; {end})",
        if checks { "on" } else { "off" },
        requests / wall,
        stats.events,
        stats.events as f64 / wall,
        sim.now(),
    );
    if kinds {
        for k in &stats.kinds {
            println!("  {:<17} {:>9} delivered", k.kind, k.delivered);
        }
    }
    wall
}
