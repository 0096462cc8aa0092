//! Viewstamped Replication end to end: every scenario meets its expectations, the golden
//! narration of the fault-free run, determinism, 200 seeds of the default campaign, fresh
//! nonces, the planted bugs caught on pinned seeds, and bad input refused.
// The tests read scenario files and golden traces; the library itself does no IO.
#![allow(clippy::disallowed_methods)]

mod support;

use support::{assert_golden, load, narrate, run, scenario_files};
use synod_core::Level;
use synod_protocols::PROTOCOLS;
use synod_protocols::campaign::{self, Plan};
use synod_protocols::scenario::Scenario;
use synod_sim::EndReason;

/// The run narrated at `info`, and whether it met its expectations.
fn story(s: &Scenario) -> (String, bool) {
    let (text, report) = narrate(s, Some(Level::Info));
    (text, report.passed())
}

#[test]
fn every_vr_scenario_meets_its_expectations() {
    let files = scenario_files("vr-");
    for must in [
        "vr-fault-free.toml",
        "vr-primary-crash.toml",
        "vr-primary-partitioned.toml",
        "vr-backup-recovery.toml",
        "vr-lossy.toml",
    ] {
        assert!(files.iter().any(|f| f == must), "{must} missing: {files:?}");
    }
    for file in files {
        let s = load(&file);
        assert!(!s.description.is_empty(), "{file} has no description");
        let r = run(&s);
        assert!(r.passed(), "{file}: {:?} ({})", r.verdicts, r.end);
    }
}

#[test]
fn golden_trace_of_the_fault_free_run() {
    let (got, passed) = story(&load("vr-fault-free.toml"));
    assert!(passed);
    assert_golden("vr.txt", &got);
}

#[test]
fn same_seed_same_narration_and_another_seed_differs() {
    let mut s = load("vr-primary-crash.toml");
    let a = story(&s).0;
    assert_eq!(a, story(&s).0);
    s.seed += 1;
    assert_ne!(a, story(&s).0);
}

#[test]
fn a_fault_free_run_never_changes_views() {
    // Section 4: the primary of view 0 is replica 1 from the start, and its Prepares and
    // Commits keep every backup's view-change timeout from expiring.
    for seed in 1..=20 {
        let mut s = load("vr-fault-free.toml");
        s.seed = seed;
        let (text, passed) = story(&s);
        assert!(passed, "seed {seed}:\n{text}");
        assert!(!text.contains("view change"), "seed {seed}:\n{text}");
    }
}

#[test]
fn each_recovery_draws_a_fresh_nonce() {
    // Section 4.3: the nonce tells answers to this recovery from answers to an earlier one. It
    // comes from the node's random stream, which survives the crash: n3 restarts twice with
    // two different nonces, and recovers each time.
    let (text, passed) = story(&load("vr-backup-recovery.toml"));
    assert!(passed);
    let nonces: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[n3 recovering]") && l.contains("nonce "))
        .filter_map(|l| l.split("nonce ").nth(1)?.split(' ').next())
        .map(|n| n.trim_end_matches(['(', ' ']))
        .collect();
    assert_eq!(nonces.len(), 2, "{text}");
    assert_ne!(nonces[0], nonces[1]);
    assert_eq!(text.matches("normal again as a backup").count(), 2);
}

/// A campaign run of the built-in `vr` for `seed`, as `synod check vr` draws it.
fn sweep(seeds: std::ops::Range<u64>) {
    let base = PROTOCOLS.scenario("vr").unwrap();
    let (mut ops, mut runs) = (0, 0);
    for seed in seeds {
        let s = campaign::scenario_for(&base, &Plan::for_protocol(base.protocol), seed).unwrap();
        let r = campaign::run_judged(&s).unwrap();
        assert!(r.passed(), "seed {seed}: {:?} ({})", r.verdicts, r.end);
        ops += r.history.len();
        runs += 1;
    }
    // The clients keep working through the fault window: on average far more than the
    // scenario's own 3 clients x 5 requests (a seed whose faults stall the cluster completes
    // fewer).
    assert!(ops > 30 * runs, "{ops} operations in {runs} runs");
}

// 200 seeds of the default campaign (no safety violation; every request completes once the
// faults stop; the history is linearizable; the stores of the replicas that are up converge),
// in two parts so that the test runner spreads them over its threads. The same seeds and 800
// more run through `synod check vr` in crates/synod-cli/tests/check.rs
// (`a_correct_protocol_survives_a_campaign`); each seed of the default is 20 s of virtual
// time, so running all 1,000 here too would double the longest test.
#[test]
fn sweep_default_campaign_seeds_1_100_stay_safe_and_complete() {
    sweep(1..101);
}
#[test]
fn sweep_default_campaign_seeds_101_200_stay_safe_and_complete() {
    sweep(101..201);
}

