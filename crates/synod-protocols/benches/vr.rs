//! Viewstamped Replication throughput: 5 replicas, 50 clients, 100,000 requests, tracing off,
//! with and without the live VR checks. Prints simulated requests per wall-clock second.
//!
//! `cargo bench -p synod-protocols --bench vr`
#![allow(clippy::disallowed_methods)]

use std::time::Instant;
use synod_core::Time;
use synod_protocols::kv::Workload;
use synod_protocols::vr::{self, VrConfig};
use synod_sim::SimConfig;

fn main() {
    let clients = 50u32;
    let per_client = 2_000u32;
    let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    for checks in [false, true] {
        let workload = Workload {
            requests_per_client: per_client,
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
            clients,
            workload,
            checks,
        );
        let started = Instant::now();
        let end = sim.run();
        let wall = started.elapsed().as_secs_f64();
        let requests = f64::from(clients * per_client);
        let stats = sim.stats();
        println!(
            "vr, 5 replicas, {clients} clients, {requests} requests, tracing off, live checks {}: {:.0} requests/s ({wall:.2} s wall, {} events, {:.0} events/s, {} virtual; {end})",
            if checks { "on" } else { "off" },
            requests / wall,
            stats.events,
            stats.events as f64 / wall,
            sim.now(),
        );
        if !checks {
            for k in &stats.kinds {
                println!("  {:<17} {:>9} delivered", k.kind, k.delivered);
            }
        }
    }
}
