//! Single-decree Paxos's cluster observer: the moment a value is chosen.
//!
//! A value is chosen when a majority of acceptors have accepted it in one ballot ("Paxos Made
//! Simple", 2.1): at that acceptor's accept, before any proposer or learner knows (a proposer
//! learns it from the p2b replies, the learners from its p3). A later ballot that reaches a
//! majority can only carry the same value (P2); if it carries another (a planted bug),
//! agreement is lost, and the observer says so.

use super::msg::{Ballot, Value};
use super::node::PaxosNode;
use std::collections::BTreeMap;
use synod_core::NodeId;

/// Says when a value is chosen (see the module documentation).
pub struct ChosenObserver {
    names: Vec<String>,
    quorum: usize,
    /// Per ballot: its value, and the acceptors (by node index) that accepted it.
    accepted: BTreeMap<Ballot, (Value, Vec<usize>)>,
    /// The first value chosen, and its ballot.
    chosen: Option<(Ballot, Value)>,
}

impl ChosenObserver {
    /// An observer of a cluster whose nodes are named `names`, where `quorum` acceptors make a
    /// majority.
    pub fn new(names: Vec<String>, quorum: usize) -> Self {
        ChosenObserver {
            names,
            quorum,
            accepted: BTreeMap::new(),
            chosen: None,
        }
    }

    /// After `node` handled an input: what its acceptor accepted, and whether a majority now
    /// has.
    pub fn observe(
        &mut self,
        node: NodeId,
        nodes: &mut dyn Iterator<Item = Option<&PaxosNode>>,
        out: &mut Vec<String>,
    ) {
        let i = node.index();
        let Some(Some(n)) = nodes.nth(i) else { return };
        let Some((b, v)) = n.acceptor.as_ref().and_then(|a| a.accepted.as_ref()) else {
            return;
        };
        let (value, by) = self
            .accepted
            .entry(*b)
            .or_insert_with(|| (v.clone(), Vec::new()));
        if by.contains(&i) {
            return;
        }
        by.push(i);
        if by.len() != self.quorum {
            return;
        }
        by.sort_unstable();
        let who: Vec<&str> = by.iter().map(|k| self.names[*k].as_str()).collect();
        let who = who.join(", ");
        match &self.chosen {
            None => {
                out.push(format!(
                    "chosen: a majority accepted {value:?} at ballot {b} ({who}); no one knows it yet"
                ));
                self.chosen = Some((*b, value.clone()));
            }
            Some((_, first)) if first == value => out.push(format!(
                "a majority accepted {value:?} again, at ballot {b} ({who}): the value already chosen, as P2 requires"
            )),
            Some((first_b, first)) => out.push(format!(
                "chosen: a majority accepted {value:?} at ballot {b} ({who}), but {first:?} was chosen at ballot {first_b}: two values chosen, agreement is lost"
            )),
        }
    }
}
