//! The client history as an explored state keeps it: what linearizability needs, and nothing
//! that only tells two schedules apart.
//!
//! Linearizability of a history depends on each operation's invocation and result and on
//! the real-time order between operations: whether one returned before another was invoked.
//! A state keeps exactly that: per client, its operations in order, and for each the number
//! of operations of every client that had returned when it was invoked. Two schedules that
//! interleave invisible events differently (a return on one client and an invocation on
//! another, each in either order when neither observed the other) reach the same history.
//! This is also how Stateright's `LinearizabilityTester` keeps a history (the index of the
//! last operation each other thread had completed), so the two explorers tell the same states
//! apart.

use std::hash::{Hash, Hasher};
use synod_check::{Budget, HistoryBuilder, ModelKind, Verdict, check_history};
use synod_core::{ClientOp, ClientResult, NodeId};

/// An operation a client invoked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// The client's id for it.
    pub op_id: u64,
    /// What it asked.
    pub op: ClientOp,
    /// How it ended, once it has.
    pub result: Option<ClientResult>,
    /// When it was invoked, the number of operations each client (by position in
    /// [`History::clients`]) had seen return.
    pub after: Vec<u32>,
}

/// One client's operations, in the order it invoked them; at most the last is outstanding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientLog {
    /// The client node.
    pub node: NodeId,
    /// Its operations.
    pub ops: Vec<Op>,
}

impl ClientLog {
    fn returned(&self) -> u32 {
        self.ops.iter().filter(|o| o.result.is_some()).count() as u32
    }
}

/// The client history of an explored state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// One log per client node, in node order.
    pub clients: Vec<ClientLog>,
    hash: u64,
}

impl Hash for History {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl History {
    /// An empty history for these client nodes.
    pub fn new(clients: impl IntoIterator<Item = NodeId>) -> History {
        let mut h = History {
            clients: clients
                .into_iter()
                .map(|node| ClientLog {
                    node,
                    ops: Vec::new(),
                })
                .collect(),
            hash: 0,
        };
        h.rehash();
        h
    }

    fn rehash(&mut self) {
        self.hash = synod_core::fingerprint::of(&self.clients);
    }

    /// The fingerprint of this history.
    pub fn fingerprint(&self) -> u64 {
        self.hash
    }

    fn log(&mut self, node: NodeId) -> Option<&mut ClientLog> {
        self.clients.iter_mut().find(|c| c.node == node)
    }

    /// Whether any operation was invoked.
    pub fn is_empty(&self) -> bool {
        self.clients.iter().all(|c| c.ops.is_empty())
    }

    /// Operations that returned with a definite result.
    pub fn completed(&self) -> usize {
        self.clients
            .iter()
            .flat_map(|c| &c.ops)
            .filter(|o| matches!(o.result, Some(ref r) if *r != ClientResult::Unknown))
            .count()
    }

    /// `node` invokes `op` as `op_id`. Events of nodes that are not clients are ignored.
    pub fn invoke(&mut self, node: NodeId, op_id: u64, op: &ClientOp) {
        let after: Vec<u32> = self.clients.iter().map(ClientLog::returned).collect();
        if let Some(log) = self.log(node) {
            log.ops.push(Op {
                op_id,
                op: op.clone(),
                result: None,
                after,
            });
            self.rehash();
        }
    }

    /// Operation `op_id` of `node` returns `result`. A return of no outstanding operation is
    /// ignored (the client's own business, such as a late duplicate answer).
    pub fn ret(&mut self, node: NodeId, op_id: u64, result: &ClientResult) {
        let Some(log) = self.log(node) else { return };
        let Some(op) = log
            .ops
            .iter_mut()
            .rev()
            .find(|o| o.op_id == op_id && o.result.is_none())
        else {
            return;
        };
        op.result = Some(result.clone());
        self.rehash();
    }

