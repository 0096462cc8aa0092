//! `synod torture`: a real cluster under real faults, judged from the outside, Jepsen style.
//!
//! It starts a local cluster of `synod serve` processes, runs concurrent clients against it and
//! meanwhile, every `fault_every`, strikes one fault and undoes it: `kill -9` of a minority
//! (restarted a moment later), `SIGSTOP` of a minority (`SIGCONT` a moment later), a partition
//! of a minority from the majority (link cuts through each server's admin endpoint), and,
//! every fourth fault, `kill -9` of every server at once (`faults` picks the kinds) (with fsync before every answer,
//! nothing acknowledged may be lost even then). At the end it heals everything, waits for the
//! servers to converge (same log, everything applied, same store digest), reads every key once
//! more, and checks the whole client history with synod's linearizability checker.
//!
//! Every client operation is bounded in time (an unanswered one is recorded as unknown, and
//! the client continues as a new client, as Jepsen's do); the run is bounded by `duration`,
//! plus bounded waits for convergence and the check; everything it started is killed when it
//! ends, whatever happens.

use crate::client::{KvClient, Outcome};
use crate::cluster::{LocalCluster, free_ports, wait_listening};
use crate::protocol::ServerStatus;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use synod_check::{Budget, HistoryBuilder, ModelKind, check_history};
use synod_core::{ClientOp, ClientResult, NodeId, SimRng};

/// How to torture.
#[derive(Clone, Debug)]
pub struct TortureOptions {
    /// The `synod` executable.
    pub exe: PathBuf,
    /// Servers.
    pub nodes: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// How long clients run and faults strike.
    pub duration: Duration,
    /// One fault per this much time.
    pub fault_every: Duration,
    /// The seed of fault choices and client operations (printed, so a run can be repeated
    /// with the same choices; the real timing differs).
    pub seed: u64,
    /// Keys the clients work on.
    pub keys: usize,
    /// Where to keep data, logs and the history (a fresh temporary directory if `None`,
    /// removed after a passing run).
    pub dir: Option<PathBuf>,
    /// More arguments for every `synod serve` (`--bug ack-before-wal`, `--config F`).
    pub serve_args: Vec<String>,
    /// The kinds of fault the nemesis strikes, in turn (all four by default).
    pub faults: Vec<FaultKind>,
}

/// What a torture run found.
#[derive(Clone, Debug)]
pub struct TortureReport {
    /// Operations by outcome: ok, failed (the store's error), unknown.
    pub ok: u64,
    /// The store's errors (`key not found`...): valid answers.
    pub failed: u64,
    /// Unanswered in time.
    pub unknown: u64,
    /// The faults, as struck (`12.0s kill n2,n4`...).
    pub faults: Vec<String>,
    /// The linearizability verdict, one line.
    pub verdict: String,
    /// Whether the history is linearizable.
    pub linearizable: bool,
    /// Whether the servers converged at the end, and on what.
    pub converged: Result<String, String>,
    /// Where the data, logs and history are (kept when the run fails).
    pub dir: PathBuf,
}

impl TortureReport {
    /// Linearizable and converged.
    pub fn passed(&self) -> bool {
        self.linearizable && self.converged.is_ok()
    }
}

/// One event of the client history, at a point of a global order that respects real time.
#[derive(Clone, Debug)]
enum Ev {
    Invoke {
        client: u32,
        op_id: u64,
        op: ClientOp,
    },
    Return {
        client: u32,
        op_id: u64,
        result: ClientResult,
    },
}

/// The client history, in the order events happened.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Ev>>,
}

impl Recorder {
    fn push(&self, ev: Ev) {
        if let Ok(mut e) = self.events.lock() {
            e.push(ev);
        }
    }
}

