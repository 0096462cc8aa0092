//! Raft throughput: 5 nodes, 50 clients, 100,000 requests, tracing off. Prints simulated
//! requests per wall-clock second for several runs with the live log checks off (each run, then
//! the best and the median; `-- --runs N` sets how many, default 5), the peak resident
//! memory of the first run and what it makes per request, then one run with the checks on
//! (`-- --no-checks` leaves it out).
//!
//! `cargo bench -p synod-protocols --bench raft`
#![allow(clippy::disallowed_methods)]
#![allow(missing_docs)]

mod common;

use synod_protocols::raft::{self, RaftConfig};

const CLIENTS: u32 = 50;
const PER_CLIENT: u32 = 2_000;

fn main() {
    common::bench(
        "raft, live log checks off",
        f64::from(CLIENTS * PER_CLIENT),
        run,
    );
}

/// One run; `checks` installs the live log checks, `kinds` prints the messages delivered by
/// kind. Returns the wall time in seconds.
fn run(checks: bool, kinds: bool) -> f64 {
    let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    let mut sim = raft::simulation(
        common::config(),
        RaftConfig::default(),
        raft::specs(&names),
        CLIENTS,
        common::workload(PER_CLIENT),
        checks,
    );
    let requests = f64::from(CLIENTS * PER_CLIENT);
    let on = if checks { "on" } else { "off" };
    let what = format!(
        "raft, 5 nodes, {CLIENTS} clients, {requests} requests, tracing off, live log checks {on}"
    );
    common::timed(&what, requests, &mut sim, kinds)
}
