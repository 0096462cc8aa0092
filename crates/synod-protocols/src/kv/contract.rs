//! The KV contract every synod store keeps: the commands, the store that applies them with its
//! exact results and error strings, exactly-once sessions, and the request and reply every KV
//! protocol carries between clients and servers.
//!
//! - `put(key, value)` fails with `key already exists: <key>` if the key is present;
//! - `get(key)` returns the value, or fails with `key not found: <key>`;
//! - `delete(key)` fails with `key not found: <key>` if the key is absent.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::hash::{Hash, Hasher};
use synod_core::{ClientOp, ClientResult, NodeId, ShowStore};

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Store {
    data: BTreeMap<String, String>,
}

impl Store {
    /// Apply `cmd`, returning the result a client sees.
    pub fn apply(&mut self, cmd: &Command) -> ClientResult {
        match cmd {
            Command::Put { key, value } => {
                if self.data.contains_key(key) {
                    error("key already exists: ", key)
                } else {
                    self.data.insert(key.clone(), value.clone());
                    ClientResult::Ok { value: None }
                }
            }
            Command::Get { key } => self.read(key),
            Command::Delete { key } => match self.data.remove(key) {
                Some(_) => ClientResult::Ok { value: None },
                None => error("key not found: ", key),
            },
            Command::Noop => ClientResult::Ok { value: None },
        }
    }

    /// The answer to `get(key)`, changing nothing (a read served outside the log).
    pub fn read(&self, key: &str) -> ClientResult {
        match self.data.get(key) {
            Some(v) => ClientResult::Ok {
                value: Some(v.clone()),
            },
            None => error("key not found: ", key),
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

/// The error `message` + `key` (`key not found: a`). Every replica builds one on each failed
/// apply, so it is put together directly rather than through the formatting machinery.
fn error(message: &str, key: &str) -> ClientResult {
    let mut error = String::with_capacity(message.len() + key.len());
    error.push_str(message);
    error.push_str(key);
    ClientResult::Error { error }
}

impl fmt::Display for Store {
    /// `{a: val_1, c: val_7}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ShowStore(&self.data).fmt(f)
    }
}

/// Exactly-once application: the state machine remembers each client's last request and its
/// result, so a retried request is answered from memory instead of being applied twice (a
/// retried put would otherwise answer "key already exists").
///
/// Every replica looks its client up on every apply, so the sessions of clients with small
/// ids (a simulated run numbers its clients right after its servers) are kept by id in a
/// vector rather than searched for in a map; higher ids (a real server's client sessions are
/// spread over 32 bits) stay in a map. The vector reaches an id only while it would be at most
/// twice as long as the clients remembered (plus 64): memory stays bounded by the clients, not
/// by the numbers they bring. It compares, hashes, prints and iterates as the map it replaces
/// did, in client order.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(into = "Vec<SessionRecord>", from = "Vec<SessionRecord>")]
pub struct Sessions {
    /// Sessions of clients with ids below `dense.len()`, by id: the last request and its
    /// result.
    dense: Vec<Option<(u64, ClientResult)>>,
    /// Clients remembered in `dense` (its `Some`s).
    in_dense: usize,
    /// Sessions of clients with ids at or above `dense.len()`.
    sparse: BTreeMap<NodeId, (u64, ClientResult)>,
}

impl PartialEq for Sessions {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Sessions {}

impl Hash for Sessions {
    /// As `BTreeMap<NodeId, (u64, ClientResult)>` hashes: the length, then each entry.
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.len());
        for (client, req, result) in self.iter() {
            client.hash(h);
            req.hash(h);
            result.hash(h);
        }
    }
}

impl fmt::Debug for Sessions {
    /// As the map printed: `Sessions { last: {NodeId(5): (1, Ok ..)} }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Map<'a>(&'a Sessions);
        impl fmt::Debug for Map<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(c, r, res)| (c, (r, res))))
                    .finish()
            }
        }
        f.debug_struct("Sessions")
            .field("last", &Map(self))
            .finish()
    }
}

