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
    for scenario in [
        "scenarios/kv-server-crash.toml",
        "scenarios/kv-lossy.toml",
        "scenarios/raft-leader-crash.toml",
    ] {
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
        "return", "apply", "role", "commit",
    ] {
        assert!(
            seen.contains_key(kind),
            "the test runs should produce `{kind}`: {seen:?}"
        );
    }
}

/// Every key of the scenario format is documented: the core keys, and each protocol's own
/// (in the generated tables, checked below).
#[test]
fn every_scenario_key_is_documented() {
    let doc = repo("docs/scenarios.md");
    for key in synod_protocols::scenario::CORE_KEYS {
        assert!(
            doc.contains(&format!("`{key}`")),
            "docs/scenarios.md does not document `{key}`"
        );
    }
    for p in synod_protocols::PROTOCOLS.iter() {
        for s in p.all_settings() {
            assert!(
                doc.contains(&format!("| `{}` |", s.key)),
                "docs/scenarios.md does not document `{}` of {}",
                s.key,
                p.name
            );
        }
    }
}

/// The block of `file` between `<!-- NAME:start -->` and `<!-- NAME:end -->` is `want`;
/// `UPDATE_GOLDEN=1` rewrites it.
fn generated_block(file: &str, name: &str, want: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let text = repo(file);
    let (start, end) = (
        format!("<!-- {name}:start -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let a = text
        .find(&start)
        .unwrap_or_else(|| panic!("{file} has no {start}"))
        + start.len();
    let b = text[a..]
        .find(&end)
        .unwrap_or_else(|| panic!("{file} has no {end}"))
        + a;
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &text[..a], &text[b..])).unwrap();
        return;
    }
    assert!(
        text[a..b] == *want,
        "{file}: the {name} block is out of date (UPDATE_GOLDEN=1 rewrites it); it should be:\n{want}"
    );
}

/// README.md's protocol table is the registry's.
#[test]
fn the_readme_lists_every_protocol_of_the_registry() {
    generated_block(
        "README.md",
        "protocols",
        &synod_protocols::PROTOCOLS.markdown_table(),
    );
}

/// docs/scenarios.md's tables of each protocol's keys are the registry's.
#[test]
fn the_scenario_docs_list_every_protocols_keys() {
    generated_block(
        "docs/scenarios.md",
        "settings",
        &synod_protocols::PROTOCOLS.settings_tables(),
    );
}

/// Every Rust file of the workspace, with its text.
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }
    out
}

/// docs/writing-a-protocol.md shows real code: every Rust block in it is copied, verbatim,
/// from a file of the workspace that compiles and is tested (the pinger's registry test, the
/// protocols' own files).
#[test]
fn the_protocol_guide_quotes_code_that_exists() {
    let doc = repo("docs/writing-a-protocol.md");
    let sources = sources();
    let mut blocks = 0;
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```rust\n") {
        let body = &rest[start + "```rust\n".len()..];
        let end = body.find("```").expect("a closed block");
        let block = &body[..end];
        assert!(
            sources.iter().any(|(_, text)| text.contains(block)),
            "docs/writing-a-protocol.md quotes code that no file of the workspace has:\n{block}"
        );
        blocks += 1;
        rest = &body[end + 3..];
    }
    assert!(blocks >= 10, "{blocks} blocks");
}
