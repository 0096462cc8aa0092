//! Multi-Paxos KV: every scenario meets its expectations, the narration of the original
//! configuration is pinned, bad input is refused, the planted bugs are caught, and 1,000 seeds
//! of random faults break neither safety nor liveness.

#![allow(clippy::disallowed_methods)] // tests read scenario files and golden traces

mod support;

use support::{assert_golden, load, narrate, run, scenario_files};
use synod_check::recorder::RecordedOp;
use synod_core::{ClientResult, Level, Time};
use synod_protocols::PROTOCOLS;
use synod_protocols::campaign;
use synod_protocols::judge::Report;
use synod_protocols::system;
use synod_sim::{EndReason, FaultKind, FaultPlan};

#[test]
fn every_multipaxos_scenario_meets_its_expectations() {
    let names = scenario_files("multipaxos-");
    assert_eq!(names.len(), 8, "{names:?}");
    for name in names {
        let s = load(&name);
        assert!(!s.description.is_empty(), "{name} has no description");
        if s.bug.is_some() {
            // A planted bug only the client history shows.
            let r = run(&s);
            assert!(r.passed(), "{name}: {:?}", r.verdicts);
            assert_eq!(s.expect.linearizable, Some(false), "{name}");
            continue;
        }
        let e = &s.expect;
        assert_eq!(
            (e.all_requests_complete, e.linearizable, e.converged),
            (Some(true), Some(true), Some(true)),
            "{name}: expects all requests complete, linearizable, converged"
        );
        let report = run(&s);
        assert!(
            report.passed(),
            "{name}: {:?} ended {}",
            report.verdicts,
            report.end
        );
    }
}

/// The run narrated at `info`.
fn story(s: &synod_protocols::scenario::Scenario) -> String {
    narrate(s, Some(Level::Info)).0
}

