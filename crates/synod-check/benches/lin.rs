//! Benchmark of the linearizability checker; prints figures (minimum and median of several
//! runs: the machine is shared and noisy), asserts only the verdicts.
//!
//! 1. The Jepsen etcd corpus (102 cas-register histories, one key each): parse time, then
//!    check time in total and for the slowest file.
//! 2. Porcupine's six key-value histories (`append-kv`, 10 keys, 1 to 50 clients), on one
//!    thread and on every core.
//! 3. Large synthetic synod KV histories (10,000 operations), linearizable and with one read
//!    altered, and a harder shape with few keys and many timeouts.
//! 4. One impossible read planted on one key of a 10,000-operation history of 100 clients,
//!    checked under a 50 ms deadline (as `synod lin --timeout 0.05`).
//! 5. Raft histories written by `synod run` (scripts/lin-bench-traces.sh writes them into
//!    target/lin-bench/; skipped when absent): 10,000 operations from 50 and from 100 clients,
//!    and 100,000 from 100 clients, on one thread and on every core, then under a small
//!    memory bound (a clean `unknown`).
//!
//! Run with `cargo bench -p synod-check --bench lin`, or `... --bench lin -- raft` for the
//! sections whose name holds `raft` (etcd, porcupine, synthetic, planted, raft).
#![allow(clippy::disallowed_methods)] // a benchmark reads files, the wall clock, and starts threads

#[path = "../tests/support/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use synod_check::{
    Budget, CheckReport, Detail, GaveUp, History, Limits, ModelKind, Verdict, Work, check_history,
    check_history_with, parse_edn, parse_jepsen_log, parse_trace, show_bytes,
};

