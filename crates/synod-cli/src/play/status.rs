//! What the game reads from a node beyond the typed contract: the one place that knows how the
//! `paxos` and `raft` protocols print their epochs and the status facts that are only for
//! people (`promised`, `accepted`, `commit`, `log`), and how a Raft server's inspection names
//! its log, term and leader.
//!
//! Leadership (a role event's [`synod_core::Leadership`]: leads, seeks, follows), the
//! replicated store and a learner's decision are typed parts of events and of a node's
//! [`NodeStatus`]; the game reads those directly, and the helpers here that return them
//! ([`paxos_decided`], [`raft_store`]) only shape them for the page.

use synod_core::inspect::Inspection;
use synod_core::{Decision, NodeStatus, ShowStore};

/// The Raft term in an epoch as the protocol prints it (`term 3`).
pub fn raft_term(epoch: &str) -> Option<u64> {
    epoch.strip_prefix("term ").and_then(|x| x.parse().ok())
}

/// The Paxos ballot in an epoch as the protocol prints it (`ballot 2.3`): (round, proposer).
pub fn paxos_ballot(epoch: &str) -> Option<(u64, u64)> {
    parse_ballot(epoch.strip_prefix("ballot ")?)
}

/// `2.3` as (round, proposer); `None` for `nothing` or `0.0`.
pub fn parse_ballot(text: &str) -> Option<(u64, u64)> {
    let (r, p) = text.trim().split_once('.')?;
    let b = (r.parse().ok()?, p.parse().ok()?);
    (b != (0, 0)).then_some(b)
}

/// A status fact by name.
pub fn fact<'a>(st: &'a NodeStatus, name: &str) -> Option<&'a str> {
    st.facts
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, v)| v.as_str())
}

/// A Paxos learner's decision (`None` while undecided).
pub fn paxos_decided(st: &NodeStatus) -> Option<String> {
    match &st.decision {
        Some(Decision::Decided(v)) => Some(v.clone()),
        Some(Decision::Pending) | None => None,
    }
}

/// A Paxos acceptor's promise: the ballot it promised, `None` for none.
pub fn paxos_promised(st: &NodeStatus) -> Option<(u64, u64)> {
    fact(st, "promised").and_then(parse_ballot)
}

/// A Paxos acceptor's accepted proposal (`1.2 "blue"`): (ballot, value).
pub fn paxos_accepted(st: &NodeStatus) -> Option<((u64, u64), String)> {
    let text = fact(st, "accepted")?;
    let (b, v) = text.split_once(' ')?;
    Some((parse_ballot(b)?, v.trim_matches('"').to_string()))
}

/// A Raft server's commit index.
pub fn raft_commit(st: &NodeStatus) -> Option<u64> {
    fact(st, "commit").and_then(|c| c.parse().ok())
}

/// A Raft server's store, as printed (`{x: val_3}`).
pub fn raft_store(st: &NodeStatus) -> Option<String> {
    st.store.as_ref().map(|s| ShowStore(s).to_string())
}

/// A Raft server's last log entry: (index, term), from its `log` fact
/// (`4 entries, last term 2`).
pub fn raft_last_log(st: &NodeStatus) -> Option<(u64, u64)> {
    let text = fact(st, "log")?;
    let (n, rest) = text.split_once(" entries, last term ")?;
    Some((n.parse().ok()?, rest.trim().parse().ok()?))
}

/// One entry of a Raft log as the game draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogCell {
    /// The term of the leader that created it.
    pub term: u64,
    /// What it does, shortly: `noop`, `put x`, ...
    pub what: String,
}

/// What the game reads from a Raft server's inspection (`Simulation::inspect`, or
/// `inspect_durable` for a crashed one): its log, and the leader it follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaftView {
    /// The log, index 1 first.
    pub log: Vec<LogCell>,
    /// The leader it knows of (0-based node index).
    pub follows: Option<usize>,
    /// Its current term (read for a crashed server, whose status is gone).
    pub term: Option<u64>,
}

