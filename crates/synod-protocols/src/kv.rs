//! The key-value contract every synod store keeps (DESIGN.md, "The KV contract"), the client
//! workload that exercises it, and the single-server store (`kv`), the baseline the replicated
//! stores must behave like.
//!
//! - `put(key, value)` fails with `key already exists: <key>` if the key is present;
//! - `get(key)` returns the value, or fails with `key not found: <key>`;
//! - `delete(key)` fails with `key not found: <key>` if the key is absent.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use synod_core::{
    ClientOp, ClientResult, Ctx, Message, NodeId, NodeStatus, Process, Time, TimerId,
};

/// A command of the replicated state machine.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Command {
    /// Store `value` under `key` if the key is absent.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Read `key`.
    Get {
        /// The key.
        key: String,
    },
    /// Remove `key` if present.
    Delete {
        /// The key.
        key: String,
    },
    /// Does nothing (fills gaps in a Multi-Paxos log; a new Raft leader's first entry).
    Noop,
}

impl Command {
    /// The command for a client operation, or `None` for an operation the store does not know.
    pub fn from_op(op: &ClientOp) -> Option<Command> {
        let key = op.key.clone();
        match (op.f.as_str(), &op.value) {
            ("put", Some(value)) => Some(Command::Put {
                key,
                value: value.clone(),
            }),
            ("get", None) => Some(Command::Get { key }),
            ("delete", None) => Some(Command::Delete { key }),
            _ => None,
        }
    }

    /// The client operation this command carries out (`None` for a no-op).
    pub fn to_op(&self) -> Option<ClientOp> {
        let (f, key, value) = match self {
            Command::Put { key, value } => ("put", key, Some(value.clone())),
            Command::Get { key } => ("get", key, None),
            Command::Delete { key } => ("delete", key, None),
            Command::Noop => return None,
        };
        Some(ClientOp {
            f: f.into(),
            key: key.clone(),
            value,
        })
    }
}

impl fmt::Display for Command {
    /// `PUT "a" = "val_3"`, `GET "a"`, `DELETE "a"`, `NOOP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Put { key, value } => write!(f, "PUT {key:?} = {value:?}"),
            Command::Get { key } => write!(f, "GET {key:?}"),
            Command::Delete { key } => write!(f, "DELETE {key:?}"),
            Command::Noop => f.write_str("NOOP"),
        }
    }
}

/// A store's answer, printed as the emulations print it: `OK`, `"val_3"`, `ERROR key not found: a`.
pub struct Answer<'a>(pub &'a ClientResult);

impl fmt::Display for Answer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The state machine: one copy of the store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Store {
    data: BTreeMap<String, String>,
}

impl Store {
    /// Apply `cmd`, returning the result a client sees.
    pub fn apply(&mut self, cmd: &Command) -> ClientResult {
        match cmd {
            Command::Put { key, value } => {
                if self.data.contains_key(key) {
                    ClientResult::Error {
                        error: format!("key already exists: {key}"),
                    }
                } else {
                    self.data.insert(key.clone(), value.clone());
                    ClientResult::Ok { value: None }
                }
            }
            Command::Get { key } => match self.data.get(key) {
                Some(v) => ClientResult::Ok {
                    value: Some(v.clone()),
                },
                None => ClientResult::Error {
                    error: format!("key not found: {key}"),
                },
            },
            Command::Delete { key } => match self.data.remove(key) {
                Some(_) => ClientResult::Ok { value: None },
                None => ClientResult::Error {
                    error: format!("key not found: {key}"),
                },
            },
            Command::Noop => ClientResult::Ok { value: None },
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The contents, in key order.
    pub fn data(&self) -> &BTreeMap<String, String> {
        &self.data
    }
}

impl fmt::Display for Store {
    /// `{a: val_1, c: val_7}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.data.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}: {v}")?;
        }
        f.write_str("}")
    }
}

/// Exactly-once application: the state machine remembers each client's last request and its
/// result, so a retried request is answered from memory instead of being applied twice (a
/// retried put would otherwise answer "key already exists").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sessions {
    last: BTreeMap<NodeId, (u64, ClientResult)>,
}

impl Sessions {
    /// Apply `cmd` for request `req_id` of `client` unless it was applied already; returns the
    /// result and whether it was applied now. Clients issue one request at a time with
    /// increasing ids, so remembering the last one per client is enough.
    pub fn apply(
        &mut self,
        store: &mut Store,
        client: NodeId,
        req_id: u64,
        cmd: &Command,
    ) -> (ClientResult, bool) {
        if let Some((last, result)) = self.last.get(&client) {
            if *last >= req_id {
                return (result.clone(), false);
            }
        }
        let result = store.apply(cmd);
        self.last.insert(client, (req_id, result.clone()));
        (result, true)
    }
}