    /// The history as the linearizability checker reads it. Events get times that respect
    /// every real-time order the state records (an operation is invoked after the returns it
    /// saw and before those it did not); the order of events that no operation observed is
    /// immaterial to linearizability.
    pub fn to_checker(&self) -> synod_check::History {
        // Events: (client position, op index, is_return). Kahn's algorithm over the recorded
        // order, always taking the smallest ready event, gives a deterministic total order.
        let mut events: Vec<(usize, usize, bool)> = Vec::new();
        for (c, log) in self.clients.iter().enumerate() {
            for (k, op) in log.ops.iter().enumerate() {
                events.push((c, k, false));
                if op.result.is_some() {
                    events.push((c, k, true));
                }
            }
        }
        // The returns of client `c`, in order: ret_index[c][m] is the m-th returned op.
        let returns: Vec<Vec<usize>> = self
            .clients
            .iter()
            .map(|log| {
                log.ops
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.result.is_some())
                    .map(|(k, _)| k)
                    .collect()
            })
            .collect();
        let before = |a: (usize, usize, bool), b: (usize, usize, bool)| -> bool {
            // Must event `a` come before event `b`?
            let (ca, ka, ra) = a;
            let (cb, kb, rb) = b;
            if ca == cb {
                return (ka, ra) < (kb, rb);
            }
            match (ra, rb) {
                // a return before an invocation that saw it
                (true, false) => {
                    let seen = self.clients[cb].ops[kb].after[ca] as usize;
                    returns[ca]
                        .iter()
                        .position(|k| *k == ka)
                        .is_some_and(|m| m < seen)
                }
                // an invocation before a return it did not see
                (false, true) => {
                    let seen = self.clients[ca].ops[ka].after[cb] as usize;
                    returns[cb]
                        .iter()
                        .position(|k| *k == kb)
                        .is_some_and(|m| m >= seen)
                }
                _ => false,
            }
        };
        let mut placed = vec![false; events.len()];
        let mut order = Vec::with_capacity(events.len());
        while order.len() < events.len() {
            let next = (0..events.len()).find(|&i| {
                !placed[i]
                    && (0..events.len())
                        .all(|j| placed[j] || j == i || !before(events[j], events[i]))
            });
            // A cycle cannot come from a run; place the smallest event to stay total anyway.
            let i = next.unwrap_or_else(|| (0..events.len()).find(|&i| !placed[i]).unwrap_or(0));
            placed[i] = true;
            order.push(events[i]);
        }
        let mut b = HistoryBuilder::new("explored state");
        for (at, (c, k, is_ret)) in order.into_iter().enumerate() {
            let log = &self.clients[c];
            let op = &log.ops[k];
            let at = at as u64 + 1;
            // Both calls fail only on events out of order, which the order above excludes.
            let _ = if is_ret {
                let result = op.result.clone().unwrap_or(ClientResult::Unknown);
                b.complete_client_op(log.node, op.op_id, &result, at)
            } else {
                b.invoke_client_op(log.node, op.op_id, &op.op, at)
            };
        }
        b.finish()
    }

    /// Whether the history is linearizable under `model`; `Err` with the checker's
    /// explanation when it is not, or when the model cannot read it.
    pub fn check(&self, model: ModelKind) -> Result<(), String> {
        let h = self.to_checker();
        let mut budget = Budget::unlimited().with_max_steps(1_000_000);
        match check_history(&h, model, &mut budget) {
            Ok(r) => match r.verdict {
                Verdict::Linearizable | Verdict::Unknown(_) => Ok(()),
                Verdict::NotLinearizable(e) => Err(e.to_string()),
            },
            Err(e) => Err(format!("the {model} model cannot read the history: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(v: &str) -> ClientOp {
        ClientOp {
            f: "put".into(),
            key: "r".into(),
            value: Some(v.into()),
        }
    }
    fn get() -> ClientOp {
        ClientOp {
            f: "get".into(),
            key: "r".into(),
            value: None,
        }
    }
    fn read(v: &str) -> ClientResult {
        ClientResult::Ok {
            value: Some(v.into()),
        }
    }
    const OK: ClientResult = ClientResult::Ok { value: None };

    /// A return and an invocation on different clients that did not observe each other reach
    /// the same history in either order; one that did observe it does not.
    #[test]
    fn only_observed_orders_tell_histories_apart() {
        let (a, b) = (NodeId(3), NodeId(4));
        let mut h1 = History::new([a, b]);
        h1.invoke(a, 1, &put("A"));
        h1.invoke(b, 1, &put("B"));
        h1.ret(a, 1, &OK);
        let mut h2 = History::new([a, b]);
        h2.invoke(b, 1, &put("B"));
        h2.invoke(a, 1, &put("A"));
        h2.ret(a, 1, &OK);
        assert_eq!(h1, h2);
        assert_eq!(h1.fingerprint(), h2.fingerprint());
        // Here b's put is invoked after a's returned: real time orders them.
        let mut h3 = History::new([a, b]);
        h3.invoke(a, 1, &put("A"));
        h3.ret(a, 1, &OK);
        h3.invoke(b, 1, &put("B"));
        assert_ne!(h1.fingerprint(), h3.fingerprint());
    }

    /// The checker catches a stale read that real time forbids, and accepts the same results
    /// when the operations overlap.
    #[test]
    fn the_checker_sees_the_recorded_real_time_order() {
        let (a, b) = (NodeId(3), NodeId(4));
        // a's put A returns, then b's put B is invoked and returns ok: under the KV model's
        // put-if-absent, a put after another completed one must fail.
        let mut h = History::new([a, b]);
        h.invoke(a, 1, &put("A"));
        h.ret(a, 1, &OK);
        h.invoke(b, 1, &put("B"));
        h.ret(b, 1, &OK);
        assert!(h.check(ModelKind::Kv).is_err());
        // b's put B is outstanding while a puts A (ok) and then reads A: linearizable. Reading
        // B instead is not: B could only be there if it came first, and then A's put fails.
        let mut h = History::new([a, b]);
        h.invoke(b, 1, &put("B"));
        h.invoke(a, 1, &put("A"));
        h.ret(a, 1, &OK);
        h.invoke(a, 2, &get());
        h.ret(a, 2, &read("A"));
        assert!(h.check(ModelKind::Kv).is_ok());
        let mut bad = h.clone();
        bad.clients[0].ops[1].result = Some(read("B"));
        bad.rehash();
        assert!(bad.check(ModelKind::Kv).is_err());
    }
}
