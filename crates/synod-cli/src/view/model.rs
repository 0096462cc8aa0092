//! A trace read for drawing: its events in order, messages paired from send to delivery (or
//! drop), client operations from invocation to return, narration and state changes attached
//! to the event they belong to, the violation that stopped the run, the partitions in force,
//! and the linearizability verdict on the client history.

use crate::UsageError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use synod_check::{Budget, ModelKind, Verdict, check_history, parse_trace};
use synod_protocols::judge::LIN_STEP_BUDGET;

/// A node of the run, from the trace's header.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct NodeInfo {
    /// Its name (`n1`, `acceptor 2`).
    pub name: String,
    /// Its role (`server`, `acceptor`, `client`).
    pub role: String,
    /// Whether it is a client.
    pub client: bool,
}

/// What an event is, with what the viewer needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// First start.
    Start,
    /// Crash.
    Crash,
    /// Restart from durable state.
    Restart,
    /// A message leaves (index into [`Model::arrows`]).
    Send(usize),
    /// A message arrives.
    Deliver(usize),
    /// A message is lost.
    Drop(usize),
    /// A timer fires.
    Timer(String),
    /// A fault strikes.
    Fault(String),
    /// A client invokes an operation (index into [`Model::ops`]).
    Invoke(usize),
    /// A client operation returns.
    Return(usize),
    /// A learner learns a chosen value.
    Decide(u64, String),
    /// A replica applies a command: index, `command -> result`.
    Apply(u64, String),
    /// A node takes a role: role, epoch, and what the role means (`leads`, `seeks`, `follows`:
    /// the trace's `leadership`).
    Role(String, String, String),
    /// Raft's commit index advances.
    Commit(u64),
    /// A note of the scenario (`[[note]]`) is shown: its text.
    Note(String),
    /// A kind this viewer does not know (a newer trace): shown by name.
    Other(String),
}

/// One numbered event.
#[derive(Clone, Debug)]
pub struct Event {
    /// Its `seq`.
    pub seq: u64,
    /// Virtual time, microseconds.
    pub time: u64,
    /// Where it happened (`None` for faults and notes).
    pub node: Option<u32>,
    /// What it is.
    pub kind: Kind,
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Delivered.
    Delivered,
    /// Dropped, and why (`lost`, `partitioned`, `node down`, ...).
    Dropped(String),
    /// Still in flight when the trace ends.
    InFlight,
}

/// A message from its send to its delivery or drop (one arrow of the space-time diagram). A
/// duplicated message is two arrows from one send.
#[derive(Clone, Debug)]
pub struct Arrow {
    /// Sender.
    pub from: u32,
    /// Receiver.
    pub to: u32,
    /// When it was sent.
    pub sent: u64,
    /// When it was delivered or dropped (`None`: in flight at the end).
    pub end: Option<u64>,
    /// Its kind (`AppendEntries`, `p1a`).
    pub kind: String,
    /// The message as JSON.
    pub body: String,
    /// The send event.
    pub send_ev: usize,
    /// The delivery or drop event.
    pub end_ev: Option<usize>,
    /// What became of it.
    pub fate: Fate,
}

/// How a client operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OpClass {
    /// It took effect and succeeded.
    Ok,
    /// It took effect as a failure the store defines (`key not found`).
    Error,
    /// The client gave up: it may or may not have taken effect.
    Unknown,
    /// It never returned.
    Pending,
}

/// A client operation from invocation to return.
#[derive(Clone, Debug)]
pub struct Op {
    /// The client.
    pub client: u32,
    /// `PUT "a" = "val_3"`.
    pub text: String,
    /// Invocation time.
    pub invoked: u64,
    /// The invoke event.
    pub invoke_ev: usize,
    /// Return time and event, and the result as printed.
    pub returned: Option<(u64, usize, String)>,
    /// How it ended.
    pub class: OpClass,
    /// The trace line of the invocation (how the linearizability checker names it).
    line: u64,
}

/// A line of narration.
#[derive(Clone, Debug)]
pub struct LogLine {
    /// The event it belongs to.
    pub event: usize,
    /// Who says it: `None` for the protocol's observer of the whole cluster (or the
    /// simulator, about a fault it skipped).
    pub node: Option<u32>,
    /// 0 error .. 4 trace.
    pub level: u8,
    /// Its text.
    pub text: String,
}

