//! One server of the register: single-decree Paxos in which a server leads a ballot for the
//! first client put it receives, as in Stateright's Paxos example (each client request gets
//! its own ballot), and answers gets once it knows the chosen value.
//!
//! The two phases are those of "Paxos Made Simple" (2.2): a leader's `Prepare` closes older
//! ballots and collects what a majority last accepted (phase 1); it then asks them to accept
//! the most recently accepted proposal it heard of, or its client's if none (phase 2). The
//! leader's own answers are not sent to itself: it counts itself in both quorums at once.

use super::Names;
use super::msg::{Accepted, Ballot, Proposal, RegisterMsg};
use synod_core::{Ctx, NodeId};

type C<'a> = Ctx<'a, RegisterMsg, ()>;

/// What a server keeps on disk: its ballot, what it accepted, and whether it knows the
/// chosen value. The leader's bookkeeping (its proposal, the answers it counts) is volatile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Durable {
    /// The highest ballot joined.
    pub ballot: Ballot,
    /// The last proposal accepted.
    pub accepted: Option<Accepted>,
    /// Whether `accepted` is known to be chosen.
    pub decided: bool,
}

/// A register server: acceptor of every ballot, leader of its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegisterServer {
    me: NodeId,
    /// Number of servers; they are nodes `0..servers`.
    servers: u32,
    /// Every node's name, for narration.
    names: Names,
    /// The highest ballot this server has joined (or leads).
    pub ballot: Ballot,
    /// Leader: the client put it is getting chosen, then the proposal it drives.
    pub proposal: Option<Proposal>,
    /// Leader: the phase 1 answers of its ballot, by server (itself included), in id order.
    pub prepares: Vec<(NodeId, Option<Accepted>)>,
    /// Leader: the servers that accepted its ballot's proposal (itself included), in id order.
    pub accepts: Vec<NodeId>,
    /// Acceptor: the last proposal accepted, with its ballot.
    pub accepted: Option<Accepted>,
    /// Whether this server knows `accepted` is chosen.
    pub decided: bool,
}

impl RegisterServer {
    /// Server `me` of `servers`, narrating nodes by `names`, fresh (`None`) or restarted from
    /// what it kept on disk.
    pub fn new(me: NodeId, servers: u32, names: Names, durable: Option<Durable>) -> Self {
        let d = durable.unwrap_or_default();
        RegisterServer {
            me,
            servers,
            names,
            ballot: d.ballot,
            proposal: None,
            prepares: Vec::new(),
            accepts: Vec::new(),
            accepted: d.accepted,
            decided: d.decided,
        }
    }

    /// What survives a crash.
    pub fn durable(&self) -> Durable {
        Durable {
            ballot: self.ballot,
            accepted: self.accepted,
            decided: self.decided,
        }
    }

    /// A majority of the servers.
    fn majority(&self) -> usize {
        self.servers as usize / 2 + 1
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.me;
        (0..self.servers).map(NodeId).filter(move |p| *p != me)
    }

