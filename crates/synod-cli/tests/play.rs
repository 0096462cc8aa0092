//! `synod play` as a client sees it: the binary is started on a free port and spoken to over
//! HTTP/1.1 by hand. The API's happy path, and the bad inputs (malformed and oversized bodies,
//! unknown games and nodes, refused actions, too many games) answered with an HTTP error while
//! the server keeps running; a busy port exits 2 naming it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["play", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start synod play");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    Server { child, addr }
}

/// (status, body) of one request.
fn http(s: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut c = TcpStream::connect(&s.addr).unwrap();
    let body = body.unwrap_or("");
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        s.addr,
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = c.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn json(s: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let (status, text) = http(s, method, path, body);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    (status, v)
}

fn new_game(s: &Server, body: &str) -> String {
    let (status, v) = json(s, "POST", "/api/game", Some(body));
    assert_eq!(status, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let s = serve(&[]);
    let (status, page) = http(&s, "GET", "/", None);
    assert_eq!(status, 200);
    assert!(page.contains("BeatPaxos") && page.contains("/play.js"));
    for asset in ["/play.js", "/play.css"] {
        let (status, body) = http(&s, "GET", asset, None);
        assert_eq!(status, 200, "{asset}");
        assert!(body.len() > 500, "{asset}");
    }
    let (status, v) = json(&s, "GET", "/nope", None);
    assert_eq!(status, 404);
    assert!(v["error"].is_string());
}

#[test]
fn a_paxos_game_advances_decides_and_replays() {
    let s = serve(&[]);
    let (status, g) = json(
        &s,
        "POST",
        "/api/game",
        Some(r#"{"protocol":"paxos","nodes":3,"seed":4}"#),
    );
    assert_eq!(status, 200);
    assert_eq!(
        g["info"]["nodes"],
        serde_json::json!(["red", "green", "blue"])
    );
    assert!(g["info"]["baseline_ms"].as_f64().unwrap() > 1000.0);
    let id = g["id"].as_str().unwrap();
    let mut cursor = 0;
    let mut sends = 0;
    let mut state = Value::Null;
    for _ in 0..12 {
        let (status, st) = json(
            &s,
            "POST",
            &format!("/api/game/{id}/advance"),
            Some(&format!(r#"{{"ms": 5000, "cursor": {cursor}}}"#)),
        );
        assert_eq!(status, 200, "{st}");
        cursor = st["cursor"].as_u64().unwrap();
        for e in st["events"].as_array().unwrap() {
            if e["kind"] == "send" {
                sends += 1;
                // Coloured by the ballot's proposer: p1a(1.2) is green's.
                let label = e["label"].as_str().unwrap();
                if label.starts_with("p1a(") {
                    let proposer: i64 = label[label.find('.').unwrap() + 1..label.len() - 1]
                        .parse()
                        .unwrap();
                    assert_eq!(e["colour"], proposer - 1, "{e}");
                }
            }
        }
        state = st;
    }
    assert!(sends > 10);
    assert_eq!(state["safety"]["holds"], true);
    assert!(state["score"]["decided_ms"].is_number(), "{state}");
    for n in state["nodes"].as_array().unwrap() {
        assert_ne!(n["value"], "-", "{n}");
    }
    // Kill, refuse a second kill, recover; slow and release.
    let act = |body: &str| json(&s, "POST", &format!("/api/game/{id}/action"), Some(body));
    assert_eq!(act(r#"{"action":"kill","node":0}"#).0, 200);
    let (status, v) = act(r#"{"action":"kill","node":1}"#);
    assert_eq!(status, 409);
    assert!(v["error"].as_str().unwrap().contains("one node"), "{v}");
    assert_eq!(act(r#"{"action":"recover","node":0}"#).0, 200);
    assert_eq!(act(r#"{"action":"slow","node":2}"#).0, 200);
    assert_eq!(act(r#"{"action":"release","node":2}"#).0, 200);
    // Step, back, the full state and the trace.
    let (status, _) = json(&s, "POST", &format!("/api/game/{id}/step"), Some("{}"));
    assert_eq!(status, 200);
    let (status, back) = json(
        &s,
        "POST",
        &format!("/api/game/{id}/back"),
        Some(r#"{"ms": 30000}"#),
    );
    assert_eq!(status, 200);
    assert!(
        back["now_ms"].as_f64().unwrap() <= 30_001.0,
        "{}",
        back["now_ms"]
    );
    let (status, full) = json(&s, "GET", &format!("/api/game/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(full["state"]["now_ms"], back["now_ms"]);
    let (status, trace) = http(&s, "GET", &format!("/api/game/{id}/trace"), None);
    assert_eq!(status, 200);
    assert!(
        trace.starts_with("{\"schema\":\"synod-trace\""),
        "{}",
        &trace[..80]
    );
    // The replay script rebuilds the same game.
    let script = full["state"]["script"].as_str().unwrap();
    let (status, again) = json(
        &s,
        "POST",
        "/api/game",
        Some(&format!(
            r#"{{"protocol":"paxos","seed":4,"script":"{script}"}}"#
        )),
    );
    assert_eq!(status, 200);
    assert_eq!(again["state"]["events"], full["state"]["events"]);
}

#[test]
fn a_raft_game_elects_a_leader_and_commits() {
    let s = serve(&[]);
    let id = new_game(&s, r#"{"protocol":"raft","nodes":5,"seed":1}"#);
    let mut st = Value::Null;
    for _ in 0..20 {
        st = json(
            &s,
            "POST",
            &format!("/api/game/{id}/advance"),
            Some(r#"{"ms": 5000}"#),
        )
        .1;
    }
    assert_eq!(st["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(st["safety"]["holds"], true);
    assert!(
        st["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["leader"] == true),
        "{st}"
    );
    assert!(st["score"]["decided_ms"].is_number(), "{}", st["score"]);
}

#[test]
fn bad_requests_get_an_http_error_and_the_server_keeps_running() {
    let s = serve(&["--max-games", "2"]);
    let id = new_game(&s, "{}");
    let cases: &[(&str, String, Option<String>, u16, &str)] = &[
        (
            "POST",
            "/api/game".into(),
            Some("{not json".into()),
            400,
            "bad request body",
        ),
        (
            "POST",
            "/api/game".into(),
            Some(r#"{"protocol":"zab"}"#.into()),
            400,
            "unknown protocol `zab`",
        ),
        (
            "POST",
            "/api/game".into(),
            Some(r#"{"nodes":4}"#.into()),
            400,
            "nodes must be 3 or 5",
        ),
        (
            "POST",
            "/api/game".into(),
            Some(r#"{"colour":"red"}"#.into()),
            422,
            "unknown field",
        ),
        (
            "POST",
            "/api/game".into(),
            Some(r#"{"script":"zz"}"#.into()),
            400,
            "bad script token",
        ),
        (
            "POST",
            "/api/game".into(),
            Some(format!(r#"{{"script":"{}"}}"#, "a".repeat(20_000))),
            413,
            "too large",
        ),
        (
            "POST",
            "/api/game/0000/advance".into(),
            Some(r#"{"ms":10}"#.into()),
            404,
            "no game `0000`",
        ),
        ("GET", "/api/game/0000/trace".into(), None, 404, "no game"),
        (
            "POST",
            format!("/api/game/{id}/advance"),
            Some(r#"{"ms":-5}"#.into()),
            400,
            "ms must be between",
        ),
        (
            "POST",
            format!("/api/game/{id}/advance"),
            Some(r#"{"ms":1e9}"#.into()),
            400,
            "ms must be between",
        ),
        (
            "POST",
            format!("/api/game/{id}/advance"),
            Some(r#"{"ms":"x"}"#.into()),
            422,
            "bad request body",
        ),
        (
            "POST",
            format!("/api/game/{id}/action"),
            Some(r#"{"action":"kill","node":9}"#.into()),
            400,
            "no node 9",
        ),
        (
            "POST",
            format!("/api/game/{id}/action"),
            Some(r#"{"action":"explode","node":0}"#.into()),
            400,
            "unknown action",
        ),
        (
            "POST",
            format!("/api/game/{id}/action"),
            Some(r#"{"action":"recover","node":0}"#.into()),
            409,
            "red is not down",
        ),
        (
            "POST",
            format!("/api/game/{id}/back"),
            Some(r#"{"ms":-1}"#.into()),
            400,
            "positive",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let (got, text) = http(&s, method, path, body.as_deref());
        assert_eq!(got, *status, "{method} {path} {body:?}: {text}");
        assert!(
            text.contains(needle),
            "{method} {path}: {text:?} lacks {needle:?}"
        );
    }
    // Two games are the limit here.
    new_game(&s, "{}");
    let (status, v) = json(&s, "POST", "/api/game", Some("{}"));
    assert_eq!(status, 503);
    assert!(
        v["error"].as_str().unwrap().contains("too many games"),
        "{v}"
    );
    // Still serving.
    let (status, _) = json(
        &s,
        "POST",
        &format!("/api/game/{id}/advance"),
        Some(r#"{"ms":10}"#),
    );
    assert_eq!(status, 200);
}

#[test]
fn a_busy_port_exits_2_naming_the_port() {
    let s = serve(&[]);
    let port = s.addr.rsplit(':').next().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_synod"))
        .args(["play", "--port", port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("port {port}")), "{err}");
}

#[test]
fn idle_games_expire() {
    let s = serve(&["--idle-secs", "1"]);
    let id = new_game(&s, "{}");
    let (status, _) = json(&s, "GET", &format!("/api/game/{id}"), None);
    assert_eq!(status, 200);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (status, v) = json(&s, "GET", &format!("/api/game/{id}"), None);
    assert_eq!(status, 404, "{v}");
    assert!(v["error"].as_str().unwrap().contains("expired"), "{v}");
}
