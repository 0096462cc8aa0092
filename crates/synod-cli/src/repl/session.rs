//! A REPL session: the simulation, its observers, and the record of every input the user gave
//! (each at the event count where it was applied). Rewinding rebuilds the system from the
//! scenario and replays that record up to the target point: deterministic because the
//! simulator is.
//!
//! Faults and requests take effect 1 us after the last event (the clock is moved there with
//! `advance_to`), which is exactly when a scenario's `[[fault]]` at that time fires: before
//! every event due at or after it. That is what lets `save` write a scenario that replays the
//! session byte for byte.

use super::command::Until;
use super::render;
use crate::UsageError;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use synod_core::{
    ClientOp, Event, EventKind, Leadership, Level, NodeId, Observer, Time, Violation,
};
use synod_protocols::judge::Checks;
use synod_protocols::scenario::Scenario;
use synod_protocols::system::{self, System};
use synod_sim::trace_out::{HumanPrinter, JsonTrace, json_header};
use synod_sim::{EndReason, Fault, PendingKind, ScheduledFault, Shared, Step, Target};

/// How an input was applied, so that a replay applies it the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum How {
    /// The clock was moved to this time (1 us after the last event) first: exact in a scenario.
    At(Time),
    /// Queued at this time, behind what was already due then (a fault before the nodes have
    /// all started): a scenario's fault at that time fires at the same point.
    Queued(Time),
    /// Applied at once at this time, between two events due at the same instant: a scenario
    /// can only put it before both.
    Now(Time),
}

impl How {
    /// When it took effect.
    pub fn time(&self) -> Time {
        match self {
            How::At(t) | How::Queued(t) | How::Now(t) => *t,
        }
    }
}

/// One recorded input of the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// This many events, by `step` or `run`.
    Steps(u64),
    /// A step that found the run over (it moves the clock to the deadline).
    Ended,
    /// The time limit moved.
    Until(Time),
    /// The clock moved to the end of a `run MS` (no event due before it).
    Clock(Time),
    /// A fault.
    Fault(Fault, How),
    /// A client request.
    Request(NodeId, ClientOp, How),
    /// A queue entry processed ahead of its turn (`deliver`, `fire`).
    ProcessNow(u64),
    /// A message dropped by hand.
    Drop(u64),
}

/// Counts what `run until` waits for.
#[derive(Default)]
struct Watch {
    decisions: u64,
    leaders: u64,
    last_leader: (Option<NodeId>, String),
}

impl Observer for Watch {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        match ev.kind {
            EventKind::Decide { .. } | EventKind::Commit { .. } | EventKind::Apply { .. } => {
                self.decisions += 1
            }
            EventKind::Role {
                epoch,
                leadership: Leadership::Leads,
                ..
            } => {
                self.leaders += 1;
                self.last_leader = (ev.node, epoch.to_string());
            }
            _ => {}
        }
        Ok(())
    }
}

/// The simulation and everything attached to it; rebuilt on rewind.
struct Live {
    system: System,
    checks: Checks,
    printer: Shared<HumanPrinter<Vec<u8>>>,
    trace: Shared<JsonTrace<Vec<u8>>>,
    watch: Shared<Watch>,
    /// Virtual time after each event, by event count - 1 (for `goto`).
    times: Vec<Time>,
}

/// A REPL session.
pub struct Session {
    pub(super) scenario: Scenario,
    live: Live,
    level: Level,
    pub(super) inputs: Vec<Input>,
    pub(super) names: Vec<String>,
    pub(super) out: Rc<RefCell<dyn Write>>,
}

/// Where the session's output goes.
pub type Out = Rc<RefCell<dyn Write>>;

/// Print a line to the session's output (IO errors ignored: the terminal is gone).
macro_rules! say {
    ($s:expr, $($arg:tt)*) => {{
        let _ = writeln!($s.out.borrow_mut(), $($arg)*);
    }};
}

pub(super) use say;

/// A fault as printed, with node names.
pub(super) fn fault_text(f: &Fault, names: &[String]) -> String {
    synod_sim::fault::FaultDisplay { fault: f, names }.to_string()
}

impl Session {
    /// Open a session on `scenario`, paused before its first event.
    pub fn new(scenario: Scenario, level: Level, out: Out) -> Result<Session, UsageError> {
        let live = Self::build(&scenario, level)?;
        let names = live
            .system
            .sim
            .specs()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        Ok(Session {
            scenario,
            live,
            level,
            inputs: Vec::new(),
            names,
            out,
        })
    }

