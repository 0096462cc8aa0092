//! The client table (section 4, Figure 2): "for each client, the number of its most recent
//! request, plus, if the request has been executed, the result sent for that request".
//!
//! The first half is kept here, with the op-number that holds the request, and is rebuilt from
//! the log whenever the log is replaced (a view change, recovery, state transfer). The second
//! half is the shared [`Sessions`]: the state machine remembers each client's last executed
//! request and its result, so an operation is executed at most once even if it reached the log
//! twice.

use crate::kv::{Request, Sessions, Store};
use std::collections::BTreeMap;
use synod_core::{ClientResult, NodeId};

/// What the primary does with a client's request (4.1, step 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A new request: give it the next op-number.
    New,
    /// An older request than the client's latest: drop it.
    Stale,
    /// The client's latest request, already in the log but not yet executed: drop it (the reply
    /// goes out when it commits).
    InLog(u64),
    /// The client's latest request, executed: send the reply again.
    Executed(ClientResult),
}

/// A replica's client table.
#[derive(Clone, Debug, Default)]
pub struct ClientTable {
    /// Each client's latest request in the log: (request number, op-number).
    latest: BTreeMap<NodeId, (u64, u64)>,
    /// Executed requests and their results (exactly-once execution).
    sessions: Sessions,
}

impl ClientTable {
    /// What to do with `req`, given the commit-number (ops up to it are executed).
    pub fn admit(&mut self, store: &mut Store, req: &Request, commit: u64) -> Admission {
        match self.latest.get(&req.client) {
            Some(&(s, _)) if req.req_id < s => Admission::Stale,
            Some(&(s, op)) if req.req_id == s => {
                if op > commit {
                    Admission::InLog(op)
                } else {
                    // Executed already: `Sessions` answers from memory and applies nothing.
                    Admission::Executed(
                        self.sessions
                            .apply(store, req.client, req.req_id, &req.cmd)
                            .0,
                    )
                }
            }
            _ => Admission::New,
        }
    }

    /// The op-number holding `req` if it is its client's latest request in the table (a
    /// retry), without executing anything: what the planted `no-client-table` ignores.
    pub fn holds(&self, req: &Request) -> Option<u64> {
        match self.latest.get(&req.client) {
            Some(&(s, op)) if s == req.req_id => Some(op),
            _ => None,
        }
    }

    /// Record that `req` holds op-number `op`.
    pub fn prepared(&mut self, req: &Request, op: u64) {
        let e = self.latest.entry(req.client).or_insert((0, 0));
        if req.req_id >= e.0 {
            *e = (req.req_id, op);
        }
    }

    /// After the log was replaced: recompute the latest request of each client from it. The
    /// results of executed requests stay, since the executed prefix of a log never changes.
    pub fn rebuild(&mut self, log: &[Request]) {
        self.latest.clear();
        for (i, req) in log.iter().enumerate() {
            self.prepared(req, i as u64 + 1);
        }
    }

    /// Execute `req` against `store`, at most once per request.
    pub fn execute(&mut self, store: &mut Store, req: &Request) -> ClientResult {
        self.sessions
            .apply(store, req.client, req.req_id, &req.cmd)
            .0
    }
}
