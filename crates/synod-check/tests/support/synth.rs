//! Synthetic histories that are linearizable by construction: operations are executed one at
//! a time, in the order of their effect points, against a sequential store; each operation's
//! invocation and return interval strictly contains its effect point, and intervals of one
//! client never overlap. Shared by the property tests and the benchmark.

#![allow(dead_code)] // each includer uses part of it

use std::collections::BTreeMap;
use std::fmt::Write as _;
use synod_check::{History, Operation, Output, Value};

/// splitmix64: a small deterministic generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The shape of a synthetic history.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub ops: usize,
    pub keys: usize,
    pub clients: usize,
    /// Percent of operations whose outcome is indefinite.
    pub unknown_percent: u64,
    /// Longest interval, in time units (at least 2).
    pub max_duration: u64,
}

impl Shape {
    /// 10,000 operations from 100 clients over 5 keys, with long intervals: the shape of a
    /// Raft run with many clients, hard enough to need a few MiB of search.
    pub fn hundred_clients(unknown_percent: u64) -> Shape {
        Shape {
            ops: 10_000,
            keys: 5,
            clients: 100,
            unknown_percent,
            max_duration: 300,
        }
    }
}

/// An operation before execution: client, interval and effect point.
struct Slot {
    client: u64,
    call: u64,
    ret: u64,
    effect: u64,
}

impl Slot {
    /// The operation in this slot. An indefinite one (`unknown`) hides its output, and half
    /// the time never returns.
    fn operation(
        &self,
        rng: &mut Rng,
        unknown: bool,
        f: &str,
        key: Option<String>,
        value: Value,
        output: Output,
    ) -> Operation {
        let (output, ret) = if unknown {
            (Output::Unknown, rng.chance(50).then_some(self.ret))
        } else {
            (output, Some(self.ret))
        };
        Operation {
            client: self.client,
            f: f.to_string(),
            key,
            value,
            output,
            call: self.call,
            ret,
        }
    }
}

/// Intervals for `shape.ops` operations over the clients: each client issues operations one
/// after another; every effect point lies strictly inside its interval.
fn slots(rng: &mut Rng, shape: Shape) -> Vec<Slot> {
    let clients = shape.clients.max(1);
    let mut cursor = vec![0u64; clients];
    let mut slots = Vec::with_capacity(shape.ops);
    for _ in 0..shape.ops {
        let c = rng.below(clients as u64) as usize;
        let call = cursor[c] + rng.below(4);
        let duration = 2 + rng.below(shape.max_duration.max(2) - 1);
        let ret = call + duration;
        let effect = call + 1 + rng.below(duration - 1);
        cursor[c] = ret + 1;
        slots.push(Slot {
            client: c as u64,
            call,
            ret,
            effect,
        });
    }
    slots
}

/// A synod KV history (put-if-absent, get, delete-if-present) as the KV contract answers.
pub fn kv_history(seed: u64, shape: Shape) -> History {
    let mut rng = Rng(seed);
    let slots = slots(&mut rng, shape);
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| (slots[i].effect, i));
    let mut store: BTreeMap<String, String> = BTreeMap::new();
    let mut ops: Vec<Option<Operation>> = vec![None; slots.len()];
    for (n, &i) in order.iter().enumerate() {
        let s = &slots[i];
        let key = format!("k{}", rng.below(shape.keys.max(1) as u64));
        let (f, value) = match rng.below(3) {
            0 => ("put", Value::Str(format!("val_{n}"))),
            1 => ("get", Value::Nil),
            _ => ("delete", Value::Nil),
        };
        let unknown = rng.chance(shape.unknown_percent);
        // An indefinite operation takes effect or not, at random.
        let applies = !unknown || rng.chance(50);
        let current = store.get(&key).cloned();
        let output = match (f, current) {
            ("put", None) => {
                if applies && let Value::Str(v) = &value {
                    store.insert(key.clone(), v.clone());
                }
                Output::Ok { value: Value::Nil }
            }
            ("put", Some(_)) => Output::Fail {
                error: Some(format!("key already exists: {key}")),
            },
            ("get", Some(v)) => Output::Ok {
                value: Value::Str(v),
            },
            ("delete", Some(_)) => {
                if applies {
                    store.remove(&key);
                }
                Output::Ok { value: Value::Nil }
            }
            _ => Output::Fail {
                error: Some(format!("key not found: {key}")),
            },
        };
        ops[i] = Some(s.operation(&mut rng, unknown, f, Some(key), value, output));
    }
    finish("synthetic-kv", ops)
}