    fn build(scenario: &Scenario, level: Level) -> Result<Live, UsageError> {
        let mut system = system::build(scenario).map_err(|e| UsageError(e.to_string()))?;
        let names: Vec<String> = system.sim.specs().iter().map(|s| s.name.clone()).collect();
        let header = json_header(scenario.seed, scenario.protocol.name, system.sim.specs());
        let trace = Shared::new(
            JsonTrace::new(Vec::new(), &header).map_err(|e| UsageError(e.to_string()))?,
        );
        system.sim.add_observer(Box::new(trace.clone()));
        let printer = Shared::new(HumanPrinter::new(Vec::new(), level, &names));
        system.sim.add_observer(Box::new(printer.clone()));
        let watch = Shared::new(Watch::default());
        system.sim.add_observer(Box::new(watch.clone()));
        let checks = Checks::attach(&mut system);
        Ok(Live {
            system,
            checks,
            printer,
            trace,
            watch,
            times: Vec::new(),
        })
    }

    /// What looks wrong in the scenario without being an error.
    pub fn warnings(&self) -> &[synod_protocols::scenario::ScenarioError] {
        &self.live.system.warnings
    }

    /// Node names, by id (for completion).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The simulation.
    pub fn sim(&self) -> &dyn synod_sim::Simulation {
        &*self.live.system.sim
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.sim().stats().events
    }

    /// Write out narration produced since the last call (or discard it while replaying).
    fn flush_narration(&mut self, show: bool) {
        let text = std::mem::take(self.live.printer.borrow_mut().writer());
        if show && !text.is_empty() {
            let _ = self.out.borrow_mut().write_all(&text);
        }
    }

    fn step_once(&mut self) -> Step {
        let step = self.live.system.sim.step();
        if step == Step::Event {
            let now = self.sim().now();
            self.live.times.push(now);
        }
        step
    }

    fn record(&mut self, input: Input) {
        match (self.inputs.last_mut(), &input) {
            (Some(Input::Steps(a)), Input::Steps(b)) => *a += b,
            _ => self.inputs.push(input),
        }
    }

    /// Take one step, recording it; `false` when the run is over.
    fn advance(&mut self) -> Result<(), EndReason> {
        let was_over = self.sim().ended().is_some();
        match self.step_once() {
            Step::Event => {
                self.record(Input::Steps(1));
                Ok(())
            }
            Step::End(reason) => {
                if !was_over {
                    self.record(Input::Ended);
                }
                Err(reason)
            }
        }
    }

    fn violation_note(&self) -> Option<String> {
        self.sim().violation().map(|v| {
            format!(
                "*** SAFETY VIOLATION: {} broke at event {} ({}, trace seq #{}): {}\n    the session is paused; `back` rewinds to before it",
                v.property,
                self.events(),
                v.time,
                v.seq,
                v.detail
            )
        })
    }

    fn ended_note(reason: &EndReason) -> String {
        match reason {
            EndReason::Violation(_) => {
                "the run stopped on a safety violation; `back` rewinds to before it".into()
            }
            EndReason::Quiescent => "the run is over: nothing left to happen".into(),
            other => format!("the run is over: {other}; `run MS` goes on for MS more"),
        }
    }

    /// `step N`: each event announced, then its narration.
    pub fn step(&mut self, n: u64, stop: &AtomicBool) {
        for _ in 0..n {
            if stop.swap(false, Ordering::SeqCst) {
                say!(self, "-- paused (Ctrl-C) at event {}", self.events());
                return;
            }
            if let Some(note) = self.violation_note() {
                say!(self, "{note}");
                return;
            }
            let next = self.sim().pending().into_iter().next();
            let before = self.events();
            let res = self.advance();
            if let (Ok(()), Some(p)) = (&res, &next) {
                // A timer set by a crashed node before its crash is still queued (the queue
                // listing leaves it out); taking it does nothing.
                let hidden = self.sim().pending().iter().any(|q| q.id == p.id);
                let what = if hidden {
                    "a timer of a crashed node's earlier life (ignored)".to_string()
                } else {
                    render::describe(&p.what, &self.names)
                };
                say!(
                    self,
                    "-- event {} at {}: {what}",
                    before + 1,
                    self.sim().now()
                );
            }
            self.flush_narration(true);
            if let Err(reason) = res {
                say!(self, "{}", Self::ended_note(&reason));
                return;
            }
            if let Some(note) = self.violation_note() {
                say!(self, "{note}");
                return;
            }
        }
    }

