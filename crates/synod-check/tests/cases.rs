//! Hand-written small histories, each with the verdict a person reaches on paper.
//!
//! Operations are written as `(client, "f key [value]", "result", call, return)`, where a
//! return of 0 means the operation never returned; results are `ok`, `ok VALUE`, `error: ...`
//! or `unknown`.

use synod_check::{
    Budget, History, ModelKind, Operation, Output, Value, Verdict, check_history, parse_edn,
};

fn history(ops: &[(u64, &str, &str, u64, u64)]) -> History {
    let operations = ops
        .iter()
        .map(|&(client, input, result, call, ret)| {
            let mut words = input.split_whitespace();
            let f = words.next().expect("f").to_string();
            let key = words.next().map(str::to_string);
            let value = words.next().map_or(Value::Nil, |v| Value::Str(v.into()));
            let output = if let Some(e) = result.strip_prefix("error: ") {
                Output::Fail {
                    error: Some(e.into()),
                }
            } else if result == "unknown" {
                Output::Unknown
            } else if let Some(v) = result.strip_prefix("ok ") {
                Output::Ok {
                    value: Value::Str(v.into()),
                }
            } else {
                assert_eq!(result, "ok");
                Output::Ok { value: Value::Nil }
            };
            Operation {
                client,
                f,
                key,
                value,
                output,
                call,
                ret: (ret != 0).then_some(ret),
            }
        })
        .collect();
    History {
        name: "case".into(),
        operations,
    }
}

fn kv(ops: &[(u64, &str, &str, u64, u64)]) -> Verdict {
    check_history(&history(ops), ModelKind::Kv, &mut Budget::unlimited())
        .expect("known operations")
        .verdict
}

#[test]
fn stale_read_after_a_completed_write() {
    // The put returned before the get was invoked, so the get must see it.
    let verdict = kv(&[
        (1, "put a v1", "ok", 1, 2),
        (2, "get a", "error: key not found: a", 3, 4),
    ]);
    let Verdict::NotLinearizable(why) = verdict else {
        panic!("stale read accepted: {verdict:?}")
    };
    assert_eq!(why.partition.as_deref(), Some("a"));
    assert_eq!(why.prefix.len(), 1);
    // No get returns v1, so the checker treats it like any unread value, and says so.
    assert_eq!(why.state, "\"v1\" (no get returns it)");
    assert_eq!(
        why.blocked.to_string(),
        "client 2: get \"a\" -> error: key not found: a"
    );
    // Overlapping instead, the get may come first.
    assert_eq!(
        kv(&[
            (1, "put a v1", "ok", 1, 3),
            (2, "get a", "error: key not found: a", 2, 4),
        ]),
        Verdict::Linearizable
    );
}

#[test]
fn a_report_summarises_in_one_line() {
    let h = history(&[(1, "put a x", "ok", 1, 4), (2, "put a y", "ok", 2, 5)]);
    let report = check_history(&h, ModelKind::Kv, &mut Budget::unlimited()).unwrap();
    assert_eq!(
        report.summary(),
        "NOT linearizable at key \"a\" (2 operations, 1 key)"
    );
    let h = history(&[(1, "put a x", "ok", 1, 4), (2, "put b y", "ok", 2, 5)]);
    let report = check_history(&h, ModelKind::Kv, &mut Budget::unlimited()).unwrap();
    assert_eq!(report.summary(), "linearizable (2 operations, 2 keys)");
}

#[test]
fn concurrent_puts_on_one_key_cannot_both_succeed() {
    let verdict = kv(&[(1, "put a x", "ok", 1, 4), (2, "put a y", "ok", 2, 5)]);
    let Verdict::NotLinearizable(why) = verdict else {
        panic!("two successful put-if-absent accepted")
    };
    assert_eq!(why.prefix.len(), 1);
    assert_eq!(why.candidates.len(), 1, "only the other put is left");
    // One of them failing is fine, whichever order.
    assert_eq!(
        kv(&[
            (1, "put a x", "ok", 1, 4),
            (2, "put a y", "error: key already exists: a", 2, 5),
        ]),
        Verdict::Linearizable
    );
    assert_eq!(
        kv(&[
            (1, "put a x", "error: key already exists: a", 1, 4),
            (2, "put a y", "ok", 2, 5),
        ]),
        Verdict::Linearizable
    );
    // Puts on different keys are independent partitions.
    assert_eq!(
        kv(&[(1, "put a x", "ok", 1, 4), (2, "put b y", "ok", 2, 5)]),
        Verdict::Linearizable
    );
}

#[test]
fn a_pending_put_may_take_effect_later() {
    // The put never returns; a get long after sees its value: it took effect in between.
    assert_eq!(
        kv(&[(1, "put a x", "ok", 1, 0), (2, "get a", "ok x", 10, 11)]),
        Verdict::Linearizable
    );
    // The same with an indefinite result (the client timed out) before the get.
    assert_eq!(
        kv(&[
            (1, "put a x", "unknown", 1, 3),
            (2, "get a", "ok x", 10, 11)
        ]),
        Verdict::Linearizable
    );
    // ... or it may never take effect.
    assert_eq!(
        kv(&[
            (1, "put a x", "unknown", 1, 3),
            (2, "get a", "error: key not found: a", 10, 11),
            (3, "put a y", "ok", 12, 13),
        ]),
        Verdict::Linearizable
    );
    // But not before it was invoked.
    assert!(matches!(
        kv(&[(2, "get a", "ok x", 1, 2), (1, "put a x", "ok", 3, 0)]),
        Verdict::NotLinearizable(_)
    ));
    // And not twice: once seen, then gone without a delete, is impossible.
    assert!(matches!(
        kv(&[
            (1, "put a x", "unknown", 1, 2),
            (2, "get a", "ok x", 3, 4),
            (2, "get a", "error: key not found: a", 5, 6),
        ]),
        Verdict::NotLinearizable(_)
    ));
}

