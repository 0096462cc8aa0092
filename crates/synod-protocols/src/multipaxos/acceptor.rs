//! The acceptor: the memory of Paxos. It promises not to accept lower ballots (Phase 1) and
//! accepts proposals at ballots it has not promised against (Phase 2). Everything it knows is
//! durable: a crash loses nothing.

use super::types::{Ballot, Entry, Msg, Slot, Timer};
use synod_core::view::Changed;
use synod_core::{Ctx, NodeId, NodeStatus};

/// An acceptor's whole state, all of it durable (written to disk before it answers).
#[derive(Clone, Debug, Default)]
pub struct Acceptor {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// What it accepted, by slot (index `slot - 1`): the ballot and the entry.
    pub accepted: Vec<Option<(Ballot, Entry)>>,
    /// The slot of its latest accept (0: none yet), for the observer that says when a slot is
    /// chosen (`observer.rs`).
    pub latest: Slot,
    /// For the view: the first slot changed since the last report (see `view.rs`).
    pub view: Changed,
    /// Planted bug `accept-below-promise`: Phase 2 does not check the promise (its code, not
    /// its state: set by the builder).
    pub ignore_promise: bool,
}

impl Acceptor {
    /// Phase 1b (Paxos Made Simple, 2.2): promise `ballot` unless a higher one was promised,
    /// and report every proposal accepted from `from_slot` on.
    pub fn handle_prepare(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        from: NodeId,
        ballot: Ballot,
        from_slot: Slot,
    ) {
        if ballot < self.promised {
            ctx.info(format_args!(
                "Prepare(ballot {ballot}) rejected: already promised ballot {}",
                self.promised
            ));
            ctx.send(
                from,
                Msg::Nack {
                    promised: self.promised,
                },
            );
            return;
        }
        self.promised = ballot;
        let start = from_slot.max(1) as usize - 1;
        let accepted: Vec<(Slot, Ballot, Entry)> = self
            .accepted
            .iter()
            .enumerate()
            .skip(start)
            .filter_map(|(i, a)| a.as_ref().map(|(b, e)| (i as Slot + 1, *b, e.clone())))
            .collect();
        if accepted.is_empty() {
            ctx.info(format_args!(
                "Prepare(ballot {ballot}): promised, nothing accepted from slot {from_slot} on"
            ));
        } else {
            ctx.info(format_args!(
                "Prepare(ballot {ballot}): promised, reporting {} accepted slot(s) from slot {from_slot} on",
                accepted.len()
            ));
        }
        ctx.vote(from, &ballot);
        ctx.send(from, Msg::Promise { ballot, accepted });
    }

    /// Phase 2b: accept `entry` in `slot` unless a higher ballot was promised.
    pub fn handle_accept(
        &mut self,
        ctx: &mut Ctx<'_, Msg, Timer>,
        from: NodeId,
        ballot: Ballot,
        slot: Slot,
        entry: Entry,
    ) {
        if slot == 0 || (ballot < self.promised && !self.ignore_promise) {
            ctx.info(format_args!(
                "slot {slot}: Accept(ballot {ballot}) rejected: already promised ballot {}",
                self.promised
            ));
            ctx.send(
                from,
                Msg::Nack {
                    promised: self.promised,
                },
            );
            return;
        }
        if ballot < self.promised {
            // Planted bug: P1a broken. A leader that lost its ballot still gets its proposals
            // accepted, in slots a newer leader may have filled with something else.
            ctx.warn(format_args!(
                "slot {slot}: accepted {} in ballot {ballot}, below its promise {} (bug accept-below-promise)",
                entry.cmd, self.promised
            ));
        } else {
            self.promised = ballot;
            ctx.info(format_args!(
                "slot {slot}: accepted {} in ballot {ballot}",
                entry.cmd
            ));
        }
        let i = slot as usize - 1;
        if self.accepted.len() == i {
            // The common case: the slot after every slot accepted.
            self.accepted.push(Some((ballot, entry)));
        } else {
            if self.accepted.len() < i {
                self.accepted.resize(i + 1, None);
            }
            self.accepted[i] = Some((ballot, entry));
        }
        self.latest = slot;
        self.view.mark(slot);
        ctx.send(from, Msg::Accepted { ballot, slot });
    }

    /// What a status display shows.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            role: "acceptor".into(),
            epoch: format!("promised {}", self.promised),
            facts: vec![
                ("promised", self.promised.to_string()),
                (
                    "accepted",
                    self.accepted
                        .iter()
                        .filter(|a| a.is_some())
                        .count()
                        .to_string(),
                ),
            ],
            ..NodeStatus::default()
        }
    }
}
