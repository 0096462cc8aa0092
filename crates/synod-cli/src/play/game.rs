//! One game of BeatPaxos or BeatRaft: a deterministic simulation of the real protocol, the
//! player's inputs recorded so that `back` rebuilds and replays (as the REPL's rewind does), and
//! what the page needs to draw it.
//!
//! Everything here runs on virtual time; the wall clock is the server's business.

use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use synod_core::{
    Decision, Event, EventKind, Leadership, Level, NodeId, Observer, ShowStore, Time, Violation,
};
use synod_protocols::judge::Checks;
use synod_protocols::scenario;
use synod_protocols::system::{self, System};
use synod_sim::trace_out::{HumanPrinter, JsonTrace, json_header};
use synod_sim::{Fault, PendingKind, Shared, Target};

/// The node names, in column order; the page colours them by name.
pub const NAMES: [&str; 5] = ["red", "green", "blue", "orange", "purple"];

/// The longest a game goes on, in virtual time.
pub const GAME_LIMIT: Time = Time::ms(3_600_000);

/// The largest single `advance`, in virtual milliseconds.
pub const MAX_ADVANCE_MS: f64 = 60_000.0;

/// Which game.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Proto {
    /// BeatPaxos: single-decree Paxos.
    Paxos,
    /// BeatRaft: Raft with one client.
    Raft,
}

impl Proto {
    /// Parse `paxos` / `raft`.
    pub fn parse(s: &str) -> Result<Proto, String> {
        match s {
            "paxos" => Ok(Proto::Paxos),
            "raft" => Ok(Proto::Raft),
            other => Err(format!(
                "unknown protocol `{other}` (the games are: paxos, raft)"
            )),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Paxos => "paxos",
            Proto::Raft => "raft",
        }
    }

    /// The planted bug the "broken protocol" switch plays against.
    pub fn broken_bug(self) -> &'static str {
        match self {
            Proto::Paxos => "ignore-p1b-values",
            Proto::Raft => "vote-without-up-to-date-check",
        }
    }
}

/// What the player asked for when the game started.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The protocol.
    pub proto: Proto,
    /// 3 or 5 nodes.
    pub nodes: usize,
    /// Play against the planted bug.
    pub broken: bool,
    /// The seed.
    pub seed: u64,
}

/// A player's action on a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Double-click a live node.
    Kill(usize),
    /// Double-click the dead node.
    Recover(usize),
    /// Press and hold: hold the node's outgoing messages.
    Slow(usize),
    /// Let go: the held messages go out.
    Release(usize),
}

impl Action {
    /// Parse the API's `{action, node}`.
    pub fn parse(action: &str, node: usize) -> Result<Action, String> {
        Ok(match action {
            "kill" => Action::Kill(node),
            "recover" => Action::Recover(node),
            "slow" => Action::Slow(node),
            "release" => Action::Release(node),
            other => {
                return Err(format!(
                    "unknown action `{other}` (kill, recover, slow, release)"
                ));
            }
        })
    }

    fn node(self) -> usize {
        match self {
            Action::Kill(n) | Action::Recover(n) | Action::Slow(n) | Action::Release(n) => n,
        }
    }

    /// The replay script's token: `k1`, `r1`, `s1`, `u1`.
    fn token(self) -> String {
        let (c, n) = match self {
            Action::Kill(n) => ('k', n),
            Action::Recover(n) => ('r', n),
            Action::Slow(n) => ('s', n),
            Action::Release(n) => ('u', n),
        };
        format!("{c}{n}")
    }
}

/// One recorded input: the clock moved to a time, or an action.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Time advanced to this virtual time.
    To(Time),
    /// An action, applied at the time reached.
    Act(Action),
}

