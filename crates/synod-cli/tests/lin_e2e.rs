//! `synod lin --html` in a real browser: writes pages for a refuted Porcupine key-value history,
//! a refuted Jepsen register, a linearizable history and an operation that is never possible,
//! then runs tests/e2e/lin_e2e.py, which opens them from file:// in headless Chromium and
//! checks what is drawn against the data the page embeds. Screenshots go to
//! target/e2e-screenshots/ for a human to look at.
//!
//! Needs Debian's chromium, chromium-driver and python3-selenium; without them the test fails
//! and says how to install them.

mod browser;
mod lin_support;

use lin_support::data;
use std::path::{Path, PathBuf};
use std::process::Command;

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

    let shots = browser::shots();
    browser::run_script(
        "lin_e2e.py",
        &[
            shots.as_os_str(),
            refuted.as_os_str(),
            register.as_os_str(),
            linearizable.as_os_str(),
            never.as_os_str(),
        ],
    );
}
