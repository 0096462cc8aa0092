//! What every protocol's view (`synod view`'s state at the cursor, [`synod_core::view`])
//! shares: a store as the `store` table, one row per key, and the stamp of a command by the
//! request it carries out; and what their inspections (the REPL's `inspect`,
//! [`synod_core::inspect`]) share: the store and the exactly-once sessions. The protocol-specific parts are in `raft/view.rs`,
//! `multipaxos/view.rs`, `paxos/view.rs` and the single server's `view` (`single_server`);
//! a KV client reports nothing ([`crate::kv::KvNode`]).

use crate::kv::{Sessions, Store};
use synod_core::NodeId;
use synod_core::ShowStore;
use synod_core::inspect::Inspect;
use synod_core::view::{StateView, stamp};

/// Report `store` as the `store` table: key -> value.
pub fn store(v: &mut StateView, store: &Store) {
    for (k, val) in store.data() {
        v.text_row("store", k, val);
    }
}

/// The stamp of a log entry or slot: the epoch it was created or accepted in (term or
/// ballot, as numbers) and the client request it carries (`None`: a no-op). A client request
/// id names one command, so equal stamps at one index mean equal cells.
pub fn entry_stamp(epoch: &[u64], origin: Option<(NodeId, u64)>) -> u64 {
    let (client, req) = origin.map_or((0, 0), |(c, r)| (u64::from(c.0) + 1, r));
    let mut parts = [0u64; 4];
    let n = epoch.len().min(2);
    parts[..n].copy_from_slice(&epoch[..n]);
    parts[2] = client;
    parts[3] = req;
    stamp(&parts)
}

/// Inspect a state machine: its store (`{a: val_1, c: val_7}`) and its sessions, each client's
/// last request and the result it got (what answers a retry from memory).
pub fn inspect_state_machine(out: &mut Inspect<'_>, store: &Store, sessions: &Sessions) {
    out.field("store", ShowStore(store.data()));
    let mut rows: Vec<(String, u64, String)> = Vec::new();
    for (client, req, result) in sessions.iter() {
        rows.push((out.name(client), req, result.to_string()));
    }
    let mut t = out.table("sessions", &["client", "last request", "its result"]);
    for (client, req, result) in rows {
        t.row(|r| {
            r.cell(client).cell(format_args!("#{req}")).cell(result);
        });
    }
}
