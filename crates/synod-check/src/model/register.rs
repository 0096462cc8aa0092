//! Registers: Jepsen's compare-and-set register, and the plain read/write register.

use super::{Encoded, Interner, Model, UNREAD};
use crate::history::{Operation, Output, Value};
use std::collections::BTreeSet;

/// Jepsen's compare-and-set register: `read` returns the value (initially `nil`), `write v`
/// sets it, `cas [from to]` sets it to `to` if it equals `from` and succeeds (`:ok`), or fails
/// (`:fail`) and leaves it unchanged.
///
/// A `:fail` of a read or a write is an operation that did not happen and is dropped; a read
/// that never returned is dropped too. Operations with a `:key`, or with Jepsen's independent
/// tuples as values (`[key value]`, `[key [from to]]`, as Maelstrom's `lin-kv` writes them),
/// are partitioned by key; otherwise the history is one register.
///
/// [`CasRegister::plain`] is the read/write register without compare-and-set (Jepsen's
/// `register` workloads, Knossos's `register` model, `--model register`): the same formats,
/// and a `cas` is refused.
#[derive(Clone, Debug)]
pub struct CasRegister {
    values: Interner<Value>,
    /// (key, value) pairs a definite read returned or a cas compared with.
    observed: BTreeSet<(Option<String>, Value)>,
    /// False for the plain register.
    cas: bool,
    /// Streaming: every value is its own state (no merging of unread values).
    exact: bool,
}

impl Default for CasRegister {
    fn default() -> Self {
        CasRegister {
            values: Interner::default(),
            observed: BTreeSet::new(),
            cas: true,
            exact: false,
        }
    }
}

/// A register operation's input (values interned, 0 is `nil`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CasInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(u32),
    /// Set to `.1` if the value is `.0`.
    Cas(u32, u32),
}

/// A register operation's output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CasOutput {
    /// A read returned this value (0 is `nil`).
    Read(u32),
    /// A write or cas succeeded.
    Ok,
    /// A cas failed: the value was not `from`.
    Failed,
}

/// Splits an operation with Jepsen independent-tuple values into (key, input value, read
/// result), or returns `None` if its value is not such a tuple.
fn independent(op: &Operation) -> Option<(String, &Value, Option<&Value>)> {
    if op.key.is_some() {
        return None;
    }
    let Value::List(items) = &op.value else {
        return None;
    };
    let [k, v] = items.as_slice() else {
        return None;
    };
    let shaped = match op.f.as_str() {
        "read" => true,
        "write" => !matches!(v, Value::List(_)),
        "cas" => matches!(v, Value::List(pair) if pair.len() == 2),
        _ => false,
    };
    if !shaped {
        return None;
    }
    let result = match &op.output {
        Output::Ok {
            value: Value::List(r),
        } if r.len() == 2 => Some(&r[1]),
        _ => None,
    };
    let key = match k {
        Value::Str(s) | Value::Keyword(s) => s.clone(),
        other => other.to_string(),
    };
    Some((key, v, result))
}

/// An operation's input value and, if it returned `:ok`, what it returned: from its value and
/// output, or from inside Jepsen's independent tuples.
fn value_and_result(op: &Operation) -> (&Value, Option<&Value>) {
    match independent(op) {
        Some((_, v, r)) => (v, r),
        None => (
            &op.value,
            match &op.output {
                Output::Ok { value } => Some(value),
                _ => None,
            },
        ),
    }
}

impl CasRegister {
    /// A register model with no values seen yet.
    pub fn new() -> Self {
        CasRegister::default()
    }

    /// The read/write register: a `cas` is an operation it does not know.
    pub fn plain() -> Self {
        CasRegister {
            cas: false,
            ..CasRegister::default()
        }
    }

    fn id(&mut self, v: &Value) -> u32 {
        if *v == Value::Nil {
            0
        } else {
            self.values.intern(v)
        }
    }

    /// The id an operation writes `v` as: `UNREAD` if no read returns it and no cas compares
    /// with it. Such values cannot be told apart by any operation of the history, so all of
    /// them are one state, and writes of them are interchangeable for the search.
    fn written_id(&mut self, key: &Option<String>, v: &Value) -> u32 {
        if !self.exact && *v != Value::Nil && !self.observed.contains(&(key.clone(), v.clone())) {
            UNREAD
        } else {
            self.id(v)
        }
    }
}

impl Model for CasRegister {
    type Input = CasInput;
    type Output = CasOutput;
    type State = u32;

