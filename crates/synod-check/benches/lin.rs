//! Benchmark of the linearizability checker; prints figures, asserts nothing about speed.
//!
//! 1. The Jepsen etcd corpus (102 cas-register histories): parse time, then check time in total
//!    and for the slowest file (best of several rounds, one core).
//! 2. Large synthetic synod KV histories (10,000 operations over 50 keys, 10 clients), written
//!    as a synod trace and parsed back: parse and check time, and peak memory. Also the same
//!    history with one read altered, which must be found non-linearizable.
//! 3. A harder shape: 10,000 KV operations over only 5 keys with 10% indefinite results.
//!
//! Run with `cargo bench -p synod-check --bench lin`.
#![allow(clippy::disallowed_methods)] // a benchmark reads files and the wall clock

#[path = "../tests/support/synth.rs"]
mod synth;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use synod_check::{Budget, ModelKind, Verdict, check_history, parse_jepsen_log, parse_trace};

const ROUNDS: usize = 7;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Peak resident memory of the process (VmHWM), in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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

    // Best of ROUNDS for each file.
    let mut best = vec![Duration::MAX; histories.len()];
    let mut verdicts = (0, 0);
    for round in 0..ROUNDS {
        for (i, h) in histories.iter().enumerate() {
            let t = Instant::now();
            let report =
                check_history(h, ModelKind::CasRegister, &mut Budget::unlimited()).expect("checks");
            best[i] = best[i].min(t.elapsed());
            if round == 0 {
                match report.verdict {
                    Verdict::Linearizable => verdicts.0 += 1,
                    _ => verdicts.1 += 1,
                }
            }
        }
    }
    let total: Duration = best.iter().sum();
    let (slowest, slowest_time) = best
        .iter()
        .enumerate()
        .max_by_key(|(_, d)| **d)
        .map(|(i, d)| (&files[i].0, *d))
        .expect("files");
    println!(
        "etcd corpus: {} files, {ops} operations; {} linearizable, {} not",
        histories.len(),
        verdicts.0,
        verdicts.1
    );
    println!("  parse (all files):       {}", ms(parse));
    println!(
        "  check total:             {}   (best of {ROUNDS} per file)",
        ms(total)
    );
    println!("  slowest file:            {slowest} {}", ms(slowest_time));
    println!("  targets: total < 230 ms, slowest < 80 ms (Porcupine: ~450 ms, etcd_002 ~160 ms)");
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

        let t = Instant::now();
        let report =
            check_history(&parsed, ModelKind::Kv, &mut Budget::unlimited()).expect("checks");
        let check = t.elapsed();
        assert!(
            report.verdict.is_linearizable(),
            "synthetic history by construction"
        );

        let reads = synth::definite_reads(&parsed);
        let broken = synth::with_impossible_read(&parsed, reads[reads.len() / 2]);
        let t = Instant::now();
        let bad = check_history(&broken, ModelKind::Kv, &mut Budget::unlimited()).expect("checks");
        let check_bad = t.elapsed();
        assert!(matches!(bad.verdict, Verdict::NotLinearizable(_)));

        println!(
            " seed {seed}: {} operations on {} keys, {} trace lines",
            parsed.operations.len(),
            report.partitions,
            trace.lines().count()
        );
        println!("  parse trace:             {}", ms(parse));
        println!(
            "  check:                   {}   ({}, {} steps)",
            ms(check),
            report.verdict.label(),
            report.steps
        );
        println!(
            "  check, one read altered: {}   ({}, {} steps)",
            ms(check_bad),
            bad.verdict.label(),
            bad.steps
        );
        match peak_rss_kib() {
            Some(peak) => println!(
                "  peak memory: {:.1} MiB RSS for the whole process so far (history, trace text and check), largest memo table {:.1} KiB",
                peak as f64 / 1024.0,
                report.peak_bytes.max(bad.peak_bytes) as f64 / 1024.0
            ),
            None => println!(
                "  largest memo table {:.1} KiB (no /proc/self/status here for the process's peak)",
                report.peak_bytes.max(bad.peak_bytes) as f64 / 1024.0
            ),
        }
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench too; the work is the same.
    etcd();
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
    println!("  target: 10,000 KV operations in < 1 s");
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
