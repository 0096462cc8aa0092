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
    /// The trace sequence numbers of its invocation and return: the real-time order of the
    /// history, finer than virtual time (several events can share a microsecond).
    pub seqs: (u64, Option<u64>),
}

/// The client history, in invocation order.
#[derive(Clone, Debug, Default)]
pub struct HistoryRecorder {
    /// The operations.
    pub ops: Vec<RecordedOp>,
    open: BTreeMap<(NodeId, u64), usize>,
}

impl HistoryRecorder {
    /// The history, for the linearizability checker, in trace order.
    pub fn history(ops: &[RecordedOp], name: &str) -> Result<crate::History, crate::HistoryError> {
        let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            events.push((op.seqs.0, i, true));
            if let (Some(seq), Some(_)) = (op.seqs.1, &op.returned) {
                events.push((seq, i, false));
            }
        }
        events.sort_unstable();
        let mut b = crate::HistoryBuilder::new(name);
        for (seq, i, invoke) in events {
            let op = &ops[i];
            if invoke {
                b.invoke_client_op(op.client, op.op_id, &op.op, seq)?;
            } else if let Some((_, result)) = &op.returned {
                b.complete_client_op(op.client, op.op_id, result, seq)?;
            }
        }
        Ok(b.finish())
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
                    seqs: (ev.seq, None),
                });
            }
            EventKind::Return { op_id, result } => {
                if let Some(i) = self.open.remove(&(client, op_id)) {
                    self.ops[i].returned = Some((ev.time, result.clone()));
                    self.ops[i].seqs.1 = Some(ev.seq);
                }
            }
            _ => {}
        }
        Ok(())
    }
}