/// Runs of each measured check (fewer for the slow ones).
const ROUNDS: usize = 7;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Minimum and median of `times`.
fn min_median(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

fn show(times: &mut [Duration]) -> String {
    let (min, median) = min_median(times);
    format!("min {:>10}  median {:>10}", ms(min), ms(median))
}

/// Peak resident memory of the process (VmHWM), in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Checks on `threads` threads (as `synod lin --threads` does), with an optional deadline.
fn check_on(
    history: &History,
    kind: ModelKind,
    threads: usize,
    limits: Limits,
    deadline: Option<Duration>,
) -> (CheckReport, Duration) {
    let start = Instant::now();
    let stop = move || deadline.is_some_and(|d| start.elapsed() >= d);
    let mut drive = |work: &dyn Work| {
        let n = threads.min(work.keys()).max(1);
        std::thread::scope(|scope| {
            for _ in 1..n {
                scope.spawn(move || work.work(&mut { stop }));
            }
            work.work(&mut { stop });
        });
    };
    let report = check_history_with(history, kind, limits, threads, Detail::Verdicts, &mut drive)
        .expect("the model knows every operation");
    (report, start.elapsed())
}

/// Times `rounds` checks on one thread and `rounds` on every core, which must agree; returns
/// the one-thread report and the figures as text.
fn one_and_all(
    history: &History,
    kind: ModelKind,
    rounds: usize,
    name: &str,
) -> (CheckReport, String) {
    let threads = cores();
    let (one, mut t1) = time_checks(history, kind, 1, rounds);
    let (all, mut tn) = time_checks(history, kind, threads, rounds);
    assert_eq!(
        one.verdict, all.verdict,
        "{name}: same verdict on any thread count"
    );
    let text = format!(
        "1 thread: {}   {threads} threads: {}",
        show(&mut t1),
        show(&mut tn)
    );
    (one, text)
}

/// Times `rounds` KV checks under a 50 ms deadline (as `synod lin --timeout 0.05`); returns the
/// times and the last verdict.
fn under_deadline(history: &History, threads: usize, rounds: usize) -> (Vec<Duration>, String) {
    let mut times = Vec::with_capacity(rounds);
    let mut verdict = String::new();
    for _ in 0..rounds {
        let deadline = Some(Duration::from_millis(50));
        let (report, took) = check_on(history, ModelKind::Kv, threads, Limits::default(), deadline);
        times.push(took);
        verdict = report.summary();
    }
    (times, verdict)
}

/// Times `rounds` checks on `threads` threads; every run must reach the same verdict.
fn time_checks(
    history: &History,
    kind: ModelKind,
    threads: usize,
    rounds: usize,
) -> (CheckReport, Vec<Duration>) {
    let mut times = Vec::with_capacity(rounds);
    let mut first: Option<CheckReport> = None;
    for _ in 0..rounds {
        let (report, took) = check_on(history, kind, threads, Limits::default(), None);
        times.push(took);
        if let Some(first) = &first {
            assert_eq!(first.verdict, report.verdict, "same verdict every run");
        } else {
            first = Some(report);
        }
    }
    (first.expect("rounds > 0"), times)
}

fn etcd() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jepsen-etcd");
    let verdicts = std::fs::read_to_string(dir.join("verdicts.tsv")).expect("verdicts.tsv");
    let files: Vec<(String, String)> = verdicts
        .lines()
        .skip(1)
        .map(|l| {
            let file = l.split('\t').next().expect("file").to_string();
            let text = std::fs::read_to_string(dir.join(&file)).expect("history");
            (file, text)
        })
        .collect();

    let t = Instant::now();
    let histories: Vec<_> = files
        .iter()
        .map(|(f, text)| parse_jepsen_log(f, text).expect("parses"))
        .collect();
    let parse = t.elapsed();
    let ops: usize = histories.iter().map(|h| h.operations.len()).sum();

    // The whole corpus, ROUNDS times, on the caller's thread (one key per file).
    let mut totals = Vec::with_capacity(ROUNDS);
    let mut per_file = vec![Duration::MAX; histories.len()];
    let mut counts = (0, 0);
    for round in 0..ROUNDS {
        let mut total = Duration::ZERO;
        for (i, h) in histories.iter().enumerate() {
            let t = Instant::now();
            let report =
                check_history(h, ModelKind::CasRegister, &mut Budget::unlimited()).expect("checks");
            let took = t.elapsed();
            total += took;
            per_file[i] = per_file[i].min(took);
            if round == 0 {
                match report.verdict {
                    Verdict::Linearizable => counts.0 += 1,
                    _ => counts.1 += 1,
                }
            }
        }
        totals.push(total);
    }
    assert_eq!(counts, (23, 79), "the published verdicts");
    let (slowest, slowest_time) = per_file
        .iter()
        .enumerate()
        .max_by_key(|(_, d)| **d)
        .map(|(i, d)| (&files[i].0, *d))
        .expect("files");
    println!(
        "etcd corpus: {} files, {ops} operations; {} linearizable, {} not (the published verdicts)",
        histories.len(),
        counts.0,
        counts.1
    );
    println!("  parse (all files):      {}", ms(parse));
    println!(
        "  check, all files:       {}   ({ROUNDS} rounds, one thread)",
        show(&mut totals)
    );
    println!(
        "  sum of each file's best: {}   (the previous edition's figure)",
        ms(per_file.iter().sum())
    );
    println!(
        "  slowest file:           {slowest} {} (its best round)",
        ms(slowest_time)
    );
    println!("  target: < 15 ms in all (Porcupine on this machine, per issue #18: 805 ms)");
}

