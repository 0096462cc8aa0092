//! The 102 Jepsen etcd histories (compare-and-set register) get their published verdicts.
#![allow(clippy::disallowed_methods)] // the test reads the corpus from disk

use std::path::PathBuf;
use synod_check::{Budget, ModelKind, Verdict, check_history, parse_jepsen_log};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/jepsen-etcd")
}

#[test]
fn every_etcd_history_gets_its_published_verdict() {
    let dir = corpus();
    let verdicts = std::fs::read_to_string(dir.join("verdicts.tsv")).expect("verdicts.tsv");
    let mut counts = (0, 0);
    let mut wrong = Vec::new();
    for line in verdicts.lines().skip(1) {
        let (file, expected) = line.split_once('\t').expect("file<TAB>verdict");
        let expected: bool = expected.trim().parse().expect("true or false");
        let text = std::fs::read_to_string(dir.join(file)).expect("history file");
        let history = parse_jepsen_log(file, &text).expect("parses");
        let report = check_history(&history, ModelKind::CasRegister, &mut Budget::unlimited())
            .expect("the cas-register model knows every operation");
        let got = match &report.verdict {
            Verdict::Linearizable => true,
            Verdict::NotLinearizable(_) => false,
            Verdict::Unknown(_) => unreachable!("no budget"),
        };
        if got != expected {
            wrong.push(format!("{file}: expected {expected}, got {got}"));
        }
        if expected {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    assert_eq!(counts, (23, 79), "23 linearizable and 79 not");
}
