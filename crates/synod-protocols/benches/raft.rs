//! Raft throughput: 5 nodes, 50 clients, 100,000 requests, tracing off. Prints simulated
//! requests per wall-clock second (target: at least 100,000).
//!
//! `cargo bench -p synod-protocols --bench raft`
#![allow(clippy::disallowed_methods)]

use std::time::Instant;
use synod_core::Time;
use synod_protocols::kv::Workload;
use synod_protocols::raft::{self, RaftConfig};
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
        let mut sim = raft::simulation(
            config,
            RaftConfig::default(),
            raft::specs(&names),
            clients,
            workload,
            checks,
        );
        let started = Instant::now();
        let end = sim.run();
        let wall = started.elapsed().as_secs_f64();
        let requests = (clients * per_client) as f64;
        let stats = sim.stats();
        println!(
            "raft, 5 nodes, {clients} clients, {} requests, tracing off, live log checks {}: {:.0} requests/s ({:.2} s wall, {} events, {:.0} events/s, {} virtual; {end})",
            requests,
            if checks { "on" } else { "off" },
            requests / wall,
            wall,
            stats.events,
            stats.events as f64 / wall,
            sim.now(),
        );
        if !checks {
            for k in &stats.kinds {
                println!("  {:<14} {:>9} delivered", k.kind, k.delivered);
            }
        }
    }
}
