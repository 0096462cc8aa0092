//! The messages of Viewstamped Replication (Liskov and Cowling, 2012), named as in the paper:
//! normal operation (section 4.1), view changes (4.2), recovery (4.3) and state transfer
//! (5.2), plus the shared KV client's `Request` and `Reply`.
//!
//! A log entry is the client's request itself (the paper's `m`): who asked, its request number
//! and the command. Its position in the log is its op-number, counted from 1.

use crate::kv::{KvMessage, Reply, Request};
use serde::Serialize;
use std::fmt;
use synod_core::Message;

/// A message between replicas, or between a replica and a client.
#[derive(Clone, Debug, Serialize)]
pub enum VrMsg {
    /// `<PREPARE v, m, n, k>` (4.1): the primary of view `view` assigns op-number `op` to the
    /// request `entry`; `commit` is its commit-number.
    Prepare {
        /// The primary's view-number.
        view: u64,
        /// The op-number assigned to the request.
        op: u64,
        /// The client's request (`m`).
        entry: Request,
        /// The primary's commit-number (`k`).
        commit: u64,
    },
    /// `<PREPAREOK v, n, i>` (4.1): the backup holds every op up to `op` in view `view`.
    PrepareOk {
        /// The backup's view-number.
        view: u64,
        /// The highest op-number it holds (a PrepareOk acknowledges every earlier op too).
        op: u64,
    },
    /// `<COMMIT v, k>` (4.1): sent by an idle primary, so that backups learn the commit-number
    /// and know the primary is alive.
    Commit {
        /// The primary's view-number.
        view: u64,
        /// Its commit-number.
        commit: u64,
    },
    /// `<STARTVIEWCHANGE v, i>` (4.2): the sender moved to view `view` and starts a view change.
    StartViewChange {
        /// The new view.
        view: u64,
    },
    /// `<DOVIEWCHANGE v, l, v', n, k, i>` (4.2): sent to the primary of the new view once `f`
    /// others agreed to change views.
    DoViewChange {
        /// The new view.
        view: u64,
        /// The sender's log (`l`).
        log: Vec<Request>,
        /// The latest view in which the sender's status was normal (`v'`).
        last_normal: u64,
        /// The sender's op-number (`n`).
        op: u64,
        /// The sender's commit-number (`k`).
        commit: u64,
    },
    /// `<STARTVIEW v, l, n, k>` (4.2): the new primary announces the view and its log.
    StartView {
        /// The new view.
        view: u64,
        /// The log of the new view.
        log: Vec<Request>,
        /// Its op-number.
        op: u64,
        /// The commit-number.
        commit: u64,
    },
    /// `<RECOVERY i, x>` (4.3): a replica that restarted with nothing asks for the state.
    Recovery {
        /// A fresh nonce, so that only answers to this recovery are taken.
        nonce: u64,
    },
    /// `<RECOVERYRESPONSE v, x, l, n, k, j>` (4.3): only a replica in normal status answers; only
    /// the primary of its view sends its state.
    RecoveryResponse {
        /// The responder's view-number.
        view: u64,
        /// The nonce of the Recovery answered.
        nonce: u64,
        /// The primary's log, op-number and commit-number; `None` from a backup.
        state: Option<(Vec<Request>, u64, u64)>,
    },
    /// `<GETSTATE v, n', i>` (5.2): a replica that lacks ops of view `view` asks for the ops
    /// after `op`.
    GetState {
        /// The view the asker is in.
        view: u64,
        /// Its op-number: it wants the ops after this one.
        op: u64,
    },
    /// `<NEWSTATE v, l, n, k>` (5.2): the ops after the asker's op-number.
    NewState {
        /// The responder's view-number.
        view: u64,
        /// The op-number the entries follow (the asker's `n'`).
        after: u64,
        /// The ops `after + 1 ..= op`.
        entries: Vec<Request>,
        /// The responder's op-number.
        op: u64,
        /// Its commit-number.
        commit: u64,
    },
    /// A client request.
    Request(Request),
    /// A reply to a client.
    Reply(Reply),
}

impl From<Request> for VrMsg {
    fn from(r: Request) -> Self {
        VrMsg::Request(r)
    }
}

impl KvMessage for VrMsg {
    fn into_reply(self) -> Result<Reply, VrMsg> {
        match self {
            VrMsg::Reply(r) => Ok(r),
            other => Err(other),
        }
    }
}

impl fmt::Display for VrMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VrMsg::Prepare {
                view,
                op,
                entry,
                commit,
            } => write!(
                f,
                "Prepare(v{view}, op {op}: {}, commit {commit})",
                entry.cmd
            ),
            VrMsg::PrepareOk { view, op } => write!(f, "PrepareOk(v{view}, op {op})"),
            VrMsg::Commit { view, commit } => write!(f, "Commit(v{view}, commit {commit})"),
            VrMsg::StartViewChange { view } => write!(f, "StartViewChange(v{view})"),
            VrMsg::DoViewChange {
                view,
                last_normal,
                op,
                commit,
                ..
            } => write!(
                f,
                "DoViewChange(v{view}, last normal v{last_normal}, op {op}, commit {commit})"
            ),
            VrMsg::StartView {
                view, op, commit, ..
            } => write!(f, "StartView(v{view}, op {op}, commit {commit})"),
            VrMsg::Recovery { nonce } => write!(f, "Recovery(nonce {nonce:016x})"),
            VrMsg::RecoveryResponse {
                view,
                nonce,
                state: Some((_, op, commit)),
            } => write!(
                f,
                "RecoveryResponse(v{view}, nonce {nonce:016x}, op {op}, commit {commit})"
            ),
            VrMsg::RecoveryResponse {
                view,
                nonce,
                state: None,
            } => write!(f, "RecoveryResponse(v{view}, nonce {nonce:016x})"),
            VrMsg::GetState { view, op } => write!(f, "GetState(v{view}, after op {op})"),
            VrMsg::NewState {
                view,
                after,
                op,
                commit,
                ..
            } => write!(
                f,
                "NewState(v{view}, ops {}..{op}, commit {commit})",
                after + 1
            ),
            VrMsg::Request(r) => r.fmt(f),
            VrMsg::Reply(r) => r.fmt(f),
        }
    }
}

impl Message for VrMsg {
    fn kind(&self) -> &'static str {
        match self {
            VrMsg::Prepare { .. } => "Prepare",
            VrMsg::PrepareOk { .. } => "PrepareOk",
            VrMsg::Commit { .. } => "Commit",
            VrMsg::StartViewChange { .. } => "StartViewChange",
            VrMsg::DoViewChange { .. } => "DoViewChange",
            VrMsg::StartView { .. } => "StartView",
            VrMsg::Recovery { .. } => "Recovery",
            VrMsg::RecoveryResponse { .. } => "RecoveryResponse",
            VrMsg::GetState { .. } => "GetState",
            VrMsg::NewState { .. } => "NewState",
            VrMsg::Request(_) => "Request",
            VrMsg::Reply(_) => "Reply",
        }
    }
}
