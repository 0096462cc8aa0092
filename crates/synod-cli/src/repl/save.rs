//! `save FILE`: the session as a scenario that `synod run` replays byte for byte. Faults and
//! requests become `[[fault]]` and `[[request]]` tables at the times they took effect;
//! hand-driven deliveries, drops and fires cannot be expressed and are listed as left out.

use super::session::{How, Input, Session, fault_text, say};
use std::fmt::Write as _;
use synod_core::Time;
use synod_protocols::scenario::{FaultSpec, RequestSpec, Scenario};

impl Session {
    /// The scenario that replays the session, and the inputs it cannot express.
    pub fn saved_scenario(&self) -> (Scenario, Vec<String>) {
        let mut s = self.scenario.clone();
        let mut left_out = Vec::new();
        let names = &self.names;
        // (time, rank, order): a fault placed 1 us after an event fires before a scenario fault
        // at the same time; one queued behind the starts, after.
        let mut faults: Vec<(Time, u8, usize, FaultSpec)> = s
            .faults
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, f)| (f.at, 1, i, f))
            .collect();
        // Requests are ordered the same way among themselves (a scenario schedules them after
        // its faults).
        let mut requests: Vec<(Time, u8, usize, RequestSpec)> = s
            .requests
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, r)| (r.at, 1, i, r))
            .collect();
        for (i, input) in self.inputs.iter().enumerate() {
            match input {
                Input::Fault(f, how) => {
                    let rank = match how {
                        How::At(_) => 0,
                        How::Queued(_) => 2,
                        How::Now(t) => {
                            left_out.push(format!(
                                "`{}` at {t} fell between two events due at the same instant; the scenario fires it before both",
                                fault_text(f, names)
                            ));
                            2
                        }
                    };
                    faults.push((
                        how.time(),
                        rank,
                        s.faults.len() + i,
                        FaultSpec::from_fault(how.time(), f, names),
                    ));
                }
                Input::Request(c, op, how) => {
                    if let How::Now(t) = how {
                        left_out.push(format!(
                            "request {} {op} at {t} fell between two events due at the same instant; the scenario asks before both",
                            names[c.index()]
                        ));
                    }
                    if let How::Queued(t) = how {
                        let fault_after = self.inputs[i..]
                            .iter()
                            .any(|x| matches!(x, Input::Fault(_, How::Queued(u)) if u == t));
                        if fault_after {
                            left_out.push(format!(
                                "request {} {op} was queued before a fault at {t}; the scenario puts the faults first",
                                names[c.index()]
                            ));
                        }
                    }
                    requests.push((
                        how.time(),
                        if matches!(how, How::At(_)) { 0 } else { 2 },
                        s.requests.len() + i,
                        RequestSpec {
                            at: how.time(),
                            client: names[c.index()].clone(),
                            op: op.clone(),
                            line: 0,
                        },
                    ));
                }
                Input::ProcessNow(id) => left_out.push(format!(
                    "deliver/fire #{id} by hand (a scenario has no hand-driven schedule)"
                )),
                Input::Drop(id) => left_out.push(format!(
                    "drop #{id} by hand (a scenario has no hand-driven schedule)"
                )),
                Input::Steps(_) | Input::Ended | Input::Until(_) | Input::Clock(_) => {}
            }
        }
        faults.sort_by_key(|(t, rank, i, _)| (*t, *rank, *i));
        s.faults = faults.into_iter().map(|(.., f)| f).collect();
        requests.sort_by_key(|(t, rank, i, _)| (*t, *rank, *i));
        s.requests = requests.into_iter().map(|(.., r)| r).collect();
        // Stop where the session stands; never let "clients done" end it earlier.
        let now = self.sim().now();
        s.until = now;
        s.settle = now;
        s.name = format!("{}-session", self.scenario.name);
        s.description = format!(
            "A synod repl session on {} (seed {}), saved at {} after {} events.",
            self.scenario.name,
            self.scenario.seed,
            now,
            self.events()
        );
        let due_now = self
            .sim()
            .pending()
            .iter()
            .filter(|p| p.time <= now)
            .count();
        if due_now > 0 && self.sim().ended().is_none() {
            left_out.push(format!(
                "{due_now} more events are due at {now}; the scenario runs them too"
            ));
        }
        (s, left_out)
    }

    /// `save FILE`.
    pub fn save(&self, path: &str) {
        let (s, left_out) = self.saved_scenario();
        let mut text = String::from("# Saved by `synod repl`; replay with `synod run FILE`.\n");
        for l in &left_out {
            let _ = writeln!(text, "# not saved: {l}");
        }
        text.push_str(&s.to_toml());
        if let Err(e) = std::fs::write(path, &text) {
            say!(self, "error: cannot write `{path}`: {e}");
            return;
        }
        say!(
            self,
            "saved to {path}: seed {}, {} faults, until {}",
            s.seed,
            s.faults.len(),
            s.until
        );
        if left_out.is_empty() {
            say!(self, "`synod run {path}` replays this session exactly");
        } else {
            say!(self, "not saved (a scenario cannot express them):");
            for l in &left_out {
                say!(self, "  {l}");
            }
        }
    }
}