fn porcupine() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/porcupine-kv");
    let threads = cores();
    println!(
        "Porcupine kv histories (append-kv model, 10 keys), one thread and {threads} threads:"
    );
    for clients in ["c01", "c10", "c50"] {
        for (suffix, linearizable) in [("ok", true), ("bad", false)] {
            let file = format!("{clients}-{suffix}.txt");
            let text = std::fs::read_to_string(dir.join(&file)).expect("history");
            let t = Instant::now();
            let h = parse_edn(&file, &text).expect("parses");
            let parse = t.elapsed();
            let (one, times) = one_and_all(&h, ModelKind::AppendKv, ROUNDS, &file);
            assert_eq!(one.verdict.is_linearizable(), linearizable, "{file}");
            println!(
                "  {file:<12} {:>5} ops  {:<16}  parse {:>8}   {times}   ({} steps)",
                h.operations.len(),
                one.verdict.label(),
                ms(parse),
                one.steps
            );
        }
    }
    println!(
        "  targets: c50-bad refuted < 30 ms, c50-ok checked < 100 ms (Porcupine on this machine, per issue #18: 30 ms and 230 ms)"
    );
}

fn synthetic_kv(label: &str, shape: synth::Shape) {
    println!(
        "{label}: {} operations over {} keys, {} clients, {}% indefinite, intervals up to {}",
        shape.ops, shape.keys, shape.clients, shape.unknown_percent, shape.max_duration
    );
    for seed in [1u64, 2, 3] {
        let history = synth::kv_history(seed, shape);
        let trace = synth::to_trace(&history);
        let t = Instant::now();
        let parsed = parse_trace("synthetic.jsonl", &trace).expect("parses");
        let parse = t.elapsed();
        let (report, mut times) = time_checks(&parsed, ModelKind::Kv, 1, 3);
        assert!(
            report.verdict.is_linearizable(),
            "synthetic history by construction"
        );
        let reads = synth::definite_reads(&parsed);
        let broken = synth::with_impossible_read(&parsed, reads[reads.len() / 2]);
        let (bad, mut bad_times) = time_checks(&broken, ModelKind::Kv, 1, 3);
        assert!(matches!(bad.verdict, Verdict::NotLinearizable(_)));
        println!(
            "  seed {seed}: parse {:>8}; check {} ({} steps); one read altered: {} ({}, {} steps); search structures {}",
            ms(parse),
            show(&mut times),
            report.steps,
            show(&mut bad_times),
            bad.verdict.label(),
            bad.steps,
            show_bytes(report.peak_bytes.max(bad.peak_bytes)),
        );
    }
}

/// A 10,000-operation history of 100 clients over 5 keys, an impossible read planted on the
/// key searched last, checked under a 50 ms deadline on one thread and on every core.
fn planted_read() {
    let shape = synth::Shape {
        max_duration: 400,
        ..synth::Shape::hundred_clients(0)
    };
    let h = synth::kv_history(7, shape);
    let last_key = {
        let (report, _) = check_on(&h, ModelKind::Kv, 1, Limits::default(), None);
        report.keys.last().and_then(|k| k.key.clone())
    };
    let reads: Vec<usize> = synth::definite_reads(&h)
        .into_iter()
        .filter(|&i| h.operations[i].key == last_key)
        .collect();
    let broken = synth::with_impossible_read(&h, reads[reads.len() / 2]);
    println!(
        "planted impossible read on key {:?} (searched last) of a 10,000-operation KV history, 100 clients, 5 keys, deadline 50 ms:",
        last_key.as_deref().unwrap_or("?")
    );
    for threads in [1, cores()] {
        let (mut times, verdict) = under_deadline(&broken, threads, ROUNDS);
        println!("  {threads} thread(s): {}   {verdict}", show(&mut times));
    }
}

/// Reads and parses a trace, timing the parse.
fn load_trace(path: &Path) -> Option<(History, Duration)> {
    let text = std::fs::read_to_string(path).ok()?;
    let t = Instant::now();
    let h = parse_trace(&path.display().to_string(), &text).expect("parses");
    Some((h, t.elapsed()))
}

