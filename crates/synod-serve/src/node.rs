//! The runtime's core: one server process driven by real inputs, with its durable state on
//! disk before anything it says leaves.
//!
//! Two threads per server:
//!
//! - **the event loop** ([`run_event_loop`]) owns the protocol's [`Process`]. It waits for an
//!   input (a peer's message, a client request, a status query) or the next timer, takes every
//!   input that is ready (up to [`MAX_TURN_INPUTS`]), hands each to the process through a
//!   [`Ctx`], then asks the protocol's journal what of the durable state changed. The records
//!   and everything the process sent during the turn go to the WAL thread as one [`Turn`].
//! - **the WAL thread** ([`run_wal`]) takes every turn that is waiting, writes their frames with
//!   one `write`, makes them durable with one `fdatasync` (group commit) and only then releases
//!   their messages and client replies, in turn order.
//!
//! So the rule the protocols assume ("persistent state, updated on stable storage before
//! responding to RPCs", Raft's Figure 2) holds for every answer, and the event loop keeps
//! working on the next turn while the disk syncs the previous ones. A turn that changed nothing
//! durable waits too: its messages may carry state computed from an earlier turn that is still
//! syncing. The one exception is what the protocol marks with
//! [`Protocol::may_precede_sync`] (Raft: `AppendEntries`, the leader's disk write in parallel
//! with replication): such a message waits only for the turns before its own.

use crate::protocol::{Protocol, ServerStatus};
use crate::wal::{Wal, encode_frame};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use synod_core::{
    ClientEvent, Ctx, Env, Level, NodeId, Process, ProtocolEvent, SimRng, Time, TimerId,
};
use synod_protocols::kv::{Command, Reply, Request};
use tokio::sync::{mpsc, oneshot};

/// At most this many inputs are handled in one turn of the event loop.
pub const MAX_TURN_INPUTS: usize = 4096;
/// At most this many turns wait for the WAL thread; the event loop blocks beyond.
pub const MAX_TURNS_QUEUED: usize = 256;
/// At most this many client requests wait for an answer at one server.
pub const MAX_PENDING_CLIENTS: usize = 65_536;

/// An input of the event loop.
pub enum Input<M> {
    /// A message from a peer server.
    Peer {
        /// The sender.
        from: NodeId,
        /// The message.
        msg: M,
    },
    /// A client request from the HTTP API.
    Client {
        /// The request (client session id, request number, command).
        req: Request,
        /// Where the answer goes.
        reply: oneshot::Sender<Reply>,
    },
    /// A status query.
    Status(oneshot::Sender<ServerStatus>),
}

/// Something the process said, held until the turn is durable.
pub enum Out<M> {
    /// A message to a peer.
    Peer(NodeId, M),
    /// An answer to a waiting client.
    Client(oneshot::Sender<Reply>, Reply),
}

/// One turn of the event loop: its WAL records and what it said.
pub struct Turn<M> {
    /// The journal's records (the payload of one WAL frame; empty if nothing durable changed).
    pub records: Vec<u8>,
    /// Messages that may leave once every earlier turn is durable, without waiting for this
    /// one ([`Protocol::may_precede_sync`]).
    pub early: Vec<Out<M>>,
    /// The messages and replies, in the order the process produced them.
    pub outputs: Vec<Out<M>>,
}

/// Where released messages go: one bounded queue per peer (the transport's writer). A full
/// queue drops the message, as a congested network would; the protocols retransmit.
pub struct Release<M> {
    /// Indexed by node id; `None` for this server itself.
    pub peers: Vec<Option<mpsc::Sender<M>>>,
}

impl<M> Release<M> {
    fn send(&self, outputs: Vec<Out<M>>) {
        for o in outputs {
            match o {
                Out::Peer(to, msg) => {
                    if let Some(Some(tx)) = self.peers.get(to.index()) {
                        let _ = tx.try_send(msg);
                    }
                }
                Out::Client(tx, reply) => {
                    let _ = tx.send(reply);
                }
            }
        }
    }
}

/// A bug planted in the runtime, for showing that the torture test catches it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RuntimeBug {
    /// `ack-before-wal`: messages and replies leave at once; WAL records are kept in memory and
    /// written (and synced) only every second. A `kill -9` loses what a server acknowledged.
    AckBeforeWal,
}

/// The runtime's planted bugs, by name, with what each breaks.
pub const RUNTIME_BUGS: &[(&str, &str)] = &[(
    "ack-before-wal",
    "messages and client replies leave before their WAL records are written; records are written only every second, so kill -9 loses acknowledged state (fsync skipped, as a process crash sees it)",
)];

impl RuntimeBug {
    /// The bug named `name`, if it is a runtime bug.
    pub fn parse(name: &str) -> Option<RuntimeBug> {
        match name {
            "ack-before-wal" => Some(RuntimeBug::AckBeforeWal),
            _ => None,
        }
    }
}

