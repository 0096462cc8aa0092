//! What the page draws, collected from the simulation's events: each message sent between
//! servers (labelled as the games label them and coloured by the leader of its ballot or term),
//! deliveries and drops, crashes, roles, decisions, commits, the narration, the faults and the
//! scenario's notes (as callouts). The
//! list of records is the game's timeline: the page asks for the records after its cursor.
//!
//! The collector also keeps the raw facts of the last step (message bodies, roles, commits)
//! for the teacher ([`super::teach`]), which explains them with the simulation at hand.

use super::game::Proto;
use super::status;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use synod_core::{Event, EventKind, Leadership, Level, NodeId, Observer, Violation};

/// A message between servers, from its send to its delivery or drop.
#[derive(Clone, Debug)]
pub struct Flight {
    /// Sender.
    pub from: usize,
    /// Receiver.
    pub to: usize,
    /// The message kind (`p1a`, `AppendEntries`, ...).
    pub kind: String,
    /// The label drawn on it (`p1b(1.2, blue@1.1)`).
    pub label: String,
    /// A short label for narrow screens (`1b 1.2 B`).
    pub short: String,
    /// The node whose colour it takes (-1: none).
    pub colour: i64,
    /// When it was sent, in virtual ms.
    pub sent: f64,
    /// A Raft heartbeat (an empty AppendEntries) or the reply to one: drawn small, folded.
    pub heartbeat: bool,
}

/// A fact of the last step, for the teacher.
#[derive(Clone, Debug)]
pub enum Raw {
    /// A server sent a message to a server.
    Send {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
        /// Its kind.
        kind: String,
        /// Its body as JSON.
        body: Json,
    },
    /// A message between servers arrived.
    Deliver {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
        /// Its kind.
        kind: String,
        /// Its body as JSON.
        body: Json,
    },
    /// A node took a role in an epoch.
    Role {
        /// The node.
        node: usize,
        /// What the role means for leadership (leads, seeks, follows).
        leadership: Leadership,
        /// The epoch, as printed.
        epoch: String,
    },
    /// A Raft node's commit index moved.
    Commit {
        /// The node.
        node: usize,
        /// The new commit index.
        index: u64,
    },
    /// A node restarted from its durable state.
    Restart(usize),
}

/// Collects the game's timeline from the simulation's events.
pub struct Collector {
    proto: Proto,
    servers: usize,
    names: Vec<String>,
    /// The records the page draws, in order; the page's cursor indexes this list.
    pub events: Vec<Json>,
    /// Messages in flight between servers, by message id.
    pub open: BTreeMap<u64, Flight>,
    /// Raft: the node that stood for (or leads) each term; its messages take that colour.
    pub term_owner: BTreeMap<u64, usize>,
    /// Epochs started (ballots tried, terms campaigned): the game's rounds.
    pub rounds: BTreeSet<String>,
    /// The facts of the current step, drained by the teacher.
    pub fresh: Vec<Raw>,
}