    /// Let the run go on past its time limit, or resume one that ended at its limit.
    fn extend_until(&mut self, to: Time) {
        let sim = &self.live.system.sim;
        let over = matches!(
            sim.ended(),
            Some(EndReason::TimeLimit | EndReason::ClientsDone)
        );
        if to > sim.config().until || over {
            let until = to.max(sim.config().until);
            self.live.system.sim.set_until(until);
            self.record(Input::Until(until));
        }
    }

    /// `run ...`. `stop` is set by Ctrl-C.
    pub fn run(&mut self, until: Until, stop: &AtomicBool) {
        let target = match until {
            Until::For(d) => Some(Time::micros(self.sim().now().as_micros() + d.as_micros())),
            Until::At(t) => Some(t),
            _ => None,
        };
        if let Some(t) = target {
            self.extend_until(t);
        }
        let (decisions, leaders) = {
            let w = self.live.watch.borrow();
            (w.decisions, w.leaders)
        };
        let start = self.events();
        let why = loop {
            if self.sim().violation().is_some() {
                break "stopped on a safety violation".into();
            }
            if stop.swap(false, Ordering::SeqCst) {
                break "paused (Ctrl-C)".to_string();
            }
            if let Some(t) = target {
                if self.sim().next_due().is_none_or(|d| d > t) {
                    if self.sim().ended().is_none() && self.live.system.sim.advance_to(t) {
                        self.record(Input::Clock(t));
                    }
                    break format!("reached {t}");
                }
            }
            if until == Until::Done && self.sim().clients_done() {
                break "every client is done".into();
            }
            let res = self.advance();
            self.flush_narration(true);
            if let Err(reason) = res {
                break Self::ended_note(&reason);
            }
            let w = self.live.watch.borrow();
            if until == Until::Decided && w.decisions > decisions {
                break "a decision was made".into();
            }
            if until == Until::Leader && w.leaders > leaders {
                let (node, epoch) = &w.last_leader;
                let who = node.map_or("?", |n| self.names[n.index()].as_str());
                break format!("new leader: {who} ({epoch})");
            }
        };
        say!(
            self,
            "-- {why}; {} events, now {} (event {})",
            self.events() - start,
            self.sim().now(),
            self.events()
        );
        if let Some(note) = self.violation_note() {
            say!(self, "{note}");
        }
    }

    /// Apply a fault or a request between events, as a scenario would (see the module doc).
    fn place(&mut self) -> How {
        let now = self.sim().now();
        let just_after = Time::micros(now.as_micros() + 1);
        if self.live.system.sim.advance_to(just_after) {
            return How::At(just_after);
        }
        // At 0 ms, a scenario's faults fire after the starts (and after the faults it lists
        // first): queueing behind them is exact.
        let only_starts_due_now = now == Time::ZERO
            && self
                .sim()
                .pending()
                .iter()
                .take_while(|p| p.time == Time::ZERO)
                .all(|p| {
                    matches!(
                        p.what,
                        PendingKind::Start { .. } | PendingKind::Fault { .. }
                    )
                });
        if only_starts_due_now {
            How::Queued(now)
        } else {
            How::Now(now)
        }
    }

    fn apply_fault(&mut self, fault: &Fault, how: &How) {
        let sim = &mut self.live.system.sim;
        match how {
            How::At(t) => {
                sim.advance_to(*t);
                sim.apply_fault(fault);
            }
            How::Queued(t) => sim.schedule(ScheduledFault {
                at: *t,
                fault: fault.clone(),
            }),
            How::Now(_) => sim.apply_fault(fault),
        }
    }

    /// A fault from the prompt.
    pub fn fault(&mut self, fault: Fault) {
        if let Some(note) = self.violation_note() {
            say!(self, "{note}");
            return;
        }
        if let Fault::Restart(Target::Node(id)) = fault {
            if self.sim().is_up(id) {
                say!(
                    self,
                    "warning: {} is up; restart does nothing (it restarts a crashed node)",
                    self.names[id.index()]
                );
                return;
            }
        }
        if let Fault::Crash(Target::Leader) | Fault::Restart(Target::Leader) = fault {
            let leads = self.sim().statuses().iter().flatten().any(|s| s.leader);
            if !leads {
                say!(self, "no node leads right now; nothing to do");
                return;
            }
        }
        let how = self.place();
        self.apply_fault(&fault, &how);
        self.record(Input::Fault(fault.clone(), how.clone()));
        self.flush_narration(true);
        if let How::Queued(_) = how {
            say!(
                self,
                "{}: queued at 0ms, after the nodes have started",
                fault_text(&fault, &self.names)
            );
        }
    }