/// The WAL thread: group commit, then release. Returns only on a disk error (the caller stops
/// the process: a server that cannot persist must not go on answering) or when the event loop
/// is gone.
pub fn run_wal<M>(
    mut wal: Wal,
    rx: std_mpsc::Receiver<Turn<M>>,
    release: Release<M>,
    bug: Option<RuntimeBug>,
) -> Result<(), crate::wal::WalError> {
    let mut buf = Vec::new();
    let mut group = Vec::new();
    let mut last_lazy_flush = Instant::now();
    loop {
        let first = if bug == Some(RuntimeBug::AckBeforeWal) {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(t) => Some(t),
                Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
        } else {
            match rx.recv() {
                Ok(t) => Some(t),
                Err(_) => return Ok(()),
            }
        };
        let mut take = |t: Turn<M>, buf: &mut Vec<u8>| {
            if !t.records.is_empty() {
                encode_frame(buf, &t.records);
            }
            group.push(t);
        };
        if let Some(mut t) = first {
            // Every earlier turn is durable: this one's early messages may go now, while its
            // records sync.
            release.send(std::mem::take(&mut t.early));
            take(t, &mut buf);
        }
        while buf.len() < (8 << 20) {
            match rx.try_recv() {
                Ok(t) => take(t, &mut buf),
                Err(_) => break,
            }
        }
        match bug {
            None => {
                if !buf.is_empty() {
                    wal.write(&buf)?;
                    wal.sync()?;
                    buf.clear();
                }
                for t in group.drain(..) {
                    release.send(t.early);
                    release.send(t.outputs);
                }
            }
            Some(RuntimeBug::AckBeforeWal) => {
                for t in group.drain(..) {
                    release.send(t.early);
                    release.send(t.outputs);
                }
                if last_lazy_flush.elapsed() >= Duration::from_secs(1) {
                    if !buf.is_empty() {
                        wal.write(&buf)?;
                        wal.sync()?;
                        buf.clear();
                    }
                    last_lazy_flush = Instant::now();
                }
            }
        }
    }
}

/// The timers of the process, in real time.
struct Timers<T> {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    live: BTreeMap<u64, T>,
    next_id: u64,
}

impl<T> Timers<T> {
    fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.heap.peek() {
            if self.live.contains_key(&id) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    fn pop_due(&mut self, now: Instant) -> Option<T> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if let Some(t) = self.live.remove(&id) {
                return Some(t);
            }
        }
        None
    }
}

/// How the event loop is set up.
#[derive(Clone, Debug)]
pub struct LoopConfig {
    /// This server's id.
    pub me: NodeId,
    /// Every server's name, by id.
    pub names: Vec<String>,
    /// The seed of the process's random generator (logged at start, so a run can be
    /// re-seeded with `--seed`).
    pub seed: u64,
    /// Narration at or above this level goes to standard error.
    pub log_level: Level,
}

/// The world as the process sees it: the runtime side of [`Ctx`].
struct Shell<P: Protocol> {
    cfg: LoopConfig,
    start: Instant,
    label: String,
    outputs: Vec<Out<P::Msg>>,
    early: Vec<Out<P::Msg>>,
    timers: Timers<<P::Node as Process>::Timer>,
    /// Client requests waiting for their reply, by (client session, request number).
    pending: BTreeMap<(NodeId, u64), oneshot::Sender<Reply>>,
}

impl<P: Protocol> Shell<P> {
    fn servers(&self) -> u32 {
        self.cfg.names.len() as u32
    }
}

impl<P: Protocol> Env<P::Msg, <P::Node as Process>::Timer> for Shell<P> {
    fn send(&mut self, _from: NodeId, to: NodeId, msg: P::Msg) {
        if to.0 < self.servers() {
            if to != self.cfg.me {
                if P::may_precede_sync(&msg) {
                    self.early.push(Out::Peer(to, msg));
                } else {
                    self.outputs.push(Out::Peer(to, msg));
                }
            }
            return;
        }
        // Not a server: a client session of the HTTP API, if one is waiting for this answer.
        if let Some(reply) = P::reply(&msg) {
            let req_id = match reply {
                Reply::Done { req_id, .. } | Reply::NotLeader { req_id, .. } => *req_id,
            };
            if let Some(tx) = self.pending.remove(&(to, req_id)) {
                self.outputs.push(Out::Client(tx, reply.clone()));
            }
        }
    }

    fn set_timer(
        &mut self,
        _node: NodeId,
        after: Time,
        timer: <P::Node as Process>::Timer,
    ) -> TimerId {
        let id = self.timers.next_id;
        self.timers.next_id += 1;
        let at = Instant::now() + Duration::from_micros(after.as_micros());
        self.timers.heap.push(Reverse((at, id)));
        self.timers.live.insert(id, timer);
        TimerId(id)
    }

    fn cancel_timer(&mut self, _node: NodeId, id: TimerId) {
        self.timers.live.remove(&id.0);
    }

