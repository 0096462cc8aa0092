//! `synod lin --html` in a real browser: writes pages for a refuted Porcupine key-value history,
//! a refuted Jepsen register, a linearizable history and an operation that is never possible,
//! then runs tests/e2e/lin_e2e.py, which opens them from file:// in headless Chromium and
//! checks what is drawn against the data the page embeds. Screenshots go to
//! target/e2e-screenshots/ for a human to look at.
//!
//! Needs Debian's chromium, chromium-driver and python3-selenium; without them the test fails
//! and says how to install them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn found(cmd: &str) -> Option<String> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !path.is_empty()).then_some(path)
}

/// Debian's Python, which python3-selenium installs into.
fn python_with_selenium() -> Option<&'static str> {
    Command::new("/usr/bin/python3")
        .args(["-c", "import selenium"])
        .stderr(Stdio::null())
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| "/usr/bin/python3")
}

fn data(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../synod-check/tests/data")
        .join(rel)
        .display()
        .to_string()
}

/// `synod lin FILE --html PAGE`; returns the page's text.
fn page(history: &str, page: &Path, want_code: i32) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["lin", history, "--html"])
        .arg(page)
        .output()
        .expect("run synod lin");
    assert_eq!(
        out.status.code(),
        Some(want_code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("page written to {}", page.display())),
        "{stdout}"
    );
    std::fs::read_to_string(page).expect("the page")
}

#[test]
fn pages_in_headless_chromium() {
    const HOW: &str = "install them with: apt-get update && apt-get install -y chromium chromium-driver python3-selenium";
    let chromium = found("chromium")
        .unwrap_or_else(|| panic!("the browser tests need `chromium`, which is missing; {HOW}"));
    let driver = found("chromedriver").unwrap_or_else(|| {
        panic!("the browser tests need `chromedriver`, which is missing; {HOW}")
    });
    let python = python_with_selenium().unwrap_or_else(|| {
        panic!("the browser tests need Python's selenium, which is missing; {HOW}")
    });

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lin-pages");
    std::fs::create_dir_all(&dir).unwrap();
    let refuted = dir.join("c10-bad.html");
    let register = dir.join("etcd_000.html");
    let linearizable = dir.join("c10-ok.html");
    let never = dir.join("never.html");
    let never_history = dir.join("never.edn");
    // A read of a value nobody writes, with markup in it that the page must show as text.
    std::fs::write(
        &never_history,
        "{:process 0, :type :invoke, :f :write, :value 1}\n\
         {:process 1, :type :invoke, :f :read, :value nil}\n\
         {:process 0, :type :ok, :f :write, :value 1}\n\
         {:process 1, :type :ok, :f :read, :value \"</script><b>boo\"}\n",
    )
    .unwrap();
    let pages = [
        page(&data("porcupine-kv/c10-bad.txt"), &refuted, 1),
        page(&data("jepsen-etcd/etcd_000.log"), &register, 1),
        page(&data("porcupine-kv/c10-ok.txt"), &linearizable, 0),
        page(never_history.to_str().unwrap(), &never, 1),
    ];
    for html in &pages {
        // Self-contained: nothing to fetch (the SVG namespace is a name, not a request).
        for external in [
            "src=\"http",
            "href=\"http",
            "@import",
            "url(http",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!html.contains(external), "the page refers to `{external}`");
        }
        assert!(html.contains("<script type=\"application/json\" id=\"data\">"));
        assert_eq!(
            html.matches("</script>").count(),
            2,
            "only the page's own two scripts close"
        );
    }

    // CARGO_TARGET_TMPDIR is <target>/tmp: screenshots go beside it.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("e2e-screenshots");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/lin_e2e.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&shots)
        .args([&refuted, &register, &linearizable, &never])
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
