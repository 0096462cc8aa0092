//! The streaming check ([`synod_check::Stream`]) gives the whole-history check's verdict on
//! every vendored history: the 102 Jepsen etcd histories (compare-and-set register, many
//! indefinite operations) and Porcupine's six key-value histories (append-kv), linearizable
//! and not.
#![allow(clippy::disallowed_methods)] // the test reads the corpus from disk

use std::path::PathBuf;
use synod_check::{
    AppendKv, Budget, CasRegister, CheckReport, History, Model, StreamLimits, Verdict, check,
    check_streamed, parse_edn, parse_jepsen_log,
};

fn data(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
}

/// The verdicts of both checks: (whole, streamed).
fn both<M: Model>(fresh: impl Fn() -> M, h: &History) -> (CheckReport, CheckReport) {
    let whole = check(&mut fresh(), h, &mut Budget::unlimited()).expect("model reads it");
    let streamed = check_streamed(fresh(), h, StreamLimits::default()).expect("model reads it");
    (whole, streamed)
}

fn label(r: &CheckReport) -> &'static str {
    r.verdict.label()
}

#[test]
fn streaming_agrees_with_the_whole_check_on_the_etcd_corpus() {
    let dir = data("jepsen-etcd");
    let verdicts = std::fs::read_to_string(dir.join("verdicts.tsv")).expect("verdicts.tsv");
    let mut wrong = Vec::new();
    let mut counts = [0; 2];
    for line in verdicts.lines().skip(1) {
        let (file, expected) = line.split_once('\t').expect("file<TAB>verdict");
        let expected: bool = expected.trim().parse().expect("true or false");
        let text = std::fs::read_to_string(dir.join(file)).expect("history file");
        let h = parse_jepsen_log(file, &text).expect("parses");
        let (whole, streamed) = both(CasRegister::new, &h);
        assert_eq!(whole.verdict.is_linearizable(), expected, "{file}");
        if label(&whole) != label(&streamed) {
            wrong.push(format!(
                "{file}: whole {}, streamed {}",
                whole.summary(),
                streamed.summary()
            ));
        }
        counts[usize::from(expected)] += 1;
        // The refuted key is the same one: the first whose forced operation has no place.
        if let (Verdict::NotLinearizable(a), Verdict::NotLinearizable(b)) =
            (&whole.verdict, &streamed.verdict)
        {
            assert_eq!(a.partition, b.partition, "{file}");
            assert!(b.streamed);
            assert!(b.to_string().contains("in none of them"), "{b}");
        }
    }
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
    assert_eq!(counts, [79, 23], "79 not linearizable, 23 linearizable");
}

#[test]
fn streaming_agrees_with_the_whole_check_on_the_porcupine_histories() {
    for clients in ["c01", "c10", "c50"] {
        for (suffix, linearizable) in [("ok", true), ("bad", false)] {
            let file = format!("{clients}-{suffix}.txt");
            let text = std::fs::read_to_string(data("porcupine-kv").join(&file)).expect("file");
            let h = parse_edn(&file, &text).expect("parses");
            let (whole, streamed) = both(AppendKv::new, &h);
            assert_eq!(whole.verdict.is_linearizable(), linearizable, "{file}");
            assert_eq!(
                label(&whole),
                label(&streamed),
                "{file}: whole {}, streamed {}",
                whole.summary(),
                streamed.summary()
            );
            assert_eq!(whole.partitions, streamed.partitions, "{file}");
        }
    }
}
