//! Porcupine's six key-value histories (its `kv` model: strings with put, get and append) get
//! their verdicts under the `append-kv` model, and the model is the one guessed for them.
#![allow(clippy::disallowed_methods)] // the test reads the corpus from disk

use std::path::PathBuf;
use synod_check::{Budget, Format, KeyStatus, ModelKind, Verdict, check_history, parse_edn};

fn history(file: &str) -> synod_check::History {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/porcupine-kv")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("history file");
    parse_edn(file, &text).expect("parses")
}

#[test]
fn every_porcupine_kv_history_gets_its_verdict() {
    for clients in ["c01", "c10", "c50"] {
        for (suffix, linearizable) in [("ok", true), ("bad", false)] {
            let file = format!("{clients}-{suffix}.txt");
            let h = history(&file);
            assert_eq!(
                ModelKind::guess(Format::Edn, &h),
                ModelKind::AppendKv,
                "{file}"
            );
            let report = check_history(&h, ModelKind::AppendKv, &mut Budget::unlimited())
                .expect("the append-kv model knows every operation");
            match &report.verdict {
                Verdict::Linearizable => assert!(linearizable, "{file} accepted"),
                Verdict::NotLinearizable(why) => {
                    assert!(!linearizable, "{file} refuted:\n{why}");
                    assert!(why.partition.is_some(), "{file}: keyed");
                }
                Verdict::Unknown(why) => panic!("{file}: no budget, yet unknown: {why}"),
            }
            assert!(
                (8..=10).contains(&report.partitions),
                "{file}: up to ten keys"
            );
        }
    }
}

#[test]
fn the_hard_key_of_c50_bad_does_not_hold_up_the_easy_ones() {
    // Every key of c50-bad is non-linearizable on its own, and some are hard to refute. Keys
    // are searched interleaved, so a small step budget per key still finds a refutation, and
    // the keys left behind are reported as skipped rather than holding up the verdict.
    let h = history("c50-bad.txt");
    let mut budget = Budget::unlimited().with_max_steps(200_000);
    let report = check_history(&h, ModelKind::AppendKv, &mut budget).expect("checks");
    let Verdict::NotLinearizable(why) = &report.verdict else {
        panic!(
            "c50-bad not refuted within 200,000 steps per key: {}",
            report.summary()
        )
    };
    let refuted: Vec<_> = report
        .keys
        .iter()
        .filter(|k| k.status == KeyStatus::NotLinearizable)
        .collect();
    assert_eq!(refuted.len(), 1);
    assert_eq!(refuted[0].key, why.partition);
    assert!(report.steps < 2_000_000, "{} steps", report.steps);
}