/// One change of a node's state (a `state` line holds several).
#[derive(Clone, Debug)]
pub struct StateChange {
    /// The input event that changed it.
    pub event: usize,
    /// The node.
    pub node: u32,
    /// `term`, `log/8`, `store/a`.
    pub key: String,
    /// The new value (a row's cells joined by U+001F); `None`: gone.
    pub value: Option<String>,
}

/// A node's role from a time on (until its next segment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// When it started.
    pub from: u64,
    /// `leader`, `follower`, `candidate`, `standby`, ...
    pub role: String,
    /// `t3` (a term) or `1.2` (a ballot); empty if none.
    pub epoch: String,
    /// What the role means, as role events say it: `leads`, `seeks`, `follows`; empty if the
    /// trace never said (a role only state fields name).
    pub leadership: String,
}

/// A partition in force over a time span: the groups that cannot reach each other.
#[derive(Clone, Debug)]
pub struct Band {
    /// When it started.
    pub from: u64,
    /// When it was healed (`None`: at the end of the trace).
    pub to: Option<u64>,
    /// The groups, by node.
    pub groups: Vec<Vec<u32>>,
    /// The fault as printed.
    pub label: String,
}

/// The violation that stopped the run.
#[derive(Clone, Debug)]
pub struct ViolationMark {
    /// The event it was found at.
    pub event: usize,
    /// The property.
    pub property: String,
    /// What is wrong.
    pub detail: String,
}

/// The linearizability verdict on the client history.
#[derive(Clone, Debug)]
pub struct Lin {
    /// `linearizable`, `NOT linearizable` or `unknown`.
    pub verdict: String,
    /// One line: `linearizable (15 operations, 4 keys)`.
    pub summary: String,
    /// The explanation of a `NOT linearizable`.
    pub why: Option<String>,
    /// The operation that cannot be placed (index into [`Model::ops`]).
    pub blocked: Option<usize>,
    /// The operations that could have come next, none of which works.
    pub candidates: Vec<usize>,
}

/// A trace, read for drawing.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// The protocol.
    pub protocol: String,
    /// The seed.
    pub seed: u64,
    /// The nodes, by id.
    pub nodes: Vec<NodeInfo>,
    /// Every numbered event, in order.
    pub events: Vec<Event>,
    /// The messages.
    pub arrows: Vec<Arrow>,
    /// The client operations.
    pub ops: Vec<Op>,
    /// The narration.
    pub logs: Vec<LogLine>,
    /// The state changes.
    pub states: Vec<StateChange>,
    /// Partitions in force.
    pub bands: Vec<Band>,
    /// The violation that stopped the run, if any.
    pub violation: Option<ViolationMark>,
    /// The linearizability verdict (`None`: no client operations).
    pub lin: Option<Lin>,
    /// The time of the last event.
    pub end: u64,
}

#[derive(Deserialize)]
struct Header {
    schema: Option<String>,
    version: Option<u64>,
    protocol: Option<String>,
    seed: Option<u64>,
    nodes: Option<Vec<NodeInfo>>,
}

