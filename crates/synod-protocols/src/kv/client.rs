//! The client workload every KV protocol shares: each client issues random requests one at a
//! time, follows "not the leader" hints, retries on timeout with the same request id (so that a
//! retry is never applied twice), and records each operation's invocation and return: the
//! history the linearizability checker reads.
//!
//! How many requests: a fixed number per client (`requests_per_client`), or, with
//! `workload.until_ms`, as many as fit before that time (Jepsen's practice: the workload runs
//! for the whole test while the nemesis acts on it; a client then finishes the request it
//! started). The pace: closed loop (the next request when the last one returns, after a think
//! time of mean `1/rate`) or open loop (requests arrive at `rate` per second whatever happened to
//! the earlier ones; each client is one session, so one that arrives while a request is in
//! flight waits its turn). The concurrency is the number of clients, `cluster.clients`.

use super::contract::{Command, Reply, Request};
use crate::settings::{Kind, Setting, Settings};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use synod_core::inspect::Inspect;
use synod_core::{ClientOp, Ctx, Message, NodeId, NodeStatus, Time, TimerId};
use synod_sim::NodeSpec;

/// How much a client does, and with what.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Requests each client issues, one at a time.
    pub requests_per_client: u32,
    /// The keys requests pick from.
    pub keys: Vec<String>,
    /// Values are `val_0` .. `val_{values-1}`.
    pub values: u32,
    /// Relative weights of get, put and delete.
    pub mix: [u32; 3],
    /// How long a client waits for a reply before retrying at the next server.
    pub timeout: Time,
    /// No request is issued at or after this time, except, in an open loop, those that arrived
    /// before it and wait their turn (`None`: only `requests_per_client` limits the workload).
    pub until: Option<Time>,
    /// Requests per second each client aims at; 0: the next one as soon as the last returns.
    pub rate: u32,
    /// Open loop: requests arrive at `rate` whatever happened to the earlier ones (closed
    /// loop: a think time of mean `1/rate` after each reply).
    pub open: bool,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            requests_per_client: 5,
            keys: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            values: 100,
            mix: [1, 1, 1],
            timeout: Time::ms(500),
            until: None,
            rate: 0,
            open: false,
        }
    }
}

/// The most clients a scenario may have. Each client is a few hundred bytes and a run of this
/// many finishes in seconds; the limit keeps a typo from asking for millions.
pub const MAX_CLIENTS: u64 = 10_000;

/// `cluster.clients`: how many clients.
pub const CLIENTS: Setting = Setting {
    key: "cluster.clients",
    kind: Kind::Count {
        default: 3,
        min: 1,
        max: MAX_CLIENTS,
        why_max: "a limit against typos: a run of 10000 clients takes seconds already",
    },
    doc: "clients",
};

/// `workload.requests_per_client`.
pub const REQUESTS: Setting = Setting {
    key: "workload.requests_per_client",
    kind: Kind::Count {
        default: 5,
        min: 0,
        max: 1_000_000,
        why_max: "a limit against typos",
    },
    doc: "requests each client issues, one at a time (with `until_ms`: at most this many, if given)",
};

/// `workload.keys`.
pub const KEYS: Setting = Setting {
    key: "workload.keys",
    kind: Kind::Strings {
        default: &["a", "b", "c", "d", "e"],
    },
    doc: "the keys requests pick from",
};

/// `workload.values`.
pub const VALUES: Setting = Setting {
    key: "workload.values",
    kind: Kind::Count {
        default: 100,
        min: 1,
        max: u32::MAX as u64,
        why_max: "values are numbered with 32 bits",
    },
    doc: "values are `val_0` .. `val_{N-1}`",
};

/// `workload.mix`.
pub const MIX: Setting = Setting {
    key: "workload.mix",
    kind: Kind::Weights {
        names: &["get", "put", "delete"],
        default: &[1, 1, 1],
    },
    doc: "relative weights of the operations (a missing one weighs 0)",
};

