//! Local clusters of `synod serve` processes: `synod cluster up`, and the torture harness.
//!
//! Each server is a child process in a process group of its own, started with
//! `--stop-with-parent`, logging to a file in the cluster's directory. Dropping a
//! [`LocalCluster`] kills every group (a stopped server too) and waits for it, so a test that
//! fails or panics leaves nothing running; a harness killed outright leaves servers that exit
//! within a fraction of a second, since their parent is gone (and a server stopped with
//! `SIGSTOP` at that moment is in an orphaned process group, which the kernel wakes with
//! `SIGHUP` and `SIGCONT`, ending it).

use crate::config::Usage;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One server of a local cluster.
#[derive(Debug)]
pub struct LocalNode {
    /// Its name (`n1`).
    pub name: String,
    /// Its peer address.
    pub peer: SocketAddr,
    /// Its HTTP address.
    pub http: SocketAddr,
    /// Its data directory.
    pub data: PathBuf,
    /// Its log file (standard error of every incarnation, appended).
    pub log: PathBuf,
    child: Option<Child>,
    paused: bool,
}

impl LocalNode {
    /// The running process's id, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether it runs (maybe paused).
    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    /// Whether it is paused (`SIGSTOP`).
    pub fn is_paused(&self) -> bool {
        self.paused
    }
}

/// A local cluster of server processes.
#[derive(Debug)]
pub struct LocalCluster {
    exe: PathBuf,
    protocol: String,
    /// The servers, in `--peers` order.
    pub nodes: Vec<LocalNode>,
    extra: Vec<String>,
}

/// Ports that were free a moment ago: `n` of them, on 127.0.0.1.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

impl LocalCluster {
    /// A cluster of `n` servers of `protocol` named `n1..nN` on 127.0.0.1, peers on
    /// `peer_ports`, HTTP on `http_ports`, data under `root/nK`. Nothing starts yet.
    /// `extra` goes to every `synod serve` (for example `--fault-admin`).
    pub fn new(
        exe: &Path,
        protocol: &str,
        root: &Path,
        peer_ports: &[u16],
        http_ports: &[u16],
        extra: Vec<String>,
    ) -> LocalCluster {
        let nodes = peer_ports
            .iter()
            .zip(http_ports)
            .enumerate()
            .map(|(i, (p, h))| {
                let name = format!("n{}", i + 1);
                LocalNode {
                    peer: SocketAddr::from(([127, 0, 0, 1], *p)),
                    http: SocketAddr::from(([127, 0, 0, 1], *h)),
                    data: root.join(&name),
                    log: root.join(format!("{name}.log")),
                    name,
                    child: None,
                    paused: false,
                }
            })
            .collect();
        LocalCluster {
            exe: exe.to_path_buf(),
            protocol: protocol.to_string(),
            nodes,
            extra,
        }
    }

