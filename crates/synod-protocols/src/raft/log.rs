//! The replicated log (Raft, section 5.3): entries numbered from 1, each stamped with the term
//! of the leader that created it.

use crate::kv::Command;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use synod_core::NodeId;

/// One log entry: a command, the term in which a leader created it, and the client request it
/// carries out (`None` for a leader's no-op).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: u64,
    /// The client and its request id, for exactly-once application and for the reply.
    pub req: Option<(NodeId, u64)>,
    /// The command.
    pub cmd: Command,
}

impl fmt::Display for Entry {
    /// `t2 PUT "a" = "val_3"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{} {}", self.term, self.cmd)
    }
}

/// A log: entries at indices `1..=last_index()`; index 0 is the empty prefix, with term 0.
///
/// Entries are immutable once created, so they are shared rather than copied: the leader's
/// log, its `AppendEntries` and every follower's log hold one allocation per entry (copying
/// entries into each `AppendEntries` was the costliest part of replication).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Log {
    entries: Vec<Arc<Entry>>,
}

impl Log {
    /// The index of the last entry (0 when empty).
    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The term of the last entry (0 when empty).
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`; 0 for index 0; `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.entries.get(index as usize - 1).map(|e| e.term)
        }
    }

    /// The entry at `index` (1-based).
    pub fn get(&self, index: u64) -> Option<&Entry> {
        self.get_shared(index).map(|e| &**e)
    }

    /// The entry at `index` (1-based), as shared.
    pub fn get_shared(&self, index: u64) -> Option<&Arc<Entry>> {
        index
            .checked_sub(1)
            .and_then(|i| self.entries.get(i as usize))
    }

    /// Append an entry; returns its index.
    pub fn push(&mut self, e: Entry) -> u64 {
        self.push_shared(Arc::new(e))
    }

    /// Append an entry that another log (or a message) shares; returns its index.
    pub fn push_shared(&mut self, e: Arc<Entry>) -> u64 {
        self.entries.push(e);
        self.last_index()
    }

    /// Remove the entries from `index` on.
    pub fn truncate_from(&mut self, index: u64) {
        self.entries.truncate(index.saturating_sub(1) as usize);
    }

    /// At most `max` entries starting at `from` (1-based), shared with this log.
    pub fn slice(&self, from: u64, max: usize) -> Vec<Arc<Entry>> {
        let start = (from.max(1) - 1) as usize;
        if start >= self.entries.len() {
            return Vec::new();
        }
        let end = self.entries.len().min(start + max);
        self.entries[start..end].to_vec()
    }

    /// The first index of the run of entries of `term` that contains `index` (fast back-off).
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut i = index;
        while i > 1 && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// The last index holding an entry of `term`, if any (fast back-off, leader side).
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        self.entries
            .iter()
            .rposition(|e| e.term == term)
            .map(|i| i as u64 + 1)
    }

    /// Raft's up-to-date comparison (section 5.4.1): a log ending in (`last_term`,
    /// `last_index`) is at least as up-to-date as this one.
    pub fn is_behind_or_equal(&self, last_term: u64, last_index: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}
