//! Judge a run: attach every live check and the history recorder to a system, then judge the
//! scenario's expectations (and linearizability) when it ends. `synod run`,
//! `synod check`, the REPL and the web game all judge runs this way.

use crate::scenario::Scenario;
use crate::system::System;
use std::collections::BTreeMap;
use synod_check::invariants::{Agreement, ElectionSafety, StateMachineSafety};
use synod_check::recorder::{HistoryRecorder, RecordedOp, StreamRecorder, Tally};
use synod_check::{
    Budget, CheckReport, ModelKind, StreamStats, Verdict as LinVerdict, check_history,
};
use synod_core::{Decision, NodeId, NodeStatus, ShowStore, Time};
use synod_sim::{EndReason, Shared, Stats};

/// One expectation and whether it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The expectation's key (`all_requests_complete`, ...).
    pub name: String,
    /// Whether it held.
    pub held: bool,
    /// Why, in a few words.
    pub detail: String,
}

/// Everything a run produced that a summary shows.
#[derive(Clone, Debug)]
pub struct Report {
    /// Why it ended.
    pub end: EndReason,
    /// Virtual time at the end.
    pub now: Time,
    /// Message and event statistics.
    pub stats: Stats,
    /// The client history (empty when the run was checked as it streamed:
    /// [`Checks::attach_streaming`]).
    pub history: Vec<RecordedOp>,
    /// The requests by kind.
    pub requests: Tally,
    /// The figures of the streaming check, when the run was checked as it streamed.
    pub stream: Option<StreamStats>,
    /// Each server's name and final status (`None` if down).
    pub servers: Vec<(String, Option<NodeStatus>)>,
    /// Each expectation of the scenario, judged.
    pub verdicts: Vec<Verdict>,
    /// The linearizability checker's verdict on the client history, and its explanation when
    /// the history is not linearizable (`None` when there were no client operations).
    pub lin: Option<(bool, String, Option<String>)>,
}

impl Report {
    /// Whether the run met every expectation and broke no safety property it was not
    /// expected to break.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.held)
    }
}

/// Live checks and the history recorder, attached to a system before it runs.
pub struct Checks {
    history: Shared<HistoryRecorder>,
    /// Set by [`Checks::attach_streaming`]: the history is checked as it happens and not kept.
    stream: Option<Shared<StreamRecorder>>,
}

impl Checks {
    /// Attach the generic safety checks (agreement, state machine safety, election safety) and
    /// the history recorder.
    pub fn attach(system: &mut System) -> Checks {
        Checks::attach_live(system);
        let history = Shared::new(HistoryRecorder::default());
        system.sim.add_observer(Box::new(history.clone()));
        Checks {
            history,
            stream: None,
        }
    }

    /// The same checks, with the client history checked for linearizability as it happens
    /// (the streaming check) instead of kept whole for a check at the end: memory follows the
    /// requests in flight, not their number. [`Checks::history`] is then empty. `synod run`
    /// judges this way.
    pub fn attach_streaming(system: &mut System) -> Checks {
        Checks::attach_live(system);
        let stream = Shared::new(StreamRecorder::default());
        system.sim.add_observer(Box::new(stream.clone()));
        Checks {
            history: Shared::new(HistoryRecorder::default()),
            stream: Some(stream),
        }
    }

    fn attach_live(system: &mut System) {
        system.sim.add_observer(Box::new(Agreement::default()));
        system
            .sim
            .add_observer(Box::new(StateMachineSafety::default()));
        system.sim.add_observer(Box::new(ElectionSafety::default()));
    }

    /// The client history so far (empty when checked as it streams).
    pub fn history(&self) -> Vec<RecordedOp> {
        self.history.borrow().ops.clone()
    }
}

