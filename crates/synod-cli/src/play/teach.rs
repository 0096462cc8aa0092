//! Teaching callouts: after each step of the simulation, say in one sentence what a rule of the
//! protocol just did ("green heard blue@1.3, so it must propose blue (P2c)", "orange's log is
//! behind: its vote is refused (5.4.1)"). Each callout names a rule of the side pane (`rule`),
//! which the page links to. (A scenario's `[[note]]`s come as `note` events of the run, and
//! the collector shows them as callouts of the rule `note`.)
//!
//! The teacher reads the facts the collector kept for the step (message bodies, roles,
//! commits) and, where a message does not say enough, the simulation's state right after the
//! step (a voter's log, a leader's commit index).

use super::draw::{Collector, Raw};
use super::game::Proto;
use super::status;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use synod_core::{Leadership, NodeId};
use synod_sim::Simulation;

/// The rules a callout can point at: (id, protocol, title). The page's rules pane has one
/// entry per id (a test checks it).
pub const RULES: &[(&str, &str, &str)] = &[
    ("p1", "paxos", "Phase 1: promise"),
    ("p2c", "paxos", "P2c: propose the highest value reported"),
    ("chosen", "paxos", "Chosen: a majority accepted"),
    ("nack", "paxos", "nack: a promise is never broken"),
    ("p-disk", "paxos", "What an acceptor keeps on disk"),
    ("r-election", "raft", "5.2 Leader election"),
    ("r-vote", "raft", "5.4.1 Election restriction"),
    ("r-commit", "raft", "5.3 Log replication and commit"),
    ("r-match", "raft", "5.3 Log matching"),
    (
        "r-fig8",
        "raft",
        "5.4.2 Committing entries from previous terms",
    ),
    ("r-term", "raft", "5.1 Terms"),
    ("r-disk", "raft", "Figure 2: persistent state"),
    ("note", "any", "Scenario notes"),
];

type Ballot = (u64, u64);

/// What the p1b a proposer received for a ballot reported: the accepted proposal, if any.
type Reports = BTreeMap<(usize, Ballot), Vec<Option<(Ballot, String)>>>;

fn show(b: Ballot) -> String {
    format!("{}.{}", b.0, b.1)
}

fn ballot(j: &Json) -> Ballot {
    (
        j["round"].as_u64().unwrap_or(0),
        j["proposer"].as_u64().unwrap_or(0),
    )
}

/// Watches the game and explains it.
pub struct Teacher {
    proto: Proto,
    names: Vec<String>,
    bug: Option<String>,
    told: BTreeSet<String>,
    // Paxos.
    reports: Reports,
    proposed: BTreeMap<Ballot, String>,
    accepted_by: BTreeMap<Ballot, BTreeSet<usize>>,
    ballots: BTreeMap<usize, Ballot>,
    // Raft: the last RequestVote each voter got from each candidate: (term, last index, last
    // term); the match index each leader heard from each follower, by term.
    asked: BTreeMap<(usize, usize), (u64, u64, u64)>,
    matched: BTreeMap<(u64, usize), u64>,
    leading: BTreeMap<usize, u64>,
}

impl Teacher {
    /// A teacher for a game of `proto` with these server names, playing `bug` if any.
    pub fn new(proto: Proto, names: Vec<String>, bug: Option<String>) -> Teacher {
        Teacher {
            proto,
            names,
            bug,
            told: BTreeSet::new(),
            reports: BTreeMap::new(),
            proposed: BTreeMap::new(),
            accepted_by: BTreeMap::new(),
            ballots: BTreeMap::new(),
            asked: BTreeMap::new(),
            matched: BTreeMap::new(),
            leading: BTreeMap::new(),
        }
    }

    fn name(&self, i: usize) -> &str {
        self.names.get(i).map_or("?", String::as_str)
    }

    fn quorum(&self) -> usize {
        self.names.len() / 2 + 1
    }

