//! The live checks of VR that read the replicas, kept incremental so that they can run after
//! every event:
//!
//! - **State machine safety** (of commits): every replica's log holds, up to its
//!   commit-number, the same ops at the same op-numbers as every other's; and a replica never
//!   executed more ops than its log holds. (The `apply` events are checked by the generic
//!   checker too.) Only ops committed since the last look are compared, unless the log was
//!   replaced.
//! - **Primary completeness**: a replica that becomes the primary of a view holds every op
//!   committed so far (the point of the view change's choice of log, 4.2).
//! - **One primary per view**: no two replicas act as the primary of one view. (With the
//!   primary fixed as `v mod n` this holds by construction; the check keeps it so, and the
//!   generic election-safety check sees the same thing through `role` events.)
//! - **View completeness**: a replica that becomes normal in a view, by the view change's
//!   `StartView`, by state transfer or by recovery, holds every op committed in the views before
//!   it (committed operations survive into every later view, 4.2). Primary completeness asks it
//!   of the primary; this asks it of everyone, so that a recovering replica that takes its log
//!   from a replica that has no right to give it (the planted `recovery-answer-in-view-change`:
//!   a primary-to-be whose view has not started) is caught as it takes it, not a view change
//!   later when its short log wins. Ops committed in the view itself may still be on their way
//!   to a backup, and are not asked for. An op counts as committed in the view of the first
//!   replica seen with it under its commit-number (a later view, if the commit was first seen
//!   there: that asks less, never more).

use super::VrNode;
use super::replica::{Status, VrReplica};
use crate::kv::{KvNode, Request};
use std::collections::BTreeMap;

/// The property a replica's log breaks when it disagrees with a committed op.
pub const STATE_MACHINE_SAFETY: &str = synod_check::invariants::STATE_MACHINE_SAFETY;
/// The property a new primary breaks when its log lacks a committed op (4.2).
pub const PRIMARY_COMPLETENESS: &str = "primary completeness";
/// The property two replicas acting as primary of one view break.
pub const ONE_PRIMARY_PER_VIEW: &str = "one primary per view";
/// The property a replica breaks by becoming normal in a view without an op committed in an
/// earlier view.
pub const VIEW_COMPLETENESS: &str = "view completeness";

/// A committed op, as first seen committed.
#[derive(Debug)]
struct Committed {
    /// The op.
    op: Request,
    /// The replica first seen with it under its commit-number.
    by: usize,
    /// That replica's view then: the view the op counts as committed in (never earlier than
    /// the true one, so view completeness asks less, never more).
    view: u64,
}

/// Incremental state of the VR live checks.
#[derive(Debug)]
pub struct VrChecker {
    /// The replicas' names, by node id, as the details name them.
    names: Vec<String>,
    /// The committed ops, by op-number (1 first).
    committed: Vec<Committed>,
    /// Per replica: the view it was last checked in as normal (view completeness is checked
    /// once per view a replica is normal in).
    normal_in: Vec<Option<u64>>,
    /// Per replica: (log generation, commit-number) when last looked.
    seen: Vec<Option<(u64, u64)>>,
    /// Per replica: the view it was last seen leading in.
    leading: Vec<Option<u64>>,
    /// The replica that led each view.
    primaries: BTreeMap<u64, usize>,
}

impl VrChecker {
    /// A checker for the replicas named `names` (nodes `0..names.len()`).
    pub fn new(names: Vec<String>) -> Self {
        let replicas = names.len();
        VrChecker {
            names,
            committed: Vec::new(),
            normal_in: vec![None; replicas],
            seen: vec![None; replicas],
            leading: vec![None; replicas],
            primaries: BTreeMap::new(),
        }
    }

