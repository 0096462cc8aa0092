//! What the protocol benches share: repeated wall-clock runs summarized as best and median
//! (the machine may be shared, so one run says little), and the process's peak resident
//! memory, read from Linux's `/proc` (elsewhere the memory figures are left out).

#![allow(dead_code)]

/// What the command line asks for: `--runs N` timed runs (default 5), and `--no-checks` to
/// leave out the run with the live checks on (for profilers: `cargo bench -p synod-protocols
/// --bench raft -- --runs 1 --no-checks`). Other arguments (cargo passes `--bench`) are ignored.
pub struct Args {
    /// Timed runs with the checks off.
    pub runs: usize,
    /// Whether to end with one run with the checks on.
    pub checks: bool,
}

/// Parse the command line.
pub fn args() -> Args {
    let mut a = Args {
        runs: 5,
        checks: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                if let Some(n) = it.next().and_then(|s| s.parse().ok()).filter(|n| *n > 0) {
                    a.runs = n;
                }
            }
            "--no-checks" => a.checks = false,
            _ => {}
        }
    }
    a
}

/// The bench: `--runs` timed runs with the checks off (`run(false, first)` runs once and
/// returns its wall time in seconds; `first` is true for the first run), the peak memory of
/// the first, the best and the median rate, then (unless `--no-checks`) one run with the
/// checks on and its peak memory. `what` names the bench in the summary line.
pub fn bench(what: &str, requests: f64, mut run: impl FnMut(bool, bool) -> f64) {
    let args = args();
    let mut walls = Vec::new();
    for i in 0..args.runs {
        reset_peak_rss();
        walls.push(run(false, i == 0));
        if i == 0 {
            println!("  {}", memory_line(requests));
        }
    }
    let (best, median) = best_and_median(requests, &walls);
    println!(
        "{what}: best of {}: {best:.0} requests/s, median {median:.0} requests/s",
        args.runs
    );
    if args.checks {
        reset_peak_rss();
        run(true, false);
        println!("  {}", memory_line(requests));
    }
}

/// `(best, median)` of rates computed from wall times: the fastest run and the middle one.
pub fn best_and_median(requests: f64, walls: &[f64]) -> (f64, f64) {
    let mut w = walls.to_vec();
    w.sort_by(f64::total_cmp);
    (requests / w[0], requests / w[w.len() / 2])
}

/// The process's peak resident set size in bytes (`VmHWM`), if the OS tells.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Start measuring the peak afresh (Linux: writing 5 to `/proc/self/clear_refs` resets
/// `VmHWM` to the current RSS), so that a later run's peak is not the first run's.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `peak RSS 41.2 MiB = 432 bytes/request`, or a note that it is unknown here.
pub fn memory_line(requests: f64) -> String {
    match peak_rss() {
        Some(b) => format!(
            "peak RSS {:.1} MiB = {:.0} bytes/request",
            b as f64 / (1024.0 * 1024.0),
            b as f64 / requests
        ),
        None => "peak RSS unknown on this OS".to_string(),
    }
}

/// The simulator settings of the Raft and VR benches: seed 1, time enough for every request.
pub fn config() -> synod_sim::SimConfig {
    synod_sim::SimConfig {
        seed: 1,
        until: synod_core::Time::ms(10_000_000),
        ..synod_sim::SimConfig::default()
    }
}

/// The workload of the Raft and VR benches: `per_client` requests per client.
pub fn workload(per_client: u32) -> synod_protocols::kv::Workload {
    synod_protocols::kv::Workload {
        requests_per_client: per_client,
        ..synod_protocols::kv::Workload::default()
    }
}

/// Run `sim` to its end and time it: print a line (`what`, then the rate, the wall time, the
/// events and the virtual time), and with `kinds` the messages delivered by kind. Panics if a
/// client did not finish (the rate would be wrong). Returns the wall time in seconds.
pub fn timed<P: synod_core::Process>(
    what: &str,
    requests: f64,
    sim: &mut synod_sim::Sim<P>,
    kinds: bool,
) -> f64 {
    let started = std::time::Instant::now();
    let end = sim.run();
    let wall = started.elapsed().as_secs_f64();
    assert!(sim.clients_done(), "run ended early: {end}");
    let stats = sim.stats();
    println!(
        "{what}: {:.0} requests/s ({wall:.2} s wall, {} events, {:.0} events/s, {} virtual; {end})",
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