fn raft() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/lin-bench");
    let files = [
        ("raft-c50-r200.jsonl", ROUNDS),
        ("raft-c100-r100.jsonl", ROUNDS),
        ("raft-c100-r1000.jsonl", 3),
    ];
    if !dir.join(files[0].0).exists() {
        println!(
            "Raft histories: none in {}; run scripts/lin-bench-traces.sh to write them (skipped)",
            dir.display()
        );
        return;
    }
    let threads = cores();
    println!(
        "Raft histories from `synod run` (3 servers, 5% loss, client timeout 100 ms), kv model:"
    );
    for (file, rounds) in files {
        let Some((h, parse)) = load_trace(&dir.join(file)) else {
            println!("  {file}: missing (skipped)");
            continue;
        };
        let (one, times) = one_and_all(&h, ModelKind::Kv, rounds, file);
        println!(
            "  {file:<22} {:>6} ops  {:<12}  parse {:>10}   {times}",
            h.operations.len(),
            one.verdict.label(),
            ms(parse),
        );
        println!(
            "  {:<22} {} steps, search structures at most {} at once (largest key {})",
            "",
            one.steps,
            show_bytes(one.peak_bytes),
            show_bytes(one.keys.iter().map(|k| k.peak_bytes).max().unwrap_or(0)),
        );
        if h.operations.len() == 10_000 {
            // The case: one impossible read planted on key "e", under a 50 ms deadline.
            let reads: Vec<usize> = synth::definite_reads(&h)
                .into_iter()
                .filter(|&i| h.operations[i].key.as_deref() == Some("e"))
                .filter(|&i| matches!(h.operations[i].output, synod_check::Output::Ok { .. }))
                .collect();
            let planted = synth::with_impossible_read(&h, reads[reads.len() / 2]);
            let (mut times, verdict) = under_deadline(&planted, threads, rounds);
            println!(
                "  {:<22} one impossible read planted on key \"e\", deadline 50 ms, {threads} threads: {}   {verdict}",
                "",
                show(&mut times)
            );
        }
        if h.operations.len() >= 100_000 {
            let bound = 16 << 20;
            let limits = Limits {
                max_steps: None,
                max_memory: Some(bound),
            };
            let (capped, took) = check_on(&h, ModelKind::Kv, threads, limits, None);
            let gave_up = capped
                .keys
                .iter()
                .filter(|k| matches!(k.status, synod_check::KeyStatus::GaveUp(GaveUp::Memory(_))))
                .count();
            println!(
                "  {:<22} under --max-memory 16M: {} in {} ({gave_up} keys reached the bound; structures peaked at {})",
                "",
                capped.summary(),
                ms(took),
                show_bytes(capped.peak_bytes)
            );
            assert!(capped.peak_bytes <= bound, "the bound holds");
        }
    }
    println!(
        "  targets: 10,000 operations of 50 clients < 100 ms; 100,000 of 100 clients: a verdict < 60 s and 2 GB"
    );
    if let Some(peak) = peak_rss_kib() {
        println!(
            "  peak RSS of the whole bench process: {:.1} MiB (trace text and histories included)",
            peak as f64 / 1024.0
        );
    }
}

fn main() {
    // `cargo bench -p synod-check --bench lin -- raft` runs the sections whose name contains
    // `raft` (etcd, porcupine, synthetic, planted, raft); no argument runs them all.
    // (`cargo test --benches` passes --bench, which selects everything, as it should.)
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let on = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if on("etcd") {
        etcd();
    }
    if on("porcupine") {
        porcupine();
    }
    if on("synthetic") {
        synthetic_kv(
            "synthetic synod KV",
            synth::Shape {
                ops: 10_000,
                keys: 50,
                clients: 10,
                unknown_percent: 2,
                max_duration: 40,
            },
        );
        synthetic_kv(
            "stress: synod KV with few keys and many timeouts",
            synth::Shape {
                ops: 10_000,
                keys: 5,
                clients: 10,
                unknown_percent: 10,
                max_duration: 100,
            },
        );
    }
    if on("planted") {
        planted_read();
    }
    if on("raft") {
        raft();
    }
}
