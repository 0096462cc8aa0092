//! A Multi-Paxos node's state as `synod view` draws it: an acceptor's promise and what it
//! accepted in each slot (the viewer's slot table, coloured by ballot); a leader's mode,
//! ballot and proposals in flight; and, for leaders and replicas, the chosen slots and the
//! store they were applied to. `inspect` shows the same, with nodes by name and slots as
//! `slot:ballot:command` rows.

use super::acceptor::Acceptor;
use super::leader::{Leader, Mode};
use super::learner::Learner;
use super::replica::Replica;
use super::{Durable, Server};
use crate::view::{entry_stamp, inspect_state_machine, store};
use synod_core::inspect::Inspect;
use synod_core::view::StateView;

impl Server {
    /// Report this server's state (see [`synod_core::view`]); clients report nothing
    /// ([`crate::kv::KvNode`]).
    pub fn view(&self, v: &mut StateView) {
        match self {
            Server::Acceptor(a) => acceptor(v, a),
            Server::Leader(l) => leader(v, l),
            Server::Replica(r) => replica(v, r),
        }
    }
}

impl Server {
    /// Describe this server for `inspect`.
    pub fn inspect(&self, out: &mut Inspect<'_>) {
        match self {
            Server::Acceptor(a) => inspect_acceptor(out, a),
            Server::Leader(l) => inspect_leader(out, l),
            Server::Replica(r) => {
                out.node("leader", r.leader());
                inspect_learner(out, r.learner());
            }
        }
    }
}

/// Describe what a crashed server kept.
pub(super) fn inspect_durable(d: &Durable, out: &mut Inspect<'_>) {
    match d {
        Durable::Acceptor(a) => inspect_acceptor(out, a),
        Durable::Leader(l) => {
            out.field("maxRound", l.max_round);
        }
        Durable::Nothing => {
            out.field("kept", "nothing: a replica catches up from the leader");
        }
    }
}

/// An acceptor: its promise, and what it accepted in each slot (all of it durable).
fn inspect_acceptor(out: &mut Inspect<'_>, a: &Acceptor) {
    out.field("promised", a.promised);
    let mut t = out.table("accepted", &["slot", "ballot", "command"]);
    for (i, slot) in a.accepted.iter().enumerate() {
        if let Some((b, e)) = slot {
            t.row(|r| {
                r.cell(i + 1).cell(b).cell(&e.cmd);
            });
        }
    }
}

fn inspect_leader(out: &mut Inspect<'_>, l: &Leader) {
    let mode = match l.mode() {
        Mode::Standby => "standby",
        Mode::Candidate => "candidate (Phase 1)",
        Mode::Active => "leader (Phase 2)",
    };
    out.field("mode", mode);
    out.field("ballot", l.ballot());
    out.field("maxRound", l.max_round());
    match l.mode() {
        Mode::Candidate => {
            let by = out.names(l.promised_by());
            out.field("promised by", by);
        }
        Mode::Standby => {
            out.node("leader", l.known_leader());
        }
        Mode::Active => {
            out.field("nextSlot", l.next_slot());
        }
    }
    let rows: Vec<(u64, String, String)> = l
        .in_flight_by()
        .map(|(slot, e, acks)| (slot, e.cmd.to_string(), out.names(acks)))
        .collect();
    let mut t = out.table("proposed", &["slot", "command", "accepted by"]);
    for (slot, cmd, by) in rows {
        t.row(|r| {
            r.cell(slot).cell(cmd).cell(by);
        });
    }
    let mut t = out.table("queued", &["request"]);
    for req in l.queued() {
        t.row(|r| {
            r.cell(req);
        });
    }
    inspect_learner(out, l.learner());
}

/// What a learner knows was chosen, and the store it applied it to.
fn inspect_learner(out: &mut Inspect<'_>, l: &Learner) {
    out.field("chosen", format_args!("every slot up to {}", l.prefix()));
    out.field("applied", l.applied());
    let mut t = out.table("log", &["slot", "command"]);
    for slot in 1..=l.top() {
        if let Some(e) = l.get(slot) {
            t.row(|r| {
                r.cell(slot).cell(&e.cmd);
            });
        }
    }
    inspect_state_machine(out, l.store(), l.sessions());
}