/// `workload.client_timeout_ms`.
pub const CLIENT_TIMEOUT: Setting = Setting {
    key: "workload.client_timeout_ms",
    kind: Kind::Ms { default: 500.0 },
    doc: "how long a client waits for a reply before retrying at the next server",
};

/// `workload.until_ms`.
pub const UNTIL: Setting = Setting {
    key: "workload.until_ms",
    kind: Kind::Ms { default: 0.0 },
    doc: "clients issue requests until this time, then finish the one in flight (in an open loop, also those that arrived before it) (`synod check` sets it to the end of its fault window); not given: `requests_per_client` requests",
};

/// `workload.rate`.
pub const RATE: Setting = Setting {
    key: "workload.rate",
    kind: Kind::Count {
        default: 0,
        min: 0,
        max: 1_000_000,
        why_max: "a million requests per virtual second per client is beyond any server here",
    },
    doc: "requests per second each client aims at (0: the next as soon as the last returns)",
};

/// `workload.loop`.
pub const LOOP: Setting = Setting {
    key: "workload.loop",
    kind: Kind::Choice {
        default: "closed",
        options: &["closed", "open"],
    },
    doc: "`closed`: the next request after the last returns and a think time of mean 1/rate; `open`: requests arrive at `rate` whatever happened to the earlier ones, and wait their turn",
};

/// The keys that make the workload run through a window of time rather than for a number of
/// requests: a scenario that gives none of them runs as it always did.
pub const WINDOW_SETTINGS: &[&Setting] = &[&UNTIL, &RATE, &LOOP];

/// The keys of every KV protocol's clients: `cluster.clients` and `[workload]`.
pub const CLIENT_SETTINGS: &[Setting] = &[
    CLIENTS,
    REQUESTS,
    KEYS,
    VALUES,
    MIX,
    CLIENT_TIMEOUT,
    UNTIL,
    RATE,
    LOOP,
];

/// The workload a scenario's settings describe.
pub fn workload(s: &Settings) -> Workload {
    let mix = s.weights(&MIX);
    let until = s.given(&UNTIL).then(|| s.time(&UNTIL));
    // With a time window, the number of requests is a cap only when the scenario gives it.
    let requests = if until.is_some() && !s.given(&REQUESTS) {
        u32::MAX
    } else {
        s.count(&REQUESTS) as u32
    };
    Workload {
        requests_per_client: requests,
        keys: s.strings(&KEYS).unwrap_or_default(),
        values: s.count(&VALUES) as u32,
        mix: [mix[0] as u32, mix[1] as u32, mix[2] as u32],
        timeout: s.time(&CLIENT_TIMEOUT),
        until,
        rate: s.count(&RATE) as u32,
        open: s.choice(&LOOP) == "open",
    }
}

/// The node specs of `n` clients, named `client 1` .. `client N`: every KV protocol lays them
/// out after its servers.
pub fn client_specs(n: u32) -> Vec<NodeSpec> {
    (1..=n)
        .map(|i| NodeSpec {
            name: format!("client {i}"),
            role: "client".into(),
            client: true,
        })
        .collect()
}

/// `val_{v}`, the value a put writes: built directly (one allocation of the right size)
/// rather than through the formatting machinery, on every put of every client.
fn value_name(v: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = v;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut value = String::with_capacity(4 + digits.len() - at);
    value.push_str("val_");
    for &d in &digits[at..] {
        value.push(char::from(d));
    }
    value
}

/// The operation recorded when nobody observes the run (see [`KvClient`]'s `next`).
const UNSEEN: ClientOp = ClientOp {
    f: String::new(),
    key: String::new(),
    value: None,
};

/// A timer of the KV client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientTimer {
    /// The request waited for; [`PACE`] for the workload's pacing (a think time ends, or the
    /// next request arrives).
    pub req_id: u64,
}

/// The `req_id` of the pacing timer: request ids start at 1.
pub const PACE: u64 = 0;

