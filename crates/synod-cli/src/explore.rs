//! `synod explore`: search every interleaving of a protocol within bounds, on all cores; print
//! "exhausted" or the shortest counterexample, narrated, and write it as a scenario that
//! `synod run` replays and `synod repl` steps through.

use crate::run::load;
use crate::{UsageError, interrupt};
use anyhow::Result;
use clap::Args;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};
use synod_core::Level;
use synod_explore::{Bounds, End, NetworkKind, Options, Progress, Strategy};
use synod_protocols::explore::{self as hooks, Explore};
use synod_protocols::judge::{self, Checks};
use synod_protocols::scenario::Scenario;
use synod_protocols::system;
use synod_sim::trace_out::HumanPrinter;
use synod_sim::{EndReason, Shared};

/// Arguments of `synod explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// A protocol that can be explored or a scenario file (.toml). Default: paxos.
    pub target: Option<String>,
    /// Depth-first (less memory, one core) instead of breadth-first (shortest
    /// counterexamples, all cores).
    #[arg(long)]
    pub dfs: bool,
    /// Worker threads for breadth-first search (default: all cores). Results never depend on
    /// it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Network semantics: unordered (any message next, once), duplicating (any message, any
    /// number of times), ordered (per link, in order, once).
    #[arg(long, value_name = "KIND")]
    pub network: Option<String>,
    /// Crashes along one path (a crashed server may restart at any step).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub max_crashes: Option<u32>,
    /// Messages lost along one path.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub max_drops: Option<u32>,
    /// Extra copies of a message delivered along one path.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub max_duplicates: Option<u32>,
    /// Timer firings along one path (`none`: no bound).
    #[arg(long, value_name = "N|none", allow_hyphen_values = true)]
    pub max_timers: Option<String>,
    /// Steps from the initial state (`none`: no bound).
    #[arg(long, value_name = "N|none", allow_hyphen_values = true)]
    pub max_depth: Option<String>,
    /// Stop when the process uses more than this much memory, in MB.
    #[arg(long, value_name = "MB", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(16..=1_048_576))]
    pub max_memory: u64,
    /// Explore with a planted bug (`synod check --bug list` lists them).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Number of server nodes (overrides `cluster.nodes`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub nodes: Option<u32>,
    /// Number of clients (overrides `cluster.clients`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub clients: Option<u32>,
    /// Requests per client (overrides `workload.requests_per_client`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub requests: Option<u32>,
    /// Seed of the nodes' random streams (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write a counterexample (default: NAME-PROPERTY.toml here).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// No progress lines.
    #[arg(long)]
    pub quiet: bool,
}

/// An optional bound: a number, or `none`.
fn bound(name: &str, text: Option<&str>, default: Option<u32>) -> Result<Option<u32>, UsageError> {
    match text {
        None => Ok(default),
        Some("none") => Ok(None),
        Some(t) => match t.parse::<u32>() {
            Ok(n) if n <= 100_000 => Ok(Some(n)),
            _ => Err(UsageError(format!(
                "--{name} `{t}`: expected a whole number from 0 to 100000, or `none`"
            ))),
        },
    }
}

/// The protocol explored when none is named.
const DEFAULT_TARGET: &str = "paxos";

/// The scenario to explore, with the explorer's small defaults for a built-in protocol, and
/// its protocol's explorability hook.
fn scenario(args: &ExploreArgs) -> Result<(Scenario, &'static Explore), UsageError> {
    let registry = crate::protocols();
    let target = args.target.as_deref().unwrap_or(DEFAULT_TARGET);
    let mut s = load(Some(target))?;
    let hook = hooks::hook(&s, &registry.explorable()).map_err(|e| UsageError(e.to_string()))?;
    let flag = |r: Result<(), String>| r.map_err(UsageError);
    if registry.get(target).is_some() {
        for (key, n) in hook.small {
            flag(s.set_count(key, *n, "synod explore's defaults"))?;
        }
    }
    for (key, value, name) in [
        ("cluster.nodes", args.nodes, "--nodes"),
        ("cluster.clients", args.clients, "--clients"),
        ("workload.requests_per_client", args.requests, "--requests"),
    ] {
        if let Some(n) = value {
            flag(s.set_count(key, u64::from(n), name))?;
        }
    }
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    if let Some(b) = &args.bug {
        flag(s.set_bug(b).map_err(|e| format!("--bug: {e}")))?;
    }
    Ok((s, hook))
}

