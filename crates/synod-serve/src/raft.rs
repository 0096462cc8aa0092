//! Raft's glue to the runtime, all of it: building a [`RaftServer`] from the WAL, the journal
//! of its durable state (Figure 2's `currentTerm`, `votedFor` and `log[]`), and its status.
//!
//! **The journal.** The simulator takes `durable()` only at a crash; a real server must have its
//! durable state on disk before it sends anything. Cloning the whole log after every turn of
//! the event loop would cost O(log) per turn, so the journal keeps a *shadow* of what is on
//! disk: the term, the vote, the snapshot's last index and term, and a 64-bit fingerprint of
//! each persisted entry after it. After a turn it writes:
//!
//! - `State { term, voted_for }` if either changed;
//! - `Snapshot(..)` if the server took or installed a snapshot (section 7): replayed, it
//!   replaces the snapshot and discards the log up to its last index (the prefix it covers);
//! - `Truncate { from }` if entries on disk are no longer in the log, then one `Entry` per new
//!   entry.
//!
//! To find where the log and the disk part, it compares fingerprints downward from the end of
//! the shorter of the two and stops at the first match (or at the snapshot). Raft's Log
//! Matching property (Figure 3: two logs that hold an entry with the same index and term are
//! identical up to it, which the simulator checks live) makes everything below that match
//! equal, so a turn costs O(1) plus O(entries changed). The fingerprint covers the whole entry
//! (term, request, command, configuration), not just the term. `tests/journal.rs` replays the
//! journal after every event of fault campaigns and compares it with `durable()`.
//!
//! The WAL file itself is not rewritten when a snapshot is taken: it keeps every frame, and
//! recovery replays them all (the state it rebuilds is bounded by the snapshot; the file is
//! not).

use crate::config::Usage;
use crate::protocol::{Protocol, ServerStatus, fnv1a, store_digest};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use synod_core::NodeId;
use synod_protocols::kv::Reply;
use synod_protocols::raft::{
    Bug, Durable, Entry, RaftConfig, RaftMsg, RaftNode, RaftServer, Snapshot, build,
};
use synod_protocols::scenario::Scenario;