/// One session as written (in a snapshot on disk or on the wire): a plain enum rather than
/// [`ClientResult`]'s tagged JSON form, which compact binary formats cannot read back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    client: NodeId,
    req_id: u64,
    result: SessionResult,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum SessionResult {
    Ok(Option<String>),
    Error(String),
    Unknown,
}

impl From<Sessions> for Vec<SessionRecord> {
    fn from(s: Sessions) -> Self {
        (s.dense.into_iter().enumerate())
            .filter_map(|(i, e)| e.map(|e| (NodeId(i as u32), e)))
            .chain(s.sparse)
            .map(|(client, (req_id, r))| SessionRecord {
                client,
                req_id,
                result: match r {
                    ClientResult::Ok { value } => SessionResult::Ok(value),
                    ClientResult::Error { error } => SessionResult::Error(error),
                    ClientResult::Unknown => SessionResult::Unknown,
                },
            })
            .collect()
    }
}

impl From<Vec<SessionRecord>> for Sessions {
    fn from(v: Vec<SessionRecord>) -> Self {
        let mut sessions = Sessions::default();
        for s in v {
            let r = match s.result {
                SessionResult::Ok(value) => ClientResult::Ok { value },
                SessionResult::Error(error) => ClientResult::Error { error },
                SessionResult::Unknown => ClientResult::Unknown,
            };
            sessions.make_room(s.client);
            sessions.put(s.client, (s.req_id, r));
        }
        sessions
    }
}

impl Sessions {
    /// How many clients it remembers.
    pub fn len(&self) -> usize {
        self.in_dense + self.sparse.len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Before a session of `client` is written: stretch the vector to its id if that keeps it
    /// at most twice as long as the clients (plus 64), moving the sessions it now covers out
    /// of the map.
    fn make_room(&mut self, client: NodeId) {
        let i = client.index();
        if i < self.dense.len() || i >= 64 + 2 * (self.len() + 1) {
            return;
        }
        self.dense.resize_with(i + 1, || None);
        let above = self.sparse.split_off(&NodeId(i as u32 + 1));
        for (c, session) in std::mem::replace(&mut self.sparse, above) {
            self.dense[c.index()] = Some(session);
            self.in_dense += 1;
        }
    }

    /// Write the session of `client` (after [`Sessions::make_room`]).
    fn put(&mut self, client: NodeId, session: (u64, ClientResult)) {
        match self.dense.get_mut(client.index()) {
            Some(slot) => {
                self.in_dense += usize::from(slot.replace(session).is_none());
            }
            None => {
                self.sparse.insert(client, session);
            }
        }
    }

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
        let (result, fresh) = self.apply_ref(store, client, req_id, cmd);
        (result.clone(), fresh)
    }

    /// [`Sessions::apply`], lending the remembered result instead of copying it: a replica
    /// that does not answer the client has no use for a copy.
    pub fn apply_ref(
        &mut self,
        store: &mut Store,
        client: NodeId,
        req_id: u64,
        cmd: &Command,
    ) -> (&ClientResult, bool) {
        self.make_room(client);
        let i = client.index();
        if i < self.dense.len() {
            let last = self.dense[i].as_ref();
            let stale = last.is_some_and(|(r, _)| *r >= req_id);
            self.in_dense += usize::from(last.is_none());
            let session = &mut self.dense[i];
            if !stale {
                *session = Some((req_id, store.apply(cmd)));
            }
            // Some by now: a stale request's session was there, a fresh one's was just written.
            let (_, result) = session.get_or_insert((req_id, ClientResult::Unknown));
            (result, !stale)
        } else {
            match self.sparse.entry(client) {
                Entry::Occupied(e) => {
                    let last = e.into_mut();
                    if last.0 >= req_id {
                        return (&last.1, false);
                    }
                    *last = (req_id, store.apply(cmd));
                    (&last.1, true)
                }
                Entry::Vacant(e) => (&e.insert((req_id, store.apply(cmd))).1, true),
            }
        }
    }

    /// Each client's last request applied and its result, by client.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, u64, &ClientResult)> {
        (self.dense.iter().enumerate())
            .filter_map(|(i, e)| e.as_ref().map(|(r, res)| (NodeId(i as u32), *r, res)))
            .chain(self.sparse.iter().map(|(c, (r, res))| (*c, *r, res)))
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

