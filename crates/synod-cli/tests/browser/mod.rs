//! What the browser tests need: headless Chromium, its driver, and Python's Selenium.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The path of `cmd`, if it is installed.
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

/// (chromium, chromedriver, python): the test fails, saying how to install them, if one is
/// missing.
fn require() -> (String, String, String) {
    const HOW: &str = "install them with: apt-get update && apt-get install -y chromium chromium-driver python3-selenium";
    let chromium = found("chromium")
        .unwrap_or_else(|| panic!("the browser tests need `chromium`, which is missing; {HOW}"));
    let driver = found("chromedriver").unwrap_or_else(|| {
        panic!("the browser tests need `chromedriver`, which is missing; {HOW}")
    });
    let python = python_with_selenium().unwrap_or_else(|| {
        panic!("the browser tests need Python's selenium, which is missing; {HOW}")
    });
    (chromium, driver, python)
}

/// Where the screenshots go: `<target>/e2e-screenshots/` (CARGO_TARGET_TMPDIR is
/// `<target>/tmp`), for a human to look at.
pub fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("e2e-screenshots")
}

/// Runs `tests/e2e/SCRIPT ARGS...` (Python and Selenium driving headless Chromium); the test
/// fails unless the script succeeds and prints `e2e: all passed`.
pub fn run_script(script: &str, args: &[&OsStr]) {
    let (chromium, driver, python) = require();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(script);
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .env("CHROMIUM", &chromium)
        .env("CHROMEDRIVER", &driver)
        .output()
        .expect("run the browser script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots().display()
    );
    assert!(stdout.contains("e2e: all passed"), "{stdout}");
}
