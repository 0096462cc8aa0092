//! The planted-bug table of docs/checking.md, which scripts/bug-table.py measures and re-pins:
//! tests take their pinned seeds from it rather than typing them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One row.
pub struct Row {
    /// The protocol.
    pub protocol: String,
    /// The bug's name.
    pub bug: String,
    /// The campaign's arguments after `synod check`.
    pub campaign: Vec<String>,
    /// The first failing seed from seed 1 (`None`: not found within the script's budget).
    pub seed: Option<u64>,
    /// The property that caught it.
    pub property: String,
    /// The real faults of the shrunk scenario, as measured (`-` if not measured).
    pub shrunk_to: Option<u64>,
}

/// Every row of the table.
pub fn table() -> Vec<Row> {
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
                .split('`')
                .nth(1)
                .unwrap_or_default()
                .split_whitespace()
                .skip(2) // "synod check"
                .map(String::from)
                .collect();
            Row {
                protocol: cells[0].to_string(),
                bug: cells[1].trim_matches('`').to_string(),
                campaign,
                seed: cells[4].parse().ok(),
                property: cells[5].to_string(),
                shrunk_to: cells
                    .get(9)
                    .and_then(|c| c.rsplit("-> ").next())
                    .and_then(|n| n.trim().parse().ok()),
            }
        })
        .collect()
}

/// The row of `bug`.
pub fn row(bug: &str) -> Row {
    table()
        .into_iter()
        .find(|r| r.bug == bug)
        .unwrap_or_else(|| panic!("{bug} is not in docs/checking.md's bug table"))
}
