//! `synod play` in a real browser: starts the server on a free port and runs
//! tests/e2e/play_e2e.py, which drives headless Chromium through Selenium as a player would:
//! the layout at 1400x900, 800x600 and 390x844 (Paxos with 3 and 5 nodes, Raft with 5) with no
//! node box or lane overlapping another and nothing cut off; a leader's crown, the decision and
//! its score card; killing the leader (and a refused second kill that is not logged); the
//! broken protocol beaten by holding the leader, and the held node let go after the win; the
//! game, node count and broken switch starting their game at once; Step; the callouts switch;
//! a replay link that plays from 0 and scrubs; Raft committing within 20 s of game time;
//! Figure 8 as a scenario; double-tap and long-press on a phone; and an exported replay that
//! opens from file:// and reaches the same violation. Screenshots go to
//! target/e2e-screenshots/ for a human to look at.
//!
//! Needs Debian's chromium, chromium-driver and python3-selenium; without them the test fails
//! and says how to install them.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn found(cmd: &str) -> Option<String> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !path.is_empty()).then_some(path)
}

/// A Python that can import selenium: Debian's first (python3-selenium installs there).
fn python_with_selenium() -> Option<String> {
    ["/usr/bin/python3", "python3"].into_iter().find_map(|py| {
        Command::new(py)
            .args(["-c", "import selenium"])
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
            .map(|_| py.to_string())
    })
}

#[test]
fn a_player_in_headless_chromium() {
    const HOW: &str = "install them with: apt-get update && apt-get install -y chromium chromium-driver python3-selenium";
    let chromium = found("chromium")
        .unwrap_or_else(|| panic!("the browser tests need `chromium`, which is missing; {HOW}"));
    let driver = found("chromedriver").unwrap_or_else(|| {
        panic!("the browser tests need `chromedriver`, which is missing; {HOW}")
    });
    let python = python_with_selenium().unwrap_or_else(|| {
        panic!("the browser tests need Python's selenium, which is missing; {HOW}")
    });

    let mut child = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["play", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start synod play");
    let stdout = child.stdout.take().unwrap();
    let server = Kill(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();

    // CARGO_TARGET_TMPDIR is <target>/tmp: screenshots go beside it.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("e2e-screenshots");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/play_e2e.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&url)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .env("CHROMEDRIVER", &driver)
        .output()
        .expect("run the browser script");
    drop(server);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots.display()
    );
    assert!(stdout.contains("e2e: all passed"), "{stdout}");
}