/// A client request, as every KV protocol carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Request {
    /// The client that asks.
    pub client: NodeId,
    /// Increasing per client; a retry keeps the id.
    pub req_id: u64,
    /// What to do.
    pub cmd: Command,
}

/// A server's reply to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reply {
    /// The request took effect with this result.
    Done {
        /// The request answered.
        req_id: u64,
        /// Its result.
        result: ClientResult,
    },
    /// This server cannot serve requests; try `leader` if known.
    NotLeader {
        /// The request refused.
        req_id: u64,
        /// The leader this server knows of.
        leader: Option<NodeId>,
    },
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Request #{} {}", self.req_id, self.cmd)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Done { req_id, result } => write!(f, "Reply #{req_id} {result}"),
            Reply::NotLeader {
                req_id,
                leader: Some(l),
            } => write!(f, "NotLeader #{req_id}, try {l}"),
            Reply::NotLeader {
                req_id,
                leader: None,
            } => write!(f, "NotLeader #{req_id}, leader unknown"),
        }
    }
}

/// How much a client does, and with what.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            requests_per_client: 5,
            keys: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            values: 100,
            mix: [1, 1, 1],
            timeout: Time::ms(500),
        }
    }
}

/// A timer of the KV client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientTimer {
    /// The request waited for.
    pub req_id: u64,
}

/// The client workload, shared by every KV protocol: issues random requests one at a time to
/// its servers, follows "not the leader" hints, retries on timeout with the same request id,
/// and records each operation's invocation and return (the history).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvClient {
    workload: Workload,
    servers: Vec<NodeId>,
    target: usize,
    issued: u32,
    outstanding: Option<(u64, Command, TimerId)>,
    completed: u32,
    next_req: u64,
    external: Vec<Command>,
    /// Names to narrate servers by (`leader 2`, `n3`); ids when empty.
    server_names: Vec<String>,
    /// The outstanding request's timer is a pause (no leader known), not a reply timeout.
    pausing: bool,
}

impl KvClient {
    /// A client of `servers`; its first contact is `servers[0]`.
    pub fn new(workload: Workload, servers: Vec<NodeId>) -> Self {
        KvClient {
            workload,
            servers,
            target: 0,
            issued: 0,
            outstanding: None,
            completed: 0,
            next_req: 0,
            external: Vec::new(),
            server_names: Vec::new(),
            pausing: false,
        }
    }

