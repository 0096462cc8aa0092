//! The replicated log (Raft, section 5.3): entries numbered from 1, each stamped with the term
//! of the leader that created it; and the snapshot that replaces a prefix of it (section 7).
//!
//! After compaction the log holds only the entries after its snapshot: `first_index()` is one
//! past the snapshot's last included index, and `term_at` still answers for that index (the
//! snapshot's last included term), which is all the consistency check needs there.

use super::config::Members;
use crate::kv::{Command, Sessions, Store};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use synod_core::NodeId;

/// One log entry: a command, the term in which a leader created it, and the client request it
/// carries out (`None` for a leader's no-op and for a configuration).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: u64,
    /// The client and its request id, for exactly-once application and for the reply.
    pub req: Option<(NodeId, u64)>,
    /// The command (`Noop` for a configuration entry).
    pub cmd: Command,
    /// A configuration entry (dissertation 4.1): the servers of the cluster from this entry on.
    /// A server uses the latest configuration in its log, committed or not.
    pub config: Option<Members>,
}

impl Entry {
    /// An entry carrying a client's command (or a no-op, with `req` `None`).
    pub fn command(term: u64, req: Option<(NodeId, u64)>, cmd: Command) -> Entry {
        Entry {
            term,
            req,
            cmd,
            config: None,
        }
    }
}

impl fmt::Display for Entry {
    /// `t2 PUT "a" = "val_3"`, `t3 CONFIG {1,2,3,4,6}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.config {
            Some(c) => write!(f, "t{} CONFIG {c}", self.term),
            None => write!(f, "t{} {}", self.term, self.cmd),
        }
    }
}

/// A snapshot of the state machine (section 7, Figure 12): everything the entries up to
/// `last_index` did, and the configuration as of that index. Shared, never changed once taken:
/// the server's durable state, its `InstallSnapshot` messages and the copies a crash keeps all
/// point to the same one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last index the snapshot replaces.
    pub last_index: u64,
    /// The term of that entry.
    pub last_term: u64,
    /// The configuration as of `last_index` (dissertation 5.1: a snapshot carries it, since
    /// the entries that set it are gone).
    pub config: Members,
    /// The store.
    pub store: Store,
    /// The client sessions: the last request of each client and its result. Without them a
    /// retried request whose first copy the snapshot replaced would be applied twice.
    pub sessions: Sessions,
}

/// A log: entries at indices `first_index()..=last_index()`; the ones before were compacted
/// into a snapshot ending at `first_index() - 1` (index 0, term 0 when there is none).
///
/// Entries are immutable once created, so they are shared rather than copied: the leader's
/// log, its `AppendEntries` and every follower's log hold one allocation per entry (copying
/// entries into each `AppendEntries` was the costliest part of replication).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Log {
    /// The index just before the first entry held: the snapshot's last index, or 0.
    offset: u64,
    /// The term at `offset` (0 when `offset` is 0).
    offset_term: u64,
    entries: Vec<Arc<Entry>>,
}

impl Log {
    /// An empty log that continues after a snapshot ending at (`index`, `term`).
    pub fn after(index: u64, term: u64) -> Log {
        Log {
            offset: index,
            offset_term: term,
            entries: Vec::new(),
        }
    }

    /// The index of the last entry (the snapshot's last index when the log holds none).
    pub fn last_index(&self) -> u64 {
        self.offset + self.entries.len() as u64
    }

