//! `synod run`: one run, narrated, then a summary and the verdict of each expectation.

use crate::UsageError;
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use synod_core::{ClientResult, Level, Time};
use synod_protocols::harness::{self, Checks, Report};
use synod_protocols::scenario::{self, PROTOCOLS, Scenario};
use synod_protocols::system;
use synod_sim::trace_out::{HumanPrinter, JsonTrace, json_header};
use synod_sim::{EndReason, Shared};

/// Arguments of `synod run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// A protocol name (kv, paxos, multipaxos, raft) or a scenario file (.toml). Default: raft.
    pub target: Option<String>,
    /// Seed of the run (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop at this virtual time, in milliseconds (overrides the scenario's `until_ms`).
    #[arg(long, value_name = "MS")]
    pub until: Option<u64>,
    /// Write the JSON-lines trace (docs/trace.md) to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<String>,
    /// Narration shown: error, warn, info (the story and client results), debug (adds every
    /// message), trace (adds timers and protocol events).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log_level: Level,
    /// Number of clients (overrides `cluster.clients`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub clients: Option<u32>,
    /// Number of server nodes, for protocols that have them (overrides `cluster.nodes`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub nodes: Option<u32>,
    /// Requests per client (overrides `workload.requests_per_client`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub requests: Option<u32>,
    /// Run with a planted bug (overrides the scenario's `bug`; `synod check --bug list` lists
    /// them).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
}