/// The client workload, shared by every KV protocol: issues random requests one at a time to
/// its servers, follows "not the leader" hints, retries on timeout with the same request id,
/// and records each operation's invocation and return (the history).
#[derive(Clone, Debug)]
pub struct KvClient {
    workload: Workload,
    /// The servers it may ask, shared by every client of a run.
    servers: Arc<[NodeId]>,
    target: usize,
    issued: u32,
    outstanding: Option<(u64, Command, TimerId)>,
    completed: u32,
    next_req: u64,
    external: Vec<Command>,
    /// Names to narrate servers by (`leader 2`, `n3`), indexed by node id and shared by every
    /// client of a run; ids when empty.
    server_names: Arc<[String]>,
    /// The outstanding request's timer is a pause (no leader known), not a reply timeout.
    pausing: bool,
    /// Hints followed for the outstanding request since it last paused or timed out: once
    /// they have led round every server (servers pointing at each other, none leading),
    /// the client pauses as if nobody knew a leader.
    hops: u32,
    /// Open loop: requests that arrived and wait their turn.
    backlog: u32,
    /// A pacing timer is set (a think time, or the next arrival).
    pacing: bool,
    /// `client_done` was said.
    finished: bool,
}

/// Equality and hashing for the explorer (synod-core's `Explorable`): the client's progress
/// through its workload; what every client of a run shares (the workload, the servers and
/// their names) is left out.
impl PartialEq for KvClient {
    fn eq(&self, o: &Self) -> bool {
        self.target == o.target
            && self.issued == o.issued
            && self.outstanding == o.outstanding
            && self.completed == o.completed
            && self.next_req == o.next_req
            && self.external == o.external
            && self.pausing == o.pausing
            && self.hops == o.hops
    }
}

impl Eq for KvClient {}

/// The hash leaves out the id of the outstanding request's timer (equality keeps it): the
/// client has at most that one timer, and the explorer numbers timers per node where the
/// simulator numbers them per run, so with the id in it a handler's random stream, derived
/// from this hash, would differ between a search and its replay.
impl Hash for KvClient {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.target.hash(h);
        self.issued.hash(h);
        (self.outstanding.as_ref())
            .map(|(req, cmd, _)| (req, cmd))
            .hash(h);
        self.completed.hash(h);
        self.next_req.hash(h);
        self.external.hash(h);
        self.pausing.hash(h);
        self.hops.hash(h);
    }
}

impl KvClient {
    /// A client of `servers`; its first contact is `servers[0]`.
    pub fn new(workload: Workload, servers: impl Into<Arc<[NodeId]>>) -> Self {
        KvClient {
            workload,
            servers: servers.into(),
            target: 0,
            issued: 0,
            outstanding: None,
            completed: 0,
            next_req: 0,
            external: Vec::new(),
            server_names: Arc::from(Vec::new()),
            pausing: false,
            hops: 0,
            backlog: 0,
            pacing: false,
            finished: false,
        }
    }

    /// Narrate servers by these names (indexed by node id) instead of by id.
    pub fn with_names(mut self, names: impl Into<Arc<[String]>>) -> Self {
        self.server_names = names.into();
        self
    }

    /// How long to wait before retrying when no server knows a leader.
    fn no_leader_pause(&self) -> Time {
        Time::micros((self.workload.timeout.as_micros() / 5).max(1))
    }

