//! `synod run`: one run, narrated, then a summary and the verdict of each expectation.

use crate::{UsageError, interrupt};
use anyhow::Result;
use clap::Args;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use synod_check::show_bytes;
use synod_core::{Level, Time};
use synod_protocols::judge::{self, Checks, Report};
use synod_protocols::scenario::{self, Scenario};
use synod_protocols::system;
use synod_sim::trace_out::{HumanPrinter, JsonTrace, json_header, legend};
use synod_sim::{EndReason, OVERLOADED, Shared, Step};

/// Arguments of `synod run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// A protocol or a scenario file (.toml). Default: raft.
    pub target: Option<String>,
    /// Seed of the run (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop at this virtual time, in milliseconds, fractions allowed (overrides the scenario's
    /// `until_ms`).
    #[arg(long, value_name = "MS", value_parser = until_arg)]
    pub until: Option<Time>,
    /// Write the JSON-lines trace (docs/trace.md) to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<String>,
    /// Narration shown: error, warn, info (the story and client results), debug (adds every
    /// message), trace (adds timers and protocol events).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log_level: Level,
    /// Number of clients (overrides `cluster.clients`; the protocol's limits apply).
    #[arg(long)]
    pub clients: Option<u64>,
    /// Number of server nodes, for protocols that have them (overrides `cluster.nodes`; the
    /// protocol's limits apply).
    #[arg(long)]
    pub nodes: Option<u64>,
    /// Requests per client (overrides `workload.requests_per_client`).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Run with a planted bug (overrides the scenario's `bug`; `synod check --bug list` lists
    /// them).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// Write the run as a self-contained HTML page to FILE (as `synod view` draws a trace;
    /// docs/view.md).
    #[arg(long, value_name = "FILE")]
    pub html: Option<String>,
    /// Print the legend of the narration's notations at the start, whatever the log level (it
    /// is printed by default at info and more detailed levels).
    #[arg(long, conflicts_with = "no_legend")]
    pub legend: bool,
    /// Do not print the legend.
    #[arg(long)]
    pub no_legend: bool,
}

/// `--until MS`: milliseconds, fractions allowed, within the simulator's clock.
pub fn until_arg(text: &str) -> Result<Time, String> {
    let ms: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected milliseconds, as 1500 or 2.5, got `{text}`"))?;
    scenario::parse_ms(ms)
}

/// Load the scenario `target` names: a protocol's built-in scenario, or a file.
pub fn load(target: Option<&str>) -> Result<Scenario, UsageError> {
    let protocols = crate::protocols();
    let target = target.unwrap_or(scenario::DEFAULT_PROTOCOL);
    if protocols.get(target).is_some() {
        return protocols
            .scenario(target)
            .map_err(|e| UsageError(e.to_string()));
    }
    let path = Path::new(target);
    if path.is_dir() {
        return Err(UsageError(format!(
            "`{target}` is a directory; give a scenario file (.toml) or a protocol ({})",
            protocols.names()
        )));
    }
    let text = read_limited(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            UsageError(format!(
                "`{target}` is neither a protocol ({}) nor an existing scenario file",
                protocols.names()
            ))
        } else {
            UsageError(format!("cannot read `{target}`: {e}"))
        }
    })?;
    protocols
        .parse(target, &text)
        .map_err(|e| UsageError(e.to_string()))
}

/// Read a scenario file, at most one byte more than the scenario size limit (the parser then
/// refuses it), so that a huge file is never read whole.
fn read_limited(path: &Path) -> io::Result<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    File::open(path)?
        .take(scenario::MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the file is not UTF-8 text (a scenario is a TOML file)",
        )
    })
}

/// Print a scenario's warnings (`warning: FILE:LINE: ...`) to standard error: the first
/// twenty, then how many more (a generated schedule may have thousands).
pub fn warn(warnings: &[scenario::ScenarioError]) {
    const SHOWN: usize = 20;
    for w in warnings.iter().take(SHOWN) {
        eprintln!("warning: {w}");
    }
    if warnings.len() > SHOWN {
        eprintln!("warning: ... and {} more", warnings.len() - SHOWN);
    }
}

/// Apply the command line's overrides to a scenario.
fn apply_overrides(s: &mut Scenario, a: &RunArgs) -> Result<(), UsageError> {
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    if let Some(t) = a.until {
        s.until = t;
    }
    for (flag, key, value) in [
        ("--clients", "cluster.clients", a.clients),
        ("--nodes", "cluster.nodes", a.nodes),
        ("--requests", "workload.requests_per_client", a.requests),
    ] {
        if let Some(n) = value {
            s.set_count(key, n, flag).map_err(UsageError)?;
        }
    }
    if let Some(b) = &a.bug {
        s.set_bug(b)
            .map_err(|e| UsageError(format!("--bug: {e}")))?;
    }
    Ok(())
}