/// Writes the history as a synod JSON trace (header, then invoke and return events), which
/// `synod lin` reads.
fn write_trace(path: &Path, events: &[Ev]) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "{\"schema\":\"synod-trace\",\"version\":1,\"protocol\":\"raft\",\"source\":\"synod torture\"}\n",
    );
    for (seq, ev) in events.iter().enumerate() {
        let line = match ev {
            Ev::Invoke { client, op_id, op } => serde_json::json!({
                "seq": seq, "time_us": 0, "node": client, "kind": "invoke", "op_id": op_id, "op": op
            }),
            Ev::Return {
                client,
                op_id,
                result,
            } => serde_json::json!({
                "seq": seq, "time_us": 0, "node": client, "kind": "return", "op_id": op_id, "result": result
            }),
        };
        let _ = writeln!(out, "{line}");
    }
    std::fs::write(path, out)
}

fn op_of(f: &str, key: &str, value: Option<String>) -> ClientOp {
    ClientOp {
        f: f.into(),
        key: key.into(),
        value,
    }
}

fn result_of(o: &Outcome) -> ClientResult {
    match o {
        Outcome::Ok(value) => ClientResult::Ok {
            value: value.clone(),
        },
        Outcome::Error(error) => ClientResult::Error {
            error: error.clone(),
        },
        Outcome::Unknown(_) | Outcome::Rejected(_) => ClientResult::Unknown,
    }
}

/// Client `c`'s workload until `end`: random gets, puts and deletes on the keys, one at a
/// time; after an unknown outcome it goes on as a new client (history id and session).
#[allow(clippy::too_many_arguments)]
async fn client_loop(
    c: usize,
    endpoints: Vec<String>,
    keys: usize,
    seed: u64,
    end: Instant,
    rec: Arc<Recorder>,
    ids: Arc<AtomicU64>,
    counts: Arc<[AtomicU64; 3]>,
) {
    let mut rng = SimRng::derive(seed, 1000 + c as u64);
    let mut history_id = ids.fetch_add(1, Ordering::Relaxed) as u32;
    let session = |hid: u32| crate::http::FIRST_CLIENT_ID + hid + (seed as u32 % 1_000_000) * 64;
    let mut client = KvClient::new(endpoints.clone(), session(history_id)).start_at(c);
    client.attempt_timeout = Duration::from_millis(500);
    client.op_timeout = Duration::from_millis(2000);
    let mut op_id = 0u64;
    let mut n = 0u64;
    while Instant::now() < end {
        let key = format!("k{}", rng.below(keys.max(1) as u64));
        let roll = rng.below(100);
        let (f, value) = if roll < 45 {
            ("get", None)
        } else if roll < 80 {
            n += 1;
            ("put", Some(format!("c{history_id}-{n}")))
        } else {
            ("delete", None)
        };
        op_id += 1;
        rec.push(Ev::Invoke {
            client: history_id,
            op_id,
            op: op_of(f, &key, value.clone()),
        });
        let outcome = client.call(f, &key, value.as_deref()).await;
        match &outcome {
            Outcome::Ok(_) | Outcome::Error(_) => {
                rec.push(Ev::Return {
                    client: history_id,
                    op_id,
                    result: result_of(&outcome),
                });
                let k = if matches!(outcome, Outcome::Ok(_)) {
                    0
                } else {
                    1
                };
                counts[k].fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Unknown(_) | Outcome::Rejected(_) => {
                // Never returns: the checker may place it anywhere after its invocation, or
                // nowhere. Go on as a new client.
                counts[2].fetch_add(1, Ordering::Relaxed);
                history_id = ids.fetch_add(1, Ordering::Relaxed) as u32;
                op_id = 0;
                client = KvClient::new(endpoints.clone(), session(history_id)).start_at(c);
                client.attempt_timeout = Duration::from_millis(500);
                client.op_timeout = Duration::from_millis(2000);
            }
        }
        // A little think time keeps the history a size the checker does quickly.
        tokio::time::sleep(Duration::from_millis(rng.below(8))).await;
    }
}

async fn admin(addr: &str, path: &str, body: &str) -> bool {
    let Ok(Ok(mut c)) = tokio::time::timeout(
        Duration::from_millis(500),
        crate::client::HttpConn::connect(addr, Duration::from_millis(500)),
    )
    .await
    else {
        return false;
    };
    matches!(
        tokio::time::timeout(
            Duration::from_millis(500),
            c.request("POST", path, body.as_bytes())
        )
        .await,
        Ok(Ok((200, _)))
    )
}

/// Every server's status, `None` for one that does not answer.
pub async fn statuses(cluster_http: &[String]) -> Vec<Option<ServerStatus>> {
    let mut out = Vec::new();
    for addr in cluster_http {
        let s = async {
            let mut c = crate::client::HttpConn::connect(addr, Duration::from_millis(300))
                .await
                .ok()?;
            let (status, body) = tokio::time::timeout(
                Duration::from_millis(500),
                c.request("GET", "/v1/status", b""),
            )
            .await
            .ok()?
            .ok()?;
            if status != 200 {
                return None;
            }
            serde_json::from_slice::<ServerStatus>(&body).ok()
        }
        .await;
        out.push(s);
    }
    out
}

/// Converged: every server answers, with the same log length, everything applied, and the
/// same store digest.
fn converged(st: &[Option<ServerStatus>]) -> Result<String, String> {
    let all: Vec<&ServerStatus> = st.iter().flatten().collect();
    if all.len() != st.len() {
        return Err(format!("{} of {} servers answer", all.len(), st.len()));
    }
    let first = all[0];
    for s in &all {
        if s.applied != s.last_index
            || s.last_index != first.last_index
            || s.store_digest != first.store_digest
        {
            return Err(all
                .iter()
                .map(|s| {
                    format!(
                        "{}: log {}, applied {}, store {}",
                        s.node, s.last_index, s.applied, s.store_digest
                    )
                })
                .collect::<Vec<_>>()
                .join("; "));
        }
    }
    Ok(format!(
        "{} servers: log {}, all applied, {} keys, store {}",
        all.len(),
        first.last_index,
        first.keys,
        first.store_digest
    ))
}

/// A fault: which, and on whom.
/// A kind of fault the nemesis can strike.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// `kill -9` of a random minority, restarted a moment later.
    Kill,
    /// A random minority cut off from the majority, healed a moment later.
    Partition,
    /// `SIGSTOP` of a random minority, `SIGCONT` a moment later.
    Pause,
    /// `kill -9` of every server at once, all restarted.
    KillAll,
}

