//! A scenario written back as TOML (`synod check --out`, the REPL's `save`): it parses back to
//! the same scenario.

use super::{FaultAction, Scenario};
use crate::settings::{Kind, Value, ms_text};
use std::fmt::Write as _;
use synod_core::Time;

/// A string as TOML writes it (quotes and escapes included).
fn toml_str(s: &str) -> String {
    toml::Value::from(s).to_string()
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A time in milliseconds, exact to the microsecond.
fn ms(t: Time) -> String {
    let us = t.as_micros();
    if us % 1000 == 0 {
        format!("{}", us / 1000)
    } else {
        format!("{}", us as f64 / 1000.0)
    }
}

/// A setting's value as TOML.
fn value(kind: &Kind, v: &Value) -> String {
    match (kind, v) {
        (Kind::Weights { names, .. }, Value::Weights(w)) => {
            let parts: Vec<String> = names
                .iter()
                .zip(w)
                .map(|(n, x)| format!("{n} = {x}"))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        (_, Value::List(items)) => toml_list(items),
        (_, Value::Word(w)) => toml_str(w),
        (_, Value::Ms(x)) => ms_text(*x),
        (_, other) => other.to_string(),
    }
}

impl Scenario {
    /// The scenario as a TOML file that parses back to the same scenario: every
    /// top-level key, the network, the faults, requests and notes, and the protocol's settings
    /// that were given (the others keep the
    /// protocol's documented defaults).
    pub fn to_toml(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "name = {}", toml_str(&self.name));
        if !self.description.is_empty() {
            let _ = writeln!(o, "description = {}", toml_str(&self.description));
        }
        let _ = writeln!(o, "protocol = {}", toml_str(self.protocol.name));
        let _ = writeln!(o, "seed = {}", self.seed);
        let _ = writeln!(o, "until_ms = {}", ms(self.until));
        let _ = writeln!(o, "settle_ms = {}", ms(self.settle));
        if let Some(b) = &self.bug {
            let _ = writeln!(o, "bug = {}", toml_str(b));
        }
        if !self.schedule.is_empty() {
            // One step a line, with what it does as a comment (an explorer's counterexample).
            o.push_str("schedule = [\n");
            for s in &self.schedule {
                let entry = format!("{},", toml_str(&s.step.to_string()));
                match &s.note {
                    Some(n) => {
                        let note = n.replace(['\n', '\r'], " ");
                        let _ = writeln!(o, "  {entry:<22} # {note}");
                    }
                    None => {
                        let _ = writeln!(o, "  {entry}");
                    }
                }
            }
            o.push_str("]\n");
        }
        // The protocol's settings, table by table in the order it declares them.
        for table in self.protocol.tables() {
            let mut lines = String::new();
            for s in self.protocol.all_settings().filter(|s| s.table() == table) {
                if let Some((_, v)) = self.settings.iter().find(|(k, _)| k.key == s.key) {
                    let _ = writeln!(lines, "{} = {}", s.name(), value(&s.kind, v));
                }
            }
            if !lines.is_empty() {
                let _ = write!(o, "\n[{table}]\n{lines}");
            }
        }
        let n = &self.net;
        let _ = writeln!(o, "\n[network]");
        let _ = writeln!(
            o,
            "latency_ms = {{ min = {}, max = {} }}",
            ms(n.latency_min),
            ms(n.latency_max)
        );
        let _ = writeln!(o, "loss = {}", n.loss);
        let _ = writeln!(o, "duplicate = {}", n.duplicate);
        if n.stagger > Time::ZERO {
            let _ = writeln!(o, "stagger_ms = {}", ms(n.stagger));
        }
        for f in &self.faults {
            let _ = writeln!(o, "\n[[fault]]\nat_ms = {}", ms(f.at));
            if let Some(d) = f.lasts {
                let _ = writeln!(o, "for_ms = {}", ms(d));
            }
            if let Some(m) = f.when {
                let _ = writeln!(o, "when = \"{}\"", m.on.name());
                if m.after > Time::ZERO {
                    let _ = writeln!(o, "after_ms = {}", ms(m.after));
                }
                if let Some(w) = m.within {
                    let _ = writeln!(o, "within_ms = {}", ms(w));
                }
            }
            let _ = match &f.action {
                FaultAction::Crash(n) => writeln!(o, "crash = {}", toml_str(n)),
                FaultAction::Restart(n) => writeln!(o, "restart = {}", toml_str(n)),
                FaultAction::Partition(gs) => {
                    let lists: Vec<String> = gs.iter().map(|g| toml_list(g)).collect();
                    writeln!(o, "partition = [{}]", lists.join(", "))
                }
                FaultAction::OneWay(a, b) => writeln!(
                    o,
                    "one_way = {{ from = {}, to = {} }}",
                    toml_list(a),
                    toml_list(b)
                ),
                FaultAction::Heal => writeln!(o, "heal = true"),
                FaultAction::Hold(n) => writeln!(o, "hold = {}", toml_str(n)),
                FaultAction::Release(n) => writeln!(o, "release = {}", toml_str(n)),
                FaultAction::Slow(n, x) => {
                    writeln!(o, "slow = {{ node = {}, factor = {x} }}", toml_str(n))
                }
                FaultAction::Skew(n, x) => {
                    writeln!(o, "skew = {{ node = {}, factor = {x} }}", toml_str(n))
                }
                FaultAction::Loss(p) => writeln!(o, "loss = {p}"),
                FaultAction::Duplicate(p) => writeln!(o, "duplicate = {p}"),
                FaultAction::Latency(a, b) => {
                    writeln!(o, "latency_ms = {{ min = {}, max = {} }}", ms(*a), ms(*b))
                }
                FaultAction::Ring(r) => writeln!(o, "ring = {}", toml_list(r)),
                FaultAction::Repair => writeln!(o, "repair = true"),
                FaultAction::Protocol(key, value) => writeln!(o, "{key} = {}", toml_str(value)),
            };
        }
        for r in &self.requests {
            let _ = writeln!(
                o,
                "\n[[request]]\nat_ms = {}\nclient = {}\nop = {}\nkey = {}",
                ms(r.at),
                toml_str(&r.client),
                toml_str(&r.op.f),
                toml_str(&r.op.key)
            );
            if let Some(v) = &r.op.value {
                let _ = writeln!(o, "value = {}", toml_str(v));
            }
        }
        for n in &self.notes {
            let _ = writeln!(
                o,
                "\n[[note]]\nat_ms = {}\ntext = {}",
                ms(n.at),
                toml_str(&n.text)
            );
        }
        let e = &self.expect;
        let mut expect = String::new();
        for (k, v) in [
            ("all_requests_complete", e.all_requests_complete),
            ("linearizable", e.linearizable),
            ("converged", e.converged),
            ("decided", e.decided),
        ] {
            if let Some(v) = v {
                let _ = writeln!(expect, "{k} = {v}");
            }
        }
        if let Some(v) = &e.violation {
            let _ = writeln!(expect, "violation = {}", toml_str(v));
        }
        if !expect.is_empty() {
            let _ = write!(o, "\n[expect]\n{expect}");
        }
        o
    }
}
