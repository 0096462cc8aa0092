//! Single-decree Paxos: seeds per second of the 1,000-seed random-fault sweep (the same plan as
//! the `sweep_1000_seeds_is_safe_and_decides` test). Run: `cargo bench -p synod-protocols --bench paxos`.

#![allow(clippy::disallowed_methods)] // a benchmark reads the wall clock

use std::time::Instant;
use synod_protocols::paxos::sweep::{SweepPlan, run_seed};

fn main() {
    let plan = SweepPlan::default();
    let seeds = 1_000u64;
    let started = Instant::now();
    let runs: Vec<_> = (0..seeds).map(|seed| run_seed(seed, None, &plan)).collect();
    let secs = started.elapsed().as_secs_f64();
    let ok: Vec<_> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
    let failures = runs.len() - ok.len();
    let events: u64 = ok.iter().map(|r| r.events).sum();
    let contended = ok.iter().filter(|r| r.ballots > 1).count();
    println!(
        "paxos sweep: {seeds} seeds in {:.3} s = {:.0} seeds/s ({failures} failures)",
        secs,
        seeds as f64 / secs
    );
    println!(
        "  {events} events ({:.0} per seed), {contended} seeds needed more than one ballot",
        events as f64 / ok.len().max(1) as f64
    );
}
