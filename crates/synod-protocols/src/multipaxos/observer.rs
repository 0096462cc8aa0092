//! Multi-Paxos's cluster observer: the moment each slot's command is chosen.
//!
//! A slot's command is chosen when a majority of acceptors have accepted it in one ballot
//! ("Paxos Made Simple", 2.1, per instance): at that acceptor's accept, before the leader
//! counts the `Accepted` replies and tells the learners. A new leader re-proposes what it finds
//! accepted, so a slot may reach a majority again in a higher ballot; with the same command
//! that is what Paxos guarantees and goes unsaid, with another (a planted bug) agreement is
//! lost and the observer says so.

use super::types::{Ballot, Entry, Slot};
use super::{Node, Server};
use crate::kv::KvNode;
use std::collections::BTreeMap;
use synod_core::NodeId;

/// Says when slots are chosen (see the module documentation).
pub struct SlotObserver {
    names: Vec<String>,
    quorum: usize,
    /// Per (slot, ballot) not chosen yet: the acceptors (by node index) that accepted it (at
    /// most the slots in flight).
    accepted: BTreeMap<(Slot, Ballot), Vec<usize>>,
    /// The command chosen in each slot said chosen.
    chosen: BTreeMap<Slot, Entry>,
}

impl SlotObserver {
    /// An observer of a cluster whose nodes are named `names`, where `quorum` acceptors make a
    /// majority.
    pub fn new(names: Vec<String>, quorum: usize) -> Self {
        SlotObserver {
            names,
            quorum,
            accepted: BTreeMap::new(),
            chosen: BTreeMap::new(),
        }
    }

    /// After `node` handled an input: what its acceptor accepted last, and whether a majority
    /// now has.
    pub fn observe(
        &mut self,
        node: NodeId,
        nodes: &mut dyn Iterator<Item = Option<&Node>>,
        out: &mut Vec<String>,
    ) {
        let i = node.index();
        let Some(Some(KvNode::Server(Server::Acceptor(a)))) = nodes.nth(i) else {
            return;
        };
        let slot = a.latest;
        let Some(Some((b, e))) = (slot as usize)
            .checked_sub(1)
            .and_then(|k| a.accepted.get(k))
        else {
            return;
        };
        if self.chosen.get(&slot).is_some_and(|c| c == e) {
            return; // the chosen command again (a new leader re-proposing it)
        }
        let by = self.accepted.entry((slot, *b)).or_default();
        if by.contains(&i) {
            return;
        }
        by.push(i);
        if by.len() != self.quorum {
            return;
        }
        let Some(mut by) = self.accepted.remove(&(slot, *b)) else {
            return;
        };
        by.sort_unstable();
        let who: Vec<&str> = by.iter().map(|k| self.names[*k].as_str()).collect();
        let who = who.join(", ");
        match self.chosen.get(&slot) {
            None => {
                out.push(format!(
                    "chosen: slot {slot}: a majority accepted {} at ballot {b} ({who})",
                    e.cmd
                ));
                self.chosen.insert(slot, e.clone());
            }
            Some(first) if first == e => {}
            Some(first) => out.push(format!(
                "chosen: slot {slot}: a majority accepted {} at ballot {b} ({who}), but {} was chosen there before: two commands in one slot, agreement is lost",
                e.cmd, first.cmd
            )),
        }
    }
}