    /// Explain the step just taken.
    pub fn after_step(&mut self, col: &mut Collector, sim: &dyn Simulation) {
        let raws = std::mem::take(&mut col.fresh);
        if raws.is_empty() {
            return;
        }
        let t = sim.now().as_ms_f64();
        let mut out: Vec<(Option<usize>, &'static str, String)> = Vec::new();
        match self.proto {
            Proto::Paxos => {
                for raw in &raws {
                    self.paxos(raw, sim, &mut out);
                }
            }
            Proto::Raft => {
                let mut replies_to = BTreeSet::new();
                for raw in &raws {
                    if let Raw::Deliver { to, kind, .. } = raw {
                        if kind == "AppendReply" {
                            replies_to.insert(*to);
                        }
                    }
                    self.raft(raw, sim, &mut out);
                }
                for leader in replies_to {
                    self.figure8(leader, sim, &mut out);
                }
            }
        }
        for (node, rule, text) in out {
            col.events.push(json!({"kind": "callout", "t": t,
                "node": node.map_or(-1, |n| n as i64), "rule": rule, "text": text}));
        }
    }

    /// Say it once: `key` names the moment.
    fn once(&mut self, key: String) -> bool {
        self.told.insert(key)
    }

    fn paxos(
        &mut self,
        raw: &Raw,
        sim: &dyn Simulation,
        out: &mut Vec<(Option<usize>, &'static str, String)>,
    ) {
        match raw {
            Raw::Deliver { to, kind, body, .. } if kind == "p1b" => {
                let b = ballot(&body["ballot"]);
                let acc = body["accepted"]
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .map(|a| (ballot(&a[0]), a[1].as_str().unwrap_or("?").to_string()));
                self.reports.entry((*to, b)).or_default().push(acc);
            }
            Raw::Role {
                node,
                leadership: Leadership::Seeks,
                epoch,
            } => {
                if let Some(b) = status::paxos_ballot(epoch) {
                    let me = self.name(*node).to_string();
                    let text = match self.ballots.insert(*node, b) {
                        None => format!(
                            "{me} starts ballot {}: it asks every acceptor to promise to ignore lower ballots (p1a).",
                            show(b)
                        ),
                        Some(old) if old != b => format!(
                            "{me} gives up ballot {} and tries a higher one, {}: its phase timed out or was refused.",
                            show(old),
                            show(b)
                        ),
                        Some(_) => return,
                    };
                    out.push((Some(*node), "p1", text));
                }
            }
            Raw::Send {
                from, kind, body, ..
            } if kind == "p2a" => {
                let b = ballot(&body["ballot"]);
                let v = body["value"].as_str().unwrap_or("?").to_string();
                self.proposed.insert(b, v.clone());
                if !self.once(format!("p2a {b:?}")) {
                    return;
                }
                let me = self.name(*from).to_string();
                let heard = self
                    .reports
                    .get(&(*from, b))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .max_by_key(|(ab, _)| *ab)
                    .cloned();
                let text = match heard {
                    None => format!(
                        "{me} has promises for ballot {} from a majority and none reports an accepted value: it may propose its own colour, {v} (P2c).",
                        show(b)
                    ),
                    Some((ab, av)) if av == v => format!(
                        "{me} heard {av}@{} in a p1b, so it must propose {av}, not its own colour (P2c).",
                        show(ab)
                    ),
                    Some((ab, av)) => format!(
                        "{me} heard {av}@{} in a p1b but proposes {v}: the planted bug ignores the reported value, breaking P2c.",
                        show(ab)
                    ),
                };
                out.push((Some(*from), "p2c", text));
            }
            Raw::Send {
                from,
                to,
                kind,
                body,
            } if kind == "reject" => {
                let b = ballot(&body["ballot"]);
                let p = ballot(&body["promised"]);
                if self.once(format!("nack {b:?}")) {
                    let (a, them) = (self.name(*from), self.name(*to));
                    let who = if from == to {
                        format!("{a}'s own acceptor refuses its ballot")
                    } else {
                        format!("{a} refuses {them}'s ballot")
                    };
                    out.push((
                        Some(*from),
                        "nack",
                        format!(
                            "{who} {} with a nack: it promised {}, a higher ballot, and an acceptor never goes back on a promise. {them} must try higher.",
                            show(b),
                            show(p)
                        ),
                    ));
                }
            }
            Raw::Send {
                from, kind, body, ..
            } if kind == "p2b" => {
                let b = ballot(&body["ballot"]);
                let set = self.accepted_by.entry(b).or_default();
                set.insert(*from);
                if set.len() >= self.quorum() && self.once(format!("chosen {b:?}")) {
                    let v = self.proposed.get(&b).cloned().unwrap_or_else(|| "?".into());
                    out.push((
                        None,
                        "chosen",
                        format!(
                            "{v} is chosen: a majority accepted it at ballot {}. From now on every higher ballot must propose {v} (P2c).",
                            show(b)
                        ),
                    ));
                }
            }
            Raw::Restart(n) => {
                let st = sim.statuses().get(*n).cloned().flatten();
                let promised = st
                    .as_ref()
                    .and_then(status::paxos_promised)
                    .map_or("nothing".into(), show);
                let accepted = st
                    .as_ref()
                    .and_then(status::paxos_accepted)
                    .map_or("nothing".into(), |(b, v)| format!("{v}@{}", show(b)));
                out.push((
                    Some(*n),
                    "p-disk",
                    format!(
                        "{} recovers with what it wrote to disk: promised {promised}, accepted {accepted}. It keeps its word.",
                        self.name(*n)
                    ),
                ));
            }
            _ => {}
        }
    }

    fn raft(
        &mut self,
        raw: &Raw,
        sim: &dyn Simulation,
        out: &mut Vec<(Option<usize>, &'static str, String)>,
    ) {
        match raw {
            Raw::Deliver {
                from,
                to,
                kind,
                body,
            } if kind == "RequestVote" => {
                let b = &body[kind];
                self.asked.insert(
                    (*to, *from),
                    (
                        b["term"].as_u64().unwrap_or(0),
                        b["last_log_index"].as_u64().unwrap_or(0),
                        b["last_log_term"].as_u64().unwrap_or(0),
                    ),
                );
            }
            Raw::Deliver {
                from, kind, body, ..
            } if kind == "AppendReply" => {
                let b = &body[kind];
                if b["success"].as_bool() == Some(true) {
                    let term = b["term"].as_u64().unwrap_or(0);
                    let m = b["match_index"].as_u64().unwrap_or(0);
                    let e = self.matched.entry((term, *from)).or_insert(0);
                    *e = (*e).max(m);
                }
            }
            Raw::Send {
                from,
                to,
                kind,
                body,
            } if kind == "Vote" => {
                let b = &body[kind];
                let granted = b["granted"].as_bool() == Some(true);
                let term = b["term"].as_u64().unwrap_or(0);
                let Some(&(_, ci, ct)) = self.asked.get(&(*from, *to)) else {
                    return;
                };
                let Some(mine) = sim
                    .statuses()
                    .get(*from)
                    .cloned()
                    .flatten()
                    .as_ref()
                    .and_then(status::raft_last_log)
                else {
                    return;
                };
                let behind = (ct, ci) < (mine.1, mine.0);
                let (v, c) = (self.name(*from).to_string(), self.name(*to).to_string());
                if behind && !granted && self.once(format!("behind {from} {to} {term}")) {
                    out.push((
                        Some(*from),
                        "r-vote",
                        format!(
                            "{v} refuses to vote for {c}: {c}'s log ({ci}@t{ct}) is behind its own ({}@t{}). A leader must hold every committed entry (5.4.1).",
                            mine.0, mine.1
                        ),
                    ));
                } else if behind && granted {
                    let what = if self.bug.as_deref() == Some("vote-without-up-to-date-check") {
                        "the planted bug skips the check"
                    } else {
                        "the check is missing"
                    };
                    out.push((
                        Some(*from),
                        "r-vote",
                        format!(
                            "{v} votes for {c} although {c}'s log ({ci}@t{ct}) is behind its own ({}@t{}): {what} (5.4.1).",
                            mine.0, mine.1
                        ),
                    ));
                } else if !granted && self.once(format!("one vote {term}")) {
                    out.push((
                        Some(*from),
                        "r-election",
                        format!(
                            "{v} refuses {c} in term {term}: it has already voted in this term, and each server votes once per term (5.2)."
                        ),
                    ));
                }
            }
            Raw::Send {
                from,
                to,
                kind,
                body,
            } if kind == "AppendReply" => {
                let b = &body[kind];
                if b["success"].as_bool() != Some(true) {
                    let term = b["term"].as_u64().unwrap_or(0);
                    let prev = b["prev_log_index"].as_u64().unwrap_or(0);
                    if self.once(format!("mismatch {from} {term} {prev}")) {
                        let (f, l) = (self.name(*from).to_string(), self.name(*to).to_string());
                        out.push((
                            Some(*from),
                            "r-match",
                            format!(
                                "{f} has no entry matching {l}'s at index {prev}: it refuses the entries (5.3). {l} backs up and sends earlier ones."
                            ),
                        ));
                    }
                }
            }
            Raw::Role {
                node,
                leadership,
                epoch,
            } => {
                let term = status::raft_term(epoch).unwrap_or(0);
                let me = self.name(*node).to_string();
                match leadership {
                    Leadership::Seeks if self.once(format!("stand {node} {term}")) => out.push((
                        Some(*node),
                        "r-election",
                        format!(
                            "{me} heard from no leader before its election timer fired: it stands for term {term} and asks for votes (5.2)."
                        ),
                    )),
                    Leadership::Leads => {
                        self.leading.insert(*node, term);
                        out.push((
                            Some(*node),
                            "r-election",
                            format!(
                                "{me} has votes from a majority: it leads term {term}. It appends a no-op and sends AppendEntries (5.2)."
                            ),
                        ));
                    }
                    Leadership::Follows => {
                        if let Some(old) = self.leading.remove(node) {
                            out.push((
                                Some(*node),
                                "r-term",
                                format!(
                                    "{me}, leader of term {old}, sees term {term}: a newer term wins, it steps down (5.1)."
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            Raw::Commit { node, index } => {
                let Some(st) = sim.statuses().get(*node).cloned().flatten() else {
                    return;
                };
                if !st.leader || !self.once(format!("commit {index}")) {
                    return;
                }
                let term = status::raft_term(&st.epoch).unwrap_or(0);
                let view = sim
                    .inspect(NodeId(*node as u32))
                    .map(|s| status::raft_view(&s, &self.names))
                    .unwrap_or_default();
                let at = view.log.get(*index as usize - 1).map_or(term, |c| c.term);
                let me = self.name(*node).to_string();
                let text = if at < term {
                    format!(
                        "{me} commits index {index}, of term {at}, by counting replicas while it leads term {term}: the planted bug. Raft counts only entries of the leader's own term (5.4.2, Figure 8)."
                    )
                } else {
                    format!(
                        "Index {index} is stored on a majority: {me} commits it and applies it; followers learn the commit index in the next AppendEntries (5.3)."
                    )
                };
                let rule = if at < term { "r-fig8" } else { "r-commit" };
                out.push((Some(*node), rule, text));
            }
            Raw::Restart(n) => {
                let st = sim.statuses().get(*n).cloned().flatten();
                let log = st
                    .as_ref()
                    .and_then(status::raft_last_log)
                    .map_or(0, |l| l.0);
                out.push((
                    Some(*n),
                    "r-disk",
                    format!(
                        "{} restarts from disk: its term, its vote and its log ({log} entries) survived; its commit index did not, and it learns it again from the leader.",
                        self.name(*n)
                    ),
                ));
            }
            _ => {}
        }
    }

    /// Figure 8: an entry of an older term is on a majority, and the leader rightly does not
    /// commit it.
    fn figure8(
        &mut self,
        leader: usize,
        sim: &dyn Simulation,
        out: &mut Vec<(Option<usize>, &'static str, String)>,
    ) {
        let Some(st) = sim.statuses().get(leader).cloned().flatten() else {
            return;
        };
        if !st.leader {
            return;
        }
        let term = status::raft_term(&st.epoch).unwrap_or(0);
        let commit = status::raft_commit(&st).unwrap_or(0);
        let last = status::raft_last_log(&st).map_or(0, |l| l.0);
        let n = self.names.len();
        // The first entry past the commit index: on a majority, yet not committed?
        let k = commit + 1;
        if k > last {
            return;
        }
        let on = 1
            + (0..n)
                .filter(|f| *f != leader)
                .filter(|f| self.matched.get(&(term, *f)).is_some_and(|m| *m >= k))
                .count();
        if on < self.quorum() {
            return;
        }
        let view = sim
            .inspect(NodeId(leader as u32))
            .map(|s| status::raft_view(&s, &self.names))
            .unwrap_or_default();
        let Some(at) = view.log.get(k as usize - 1).map(|c| c.term) else {
            return;
        };
        if at < term && self.once(format!("fig8 {term}")) {
            let me = self.name(leader).to_string();
            out.push((
                Some(leader),
                "r-fig8",
                format!(
                    "Index {k} (term {at}) is on {on} of {n} servers, a majority, but {me} leads term {term}: only entries of its own term commit by counting replicas, so it waits (5.4.2, Figure 8)."
                ),
            ));
        }
    }
}