/// Replace `node K` (1-based, as the protocols and checkers print a node) by the node's name.
pub fn name_nodes(text: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("node ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let name = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|k| *k >= 1)
            .and_then(|k| names.get(k - 1));
        match name {
            Some(n) if digits > 0 => out.push_str(n),
            _ => out.push_str(&rest[at..at + 5 + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The capital initial of a node's name, for short labels.
fn initial(names: &[String], i: usize) -> String {
    names
        .get(i)
        .and_then(|n| n.chars().next())
        .map_or("?".into(), |c| c.to_ascii_uppercase().to_string())
}

fn ballot_of(b: &Json) -> (String, i64) {
    (
        format!("{}.{}", b["round"], b["proposer"]),
        b["proposer"].as_i64().unwrap_or(0) - 1,
    )
}

impl Collector {
    /// A collector for a game of `proto` with these server names.
    pub fn new(proto: Proto, names: Vec<String>) -> Collector {
        Collector {
            proto,
            servers: names.len(),
            names,
            events: Vec::new(),
            open: BTreeMap::new(),
            term_owner: BTreeMap::new(),
            rounds: BTreeSet::new(),
            fresh: Vec::new(),
        }
    }

    /// The value's colour index (a Paxos value is its proposer's colour name).
    fn colour_of_value(&self, v: &str) -> i64 {
        self.names
            .iter()
            .position(|n| n == v)
            .map_or(-1, |i| i as i64)
    }

    /// (label, short label, colour) of a Paxos message.
    fn paxos_label(&self, kind: &str, j: &Json) -> (String, String, i64) {
        let init = |v: &str| {
            self.names
                .iter()
                .position(|n| n == v)
                .map_or_else(|| v.to_string(), |i| initial(&self.names, i))
        };
        match kind {
            "p1a" | "p2b" => {
                let (b, c) = ballot_of(&j["ballot"]);
                (format!("{kind}({b})"), format!("{} {b}", &kind[1..]), c)
            }
            "p1b" => {
                let (b, c) = ballot_of(&j["ballot"]);
                match j["accepted"].as_array() {
                    Some(a) if a.len() == 2 => {
                        let (ab, _) = ballot_of(&a[0]);
                        let v = a[1].as_str().unwrap_or("?");
                        (
                            format!("p1b({b}, {v}@{ab})"),
                            format!("1b {b} {}", init(v)),
                            c,
                        )
                    }
                    _ => (format!("p1b({b}, -)"), format!("1b {b}"), c),
                }
            }
            "p2a" => {
                let (b, c) = ballot_of(&j["ballot"]);
                let v = j["value"].as_str().unwrap_or("?");
                (format!("p2a({b}, {v})"), format!("2a {b} {}", init(v)), c)
            }
            "reject" => {
                let (b, c) = ballot_of(&j["ballot"]);
                let (p, _) = ballot_of(&j["promised"]);
                (format!("nack({b} < {p})"), format!("nack {b}"), c)
            }
            "p3" => {
                let v = j["value"].as_str().unwrap_or("?");
                (
                    format!("p3({v})"),
                    format!("3 {}", init(v)),
                    self.colour_of_value(v),
                )
            }
            other => (other.to_string(), other.to_string(), -1),
        }
    }

    /// (label, short label, colour, heartbeat) of a Raft message.
    fn raft_label(&mut self, from: usize, kind: &str, j: &Json) -> (String, String, i64, bool) {
        let body = &j[kind];
        let term = body["term"].as_u64().unwrap_or(0);
        if kind == "RequestVote" {
            self.term_owner.entry(term).or_insert(from);
        }
        let colour = self.term_owner.get(&term).map_or(-1, |n| *n as i64);
        let yes = |k: &str| body[k].as_bool() == Some(true);
        let (label, short, hb) = match kind {
            "RequestVote" => (
                format!(
                    "RequestVote(t{term}, {}@t{})",
                    body["last_log_index"], body["last_log_term"]
                ),
                format!("RV t{term}"),
                false,
            ),
            "Vote" => {
                let v = if yes("granted") { "yes" } else { "no" };
                let s = if yes("granted") { "✓" } else { "✗" };
                (
                    format!("Vote(t{term}, {v})"),
                    format!("V t{term} {s}"),
                    false,
                )
            }
            "AppendEntries" => {
                let n = body["entries"].as_array().map_or(0, Vec::len);
                if n == 0 {
                    (format!("heartbeat(t{term})"), format!("♥ t{term}"), true)
                } else {
                    (
                        format!("AppendEntries(t{term}, +{n})"),
                        format!("AE t{term} +{n}"),
                        false,
                    )
                }
            }
            "AppendReply" => {
                let hb = yes("success") && body["len"].as_u64() == Some(0);
                let (v, s) = if yes("success") {
                    ("ok", "✓")
                } else {
                    ("no", "✗")
                };
                (
                    format!("AppendReply(t{term}, {v})"),
                    format!("AR t{term} {s}"),
                    hb,
                )
            }
            other => (
                format!("{other}(t{term})"),
                format!("{other} t{term}"),
                false,
            ),
        };
        (label, short, colour, hb)
    }

    fn body(msg: &dyn synod_core::TraceMsg) -> Json {
        serde_json::from_str(&msg.to_json()).unwrap_or(Json::Null)
    }
}

impl Observer for Collector {
    fn level(&self) -> Option<Level> {
        Some(Level::Info)
    }

    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        let t = ev.time.as_ms_f64();
        let node = ev.node.map(NodeId::index);
        let n = node.map_or(-1, |n| n as i64);
        let servers = self.servers;
        let server = |id: usize| id < servers;
        let record = match ev.kind {
            EventKind::Send { to, msg_id, msg } => {
                let from = node.unwrap_or(0);
                if !server(from) || !server(to.index()) {
                    // A client's requests and replies: narrated in the log only.
                    None
                } else {
                    let j = Self::body(msg);
                    let kind = msg.kind().to_string();
                    let (label, short, colour, heartbeat) = match self.proto {
                        Proto::Raft => self.raft_label(from, &kind, &j),
                        Proto::Paxos => {
                            let (l, s, c) = self.paxos_label(&kind, &j);
                            (l, s, c, false)
                        }
                    };
                    let text = name_nodes(&msg.to_string(), &self.names);
                    self.open.insert(
                        msg_id,
                        Flight {
                            from,
                            to: to.index(),
                            kind: kind.clone(),
                            label: label.clone(),
                            short: short.clone(),
                            colour,
                            sent: t,
                            heartbeat,
                        },
                    );
                    self.fresh.push(Raw::Send {
                        from,
                        to: to.index(),
                        kind: kind.clone(),
                        body: j,
                    });
                    Some(
                        json!({"kind": "send", "from": from, "to": to.index(), "id": msg_id,
                        "msg": kind, "label": label, "short": short, "colour": colour,
                        "heartbeat": heartbeat, "text": text}),
                    )
                }
            }
            EventKind::Deliver { from, msg_id, msg } => {
                let open = self.open.remove(&msg_id);
                if open.is_some() {
                    self.fresh.push(Raw::Deliver {
                        from: from.index(),
                        to: node.unwrap_or(0),
                        kind: msg.kind().to_string(),
                        body: Self::body(msg),
                    });
                }
                open.map(|_| json!({"kind": "deliver", "node": n, "id": msg_id}))
            }
            EventKind::Drop { msg_id, reason, .. } => self
                .open
                .remove(&msg_id)
                .map(|_| json!({"kind": "drop", "node": n, "id": msg_id, "reason": reason.name()})),
            EventKind::Crash => Some(json!({"kind": "crash", "node": n})),
            EventKind::Restart => {
                if let Some(i) = node {
                    self.fresh.push(Raw::Restart(i));
                }
                Some(json!({"kind": "restart", "node": n}))
            }
            EventKind::Role {
                role,
                epoch,
                leadership,
            } => {
                let epoch = epoch.to_string();
                // A Raft node that leads or stands for a term owns it (the term takes its
                // colour); a node that seeks an epoch of its own starts one of the game's rounds.
                if let (Some(id), Some(term)) = (node, status::raft_term(&epoch)) {
                    if leadership != Leadership::Follows {
                        self.term_owner.insert(term, id);
                    }
                }
                if leadership == Leadership::Seeks {
                    self.rounds.insert(epoch.clone());
                }
                if let Some(i) = node {
                    self.fresh.push(Raw::Role {
                        node: i,
                        leadership,
                        epoch: epoch.clone(),
                    });
                }
                Some(json!({"kind": "role", "node": n, "role": role, "epoch": epoch}))
            }
            EventKind::Decide { value, .. } => {
                Some(json!({"kind": "decide", "node": n, "value": value.to_string()}))
            }
            EventKind::Commit { index } => {
                if let Some(i) = node {
                    self.fresh.push(Raw::Commit { node: i, index });
                }
                Some(json!({"kind": "commit", "node": n, "index": index}))
            }
            EventKind::Log { level, text } if level <= Level::Info => Some(json!({
                "kind": "log", "node": n, "level": level,
                "text": name_nodes(&text.to_string(), &self.names),
            })),
            EventKind::Fault { fault } => Some(json!({"kind": "fault", "text": fault.to_string()})),
            // A scenario's note, shown as a callout of its own rule.
            EventKind::Note { text } => {
                Some(json!({"kind": "callout", "node": -1, "rule": "note", "text": text}))
            }
            _ => None,
        };
        if let Some(mut r) = record {
            r["t"] = json!(t);
            self.events.push(r);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_named_by_colour() {
        let names: Vec<String> = ["red", "green", "blue"].map(String::from).to_vec();
        assert_eq!(
            name_nodes(
                "index 3 committed with term 1 by node 1 but with term 2 by node 3",
                &names
            ),
            "index 3 committed with term 1 by red but with term 2 by blue"
        );
        assert_eq!(name_nodes("node 9 and node x", &names), "node 9 and node x");
        assert_eq!(name_nodes("no nodes here", &names), "no nodes here");
        assert_eq!(name_nodes("node 2", &names), "green");
    }
}
