//! Every planted bug is found by its campaign within the number of seeds docs/checking.md
//! documents, and the shrunk scenario `synod check` writes replays to the same violation.
//! (The table is measured by scripts/bug-table.py, not typed by hand.)

#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn synod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the synod binary runs")
}

struct Row {
    bug: String,
    campaign: Vec<String>,
    seeds: u64,
    property: String,
}

fn table() -> Vec<Row> {
    let doc = std::fs::read_to_string(root().join("docs/checking.md")).unwrap();
    let start = doc
        .find("<!-- bug-table:start -->")
        .expect("table start marker");
    let end = doc
        .find("<!-- bug-table:end -->")
        .expect("table end marker");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").map(|c| c.trim_matches(['|', ' '])).collect();
            let campaign: Vec<String> = cells[3]
                .trim_matches('`')
                .split_whitespace()
                .skip(2) // "synod check"
                .map(String::from)
                .collect();
            Row {
                bug: cells[1].trim_matches('`').to_string(),
                campaign,
                seeds: cells[4]
                    .parse()
                    .unwrap_or_else(|_| panic!("`{}` is not found by its campaign: {l}", cells[1])),
                property: cells[5].to_string(),
            }
        })
        .collect()
}

#[test]
fn every_planted_bug_is_found_within_its_documented_budget_and_replays() {
    let rows = table();
    let listed = String::from_utf8(synod(&["check", "--bug", "list"]).stdout).unwrap();
    assert_eq!(
        rows.len(),
        listed.lines().count(),
        "one row per planted bug:\n{listed}"
    );
    let out = std::env::temp_dir().join(format!("synod-bugs-{}", std::process::id()));
    for row in rows {
        let dir = out.join(&row.bug);
        let seeds = row.seeds.to_string();
        let mut args: Vec<&str> = vec!["check"];
        args.extend(row.campaign.iter().map(String::as_str));
        args.extend([
            "--bug",
            &row.bug,
            "--seeds",
            &seeds,
            "--out",
            dir.to_str().unwrap(),
        ]);
        let o = synod(&args);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{} not found in {} seeds:\n{text}",
            row.bug,
            row.seeds
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