    /// The term of the last entry (the snapshot's last term when the log holds none).
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.offset_term, |e| e.term)
    }

    /// The first index the log holds an entry for (one past the snapshot).
    pub fn first_index(&self) -> u64 {
        self.offset + 1
    }

    /// The index the log continues after: the snapshot's last index, or 0.
    pub fn snapshot_index(&self) -> u64 {
        self.offset
    }

    /// The term at `index`: 0 for index 0, the snapshot's last term at its last index; `None`
    /// past the end, and `None` before the snapshot's last index (compacted away: committed,
    /// so equal on every server, but no longer known).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.offset {
            Some(self.offset_term)
        } else if index < self.offset {
            None
        } else {
            self.entries
                .get((index - self.offset - 1) as usize)
                .map(|e| e.term)
        }
    }

    /// The entry at `index`, if the log holds it.
    pub fn get(&self, index: u64) -> Option<&Entry> {
        self.get_shared(index).map(|e| &**e)
    }

    /// The entry at `index`, as shared, if the log holds it.
    pub fn get_shared(&self, index: u64) -> Option<&Arc<Entry>> {
        if index <= self.offset {
            return None;
        }
        self.entries.get((index - self.offset - 1) as usize)
    }

    /// Append an entry; returns its index.
    pub fn push(&mut self, e: Entry) -> u64 {
        self.push_shared(Arc::new(e))
    }

    /// Append a shared entry (one received in an `AppendEntries`); returns its index.
    pub fn push_shared(&mut self, e: Arc<Entry>) -> u64 {
        self.entries.push(e);
        self.last_index()
    }

    /// Remove the entries from `index` on (never the snapshot).
    pub fn truncate_from(&mut self, index: u64) {
        let keep = index.saturating_sub(self.offset + 1);
        self.entries.truncate(keep as usize);
    }

    /// Discard the entries up to `index` (section 7), which a snapshot ending at (`index`,
    /// `term`) now stands for. Entries after it stay.
    pub fn compact_to(&mut self, index: u64, term: u64) {
        if index <= self.offset {
            return;
        }
        let n = (index - self.offset).min(self.entries.len() as u64) as usize;
        self.entries.drain(..n);
        self.offset = index;
        self.offset_term = term;
    }

    /// At most `max` entries starting at `from`, which must not be before `first_index()`,
    /// shared with this log.
    pub fn slice(&self, from: u64, max: usize) -> Vec<Arc<Entry>> {
        if from <= self.offset {
            return Vec::new();
        }
        let start = (from - self.offset - 1) as usize;
        if start >= self.entries.len() {
            return Vec::new();
        }
        let end = self.entries.len().min(start + max);
        self.entries[start..end].to_vec()
    }

    /// The first index of the run of entries of `term` that contains `index` (fast back-off);
    /// never before the first index held.
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut i = index;
        while i > self.first_index() && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// The last index holding an entry of `term`, if any (fast back-off, leader side).
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        self.entries
            .iter()
            .rposition(|e| e.term == term)
            .map(|i| self.offset + i as u64 + 1)
    }

    /// The latest configuration entry at or before `upto`, with its index, if the log holds one.
    pub fn last_config(&self, upto: u64) -> Option<(u64, &Members)> {
        let upto = upto.min(self.last_index());
        (self.first_index()..=upto)
            .rev()
            .find_map(|i| self.get(i)?.config.as_ref().map(|c| (i, c)))
    }

    /// Raft's up-to-date comparison (section 5.4.1): a log ending in (`last_term`,
    /// `last_index`) is at least as up-to-date as this one.
    pub fn is_behind_or_equal(&self, last_term: u64, last_index: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}

/// A snapshot shared between a server, its durable state and its messages.
pub type SharedSnapshot = Arc<Snapshot>;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: u64) -> Entry {
        Entry::command(term, None, Command::Noop)
    }

    #[test]
    fn a_compacted_log_keeps_its_indices_and_the_snapshots_term_7() {
        let mut log = Log::default();
        for t in [1, 1, 2, 2, 3] {
            log.push(entry(t));
        }
        log.compact_to(3, 2);
        assert_eq!(log.first_index(), 4);
        assert_eq!(log.last_index(), 5);
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.term_at(2), None, "compacted");
        assert_eq!(log.term_at(4), Some(2));
        assert!(log.get(3).is_none());
        assert_eq!(log.get(5).map(|e| e.term), Some(3));
        assert_eq!(log.slice(4, 10).len(), 2);
        assert_eq!(
            log.first_index_of_term_at(4),
            4,
            "not before the first held"
        );
        assert_eq!(log.last_index_of_term(3), Some(5));
        log.truncate_from(5);
        assert_eq!(log.last_index(), 4);
        log.compact_to(4, 2);
        assert_eq!((log.last_index(), log.last_term()), (4, 2));
        log.push(entry(4));
        assert_eq!(log.last_index(), 5);
    }

    #[test]
    fn compacting_past_the_end_leaves_an_empty_log_after_the_snapshot() {
        let mut log = Log::default();
        log.push(entry(1));
        log.compact_to(9, 3);
        assert_eq!(
            (log.first_index(), log.last_index(), log.last_term()),
            (10, 9, 3)
        );
        assert_eq!(Log::after(9, 3), log);
    }
}