/// `synod run`.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let mut scenario = load(args.target.as_deref())?;
    apply_overrides(&mut scenario, args)?;
    let mut system = system::build(&scenario).map_err(|e| UsageError(e.to_string()))?;
    warn(&system.warnings);
    let names: Vec<String> = system.sim.specs().iter().map(|s| s.name.clone()).collect();

    let json = match &args.trace {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
            let header = json_header(scenario.seed, scenario.protocol.name, system.sim.specs());
            let trace = JsonTrace::new(BufWriter::new(file), &header)
                .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
            let shared = Shared::new(trace);
            system.sim.add_observer(Box::new(shared.clone()));
            Some((path, shared))
        }
        None => None,
    };
    let page = args.html.as_ref().map(|path| {
        let header = json_header(scenario.seed, scenario.protocol.name, system.sim.specs());
        // Writing to memory cannot fail.
        let trace = Shared::new(JsonTrace::new(Vec::new(), &header).expect("in memory"));
        system.sim.add_observer(Box::new(trace.clone()));
        (path, trace)
    });
    let printer = Shared::new(HumanPrinter::new(
        BufWriter::new(io::stdout().lock()),
        args.log_level,
        &names,
    ));
    system.sim.add_observer(Box::new(printer.clone()));
    let checks = Checks::attach_streaming(&mut system);

    interrupt::catch();
    {
        let mut p = printer.borrow_mut();
        let out = p.writer();
        writeln!(
            out,
            "synod run: {} (protocol {}, seed {}, until {})",
            scenario.name, scenario.protocol, scenario.seed, scenario.until
        )?;
        if !scenario.description.is_empty() {
            writeln!(out, "  {}", scenario.description.trim())?;
        }
        if args.legend || (args.log_level >= Level::Info && !args.no_legend) {
            write!(out, "{}", legend(scenario.protocol.legend, args.log_level))?;
        }
        out.flush()?;
    }
    let started = Instant::now();
    // Step by step rather than `run`, to notice Ctrl-C (then the summary covers the run so
    // far) and a reader that went away (`synod run | head`: no point going on).
    let end = loop {
        if interrupt::requested() || printer.borrow().failed() {
            break None;
        }
        if let Step::End(end) = system.sim.step() {
            break Some(end);
        }
    };
    let wall = started.elapsed();
    printer.borrow_mut().finish()?;
    if let Some((path, trace)) = &json {
        trace
            .borrow_mut()
            .finish()
            .map_err(|e| UsageError(format!("cannot write trace file `{path}`: {e}")))?;
    }
    let interrupted = end.is_none();
    // Judging includes the linearizability check of the client history, which can dwarf the
    // run itself with many clients: say how long it took. An interrupted run is judged as it
    // stands, as if its time limit were now.
    let judging = Instant::now();
    let report = judge::judge(
        &system,
        &checks,
        &scenario,
        end.unwrap_or(EndReason::TimeLimit),
    );
    let judged = judging.elapsed();
    let mut out = io::stdout().lock();
    print_summary(
        &mut out,
        &scenario,
        &report,
        wall.as_secs_f64(),
        interrupted,
        judged.as_secs_f64(),
    )?;
    if let Some((path, _)) = &json {
        writeln!(out, "trace written to {path}")?;
    }
    if let Some((path, trace)) = page {
        let text = String::from_utf8_lossy(trace.borrow().writer()).into_owned();
        let title = format!(
            "{} ({}, seed {})",
            scenario.name, scenario.protocol, scenario.seed
        );
        crate::view::write_page(
            &text,
            "the run",
            &title,
            scenario.description.trim(),
            Path::new(path),
        )?;
        writeln!(out, "page written to {path}")?;
    }
    Ok(if interrupted {
        ExitCode::from(interrupt::EXIT_CODE)
    } else if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The most memory the process has held (its peak resident set size), where the system says:
/// Linux's `VmHWM` in `/proc/self/status`.
pub fn peak_memory() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Print the summary: requests, stores, messages, expectations. `interrupted`: Ctrl-C stopped
/// the run, and the summary covers it so far.
pub fn print_summary(
    out: &mut impl Write,
    scenario: &Scenario,
    r: &Report,
    wall_secs: f64,
    interrupted: bool,
    judge_secs: f64,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "== summary: {} (seed {}) ==",
        scenario.name, scenario.seed
    )?;
    match &r.end {
        _ if interrupted => writeln!(
            out,
            "ended at {}: interrupted (Ctrl-C); this is the run so far",
            r.now
        )?,
        EndReason::Violation(v) if v.property == OVERLOADED => {
            writeln!(out, "ended at {}: ABORTED: {v}", r.now)?
        }
        EndReason::Violation(v) => writeln!(out, "ended at {}: SAFETY VIOLATION: {v}", r.now)?,
        end => writeln!(out, "ended at {}: {end}", r.now)?,
    }
    // One line of figures that depend on the machine (tests leave it out).
    let mut figures = format!(
        "wall time: {:.1} ms for {} events, then {:.1} ms for the end-of-run checks (linearizability)",
        wall_secs * 1000.0,
        r.stats.events,
        judge_secs * 1000.0
    );
    if let Some(bytes) = peak_memory() {
        figures.push_str(&format!("; peak memory {}", show_bytes(bytes)));
    }
    if let Some(st) = &r.stream {
        figures.push_str(&format!(
            " (the streaming linearizability check held at most {} operations)",
            st.max_held
        ));
    }
    writeln!(out, "{figures}")?;

    // Requests by kind: issued, ok, error, unfinished.
    let total = r.requests.total();
    if total[0] > 0 {
        writeln!(
            out,
            "requests: {} issued, {} succeeded, {} failed, {} unfinished",
            total[0], total[1], total[2], total[3]
        )?;
    }
    for (kind, row) in &r.requests.kinds {
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
                    .details()
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
    let verdict = match (interrupted, r.passed()) {
        (true, _) => "INTERRUPTED",
        (false, true) => "PASS",
        (false, false) => "FAIL",
    };
    // Expectations judge what a scenario asks for; a run that did nothing useful must not look
    // like a success for all that.
    let mut warnings = Vec::new();
    if total[0] > 0 && total[1] == 0 {
        warnings.push(format!("no request succeeded ({} issued)", total[0]));
    }
    if !r.servers.is_empty() && r.servers.iter().all(|(_, st)| st.is_none()) {
        warnings.push("every server is down at the end".to_string());
    }
    if warnings.is_empty() {
        writeln!(out, "result: {verdict}")?;
    } else {
        writeln!(out, "result: {verdict}, but {}", warnings.join(" and "))?;
    }
    out.flush()
}
