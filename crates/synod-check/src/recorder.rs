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

/// Requests of a run by kind (`put`, `get`, ...): issued, succeeded, failed, unfinished
/// (never returned, or returned an indefinite result).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Each kind's `[issued, ok, failed, unfinished]`, by name.
    pub kinds: BTreeMap<String, [u64; 4]>,
}

impl Tally {
    /// The tally of a recorded history.
    pub fn of(ops: &[RecordedOp]) -> Tally {
        let mut t = Tally::default();
        for op in ops {
            let row = t.kinds.entry(op.op.f.clone()).or_default();
            row[0] += 1;
            match &op.returned {
                Some((_, ClientResult::Ok { .. })) => row[1] += 1,
                Some((_, ClientResult::Error { .. })) => row[2] += 1,
                _ => row[3] += 1,
            }
        }
        t
    }

    /// The sums over every kind.
    pub fn total(&self) -> [u64; 4] {
        self.kinds.values().fold([0; 4], |mut acc, row| {
            for (a, r) in acc.iter_mut().zip(row) {
                *a += r;
            }
            acc
        })
    }
}

/// Checks a run's client history for linearizability (under the KV model) as it happens,
/// keeping only the operations in flight: the recorder of `synod run`, whose runs may have
/// millions of requests (see [`Stream`](crate::Stream)). It counts the requests by kind as it
/// goes, for the summary.
pub struct StreamRecorder {
    stream: Option<crate::Stream<crate::KvModel>>,
    /// The first event the history could not take (a return without its invocation, ...).
    error: Option<crate::HistoryError>,
    tally: Tally,
    /// Each operation in flight: its kind.
    open: BTreeMap<(NodeId, u64), String>,
    /// The check's figures when it finished.
    finished: crate::StreamStats,
}

impl Default for StreamRecorder {
    fn default() -> Self {
        StreamRecorder {
            stream: Some(crate::Stream::new(crate::KvModel::new(), "run").expect("kv streams")),
            error: None,
            tally: Tally::default(),
            open: BTreeMap::new(),
            finished: crate::StreamStats::default(),
        }
    }
}

impl StreamRecorder {
    /// The requests so far, by kind (unfinished: still in flight, or indefinite).
    pub fn tally(&self) -> Tally {
        let mut t = self.tally.clone();
        for f in self.open.values() {
            t.kinds.entry(f.clone()).or_default()[3] += 1;
        }
        t
    }

    /// The figures of the check so far.
    pub fn stats(&self) -> crate::StreamStats {
        self.stream.as_ref().map_or(self.finished, |s| s.stats())
    }

    /// Ends the history and gives the verdict (once: later calls give `None`). `Err` if the
    /// history was malformed or the model could not read it.
    pub fn finish(&mut self) -> Option<Result<crate::CheckReport, String>> {
        let stream = self.stream.take()?;
        self.finished = stream.stats();
        if let Some(e) = &self.error {
            return Some(Err(format!("unusable history: {e}")));
        }
        if stream.operations() == 0 {
            return None;
        }
        Some(
            stream
                .finish()
                .map_err(|e| format!("the KV model cannot check this history: {e}")),
        )
    }
}

impl Observer for StreamRecorder {
    fn event(&mut self, ev: &Event<'_>) -> Result<(), Violation> {
        let Some(client) = ev.node else {
            return Ok(());
        };
        let (Some(stream), None) = (&mut self.stream, &self.error) else {
            return Ok(());
        };
        let fed = match ev.kind {
            EventKind::Invoke { op_id, op } => {
                self.tally.kinds.entry(op.f.clone()).or_default()[0] += 1;
                self.open.insert((client, op_id), op.f.clone());
                stream.invoke_client_op(client, op_id, op, ev.seq)
            }
            EventKind::Return { op_id, result } => {
                // A return of nothing in flight is ignored, as `HistoryRecorder` does.
                let Some(f) = self.open.remove(&(client, op_id)) else {
                    return Ok(());
                };
                let row = self.tally.kinds.entry(f).or_default();
                match result {
                    ClientResult::Ok { .. } => row[1] += 1,
                    ClientResult::Error { .. } => row[2] += 1,
                    ClientResult::Unknown => row[3] += 1,
                }
                stream.complete_client_op(client, op_id, result, ev.seq)
            }
            _ => Ok(()),
        };
        if let Err(e) = fed {
            self.error = Some(e);
        }
        Ok(())
    }
}
