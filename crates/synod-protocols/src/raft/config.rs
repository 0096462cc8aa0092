//! Cluster membership (Ongaro's dissertation, chapter 4): the set of servers whose majority
//! decides, and single-server changes to it.
//!
//! A configuration is a log entry; a server uses the latest one in its log, committed or not
//! (4.1). Changes add or remove one server at a time, so that any majority of the old
//! configuration and any majority of the new one share a server: two leaders cannot be
//! elected in one term, and a committed entry is on every majority that can elect. The leader
//! starts a change only when the previous one is committed, and (the fix to the bug Ongaro
//! found in 2015, after the dissertation) only once it has committed an entry of its own
//! term: otherwise an uncommitted change of an earlier leader and the new one can differ by
//! two servers, and their majorities need not meet.

use serde::{Deserialize, Serialize};
use std::fmt;
use synod_core::NodeId;

/// The voting servers of a configuration, in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Members(Vec<NodeId>);

impl Members {
    /// The configuration of `servers` (in any order, duplicates ignored).
    pub fn new(servers: impl IntoIterator<Item = NodeId>) -> Members {
        let mut v: Vec<NodeId> = servers.into_iter().collect();
        v.sort();
        v.dedup();
        Members(v)
    }

    /// Whether `id` is a voting member.
    pub fn contains(&self, id: NodeId) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    /// The members, in id order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.0.iter().copied()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many of them make a majority.
    pub fn majority(&self) -> usize {
        self.0.len() / 2 + 1
    }

    /// Whether the servers for which `yes` holds are a majority of this configuration (a
    /// server outside it counts for nothing).
    pub fn has_majority(&self, yes: impl Fn(NodeId) -> bool) -> bool {
        self.iter().filter(|id| yes(*id)).count() >= self.majority()
    }

    /// This configuration with `id` added.
    pub fn with(&self, id: NodeId) -> Members {
        Members::new(self.iter().chain([id]))
    }

    /// This configuration without `id`.
    pub fn without(&self, id: NodeId) -> Members {
        Members::new(self.iter().filter(|m| *m != id))
    }

    /// The members named as narration names them (`n1, n2, n6`).
    pub fn named<'a>(&'a self, names: &'a [String]) -> impl fmt::Display + 'a {
        Named(self, names)
    }
}

struct Named<'a>(&'a Members, &'a [String]);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match self.1.get(id.index()) {
                Some(n) => f.write_str(n)?,
                None => write!(f, "#{id}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Members {
    /// `{1,2,3,4,6}`: the servers by number (node id + 1, as `n1`..`nN` name them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", id.0 + 1)?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities_of_configurations_one_server_apart_always_meet_4_1() {
        // Every majority of {0..n} and every majority of {0..n} plus or minus one server
        // share a server: checked exhaustively for small clusters.
        for n in 1..=6u32 {
            let old = Members::new((0..n).map(NodeId));
            for change in [old.with(NodeId(n)), old.without(NodeId(0))] {
                let all: Vec<NodeId> = (0..=n).map(NodeId).collect();
                for a in 0u32..(1 << all.len()) {
                    let in_a = |id: NodeId| a & (1 << id.0) != 0;
                    if !old.has_majority(in_a) {
                        continue;
                    }
                    for b in 0u32..(1 << all.len()) {
                        let in_b = |id: NodeId| b & (1 << id.0) != 0;
                        if change.has_majority(in_b) {
                            assert!(a & b != 0, "{old} and {change}: {a:b} and {b:b}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn two_changes_from_one_configuration_can_have_disjoint_majorities() {
        // The bug of single-server changes across leaders: {1,2,3,4} + 5 and {1,2,3,4} - 1.
        let base = Members::new((0..4).map(NodeId));
        let a = base.with(NodeId(4));
        let b = base.without(NodeId(0));
        let left = [NodeId(0), NodeId(3), NodeId(4)];
        let right = [NodeId(1), NodeId(2)];
        assert!(a.has_majority(|id| left.contains(&id)));
        assert!(b.has_majority(|id| right.contains(&id)));
        assert_eq!(a.to_string(), "{1,2,3,4,5}");
    }
}
