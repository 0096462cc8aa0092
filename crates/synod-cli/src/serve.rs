//! The real-cluster commands, thin over `synod-serve`: `synod serve`, `synod cluster up`,
//! `synod kv`, `synod torture`, `synod load` (docs/serve.md).

use crate::UsageError;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use synod_core::Level;
use synod_protocols::raft::{self as raft_protocol, Bug};
use synod_protocols::scenario::Scenario;
use synod_serve::client::{KvClient, Outcome};
use synod_serve::cluster::{self, UpOptions};
use synod_serve::config::{self, Usage};
use synod_serve::load::{self, LoadOptions, Op, Target};
use synod_serve::node::RuntimeBug;
use synod_serve::raft::{self, RaftProtocol};
use synod_serve::serve::{ServeError, ServeOptions};
use synod_serve::torture::{self, TortureOptions};

/// The protocols `synod serve` runs.
const SERVED: &[&str] = &["raft"];

fn usage(u: Usage) -> anyhow::Error {
    UsageError(u.0).into()
}

fn check_protocol(p: &str) -> Result<()> {
    if SERVED.contains(&p) {
        Ok(())
    } else {
        Err(UsageError(format!(
            "synod serve runs {} (not `{p}`)",
            SERVED.join(", ")
        ))
        .into())
    }
}

fn read_config(path: Option<&str>) -> Result<Option<Scenario>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| UsageError(format!("--config {path}: {e}")))?;
    Ok(Some(
        crate::protocols()
            .parse(path, &text)
            .map_err(|e| UsageError(e.to_string()))?,
    ))
}

/// The names of the `n` servers `cluster up` and `torture` start: `n1`..`nN`.
fn server_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("n{i}")).collect()
}

/// A comma-separated list of addresses given as `flag`; at least one.
fn addresses(flag: &str, text: &str) -> Result<Vec<String>> {
    let list: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() {
        return Err(UsageError(format!("{flag}: no addresses")).into());
    }
    Ok(list)
}