    fn apply_request(&mut self, client: NodeId, op: &ClientOp, how: &How) -> bool {
        let sim = &mut self.live.system.sim;
        match how {
            How::At(t) => {
                sim.advance_to(*t);
                sim.client_request(client, op.clone())
            }
            How::Queued(t) => {
                sim.schedule_request(*t, client, op.clone());
                true
            }
            How::Now(_) => sim.client_request(client, op.clone()),
        }
    }

    /// `request CLIENT OP`.
    pub fn request(&mut self, client: NodeId, op: ClientOp) {
        let name = self.names[client.index()].clone();
        if !self.sim().is_up(client) {
            say!(self, "error: {name} is down");
            return;
        }
        if self.sim().specs()[client.index()].client {
            let how = self.place();
            if self.apply_request(client, &op, &how) {
                self.record(Input::Request(client, op.clone(), how));
                self.flush_narration(true);
                say!(
                    self,
                    "{name} will {op} (after the operation it is doing, if any)"
                );
                return;
            }
            if let How::At(t) = how {
                // The clock moved; keep the record exact.
                self.record(Input::Clock(t));
            }
        }
        say!(self, "error: {name} is not a client that takes requests");
    }

    /// `deliver ID` / `fire ID`.
    pub fn process_now(&mut self, id: u64, timer: bool) {
        if let Some(note) = self.violation_note() {
            say!(self, "{note}");
            return;
        }
        let pending = self.sim().pending();
        let Some(p) = pending.iter().find(|p| p.id == id) else {
            say!(
                self,
                "error: no entry #{id} in the queue (`queue` lists them)"
            );
            return;
        };
        match (&p.what, timer) {
            (PendingKind::Timer { .. }, false) => {
                say!(self, "error: #{id} is a timer; use `fire {id}`");
                return;
            }
            (PendingKind::Deliver { .. }, true) => {
                say!(self, "error: #{id} is a message; use `deliver {id}`");
                return;
            }
            (PendingKind::Start { .. } | PendingKind::Fault { .. }, true) => {
                say!(self, "error: #{id} is not a timer");
                return;
            }
            _ => {}
        }
        let what = render::describe(&p.what, &self.names);
        let before = self.events();
        if self.live.system.sim.process_now(id) {
            let now = self.sim().now();
            self.live.times.push(now);
            self.record(Input::ProcessNow(id));
            say!(self, "-- event {} at {now}: {what} (by hand)", before + 1);
            self.flush_narration(true);
            if let Some(note) = self.violation_note() {
                say!(self, "{note}");
            }
        } else {
            say!(self, "error: the run is over; `back` or `run MS` first");
        }
    }

    /// `drop ID`.
    pub fn drop_pending(&mut self, id: u64) {
        if self.live.system.sim.drop_pending(id) {
            self.record(Input::Drop(id));
            self.flush_narration(true);
            say!(self, "dropped #{id}");
        } else {
            say!(
                self,
                "error: #{id} is not a message in flight (`queue` lists them)"
            );
        }
    }

    /// Rebuild and replay the inputs up to `target` events.
    fn replay_to(&mut self, target: u64) -> Result<(), UsageError> {
        self.live = Self::build(&self.scenario, self.level)?;
        let inputs = std::mem::take(&mut self.inputs);
        let mut kept = Vec::new();
        for input in inputs {
            let at = self.events();
            match &input {
                Input::Steps(k) => {
                    let n = (*k).min(target.saturating_sub(at));
                    for _ in 0..n {
                        self.step_once();
                    }
                    if n > 0 {
                        kept.push(Input::Steps(n));
                    }
                    if n < *k {
                        break;
                    }
                }
                Input::ProcessNow(id) => {
                    if at >= target {
                        break;
                    }
                    self.live.system.sim.process_now(*id);
                    let now = self.sim().now();
                    self.live.times.push(now);
                    kept.push(input);
                }
                Input::Ended => {
                    self.step_once();
                    kept.push(input);
                }
                Input::Until(t) => {
                    self.live.system.sim.set_until(*t);
                    kept.push(input);
                }
                Input::Clock(t) => {
                    self.live.system.sim.advance_to(*t);
                    kept.push(input);
                }
                Input::Fault(f, how) => {
                    self.apply_fault(f, how);
                    kept.push(input);
                }
                Input::Request(c, op, how) => {
                    self.apply_request(*c, op, how);
                    kept.push(input);
                }
                Input::Drop(id) => {
                    self.live.system.sim.drop_pending(*id);
                    kept.push(input);
                }
            }
            self.flush_narration(false);
        }
        self.flush_narration(false);
        self.inputs = kept;
        self.live.printer.borrow_mut().set_level(self.level);
        Ok(())
    }