/// Load the scenario `target` names: a built-in protocol or a file.
pub fn load(target: Option<&str>) -> Result<Scenario, UsageError> {
    let target = target.unwrap_or(scenario::DEFAULT_PROTOCOL);
    if PROTOCOLS.contains(&target) {
        return Scenario::builtin(target).map_err(|e| UsageError(e.to_string()));
    }
    let path = Path::new(target);
    if path.is_dir() {
        return Err(UsageError(format!(
            "`{target}` is a directory; give a scenario file (.toml) or a protocol ({})",
            PROTOCOLS.join(", ")
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            UsageError(format!(
                "`{target}` is neither a protocol ({}) nor an existing scenario file",
                PROTOCOLS.join(", ")
            ))
        } else {
            UsageError(format!("cannot read `{target}`: {e}"))
        }
    })?;
    scenario::parse(target, &text).map_err(|e| UsageError(e.to_string()))
}

/// Apply the command line's overrides to a scenario.
fn apply_overrides(s: &mut Scenario, a: &RunArgs) {
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    if let Some(ms) = a.until {
        s.until = Time::ms(ms);
    }
    if let Some(n) = a.clients {
        s.cluster.clients = Some(n);
    }
    if let Some(n) = a.nodes {
        s.cluster.nodes = Some(n);
    }
    if let Some(n) = a.requests {
        s.workload.requests_per_client = n;
    }
    if let Some(b) = &a.bug {
        s.bug = Some(b.clone());
    }
}

/// `synod run`.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let mut scenario = load(args.target.as_deref())?;
    apply_overrides(&mut scenario, args);
    let mut system = system::build(&scenario).map_err(|e| UsageError(e.to_string()))?;
    let names: Vec<String> = system.sim.specs().iter().map(|s| s.name.clone()).collect();

    let json = match &args.trace {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
            let header = json_header(scenario.seed, &scenario.protocol, system.sim.specs());
            let trace = JsonTrace::new(BufWriter::new(file), &header)
                .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
            let shared = Shared::new(trace);
            system.sim.add_observer(Box::new(shared.clone()));
            Some((path, shared))
        }
        None => None,
    };
    let printer = Shared::new(HumanPrinter::new(
        BufWriter::new(io::stdout().lock()),
        args.log_level,
        &names,
    ));
    system.sim.add_observer(Box::new(printer.clone()));
    let checks = Checks::attach(&mut system);

    println!(
        "synod run: {} (protocol {}, seed {}, until {})",
        scenario.name, scenario.protocol, scenario.seed, scenario.until
    );
    if !scenario.description.is_empty() {
        println!("  {}", scenario.description.trim());
    }
    let started = Instant::now();
    let end = system.sim.run();
    let wall = started.elapsed();
    printer.borrow_mut().finish()?;
    if let Some((path, trace)) = &json {
        trace
            .borrow_mut()
            .finish()
            .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
    }
    // Judging includes the linearizability check of the client history, which can dwarf the
    // run itself with many clients: say how long it took.
    let judging = Instant::now();
    let report = harness::judge(&system, &checks, &scenario, end);
    let judged = judging.elapsed();
    let mut out = io::stdout().lock();
    print_summary(
        &mut out,
        &scenario,
        &report,
        wall.as_secs_f64(),
        judged.as_secs_f64(),
    )?;
    if let Some((path, _)) = &json {
        writeln!(out, "trace written to {path}")?;
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Print the summary: requests, stores, messages, expectations.
pub fn print_summary(
    out: &mut impl Write,
    scenario: &Scenario,
    r: &Report,
    wall_secs: f64,
    judge_secs: f64,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "== summary: {} (seed {}) ==",
        scenario.name, scenario.seed
    )?;
    match &r.end {
        EndReason::Violation(v) => writeln!(out, "ended at {}: SAFETY VIOLATION: {v}", r.now)?,
        end => writeln!(out, "ended at {}: {end}", r.now)?,
    }
    writeln!(
        out,
        "wall time: {:.1} ms for {} events, then {:.1} ms for the end-of-run checks (linearizability)",
        wall_secs * 1000.0,
        r.stats.events,
        judge_secs * 1000.0
    )?;

    // Requests by kind: issued, ok, error, unfinished.
    let mut by_kind: BTreeMap<&str, [u32; 4]> = BTreeMap::new();
    for op in &r.history {
        let row = by_kind.entry(op.op.f.as_str()).or_default();
        row[0] += 1;
        match &op.returned {
            Some((_, ClientResult::Ok { .. })) => row[1] += 1,
            Some((_, ClientResult::Error { .. })) => row[2] += 1,
            _ => row[3] += 1,
        }
    }
    let total = by_kind.values().fold([0; 4], |mut acc, row| {
        for i in 0..4 {
            acc[i] += row[i];
        }
        acc
    });
    if !r.history.is_empty() {
        writeln!(
            out,
            "requests: {} issued, {} succeeded, {} failed, {} unfinished",
            total[0], total[1], total[2], total[3]
        )?;
    }
    for (kind, row) in &by_kind {
        writeln!(
            out,
            "  {kind:<8} {:>4} issued {:>4} ok {:>4} failed {:>4} unfinished",
            row[0], row[1], row[2], row[3]
        )?;
    }

    if let Some((_, summary, why)) = &r.lin {
        writeln!(out, "linearizability: {summary}")?;
        if let Some(why) = why {
            for line in why.lines() {
                writeln!(out, "  {line}")?;
            }
        }
    }

    if !r.servers.is_empty() {
        writeln!(out, "final state:")?;
        let width = r.servers.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, status) in &r.servers {
            let shown = match status {
                None => "(down)".to_string(),
                Some(st) => st
                    .facts
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            writeln!(out, "  {name:<width$}  {shown}")?;
        }
    }

    let (sent, delivered, dropped, dup) = r.stats.totals();
    writeln!(
        out,
        "messages: {sent} sent, {delivered} delivered, {dropped} dropped, {dup} duplicated"
    )?;
    for k in &r.stats.kinds {
        writeln!(
            out,
            "  {:<16} {:>6} sent {:>6} delivered {:>6} dropped {:>6} duplicated",
            k.kind, k.sent, k.delivered, k.dropped, k.duplicated
        )?;
    }
    if !r.stats.drop_reasons.is_empty() {
        let reasons: Vec<String> = r
            .stats
            .drop_reasons
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        writeln!(out, "  dropped: {}", reasons.join(", "))?;
    }

    writeln!(out, "expectations:")?;
    for v in &r.verdicts {
        let mark = if v.held { "ok  " } else { "FAIL" };
        writeln!(out, "  {mark}  {}: {}", v.name, v.detail)?;
    }
    writeln!(out, "result: {}", if r.passed() { "PASS" } else { "FAIL" })?;
    out.flush()
}
