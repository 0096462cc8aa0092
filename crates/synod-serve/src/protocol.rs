//! What the runtime needs from a protocol, and nothing more: build a server process from what
//! its WAL recovered, say what of its durable state changed since the last look (the journal),
//! carry client requests in and find client replies among its messages, and describe itself
//! for `/v1/status`. Each protocol's glue lives in one module ([`crate::raft`]); the runtime
//! ([`crate::node`]) is generic.

use serde::Serialize;
use serde::de::DeserializeOwned;
use synod_core::{NodeId, Process};
use synod_protocols::kv::{Reply, Request};

/// A protocol the runtime can serve.
pub trait Protocol: 'static {
    /// The process type: the same one the simulator runs.
    type Node: Process<Msg = Self::Msg>;
    /// Its messages, on the wire between servers as postcard.
    type Msg: Clone + Serialize + DeserializeOwned + Send + From<Request> + 'static;
    /// What a server keeps on disk, rebuilt from the WAL.
    type Recovered: Send + 'static;

    /// The protocol's name, as written in data directories and peer handshakes.
    const NAME: &'static str;

    /// Rebuilds the durable state from the payloads of the WAL's frames, in order. An error
    /// names the frame and what is wrong (a frame that passed its checksum but does not
    /// decode: another format, or damage the checksum missed).
    fn recover(frames: &[Vec<u8>]) -> Result<Self::Recovered, String>;

    /// A one-line summary of recovered state, for the start-up message (`names`: the
    /// servers' names, by id).
    fn describe(recovered: &Self::Recovered, names: &[String]) -> String;

    /// Builds server `me` from its recovered state. The journal's idea of what is on disk
    /// starts from the same state.
    fn build(&mut self, me: NodeId, recovered: Self::Recovered) -> Self::Node;

    /// Appends to `out` the records that turn what is on disk into the node's durable state
    /// now, and remembers that state as persisted. Must cost time in proportion to what
    /// changed, not to the size of the state: it runs after every turn of the event loop.
    fn journal(&mut self, node: &Self::Node, out: &mut Vec<u8>);

    /// Whether `msg` may leave before the records of the turn that sent it are durable (once
    /// every earlier turn is). Only a message that asks something of its receiver and reveals
    /// nothing durable that the turn changed except data the receiver stores itself may: Raft's
    /// `AppendEntries` (the leader writes its log to disk in parallel with replicating it,
    /// Ongaro's thesis, section 10.2.1). Answers never may. The default: none.
    fn may_precede_sync(_msg: &Self::Msg) -> bool {
        false
    }

    /// The client reply carried by `msg`, if it is one.
    fn reply(msg: &Self::Msg) -> Option<&Reply>;

    /// What `/v1/status` shows about this server.
    fn status(node: &Self::Node) -> ServerStatus;
}

/// A server's state as `/v1/status` reports it.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ServerStatus {
    /// This server's name.
    pub node: String,
    /// `leader`, `follower`, `candidate`.
    pub role: String,
    /// The current term (or ballot).
    pub term: u64,
    /// The leader this server knows of, by name.
    pub leader: Option<String>,
    /// The commit index.
    pub commit: u64,
    /// The index of the last command applied to the store.
    pub applied: u64,
    /// The index of the last log entry.
    pub last_index: u64,
    /// The number of keys in the store.
    pub keys: u64,
    /// A 64-bit FNV-1a digest of the store's contents (key order), in hex: equal stores have
    /// equal digests.
    pub store_digest: String,
    /// The leader by id (filled by the runtime into `leader`).
    #[serde(skip)]
    pub leader_id: Option<NodeId>,
}

/// FNV-1a, 64 bits: the fingerprint of journaled entries and the digest of stores. Not a
/// cryptographic hash; it tells apart values that are expected to be equal.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Continues an FNV-1a digest over more bytes.
pub fn fnv1a_continue(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The digest of a store's contents, for comparing stores across servers.
pub fn store_digest<'a>(data: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let mut h = fnv1a(b"");
    for (k, v) in data {
        h = fnv1a_continue(h, &(k.len() as u64).to_le_bytes());
        h = fnv1a_continue(h, k.as_bytes());
        h = fnv1a_continue(h, &(v.len() as u64).to_le_bytes());
        h = fnv1a_continue(h, v.as_bytes());
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn store_digests_tell_key_value_boundaries_apart() {
        let a: BTreeMap<String, String> = [("ab".into(), "c".into())].into();
        let b: BTreeMap<String, String> = [("a".into(), "bc".into())].into();
        assert_ne!(store_digest(&a), store_digest(&b));
        assert_eq!(store_digest(&a), store_digest(&a.clone()));
    }
}
