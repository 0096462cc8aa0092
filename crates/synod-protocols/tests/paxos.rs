//! Single-decree Paxos, end to end: every scenario meets its expectations, a golden trace of
//! the fault-free run, 1,000 seeds of random faults with no safety violation and a decision
//! every time, and the planted bugs caught by the live checks.

#![allow(clippy::disallowed_methods)] // the golden trace is read and (re)written here

mod support;

use support::{assert_golden, load, narrate, run};
use synod_core::{Decision, Level};
use synod_protocols::PROTOCOLS;
use synod_protocols::paxos::sweep::{SweepPlan, run_seed, run_seed_on};
use synod_protocols::system;
use synod_sim::Shared;
use synod_sim::trace_out::HumanPrinter;

fn scenario_passes(file: &str, text: &str) {
    let s = PROTOCOLS.parse(file, text).expect("scenario parses");
    assert_eq!(s.protocol.name, "paxos");
    assert!(
        s.expect != Default::default(),
        "{file}: a scenario states its [expect]"
    );
    let r = run(&s);
    assert!(r.passed(), "{file}: {:?} ended {:?}", r.verdicts, r.end);
}

macro_rules! scenario_test {
    ($name:ident, $file:literal) => {
        #[test]
        fn $name() {
            scenario_passes($file, include_str!(concat!("../../../scenarios/", $file)));
        }
    };
}

scenario_test!(scenario_fault_free, "paxos-fault-free.toml");
scenario_test!(
    scenario_proposer_crash_between_p2a_sends,
    "paxos-proposer-crash-mid-p2a.toml"
);
scenario_test!(
    scenario_acceptor_crash_restart_honours_promise,
    "paxos-acceptor-restart.toml"
);
scenario_test!(scenario_partition_2_3_heals, "paxos-partition-heal.toml");
scenario_test!(scenario_dueling_proposers, "paxos-dueling.toml");
scenario_test!(scenario_message_loss_20pct, "paxos-loss.toml");
scenario_test!(scenario_desert_caravans, "paxos-desert.toml");
scenario_test!(scenario_separate_roles, "paxos-separate-roles.toml");
scenario_test!(
    scenario_bug_ignore_p1b_values_breaks_agreement,
    "paxos-bug-ignore-p1b-values.toml"
);
scenario_test!(
    scenario_bug_forget_promise_breaks_agreement,
    "paxos-bug-forget-promise.toml"
);

/// The narrated fault-free run, compared with tests/golden/paxos.txt (UPDATE_GOLDEN=1 rewrites
/// it): a reviewer reads the diff to see what a change did to the protocol's behaviour.
#[test]
fn golden_trace_of_the_fault_free_run() {
    let (got, report) = narrate(&load("paxos-fault-free.toml"), Some(Level::Debug));
    assert!(report.passed());
    assert_golden("paxos.txt", &got);
}

/// The same scenario and seed give the same trace; another seed gives another.
#[test]
fn runs_are_deterministic_per_seed() {
    let trace = |seed: u64| {
        let mut s = PROTOCOLS.scenario("paxos").unwrap();
        s.seed = seed;
        s.net.loss = 0.2;
        let mut sys = system::build(&s).unwrap();
        let printer = Shared::new(HumanPrinter::new(Vec::new(), Level::Trace, &[]));
        sys.sim.add_observer(Box::new(printer.clone()));
        sys.sim.run();
        printer.borrow_mut().writer().clone()
    };
    assert_eq!(trace(7), trace(7));
    assert_ne!(trace(7), trace(8));
}