    fn rewound(&mut self, target: u64) {
        match self.replay_to(target) {
            Ok(()) => say!(
                self,
                "-- back at event {}, now {} ({} input{} replayed)",
                self.events(),
                self.sim().now(),
                self.inputs.len(),
                if self.inputs.len() == 1 { "" } else { "s" }
            ),
            Err(e) => say!(self, "error: cannot rebuild the system: {e}"),
        }
    }

    /// `back N`.
    pub fn back(&mut self, n: u64) {
        let target = self.events().saturating_sub(n);
        self.rewound(target);
    }

    /// `goto MS`.
    pub fn goto(&mut self, t: Time, stop: &AtomicBool) {
        if t >= self.sim().now() {
            self.run(Until::At(t), stop);
            return;
        }
        let target = self.live.times.partition_point(|x| *x <= t) as u64;
        self.rewound(target);
    }

    /// `log LEVEL`.
    pub fn set_level(&mut self, level: Option<Level>) {
        if let Some(l) = level {
            self.level = l;
            self.live.printer.borrow_mut().set_level(l);
        }
        say!(self, "narration level: {}", self.level);
    }

    /// `status`.
    pub fn status(&self) {
        say!(self, "{}", render::status(self.sim(), &self.names));
    }

    /// `queue`.
    pub fn queue(&self) {
        say!(self, "{}", render::queue(self.sim(), &self.names));
    }

    /// `history`.
    pub fn history(&self) {
        say!(
            self,
            "{}",
            render::history(&self.live.checks.history(), &self.names)
        );
    }

    /// `inspect NODE`.
    pub fn inspect(&self, id: NodeId) {
        let name = &self.names[id.index()];
        match self.sim().inspect(id) {
            Some(state) => say!(self, "{name}:\n{}", state.to_string().trim_end()),
            None => {
                let kept = self.sim().inspect_durable(id).unwrap_or_default();
                say!(
                    self,
                    "{name} is down; it kept only its durable state, which `restart {name}` rebuilds it from:\n{}",
                    kept.to_string().trim_end()
                )
            }
        }
    }

    /// `legend`.
    pub fn legend(&self) {
        let text = synod_sim::trace_out::legend(self.scenario.protocol.legend, self.level);
        say!(self, "{}", text.trim_end());
    }

    /// `check`.
    pub fn check(&self) {
        let mut o = String::new();
        match self.sim().violation() {
            Some(v) => {
                let _ = writeln!(o, "safety: VIOLATED: {v}");
            }
            None => {
                let _ = writeln!(
                    o,
                    "safety: every live check held through event {} (agreement, state machine safety, election safety, protocol invariants)",
                    self.events()
                );
            }
        }
        let statuses = self.sim().statuses();
        let mut stores: Vec<(String, String)> = Vec::new();
        for id in &self.live.system.servers {
            if let Some(store) = statuses[id.index()].as_ref().and_then(|s| s.store.as_ref()) {
                let shown = synod_core::ShowStore(store).to_string();
                stores.push((self.names[id.index()].clone(), shown));
            }
        }
        let distinct: std::collections::BTreeSet<&String> = stores.iter().map(|(_, s)| s).collect();
        match distinct.len() {
            0 => {}
            1 => {
                let _ = writeln!(
                    o,
                    "stores: the {} live servers agree: {}",
                    stores.len(),
                    stores[0].1
                );
            }
            _ => {
                let _ = writeln!(
                    o,
                    "stores: differ (fine while replicas catch up): {}",
                    stores
                        .iter()
                        .map(|(n, s)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
        }
        let history = self.live.checks.history();
        let _ = match synod_protocols::judge::linearizability(&history) {
            None => write!(
                o,
                "linearizability: nothing to check yet (no client operations)"
            ),
            Some((_, summary, None)) => write!(o, "linearizability: {summary}"),
            Some((_, summary, Some(why))) => write!(o, "linearizability: {summary}\n{why}"),
        };
        say!(self, "{o}");
    }

    /// `trace FILE`.
    pub fn write_trace(&self, path: &str) {
        let bytes = self.live.trace.borrow().writer().clone();
        match std::fs::write(path, &bytes) {
            Ok(()) => say!(
                self,
                "trace of {} events written to {path}",
                self.sim().seq()
            ),
            Err(e) => say!(self, "error: cannot write `{path}`: {e}"),
        }
    }
}
