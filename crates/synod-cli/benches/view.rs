//! `synod view` on a trace of more than 100,000 events: how long `synod run --trace` and
//! `synod view` take to make the page, and how the page loads and scrubs in headless Chromium
//! (benches/view_bench.py prints min and median over several fresh browsers). The targets
//! (issue 16): the page opens in under 3 s and scrubs at 30 frames/s or better.
//!
//! `cargo bench -p synod-cli --bench view` (needs chromium, chromium-driver and
//! python3-selenium, as the browser tests do).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn synod(args: &[&str]) -> f64 {
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .output()
        .expect("run synod");
    assert!(
        o.status.success(),
        "synod {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    started.elapsed().as_secs_f64()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("synod-view-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("raft-4000.jsonl");
    let page = dir.join("raft-4000.html");
    let (trace_s, page_s) = (trace.to_str().unwrap(), page.to_str().unwrap());
    // Raft, 5 servers, 10 clients of 400 requests each: about 103,000 events.
    let run = synod(&[
        "run",
        "raft",
        "--clients",
        "10",
        "--requests",
        "400",
        "--until",
        "600000",
        "--log-level",
        "error",
        "--trace",
        trace_s,
    ]);
    let view = synod(&["view", trace_s, "-o", page_s]);
    let mb = |p: &PathBuf| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    println!(
        "synod run --trace: {run:.2} s ({:.1} MB trace); synod view: {view:.2} s ({:.1} MB page)",
        mb(&trace),
        mb(&page)
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/view_bench.py");
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import selenium"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("needs Python's selenium (apt-get install -y chromium chromium-driver python3-selenium)");
    let status = Command::new(python)
        .arg(&script)
        .arg(&page)
        .arg("5")
        .status()
        .expect("run the browser benchmark");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "the browser benchmark failed");
}