/// Judge a finished run against the scenario's expectations.
pub fn judge(system: &System, checks: &Checks, scenario: &Scenario, end: EndReason) -> Report {
    let sim = &system.sim;
    let history = checks.history();
    let (requests, lin, stream) = match &checks.stream {
        Some(rec) => {
            let mut rec = rec.borrow_mut();
            let lin = rec.finish().map(|checked| match checked {
                Ok(report) => lin_summary(&report),
                Err(why) => (false, why, None),
            });
            (rec.tally(), lin, Some(rec.stats()))
        }
        None => (Tally::of(&history), linearizability(&history), None),
    };
    let statuses = sim.statuses();
    let servers: Vec<(String, Option<NodeStatus>)> = system
        .servers
        .iter()
        .map(|id| {
            (
                sim.specs()[id.index()].name.clone(),
                statuses[id.index()].clone(),
            )
        })
        .collect();
    let mut verdicts = Vec::new();
    let e = &scenario.expect;

    match (&end, &e.violation) {
        (EndReason::Violation(v), Some(want)) => verdicts.push(Verdict {
            name: "violation".into(),
            held: v.property == *want,
            detail: format!("expected {want}, got {v}"),
        }),
        (EndReason::Violation(v), None) => verdicts.push(Verdict {
            name: "safety".into(),
            held: false,
            detail: v.to_string(),
        }),
        (_, Some(want)) => verdicts.push(Verdict {
            name: "violation".into(),
            held: false,
            detail: format!("expected a violation of {want}, but safety held"),
        }),
        (_, None) => verdicts.push(Verdict {
            name: "safety".into(),
            held: true,
            detail: "every live safety check held".into(),
        }),
    }

    if let Some(want) = e.linearizable {
        let (held, detail) = match &lin {
            None => (true, "no client operations".to_string()),
            Some((ok, summary, _)) => (*ok, summary.clone()),
        };
        verdicts.push(Verdict {
            name: "linearizable".into(),
            held: held == want,
            detail,
        });
    }

    if let Some(want) = e.all_requests_complete {
        let [issued, _, _, unfinished] = requests.total();
        let done = sim.clients_done() && unfinished == 0;
        verdicts.push(Verdict {
            name: "all_requests_complete".into(),
            held: done == want,
            detail: if done {
                format!("all {issued} requests completed")
            } else {
                format!(
                    "{unfinished} of {issued} invoked requests did not complete{}",
                    if sim.clients_done() {
                        ""
                    } else {
                        "; some clients did not finish"
                    }
                )
            },
        });
    }

    if let Some(want) = e.converged {
        // The newest configuration a server that is up holds (where membership changes): a
        // server outside it may have been removed without hearing of it, and keeps the store
        // it had then.
        let newest = servers
            .iter()
            .filter_map(|(_, st)| st.as_ref()?.config.as_ref())
            .max_by_key(|(index, _)| *index);
        let member = |id: &NodeId| newest.is_none_or(|(_, members)| members.contains(id));
        // The stores of the servers that are up, grouped: one group when they converged.
        let mut stores: Vec<(&BTreeMap<String, String>, Vec<&str>)> = Vec::new();
        for ((name, st), id) in servers.iter().zip(&system.servers) {
            if !member(id) {
                continue;
            }
            if let Some(store) = st.as_ref().and_then(|s| s.store.as_ref()) {
                match stores.iter_mut().find(|(s, _)| *s == store) {
                    Some((_, who)) => who.push(name.as_str()),
                    None => stores.push((store, vec![name.as_str()])),
                }
            }
        }
        let converged = stores.len() <= 1;
        verdicts.push(Verdict {
            name: "converged".into(),
            held: converged == want,
            detail: if converged {
                "the stores of the servers that are up are identical".into()
            } else {
                let groups: Vec<String> = stores
                    .iter()
                    .map(|(store, who)| format!("{} has {}", who.join(", "), ShowStore(store)))
                    .collect();
                format!("stores differ: {}", groups.join("; "))
            },
        });
    }

    if let Some(want) = e.decided {
        let undecided: Vec<&str> = sim
            .specs()
            .iter()
            .zip(&statuses)
            .filter_map(|(spec, st)| {
                let st = st.as_ref()?;
                (st.decision == Some(Decision::Pending)).then_some(spec.name.as_str())
            })
            .collect();
        let decided = undecided.is_empty();
        verdicts.push(Verdict {
            name: "decided".into(),
            held: decided == want,
            detail: if decided {
                "every live learner decided".into()
            } else {
                format!("undecided: {}", undecided.join(", "))
            },
        });
    }

    Report {
        end,
        now: sim.now(),
        stats: sim.stats().clone(),
        history,
        requests,
        stream,
        servers,
        verdicts,
        lin,
    }
}

/// Search steps each key of a run's history may take in the linearizability check before it
/// gives up (the answer is then "unknown", unless another key is refuted). Histories synod
/// makes are checked in far fewer; the bound keeps a pathological one from stalling a
/// campaign.
pub const LIN_STEP_BUDGET: u64 = 20_000_000;

/// Bytes the linearizability check of one run may hold in search structures: a key whose
/// search would need more gives up cleanly, as under `synod lin --max-memory`.
pub const LIN_MEMORY_BUDGET: usize = 1 << 30;

/// Check the client history with the KV model: (linearizable, summary, explanation).
pub fn linearizability(history: &[RecordedOp]) -> Option<(bool, String, Option<String>)> {
    if history.is_empty() {
        return None;
    }
    let h = match HistoryRecorder::history(history, "run") {
        Ok(h) => h,
        Err(e) => return Some((false, format!("unusable history: {e}"), None)),
    };
    let mut budget = Budget::unlimited()
        .with_max_steps(LIN_STEP_BUDGET)
        .with_max_memory(LIN_MEMORY_BUDGET);
    Some(match check_history(&h, ModelKind::Kv, &mut budget) {
        Ok(report) => lin_summary(&report),
        Err(e) => (
            false,
            format!("the KV model cannot check this history: {e}"),
            None,
        ),
    })
}

/// (linearizable, summary, explanation) of a check's report.
fn lin_summary(report: &CheckReport) -> (bool, String, Option<String>) {
    let why = match &report.verdict {
        LinVerdict::NotLinearizable(e) => Some(e.to_string()),
        _ => None,
    };
    (
        matches!(report.verdict, LinVerdict::Linearizable),
        report.summary(),
        why,
    )
}