#[derive(Deserialize)]
struct Line {
    seq: u64,
    time_us: u64,
    node: Option<u32>,
    kind: String,
    to: Option<u32>,
    from: Option<u32>,
    msg_id: Option<u64>,
    msg_kind: Option<String>,
    msg: Option<serde_json::Value>,
    reason: Option<String>,
    timer: Option<String>,
    level: Option<String>,
    text: Option<String>,
    fault: Option<String>,
    op_id: Option<u64>,
    op: Option<OpJson>,
    result: Option<serde_json::Value>,
    instance: Option<u64>,
    value: Option<String>,
    index: Option<u64>,
    command: Option<String>,
    role: Option<String>,
    epoch: Option<String>,
    leadership: Option<String>,
    set: Option<serde_json::Map<String, serde_json::Value>>,
    unset: Option<Vec<String>>,
    property: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct OpJson {
    f: String,
    key: String,
    value: Option<String>,
}

impl OpJson {
    /// `PUT "a" = "val_3"`, as the narration prints operations.
    fn text(&self) -> String {
        let mut s = format!("{} {:?}", self.f.to_uppercase(), self.key);
        if let Some(v) = &self.value {
            s.push_str(&format!(" = {v:?}"));
        }
        s
    }
}

/// `"val_3"`, `OK`, `ERROR key not found: a`, `UNKNOWN (timed out)`, as the narration prints
/// results; and the class of the result.
fn result_text(v: &serde_json::Value) -> (String, OpClass) {
    match v["type"].as_str() {
        Some("ok") => match v["value"].as_str() {
            Some(val) => (format!("{val:?}"), OpClass::Ok),
            None => ("OK".into(), OpClass::Ok),
        },
        Some("error") => (
            format!("ERROR {}", v["error"].as_str().unwrap_or("")),
            OpClass::Error,
        ),
        _ => ("UNKNOWN (timed out)".into(), OpClass::Unknown),
    }
}

fn level_of(s: &str) -> u8 {
    match s {
        "error" => 0,
        "warn" => 1,
        "info" => 2,
        "debug" => 3,
        _ => 4,
    }
}

/// The separator of a row's cells in [`StateChange::value`].
pub const CELL_SEP: char = '\u{1f}';

impl Model {
    /// Read a trace. `name` names the file in error messages (`file:line: ...`).
    pub fn parse(name: &str, text: &str) -> Result<Model, UsageError> {
        let bad = |line: usize, why: String| UsageError(format!("{name}:{line}: {why}"));
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((hi, header)) = lines.next() else {
            return Err(UsageError(format!(
                "{name}: empty file: a synod trace starts with a header line (docs/trace.md)"
            )));
        };
        let h: Header = serde_json::from_str(header)
            .map_err(|e| bad(hi + 1, format!("not a synod trace header: {e}")))?;
        if h.schema.as_deref() != Some("synod-trace") {
            return Err(bad(
                hi + 1,
                "not a synod trace: the first line must be the header {\"schema\":\"synod-trace\",\"version\":1,...} (write one with synod run --trace FILE)".into(),
            ));
        }
        if h.version != Some(1) {
            return Err(bad(
                hi + 1,
                format!(
                    "synod trace version {} is not supported (this viewer reads version 1)",
                    h.version.map_or("(none)".into(), |v| v.to_string())
                ),
            ));
        }
        let nodes = h.nodes.unwrap_or_default();
        let n = nodes.len() as u32;
        let mut m = Model {
            protocol: h.protocol.unwrap_or_default(),
            seed: h.seed.unwrap_or(0),
            nodes,
            ..Model::default()
        };
        // msg_id -> the arrow waiting for its delivery or drop.
        let mut open: HashMap<u64, usize> = HashMap::new();
        let mut by_seq: HashMap<u64, usize> = HashMap::new();
        let mut ops_open: HashMap<(u32, u64), usize> = HashMap::new();
        let mut op_lines: HashMap<u64, usize> = HashMap::new();
        let mut pending_violation: Option<(u64, String, String)> = None;
        for (i, raw) in lines {
            let at = i + 1;
            let l: Line = serde_json::from_str(raw)
                .map_err(|e| bad(at, format!("not a trace event: {e}")))?;
            let check_node = |node: Option<u32>, key: &str| match node {
                Some(x) if x >= n => Err(bad(
                    at,
                    format!(
                        "`{key}` is {x}, but the header lists {n} nodes (ids 0..{})",
                        n.saturating_sub(1)
                    ),
                )),
                _ => Ok(()),
            };
            check_node(l.node, "node")?;
            check_node(l.to, "to")?;
            check_node(l.from, "from")?;
            let need = |what: Option<u32>, key: &str| {
                what.ok_or_else(|| bad(at, format!("a `{}` event needs `{key}`", l.kind)))
            };
            let attach = |m: &Model, seq: u64| -> usize {
                by_seq
                    .get(&seq)
                    .copied()
                    .unwrap_or(m.events.len().saturating_sub(1))
            };
            match l.kind.as_str() {
                "log" => {
                    if !m.events.is_empty() {
                        m.logs.push(LogLine {
                            event: attach(&m, l.seq),
                            node: l.node,
                            level: level_of(l.level.as_deref().unwrap_or("info")),
                            text: l.text.unwrap_or_default(),
                        });
                    }
                    continue;
                }
                "state" => {
                    let node = need(l.node, "node")?;
                    if m.events.is_empty() {
                        continue;
                    }
                    let event = attach(&m, l.seq);
                    for key in l.unset.unwrap_or_default() {
                        m.states.push(StateChange {
                            event,
                            node,
                            key,
                            value: None,
                        });
                    }
                    for (key, v) in l.set.unwrap_or_default() {
                        let value = match v {
                            serde_json::Value::String(s) => s,
                            serde_json::Value::Array(cells) => cells
                                .iter()
                                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                                .join(&CELL_SEP.to_string()),
                            other => other.to_string(),
                        };
                        m.states.push(StateChange {
                            event,
                            node,
                            key,
                            value: Some(value),
                        });
                    }
                    continue;
                }
                "violation" => {
                    pending_violation = Some((
                        l.seq,
                        l.property.unwrap_or_default(),
                        l.detail.unwrap_or_default(),
                    ));
                    continue;
                }
                _ => {}
            }
            if let Some(last) = m.events.last() {
                if l.time_us < last.time {
                    return Err(bad(
                        at,
                        format!(
                            "time goes backwards ({} us after {} us): events must be in the order of the run",
                            l.time_us, last.time
                        ),
                    ));
                }
            }
            let idx = m.events.len();
            let kind = match l.kind.as_str() {
                "start" => Kind::Start,
                "crash" => Kind::Crash,
                "restart" => Kind::Restart,
                "send" => {
                    let from = need(l.node, "node")?;
                    let to = need(l.to, "to")?;
                    let msg_id = l
                        .msg_id
                        .ok_or_else(|| bad(at, "a `send` needs `msg_id`".into()))?;
                    let a = m.arrows.len();
                    m.arrows.push(Arrow {
                        from,
                        to,
                        sent: l.time_us,
                        end: None,
                        kind: l.msg_kind.unwrap_or_default(),
                        body: l.msg.map(|v| v.to_string()).unwrap_or_default(),
                        send_ev: idx,
                        end_ev: None,
                        fate: Fate::InFlight,
                    });
                    open.insert(msg_id, a);
                    Kind::Send(a)
                }
                "deliver" | "drop" => {
                    let msg_id = l
                        .msg_id
                        .ok_or_else(|| bad(at, format!("a `{}` needs `msg_id`", l.kind)))?;
                    let Some(&a) = open.get(&msg_id) else {
                        return Err(bad(
                            at,
                            format!("{} of message {msg_id}, which was never sent", l.kind),
                        ));
                    };
                    let fate = if l.kind == "drop" {
                        Fate::Dropped(l.reason.unwrap_or_default())
                    } else {
                        Fate::Delivered
                    };
                    // A duplicate: a second arrow from the same send.
                    let a = if m.arrows[a].end.is_some() {
                        let copy = m.arrows[a].clone();
                        m.arrows.push(copy);
                        m.arrows.len() - 1
                    } else {
                        a
                    };
                    let arrow = &mut m.arrows[a];
                    arrow.end = Some(l.time_us);
                    arrow.end_ev = Some(idx);
                    arrow.fate = fate;
                    if l.kind == "drop" {
                        Kind::Drop(a)
                    } else {
                        Kind::Deliver(a)
                    }
                }
                "timer" => Kind::Timer(l.timer.unwrap_or_default()),
                "fault" => {
                    let text = l.fault.unwrap_or_default();
                    m.fault_band(&text, l.time_us);
                    Kind::Fault(text)
                }
                "invoke" => {
                    let client = need(l.node, "node")?;
                    let op =
                        l.op.ok_or_else(|| bad(at, "an `invoke` needs `op`".into()))?;
                    let o = m.ops.len();
                    m.ops.push(Op {
                        client,
                        text: op.text(),
                        invoked: l.time_us,
                        invoke_ev: idx,
                        returned: None,
                        class: OpClass::Pending,
                        line: at as u64,
                    });
                    ops_open.insert((client, l.op_id.unwrap_or(0)), o);
                    op_lines.insert(at as u64, o);
                    Kind::Invoke(o)
                }
                "return" => {
                    let client = need(l.node, "node")?;
                    let Some(o) = ops_open.remove(&(client, l.op_id.unwrap_or(0))) else {
                        return Err(bad(
                            at,
                            format!(
                                "client {client} returns operation {}, which it did not invoke",
                                l.op_id.unwrap_or(0)
                            ),
                        ));
                    };
                    let (text, class) = result_text(&l.result.unwrap_or_default());
                    m.ops[o].returned = Some((l.time_us, idx, text));
                    m.ops[o].class = class;
                    Kind::Return(o)
                }
                "decide" => Kind::Decide(l.instance.unwrap_or(0), l.value.unwrap_or_default()),
                "apply" => Kind::Apply(
                    l.index.unwrap_or(0),
                    format!(
                        "{} -> {}",
                        l.command.unwrap_or_default(),
                        l.result
                            .as_ref()
                            .and_then(|r| r.as_str())
                            .unwrap_or_default()
                    ),
                ),
                "role" => Kind::Role(
                    l.role.unwrap_or_default(),
                    l.epoch.unwrap_or_default(),
                    l.leadership.unwrap_or_default(),
                ),
                "commit" => Kind::Commit(l.index.unwrap_or(0)),
                "note" => Kind::Note(l.text.unwrap_or_default()),
                other => Kind::Other(other.to_string()),
            };
            by_seq.insert(l.seq, idx);
            m.end = l.time_us;
            m.events.push(Event {
                seq: l.seq,
                time: l.time_us,
                node: l.node,
                kind,
            });
        }
        if m.events.is_empty() {
            return Err(UsageError(format!(
                "{name}: the trace has a header but no events"
            )));
        }
        if let Some((seq, property, detail)) = pending_violation {
            m.violation = Some(ViolationMark {
                event: by_seq.get(&seq).copied().unwrap_or(m.events.len() - 1),
                property,
                detail,
            });
        }
        m.lin = linearizability(name, text, &m.ops, &op_lines);
        Ok(m)
    }

