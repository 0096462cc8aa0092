//! `synod serve`, `cluster up`, `kv` and `torture`, run as a user runs them: real processes on
//! 127.0.0.1, real kills. Every process a test starts is killed when the test ends (the
//! `LocalCluster` guard, or `Bounded`), and every wait is bounded.

#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use synod_serve::cluster::{LocalCluster, free_ports, wait_listening};

const SYNOD: &str = env!("CARGO_BIN_EXE_synod");

/// A finished command: exit code, stdout, stderr.
struct Ran {
    code: Option<i32>,
    out: String,
    err: String,
}

/// Runs `synod args`, killed if it takes longer than `limit`.
fn synod(args: &[&str], limit: Duration) -> Ran {
    let mut child = Command::new(SYNOD)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the synod binary runs");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = wait_bounded(&mut child, limit);
    Ran {
        code: status.and_then(|s| s.code()),
        out: t_out.join().unwrap_or_default(),
        err: t_err.join().unwrap_or_default(),
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synod-serve-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cluster(dir: &Path, n: usize, extra: &[&str]) -> LocalCluster {
    let ports = free_ports(2 * n).unwrap();
    let mut c = LocalCluster::new(
        Path::new(SYNOD),
        "raft",
        dir,
        &ports[..n],
        &ports[n..],
        extra.iter().map(|s| s.to_string()).collect(),
    );
    c.start_all().unwrap();
    wait_listening(&c, Duration::from_secs(20)).unwrap();
    c
}

fn kv(c: &LocalCluster, args: &[&str]) -> Ran {
    let cl = c.http_arg();
    let mut all = vec!["kv", "--cluster", &cl];
    all.extend_from_slice(args);
    synod(&all, Duration::from_secs(20))
}

fn kv_at(addrs: &str, args: &[&str]) -> Ran {
    let mut all = vec!["kv", "--cluster", addrs];
    all.extend_from_slice(args);
    synod(&all, Duration::from_secs(20))
}

/// The index of the server that leads, asked over HTTP.
fn leader(c: &LocalCluster) -> Option<usize> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http: Vec<String> = c.nodes.iter().map(|n| n.http.to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let st = rt.block_on(synod_serve::torture::statuses(&http));
        if let Some(i) = st
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.role == "leader"))
        {
            return Some(i);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// `synod torture` with 5 servers, 16 clients, seed 7, and `args`.
fn torture(args: &[&str]) -> Ran {
    let mut all = vec!["torture", "--nodes", "5", "--clients", "16", "--seed", "7"];
    all.extend_from_slice(args);
    synod(&all, Duration::from_secs(240))
}

#[test]
fn torture_of_five_servers_ends_linearizable_and_converged() {
    let r = torture(&["--duration", "20", "--fault-every", "2"]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.out, r.err);
    for want in [
        "kill -9 n",
        "SIGSTOP n",
        "partition n",
        "kill -9 every server",
        "converged: 5 servers",
        "linearizability: linearizable (",
        "result: PASS",
    ] {
        assert!(r.out.contains(want), "missing `{want}`:\n{}", r.out);
    }
}

#[test]
fn torture_catches_servers_that_answer_before_their_wal_is_written() {
    // Only whole-cluster kills: each loses what the servers acknowledged since their last
    // lazy write (up to a second), unless the cluster happened to be idle then. Five of them
    // make the catch certain even on a loaded machine; one (the default mix in 12 s) did not.
    let r = torture(&[
        "--duration",
        "12",
        "--faults",
        "kill-all",
        "--bug",
        "ack-before-wal",
    ]);
    assert_eq!(r.code, Some(1), "{}\n{}", r.out, r.err);
    assert!(r.out.contains("kill -9 every server"), "{}", r.out);
    assert!(r.out.contains("NOT linearizable"), "{}", r.out);
    assert!(r.out.contains("result: FAIL"), "{}", r.out);
    // The failing run's history is kept and `synod lin` agrees.
    let kept = r
        .out
        .lines()
        .find_map(|l| l.split("kept in ").nth(1))
        .map(|s| s.trim_end_matches(')').to_string())
        .expect("the run says where it kept its files");
    let history = Path::new(&kept).join("history.jsonl");
    let lin = synod(
        &["lin", history.to_str().unwrap(), "--model", "kv"],
        Duration::from_secs(120),
    );
    assert_eq!(lin.code, Some(1), "{}\n{}", lin.out, lin.err);
    let _ = std::fs::remove_dir_all(&kept);
}

#[test]
fn kv_finds_the_leader_retries_and_keeps_the_store_contract() {
    let dir = scratch("kv");
    let mut c = cluster(&dir, 3, &[]);
    let r = kv(&c, &["put", "a", "1"]);
    assert_eq!((r.code, r.out.as_str()), (Some(0), "OK\n"), "{}", r.err);
    let l = leader(&c).expect("a leader");
    // Asking only a follower: it names the leader, the client follows.
    let follower = c.nodes[(l + 1) % 3].http.to_string();
    let r = kv_at(&follower, &["get", "a"]);
    assert_eq!((r.code, r.out.as_str()), (Some(0), "1\n"), "{}", r.err);
    let r = kv(&c, &["put", "a", "2"]);
    assert_eq!(r.code, Some(1));
    assert!(r.err.contains("ERROR key already exists: a"), "{}", r.err);

    // kill -9 the leader: the others elect a new one, nothing acknowledged is lost.
    c.kill(l);
    let r = kv(&c, &["get", "a"]);
    assert_eq!((r.code, r.out.as_str()), (Some(0), "1\n"), "{}", r.err);
    let r = kv(&c, &["delete", "a"]);
    assert_eq!((r.code, r.out.as_str()), (Some(0), "OK\n"), "{}", r.err);
    let r = kv(&c, &["get", "a"]);
    assert_eq!(r.code, Some(1));
    assert!(r.err.contains("ERROR key not found: a"), "{}", r.err);

    // The killed server comes back from its WAL and catches up.
    c.start(l).unwrap();
    wait_listening(&c, Duration::from_secs(10)).unwrap();
    let r = kv(&c, &["put", "b", "x"]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    let log = std::fs::read_to_string(&c.nodes[l].log).unwrap();
    assert!(log.contains("recovered: term"), "{log}");

    // Bad input.
    for (args, want) in [
        (
            vec!["kv", "--cluster", "nowhere", "get", "a"],
            "not an IP:PORT",
        ),
        (
            vec!["kv", "--cluster", "127.0.0.1:1", "put", "a"],
            "put needs a value",
        ),
        (
            vec!["kv", "--cluster", "127.0.0.1:1", "cas", "a"],
            "unknown operation `cas`",
        ),
    ] {
        let r = synod(&args, Duration::from_secs(10));
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.err.contains(want), "{args:?}: {}", r.err);
    }
    // Nobody answers: the outcome is unknown, within the timeout.
    let port = free_ports(1).unwrap()[0];
    let r = kv_at(
        &format!("127.0.0.1:{port}"),
        &["get", "a", "--timeout-ms", "300"],
    );
    assert_eq!(r.code, Some(1));
    assert!(r.err.contains("UNKNOWN"), "{}", r.err);
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `synod serve` expecting it to refuse: exit 2 and `want` in its message.
fn refuses(args: &[&str], want: &str) {
    let mut all = vec!["serve", "raft"];
    all.extend_from_slice(args);
    let r = synod(&all, Duration::from_secs(20));
    assert_eq!(r.code, Some(2), "{all:?}: {}", r.err);
    assert!(r.err.contains(want), "{all:?}: {}", r.err);
}

#[test]
fn serve_refuses_bad_input_with_exit_2_and_never_reinitializes() {
    let dir = scratch("bad");
    let ports = free_ports(4).unwrap();
    let peers = format!("n1=127.0.0.1:{},n2=127.0.0.1:{}", ports[0], ports[1]);
    let data = dir.join("d");
    let d = data.to_str().unwrap();
    refuses(
        &["--id", "n9", "--peers", &peers, "--data", d],
        "--id n9 is not in --peers (n1, n2)",
    );
    refuses(
        &[
            "--id",
            "n1",
            "--peers",
            "n1=127.0.0.1:1,n1=127.0.0.1:2",
            "--data",
            d,
        ],
        "the name `n1` appears twice",
    );
    let r = synod(
        &[
            "serve", "paxos", "--id", "n1", "--peers", &peers, "--data", d,
        ],
        Duration::from_secs(10),
    );
    assert_eq!(r.code, Some(2));
    assert!(r.err.contains("synod serve runs raft"), "{}", r.err);

    // A scenario file configures the protocol's timing; a bad one is refused with its key.
    let bad_timing = dir.join("timing.toml");
    std::fs::write(
        &bad_timing,
        "[timing]\nheartbeat_ms = 500\nelection_timeout_ms = { min = 100, max = 200 }\n",
    )
    .unwrap();
    refuses(
        &[
            "--id",
            "n1",
            "--peers",
            &peers,
            "--data",
            d,
            "--config",
            bad_timing.to_str().unwrap(),
        ],
        "key `timing.heartbeat_ms`",
    );
    let paxos = dir.join("paxos.toml");
    std::fs::write(&paxos, "protocol = \"paxos\"\n").unwrap();
    refuses(
        &[
            "--id",
            "n1",
            "--peers",
            &peers,
            "--data",
            d,
            "--config",
            paxos.to_str().unwrap(),
        ],
        "a scenario for protocol paxos, not raft",
    );
    let r = synod(
        &["cluster", "up", "raft", "--nodes", "0"],
        Duration::from_secs(10),
    );
    assert_eq!(r.code, Some(2));
    assert!(
        r.err.contains("--nodes 0: a cluster has 1 to 64 servers"),
        "{}",
        r.err
    );

    let r = synod(
        &["torture", "--faults", "kill,kill-some"],
        Duration::from_secs(10),
    );
    assert_eq!(r.code, Some(2));
    assert!(
        r.err
            .contains("`kill-some` is not a fault (kill, partition, pause, kill-all)"),
        "{}",
        r.err
    );

    // A port in use.
    let busy = std::net::TcpListener::bind(("127.0.0.1", ports[0])).unwrap();
    let http = format!("127.0.0.1:{}", ports[2]);
    refuses(
        &[
            "--id", "n1", "--peers", &peers, "--data", d, "--http", &http,
        ],
        "address already in use",
    );
    drop(busy);

    // A data directory of a real server, then started as part of another cluster.
    let mut c = cluster(&dir.join("c"), 3, &[]);
    assert_eq!(kv(&c, &["put", "k", "v"]).code, Some(0));
    for i in 0..5 {
        let key = format!("more{i}");
        assert_eq!(kv(&c, &["put", &key, "some value"]).code, Some(0));
    }
    for i in 0..3 {
        c.kill(i);
    }
    let n1 = c.nodes[0].data.clone();
    let n1s = n1.to_str().unwrap();
    let other = format!("n1=127.0.0.1:{},n2=127.0.0.1:{}", ports[0], ports[1]);
    refuses(
        &["--id", "n1", "--peers", &other, "--data", n1s],
        "belongs to another cluster",
    );
    let not_synod = dir.join("stranger");
    std::fs::create_dir_all(&not_synod).unwrap();
    std::fs::write(not_synod.join("notes.txt"), "mine").unwrap();
    refuses(
        &[
            "--id",
            "n1",
            "--peers",
            &peers,
            "--data",
            not_synod.to_str().unwrap(),
        ],
        "not a synod data directory",
    );

    // A corrupt frame in the middle of the WAL: refused, and the file is left as it was.
    let wal = n1.join("wal");
    let good = std::fs::read(&wal).unwrap();
    assert!(good.len() > 100, "the WAL holds frames");
    let mut bad = good.clone();
    bad[40] ^= 0x5a;
    std::fs::write(&wal, &bad).unwrap();
    let peers3 = c.peers_arg();
    let http1 = c.nodes[0].http.to_string();
    refuses(
        &[
            "--id", "n1", "--peers", &peers3, "--data", n1s, "--http", &http1,
        ],
        "corrupt WAL frame at byte",
    );
    assert_eq!(
        std::fs::read(&wal).unwrap(),
        bad,
        "nothing was reinitialized"
    );

    // A torn last frame (half of a write): cut off with a warning, and the data before it
    // is all there.
    let mut torn = good.clone();
    torn.extend_from_slice(&200u32.to_le_bytes());
    torn.extend_from_slice(&[7u8; 60]);
    std::fs::write(&wal, &torn).unwrap();
    c.start_all().unwrap();
    wait_listening(&c, Duration::from_secs(10)).unwrap();
    let r = kv(&c, &["get", "k"]);
    assert_eq!((r.code, r.out.as_str()), (Some(0), "v\n"), "{}", r.err);
    let log = std::fs::read_to_string(&c.nodes[0].log).unwrap();
    assert!(log.contains("a torn write at byte"), "{log}");
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cluster_up_starts_servers_prints_where_they_listen_and_ctrl_c_stops_them() {
    let dir = scratch("up");
    // Find a base port with the six ports it needs free.
    let base = (0..50)
        .map(|k| 31_000 + (std::process::id() % 500) as u16 * 10 + k * 7)
        .find(|b| {
            (1..=3).all(|i| {
                std::net::TcpListener::bind(("127.0.0.1", b + i)).is_ok()
                    && std::net::TcpListener::bind(("127.0.0.1", b + 1000 + i)).is_ok()
            })
        })
        .expect("free ports");
    let mut child = Command::new(SYNOD)
        .args(["cluster", "up", "raft", "--nodes", "3", "--base-port"])
        .arg(base.to_string())
        .arg("--data")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = KillOnDrop(child.id());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(l)) => {
                let done = l.contains("Ctrl-C stops");
                printed.push(l);
                if done {
                    break;
                }
            }
            _ => break,
        }
    }
    let text = printed.join("\n");
    assert!(
        text.contains("synod cluster up: 3 servers of raft"),
        "{text}"
    );
    let http1 = format!("127.0.0.1:{}", base + 1001);
    assert!(text.contains(&format!("http://{http1}")), "{text}");
    let pids: Vec<i32> = printed
        .iter()
        .filter_map(|l| l.split(" pid ").nth(1))
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    assert_eq!(pids.len(), 3, "{text}");
    let addrs = format!(
        "{http1},127.0.0.1:{},127.0.0.1:{}",
        base + 1002,
        base + 1003
    );
    let r = kv_at(&addrs, &["put", "x", "1"]);
    assert_eq!(r.code, Some(0), "{}", r.err);

    // Ctrl-C: the servers stop, and so does `cluster up`.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(15));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    // Reaped: its pid may be reused, so the guard must not fire.
    std::mem::forget(guard);
    for pid in pids {
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
        assert!(!alive, "server {pid} still runs");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills a process when dropped (a test that fails midway leaves nothing running).
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0 as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// The rows of the markdown table in `doc` whose first cell starts with `prefix`, as cells.
fn table_rows(doc: &str, prefix: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn docs_serve_md_matches_the_api_and_the_command_line() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/serve.md"))
            .unwrap();

    // Every option of every real-cluster command is documented.
    for cmd in [
        vec!["serve"],
        vec!["cluster", "up"],
        vec!["kv"],
        vec!["torture"],
        vec!["load"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let help = synod(&args, Duration::from_secs(10)).out;
        let flags: Vec<&str> = help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
            .filter(|w| *w != "--help")
            .collect();
        assert!(!flags.is_empty(), "{cmd:?}: {help}");
        for f in flags {
            assert!(
                doc.contains(&format!("`{f}")),
                "docs/serve.md does not document `{f}` of synod {}",
                cmd.join(" ")
            );
        }
    }

    // Every kind of answer is documented, with its HTTP status, and nothing else is.
    let rows = table_rows(&doc, "| `");
    let documented: Vec<(String, String)> = rows
        .iter()
        .filter(|r| {
            r.len() == 3
                && !r[1].is_empty()
                && !r[0].starts_with("`--")
                && r[1].chars().all(|c| c.is_ascii_digit())
        })
        .map(|r| (r[0].trim_matches('`').to_string(), r[1].clone()))
        .collect();
    let mut from_code: Vec<(String, String)> = synod_serve::http::KvResponse::examples()
        .into_iter()
        .map(|r| {
            let json = serde_json::to_value(&r).unwrap();
            (
                json["result"].as_str().unwrap().to_string(),
                r.status().as_u16().to_string(),
            )
        })
        .collect();
    let mut documented_sorted = documented.clone();
    documented_sorted.sort();
    from_code.sort();
    assert_eq!(documented_sorted, from_code);

    // Every status field is documented, and nothing else.
    let status = serde_json::to_value(synod_serve::protocol::ServerStatus::default()).unwrap();
    let mut fields: Vec<String> = status.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    let status_table = doc
        .split("`GET /v1/status`:\n")
        .nth(1)
        .and_then(|t| t.trim_start().split("\n\n").next())
        .expect("docs/serve.md has the table of `GET /v1/status`");
    let mut doc_fields: Vec<String> = table_rows(status_table, "| `")
        .iter()
        .map(|r| r[0].trim_matches('`').to_string())
        .collect();
    doc_fields.sort();
    assert_eq!(doc_fields, fields);

    // Every documented endpoint is served, with the documented answer.
    let dir = scratch("docs");
    let c = cluster(&dir, 3, &["--fault-admin"]);
    let l = leader(&c).expect("a leader");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let endpoints: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.len() == 3 && (r[0].starts_with("`POST /") || r[0].starts_with("`GET /")))
        .collect();
    assert_eq!(endpoints.len(), 6, "{endpoints:?}");
    rt.block_on(async {
        let addr = c.nodes[l].http.to_string();
        let mut conn = synod_serve::client::HttpConn::connect(&addr, Duration::from_secs(2))
            .await
            .unwrap();
        for r in endpoints {
            let (method, path) = r[0].trim_matches('`').split_once(' ').unwrap();
            let body = r[1].trim_matches('`');
            let want = r[2].split('`').nth(1).unwrap_or("");
            let (status, got) = conn.request(method, path, body.as_bytes()).await.unwrap();
            assert_eq!(
                status,
                200,
                "{method} {path}: {}",
                String::from_utf8_lossy(&got)
            );
            let got: serde_json::Value = serde_json::from_slice(&got).unwrap();
            if want.starts_with('{') {
                let want: serde_json::Value = serde_json::from_str(want).unwrap();
                assert_eq!(got, want, "{method} {path}");
            } else {
                assert_eq!(got["role"], "leader", "{method} {path}: {got}");
            }
        }
    });
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}
