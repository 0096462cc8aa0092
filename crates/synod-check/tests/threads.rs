//! The keys of a history are searched interleaved and on any number of threads: the verdict
//! (and the explanation) must not depend on the number, and a memory bound must end a check
//! cleanly with `unknown`, never an abort.
#![allow(clippy::disallowed_methods)] // the tests start threads (as the CLI does) and read the corpus

mod support;

use std::path::PathBuf;
use support::synth;
use synod_check::{
    Budget, CheckReport, Detail, GaveUp, History, KeyStatus, Limits, ModelKind, Output, Value,
    Verdict, Work, check_history, check_history_with, parse_edn,
};

/// Checks on `threads` threads, as `synod lin --threads` does.
fn on_threads(h: &History, kind: ModelKind, threads: usize, limits: Limits) -> CheckReport {
    let mut drive = |work: &dyn Work| {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(move || work.work(&mut || false));
            }
            work.work(&mut || false);
        });
    };
    check_history_with(h, kind, limits, threads, Detail::Verdicts, &mut drive)
        .expect("the model knows every operation")
}

fn porcupine(file: &str) -> History {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/porcupine-kv")
        .join(file);
    parse_edn(file, &std::fs::read_to_string(path).expect("file")).expect("parses")
}

/// A synod KV history with a stale read planted on every other key: each such get returns a
/// value some put of that key wrote, but not the one it should see. Several keys are then
/// non-linearizable, found after different amounts of work.
fn stale_reads_on_many_keys(seed: u64) -> History {
    let shape = synth::Shape {
        ops: 3000,
        keys: 6,
        clients: 12,
        unknown_percent: 3,
        max_duration: 60,
    };
    let mut h = synth::kv_history(seed, shape);
    let keys: Vec<String> = (0..shape.keys)
        .step_by(2)
        .map(|k| format!("k{k}"))
        .collect();
    for key in keys {
        let puts: Vec<Value> = h
            .operations
            .iter()
            .filter(|op| op.f == "put" && op.key.as_deref() == Some(&key))
            .map(|op| op.value.clone())
            .collect();
        let gets: Vec<usize> = (0..h.operations.len())
            .filter(|&i| {
                let op = &h.operations[i];
                op.f == "get"
                    && op.key.as_deref() == Some(&key)
                    && matches!(op.output, Output::Ok { .. })
            })
            .collect();
        if let (Some(&g), Some(first)) = (gets.get(gets.len() * 3 / 4), puts.first()) {
            h.operations[g].output = Output::Ok {
                value: first.clone(),
            };
        }
    }
    h
}

#[test]
fn the_verdict_does_not_depend_on_the_number_of_threads() {
    let mut histories: Vec<(String, History, ModelKind)> =
        ["c10-bad.txt", "c50-bad.txt", "c50-ok.txt"]
            .iter()
            .map(|f| (f.to_string(), porcupine(f), ModelKind::AppendKv))
            .collect();
    for seed in 1..=6 {
        histories.push((
            format!("stale reads, seed {seed}"),
            stale_reads_on_many_keys(seed),
            ModelKind::Kv,
        ));
    }
    let mut refuted = 0;
    for (name, h, kind) in &histories {
        let one = check_history(h, *kind, &mut Budget::unlimited()).expect("checks");
        if matches!(one.verdict, Verdict::NotLinearizable(_)) {
            refuted += 1;
        }
        let explained = one
            .keys
            .iter()
            .find(|k| k.status == KeyStatus::NotLinearizable);
        for threads in [1, 2, 3, 4, 8] {
            // Several runs: the threads interleave differently each time.
            for _ in 0..3 {
                let many = on_threads(h, *kind, threads, Limits::default());
                assert_eq!(
                    one.verdict, many.verdict,
                    "{name}: {threads} threads give another verdict or explanation"
                );
                let again = many
                    .keys
                    .iter()
                    .find(|k| k.status == KeyStatus::NotLinearizable);
                assert_eq!(
                    explained.map(|k| (&k.key, k.steps, &k.order)),
                    again.map(|k| (&k.key, k.steps, &k.order)),
                    "{name}: the refuted key is searched the same way"
                );
            }
        }
    }
    assert!(
        refuted >= 6,
        "the histories exercise refutations: {refuted}"
    );
}

#[test]
fn a_memory_bound_ends_the_check_cleanly_with_unknown() {
    // 10,000 operations from 100 clients over 5 keys: the search needs a few MiB; give it
    // 1 MiB.
    let shape = synth::Shape::hundred_clients(2);
    let h = synth::kv_history(3, shape);
    let bound = 1 << 20;
    let limits = Limits {
        max_steps: None,
        max_memory: Some(bound),
    };
    for threads in [1, 2] {
        let report = on_threads(&h, ModelKind::Kv, threads, limits);
        let Verdict::Unknown(why) = &report.verdict else {
            panic!("expected unknown under a 1 MiB bound: {}", report.summary())
        };
        assert!(
            why.undecided
                .iter()
                .any(|(_, g)| matches!(g, GaveUp::Memory(_))),
            "{why}"
        );
        assert!(
            report.peak_bytes <= bound,
            "{} bytes held at once under a bound of {bound}",
            report.peak_bytes
        );
        assert!(
            why.to_string().contains("reached the memory bound"),
            "{why}"
        );
        // Without the bound the same history is linearizable: the bound only turned the
        // verdict into unknown.
        let free = on_threads(&h, ModelKind::Kv, threads, Limits::default());
        assert_eq!(free.verdict, Verdict::Linearizable);
        assert!(free.peak_bytes > bound, "the bound was binding");
    }
    // The same through the single-threaded entry point and its budget.
    let mut budget = Budget::unlimited().with_max_memory(bound);
    let report = check_history(&h, ModelKind::Kv, &mut budget).expect("checks");
    assert!(matches!(report.verdict, Verdict::Unknown(_)));
    assert!(report.peak_bytes <= bound);
}

#[test]
fn a_single_key_gets_the_whole_memory_bound_whatever_the_threads() {
    // One key: extra threads have nothing to do, and must not shrink its share of the bound.
    let shape = synth::Shape {
        ops: 2000,
        keys: 1,
        clients: 10,
        unknown_percent: 5,
        max_duration: 60,
    };
    let h = synth::kv_history(5, shape);
    let free = on_threads(&h, ModelKind::Kv, 1, Limits::default());
    assert_eq!(free.verdict, Verdict::Linearizable);
    // Room for what it needs, but not for twice that.
    let bound = free.peak_bytes * 3 / 2;
    let limits = Limits {
        max_steps: None,
        max_memory: Some(bound),
    };
    for threads in [1, 2, 8] {
        let report = on_threads(&h, ModelKind::Kv, threads, limits);
        assert_eq!(
            report.verdict,
            Verdict::Linearizable,
            "{threads} threads, bound {bound}: {}",
            report.summary()
        );
    }
}
