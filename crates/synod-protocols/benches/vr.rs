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

use synod_protocols::vr::{self, VrConfig};

const CLIENTS: u32 = 50;
const PER_CLIENT: u32 = 2_000;

fn main() {
    common::bench("vr, live checks off", f64::from(CLIENTS * PER_CLIENT), run);
}

/// One run; `checks` installs the live VR checks, `kinds` prints the messages delivered by
/// kind. Returns the wall time in seconds.
fn run(checks: bool, kinds: bool) -> f64 {
    let names: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    let mut sim = vr::simulation(
        common::config(),
        VrConfig::default(),
        vr::specs(&names),
        CLIENTS,
        common::workload(PER_CLIENT),
        checks,
    );
    let requests = f64::from(CLIENTS * PER_CLIENT);
    let on = if checks { "on" } else { "off" };
    let what = format!(
        "vr, 5 replicas, {CLIENTS} clients, {requests} requests, tracing off, live checks {on}"
    );
    common::timed(&what, requests, &mut sim, kinds)
}