    fn name(&self, id: NodeId) -> String {
        self.server_names
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| format!("node {id}"))
    }

    /// Requests completed so far.
    pub fn completed(&self) -> u32 {
        self.completed
    }

    /// Whether every request of the workload has completed.
    pub fn is_done(&self) -> bool {
        self.issued >= self.workload.requests_per_client
            && self.outstanding.is_none()
            && self.external.is_empty()
    }

    /// Whether the workload still issues requests of its own at `now` (its number and its
    /// time window allow it).
    fn open_at(&self, now: Time) -> bool {
        self.issued < self.workload.requests_per_client
            && self.workload.until.is_none_or(|u| now < u)
    }

    /// Open loop: whether another request may arrive at `now`. Those that arrived and wait
    /// count against `requests_per_client` as the issued ones do, or a slow cluster would
    /// let arrivals pile up past it.
    fn may_arrive(&self, now: Time) -> bool {
        self.issued + self.backlog < self.workload.requests_per_client
            && self.workload.until.is_none_or(|u| now < u)
    }

    /// Whether the workload runs through a time window (or at a pace) rather than for a
    /// number of requests issued back to back.
    fn windowed(&self) -> bool {
        self.workload.until.is_some() || self.workload.rate > 0 || self.workload.open
    }

    /// A time drawn around `1/rate`: uniform in `[0, 2/rate)` (Jepsen's stagger) for a think
    /// time, exponential for open-loop arrivals.
    fn pace(&self, ctx_rng: &mut synod_core::SimRng) -> Time {
        let mean_us = 1_000_000.0 / f64::from(self.workload.rate.max(1));
        let us = if self.workload.open {
            -mean_us * (1.0 - ctx_rng.unit()).ln()
        } else {
            2.0 * mean_us * ctx_rng.unit()
        };
        Time::micros(us.round().max(1.0) as u64)
    }

    fn random_command<M, T>(&self, ctx: &mut Ctx<'_, M, T>) -> Command
    where
        M: Clone,
    {
        let w = &self.workload;
        let total: u32 = w.mix.iter().sum::<u32>().max(1);
        let mut roll = ctx.rng().below(total as u64) as u32;
        let mut which = 0;
        for (i, weight) in w.mix.iter().enumerate() {
            if roll < *weight {
                which = i;
                break;
            }
            roll -= weight;
        }
        let key = ctx
            .rng()
            .pick(&w.keys)
            .cloned()
            .unwrap_or_else(|| "a".to_string());
        match which {
            0 => Command::Get { key },
            1 => {
                let v = ctx.rng().below(w.values.max(1) as u64);
                Command::Put {
                    key,
                    value: value_name(v),
                }
            }
            _ => Command::Delete { key },
        }
    }

    /// Start: say what it will do and issue the first request.
    pub fn on_start<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        if self.outstanding.is_none() && self.issued == 0 {
            match (self.workload.until, self.windowed()) {
                (Some(until), _) => ctx.info(format_args!(
                    "starting: will send requests until {until}{}",
                    self.pace_text()
                )),
                (None, true) => ctx.info(format_args!(
                    "starting: will send {} requests{}",
                    self.workload.requests_per_client,
                    self.pace_text()
                )),
                (None, false) => ctx.info(format_args!(
                    "starting: will send {} requests",
                    self.workload.requests_per_client
                )),
            }
        }
        if self.workload.open && self.workload.rate > 0 && self.may_arrive(ctx.now()) {
            // The first request arrives now; the next after an exponential gap.
            self.backlog += 1;
            self.arm_pace(ctx);
        }
        self.next(ctx);
        if self.windowed() {
            self.finish_if_done(ctx);
        }
    }

    /// `, 20 per second, open loop`, for the narration.
    fn pace_text(&self) -> String {
        let w = &self.workload;
        match (w.rate, w.open) {
            (0, _) => String::new(),
            (r, true) => format!(", {r} per second arriving (open loop)"),
            (r, false) => format!(", about {r} per second (closed loop)"),
        }
    }

    fn arm_pace<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        let after = self.pace(ctx.rng());
        ctx.set_timer(after, T::from(ClientTimer { req_id: PACE }));
        self.pacing = true;
    }

    /// Say `client_done` once the workload is over: nothing in flight or waiting, and no
    /// more requests of its own to come.
    fn finish_if_done<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        if self.finished
            || self.outstanding.is_some()
            || !self.external.is_empty()
            || self.backlog > 0
            || self.pacing
            || self.open_at(ctx.now())
        {
            return;
        }
        self.finished = true;
        ctx.info(format_args!(
            "finished: {} requests completed{}",
            self.completed,
            match self.workload.until {
                Some(u) if ctx.now() >= u => format!(", the workload ended at {u}"),
                _ => String::new(),
            }
        ));
        ctx.client_done();
    }

    fn next<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        if self.outstanding.is_some() {
            return;
        }
        let cmd = if !self.external.is_empty() {
            self.external.remove(0)
        } else if self.workload.open && self.workload.rate > 0 {
            // Open loop: only requests that have arrived go out.
            if self.backlog == 0 {
                return;
            }
            self.backlog -= 1;
            self.issued += 1;
            self.random_command(ctx)
        } else if self.open_at(ctx.now()) {
            self.issued += 1;
            self.random_command(ctx)
        } else {
            return;
        };
        self.next_req += 1;
        let req_id = self.next_req;
        if ctx.observed() {
            if let Some(op) = cmd.to_op() {
                ctx.invoke(req_id, &op);
            }
        } else if cmd != Command::Noop {
            // Nobody sees the history: an empty operation stands in for this one, which would
            // cost three strings (the invocation still counts as an event of the run).
            ctx.invoke(req_id, &UNSEEN);
        }
        self.send(ctx, req_id, cmd);
    }

    fn send<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>, req_id: u64, cmd: Command)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        let Some(&server) = self.servers.get(self.target % self.servers.len().max(1)) else {
            return;
        };
        let timer = ctx.set_timer(self.workload.timeout, T::from(ClientTimer { req_id }));
        ctx.send(
            server,
            M::from(Request {
                client: ctx.id(),
                req_id,
                cmd: cmd.clone(),
            }),
        );
        self.outstanding = Some((req_id, cmd, timer));
    }

    /// A reply arrived.
    pub fn on_reply<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>, from: NodeId, reply: Reply)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        let Some((req_id, cmd, timer)) = self.outstanding.take() else {
            return;
        };
        // Only the server the current attempt went to answers it: a reply from another is a
        // duplicate or a late answer to an earlier attempt, and following it too would put a
        // second copy of the request in flight (on a network that duplicates, copies would
        // multiply without bound).
        let asked = self.servers.get(self.target % self.servers.len().max(1));
        if matches!(reply, Reply::NotLeader { .. }) && asked != Some(&from) {
            self.outstanding = Some((req_id, cmd, timer));
            return;
        }
        match reply {
            Reply::Done { req_id: r, result } if r == req_id => {
                ctx.cancel_timer(timer);
                self.hops = 0;
                ctx.info(format_args!("{cmd} -> {result}"));
                ctx.complete(req_id, &result);
                self.completed += 1;
                if self.windowed() {
                    self.after_reply(ctx);
                } else if self.is_done() {
                    ctx.info(format_args!(
                        "finished all {} requests",
                        self.workload.requests_per_client
                    ));
                    ctx.client_done();
                } else {
                    self.next(ctx);
                }
            }
            Reply::NotLeader { req_id: r, leader } if r == req_id => {
                ctx.cancel_timer(timer);
                let from = self.name(from);
                self.hops += 1;
                let hinted = leader.and_then(|l| self.servers.iter().position(|s| *s == l));
                // Hints that have gone round every server lead nowhere (a deposed leader and a
                // follower that still believes in it point at each other): pause.
                let hint = hinted.filter(|_| (self.hops as usize) < self.servers.len());
                match hint {
                    Some(i) => {
                        self.target = i;
                        let to = self.name(self.servers[i]);
                        ctx.debug(format_args!(
                            "{from} is not the leader: retrying {cmd} at {to}"
                        ));
                        self.send(ctx, req_id, cmd);
                    }
                    None => {
                        // Nobody knows a leader yet (an election is under way): wait a little
                        // before asking the next server, rather than spinning through them.
                        let pause = self.no_leader_pause();
                        if hinted.is_some() {
                            ctx.debug(format_args!(
                                "{from} is not the leader, and the hints have led round every server: retrying {cmd} in {pause}"
                            ));
                        } else {
                            ctx.debug(format_args!(
                                "{from} knows no leader: retrying {cmd} in {pause}"
                            ));
                        }
                        let timer = ctx.set_timer(pause, T::from(ClientTimer { req_id }));
                        self.outstanding = Some((req_id, cmd, timer));
                        self.pausing = true;
                        self.hops = 0;
                    }
                }
            }
            _ => self.outstanding = Some((req_id, cmd, timer)),
        }
    }

    /// A request returned, in a workload with a window or a pace: issue the next one (now,
    /// after a think time, or when one has arrived), or finish.
    fn after_reply<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        let closed_pace = !self.workload.open && self.workload.rate > 0;
        if closed_pace && self.external.is_empty() && self.open_at(ctx.now()) {
            self.arm_pace(ctx);
        } else {
            self.next(ctx);
        }
        self.finish_if_done(ctx);
    }

    /// A timer fired: retry the outstanding request at the next server.
    pub fn on_timer<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>, t: ClientTimer)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        if t.req_id == PACE {
            self.pacing = false;
            if self.workload.open {
                // A request arrives (if the window is still open), and the next is drawn.
                if self.may_arrive(ctx.now()) {
                    self.backlog += 1;
                    self.arm_pace(ctx);
                }
            }
            self.next(ctx);
            self.finish_if_done(ctx);
            return;
        }
        match self.outstanding.take() {
            Some((req_id, cmd, _)) if req_id == t.req_id => {
                self.target += 1;
                self.hops = 0;
                let to = self.name(self.servers[self.target % self.servers.len()]);
                if std::mem::take(&mut self.pausing) {
                    ctx.debug(format_args!("{cmd}: asking {to}"));
                } else {
                    ctx.warn(format_args!(
                        "{cmd}: no reply in {}, retrying at {to}",
                        self.workload.timeout
                    ));
                }
                self.send(ctx, req_id, cmd);
            }
            other => self.outstanding = other,
        }
    }

    /// An operation asked for from outside (REPL, web page): queued after the current one.
    pub fn request<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>, op: &ClientOp) -> bool
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        match Command::from_op(op) {
            Some(cmd) => {
                self.external.push(cmd);
                self.next(ctx);
                true
            }
            None => false,
        }
    }

    /// What `inspect` shows: the workload's progress, the request waited for and where it
    /// went, and the requests asked for from outside.
    pub fn inspect(&self, out: &mut Inspect<'_>) {
        if self.workload.requests_per_client == u32::MAX {
            // A workload bounded by its window only: no total to count towards.
            out.field(
                "requests",
                format_args!("{} issued, {} completed", self.issued, self.completed),
            );
        } else {
            out.field(
                "requests",
                format_args!(
                    "{} of {} issued, {} completed",
                    self.issued, self.workload.requests_per_client, self.completed
                ),
            );
        }
        let target = self.servers.get(self.target % self.servers.len().max(1));
        match &self.outstanding {
            Some((id, cmd, _)) if self.pausing => out.field(
                "waiting",
                format_args!("#{id} {cmd}: no leader known, pausing"),
            ),
            Some((id, cmd, _)) => out.field(
                "waiting",
                format_args!(
                    "#{id} {cmd}, sent to {}",
                    target.map_or_else(|| "nobody".to_string(), |t| out.name(*t))
                ),
            ),
            None => out.field("waiting", "for nothing"),
        };
        out.node("asks", target.copied());
        let mut t = out.table("queued", &["command"]);
        for cmd in &self.external {
            t.row(|r| {
                r.cell(cmd);
            });
        }
    }

    /// What a status display shows.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "client".into(),
            facts: vec![
                (
                    "done",
                    if self.workload.requests_per_client == u32::MAX {
                        self.completed.to_string()
                    } else {
                        format!("{}/{}", self.completed, self.workload.requests_per_client)
                    },
                ),
                (
                    "waiting",
                    self.outstanding
                        .as_ref()
                        .map_or("-".to_string(), |(id, cmd, _)| format!("#{id} {cmd}")),
                ),
            ],
            ..NodeStatus::default()
        }
    }
}

#[cfg(test)]
mod value_tests {
    #[test]
    fn value_names_are_what_format_writes() {
        for v in [0, 7, 10, 99, 100, 4_294_967_295, u64::MAX] {
            assert_eq!(super::value_name(v), format!("val_{v}"));
        }
    }
}
