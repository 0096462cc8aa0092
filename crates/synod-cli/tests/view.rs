//! `synod view` and `synod run --html` as a user runs them: the page is one self-contained file
//! holding the run, `--svg` draws a window, and bad input gets a clear message and exit code 2.
//! (What the page draws is tested in a browser: tests/view_e2e.rs.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn synod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("the synod binary runs")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synod-view-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The JSON the page carries.
fn page_data(html: &str) -> serde_json::Value {
    let start = html
        .find(r#"<script id="data" type="application/json">"#)
        .unwrap();
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(body).unwrap()
}

#[test]
fn a_page_is_one_file_with_the_run_and_nothing_to_fetch() {
    let dir = scratch();
    let trace = dir.join("f8.jsonl");
    let page = dir.join("f8.html");
    let o = synod(&[
        "run",
        "scenarios/raft-figure8-commit-old-term.toml",
        "--trace",
        trace.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("page written to"), "{}", text(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no script, style, image or font from anywhere.
    for needle in [
        "src=\"http",
        "href=\"http",
        "<link",
        "src=\"//",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(needle), "the page refers to `{needle}`");
    }
    let data = page_data(&html);
    assert_eq!(data["protocol"], "raft");
    assert_eq!(data["violation"]["property"], "leader completeness");
    let names: Vec<&str> = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..5], ["n1", "n2", "n3", "n4", "n5"]);
    assert!(data["st"]["e"].as_array().unwrap().len() > 100, "states");
    // `synod view` of the trace the same run wrote gives the same data (its title aside).
    let again = dir.join("again.html");
    let o = synod(&[
        "view",
        trace.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut a = page_data(&std::fs::read_to_string(&again).unwrap());
    let mut b = data.clone();
    for d in [&mut a, &mut b] {
        d["title"] = serde_json::Value::Null;
        d["about"] = serde_json::Value::Null;
    }
    assert!(a == b, "synod view and synod run --html draw the same run");
}

#[test]
fn the_default_output_is_beside_the_trace_and_never_over_it() {
    let dir = scratch();
    let trace = dir.join("kv.jsonl");
    assert!(
        synod(&["run", "kv", "--trace", trace.to_str().unwrap()])
            .status
            .success()
    );
    let o = synod(&["view", trace.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("kv.html").is_file());
    let o = synod(&["view", trace.to_str().unwrap(), "--svg", "0..50"]);
    assert!(o.status.success(), "{}", text(&o));
    let svg = std::fs::read_to_string(dir.join("kv.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains(">client 1<"),
        "{svg}"
    );
    let o = synod(&[
        "view",
        trace.to_str().unwrap(),
        "-o",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("would overwrite the trace"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_traces_and_windows_get_a_clear_message_and_exit_2() {
    let dir = scratch();
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_string_lossy().into_owned()
    };
    let header = r#"{"schema":"synod-trace","version":1,"protocol":"kv","seed":1,"nodes":[{"id":0,"name":"server","role":"server","client":false}]}"#;
    let not_json = write("not-json.jsonl", &format!("{header}\n{{oops\n"));
    let not_trace = write("lin.log", "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n");
    let bad_node = write(
        "bad-node.jsonl",
        &format!("{header}\n{{\"seq\":1,\"time_us\":0,\"node\":4,\"kind\":\"start\"}}\n"),
    );
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["view", "no/such.jsonl"],
            "cannot read trace `no/such.jsonl`".into(),
        ),
        (
            vec!["view", &not_json],
            format!("{not_json}:2: not a trace event"),
        ),
        (
            vec!["view", &not_trace],
            format!("{not_trace}:1: not a synod trace header"),
        ),
        (
            vec!["view", &bad_node],
            format!("{bad_node}:2: `node` is 4, but the header lists 1 nodes"),
        ),
        (
            vec!["view", &bad_node, "--svg", "9..3"],
            "ends before it starts".into(),
        ),
        (
            vec!["view", &bad_node, "--svg", "soon"],
            "is not a window FROM..TO".into(),
        ),
    ];
    for (args, want) in cases {
        let o = synod(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(&want), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
}