#[test]
fn golden_trace_of_the_original_configuration() {
    assert_golden("multipaxos.txt", &story(&load("multipaxos-original.toml")));
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_differs() {
    let mut s = load("multipaxos-lossy.toml");
    let a = story(&s);
    assert_eq!(a, story(&s));
    s.seed += 1;
    assert_ne!(a, story(&s));
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let cases = [
        (
            "[cluster]\nacceptors = 0",
            "key `cluster.acceptors`: must be between 1",
        ),
        (
            "[cluster]\nleaders = 0",
            "key `cluster.leaders`: must be between 1",
        ),
        (
            "[cluster]\nreplicas = 0",
            "key `cluster.replicas`: must be between 1",
        ),
        ("[timing]\nwindow = 0", "key `timing.window`"),
        ("[timing]\nwindow = -3", "key `timing.window`"),
        (
            "[cluster]\nnodes = 5",
            "key `cluster.nodes` does not apply to protocol multipaxos",
        ),
        (
            "bug = \"nope\"",
            "bad.toml:2: key `bug`: protocol multipaxos has no planted bug `nope` (it has: skip-phase1-values, replica-out-of-order, read-from-leader-store, accept-below-promise, apply-retry-twice)",
        ),
        (
            "[timing]\nheartbeat_ms = 500",
            "bad.toml:3: key `timing.heartbeat_ms`: the leader timeout's max must exceed the heartbeat (500.0ms)",
        ),
        (
            "[[fault]]\nat_ms = 5\ncrash = \"leader 3\"",
            "fault names node `leader 3`, which does not exist",
        ),
    ];
    for (body, want) in cases {
        let text = format!("protocol = \"multipaxos\"\n{body}\n");
        let err = match PROTOCOLS.parse("bad.toml", &text) {
            Err(e) => e,
            Ok(s) => match system::build(&s) {
                Err(e) => e,
                Ok(_) => panic!("accepted:\n{text}"),
            },
        };
        assert!(
            err.to_string().contains(want),
            "for\n{text}\ngot: {err}\nwanted: {want}"
        );
    }
    // The same checks hold for counts set from the command line.
    let mut s = PROTOCOLS.scenario("multipaxos").unwrap();
    let err = s
        .set_count("cluster.acceptors", 0, "--acceptors")
        .unwrap_err();
    assert_eq!(
        err,
        "--acceptors: key `cluster.acceptors`: must be between 1 and 100, got 0"
    );
    let err = s.set_count("cluster.nodes", 3, "--nodes").unwrap_err();
    assert_eq!(
        err,
        "--nodes: protocol multipaxos has no `cluster.nodes` (its [cluster] counts: acceptors, leaders, replicas, clients)"
    );
}

/// What one seed of a sweep showed.
struct Outcome {
    end: EndReason,
    report: Report,
    history: Vec<RecordedOp>,
}

impl Outcome {
    fn safe(&self) -> bool {
        !matches!(self.end, EndReason::Violation(_))
    }
    fn verdict(&self, name: &str) -> bool {
        self.report
            .verdicts
            .iter()
            .any(|v| v.name == name && v.held)
    }
    /// Safe, converged, and every invoked request returned a definite result.
    fn ok(&self) -> bool {
        self.report.passed()
            && self
                .history
                .iter()
                .all(|o| matches!(o.returned, Some((_, ref r)) if *r != ClientResult::Unknown))
    }
}

/// One seed with random crashes (acceptors, leaders, replicas), partitions, loss,
/// duplication, delays, slow and held nodes during the first 2 s; everything is repaired after.
fn sweep_run(seed: u64, bug: Option<&str>) -> Outcome {
    let leaders = 1 + seed % 2;
    let bug = bug.map_or(String::new(), |b| format!("bug = \"{b}\"\n"));
    let text = format!(
        "protocol = \"multipaxos\"\nseed = {seed}\nuntil_ms = 12000\nsettle_ms = 3000\n{bug}\
         [cluster]\nacceptors = 3\nleaders = {leaders}\nreplicas = 2\nclients = 3\n\
         [workload]\nrequests_per_client = 5\n\
         [expect]\nall_requests_complete = true\nconverged = true\nlinearizable = true\n"
    );
    let s = PROTOCOLS.parse("<sweep>", &text).unwrap();
    let plan = FaultPlan {
        kinds: FaultKind::ALL.iter().map(|(k, _)| *k).collect(),
        window: Time::ms(2000),
        count: 5,
        max_duration: Time::ms(800),
        latency: (Time::ms(1), Time::ms(10)),
    };
    // `report` judges safety, linearizability (the scenario expects it), completion and
    // convergence; the history is kept to check that every request got a definite answer.
    let report = campaign::run_judged(&campaign::with_random_faults(&s, &plan).unwrap()).unwrap();
    Outcome {
        end: report.end.clone(),
        history: report.history.clone(),
        report,
    }
}

#[test]
fn a_thousand_seeds_of_random_faults_stay_safe_and_complete() {
    let mut failures = Vec::new();
    for seed in 1..=1000 {
        let o = sweep_run(seed, None);
        if !o.ok() {
            failures.push(format!("seed {seed}: {} {:?}", o.end, o.report.verdicts));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn first_caught(bug: &str, seeds: std::ops::RangeInclusive<u64>) -> Option<(u64, String)> {
    seeds.into_iter().find_map(|seed| {
        let o = sweep_run(seed, Some(bug));
        (!o.safe() || !o.verdict("converged")).then(|| (seed, o.end.to_string()))
    })
}

#[test]
fn planted_bug_skip_phase1_values_is_caught_on_seed_8() {
    // Leader 1 crashes and restarts with its log lost; skipping the values of Phase 1 it
    // never relearns the chosen slots, so its store differs from the replicas'.
    let caught = first_caught("skip-phase1-values", 1..=50);
    assert_eq!(caught.map(|(seed, _)| seed), Some(8));
}

#[test]
fn planted_bug_replica_out_of_order_is_caught_on_seed_1() {
    // Decisions arrive out of slot order; a replica applying them as they come answers a
    // command otherwise than the replicas that applied it in slot order (its store differs),
    // which state machine safety sees at that slot.
    let caught = first_caught("replica-out-of-order", 1..=50);
    let (seed, end) = caught.expect("caught");
    assert_eq!(seed, 1);
    assert!(end.contains("state machine safety"), "{end}");
    assert!(
        sweep_run(1, None).ok(),
        "the correct protocol passes seed 1"
    );
}

#[test]
fn varied_configurations_survive_heavier_random_faults() {
    // 1, 3 or 5 acceptors; 1 to 3 leaders; 1 to 3 replicas; windows 1 to 8; two keys (more
    // conflicts); some runs lossy throughout; ten faults in 3 s.
    let mut failures = Vec::new();
    for seed in 1..=300u64 {
        let acceptors = [3, 5, 1][(seed % 3) as usize];
        let leaders = 1 + (seed / 3) % 3;
        let replicas = 1 + (seed / 9) % 3;
        let window = 1 + (seed / 27) % 8;
        let lossy = if seed % 7 == 0 {
            "[network]\nloss = 0.05\nduplicate = 0.05\n"
        } else {
            ""
        };
        let text = format!(
            "protocol = \"multipaxos\"\nseed = {seed}\nuntil_ms = 30000\nsettle_ms = 4500\n\
             [cluster]\nacceptors = {acceptors}\nleaders = {leaders}\nreplicas = {replicas}\n\
             clients = 4\n[workload]\nrequests_per_client = 8\nkeys = [\"a\", \"b\"]\n\
             [timing]\nwindow = {window}\n{lossy}\
             [expect]\nall_requests_complete = true\nconverged = true\n"
        );
        let s = PROTOCOLS.parse("<varied>", &text).unwrap();
        let plan = FaultPlan {
            kinds: FaultKind::ALL.iter().map(|(k, _)| *k).collect(),
            window: Time::ms(3000),
            count: 10,
            max_duration: Time::ms(1000),
            latency: (Time::ms(1), Time::ms(10)),
        };
        let report =
            campaign::run_judged(&campaign::with_random_faults(&s, &plan).unwrap()).unwrap();
        if !report.passed() {
            failures.push(format!("seed {seed}: {} {:?}", report.end, report.verdicts));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