    /// Check the replicas' state; `Some((property, detail))` on a violation.
    pub fn check<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = Option<&'a VrNode>>,
    ) -> Option<(String, String)> {
        for (i, node) in nodes.into_iter().enumerate().take(self.seen.len()) {
            let Some(KvNode::Server(r)) = node else {
                self.seen[i] = None;
                self.leading[i] = None;
                self.normal_in[i] = None;
                continue;
            };
            if let Some(v) = self.check_replica(i, r) {
                return Some(v);
            }
        }
        None
    }

    fn check_replica(&mut self, i: usize, r: &VrReplica) -> Option<(String, String)> {
        if r.status() == Status::Recovering {
            // It lost its state (a restart without a handler call in between is never seen
            // down): whatever it becomes normal in next is looked at afresh.
            self.seen[i] = None;
            self.leading[i] = None;
            self.normal_in[i] = None;
        }
        if let Some(v) = self.check_primary(i, r) {
            return Some(v);
        }
        let fail = |p: &str, d: String| Some((p.to_string(), d));
        let who = &self.names[i];
        let (log, commit) = (r.log(), r.commit());
        if commit > log.len() as u64 {
            return fail(
                STATE_MACHINE_SAFETY,
                format!(
                    "{who} executed {commit} ops but its log holds only {}",
                    log.len()
                ),
            );
        }
        let from = match self.seen[i] {
            Some((generation, k)) if generation == r.generation() && k <= commit => k + 1,
            _ => 1,
        };
        for n in from..=commit {
            let op = &log[n as usize - 1];
            match self.committed.get(n as usize - 1) {
                None => self.committed.push(Committed {
                    op: op.clone(),
                    by: i,
                    view: r.view(),
                }),
                Some(first) if first.op != *op => {
                    return fail(
                        STATE_MACHINE_SAFETY,
                        format!(
                            "op {n} committed as {} by {} but {who} holds {} there, up to its commit-number {commit}",
                            first.op.cmd, self.names[first.by], op.cmd
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        self.seen[i] = Some((r.generation(), commit));
        // View completeness, once per view the replica is normal in. (A replica that joined a
        // view by state transfer and waits for `NewState` keeps its last-normal view: it is not
        // normal in the new view until the log arrives. The paper's 5.2 truncates the log to
        // the commit-number and takes the view at once; under that rule this check would fire
        // between the two, and `join_by_state_transfer` says why synod does not follow it.)
        let view = r.view();
        if r.status() == Status::Normal
            && r.last_normal() == view
            && self.normal_in[i] != Some(view)
        {
            self.normal_in[i] = Some(view);
            if let Some((n, c)) = self.first_missing(log, view) {
                return fail(
                    VIEW_COMPLETENESS,
                    format!(
                        "{who} is normal in view {view} but its log lacks op {n} ({}), committed by {} in view {}",
                        c.op.cmd, self.names[c.by], c.view
                    ),
                );
            }
        }
        None
    }

    /// The first committed op that `log` lacks, among those committed in a view before
    /// `before` (`u64::MAX`: every one), with its op-number.
    fn first_missing(&self, log: &[Request], before: u64) -> Option<(usize, &Committed)> {
        self.committed
            .iter()
            .enumerate()
            .find(|(k, c)| c.view < before && log.get(*k) != Some(&c.op))
            .map(|(k, c)| (k + 1, c))
    }

    /// One primary per view, and primary completeness, when a replica starts leading a view.
    fn check_primary(&mut self, i: usize, r: &VrReplica) -> Option<(String, String)> {
        let fail = |p: &str, d: String| Some((p.to_string(), d));
        let who = &self.names[i];
        if !r.is_primary() {
            self.leading[i] = None;
            return None;
        }
        let view = r.view();
        if self.leading[i] == Some(view) {
            return None;
        }
        self.leading[i] = Some(view);
        match self.primaries.get(&view) {
            Some(&other) if other != i => {
                return fail(
                    ONE_PRIMARY_PER_VIEW,
                    format!(
                        "{who} and {} both act as primary of view {view}",
                        self.names[other]
                    ),
                );
            }
            _ => {
                self.primaries.insert(view, i);
            }
        }
        if let Some((n, c)) = self.first_missing(r.log(), u64::MAX) {
            return fail(
                PRIMARY_COMPLETENESS,
                format!(
                    "{who} is primary of view {view} but its log lacks op {n} ({}), committed by {}",
                    c.op.cmd, self.names[c.by]
                ),
            );
        }
        None
    }
}
