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

/// The legend of the notations is printed once at the start of a narrated run: by default at
/// info and more detailed levels, at any level with `--legend`, never with `--no-legend`.
#[test]
fn the_legend_is_printed_at_info_or_when_asked() {
    let has = |args: &[&str]| {
        let o = synod(args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        (out.matches("legend:\n").count(), out)
    };
    let (n, out) = has(&["run", "raft", "--until", "10"]);
    assert_eq!(n, 1, "{out}");
    let legend = out.split("legend:\n").nth(1).unwrap();
    for want in [
        "  [observer]  ",
        "  [note]  ",
        "  9@t1  ",
        "the end of a log: index 9, an entry of term 1",
    ] {
        assert!(legend.contains(want), "{want}:\n{out}");
    }
    assert!(!legend.contains("-> n2: ..."), "arrows only from debug on");
    let (n, out) = has(&["run", "paxos", "--log-level", "debug", "--until", "10"]);
    assert_eq!(n, 1);
    assert!(
        out.contains("\n  -> n2: ...  ") && out.contains("\n  1.4   "),
        "{out}"
    );
    assert_eq!(has(&["run", "paxos", "--log-level", "warn"]).0, 0);
    let (n, out) = has(&["run", "multipaxos", "--log-level", "warn", "--legend"]);
    assert_eq!(n, 1);
    assert!(out.contains("  slot 3  "), "{out}");
    assert_eq!(has(&["run", "raft", "--no-legend", "--until", "10"]).0, 0);
    let o = synod(&["run", "raft", "--legend", "--no-legend"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A scenario's notes are printed inline at their times, wrapped, at every level from warn.
#[test]
fn notes_are_printed_inline_at_their_time() {
    let o = synod(&["run", "scenarios/raft-figure8.toml", "--log-level", "warn"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("  [note]  ").count(), 10, "{out}");
    let at = out.find("  931.5ms  [note]  ").expect(&out);
    let next = &out[at..];
    let second = next.lines().nth(1).unwrap();
    assert!(second.starts_with("                "), "wrapped: {next}");
    // Every line of a note holds at most 80 characters of its text.
    let indent = second.len() - second.trim_start().len();
    let mut in_note = false;
    for l in out.lines() {
        if l.contains("  [note]  ") {
            in_note = true;
            let text = l.split("  [note]  ").nth(1).unwrap().trim_start();
            assert!(text.chars().count() <= 80, "{l}");
        } else if in_note && l.starts_with(&" ".repeat(indent)) {
            assert!(l.chars().count() <= indent + 80, "{l}");
        } else {
            in_note = false;
        }
    }
    let o = synod(&["run", "scenarios/raft-figure8.toml", "--log-level", "error"]);
    assert!(!stdout(&o).contains("[note]"));
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
            "unknown-key.toml:2: unknown key `colour` (valid here: name, description, protocol, seed, until_ms, settle_ms, bug, schedule, num_nodes, num_clients; tables: network, fault, request, note, expect, cluster, workload)",
        ),
        // An exact schedule: each step on its own line, each node by its name.
        (
            "schedule-step",
            Some("protocol = \"paxos\"\nschedule = [\n  \"fire 1\",\n  \"jump 3\",\n]\n"),
            &[],
            "schedule-step.toml:4: key `schedule`: unknown step `jump 3` (expected `deliver ID`, `deliver ID keep`, `drop ID`, `fire ID`, `crash NODE` or `restart NODE`)",
        ),
        (
            "schedule-id",
            Some("protocol = \"paxos\"\nschedule = [\"deliver x1\"]\n"),
            &[],
            "schedule-id.toml:2: key `schedule`: `x1` is not an id",
        ),
        (
            "schedule-not-a-list",
            Some("protocol = \"paxos\"\nschedule = \"fire 1\"\n"),
            &[],
            "schedule-not-a-list.toml:2: key `schedule`: expected a list, got a string",
        ),
        (
            "schedule-node",
            Some("protocol = \"paxos\"\nschedule = [\n  \"crash n9\",\n]\n"),
            &[],
            "schedule-node.toml:3: key `schedule`: step names node `n9`, which does not exist (nodes: n1, n2, n3, n4, n5)",
        ),
        // Type errors in the user's words.
        (
            "wrong-type",
            Some("seed = \"abc\"\n"),
            &[],
            "wrong-type.toml:1: key `seed`: expected a whole number, got a string (\"abc\")",
        ),
        (
            "fraction-count",
            Some("protocol = \"kv\"\n[cluster]\nclients = 2.5\n"),
            &[],
            "fraction-count.toml:3: key `cluster.clients`: expected a whole number, got a number (2.5)",
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
        // Fault errors point at the key, not at the [[fault]] header.
        (
            "negative-time",
            Some("[[fault]]\nat_ms = -5\ncrash = \"server\"\n"),
            &[],
            "negative-time.toml:2: key `fault.at_ms`: a fault cannot happen at a negative time (-5)",
        ),
        (
            "unknown-node",
            Some("protocol = \"kv\"\n[[fault]]\nat_ms = 5\ncrash = \"n9\"\n"),
            &[],
            "unknown-node.toml:4: fault names node `n9`, which does not exist (nodes: server, client 1, client 2, client 3; or \"leader\", \"voter\", \"seeker\", or \"*\" for every server)",
        ),
        (
            "request-client",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = 5\nclient = \"client 9\"\nop = \"get\"\nkey = \"a\"\n",
            ),
            &[],
            "request-client.toml:4: request names client `client 9`, which does not exist (nodes: server, client 1, client 2, client 3)",
        ),
        (
            "request-op",
            Some(
                "protocol = \"kv\"\n[[request]]\nat_ms = 5\nclient = \"client 1\"\nop = \"cas\"\nkey = \"a\"\n",
            ),
            &[],
            "request-op.toml:5: key `request.op`: unknown operation `cas` (put, get or delete)",
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
            "request-time.toml:3: key `request.at_ms`: a request cannot happen at a negative time (-1)",
        ),
        (
            "note-text",
            Some("protocol = \"kv\"\n[[note]]\nat_ms = 5\n"),
            &[],
            "note-text.toml:2: a [[note]] needs `text` (it takes at_ms and text)",
        ),
        (
            "note-empty",
            Some("protocol = \"kv\"\n[[note]]\nat_ms = 5\ntext = \"  \"\n"),
            &[],
            "note-empty.toml:4: key `note.text`: a note says something: the text is empty",
        ),
        (
            "note-time",
            Some("protocol = \"kv\"\n[[note]]\nat_ms = -2\ntext = \"hi\"\n"),
            &[],
            "note-time.toml:3: key `note.at_ms`: a note cannot happen at a negative time (-2)",
        ),
        (
            "note-key",
            Some("protocol = \"kv\"\n[[note]]\nat_ms = 2\ntext = \"hi\"\nnode = \"server\"\n"),
            &[],
            "note-key.toml:5: unknown key `note.node` (valid here: at_ms, text)",
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
            "dup-range.toml:3: key `fault.duplicate`: a probability must be between 0 and 1, got -0.1",
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
            "one-group.toml:3: key `fault.partition`: give at least two non-empty groups",
        ),
        (
            "overlapping-groups",
            Some("[[fault]]\nat_ms = 5\npartition = \"n1,n2 | n2,n3\"\n"),
            &[],
            "overlapping-groups.toml:3: key `fault.partition`: `n2` is in two groups; a node is on one side of a partition",
        ),
        // Keys a protocol does not take, and its own rules, with the line.
        (
            "wrong-role",
            Some("protocol = \"kv\"\n[cluster]\nacceptors = 3\n"),
            &[],
            "wrong-role.toml:3: key `cluster.acceptors` does not apply to protocol kv (in [cluster] it takes: clients)",
        ),
        (
            "unknown-timing-key",
            Some("protocol = \"raft\"\n[timing]\nhartbeat_ms = 5\n"),
            &[],
            "unknown-timing-key.toml:3: unknown key `timing.hartbeat_ms` (in [timing] it takes: election_timeout_ms, heartbeat_ms, max_append_entries, clock_drift_percent)",
        ),
        (
            "timing-not-taken",
            Some("protocol = \"kv\"\n[timing]\nheartbeat_ms = 5\n"),
            &[],
            "timing-not-taken.toml:2: table `[timing]` does not apply to protocol kv (it takes no `timing.` keys)",
        ),
        (
            "heartbeat-vs-election",
            Some(
                "protocol = \"raft\"\n[timing]\nelection_timeout_ms = { min = 100, max = 200 }\nheartbeat_ms = 120\n",
            ),
            &[],
            "heartbeat-vs-election.toml:4: key `timing.heartbeat_ms`: the heartbeat interval (120.0ms) must be below the election timeout's minimum (100.0ms), or followers start elections under a live leader",
        ),
        (
            "zero-client-timeout",
            Some("protocol = \"kv\"\n[workload]\nclient_timeout_ms = 0\n"),
            &[],
            "zero-client-timeout.toml:3: key `workload.client_timeout_ms`: must be a time above 0 ms, got 0",
        ),
        (
            "zero-window",
            Some("protocol = \"multipaxos\"\n[timing]\nwindow = 0\n"),
            &[],
            "zero-window.toml:3: key `timing.window`: must be between 1 and 1000000, got 0",
        ),
        (
            "zero-max-append-entries",
            Some("protocol = \"raft\"\n[timing]\nmax_append_entries = 0\n"),
            &[],
            "zero-max-append-entries.toml:3: key `timing.max_append_entries`: must be between 1 and 1000000, got 0",
        ),
        (
            "unknown-bug-key",
            Some("protocol = \"raft\"\nbug = \"nope\"\n"),
            &[],
            "unknown-bug-key.toml:2: key `bug`: protocol raft has no planted bug `nope` (it has: commit-old-term, vote-without-up-to-date-check, forget-vote-on-restart, no-consistency-check, keep-leading-on-higher-term, change-before-term-commit, snapshot-drops-sessions, stale-lease-read, pre-vote-grants-real-vote)",
        ),
        (
            "unknown-property",
            Some("protocol = \"raft\"\n[expect]\nviolation = \"happiness\"\n"),
            &[],
            "unknown-property.toml:3: key `expect.violation`: unknown property `happiness` (protocol raft is checked for: agreement, stability, state machine safety, election safety, bounded message storm, log matching, leader append-only, leader completeness, lease safety, one vote per term)",
        ),
        (
            "num-nodes-and-nodes",
            Some("num_nodes = 3\n[cluster]\nnodes = 3\n"),
            &[],
            "num-nodes-and-nodes.toml:1: key `num_nodes`: `cluster.nodes` is given too (line 3); give one of them",
        ),
        (
            "server-named-like-a-client",
            Some(
                "protocol = \"raft\"\n[cluster]\nnodes = 3\nnames = [\"client 1\", \"n2\", \"n3\"]\n",
            ),
            &[],
            "server-named-like-a-client.toml:4: key `cluster.names`: `client 1` would name two nodes, a server and a client (clients are `client 1`..`client N`); pick another name",
        ),
        (
            "name-with-comma",
            Some("protocol = \"raft\"\n[cluster]\nnames = [\"a,b\", \"c\"]\n"),
            &[],
            "name-with-comma.toml:3: key `cluster.names`: `a,b`: a name cannot contain `,` or `|` (a partition is written `n1,n2 | n3`)",
        ),
        (
            "name-with-bar",
            Some("protocol = \"paxos\"\n[cluster]\nnames = [\"a|b\", \"c\"]\n"),
            &[],
            "name-with-bar.toml:3: key `cluster.names`: `a|b`: a name cannot contain `,` or `|`",
        ),
        // Sizes that would not finish are refused, with the reason.
        (
            "too-many-acceptors",
            Some("protocol = \"paxos\"\n[cluster]\nproposers = 1\nacceptors = 10000\n"),
            &[],
            "too-many-acceptors.toml:4: key `cluster.acceptors`: must be between 1 and 500, got 10000 (every proposer sends each phase to every acceptor, and the live checks read every node after each event)",
        ),
        (
            "too-many-nodes-flag",
            None,
            &["run", "raft", "--nodes", "10000"],
            "--nodes: key `cluster.nodes`: must be between 1 and 500, got 10000 (every server keeps state for every other and every election asks them all: beyond 500, runs take minutes and elections keep splitting)",
        ),
        (
            "too-many-clients-flag",
            None,
            &["run", "kv", "--clients", "10001"],
            "--clients: key `cluster.clients`: must be between 1 and 10000, got 10001",
        ),
        (
            "nodes-flag-not-taken",
            None,
            &["run", "multipaxos", "--nodes", "3"],
            "--nodes: protocol multipaxos has no `cluster.nodes` (its [cluster] counts: acceptors, leaders, replicas, clients)",
        ),
        // Numbers that round-trip: one seed range, times within the clock.
        (
            "negative-seed",
            Some("seed = -1\n"),
            &[],
            "negative-seed.toml:1: key `seed`: must be >= 0, got -1",
        ),
        (
            "seed-too-large",
            Some("seed = 18446744073709551616\n"),
            &[],
            "seed-too-large.toml:1: key `seed`: must be at most 18446744073709551615 (64 bits), got 18446744073709551616",
        ),
        (
            "until-past-the-clock",
            Some("until_ms = 1e30\n"),
            &[],
            "until-past-the-clock.toml:1: key `until_ms`: 1e30 ms is past the end of the simulator's clock (microseconds in 64 bits: at most 18446744073709550 ms)",
        ),
        (
            "until-flag-past-the-clock",
            None,
            &["run", "kv", "--until", "18446744073709551615"],
            "invalid value '18446744073709551615' for '--until <MS>': 1.8446744073709552e19 ms is past the end of the simulator's clock",
        ),
        (
            "until-flag-not-a-number",
            None,
            &["run", "kv", "--until", "soon"],
            "invalid value 'soon' for '--until <MS>': expected milliseconds, as 1500 or 2.5, got `soon`",
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
            "--clients: key `cluster.clients`: must be between 1 and 10000, got 0",
        ),
        (
            "unknown-bug",
            None,
            &["run", "raft", "--bug", "nope"],
            "--bug: protocol raft has no planted bug `nope` (it has: commit-old-term, ",
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

/// A run in which nothing useful happened does not look like a success, whatever its
/// expectations say: the result line says so.
#[test]
fn a_run_where_no_request_succeeded_and_every_server_is_down_says_so() {
    let path = scratch().join("all-down.toml");
    std::fs::write(
        &path,
        "protocol = \"kv\"\n[[fault]]\nat_ms = 0\ncrash = \"server\"\n",
    )
    .unwrap();
    let o = synod(&["run", path.to_str().unwrap(), "--log-level", "error"]);
    // Only safety is expected of this scenario, and it held.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "result: PASS, but no request succeeded (3 issued) and every server is down at the end\n"
        ),
        "{}",
        stdout(&o)
    );
    // A healthy run says nothing of the kind.
    let o = synod(&["run", "kv", "--log-level", "error"]);
    assert!(stdout(&o).ends_with("result: PASS\n"), "{}", stdout(&o));
}

/// A scenario file over the documented size limit (16 MiB) is refused before it is parsed.
#[test]
fn a_scenario_over_16_mib_is_refused() {
    let path = scratch().join("huge.toml");
    let line = "# a comment line that pads the file out to a size no scenario needs\n";
    let copies = (16 << 20) / line.len() + 1;
    std::fs::write(&path, line.repeat(copies)).unwrap();
    let o = synod(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("huge.toml: the file is 16777217 bytes; a scenario may be at most 16777216 bytes (16 MiB)"),
        "{}",
        stderr(&o)
    );
}

/// Suspicious but legal schedules run, with a warning naming the file and the line.
#[test]
fn suspicious_schedules_warn_with_the_line_and_still_run() {
    let path = scratch().join("suspicious.toml");
    std::fs::write(
        &path,
        "protocol = \"kv\"\nuntil_ms = 3000\n\
         [[fault]]\nat_ms = 5\nrestart = \"server\"\n\
         [[fault]]\nat_ms = 4000\ncrash = \"server\"\n\
         [[request]]\nat_ms = 10\nclient = \"server\"\nop = \"get\"\nkey = \"a\"\n\
         [[note]]\nat_ms = 3500\ntext = \"too late\"\n",
    )
    .unwrap();
    let o = synod(&["run", path.to_str().unwrap(), "--log-level", "error"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    for want in [
        "suspicious.toml:5: restart of `server` at 5.0ms, which is up then (no crash before it): it does nothing",
        "suspicious.toml:8: a fault at 4000.0ms, after the run ends (until 3000.0ms): it never strikes",
        "suspicious.toml:11: a request to `server`, which is a server, not a client: it is skipped",
        "suspicious.toml:15: a note at 3500.0ms, after the run ends (until 3000.0ms): it is never shown",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("warning: ") && l.ends_with(want)),
            "{want}\nin:\n{err}"
        );
    }
}

/// A schedule with many suspicious entries shows the first twenty warnings and a count.
#[test]
fn many_warnings_are_cut_short() {
    let path = scratch().join("many-warnings.toml");
    let faults: String = (0..25)
        .map(|i| format!("[[fault]]\nat_ms = {i}\nrestart = \"server\"\n"))
        .collect();
    std::fs::write(&path, format!("protocol = \"kv\"\n{faults}")).unwrap();
    let o = synod(&["run", path.to_str().unwrap(), "--log-level", "error"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 21, "{err}");
    assert!(err.ends_with("warning: ... and 5 more\n"), "{err}");
}

/// Seeds have one range everywhere: the largest seed runs from the command line and from a
/// file, and `--until` takes fractional milliseconds like `until_ms`.
#[test]
fn the_largest_seed_and_fractional_times_are_accepted_everywhere() {
    let max = u64::MAX.to_string();
    let o = synod(&[
        "run",
        "kv",
        "--seed",
        &max,
        "--until",
        "2.5",
        "--log-level",
        "error",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(&format!(
            "synod run: kv (protocol kv, seed {max}, until 2.5ms)"
        )),
        "{}",
        stdout(&o)
    );
    let path = scratch().join("max-seed.toml");
    std::fs::write(
        &path,
        format!("protocol = \"kv\"\nseed = {max}\nuntil_ms = 2.5\n"),
    )
    .unwrap();
    let from_file = synod(&["run", path.to_str().unwrap(), "--log-level", "error"]);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    assert!(stdout(&from_file).contains(&format!("seed {max}, until 2.5ms")));
}

/// `synod check PROTOCOL --bug list` lists that protocol's bugs only; without a protocol,
/// every protocol's.
#[test]
fn bug_list_is_per_protocol() {
    let raft = stdout(&synod(&["check", "raft", "--bug", "list"]));
    assert_eq!(raft.lines().count(), 9, "{raft}");
    assert!(raft.lines().all(|l| l.starts_with("raft ")), "{raft}");
    let kv = synod(&["check", "kv", "--bug", "list"]);
    assert_eq!(kv.status.code(), Some(0));
    assert_eq!(stdout(&kv), "protocol kv has no planted bugs\n");
    let all = stdout(&synod(&["check", "--bug", "list"]));
    let listed: usize = synod_protocols::PROTOCOLS
        .iter()
        .map(|p| p.bugs.len())
        .sum();
    assert_eq!(all.lines().count(), listed, "{all}");
}

/// One name per node everywhere: the narration names servers as the scenario does, so a name
/// copied from the output works in a fault.
#[test]
fn narration_names_nodes_as_the_scenario_does() {
    let base = "protocol = \"raft\"\n[cluster]\nnames = [\"Taziri\", \"Amastan\", \"Itri\"]\n";
    let path = scratch().join("named.toml");
    std::fs::write(&path, base).unwrap();
    let out = stdout(&synod(&["run", path.to_str().unwrap()]));
    // The leader, as the narration names it.
    let leader = out
        .lines()
        .find_map(|l| {
            let label = l.split('[').nth(1)?.split(']').next()?;
            l.contains("becomes leader of term")
                .then(|| label.split(' ').next().unwrap().to_string())
        })
        .unwrap_or_else(|| panic!("no leader in:\n{out}"));
    assert!(
        ["Taziri", "Amastan", "Itri"].contains(&leader.as_str()),
        "{leader}"
    );
    assert!(
        out.contains(&format!("follows {leader}, leader of term")),
        "{out}"
    );
    assert!(!out.contains("node 1") && !out.contains("from 2:"), "{out}");
    // Copied into a fault, the name strikes that node.
    std::fs::write(
        &path,
        format!("{base}[[fault]]\nat_ms = 1000\ncrash = \"{leader}\"\n"),
    )
    .unwrap();
    let o = synod(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = stdout(&o);
    assert!(
        run.lines()
            .any(|l| l.contains("[fault]") && l.ends_with(&format!("*** crash {leader}"))),
        "{run}"
    );
    assert!(
        run.contains(&format!("[{leader} leader t1]")) && run.contains("*** crashed"),
        "{run}"
    );
}