    /// The `--peers` argument.
    pub fn peers_arg(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("{}={}", n.name, n.peer))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The HTTP addresses, comma-separated (`synod kv --cluster`).
    pub fn http_arg(&self) -> String {
        self.nodes
            .iter()
            .map(|n| n.http.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Starts server `i` (a no-op if it runs).
    pub fn start(&mut self, i: usize) -> std::io::Result<()> {
        let peers = self.peers_arg();
        let node = &mut self.nodes[i];
        if node.child.is_some() {
            return Ok(());
        }
        if let Some(dir) = node.log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)?;
        let child = Command::new(&self.exe)
            .args([
                "serve",
                &self.protocol,
                "--id",
                &node.name,
                "--peers",
                &peers,
            ])
            .arg("--http")
            .arg(node.http.to_string())
            .arg("--data")
            .arg(&node.data)
            .arg("--stop-with-parent")
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()?;
        node.child = Some(child);
        node.paused = false;
        Ok(())
    }

    /// Starts every server.
    pub fn start_all(&mut self) -> std::io::Result<()> {
        for i in 0..self.nodes.len() {
            self.start(i)?;
        }
        Ok(())
    }

    /// `kill -9` server `i` and reap it.
    pub fn kill(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(mut c) = node.child.take() {
            let _ = killpg(Pid::from_raw(c.id() as i32), Signal::SIGKILL);
            let _ = c.kill();
            let _ = c.wait();
        }
        node.paused = false;
    }

    /// Pauses server `i` (`SIGSTOP`).
    pub fn pause(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(c) = &node.child {
            if kill(Pid::from_raw(c.id() as i32), Signal::SIGSTOP).is_ok() {
                node.paused = true;
            }
        }
    }

    /// Resumes server `i` (`SIGCONT`).
    pub fn resume(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(c) = &node.child {
            let _ = kill(Pid::from_raw(c.id() as i32), Signal::SIGCONT);
        }
        node.paused = false;
    }

    /// Servers that exited by themselves since the last look: (index, exit status).
    pub fn reap_exited(&mut self) -> Vec<(usize, std::process::ExitStatus)> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if let Some(c) = &mut n.child
                && let Ok(Some(status)) = c.try_wait()
            {
                n.child = None;
                n.paused = false;
                out.push((i, status));
            }
        }
        out
    }

    /// Stops every server: `SIGTERM`, then `SIGKILL` after `grace`.
    pub fn stop_all(&mut self, grace: Duration) {
        for n in &mut self.nodes {
            if let Some(c) = &n.child {
                let pid = Pid::from_raw(c.id() as i32);
                let _ = kill(pid, Signal::SIGCONT);
                let _ = killpg(pid, Signal::SIGTERM);
            }
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && self.nodes.iter().any(|n| n.child.is_some()) {
            self.reap_exited();
            std::thread::sleep(Duration::from_millis(20));
        }
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// Waits until every server's HTTP port accepts connections, or `timeout`.
pub fn wait_listening(cluster: &LocalCluster, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    for n in &cluster.nodes {
        loop {
            if std::net::TcpStream::connect_timeout(&n.http, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(&n.log).unwrap_or_default();
                return Err(format!(
                    "{} did not start listening on {} within {timeout:?}; its log ({}):\n{}",
                    n.name,
                    n.http,
                    n.log.display(),
                    log.lines()
                        .rev()
                        .take(10)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    Ok(())
}

/// `synod cluster up`: how to start the cluster.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// The `synod` executable.
    pub exe: PathBuf,
    /// The protocol.
    pub protocol: String,
    /// How many servers.
    pub nodes: usize,
    /// Peer ports are base+1.., HTTP ports base+1001...
    pub base_port: u16,
    /// Where the servers keep their data (`DIR/n1`, ...).
    pub data: PathBuf,
    /// More arguments for every `synod serve`.
    pub extra: Vec<String>,
}

/// Checks `synod cluster up`'s options and lays out the cluster.
pub fn plan(opts: &UpOptions) -> Result<LocalCluster, Usage> {
    if opts.nodes == 0 || opts.nodes > crate::config::MAX_SERVERS {
        return Err(Usage(format!(
            "--nodes {}: a cluster has 1 to {} servers",
            opts.nodes,
            crate::config::MAX_SERVERS
        )));
    }
    let last =
        u32::from(opts.base_port) + crate::config::HTTP_PORT_OFFSET as u32 + opts.nodes as u32;
    if opts.base_port == 0 || last > u32::from(u16::MAX) {
        return Err(Usage(format!(
            "--base-port {}: the ports {}..={last} must be valid TCP ports",
            opts.base_port,
            u32::from(opts.base_port) + 1
        )));
    }
    let peer_ports: Vec<u16> = (1..=opts.nodes as u16)
        .map(|i| opts.base_port + i)
        .collect();
    let http_ports: Vec<u16> = peer_ports
        .iter()
        .map(|p| p + crate::config::HTTP_PORT_OFFSET)
        .collect();
    Ok(LocalCluster::new(
        &opts.exe,
        &opts.protocol,
        &opts.data,
        &peer_ports,
        &http_ports,
        opts.extra.clone(),
    ))
}
