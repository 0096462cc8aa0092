//! Jepsen's set, as a linearizable object: `add` puts an element in, `read` returns the
//! whole set.

use super::{Encoded, Interner, Model};
use crate::history::{Operation, Output, Value};
use std::collections::BTreeSet;

/// A set of elements, initially empty (Jepsen's `set` workload, Knossos's `set` model): `add
/// e` adds `e` and succeeds; `read` returns every element added so far. Partitioned by
/// `:key` when operations have one.
///
/// The state is a bitset over the elements the history adds, so it holds heap memory (one bit
/// per element); the memory bound counts it. A pending add of an element that no read returns
/// is dropped: taking effect could only make later reads fail, so it never helps.
///
/// Format: `{:f :add, :value 3}`, `{:f :read, :value nil}` whose `:ok` value is the set
/// (`#{1 2 3}`, or a list). A `:fail`ed add did not happen.
#[derive(Clone, Debug, Default)]
pub struct SetModel {
    elements: Interner<Value>,
    /// (key, element) pairs some definite read returned.
    read: BTreeSet<(Option<String>, Value)>,
    /// Bitset words of a state: fixed once encoding starts.
    words: usize,
}

/// A set operation's input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetInput {
    /// Add the element with this bit.
    Add(u32),
    /// Read the set.
    Read,
}

impl SetModel {
    /// A model with nothing seen yet.
    pub fn new() -> Self {
        SetModel::default()
    }

    fn bit(&mut self, v: &Value) -> u32 {
        self.elements.intern(v) - 1
    }

    fn members(v: &Value) -> Result<&[Value], String> {
        match v {
            Value::Nil => Ok(&[]),
            Value::List(items) => Ok(items),
            other => Err(format!("a read returns a set, not {other}")),
        }
    }

    fn set_bit(bits: &mut [u64], bit: u32) {
        bits[bit as usize / 64] |= 1 << (bit % 64);
    }
}

impl Model for SetModel {
    type Input = SetInput;
    /// The set a read returned.
    type Output = Box<[u64]>;
    type State = Box<[u64]>;

    fn name(&self) -> &'static str {
        "set"
    }

    fn partition(&self, op: &Operation) -> Option<String> {
        op.key.clone()
    }

    fn observe(&mut self, op: &Operation) {
        match (op.f.as_str(), &op.output) {
            ("add", _) => {
                self.bit(&op.value);
            }
            ("read", Output::Ok { value }) if !op.is_pending() => {
                if let Ok(items) = SetModel::members(value) {
                    for item in items {
                        self.bit(item);
                        self.read.insert((op.key.clone(), item.clone()));
                    }
                }
            }
            _ => {}
        }
        self.words = self.elements.len().div_ceil(64);
    }

    fn encode(&mut self, op: &Operation) -> Result<Option<Encoded<SetInput, Box<[u64]>>>, String> {
        let definite = !op.is_pending();
        if definite && matches!(op.output, Output::Fail { .. }) {
            return Ok(None); // it did not happen
        }
        match op.f.as_str() {
            "add" => {
                if !definite && !self.read.contains(&(op.key.clone(), op.value.clone())) {
                    return Ok(None);
                }
                let bit = self.bit(&op.value);
                Ok(Some(Encoded {
                    input: SetInput::Add(bit),
                    output: definite.then(Box::default),
                }))
            }
            "read" => {
                let Output::Ok { value } = &op.output else {
                    return Ok(None);
                };
                if !definite {
                    return Ok(None);
                }
                let mut bits = vec![0u64; self.words].into_boxed_slice();
                for item in SetModel::members(value)? {
                    let bit = self.bit(item);
                    SetModel::set_bit(&mut bits, bit);
                }
                Ok(Some(Encoded {
                    input: SetInput::Read,
                    output: Some(bits),
                }))
            }
            other => Err(format!(
                "unknown operation `{other}` (the set model knows add and read)"
            )),
        }
    }

    fn init(&self) -> Box<[u64]> {
        vec![0u64; self.words].into_boxed_slice()
    }

    fn step(
        &self,
        state: &Box<[u64]>,
        input: &SetInput,
        output: Option<&Box<[u64]>>,
    ) -> Option<Box<[u64]>> {
        match input {
            SetInput::Add(bit) => {
                let mut next = state.clone();
                SetModel::set_bit(&mut next, *bit);
                Some(next)
            }
            SetInput::Read => output
                .is_none_or(|seen| seen == state)
                .then(|| state.clone()),
        }
    }

    fn show_state(&self, state: &Box<[u64]>) -> String {
        let items: Vec<String> = (0..self.words * 64)
            .filter(|&b| state[b / 64] >> (b % 64) & 1 == 1)
            .filter_map(|b| self.elements.get(b as u32 + 1).map(Value::to_string))
            .collect();
        format!("#{{{}}}", items.join(" "))
    }

    fn is_read_only(&self, input: &SetInput, _: &Box<[u64]>) -> bool {
        *input == SetInput::Read
    }

    fn state_heap_bytes(&self, state: &Box<[u64]>) -> usize {
        state.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::op;

    #[test]
    fn a_set_read_must_be_exactly_the_elements_added() {
        let mut m = SetModel::new();
        let ok = Output::Ok { value: Value::Nil };
        let add1 = op("add", None, Value::Int(1), ok.clone());
        let add2 = op("add", None, Value::Int(2), ok);
        let read = |items: &[i64]| {
            op(
                "read",
                None,
                Value::Nil,
                Output::Ok {
                    value: Value::List(items.iter().map(|&i| Value::Int(i)).collect()),
                },
            )
        };
        let mut pending3 = op("add", None, Value::Int(3), Output::Unknown);
        pending3.ret = None;
        for o in [&add1, &add2, &read(&[1]), &read(&[1, 2]), &pending3] {
            m.observe(o);
        }
        assert_eq!(m.encode(&pending3), Ok(None), "3 is never read");
        let e1 = m.encode(&add1).unwrap().unwrap();
        let e2 = m.encode(&add2).unwrap().unwrap();
        let r1 = m.encode(&read(&[1])).unwrap().unwrap();
        let r12 = m.encode(&read(&[2, 1])).unwrap().unwrap();
        let s1 = m.step(&m.init(), &e1.input, e1.output.as_ref()).unwrap();
        assert_eq!(m.show_state(&s1), "#{1}");
        assert!(m.step(&s1, &r1.input, r1.output.as_ref()).is_some());
        assert!(m.step(&s1, &r12.input, r12.output.as_ref()).is_none());
        let s12 = m.step(&s1, &e2.input, e2.output.as_ref()).unwrap();
        assert!(
            m.step(&s12, &r12.input, r12.output.as_ref()).is_some(),
            "order does not matter"
        );
        assert!(m.step(&s12, &r1.input, r1.output.as_ref()).is_none());
        assert_eq!(m.state_heap_bytes(&s12), 8);
        assert!(m.is_read_only(&r1.input, r1.output.as_ref().unwrap()));
    }
}