/// A compare-and-set register history (read, write, cas over values 0..5).
pub fn register_history(seed: u64, shape: Shape) -> History {
    let mut rng = Rng(seed);
    let slots = slots(&mut rng, shape);
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| (slots[i].effect, i));
    let mut reg: Option<i64> = None;
    let mut ops: Vec<Option<Operation>> = vec![None; slots.len()];
    for &i in &order {
        let s = &slots[i];
        let unknown = rng.chance(shape.unknown_percent);
        let applies = !unknown || rng.chance(50);
        let (f, value, output) = match rng.below(3) {
            0 => {
                let read = reg.map_or(Value::Nil, Value::Int);
                ("read", Value::Nil, Output::Ok { value: read })
            }
            1 => {
                let v = rng.below(5) as i64;
                if applies {
                    reg = Some(v);
                }
                ("write", Value::Int(v), Output::Ok { value: Value::Nil })
            }
            _ => {
                let (from, to) = (rng.below(5) as i64, rng.below(5) as i64);
                let ok = reg == Some(from);
                if ok && applies {
                    reg = Some(to);
                }
                let value = Value::List(vec![Value::Int(from), Value::Int(to)]);
                let output = if ok {
                    Output::Ok { value: Value::Nil }
                } else {
                    Output::Fail { error: None }
                };
                ("cas", value, output)
            }
        };
        ops[i] = Some(s.operation(&mut rng, unknown, f, None, value, output));
    }
    finish("synthetic-register", ops)
}

fn finish(name: &str, ops: Vec<Option<Operation>>) -> History {
    let mut operations: Vec<Operation> = ops.into_iter().flatten().collect();
    operations.sort_by_key(|op| op.call);
    History {
        name: name.to_string(),
        operations,
    }
}

/// Index of a definite read (`get` or `read` that returned).
pub fn definite_reads(h: &History) -> Vec<usize> {
    h.operations
        .iter()
        .enumerate()
        .filter(|(_, op)| (op.f == "get" || op.f == "read") && !op.is_pending())
        .filter(|(_, op)| !matches!(op.output, Output::Fail { error: None }))
        .map(|(i, _)| i)
        .collect()
}

/// The history with read `index` altered to return a value that is never written.
pub fn with_impossible_read(h: &History, index: usize) -> History {
    let mut h = h.clone();
    let op = &mut h.operations[index];
    op.output = Output::Ok {
        value: if op.f == "get" {
            Value::Str("never-written".into())
        } else {
            Value::Int(999)
        },
    };
    h
}

/// A KV history as synod's JSON trace: invocations and returns in time order (returns first
/// at equal times), with the client's node as `node`. An operation that never returned gets an
/// `unknown` return right after its invocation, as a client that times out would record.
pub fn to_trace(h: &History) -> String {
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    for (i, op) in h.operations.iter().enumerate() {
        events.push((op.call, true, i));
        // A client that never hears back gives up (an `unknown` return) before its next call.
        events.push((op.ret.unwrap_or(op.call + 1), false, i));
    }
    events.sort();
    let mut out =
        String::from("{\"schema\":\"synod-trace\",\"version\":1,\"source\":\"synthetic\"}\n");
    for (seq, (t, is_call, i)) in events.into_iter().enumerate() {
        let op = &h.operations[i];
        let key = op.key.as_deref().unwrap_or("");
        let _ = write!(
            out,
            "{{\"seq\":{seq},\"time_us\":{t},\"node\":{},\"kind\":",
            op.client + 100
        );
        if is_call {
            let value = match &op.value {
                Value::Str(v) => format!(",\"value\":\"{v}\""),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "\"invoke\",\"op_id\":{i},\"op\":{{\"f\":\"{}\",\"key\":\"{key}\"{value}}}}}",
                op.f
            );
        } else {
            let result = match &op.output {
                Output::Ok {
                    value: Value::Str(v),
                } => format!("{{\"type\":\"ok\",\"value\":\"{v}\"}}"),
                Output::Ok { .. } => "{\"type\":\"ok\"}".to_string(),
                Output::Fail { error } => format!(
                    "{{\"type\":\"error\",\"error\":\"{}\"}}",
                    error.as_deref().unwrap_or("")
                ),
                Output::Unknown => "{\"type\":\"unknown\"}".to_string(),
            };
            let _ = writeln!(out, "\"return\",\"op_id\":{i},\"result\":{result}}}");
        }
    }
    out
}
