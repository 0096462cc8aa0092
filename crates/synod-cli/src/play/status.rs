//! What the game reads from a node beyond the typed contract: the one place that knows how the
//! `paxos` and `raft` protocols print their epochs and the status facts that are only for
//! people (`promised`, `accepted`, `commit`, `log`), and how a Raft server prints its log.
//!
//! Leadership (a role event's [`synod_core::Leadership`]: leads, seeks, follows), the
//! replicated store and a learner's decision are typed parts of events and of a node's
//! [`NodeStatus`]; the game reads those directly, and the helpers here that return them
//! ([`paxos_decided`], [`raft_store`]) only shape them for the page.

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

/// What the game reads from a Raft server's full state (as `Simulation::inspect` or
/// `inspect_durable` pretty-print it): its log, and the leader it follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaftView {
    /// The log, index 1 first.
    pub log: Vec<LogCell>,
    /// The leader it knows of (0-based node index).
    pub follows: Option<usize>,
    /// Its current term (read for a crashed server, whose status is gone).
    pub term: Option<u64>,
}

/// Read a Raft server's log and known leader from its pretty-printed (`{:#?}`) state. The
/// protocol's status has only the log's length and last term; the cells need every term.
pub fn raft_view(inspect: &str) -> RaftView {
    let mut view = RaftView::default();
    let mut lines = inspect.lines().map(str::trim).peekable();
    let mut in_log = false;
    while let Some(line) = lines.next() {
        if let Some(t) = line.strip_prefix("current_term: ") {
            view.term = t.trim_end_matches(',').parse().ok();
        } else if line == "entries: [" {
            in_log = true;
        } else if in_log && line == "Entry {" {
            let mut cell = LogCell {
                term: 0,
                what: String::new(),
            };
            // The entry's fields, up to its closing brace at the same depth.
            let mut depth = 1;
            for l in lines.by_ref() {
                if let Some(t) = l.strip_prefix("term: ") {
                    if depth == 1 {
                        cell.term = t.trim_end_matches(',').parse().unwrap_or(0);
                    }
                } else if let Some(c) = l.strip_prefix("cmd: ") {
                    cell.what = c.trim_end_matches([',', '{', ' ']).to_lowercase();
                } else if let Some(k) = l.strip_prefix("key: ") {
                    if !cell.what.contains(' ') {
                        cell.what = format!(
                            "{} {}",
                            cell.what,
                            k.trim_end_matches(',').trim_matches('"')
                        );
                    }
                }
                depth += l.matches(['{', '(', '[']).count();
                depth -= l.matches(['}', ')', ']']).count().min(depth);
                if depth == 0 {
                    break;
                }
            }
            view.log.push(cell);
        } else if in_log && line.starts_with(']') {
            in_log = false;
        } else if line == "leader: Some(" {
            // leader: Some(\n NodeId(\n 3,\n ),\n ),
            if lines.next() == Some("NodeId(") {
                view.follows = lines
                    .next()
                    .and_then(|n| n.trim_end_matches(',').parse().ok());
            }
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_core::Time;
    use synod_protocols::{PROTOCOLS, system};

    /// The parser reads the real protocol's output: if the Raft server's `Debug` changes shape,
    /// this fails rather than the page quietly drawing empty logs.
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
        let mut followers = 0;
        for i in 0..3 {
            let st = statuses[i].as_ref().unwrap();
            let view = raft_view(&sys.sim.inspect(synod_core::NodeId(i as u32)).unwrap());
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
        let view = raft_view(&sys.sim.inspect_durable(synod_core::NodeId(0)).unwrap());
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
            ..NodeStatus::default()
        };
        assert_eq!(paxos_promised(&st), Some((2, 1)));
        assert_eq!(paxos_accepted(&st), Some(((1, 3), "blue".into())));
        assert_eq!(paxos_decided(&st), None);
        st.decision = Some(Decision::Decided("blue".into()));
        assert_eq!(paxos_decided(&st), Some("blue".into()));
    }
}
