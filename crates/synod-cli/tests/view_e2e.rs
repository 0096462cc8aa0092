//! `synod view` pages in a real browser: writes pages for a Raft Figure 8 run (`synod run
//! --html`), the same schedule with the planted bug `commit-old-term` (`synod run --trace`, then
//! `synod view`), a Multi-Paxos leader failover, a Paxos duel, a VR primary crash (a leader
//! called `primary`, a log of commands), a hand-made history that is not linearizable, and an
//! SVG window (`synod view --svg`); then tests/e2e/view_e2e.py opens each
//! from file:// in headless Chromium and checks what is drawn: the lanes, the arrows, the role
//! bands, the log grid and commit index at a given cursor (Figure 8's uncommitted index 8), the
//! slot table, the violation marker, the outlined operation, clicks, keys and filters.
//! Screenshots go to target/e2e-screenshots/view-*.png for a human to look at.
//!
//! Needs Debian's chromium, chromium-driver and python3-selenium; without them the test fails
//! and says how to install them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tool(cmd: &str) -> String {
    const HOW: &str = "install them with: apt-get update && apt-get install -y chromium chromium-driver python3-selenium";
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .expect("run sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !path.is_empty(),
        "the browser tests need `{cmd}`, which is missing; {HOW}"
    );
    path
}

fn synod(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_synod"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(args)
        .output()
        .expect("run synod");
    assert!(
        o.status.success(),
        "synod {args:?}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A kv trace whose history is not linearizable: client 2 reads "a" as missing after client
/// 1's put of "a" returned.
const NOT_LINEARIZABLE: &str = r#"{"schema":"synod-trace","version":1,"protocol":"kv","seed":1,"nodes":[{"id":0,"name":"server","role":"server","client":false},{"id":1,"name":"client 1","role":"client","client":true},{"id":2,"name":"client 2","role":"client","client":true}]}
{"seq":1,"time_us":0,"node":1,"kind":"invoke","op_id":1,"op":{"f":"put","key":"a","value":"v1"}}
{"seq":2,"time_us":0,"node":1,"kind":"send","to":0,"msg_id":1,"msg_kind":"Request","msg":{"put":"a"}}
{"seq":3,"time_us":2000,"node":0,"kind":"deliver","from":1,"msg_id":1,"msg_kind":"Request"}
{"seq":4,"time_us":2000,"node":0,"kind":"send","to":1,"msg_id":2,"msg_kind":"Reply","msg":{"ok":true}}
{"seq":5,"time_us":4000,"node":1,"kind":"deliver","from":0,"msg_id":2,"msg_kind":"Reply"}
{"seq":6,"time_us":4000,"node":1,"kind":"return","op_id":1,"result":{"type":"ok"}}
{"seq":7,"time_us":5000,"node":2,"kind":"invoke","op_id":1,"op":{"f":"get","key":"a"}}
{"seq":8,"time_us":5000,"node":2,"kind":"send","to":0,"msg_id":3,"msg_kind":"Request","msg":{"get":"a"}}
{"seq":9,"time_us":7000,"node":0,"kind":"deliver","from":2,"msg_id":3,"msg_kind":"Request"}
{"seq":10,"time_us":7000,"node":0,"kind":"send","to":2,"msg_id":4,"msg_kind":"Reply","msg":{"error":"key not found: a"}}
{"seq":11,"time_us":9000,"node":2,"kind":"deliver","from":0,"msg_id":4,"msg_kind":"Reply"}
{"seq":12,"time_us":9000,"node":2,"kind":"return","op_id":1,"result":{"type":"error","error":"key not found: a"}}
"#;

#[test]
fn pages_of_runs_in_headless_chromium() {
    let chromium = tool("chromium");
    let driver = tool("chromedriver");
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import selenium"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("the browser tests need Python's selenium (apt-get install -y python3-selenium)");

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("view-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let at = |f: &str| dir.join(f).to_string_lossy().into_owned();
    synod(&[
        "run",
        "scenarios/raft-figure8.toml",
        "--html",
        &at("raft-figure8.html"),
    ]);
    synod(&[
        "run",
        "scenarios/raft-figure8-commit-old-term.toml",
        "--trace",
        &at("raft-figure8-bug.jsonl"),
    ]);
    synod(&[
        "view",
        &at("raft-figure8-bug.jsonl"),
        "-o",
        &at("raft-figure8-bug.html"),
    ]);
    synod(&[
        "view",
        &at("raft-figure8-bug.jsonl"),
        "--svg",
        "850..1400",
        "-o",
        &at("window.svg"),
    ]);
    synod(&[
        "run",
        "scenarios/multipaxos-leader-crash.toml",
        "--html",
        &at("multipaxos-failover.html"),
    ]);
    synod(&[
        "run",
        "scenarios/paxos-dueling.toml",
        "--html",
        &at("paxos-duel.html"),
    ]);
    synod(&[
        "run",
        "scenarios/vr-primary-crash.toml",
        "--html",
        &at("vr-primary-crash.html"),
    ]);
    std::fs::write(dir.join("not-linearizable.jsonl"), NOT_LINEARIZABLE).unwrap();
    synod(&[
        "view",
        &at("not-linearizable.jsonl"),
        "-o",
        &at("not-linearizable.html"),
    ]);

    // CARGO_TARGET_TMPDIR is <target>/tmp: screenshots go beside it.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("e2e-screenshots");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/view_e2e.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&dir)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .env("CHROMEDRIVER", &driver)
        .output()
        .expect("run the browser script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots.display()
    );
    assert!(stdout.contains("e2e: all passed"), "{stdout}");
}