    /// Partitions and heals as bands of time: a partition lasts until the next heal.
    fn fault_band(&mut self, text: &str, at: u64) {
        if text == "heal" {
            for b in self.bands.iter_mut().filter(|b| b.to.is_none()) {
                b.to = Some(at);
            }
            return;
        }
        let groups_text: Vec<&str> = if let Some(rest) = text.strip_prefix("partition ") {
            rest.split(" | ").collect()
        } else if let Some(rest) = text.strip_prefix("one-way partition ") {
            rest.split(" -> ").collect()
        } else {
            return;
        };
        let groups: Vec<Vec<u32>> = groups_text
            .iter()
            .map(|g| {
                g.split(',')
                    .filter_map(|name| {
                        self.nodes
                            .iter()
                            .position(|n| n.name == name.trim())
                            .map(|i| i as u32)
                    })
                    .collect()
            })
            .collect();
        if groups.iter().all(|g| !g.is_empty()) {
            self.bands.push(Band {
                from: at,
                to: None,
                groups,
                label: text.to_string(),
            });
        }
    }

    /// The numbered events of a time window `[from, to]` (microseconds).
    pub fn window(&self, from: u64, to: u64) -> std::ops::Range<usize> {
        let lo = self.events.partition_point(|e| e.time < from);
        let hi = self.events.partition_point(|e| e.time <= to);
        lo..hi
    }