/// A journal record, as written (borrowing the entry).
#[derive(Serialize)]
enum RecordRef<'a> {
    State {
        term: u64,
        voted_for: Option<NodeId>,
    },
    Truncate {
        from: u64,
    },
    Entry(&'a Entry),
    Snapshot(&'a Snapshot),
}

/// A journal record, as read back. Same variants in the same order as [`RecordRef`], so the
/// bytes are the same.
#[derive(Debug, Deserialize, PartialEq)]
enum Record {
    State {
        term: u64,
        voted_for: Option<NodeId>,
    },
    Truncate {
        from: u64,
    },
    Entry(Entry),
    Snapshot(Snapshot),
}

/// What the journal believes is on disk.
#[derive(Debug, Default)]
struct Shadow {
    term: u64,
    voted_for: Option<NodeId>,
    /// The snapshot's last index and term (0, 0: none).
    snapshot: (u64, u64),
    /// The fingerprint of each persisted entry, from the one after the snapshot on.
    entries: Vec<u64>,
}

/// Raft served by the runtime.
pub struct RaftProtocol {
    cfg: Arc<RaftConfig>,
    shadow: Shadow,
    scratch: Vec<u8>,
}

impl RaftProtocol {
    /// Raft with this configuration (the number of servers, timeouts, a planted bug).
    pub fn new(cfg: RaftConfig) -> Self {
        RaftProtocol {
            cfg: Arc::new(cfg),
            shadow: Shadow::default(),
            scratch: Vec::new(),
        }
    }
}

fn encode(out: &mut Vec<u8>, rec: &RecordRef<'_>) {
    // Encoding plain integers, strings and enums into a vector cannot fail.
    if let Ok(v) = postcard::to_extend(rec, std::mem::take(out)) {
        *out = v;
    }
}

/// The fingerprint of an entry: FNV-1a of its encoded record.
fn fingerprint(scratch: &mut Vec<u8>, e: &Entry) -> u64 {
    scratch.clear();
    encode(scratch, &RecordRef::Entry(e));
    fnv1a(scratch)
}

/// Applies the records of one journal frame to `d`.
pub fn replay(d: &mut Durable, frame: &[u8]) -> Result<(), String> {
    let mut rest = frame;
    while !rest.is_empty() {
        let (rec, tail) = postcard::take_from_bytes::<Record>(rest)
            .map_err(|e| format!("undecodable record ({e})"))?;
        rest = tail;
        match rec {
            Record::State { term, voted_for } => {
                d.current_term = term;
                d.voted_for = voted_for;
            }
            Record::Truncate { from } => {
                if from < d.log.first_index() || from > d.log.last_index() + 1 {
                    return Err(format!(
                        "truncation from index {from} of a log of {} entries",
                        d.log.last_index()
                    ));
                }
                d.log.truncate_from(from);
            }
            Record::Entry(e) => {
                d.log.push(e);
            }
            Record::Snapshot(snap) => {
                d.log.compact_to(snap.last_index, snap.last_term);
                d.snapshot = Some(Arc::new(snap));
            }
        }
    }
    Ok(())
}

impl Protocol for RaftProtocol {
    type Node = RaftNode;
    type Msg = RaftMsg;
    type Recovered = Durable;
    const NAME: &'static str = "raft";

    fn recover(frames: &[Vec<u8>]) -> Result<Durable, String> {
        let mut d = Durable::default();
        for (i, frame) in frames.iter().enumerate() {
            replay(&mut d, frame).map_err(|e| format!("frame {}: {e}", i + 1))?;
        }
        Ok(d)
    }

    fn describe(d: &Durable, names: &[String]) -> String {
        let snapshot = match &d.snapshot {
            Some(s) => format!(", snapshot up to {}", s.last_index),
            None => String::new(),
        };
        format!(
            "term {}, voted for {}, log of {} entries (last term {}){snapshot}",
            d.current_term,
            d.voted_for.map_or("nobody".to_string(), |v| {
                names
                    .get(v.index())
                    .cloned()
                    .unwrap_or_else(|| v.to_string())
            }),
            d.log.last_index(),
            d.log.last_term()
        )
    }

    fn build(&mut self, me: NodeId, d: Durable) -> RaftNode {
        let mut entries = Vec::with_capacity(d.log.last_index() as usize);
        for i in d.log.first_index()..=d.log.last_index() {
            if let Some(e) = d.log.get(i) {
                entries.push(fingerprint(&mut self.scratch, e));
            }
        }
        self.shadow = Shadow {
            term: d.current_term,
            voted_for: d.voted_for,
            snapshot: d
                .snapshot
                .as_ref()
                .map_or((0, 0), |s| (s.last_index, s.last_term)),
            entries,
        };
        RaftNode::Server(RaftServer::new(self.cfg.clone(), me, Some(d)))
    }

    fn journal(&mut self, node: &RaftNode, out: &mut Vec<u8>) {
        let RaftNode::Server(s) = node else {
            return;
        };
        let sh = &mut self.shadow;
        if (s.term(), s.voted_for()) != (sh.term, sh.voted_for) {
            sh.term = s.term();
            sh.voted_for = s.voted_for();
            encode(
                out,
                &RecordRef::State {
                    term: sh.term,
                    voted_for: sh.voted_for,
                },
            );
        }
        if let Some(snap) = s.snapshot() {
            if (snap.last_index, snap.last_term) != sh.snapshot {
                // Replayed as the server did it: the snapshot replaces the prefix it covers.
                // Entries on disk after it that the server dropped are truncated below.
                encode(out, &RecordRef::Snapshot(snap));
                let drop =
                    (snap.last_index.saturating_sub(sh.snapshot.0) as usize).min(sh.entries.len());
                sh.entries.drain(..drop);
                sh.snapshot = (snap.last_index, snap.last_term);
            }
        }
        let log = s.log();
        // The shadow's entries and the log's both start after the snapshot.
        let base = sh.snapshot.0;
        let on_disk = base + sh.entries.len() as u64;
        let mut common = log.last_index().min(on_disk);
        while common > base {
            let same = log.get(common).is_some_and(|e| {
                fingerprint(&mut self.scratch, e) == sh.entries[(common - base) as usize - 1]
            });
            if same {
                break;
            }
            common -= 1;
        }
        if common < on_disk {
            encode(out, &RecordRef::Truncate { from: common + 1 });
            sh.entries.truncate((common - base) as usize);
        }
        for i in common + 1..=log.last_index() {
            if let Some(e) = log.get(i) {
                let start = out.len();
                encode(out, &RecordRef::Entry(e));
                sh.entries.push(fnv1a(&out[start..]));
            }
        }
    }

    /// `AppendEntries` only. Its entries may be on their way to followers while the leader's
    /// own write of them is still syncing: a follower acknowledges only what it made durable
    /// itself, and the leader's commit index can count the leader's copy only in a later
    /// turn, whose messages (and the `leaderCommit` they carry) leave after this turn is
    /// durable. Votes, `AppendReply`, `RequestVote` (which carries the candidate's new term and
    /// its vote for itself) and client replies all wait.
    fn may_precede_sync(msg: &RaftMsg) -> bool {
        matches!(msg, RaftMsg::AppendEntries { .. })
    }

    fn reply(msg: &RaftMsg) -> Option<&Reply> {
        match msg {
            RaftMsg::Reply(r) => Some(r),
            _ => None,
        }
    }

    fn status(node: &RaftNode) -> ServerStatus {
        let RaftNode::Server(s) = node else {
            return ServerStatus::default();
        };
        ServerStatus {
            role: s.role().name().to_string(),
            term: s.term(),
            leader_id: s.leader(),
            commit: s.commit_index(),
            applied: s.last_applied(),
            last_index: s.log().last_index(),
            keys: s.store().len() as u64,
            store_digest: store_digest(s.store().data()),
            ..ServerStatus::default()
        }
    }
}

/// Raft's configuration for a cluster of the servers named `names` (in node-id order), with
/// the `[timing]` and `[raft]` keys of a scenario file if one is given (`election_timeout_ms`,
/// `heartbeat_ms`, `max_append_entries`, `clock_drift_percent`, `pre_vote`, `check_quorum`,
/// `snapshot_every`, `reads`; other keys describe simulated runs and are not used), and a
/// planted protocol bug.
pub fn config(
    names: &[String],
    scenario: Option<&Scenario>,
    bug: Option<Bug>,
) -> Result<RaftConfig, Usage> {
    let servers = names.len();
    let mut cfg = RaftConfig {
        names: names.to_vec(),
        bug,
        ..RaftConfig::with_servers(servers)
    };
    if let Some(s) = scenario {
        if s.protocol.name != "raft" {
            return Err(Usage(format!(
                "{}: a scenario for protocol {}, not raft",
                s.file, s.protocol
            )));
        }
        let st = &s.settings;
        if st.given(&build::NODES) && st.count(&build::NODES) as usize != servers {
            return Err(Usage(format!(
                "{}: key `cluster.nodes` is {} but --peers lists {servers} servers",
                s.file,
                st.count(&build::NODES)
            )));
        }
        if st.count(&build::SPARES) > 0 {
            return Err(Usage(format!(
                "{}: key `cluster.spares`: synod serve takes no membership changes, so no spares",
                s.file
            )));
        }
        // The simulator's builder validates the keys, with the file and key in its messages.
        synod_protocols::system::build(s).map_err(|e| Usage(e.to_string()))?;
        let sc = build::config(st, bug);
        cfg.election_timeout = sc.election_timeout;
        cfg.heartbeat = sc.heartbeat;
        cfg.max_entries = sc.max_entries;
        cfg.pre_vote = sc.pre_vote;
        cfg.check_quorum = sc.check_quorum;
        cfg.snapshot_every = sc.snapshot_every;
        cfg.reads = sc.reads;
        cfg.clock_drift_percent = sc.clock_drift_percent;
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_protocols::kv::Command;

    fn entry(term: u64, key: &str) -> Entry {
        Entry::command(
            term,
            Some((NodeId(9), term)),
            Command::Put {
                key: key.into(),
                value: "v".into(),
            },
        )
    }

    #[test]
    fn written_and_read_records_have_the_same_bytes() {
        let e = entry(3, "a");
        let mut out = Vec::new();
        encode(
            &mut out,
            &RecordRef::State {
                term: 3,
                voted_for: Some(NodeId(1)),
            },
        );
        encode(&mut out, &RecordRef::Truncate { from: 2 });
        encode(&mut out, &RecordRef::Entry(&e));
        let (a, rest) = postcard::take_from_bytes::<Record>(&out).unwrap();
        let (b, rest) = postcard::take_from_bytes::<Record>(rest).unwrap();
        let (c, rest) = postcard::take_from_bytes::<Record>(rest).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            a,
            Record::State {
                term: 3,
                voted_for: Some(NodeId(1))
            }
        );
        assert_eq!(b, Record::Truncate { from: 2 });
        assert_eq!(c, Record::Entry(e));
    }

    #[test]
    fn recovery_refuses_a_truncation_past_the_log() {
        let mut out = Vec::new();
        encode(&mut out, &RecordRef::Truncate { from: 5 });
        let err = RaftProtocol::recover(&[out]).unwrap_err();
        assert!(err.contains("frame 1: truncation from index 5"), "{err}");
        let mut out = Vec::new();
        encode(&mut out, &RecordRef::Truncate { from: 0 });
        let err = RaftProtocol::recover(&[out]).unwrap_err();
        assert!(err.contains("frame 1: truncation from index 0"), "{err}");
        let err = RaftProtocol::recover(&[vec![0xff, 0xff]]).unwrap_err();
        assert!(err.contains("frame 1: undecodable record"), "{err}");
    }
}
