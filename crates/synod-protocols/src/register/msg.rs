//! The messages of the Paxos register: the register interface clients use (put, get and their
//! answers) and the two phases of single-decree Paxos between the servers.

use serde::Serialize;
use std::fmt;
use synod_core::{Message, NodeId};

/// A register value. Clients write single letters, as in Stateright's model (`'A'` by the
/// first client, `'B'` by the second, ...).
pub type Value = char;

/// A ballot: `(round, leader)`, ordered by round first, then by the server that leads it.
/// `0.0` (round 0 of server 0) is where every server starts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ballot {
    /// The round: a server starting a ballot takes the round after the highest it has seen.
    pub round: u32,
    /// The server leading the ballot.
    pub leader: NodeId,
}

impl Default for Ballot {
    fn default() -> Self {
        Ballot {
            round: 0,
            leader: NodeId(0),
        }
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.leader.0)
    }
}

/// What a ballot proposes: a client's put, remembered with who asked, so that the server that
/// gets it chosen can answer that client.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Proposal {
    /// The client's request id.
    pub req_id: u64,
    /// The client.
    pub client: NodeId,
    /// The value it puts.
    pub value: Value,
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (put #{})", self.value, self.req_id)
    }
}

/// A proposal a server accepted, with the ballot it accepted it in.
pub type Accepted = (Ballot, Proposal);

/// Every message of the register protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RegisterMsg {
    /// Client to server: write `value`.
    Put {
        /// The client's request id.
        req_id: u64,
        /// The value.
        value: Value,
    },
    /// Client to server: read the register.
    Get {
        /// The client's request id.
        req_id: u64,
    },
    /// Server to client: the put was chosen.
    PutOk {
        /// The request answered.
        req_id: u64,
    },
    /// Server to client: the register holds `value`.
    GetOk {
        /// The request answered.
        req_id: u64,
        /// The chosen value.
        value: Value,
    },
    /// Phase 1a: a leader asks the others to join `ballot`.
    Prepare {
        /// The new ballot.
        ballot: Ballot,
    },
    /// Phase 1b: a server joins `ballot` and reports the last proposal it accepted.
    Prepared {
        /// The ballot joined.
        ballot: Ballot,
        /// The last proposal it accepted, if any.
        last_accepted: Option<Accepted>,
    },
    /// Phase 2a: a leader asks the others to accept `proposal` in `ballot`.
    Accept {
        /// The ballot.
        ballot: Ballot,
        /// The proposal.
        proposal: Proposal,
    },
    /// Phase 2b: a server accepted the proposal of `ballot`.
    Accepted {
        /// The ballot.
        ballot: Ballot,
    },
    /// A leader tells the others that `proposal` was chosen in `ballot`.
    Decided {
        /// The ballot.
        ballot: Ballot,
        /// The chosen proposal.
        proposal: Proposal,
    },
}

impl fmt::Display for RegisterMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterMsg::Put { req_id, value } => write!(f, "Put #{req_id} {value:?}"),
            RegisterMsg::Get { req_id } => write!(f, "Get #{req_id}"),
            RegisterMsg::PutOk { req_id } => write!(f, "PutOk #{req_id}"),
            RegisterMsg::GetOk { req_id, value } => write!(f, "GetOk #{req_id} {value:?}"),
            RegisterMsg::Prepare { ballot } => write!(f, "p1a Prepare({ballot})"),
            RegisterMsg::Prepared {
                ballot,
                last_accepted: Some((b, p)),
            } => write!(f, "p1b Prepared({ballot}, last accepted {p} at {b})"),
            RegisterMsg::Prepared {
                ballot,
                last_accepted: None,
            } => write!(f, "p1b Prepared({ballot}, nothing accepted)"),
            RegisterMsg::Accept { ballot, proposal } => {
                write!(f, "p2a Accept({ballot}, {proposal})")
            }
            RegisterMsg::Accepted { ballot } => write!(f, "p2b Accepted({ballot})"),
            RegisterMsg::Decided { ballot, proposal } => {
                write!(f, "Decided({ballot}, {proposal})")
            }
        }
    }
}

impl Message for RegisterMsg {
    fn kind(&self) -> &'static str {
        match self {
            RegisterMsg::Put { .. } => "Put",
            RegisterMsg::Get { .. } => "Get",
            RegisterMsg::PutOk { .. } => "PutOk",
            RegisterMsg::GetOk { .. } => "GetOk",
            RegisterMsg::Prepare { .. } => "p1a",
            RegisterMsg::Prepared { .. } => "p1b",
            RegisterMsg::Accept { .. } => "p2a",
            RegisterMsg::Accepted { .. } => "p2b",
            RegisterMsg::Decided { .. } => "Decided",
        }
    }
}
