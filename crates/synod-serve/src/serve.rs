//! `synod serve`: one server of a real cluster, wired together: the data directory and its
//! WAL, the event loop and WAL threads ([`crate::node`]), the peer transport and the HTTP API,
//! on a single-threaded async runtime.

use crate::config::{self, Identity, Peer, Usage};
use crate::http::{self, Api};
use crate::node::{self, Input, LoopConfig, Release, RuntimeBug};
use crate::protocol::Protocol;
use crate::transport::{self, Links, PeerSetup};
use crate::wal::{Wal, WalError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use synod_core::{Level, NodeId};
use tokio::sync::mpsc;

/// How `synod serve` was asked to run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// This server's name.
    pub id: String,
    /// Every server, in the same order on every server.
    pub peers: Vec<Peer>,
    /// The data directory.
    pub data: PathBuf,
    /// Where the HTTP API listens (default: peer port + 1000).
    pub http: Option<SocketAddr>,
    /// The seed of the process's random generator (default: from the OS).
    pub seed: Option<u64>,
    /// Narration at or above this level goes to standard error.
    pub log_level: Level,
    /// Serve `/admin` (link cuts) for fault testing.
    pub fault_admin: bool,
    /// How long an HTTP request waits for its answer.
    pub request_timeout: Duration,
    /// Exit when the parent process goes away (for harnesses that start servers).
    pub stop_with_parent: bool,
    /// A planted runtime bug.
    pub bug: Option<RuntimeBug>,
}

/// Why `synod serve` stopped.
#[derive(Debug)]
pub enum ServeError {
    /// Unusable input (exit 2): a bad peer list, a data directory of another cluster, a port
    /// in use, a corrupt WAL.
    Usage(Usage),
    /// The server failed while running (exit 1): the disk refused a write or a sync.
    Fatal(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Usage(u) => u.fmt(f),
            ServeError::Fatal(m) => f.write_str(m),
        }
    }
}

impl From<Usage> for ServeError {
    fn from(u: Usage) -> Self {
        ServeError::Usage(u)
    }
}

/// A random seed from the OS.
pub fn os_seed() -> u64 {
    let mut b = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut b);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    u64::from_le_bytes(b) ^ t ^ u64::from(std::process::id()).rotate_left(32)
}

fn bind_error(what: &str, addr: SocketAddr, e: std::io::Error) -> Usage {
    let why = if e.kind() == std::io::ErrorKind::AddrInUse {
        "address already in use (another server, or an earlier one still running?)".to_string()
    } else {
        e.to_string()
    };
    Usage(format!("cannot listen on {addr} ({what}): {why}"))
}

