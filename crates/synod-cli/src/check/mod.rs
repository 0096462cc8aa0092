//! `synod check`: a randomized fault campaign over many seeds, in parallel, with shrinking;
//! `--json` results per seed and `--merge` of shards that ran apart.

mod merge;
mod record;
mod shard;
mod tally;

use crate::run::load;
use crate::{UsageError, interrupt};
use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use synod_core::Time;
use synod_protocols::campaign::{self, Outcome, Plan, Runner, SeedResult, Seeds};
use synod_protocols::nemesis;
use synod_protocols::scenario::Scenario;
use tally::{Ending, Tally};

/// Arguments of `synod check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A protocol name or a scenario file (its faults are kept, the campaign's are added).
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
    /// The nemeses: `swarm` (each seed a random subset of the classic, targeted and the
    /// protocol's own), `all`, `classic`, `targeted`, `moments` (faults that wait for a new
    /// leader, an election or a vote), `own`, a list of names (`crash-leader,ring`), `swarm:LIST`, `default`, or
    /// `list` to list them. Default: the protocol's (swarm; Paxos `crash,storm`, Multi-Paxos
    /// `split-leaders,isolate-leader,loss`, VR `comeback,loss,bounce-leader`, Raft `isolate-leader,revote,slow-leader`
    /// with two stories, each on 25 seeds in 100: `figure8` alone on section 5's cluster, and
    /// `overlap`, the single-server change bug, on four servers and two spares). A mix given
    /// here tells no story, except `default`.
    #[arg(long, value_name = "SPEC")]
    pub nemesis: Option<String>,
    /// Fault window in virtual ms: faults strike before it, everything is repaired at it, and
    /// the clients issue requests until then (default: the protocol's, 1000 for most; Paxos
    /// 200, Multi-Paxos 5000, VR 20000, Raft 5000).
    #[arg(long, value_name = "MS")]
    pub until: Option<u64>,
    /// After the fault window, how long every request has to complete (virtual ms; default
    /// 4000).
    #[arg(long, value_name = "MS")]
    pub liveness: Option<u64>,
    /// synod's first fault kinds instead of `--nemesis`: crash,restart,partition,loss,
    /// duplicate,delay,slow,hold, skew (slow clocks), and the operator's orders membership and
    /// transfer for protocols that take them, such as Raft (a fixed mix of those nemeses).
    #[arg(long)]
    pub faults: Option<String>,
    /// Faults drawn per seed (swarm: on average; default: the protocol's, 6 for most, Paxos 12,
    /// Multi-Paxos 20, VR 80, Raft 20), at most 1000000 (past about 500000, a fault schedule is more than the
    /// simulator holds at once and every run is aborted).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub intensity: Option<u32>,
    /// The longest a fault lasts, in virtual ms (durations are log-uniform from 1 ms; `isolate`,
    /// `isolate-leader`, `slow-leader`, `comeback` and `split-leaders` cut for 200-800 ms, past
    /// an election timeout, and `figure8` for 350-800 ms with holds up to 1.6 s;
    /// `bounce-leader` cuts for 20-100 ms; the crashes of `storm`,
    /// `revote` and `bounce-leader` have lengths of their own, at most 20 ms).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_fault: Option<u64>,
    /// Requests per second each client aims at through the window (0: the next as soon as the
    /// last returns; default: the protocol's, 0 for most, Raft 6).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate: Option<u32>,
    /// Run with a planted bug (`--bug list` lists them).
    #[arg(long)]
    pub bug: Option<String>,
    /// Keep the protocol's default configuration on every seed. By default a campaign of a
    /// protocol (not of a scenario file) draws each seed's configuration (swarm testing: one
    /// hot key, short client timeouts, and the protocol's own, such as Raft's cluster size,
    /// PreVote, CheckQuorum, reads and batching); a failure's scenario file records what was
    /// drawn. Nor does it tell the protocol's stories.
    #[arg(long)]
    pub fixed_config: bool,
    /// Run only the K-th of N disjoint slices of the seeds, as K/N. Without it, a Slurm job
    /// array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with
    /// --shards) says which.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// How many shards a Kubernetes Indexed Job has (its `completions`): the shard is then
    /// JOB_COMPLETION_INDEX + 1 of N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
    /// Write a shrunk scenario for each failing property here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one line per seed (`seed N: pass` / `seed N: FAIL property` / `seed N: aborted`),
    /// for merging shards.
    #[arg(long)]
    pub per_seed: bool,
    /// Write every seed's result as JSON lines to FILE (`-`: standard output instead of the
    /// narration), for machines and `--merge`.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Merge the `--json` files of a campaign's shards into the summary one machine would
    /// print (no campaign is run).
    #[arg(long, value_name = "FILES", num_args = 1.., conflicts_with_all = ["target", "json", "per_seed", "shard", "shards", "out", "bug"])]
    pub merge: Vec<PathBuf>,
    /// The most wall time shrinking one failure may take, in seconds; then the smallest
    /// failing scenario found so far is kept.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub shrink_time: u64,
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