/// Read a Raft server's log (the `log` table: index, term, command), known leader (`leader`)
/// and term (`currentTerm`) from its inspection; `names` are the nodes' names, by id. The
/// protocol's status has only the log's length and last term; the cells need every term.
pub fn raft_view(inspect: &Inspection, names: &[String]) -> RaftView {
    let log = inspect
        .rows("log")
        .unwrap_or_default()
        .iter()
        .map(|row| {
            let term = row.get(1).and_then(|t| t.parse().ok()).unwrap_or(0);
            // `PUT "a" = "val_3"` is drawn as `put a`; `NOOP` as `noop`.
            let mut words = row.get(2).map_or("", String::as_str).split_whitespace();
            let mut what = words.next().unwrap_or("").to_lowercase();
            if let Some(key) = words.next() {
                what = format!("{what} {}", key.trim_matches('"'));
            }
            LogCell { term, what }
        })
        .collect();
    RaftView {
        log,
        follows: inspect
            .field("leader")
            .and_then(|l| names.iter().position(|n| n == l)),
        term: inspect.field("currentTerm").and_then(|t| t.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_core::Time;
    use synod_protocols::{PROTOCOLS, system};

    /// The reader reads the real protocol's inspection: if the Raft server's `inspect`
    /// changes shape, this fails rather than the page quietly drawing empty logs.
    #[test]
    fn reads_a_real_raft_servers_log_and_leader() {
        let sc = PROTOCOLS.parse(
            "t",
            "protocol = \"raft\"\nseed = 3\n[cluster]\nnodes = 3\nclients = 1\n[workload]\nrequests_per_client = 2\nmix = { put = 1 }\nkeys = [\"x\"]\n",
        )
        .unwrap();
        let mut sys = system::build(&sc).unwrap();
        while sys.sim.now() < Time::ms(3000) && !sys.sim.clients_done() {
            sys.sim.step();
        }
        let statuses = sys.sim.statuses();
        let names: Vec<String> = sys.sim.specs().iter().map(|n| n.name.clone()).collect();
        let mut followers = 0;
        for i in 0..3 {
            let st = statuses[i].as_ref().unwrap();
            let view = raft_view(
                &sys.sim.inspect(synod_core::NodeId(i as u32)).unwrap(),
                &names,
            );
            let (len, last) = raft_last_log(st).unwrap();
            assert_eq!(view.log.len() as u64, len, "{view:?}");
            assert_eq!(view.log.last().map_or(0, |c| c.term), last);
            assert_eq!(view.log[0].what, "noop");
            assert!(
                view.log.iter().skip(1).all(|c| c.what == "put x"),
                "{view:?}"
            );
            if !st.leader {
                followers += 1;
                let leader = view.follows.expect("a follower knows its leader");
                assert!(statuses[leader].as_ref().unwrap().leader);
            }
        }
        assert_eq!(followers, 2);
        // A crashed server's durable state has its log too.
        sys.sim.crash(synod_core::NodeId(0));
        let view = raft_view(
            &sys.sim.inspect_durable(synod_core::NodeId(0)).unwrap(),
            &names,
        );
        assert!(view.log.len() >= 2, "{view:?}");
        assert!(view.term.is_some_and(|t| t >= 1), "{view:?}");
    }

    #[test]
    fn paxos_facts_and_epochs() {
        assert_eq!(parse_ballot("2.3"), Some((2, 3)));
        assert_eq!(parse_ballot("nothing"), None);
        assert_eq!(paxos_ballot("ballot 1.2"), Some((1, 2)));
        assert_eq!(raft_term("term 7"), Some(7));
        let mut st = NodeStatus {
            facts: vec![
                ("promised", "2.1".into()),
                ("accepted", "1.3 \"blue\"".into()),
            ],
            decision: Some(Decision::Pending),
            config: None,
            ..NodeStatus::default()
        };
        assert_eq!(paxos_promised(&st), Some((2, 1)));
        assert_eq!(paxos_accepted(&st), Some(((1, 3), "blue".into())));
        assert_eq!(paxos_decided(&st), None);
        st.decision = Some(Decision::Decided("blue".into()));
        assert_eq!(paxos_decided(&st), Some("blue".into()));
    }
}
