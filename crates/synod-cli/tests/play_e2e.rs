//! `synod play` in a real browser: starts the server on a free port and runs
//! tests/e2e/play_e2e.py, which drives headless Chromium through Selenium as a player would
//! (the nodes render, a leader gets a crown, a decision appears, killing the leader hands the
//! crown to another node with safety holding, and the broken protocol is beaten by holding the
//! leader). Screenshots go to target/e2e-screenshots/ for a human to look at.
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
