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

use super::VrNode;
use super::replica::VrReplica;
use crate::kv::{KvNode, Request};
use std::collections::BTreeMap;

/// The property a replica's log breaks when it disagrees with a committed op.
pub const STATE_MACHINE_SAFETY: &str = synod_check::invariants::STATE_MACHINE_SAFETY;
/// The property a new primary breaks when its log lacks a committed op (4.2).
pub const PRIMARY_COMPLETENESS: &str = "primary completeness";
/// The property two replicas acting as primary of one view break.
pub const ONE_PRIMARY_PER_VIEW: &str = "one primary per view";

/// Incremental state of the VR live checks.
#[derive(Debug)]
pub struct VrChecker {
    /// The replicas' names, by node id, as the details name them.
    names: Vec<String>,
    /// The committed ops, by op-number (1 first), and who committed each first.
    committed: Vec<(Request, usize)>,
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
                continue;
            };
            if let Some(v) = self.check_replica(i, r) {
                return Some(v);
            }
        }
        None
    }

    fn check_replica(&mut self, i: usize, r: &VrReplica) -> Option<(String, String)> {
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
                None => self.committed.push((op.clone(), i)),
                Some((first, by)) if first != op => {
                    return fail(
                        STATE_MACHINE_SAFETY,
                        format!(
                            "op {n} committed as {} by {} but {who} holds {} there, up to its commit-number {commit}",
                            first.cmd, self.names[*by], op.cmd
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        self.seen[i] = Some((r.generation(), commit));
        None
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
        let log = r.log();
        for (k, (op, by)) in self.committed.iter().enumerate() {
            if log.get(k) != Some(op) {
                return fail(
                    PRIMARY_COMPLETENESS,
                    format!(
                        "{who} is primary of view {view} but its log lacks op {} ({}), committed by {}",
                        k + 1,
                        op.cmd,
                        self.names[*by]
                    ),
                );
            }
        }
        None
    }
}