// Acceptors and learners mark each slot they change, so that a report lists their slots from
// the first changed one on: the cost of a run's views is the slots that changed, not the
// length of the log at every event.

fn acceptor(v: &mut StateView, a: &Acceptor) {
    v.field("promised", a.promised);
    let from = a.view.first(v).max(1);
    v.rows_from("accepted", from);
    let skip = (from - 1) as usize;
    for (i, slot) in a.accepted.iter().enumerate().skip(skip) {
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
    let from = l.view_from(v).max(1);
    v.rows_from("chosen", from);
    for slot in from..=l.top() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::Command;
    use crate::multipaxos::{Ballot, Config, Entry, Msg, Replica};
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use synod_core::testing::Harness;
    use synod_core::view::StateChange;
    use synod_core::{NodeId, Time};

    /// Apply a report's changes to a state (key -> value).
    fn apply(state: &mut BTreeMap<String, String>, changes: &[StateChange]) {
        for c in changes {
            let (key, value) = match c {
                StateChange::Field { name, value } => (name.to_string(), value.clone()),
                StateChange::Row { table, key, cells } => (
                    format!("{table}/{key}"),
                    cells.as_ref().map(|c| c.join("|")),
                ),
            };
            match value {
                Some(v) => state.insert(key, v),
                None => state.remove(&key),
            };
        }
    }

    /// After each input, the state replayed from the node's incremental reports equals a whole
    /// report of a copy of it (a copy reports whole tables: `Changed` does not clone).
    fn check(h: &mut Harness<Server>, inputs: Vec<(NodeId, Msg)>) {
        let mut view = StateView::default();
        let mut replayed = BTreeMap::new();
        for (from, msg) in inputs {
            h.deliver(from, msg);
            apply(&mut replayed, view.report(|v| h.process.view(v)));
            let copy = h.process.clone();
            let mut whole = BTreeMap::new();
            apply(&mut whole, StateView::default().report(|v| copy.view(v)));
            assert_eq!(replayed, whole);
        }
        assert!(replayed.len() > 3, "{replayed:?}");
    }

    fn put(req: u64, key: &str) -> Entry {
        Entry::new(
            Some((NodeId(9), req)),
            Command::Put {
                key: key.into(),
                value: format!("v{req}"),
            },
        )
    }

    #[test]
    fn acceptors_and_replicas_reported_from_the_first_changed_slot_equal_whole_reports() {
        let b = |round, leader| Ballot { round, leader };
        let accept = |ballot, slot, entry| Msg::Accept {
            ballot,
            slot,
            entry,
        };
        // Slots out of order, a gap, and a slot accepted again in a higher ballot.
        let mut a = Harness::new(NodeId(0), Server::Acceptor(Acceptor::default()), 1);
        check(
            &mut a,
            vec![
                (NodeId(3), accept(b(1, 1), 3, put(1, "a"))),
                (NodeId(3), accept(b(1, 1), 1, put(2, "b"))),
                (NodeId(3), accept(b(1, 1), 6, put(3, "c"))),
                (NodeId(4), accept(b(2, 2), 1, put(4, "d"))),
                (NodeId(4), accept(b(2, 2), 2, Entry::noop())),
            ],
        );
        let cfg = Arc::new(Config {
            acceptors: vec![NodeId(0), NodeId(1), NodeId(2)],
            leaders: vec![NodeId(3)],
            replicas: vec![NodeId(5)],
            window: 10,
            heartbeat: Time::ms(50),
            leader_timeout: (Time::ms(150), Time::ms(300)),
            catch_up_batch: 64,
            bug: None,
        });
        let mut r = Harness::new(NodeId(5), Server::Replica(Replica::new(cfg)), 1);
        let decide = |slot, entry| Msg::Decision { slot, entry };
        check(
            &mut r,
            vec![
                (NodeId(3), decide(2, put(1, "a"))),
                (NodeId(3), decide(4, put(2, "b"))),
                (NodeId(3), decide(1, put(3, "a"))),
                (NodeId(3), decide(3, Entry::noop())),
            ],
        );
    }
}