impl FaultKind {
    /// Every kind, in the order the nemesis strikes them by default.
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Kill,
        FaultKind::Partition,
        FaultKind::Pause,
        FaultKind::KillAll,
    ];

    /// The kind's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Kill => "kill",
            FaultKind::Partition => "partition",
            FaultKind::Pause => "pause",
            FaultKind::KillAll => "kill-all",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Clone, Debug)]
enum Fault {
    Kill(Vec<usize>),
    Pause(Vec<usize>),
    Partition(Vec<usize>),
    KillAll,
}

/// Does `f` to each server of `who`.
fn each(cluster: &Mutex<LocalCluster>, who: &[usize], f: impl Fn(&mut LocalCluster, usize)) {
    if let Ok(mut c) = cluster.lock() {
        for &k in who {
            f(&mut c, k);
        }
    }
}

fn pick_minority(rng: &mut SimRng, n: usize) -> Vec<usize> {
    let minority = (n.saturating_sub(1) / 2).max(1);
    let k = 1 + rng.below(minority as u64) as usize;
    let mut all: Vec<usize> = (0..n).collect();
    let mut out = Vec::new();
    for _ in 0..k.min(n) {
        let i = rng.below(all.len() as u64) as usize;
        out.push(all.remove(i));
    }
    out.sort_unstable();
    out
}

