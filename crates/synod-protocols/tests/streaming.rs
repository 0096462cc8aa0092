//! `synod run` checks a run's client history as it streams (`Checks::attach_streaming`),
//! keeping no history; the REPL, campaigns and these tests' other runs keep it whole for the
//! check at the end (`Checks::attach`). Both must judge every run alike: on every example
//! scenario, including the planted bugs that only the history shows (a snapshot that drops
//! the client sessions so a retry applies twice, a lease read served after the lease ran out).
#![allow(clippy::disallowed_methods)] // the shared support reads the example scenarios

mod support;

use synod_protocols::judge::{self, Checks, Report};
use synod_protocols::scenario::Scenario;
use synod_protocols::system;
use synod_protocols::{PROTOCOLS, campaign};

/// Runs `s` judged one way or the other.
fn judged(s: &Scenario, streaming: bool) -> Report {
    let mut sys = system::build(s).unwrap_or_else(|e| panic!("{e}"));
    let checks = if streaming {
        Checks::attach_streaming(&mut sys)
    } else {
        Checks::attach(&mut sys)
    };
    let end = sys.sim.run();
    judge::judge(&sys, &checks, s, end)
}

/// The linearizability verdict as the summary shows it: held, and its first word.
fn lin(r: &Report) -> Option<(bool, String)> {
    r.lin.as_ref().map(|(ok, summary, _)| {
        (
            *ok,
            summary.split(" (").next().unwrap_or_default().to_string(),
        )
    })
}

#[test]
fn the_streaming_check_judges_every_example_scenario_as_the_whole_history_check_does() {
    let mut refuted = Vec::new();
    for file in support::scenario_files("") {
        let s = support::load(&file);
        let (whole, streamed) = (judged(&s, false), judged(&s, true));
        assert_eq!(lin(&whole), lin(&streamed), "{file}");
        assert_eq!(whole.verdicts, streamed.verdicts, "{file}");
        assert_eq!(
            whole.requests, streamed.requests,
            "{file}: requests by kind"
        );
        assert!(streamed.history.is_empty(), "{file}: no history kept");
        if let Some((false, _)) = lin(&streamed) {
            let (_, _, why) = streamed.lin.as_ref().expect("checked");
            let why = why.as_deref().unwrap_or_default();
            assert!(why.contains("checked as it streamed"), "{file}: {why}");
            refuted.push(file);
        }
    }
    // The planted bugs the history shows, and the lease read that clock skew breaks.
    for bug in [
        "raft-snapshot-retries-snapshot-drops-sessions.toml",
        "raft-lease-read-stale-lease-read.toml",
        "raft-lease-read-skew.toml",
    ] {
        assert!(
            refuted.iter().any(|f| f == bug),
            "{bug} not refuted: {refuted:?}"
        );
    }
}

#[test]
fn the_streaming_check_catches_planted_bugs_in_campaigns_as_the_whole_check_does() {
    // Campaigns of docs/checking.md's bug table that find a bug only the client history
    // shows, over their first seeds (the table's first failing seeds: 1, 8 and 19): both
    // checks give each run the same verdict, and some runs are refuted.
    for (file, bug, seeds) in [
        ("raft-lease-read.toml", "stale-lease-read", 1..=3),
        ("multipaxos", "read-from-leader-store", 6..=9),
        ("vr", "no-client-table", 18..=20),
    ] {
        let mut base = match file.strip_suffix(".toml") {
            Some(_) => support::load(file),
            None => PROTOCOLS.scenario(file).expect("a protocol"),
        };
        base.set_bug(bug).expect("a planted bug");
        let plan = campaign::Plan::for_protocol(base.protocol);
        let mut refuted = Vec::new();
        for seed in seeds {
            let s = campaign::scenario_for(&base, &plan, seed).expect("a campaign's scenario");
            let (whole, streamed) = (judged(&s, false), judged(&s, true));
            assert_eq!(lin(&whole), lin(&streamed), "{file} {bug} seed {seed}");
            assert_eq!(
                whole.verdicts, streamed.verdicts,
                "{file} {bug} seed {seed}"
            );
            if matches!(lin(&streamed), Some((false, _))) {
                refuted.push(seed);
            }
        }
        assert!(!refuted.is_empty(), "{bug}: no seed refuted");
    }
}