/// `--nemesis` as given, with `default` read as the protocol's own mix.
fn nemesis_spec<'a>(args: &'a CheckArgs, base: &Scenario) -> Option<&'a str> {
    args.nemesis.as_deref().map(|spec| match spec {
        "default" => base.protocol.campaign.nemesis,
        spec => spec,
    })
}

/// The stories a campaign of `plan` tells, as the summary's first line adds them to the mix
/// (`, with figure8's story on 25 seeds in 100`).
fn told(plan: &Plan, protocol: &synod_protocols::protocol::Protocol) -> String {
    plan.stories_told(protocol)
        .iter()
        .map(|s| format!(", with {s}"))
        .collect()
}

/// The campaign's plan from the protocol's defaults and the options given.
fn plan(args: &CheckArgs, base: &Scenario) -> Result<Plan, UsageError> {
    let p = base.protocol;
    let mut plan = Plan::for_protocol(p);
    match (nemesis_spec(args, base), &args.faults) {
        (Some(_), Some(_)) => {
            return Err(UsageError(
                "give --nemesis or --faults, not both (--faults is the fixed mix of synod's first fault kinds)".into(),
            ));
        }
        (Some(spec), None) => {
            plan.mix = nemesis::parse(spec, p.campaign.nemeses)
                .map_err(|e| UsageError(format!("--nemesis: {e}")))?;
            // A nemesis that needs spares the cluster lacks draws nothing: alone, the campaign
            // would strike nothing; in a group (`all`, `own`), the others still draw.
            let missing = nemesis::missing_spares(&plan.mix, campaign::spares(base));
            if let Some((_, why)) = missing.first()
                && missing.len() == plan.mix.pool().len()
            {
                return Err(UsageError(format!("--nemesis: {why}")));
            }
            for (name, _) in missing {
                eprintln!(
                    "note: --nemesis: `{name}` draws nothing on this cluster (too few spares: `--nemesis {name}` alone says why)"
                );
            }
        }
        (None, Some(kinds)) => {
            let kinds =
                campaign::parse_kinds(kinds).map_err(|e| UsageError(format!("--faults: {e}")))?;
            campaign::check_kinds(&kinds, base)
                .map_err(|e| UsageError(format!("--faults: {e}")))?;
            plan.mix = campaign::kinds_mix(&kinds, p.campaign.nemeses);
        }
        (None, None) => {}
    }
    if let Some(i) = args.intensity {
        plan.intensity = i;
    }
    if let Some(ms) = args.until {
        plan.window = Time::ms(ms);
    }
    if let Some(ms) = args.liveness {
        plan.liveness = Time::ms(ms);
    }
    if let Some(ms) = args.max_fault {
        plan.max_fault = Time::ms(ms);
    }
    if let Some(r) = args.rate {
        plan.rate = r;
    }
    // A scenario file is a configuration someone chose (often to force a schedule): its
    // campaigns keep it whole. A protocol's built-in defaults are swarmed.
    let builtin = args
        .target
        .as_deref()
        .is_none_or(|t| crate::protocols().get(t).is_some());
    plan.vary = builtin && !args.fixed_config;
    // Only the default campaign tells the protocol's stories: a mix named on the command line
    // is that mix alone, even the default's nemeses named one by one.
    plan.stories =
        matches!(args.nemesis.as_deref(), None | Some("default")) && args.faults.is_none();
    Ok(plan)
}