/// `--bug`: a runtime bug, or one of the protocol's.
fn parse_bug(name: Option<&str>) -> Result<(Option<RuntimeBug>, Option<Bug>)> {
    let Some(name) = name else {
        return Ok((None, None));
    };
    if let Some(b) = RuntimeBug::parse(name) {
        return Ok((Some(b), None));
    }
    match Bug::from_name(name) {
        Some(b) => Ok((None, Some(b))),
        None => Err(UsageError(format!(
            "--bug: protocol raft has no planted bug `{name}` (it has: {}); runtime bugs: {}",
            raft_protocol::PROTOCOL.bug_names(),
            synod_serve::node::RUNTIME_BUGS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

/// Arguments of `synod serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The protocol (raft).
    pub protocol: String,
    /// This server's name, one of --peers.
    #[arg(long)]
    pub id: String,
    /// Every server of the cluster, the same list on each: n1=127.0.0.1:7001,n2=...
    #[arg(long)]
    pub peers: String,
    /// The data directory (created if missing; refused if it belongs to another node,
    /// cluster or protocol).
    #[arg(long)]
    pub data: PathBuf,
    /// Where the HTTP API listens (default: the peer port + 1000 on the peer host).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// A scenario file whose [timing] keys configure the protocol.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Seed of the server's random generator (default: from the OS, printed at start).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Narration on standard error: error, warn, info, debug, trace.
    #[arg(long, default_value = "warn", value_name = "LEVEL")]
    pub log_level: Level,
    /// How long an HTTP request waits for its answer, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub request_timeout_ms: u64,
    /// Serve /admin/cut and /admin/heal (link faults, for testing).
    #[arg(long)]
    pub fault_admin: bool,
    /// Exit when the parent process exits (for harnesses that start servers).
    #[arg(long)]
    pub stop_with_parent: bool,
    /// Plant a bug: ack-before-wal (runtime), or one of the protocol's.
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
}

/// `synod serve`.
pub fn serve(a: &ServeArgs) -> Result<ExitCode> {
    check_protocol(&a.protocol)?;
    let peers = config::parse_peers(&a.peers).map_err(usage)?;
    config::find_self(&peers, &a.id).map_err(usage)?;
    let scenario = read_config(a.config.as_deref())?;
    let (runtime_bug, raft_bug) = parse_bug(a.bug.as_deref())?;
    let names: Vec<String> = peers.iter().map(|p| p.name.clone()).collect();
    let cfg = raft::config(&names, scenario.as_ref(), raft_bug).map_err(usage)?;
    let opts = ServeOptions {
        id: a.id.clone(),
        peers,
        data: a.data.clone(),
        http: a.http,
        seed: a.seed,
        log_level: a.log_level,
        fault_admin: a.fault_admin,
        request_timeout: Duration::from_millis(a.request_timeout_ms),
        stop_with_parent: a.stop_with_parent,
        bug: runtime_bug,
    };
    match synod_serve::serve::serve(move || RaftProtocol::new(cfg), opts) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(ServeError::Usage(u)) => Err(usage(u)),
        Err(ServeError::Fatal(m)) => {
            eprintln!("error: {m}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Arguments of `synod cluster`.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Subcommand, Debug)]
enum ClusterCommand {
    /// Start a local cluster of `synod serve` processes; Ctrl-C stops them.
    Up(UpArgs),
}

/// Arguments of `synod cluster up`.
#[derive(Args, Debug)]
pub struct UpArgs {
    /// The protocol (raft).
    pub protocol: String,
    /// Number of servers.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Server K listens for peers on 127.0.0.1:BASE+K and for HTTP on BASE+1000+K.
    #[arg(long, default_value_t = 7000)]
    pub base_port: u16,
    /// Where the servers keep their data (DIR/n1, ...; kept across runs).
    #[arg(long, default_value = "synod-data")]
    pub data: PathBuf,
    /// A scenario file whose [timing] keys configure the protocol.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Narration level of the servers (their logs are DIR/nK.log).
    #[arg(long, default_value = "warn", value_name = "LEVEL")]
    pub log_level: Level,
}

/// `synod cluster`.
pub fn cluster(a: &ClusterArgs) -> Result<ExitCode> {
    let ClusterCommand::Up(up) = &a.command;
    check_protocol(&up.protocol)?;
    let scenario = read_config(up.config.as_deref())?;
    raft::config(&server_names(up.nodes), scenario.as_ref(), None).map_err(usage)?;
    let mut extra = vec!["--log-level".to_string(), up.log_level.to_string()];
    if let Some(c) = &up.config {
        extra.push("--config".into());
        extra.push(c.clone());
    }
    let opts = UpOptions {
        exe: std::env::current_exe()?,
        protocol: up.protocol.clone(),
        nodes: up.nodes,
        base_port: up.base_port,
        data: up.data.clone(),
        extra,
    };
    let mut c = cluster::plan(&opts).map_err(usage)?;
    // A port in use is the user's to fix: say so before starting anything.
    for n in &c.nodes {
        for (what, addr) in [("peer", n.peer), ("HTTP", n.http)] {
            if let Err(e) = std::net::TcpListener::bind(addr) {
                return Err(UsageError(format!(
                    "cannot listen on {addr} ({what} port of {}): {e}; choose another --base-port",
                    n.name
                ))
                .into());
            }
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })?;
    c.start_all()?;
    if let Err(e) = cluster::wait_listening(&c, Duration::from_secs(10)) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(1));
    }
    println!(
        "synod cluster up: {} servers of {}",
        c.nodes.len(),
        up.protocol
    );
    for n in &c.nodes {
        println!(
            "  {}  peers {}  http://{}  data {}  log {}  pid {}",
            n.name,
            n.peer,
            n.http,
            n.data.display(),
            n.log.display(),
            n.pid().unwrap_or(0)
        );
    }
    println!("try: synod kv --cluster {} put a 1", c.http_arg());
    println!("Ctrl-C stops the cluster.");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                for (i, status) in c.reap_exited() {
                    eprintln!(
                        "{} exited ({status}); its log: {}",
                        c.nodes[i].name,
                        c.nodes[i].log.display()
                    );
                }
            }
        }
    }
    c.stop_all(Duration::from_secs(2));
    println!("synod cluster up: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `synod kv`.
#[derive(Args, Debug)]
pub struct KvArgs {
    /// The servers' HTTP addresses: 127.0.0.1:8001,127.0.0.1:8002,...
    #[arg(long, value_name = "ADDRS")]
    pub cluster: String,
    /// put, get or delete.
    pub op: String,
    /// The key.
    pub key: String,
    /// The value (put).
    pub value: Option<String>,
    /// Give up after this many milliseconds (the outcome is then unknown).
    #[arg(long, default_value_t = 5000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
}

/// `synod kv`: one operation, with leader discovery and exactly-once retries.
pub fn kv(a: &KvArgs) -> Result<ExitCode> {
    let endpoints = addresses("--cluster", &a.cluster)?;
    for e in &endpoints {
        if e.parse::<SocketAddr>().is_err() {
            return Err(UsageError(format!(
                "--cluster: `{e}` is not an IP:PORT address (example: 127.0.0.1:8001)"
            ))
            .into());
        }
    }
    match (a.op.as_str(), &a.value) {
        ("put", Some(_)) | ("get", None) | ("delete", None) => {}
        ("put", None) => return Err(UsageError("put needs a value: put KEY VALUE".into()).into()),
        ("get" | "delete", Some(_)) => {
            return Err(UsageError(format!("{} takes only a key", a.op)).into());
        }
        (op, _) => {
            return Err(UsageError(format!(
                "unknown operation `{op}` (expected put, get or delete)"
            ))
            .into());
        }
    }
    let session = synod_serve::http::FIRST_CLIENT_ID
        + (synod_serve::serve::os_seed() % u64::from(u32::MAX - synod_serve::http::FIRST_CLIENT_ID))
            as u32;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = rt.block_on(async {
        let mut c = KvClient::new(endpoints, session);
        c.op_timeout = Duration::from_millis(a.timeout_ms);
        c.call(&a.op, &a.key, a.value.as_deref()).await
    });
    match outcome {
        Outcome::Ok(Some(v)) => {
            println!("{v}");
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Ok(None) => {
            println!("OK");
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Error(e) => {
            eprintln!("ERROR {e}");
            Ok(ExitCode::from(1))
        }
        Outcome::Unknown(e) => {
            eprintln!("UNKNOWN (it may or may not have taken effect): {e}");
            Ok(ExitCode::from(1))
        }
        Outcome::Rejected(e) => {
            Err(UsageError(format!("the server refused the request: {e}")).into())
        }
    }
}

/// Arguments of `synod torture`.
#[derive(Args, Debug)]
pub struct TortureArgs {
    /// Number of servers.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(3..=9))]
    pub nodes: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,
    /// Seconds of load and faults.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// Seconds between faults.
    #[arg(long, default_value_t = 2.0)]
    pub fault_every: f64,
    /// Keys the clients work on.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub keys: u32,
    /// The kinds of fault to strike, in turn, comma-separated: kill, partition, pause,
    /// kill-all.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "kill,partition,pause,kill-all"
    )]
    pub faults: String,
    /// Seed of the fault choices and client operations (default: from the OS, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep data, logs and the history here (default: a temporary directory, removed when
    /// the run passes).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Plant a bug in every server (ack-before-wal, or a protocol bug).
    #[arg(long, value_name = "NAME")]
    pub bug: Option<String>,
    /// A scenario file whose [timing] keys configure the servers.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
}

/// `synod torture`: exit 0 if the history is linearizable and the servers converged.
pub fn torture(a: &TortureArgs) -> Result<ExitCode> {
    if !(0.2..=600.0).contains(&a.fault_every) {
        return Err(UsageError(format!(
            "--fault-every {}: between 0.2 and 600 seconds",
            a.fault_every
        ))
        .into());
    }
    parse_bug(a.bug.as_deref())?;
    let faults = a
        .faults
        .split(',')
        .map(|f| {
            torture::FaultKind::parse(f.trim()).ok_or_else(|| {
                UsageError(format!(
                    "--faults {}: `{}` is not a fault (kill, partition, pause, kill-all)",
                    a.faults,
                    f.trim()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = read_config(a.config.as_deref())?;
    raft::config(&server_names(a.nodes as usize), scenario.as_ref(), None).map_err(usage)?;
    let mut serve_args = Vec::new();
    if let Some(b) = &a.bug {
        serve_args.extend(["--bug".to_string(), b.clone()]);
    }
    if let Some(c) = &a.config {
        serve_args.extend(["--config".to_string(), c.clone()]);
    }
    let seed = a.seed.unwrap_or_else(synod_serve::serve::os_seed);
    let opts = TortureOptions {
        exe: std::env::current_exe()?,
        nodes: a.nodes as usize,
        clients: a.clients as usize,
        duration: Duration::from_secs(a.duration),
        fault_every: Duration::from_secs_f64(a.fault_every),
        seed,
        keys: a.keys as usize,
        dir: a.dir.clone(),
        serve_args,
        faults,
    };
    println!(
        "synod torture: {} servers, {} clients, {} s, a fault every {} s{}, seed {seed}{}",
        a.nodes,
        a.clients,
        a.duration,
        a.fault_every,
        if opts.faults[..] == torture::FaultKind::ALL[..] {
            String::new()
        } else {
            let names: Vec<&str> = opts.faults.iter().map(|k| k.name()).collect();
            format!(" ({})", names.join(", "))
        },
        a.bug
            .as_ref()
            .map(|b| format!(", planted bug {b}"))
            .unwrap_or_default()
    );
    let report = match torture::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    for f in &report.faults {
        println!("  fault {f}");
    }
    println!(
        "operations: {} ok, {} failed (the store's errors), {} unknown (timed out)",
        report.ok, report.failed, report.unknown
    );
    match &report.converged {
        Ok(s) => println!("converged: {s}"),
        Err(s) => println!("NOT converged: {s}"),
    }
    println!("linearizability: {}", report.verdict);
    if report.passed() {
        println!("result: PASS");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "result: FAIL (data, logs and history.jsonl kept in {})",
            report.dir.display()
        );
        Ok(ExitCode::from(1))
    }
}

/// Arguments of `synod load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// synod or etcd.
    #[arg(long, default_value = "synod")]
    pub target: String,
    /// The store's client addresses (synod: HTTP API; etcd: client URLs' host:port).
    #[arg(long, value_name = "ADDRS")]
    pub endpoints: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub clients: u32,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds run before measuring.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// put or get.
    #[arg(long, default_value = "put")]
    pub op: String,
    /// Bytes per value.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub value_size: u32,
    /// Keys written before a get run.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub keys: u32,
    /// Seed of key names and sessions (default: from the OS).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Repeat the measurement this many times (fresh keys each time).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Print each run's report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Print one line for all runs: throughput min/median, latency medians.
    #[arg(long)]
    pub summary: bool,
}

/// `synod load`.
pub fn load(a: &LoadArgs) -> Result<ExitCode> {
    let target = match a.target.as_str() {
        "synod" => Target::Synod,
        "etcd" => Target::Etcd,
        t => return Err(UsageError(format!("--target {t}: expected synod or etcd")).into()),
    };
    let op = match a.op.as_str() {
        "put" => Op::Put,
        "get" => Op::Get,
        o => return Err(UsageError(format!("--op {o}: expected put or get")).into()),
    };
    for (name, v) in [("--duration", a.duration), ("--warmup", a.warmup)] {
        if !(0.0..=3600.0).contains(&v) || (name == "--duration" && v == 0.0) {
            return Err(UsageError(format!("{name} {v}: between 0 and 3600 seconds")).into());
        }
    }
    let endpoints = addresses("--endpoints", &a.endpoints)?;
    let seed = a.seed.unwrap_or_else(synod_serve::serve::os_seed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut reports = Vec::new();
    for run in 0..a.runs {
        let opts = LoadOptions {
            target,
            endpoints: endpoints.clone(),
            clients: a.clients as usize,
            duration: Duration::from_secs_f64(a.duration),
            warmup: Duration::from_secs_f64(a.warmup),
            op,
            value_size: a.value_size as usize,
            keys: a.keys as usize,
            seed: seed.wrapping_add(u64::from(run).wrapping_mul(0x9e37_79b9)),
        };
        match rt.block_on(load::run(&opts)) {
            Ok(r) => {
                if a.json {
                    println!("{}", serde_json::to_string(&r)?);
                } else if !a.summary {
                    println!("{r}");
                }
                reports.push(r);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    if a.summary {
        println!("{}", load::summarize(&reports));
    }
    Ok(ExitCode::SUCCESS)
}
