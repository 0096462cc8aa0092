//! Long runs stopped from outside: Ctrl-C ends `synod run` and `synod check` with the summary
//! of what finished and exit code 130, in memory that does not grow with `--seeds`; a reader
//! that goes away (`synod ... | head -1`) ends them quietly with exit code 0.

#![allow(clippy::disallowed_methods)]

mod bug_table;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Start `synod` with stdout and stderr piped.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the synod binary runs")
}

/// Start `synod` under `ulimit -v` (KiB), with stdout piped.
fn spawn_limited(kib: u64, args: &[&str]) -> Child {
    Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs")
}

/// Send SIGINT, as Ctrl-C in a terminal does.
fn ctrl_c(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Read stdout lines until one satisfies `done`, then send SIGINT; the rest of the output and
/// the exit code.
fn interrupt_when(mut child: Child, done: impl Fn(&str, usize) -> bool) -> (String, Option<i32>) {
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    let mut seen = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("ended before it was interrupted:\n{out}");
        }
        out.push_str(&line);
        seen += 1;
        if done(line.trim_end(), seen) {
            break;
        }
    }
    ctrl_c(&child);
    reader.read_to_string(&mut out).unwrap();
    let status = child.wait().unwrap();
    (out, status.code())
}

/// A billion seeds in 512 MB: seeds are computed as they run, never listed. Ctrl-C stops the
/// campaign with the summary of the seeds that finished, and exit code 130.
#[test]
fn a_billion_seed_campaign_runs_in_bounded_memory_and_ctrl_c_summarizes_it() {
    let child = spawn_limited(
        512 * 1024,
        &[
            "check",
            "kv",
            "--seeds",
            "1000000000",
            "--jobs",
            "2",
            "--per-seed",
        ],
    );
    let (out, code) = interrupt_when(child, |line, _| line == "seed 40: pass");
    assert_eq!(code, Some(130), "{out}");
    let finished = out
        .lines()
        .filter(|l| l.starts_with("seed ") && l.ends_with(": pass"))
        .count();
    assert!(finished >= 40, "{out}");
    assert!(
        out.contains(&format!(
            "interrupted (Ctrl-C): {finished} of 1000000000 seeds finished"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("seeds run: {finished}\n")), "{out}");
    assert!(out.contains("violations: none"), "{out}");
    assert!(
        out.contains(&format!(
            "result: PASS (interrupted after {finished} of 1000000000 seeds)"
        )),
        "{out}"
    );
}

/// Ctrl-C in a campaign that found a failure: the summary has the violation, its first seed,
/// and the shrunk scenario already written.
#[test]
fn ctrl_c_keeps_the_failures_found_and_the_scenarios_written() {
    // The first failure from seed 1: the seed the bug table pins.
    let pinned = bug_table::row("vote-without-up-to-date-check");
    let seed = pinned.seed.expect("the table pins a seed");
    let dir = std::env::temp_dir().join(format!("synod-check-ctrl-c-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let child = spawn_limited(
        512 * 1024,
        &[
            "check",
            "raft",
            "--bug",
            "vote-without-up-to-date-check",
            "--seeds",
            "1000000000",
            "--jobs",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    let (out, code) = interrupt_when(child, |line, _| line.starts_with("  replay: "));
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("interrupted (Ctrl-C): "), "{out}");
    assert!(out.contains("violations by property:"), "{out}");
    assert!(
        out.contains(&format!(
            "    first: seed {seed}: {} violated",
            pinned.property
        )),
        "{out}"
    );
    let file = dir.join(format!(
        "raft-seed{seed}-{}.toml",
        pinned.property.replace(' ', "-")
    ));
    assert!(
        out.contains(&format!("      replay: synod run {}", file.display())),
        "{out}"
    );
    assert!(file.is_file());
    assert!(out.contains("result: FAIL (interrupted)"), "{out}");
}

/// Ctrl-C during `synod run`: the summary of the run so far, and exit code 130.
#[test]
fn ctrl_c_prints_the_summary_of_the_run_so_far() {
    let mut child = spawn(&[
        "run",
        "raft",
        "--requests",
        "1000000",
        "--until",
        "100000000",
        "--log-level",
        "error",
    ]);
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    reader.read_line(&mut out).unwrap();
    assert!(out.starts_with("synod run: raft"), "{out}");
    // Running now, with Ctrl-C caught: let it get somewhere, then interrupt it.
    std::thread::sleep(std::time::Duration::from_millis(500));
    ctrl_c(&child);
    reader.read_to_string(&mut out).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(
        out.contains(": interrupted (Ctrl-C); this is the run so far\n"),
        "{out}"
    );
    assert!(out.contains("requests: "), "{out}");
    assert!(out.contains("final state:"), "{out}");
    assert!(out.contains("result: INTERRUPTED\n"), "{out}");
}

/// `synod run | head -1`, `synod check | head -1`: the reader goes away after the first line;
/// synod stops at once (these would take minutes), quietly, with exit code 0.
#[test]
fn a_closed_pipe_ends_run_and_check_quietly() {
    let cases: [&[&str]; 2] = [
        &["run", "raft", "--requests", "100000", "--until", "10000000"],
        &["check", "kv", "--seeds", "100000", "--per-seed"],
    ];
    for args in cases {
        let mut child = spawn(args);
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(
            first.starts_with(&format!("synod {}: ", args[0])),
            "{first}"
        );
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}
