//! A Multi-Paxos node's state as `synod view` draws it: an acceptor's promise and what it
//! accepted in each slot (the viewer's slot table, coloured by ballot); a leader's mode,
//! ballot and proposals in flight; and, for leaders and replicas, the chosen slots and the
//! store they were applied to.

use super::Node;
use super::acceptor::Acceptor;
use super::leader::{Leader, Mode};
use super::learner::Learner;
use super::replica::Replica;
use crate::view::{entry_stamp, store};
use synod_core::view::StateView;

impl Node {
    /// Report this node's state (see [`synod_core::view`]); clients report nothing.
    pub fn view(&self, v: &mut StateView) {
        match self {
            Node::Acceptor(a) => acceptor(v, a),
            Node::Leader(l) => leader(v, l),
            Node::Replica(r) => replica(v, r),
            Node::Client(_) => {}
        }
    }
}

fn acceptor(v: &mut StateView, a: &Acceptor) {
    v.field("promised", a.promised);
    for (i, slot) in a.accepted.iter().enumerate() {
        if let Some((b, e)) = slot {
            let stamp = entry_stamp(&[b.round, u64::from(b.leader)], e.origin);
            v.row("accepted", i as u64 + 1, stamp, |c| {
                c.cell(b).cell(e);
            });
        }
    }
}

fn learner(v: &mut StateView, l: &Learner) {
    v.field("chosen", l.prefix());
    v.field("applied", l.applied());
    for slot in 1..=l.top() {
        if let Some(e) = l.get(slot) {
            v.row("chosen", slot, entry_stamp(&[], e.origin), |c| {
                c.cell(e);
            });
        }
    }
    store(v, l.store());
}

fn leader(v: &mut StateView, l: &Leader) {
    let mode = match l.mode() {
        Mode::Standby => "standby",
        Mode::Candidate => "candidate",
        Mode::Active => "leader",
    };
    v.field("role", mode);
    v.field("ballot", l.ballot());
    for (slot, entry, acks) in l.in_flight() {
        let stamp = entry_stamp(&[acks as u64], entry.origin);
        v.row("proposed", slot, stamp, |c| {
            c.cell(entry).cell(format_args!("{acks} accepted"));
        });
    }
    learner(v, l.learner());
}

fn replica(v: &mut StateView, r: &Replica) {
    learner(v, r.learner());
}
