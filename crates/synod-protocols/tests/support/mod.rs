//! What every protocol's end-to-end tests share: loading an example scenario, running it with
//! every check on, narrating it, and comparing a narration with its golden file.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::path::{Path, PathBuf};
use synod_core::Level;
use synod_protocols::PROTOCOLS;
use synod_protocols::judge::{self, Checks, Report};
use synod_protocols::scenario::Scenario;
use synod_protocols::system;
use synod_sim::Shared;
use synod_sim::trace_out::HumanPrinter;

/// The repository's `scenarios/` folder.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

/// The example scenario `file` of `scenarios/`, parsed.
pub fn load(file: &str) -> Scenario {
    let path = scenarios_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    PROTOCOLS
        .parse(file, &text)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The example scenarios whose file name starts with `prefix`, sorted.
pub fn scenario_files(prefix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            (name.starts_with(prefix) && name.ends_with(".toml")).then_some(name)
        })
        .collect();
    files.sort();
    files
}

/// Run `s` with every check on, and judge it.
pub fn run(s: &Scenario) -> Report {
    narrate(s, None).1
}

/// Run `s` with every check on, narrated at `level` (`None`: not narrated).
pub fn narrate(s: &Scenario, level: Option<Level>) -> (String, Report) {
    let mut sys = system::build(s).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = sys.sim.specs().iter().map(|n| n.name.clone()).collect();
    let printer = level.map(|l| {
        let p = Shared::new(HumanPrinter::new(Vec::new(), l, &names));
        sys.sim.add_observer(Box::new(p.clone()));
        p
    });
    let checks = Checks::attach(&mut sys);
    let end = sys.sim.run();
    let report = judge::judge(&sys, &checks, s, end);
    let text = printer.map_or_else(String::new, |p| {
        String::from_utf8(std::mem::take(p.borrow_mut().writer())).unwrap()
    });
    (text, report)
}

/// Compare `got` with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites the file instead, and a
/// reviewer reads the diff to see what a change did to the protocol's story.
pub fn assert_golden(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "narration differs from {} (review, then UPDATE_GOLDEN=1 to accept):\n{got}",
        path.display()
    );
}

/// The seeds in `seeds` on which a campaign of `protocol`'s defaults, with the nemesis mix
/// `mix` instead of its own, fails (with the planted `bug`, if given): what a nemesis finds,
/// and that it finds nothing in the correct protocol.
pub fn failing_seeds(
    protocol: &str,
    mix: &str,
    bug: Option<&str>,
    seeds: std::ops::RangeInclusive<u64>,
) -> Vec<u64> {
    failures(protocol, &plan(protocol, mix), bug, seeds)
        .into_iter()
        .map(|(seed, _)| seed)
        .collect()
}

/// `protocol`'s default campaign, with the nemesis mix `mix` instead of its own (and so, as
/// `--nemesis` does, without its stories).
pub fn plan(protocol: &str, mix: &str) -> synod_protocols::campaign::Plan {
    use synod_protocols::campaign::Plan;
    let p = PROTOCOLS.iter().find(|p| p.name == protocol).unwrap();
    Plan {
        mix: synod_protocols::nemesis::parse(mix, p.campaign.nemeses).unwrap(),
        stories: false,
        ..Plan::for_protocol(p)
    }
}

/// The seeds in `seeds` on which `plan` fails over `protocol`'s built-in scenario (with the
/// planted `bug`, if given), each with the property that failed (or the outcome, if the run
/// was not judged).
pub fn failures(
    protocol: &str,
    plan: &synod_protocols::campaign::Plan,
    bug: Option<&str>,
    seeds: std::ops::RangeInclusive<u64>,
) -> Vec<(u64, String)> {
    use synod_protocols::campaign::{self, Outcome};
    let mut base = PROTOCOLS.scenario(protocol).unwrap();
    base.bug = bug.map(String::from);
    seeds
        .filter_map(
            |seed| match campaign::run_seed(&base, plan, seed).unwrap().outcome {
                Outcome::Pass => None,
                Outcome::Fail { property, .. } => Some((seed, property)),
                other => Some((seed, format!("{other:?}"))),
            },
        )
        .collect()
}
