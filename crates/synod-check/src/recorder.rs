//! Collects a run's client history from its `invoke` and `return` events.

use std::collections::BTreeMap;
use synod_core::{ClientOp, ClientResult, Event, EventKind, NodeId, Observer, Time, Violation};

/// One client operation of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedOp {
    /// The client.
    pub client: NodeId,
    /// Its id, unique per client.
    pub op_id: u64,
    /// What it asked.
    pub op: ClientOp,
    /// When it was invoked.
    pub invoked: Time,
    /// When and how it returned; `None` if it never did.
    pub returned: Option<(Time, ClientResult)>,
}

/// The client history, in invocation order.
#[derive(Clone, Debug, Default)]
pub struct HistoryRecorder {
    /// The operations.
    pub ops: Vec<RecordedOp>,
    open: BTreeMap<(NodeId, u64), usize>,
}

impl HistoryRecorder {
    /// Operations that never returned.
    pub fn pending(&self) -> impl Iterator<Item = &RecordedOp> {
        self.ops.iter().filter(|o| o.returned.is_none())
    }
}

impl Observer for HistoryRecorder {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        let Some(client) = ev.node else {
            return Ok(());
        };
        match ev.kind {
            EventKind::Invoke { op_id, op } => {
                self.open.insert((client, op_id), self.ops.len());
                self.ops.push(RecordedOp {
                    client,
                    op_id,
                    op: op.clone(),
                    invoked: ev.time,
                    returned: None,
                });
            }
            EventKind::Return { op_id, result } => {
                if let Some(i) = self.open.remove(&(client, op_id)) {
                    self.ops[i].returned = Some((ev.time, result.clone()));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