/// Parse a replay script (`a1500000,k0,a3000000,r0`: `a` + microseconds, or an action).
pub fn parse_script(s: &str) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for tok in s.split(',').filter(|t| !t.is_empty()) {
        let (c, rest) = tok.split_at(tok.chars().next().map_or(0, char::len_utf8));
        let n: u64 = rest
            .parse()
            .map_err(|_| format!("bad script token `{tok}`"))?;
        out.push(match c {
            "a" => Input::To(Time::micros(n)),
            "k" => Input::Act(Action::Kill(n as usize)),
            "r" => Input::Act(Action::Recover(n as usize)),
            "s" => Input::Act(Action::Slow(n as usize)),
            "u" => Input::Act(Action::Release(n as usize)),
            _ => return Err(format!("bad script token `{tok}`")),
        });
    }
    Ok(out)
}

fn script_text(inputs: &[Input]) -> String {
    inputs
        .iter()
        .map(|i| match i {
            Input::To(t) => format!("a{}", t.as_micros()),
            Input::Act(a) => a.token(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a planted bug breaks safety, in one sentence naming the rule.
pub fn why_broken(bug: &str) -> &'static str {
    match bug {
        "ignore-p1b-values" => {
            "The rule that broke: a proposer must propose the value of the highest-numbered proposal reported in its p1b quorum (P2c). This one heard that a value had already been accepted, proposed its own colour anyway, and a second, different value was chosen."
        }
        "forget-promise" => {
            "The rule that broke: an acceptor's promise and accepted value must survive a crash. A restarted acceptor forgot them, so a later quorum could miss the chosen value."
        }
        "vote-without-up-to-date-check" => {
            "The rule that broke: a voter must refuse a candidate whose log is less up to date than its own (Raft 5.4.1). A node that had missed committed entries was elected and overwrote them."
        }
        "commit-old-term" => {
            "The rule that broke: a leader may commit by counting replicas only entries of its own term (Raft 5.4.2, Figure 8). An older entry was counted committed and later overwritten."
        }
        _ => "A planted bug broke one of the protocol's rules.",
    }
}

/// Collects what the page draws: sends (with the colour of their ballot's or term's leader),
/// deliveries, drops, crashes, roles, decisions.
#[derive(Default)]
struct Collector {
    proto: Option<Proto>,
    events: Vec<Json>,
    /// Messages sent and not yet delivered or dropped: id -> (from, to, kind, label, colour,
    /// sent at).
    open: BTreeMap<u64, (usize, usize, String, String, i64, f64)>,
    /// Raft: the node that started (or leads) each term.
    term_owner: BTreeMap<u64, usize>,
    /// Epochs started (ballots tried, terms campaigned): the game's rounds.
    rounds: std::collections::BTreeSet<String>,
    first_decide: Option<Time>,
    servers: usize,
}

fn paxos_label(kind: &str, j: &Json) -> (String, i64) {
    let ballot = |b: &Json| {
        (
            format!("{}.{}", b["round"], b["proposer"]),
            b["proposer"].as_i64().unwrap_or(0) - 1,
        )
    };
    match kind {
        "p1a" | "p2b" => {
            let (b, c) = ballot(&j["ballot"]);
            (format!("{kind}({b})"), c)
        }
        "p1b" => {
            let (b, c) = ballot(&j["ballot"]);
            match j["accepted"].as_array() {
                Some(a) if a.len() == 2 => {
                    let (ab, _) = ballot(&a[0]);
                    (
                        format!("p1b({b}, {}@{ab})", a[1].as_str().unwrap_or("?")),
                        c,
                    )
                }
                _ => (format!("p1b({b}, -)"), c),
            }
        }
        "p2a" => {
            let (b, c) = ballot(&j["ballot"]);
            (
                format!("p2a({b}, {})", j["value"].as_str().unwrap_or("?")),
                c,
            )
        }
        "reject" => {
            let (b, c) = ballot(&j["ballot"]);
            (format!("nack({b})"), c)
        }
        "p3" => {
            let v = j["value"].as_str().unwrap_or("?");
            let c = NAMES.iter().position(|n| *n == v).map_or(-1, |i| i as i64);
            (format!("p3({v})"), c)
        }
        other => (other.to_string(), -1),
    }
}

impl Collector {
    fn raft_label(&mut self, from: usize, kind: &str, j: &Json) -> (String, i64) {
        let body = &j[kind];
        let term = body["term"].as_u64().unwrap_or(0);
        if kind == "RequestVote" {
            self.term_owner.entry(term).or_insert(from);
        }
        let colour = self.term_owner.get(&term).map_or(-1, |n| *n as i64);
        let label = match kind {
            "Vote" => format!(
                "Vote(t{term}, {})",
                if body["granted"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                }
            ),
            "AppendEntries" => {
                let n = body["entries"].as_array().map_or(0, Vec::len);
                if n == 0 {
                    format!("AppendEntries(t{term})")
                } else {
                    format!("AppendEntries(t{term}, +{n})")
                }
            }
            "AppendReply" => format!(
                "AppendReply(t{term}, {})",
                if body["success"].as_bool() == Some(true) {
                    "ok"
                } else {
                    "no"
                }
            ),
            other => format!("{other}(t{term})"),
        };
        (label, colour)
    }
}

impl Observer for Collector {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        let t = ev.time.as_ms_f64();
        let node = ev.node.map(NodeId::index);
        let n = node.map_or(-1, |n| n as i64);
        let server = |id: usize| id < self.servers;
        let record = match ev.kind {
            EventKind::Send { to, msg_id, msg } => {
                let from = node.unwrap_or(0);
                if !server(from) || !server(to.index()) {
                    // The Raft client's requests and replies: narrated in the log only.
                    None
                } else {
                    let j: Json = serde_json::from_str(&msg.to_json()).unwrap_or(Json::Null);
                    let (label, colour) = match self.proto {
                        Some(Proto::Raft) => self.raft_label(from, msg.kind(), &j),
                        _ => paxos_label(msg.kind(), &j),
                    };
                    self.open.insert(
                        msg_id,
                        (
                            from,
                            to.index(),
                            msg.kind().to_string(),
                            label.clone(),
                            colour,
                            t,
                        ),
                    );
                    Some(
                        json!({"kind": "send", "from": from, "to": to.index(), "id": msg_id,
                        "msg": msg.kind(), "label": label, "colour": colour, "text": msg.to_string()}),
                    )
                }
            }
            EventKind::Deliver { msg_id, .. } => self
                .open
                .remove(&msg_id)
                .map(|_| json!({"kind": "deliver", "node": n, "id": msg_id})),
            EventKind::Drop { msg_id, reason, .. } => self
                .open
                .remove(&msg_id)
                .map(|_| json!({"kind": "drop", "node": n, "id": msg_id, "reason": reason.name()})),
            EventKind::Crash => Some(json!({"kind": "crash", "node": n})),
            EventKind::Restart => Some(json!({"kind": "restart", "node": n})),
            EventKind::Role {
                role,
                epoch,
                leadership,
            } => {
                let epoch = epoch.to_string();
                if let (Some(id), Some(term)) = (
                    node,
                    epoch
                        .strip_prefix("term ")
                        .and_then(|x| x.parse::<u64>().ok()),
                ) {
                    if leadership != Leadership::Follows {
                        self.term_owner.insert(term, id);
                    }
                }
                if leadership == Leadership::Seeks {
                    self.rounds.insert(epoch.clone());
                }
                Some(json!({"kind": "role", "node": n, "role": role, "epoch": epoch}))
            }
            EventKind::Decide { value, .. } => {
                self.first_decide.get_or_insert(ev.time);
                Some(json!({"kind": "decide", "node": n, "value": value.to_string()}))
            }
            EventKind::Commit { index } => {
                Some(json!({"kind": "commit", "node": n, "index": index}))
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

/// The simulation and what watches it; rebuilt by `back`.
struct Live {
    system: System,
    _checks: Checks,
    collector: Shared<Collector>,
    printer: Shared<HumanPrinter<Vec<u8>>>,
    trace: Shared<JsonTrace<Vec<u8>>>,
    decided_at: Option<Time>,
}

/// One game.
pub struct Game {
    spec: Spec,
    scenario: scenario::Scenario,
    live: Live,
    inputs: Vec<Input>,
    names: Vec<String>,
    /// Fault-free time to the decision, for the score.
    baseline: Option<Time>,
    /// Narration lines not yet sent to the page.
    log: Vec<String>,
}

/// The scenario a game plays: names, slow network, timeouts scaled to match.
pub fn scenario_text(spec: &Spec) -> String {
    let names: Vec<String> = NAMES[..spec.nodes]
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect();
    let bug = if spec.broken {
        format!("bug = \"{}\"\n", spec.proto.broken_bug())
    } else {
        String::new()
    };
    let head = format!(
        "name = \"beat{p}\"\ndescription = \"The game\"\nprotocol = \"{p}\"\nseed = {seed}\n{bug}until_ms = {until}\nsettle_ms = {until}\n\n[network]\nlatency_ms = {{ min = 1500, max = 3000 }}\nstagger_ms = 700\n\n",
        p = spec.proto.name(),
        seed = spec.seed,
        until = GAME_LIMIT.as_micros() / 1000,
    );
    match spec.proto {
        Proto::Paxos => format!(
            "{head}[cluster]\nnodes = {n}\nnames = [{names}]\n\n[timing]\nstart_delay_ms = {{ min = 1000, max = 10000 }}\nproposer_timeout_ms = {{ min = 16000, max = 24000 }}\n",
            n = spec.nodes,
            names = names.join(", ")
        ),
        Proto::Raft => format!(
            "{head}[cluster]\nnodes = {n}\nclients = 1\nnames = [{names}]\n\n[timing]\nelection_timeout_ms = {{ min = 9000, max = 15000 }}\nheartbeat_ms = 3000\n\n[workload]\nrequests_per_client = 3\nkeys = [\"x\"]\nmix = {{ put = 1 }}\nclient_timeout_ms = 15000\n",
            n = spec.nodes,
            names = names.join(", ")
        ),
    }
}

impl Game {
    /// Start a game, replaying `script` (a replay link) if given.
    pub fn new(spec: Spec, script: &[Input]) -> Result<Game, String> {
        if spec.nodes != 3 && spec.nodes != 5 {
            return Err(format!("nodes must be 3 or 5, got {}", spec.nodes));
        }
        let scenario = synod_protocols::PROTOCOLS
            .parse("<game>", &scenario_text(&spec))
            .map_err(|e| e.to_string())?;
        let live = Self::build(&scenario, &spec)?;
        let names = NAMES[..spec.nodes].iter().map(|s| s.to_string()).collect();
        let mut game = Game {
            spec,
            scenario,
            live,
            inputs: Vec::new(),
            names,
            baseline: None,
            log: Vec::new(),
        };
        game.baseline = game.measure_baseline()?;
        for input in script {
            match input {
                Input::To(t) => {
                    let ms = t.as_ms_f64() - game.now().as_ms_f64();
                    if ms < 0.0 {
                        return Err("script times must not go backwards".into());
                    }
                    game.run_to(*t);
                    game.inputs.push(input.clone());
                }
                Input::Act(a) => game.act(*a)?,
            }
        }
        Ok(game)
    }

    fn build(scenario: &scenario::Scenario, spec: &Spec) -> Result<Live, String> {
        let mut system = system::build(scenario).map_err(|e| e.to_string())?;
        let names: Vec<String> = system.sim.specs().iter().map(|s| s.name.clone()).collect();
        let header = json_header(scenario.seed, scenario.protocol.name, system.sim.specs());
        let trace = Shared::new(JsonTrace::new(Vec::new(), &header).map_err(|e| e.to_string())?);
        system.sim.add_observer(Box::new(trace.clone()));
        let printer = Shared::new(HumanPrinter::new(Vec::new(), Level::Info, &names));
        system.sim.add_observer(Box::new(printer.clone()));
        let collector = Shared::new(Collector {
            proto: Some(spec.proto),
            servers: spec.nodes,
            ..Collector::default()
        });
        system.sim.add_observer(Box::new(collector.clone()));
        let checks = Checks::attach(&mut system);
        Ok(Live {
            system,
            _checks: checks,
            collector,
            printer,
            trace,
            decided_at: None,
        })
    }

    /// How long the fault-free game takes to decide (same seed, no player).
    fn measure_baseline(&self) -> Result<Option<Time>, String> {
        let mut live = Self::build(&self.scenario, &self.spec)?;
        let limit = Time::ms(600_000);
        while live.system.sim.next_due().is_some_and(|d| d <= limit) {
            if live.system.sim.step() != synod_sim::Step::Event {
                break;
            }
            if self.is_decided(&live) {
                return Ok(Some(live.system.sim.now()));
            }
        }
        Ok(None)
    }

    fn is_decided(&self, live: &Live) -> bool {
        match self.spec.proto {
            Proto::Paxos => live.collector.borrow().first_decide.is_some(),
            Proto::Raft => live.system.sim.clients_done(),
        }
    }

    /// The game's spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Virtual time now.
    pub fn now(&self) -> Time {
        self.live.system.sim.now()
    }

    fn stopped(&self) -> bool {
        let sim = &self.live.system.sim;
        sim.violation().is_some() || sim.ended().is_some()
    }

    /// Process every event due up to `t`, then move the clock there.
    fn run_to(&mut self, t: Time) {
        let t = t.min(GAME_LIMIT);
        while !self.stopped() {
            match self.live.system.sim.next_due() {
                Some(due) if due <= t => {
                    self.live.system.sim.step();
                    if self.live.decided_at.is_none() && self.is_decided(&self.live) {
                        self.live.decided_at = Some(self.now());
                    }
                }
                _ => break,
            }
        }
        if !self.stopped() {
            self.live.system.sim.advance_to(t);
        }
    }

    /// `advance {ms}`: let virtual time go on.
    pub fn advance(&mut self, ms: f64) -> Result<(), String> {
        if !ms.is_finite() || !(0.0..=MAX_ADVANCE_MS).contains(&ms) {
            return Err(format!("ms must be between 0 and {MAX_ADVANCE_MS}"));
        }
        let t = Time::micros(self.now().as_micros() + (ms * 1000.0) as u64);
        self.run_to(t);
        let now = self.now();
        match self.inputs.last_mut() {
            Some(Input::To(last)) => *last = now,
            _ => self.inputs.push(Input::To(now)),
        }
        Ok(())
    }

    /// `step`: move to the next event and process everything due then.
    pub fn step(&mut self) {
        if let Some(due) = self.live.system.sim.next_due() {
            let ms = due.as_ms_f64() - self.now().as_ms_f64();
            let _ = self.advance(ms.clamp(0.0, MAX_ADVANCE_MS));
        }
    }

    /// A player's action; refused (with why) when the rules forbid it.
    pub fn act(&mut self, a: Action) -> Result<(), String> {
        let n = a.node();
        if n >= self.spec.nodes {
            return Err(format!(
                "no node {n}: this game has nodes 0..{}",
                self.spec.nodes - 1
            ));
        }
        if self.stopped() {
            return Err("the game is over; go `back` or start a new one".into());
        }
        let id = NodeId(n as u32);
        let sim = &self.live.system.sim;
        let down: Vec<usize> = (0..self.spec.nodes)
            .filter(|i| !sim.is_up(NodeId(*i as u32)))
            .collect();
        let fault = match a {
            Action::Kill(_) => {
                if !sim.is_up(id) {
                    return Err(format!("{} is already down", self.names[n]));
                }
                if let Some(d) = down.first() {
                    return Err(format!(
                        "only one node may be down at a time: recover {} first",
                        self.names[*d]
                    ));
                }
                Fault::Crash(Target::Node(id))
            }
            Action::Recover(_) => {
                if sim.is_up(id) {
                    return Err(format!("{} is not down", self.names[n]));
                }
                Fault::Restart(Target::Node(id))
            }
            Action::Slow(_) => Fault::Hold(Target::Node(id)),
            Action::Release(_) => Fault::Release(Target::Node(id)),
        };
        self.live.system.sim.apply_fault(&fault);
        self.inputs.push(Input::Act(a));
        Ok(())
    }

    /// `back {ms}`: rebuild and replay the inputs up to `ms` before now.
    pub fn back(&mut self, ms: f64) -> Result<(), String> {
        if !ms.is_finite() || ms < 0.0 {
            return Err("ms must be a positive number".into());
        }
        let target = Time::micros(self.now().as_micros().saturating_sub((ms * 1000.0) as u64));
        self.live = Self::build(&self.scenario, &self.spec)?;
        let inputs = std::mem::take(&mut self.inputs);
        for input in inputs {
            match input {
                Input::To(t) => {
                    let to = t.min(target);
                    self.run_to(to);
                    self.inputs.push(Input::To(self.now()));
                    if t >= target {
                        break;
                    }
                }
                Input::Act(a) => {
                    self.act(a)?;
                }
            }
        }
        // The narration of the replay was shown before: start the log afresh.
        self.live.printer.borrow_mut().writer().clear();
        self.log.clear();
        Ok(())
    }

    /// The JSON trace of the game so far.
    pub fn trace(&self) -> Vec<u8> {
        self.live.trace.borrow().writer().clone()
    }

    /// What the page shows once: names, rules, the bug.
    pub fn info(&self) -> Json {
        let bug = self.spec.broken.then(|| self.spec.proto.broken_bug());
        let bug_text = bug.and_then(|b| {
            let list = match self.spec.proto {
                Proto::Paxos => synod_protocols::paxos::BUGS,
                Proto::Raft => synod_protocols::raft::BUGS,
            };
            list.iter().find(|x| x.name == b).map(|x| x.breaks)
        });
        json!({
            "protocol": self.spec.proto.name(),
            "nodes": self.names,
            "seed": self.spec.seed,
            "broken": self.spec.broken,
            "bug": bug,
            "bug_text": bug_text,
            "why": bug.map(why_broken),
            "baseline_ms": self.baseline.map(Time::as_ms_f64),
        })
    }

    /// What changed since event `from` (the page's cursor), and the state now.
    pub fn update(&mut self, from: usize) -> Json {
        let text = std::mem::take(self.live.printer.borrow_mut().writer());
        let lines: Vec<String> = String::from_utf8_lossy(&text)
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        self.log.extend(lines);
        let log = std::mem::take(&mut self.log);
        let sim = &self.live.system.sim;
        let col = self.live.collector.borrow();
        let from = from.min(col.events.len());
        let pending = sim.pending();
        let mut in_queue: BTreeMap<u64, f64> = BTreeMap::new();
        for p in &pending {
            if let PendingKind::Deliver { msg_id, .. } = p.what {
                in_queue.insert(msg_id, p.time.as_ms_f64());
            }
        }
        let messages: Vec<Json> = col
            .open
            .iter()
            .map(|(id, (from, to, kind, label, colour, sent))| {
                let due = in_queue.get(id).copied();
                json!({"id": id, "from": from, "to": to, "msg": kind, "label": label,
                    "colour": colour, "sent": sent, "due": due, "held": due.is_none()})
            })
            .collect();
        let statuses = sim.statuses();
        let nodes: Vec<Json> = (0..self.spec.nodes)
            .map(|i| {
                let id = NodeId(i as u32);
                let st = statuses[i].as_ref();
                let fact = |k: &str| {
                    st.and_then(|s| {
                        s.facts
                            .iter()
                            .find(|(f, _)| *f == k)
                            .map(|(_, v)| v.clone())
                    })
                };
                let value = match self.spec.proto {
                    Proto::Paxos => st.and_then(|s| match &s.decision {
                        Some(Decision::Decided(v)) => Some(v.clone()),
                        Some(Decision::Pending) => Some("-".to_string()),
                        None => None,
                    }),
                    Proto::Raft => st.and_then(|s| s.store.as_ref()).map(|s| {
                        format!(
                            "commit {} · store {}",
                            fact("commit").unwrap_or_default(),
                            ShowStore(s)
                        )
                    }),
                };
                json!({
                    "name": self.names[i],
                    "up": sim.is_up(id),
                    "held": sim.topology().is_held(id),
                    "leader": st.is_some_and(|s| s.leader),
                    "role": st.map(|s| s.role.clone()),
                    "epoch": st.map(|s| s.epoch.clone()),
                    "value": value,
                })
            })
            .collect();
        let violation = sim.violation().map(
            |v| json!({"property": v.property, "detail": v.detail, "time_ms": v.time.as_ms_f64()}),
        );
        let now = sim.now();
        let delay = self.baseline.map(|b| {
            let at = self.live.decided_at.unwrap_or(now);
            (at.as_ms_f64() - b.as_ms_f64()).max(0.0)
        });
        json!({
            "now_ms": now.as_ms_f64(),
            "cursor": col.events.len(),
            "events": col.events[from..],
            "messages": messages,
            "nodes": nodes,
            "log": log,
            "safety": {
                "holds": violation.is_none(),
                "violation": violation,
            },
            "score": {
                "decided_ms": self.live.decided_at.map(Time::as_ms_f64),
                "baseline_ms": self.baseline.map(Time::as_ms_f64),
                "delay_ms": delay,
                "rounds": col.rounds.len(),
            },
            "over": sim.violation().is_some() || sim.ended().is_some(),
            "script": script_text(&self.inputs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(proto: Proto, broken: bool) -> Spec {
        Spec {
            proto,
            nodes: 3,
            broken,
            seed: 7,
        }
    }

    #[test]
    fn fault_free_paxos_decides_near_its_baseline() {
        let mut g = Game::new(spec(Proto::Paxos, false), &[]).unwrap();
        for _ in 0..60 {
            g.advance(1000.0).unwrap();
        }
        let u = g.update(0);
        assert_eq!(u["safety"]["holds"], true);
        assert!(u["score"]["decided_ms"].is_number(), "{u}");
        assert_eq!(u["score"]["delay_ms"], 0.0);
        assert!(u["events"].as_array().unwrap().len() > 10);
    }

    #[test]
    fn fault_free_raft_commits_the_clients_requests() {
        let mut g = Game::new(spec(Proto::Raft, false), &[]).unwrap();
        for _ in 0..120 {
            g.advance(1000.0).unwrap();
        }
        let u = g.update(0);
        assert_eq!(u["safety"]["holds"], true);
        assert!(u["score"]["decided_ms"].is_number(), "{u}");
        assert!(g.info()["baseline_ms"].is_number());
    }

    #[test]
    fn only_one_node_may_be_down() {
        let mut g = Game::new(spec(Proto::Paxos, false), &[]).unwrap();
        g.advance(100.0).unwrap();
        g.act(Action::Kill(0)).unwrap();
        assert!(g.act(Action::Kill(1)).unwrap_err().contains("recover red"));
        assert!(g.act(Action::Kill(7)).unwrap_err().contains("no node 7"));
        g.act(Action::Recover(0)).unwrap();
        g.act(Action::Kill(1)).unwrap();
    }

    #[test]
    fn back_replays_to_the_same_state_and_the_script_replays_the_game() {
        let mut g = Game::new(spec(Proto::Paxos, false), &[]).unwrap();
        g.advance(4000.0).unwrap();
        g.act(Action::Slow(1)).unwrap();
        g.advance(3000.0).unwrap();
        let mid = g.update(0);
        g.act(Action::Release(1)).unwrap();
        g.advance(5000.0).unwrap();
        g.back(5000.0).unwrap();
        let again = g.update(0);
        assert_eq!(mid["now_ms"], again["now_ms"]);
        assert_eq!(mid["events"], again["events"]);
        assert_eq!(mid["nodes"], again["nodes"]);
        let script = parse_script(&script_text(&g.inputs)).unwrap();
        let mut h = Game::new(spec(Proto::Paxos, false), &script).unwrap();
        assert_eq!(h.update(0)["events"], again["events"]);
    }

    /// The scripted win against the broken protocol: as soon as a node wears the crown (its
    /// p2a are out), hold it, so that its p3 never leaves; another proposer times out, hears
    /// of the accepted value, ignores it, and gets its own colour chosen.
    pub(crate) fn win_against_broken_paxos(g: &mut Game) {
        let mut held = false;
        for _ in 0..400 {
            g.advance(500.0).unwrap();
            let u = g.update(0);
            if u["safety"]["holds"] == false {
                return;
            }
            if !held {
                if let Some(i) = u["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .position(|n| n["leader"] == true)
                {
                    g.act(Action::Slow(i)).unwrap();
                    held = true;
                }
            }
        }
    }

    #[test]
    fn holding_the_decider_breaks_broken_paxos_but_not_paxos() {
        let mut g = Game::new(spec(Proto::Paxos, true), &[]).unwrap();
        win_against_broken_paxos(&mut g);
        let u = g.update(0);
        assert_eq!(u["safety"]["holds"], false, "{}", u["nodes"]);
        let mut g = Game::new(spec(Proto::Paxos, false), &[]).unwrap();
        win_against_broken_paxos(&mut g);
        assert_eq!(g.update(0)["safety"]["holds"], true);
    }

    #[test]
    fn scripts_round_trip_and_bad_ones_are_refused() {
        let s = "a1500000,k0,a3000000,r0,s2,u2";
        assert_eq!(script_text(&parse_script(s).unwrap()), s);
        assert!(parse_script("x1").is_err());
        assert!(parse_script("k").is_err());
    }
}

#[cfg(test)]
mod raft_win {
    use super::*;

    /// Keep a follower down while the leader commits the client's writes with the other one;
    /// then bring it back and kill the leader. If the stale follower campaigns first, the
    /// broken voter elects it and it overwrites committed entries.
    fn try_win(seed: u64, broken: bool) -> (bool, bool) {
        let mut g = Game::new(
            Spec {
                proto: Proto::Raft,
                nodes: 3,
                broken,
                seed,
            },
            &[],
        )
        .unwrap();
        let mut stage = 0;
        let mut leader = 0;
        let mut stale = 0;
        for _ in 0..600 {
            g.advance(500.0).unwrap();
            let u = g.update(0);
            if u["safety"]["holds"] == false {
                return (true, true);
            }
            let nodes = u["nodes"].as_array().unwrap();
            match stage {
                0 => {
                    if let Some(l) = nodes.iter().position(|n| n["leader"] == true) {
                        leader = l;
                        stale = (l + 1) % 3;
                        g.act(Action::Kill(stale)).unwrap();
                        stage = 1;
                    }
                }
                1 if u["score"]["decided_ms"].is_number() => {
                    g.act(Action::Recover(stale)).unwrap();
                    g.act(Action::Kill(leader)).unwrap();
                    stage = 2;
                }
                _ => {}
            }
        }
        (stage == 2, false)
    }

    #[test]
    fn a_stale_follower_elected_by_the_broken_voter_overwrites_commits() {
        for seed in [2, 11] {
            assert_eq!(try_win(seed, true), (true, true), "seed {seed}");
        }
        for seed in 1..=4 {
            assert_eq!(try_win(seed, false), (true, false), "seed {seed}");
        }
    }
}
