//! A Raft server's state as `synod view` draws it: the fields of Figure 2 (role, current
//! term, vote, commit index, last applied, the snapshot's last index and the configuration when
//! they matter), the log as a table (index -> term, command; the viewer's log grid colours
//! cells by term, as Figure 8 does) and the store; and as `inspect` shows it, with Figure 2's
//! names (`currentTerm`, `votedFor`, `log[]`, `commitIndex`, `lastApplied`, `nextIndex[]`,
//! `matchIndex[]`).

use super::log::Log;
use super::node::{Durable, RaftServer};
use crate::view::{entry_stamp, inspect_state_machine, store};
use synod_core::inspect::Inspect;
use synod_core::view::StateView;

impl RaftServer {
    /// Report this server's state (see [`synod_core::view`]). The log changes only at its end
    /// (a truncation, appends), and every change marks the first index it touched: the report
    /// lists the log from there on, so a run's views cost the entries that changed, not the
    /// length of the log at every event. Entries are stamped by term and request.
    pub fn view(&self, v: &mut StateView) {
        v.field("role", self.role().name());
        v.field("term", self.term());
        match self.voted_for() {
            Some(n) => v.field("voted_for", n.0 + 1),
            None => v.field("voted_for", "-"),
        }
        match self.leader() {
            Some(n) => v.field("leader", n.0 + 1),
            None => v.field("leader", "-"),
        }
        v.field("commit", self.commit_index());
        v.field("applied", self.last_applied());
        let log = self.log();
        if log.snapshot_index() > 0 {
            v.field("snapshot", log.snapshot_index());
        }
        if self.config() != &self.cfg().initial {
            v.field("config", self.config());
        }
        let from = self.view_log.first(v).max(1);
        v.rows_from("log", from);
        // Entries compacted into the snapshot are not listed: their rows go.
        for i in from.max(log.first_index())..=log.last_index() {
            let Some(e) = log.get(i) else { break };
            v.row("log", i, entry_stamp(&[e.term], e.req), |c| {
                match &e.config {
                    Some(m) => {
                        c.cell(e.term).cell(format_args!("CONFIG {m}"));
                    }
                    None => {
                        c.cell(e.term).cell(&e.cmd);
                    }
                }
            });
        }
        store(v, self.store());
    }
}

impl RaftServer {
    /// Describe this server for `inspect`: Figure 2's state, nodes by name, the log as
    /// `index:term:command` rows.
    pub fn inspect(&self, out: &mut Inspect<'_>) {
        out.field("role", self.role().name());
        out.field("currentTerm", self.term());
        out.node("votedFor", self.voted_for());
        out.node("leader", self.leader());
        out.field("commitIndex", self.commit_index());
        out.field("lastApplied", self.last_applied());
        log(out, self.log());
        let progress: Vec<_> = self.progress().collect();
        if !progress.is_empty() {
            let show = |pick: fn(&(synod_core::NodeId, u64, u64)) -> u64, out: &Inspect<'_>| {
                progress
                    .iter()
                    .map(|p| format!("{} {}", out.name(p.0), pick(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let next = show(|p| p.1, out);
            let matched = show(|p| p.2, out);
            out.field("nextIndex", next);
            out.field("matchIndex", matched);
        }
        inspect_state_machine(out, self.store(), self.sessions());
    }
}

/// The log as `index:term:command` rows.
fn log(out: &mut Inspect<'_>, log: &Log) {
    let mut t = out.table("log", &["index", "term", "command"]);
    for i in 1..=log.last_index() {
        if let Some(e) = log.get(i) {
            t.row(|r| {
                r.cell(i).cell(e.term).cell(&e.cmd);
            });
        }
    }
}

/// Describe what a crashed server kept: Figure 2's persistent state.
pub(super) fn inspect_durable(d: &Durable, out: &mut Inspect<'_>) {
    out.field("currentTerm", d.current_term);
    out.node("votedFor", d.voted_for);
    log(out, &d.log);
}