    /// Narrate servers by these names (indexed by node id) instead of by id.
    pub fn with_names(mut self, names: Vec<String>) -> Self {
        self.server_names = names;
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
                    value: format!("val_{v}"),
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
            ctx.info(format_args!(
                "starting: will send {} requests",
                self.workload.requests_per_client
            ));
        }
        self.next(ctx);
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
        } else if self.issued < self.workload.requests_per_client {
            self.issued += 1;
            self.random_command(ctx)
        } else {
            return;
        };
        self.next_req += 1;
        let req_id = self.next_req;
        if let Some(op) = cmd.to_op() {
            ctx.invoke(req_id, &op);
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
        match reply {
            Reply::Done { req_id: r, result } if r == req_id => {
                ctx.cancel_timer(timer);
                ctx.info(format_args!("{cmd} -> {result}"));
                ctx.complete(req_id, &result);
                self.completed += 1;
                if self.is_done() {
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
                match leader.and_then(|l| self.servers.iter().position(|s| *s == l)) {
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
                        ctx.debug(format_args!(
                            "{from} knows no leader: retrying {cmd} in {pause}"
                        ));
                        let timer = ctx.set_timer(pause, T::from(ClientTimer { req_id }));
                        self.outstanding = Some((req_id, cmd, timer));
                        self.pausing = true;
                    }
                }
            }
            _ => self.outstanding = Some((req_id, cmd, timer)),
        }
    }

    /// A timer fired: retry the outstanding request at the next server.
    pub fn on_timer<M, T>(&mut self, ctx: &mut Ctx<'_, M, T>, t: ClientTimer)
    where
        M: Message + From<Request>,
        T: From<ClientTimer>,
    {
        match self.outstanding.take() {
            Some((req_id, cmd, _)) if req_id == t.req_id => {
                self.target += 1;
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

    /// What a status display shows.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "client".into(),
            facts: vec![
                (
                    "done",
                    format!("{}/{}", self.completed, self.workload.requests_per_client),
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

/// Messages of the single-server store.
#[derive(Clone, Debug, Serialize)]
pub enum KvMsg {
    /// Client to server.
    Request(Request),
    /// Server to client.
    Reply(Reply),
}

impl From<Request> for KvMsg {
    fn from(r: Request) -> Self {
        KvMsg::Request(r)
    }
}

impl fmt::Display for KvMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvMsg::Request(r) => r.fmt(f),
            KvMsg::Reply(r) => r.fmt(f),
        }
    }
}

impl Message for KvMsg {
    fn kind(&self) -> &'static str {
        match self {
            KvMsg::Request(_) => "Request",
            KvMsg::Reply(_) => "Reply",
        }
    }
}

/// The single server: one copy of the store, applying requests in arrival order.
#[derive(Clone, Debug, Default)]
pub struct KvServer {
    /// The store and the sessions, kept on "disk": the baseline's crash loses nothing applied.
    pub durable: KvServerDurable,
}

/// What the single server keeps across a crash.
#[derive(Clone, Debug, Default)]
pub struct KvServerDurable {
    /// The store.
    pub store: Store,
    /// Last request per client.
    pub sessions: Sessions,
    /// Commands applied so far (the index of the last `apply` event).
    pub applied: u64,
}

/// A node of the single-server KV system: the server, or a client.
#[derive(Clone, Debug)]
pub enum KvNode {
    /// The server.
    Server(KvServer),
    /// A client.
    Client(KvClient),
}

impl Process for KvNode {
    type Msg = KvMsg;
    type Timer = ClientTimer;
    type Durable = Option<KvServerDurable>;

    fn on_start(&mut self, ctx: &mut Ctx<'_, KvMsg, ClientTimer>) {
        match self {
            KvNode::Server(s) => ctx.info(format_args!("KV server up, store {}", s.durable.store)),
            KvNode::Client(c) => c.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, KvMsg, ClientTimer>, from: NodeId, msg: KvMsg) {
        match (self, msg) {
            (KvNode::Server(s), KvMsg::Request(req)) => {
                let d = &mut s.durable;
                let (result, fresh) =
                    d.sessions
                        .apply(&mut d.store, req.client, req.req_id, &req.cmd);
                if fresh {
                    d.applied += 1;
                    ctx.info(format_args!("{} -> {result}", req.cmd));
                    ctx.apply(d.applied, &req.cmd, &result);
                } else {
                    ctx.info(format_args!(
                        "{} again (retry of #{}): answering {result} from memory",
                        req.cmd, req.req_id
                    ));
                }
                ctx.send(
                    from,
                    KvMsg::Reply(Reply::Done {
                        req_id: req.req_id,
                        result,
                    }),
                );
            }
            (KvNode::Client(c), KvMsg::Reply(reply)) => c.on_reply(ctx, from, reply),
            (_, msg) => ctx.debug(format_args!("ignoring unexpected {msg}")),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, KvMsg, ClientTimer>, timer: ClientTimer) {
        if let KvNode::Client(c) = self {
            c.on_timer(ctx, timer);
        }
    }

    fn durable(&self) -> Option<KvServerDurable> {
        match self {
            KvNode::Server(s) => Some(s.durable.clone()),
            KvNode::Client(_) => None,
        }
    }

    fn status(&self) -> NodeStatus {
        match self {
            KvNode::Server(s) => NodeStatus {
                role: "server".into(),
                leader: true,
                facts: vec![("store", s.durable.store.to_string())],
                ..NodeStatus::default()
            },
            KvNode::Client(c) => c.status(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<'_, KvMsg, ClientTimer>, op: ClientOp) -> bool {
        match self {
            KvNode::Client(c) => c.request(ctx, &op),
            KvNode::Server(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_keeps_the_exact_contract() {
        let mut s = Store::default();
        let put = |k: &str, v: &str| Command::Put {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(
            s.apply(&put("a", "val_1")),
            ClientResult::Ok { value: None }
        );
        assert_eq!(
            s.apply(&put("a", "val_2")),
            ClientResult::Error {
                error: "key already exists: a".into()
            }
        );
        assert_eq!(
            s.apply(&Command::Get { key: "a".into() }),
            ClientResult::Ok {
                value: Some("val_1".into())
            }
        );
        assert_eq!(
            s.apply(&Command::Get { key: "b".into() }),
            ClientResult::Error {
                error: "key not found: b".into()
            }
        );
        assert_eq!(
            s.apply(&Command::Delete { key: "b".into() }),
            ClientResult::Error {
                error: "key not found: b".into()
            }
        );
        assert_eq!(
            s.apply(&Command::Delete { key: "a".into() }),
            ClientResult::Ok { value: None }
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_retried_put_is_answered_from_memory_not_applied_twice() {
        let mut store = Store::default();
        let mut sessions = Sessions::default();
        let put = Command::Put {
            key: "a".into(),
            value: "v".into(),
        };
        let c = NodeId(3);
        assert_eq!(
            sessions.apply(&mut store, c, 1, &put),
            (ClientResult::Ok { value: None }, true)
        );
        assert_eq!(
            sessions.apply(&mut store, c, 1, &put),
            (ClientResult::Ok { value: None }, false)
        );
        assert_eq!(store.len(), 1);
    }
}
