//! A VR replica's state as `synod view` draws it: the fields of Figure 2 (status, view-number,
//! op-number, commit-number) with the last normal view and the primary of the view, the log as a
//! table (op-number -> the request, short and in full; the viewer's log grid draws it with the
//! commit-number as its bar) and the store.

use super::replica::{Status, VrReplica};
use crate::kv::Command;
use crate::view::{entry_stamp, store};
use std::fmt;
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