#[test]
fn a_delete_racing_a_get() {
    let setup = (1, "put a v", "ok", 1, 2);
    // The get overlaps the delete: it may see the value or not.
    assert_eq!(
        kv(&[
            setup,
            (2, "delete a", "ok", 3, 6),
            (3, "get a", "ok v", 4, 5)
        ]),
        Verdict::Linearizable
    );
    assert_eq!(
        kv(&[
            setup,
            (2, "delete a", "ok", 3, 6),
            (3, "get a", "error: key not found: a", 4, 5)
        ]),
        Verdict::Linearizable
    );
    // After the delete returned, the value is gone.
    assert!(matches!(
        kv(&[
            setup,
            (2, "delete a", "ok", 3, 4),
            (3, "get a", "ok v", 5, 6)
        ]),
        Verdict::NotLinearizable(_)
    ));
    // Two deletes racing: only one can succeed.
    assert!(matches!(
        kv(&[
            setup,
            (2, "delete a", "ok", 3, 6),
            (3, "delete a", "ok", 4, 5)
        ]),
        Verdict::NotLinearizable(_)
    ));
}

#[test]
fn an_explanation_reads_as_a_story() {
    let verdict = kv(&[
        (1, "put a v1", "ok", 1, 2),
        (2, "delete a", "ok", 3, 4),
        (3, "get a", "ok v1", 5, 8),
        (4, "put a v2", "unknown", 6, 0),
    ]);
    let Verdict::NotLinearizable(why) = verdict else {
        panic!("read after delete accepted")
    };
    let expected = r#"  key "a" is not linearizable under the kv model (4 operations)
  longest linearizable prefix: 2 operations, starting from state absent
         1..2       client 1: put "a" "v1" -> ok           => "v1"
         3..4       client 2: delete "a" -> ok             => absent
  then the state is absent, and this operation must take effect before it returns at 8:
         5..8       client 3: get "a" -> ok "v1"
  but none of the operations invoked by then can come next:
         5..8       client 3: get "a" -> ok "v1"           impossible in state absent
         6..        client 4: put "a" "v2" -> (no return)  possible, but nothing linearizable follows
"#;
    assert_eq!(why.to_string(), expected);
}

#[test]
fn an_operation_the_model_does_not_know_is_an_error() {
    let h = history(&[(1, "append a x", "ok", 1, 2)]);
    let err = check_history(&h, ModelKind::Kv, &mut Budget::unlimited()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "case:1: the kv model cannot check `client 1: append \"a\" \"x\" -> ok`: unknown operation `append` (the KV model knows put, get and delete)"
    );
    let err = check_history(&h, ModelKind::CasRegister, &mut Budget::unlimited()).unwrap_err();
    assert!(err.to_string().contains("knows read, write and cas"));
}

#[test]
fn maelstrom_lin_kv_histories_are_partitioned_by_key() {
    // Jepsen independent tuples: [key value], [key [from to]].
    let text = "{:process 0, :type :invoke, :f :write, :value [1 3]}\n\
                {:process 0, :type :ok, :f :write, :value [1 3]}\n\
                {:process 1, :type :invoke, :f :write, :value [2 4]}\n\
                {:process 1, :type :ok, :f :write, :value [2 4]}\n\
                {:process 0, :type :invoke, :f :cas, :value [1 [3 5]]}\n\
                {:process 0, :type :ok, :f :cas, :value [1 [3 5]]}\n\
                {:process 1, :type :invoke, :f :read, :value [2 nil]}\n\
                {:process 1, :type :ok, :f :read, :value [2 4]}\n\
                {:process 2, :type :invoke, :f :read, :value [1 nil]}\n\
                {:process 2, :type :ok, :f :read, :value [1 3]}\n";
    let h = parse_edn("lin-kv.edn", text).unwrap();
    let report = check_history(&h, ModelKind::CasRegister, &mut Budget::unlimited()).unwrap();
    assert_eq!(report.partitions, 2);
    let Verdict::NotLinearizable(why) = report.verdict else {
        panic!("read of 3 after cas 3->5 accepted")
    };
    assert_eq!(why.partition.as_deref(), Some("1"));
    assert_eq!(why.state, "5 (no read returns it)");
}

#[test]
fn a_budget_gives_unknown_instead_of_running_forever() {
    let h = history(&[
        (1, "put a x", "ok", 1, 4),
        (2, "put a y", "error: key already exists: a", 2, 5),
        (3, "get a", "ok x", 6, 7),
    ]);
    let mut budget = Budget::unlimited().with_max_steps(1);
    let report = check_history(&h, ModelKind::Kv, &mut budget).unwrap();
    assert!(matches!(report.verdict, Verdict::Unknown(_)));
    let mut polls = 0;
    let mut budget = Budget::unlimited().with_stop(|| {
        polls += 1;
        true
    });
    // Small searches finish before the first poll.
    let report = check_history(&h, ModelKind::Kv, &mut budget).unwrap();
    assert_eq!(report.verdict, Verdict::Linearizable);
}
