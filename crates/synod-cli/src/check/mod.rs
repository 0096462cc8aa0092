//! `synod check`: a randomized fault campaign over many seeds, in parallel, with shrinking.

use crate::run::load;
use crate::{UsageError, interrupt};
use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use synod_core::Time;
use synod_protocols::campaign::{self, Outcome, Plan, SeedResult, Seeds};
use synod_protocols::scenario::Scenario;

/// Arguments of `synod check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A protocol name or a scenario file (its faults are kept, random ones are added).
    pub target: Option<String>,
    /// How many seeds to run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// Worker threads (default: all cores). Results never depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Fault window in virtual ms: faults strike before it, everything is repaired at it.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub until: u64,
    /// After the fault window, how long every request has to complete (virtual ms).
    #[arg(long, value_name = "MS", default_value_t = 4000)]
    pub liveness: u64,
    /// Fault kinds to draw: crash,restart,partition,loss,duplicate,delay,slow,hold.
    #[arg(
        long,
        default_value = "crash,restart,partition,loss,duplicate,delay,slow,hold"
    )]
    pub faults: String,
    /// Faults drawn per seed, at most 1000000 (past about 700000, a fault schedule is more
    /// than the simulator holds at once and every run is aborted).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub intensity: u32,
    /// The longest a fault lasts, in virtual ms (durations are log-uniform from 1 ms).
    #[arg(long, value_name = "MS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_fault: u64,
    /// Run with a planted bug (`--bug list` lists them).
    #[arg(long)]
    pub bug: Option<String>,
    /// Run only the K-th of N disjoint slices of the seeds, as K/N.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Write a shrunk scenario for each failing property here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one line per seed (`seed N: pass` / `seed N: FAIL property` / `seed N: aborted`),
    /// for merging shards.
    #[arg(long)]
    pub per_seed: bool,
    /// The most wall time shrinking one failure may take, in seconds; then the smallest
    /// failing scenario found so far is kept.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub shrink_time: u64,
}