/// Over seeds 0..10 of `correct`, nothing breaks; the seeds of `buggy` (the same schedule with
/// the bug) on which a safety property breaks, with the property. The seed `buggy` pins is
/// among them.
fn caught_on(correct: &str, buggy: &str) -> Vec<(u64, String)> {
    let mut caught = Vec::new();
    for seed in 0..10 {
        let mut ok = load(correct);
        ok.seed = seed;
        let r = run(&ok);
        assert!(
            !matches!(r.end, EndReason::Violation(_)),
            "{correct} seed {seed}: {}",
            r.end
        );
        let mut bad = load(buggy);
        bad.seed = seed;
        if let EndReason::Violation(v) = run(&bad).end {
            caught.push((seed, v.property));
        }
    }
    let pinned = load(buggy).seed;
    assert!(
        caught.iter().any(|(s, _)| *s == pinned),
        "{buggy} is not caught at its own seed {pinned}: {caught:?}"
    );
    caught
}

/// Section 4.2, step 3: a stale primary's longer log of an older view must lose to the log of
/// the latest normal view.
#[test]
fn planted_bug_ignore_last_normal_view_is_caught_on_the_stale_primary_schedule() {
    let caught = caught_on(
        "vr-stale-primary-view-change.toml",
        "vr-bug-ignore-last-normal-view.toml",
    );
    assert_eq!(
        caught.first(),
        Some(&(1, "primary completeness".to_string())),
        "{caught:?}"
    );
}

/// Section 4.3, step 2: a replica that changes views must not answer Recovery. View
/// completeness stops every seed of the schedule as the recovering replica takes the
/// primary-to-be's short log (primary completeness, a view change later, caught 7 of 10).
#[test]
fn planted_bug_recovery_answer_in_view_change_is_caught_during_a_view_change() {
    let caught = caught_on(
        "vr-recovery-during-view-change.toml",
        "vr-bug-recovery-answer-in-view-change.toml",
    );
    assert_eq!(caught.len(), 10, "{caught:?}");
    assert!(
        caught.iter().all(|(_, p)| p == "view completeness"),
        "{caught:?}"
    );
}

// The planted bugs prepare-out-of-order, no-client-table and ignore-last-normal-view are found
// by the default campaign
// (`synod check vr --bug NAME`) at the seeds docs/checking.md pins: crates/synod-cli/tests/bugs.rs
// runs each from that table, which scripts/bug-table.py measures.

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let cases: &[(&str, &str)] = &[
        ("[cluster]\nnodes = 0", "bad.toml:3: key `cluster.nodes`"),
        (
            "[timing]\ncommit_interval_ms = 150",
            "bad.toml:3: key `timing.commit_interval_ms`: the commit interval (150.0ms) must be below the view-change timeout's minimum (150.0ms)",
        ),
        (
            "[timing]\nview_change_timeout_ms = { min = 40, max = 60 }",
            "bad.toml:3: key `timing.view_change_timeout_ms`: the commit interval (50.0ms) must be below",
        ),
        (
            "[timing]\nview_change_timeout_ms = { min = 0, max = 10 }",
            "key `timing.view_change_timeout_ms`: min must be above 0",
        ),
        (
            "bug = \"nope\"",
            "protocol vr has no planted bug `nope` (it has: ignore-last-normal-view, recovery-answer-in-view-change, prepare-out-of-order, no-client-table)",
        ),
        ("[cluster]\nacceptors = 3", "does not apply to protocol vr"),
        // Raft's keys are Raft's: VR's timeouts have their own names.
        ("[timing]\nheartbeat_ms = 40", "`timing.heartbeat_ms`"),
        (
            "[timing]\nelection_timeout_ms = { min = 1, max = 2 }",
            "`timing.election_timeout_ms`",
        ),
        (
            "[cluster]\nnodes = 3\nnames = [\"a\", \"b\"]",
            "bad.toml:4: key `cluster.names`: 2 names given, but `cluster.nodes` is 3",
        ),
    ];
    for (text, want) in cases {
        let text = format!("protocol = \"vr\"\n{text}\n");
        let err = PROTOCOLS
            .parse("bad.toml", &text)
            .and_then(|s| synod_protocols::system::build(&s).map(|_| ()));
        match err {
            Err(e) => assert!(e.to_string().contains(want), "{text}: got `{e}`"),
            Ok(()) => panic!("{text}: accepted"),
        }
    }
}
