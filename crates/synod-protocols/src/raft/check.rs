//! The live checks of Raft's Figure 3 that need the servers' logs, kept incremental so that
//! they can run after every event:
//!
//! - **Log matching**: an entry is identified by (index, term). Each such pair must always
//!   hold the same command and follow an entry of the same term; by induction, two logs with
//!   the same entry at an index are identical up to it. Only entries changed since the last
//!   look are checked (each server marks the lowest index it changed).
//! - **Leader append-only**: while a node leads a term, its log never shrinks nor rewrites its
//!   last entry.
//! - **Leader completeness**: when a node becomes leader, its log holds every entry committed
//!   so far.
//! - **State machine safety** (of commits): no two servers commit different entries at one
//!   index. (The `apply` events are checked by the generic checker too.)

use super::RaftNode;
use super::log::Entry;
use super::node::{CLEAN, Role};
use crate::kv::KvNode;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Incremental state of the Raft-specific live checks.
#[derive(Debug)]
pub struct RaftChecker {
    /// (index, term) -> (term of the entry before, the entry), shared with the log that held
    /// it first.
    entries: BTreeMap<(u64, u64), (u64, Arc<Entry>)>,
    /// The term of each committed index (index 1 first) and who committed it first.
    committed: Vec<(u64, usize)>,
    /// The commit index seen at each server.
    seen_commit: Vec<u64>,
    /// For each server leading now: (term, log length, last term) when last looked.
    leading: Vec<Option<(u64, u64, u64)>>,
    /// The servers' names, by node id, for the violations' details.
    names: Vec<String>,
}

impl RaftChecker {
    /// A checker for the servers named `names` (nodes `0..names.len()`).
    pub fn new(names: Vec<String>) -> Self {
        let servers = names.len();
        RaftChecker {
            entries: BTreeMap::new(),
            committed: Vec::new(),
            seen_commit: vec![0; servers],
            leading: vec![None; servers],
            names,
        }
    }

    /// Check the servers' state; `Some((property, detail))` on a violation.
    pub fn check<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = Option<&'a RaftNode>>,
    ) -> Option<(String, String)> {
        let fail = |p: &str, d: String| Some((p.to_string(), d));
        for (i, node) in nodes.into_iter().enumerate().take(self.seen_commit.len()) {
            let Some(KvNode::Server(s)) = node else {
                self.leading[i] = None;
                continue;
            };
            let log = s.log();
            let who = &self.names[i];

            // Log matching, on the entries changed since the last look.
            let from = s.dirty_from.get();
            if from != CLEAN {
                s.dirty_from.set(CLEAN);
                for idx in from..=log.last_index() {
                    let Some(e) = log.get_shared(idx) else { break };
                    let prev_term = log.term_at(idx - 1).unwrap_or(0);
                    match self.entries.get(&(idx, e.term)) {
                        None => {
                            self.entries
                                .insert((idx, e.term), (prev_term, Arc::clone(e)));
                        }
                        Some((pt, first)) if *pt != prev_term || first != e => {
                            return fail(
                                "log matching",
                                format!(
                                    "{who} holds {e} at index {idx} after an entry of term {prev_term}, but another log holds {first} there after term {pt}"
                                ),
                            );
                        }
                        Some(_) => {}
                    }
                }
            }

            // Committed entries never change.
            let commit = s.commit_index();
            if commit < self.seen_commit[i] {
                self.seen_commit[i] = commit; // restarted: commit index is volatile
            }
            for idx in self.seen_commit[i] + 1..=commit {
                let t = log.term_at(idx).unwrap_or(0);
                match self.committed.get(idx as usize - 1) {
                    None => self.committed.push((t, i)),
                    Some(&(t0, by)) if t0 != t => {
                        return fail(
                            "state machine safety",
                            format!(
                                "index {idx} committed with term {t0} by {} but with term {t} by {who}",
                                self.names[by]
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
            self.seen_commit[i] = commit;

            // Leader completeness and leader append-only.
            if s.role() != Role::Leader {
                self.leading[i] = None;
                continue;
            }
            let term = s.term();
            let (len, last) = (log.last_index(), log.last_term());
            match self.leading[i] {
                Some((t, l, lt)) if t == term => {
                    if len < l || log.term_at(l) != Some(lt) {
                        return fail(
                            "leader append-only",
                            format!(
                                "{who}, leader of term {term}, had {l} entries (last of term {lt}) and now has {len}"
                            ),
                        );
                    }
                }
                _ => {
                    for (k, &(t, by)) in self.committed.iter().enumerate() {
                        let idx = k as u64 + 1;
                        if log.term_at(idx) != Some(t) {
                            return fail(
                                "leader completeness",
                                format!(
                                    "{who} leads term {term} but its log lacks index {idx} (term {t}), committed by {}",
                                    self.names[by]
                                ),
                            );
                        }
                    }
                }
            }
            self.leading[i] = Some((term, len, last));
        }
        None
    }
}
