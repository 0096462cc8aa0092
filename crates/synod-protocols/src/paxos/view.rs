//! A single-decree Paxos node's state as `synod view` draws it: a proposer's ballot and
//! phase, an acceptor's promise and accepted proposal (Paxos Made Simple, 2.3: what it must
//! remember across failures), and what a learner knows was chosen; and as `inspect` shows it,
//! one part per role.

use super::acceptor::Acceptor;
use super::msg::{ShowAccepted, ShowBallot};
use super::node::{Durable, PaxosNode};
use super::proposer::Phase;
use synod_core::inspect::Inspect;
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

/// An acceptor's state: all of it is what it keeps on disk (2.3).
fn acceptor(out: &mut Inspect<'_>, a: &Acceptor) {
    out.part("acceptor");
    out.field("promised", ShowBallot(a.promised));
    out.field("accepted", ShowAccepted(a.accepted.as_ref()));
}

impl PaxosNode {
    /// Describe this node for `inspect`: a part per role it plays.
    pub fn inspect(&self, out: &mut Inspect<'_>, quorum: usize) {
        if let Some(p) = &self.proposer {
            out.part("proposer");
            out.field("value", format_args!("{:?}", p.value));
            out.field("ballot", ShowBallot(p.ballot));
            out.field("maxRound", p.max_round);
            let phase = match &p.phase {
                Phase::Waiting => "waiting (start delay or retry timeout)".to_string(),
                Phase::Preparing { promises, highest } => format!(
                    "1: promised by {} ({} of {quorum} needed); highest reported {}",
                    out.names(promises),
                    promises.len(),
                    ShowAccepted(highest.as_ref())
                ),
                Phase::Accepting { value, accepted } => format!(
                    "2: proposing {value:?}, accepted by {} ({} of {quorum} needed)",
                    out.names(accepted),
                    accepted.len()
                ),
                Phase::Done => "done: it knows the chosen value".to_string(),
            };
            out.field("phase", phase);
            out.field("leads", if p.leader { "yes" } else { "no" });
        }
        if let Some(a) = &self.acceptor {
            acceptor(out, a);
        }
        if self.learner {
            out.part("learner");
            match &self.decided {
                Some(v) => out.field("decided", format_args!("{v:?}")),
                None => out.field("decided", "nothing yet"),
            };
        }
    }
}

/// Describe what a crashed node kept: its acceptor's state, the highest round its proposer
/// tried, and the value it learned.
pub(super) fn inspect_durable(d: &Durable, out: &mut Inspect<'_>) {
    acceptor(out, &d.acceptor);
    out.part("proposer");
    out.field("maxRound", d.max_round);
    out.part("learner");
    match &d.decided {
        Some(v) => out.field("decided", format_args!("{v:?}")),
        None => out.field("decided", "nothing yet"),
    };
}