fn bounds(args: &ExploreArgs, hook: &Explore) -> Result<Bounds, UsageError> {
    let d = hook.bounds;
    let network = match args.network.as_deref() {
        None => d.network,
        Some(n) => NetworkKind::ALL
            .into_iter()
            .find(|k| k.name() == n)
            .ok_or_else(|| {
                UsageError(format!(
                    "--network `{n}`: expected unordered, duplicating or ordered"
                ))
            })?,
    };
    Ok(Bounds {
        network,
        max_crashes: args.max_crashes.unwrap_or(d.max_crashes),
        max_drops: args.max_drops.unwrap_or(d.max_drops),
        max_duplicates: args.max_duplicates.unwrap_or(d.max_duplicates),
        max_timers: bound("max-timers", args.max_timers.as_deref(), d.max_timers)?,
        max_depth: bound("max-depth", args.max_depth.as_deref(), d.max_depth)?,
    })
}

fn show(b: Option<u32>) -> String {
    b.map_or_else(|| "unbounded".to_string(), |n| format!("<= {n}"))
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Resident memory of this process, in MB (Linux; 0 elsewhere).
fn rss_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

const STOP_INTERRUPT: u8 = 1;
const STOP_MEMORY: u8 = 2;

/// `synod explore`.
pub fn explore(args: &ExploreArgs) -> Result<ExitCode> {
    let (s, hook) = scenario(args)?;
    let b = bounds(args, hook)?;
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let strategy = if args.dfs {
        Strategy::Dfs
    } else {
        Strategy::Bfs
    };
    let stop = Arc::new(AtomicBool::new(false));
    let why = Arc::new(AtomicU8::new(0));
    // Ctrl-C asks the search to stop; the watcher below passes it on.
    interrupt::catch();
    let progress = Arc::new(Progress::default());
    let opts = Options {
        strategy,
        threads,
        stop: stop.clone(),
        progress: progress.clone(),
    };
    println!(
        "synod explore: {} (protocol {}, seed {}{})",
        s.name,
        s.protocol,
        s.seed,
        s.bug
            .as_deref()
            .map(|b| format!(", bug {b}"))
            .unwrap_or_default()
    );
    println!(
        "  network {}; crashes {}, drops {}, duplicates {}, timers {}, depth {}; {} on {} thread{}",
        b.network,
        show(Some(b.max_crashes)),
        show(Some(b.max_drops)),
        show(Some(b.max_duplicates)),
        show(b.max_timers),
        show(b.max_depth),
        if args.dfs {
            "depth-first"
        } else {
            "breadth-first"
        },
        if args.dfs { 1 } else { threads },
        if !args.dfs && threads > 1 { "s" } else { "" }
    );
    if !s.schedule.is_empty() {
        println!(
            "  starting from the state after the scenario's schedule ({} steps); depths count from there",
            s.schedule.len()
        );
    }
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let live = !args.quiet && io::stderr().is_terminal();
    let watcher = {
        let (progress, done, stop, why) =
            (progress.clone(), done.clone(), stop.clone(), why.clone());
        let (max_mb, quiet) = (args.max_memory, args.quiet);
        std::thread::spawn(move || {
            let mut last = Instant::now();
            let mut tick = 0u64;
            while !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                tick += 1;
                if interrupt::requested() {
                    why.store(STOP_INTERRUPT, Ordering::SeqCst);
                    stop.store(true, Ordering::SeqCst);
                }
                if rss_mb("VmRSS:") > max_mb {
                    why.store(STOP_MEMORY, Ordering::SeqCst);
                    stop.store(true, Ordering::SeqCst);
                }
                let every = if live { 10 } else { 100 };
                if quiet || tick % every != 0 {
                    continue;
                }
                let secs = started.elapsed().as_secs_f64();
                let generated = progress.generated.load(Ordering::Relaxed);
                let line = format!(
                    "  depth {:>3}  unique {:>11}  generated {:>11}  {:>9}/s  queue {:>9}  memory {:>5} MB",
                    progress.depth.load(Ordering::Relaxed),
                    thousands(progress.unique.load(Ordering::Relaxed)),
                    thousands(generated),
                    thousands((generated as f64 / secs.max(1e-9)) as u64),
                    thousands(progress.queue.load(Ordering::Relaxed)),
                    rss_mb("VmRSS:")
                );
                if live {
                    eprint!("\r{line}");
                } else {
                    eprintln!("{line}");
                }
                last = Instant::now();
            }
            if live && last.elapsed() < started.elapsed() {
                eprint!("\r{:100}\r", "");
            }
        })
    };
    let report = (hook.build)(&s, b)
        .map_err(|e| UsageError(e.to_string()))?
        .search(&opts);
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    let secs = started.elapsed().as_secs_f64();
    let o = &report.outcome;
    let mut out = io::stdout().lock();
    let coverage = format!(
        "{} unique states ({} generated, depth {}) in {secs:.2} s, {}/s, peak memory {} MB",
        thousands(o.unique),
        thousands(o.generated),
        o.depth,
        thousands((o.generated as f64 / secs.max(1e-9)) as u64),
        rss_mb("VmHWM:")
    );
    let code = match &o.end {
        End::BadPrefix(why) => {
            return Err(UsageError(format!("{}: key `schedule`: {why}", s.file)).into());
        }
        End::Exhausted => {
            let bound = if o.at_bound > 0 {
                format!(
                    " ({} states at the depth bound were not expanded)",
                    thousands(o.at_bound)
                )
            } else {
                String::new()
            };
            writeln!(
                out,
                "exhausted: {coverage}; no violation within bounds{bound}"
            )?;
            let weak = print_sometimes(&mut out, &o.sometimes)?;
            if weak {
                writeln!(
                    out,
                    "weak model: a state the search should reach was never reached (bounds too tight, or progress is blocked); no violation is not evidence of much"
                )?;
                1
            } else {
                0
            }
        }
        End::Stopped => {
            let interrupted = why.load(Ordering::SeqCst) == STOP_INTERRUPT;
            let reason = match why.load(Ordering::SeqCst) {
                STOP_MEMORY => format!("memory bound of {} MB reached", args.max_memory),
                STOP_INTERRUPT => "interrupted".to_string(),
                _ => "a search limit was reached".to_string(),
            };
            writeln!(
                out,
                "stopped ({reason}): covered {coverage}; NOT exhausted, no violation found in what was covered"
            )?;
            print_sometimes(&mut out, &o.sometimes)?;
            // Ctrl-C exits as `synod run` and `synod check` do.
            if interrupted { interrupt::EXIT_CODE } else { 1 }
        }
        End::Violation(cx) => {
            writeln!(
                out,
                "VIOLATION: {} after {} steps{}: {}",
                cx.property,
                cx.path.len(),
                if args.dfs {
                    ""
                } else {
                    " (no shorter path breaks a property)"
                },
                cx.detail
            )?;
            writeln!(out, "  after {coverage}")?;
            writeln!(
                out,
                "counterexample (after every node started{}):",
                if s.schedule.is_empty() {
                    String::new()
                } else {
                    format!(" and the scenario's {} scheduled steps", s.schedule.len())
                }
            )?;
            for (i, p) in cx.path.iter().enumerate() {
                writeln!(out, "  {:>3}. {}", i + 1, p.text)?;
            }
            let cs = hooks::counterexample_scenario(&s, &report.names, cx);
            let path = args.out.clone().unwrap_or_else(|| {
                let slug: String = cs
                    .name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                PathBuf::from(format!("{slug}.toml"))
            });
            std::fs::write(&path, cs.to_toml())
                .map_err(|e| UsageError(format!("cannot write `{}`: {e}", path.display())))?;
            writeln!(out, "narrated replay in the simulator:")?;
            drop(out);
            let replayed = replay(&cs)?;
            let mut out = io::stdout().lock();
            match &replayed {
                Some(p) if *p == cx.property => {
                    writeln!(out, "the replay stops on the same property: {p}")?
                }
                // The replay stopped first on a live check the search does not run: it sees
                // the same defect sooner. The search judges the history, where the simulator
                // also compares each replica's answer to a command with the others' as it
                // applies it (state machine safety), in the step that gives the client the
                // answer the history refutes; and some live checks need a run's history, which
                // no state holds (the hook's `history_checks`: Raft's one vote per term sees
                // the second vote of a server that forgot its first across a crash, a step
                // before two leaders). The file then expects that. (Any other property is a
                // second defect, or a disagreement between search and simulator: the warning
                // below.)
                Some(p)
                    if (cx.property == "linearizability"
                        && p == synod_check::invariants::STATE_MACHINE_SAFETY)
                        || hook.history_checks.contains(&p.as_str()) =>
                {
                    let mut cs = cs.clone();
                    cs.description = format!(
                        "{} The replay in the simulator stops sooner, or in the same step, on {p}, a live check the search does not run.",
                        cs.description
                    );
                    cs.expect = synod_protocols::scenario::Expect {
                        violation: Some(p.clone()),
                        ..Default::default()
                    };
                    std::fs::write(&path, cs.to_toml()).map_err(|e| {
                        UsageError(format!("cannot write `{}`: {e}", path.display()))
                    })?;
                    writeln!(
                        out,
                        "the replay stops sooner, on {p}: a live check the search does not run sees what the history shows (the scenario expects {p})"
                    )?
                }
                Some(p) => writeln!(
                    out,
                    "warning: the replay stops on {p}, not on {}",
                    cx.property
                )?,
                None => writeln!(out, "warning: the replay does not stop on a violation")?,
            }
            writeln!(out, "counterexample written to {}", path.display())?;
            writeln!(
                out,
                "  replay: synod run {0}    step through: synod repl {0}",
                path.display()
            )?;
            1
        }
    };
    Ok(ExitCode::from(code))
}