/// Runs the torture. `Err` is for a harness that could not run (a cluster that does not
/// start); a run that finds a violation is an `Ok` report that did not pass.
pub fn run(opts: &TortureOptions) -> Result<TortureReport, String> {
    if opts.nodes < 3 {
        return Err(format!(
            "--nodes {}: faults need a majority to survive a minority; use 3 or more",
            opts.nodes
        ));
    }
    let temp = opts.dir.is_none();
    let dir = match &opts.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "synod-torture-{}-{:x}",
            std::process::id(),
            crate::serve::os_seed() as u32
        )),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ports = free_ports(opts.nodes * 2).map_err(|e| format!("finding free ports: {e}"))?;
    let mut extra = vec!["--fault-admin".to_string()];
    extra.extend(opts.serve_args.iter().cloned());
    let cluster = LocalCluster::new(
        &opts.exe,
        "raft",
        &dir,
        &ports[..opts.nodes],
        &ports[opts.nodes..],
        extra,
    );
    let cluster = Arc::new(Mutex::new(cluster));
    {
        let mut c = cluster.lock().map_err(|e| e.to_string())?;
        c.start_all()
            .map_err(|e| format!("starting servers: {e}"))?;
        wait_listening(&c, Duration::from_secs(10))?;
    }
    let http: Vec<String> = cluster
        .lock()
        .map_err(|e| e.to_string())?
        .nodes
        .iter()
        .map(|n| n.http.to_string())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let rec = Arc::new(Recorder::default());
    let counts: Arc<[AtomicU64; 3]> =
        Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let ids = Arc::new(AtomicU64::new(1));
    let mut faults_done = Vec::new();
    let t0 = Instant::now();
    let end = t0 + opts.duration;

    let conv = rt.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..opts.clients {
            tasks.push(tokio::spawn(client_loop(
                c,
                http.clone(),
                opts.keys,
                opts.seed,
                end,
                rec.clone(),
                ids.clone(),
                counts.clone(),
            )));
        }

        // The nemesis: one fault per period, undone before the next.
        let mut rng = SimRng::derive(opts.seed, 7);
        let mut i = 0usize;
        loop {
            let at = t0 + opts.fault_every * (i as u32 + 1);
            if at + opts.fault_every / 2 > end {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            let kinds: &[FaultKind] = if opts.faults.is_empty() {
                &FaultKind::ALL
            } else {
                &opts.faults
            };
            let fault = match kinds[i % kinds.len()] {
                FaultKind::KillAll => Fault::KillAll,
                kind => {
                    let who = pick_minority(&mut rng, opts.nodes);
                    match kind {
                        FaultKind::Kill => Fault::Kill(who),
                        FaultKind::Partition => Fault::Partition(who),
                        _ => Fault::Pause(who),
                    }
                }
            };
            i += 1;
            let hold =
                Duration::from_millis(300 + rng.below(opts.fault_every.as_millis() as u64 / 2));
            let names = |v: &[usize]| {
                v.iter()
                    .map(|i| format!("n{}", i + 1))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let when = format!("{:5.1}s", t0.elapsed().as_secs_f64());
            match &fault {
                Fault::Kill(v) => {
                    faults_done.push(format!("{when} kill -9 {} for {hold:?}", names(v)));
                    each(&cluster, v, LocalCluster::kill);
                    tokio::time::sleep(hold).await;
                    each(&cluster, v, |c, k| {
                        let _ = c.start(k);
                    });
                }
                Fault::KillAll => {
                    faults_done.push(format!("{when} kill -9 every server, restart at once"));
                    if let Ok(mut c) = cluster.lock() {
                        for k in 0..opts.nodes {
                            c.kill(k);
                        }
                        for k in 0..opts.nodes {
                            let _ = c.start(k);
                        }
                    }
                }
                Fault::Pause(v) => {
                    faults_done.push(format!("{when} SIGSTOP {} for {hold:?}", names(v)));
                    each(&cluster, v, LocalCluster::pause);
                    tokio::time::sleep(hold).await;
                    each(&cluster, v, LocalCluster::resume);
                }
                Fault::Partition(v) => {
                    let rest: Vec<usize> = (0..opts.nodes).filter(|k| !v.contains(k)).collect();
                    faults_done.push(format!(
                        "{when} partition {} | {} for {hold:?}",
                        names(v),
                        names(&rest)
                    ));
                    for (side, other) in [(v, &rest), (&rest, v)] {
                        let body = serde_json::json!({
                            "peers": other.iter().map(|k| format!("n{}", k + 1)).collect::<Vec<_>>()
                        })
                        .to_string();
                        for &k in side {
                            admin(&http[k], "/admin/cut", &body).await;
                        }
                    }
                    tokio::time::sleep(hold).await;
                    for addr in &http {
                        admin(addr, "/admin/heal", "{}").await;
                    }
                }
            }
        }
        for t in tasks {
            let _ = t.await;
        }

        // Heal everything and wait for the servers to agree.
        if let Ok(mut c) = cluster.lock() {
            for k in 0..opts.nodes {
                c.resume(k);
                if !c.nodes[k].is_up() {
                    let _ = c.start(k);
                }
            }
        }
        for addr in &http {
            admin(addr, "/admin/heal", "{}").await;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = Err("no status yet".to_string());
        while Instant::now() < deadline {
            last = converged(&statuses(&http).await);
            if last.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // A last read of every key, after everything: a lost acknowledged write shows here if
        // nowhere else.
        let hid = ids.fetch_add(1, Ordering::Relaxed) as u32;
        let mut reader = KvClient::new(
            http.clone(),
            crate::http::FIRST_CLIENT_ID + 900_000_000 + hid,
        );
        for k in 0..opts.keys {
            let key = format!("k{k}");
            rec.push(Ev::Invoke {
                client: hid,
                op_id: k as u64 + 1,
                op: op_of("get", &key, None),
            });
            let o = reader.call("get", &key, None).await;
            if matches!(o, Outcome::Ok(_) | Outcome::Error(_)) {
                rec.push(Ev::Return {
                    client: hid,
                    op_id: k as u64 + 1,
                    result: result_of(&o),
                });
            } else {
                break;
            }
        }
        last
    });
    drop(rt);
    if let Ok(mut c) = cluster.lock() {
        c.stop_all(Duration::from_millis(500));
    }

    let events = rec.events.lock().map_err(|e| e.to_string())?.clone();
    let history_path = dir.join("history.jsonl");
    let _ = write_trace(&history_path, &events);
    let mut b = HistoryBuilder::new(history_path.display().to_string());
    for (at, ev) in events.iter().enumerate() {
        let at = at as u64 + 1;
        let r = match ev {
            Ev::Invoke { client, op_id, op } => b.invoke_client_op(NodeId(*client), *op_id, op, at),
            Ev::Return {
                client,
                op_id,
                result,
            } => b.complete_client_op(NodeId(*client), *op_id, result, at),
        };
        r.map_err(|e| format!("recording the history: {e}"))?;
    }
    let history = b.finish();
    let check_start = Instant::now();
    let mut budget =
        Budget::unlimited().with_stop(move || check_start.elapsed() > Duration::from_secs(120));
    let report = check_history(&history, ModelKind::Kv, &mut budget).map_err(|e| e.to_string())?;
    let linearizable = report.verdict.is_linearizable();
    let mut verdict = report.summary();
    if let synod_check::Verdict::NotLinearizable(why) = &report.verdict {
        verdict.push('\n');
        verdict.push_str(&why.render(12));
    }
    let out = TortureReport {
        ok: counts[0].load(Ordering::Relaxed),
        failed: counts[1].load(Ordering::Relaxed),
        unknown: counts[2].load(Ordering::Relaxed),
        faults: faults_done,
        verdict,
        linearizable,
        converged: conv,
        dir: dir.clone(),
    };
    if out.passed() && temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(out)
}
