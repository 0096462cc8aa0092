//! # Viewstamped Replication: a replicated key-value store
//!
//! The protocol of "Viewstamped Replication Revisited" (Barbara Liskov and James Cowling, MIT
//! technical report MIT-CSAIL-TR-2012-021, 2012), replicating synod's KV store on `2f + 1`
//! replicas. The primary of view `v` is replica `v mod n`; there are no elections.
//!
//! - **Normal operation** (section 4.1): `Request`, `Prepare`, `PrepareOk`, `Commit` with
//!   op-numbers and commit-numbers; backups append ops strictly in order; an op prepared on
//!   `f + 1` replicas is committed, executed, and answered by the primary.
//! - **View changes** (4.2): `StartViewChange`, `DoViewChange`, `StartView`; the new primary
//!   takes the log with the largest last-normal view, then the largest op-number.
//! - **Recovery** (4.3): a replica keeps nothing on disk; after a crash it asks with `Recovery`
//!   and a fresh nonce, and takes the state of the latest view's primary from `f + 1`
//!   `RecoveryResponse`s, which only replicas in normal status send.
//! - **State transfer** (5.2): `GetState`, `NewState`, for a replica that lacks ops or hears of a
//!   view it was not part of.
//! - **Clients**: the shared [`KvClient`](crate::kv::KvClient); the client table
//!   ([`client_table`]) and request ids make retries exactly-once; backups answer with the
//!   primary of their view.
//!
//! Files: [`msg`] (the messages), [`replica`] (one replica, a [`synod_core::Process`]; its
//! handlers in one file per section of the paper), [`client_table`], `check` (the live checks
//! that read the replicas), [`build`] (the scenario keys it takes and the system it builds),
//! `view` (the state `synod view` draws), `tests` (the paper-behaviour tests). A node of a run
//! is a [`VrNode`]: a replica or a client of the shared workload.

pub mod build;
mod check;
pub mod client_table;
pub mod msg;
pub mod replica;
#[cfg(test)]
mod tests;
mod view;

pub use build::{PROTOCOL, simulation, specs};
pub use check::VrChecker;
pub use msg::VrMsg;
pub use replica::{Durable, Status, VrReplica};

use crate::kv::{ClientTimer, KvNode, KvTimer};
use synod_core::Time;

crate::planted_bugs! {
    /// A planted bug of VR. Run with `bug = "NAME"`.
    pub enum Bug {
        /// `ignore-last-normal-view`.
        IgnoreLastNormalView = "ignore-last-normal-view": "a new primary takes the longest log from DoViewChange without comparing last-normal views (4.2)",
        /// `recovery-answer-in-view-change`.
        RecoveryAnswerInViewChange = "recovery-answer-in-view-change": "a replica answers Recovery while it is changing views, as if its view had started (4.3)",
        /// `prepare-out-of-order`.
        PrepareOutOfOrder = "prepare-out-of-order": "a backup appends a Prepare as it arrives, without waiting for the earlier ops (4.1)",
        /// `no-client-table`.
        NoClientTable = "no-client-table": "the primary ignores the client table: a retried request gets a new op-number and is executed again (4.1)",
    }
}

/// How the replicas are set up; shared by all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct VrConfig {
    /// Number of replicas; they are nodes `0..replicas`, the clients come after.
    pub replicas: usize,
    /// The replicas' names, by node id, as narration names them (`n1`, `Taziri`).
    pub names: Vec<String>,
    /// The range a backup's view-change timeout is drawn from: hearing nothing from the
    /// primary for this long starts a view change, and a view change that takes this long
    /// moves on to the next view (`timing.view_change_timeout_ms`).
    pub view_change_timeout: (Time, Time),
    /// How often an idle primary sends `Commit` and a replica resends what may have been lost
    /// (`timing.commit_interval_ms`).
    pub commit_interval: Time,
    /// A planted bug, if any.
    pub bug: Option<Bug>,
}

impl Default for VrConfig {
    fn default() -> Self {
        VrConfig {
            replicas: 5,
            names: (1..=5).map(|i| format!("n{i}")).collect(),
            view_change_timeout: (Time::ms(150), Time::ms(300)),
            commit_interval: Time::ms(50),
            bug: None,
        }
    }
}

/// The timers of a VR system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VrTimer {
    /// Every commit interval: an idle primary sends `Commit` and resends unacknowledged
    /// `Prepare`s; a replica in a view change or recovering resends its messages.
    Tick,
    /// Check the view-change deadline: a backup that heard nothing from its primary, or a view
    /// change that did not complete, moves on to the next view (4.2).
    Deadline,
    /// A client's request timeout.
    Client(ClientTimer),
}

impl From<ClientTimer> for VrTimer {
    fn from(t: ClientTimer) -> Self {
        VrTimer::Client(t)
    }
}

impl KvTimer for VrTimer {
    fn into_client(self) -> Result<ClientTimer, VrTimer> {
        match self {
            VrTimer::Client(t) => Ok(t),
            other => Err(other),
        }
    }
}

/// A node of a VR system: a replica or a client.
pub type VrNode = KvNode<VrReplica>;
