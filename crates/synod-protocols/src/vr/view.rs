//! A VR replica's state as `synod view` draws it: the fields of Figure 2 (status, view-number,
//! op-number, commit-number) with the last normal view and the primary of the view, the log as a
//! table (op-number -> the request, short and in full; the viewer's log grid draws it with the
//! commit-number as its bar) and the store; and the same state described for people (the REPL's
//! `inspect`), by the paper's names.

use super::replica::{Status, VrReplica};
use crate::kv::Command;
use crate::view::{entry_stamp, store};
use std::fmt;
use synod_core::ShowStore;
use synod_core::inspect::Inspect;
use synod_core::view::StateView;

/// A command in a grid cell's width: `P a`, `G a`, `D a` (the viewer shows the first cell of a
/// log row in the cell, the rest when the cell is clicked).
struct Short<'a>(&'a Command);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Command::Put { key, .. } => write!(f, "P {key}"),
            Command::Get { key } => write!(f, "G {key}"),
            Command::Delete { key } => write!(f, "D {key}"),
            Command::Noop => f.write_str("-"),
        }
    }
}

impl VrReplica {
    /// Report this replica's state (see [`synod_core::view`]). The log changes at its end
    /// (appends) or all at once (a view change, recovery, state transfer), and every change
    /// marks the first op-number it touched: the report lists the log from there on. Entries
    /// are stamped by the request they hold.
    pub fn report_view(&self, v: &mut StateView) {
        v.field(
            "status",
            match self.status() {
                Status::Normal => "normal",
                Status::ViewChange => "view-change",
                Status::Recovering => "recovering",
            },
        );
        if self.status() == Status::Recovering {
            // It knows no view until the answers to its Recovery come in (4.3).
            v.field("view", "-");
            v.field("primary", "-");
        } else {
            v.field("view", self.view());
            v.field("primary", self.name(self.primary_of(self.view())));
        }
        v.field("last_normal", self.last_normal());
        v.field("op", self.op());
        v.field("commit", self.commit());
        let from = self.view_log.first(v).max(1);
        v.rows_from("log", from);
        for (n, req) in self.log().iter().enumerate().skip(from as usize - 1) {
            let stamp = entry_stamp(&[], Some((req.client, req.req_id)));
            v.row("log", n as u64 + 1, stamp, |c| {
                c.cell(Short(&req.cmd)).cell(&req.cmd);
            });
        }
        store(v, self.store());
    }
}

impl VrReplica {
    /// Describe this replica for people (the REPL's `inspect`): Figure 2's state under the
    /// paper's names (view-number, status, op-number, commit-number), with the last normal view
    /// (4.2) and the primary by name, the log as `op-number:request` rows, and the store.
    pub fn inspect(&self, out: &mut Inspect<'_>) {
        let status = match self.status() {
            Status::Normal => "normal",
            Status::ViewChange => "view-change",
            Status::Recovering => "recovering",
        };
        out.field("status", status);
        if self.status() == Status::Recovering {
            out.field(
                "view-number",
                "unknown until f + 1 answers to its Recovery come in (4.3)",
            );
            out.field("nonce", format_args!("{:016x}", self.nonce()));
        } else {
            out.field("view-number", self.view());
            out.node("primary", Some(self.primary_of(self.view())));
        }
        out.field("last-normal-view", self.last_normal());
        out.field("op-number", self.op());
        out.field("commit-number", self.commit());
        let rows: Vec<(usize, String)> = self
            .log()
            .iter()
            .enumerate()
            .map(|(i, req)| {
                let who = out.name(req.client);
                (i + 1, format!("{} ({who} #{})", req.cmd, req.req_id))
            })
            .collect();
        let mut t = out.table("log", &["op-number", "request"]);
        for (op, req) in rows {
            t.row(|r| {
                r.cell(op).cell(req);
            });
        }
        out.field("store", ShowStore(self.store().data()));
    }
}