    fn name(&self) -> &'static str {
        if self.cas { "cas-register" } else { "register" }
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        op.key
            .clone()
            .or_else(|| independent(op).map(|(key, _, _)| key))
    }

    fn observe(&mut self, op: &Operation) {
        let key = self.partition(op);
        let (value, result) = value_and_result(op);
        match op.f.as_str() {
            "read" => {
                if let Some(r) = result {
                    self.observed.insert((key, r.clone()));
                }
            }
            "cas" => {
                if let Value::List(pair) = value
                    && let Some(from) = pair.first()
                {
                    self.observed.insert((key, from.clone()));
                }
            }
            _ => {}
        }
    }

    fn streaming(&mut self) -> bool {
        self.exact = true;
        true
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<CasInput, CasOutput>>, String> {
        let (value, result) = value_and_result(op);
        let key = self.partition(op);
        let definite = op.ret.is_some() && op.output != Output::Unknown;
        let failed = definite && matches!(op.output, Output::Fail { .. });
        let input = match op.f.as_str() {
            "read" => {
                if !definite || failed {
                    return Ok(None);
                }
                let read = result.map_or(0, |r| self.id(r));
                return Ok(Some(Encoded {
                    input: CasInput::Read,
                    output: Some(CasOutput::Read(read)),
                }));
            }
            "write" => {
                if failed {
                    return Ok(None);
                }
                CasInput::Write(self.written_id(&key, value))
            }
            "cas" if !self.cas => {
                return Err(
                    "unknown operation `cas` (the register model knows read and write; \
                     cas needs --model cas-register)"
                        .into(),
                );
            }
            "cas" => match value {
                Value::List(pair) if pair.len() == 2 => {
                    CasInput::Cas(self.id(&pair[0]), self.written_id(&key, &pair[1]))
                }
                other => return Err(format!("cas needs a value [from to], not {other}")),
            },
            other => {
                return Err(format!(
                    "unknown operation `{other}` (the cas-register model knows read, write and cas)"
                ));
            }
        };
        let output = match (definite, failed) {
            (false, _) => None,
            (true, false) => Some(CasOutput::Ok),
            (true, true) => Some(CasOutput::Failed),
        };
        Ok(Some(Encoded { input, output }))
    }

    fn init(&self) -> u32 {
        0
    }

    fn step(&self, state: &u32, input: &CasInput, output: Option<&CasOutput>) -> Option<u32> {
        let state = *state;
        match (*input, output) {
            (CasInput::Read, Some(CasOutput::Read(v))) => (state == *v).then_some(state),
            (CasInput::Read, _) => Some(state),
            (CasInput::Write(v), _) => Some(v),
            (CasInput::Cas(from, to), Some(CasOutput::Ok)) => (state == from).then_some(to),
            (CasInput::Cas(from, _), Some(CasOutput::Failed)) => (state != from).then_some(state),
            (CasInput::Cas(from, to), _) => Some(if state == from { to } else { state }),
        }
    }

    fn show_state(&self, state: &u32) -> String {
        match *state {
            0 => "nil".to_string(),
            UNREAD => "(a value no read returns)".to_string(),
            state => self
                .values
                .get(state)
                .map_or_else(|| "?".to_string(), |v| v.to_string()),
        }
    }

    fn show_state_written(&self, state: &u32, writer: &Operation) -> String {
        let written = match independent(writer) {
            Some((_, v, _)) => v,
            None => &writer.value,
        };
        let written = match (writer.f.as_str(), written) {
            ("cas", Value::List(pair)) if pair.len() == 2 => &pair[1],
            _ => written,
        };
        match *state {
            UNREAD => format!("{written} (no read returns it)"),
            _ => self.show_state(state),
        }
    }

    /// A read, and a compare-and-set that failed, change nothing.
    fn is_read_only(&self, input: &CasInput, output: &CasOutput) -> bool {
        matches!(
            (input, output),
            (CasInput::Read, _) | (_, CasOutput::Failed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::op;

    #[test]
    fn cas_register_reads_jepsen_semantics() {
        let mut m = CasRegister::new();
        let cas = op(
            "cas",
            None,
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Output::Fail { error: None },
        );
        let e = m.encode(&cas).unwrap().unwrap();
        assert_eq!(e.output, Some(CasOutput::Failed));
        assert_eq!(m.step(&0, &e.input, e.output.as_ref()), Some(0));
        let failed_write = op("write", None, Value::Int(3), Output::Fail { error: None });
        assert_eq!(m.encode(&failed_write), Ok(None));
        let mut pending_read = op("read", None, Value::Nil, Output::Unknown);
        pending_read.ret = None;
        assert_eq!(m.encode(&pending_read), Ok(None));
        assert!(
            m.encode(&op("cas", None, Value::Int(1), Output::Unknown))
                .unwrap_err()
                .contains("[from to]")
        );
    }

    #[test]
    fn cas_register_splits_independent_tuples() {
        let m = CasRegister::new();
        let w = op(
            "write",
            None,
            Value::List(vec![Value::Int(7), Value::Int(3)]),
            Output::Ok { value: Value::Nil },
        );
        assert_eq!(m.partition(&w), Some("7".to_string()));
        let plain = op(
            "write",
            None,
            Value::Int(3),
            Output::Ok { value: Value::Nil },
        );
        assert_eq!(m.partition(&plain), None);
    }

    #[test]
    fn register_reads_and_writes_but_refuses_cas() {
        let mut m = CasRegister::plain();
        m.observe(&op(
            "read",
            None,
            Value::Nil,
            Output::Ok {
                value: Value::Int(3),
            },
        ));
        let w = op(
            "write",
            None,
            Value::Int(3),
            Output::Ok { value: Value::Nil },
        );
        let e = m.encode(&w).unwrap().unwrap();
        let s = m.step(&m.init(), &e.input, e.output.as_ref()).unwrap();
        assert_eq!(m.show_state(&s), "3");
        let r = op(
            "read",
            None,
            Value::Nil,
            Output::Ok {
                value: Value::Int(4),
            },
        );
        let e = m.encode(&r).unwrap().unwrap();
        assert_eq!(m.step(&s, &e.input, e.output.as_ref()), None);
        assert!(m.is_read_only(&e.input, e.output.as_ref().unwrap()));
        let cas = op(
            "cas",
            None,
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Output::Ok { value: Value::Nil },
        );
        assert!(m.encode(&cas).unwrap_err().contains("--model cas-register"));
        assert_eq!(m.name(), "register");
    }
}
