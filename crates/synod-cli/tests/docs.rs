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
    let doc = repo("docs/trace.md");
    let mut seen = BTreeMap::new();
    for scenario in [
        "scenarios/kv-server-crash.toml",
        "scenarios/kv-lossy.toml",
        "scenarios/raft-figure8-commit-old-term.toml",
        "scenarios/multipaxos-leader-crash.toml",
        "scenarios/paxos-dueling.toml",
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
            if kind == "state" {
                // Every field and table a protocol reports is documented by name.
                let keys = obj["set"].as_object().unwrap().keys().cloned();
                let gone = obj["unset"].as_array().unwrap().iter();
                let gone = gone.map(|k| k.as_str().unwrap().to_string());
                for key in keys.chain(gone) {
                    let name = key.split('/').next().unwrap();
                    assert!(
                        doc.contains(&format!("`{name}`")),
                        "state `{name}` ({scenario}) is not in docs/trace.md"
                    );
                }
            }
            *seen.entry(kind).or_insert(0) += 1;
        }
    }
    for kind in [
        "start",
        "crash",
        "restart",
        "send",
        "deliver",
        "drop",
        "timer",
        "log",
        "fault",
        "invoke",
        "return",
        "apply",
        "state",
        "violation",
        "role",
        "commit",
        "decide",
        "note",
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

fn synod_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The lines between `<!-- NAME:start -->` and `<!-- NAME:end -->` of a document.
fn marked<'a>(doc: &'a str, name: &str) -> Vec<&'a str> {
    let start = doc
        .find(&format!("<!-- {name}:start -->"))
        .unwrap_or_else(|| panic!("no {name}:start marker"));
    let end = doc
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("no {name}:end marker"));
    doc[start..end].lines().skip(1).collect()
}

