//! The proposer ("Paxos Made Simple", 2.2, 2.4): phase 1 gathers promises from a majority of
//! acceptors, phase 2 asks them to accept a value, and the value a p1b quorum reports outranks
//! the proposer's own.
//!
//! Progress (2.4): a proposer starts after a random delay, and retries with a higher ballot
//! after a random timeout that backs off. The timeout is reset whenever its ballot makes
//! progress (a new p1b or p2b), so a lone proposer never abandons a ballot that is still
//! gathering replies; and it steps down as soon as it sees a higher ballot, giving the
//! other proposer time to finish (the bug the BeatPaxos author found was a lone leader dueling
//! itself).

use super::msg::{Ballot, Value};
use synod_core::{NodeId, TimerId};

/// Where a proposer is in its current attempt.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Waiting for its start delay or for a retry timeout; no ballot in progress.
    Waiting,
    /// Phase 1: p1a sent, collecting p1b promises.
    Preparing {
        /// Acceptors that promised this ballot.
        promises: Vec<NodeId>,
        /// The highest-numbered proposal they reported.
        highest: Option<(Ballot, Value)>,
    },
    /// Phase 2: p2a sent with `value`, collecting p2b.
    Accepting {
        /// The value proposed in this ballot.
        value: Value,
        /// Acceptors that accepted it.
        accepted: Vec<NodeId>,
    },
    /// It knows the chosen value and proposes no more.
    Done,
}

/// A proposer's state. Only `max_round` survives a crash (as `Durable::max_round`): a proposer
/// "must remember the highest-numbered proposal it has ever tried to issue" (2.3) so that it
/// never reuses a ballot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proposer {
    /// The value it proposes when a p1b quorum reports none (by default its name).
    pub value: Value,
    /// Its current (or last) ballot.
    pub ballot: Ballot,
    /// The highest round it has tried or seen.
    pub max_round: u32,
    /// The highest ballot it has seen another proposer run.
    pub seen: Ballot,
    /// Where it is.
    pub phase: Phase,
    /// Failed attempts so far (the backoff exponent).
    pub attempts: u32,
    /// Whether it believes it leads: it reached phase 2 and has not stepped down.
    pub leader: bool,
    /// Its pending start or retry timer.
    pub timer: Option<TimerId>,
}

impl Proposer {
    /// A proposer of `value` that has tried rounds up to `max_round` before.
    pub fn new(value: Value, max_round: u32) -> Self {
        Proposer {
            value,
            ballot: Ballot::ZERO,
            max_round,
            seen: Ballot::ZERO,
            phase: Phase::Waiting,
            attempts: 0,
            leader: false,
            timer: None,
        }
    }

    /// The next ballot: a round above every round tried or seen, tagged with `proposer`.
    pub fn next_ballot(&mut self, proposer: u32) -> Ballot {
        self.max_round += 1;
        self.ballot = Ballot {
            round: self.max_round,
            proposer,
        };
        self.ballot
    }

    /// Note a ballot seen elsewhere (in a rejection, or promised by the co-located acceptor).
    pub fn saw(&mut self, b: Ballot) {
        self.max_round = self.max_round.max(b.round);
    }

    /// Whether an attempt (phase 1 or 2) is in progress.
    pub fn active(&self) -> bool {
        matches!(
            self.phase,
            Phase::Preparing { .. } | Phase::Accepting { .. }
        )
    }

    /// Record a p1b for the current ballot. Returns the number of distinct promises, or `None`
    /// if it is not for the current phase 1 (stale or duplicate: ignored).
    pub fn record_promise(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    ) -> Option<usize> {
        if ballot != self.ballot {
            return None;
        }
        let Phase::Preparing { promises, highest } = &mut self.phase else {
            return None;
        };
        if promises.contains(&from) {
            return None;
        }
        promises.push(from);
        if let Some((b, v)) = accepted {
            if highest.as_ref().is_none_or(|(hb, _)| b > *hb) {
                *highest = Some((b, v));
            }
        }
        Some(promises.len())
    }

    /// The value phase 2 must propose (2.2, P2c): that of the highest-numbered proposal the
    /// p1b quorum reported, or the proposer's own if none was. With the planted bug
    /// `ignore_p1b_values` it always proposes its own.
    pub fn value_to_propose(&self, ignore_p1b_values: bool) -> (Value, Option<Ballot>) {
        match &self.phase {
            Phase::Preparing {
                highest: Some((b, v)),
                ..
            } if !ignore_p1b_values => (v.clone(), Some(*b)),
            _ => (self.value.clone(), None),
        }
    }

    /// Record a p2b for the current ballot. Returns the number of distinct acceptances, or
    /// `None` if it is not for the current phase 2.
    pub fn record_accepted(&mut self, from: NodeId, ballot: Ballot) -> Option<usize> {
        if ballot != self.ballot {
            return None;
        }
        let Phase::Accepting { accepted, .. } = &mut self.phase else {
            return None;
        };
        if accepted.contains(&from) {
            return None;
        }
        accepted.push(from);
        Some(accepted.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(round: u32, proposer: u32) -> Ballot {
        Ballot { round, proposer }
    }

    fn preparing(p: &mut Proposer) {
        p.next_ballot(2);
        p.phase = Phase::Preparing {
            promises: Vec::new(),
            highest: None,
        };
    }

    /// Paxos Made Simple, 2.2, P2c: the proposer must propose the value of the
    /// highest-numbered proposal among those reported by its p1b quorum.
    #[test]
    fn proposer_adopts_the_highest_accepted_value_reported() {
        let mut p = Proposer::new("green".into(), 0);
        preparing(&mut p);
        let bal = p.ballot;
        p.record_promise(NodeId(0), bal, Some((b(1, 1), "red".into())));
        p.record_promise(NodeId(1), bal, None);
        p.record_promise(NodeId(2), bal, Some((b(1, 3), "blue".into())));
        assert_eq!(p.value_to_propose(false), ("blue".into(), Some(b(1, 3))));
        // The planted bug proposes its own value regardless.
        assert_eq!(p.value_to_propose(true), ("green".into(), None));
    }

    /// Paxos Made Simple, 2.2: with no accepted value reported, the proposer is free to
    /// propose any value, here its own.
    #[test]
    fn proposer_proposes_its_own_value_when_nothing_was_accepted() {
        let mut p = Proposer::new("green".into(), 0);
        preparing(&mut p);
        let bal = p.ballot;
        p.record_promise(NodeId(0), bal, None);
        assert_eq!(p.value_to_propose(false), ("green".into(), None));
    }

    /// Paxos Made Simple, 2.2: a majority means distinct acceptors; a duplicated or stale p1b
    /// does not count.
    #[test]
    fn duplicate_and_stale_promises_do_not_count_towards_the_quorum() {
        let mut p = Proposer::new("green".into(), 0);
        preparing(&mut p);
        let bal = p.ballot;
        assert_eq!(p.record_promise(NodeId(0), bal, None), Some(1));
        assert_eq!(p.record_promise(NodeId(0), bal, None), None);
        assert_eq!(p.record_promise(NodeId(1), b(0, 9), None), None);
    }

    /// Paxos Made Simple, 2.3 and 2.2: ballots are unique per proposer and a new one is above
    /// every round seen, including after a crash (`max_round` is durable).
    #[test]
    fn next_ballot_is_above_every_round_seen_and_tried() {
        let mut p = Proposer::new("red".into(), 4);
        assert_eq!(p.next_ballot(1), b(5, 1));
        p.saw(b(9, 3));
        assert_eq!(p.next_ballot(1), b(10, 1));
    }
}