/// Runs server `opts.id` of protocol `P` until the process is killed (or, with
/// `stop_with_parent`, its parent goes away). `make` builds the configured protocol on the
/// event loop's thread (protocol state need not be `Send`).
pub fn serve<P: Protocol>(
    make: impl FnOnce() -> P + Send + 'static,
    opts: ServeOptions,
) -> Result<(), ServeError> {
    let me_index = config::find_self(&opts.peers, &opts.id)?;
    let me = NodeId(me_index as u32);
    let n = opts.peers.len();
    let names: Vec<String> = opts.peers.iter().map(|p| p.name.clone()).collect();
    let cluster = config::cluster_id(P::NAME, &opts.peers);
    let http_addr = match opts.http {
        Some(a) => a,
        None => config::default_http(&opts.peers[me_index])?,
    };
    let identity = Identity {
        protocol: P::NAME.to_string(),
        node: opts.id.clone(),
        cluster: format!("{cluster:016x}"),
        peers: config::peers_text(&opts.peers),
    };
    let wal_path = config::open_data_dir(&opts.data, &identity)?;
    let (wal, recovered) = Wal::open(&wal_path).map_err(|e| match e {
        WalError::Io { .. } => ServeError::Fatal(e.to_string()),
        _ => ServeError::Usage(Usage(e.to_string())),
    })?;
    let state = P::recover(&recovered.frames)
        .map_err(|e| Usage(format!("{}: corrupt WAL: {e}", wal_path.display())))?;
    if let Some(t) = &recovered.torn {
        eprintln!(
            "synod serve: {}: a torn write at byte {} ({}): removed its {} bytes, which no one was told about",
            wal_path.display(),
            t.offset,
            t.detail,
            t.dropped
        );
    }

    // Listen before anything starts, so that a port in use is an error at once.
    let peer_std = std::net::TcpListener::bind(opts.peers[me_index].addr)
        .map_err(|e| bind_error("peer address", opts.peers[me_index].addr, e))?;
    let http_std = std::net::TcpListener::bind(http_addr)
        .map_err(|e| bind_error("HTTP address", http_addr, e))?;
    for l in [&peer_std, &http_std] {
        l.set_nonblocking(true)
            .map_err(|e| ServeError::Fatal(e.to_string()))?;
    }

    let seed = opts.seed.unwrap_or_else(os_seed);
    eprintln!(
        "synod serve: {} ({} of {n}, protocol {}) peers on {}, HTTP on http://{http_addr}, data {}, seed {seed} (rerun with --seed {seed}); {}: {}",
        opts.id,
        me_index + 1,
        P::NAME,
        opts.peers[me_index].addr,
        opts.data.display(),
        if recovered.created {
            "new"
        } else {
            "recovered"
        },
        P::describe(&state, &names)
    );
    if let Some(b) = opts.bug {
        eprintln!("synod serve: WARNING planted runtime bug {b:?}: this server is not durable");
    }

    let (to_loop, loop_rx) = mpsc::channel::<Input<P::Msg>>(8192);
    let (turn_tx, turn_rx) = std::sync::mpsc::sync_channel(node::MAX_TURNS_QUEUED);
    let mut peer_txs = Vec::new();
    let mut peer_rxs = Vec::new();
    for i in 0..n {
        if i == me_index {
            peer_txs.push(None);
            peer_rxs.push(None);
        } else {
            let (tx, rx) = mpsc::channel::<P::Msg>(transport::PEER_QUEUE);
            peer_txs.push(Some(tx));
            peer_rxs.push(Some(rx));
        }
    }

    let bug = opts.bug;
    let wal_thread = std::thread::Builder::new()
        .name("wal".into())
        .spawn(move || {
            let result = node::run_wal(wal, turn_rx, Release { peers: peer_txs }, bug);
            if let Err(e) = result {
                // A server that cannot make its state durable must not go on answering.
                eprintln!("synod serve: fatal: {e}");
                std::process::exit(1);
            }
        })
        .map_err(|e| ServeError::Fatal(e.to_string()))?;
    let loop_cfg = LoopConfig {
        me,
        names: names.clone(),
        seed,
        log_level: opts.log_level,
    };
    let loop_thread = std::thread::Builder::new()
        .name("event-loop".into())
        .spawn(move || {
            let run = std::panic::AssertUnwindSafe(move || {
                node::run_event_loop(make(), state, loop_cfg, loop_rx, turn_tx)
            });
            // The event loop only ends if something is badly wrong; a server without one
            // must not keep its ports open.
            match std::panic::catch_unwind(run) {
                Ok(Ok(())) => eprintln!("synod serve: fatal: the event loop stopped"),
                Ok(Err(e)) => eprintln!("synod serve: fatal: the event loop failed: {e}"),
                Err(_) => eprintln!("synod serve: fatal: the event loop panicked"),
            }
            std::process::exit(1);
        })
        .map_err(|e| ServeError::Fatal(e.to_string()))?;

    if opts.stop_with_parent {
        let parent = std::os::unix::process::parent_id();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                if std::os::unix::process::parent_id() != parent {
                    std::process::exit(0);
                }
            }
        });
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Fatal(e.to_string()))?;
    let setup = Arc::new(PeerSetup {
        me,
        addrs: opts.peers.iter().map(|p| p.addr).collect(),
        cluster,
        http: http_addr.to_string(),
    });
    let links = Arc::new(Links::new(n));
    let api = Arc::new(Api::new(
        to_loop.clone(),
        names,
        me,
        links.clone(),
        opts.fault_admin,
        opts.request_timeout,
        http_addr.to_string(),
        seed,
    ));
    let result: Result<(), ServeError> = rt.block_on(async move {
        let peer_listener = tokio::net::TcpListener::from_std(peer_std)
            .map_err(|e| ServeError::Fatal(e.to_string()))?;
        let http_listener = tokio::net::TcpListener::from_std(http_std)
            .map_err(|e| ServeError::Fatal(e.to_string()))?;
        for (i, rx) in peer_rxs.into_iter().enumerate() {
            if let Some(rx) = rx {
                tokio::spawn(transport::write_peer(
                    NodeId(i as u32),
                    setup.clone(),
                    links.clone(),
                    rx,
                ));
            }
        }
        tokio::spawn(transport::accept_peers(
            peer_listener,
            setup.clone(),
            links.clone(),
            to_loop,
        ));
        axum::serve(http_listener, http::router(api))
            .await
            .map_err(|e| ServeError::Fatal(format!("HTTP server: {e}")))
    });
    drop(loop_thread);
    drop(wal_thread);
    result
}