/// docs/checking.md's first example finds a failure, writes the file its replay line names,
/// prints what "Reading a failure" shows, and the replay fails.
#[test]
fn the_checking_example_finds_what_its_replay_line_replays() {
    let doc = repo("docs/checking.md");
    let block: Vec<&str> = doc
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block")
        .lines()
        .map(|l| l.split(" #").next().unwrap().trim())
        .collect();
    let words = |l: &str| -> Vec<String> {
        l.split_whitespace()
            .skip(1) // "synod"
            .map(String::from)
            .collect()
    };
    let campaign = block
        .iter()
        .find(|l| l.contains("--out"))
        .expect("a campaign with --out");
    let replay = block
        .iter()
        .find(|l| l.starts_with("synod run "))
        .expect("a replay line");
    let dir = std::env::temp_dir().join(format!("synod-docs-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let args = words(campaign);
    let o = synod_in(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{campaign} finds nothing:\n{out}");
    for line in marked(&doc, "failure-example")
        .into_iter()
        .filter(|l| !l.starts_with("```"))
    {
        assert!(
            out.lines().any(|l| l == line),
            "docs/checking.md shows `{line}`, the campaign prints:\n{out}"
        );
    }
    let args = words(replay);
    let file = dir.join(&args[1]);
    assert!(file.is_file(), "{} was not written:\n{out}", file.display());
    let o = synod_in(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1), "{replay} passes");
}

/// The nemesis table of docs/checking.md has one row per nemesis `--nemesis list` shows (for
/// Raft, whose own `membership` and `transfer` come after the built-in ones), and
/// every kind the older `--faults` accepts is one of them (`restart` aside: every crash
/// restarts).
#[test]
fn the_nemesis_table_lists_every_nemesis_and_fault_kind() {
    let doc = repo("docs/checking.md");
    let section = doc
        .split("## Nemeses")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    let mut documented: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split('`').nth(1).unwrap().to_string())
        .collect();
    // Every protocol's list: the built-in nemeses and each one's own.
    let groups = [
        "classic", "targeted", "moments", "own", "all", "swarm", "default",
    ];
    let mut listed: Vec<String> = Vec::new();
    for p in synod_protocols::PROTOCOLS.iter() {
        let o = synod_in(
            Path::new(env!("CARGO_MANIFEST_DIR")),
            &["check", p.name, "--nemesis", "list"],
        );
        listed.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter(|n| !groups.contains(n))
                .map(String::from),
        );
    }
    documented.sort();
    listed.sort();
    listed.dedup();
    assert_eq!(documented, listed);
    // The kinds the command accepts, as its own error message lists them.
    let o = synod_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "kv", "--faults", "no-such-fault"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let accepted: Vec<String> = err
        .split("(valid: ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("{err}"))
        .split(", ")
        .map(String::from)
        .collect();
    for kind in accepted.iter().filter(|k| *k != "restart") {
        assert!(
            documented.contains(kind),
            "`--faults {kind}` is not a documented nemesis"
        );
    }
}

/// The status codes docs/play.md gives for bad requests are the ones the server answers.
#[test]
fn the_play_docs_give_the_status_the_server_answers() {
    use std::io::{BufRead, BufReader, Read, Write};
    let doc = repo("docs/play.md");
    let documented: BTreeMap<u16, String> = marked(&doc, "bad-requests")
        .into_iter()
        .filter_map(|l| {
            let l = l.strip_prefix("- ")?;
            Some((l.get(..3)?.parse().ok()?, l[3..].to_string()))
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["play", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    let status = |content_type: &str, body: &str| -> u16 {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            c,
            "POST /api/game HTTP/1.1\r\nHost: {addr}\r\n{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        let _ = c.read_to_string(&mut raw);
        raw.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let json = "Content-Type: application/json\r\n";
    // (what the doc says the status is for, the request, the status)
    let cases = [
        ("not JSON", status(json, "{not json"), 400),
        (
            "unknown protocol",
            status(json, r#"{"protocol":"zab"}"#),
            400,
        ),
        ("without `Content-Type", status("", "{}"), 415),
        ("unknown field", status(json, r#"{"colour":"red"}"#), 422),
        (
            "a string where a number",
            status(json, r#"{"nodes":"x"}"#),
            422,
        ),
        (
            "over 16 KiB",
            status(json, &format!(r#"{{"script":"{}"}}"#, "a".repeat(20_000))),
            413,
        ),
    ];
    let _ = child.kill();
    let _ = child.wait();
    for (words, got, want) in cases {
        assert_eq!(
            got, want,
            "the server answers {got} for a body with {words}"
        );
        let said = documented
            .get(&want)
            .unwrap_or_else(|| panic!("docs/play.md gives no meaning to {want}"));
        assert!(
            said.contains(words),
            "docs/play.md says {want} is {said:?}, which does not mention `{words}`"
        );
    }
}

/// The long options a subcommand's `--help` lists (without `--help` and `--version`).
fn options(subcommand: &str) -> Vec<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args([subcommand, "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut opts: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',' || c == '<' || c == '[')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(['.', ')', ':']).to_string())
        .filter(|w| w != "--help" && w != "--version")
        .collect();
    opts.sort();
    opts.dedup();
    opts
}

#[test]
fn every_option_of_synod_view_and_run_html_is_documented() {
    let doc = repo("docs/view.md");
    let opts = options("view");
    assert!(opts.contains(&"--svg".to_string()), "{opts:?}");
    for opt in opts {
        assert!(
            doc.contains(&format!("`{opt}")),
            "docs/view.md does not document `{opt}`"
        );
    }
    assert!(options("run").contains(&"--html".to_string()));
    assert!(
        doc.contains("--html FILE"),
        "docs/view.md documents synod run --html"
    );
    assert!(
        repo("README.md").contains("synod view"),
        "the README's tour mentions synod view"
    );
}

/// The README's tour of `synod run` names every option it takes (`--legend` and `--no-legend`
/// included), and the scenario docs' `[[note]]` section names every place a note is shown.
#[test]
fn every_option_of_synod_run_is_in_the_readme_tour() {
    let readme = repo("README.md");
    let tour = readme
        .split("- `synod run [PROTOCOL | SCENARIO.toml]`")
        .nth(1)
        .and_then(|t| t.split("\n- `synod check").next())
        .expect("the README's tour describes synod run");
    let opts = options("run");
    assert!(opts.contains(&"--no-legend".to_string()), "{opts:?}");
    for opt in opts {
        assert!(
            tour.contains(&format!("`{opt}")),
            "the README's tour of synod run does not name `{opt}`"
        );
    }
    let notes = repo("docs/scenarios.md");
    let notes = notes
        .split("## `[[note]]`")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("docs/scenarios.md has a [[note]] section");
    for shown in [
        "`synod run`",
        "`synod view`",
        "`synod repl`",
        "`synod play`",
    ] {
        assert!(notes.contains(shown), "the [[note]] section names {shown}");
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

#[test]
fn every_lin_option_and_model_is_documented() {
    let doc = repo("docs/lin.md");
    let help = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["lin", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let options: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && *w != "--help")
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    assert!(options.contains(&"--max-memory") && options.contains(&"--html"));
    for option in options {
        assert!(
            doc.contains(&format!("`{option}")),
            "docs/lin.md does not document `{option}`"
        );
    }
    for model in synod_check::ModelKind::ALL {
        assert!(
            doc.contains(&format!("**{}**", model.name())),
            "docs/lin.md does not describe the `{}` model",
            model.name()
        );
        assert!(
            help.contains(model.name()),
            "`synod lin --help` names {model}"
        );
    }
    for image in doc.split("](").skip(1).filter_map(|s| s.split(')').next()) {
        if image.ends_with(".png") {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../docs")
                .join(image);
            assert!(path.exists(), "docs/lin.md shows {image}, which is missing");
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