    fn log_enabled(&self, level: Level) -> bool {
        level <= self.cfg.log_level
    }

    fn log(&mut self, _node: NodeId, level: Level, text: &dyn fmt::Display) {
        let t = Time::micros(self.start.elapsed().as_micros() as u64);
        eprintln!("{t:>10}  [{}]  {}{text}", self.label, level_tag(level));
    }

    fn protocol_event(&mut self, _node: NodeId, _event: ProtocolEvent<'_>) {}

    fn client_event(&mut self, _node: NodeId, _event: ClientEvent<'_>) {}

    fn client_done(&mut self, _node: NodeId) {}

    fn set_label(&mut self, _node: NodeId, label: &dyn fmt::Display) {
        self.label = label.to_string();
    }
}

fn level_tag(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR ",
        Level::Warn => "WARN ",
        _ => "",
    }
}

/// The event loop of server `cfg.me`: runs until every input sender is gone. Blocks the
/// calling thread (it makes its own single-threaded async runtime for the timers).
pub fn run_event_loop<P: Protocol>(
    mut protocol: P,
    recovered: P::Recovered,
    cfg: LoopConfig,
    mut rx: mpsc::Receiver<Input<P::Msg>>,
    wal: std_mpsc::SyncSender<Turn<P::Msg>>,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let mut node = protocol.build(cfg.me, recovered);
    let mut rng = SimRng::new(cfg.seed);
    let mut shell = Shell::<P> {
        label: cfg.names.get(cfg.me.index()).cloned().unwrap_or_default(),
        cfg,
        start: Instant::now(),
        outputs: Vec::new(),
        early: Vec::new(),
        timers: Timers {
            heap: BinaryHeap::new(),
            live: BTreeMap::new(),
            next_id: 0,
        },
        pending: BTreeMap::new(),
    };
    let me = shell.cfg.me;
    let now = |shell: &Shell<P>| Time::micros(shell.start.elapsed().as_micros() as u64);
    {
        let t = now(&shell);
        node.on_start(&mut Ctx::new(me, t, &mut rng, &mut shell));
    }
    let mut inputs = Vec::new();
    let mut last_sweep = Instant::now();
    rt.block_on(async {
        loop {
            // The end of the turn: persist, then hand over what was said.
            let mut records = Vec::new();
            protocol.journal(&node, &mut records);
            let outputs = std::mem::take(&mut shell.outputs);
            let early = std::mem::take(&mut shell.early);
            if (!records.is_empty() || !outputs.is_empty() || !early.is_empty())
                && wal
                    .send(Turn {
                        records,
                        early,
                        outputs,
                    })
                    .is_err()
            {
                return;
            }

            // Wait for the next input or timer.
            let deadline = shell.timers.next_deadline();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            };
            tokio::select! {
                biased;
                i = rx.recv() => match i {
                    Some(i) => inputs.push(i),
                    None => return,
                },
                _ = sleep => {}
            }
            while inputs.len() < MAX_TURN_INPUTS {
                match rx.try_recv() {
                    Ok(i) => inputs.push(i),
                    Err(_) => break,
                }
            }

            // Timers first (they were due before these inputs were read), then the inputs.
            let wall = Instant::now();
            while let Some(timer) = shell.timers.pop_due(wall) {
                let t = now(&shell);
                node.on_timer(&mut Ctx::new(me, t, &mut rng, &mut shell), timer);
            }
            for input in inputs.drain(..) {
                let t = now(&shell);
                match input {
                    Input::Peer { from, msg } => {
                        node.on_message(&mut Ctx::new(me, t, &mut rng, &mut shell), from, msg);
                    }
                    Input::Client { req, reply } => {
                        if shell.pending.len() >= MAX_PENDING_CLIENTS {
                            continue; // dropping `reply` answers "unknown"
                        }
                        let from = req.client;
                        shell.pending.insert((from, req.req_id), reply);
                        node.on_message(
                            &mut Ctx::new(me, t, &mut rng, &mut shell),
                            from,
                            P::Msg::from(req),
                        );
                    }
                    Input::Status(tx) => {
                        let mut s = P::status(&node);
                        s.node = shell.cfg.names.get(me.index()).cloned().unwrap_or_default();
                        s.leader = s
                            .leader_id
                            .and_then(|l| shell.cfg.names.get(l.index()).cloned());
                        let _ = tx.send(s);
                    }
                }
            }

            // Forget clients that gave up (their HTTP request timed out).
            if last_sweep.elapsed() >= Duration::from_secs(1) {
                shell.pending.retain(|_, tx| !tx.is_closed());
                last_sweep = Instant::now();
            }
        }
    });
    Ok(())
}

/// A client request for the event loop.
pub fn client_input<M>(
    client: NodeId,
    req_id: u64,
    cmd: Command,
    reply: oneshot::Sender<Reply>,
) -> Input<M> {
    Input::Client {
        req: Request {
            client,
            req_id,
            cmd,
        },
        reply,
    }
}