    #[test]
    fn sessions_behave_hash_and_print_as_the_map_they_replace() {
        // The sessions were a `BTreeMap<NodeId, (u64, ClientResult)>`: the same answers, the
        // same order, the same hash (the explorer fingerprints states with it) and the same
        // `Debug`, whatever order clients come in.
        use std::hash::{DefaultHasher, Hash, Hasher};
        fn hash(x: &impl Hash) -> u64 {
            let mut h = DefaultHasher::new();
            x.hash(&mut h);
            h.finish()
        }
        let mut rng = synod_core::SimRng::new(9);
        let (mut store, mut model_store) = (Store::default(), Store::default());
        let mut sessions = Sessions::default();
        let mut model: BTreeMap<NodeId, (u64, ClientResult)> = BTreeMap::new();
        for _ in 0..2_000 {
            // Mostly small ids, as a simulation numbers clients; some spread over 32 bits, as
            // a real server's sessions are (they must not stretch the vector).
            let client = match rng.below(10) {
                0 => NodeId(1024 + rng.below(u64::from(u32::MAX - 1024)) as u32),
                1 => NodeId(rng.below(400) as u32),
                _ => NodeId(rng.below(40) as u32 + 3),
            };
            let req = rng.below(6);
            let key = ["a", "b"][rng.below(2) as usize].to_string();
            let cmd = match rng.below(3) {
                0 => Command::Get { key },
                1 => Command::Put {
                    key,
                    value: "v".into(),
                },
                _ => Command::Delete { key },
            };
            let (got, fresh) = sessions.apply_ref(&mut store, client, req, &cmd);
            let want = match model.get(&client) {
                Some((r, res)) if *r >= req => (res.clone(), false),
                _ => {
                    let res = model_store.apply(&cmd);
                    model.insert(client, (req, res.clone()));
                    (res, true)
                }
            };
            assert_eq!((got.clone(), fresh), want);
            assert_eq!(sessions.len(), model.len());
            let seen: Vec<_> = sessions.iter().map(|(c, r, x)| (c, r, x.clone())).collect();
            let expected: Vec<_> = model
                .iter()
                .map(|(c, (r, x))| (*c, *r, x.clone()))
                .collect();
            assert_eq!(seen, expected);
        }
        assert!(sessions.dense.len() <= 64 + 2 * sessions.len());
        assert_eq!(hash(&sessions), hash(&model));
        assert_eq!(
            format!("{sessions:?}"),
            format!("Sessions {{ last: {model:?} }}")
        );
        let records: Vec<SessionRecord> = sessions.clone().into();
        assert_eq!(Sessions::from(records), sessions);
        assert_ne!(Sessions::default(), sessions);
        assert!(Sessions::default().is_empty());
    }

    #[test]
    fn apply_ref_lends_what_apply_returns_and_remembers_the_same() {
        // `apply` is `apply_ref` plus a copy: the same results, the same memory afterwards,
        // including a first request numbered 0 (applied) and a stale one (answered from memory).
        let get = |k: &str| Command::Get { key: k.into() };
        let put = |k: &str| Command::Put {
            key: k.into(),
            value: "v".into(),
        };
        let steps = [
            (NodeId(2), 0, put("a")),
            (NodeId(2), 0, put("a")),
            (NodeId(4), 1, get("b")),
            (NodeId(2), 2, put("a")),
            (NodeId(2), 1, get("a")),
            (NodeId(4), 2, get("a")),
        ];
        let (mut s1, mut m1) = (Store::default(), Sessions::default());
        let (mut s2, mut m2) = (Store::default(), Sessions::default());
        let mut fresh = Vec::new();
        for (c, id, cmd) in &steps {
            let owned = m1.apply(&mut s1, *c, *id, cmd);
            let (lent, f) = m2.apply_ref(&mut s2, *c, *id, cmd);
            assert_eq!((lent.clone(), f), owned);
            fresh.push(f);
        }
        assert_eq!(fresh, [true, false, true, true, false, true]);
        assert_eq!((s1, m1), (s2, m2));
    }
}
