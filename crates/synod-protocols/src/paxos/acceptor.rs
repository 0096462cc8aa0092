//! The acceptor ("Paxos Made Simple", 2.2 and 2.3): it promises and accepts, and remembers both
//! across crashes. Its whole state is durable.

use super::msg::{Ballot, Msg, Value};

/// An acceptor's state: all of it survives a crash ("an acceptor must remember this
/// information even if it fails and then restarts", 2.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Acceptor {
    /// The highest ballot it has promised (or accepted in); `0.0` if none.
    pub promised: Ballot,
    /// The highest-numbered proposal it has accepted.
    pub accepted: Option<(Ballot, Value)>,
}

impl Acceptor {
    /// p1a: promise `ballot` if it is at least as high as any promised, and report the last
    /// accepted proposal; otherwise reject it, naming the higher ballot promised. (Re-promising
    /// the same ballot answers a duplicated Prepare; ballots are never reused.)
    pub fn on_prepare(&mut self, ballot: Ballot) -> Msg {
        if ballot >= self.promised {
            self.promised = ballot;
            Msg::Promise {
                ballot,
                accepted: self.accepted.clone(),
            }
        } else {
            Msg::Reject {
                phase: 1,
                ballot,
                promised: self.promised,
            }
        }
    }

    /// p2a: accept unless it has promised a higher ballot (2.2, P1a).
    pub fn on_accept(&mut self, ballot: Ballot, value: &Value) -> Msg {
        if ballot >= self.promised {
            self.promised = ballot;
            self.accepted = Some((ballot, value.clone()));
            Msg::Accepted { ballot }
        } else {
            Msg::Reject {
                phase: 2,
                ballot,
                promised: self.promised,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(round: u32, proposer: u32) -> Ballot {
        Ballot { round, proposer }
    }

    /// Paxos Made Simple, 2.2 (phase 1b): the promise carries the highest-numbered proposal
    /// accepted so far.
    #[test]
    fn promise_reports_the_last_accepted_proposal() {
        let mut a = Acceptor::default();
        assert_eq!(
            a.on_prepare(b(1, 1)),
            Msg::Promise {
                ballot: b(1, 1),
                accepted: None
            }
        );
        assert_eq!(
            a.on_accept(b(1, 1), &"red".into()),
            Msg::Accepted { ballot: b(1, 1) }
        );
        assert_eq!(
            a.on_prepare(b(2, 3)),
            Msg::Promise {
                ballot: b(2, 3),
                accepted: Some((b(1, 1), "red".into()))
            }
        );
    }

    /// Paxos Made Simple, 2.2, P1a: an acceptor can accept a proposal numbered n iff it has not
    /// responded to a prepare request having a number greater than n.
    #[test]
    fn acceptor_refuses_an_accept_below_its_promise() {
        let mut a = Acceptor::default();
        a.on_prepare(b(2, 2));
        assert_eq!(
            a.on_accept(b(1, 1), &"red".into()),
            Msg::Reject {
                phase: 2,
                ballot: b(1, 1),
                promised: b(2, 2)
            }
        );
        assert_eq!(a.accepted, None);
    }

    /// Paxos Made Simple, 2.2 (phase 1b): a prepare below the promise is refused, and the
    /// refusal names the higher ballot so the proposer can abandon its own.
    #[test]
    fn acceptor_rejects_a_lower_prepare_naming_the_higher_ballot() {
        let mut a = Acceptor::default();
        a.on_prepare(b(3, 1));
        assert_eq!(
            a.on_prepare(b(2, 5)),
            Msg::Reject {
                phase: 1,
                ballot: b(2, 5),
                promised: b(3, 1)
            }
        );
        assert_eq!(a.promised, b(3, 1));
    }

    /// Paxos Made Simple, 2.2: an acceptor may accept a proposal without having promised it
    /// (P1a allows it), and accepting raises its promise.
    #[test]
    fn accepting_a_higher_ballot_raises_the_promise() {
        let mut a = Acceptor::default();
        a.on_prepare(b(1, 1));
        assert_eq!(
            a.on_accept(b(2, 2), &"blue".into()),
            Msg::Accepted { ballot: b(2, 2) }
        );
        assert_eq!(a.promised, b(2, 2));
        assert!(matches!(a.on_prepare(b(1, 3)), Msg::Reject { .. }));
    }
}
