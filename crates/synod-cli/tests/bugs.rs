//! Every planted bug is found by its campaign at the seed docs/checking.md pins, the shrunk
//! scenario `synod check` writes keeps at most 3 real faults and one repair and replays to the
//! same violation, and the bugs only the client history shows are caught by the
//! linearizability checker alone. (The table is measured and re-pinned by
//! scripts/bug-table.py, not typed by hand.)

#![allow(clippy::disallowed_methods)]

mod bug_table;

use bug_table::{root, table};
use std::process::{Command, Output};

fn synod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the synod binary runs")
}

/// The faults of a scenario file that strike, counted as the campaign's summary counts them
/// (`campaign::fault_count`: not restarts, heals, releases, an order's undoing or the repair),
/// and its repairs.
fn faults_of(path: &std::path::Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let s = synod_protocols::PROTOCOLS.parse(&name, &text).unwrap();
    let repairs = s
        .faults
        .iter()
        .filter(|f| f.action == synod_protocols::scenario::FaultAction::Repair)
        .count();
    (synod_protocols::campaign::fault_count(&s), repairs)
}

#[test]
fn every_planted_bug_is_found_at_its_pinned_seed_shrinks_small_and_replays() {
    let rows = table();
    let listed = String::from_utf8(synod(&["check", "--bug", "list"]).stdout).unwrap();
    assert_eq!(
        rows.len(),
        listed.lines().count(),
        "one row per planted bug:\n{listed}"
    );
    assert!(rows.len() >= 12, "at least 12 planted bugs");
    // Bugs no campaign finds within the budget of scripts/bug-table.py yet: a known gap, listed
    // here so that the table cannot hide a new one (and so that a fix must update the list).
    const NOT_FOUND_YET: &[&str] = &[];
    let out = std::env::temp_dir().join(format!("synod-bugs-{}", std::process::id()));
    for row in rows {
        assert_eq!(
            row.seed.is_none(),
            NOT_FOUND_YET.contains(&row.bug.as_str()),
            "{}: found at {:?}, but listed as not found yet (or the other way round)",
            row.bug,
            row.seed
        );
        let Some(seed) = row.seed else { continue };
        let dir = out.join(&row.bug);
        let seed = seed.to_string();
        let mut args: Vec<&str> = vec!["check"];
        args.extend(row.campaign.iter().map(String::as_str));
        args.extend([
            "--bug",
            &row.bug,
            "--from",
            &seed,
            "--seeds",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ]);
        let o = synod(&args);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{} not found at its pinned seed {seed}:\n{text}",
            row.bug,
        );
        assert!(
            text.contains(&format!("  {}: ", row.property)),
            "{}: expected {} among the violations:\n{text}",
            row.bug,
            row.property
        );
        let replay = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(&format!("{}.toml", row.property.replace(' ', "-")))
            })
            .unwrap_or_else(|| panic!("{}: no shrunk scenario for {}", row.bug, row.property));
        let (real, repairs) = faults_of(&replay);
        if let Some(n) = row.shrunk_to {
            assert_eq!(real as u64, n, "{}: the table says {n} faults", row.bug);
        }
        assert!(repairs <= 1, "{}: {repairs} repairs", row.bug);
        let o = synod(&["run", replay.to_str().unwrap(), "--log-level", "error"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}: the replay passes:\n{text}",
            row.bug
        );
        assert!(
            text.contains("FAIL  ") && text.contains(&row.property),
            "{}: the replay does not show {}:\n{text}",
            row.bug,
            row.property
        );
    }
}

/// Stale reads and double application break no invariant a server can see: every live safety
/// check holds, the stores converge, every request completes. Only the client history shows
/// them, and the linearizability checker is what catches them.
#[test]
fn some_bugs_are_caught_only_by_the_linearizability_checker() {
    let lin_only: Vec<_> = table()
        .into_iter()
        .filter(|r| r.property == "linearizable")
        .collect();
    assert!(
        lin_only.len() >= 2,
        "at least two planted bugs caught only by linearizability"
    );
    let out = std::env::temp_dir().join(format!("synod-lin-only-{}", std::process::id()));
    for row in lin_only {
        let seed = row.seed.expect("found").to_string();
        let dir = out.join(&row.bug);
        let mut args: Vec<&str> = vec!["check"];
        args.extend(row.campaign.iter().map(String::as_str));
        args.extend(["--bug", &row.bug, "--from", &seed, "--seeds", "1"]);
        args.extend(["--out", dir.to_str().unwrap()]);
        let o = synod(&args);
        assert_eq!(o.status.code(), Some(1), "{}: {o:?}", row.bug);
        // The campaign's own run, unshrunk, judged on every expectation.
        let file = dir.join(format!(
            "{}-seed{seed}-linearizable-unshrunk.toml",
            row.protocol
        ));
        let o = synod(&["run", file.to_str().unwrap(), "--log-level", "error"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{}:\n{text}", row.bug);
        let verdicts: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  ok ") || l.starts_with("  FAIL "))
            .collect();
        assert!(
            verdicts.iter().any(|l| l.starts_with("  ok    safety")),
            "{}: {verdicts:?}",
            row.bug
        );
        for v in &verdicts {
            assert_eq!(
                v.starts_with("  FAIL "),
                v.contains("linearizable"),
                "{}: only linearizability fails: {verdicts:?}",
                row.bug
            );
        }
    }
}