/// Print each sometimes-property; true if one was never reached.
fn print_sometimes(out: &mut impl Write, sometimes: &[(String, Option<u32>)]) -> io::Result<bool> {
    if sometimes.is_empty() {
        return Ok(false);
    }
    writeln!(out, "reached (sometimes-properties):")?;
    let mut weak = false;
    for (name, at) in sometimes {
        match at {
            Some(d) => writeln!(out, "  ok     {name} (first at depth {d})")?,
            None => {
                weak = true;
                writeln!(out, "  NEVER  {name}")?;
            }
        }
    }
    Ok(weak)
}

/// Run the counterexample scenario in the simulator, narrated; the property it stops on
/// (`linearizability` when the history ends up not linearizable).
fn replay(cs: &Scenario) -> Result<Option<String>> {
    let mut system = system::build(cs).map_err(|e| UsageError(e.to_string()))?;
    let names: Vec<String> = system.sim.specs().iter().map(|n| n.name.clone()).collect();
    let printer = Shared::new(HumanPrinter::new(
        BufWriter::new(io::stdout().lock()),
        Level::Info,
        &names,
    ));
    system.sim.add_observer(Box::new(printer.clone()));
    let checks = Checks::attach(&mut system);
    let end = system.sim.run();
    printer.borrow_mut().finish()?;
    let report = judge::judge(&system, &checks, cs, end);
    Ok(match &report.end {
        EndReason::Violation(v) => Some(v.property.clone()),
        _ => report
            .lin
            .as_ref()
            .and_then(|(ok, _, _)| (!ok).then(|| "linearizability".to_string())),
    })
}
