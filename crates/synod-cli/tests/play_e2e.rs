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

mod browser;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_player_in_headless_chromium() {
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

    browser::run_script(
        "play_e2e.py",
        &[OsStr::new(&url), browser::shots().as_os_str()],
    );
    drop(server);
}