    /// Each node's roles over time: from its `role` and `term`/`ballot` state fields when it
    /// reports them (a Raft follower that never changed role has no `role` event), otherwise
    /// from its `role` events. A segment lasts until the next one. Its leadership is what the
    /// trace's `role` events say that role means (a protocol's role name means one thing), so
    /// that a viewer marks who leads without knowing any protocol's names for it.
    pub fn role_segments(&self) -> Vec<Vec<Segment>> {
        let n = self.nodes.len();
        let mut meaning: BTreeMap<&str, &str> = BTreeMap::new();
        for e in &self.events {
            if let Kind::Role(role, _, leadership) = &e.kind {
                meaning.insert(role, leadership);
            }
        }
        let meaning = |role: &str| meaning.get(role).map_or("", |l| *l).to_string();
        let mut out: Vec<Vec<Segment>> = vec![Vec::new(); n];
        let reports: Vec<bool> = (0..n as u32)
            .map(|id| self.states.iter().any(|c| c.node == id && c.key == "role"))
            .collect();
        let mut cur: Vec<(String, String)> = vec![(String::new(), String::new()); n];
        let push = |out: &mut Vec<Vec<Segment>>, node: usize, at: u64, role: &str, epoch: &str| {
            let segs = &mut out[node];
            if segs
                .last()
                .is_some_and(|s| s.role == role && s.epoch == epoch)
            {
                return;
            }
            match segs.last_mut() {
                Some(s) if s.from == at => {
                    s.role = role.to_string();
                    s.epoch = epoch.to_string();
                    s.leadership = meaning(role);
                }
                _ => segs.push(Segment {
                    from: at,
                    role: role.to_string(),
                    epoch: epoch.to_string(),
                    leadership: meaning(role),
                }),
            }
        };
        for c in &self.states {
            let node = c.node as usize;
            if !reports[node] {
                continue;
            }
            let v = c.value.clone().unwrap_or_default();
            let (role, epoch) = &mut cur[node];
            match c.key.as_str() {
                "role" => *role = v,
                "term" => *epoch = format!("t{v}"),
                "ballot" => *epoch = if v == "nothing" { String::new() } else { v },
                _ => continue,
            }
            let (role, epoch) = cur[node].clone();
            push(&mut out, node, self.events[c.event].time, &role, &epoch);
        }
        for e in &self.events {
            if let (Kind::Role(role, epoch, _), Some(node)) = (&e.kind, e.node) {
                if !reports[node as usize] {
                    let epoch = epoch
                        .strip_prefix("term ")
                        .map(|t| format!("t{t}"))
                        .or_else(|| epoch.strip_prefix("ballot ").map(str::to_string))
                        .unwrap_or_else(|| epoch.clone());
                    push(&mut out, node as usize, e.time, role, &epoch);
                }
            }
        }
        out
    }

