//! Property tests: a history produced by executing operations one at a time against the model,
//! with random overlapping invocation/return intervals that contain each operation's real effect
//! point, is linearizable; the same history with one read altered to a value never written is
//! not.

mod support;

use proptest::prelude::*;
use support::synth::{self, Shape};
use synod_check::{Budget, ModelKind, Verdict, check_history, parse_trace};

fn shape() -> impl Strategy<Value = Shape> {
    (1usize..80, 1usize..4, 1usize..7, 0u64..30, 2u64..30).prop_map(
        |(ops, keys, clients, unknown_percent, max_duration)| Shape {
            ops,
            keys,
            clients,
            unknown_percent,
            max_duration,
        },
    )
}

fn verdict(h: &synod_check::History, kind: ModelKind) -> Verdict {
    check_history(h, kind, &mut Budget::unlimited())
        .expect("the model knows every operation")
        .verdict
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sequential_kv_executions_are_linearizable(seed: u64, shape in shape()) {
        let h = synth::kv_history(seed, shape);
        prop_assert_eq!(verdict(&h, ModelKind::Kv), Verdict::Linearizable);
        // The same history written as a synod trace and read back.
        let parsed = parse_trace("t.jsonl", &synth::to_trace(&h)).expect("parses");
        prop_assert_eq!(parsed.operations.len(), h.operations.len());
        prop_assert_eq!(verdict(&parsed, ModelKind::Kv), Verdict::Linearizable);
    }

    #[test]
    fn a_kv_read_of_a_value_never_written_is_caught(seed: u64, shape in shape(), pick: usize) {
        let h = synth::kv_history(seed, shape);
        let reads = synth::definite_reads(&h);
        prop_assume!(!reads.is_empty());
        let index = reads[pick % reads.len()];
        let broken = synth::with_impossible_read(&h, index);
        let Verdict::NotLinearizable(why) = verdict(&broken, ModelKind::Kv) else {
            return Err(TestCaseError::fail("altered read accepted"));
        };
        prop_assert_eq!(why.partition.as_ref(), broken.operations[index].key.as_ref());
    }

    #[test]
    fn sequential_register_executions_are_linearizable(seed: u64, shape in shape()) {
        let h = synth::register_history(seed, shape);
        prop_assert_eq!(verdict(&h, ModelKind::CasRegister), Verdict::Linearizable);
    }

    #[test]
    fn a_register_read_of_a_value_never_written_is_caught(seed: u64, shape in shape(), pick: usize) {
        let h = synth::register_history(seed, shape);
        let reads = synth::definite_reads(&h);
        prop_assume!(!reads.is_empty());
        let broken = synth::with_impossible_read(&h, reads[pick % reads.len()]);
        prop_assert!(matches!(verdict(&broken, ModelKind::CasRegister), Verdict::NotLinearizable(_)));
    }

    /// A budget only ever turns a verdict into "unknown", never into a different verdict.
    #[test]
    fn a_small_budget_gives_unknown_or_the_same_verdict(
        seed: u64, shape in shape(), steps in 1u64..200, pick: usize, alter: bool,
    ) {
        let mut h = synth::register_history(seed, shape);
        let reads = synth::definite_reads(&h);
        if alter && !reads.is_empty() {
            h = synth::with_impossible_read(&h, reads[pick % reads.len()]);
        }
        let full = verdict(&h, ModelKind::CasRegister);
        let mut budget = Budget::unlimited().with_max_steps(steps);
        let limited = check_history(&h, ModelKind::CasRegister, &mut budget).expect("checks");
        prop_assert!(budget.steps_used() <= steps + 1);
        match limited.verdict {
            Verdict::Unknown(_) => {}
            v => prop_assert_eq!(v, full),
        }
    }
}
