//! One truth: the documentation of the trace and of scenarios matches the code.

#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn repo(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The `| kind | fields | meaning |` table of docs/trace.md: kind -> fields.
fn documented_kinds() -> BTreeMap<String, Vec<String>> {
    let doc = repo("docs/trace.md");
    doc.lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .split(" | ")
                .map(|c| c.trim_start_matches('|').trim())
                .collect();
            let cells: Vec<&str> = if l.contains("` | | ") {
                vec![cells[0], "", cells.get(1).copied().unwrap_or("")]
            } else {
                cells
            };
            if cells.len() < 3 {
                return None;
            }
            let kind = cells[0].trim_matches('`').to_string();
            let fields = cells[1]
                .split(',')
                .map(|f| f.trim().trim_matches('`').to_string())
                .filter(|f| !f.is_empty())
                .collect();
            Some((kind, fields))
        })
        .collect()
}

#[test]
fn every_event_a_run_writes_is_documented_with_its_fields() {
    let kinds = documented_kinds();
    assert!(
        kinds.contains_key("send") && kinds.contains_key("commit"),
        "{kinds:?}"
    );
    let dir = std::env::temp_dir().join(format!("synod-docs-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("t.jsonl");
    let mut seen = BTreeMap::new();
    for scenario in ["scenarios/kv-server-crash.toml", "scenarios/kv-lossy.toml"] {
        let o = Command::new(env!("CARGO_BIN_EXE_synod"))
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .args(["run", scenario, "--trace", trace.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success());
        let text = std::fs::read_to_string(&trace).unwrap();
        for line in text.lines().skip(1) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let obj = v.as_object().unwrap();
            let kind = obj["kind"].as_str().unwrap().to_string();
            let documented = kinds
                .get(&kind)
                .unwrap_or_else(|| panic!("kind `{kind}` is not in docs/trace.md"));
            for key in obj.keys() {
                let common = ["seq", "time_us", "node", "kind"].contains(&key.as_str());
                assert!(
                    common || documented.contains(key),
                    "field `{key}` of `{kind}` is not in docs/trace.md"
                );
            }
            *seen.entry(kind).or_insert(0) += 1;
        }
    }
    for kind in [
        "start", "crash", "restart", "send", "deliver", "drop", "timer", "log", "fault", "invoke",
        "return", "apply",
    ] {
        assert!(
            seen.contains_key(kind),
            "the test runs should produce `{kind}`: {seen:?}"
        );
    }
}

/// The keys serde accepts in a table, read from its "unknown field" message.
fn accepted_keys(table: &str) -> Vec<String> {
    let text = if table.is_empty() {
        "no_such_key = 1\n".to_string()
    } else if table == "fault" || table == "request" {
        format!("[[{table}]]\nno_such_key = 1\n")
    } else {
        format!("[{table}]\nno_such_key = 1\n")
    };
    let err = synod_protocols::scenario::parse("t.toml", &text)
        .unwrap_err()
        .message;
    let list = err
        .split("expected one of ")
        .nth(1)
        .or_else(|| err.split("expected ").nth(1))
        .unwrap_or_else(|| panic!("{err}"));
    list.lines()
        .next()
        .unwrap()
        .split(", ")
        .map(|k| k.trim().trim_matches('`').to_string())
        .collect()
}

#[test]
fn every_scenario_key_is_documented() {
    let doc = repo("docs/scenarios.md");
    for table in [
        "", "cluster", "workload", "network", "timing", "fault", "request", "expect",
    ] {
        for key in accepted_keys(table) {
            let is_table = [
                "cluster", "workload", "network", "timing", "fault", "request", "expect",
            ];
            if table.is_empty() && is_table.contains(&key.as_str()) {
                continue;
            }
            let full = if table.is_empty() {
                key.clone()
            } else {
                format!("{table}.{key}")
            };
            assert!(
                doc.contains(&format!("`{full}`")),
                "docs/scenarios.md does not document `{full}`"
            );
        }
    }
}

/// Every option of `synod explore` is in the options table of docs/explore.md, and every
/// option the table lists exists.
#[test]
fn every_explore_option_is_documented() {
    let doc = repo("docs/explore.md");
    let o = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["explore", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout).to_string();
    let options: Vec<String> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(',').to_string())
        .filter(|w| w != "--help")
        .collect();
    assert!(options.iter().any(|o| o == "--max-depth"), "{help}");
    for option in &options {
        assert!(
            doc.contains(&format!("`{option}")) || doc.contains(&format!(", `{option}")),
            "docs/explore.md does not document `{option}`"
        );
    }
    for line in doc.lines().filter(|l| l.starts_with("| `--")) {
        let documented = line
            .split('`')
            .nth(1)
            .and_then(|c| c.split_whitespace().next())
            .unwrap();
        assert!(
            options.iter().any(|o| o == documented),
            "docs/explore.md documents `{documented}`, which `synod explore` does not take"
        );
    }
}
