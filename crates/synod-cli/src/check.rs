//! `synod check`: a randomized fault campaign over many seeds, in parallel, with shrinking.

use crate::UsageError;
use crate::run::load;
use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use synod_core::Time;
use synod_protocols::campaign::{self, Outcome, Plan, SeedResult};
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
    /// Faults drawn per seed.
    #[arg(long, default_value_t = 4)]
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
    /// Print one line per seed (`seed N: pass` / `seed N: FAIL property`), for merging shards.
    #[arg(long)]
    pub per_seed: bool,
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
    print!("{}", crate::protocols().bug_list(only));
    Ok(ExitCode::SUCCESS)
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
    let seeds = campaign::shard_seeds(args.from, args.seeds, shard);
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(rayon::current_num_threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {jobs} worker threads: {e}"))?;

    println!(
        "synod check: {} (protocol {}{}), seeds {}..{} {}({} seeds), {} faults per seed in the first {}, {jobs} jobs",
        base.name,
        base.protocol,
        base.bug
            .as_ref()
            .map(|b| format!(", bug {b}"))
            .unwrap_or_default(),
        args.from,
        args.from.saturating_add(args.seeds) - 1,
        if shard.1 > 1 {
            format!("shard {}/{} ", shard.0, shard.1)
        } else {
            String::new()
        },
        seeds.len(),
        plan.intensity,
        plan.window,
    );
    let bar = ProgressBar::with_draw_target(Some(seeds.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {per_sec}  {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failures = AtomicU64::new(0);
    let started = Instant::now();
    let timed: Vec<Result<(SeedResult, f64), String>> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let t = Instant::now();
                let r = campaign::run_seed(&base, &plan, seed);
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
                r.map(|r| (r, t.elapsed().as_secs_f64()))
            })
            .collect()
    });
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let mut results = Vec::with_capacity(timed.len());
    let (mut slow_seed, mut slow_secs) = (0, 0.0);
    for r in timed {
        let (r, secs) = r.map_err(UsageError)?;
        if secs > slow_secs {
            (slow_seed, slow_secs) = (r.seed, secs);
        }
        results.push(r);
    }
    let mut out = std::io::stdout().lock();
    let mut by_property: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut first_detail: BTreeMap<String, String> = BTreeMap::new();
    for r in &results {
        if args.per_seed {
            match &r.outcome {
                Outcome::Pass => writeln!(out, "seed {}: pass", r.seed)?,
                Outcome::Fail { property, .. } => {
                    writeln!(out, "seed {}: FAIL {property}", r.seed)?
                }
            }
        }
        if let Outcome::Fail { property, detail } = &r.outcome {
            by_property
                .entry(property.clone())
                .or_default()
                .push(r.seed);
            first_detail
                .entry(property.clone())
                .or_insert_with(|| detail.clone());
        }
    }
    writeln!(out, "seeds run: {}", results.len())?;
    writeln!(
        out,
        "speed: {:.0} seeds/s on {jobs} jobs ({:.0} seeds/s per job); slowest seed {slow_seed} ({:.1} ms)",
        results.len() as f64 / wall,
        results.len() as f64 / wall / jobs as f64,
        slow_secs * 1000.0
    )?;
    if by_property.is_empty() {
        writeln!(out, "violations: none")?;
        writeln!(out, "result: PASS")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "violations by property:")?;
    for (property, seeds) in &by_property {
        let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
        writeln!(
            out,
            "  {property}: {} seed(s): {}{}",
            seeds.len(),
            shown.join(", "),
            if seeds.len() > 10 { ", ..." } else { "" }
        )?;
        writeln!(out, "    first: {}", first_detail[property])?;
    }
    for (property, seeds) in &by_property {
        let seed = seeds[0];
        let failing = campaign::scenario_for(&base, &plan, seed).map_err(UsageError)?;
        let shrunk = campaign::shrink(&failing, property);
        writeln!(
            out,
            "shrunk seed {seed} ({property}): {} fault(s) -> {}",
            failing.faults.len(),
            shrunk.faults.len()
        )?;
        match &args.out {
            Some(dir) => {
                let original = dir.join(format!("{}-unshrunk.toml", shrunk.name));
                std::fs::write(&original, failing.to_toml())
                    .map_err(|e| UsageError(format!("cannot write {}: {e}", original.display())))?;
                let path = dir.join(format!("{}.toml", shrunk.name));
                std::fs::write(&path, shrunk.to_toml())
                    .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
                writeln!(out, "  replay: synod run {}", path.display())?;
            }
            None => writeln!(
                out,
                "  (give --out DIR to write it as a scenario file and get the replay command)"
            )?,
        }
    }
    writeln!(out, "result: FAIL")?;
    Ok(ExitCode::from(1))
}
