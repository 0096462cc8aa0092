//! Linearizability of a (partial) client history against the KV contract, for the REPL's
//! `check`: a depth-first search in the style of Wing & Gong, with the states already explored
//! remembered (Lowe's refinement). An operation that has not returned, or whose client gave up,
//! may or may not have taken effect. Histories are small in a REPL session; past 120 operations
//! the check declines rather than stalls.

use std::collections::BTreeSet;
use std::fmt;
use synod_check::recorder::RecordedOp;
use synod_core::{ClientResult, Time};
use synod_protocols::kv::{Command, Store};

/// The verdict.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some order of the operations explains every result.
    Linearizable(usize),
    /// None does.
    Not(usize),
    /// Too long to check here.
    TooLong(usize),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable(0) => f.write_str("nothing to check yet (no client operations)"),
            Verdict::Linearizable(n) => write!(
                f,
                "the history of {n} operations so far is linearizable (a single copy of the store explains every result)"
            ),
            Verdict::Not(n) => write!(
                f,
                "NOT linearizable: no order of the {n} operations explains every result"
            ),
            Verdict::TooLong(n) => write!(f, "{n} operations: too many to check here"),
        }
    }
}

struct Op {
    cmd: Command,
    invoked: Time,
    /// `None`: may or may not have happened.
    done: Option<(Time, ClientResult)>,
}

/// Check a history.
pub fn check(history: &[RecordedOp]) -> Verdict {
    const MAX: usize = 120;
    let ops: Vec<Op> = history
        .iter()
        .filter_map(|o| {
            Some(Op {
                cmd: Command::from_op(&o.op)?,
                invoked: o.invoked,
                done: match &o.returned {
                    Some((_, ClientResult::Unknown)) | None => None,
                    Some((t, r)) => Some((*t, r.clone())),
                },
            })
        })
        .collect();
    if ops.len() > MAX {
        return Verdict::TooLong(ops.len());
    }
    let mut seen = BTreeSet::new();
    if search(&ops, 0, &Store::default(), &mut seen) {
        Verdict::Linearizable(ops.len())
    } else {
        Verdict::Not(ops.len())
    }
}

fn search(ops: &[Op], taken: u128, store: &Store, seen: &mut BTreeSet<(u128, String)>) -> bool {
    let open: Vec<usize> = (0..ops.len()).filter(|i| taken & (1 << i) == 0).collect();
    if open.iter().all(|i| ops[*i].done.is_none()) {
        return true;
    }
    if !seen.insert((taken, store.to_string())) {
        return false;
    }
    // The earliest return among the completed operations still open: anything invoked after it
    // cannot go first.
    let horizon = open
        .iter()
        .filter_map(|i| ops[*i].done.as_ref().map(|(t, _)| *t))
        .min();
    for &i in &open {
        let op = &ops[i];
        if horizon.is_some_and(|h| op.invoked > h) {
            continue;
        }
        let mut next = store.clone();
        let result = next.apply(&op.cmd);
        if let Some((_, want)) = &op.done {
            if *want != result {
                continue;
            }
        }
        if search(ops, taken | (1 << i), &next, seen) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_core::{ClientOp, NodeId};

    fn op(f: &str, key: &str, value: Option<&str>, t: (u64, u64), r: ClientResult) -> RecordedOp {
        RecordedOp {
            client: NodeId(1),
            op_id: t.0,
            op: ClientOp {
                f: f.into(),
                key: key.into(),
                value: value.map(String::from),
            },
            invoked: Time::ms(t.0),
            returned: Some((Time::ms(t.1), r)),
        }
    }

    #[test]
    fn a_read_must_see_a_completed_write() {
        let ok = ClientResult::Ok { value: None };
        let put = op("put", "a", Some("1"), (1, 2), ok);
        let stale = op(
            "get",
            "a",
            None,
            (3, 4),
            ClientResult::Error {
                error: "key not found: a".into(),
            },
        );
        let fresh = op(
            "get",
            "a",
            None,
            (3, 4),
            ClientResult::Ok {
                value: Some("1".into()),
            },
        );
        assert_eq!(
            check(&[put.clone(), fresh.clone()]),
            Verdict::Linearizable(2)
        );
        assert_eq!(check(&[put.clone(), stale.clone()]), Verdict::Not(2));
        // Concurrent: the read may go first.
        let mut early = stale;
        early.invoked = Time::ms(1);
        assert_eq!(check(&[put, early]), Verdict::Linearizable(2));
    }
}