/// `synod check`.
pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    if !args.merge.is_empty() {
        return merge::merge(&args.merge);
    }
    if args.bug.as_deref() == Some("list") {
        return list_bugs(args.target.as_deref());
    }
    let mut base: Scenario = load(args.target.as_deref())?;
    if base.protocol.reference_model {
        return Err(UsageError(format!(
            "protocol {} is a reference model: its clients may wait forever by design, so a campaign would judge every seed a failure; search it with `synod explore {}`",
            base.protocol, base.protocol
        ))
        .into());
    }
    if args.nemesis.as_deref() == Some("list") {
        let p = base.protocol;
        let stories = told(&Plan::for_protocol(p), p);
        write!(
            io::stdout().lock(),
            "{}",
            nemesis::listing(
                p.campaign.nemeses,
                &format!("{}{stories}", p.campaign.nemesis)
            )
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(bug) = &args.bug {
        base.set_bug(bug)
            .map_err(|e| UsageError(format!("--bug: {e}")))?;
    }
    // Validate the base (protocol, bug name) once, up front.
    let built = synod_protocols::system::build(&base).map_err(|e| UsageError(e.to_string()))?;
    crate::run::warn(&built.warnings);
    let plan = plan(args, &base)?;
    let shard = shard::resolve(args.shard.as_deref(), args.shards, |k| {
        std::env::var(k).ok()
    })?;
    let seeds = Seeds::new(args.from, args.seeds, (shard.k, shard.n)).ok_or_else(|| {
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
            shard.k, shard.n, args.seeds
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
    let runner = Runner::new(&base, &plan).map_err(UsageError)?;
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(rayon::current_num_threads);
    // `--json -`: the records go to standard output, and the narration to standard error.
    let json_stdout = args.json.as_deref() == Some(Path::new("-"));
    let mut json: Option<Box<dyn Write>> = match &args.json {
        None => None,
        Some(_) if json_stdout => Some(Box::new(io::stdout())),
        Some(path) => Some(Box::new(BufWriter::new(File::create(path).map_err(
            |e| UsageError(format!("--json: cannot write {}: {e}", path.display())),
        )?))),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {jobs} worker threads: {e}"))?;
    interrupt::catch();

    let mut out: Box<dyn Write> = if json_stdout {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout().lock())
    };
    let shard_text = match shard.source {
        "" => String::new(),
        "--shard" => format!("shard {}/{} ", shard.k, shard.n),
        env => format!("shard {}/{} (from {env}) ", shard.k, shard.n),
    };
    writeln!(
        out,
        "synod check: {} (protocol {}{}), seeds {}..{} {shard_text}({} seeds), nemesis {}{}, {} faults per seed in the first {}{}, {jobs} jobs",
        base.name,
        base.protocol,
        base.bug
            .as_ref()
            .map(|b| format!(", bug {b}"))
            .unwrap_or_default(),
        args.from,
        args.from + (args.seeds - 1),
        seeds.len(),
        nemesis_spec(args, &base)
            .or(args.faults.as_deref())
            .unwrap_or(base.protocol.campaign.nemesis),
        told(&plan, base.protocol),
        plan.intensity,
        plan.window,
        if plan.rate > 0 {
            format!(", clients at {} requests/s", plan.rate)
        } else {
            String::new()
        },
    )?;
    out.flush()?;
    if let Some(j) = &mut json {
        let header = serde_json::json!({
            "kind": "campaign",
            "version": record::VERSION,
            "target": args.target.clone().unwrap_or_else(|| base.protocol.name.to_string()),
            "protocol": base.protocol.name,
            "bug": base.bug,
            "nemesis": plan.mix.describe(),
            "stories": plan.stories_told(base.protocol),
            "from": args.from,
            "seeds": args.seeds,
            "shard": shard.k,
            "shards": shard.n,
            "intensity": plan.intensity,
            "window_ms": plan.window.as_ms_f64(),
            "max_fault_ms": plan.max_fault.as_ms_f64(),
            "liveness_ms": plan.liveness.as_ms_f64(),
            "rate": plan.rate,
            "vary": plan.vary,
            "jobs": jobs,
        });
        writeln!(j, "{header}")?;
    }
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
                    let r = runner.run(seeds.nth(next + i as u64));
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
            let (line, first) = tally.add(&r, secs);
            if first && let Outcome::Fail { property, .. } = &r.outcome {
                new_properties.push((property.clone(), r.seed));
            }
            if args.per_seed {
                bar.suspend(|| writeln!(out, "seed {}: {line}", r.seed))?;
            }
            if let Some(j) = &mut json {
                writeln!(j, "{}", record::seed(&r, secs))?;
            }
        }
        bar.suspend(|| out.flush())?;
        // Shrink each property's first failure as soon as it is found, so that a long campaign
        // stopped by Ctrl-C keeps the scenarios already written.
        for (property, seed) in new_properties {
            bar.set_message(format!("shrinking seed {seed} ({property})"));
            let lines = shrink_and_write(args, &runner, seed, &property)?;
            bar.suspend(|| -> io::Result<()> {
                for l in &lines {
                    writeln!(out, "{l}")?;
                }
                out.flush()
            })?;
            if let Some(j) = &mut json {
                writeln!(j, "{}", record::shrunk(seed, &property, &lines))?;
            }
            tally.shrunk(&property, &lines);
        }
    }
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    if let Some(j) = &mut json {
        let end = serde_json::json!({
            "kind": "end",
            "run": tally.run,
            "wall_s": wall,
            "interrupted": interrupt::requested(),
        });
        writeln!(j, "{end}")?;
        j.flush()?;
    }
    let per_sec = if wall > 0.0 {
        tally.run as f64 / wall
    } else {
        0.0
    };
    let slowest = match tally.slowest {
        Some((seed, secs)) => format!("; slowest seed {seed} ({:.1} ms)", secs * 1000.0),
        None => String::new(),
    };
    let speed = format!(
        "speed: {per_sec:.0} seeds/s on {jobs} jobs ({:.0} seeds/s per job){slowest}",
        per_sec / jobs as f64,
    );
    tally::summary(
        &mut out,
        &tally,
        &speed,
        &Ending {
            interrupted: interrupt::requested(),
            planned: seeds.len(),
            bug: base.bug.clone(),
        },
    )
}

/// Shrink the failure of `property` on `seed`, write it (and the unshrunk scenario) under
/// `--out`, and return the lines that say so.
fn shrink_and_write(
    args: &CheckArgs,
    runner: &Runner,
    seed: u64,
    property: &str,
) -> Result<Vec<String>> {
    let failing = runner.scenario(seed);
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
