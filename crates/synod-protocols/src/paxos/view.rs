//! A single-decree Paxos node's state as `synod view` draws it: a proposer's ballot and
//! phase, an acceptor's promise and accepted proposal (Paxos Made Simple, 2.3: what it must
//! remember across failures), and what a learner knows was chosen.

use super::msg::{ShowAccepted, ShowBallot};
use super::node::PaxosNode;
use super::proposer::Phase;
use synod_core::view::StateView;

impl PaxosNode {
    /// Report this node's state (see [`synod_core::view`]).
    pub fn view(&self, v: &mut StateView) {
        if let Some(p) = &self.proposer {
            v.field("role", if p.leader { "leader" } else { "proposer" });
            v.field("ballot", ShowBallot(p.ballot));
            match &p.phase {
                Phase::Waiting => v.field("phase", "waiting"),
                Phase::Preparing { promises, .. } => {
                    v.field("phase", format_args!("p1: {} promises", promises.len()))
                }
                Phase::Accepting { value, accepted } => v.field(
                    "phase",
                    format_args!("p2: {value:?}, {} accepted", accepted.len()),
                ),
                Phase::Done => v.field("phase", "done"),
            }
        }
        if let Some(a) = &self.acceptor {
            v.field("promised", ShowBallot(a.promised));
            v.field("accepted", ShowAccepted(a.accepted.as_ref()));
        }
        if self.learner {
            match &self.decided {
                Some(val) => v.field("decided", format_args!("{val:?}")),
                None => v.field("decided", "-"),
            }
        }
    }
}
