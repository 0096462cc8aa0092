//! `synod run` checks a run's client history as it streams (`Checks::attach_streaming`),
//! keeping no history; the REPL, campaigns and these tests' other runs keep it whole for the
//! check at the end (`Checks::attach`). Both must judge every run alike: on every example
//! scenario, including a planted bug the history shows (a snapshot that drops the client
//! sessions so a retry applies twice), and in the campaigns of the bugs only the history
//! shows.
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
    // A planted bug only the history shows. (The stale lease reads of the lease files, and the
    // retry applied twice by a Raft server restored without sessions, are stopped by live
    // checks before the history shows them.)
    let bug = "multipaxos-apply-retry-twice.toml";
    assert!(
        refuted.iter().any(|f| f == bug),
        "{bug} not refuted: {refuted:?}"
    );
}

/// The seed docs/checking.md's bug table pins for `bug` (its campaign's first failing seed;
/// scripts/bug-table.py re-pins it), after checking that the table's campaign is `target`'s.
fn pinned(bug: &str, target: &str) -> u64 {
    let doc = std::fs::read_to_string(support::scenarios_dir().join("../docs/checking.md"))
        .expect("docs/checking.md");
    let name = format!("`{bug}`");
    let row = doc
        .lines()
        .find(|l| l.split(" | ").nth(1) == Some(name.as_str()))
        .unwrap_or_else(|| panic!("no row for {bug} in the bug table"));
    let cells: Vec<&str> = row.split(" | ").collect();
    assert!(
        cells[3].starts_with(&format!("`synod check {target}")),
        "{bug}: the table's campaign is {}, not {target}'s",
        cells[3]
    );
    cells[4]
        .parse()
        .unwrap_or_else(|_| panic!("{bug}: no pinned seed in {row}"))
}

#[test]
fn the_streaming_check_catches_planted_bugs_in_campaigns_as_the_whole_check_does() {
    // Campaigns of docs/checking.md's bug table that find a bug only the client history
    // shows, over the seeds up to the one the table pins: both checks give each run the same
    // verdict, and some runs are refuted.
    for (file, bug) in [
        ("multipaxos", "read-from-leader-store"),
        ("multipaxos", "apply-retry-twice"),
        ("vr", "no-client-table"),
    ] {
        let target = match file.strip_suffix(".toml") {
            Some(_) => format!("scenarios/{file}"),
            None => file.to_string(),
        };
        let last = pinned(bug, &target);
        let mut base = match file.strip_suffix(".toml") {
            Some(_) => support::load(file),
            None => PROTOCOLS.scenario(file).expect("a protocol"),
        };
        base.set_bug(bug).expect("a planted bug");
        // As `synod check` plans it: a campaign of a scenario file keeps the file's
        // configuration; one of a protocol draws each seed's.
        let plan = campaign::Plan {
            vary: file.strip_suffix(".toml").is_none(),
            ..campaign::Plan::for_protocol(base.protocol)
        };
        let mut refuted = Vec::new();
        for seed in last.saturating_sub(2).max(1)..=last {
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
        assert_eq!(
            refuted.last(),
            Some(&last),
            "{bug}: its pinned seed is not refuted"
        );
    }
}
