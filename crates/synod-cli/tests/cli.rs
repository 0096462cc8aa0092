//! The `synod` binary, run as a user runs it.

#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn synod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("the synod binary runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory for this test binary.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synod-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The human output without the one line that depends on the machine (wall time).
fn stable(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("wall time:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn golden_run_kv_seed_1() {
    let o = synod(&["run", "kv", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = stable(&stdout(&o));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/run-kv-seed1.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .expect("golden file exists (create it with UPDATE_GOLDEN=1 cargo test)");
    assert_eq!(
        got, want,
        "narration changed: review, then UPDATE_GOLDEN=1 cargo test"
    );
}

#[test]
fn run_prints_narration_then_a_summary_with_expectations() {
    let o = synod(&["run", "scenarios/kv-basic.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("[client 1]  starting: will send 5 requests"),
        "{out}"
    );
    assert!(out.contains("requests: 15 issued"), "{out}");
    assert!(out.contains("final state:"), "{out}");
    assert!(out.contains("ok    all_requests_complete"), "{out}");
    assert!(out.contains("result: PASS"), "{out}");
}

#[test]
fn overrides_change_the_counts() {
    let o = synod(&[
        "run",
        "kv",
        "--clients",
        "2",
        "--requests",
        "3",
        "--log-level",
        "warn",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("requests: 6 issued"), "{}", stdout(&o));
}

#[test]
fn debug_level_adds_every_message() {
    let info = stdout(&synod(&["run", "kv", "--log-level", "info"]));
    let debug = stdout(&synod(&["run", "kv", "--log-level", "debug"]));
    assert!(!info.contains("-> server: Request"));
    assert!(
        debug.contains("[client 1]  -> server: Request #1"),
        "{debug}"
    );
}

#[test]
fn trace_file_is_json_lines_with_a_header_and_a_client_history() {
    let path = scratch().join("kv.trace.jsonl");
    let o = synod(&[
        "run",
        "kv",
        "--seed",
        "4",
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines[0]["schema"], "synod-trace");
    assert_eq!(lines[0]["version"], 1);
    let count = |k: &str| lines.iter().filter(|l| l["kind"] == k).count();
    assert_eq!(count("invoke"), 15);
    assert_eq!(count("return"), 15);
    assert_eq!(count("send"), 30);
    assert!(count("log") > 0);
    // Same seed, same bytes.
    let again = scratch().join("kv2.trace.jsonl");
    synod(&[
        "run",
        "kv",
        "--seed",
        "4",
        "--trace",
        again.to_str().unwrap(),
    ]);
    assert_eq!(text, std::fs::read_to_string(&again).unwrap());
}

#[test]
fn every_example_scenario_meets_its_expectations() {
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = synod(&["run", path.to_str().unwrap(), "--log-level", "error"]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{} failed:\n{}{}",
                path.display(),
                stdout(&o),
                stderr(&o)
            );
            seen += 1;
        }
    }
    assert!(seen >= 3);
}

#[test]
fn an_unmet_expectation_exits_1() {
    let path = scratch().join("unmet.toml");
    std::fs::write(
        &path,
        "protocol = \"kv\"\nuntil_ms = 3\n[expect]\nall_requests_complete = true\n",
    )
    .unwrap();
    let o = synod(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("FAIL  all_requests_complete"),
        "{}",
        stdout(&o)
    );
}

/// Bad input: exit 2, one clear message naming file, line and key, and no panic.
#[test]
fn bad_input_gets_a_clear_message_and_exit_2() {
    let dir = scratch();
    let cases: &[(&str, Option<&str>, &[&str], &str)] = &[
        // (name, scenario text or None, extra args, expected message fragment)
        (
            "missing",
            None,
            &["run", "no/such/file.toml"],
            "`no/such/file.toml` is neither a protocol (kv",
        ),
        (
            "directory",
            None,
            &["run", "scenarios"],
            "`scenarios` is a directory",
        ),
        ("malformed", Some("seed = = 3\n"), &[], "malformed.toml:1: "),
        (
            "unknown-key",
            Some("protocol = \"kv\"\ncolour = \"red\"\n"),
            &[],
            "unknown-key.toml:2: unknown field `colour`",
        ),
        (
            "wrong-type",
            Some("seed = \"abc\"\n"),
            &[],
            "wrong-type.toml:1: invalid type: string \"abc\", expected i64",
        ),
        (
            "unknown-protocol",
            Some("protocol = \"zab\"\n"),
            &[],
            "unknown-protocol.toml:1: key `protocol`: unknown protocol `zab` (valid: kv",
        ),
        (
            "zero-clients",
            Some("[cluster]\nclients = 0\n"),
            &[],
            "zero-clients.toml:2: key `cluster.clients`: must be between 1 and 10000, got 0",
        ),
        (
            "negative-clients",
            Some("[cluster]\nclients = -2\n"),
            &[],
            "negative-clients.toml:2: key `cluster.clients`: must be between 1 and 10000, got -2",
        ),
        (
            "negative-time",
            Some("[[fault]]\nat_ms = -5\ncrash = \"server\"\n"),
            &[],
            "negative-time.toml:1: key `fault.at_ms`: a fault cannot happen at a negative time (-5)",
        ),
        (
            "unknown-node",
            Some("protocol = \"kv\"\n[[fault]]\nat_ms = 5\ncrash = \"n9\"\n"),
            &[],
            "unknown-node.toml:2: fault names node `n9`, which does not exist (nodes: server, client 1, client 2, client 3; or \"leader\")",
        ),
        (
            "request-client",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = 5\nclient = \"client 9\"\nop = \"get\"\nkey = \"a\"\n",
            ),
            &[],
            "request-client.toml:2: request names client `client 9`, which does not exist (nodes: server, client 1, client 2, client 3)",
        ),
        (
            "request-op",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = 5\nclient = \"client 1\"\nop = \"cas\"\nkey = \"a\"\n",
            ),
            &[],
            "request-op.toml:2: key `request.op`: unknown operation `cas` (put, get or delete)",
        ),
        (
            "request-put-value",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = 5\nclient = \"client 1\"\nop = \"put\"\nkey = \"a\"\n",
            ),
            &[],
            "request-put-value.toml:2: key `request.value`: a put needs a value",
        ),
        (
            "request-time",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = -1\nclient = \"client 1\"\nop = \"get\"\nkey = \"a\"\n",
            ),
            &[],
            "request-time.toml:2: key `request.at_ms`: a request cannot happen at a negative time (-1)",
        ),
        (
            "latency-range",
            Some("[network]\nlatency_ms = { min = 10, max = 2 }\n"),
            &[],
            "latency-range.toml:2: key `network.latency_ms`: min (10) is greater than max (2)",
        ),
        (
            "loss-range",
            Some("[network]\nloss = 1.5\n"),
            &[],
            "loss-range.toml:2: key `network.loss`: a probability must be between 0 and 1, got 1.5",
        ),
        (
            "dup-range",
            Some("[[fault]]\nat_ms = 1\nduplicate = -0.1\n"),
            &[],
            "dup-range.toml:1: key `fault.duplicate`: a probability must be between 0 and 1, got -0.1",
        ),
        (
            "two-actions",
            Some("[[fault]]\nat_ms = 1\ncrash = \"server\"\nheal = true\n"),
            &[],
            "two-actions.toml:1: a [[fault]] needs exactly one action",
        ),
        (
            "one-group",
            Some("[[fault]]\nat_ms = 1\npartition = \"server\"\n"),
            &[],
            "one-group.toml:1: key `fault.partition`: give at least two non-empty groups",
        ),
        (
            "wrong-role",
            Some("protocol = \"kv\"\n[cluster]\nacceptors = 3\n"),
            &[],
            "wrong-role.toml:3: key `cluster.acceptors` does not apply to protocol kv (it takes: clients)",
        ),
        (
            "negative-seed",
            Some("seed = -1\n"),
            &[],
            "negative-seed.toml:1: key `seed`: must be >= 0, got -1",
        ),
        (
            "seed-not-a-number",
            None,
            &["run", "kv", "--seed", "abc"],
            "invalid value 'abc' for '--seed <SEED>'",
        ),
        (
            "bad-level",
            None,
            &["run", "kv", "--log-level", "loud"],
            "unknown log level `loud`",
        ),
        (
            "zero-clients-flag",
            None,
            &["run", "kv", "--clients", "0"],
            "invalid value '0' for '--clients <CLIENTS>'",
        ),
        (
            "unknown-bug",
            None,
            &["run", "raft", "--bug", "nope"],
            "protocol raft has no planted bug `nope` (it has: commit-old-term, ",
        ),
        (
            "unwritable-trace",
            None,
            &["run", "kv", "--trace", "/nonexistent-dir/t.jsonl"],
            "cannot write trace file `/nonexistent-dir/t.jsonl`",
        ),
    ];
    assert!(cases.len() >= 15);
    for (name, text, args, want) in cases {
        let o = match text {
            Some(text) => {
                let path = dir.join(format!("{name}.toml"));
                std::fs::write(&path, text).unwrap();
                synod(&["run", path.to_str().unwrap()])
            }
            None => synod(args),
        };
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: exit code; stderr: {err}");
        assert!(err.contains(want), "{name}: expected `{want}` in:\n{err}");
        assert!(!err.contains("panicked"), "{name} panicked: {err}");
        assert!(stdout(&o).is_empty(), "{name}: nothing on stdout");
    }
}
