//! Ballots and the messages of single-decree Paxos, named as the games name them: p1a Prepare,
//! p1b Promise, p2a Accept, p2b Accepted, p3 Decide; plus the rejection (a "nack") that carries
//! the higher ballot the acceptor has seen, and a learner's query for a decision it missed.

use serde::Serialize;
use std::fmt;
use synod_core::Message;

/// A value to agree on: a campsite, a colour; by default a proposer's name.
pub type Value = String;

/// A proposal number, unique per proposer: `(round, proposer)`, ordered by round first
/// ("Paxos Made Simple", 2.2: "different proposers choose their numbers from disjoint sets").
/// Printed `round.proposer`, as in `3.2`. `0.0` is "no ballot".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ballot {
    /// The round; each new attempt of a proposer uses a round above any it has seen.
    pub round: u32,
    /// The proposer's number (its node id + 1), which breaks ties between rounds.
    pub proposer: u32,
}

impl Ballot {
    /// No ballot: lower than every real one.
    pub const ZERO: Ballot = Ballot {
        round: 0,
        proposer: 0,
    };

    /// Whether this is a real ballot.
    pub fn is_some(self) -> bool {
        self != Ballot::ZERO
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

/// A ballot, or `nothing` for `0.0` (an acceptor that has promised nothing yet).
pub struct ShowBallot(pub Ballot);

impl fmt::Display for ShowBallot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_some() {
            self.0.fmt(f)
        } else {
            f.write_str("nothing")
        }
    }
}

/// The epoch of `role` events: `ballot 3.2`.
pub struct Epoch(pub Ballot);

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ballot {}", self.0)
    }
}

/// An acceptor's accepted proposal, as reported in a promise: `2.1 "Itri"`, or `nothing`.
pub struct ShowAccepted<'a>(pub Option<&'a (Ballot, Value)>);

impl fmt::Display for ShowAccepted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((b, v)) => write!(f, "{b} {v:?}"),
            None => f.write_str("nothing"),
        }
    }
}

/// The messages of single-decree Paxos.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type")]
pub enum Msg {
    /// p1a: a proposer asks acceptors to promise to ignore ballots below `ballot`.
    Prepare {
        /// The proposer's ballot.
        ballot: Ballot,
    },
    /// p1b: an acceptor promises, and reports the proposal it accepted last, if any.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// The highest-numbered proposal this acceptor has accepted.
        accepted: Option<(Ballot, Value)>,
    },
    /// p2a: a proposer asks acceptors to accept `value` in `ballot`.
    Accept {
        /// The proposer's ballot.
        ballot: Ballot,
        /// The value proposed.
        value: Value,
    },
    /// p2b: an acceptor accepted the proposal of `ballot`.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
    },
    /// A refusal of a p1a (phase 1) or p2a (phase 2): the acceptor has promised a higher ballot.
    Reject {
        /// 1 for a refused Prepare, 2 for a refused Accept.
        phase: u8,
        /// The ballot refused.
        ballot: Ballot,
        /// The higher ballot the acceptor has promised.
        promised: Ballot,
    },
    /// p3: `value` is chosen.
    Decide {
        /// The chosen value.
        value: Value,
    },
    /// A learner that missed the p3 asks whether a value was chosen.
    Query,
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Prepare { ballot } => write!(f, "p1a Prepare({ballot})"),
            Msg::Promise {
                ballot,
                accepted: Some((b, v)),
            } => write!(f, "p1b Promise({ballot}, last accepted {b} {v:?})"),
            Msg::Promise {
                ballot,
                accepted: None,
            } => write!(f, "p1b Promise({ballot}, nothing accepted)"),
            Msg::Accept { ballot, value } => write!(f, "p2a Accept({ballot}, {value:?})"),
            Msg::Accepted { ballot } => write!(f, "p2b Accepted({ballot})"),
            Msg::Reject {
                phase,
                ballot,
                promised,
            } => write!(f, "p{phase}b Reject({ballot}, promised {promised})"),
            Msg::Decide { value } => write!(f, "p3 Decide({value:?})"),
            Msg::Query => f.write_str("p3 Query(what was decided?)"),
        }
    }
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Prepare { .. } => "p1a",
            Msg::Promise { .. } => "p1b",
            Msg::Accept { .. } => "p2a",
            Msg::Accepted { .. } => "p2b",
            Msg::Reject { .. } => "reject",
            Msg::Decide { .. } => "p3",
            Msg::Query => "query",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_order_by_round_then_proposer() {
        let b = |round, proposer| Ballot { round, proposer };
        assert!(b(2, 1) > b(1, 5));
        assert!(b(2, 3) > b(2, 1));
        assert!(Ballot::ZERO < b(1, 1));
        assert_eq!(b(3, 2).to_string(), "3.2");
    }

    #[test]
    fn messages_print_like_the_games() {
        let b = Ballot {
            round: 3,
            proposer: 2,
        };
        let old = Ballot {
            round: 2,
            proposer: 1,
        };
        assert_eq!(Msg::Prepare { ballot: b }.to_string(), "p1a Prepare(3.2)");
        assert_eq!(
            Msg::Promise {
                ballot: b,
                accepted: Some((old, "Itri".into()))
            }
            .to_string(),
            r#"p1b Promise(3.2, last accepted 2.1 "Itri")"#
        );
        assert_eq!(
            Msg::Accept {
                ballot: b,
                value: "Itri".into()
            }
            .to_string(),
            r#"p2a Accept(3.2, "Itri")"#
        );
        assert_eq!(
            Msg::Reject {
                phase: 1,
                ballot: old,
                promised: b
            }
            .to_string(),
            "p1b Reject(2.1, promised 3.2)"
        );
    }
}