fn parse_shard(s: &str) -> Result<(u64, u64), UsageError> {
    let bad = || {
        UsageError(format!(
            "--shard `{s}`: expected K/N with 1 <= K <= N, as 2/8"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Print the planted bugs: of the protocol `target` names, or of every protocol.
fn list_bugs(target: Option<&str>) -> Result<ExitCode> {
    let only = match target {
        None => None,
        Some(_) => Some(load(target)?.protocol.name),
    };
    write!(io::stdout().lock(), "{}", crate::protocols().bug_list(only))?;
    Ok(ExitCode::SUCCESS)
}

/// Seeds handed to the workers at a time. Results are folded in seed order between batches, so
/// memory holds one batch, whatever `--seeds` says, and Ctrl-C is noticed within one.
const BATCH_PER_JOB: usize = 16;

/// Seeds listed per property in the summary (the count is always complete).
const SHOWN_SEEDS: usize = 10;

/// The failures of one property, or the aborted seeds.
#[derive(Default)]
struct Seen {
    count: u64,
    /// The first seeds, up to [`SHOWN_SEEDS`].
    seeds: Vec<u64>,
    /// What happened on the first seed.
    first: String,
    /// The shrink line and the replay command, once shrunk.
    shrunk: Option<String>,
}

impl Seen {
    fn add(&mut self, seed: u64, detail: &str) {
        if self.count == 0 {
            self.first = format!("seed {seed}: {detail}");
        }
        self.count += 1;
        if self.seeds.len() < SHOWN_SEEDS {
            self.seeds.push(seed);
        }
    }

    fn seed_list(&self) -> String {
        let shown: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
        let more = if self.count > self.seeds.len() as u64 {
            ", ..."
        } else {
            ""
        };
        format!("{} seed(s): {}{more}", self.count, shown.join(", "))
    }
}

/// Everything the summary needs, folded seed by seed: bounded by the number of properties.
#[derive(Default)]
struct Tally {
    run: u64,
    violations: BTreeMap<String, Seen>,
    aborted: Seen,
    slowest: Option<(u64, f64)>,
}

/// `synod check`.
pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    if args.bug.as_deref() == Some("list") {
        return list_bugs(args.target.as_deref());
    }
    let mut base: Scenario = load(args.target.as_deref())?;
    if let Some(bug) = &args.bug {
        base.set_bug(bug)
            .map_err(|e| UsageError(format!("--bug: {e}")))?;
    }
    // Validate the base (protocol, bug name) once, up front.
    let built = synod_protocols::system::build(&base).map_err(|e| UsageError(e.to_string()))?;
    crate::run::warn(&built.warnings);
    let kinds =
        campaign::parse_kinds(&args.faults).map_err(|e| UsageError(format!("--faults: {e}")))?;
    let shard = args
        .shard
        .as_deref()
        .map(parse_shard)
        .transpose()?
        .unwrap_or((1, 1));
    let seeds = Seeds::new(args.from, args.seeds, shard).ok_or_else(|| {
        UsageError(format!(
            "--from {} with --seeds {}: the last seed would be past {}, the largest seed",
            args.from,
            args.seeds,
            u64::MAX
        ))
    })?;
    if seeds.is_empty() {
        return Err(UsageError(format!(
            "--shard {}/{} of {} seed(s) has no seeds: a campaign splits into at most as many shards as it has seeds",
            shard.0, shard.1, args.seeds
        ))
        .into());
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .and_then(|_| {
                let probe = dir.join(".synod-write-test");
                std::fs::write(&probe, b"")?;
                std::fs::remove_file(probe)
            })
            .map_err(|e| UsageError(format!("--out `{}` is not writable: {e}", dir.display())))?;
    }
    let plan = Plan {
        kinds,
        intensity: args.intensity,
        window: Time::ms(args.until),
        liveness: Time::ms(args.liveness),
        max_fault: Time::ms(args.max_fault),
    };
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(rayon::current_num_threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {jobs} worker threads: {e}"))?;
    interrupt::catch();

    let mut out = io::stdout().lock();
    writeln!(
        out,
        "synod check: {} (protocol {}{}), seeds {}..{} {}({} seeds), {} faults per seed in the first {}, {jobs} jobs",
        base.name,
        base.protocol,
        base.bug
            .as_ref()
            .map(|b| format!(", bug {b}"))
            .unwrap_or_default(),
        args.from,
        args.from + (args.seeds - 1),
        if shard.1 > 1 {
            format!("shard {}/{} ", shard.0, shard.1)
        } else {
            String::new()
        },
        seeds.len(),
        plan.intensity,
        plan.window,
    )?;
    out.flush()?;
    let bar = ProgressBar::with_draw_target(Some(seeds.len()), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {per_sec}  {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failures = AtomicU64::new(0);
    let started = Instant::now();
    let mut tally = Tally::default();
    let batch = (jobs * BATCH_PER_JOB) as u64;
    let mut next = 0;
    while next < seeds.len() && !interrupt::requested() {
        let end = seeds.len().min(next + batch);
        let results: Vec<Option<Result<(SeedResult, f64), String>>> = pool.install(|| {
            (0..(end - next) as usize)
                .into_par_iter()
                .map(|i| {
                    if interrupt::requested() {
                        return None; // not run: the summary covers the seeds that finished
                    }
                    let t = Instant::now();
                    let r = campaign::run_seed(&base, &plan, seeds.nth(next + i as u64));
                    if let Ok(SeedResult {
                        outcome: Outcome::Fail { .. },
                        ..
                    }) = &r
                    {
                        let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
                        bar.set_message(format!("{n} violations"));
                    }
                    bar.inc(1);
                    // Wall time is reported only; it is never part of a seed's result.
                    Some(r.map(|r| (r, t.elapsed().as_secs_f64())))
                })
                .collect()
        });
        next = end;
        // Fold in seed order, so the output is the same whatever the number of jobs.
        let mut new_properties = Vec::new();
        for r in results.into_iter().flatten() {
            let (r, secs) = r.map_err(UsageError)?;
            tally.run += 1;
            if tally.slowest.is_none_or(|(_, s)| secs > s) {
                tally.slowest = Some((r.seed, secs));
            }
            let line = match &r.outcome {
                Outcome::Pass => "pass".to_string(),
                Outcome::Fail { property, detail } => {
                    let seen = tally.violations.entry(property.clone()).or_default();
                    if seen.count == 0 {
                        new_properties.push((property.clone(), r.seed));
                    }
                    seen.add(r.seed, detail);
                    format!("FAIL {property}")
                }
                Outcome::Aborted { reason } => {
                    tally.aborted.add(r.seed, reason);
                    "aborted".to_string()
                }
            };
            if args.per_seed {
                bar.suspend(|| writeln!(out, "seed {}: {line}", r.seed))?;
            }
        }
        bar.suspend(|| out.flush())?;
        // Shrink each property's first failure as soon as it is found, so that a long campaign
        // stopped by Ctrl-C keeps the scenarios already written.
        for (property, seed) in new_properties {
            bar.set_message(format!("shrinking seed {seed} ({property})"));
            let lines = shrink_and_write(args, &base, &plan, seed, &property)?;
            bar.suspend(|| -> io::Result<()> {
                for l in &lines {
                    writeln!(out, "{l}")?;
                }
                out.flush()
            })?;
            if let Some(seen) = tally.violations.get_mut(&property) {
                seen.shrunk = Some(lines.join("\n    "));
            }
        }
    }
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    summary(&mut out, &tally, seeds.len(), jobs, wall)
}

/// Shrink the failure of `property` on `seed`, write it (and the unshrunk scenario) under
/// `--out`, and return the lines that say so.
fn shrink_and_write(
    args: &CheckArgs,
    base: &Scenario,
    plan: &Plan,
    seed: u64,
    property: &str,
) -> Result<Vec<String>> {
    let failing = campaign::scenario_for(base, plan, seed).map_err(UsageError)?;
    let deadline = Instant::now() + Duration::from_secs(args.shrink_time);
    let shrunk = campaign::shrink(&failing, property, &mut || {
        !interrupt::requested() && Instant::now() < deadline
    });
    let mut lines = vec![format!(
        "shrunk seed {seed} ({property}): {} -> {}{}",
        faults(campaign::fault_count(&failing)),
        campaign::fault_count(&shrunk.scenario),
        match (shrunk.finished, interrupt::requested()) {
            (true, _) => String::new(),
            (false, true) => " (shrinking stopped by Ctrl-C)".to_string(),
            (false, false) => format!(
                " (shrinking stopped after {} s, --shrink-time)",
                args.shrink_time
            ),
        }
    )];
    match &args.out {
        Some(dir) => {
            let shrunk = &shrunk.scenario;
            write(
                &dir.join(format!("{}-unshrunk.toml", shrunk.name)),
                &failing.to_toml(),
            )?;
            let path = dir.join(format!("{}.toml", shrunk.name));
            write(&path, &shrunk.to_toml())?;
            lines.push(format!("  replay: synod run {}", path.display()));
        }
        None => lines.push(
            "  (give --out DIR to write it as a scenario file and get the replay command)".into(),
        ),
    }
    Ok(lines)
}

/// `4 faults`, `1 fault`.
fn faults(n: usize) -> String {
    format!("{n} fault{}", if n == 1 { "" } else { "s" })
}

fn write(path: &Path, text: &str) -> Result<(), UsageError> {
    std::fs::write(path, text)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}

/// The summary of the seeds that finished, and the exit code: 0 every judged seed passed, 1 a
/// violation, 2 (an error) no seed could be judged, 130 stopped by Ctrl-C.
fn summary(
    out: &mut impl Write,
    tally: &Tally,
    planned: u64,
    jobs: usize,
    wall: f64,
) -> Result<ExitCode> {
    let interrupted = interrupt::requested();
    if interrupted {
        writeln!(
            out,
            "interrupted (Ctrl-C): {} of {planned} seeds finished; the summary covers them",
            tally.run
        )?;
    }
    writeln!(out, "seeds run: {}", tally.run)?;
    let per_sec = if wall > 0.0 {
        tally.run as f64 / wall
    } else {
        0.0
    };
    let slowest = match tally.slowest {
        Some((seed, secs)) => format!("; slowest seed {seed} ({:.1} ms)", secs * 1000.0),
        None => String::new(),
    };
    writeln!(
        out,
        "speed: {per_sec:.0} seeds/s on {jobs} jobs ({:.0} seeds/s per job){slowest}",
        per_sec / jobs as f64,
    )?;
    if tally.violations.is_empty() {
        writeln!(out, "violations: none")?;
    } else {
        writeln!(out, "violations by property:")?;
        for (property, seen) in &tally.violations {
            writeln!(out, "  {property}: {}", seen.seed_list())?;
            writeln!(out, "    first: {}", seen.first)?;
            if let Some(shrunk) = &seen.shrunk {
                writeln!(out, "    {shrunk}")?;
            }
        }
    }
    let aborted = &tally.aborted;
    if aborted.count > 0 {
        writeln!(
            out,
            "aborted (stopped by a limit of the simulator, not judged): {}",
            aborted.seed_list()
        )?;
        writeln!(out, "    first: {}", aborted.first)?;
    }
    let judged = tally.run - aborted.count;
    let code = if !tally.violations.is_empty() {
        writeln!(
            out,
            "result: FAIL{}",
            if interrupted { " (interrupted)" } else { "" }
        )?;
        ExitCode::from(1)
    } else if judged == 0 && aborted.count > 0 && !interrupted {
        writeln!(out, "result: NOT CHECKED")?;
        out.flush()?;
        return Err(UsageError(
            "every seed was aborted: the fault load is more than the simulator holds; lower --intensity"
                .into(),
        )
        .into());
    } else {
        let mut notes = Vec::new();
        if aborted.count > 0 {
            notes.push(format!("{judged} seeds judged, {} aborted", aborted.count));
        }
        if interrupted {
            notes.push(format!(
                "interrupted after {} of {planned} seeds",
                tally.run
            ));
        }
        if notes.is_empty() {
            writeln!(out, "result: PASS")?;
        } else {
            writeln!(out, "result: PASS ({})", notes.join("; "))?;
        }
        ExitCode::SUCCESS
    };
    out.flush()?;
    Ok(if interrupted {
        ExitCode::from(interrupt::EXIT_CODE)
    } else {
        code
    })
}