/// 1,000 seeds of random faults: no safety violation (agreement, stability, validity), and
/// every learner decides once the faults stop (the run then goes quiet on its own).
#[test]
fn sweep_1000_seeds_is_safe_and_decides() {
    let failures: Vec<String> = (0..1_000)
        .filter_map(|seed| run_seed(seed, None, &SweepPlan::default()).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures: {:#?}",
        failures.len(),
        failures
    );
}

/// With proposers, acceptors and learners on separate nodes, a learner that missed the p3
/// Decide asks the proposers; 300 seeds of random faults: safe, and every learner decides.
#[test]
fn sweep_separate_roles_is_safe_and_decides() {
    let base = PROTOCOLS
        .parse(
            "separate.toml",
            "protocol = \"paxos\"\n[cluster]\nproposers = 2\nacceptors = 3\nlearners = 2\n",
        )
        .unwrap();
    let failures: Vec<String> = (0..300)
        .filter_map(|seed| run_seed_on(&base, seed, &SweepPlan::default()).err())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

fn caught(bug: &str, plan: SweepPlan, seeds: std::ops::Range<u64>) -> Vec<u64> {
    seeds
        .filter(|&seed| {
            run_seed(seed, Some(bug), &plan)
                .is_err_and(|e| e.contains("agreement") || e.contains("stability"))
        })
        .collect()
}

/// The planted bug `ignore-p1b-values` (a proposer ignores the values reported in p1b, breaking
/// P2c of Paxos Made Simple, 2.2) is caught by the agreement check on some seed of a small
/// sweep: the check fails when the protocol is wrong.
#[test]
fn planted_bug_ignore_p1b_values_is_caught_by_agreement() {
    assert_eq!(
        caught("ignore-p1b-values", SweepPlan::default(), 0..20),
        [3, 7, 13, 15, 18]
    );
}

/// The planted bug `forget-promise` (an acceptor's promise and accepted proposal do not survive
/// a crash, against Paxos Made Simple, 2.3) is caught by the agreement check on some seed of a
/// small sweep.
#[test]
fn planted_bug_forget_promise_is_caught_by_agreement() {
    assert_eq!(
        caught("forget-promise", SweepPlan::crash_heavy(), 0..250),
        [207, 212, 236, 237]
    );
}

/// Unusable scenarios are errors that say what is wrong (exit code 2 in `synod run`).
#[test]
fn bad_scenarios_are_rejected_with_a_clear_message() {
    let cases: &[(&str, &str)] = &[
        (
            "[cluster]\nacceptors = 0\n",
            "key `cluster.acceptors`: must be between 1",
        ),
        (
            "[cluster]\nproposers = 0\n",
            "key `cluster.proposers`: must be between 1",
        ),
        (
            "[cluster]\nclients = 3\n",
            "key `cluster.clients` does not apply to protocol paxos",
        ),
        (
            "[cluster]\nproposers = 2\nlearners = 2\n\n[[fault]]\nat_ms = 5\ncrash = \"l3\"\n",
            "fault names node `l3`, which does not exist",
        ),
        (
            "[cluster]\nacceptors = 3\n\n[[fault]]\nat_ms = 5\ncrash = \"a4\"\n",
            "fault names node `a4`, which does not exist",
        ),
        (
            "[cluster]\nnodes = 3\nacceptors = 3\n",
            "give either `cluster.nodes`",
        ),
        (
            "[cluster]\nnodes = 3\nnames = [\"red\", \"green\"]\n",
            "2 names given for 3 nodes",
        ),
        (
            "[cluster]\nvalues = [\"x\"]\n",
            "1 values given for 5 proposers",
        ),
        (
            "bug = \"eat-messages\"\n",
            "bad.toml:2: key `bug`: protocol paxos has no planted bug `eat-messages` (it has: ignore-p1b-values, forget-promise)",
        ),
    ];
    for (body, want) in cases {
        let text = format!("protocol = \"paxos\"\n{body}");
        let err = PROTOCOLS
            .parse("bad.toml", &text)
            .and_then(|s| system::build(&s).map(|_| ()))
            .expect_err(body);
        assert!(
            err.to_string().contains(want),
            "{body}: got `{err}`, want `{want}`"
        );
    }
}

/// Names and values are configurable: BeatPaxos's red, green and blue, three nodes.
#[test]
fn red_green_blue_decide_one_of_their_colours() {
    let s = PROTOCOLS.parse(
        "rgb.toml",
        "protocol = \"paxos\"\n[cluster]\nnames = [\"red\", \"green\", \"blue\"]\n[expect]\ndecided = true\n",
    )
    .unwrap();
    let r = run(&s);
    assert!(r.passed(), "{:?}", r.verdicts);
    let decided: Vec<Decision> = r
        .servers
        .iter()
        .map(|(_, st)| st.as_ref().unwrap().decision.clone().unwrap())
        .collect();
    assert_eq!(decided.len(), 3);
    assert!(decided.iter().all(|d| *d == decided[0]));
    let Decision::Decided(value) = &decided[0] else {
        panic!("undecided: {decided:?}")
    };
    assert!(["red", "green", "blue"].contains(&value.as_str()));
}

/// The bug the BeatPaxos author found (a lone leader timing out on its own ballot and dueling
/// itself in a fault-free run) does not happen here: over 200 fault-free seeds no ballot times
/// out, and the run goes quiet once every learner decided (Paxos Made Simple, 2.4).
#[test]
fn fault_free_runs_never_time_out_a_ballot() {
    for seed in 0..200 {
        let mut s = PROTOCOLS.scenario("paxos").unwrap();
        s.seed = seed;
        s.expect.decided = Some(true);
        let (warnings, report) = narrate(&s, Some(Level::Warn));
        assert!(report.passed(), "seed {seed}: {:?}", report.verdicts);
        assert_eq!(report.end, synod_sim::EndReason::Quiescent, "seed {seed}");
        assert!(!warnings.contains("timed out"), "seed {seed}:\n{warnings}");
    }
}