    /// A message arrived. Messages the server cannot act on now are ignored: the simulator
    /// drops them, and the explorer leaves them in flight (a delivery that changes nothing is
    /// not a step), so that a put waits for a server that has no proposal of its own.
    pub fn on_message(&mut self, ctx: &mut C<'_>, from: NodeId, msg: RegisterMsg) {
        if self.decided {
            // A decided server only answers reads. It does not answer an undecided read
            // either way: a value may be chosen elsewhere while its Decided is in flight.
            if let (RegisterMsg::Get { req_id }, Some((_, p))) = (&msg, self.accepted) {
                ctx.info(format_args!(
                    "Get #{req_id} from {}: the register holds {:?}",
                    self.names.of(from),
                    p.value
                ));
                ctx.send(
                    from,
                    RegisterMsg::GetOk {
                        req_id: *req_id,
                        value: p.value,
                    },
                );
            } else {
                ctx.debug(format_args!("decided already: ignoring {msg}"));
            }
            return;
        }
        match msg {
            RegisterMsg::Put { req_id, value } if self.proposal.is_none() => {
                self.proposal = Some(Proposal {
                    req_id,
                    client: from,
                    value,
                });
                self.ballot = Ballot {
                    round: self.ballot.round + 1,
                    leader: self.me,
                };
                // The leader joins its own ballot at once: its own phase 1 answer.
                self.prepares = vec![(self.me, self.accepted)];
                self.accepts = Vec::new();
                ctx.info(format_args!(
                    "Put #{req_id} {value:?} from {}: leading ballot {}, p1a Prepare to the others",
                    self.names.of(from),
                    self.ballot
                ));
                let prepare = RegisterMsg::Prepare {
                    ballot: self.ballot,
                };
                ctx.broadcast(self.peers(), &prepare);
            }
            RegisterMsg::Prepare { ballot } if self.ballot < ballot => {
                self.ballot = ballot;
                ctx.info(format_args!(
                    "p1a Prepare({ballot}) from {}: joined, reporting {}",
                    self.names.of(from),
                    ShowAccepted(self.accepted)
                ));
                ctx.send(
                    from,
                    RegisterMsg::Prepared {
                        ballot,
                        last_accepted: self.accepted,
                    },
                );
            }
            RegisterMsg::Prepared {
                ballot,
                last_accepted,
            } if ballot == self.ballot => self.on_prepared(ctx, from, ballot, last_accepted),
            RegisterMsg::Accept { ballot, proposal } if self.ballot <= ballot => {
                self.ballot = ballot;
                self.accepted = Some((ballot, proposal));
                ctx.info(format_args!(
                    "p2a Accept({ballot}, {proposal}) from {}: accepted",
                    self.names.of(from)
                ));
                ctx.send(from, RegisterMsg::Accepted { ballot });
            }
            RegisterMsg::Accepted { ballot } if ballot == self.ballot => {
                self.on_accepted(ctx, from, ballot)
            }
            RegisterMsg::Decided { ballot, proposal } => {
                self.ballot = ballot;
                self.accepted = Some((ballot, proposal));
                self.decided = true;
                ctx.decide(0, &Quoted(proposal.value));
                ctx.info(format_args!(
                    "Decided({ballot}) from {}: {:?} is chosen",
                    self.names.of(from),
                    proposal.value
                ));
            }
            other => ctx.debug(format_args!(
                "ignoring {other} from {} (ballot {}, {})",
                self.names.of(from),
                self.ballot,
                if self.proposal.is_some() {
                    "leading"
                } else {
                    "not leading"
                }
            )),
        }
    }

    /// Phase 1 answers: with a majority, the leader must propose the proposal accepted in the
    /// highest ballot any of them reported (it may have been chosen), or its client's if none
    /// was; it accepts it itself and asks the others to.
    fn on_prepared(
        &mut self,
        ctx: &mut C<'_>,
        from: NodeId,
        ballot: Ballot,
        last_accepted: Option<Accepted>,
    ) {
        match self.prepares.binary_search_by_key(&from, |(id, _)| *id) {
            Ok(i) => self.prepares[i].1 = last_accepted,
            Err(i) => self.prepares.insert(i, (from, last_accepted)),
        }
        if self.prepares.len() != self.majority() {
            return ctx.debug(format_args!(
                "p1b from {}: {}/{} prepared",
                self.names.of(from),
                self.prepares.len(),
                self.majority()
            ));
        }
        let reported = self.prepares.iter().map(|(_, a)| *a).max().flatten();
        let Some(proposal) = reported.map(|(_, p)| p).or(self.proposal) else {
            return;
        };
        self.proposal = Some(proposal);
        self.accepted = Some((ballot, proposal));
        self.accepts = vec![self.me];
        ctx.leads("leader", &ballot);
        ctx.info(format_args!(
            "p1b quorum for ballot {ballot}: proposing {proposal}{}; p2a Accept to the others",
            if reported.is_some() {
                " (accepted before)"
            } else {
                ""
            }
        ));
        let accept = RegisterMsg::Accept { ballot, proposal };
        ctx.broadcast(self.peers(), &accept);
    }

    /// Phase 2 answers: with a majority the proposal is chosen; the leader tells the others
    /// and answers the client whose put it was.
    fn on_accepted(&mut self, ctx: &mut C<'_>, from: NodeId, ballot: Ballot) {
        if let Err(i) = self.accepts.binary_search(&from) {
            self.accepts.insert(i, from);
        }
        if self.accepts.len() != self.majority() {
            return;
        }
        let Some(proposal) = self.proposal else {
            return;
        };
        self.decided = true;
        ctx.decide(0, &Quoted(proposal.value));
        ctx.info(format_args!(
            "p2b quorum for ballot {ballot}: {proposal} is chosen; Decided to the others, PutOk to {}",
            self.names.of(proposal.client)
        ));
        let decided = RegisterMsg::Decided { ballot, proposal };
        ctx.broadcast(self.peers(), &decided);
        ctx.send(
            proposal.client,
            RegisterMsg::PutOk {
                req_id: proposal.req_id,
            },
        );
    }
}

/// `last accepted 'A' at 1.0`, or `nothing accepted`.
struct ShowAccepted(Option<Accepted>);

impl std::fmt::Display for ShowAccepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some((b, p)) => write!(f, "last accepted {p} at {b}"),
            None => f.write_str("nothing accepted"),
        }
    }
}

/// A value as `decide` events carry it: quoted.
struct Quoted(char);

impl std::fmt::Display for Quoted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