    /// Each node's down times: from a crash to the restart (`None`: to the end).
    pub fn down_spans(&self) -> Vec<Vec<(u64, Option<u64>)>> {
        let mut out: Vec<Vec<(u64, Option<u64>)>> = vec![Vec::new(); self.nodes.len()];
        for e in &self.events {
            let Some(node) = e.node else { continue };
            let spans = &mut out[node as usize];
            match e.kind {
                Kind::Crash => spans.push((e.time, None)),
                Kind::Restart => {
                    if let Some(last) = spans.last_mut() {
                        last.1.get_or_insert(e.time);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The message kinds, in order of first appearance (their colours follow this order).
    pub fn message_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for a in &self.arrows {
            if !kinds.contains(&a.kind) {
                kinds.push(a.kind.clone());
            }
        }
        kinds
    }
}

/// Check the client history (the invoke and return lines) with the KV model, as `synod run`
/// and `synod lin` do.
fn linearizability(
    name: &str,
    text: &str,
    ops: &[Op],
    op_lines: &HashMap<u64, usize>,
) -> Option<Lin> {
    if ops.is_empty() {
        return None;
    }
    let history = match parse_trace(name, text) {
        Ok(h) => h,
        Err(e) => {
            return Some(Lin {
                verdict: "unknown".into(),
                summary: format!("unusable history: {e}"),
                why: None,
                blocked: None,
                candidates: Vec::new(),
            });
        }
    };
    let mut budget = Budget::unlimited().with_max_steps(LIN_STEP_BUDGET);
    let report = match check_history(&history, ModelKind::Kv, &mut budget) {
        Ok(r) => r,
        Err(e) => {
            return Some(Lin {
                verdict: "unknown".into(),
                summary: format!("the KV model cannot check this history: {e}"),
                why: None,
                blocked: None,
                candidates: Vec::new(),
            });
        }
    };
    let of = |call: u64| op_lines.get(&call).copied();
    let (blocked, candidates, why) = match &report.verdict {
        Verdict::NotLinearizable(e) => (
            of(e.blocked.call),
            e.candidates.iter().filter_map(|c| of(c.op.call)).collect(),
            Some(e.to_string()),
        ),
        _ => (None, Vec::new(), None),
    };
    debug_assert!(ops.iter().all(|o| op_lines.get(&o.line).is_some()));
    Some(Lin {
        verdict: report.verdict.label().into(),
        summary: report.summary(),
        why,
        blocked,
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"schema":"synod-trace","version":1,"protocol":"kv","seed":1,"nodes":[{"id":0,"name":"server","role":"server","client":false},{"id":1,"name":"client 1","role":"client","client":true}]}"#;

    fn parse(lines: &[&str]) -> Result<Model, String> {
        let text = std::iter::once(HEADER)
            .chain(lines.iter().copied())
            .collect::<Vec<_>>()
            .join("\n");
        Model::parse("t.jsonl", &text).map_err(|e| e.0)
    }

    /// Who leads is what the trace's role events say, whatever the role is called: a `primary`
    /// that leads is marked so from its role events, and a role only state fields name (Raft's
    /// `role` field) takes the meaning its role events gave that name.
    #[test]
    fn role_segments_carry_what_each_role_means_whatever_its_name() {
        let m = parse(&[
            r#"{"seq":1,"time_us":0,"node":0,"kind":"start"}"#,
            r#"{"seq":2,"time_us":0,"node":0,"kind":"role","role":"primary","epoch":"view 0","leadership":"leads"}"#,
            r#"{"seq":3,"time_us":5,"node":0,"kind":"role","role":"view-change","epoch":"view 1","leadership":"seeks"}"#,
            r#"{"seq":4,"time_us":9,"node":1,"kind":"start"}"#,
            r#"{"seq":4,"time_us":9,"node":1,"kind":"state","set":{"role":"primary","term":"2"},"unset":[]}"#,
        ])
        .unwrap();
        let segs = m.role_segments();
        let of = |n: usize| -> Vec<(&str, &str, &str)> {
            segs[n]
                .iter()
                .map(|g| (g.role.as_str(), g.epoch.as_str(), g.leadership.as_str()))
                .collect()
        };
        assert_eq!(
            of(0),
            [
                ("primary", "view 0", "leads"),
                ("view-change", "view 1", "seeks")
            ]
        );
        assert_eq!(of(1), [("primary", "t2", "leads")]);
        assert_eq!(
            super::super::svg::role_colour("primary", "leads"),
            "#f2b705"
        );
        assert_eq!(
            super::super::svg::role_colour("view-change", "seeks"),
            "#ef7d14"
        );
        assert_eq!(super::super::svg::role_colour("leader", ""), "#f2b705");
    }

    #[test]
    fn messages_pair_sends_with_deliveries_drops_and_duplicates() {
        let m = parse(&[
            r#"{"seq":1,"time_us":0,"node":1,"kind":"send","to":0,"msg_id":1,"msg_kind":"Request","msg":{"a":1}}"#,
            r#"{"seq":2,"time_us":5,"node":0,"kind":"deliver","from":1,"msg_id":1,"msg_kind":"Request"}"#,
            r#"{"seq":3,"time_us":7,"node":0,"kind":"deliver","from":1,"msg_id":1,"msg_kind":"Request"}"#,
            r#"{"seq":4,"time_us":9,"node":0,"kind":"send","to":1,"msg_id":2,"msg_kind":"Reply","msg":{}}"#,
            r#"{"seq":5,"time_us":9,"node":0,"kind":"drop","to":1,"msg_id":2,"msg_kind":"Reply","reason":"lost"}"#,
            r#"{"seq":6,"time_us":9,"node":0,"kind":"send","to":1,"msg_id":3,"msg_kind":"Reply","msg":{}}"#,
        ])
        .unwrap();
        assert_eq!(m.arrows.len(), 4);
        assert_eq!((m.arrows[0].sent, m.arrows[0].end), (0, Some(5)));
        assert_eq!(m.arrows[1].end, Some(7), "the duplicate is its own arrow");
        assert_eq!(m.arrows[1].send_ev, 0);
        assert_eq!(m.arrows[2].fate, Fate::Dropped("lost".into()));
        assert_eq!(m.arrows[3].fate, Fate::InFlight);
        assert_eq!(m.message_kinds(), vec!["Request", "Reply"]);
    }

    #[test]
    fn narration_states_and_the_violation_attach_to_their_events() {
        let m = parse(&[
            r#"{"seq":1,"time_us":0,"node":0,"kind":"start"}"#,
            r#"{"seq":1,"time_us":0,"node":0,"kind":"log","level":"info","text":"up"}"#,
            r#"{"seq":2,"time_us":3,"node":0,"kind":"timer","timer_id":1,"timer":"Tick"}"#,
            r#"{"seq":3,"time_us":3,"node":0,"kind":"send","to":1,"msg_id":1,"msg_kind":"Ping","msg":{}}"#,
            r#"{"seq":2,"time_us":3,"node":0,"kind":"state","set":{"term":"1","log/1":["1","NOOP"]},"unset":["old"]}"#,
            r#"{"seq":3,"time_us":3,"kind":"violation","property":"agreement","detail":"two values"}"#,
            r#"{"seq":3,"time_us":3,"kind":"log","level":"info","text":"chosen: a majority accepted"}"#,
            r#"{"seq":4,"time_us":5,"kind":"note","text":"(a) the story so far"}"#,
        ])
        .unwrap();
        assert_eq!((m.logs[0].event, m.logs[0].node), (0, Some(0)));
        // The cluster observer's line: no node, attached to the event it followed.
        assert_eq!((m.logs[1].event, m.logs[1].node), (2, None));
        let note = &m.events[3];
        assert_eq!((note.time, note.node), (5, None));
        assert_eq!(note.kind, Kind::Note("(a) the story so far".into()));
        assert!(m.states.iter().all(|s| s.event == 1), "{:?}", m.states);
        let log = m.states.iter().find(|s| s.key == "log/1").unwrap();
        assert_eq!(log.value.as_deref(), Some("1\u{1f}NOOP"));
        assert!(m.states.iter().any(|s| s.key == "old" && s.value.is_none()));
        let v = m.violation.unwrap();
        assert_eq!((v.event, v.property.as_str()), (2, "agreement"));
    }

    #[test]
    fn operations_span_invoke_to_return_and_are_judged() {
        let m = parse(&[
            r#"{"seq":1,"time_us":0,"node":1,"kind":"invoke","op_id":1,"op":{"f":"put","key":"a","value":"v"}}"#,
            r#"{"seq":2,"time_us":10,"node":1,"kind":"return","op_id":1,"result":{"type":"ok"}}"#,
            r#"{"seq":3,"time_us":20,"node":1,"kind":"invoke","op_id":2,"op":{"f":"get","key":"a"}}"#,
            r#"{"seq":4,"time_us":30,"node":1,"kind":"return","op_id":2,"result":{"type":"error","error":"key not found: a"}}"#,
        ])
        .unwrap();
        assert_eq!(m.ops[0].text, r#"PUT "a" = "v""#);
        assert_eq!(m.ops[0].class, OpClass::Ok);
        assert_eq!(m.ops[1].class, OpClass::Error);
        let lin = m.lin.unwrap();
        assert_eq!(lin.verdict, "NOT linearizable");
        assert_eq!(
            lin.blocked,
            Some(1),
            "the get cannot be placed after the put"
        );
    }

    #[test]
    fn partitions_last_until_the_heal() {
        let m = parse(&[
            r#"{"seq":1,"time_us":5,"kind":"fault","fault":"partition server | client 1"}"#,
            r#"{"seq":2,"time_us":9,"kind":"fault","fault":"heal"}"#,
        ])
        .unwrap();
        assert_eq!(m.bands.len(), 1);
        assert_eq!(
            (m.bands[0].from, m.bands[0].to, &m.bands[0].groups),
            (5, Some(9), &vec![vec![0], vec![1]])
        );
    }

    #[test]
    fn bad_traces_are_refused_with_file_and_line() {
        let e = Model::parse("x.jsonl", "hello").unwrap_err().0;
        assert!(e.starts_with("x.jsonl:1: not a synod trace header"), "{e}");
        let e = Model::parse("x.jsonl", "{\"schema\":\"other\"}")
            .unwrap_err()
            .0;
        assert!(e.contains("x.jsonl:1: not a synod trace"), "{e}");
        let e = parse(&["{\"seq\":1}"]).unwrap_err();
        assert!(e.starts_with("t.jsonl:2: not a trace event"), "{e}");
        let e = parse(&[r#"{"seq":1,"time_us":0,"node":7,"kind":"start"}"#]).unwrap_err();
        assert!(e.contains("t.jsonl:2: `node` is 7"), "{e}");
        let e = parse(&[
            r#"{"seq":1,"time_us":0,"node":0,"kind":"deliver","from":1,"msg_id":4,"msg_kind":"X"}"#,
        ])
        .unwrap_err();
        assert!(e.contains("never sent"), "{e}");
        let e = parse(&[
            r#"{"seq":1,"time_us":9,"node":0,"kind":"start"}"#,
            r#"{"seq":2,"time_us":3,"node":0,"kind":"start"}"#,
        ])
        .unwrap_err();
        assert!(e.contains("t.jsonl:3: time goes backwards"), "{e}");
        let e = parse(&[]).unwrap_err();
        assert!(e.contains("no events"), "{e}");
    }
}
