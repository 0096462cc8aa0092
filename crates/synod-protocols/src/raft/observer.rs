//! Raft's cluster observer: the moment an entry becomes committed, which no server knows when
//! it happens.
//!
//! An entry of term T is committed once a majority of servers store it *while in term T*
//! (section 5.4.3's argument): each of them would refuse its vote to a candidate whose log
//! lacks it (5.4.1), so every later leader holds it. The leader learns it only when their
//! replies arrive, and says "committed" then; an entry of an older term on a majority is not
//! committed this way (Figure 8), and this observer stays silent about it, whatever a leader
//! with the planted bug `commit-old-term` claims. Entries before a committed one are committed
//! with it.
//!
//! What a server stores in its current term is the run of entries of that term at the end of
//! its log, all taken from that term's one leader (which appends them in order and never
//! rewrites them): the observer keeps, per server, the highest index of that run, and the
//! majority-th highest of those per term is committed. The majority is of the configuration
//! the server that just stored entries uses (membership changes, dissertation 4.1: a leader
//! and its followers use the latest configuration in their logs), counting its members only.

use super::RaftNode;
use crate::kv::KvNode;
use synod_core::NodeId;

/// Says when entries become committed (see the module documentation).
pub struct CommitObserver {
    names: Vec<String>,
    /// Per server: (term, the highest index it stored in that term).
    held: Vec<(u64, u64)>,
    /// Every index up to this one was said to be committed.
    said: u64,
    scratch: Vec<u64>,
}

impl CommitObserver {
    /// An observer of the servers named `names` (nodes `0..names.len()`).
    pub fn new(names: Vec<String>) -> Self {
        let n = names.len();
        CommitObserver {
            names,
            held: vec![(0, 0); n],
            said: 0,
            scratch: Vec::with_capacity(n),
        }
    }

    /// After `node` handled an input: what it now stores in its term, and whether that makes
    /// more entries committed (a line for each time it does).
    pub fn observe(
        &mut self,
        node: NodeId,
        nodes: &mut dyn Iterator<Item = Option<&RaftNode>>,
        out: &mut Vec<String>,
    ) {
        let i = node.index();
        if i >= self.held.len() {
            return; // a client
        }
        let Some(Some(KvNode::Server(s))) = nodes.nth(i) else {
            return;
        };
        let (term, log) = (s.term(), s.log());
        if term == 0 || log.last_term() != term {
            return;
        }
        let last = log.last_index();
        let h = &mut self.held[i];
        if h.0 == term && h.1 >= last {
            return;
        }
        *h = (term, last);
        let config = s.config();
        let majority = config.majority();
        let member = |j: usize| config.contains(NodeId(j as u32));
        self.scratch.clear();
        self.scratch.extend(
            (self.held.iter().enumerate())
                .filter(|(j, (t, _))| *t == term && member(*j))
                .map(|(_, (_, idx))| *idx),
        );
        if self.scratch.len() < majority {
            return;
        }
        self.scratch.sort_unstable_by(|a, b| b.cmp(a));
        let k = self.scratch[majority - 1];
        if k <= self.said {
            return;
        }
        let on: Vec<&str> = (self.held.iter().zip(&self.names).enumerate())
            .filter(|(j, ((t, idx), _))| *t == term && *idx >= k && member(*j))
            .map(|(_, (_, name))| name.as_str())
            .collect();
        let which = if k == self.said + 1 {
            format!("index {k} (term {term}) is")
        } else {
            let from = self.said + 1;
            format!("indices {from}..{k}, as index {k} (term {term}) is")
        };
        out.push(format!(
            "committed: {which} now on a majority in its own term ({})",
            on.join(", ")
        ));
        self.said = k;
    }
}
