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
//! that read the replicas), [`node`] (a node that is a replica or a client, and the system a
//! scenario describes), `tests` (the paper-behaviour tests).

mod check;
pub mod client_table;
pub mod msg;
pub mod node;
pub mod replica;
#[cfg(test)]
mod tests;

pub use check::VrChecker;
pub use msg::VrMsg;
pub use node::{VrNode, VrNodeTimer, build, simulation, specs};
pub use replica::{Durable, Status, VrReplica, VrTimer};

use synod_core::Time;

/// The planted bugs, by name, with what each breaks.
pub const BUGS: &[(&str, &str)] = &[
    (
        "ignore-last-normal-view",
        "a new primary takes the longest log from DoViewChange without comparing last-normal views (4.2)",
    ),
    (
        "recovery-answer-in-view-change",
        "a replica answers Recovery while it is changing views, as if its view had started (4.3)",
    ),
    (
        "prepare-out-of-order",
        "a backup appends a Prepare as it arrives, without waiting for the earlier ops (4.1)",
    ),
    (
        "no-client-table",
        "the primary ignores the client table: a retried request gets a new op-number and is executed again (4.1)",
    ),
];

/// A planted bug.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bug {
    /// `ignore-last-normal-view`.
    IgnoreLastNormalView,
    /// `recovery-answer-in-view-change`.
    RecoveryAnswerInViewChange,
    /// `prepare-out-of-order`.
    PrepareOutOfOrder,
    /// `no-client-table`.
    NoClientTable,
}

impl Bug {
    /// The bug named `name`, or an error listing the valid names.
    pub fn parse(name: &str) -> Result<Bug, String> {
        Ok(match name {
            "ignore-last-normal-view" => Bug::IgnoreLastNormalView,
            "recovery-answer-in-view-change" => Bug::RecoveryAnswerInViewChange,
            "prepare-out-of-order" => Bug::PrepareOutOfOrder,
            "no-client-table" => Bug::NoClientTable,
            other => {
                return Err(format!(
                    "protocol vr has no planted bug `{other}` (it has: {})",
                    BUGS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ));
            }
        })
    }
}

/// How the replicas are set up; shared by all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct VrConfig {
    /// Number of replicas; they are nodes `0..replicas`, the clients come after.
    pub replicas: usize,
    /// The range a backup's view-change timeout is drawn from: hearing nothing from the
    /// primary for this long starts a view change, and a view change that takes this long
    /// moves on to the next view (`timing.election_timeout_ms`).
    pub view_change_timeout: (Time, Time),
    /// How often an idle primary sends `Commit` and a replica resends what may have been lost
    /// (`timing.heartbeat_ms`).
    pub heartbeat: Time,
    /// A planted bug, if any.
    pub bug: Option<Bug>,
}

impl Default for VrConfig {
    fn default() -> Self {
        VrConfig {
            replicas: 5,
            view_change_timeout: (Time::ms(150), Time::ms(300)),
            heartbeat: Time::ms(50),
            bug: None,
        }
    }
}
